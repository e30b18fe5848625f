import type { Readable, Writable } from 'node:stream';
import type {
  Filters,
  HistoryResponseItem,
  ImageDeleteResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
} from '../../api/types.js';
import { parseFilters } from '../../api/filters.js';
import { InvalidParameter, messageOf } from '../../errdefs/index.js';
import type { JsonMessage } from '../../api/types.js';
import type { Route, RequestContext } from '../context.js';
import { JsonStream, queryBool, queryInt, readJsonBody, writeJson } from '../body.js';
import { versionLess } from '../version.js';

/** What the images router needs from the engine (implemented by image/ImageService). */
export interface ImagesBackend {
  list(opts: { all?: boolean; filters?: Filters; withVirtualSize?: boolean }): Promise<ImageSummary[]>;
  inspect(name: string, opts: { withVirtualSize?: boolean }): Promise<ImageInspect>;
  history(name: string): Promise<HistoryResponseItem[]>;
  tag(source: string, repo: string, tag: string | undefined): Promise<void>;
  remove(name: string, opts: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteResponseItem[]>;
  prune(filters: Filters): Promise<ImagePruneResponse>;
  load(input: Readable, opts: { signal?: AbortSignal }): Promise<string[]>;
  save(names: readonly string[], out: Writable, opts: { signal?: AbortSignal }): Promise<void>;
  import(
    input: Readable,
    opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string; signal?: AbortSignal },
  ): Promise<string>;
  pull(opts: { fromImage: string; tag?: string; platform?: string; auth?: RegistryAuth; progress: (m: JsonMessage) => void; signal?: AbortSignal }): Promise<void>;
  push(opts: { name: string; tag?: string; auth?: RegistryAuth; progress: (m: JsonMessage) => void; signal?: AbortSignal }): Promise<void>;
  login(auth: RegistryAuth, signal?: AbortSignal): Promise<void>;
  search(opts: { term: string; limit?: number; filters: Filters; auth?: RegistryAuth; signal?: AbortSignal }): Promise<unknown[]>;
}

/** Registry credentials as X-Registry-Auth and POST /auth carry them. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** X-Registry-Auth: base64url (padded or not) JSON; empty or undecodable means anonymous, as in moby. */
export function decodeRegistryAuth(header: string | string[] | undefined): RegistryAuth | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  try {
    const j = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    if (!j || typeof j !== 'object') return undefined;
    const out: RegistryAuth = {};
    for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
      const v = (j as Record<string, unknown>)[k];
      if (typeof v === 'string' && v !== '') out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  } catch (err) {
    // moby logs and goes on anonymously when the header does not decode.
    void err;
    return undefined;
  }
}

/**
 * Runs a progress-reporting operation: messages stream as NDJSON once the first one is out; an
 * error before that is thrown (so the client gets a status code), one after it ends the stream
 * with Docker's errorDetail line.
 */
async function progressStream(ctx: RequestContext, run: (progress: (m: JsonMessage) => void) => Promise<void>): Promise<void> {
  const stream = new JsonStream(ctx.res);
  const progress = (m: JsonMessage): void => void stream.send(m);
  try {
    await run(progress);
  } catch (err) {
    if (!stream.started) throw err;
    const message = messageOf(err);
    await stream.send({ errorDetail: { message }, error: message });
  }
  stream.start();
  ctx.res.end();
}

/** Consume what is left of an upload so the client reads our error instead of a broken pipe. */
async function drain(req: Readable): Promise<void> {
  // A reader that failed may have destroyed the request already: its 'close' has been and gone,
  // and the HTTP parser discards whatever body is still to come.
  if (req.readableEnded || req.destroyed) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

async function withDrain<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    await drain(ctx.req);
    throw err;
  }
}

