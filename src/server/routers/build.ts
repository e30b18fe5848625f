/**
 * `POST /build` as the docker CLI's classic builder, docker-py and compose send it (a tar context
 * body and query options; a JSON stream of `stream`/`aux`/`error` messages back), and
 * `POST /build/prune`.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { InvalidParameter, messageOf } from '../../errdefs/index.js';
import type { BuildOptions, BuildOutput } from '../../build/builder.js';
import type { Route } from '../context.js';
import { JsonStream, queryBool, writeJson } from '../body.js';

/** The build's options and output as the builder defines them; the router fills them from the request. */
export type BuildRouteOptions = BuildOptions;
export type BuildOut = BuildOutput & { begin(): void };

/** What the build router needs (implemented by build/BuildService). */
export interface BuildBackendApi {
  build(input: Readable, opts: BuildRouteOptions, out: BuildOut): Promise<string>;
  prune(o: { all?: boolean }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>;
  /** Validates a `-t` value (throws InvalidParameter). */
  checkTag(tag: string): void;
}

/** X-Registry-Config: base64url JSON of `{ registry: AuthConfig }`; a header that does not decode is ignored, as moby does. */
function decodeRegistryConfig(header: string | string[] | undefined): Record<string, Record<string, string>> | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    const j = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    if (typeof j !== 'object' || j === null || Array.isArray(j)) return undefined;
    const out: Record<string, Record<string, string>> = {};
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null) continue;
      out[k] = Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
    }
    return out;
  } catch (err) {
    void err;
    return undefined;
  }
}

function jsonQuery<T>(q: URLSearchParams, name: string, check: (v: unknown) => v is T, dflt: T): T {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new InvalidParameter(`invalid ${name} value: ${messageOf(err)}`, { cause: err });
  }
  if (v === null) return dflt;
  if (!check(v)) throw new InvalidParameter(`invalid ${name} value: ${raw}`);
  return v;
}

const isStringMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
const isArgMap = (v: unknown): v is Record<string, string | null> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || x === null);

async function drain(req: Readable): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

export function buildRoutes(b: BuildBackendApi): Route[] {
  return [
    {
      method: 'POST',
      path: '/build',
      handler: async (ctx) => {
        const q = ctx.query;
        const remote = q.get('remote');
        if (remote !== null && remote !== '') {
          await drain(ctx.req);
          throw new InvalidParameter('building from a remote context (git or URL) is not supported; send the context as the request body');
        }
        const tags = q.getAll('t').filter((t) => t !== '');
        const opts: BuildRouteOptions = {
          dockerfile: q.get('dockerfile') ?? 'Dockerfile',
          tags,
          buildArgs: jsonQuery(q, 'buildargs', isArgMap, {}),
          noCache: queryBool(q, 'nocache'),
          quiet: queryBool(q, 'q'),
          labels: jsonQuery(q, 'labels', isStringMap, {}),
          networkMode: q.get('networkmode') ?? 'default',
          pull: queryBool(q, 'pull'),
          rm: queryBool(q, 'rm', true),
          forceRm: queryBool(q, 'forcerm'),
          extraHosts: (q.get('extrahosts') ?? '').split(',').filter((h) => h !== ''),
          signal: ctx.signal,
        };
        const auths = decodeRegistryConfig(ctx.req.headers['x-registry-config']);
        if (auths !== undefined) opts.registryAuths = auths;
        const target = q.get('target');
        if (target !== null && target !== '') opts.target = target;
        const platform = q.get('platform');
        if (platform !== null && platform !== '') opts.platform = platform;
        try {
          for (const t of tags) b.checkTag(t);
        } catch (err) {
          await drain(ctx.req);
          throw err;
        }
        const stream = new JsonStream(ctx.res);
        try {
          await b.build(ctx.req, opts, {
            begin: () => stream.start(),
            stream: (text) => stream.send({ stream: text }),
            aux: (value) => stream.send({ aux: value }),
            progress: (m) => stream.send(m as Record<string, unknown>),
          });
        } catch (err) {
          if (!stream.started) {
            await drain(ctx.req);
            throw err;
          }
          const code = (err as { code?: unknown }).code;
          const message = messageOf(err);
          await stream.send({ errorDetail: { ...(typeof code === 'number' ? { code } : {}), message }, error: message });
        }
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/build/prune',
      handler: async (ctx) => {
        writeJson(ctx.res, 200, await b.prune({ all: queryBool(ctx.query, 'all') }));
      },
    },
  ];
}
