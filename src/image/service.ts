import { PassThrough, type Readable, type Writable } from 'node:stream';
import { Conflict, InvalidParameter, DataLoss, NotFound, NotImplemented, System } from '../errdefs/index.js';
import type {
  HistoryResponseItem,
  ImageDeleteResponseItem,
  ImageInspect,
  ImagePruneResponse,
  ImageSummary,
  Filters,
} from '../api/types.js';
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../oci/image.js';
import { MediaType } from '../oci/image.js';
import { familiarName, familiarString, fullName, parseNormalizedReference, referenceString, type Reference } from '../oci/reference.js';
import type { ContentStore } from '../store/content/store.js';
import { chainIds, type LayerStore } from '../store/layers/store.js';
import { applyLayer, compressionOf, diffIdOfTar } from '../store/layers/apply.js';
import type { ImageLayer, ImageMetadataStore, ImageRecord } from '../store/metadata/images.js';
import type { Logger } from '../util/logger.js';
import { KeyedMutex } from '../util/mutex.js';
import { RwLock } from '../util/rwlock.js';
import { sha256, type Digest } from '../util/digest.js';
import { formatRfc3339Nano, rfc3339Nano } from '../util/time.js';
import { readArchive } from './archive-read.js';
import { parseArchiveImages, type ArchiveImage } from './archive-parse.js';
import { writeArchive, type SaveItem } from './archive-write.js';
import { applyChanges } from './changes.js';
import { parseTagTarget, resolveImage, shortId } from './lookup.js';
import { matchImageFilters, validateImageFilters } from './filters.js';
import type { LeaseStore } from '../store/metadata/leases.js';
import type { AuthConfig } from '../distribution/registry/auth.js';
import { parsePlatform } from '../distribution/manifest.js';
import { Repository } from '../distribution/registry/repository.js';
import type { Puller, StoredImages } from './pull.js';
import type { Pusher, PushSources } from './push.js';
import { readBody, type Registries } from '../distribution/registry/registry.js';
import { DOCKER_HUB_DOMAIN } from '../distribution/registry/endpoint.js';
import type { ProgressSink } from './progress.js';

/** The diff ID of a tar with no entries (1024 zero bytes): Docker's empty layer. */
const EMPTY_TAR_DIGEST: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

/** Who uses an image besides its tags: containers (the containers issue plugs in here). */
export interface ImageUsage {
  containersUsing(imageId: Digest): { id: string; running: boolean }[];
  /** Layers that containers hold (their image chains); GC keeps them. */
  layersInUse?(): Set<Digest>;
}

export type ImageEventSink = (action: string, imageId: string, attributes: Record<string, string>) => void;

/** What a build step gives the image service (see ImageService.createBuildImage). */
export interface BuildImageOptions {
  parent?: Digest;
  layer?: (out: Writable) => Promise<void>;
  config: ContainerConfig;
  history: Omit<HistoryEntry, 'created' | 'empty_layer'>;
  author?: string;
  containerId?: string;
  containerConfig?: ContainerConfig;
  /** For `FROM scratch`: the platform of the new image. */
  platform?: { os: string; architecture: string };
}

/** What `docker commit` gives the image service (see ImageService.commit). */
export interface CommitOptions {
  parent: Digest;
  layer: (out: Writable) => Promise<void>;
  config: ContainerConfig;
  containerId: string;
  containerConfig: ContainerConfig;
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  changes?: string[];
  createdBy?: string;
}

export interface ImageServiceOptions {
  content: ContentStore;
  layers: LayerStore;
  meta: ImageMetadataStore;
  logger: Logger;
  emit?: ImageEventSink;
  usage?: ImageUsage;
  now?: () => Date;
  /** Where unpacked layers live, for GraphDriver data. */
  graphDriverName?: string;
  /** Protects what pulls write from GC until their image exists; required for pull. */
  leases?: LeaseStore;
  /** Registry access; without it, pull and push are unavailable. */
  registry?: { registries: Registries; puller: Puller; pusher: Pusher };
}

/** POST /images/create?fromImage=…: what to pull. */
export interface PullOptions {
  fromImage: string;
  /** A tag or a digest; empty pulls every tag of the repository (docker pull -a). */
  tag?: string;
  platform?: string;
  auth?: AuthConfig;
  progress: ProgressSink;
  signal?: AbortSignal;
}

/** POST /images/{name}/push: what to push. */
export interface PushOptions {
  name: string;
  /** Push only this tag; without it, every tag of the repository. */
  tag?: string;
  auth?: AuthConfig;
  progress: ProgressSink;
  signal?: AbortSignal;
}

export interface ListOptions {
  all?: boolean;
  filters?: Filters;
  /** Include digest references in RepoDigests (always on; kept for API symmetry). */
  digests?: boolean;
  /** API < 1.44 still carries VirtualSize. */
  withVirtualSize?: boolean;
}


/**
 * The image service: the daemon's one entry point to local images. Mutations of one image
 * are serialised by ID; the metadata store keeps every record on disk atomically.
 */
export class ImageService {
  readonly #o: ImageServiceOptions;
  readonly #configs = new Map<Digest, ImageConfig>();
  readonly #sizes = new Map<Digest, number>();
  readonly #layerSizes = new Map<Digest, number>();
  readonly #lock = new KeyedMutex();
  /**
   * Operations that write blobs and layers before any image refers to them (load, import)
   * hold this shared; GC holds it exclusive, so it never sees their work half-referenced.
   * Never wait for it while holding an image lock: GC runs outside them.
   */
  readonly #gcLock = new RwLock();

  constructor(opts: ImageServiceOptions) {
    this.#o = opts;
  }

  get #now(): Date {
    return (this.#o.now ?? (() => new Date()))();
  }

