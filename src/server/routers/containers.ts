import type { Duplex } from 'node:stream';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerWaitResponse, WaitCondition,
} from '../../api/containers.js';
import { stdcopyFrames, StdStream, type FrameRanges } from '../../api/stdcopy.js';
import type { Filters } from '../../api/types.js';
import { parseFilters } from '../../api/filters.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Route, RequestContext } from '../context.js';
import { queryBool, queryInt, readJsonBody, writeChunk, writeJson } from '../body.js';
import { versionAtLeast } from '../version.js';

/** A batch of log entries: their byte ranges and streams, and each one's timestamp. */
export interface LogEntries extends FrameRanges {
  time(i: number): { timestamp: string };
}

/** What the containers router needs from the engine (implemented by engine/ContainerService). */
export interface ContainersBackend {
  create(body: ContainerCreateRequest, opts: { name?: string; platform?: string }): Promise<ContainerCreateResponse>;
  start(name: string): Promise<void>;
  stop(name: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  restart(name: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  kill(name: string, signal?: string): Promise<void>;
  /** Registers the waiter synchronously (NotFound thrown here), resolves on the condition. */
  wait(name: string, condition: WaitCondition, signal?: AbortSignal): { result: Promise<ContainerWaitResponse> };
  remove(name: string, opts: { force?: boolean; volumes?: boolean }): Promise<void>;
  list(opts: { all?: boolean; limit?: number; filters?: Filters }): ContainerSummary[];
  inspect(name: string): ContainerInspect;
  logs(
    name: string,
    opts: { stdout: boolean; stderr: boolean; follow: boolean; timestamps: boolean; tail?: number; since?: bigint; until?: bigint; signal?: AbortSignal },
  ): { tty: boolean; /** In batches: each is written to the client at once. */ messages: AsyncIterable<LogEntries> };
  resize(name: string, size: { height: number; width: number }): Promise<void>;
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  rename(name: string, newName: string): Promise<void>;
  prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>;
  top(name: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  stats(name: string, o: { stream: boolean; oneShot: boolean; signal?: AbortSignal; send: (s: unknown) => Promise<void> }): Promise<void>;
  sizes(name: string): Promise<{ SizeRw: number; SizeRootFs: number }>;
  attach(
    name: string,
    opts: { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean },
  ): { tty: boolean; run(conn: Duplex): Promise<void> };
}

const RAW = 'application/vnd.docker.raw-stream';
const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';

/** Docker's `since`/`until`: Unix seconds with an optional fraction (`1700000000.5`) → epoch ns. */
function parseUnixNano(v: string | null): bigint | undefined {
  if (v === null || v === '' || v === '0') return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m === null) throw new InvalidParameter(`invalid value for time: ${JSON.stringify(v)}`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function stopOptions(ctx: RequestContext): { timeout?: number; signal?: string } {
  const t = queryInt(ctx.query, 't');
  const signal = ctx.query.get('signal');
  return { ...(t !== undefined ? { timeout: t } : {}), ...(signal ? { signal } : {}) };
}

/** `?h=&w=` of the resize endpoints: non-negative integers (moby: `strconv.Atoi`, 400 otherwise). */
export function resizeSize(ctx: RequestContext): { height: number; width: number } {
  const h = queryInt(ctx.query, 'h') ?? 0;
  const w = queryInt(ctx.query, 'w') ?? 0;
  if (h < 0 || w < 0) throw new InvalidParameter(`invalid resize: height ${h}, width ${w}`);
  return { height: h, width: w };
}

export function containerRoutes(b: ContainersBackend): Route[] {
  const streamType = (ctx: RequestContext, tty: boolean): string => (!tty && versionAtLeast(ctx.apiVersion, '1.42') ? MULTIPLEXED : RAW);
  return [
    {
      method: 'POST',
      path: '/containers/create',
      handler: async (ctx) => {
        const body = await readJsonBody(ctx.req);
        if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
          throw new InvalidParameter('config cannot be empty in order to create a container');
        }
        const req = body as ContainerCreateRequest;
        // Older API clients cannot mean StartInterval (moby drops it below 1.44).
        if (!versionAtLeast(ctx.apiVersion, '1.44') && req.Healthcheck != null) delete req.Healthcheck.StartInterval;
        const name = ctx.query.get('name') ?? undefined;
        const platform = ctx.query.get('platform') || undefined;
        writeJson(ctx.res, 201, await b.create(req, { ...(name ? { name } : {}), ...(platform ? { platform } : {}) }));
      },
    },
    {
      method: 'GET',
      path: '/containers/json',
      handler: async (ctx) => {
        const limit = queryInt(ctx.query, 'limit');
        const list = b.list({ all: queryBool(ctx.query, 'all'), ...(limit !== undefined ? { limit } : {}), filters: parseFilters(ctx.query.get('filters')) });
        if (!queryBool(ctx.query, 'size')) {
          writeJson(ctx.res, 200, list);
          return;
        }
        const sized = [];
        for (const c of list) sized.push({ ...c, ...(await b.sizes(c.Id)) });
        writeJson(ctx.res, 200, sized);
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/json',
      handler: async (ctx) => {
        const c = b.inspect(ctx.params.name!);
        writeJson(ctx.res, 200, queryBool(ctx.query, 'size') ? { ...c, ...(await b.sizes(c.Id)) } : c);
      },
    },
    {
      method: 'POST',
      path: '/containers/prune',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.prune(parseFilters(ctx.query.get('filters')))),
    },
    {
      method: 'POST',
      path: '/containers/{name}/pause',
      handler: async (ctx) => {
        await b.pause(ctx.params.name!);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/unpause',
      handler: async (ctx) => {
        await b.unpause(ctx.params.name!);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/rename',
      handler: async (ctx) => {
        await b.rename(ctx.params.name!, ctx.query.get('name') ?? '');
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/top',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.top(ctx.params.name!, ctx.query.get('ps_args') ?? undefined)),
    },
    {
      method: 'GET',
      path: '/containers/{name}/stats',
      handler: async (ctx) => {
        const stream = queryBool(ctx.query, 'stream', true);
        const oneShot = queryBool(ctx.query, 'one-shot');
        if (oneShot && stream) throw new InvalidParameter('cannot have stream=true and one-shot=true');
        let started = false;
        await b.stats(ctx.params.name!, {
          stream,
          oneShot,
          signal: ctx.signal,
          send: async (st) => {
            if (!started) {
              started = true;
              ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
            }
            await writeChunk(ctx.res, JSON.stringify(st) + '\n');
          },
        });
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/start',
      handler: async (ctx) => {
        await b.start(ctx.params.name!);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/stop',
      handler: async (ctx) => {
        await b.stop(ctx.params.name!, stopOptions(ctx));
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/restart',
      handler: async (ctx) => {
        await b.restart(ctx.params.name!, stopOptions(ctx));
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/kill',
      handler: async (ctx) => {
        await b.kill(ctx.params.name!, ctx.query.get('signal') || undefined);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/wait',
      handler: async (ctx) => {
        const raw = ctx.query.get('condition') || 'not-running';
        if (!['not-running', 'next-exit', 'removed'].includes(raw)) throw new InvalidParameter(`invalid condition: "${raw}"`);
        const w = b.wait(ctx.params.name!, raw as WaitCondition, ctx.signal);
        // Headers go out now: the client knows the wait is registered before it starts the container.
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        ctx.res.flushHeaders();
        const r = await w.result;
        ctx.res.end(JSON.stringify(r) + '\n');
      },
    },
    {
      method: 'DELETE',
      path: '/containers/{name}',
      handler: async (ctx) => {
        await b.remove(ctx.params.name!, { force: queryBool(ctx.query, 'force'), volumes: queryBool(ctx.query, 'v') });
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/resize',
      handler: async (ctx) => {
        await b.resize(ctx.params.name!, resizeSize(ctx));
        ctx.res.writeHead(200, { 'Content-Length': 0 }).end();
      },
    },
    {
      method: 'GET',
      path: '/containers/{name}/logs',
      handler: async (ctx) => {
        const q = ctx.query;
        const tailRaw = q.get('tail');
        let tail: number | undefined;
        if (tailRaw !== null && tailRaw !== '' && tailRaw !== 'all') {
          tail = Number(tailRaw);
          if (!Number.isInteger(tail)) throw new InvalidParameter(`invalid value for tail: ${JSON.stringify(tailRaw)}`);
        }
        const since = parseUnixNano(q.get('since'));
        const until = parseUnixNano(q.get('until'));
        const timestamps = queryBool(q, 'timestamps');
        const { tty, messages } = b.logs(ctx.params.name!, {
          stdout: queryBool(q, 'stdout'),
          stderr: queryBool(q, 'stderr'),
          follow: queryBool(q, 'follow'),
          timestamps,
          ...(tail !== undefined ? { tail } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          signal: ctx.signal,
        });
        ctx.res.writeHead(200, { 'Content-Type': streamType(ctx, tty) });
        ctx.res.flushHeaders();
        // The docker CLI only copies the demultiplexed bytes out: it gets one frame per run of
        // entries of one stream. SDKs (docker-py's logs(stream=True), dockerode) may iterate
        // frames as entries, so they get one per entry, as dockerd sends them.
        const coalesce = /^Docker-Client\//.test(ctx.req.headers['user-agent'] ?? '');
        for await (const batch of messages) {
          if (batch.length === 0) continue;
          await writeChunk(ctx.res, stdcopyFrames(batch, { raw: tty, coalesce, ...(timestamps ? { prefix: (i: number) => `${batch.time(i).timestamp} ` } : {}) }));
          if (ctx.signal.aborted) break;
        }
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/containers/{name}/attach',
      handler: async (ctx) => {
        const q = ctx.query;
        const target = b.attach(ctx.params.name!, {
          stdin: queryBool(q, 'stdin'),
          stdout: queryBool(q, 'stdout'),
          stderr: queryBool(q, 'stderr'),
          stream: queryBool(q, 'stream'),
          logs: queryBool(q, 'logs'),
          ...(q.get('detachKeys') ? { detachKeys: q.get('detachKeys')! } : {}),
        });
        const conn = ctx.hijack(streamType(ctx, target.tty));
        await target.run(conn);
      },
    },
  ];
}
