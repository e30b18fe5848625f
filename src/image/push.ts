/**
 * Pushing an image (Docker's `distribution/push_v2.go`, re-thought): for each layer, ask whether
 * the repository has the blob (HEAD), else try a cross-repository mount from repositories of the
 * same registry that are known to hold it, else upload it. Blobs held compressed (pulled images)
 * go out as stored, in one monolithic PUT, never recompressed; blobs held uncompressed (loaded,
 * committed or imported images) are gzip-compressed on the fly into a streamed upload and the
 * result is kept, so the next push of that layer re-uses it. Then the config and the manifest,
 * PUT by tag.
 */
import { createReadStream } from 'node:fs';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { Transform, PassThrough, type Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { InvalidParameter } from '../errdefs/index.js';
import { MediaType, type Descriptor, type Manifest } from '../oci/image.js';
import type { Reference } from '../oci/reference.js';
import type { ContentStore } from '../store/content/store.js';
import { compressionOf } from '../store/layers/compression.js';
import type { ImageLayer, ImageRecord } from '../store/metadata/images.js';
import type { Digest } from '../util/digest.js';
import type { Logger } from '../util/logger.js';
import { Semaphore } from '../util/semaphore.js';
import { RegistryError, asEngineError } from '../distribution/errcode.js';
import type { Registries } from '../distribution/registry/registry.js';
import type { AuthConfig } from '../distribution/registry/auth.js';
import { Repository } from '../distribution/registry/repository.js';
import { ByteProgress, type ProgressSink } from './progress.js';
import { shortDigest } from './pull.js';

/** Docker tries a mount from at most this many source repositories per blob. */
const MAX_MOUNT_ATTEMPTS = 3;

export interface PusherOptions {
  content: ContentStore;
  registries: Registries;
  logger: Logger;
  /** Docker's --max-concurrent-uploads (5). */
  maxConcurrentUploads: number;
  /** gzip level for layers held uncompressed (Docker's default compression is zlib's default, 6; speed matters more here). */
  gzipLevel?: number;
}

export interface PushRequest {
  /** With a tag. */
  ref: Reference;
  image: ImageRecord;
  auth?: AuthConfig;
  progress: ProgressSink;
  signal?: AbortSignal;
}

/** What a pusher needs to know about local images. */
export interface PushSources {
  /** Repositories (paths) of `domain` whose images hold `blob`: mount candidates. */
  reposWithBlob(blob: Digest, domain: string): string[];
  /** Record that `layer` now also exists as the compressed blob `blob` (a re-usable upload). */
  compressed(imageId: Digest, diffId: Digest, blob: Digest, mediaType: string): Promise<void>;
}

const DOCKER_TYPES: Record<string, string> = {
  [MediaType.OciLayerGzip]: MediaType.DockerLayer,
  [MediaType.DockerLayer]: MediaType.DockerLayer,
  [MediaType.DockerForeignLayer]: MediaType.DockerForeignLayer,
};
const OCI_TYPES: Record<string, string> = {
  [MediaType.DockerLayer]: MediaType.OciLayerGzip,
  [MediaType.DockerForeignLayer]: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar': MediaType.OciLayer,
};

export class Pusher {
  readonly #o: PusherOptions;
  readonly #uploads: Semaphore;

  constructor(o: PusherOptions) {
    this.#o = o;
    this.#uploads = new Semaphore(o.maxConcurrentUploads);
  }

  async push(req: PushRequest, sources: PushSources): Promise<{ digest: Digest; size: number }> {
    const { ref, image, signal } = req;
    if (ref.tag === undefined) throw new InvalidParameter('push needs a tag');
    const mountFrom = new Set<string>();
    for (const l of image.layers) for (const r of sources.reposWithBlob(l.blob, ref.domain).slice(0, MAX_MOUNT_ATTEMPTS)) mountFrom.add(r);
    mountFrom.delete(ref.path);
    const repo = new Repository(this.#o.registries.client(ref.domain, req.auth), ref.path, { push: true, mountFrom: [...mountFrom] });
    try {
      for (const l of image.layers) req.progress({ status: 'Preparing', progressDetail: {}, id: shortDigest(l.diffId) });
      const pushed = await Promise.allSettled(image.layers.map((l) => this.#uploads.run(() => this.#layer(repo, image, l, req, sources), () => req.progress({ status: 'Waiting', progressDetail: {}, id: shortDigest(l.diffId) }))));
      const failed = pushed.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const layers = pushed.map((r) => (r as PromiseFulfilledResult<Descriptor>).value);
      const config = await this.#o.content.read(image.id);
      if ((await repo.blobSize(image.id, signal)) === undefined) {
        const loc = await repo.startUpload(signal);
        await repo.finishUpload(loc, image.id, config.length, config, signal);
      }
      const docker = layers.every((d) => DOCKER_TYPES[d.mediaType] !== undefined);
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: docker ? MediaType.DockerManifest : MediaType.OciManifest,
        config: { mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig, size: config.length, digest: image.id },
        layers: layers.map((d) => ({ mediaType: docker ? DOCKER_TYPES[d.mediaType]! : (OCI_TYPES[d.mediaType] ?? d.mediaType), size: d.size, digest: d.digest })),
      };
      const body = Buffer.from(JSON.stringify(manifest, null, 3));
      const digest = await repo.putManifest(ref.tag, body, manifest.mediaType!, signal);
      return { digest, size: body.length };
    } catch (err) {
      throw err instanceof RegistryError ? asEngineError(err) : err;
    }
  }

  async #layer(repo: Repository, image: ImageRecord, l: ImageLayer, req: PushRequest, sources: PushSources): Promise<Descriptor> {
    const { content } = this.#o;
    const { signal } = req;
    const id = shortDigest(l.diffId);
    const kind = compressionOf(await content.head(l.blob, 8));
    const size = (await content.info(l.blob)).size;
    if (kind !== 'none') {
      const desc: Descriptor = { mediaType: l.mediaType, digest: l.blob, size };
      if ((await repo.blobSize(l.blob, signal)) !== undefined) {
        req.progress({ status: 'Layer already exists', progressDetail: {}, id });
        return desc;
      }
      let location: string | undefined;
      for (const from of sources.reposWithBlob(l.blob, repo.client.endpoint.domain).filter((r) => r !== repo.name).slice(0, MAX_MOUNT_ATTEMPTS)) {
        const m = await repo.mount(l.blob, from, signal);
        if (m.mounted) {
          req.progress({ status: `Mounted from ${from}`, progressDetail: {}, id });
          return desc;
        }
        location = m.location;
        break;
      }
      location ??= await repo.startUpload(signal);
      const progress = new ByteProgress(req.progress, id, 'Pushing', size);
      let sent = 0;
      const counted = content.createReadStream(l.blob).pipe(
        new Transform({
          transform(chunk: Buffer, _e, cb) {
            sent += chunk.length;
            progress.update(sent);
            cb(null, chunk);
          },
        }),
      );
      await repo.finishUpload(location, l.blob, size, counted, signal);
      req.progress({ status: 'Pushed', progressDetail: {}, id });
      return desc;
    }
    // Held uncompressed: gzip while uploading (digest known only at the end: a streamed PATCH,
    // then the closing PUT), and keep the compressed blob for the next push.
    const location = await repo.startUpload(signal);
    const progress = new ByteProgress(req.progress, id, 'Pushing', size);
    let read = 0;
    const hash = createHash('sha256');
    let zsize = 0;
    const keep = new PassThrough();
    const tee = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        zsize += chunk.length;
        keep.write(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        keep.end();
        cb();
      },
    });
    const source: Readable = createReadStream(content.path(l.blob), { highWaterMark: 1 << 20 }).pipe(
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          read += chunk.length;
          progress.update(read);
          cb(null, chunk);
        },
      }),
    );
    // Big output chunks: fewer hash updates, copies and socket writes per megabyte.
    const gz = createGzip({ level: this.#o.gzipLevel ?? zlibConstants.Z_BEST_SPEED, chunkSize: 256 * 1024 });
    const body = new PassThrough();
    const compressing = pipeline(source, gz, tee, body);
    const storing = content.ingest(keep);
    const uploading = repo.uploadStream(location, body, signal);
    const [, stored, next] = await Promise.all([compressing, storing, uploading]);
    const digest = `sha256:${hash.digest('hex')}` as Digest;
    if (stored.digest !== digest) throw new Error(`gzip stream and stored copy differ for layer ${l.diffId}`);
    await repo.finishUpload(next, digest, 0, Buffer.alloc(0), signal);
    await sources.compressed(image.id, l.diffId, digest, MediaType.DockerLayer);
    req.progress({ status: 'Pushed', progressDetail: {}, id });
    return { mediaType: MediaType.DockerLayer, digest, size: zsize };
  }
}

export { shortDigest };
