/**
 * Pulling an image (Docker's `distribution/pull_v2.go`, re-thought): resolve the reference to a
 * manifest (through an index, for the wanted platform), fetch and verify the config, then fetch
 * the layers that are not here yet, several at a time. Each layer is unpacked while it downloads
 * (layers are independent directories keyed by chain ID, so order does not matter), and its
 * bytes also collect in a partial file under the content store: a dropped connection, a cancelled
 * pull or a daemon restart keeps them, and the next attempt asks for the rest with a Range
 * request. Blobs are verified against their digests; layers against their diff IDs.
 *
 * Everything a pull writes is named in a lease before it is written, so GC leaves it alone until
 * the image record exists (or the lease expires). The caller writes the record and the tags.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rm, stat, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DataLoss, EstibaError, InvalidParameter, NotFound, System, isDataLoss, isErrno, messageOf } from '../errdefs/index.js';
import type { ImageConfig, Descriptor, Manifest, Platform } from '../oci/image.js';
import { familiarName, familiarString, type Reference } from '../oci/reference.js';
import type { ContentStore } from '../store/content/store.js';
import { chainIds, type LayerStore } from '../store/layers/store.js';
import { applyLayer } from '../store/layers/apply.js';
import type { ImageLayer } from '../store/metadata/images.js';
import type { LeaseStore } from '../store/metadata/leases.js';
import { isDigest, sha256, type Digest } from '../util/digest.js';
import type { Logger } from '../util/logger.js';
import { KeyedMutex } from '../util/mutex.js';
import { Semaphore } from '../util/semaphore.js';
import { RegistryError, asEngineError } from '../distribution/errcode.js';
import { isLayerMediaType, parseManifest, selectManifest, platformMatches, formatPlatform, normalizePlatform } from '../distribution/manifest.js';
import type { Registries } from '../distribution/registry/registry.js';
import type { AuthConfig } from '../distribution/registry/auth.js';
import { Repository } from '../distribution/registry/repository.js';
import { TransportError, readBody } from '../distribution/registry/registry.js';
import { ByteProgress, type ProgressSink } from './progress.js';

/** Leases of pulls live a day: long enough to resume, short enough not to hoard disk. */
const PULL_LEASE_TTL_MS = 24 * 3600 * 1000;
const MAX_CONFIG_SIZE = 8 * 1024 * 1024;

export interface PullerOptions {
  content: ContentStore;
  layers: LayerStore;
  leases: LeaseStore;
  registries: Registries;
  logger: Logger;
  /** Docker's --max-concurrent-downloads (3). */
  maxConcurrentDownloads: number;
  /** Docker's --max-download-attempts (5). */
  maxDownloadAttempts: number;
  /** Delay before retry number `attempt` (1-based); Docker waits 5 s more each time. */
  retryDelayMs?: (attempt: number) => number;
  /** The host's platform: what an index resolves to without --platform. */
  defaultPlatform: Platform;
}

export interface PullRequest {
  /** Normalised, with a tag or a digest. */
  ref: Reference;
  platform?: Platform;
  auth?: AuthConfig;
  progress: ProgressSink;
  signal?: AbortSignal;
}

/** What the caller knows about images already stored. */
export interface StoredImages {
  /** The layers of a complete stored image with this ID. */
  image(id: Digest): ImageLayer[] | undefined;
  /** A stored blob (with its media type) whose content is the layer `diffId`, from any image. */
  blobFor(diffId: Digest): { blob: Digest; mediaType: string } | undefined;
}

export interface PulledImage {
  id: Digest;
  layers: ImageLayer[];
  manifestDigest: Digest;
  /** The image was here already: nothing was fetched but the manifest. */
  present: boolean;
  /** Release what the pull holds from GC (once its image record is written). */
  release(): Promise<void>;
}

/** Docker's 12-hex short form of a digest, used as progress IDs. */
export const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

