/**
 * Repository operations over a RegistryClient: manifests by tag or digest, blobs (ranged GETs
 * for resumed downloads), blob existence, cross-repository mounts, monolithic and chunked
 * uploads, manifest PUT. Digests of manifests fetched are verified here; blob bytes are verified
 * by whoever consumes the stream (it hashes while it writes).
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { DataLoss, System } from '../../errdefs/index.js';
import { sha256, type Digest } from '../../util/digest.js';
import { registryError } from '../errcode.js';
import { MANIFEST_ACCEPT } from '../manifest.js';
import { readBody, type RegistryClient } from './registry.js';

export const pullScope = (repo: string): string => `repository:${repo}:pull`;
export const pushScope = (repo: string): string => `repository:${repo}:pull,push`;

export interface FetchedManifest {
  body: Buffer;
  digest: Digest;
  contentType: string | undefined;
}

export class Repository {
  readonly client: RegistryClient;
  /** Path in the registry (`library/busybox`). */
  readonly name: string;
  readonly #scopes: string[];

  constructor(client: RegistryClient, name: string, o: { push?: boolean; mountFrom?: readonly string[] } = {}) {
    this.client = client;
    this.name = name;
    this.#scopes = [o.push ? pushScope(name) : pullScope(name), ...(o.mountFrom ?? []).filter((r) => r !== name).map(pullScope)];
  }

  #path(p: string): string {
    return `/v2/${this.name}/${p}`;
  }

  /** A manifest by tag or digest; by digest, the bytes must hash to it. */
  async manifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.client.request(
      { method: 'GET', path: this.#path(`manifests/${reference}`), scopes: this.#scopes, headers: { Accept: MANIFEST_ACCEPT.join(', ') }, ...(signal ? { signal } : {}) },
      [200],
    );
    const body = await readBody(res);
    const digest = sha256(body);
    if (reference.includes(':') && reference !== digest) {
      throw new DataLoss(`manifest verification failed for digest ${reference}`);
    }
    const header = res.headers['docker-content-digest'];
    if (!reference.includes(':') && typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
      throw new DataLoss(`manifest verification failed for digest ${header}`);
    }
    return { body, digest, contentType: res.headers['content-type'] };
  }

  /**
   * A blob from `offset` on. Resolves with the response and whether the registry honoured the
   * range (206); a 200 means the caller gets the whole blob and must start over.
   */
  async blob(digest: Digest, o: { offset?: number; signal?: AbortSignal; urls?: readonly string[] } = {}): Promise<{ res: IncomingMessage; ranged: boolean }> {
    const headers: Record<string, string> = {};
    if (o.offset) headers.Range = `bytes=${o.offset}-`;
    const res = await this.client.request({ method: 'GET', path: this.#path(`blobs/${digest}`), scopes: this.#scopes, headers, ...(o.signal ? { signal: o.signal } : {}) });
    const status = res.statusCode ?? 0;
    if (status === 206 && o.offset) return { res, ranged: true };
    if (status === 200) return { res, ranged: false };
    // 416: the partial bytes are no use (a different blob behind the same digest is impossible; a
    // registry that cannot range gives 200). Report it so the caller starts over.
    const body = await readBody(res).catch(() => Buffer.alloc(0));
    if (status === 416) return this.blob(digest, { ...o, offset: 0 });
    throw registryError(status, res.statusMessage ?? '', body);
  }

  /** Size of a blob the repository has, or undefined. */
  async blobSize(digest: Digest, signal?: AbortSignal): Promise<number | undefined> {
    const res = await this.client.request({ method: 'HEAD', path: this.#path(`blobs/${digest}`), scopes: this.#scopes, ...(signal ? { signal } : {}) });
    res.resume();
    if (res.statusCode === 200) return Number(res.headers['content-length'] ?? -1);
    if (res.statusCode === 404) return undefined;
    throw registryError(res.statusCode ?? 0, res.statusMessage ?? '', Buffer.alloc(0));
  }

  /**
   * Tries a cross-repository mount from `from`; true when the blob is now in this repository.
   * Otherwise the registry has opened an upload, whose location is returned for the data.
   */
  async mount(digest: Digest, from: string, signal?: AbortSignal): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.client.request(
      { method: 'POST', path: `${this.#path('blobs/uploads/')}?${q.toString()}`, scopes: this.#scopes, headers: { 'Content-Length': '0' }, ...(signal ? { signal } : {}) },
      [201, 202],
    );
    res.resume();
    if (res.statusCode === 201) return { mounted: true };
    return { mounted: false, location: this.#location(res) };
  }

  async startUpload(signal?: AbortSignal): Promise<string> {
    const res = await this.client.request(
      { method: 'POST', path: this.#path('blobs/uploads/'), scopes: this.#scopes, headers: { 'Content-Length': '0' }, ...(signal ? { signal } : {}) },
      [202],
    );
    res.resume();
    return this.#location(res);
  }

  #location(res: IncomingMessage): string {
    const loc = res.headers.location;
    if (!loc) throw new System(`registry ${this.client.endpoint.domain} opened an upload without a Location`);
    return new URL(loc, this.client.base).href;
  }

  /** Monolithic upload: the whole blob in the closing PUT. */
  async finishUpload(location: string, digest: Digest, size: number, body: Readable | Buffer, signal?: AbortSignal): Promise<void> {
    const url = new URL(location);
    url.searchParams.set('digest', digest);
    const res = await this.client.request(
      {
        method: 'PUT',
        path: url.href,
        scopes: this.#scopes,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
        body,
        ...(signal ? { signal } : {}),
      },
      [201],
    );
    res.resume();
  }

  /** A streamed PATCH of data whose size is not known up front; returns the upload's next location. */
  async uploadStream(location: string, body: Readable, signal?: AbortSignal): Promise<string> {
    const res = await this.client.request(
      { method: 'PATCH', path: location, scopes: this.#scopes, headers: { 'Content-Type': 'application/octet-stream' }, body, ...(signal ? { signal } : {}) },
      [202],
    );
    res.resume();
    return this.#location(res);
  }

  /** PUT a manifest under a tag (or its digest); returns the digest of the bytes sent. */
  async putManifest(reference: string, body: Buffer, mediaType: string, signal?: AbortSignal): Promise<Digest> {
    const res = await this.client.request(
      { method: 'PUT', path: this.#path(`manifests/${reference}`), scopes: this.#scopes, headers: { 'Content-Type': mediaType }, body, ...(signal ? { signal } : {}) },
      [200, 201, 202],
    );
    res.resume();
    return sha256(body);
  }

  async tags(signal?: AbortSignal): Promise<string[]> {
    const res = await this.client.request({ method: 'GET', path: this.#path('tags/list'), scopes: this.#scopes, ...(signal ? { signal } : {}) }, [200]);
    const j = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
    return j.tags ?? [];
  }
}