  /**
   * Image events carry the image's labels and a `name` (the reference acted on, else the ID), as
   * dockerd's LogImageEvent does, so that `docker events --filter label=…` sees them.
   */
  async #emit(action: string, id: Digest, name?: string): Promise<void> {
    if (!this.#o.emit) return;
    const labels = (await this.#o.content.has(id)) ? ((await this.config(id)).config?.Labels ?? {}) : {};
    this.#o.emit(action, id, { ...labels, name: name ?? id });
  }

  /** Start-up: finish interrupted tag transactions, drop broken images, collect garbage. */
  async init(): Promise<void> {
    const { meta, layers } = this.#o;
    for (const img of meta.listImages()) {
      const chain = chainIds(img.layers.map((l) => l.diffId));
      const complete =
        (await this.#o.content.has(img.id)) && (await Promise.all(chain.map((c) => layers.get(c)))).every(Boolean);
      if (!complete) {
        this.#o.logger.warn('dropping incomplete image record', { id: img.id });
        await meta.deleteRefs(meta.refsOf(img.id));
        await meta.deleteImage(img.id);
        continue;
      }
      if (img.pendingRefs && img.pendingRefs.length > 0) {
        for (const r of img.pendingRefs) await meta.setRef(r, img.id);
        const { pendingRefs: _done, ...rest } = img;
        await meta.putImage(rest);
      }
    }
    const dangling = [...meta.refs()].filter(([, id]) => !meta.getImage(id)).map(([n]) => n);
    if (dangling.length > 0) await meta.deleteRefs(dangling);
    await this.#collectGarbage();
  }

  // ---- queries ------------------------------------------------------------------------

  async config(id: Digest): Promise<ImageConfig> {
    let c = this.#configs.get(id);
    if (!c) {
      c = JSON.parse((await this.#o.content.read(id)).toString('utf8')) as ImageConfig;
      this.#configs.set(id, c);
    }
    return c;
  }

  async #layerSize(chainId: Digest): Promise<number> {
    let s = this.#layerSizes.get(chainId);
    if (s === undefined) {
      s = (await this.#o.layers.mustGet(chainId)).size;
      this.#layerSizes.set(chainId, s);
    }
    return s;
  }

  async size(img: ImageRecord): Promise<number> {
    let s = this.#sizes.get(img.id);
    if (s === undefined) {
      s = 0;
      for (const c of chainIds(img.layers.map((l) => l.diffId))) s += await this.#layerSize(c);
      this.#sizes.set(img.id, s);
    }
    return s;
  }

  resolve(name: string): ImageRecord {
    return resolveImage(this.#o.meta, name).image;
  }

  /** Full chain ID of the image's top layer, or undefined for an image with no layers. */
  topLayer(img: ImageRecord): Digest | undefined {
    return chainIds(img.layers.map((l) => l.diffId)).at(-1);
  }

  #repoTags(id: Digest): string[] {
    return this.#o.meta
      .refsOf(id)
      .filter((r) => !r.includes('@'))
      .map((r) => familiarString(parseNormalizedReference(r)));
  }

  #repoDigests(img: ImageRecord): string[] {
    const fromRefs = this.#o.meta
      .refsOf(img.id)
      .filter((r) => r.includes('@'))
      .map((r) => familiarString(parseNormalizedReference(r)));
    return [...new Set([...img.repoDigests, ...fromRefs])];
  }

  async #summary(img: ImageRecord, withVirtualSize: boolean): Promise<ImageSummary> {
    const cfg = await this.config(img.id);
    const size = await this.size(img);
    const s: ImageSummary = {
      Containers: -1,
      Created: cfg.created ? Math.floor(Date.parse(cfg.created) / 1000) : 0,
      Id: img.id,
      Labels: cfg.config?.Labels ?? null,
      ParentId: img.parent ?? '',
      RepoDigests: this.#repoDigests(img),
      RepoTags: this.#repoTags(img.id),
      SharedSize: -1,
      Size: size,
    };
    if (withVirtualSize) s.VirtualSize = size;
    return s;
  }

  async list(opts: ListOptions = {}): Promise<ImageSummary[]> {
    const filters = opts.filters ?? new Map<string, string[]>();
    validateImageFilters(filters);
    const images = this.#o.meta.listImages();
    const parents = new Set(images.map((i) => i.parent).filter((p): p is Digest => p !== undefined));
    const anchor = async (name: string): Promise<number> => {
      const cfg = await this.config(this.resolve(name).id);
      return cfg.created ? Date.parse(cfg.created) : 0;
    };
    const before = filters.get('before')?.[0];
    const since = filters.get('since')?.[0];
    const beforeT = before === undefined ? undefined : await anchor(before);
    const sinceT = since === undefined ? undefined : await anchor(since);
    const out: ImageSummary[] = [];
    for (const img of images) {
      const summary = await this.#summary(img, opts.withVirtualSize ?? false);
      // Untagged images with children are intermediate layers of a build: hidden unless -a.
      if (!opts.all && summary.RepoTags.length === 0 && parents.has(img.id) && !filters.has('dangling')) continue;
      const created = summary.Created * 1000;
      if (beforeT !== undefined && !(created < beforeT)) continue;
      if (sinceT !== undefined && !(created > sinceT)) continue;
      const kept = matchImageFilters(summary, filters);
      if (kept) out.push(kept);
    }
    return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
  }

  async inspect(name: string, opts: { withVirtualSize?: boolean } = {}): Promise<ImageInspect> {
    const img = this.resolve(name);
    const cfg = await this.config(img.id);
    const size = await this.size(img);
    const chain = chainIds(img.layers.map((l) => l.diffId));
    const dirs = chain.map((c) => this.#o.layers.diffDir(c)).reverse();
    const graphData: Record<string, string> = {};
    if (dirs.length > 0) {
      const top = dirs[0]!;
      graphData.MergedDir = top.replace(/diff$/, 'merged');
      graphData.UpperDir = top;
      graphData.WorkDir = top.replace(/diff$/, 'work');
      if (dirs.length > 1) graphData.LowerDir = dirs.slice(1).join(':');
    }
    const lastTag = this.#o.meta.lastTagTime(img.id);
    const out: ImageInspect = {
      Id: img.id,
      RepoTags: this.#repoTags(img.id),
      RepoDigests: this.#repoDigests(img),
      Parent: img.parent ?? '',
      // Docker falls back to the last history entry's comment (import and commit messages live there).
      Comment: cfg.comment || (cfg.history?.at(-1)?.comment ?? ''),
      Created: cfg.created ? rfc3339Nano(cfg.created) : '0001-01-01T00:00:00Z',
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: cfg.config ?? null,
      Architecture: cfg.architecture,
      Os: cfg.os,
      Size: size,
      GraphDriver: { Name: this.#o.graphDriverName ?? 'overlay2', Data: dirs.length > 0 ? graphData : null },
      RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
      Metadata: { LastTagTime: lastTag ? rfc3339Nano(lastTag) : '0001-01-01T00:00:00Z' },
    };
    if (cfg.variant) out.Variant = cfg.variant;
    if (cfg['os.version']) out.OsVersion = cfg['os.version'];
    if (cfg.container !== undefined) out.Container = cfg.container;
    if (cfg.container_config !== undefined) out.ContainerConfig = cfg.container_config;
    if (opts.withVirtualSize) out.VirtualSize = size;
    return out;
  }

  async history(name: string): Promise<HistoryResponseItem[]> {
    const img = this.resolve(name);
    const cfg = await this.config(img.id);
    const chain = chainIds(img.layers.map((l) => l.diffId));
    const entries = cfg.history && cfg.history.length > 0 ? cfg.history : chain.map(() => ({}) as NonNullable<ImageConfig['history']>[number]);
    const items: HistoryResponseItem[] = [];
    let layer = 0;
    for (const h of entries) {
      let size = 0;
      if (!h.empty_layer) {
        const c = chain[layer++];
        if (c !== undefined) size = await this.#layerSize(c);
      }
      items.push({
        Comment: h.comment ?? '',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Id: '<missing>',
        Size: size,
        Tags: null,
      });
    }
    items.reverse();
    if (items[0]) {
      items[0].Id = img.id;
      const tags = this.#repoTags(img.id);
      items[0].Tags = tags.length > 0 ? tags : null;
    }
    return items;
  }

  // ---- tags and removal ---------------------------------------------------------------

  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    const target = parseTagTarget(repo, tag);
    const { id } = this.resolve(source);
    await this.#lock.run(id, async () => {
      // Re-checked under the lock: a concurrent rmi may have deleted it since resolve().
      const img = this.#o.meta.getImage(id);
      if (!img) throw new NotFound(`No such image: ${source}`);
      await this.#setTags(img, [target]);
    });
  }

  async #setTags(img: ImageRecord, targets: readonly Reference[]): Promise<void> {
    const { meta } = this.#o;
    for (const target of targets) {
      await meta.setRef(referenceString(target), img.id, formatRfc3339Nano(this.#now));
      await this.#emit('tag', img.id, familiarString(target));
    }
  }

  async remove(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteResponseItem[]> {
    const { meta } = this.#o;
    const { image, ref } = resolveImage(meta, name);
    let deleted: ImageRecord | undefined;
    const out = await this.#lock.run(image.id, async () => {
      const out: ImageDeleteResponseItem[] = [];
      if (!meta.getImage(image.id)) throw new NotFound(`No such image: ${name}`);
      const refs = meta.refsOf(image.id);
      const users = this.#o.usage?.containersUsing(image.id) ?? [];
      if (ref) {
        const full = referenceString(ref);
        if (!opts.force && users.length > 0 && isSingleReference(refs)) {
          throw new Conflict(
            `conflict: unable to remove repository reference "${name}" (must force) - container ${shortId(users[0]!.id)} is using its referenced image ${shortId(image.id)}`,
          );
        }
        await meta.deleteRefs([full]);
        out.push({ Untagged: familiarString(ref) });
        await this.#emit('untag', image.id, familiarString(ref));
        // Digest references of the repository go with its last tag, as in Docker; references
        // in other repositories keep the image.
        const remaining = meta.refsOf(image.id).map((r) => ({ full: r, ref: parseNormalizedReference(r) }));
        const repo = fullName(ref);
        if (ref.digest === undefined && !remaining.some((r) => r.ref.digest === undefined && fullName(r.ref) === repo)) {
          const digests = remaining.filter((r) => r.ref.digest !== undefined && fullName(r.ref) === repo);
          if (digests.length > 0) {
            await meta.deleteRefs(digests.map((r) => r.full));
            for (const r of digests) out.push({ Untagged: familiarString(r.ref) });
          }
        }
        if (meta.refsOf(image.id).length > 0 || users.length > 0) return out;
      } else {
        // By ID (moby's ImageDelete): hard conflicts first; then, unless forced, the image may have
        // at most one tag (plus digests of that repository) and no stopped container using it.
        const conflict = (hard: boolean, why: string): InstanceType<typeof Conflict> =>
          new Conflict(`conflict: unable to delete ${shortId(image.id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${why}`);
        if (this.#hasChildren(image.id)) throw conflict(true, 'image has dependent child images');
        const running = users.find((u) => u.running);
        if (running) throw conflict(true, `image is being used by running container ${shortId(running.id)}`);
        if (!opts.force && refs.length > 0 && !isSingleReference(refs)) throw conflict(false, 'image is referenced in multiple repositories');
        if (users.length > 0 && !opts.force) throw conflict(false, `image is being used by stopped container ${shortId(users[0]!.id)}`);
        await meta.deleteRefs(refs);
        for (const r of refs) {
          const f = familiarString(parseNormalizedReference(r));
          out.push({ Untagged: f });
          await this.#emit('untag', image.id, f);
        }
        if (users.length > 0) return out;
      }
      // The last reference went, but a child image still needs this one: keep it, quietly.
      if (this.#hasChildren(image.id)) return out;
      await this.#deleteImageRecord(image);
      deleted = image;
      out.push({ Deleted: image.id });
      return out;
    });
    if (deleted) {
      const gone = [deleted];
      // As moby's imageDeleteHelper: untagged parents that nothing else needs go too (a build's
      // intermediate images), unless noprune.
      if (opts.noprune !== true) {
        for (let p = deleted.parent; p !== undefined; ) {
          const parent = await this.#pruneParent(p);
          if (parent === undefined) break;
          gone.push(parent);
          out.push({ Deleted: parent.id });
          p = parent.parent;
        }
      }
      const removedLayers = await this.#collectGarbage();
      for (const c of new Set(gone.flatMap((g) => chainIds(g.layers.map((l) => l.diffId)).reverse()))) {
        if (removedLayers.has(c)) out.push({ Deleted: c });
      }
    }
    return out;
  }

  /** Deletes `id` if it is an untagged image without children or containers; returns it then. */
  async #pruneParent(id: Digest): Promise<ImageRecord | undefined> {
    return this.#lock.run(id, async () => {
      const img = this.#o.meta.getImage(id);
      if (!img || this.#o.meta.refsOf(id).length > 0 || this.#hasChildren(id)) return undefined;
      if ((this.#o.usage?.containersUsing(id) ?? []).length > 0) return undefined;
      await this.#deleteImageRecord(img);
      return img;
    });
  }

  #hasChildren(id: Digest): boolean {
    return this.#o.meta.listImages().some((i) => i.parent === id);
  }

  async #deleteImageRecord(image: ImageRecord): Promise<void> {
    await this.#o.meta.deleteImage(image.id);
    this.#sizes.delete(image.id);
    this.#configs.delete(image.id);
    // Gone already, so without its labels (as in dockerd).
    this.#o.emit?.('delete', image.id, { name: image.id });
  }

  /**
   * Remove layers and blobs that no image (and no container) references. References are
   * walked each time rather than counted on disk: nothing to get out of step after a crash.
   */
  #collectGarbage(): Promise<Set<Digest>> {
    return this.#gcLock.exclusive(() => this.#sweep());
  }