/** Network failures worth another attempt; registry answers and bad data are not (moby's retryOnError). */
function retryable(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  if (err instanceof RegistryError || isDataLoss(err)) return false;
  // A request that failed before it left (no credentials, a refused token) is not a network failure.
  if (err instanceof TransportError) return !(err.cause instanceof EstibaError);
  return isErrno(err, 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ERR_STREAM_PREMATURE_CLOSE', 'ECONNABORTED') || (err instanceof Error && err.message === 'aborted');
}

export class Puller {
  readonly #o: PullerOptions;
  /** One download per blob at a time, daemon-wide: two pulls of one layer share the partial file. */
  readonly #blobLock = new KeyedMutex();
  readonly #downloads: Semaphore;

  constructor(o: PullerOptions) {
    this.#o = o;
    this.#downloads = new Semaphore(o.maxConcurrentDownloads);
  }

  /** Fetch the manifest, config and layers for `req.ref`; `hasImage` tells whether an image ID is stored complete. */
  async pull(req: PullRequest, stored: StoredImages): Promise<PulledImage> {
    const { ref, signal } = req;
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
    const { repo, fetched } = await this.#resolve(req, tagOrDigest);
    let parsed = parseManifest(fetched.body, fetched.contentType);
    const manifestDigest = fetched.digest;
    const want = req.platform ?? this.#o.defaultPlatform;
    if (parsed.kind === 'index') {
      const desc = selectManifest(parsed.index, want);
      const inner = await repo.manifest(desc.digest, signal).catch((err: unknown) => {
        throw translatePullError(err, ref);
      });
      parsed = parseManifest(inner.body, inner.contentType ?? desc.mediaType);
      if (parsed.kind !== 'manifest') throw new InvalidParameter(`invalid manifest: index ${manifestDigest} refers to another index`);
    }
    const manifest: Manifest = parsed.manifest;
    req.progress({ status: `Pulling from ${ref.path}`, id: tagOrDigest });
    for (const l of manifest.layers) {
      if (!isLayerMediaType(l.mediaType)) throw new InvalidParameter(`unsupported layer media type ${l.mediaType} in ${familiarString(ref)}`);
    }
    // The manifest digest Docker records is that of what the tag or digest named (the index when there is one).
    const configDesc = manifest.config;
    const existing = stored.image(configDesc.digest);
    if (existing) {
      return { id: configDesc.digest, layers: existing, manifestDigest, present: true, release: async () => undefined };
    }
    const configBytes = await this.#fetchConfig(repo, configDesc, signal);
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && isDigest(d))) {
      throw new InvalidParameter(`invalid image config ${configDesc.digest}: no rootfs.diff_ids`);
    }
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidParameter(`invalid image ${configDesc.digest}: config lists ${diffIds.length} layers, manifest ${manifest.layers.length}`);
    }
    if (req.platform && config.os && config.architecture) {
      const have: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
      if (!platformMatches(req.platform, have)) {
        throw new NotFound(
          `image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${formatPlatform(normalizePlatform(req.platform))}, actual: ${formatPlatform(normalizePlatform(have))}`,
        );
      }
    }
    const chain = chainIds(diffIds);
    const recorded: ImageLayer[] = manifest.layers.map((l, i) => ({ diffId: diffIds[i]!, blob: l.digest, mediaType: l.mediaType }));
    const lease = await this.#o.leases.create({ ttlMs: PULL_LEASE_TTL_MS, blobs: [configDesc.digest, ...manifest.layers.map((l) => l.digest)], layers: chain });
    try {
      await this.#o.content.put(configBytes, configDesc.digest);
      const missing: number[] = [];
      for (let i = 0; i < chain.length; i++) {
        const d = manifest.layers[i]!;
        const have = (await this.#o.layers.get(chain[i]!)) !== undefined;
        const blob = (await this.#o.content.has(d.digest)) ? { blob: d.digest, mediaType: d.mediaType } : stored.blobFor(diffIds[i]!);
        if (have && blob) {
          recorded[i] = { diffId: diffIds[i]!, ...blob };
          req.progress({ status: 'Already exists', progressDetail: {}, id: shortDigest(d.digest) });
        } else missing.push(i);
      }
      for (const i of missing) req.progress({ status: 'Pulling fs layer', progressDetail: {}, id: shortDigest(manifest.layers[i]!.digest) });
      await allOrFirstError(
        missing.map((i) =>
          this.#layer(repo, {
            desc: manifest.layers[i]!,
            diffId: diffIds[i]!,
            parent: i === 0 ? undefined : chain[i - 1],
            chainId: chain[i]!,
            progress: req.progress,
            ...(signal ? { signal } : {}),
          }),
        ),
      );
    } catch (err) {
      // The lease stays: a retry re-uses the complete layers and the partial bytes.
      throw err;
    }
    return {
      id: configDesc.digest,
      layers: recorded,
      manifestDigest,
      present: false,
      release: () => this.#o.leases.delete(lease.id),
    };
  }

  /**
   * The manifest from the first endpoint that has it: mirrors in order, then the registry. Any
   * failure of a mirror (unreachable, 404, denied) falls back to the next, as Docker does; the
   * rest of the pull then talks to the endpoint that answered.
   */
  async #resolve(req: PullRequest, tagOrDigest: string): Promise<{ repo: Repository; fetched: Awaited<ReturnType<Repository['manifest']>> }> {
    const { ref, signal } = req;
    const clients = this.#o.registries.pullClients(ref.domain, req.auth);
    for (let i = 0; ; i++) {
      const repo = new Repository(clients[i]!, ref.path);
      try {
        return { repo, fetched: await repo.manifest(tagOrDigest, signal) };
      } catch (err) {
        if (i === clients.length - 1 || signal?.aborted) throw translatePullError(err, ref);
        this.#o.logger.info('pull from mirror failed, trying the next endpoint', { mirror: clients[i]!.base, ref: familiarString(ref), error: messageOf(err) });
      }
    }
  }

  async #fetchConfig(repo: Repository, desc: Descriptor, signal?: AbortSignal): Promise<Buffer> {
    if (await this.#o.content.has(desc.digest)) return this.#o.content.read(desc.digest);
    if (desc.size > MAX_CONFIG_SIZE) throw new InvalidParameter(`image config ${desc.digest} is too large (${desc.size} bytes)`);
    const { res } = await repo.blob(desc.digest, signal ? { signal } : {});
    const body = await readBody(res, MAX_CONFIG_SIZE);
    if (sha256(body) !== desc.digest) throw new DataLoss(`image config verification failed for digest ${desc.digest}`);
    return body;
  }

  /** One layer: wait for a download slot, then download-and-unpack with retries. */
  async #layer(repo: Repository, l: { desc: Descriptor; diffId: Digest; parent: Digest | undefined; chainId: Digest; progress: ProgressSink; signal?: AbortSignal }): Promise<void> {
    const id = shortDigest(l.desc.digest);
    await this.#downloads.run(
      () =>
        this.#blobLock.run(l.desc.digest, async () => {
          for (let attempt = 1; ; attempt++) {
            try {
              await this.#attempt(repo, l, id);
              return;
            } catch (err) {
              if (attempt >= this.#o.maxDownloadAttempts || !retryable(err, l.signal)) throw err;
              const delay = (this.#o.retryDelayMs ?? ((a: number) => a * 5000))(attempt);
              this.#o.logger.warn('layer download failed, retrying', { digest: l.desc.digest, attempt, error: messageOf(err) });
              for (let left = Math.ceil(delay / 1000); left > 0; left--) {
                l.progress({ status: `Retrying in ${left} second${left === 1 ? '' : 's'}`, progressDetail: {}, id });
                await sleep(Math.min(1000, delay), l.signal);
              }
              if (delay === 0) await sleep(0, l.signal);
            }
          }
        }),
      () => l.progress({ status: 'Waiting', progressDetail: {}, id }),
    );
  }

  async #attempt(repo: Repository, l: { desc: Descriptor; diffId: Digest; parent: Digest | undefined; chainId: Digest; progress: ProgressSink; signal?: AbortSignal }, id: string): Promise<void> {
    const { content, layers } = this.#o;
    const { desc, signal } = l;
    if (await content.has(desc.digest)) {
      // Downloaded by an earlier attempt (or another image): unpack from the store.
      l.progress({ status: 'Extracting', progressDetail: { current: desc.size, total: desc.size }, id });
      await layers.create({ parent: l.parent, diffId: l.diffId, apply: (dest) => applyLayer({ input: content.createReadStream(desc.digest), dest, ...(signal ? { signal } : {}) }) });
      l.progress({ status: 'Pull complete', progressDetail: {}, id });
      return;
    }
    const partial = content.partialPath(desc.digest);
    let have = await stat(partial).then((s) => s.size, (err: unknown) => {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    });
    if (have > desc.size) {
      await rm(partial, { force: true });
      have = 0;
    }
    let res: IncomingMessage;
    try {
      const got = await repo.blob(desc.digest, { offset: have, ...(signal ? { signal } : {}), ...(desc.urls ? { urls: desc.urls } : {}) });
      res = got.res;
      if (!got.ranged && have > 0) {
        await truncate(partial, 0);
        have = 0;
      }
    } catch (err) {
      throw err instanceof RegistryError ? asEngineError(err) : err;
    }
    const progress = new ByteProgress(l.progress, id, 'Downloading', desc.size);
    const hash = createHash('sha256');
    let size = 0;
    const resumedFrom = have;
    let committed = false;
    const out: WriteStream = createWriteStream(partial, { flags: have > 0 ? 'a' : 'w' });
    // Bytes kept from earlier attempts are replayed into the hash and the unpacker, then the rest comes over the network.
    async function* source(): AsyncGenerator<Buffer> {
      try {
        if (resumedFrom > 0) {
          for await (const c of createReadStream(partial, { end: resumedFrom - 1 })) {
            const b = c as Buffer;
            hash.update(b);
            size += b.length;
            yield b;
          }
        }
        for await (const c of res) {
          const b = c as Buffer;
          if (size + b.length > desc.size) throw new DataLoss(`filesystem layer verification failed for digest ${desc.digest}`);
          hash.update(b);
          size += b.length;
          if (!out.write(b)) await once(out, 'drain');
          progress.update(size);
          yield b;
        }
        if (size !== desc.size) {
          const e = new Error('aborted') as NodeJS.ErrnoException;
          e.code = 'ECONNRESET';
          throw new TransportError('GET', `${repo.client.base}/v2/${repo.name}/blobs/${desc.digest}`, new Error(`unexpected EOF after ${size} of ${desc.size} bytes`, { cause: e }));
        }
        const got = `sha256:${hash.digest('hex')}` as Digest;
        if (got !== desc.digest) {
          await closeStream(out);
          await rm(partial, { force: true });
          throw new DataLoss(`filesystem layer verification failed for digest ${desc.digest}`);
        }
        l.progress({ status: 'Verifying Checksum', progressDetail: {}, id });
        await closeStream(out);
        await content.commitPartial(desc.digest, size);
        committed = true;
        l.progress({ status: 'Download complete', progressDetail: {}, id });
      } finally {
        if (!out.closed) await closeStream(out);
        res.destroy();
      }
    }
    // The unpacker may stop at the tar's end marker: what follows still counts for the digest, so
    // the stream is read to its end before the layer is accepted.
    // The download feeds the unpacker but does not depend on it: if the unpacker gives up (a
    // corrupt stream), the rest is still read so that the digest tells a damaged transfer
    // (verification failure) from a bad layer; and a failure of the download itself is what is
    // reported, not the unpacker's view of it.
    const unpack = async (dest: string): Promise<{ diffId: Digest; size: number }> => {
      const pass = new PassThrough({ highWaterMark: 1 << 20 });
      const feeding = (async () => {
        for await (const b of source()) {
          if (pass.destroyed) continue;
          if (!pass.write(b)) {
            await new Promise<void>((resolve) => {
              pass.once('drain', resolve);
              pass.once('close', resolve);
            });
          }
        }
        if (!pass.destroyed) pass.end();
      })();
      feeding.catch((err: unknown) => pass.destroy(err as Error));
      const [fed, applied] = await Promise.allSettled([feeding, applyLayer({ input: pass, dest, ...(signal ? { signal } : {}) })]);
      if (fed.status === 'rejected') throw fed.reason;
      if (applied.status === 'rejected') throw applied.reason;
      if (!committed) throw new DataLoss(`filesystem layer verification failed for digest ${desc.digest}`);
      return applied.value;
    };
    try {
      if (await layers.get(l.chainId)) {
        // The layer is unpacked already but its blob is not here (it came another way): fetch the blob only.
        for await (const _ of source()) void _;
      } else await layers.create({ parent: l.parent, diffId: l.diffId, apply: unpack });
    } catch (err) {
      // A blob whose resumed bytes do not verify (a partial file damaged by a crash) starts over once.
      if (isDataLoss(err) && resumedFrom > 0 && !(await content.has(desc.digest))) {
        await rm(partial, { force: true });
        const e = new Error('aborted') as NodeJS.ErrnoException;
        e.code = 'ECONNRESET';
        throw e;
      }
      throw err;
    }
    l.progress({ status: 'Extracting', progressDetail: { current: desc.size, total: desc.size }, id });
    l.progress({ status: 'Pull complete', progressDetail: {}, id });
  }
}

async function closeStream(s: WriteStream): Promise<void> {
  if (s.closed) return;
  const closed = once(s, 'close');
  s.end();
  await closed;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

/** Waits for all; rejects with the first failure, but only once every task has stopped. */
async function allOrFirstError(tasks: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Docker's wording for a manifest that cannot be had (moby distribution/errors.go). */
export function translatePullError(err: unknown, ref: Reference): unknown {
  if (!(err instanceof RegistryError)) return err;
  switch (err.code) {
    case 'DENIED':
      return asEngineError(err, `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`);
    case 'UNAUTHORIZED':
      // moby reports it as an unknown error (500): a 401 would make the docker CLI prompt for a login.
      return new System(err.message, { cause: err });
    case 'MANIFEST_UNKNOWN':
      return asEngineError(err, `manifest for ${familiarString(ref)} not found: ${err.message}`);
    case 'NAME_UNKNOWN':
      return asEngineError(err, `repository ${familiarName(ref)} not found: ${err.message}`);
  }
  return asEngineError(err);
}
