import type { Readable, Writable } from 'node:stream';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Route, RequestContext } from '../context.js';
import { queryBool, readJsonBody, writeJson } from '../body.js';

/** Docker's ContainerPathStat. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** What the container filesystem routes need (engine/ContainerFsService, ContainerService.update). */
export interface ContainerFsBackend {
  statPath(name: string, path: string): Promise<PathStat>;
  archive(name: string, path: string, respond: (stat: PathStat) => Writable): Promise<void>;
  extract(name: string, path: string, input: Readable, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void>;
  changes(name: string): Promise<{ Path: string; Kind: number }[] | null>;
  export(name: string, out: () => Writable): Promise<void>;
  commit(
    name: string,
    o: { repo?: string; tag?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean; config?: Record<string, unknown> },
  ): Promise<{ Id: string }>;
  update(name: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }>;
}

const STAT_HEADER = 'X-Docker-Container-Path-Stat';
const encodeStat = (s: PathStat): string => Buffer.from(JSON.stringify(s)).toString('base64');

function pathParam(ctx: RequestContext): string {
  const p = ctx.query.get('path');
  if (p === null || p === '') throw new InvalidParameter('path cannot be empty');
  return p;
}

async function objectBody(ctx: RequestContext): Promise<Record<string, unknown> | undefined> {
  const body = await readJsonBody(ctx.req);
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameter('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function containerFsRoutes(b: ContainerFsBackend): Route[] {
  const opt = (ctx: RequestContext, k: string): { [key: string]: string } => {
    const v = ctx.query.get(k);
    return v !== null ? { [k]: v } : {};
  };
  return [
    {
      method: 'HEAD',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        const stat = await b.statPath(ctx.params.name!, pathParam(ctx));
        ctx.res.writeHead(200, { [STAT_HEADER]: encodeStat(stat), 'Content-Type': 'application/json' }).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        await b.archive(ctx.params.name!, pathParam(ctx), (stat) => {
          ctx.res.writeHead(200, { [STAT_HEADER]: encodeStat(stat), 'Content-Type': 'application/x-tar' });
          return ctx.res;
        });
      },
    },
    {
      method: 'PUT',
      path: '/containers/{name}/archive',
      handler: async (ctx) => {
        await b.extract(ctx.params.name!, pathParam(ctx), ctx.req, {
          noOverwriteDirNonDir: queryBool(ctx.query, 'noOverwriteDirNonDir'),
          copyUIDGID: queryBool(ctx.query, 'copyUIDGID'),
          signal: ctx.signal,
        });
        ctx.res.writeHead(200, { 'Content-Length': 0 }).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/changes',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.changes(ctx.params.name!)),
    },
    {
      method: 'GET',
      path: '/containers/{name}/export',
      handler: async (ctx) => {
        await b.export(ctx.params.name!, () => {
          ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
          return ctx.res;
        });
      },
    },
    {
      method: 'POST',
      path: '/commit',
      handler: async (ctx) => {
        const container = ctx.query.get('container') ?? '';
        if (container === '') throw new InvalidParameter('container name cannot be empty');
        const config = await objectBody(ctx);
        const r = await b.commit(container, {
          ...opt(ctx, 'repo'),
          ...opt(ctx, 'tag'),
          ...opt(ctx, 'comment'),
          ...opt(ctx, 'author'),
          changes: ctx.query.getAll('changes'),
          pause: queryBool(ctx.query, 'pause', true),
          ...(config !== undefined ? { config } : {}),
        });
        writeJson(ctx.res, 201, r);
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/update',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.update(ctx.params.name!, (await objectBody(ctx)) ?? {})),
    },
  ];
}
