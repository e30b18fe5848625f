import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type {
  EventMessage,
  Filters,
  HistoryResponseItem,
  ImageDeleteResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
  JsonMessage,
  SystemDfResponse,
  SystemVersion,
} from '../api/types.js';
import { encodeFilters } from '../api/filters.js';
import type { Volume, VolumeCreateOptions, VolumeListResponse, VolumePruneResponse } from '../api/volumes.js';
import type {
  NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest, NetworkInspect, NetworkPruneResponse,
} from '../api/networks.js';
import { System } from '../errdefs/index.js';
import { Transport, ensureOk, readAll, type Hijacked, type RequestOptions, type TransportOptions, type RawResponse } from './transport.js';

export const CLIENT_MAX_API_VERSION = '1.45';
/** The version assumed of a daemon whose ping carries no Api-Version header. */
const FALLBACK_API_VERSION = '1.24';

export interface ClientOptions extends TransportOptions {
  /** Fixed API version (DOCKER_API_VERSION); otherwise negotiated with the daemon on first use. */
  version?: string;
}

function lessThan(a: string, b: string): boolean {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am < bm || (am === bm && an < bn);
}

/** Split a stream of JSON values separated by newlines (NDJSON, Docker's progress streams). */
export async function* jsonLines<T>(body: Readable): AsyncGenerator<T> {
  // A chunk may end inside a multi-byte character: the decoder holds those bytes for the next.
  const decoder = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.write(chunk as Buffer);
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') yield JSON.parse(line) as T;
    }
  }
  buf += decoder.end();
  if (buf.trim() !== '') yield JSON.parse(buf) as T;
}

/**
 * The typed Engine API client (our SDK): every `estiba` command goes through it, and it
 * works against estibad and dockerd alike. Errors come back as errdefs kinds.
 */
export class EngineClient {
  readonly #t: Transport;
  #version: string | undefined;
  #negotiating: Promise<string> | undefined;

  constructor(o: ClientOptions) {
    this.#t = new Transport(o);
    this.#version = o.version;
  }

  get host(): string {
    return this.#t.host;
  }

  async apiVersion(): Promise<string> {
    if (this.#version) return this.#version;
    // Concurrent callers share one ping; a failed one is forgotten, so the next call asks again.
    this.#negotiating ??= this.#negotiate().finally(() => (this.#negotiating = undefined));
    return this.#negotiating;
  }

  async #negotiate(): Promise<string> {
    const res = await this.#t.request({ method: 'GET', path: '/_ping' });
    await readAll(res.body);
    const header = res.headers['api-version'];
    // As Docker's client: a daemon that sends no version predates the header, which came with 1.24.
    const server = typeof header === 'string' && header !== '' ? header : FALLBACK_API_VERSION;
    const v = lessThan(server, CLIENT_MAX_API_VERSION) ? server : CLIENT_MAX_API_VERSION;
    this.#version = v;
    return v;
  }

