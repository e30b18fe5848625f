/**
 * The container and exec endpoints of the Engine API, over an EngineClient: each function is one
 * request, named after the docker SDK's (ContainerCreate, ContainerStart …). Kept apart from
 * client.ts so the image and system client stays small.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerWaitResponse, ExecConfig, WaitCondition,
} from '../api/containers.js';
import type { Filters } from '../api/types.js';
import { encodeFilters } from '../api/filters.js';
import type { EngineClient } from './client.js';
import { readAll, type Hijacked } from './transport.js';

const enc = encodeURIComponent;
const filterQuery = (f?: Filters): string | undefined => (f && f.size > 0 ? encodeFilters(f) : undefined);

export type ContainerSummaryWithSize = ContainerSummary & { SizeRw?: number; SizeRootFs?: number };
export type ContainerInspectWithSize = ContainerInspect & { SizeRw?: number; SizeRootFs?: number };

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[] };
  OpenStdin: boolean;
  ContainerID: string;
  Pid: number;
}

export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

export function containerCreate(
  c: EngineClient,
  body: ContainerCreateRequest,
  o: { name?: string; platform?: string } = {},
): Promise<ContainerCreateResponse> {
  return c.json({ method: 'POST', path: '/containers/create', query: { name: o.name || undefined, platform: o.platform || undefined }, body });
}

export async function containerStart(c: EngineClient, id: string, o: { detachKeys?: string } = {}): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/start`, query: { detachKeys: o.detachKeys || undefined } });
}

export async function containerStop(c: EngineClient, id: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/stop`, query: { t: o.timeout, signal: o.signal || undefined } });
}

export async function containerRestart(c: EngineClient, id: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/restart`, query: { t: o.timeout, signal: o.signal || undefined } });
}

export async function containerKill(c: EngineClient, id: string, signal?: string): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/kill`, query: { signal: signal || undefined } });
}

export async function containerPause(c: EngineClient, id: string): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/pause` });
}

export async function containerUnpause(c: EngineClient, id: string): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/unpause` });
}

export async function containerRename(c: EngineClient, id: string, name: string): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/rename`, query: { name } });
}

/**
 * Starts waiting: resolves once the daemon has accepted the wait (so a start that follows cannot
 * race past it), with the promise of the result.
 */
export async function containerWait(
  c: EngineClient,
  id: string,
  condition: WaitCondition = 'not-running',
  signal?: AbortSignal,
): Promise<{ result: Promise<ContainerWaitResponse> }> {
  const res = await c.raw({ method: 'POST', path: `/containers/${enc(id)}/wait`, query: { condition }, signal });
  return {
    result: readAll(res.body).then((b) => {
      const text = b.toString('utf8').trim();
      if (text === '') throw new Error('unexpected EOF');
      return JSON.parse(text) as ContainerWaitResponse;
    }),
  };
}

export async function containerRemove(c: EngineClient, id: string, o: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
  await c.json({ method: 'DELETE', path: `/containers/${enc(id)}`, query: { force: o.force || undefined, v: o.volumes || undefined, link: o.link || undefined } });
}

export function containerList(
  c: EngineClient,
  o: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {},
): Promise<ContainerSummaryWithSize[]> {
  return c.json({
    method: 'GET',
    path: '/containers/json',
    query: { all: o.all || undefined, limit: o.limit !== undefined && o.limit > 0 ? o.limit : undefined, size: o.size || undefined, filters: filterQuery(o.filters) },
  });
}

export function containerInspect(c: EngineClient, id: string, o: { size?: boolean } = {}): Promise<ContainerInspectWithSize> {
  return c.json({ method: 'GET', path: `/containers/${enc(id)}/json`, query: { size: o.size || undefined } });
}

export async function containerResize(c: EngineClient, id: string, size: { height: number; width: number }): Promise<void> {
  await c.json({ method: 'POST', path: `/containers/${enc(id)}/resize`, query: { h: size.height, w: size.width } });
}

export async function containerLogs(
  c: EngineClient,
  id: string,
  o: { follow?: boolean; timestamps?: boolean; tail?: string; since?: string; until?: string; details?: boolean; signal?: AbortSignal },
): Promise<Readable> {
  const res = await c.raw({
    method: 'GET',
    path: `/containers/${enc(id)}/logs`,
    query: {
      stdout: true,
      stderr: true,
      follow: o.follow || undefined,
      timestamps: o.timestamps || undefined,
      tail: o.tail,
      since: o.since || undefined,
      until: o.until || undefined,
      details: o.details || undefined,
    },
    signal: o.signal,
  });
  return res.body;
}

export function containerAttach(
  c: EngineClient,
  id: string,
  o: { stdin: boolean; stdout: boolean; stderr: boolean; detachKeys?: string; logs?: boolean },
): Promise<Hijacked> {
  return c.hijack({
    method: 'POST',
    path: `/containers/${enc(id)}/attach`,
    query: { stream: true, stdin: o.stdin || undefined, stdout: o.stdout || undefined, stderr: o.stderr || undefined, detachKeys: o.detachKeys || undefined, logs: o.logs || undefined },
  });
}