export function imageRoutes(b: ImagesBackend): Route[] {
  const oldSizes = (ctx: RequestContext): boolean => versionLess(ctx.apiVersion, '1.44');
  const save = async (ctx: RequestContext, names: string[]): Promise<void> => {
    // Resolve names before any byte goes out, so unknown images get a proper 404.
    for (const n of names) await b.inspect(n, {});
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await b.save(names, ctx.res, { signal: ctx.signal });
  };
  return [
    {
      method: 'GET',
      path: '/images/json',
      handler: async (ctx) => {
        const filters = parseFilters(ctx.query.get('filters'));
        const legacy = ctx.query.get('filter');
        if (legacy) filters.set('reference', [legacy]);
        writeJson(ctx.res, 200, await b.list({ all: queryBool(ctx.query, 'all'), filters, withVirtualSize: oldSizes(ctx) }));
      },
    },
    {
      method: 'POST',
      path: '/images/load',
      handler: async (ctx) => {
        // `quiet` only silences progress, and load reports none: every line is a result.
        const messages = await withDrain(ctx, () => b.load(ctx.req, { signal: ctx.signal }));
        const stream = new JsonStream(ctx.res);
        stream.start();
        for (const m of messages) await stream.send({ stream: `${m}\n` });
        ctx.res.end();
      },
    },
    {
      method: 'GET',
      path: '/images/get',
      handler: async (ctx) => {
        const names = ctx.query.getAll('names').flatMap((n) => n.split(',')).filter((n) => n !== '');
        if (names.length === 0) throw new InvalidParameter('no images specified');
        await save(ctx, names);
      },
    },
    {
      method: 'POST',
      path: '/images/create',
      handler: async (ctx) => {
        const fromSrc = ctx.query.get('fromSrc');
        if (fromSrc === null) {
          await drain(ctx.req);
          const fromImage = ctx.query.get('fromImage');
          if (!fromImage) throw new InvalidParameter('fromImage or fromSrc is required');
          const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
          await progressStream(ctx, (progress) =>
            b.pull({
              fromImage,
              ...(ctx.query.get('tag') ? { tag: ctx.query.get('tag')! } : {}),
              ...(ctx.query.get('platform') ? { platform: ctx.query.get('platform')! } : {}),
              ...(auth ? { auth } : {}),
              progress,
              signal: ctx.signal,
            }),
          );
          return;
        }
        if (fromSrc !== '-') throw new InvalidParameter('importing from a URL is not supported; send the tar as the request body (fromSrc=-)');
        const id = await withDrain(ctx, () =>
          b.import(ctx.req, {
            repo: ctx.query.get('repo') || undefined,
            tag: ctx.query.get('tag') || undefined,
            changes: ctx.query.getAll('changes'),
            message: ctx.query.get('message') || undefined,
            platform: ctx.query.get('platform') || undefined,
            signal: ctx.signal,
          }),
        );
        const stream = new JsonStream(ctx.res);
        await stream.send({ status: id });
        ctx.res.end();
      },
    },
    {
      method: 'POST',
      path: '/images/{name:.*}/push',
      handler: async (ctx) => {
        await drain(ctx.req);
        const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
        await progressStream(ctx, (progress) =>
          b.push({ name: ctx.params.name!, ...(ctx.query.get('tag') ? { tag: ctx.query.get('tag')! } : {}), ...(auth ? { auth } : {}), progress, signal: ctx.signal }),
        );
      },
    },
    {
      method: 'POST',
      path: '/auth',
      handler: async (ctx) => {
        const body = (await readJsonBody(ctx.req)) ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameter('invalid auth configuration: not a JSON object');
        const auth: RegistryAuth = {};
        for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
          if (typeof v === 'string' && v !== '') (auth as Record<string, string>)[k] = v;
        }
        await b.login(auth, ctx.signal);
        writeJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
      },
    },
    {
      method: 'GET',
      path: '/images/search',
      handler: async (ctx) => {
        const term = ctx.query.get('term');
        if (!term) throw new InvalidParameter('term is required');
        const limit = queryInt(ctx.query, 'limit');
        const auth = decodeRegistryAuth(ctx.req.headers['x-registry-auth']);
        writeJson(
          ctx.res,
          200,
          await b.search({ term, ...(limit !== undefined ? { limit } : {}), filters: parseFilters(ctx.query.get('filters')), ...(auth ? { auth } : {}), signal: ctx.signal }),
        );
      },
    },
    {
      method: 'POST',
      path: '/images/prune',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.prune(parseFilters(ctx.query.get('filters')))),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/json',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.inspect(ctx.params.name!, { withVirtualSize: oldSizes(ctx) })),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/history',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.history(ctx.params.name!)),
    },
    {
      method: 'GET',
      path: '/images/{name:.*}/get',
      handler: async (ctx) => save(ctx, [ctx.params.name!]),
    },
    {
      method: 'POST',
      path: '/images/{name:.*}/tag',
      handler: async (ctx) => {
        const repo = ctx.query.get('repo');
        if (!repo) throw new InvalidParameter('repository name must have at least one component');
        await b.tag(ctx.params.name!, repo, ctx.query.get('tag') || undefined);
        ctx.res.writeHead(201).end();
      },
    },
    {
      method: 'DELETE',
      path: '/images/{name:.*}',
      handler: async (ctx) =>
        writeJson(
          ctx.res,
          200,
          await b.remove(ctx.params.name!, { force: queryBool(ctx.query, 'force'), noprune: queryBool(ctx.query, 'noprune') }),
        ),
    },
  ];
}