  async #sweep(): Promise<Set<Digest>> {
    const { meta, layers, content } = this.#o;
    const liveLayers = new Set<Digest>(this.#o.usage?.layersInUse?.() ?? []);
    const liveBlobs = new Set<Digest>();
    for (const lease of (await this.#o.leases?.live()) ?? []) {
      for (const b of lease.blobs) liveBlobs.add(b);
      for (const c of lease.layers) liveLayers.add(c);
    }
    for (const img of meta.listImages()) {
      liveBlobs.add(img.id);
      for (const l of img.layers) liveBlobs.add(l.blob);
      for (const c of chainIds(img.layers.map((l) => l.diffId))) liveLayers.add(c);
    }
    const removed = new Set<Digest>();
    for (const rec of await layers.list()) {
      if (liveLayers.has(rec.chainId)) continue;
      await layers.remove(rec.chainId);
      this.#layerSizes.delete(rec.chainId);
      removed.add(rec.chainId);
    }
    for (const d of await content.list()) {
      if (!liveBlobs.has(d)) await content.delete(d);
    }
    return removed;
  }

  async prune(filters: Filters): Promise<ImagePruneResponse> {
    for (const k of filters.keys()) {
      if (!['dangling', 'until', 'label', 'label!'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    }
    const danglingOnly = (filters.get('dangling') ?? ['true']).every((v) => v === 'true' || v === '1');
    const untilRaw = filters.get('until')?.[0];
    const until = untilRaw === undefined ? undefined : parseUntil(untilRaw, this.#now);
    const deleted: ImageDeleteResponseItem[] = [];
    let reclaimed = 0;
    for (const img of this.#o.meta.listImages()) {
      const summary = await this.#summary(img, false);
      if (danglingOnly && summary.RepoTags.length > 0) continue;
      if (until !== undefined && summary.Created * 1000 >= until) continue;
      if (!matchImageFilters(summary, new Map([...filters].filter(([k]) => k.startsWith('label'))))) continue;
      if ((this.#o.usage?.containersUsing(img.id) ?? []).length > 0) continue;
      if (this.#hasChildren(img.id)) continue;
      const sizeBefore = await this.#layersTotal();
      try {
        deleted.push(...(await this.remove(img.id, { force: true })));
      } catch (err) {
        if (err instanceof Conflict || err instanceof NotFound) continue;
        throw err;
      }
      reclaimed += sizeBefore - (await this.#layersTotal());
    }
    return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  async #layersTotal(): Promise<number> {
    let total = 0;
    for (const l of await this.#o.layers.list()) total += l.size;
    return total;
  }

  /**
   * Image summaries for `system df`: container counts and the size shared with other images.
   * API < 1.44 still carries VirtualSize, which the 20.10 CLI prints as the image's size.
   */
  async diskUsageImages(opts: { withVirtualSize?: boolean } = {}): Promise<ImageSummary[]> {
    const images = this.#o.meta.listImages();
    const owners = new Map<Digest, number>();
    const chains = new Map<Digest, Digest[]>();
    for (const img of images) {
      const c = chainIds(img.layers.map((l) => l.diffId));
      chains.set(img.id, c);
      for (const l of c) owners.set(l, (owners.get(l) ?? 0) + 1);
    }
    const out: ImageSummary[] = [];
    for (const img of images) {
      const s = await this.#summary(img, opts.withVirtualSize ?? false);
      let shared = 0;
      for (const l of chains.get(img.id) ?? []) if ((owners.get(l) ?? 0) > 1) shared += await this.#layerSize(l);
      s.SharedSize = shared;
      s.Containers = this.#o.usage?.containersUsing(img.id).length ?? 0;
      out.push(s);
    }
    return out;
  }

  /** Sum of unpacked layer sizes, each counted once (system df's LayersSize). */
  async layersSize(): Promise<number> {
    return this.#layersTotal();
  }

  // ---- load, save, import ------------------------------------------------------------

  /**
   * Load `docker save` output or an OCI layout tar. Everything is written before any tag
   * moves; a crash leaves either the complete image or nothing visible (init() finishes or
   * discards the rest).
   */
  async load(input: Readable, opts: { signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#writingUnreferenced(() => this.#load(input, opts.signal));
  }

  /**
   * Run an operation that writes blobs and layers before any image refers to them, shielded
   * from GC. What it leaves behind on failure (a hostile layer, a truncated upload) is
   * collected at once.
   */
  async #writingUnreferenced<T>(fn: () => Promise<T>): Promise<T> {
    let failed = false;
    try {
      return await this.#gcLock.shared(fn);
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      if (failed) await this.#collectGarbage();
    }
  }

  async #load(input: Readable, signal?: AbortSignal): Promise<string[]> {
    const contents = await readArchive(input, this.#o.content, { signal });
    const images = await parseArchiveImages(contents, this.#o.content);
    const messages: string[] = [];
    for (const ai of images) {
      const record = await this.#storeImage(ai, signal);
      const moved: string[] = [];
      for (const tag of ai.tags) {
        const prev = this.#o.meta.resolveRef(referenceString(tag));
        if (prev !== undefined && prev !== record.id) {
          moved.push(
            `The image ${familiarString(tag)} already exists, renaming the old one with ID ${prev} to empty string`,
          );
        }
      }
      await this.#commitTags(record, ai.tags);
      await this.#emit('load', record.id);
      messages.push(...moved);
      if (ai.tags.length === 0) messages.push(`Loaded image ID: ${record.id}`);
      for (const t of ai.tags) messages.push(`Loaded image: ${familiarString(t)}`);
    }
    return messages;
  }

  /** Unpack the layers of an archived image and write its record (no tags yet). */
  async #storeImage(ai: ArchiveImage, signal?: AbortSignal): Promise<ImageRecord> {
    const cfg = ai.config;
    const diffIds = cfg.rootfs.diff_ids;
    if (diffIds.length !== ai.layers.length) {
      throw new InvalidParameter(
        `invalid image ${ai.configDigest}: config lists ${diffIds.length} layers, manifest ${ai.layers.length}`,
      );
    }
    let parent: Digest | undefined;
    const layers: ImageLayer[] = [];
    for (let i = 0; i < diffIds.length; i++) {
      const blob = ai.layers[i]!;
      const diffId = diffIds[i]!;
      const rec = await this.#o.layers.create({
        parent,
        diffId,
        apply: (dest) => applyLayer({ input: this.#o.content.createReadStream(blob.digest), dest, signal }),
      });
      parent = rec.chainId;
      layers.push({ diffId, blob: blob.digest, mediaType: blob.mediaType });
    }
    const existing = this.#o.meta.getImage(ai.configDigest);
    const record: ImageRecord = existing ?? { id: ai.configDigest, layers, repoDigests: [] };
    await this.#putNewRecord(record, ai.tags);
    return record;
  }

  /**
   * Writes a record that is not there yet, carrying its tag intent from its very first write: a
   * crash before the tags move then rolls them forward at start (init) instead of leaving an
   * untagged image that the interrupted load or import never reported.
   */
  async #putNewRecord(record: ImageRecord, tags: readonly Reference[]): Promise<void> {
    if (this.#o.meta.getImage(record.id)) return;
    await this.#o.meta.putImage(tags.length > 0 ? { ...record, pendingRefs: tags.map(referenceString) } : record);
  }

  /** Tags move in a roll-forward transaction: record the intent, move, clear the intent. */
  async #commitTags(record: ImageRecord, tags: readonly Reference[]): Promise<void> {
    if (tags.length === 0) return;
    const { meta } = this.#o;
    await this.#lock.run(record.id, async () => {
      // A concurrent rmi may have dropped the record since it was written; the caller still
      // holds the GC lock shared, so its blobs and layers are all there to bring it back.
      const base = meta.getImage(record.id) ?? record;
      await meta.putImage({ ...base, pendingRefs: tags.map(referenceString) });
      const taggedAt = formatRfc3339Nano(this.#now);
      for (const t of tags) await meta.setRef(referenceString(t), record.id, taggedAt);
      const { pendingRefs: _done, ...rest } = meta.getImage(record.id) ?? base;
      await meta.putImage(rest);
    });
  }

  /** `docker save`: names are references or IDs; a reference saves that tag with the image. */
  async save(names: readonly string[], out: Writable, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (names.length === 0) throw new InvalidParameter('no images specified');
    const byId = new Map<Digest, SaveItem>();
    for (const n of names) {
      const { image, ref } = resolveImage(this.#o.meta, n);
      let item = byId.get(image.id);
      if (!item) {
        item = { image, config: await this.#o.content.read(image.id), tags: [] };
        byId.set(image.id, item);
      }
      if (ref && ref.digest === undefined) item.tags.push(ref);
    }
    for (const item of byId.values()) await this.#emit('save', item.image.id);
    await writeArchive({ items: [...byId.values()], content: this.#o.content, out, signal: opts.signal });
  }

  /** `docker import`: one layer from a rootfs tar, config from `changes`. */
  async import(
    input: Readable,
    opts: { repo?: string; tag?: string; changes?: string[]; message?: string; platform?: string; signal?: AbortSignal },
  ): Promise<Digest> {
    const target = opts.repo ? parseTagTarget(opts.repo, opts.tag) : undefined;
    return this.#writingUnreferenced(() => this.#import(input, target, opts));
  }

  async #import(
    input: Readable,
    target: Reference | undefined,
    opts: { changes?: string[]; message?: string; platform?: string; signal?: AbortSignal },
  ): Promise<Digest> {
    const blob = await this.#o.content.ingest(input, { signal: opts.signal });
    const { diffId } = await diffIdOfTar(this.#o.content.createReadStream(blob.digest));
    const head = await this.#o.content.head(blob.digest, 8);
    const compression = compressionOf(head);
    const layer = await this.#o.layers.create({
      parent: undefined,
      diffId,
      apply: (dest) => applyLayer({ input: this.#o.content.createReadStream(blob.digest), dest, signal: opts.signal }),
    });
    const created = formatRfc3339Nano(this.#now);
    const [os, arch] = (opts.platform || 'linux/amd64').split('/');
    const containerConfig: ContainerConfig = applyChanges({}, opts.changes ?? []);
    const cfg: ImageConfig = {
      architecture: arch ?? 'amd64',
      os: os ?? 'linux',
      created,
      comment: opts.message ?? '',
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: '', comment: opts.message || 'Imported from -' }],
    };
    const cfgBytes = Buffer.from(JSON.stringify(cfg));
    const id = sha256(cfgBytes);
    await this.#o.content.put(cfgBytes, id);
    const mediaType =
      compression === 'gzip' ? MediaType.OciLayerGzip : compression === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
    const record: ImageRecord = this.#o.meta.getImage(id) ?? {
      id,
      layers: [{ diffId: layer.diffId, blob: blob.digest, mediaType }],
      repoDigests: [],
    };
    await this.#putNewRecord(record, target ? [target] : []);
    await this.#commitTags(record, target ? [target] : []);
    await this.#emit('import', id);
    return id;
  }

  /**
   * `docker commit`: a new image on top of `parent` with one more layer (an uncompressed tar, as
   * `layer` produces it into the stream it is given) and `config` with `changes` applied. An
   * empty layer adds a history entry only, as in Docker. Held from GC like load and import.
   */
  async commit(opts: CommitOptions): Promise<Digest> {
    const target = opts.repo ? parseTagTarget(opts.repo, opts.tag) : undefined;
    const config = applyChanges(opts.config, opts.changes ?? []);
    return this.#writingUnreferenced(async () => {
      const parentImg = this.#o.meta.getImage(opts.parent);
      if (!parentImg) throw new NotFound(`No such image: ${opts.parent}`);
      const parentCfg = await this.config(opts.parent);
      const pass = new PassThrough();
      const [blob] = await Promise.all([this.#o.content.ingest(pass), opts.layer(pass).then(() => pass.end(), (err: unknown) => pass.destroy(err as Error))]);
      const diffId = blob.digest;
      const empty = diffId === EMPTY_TAR_DIGEST;
      const layers = [...parentImg.layers];
      if (!empty) {
        await this.#o.layers.create({
          parent: this.topLayer(parentImg),
          diffId,
          apply: (dest) => applyLayer({ input: this.#o.content.createReadStream(blob.digest), dest }),
        });
        layers.push({ diffId, blob: blob.digest, mediaType: MediaType.OciLayer });
      }
      const created = formatRfc3339Nano(this.#now);
      const cfg: ImageConfig = {
        ...parentCfg,
        created,
        author: opts.author ?? '',
        comment: opts.comment ?? '',
        container: opts.containerId,
        container_config: opts.containerConfig,
        config,
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: [
          ...(parentCfg.history ?? []),
          {
            created,
            ...(opts.author ? { author: opts.author } : {}),
            created_by: opts.createdBy ?? '',
            ...(opts.comment ? { comment: opts.comment } : {}),
            ...(empty ? { empty_layer: true } : {}),
          },
        ],
      };
      const cfgBytes = Buffer.from(JSON.stringify(cfg));
      const id = sha256(cfgBytes);
      await this.#o.content.put(cfgBytes, id);
      const record: ImageRecord = this.#o.meta.getImage(id) ?? { id, layers, repoDigests: [], parent: opts.parent };
      await this.#putNewRecord(record, target ? [target] : []);
      await this.#commitTags(record, target ? [target] : []);
      return id;
    });
  }


  // ---- registry ------------------------------------------------------------------------

  #registry(): { registries: Registries; puller: Puller; pusher: Pusher } {
    if (!this.#o.registry) throw new NotImplemented('registry access is not configured in this daemon');
    return this.#o.registry;
  }

  #stored(): StoredImages {
    const meta = this.#o.meta;
    return {
      image: (id) => meta.getImage(id)?.layers,
      blobFor: (diffId) => {
        for (const img of meta.listImages()) {
          const l = img.layers.find((x) => x.diffId === diffId);
          if (l) return { blob: l.blob, mediaType: l.mediaType };
        }
        return undefined;
      },
    };
  }

  /**
   * `docker pull` (POST /images/create?fromImage): errors before the first progress message
   * (a bad reference, an unknown manifest, refused credentials) are thrown as they are, so the
   * router can answer with a status; later ones end the progress stream.
   */
  async pull(o: PullOptions): Promise<void> {
    const { puller } = this.#registry();
    let ref = parseNormalizedReference(o.fromImage);
    const platform = o.platform ? parsePlatform(o.platform) : undefined;
    if (o.tag) {
      if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(o.tag)) ref = parseNormalizedReference(`${fullName(ref)}@${o.tag}`);
      else ref = parseNormalizedReference(`${fullName(ref)}:${o.tag}`);
    }
    if (ref.tag === undefined && ref.digest === undefined) {
      const repo = new Repository(this.#registry().registries.client(ref.domain, o.auth), ref.path);
      const tags = await repo.tags(o.signal);
      for (const t of tags) await this.#pullOne({ ...ref, tag: t }, platform, o);
      o.progress({ status: `Status: Downloaded newer image for ${familiarName(ref)}` });
      return;
    }
    const updated = await this.#pullOne(ref, platform, o);
    o.progress({ status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}` });
  }

  /** Pulls one tag or digest; true when the reference now points at a different image than before. */
  async #pullOne(ref: Reference, platform: Parameters<Puller['pull']>[0]['platform'], o: PullOptions): Promise<boolean> {
    const { puller } = this.#registry();
    return this.#writingUnreferenced(async () => {
      const pulled = await puller.pull(
        { ref, ...(platform ? { platform } : {}), ...(o.auth ? { auth: o.auth } : {}), progress: o.progress, ...(o.signal ? { signal: o.signal } : {}) },
        this.#stored(),
      );
      const digestRef: Reference = { domain: ref.domain, path: ref.path, digest: pulled.manifestDigest };
      const targets = ref.digest !== undefined ? [digestRef] : [{ domain: ref.domain, path: ref.path, tag: ref.tag! }, digestRef];
      const before = this.#o.meta.resolveRef(referenceString(ref.digest !== undefined ? digestRef : ref));
      const record: ImageRecord = this.#o.meta.getImage(pulled.id) ?? { id: pulled.id, layers: pulled.layers, repoDigests: [] };
      await this.#putNewRecord(record, targets);
      await this.#commitTags(record, targets);
      await pulled.release();
      o.progress({ status: `Digest: ${pulled.manifestDigest}` });
      if (before !== pulled.id) await this.#emit('pull', pulled.id, familiarString(ref));
      return before !== pulled.id;
    });
  }

  /** `docker push` (POST /images/{name}/push). */
  async push(o: PushOptions): Promise<void> {
    const { pusher } = this.#registry();
    const ref = parseNormalizedReference(o.name);
    if (ref.digest !== undefined) throw new InvalidParameter('cannot push a digest reference');
    const repoName = fullName(ref);
    const tag = o.tag || ref.tag;
    const refs = [...this.#o.meta.refs()].filter(([r]) => {
      const p = parseNormalizedReference(r);
      return fullName(p) === repoName && p.tag !== undefined && (tag === undefined || p.tag === tag);
    });
    if (refs.length === 0) {
      throw new NotFound(`An image does not exist locally with the tag: ${familiarName(ref)}`);
    }
    o.progress({ status: `The push refers to repository [${repoName}]` });
    for (const [r, id] of refs.sort((a, b) => a[0].localeCompare(b[0]))) {
      const tagged = parseNormalizedReference(r);
      const img = this.#o.meta.getImage(id);
      if (!img) continue;
      const result = await this.#gcLock.shared(() =>
        pusher.push({ ref: tagged, image: img, ...(o.auth ? { auth: o.auth } : {}), progress: o.progress, ...(o.signal ? { signal: o.signal } : {}) }, this.#pushSources()),
      );
      o.progress({ status: `${tagged.tag!}: digest: ${result.digest} size: ${result.size}` });
      o.progress({ progressDetail: {}, aux: { Tag: tagged.tag!, Digest: result.digest, Size: result.size } });
      const digestRef = referenceString({ domain: tagged.domain, path: tagged.path, digest: result.digest });
      await this.#lock.run(id, async () => {
        if (this.#o.meta.getImage(id)) await this.#o.meta.setRef(digestRef, id);
      });
      await this.#emit('push', id, familiarString(tagged));
    }
  }

  /**
   * `docker search`: the registry's v1 search API (Docker Hub has it; a registry without it answers
   * 404, reported as Docker does). Filters: stars, is-official, is-automated.
   */
  async search(o: { term: string; limit?: number; filters: Filters; auth?: AuthConfig; signal?: AbortSignal }): Promise<SearchResult[]> {
    const { registries } = this.#registry();
    for (const k of o.filters.keys()) if (!['stars', 'is-official', 'is-automated'].includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
    const limit = o.limit ?? 25;
    if (limit < 1 || limit > 100) throw new InvalidParameter(`limit ${limit} is outside the range of [1, 100]`);
    const { domain, term } = splitSearchTerm(o.term);
    const client = registries.client(domain, o.auth);
    const host = domain === DOCKER_HUB_DOMAIN ? 'index.docker.io' : client.endpoint.host;
    await client.ping(o.signal).catch(() => undefined);
    const base = domain === DOCKER_HUB_DOMAIN ? `https://${host}` : client.base;
    const url = new URL('/v1/search', base);
    url.searchParams.set('q', term);
    url.searchParams.set('n', String(limit));
    const res = await client.send('GET', url, o.signal ? { signal: o.signal } : {});
    const body = await readBody(res);
    if (res.statusCode !== 200) throw new System(`Unexpected status code ${res.statusCode ?? 0}`);
    let results: SearchResult[];
    try {
      results = ((JSON.parse(body.toString('utf8')) as { results?: SearchResult[] }).results ?? []);
    } catch (err) {
      throw new System(`invalid search response from ${host}: ${(err as Error).message}`, { cause: err });
    }
    const stars = Number(o.filters.get('stars')?.[0] ?? 0);
    const official = o.filters.get('is-official')?.[0];
    const automated = o.filters.get('is-automated')?.[0];
    return results
      .filter((r) => (r.star_count ?? 0) >= stars)
      .filter((r) => official === undefined || (r.is_official ?? false) === (official === 'true'))
      .filter((r) => automated === undefined || (r.is_automated ?? false) === (automated === 'true'))
      .slice(0, limit);
  }

  #pushSources(): PushSources {
    const meta = this.#o.meta;
    return {
      reposWithBlob: (blob, domain) => {
        const out = new Set<string>();
        for (const [r, id] of meta.refs()) {
          const p = parseNormalizedReference(r);
          if (p.domain === domain && meta.getImage(id)?.layers.some((l) => l.blob === blob)) out.add(p.path);
        }
        return [...out];
      },
      compressed: async (imageId, diffId, blob, mediaType) => {
        // The image now refers to the compressed blob; the uncompressed one goes with the next GC.
        await this.#lock.run(imageId, async () => {
          const img = meta.getImage(imageId);
          if (!img) return;
          await meta.putImage({ ...img, layers: img.layers.map((l) => (l.diffId === diffId ? { ...l, blob, mediaType } : l)) });
        });
      },
    };
  }

  /** `POST /auth`: checks credentials against the registry named by `serveraddress`. */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<void> {
    const { registries } = this.#registry();
    await registries.client(loginDomain(auth.serveraddress), auth).login(signal);
  }

  /**
   * A build step's image: on `parent` (none for `FROM scratch`), with the layer `layer` writes (an
   * uncompressed tar; none or an empty one gives a history entry with empty_layer, as Docker), the
   * container config `config` and one more history entry. Held from GC like commit.
   */
  async createBuildImage(o: BuildImageOptions): Promise<Digest> {
    return this.#writingUnreferenced(async () => {
      const parentImg = o.parent === undefined ? undefined : this.#o.meta.getImage(o.parent);
      if (o.parent !== undefined && !parentImg) throw new NotFound(`No such image: ${o.parent}`);
      const parentCfg: Partial<ImageConfig> =
        o.parent === undefined ? { architecture: o.platform?.architecture ?? 'amd64', os: o.platform?.os ?? 'linux' } : await this.config(o.parent);
      const layers = [...(parentImg?.layers ?? [])];
      let empty = true;
      if (o.layer !== undefined) {
        const write = o.layer;
        const pass = new PassThrough();
        const [blob] = await Promise.all([this.#o.content.ingest(pass), write(pass).then(() => pass.end(), (err: unknown) => pass.destroy(err as Error))]);
        const diffId = blob.digest;
        empty = diffId === EMPTY_TAR_DIGEST;
        if (!empty) {
          await this.#o.layers.create({
            parent: parentImg ? this.topLayer(parentImg) : undefined,
            diffId,
            apply: (dest) => applyLayer({ input: this.#o.content.createReadStream(blob.digest), dest }),
          });
          layers.push({ diffId, blob: blob.digest, mediaType: MediaType.OciLayer });
        }
      }
      const created = formatRfc3339Nano(this.#now);
      const { container: _c, container_config: _cc, author: _a, ...base } = parentCfg;
      const cfg: ImageConfig = {
        architecture: base.architecture ?? 'amd64',
        os: base.os ?? 'linux',
        ...base,
        created,
        ...(o.author ? { author: o.author } : parentCfg.author ? { author: parentCfg.author } : {}),
        ...(o.containerId !== undefined ? { container: o.containerId } : {}),
        ...(o.containerConfig !== undefined ? { container_config: o.containerConfig } : {}),
        config: o.config,
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: [...(parentCfg.history ?? []), { created, ...o.history, ...(empty ? { empty_layer: true } : {}) }],
      };
      const cfgBytes = Buffer.from(JSON.stringify(cfg));
      const id = sha256(cfgBytes);
      await this.#o.content.put(cfgBytes, id);
      const record: ImageRecord = this.#o.meta.getImage(id) ?? { id, layers, repoDigests: [], ...(o.parent !== undefined ? { parent: o.parent } : {}) };
      await this.#putNewRecord(record, []);
      return id;
    });
  }

  /** Tags an image with several references at once (a build's `-t`). */
  async tagMany(id: Digest, refs: readonly string[]): Promise<void> {
    for (const r of refs) {
      // A rebuild that gives the same image leaves its tag as it is (no write, no event).
      if (this.#o.meta.resolveRef(referenceString(parseTagTarget(r, undefined))) === id) continue;
      await this.tag(id, r, undefined);
    }
  }

  async verifyLayerBlob(layer: ImageLayer): Promise<void> {
    const { diffId } = await diffIdOfTar(this.#o.content.createReadStream(layer.blob));
    if (diffId !== layer.diffId) throw new DataLoss(`layer ${layer.blob} does not match diff ID ${layer.diffId}`);
  }
}

/** One `docker search` hit (the v1 search API's fields). */
export interface SearchResult {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

/** `docker search localhost:5000/foo` searches that registry for `foo`; other terms go to Docker Hub. */
function splitSearchTerm(t: string): { domain: string; term: string } {
  const i = t.indexOf('/');
  if (i > 0) {
    const first = t.slice(0, i);
    if (first === 'localhost' || /[.:]/.test(first)) return { domain: first === 'index.docker.io' ? DOCKER_HUB_DOMAIN : first, term: t.slice(i + 1) };
  }
  return { domain: DOCKER_HUB_DOMAIN, term: t };
}

/** The registry a login names: `https://index.docker.io/v1/` and empty mean Docker Hub; a scheme and path are dropped. */
export function loginDomain(serverAddress: string | undefined): string {
  let s = (serverAddress ?? '').trim();
  if (s === '') return DOCKER_HUB_DOMAIN;
  s = s.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  if (s === 'index.docker.io' || s === 'registry-1.docker.io' || s === 'docker.io') return DOCKER_HUB_DOMAIN;
  return s;
}

/**
 * True when the references are one tag at most, plus digest references of that same repository
 * (moby's isSingleReference): such an image may be removed by ID without force.
 */
function isSingleReference(refs: readonly string[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const parsed = refs.map((r) => parseNormalizedReference(r));
  const tags = parsed.filter((r) => r.digest === undefined);
  if (tags.length > 1) return false;
  const digestRepos = new Set(parsed.filter((r) => r.digest !== undefined).map(fullName));
  return digestRepos.size === 1 && digestRepos.has(fullName(tags[0] ?? parsed[0]!));
}

/** `until` accepts a Unix timestamp, an RFC 3339 date or a Go duration ago (10m, 24h). */
export function parseUntil(raw: string, now: Date): number {
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const dur = /^(\d+)(ns|us|ms|s|m|h)$/.exec(raw);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now.getTime() - Number(dur[1]) * mult[dur[2]!]!;
  }
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new InvalidParameter(`invalid filter 'until=${raw}'`);
  return t;
}