export function containerTop(c: EngineClient, id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  return c.json({ method: 'GET', path: `/containers/${enc(id)}/top`, query: { ps_args: psArgs || undefined } });
}

/** The stats stream (one JSON object per line), or a single object with stream=false. */
export async function containerStats(c: EngineClient, id: string, o: { stream: boolean; signal?: AbortSignal }): Promise<Readable> {
  const res = await c.raw({ method: 'GET', path: `/containers/${enc(id)}/stats`, query: { stream: o.stream, ...(o.stream ? {} : { 'one-shot': false }) }, signal: o.signal });
  return res.body;
}

export function containerChanges(c: EngineClient, id: string): Promise<Array<{ Path: string; Kind: number }> | null> {
  return c.json({ method: 'GET', path: `/containers/${enc(id)}/changes` });
}

export async function containerExport(c: EngineClient, id: string): Promise<Readable> {
  return (await c.raw({ method: 'GET', path: `/containers/${enc(id)}/export` })).body;
}

export function containerCommit(
  c: EngineClient,
  id: string,
  o: { repo?: string; tag?: string; author?: string; comment?: string; changes?: string[]; pause: boolean },
): Promise<{ Id: string }> {
  return c.json({
    method: 'POST',
    path: '/commit',
    query: { container: id, repo: o.repo || undefined, tag: o.tag || undefined, author: o.author || undefined, comment: o.comment || undefined, changes: o.changes, pause: o.pause },
    body: {},
  });
}

export function containerUpdate(c: EngineClient, id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
  return c.json({ method: 'POST', path: `/containers/${enc(id)}/update`, body });
}

export function containerPrune(c: EngineClient, filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
  return c.json({ method: 'POST', path: '/containers/prune', query: { filters: filterQuery(filters) } });
}

/** HEAD archive: the X-Docker-Container-Path-Stat header, decoded. */
export async function containerStatPath(c: EngineClient, id: string, path: string): Promise<PathStat> {
  const res = await c.raw({ method: 'HEAD', path: `/containers/${enc(id)}/archive`, query: { path } });
  await readAll(res.body);
  return decodeStat(res.headers['x-docker-container-path-stat']);
}

function decodeStat(h: string | string[] | undefined): PathStat {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || v === '') throw new Error('no X-Docker-Container-Path-Stat header in the answer');
  return JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as PathStat;
}

export async function containerGetArchive(c: EngineClient, id: string, path: string): Promise<{ stat: PathStat; body: Readable }> {
  const res = await c.raw({ method: 'GET', path: `/containers/${enc(id)}/archive`, query: { path } });
  return { stat: decodeStat(res.headers['x-docker-container-path-stat']), body: res.body };
}

export async function containerPutArchive(
  c: EngineClient,
  id: string,
  path: string,
  tar: Readable,
  o: { copyUIDGID?: boolean; noOverwriteDirNonDir?: boolean } = {},
): Promise<void> {
  const res = await c.raw({
    method: 'PUT',
    path: `/containers/${enc(id)}/archive`,
    query: { path, copyUIDGID: o.copyUIDGID || undefined, noOverwriteDirNonDir: o.noOverwriteDirNonDir ?? true },
    upload: tar,
    headers: { 'Content-Type': 'application/x-tar' },
  });
  await readAll(res.body);
}

export function execCreate(c: EngineClient, id: string, config: ExecConfig): Promise<{ Id: string }> {
  return c.json({ method: 'POST', path: `/containers/${enc(id)}/exec`, body: config });
}

export async function execStartDetached(c: EngineClient, execId: string, o: { tty: boolean; consoleSize?: [number, number] }): Promise<void> {
  await c.json({ method: 'POST', path: `/exec/${enc(execId)}/start`, body: { Detach: true, Tty: o.tty, ...(o.consoleSize ? { ConsoleSize: o.consoleSize } : {}) } });
}

export function execStartAttached(c: EngineClient, execId: string, o: { tty: boolean; consoleSize?: [number, number] }): Promise<Hijacked> {
  return c.hijack({ method: 'POST', path: `/exec/${enc(execId)}/start`, body: { Detach: false, Tty: o.tty, ...(o.consoleSize ? { ConsoleSize: o.consoleSize } : {}) } });
}

export function execInspect(c: EngineClient, execId: string): Promise<ExecInspect> {
  return c.json({ method: 'GET', path: `/exec/${enc(execId)}/json` });
}

export async function execResize(c: EngineClient, execId: string, size: { height: number; width: number }): Promise<void> {
  await c.json({ method: 'POST', path: `/exec/${enc(execId)}/resize`, query: { h: size.height, w: size.width } });
}
