import type { Filters } from '../../api/types.js';
import type { Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from '../../api/volumes.js';
import { parseFilters } from '../../api/filters.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Route } from '../context.js';
import { queryBool, readJsonBody, writeJson } from '../body.js';
import { versionLess } from '../version.js';

/** What the volumes router needs from the engine (volume/VolumeService). */
export interface VolumesBackend {
  list(filters: Filters): VolumeListResponse;
  create(o: VolumeCreateOptions): Promise<Volume>;
  get(name: string): Volume;
  remove(name: string, o: { force?: boolean }): Promise<void>;
  prune(filters: Filters): Promise<VolumePruneResponse>;
}

function stringMap(v: unknown, field: string): Record<string, string> | null | undefined {
  if (v === undefined || v === null) return v;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new InvalidParameter(`invalid JSON: ${field} must be an object of strings`);
  }
  return v as Record<string, string>;
}

/** The body of `POST /volumes/create`, checked once here. */
export function parseVolumeCreate(body: unknown): VolumeCreateOptions {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameter('invalid JSON: the body must be an object');
  const b = body as Record<string, unknown>;
  for (const k of ['Name', 'Driver'] as const) {
    if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') throw new InvalidParameter(`invalid JSON: ${k} must be a string`);
  }
  const out: VolumeCreateOptions = {};
  if (typeof b.Name === 'string') out.Name = b.Name;
  if (typeof b.Driver === 'string') out.Driver = b.Driver;
  const opts = stringMap(b.DriverOpts, 'DriverOpts');
  if (opts !== undefined) out.DriverOpts = opts;
  const labels = stringMap(b.Labels, 'Labels');
  if (labels !== undefined) out.Labels = labels;
  return out;
}

export function volumeRoutes(b: VolumesBackend): Route[] {
  return [
    { method: 'GET', path: '/volumes', handler: async (ctx) => writeJson(ctx.res, 200, b.list(parseFilters(ctx.query.get('filters')))) },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (ctx) => writeJson(ctx.res, 201, await b.create(parseVolumeCreate(await readJsonBody(ctx.req)))),
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query.get('filters'));
        // Before API 1.42 prune took every unused volume; since, only anonymous ones unless all=true.
        if (versionLess(ctx.apiVersion, '1.42') && !filters.has('all')) filters.set('all', ['true']);
        writeJson(ctx.res, 200, await b.prune(filters));
      },
    },
    { method: 'GET', path: '/volumes/{name:.*}', handler: async (ctx) => writeJson(ctx.res, 200, b.get(ctx.params.name!)) },
    {
      method: 'DELETE',
      path: '/volumes/{name:.*}',
      handler: async (ctx) => {
        await b.remove(ctx.params.name!, { force: queryBool(ctx.query, 'force') });
        ctx.res.writeHead(204);
        ctx.res.end();
      },
    },
  ];
}