  async raw(o: RequestOptions): Promise<RawResponse> {
    const v = await this.apiVersion();
    return ensureOk(await this.#t.request({ ...o, path: `/v${v}${o.path}` }));
  }

  /** A request that takes over the connection (attach, exec start); see Transport.hijack. */
  async hijack(o: RequestOptions): Promise<Hijacked> {
    const v = await this.apiVersion();
    return this.#t.hijack({ ...o, path: `/v${v}${o.path}` });
  }

  /** A request whose JSON answer (or none) is returned parsed. */
  json<T>(o: RequestOptions): Promise<T> {
    return this.#json(o);
  }

  async #json<T>(o: RequestOptions): Promise<T> {
    const res = await this.raw(o);
    const text = (await readAll(res.body)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Read a progress stream to the end; throws the first error message in it. */
  async #stream(o: RequestOptions, onMessage?: (m: JsonMessage) => void): Promise<JsonMessage[]> {
    const res = await this.raw(o);
    const all: JsonMessage[] = [];
    for await (const m of jsonLines<JsonMessage>(res.body)) {
      if (m.error || m.errorDetail) throw new System(m.errorDetail?.message ?? m.error ?? 'unknown error');
      all.push(m);
      onMessage?.(m);
    }
    return all;
  }

  // ---- system ----
  async ping(): Promise<{ apiVersion: string | undefined; osType: string | undefined }> {
    const res = await ensureOk(await this.#t.request({ method: 'GET', path: '/_ping' }));
    await readAll(res.body);
    const h = res.headers;
    return { apiVersion: h['api-version'] as string | undefined, osType: h['ostype'] as string | undefined };
  }

  version(): Promise<SystemVersion> {
    return this.#json({ method: 'GET', path: '/version' });
  }

  info(): Promise<Record<string, unknown>> {
    return this.#json({ method: 'GET', path: '/info' });
  }

  systemDf(): Promise<SystemDfResponse> {
    return this.#json({ method: 'GET', path: '/system/df' });
  }

  /**
   * Follow the daemon's event stream until it ends or `signal` aborts. `onSubscribed` runs once
   * the daemon has answered, i.e. is subscribed: events from then on reach `onEvent`.
   */
  async events(
    o: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal; onSubscribed?: () => void },
    onEvent: (e: EventMessage) => void,
  ): Promise<void> {
    const res = await this.raw({
      method: 'GET',
      path: '/events',
      query: { since: o.since, until: o.until, filters: o.filters && o.filters.size > 0 ? encodeFilters(o.filters) : undefined },
      signal: o.signal,
    });
    o.onSubscribed?.();
    try {
      for await (const e of jsonLines<EventMessage>(res.body)) onEvent(e);
    } catch (err) {
      if (o.signal?.aborted) return;
      throw err;
    }
  }

  // ---- images ----
  imageList(o: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    return this.#json({
      method: 'GET',
      path: '/images/json',
      query: { all: o.all, digests: o.digests, filters: o.filters && o.filters.size > 0 ? encodeFilters(o.filters) : undefined },
    });
  }

  imageInspect(name: string): Promise<ImageInspect> {
    return this.#json({ method: 'GET', path: `/images/${encodeURIComponent(name)}/json` });
  }

  imageHistory(name: string): Promise<HistoryResponseItem[]> {
    return this.#json({ method: 'GET', path: `/images/${encodeURIComponent(name)}/history` });
  }

  async imageTag(source: string, repo: string, tag?: string): Promise<void> {
    await this.#json({ method: 'POST', path: `/images/${encodeURIComponent(source)}/tag`, query: { repo, tag } });
  }

  // ---- networks ----
  networkList(filters?: Filters): Promise<NetworkInspect[]> {
    return this.#json({ method: 'GET', path: '/networks', query: { filters: filters && filters.size > 0 ? encodeFilters(filters) : undefined } });
  }

  networkInspect(ref: string): Promise<NetworkInspect> {
    return this.#json({ method: 'GET', path: `/networks/${encodeURIComponent(ref)}` });
  }

  networkCreate(req: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.#json({ method: 'POST', path: '/networks/create', body: req });
  }

  async networkRemove(ref: string): Promise<void> {
    await this.#json({ method: 'DELETE', path: `/networks/${encodeURIComponent(ref)}` });
  }

  networkPrune(filters?: Filters): Promise<NetworkPruneResponse> {
    return this.#json({ method: 'POST', path: '/networks/prune', query: { filters: filters && filters.size > 0 ? encodeFilters(filters) : undefined } });
  }

  async networkConnect(ref: string, req: NetworkConnectRequest): Promise<void> {
    await this.#json({ method: 'POST', path: `/networks/${encodeURIComponent(ref)}/connect`, body: req });
  }

  async networkDisconnect(ref: string, req: NetworkDisconnectRequest): Promise<void> {
    await this.#json({ method: 'POST', path: `/networks/${encodeURIComponent(ref)}/disconnect`, body: req });
  }

  imageRemove(name: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    return this.#json({ method: 'DELETE', path: `/images/${encodeURIComponent(name)}`, query: { force: o.force, noprune: o.noprune } });
  }

  imagePrune(filters?: Filters): Promise<ImagePruneResponse> {
    return this.#json({
      method: 'POST',
      path: '/images/prune',
      query: { filters: filters && filters.size > 0 ? encodeFilters(filters) : undefined },
    });
  }

  imageLoad(input: Readable, o: { quiet?: boolean } = {}, onMessage?: (m: JsonMessage) => void): Promise<JsonMessage[]> {
    return this.#stream(
      { method: 'POST', path: '/images/load', query: { quiet: o.quiet }, upload: input, headers: { 'Content-Type': 'application/x-tar' } },
      onMessage,
    );
  }

  /** The tar stream of `docker save`. */
  async imageSave(names: readonly string[]): Promise<Readable> {
    const res = await this.raw({ method: 'GET', path: '/images/get', query: { names: [...names] } });
    return res.body;
  }

  async imageImport(
    input: Readable,
    o: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string },
  ): Promise<string> {
    const msgs = await this.#stream({
      method: 'POST',
      path: '/images/create',
      query: { fromSrc: '-', repo: o.repo, tag: o.tag, changes: o.changes, message: o.message, platform: o.platform },
      upload: input,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    return msgs.at(-1)?.status ?? '';
  }

  // ---- registry ----

  /** POST /images/create?fromImage: progress messages go to onMessage; an error line throws. */
  imagePull(o: { fromImage: string; tag?: string; platform?: string; registryAuth?: string }, onMessage?: (m: JsonMessage) => void): Promise<JsonMessage[]> {
    return this.#stream(
      {
        method: 'POST',
        path: '/images/create',
        query: { fromImage: o.fromImage, tag: o.tag, platform: o.platform },
        headers: o.registryAuth ? { 'X-Registry-Auth': o.registryAuth } : {},
      },
      onMessage,
    );
  }

  imagePush(o: { name: string; tag?: string; registryAuth?: string }, onMessage?: (m: JsonMessage) => void): Promise<JsonMessage[]> {
    return this.#stream(
      {
        method: 'POST',
        path: `/images/${encodeURIComponent(o.name)}/push`,
        query: { tag: o.tag },
        headers: { 'X-Registry-Auth': o.registryAuth ?? 'e30=' },
      },
      onMessage,
    );
  }

  /** POST /auth: the daemon checks the credentials against the registry. */
  registryLogin(auth: { username?: string; password?: string; serveraddress?: string; identitytoken?: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.#json({ method: 'POST', path: '/auth', body: auth });
  }

  imageSearch(o: { term: string; limit?: number; filters?: Filters; registryAuth?: string }): Promise<{ name: string; description?: string; star_count?: number; is_official?: boolean; is_automated?: boolean }[]> {
    return this.#json({
      method: 'GET',
      path: '/images/search',
      query: { term: o.term, limit: o.limit, filters: o.filters && o.filters.size > 0 ? encodeFilters(o.filters) : undefined },
      headers: o.registryAuth ? { 'X-Registry-Auth': o.registryAuth } : {},
    });
  }

  // ---- volumes ----
  volumeList(filters?: Filters): Promise<VolumeListResponse> {
    return this.#json({ method: 'GET', path: '/volumes', query: { filters: filters && filters.size > 0 ? encodeFilters(filters) : undefined } });
  }

  volumeCreate(o: VolumeCreateOptions): Promise<Volume> {
    return this.#json({ method: 'POST', path: '/volumes/create', body: o });
  }

  volumeInspect(name: string): Promise<Volume> {
    return this.#json({ method: 'GET', path: `/volumes/${encodeURIComponent(name)}` });
  }

  async volumeRemove(name: string, o: { force?: boolean } = {}): Promise<void> {
    await this.#json({ method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}`, query: { force: o.force } });
  }

  volumePrune(filters?: Filters): Promise<VolumePruneResponse> {
    return this.#json({ method: 'POST', path: '/volumes/prune', query: { filters: filters && filters.size > 0 ? encodeFilters(filters) : undefined } });
  }

  /**
   * `POST /build` with a tar context; `onMessage` sees the stream as it comes. A failed build
   * throws an error whose `code` is the daemon's errorDetail code (a failed RUN's exit code).
   */
  async imageBuild(context: Readable, query: Record<string, string | string[] | undefined>, onMessage: (m: JsonMessage) => void): Promise<void> {
    const res = await this.raw({ method: 'POST', path: '/build', query, upload: context, headers: { 'Content-Type': 'application/x-tar' } });
    for await (const m of jsonLines<JsonMessage>(res.body)) {
      if (m.error !== undefined || m.errorDetail !== undefined) {
        throw Object.assign(new System(m.errorDetail?.message ?? m.error ?? 'unknown error'), { code: m.errorDetail?.code ?? 1 });
      }
      onMessage(m);
    }
  }
}
