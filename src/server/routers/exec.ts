/**
 * The exec endpoints (moby daemon/server/router/container/exec.go): create, start (detached, or
 * attached on a hijacked connection, stdcopy-framed without a TTY), inspect and resize.
 */
import type { Duplex } from 'node:stream';
import { InvalidParameter, messageOf } from '../../errdefs/index.js';
import { readJsonBody, writeJson } from '../body.js';
import type { Route } from '../context.js';
import type { ExecConfig } from '../../api/containers.js';
import { versionAtLeast } from '../version.js';
import { resizeSize } from './containers.js';

/** What the exec router needs from the engine (implemented by engine/ExecService). */
export interface ExecBackend {
  create(container: string, body: ExecConfig): { Id: string };
  inspect(id: string): unknown;
  /** Throws NotFound/Conflict before anything runs; says whether the output is raw (TTY). */
  prepareStart(id: string, o: { tty?: boolean }): { tty: boolean };
  start(id: string, o: { conn?: Duplex; consoleSize?: { height: number; width: number } }): Promise<void>;
  resize(id: string, size: { height: number; width: number }): Promise<void>;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameter('invalid JSON: expected an object');
  return body as Record<string, unknown>;
}

function parseCreate(raw: unknown): ExecConfig {
  const b = objectBody(raw);
  const str = (k: string): string | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new InvalidParameter(`invalid ${k}: expected a string`);
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new InvalidParameter(`invalid ${k}: expected a boolean`);
    return v;
  };
  const list = (k: string): string[] | undefined => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (!isStringArray(v)) throw new InvalidParameter(`invalid ${k}: expected a list of strings`);
    return v;
  };
  const out: ExecConfig = {};
  const cmd = list('Cmd');
  const env = list('Env');
  if (cmd !== undefined) out.Cmd = cmd;
  if (env !== undefined) out.Env = env;
  for (const k of ['WorkingDir', 'User', 'DetachKeys'] as const) {
    const v = str(k);
    if (v !== undefined) out[k] = v;
  }
  for (const k of ['Tty', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Privileged'] as const) {
    const v = bool(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function parseJson(buf: Buffer): unknown {
  const text = buf.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidParameter(`invalid JSON: ${messageOf(err)}`, { cause: err });
  }
}

function consoleSizeOf(v: unknown): { height: number; width: number } | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [h, w] = v as unknown[];
  if (typeof h !== 'number' || typeof w !== 'number' || h <= 0 || w <= 0) return undefined;
  return { height: h, width: w };
}

export function execRoutes(b: ExecBackend): Route[] {
  return [
    {
      method: 'POST',
      path: '/containers/{name}/exec',
      handler: async (ctx) => {
        writeJson(ctx.res, 201, b.create(ctx.params.name!, parseCreate(await readJsonBody(ctx.req))));
      },
    },
    {
      method: 'POST',
      path: '/exec/{id}/start',
      handler: async (ctx) => {
        const body = objectBody(ctx.upgradeBody !== undefined ? parseJson(ctx.upgradeBody) : await readJsonBody(ctx.req));
        const id = ctx.params.id!;
        const consoleSize = consoleSizeOf(body.ConsoleSize);
        const { tty } = b.prepareStart(id, typeof body.Tty === 'boolean' ? { tty: body.Tty } : {});
        if (body.Detach === true) {
          await b.start(id, consoleSize !== undefined ? { consoleSize } : {});
          ctx.res.writeHead(200, { 'Content-Length': 0 }).end();
          return;
        }
        const contentType = !tty && versionAtLeast(ctx.apiVersion, '1.42') ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream';
        const conn = ctx.hijack(contentType);
        await b.start(id, { conn, ...(consoleSize !== undefined ? { consoleSize } : {}) });
      },
    },
    { method: 'GET', path: '/exec/{id}/json', handler: async (ctx) => writeJson(ctx.res, 200, b.inspect(ctx.params.id!)) },
    {
      method: 'POST',
      path: '/exec/{id}/resize',
      handler: async (ctx) => {
        await b.resize(ctx.params.id!, resizeSize(ctx));
        ctx.res.writeHead(200, { 'Content-Length': 0 }).end();
      },
    },
  ];
}
