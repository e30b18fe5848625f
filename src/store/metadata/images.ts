import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../../errdefs/index.js';
import { writeJsonAtomic, TEMP_PREFIX } from '../../util/atomic-file.js';
import { KeyedMutex } from '../../util/mutex.js';
import { hexOf, isDigest, type Digest } from '../../util/digest.js';

/** A layer of an image: its uncompressed diff ID and the blob it came from. */
export interface ImageLayer {
  diffId: Digest;
  blob: Digest;
  mediaType: string;
}

export interface ImageRecord {
  /** The config digest. */
  id: Digest;
  layers: ImageLayer[];
  repoDigests: string[];
  lastTagTime?: string;
  /** Parent image (Docker's Parent, for images built locally). */
  parent?: Digest;
  /** References to point here, written before they move so that a crash mid-tag rolls forward. */
  pendingRefs?: string[];
}

/**
 * Image records (`images/<hex>.json`) and the reference index (`refs.json`: full reference →
 * image ID), held in memory and written through atomically. Order of writes on create:
 * blobs and layers first, then the record, then the reference, so that after a crash every
 * reference points to a complete image (init() drops any that do not).
 */
/** refs.json: references and tag times, replaced whole on every change. */
interface RefsFile {
  refs: Record<string, string>;
  tagTimes: Record<string, string>;
}

export class ImageMetadataStore {
  readonly #root: string;
  readonly #images = new Map<Digest, ImageRecord>();
  readonly #refs = new Map<string, Digest>();
  /** When each image was last tagged (inspect's Metadata.LastTagTime), kept with the refs. */
  readonly #tagTimes = new Map<Digest, string>();
  readonly #refsLock = new KeyedMutex();
  /** A save queued behind the one writing now; later changes ride on it. */
  #queuedSave: Promise<void> | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  async init(): Promise<void> {
    const dir = join(this.#root, 'images');
    await mkdir(dir, { recursive: true });
    // refs.json is replaced through a temp file beside it: a crash mid-write leaves that behind.
    for (const name of await readdir(this.#root)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.#root, name), { force: true });
    }
    for (const name of await readdir(dir)) {
      if (name.startsWith(TEMP_PREFIX)) {
        await rm(join(dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const rec = JSON.parse(await readFile(join(dir, name), 'utf8')) as ImageRecord;
      if (isDigest(rec.id)) this.#images.set(rec.id, rec);
    }
    let file: RefsFile = { refs: {}, tagTimes: {} };
    try {
      file = JSON.parse(await readFile(join(this.#root, 'refs.json'), 'utf8')) as RefsFile;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    for (const [name, id] of Object.entries(file.refs ?? {})) {
      if (isDigest(id)) this.#refs.set(name, id);
    }
    for (const [id, time] of Object.entries(file.tagTimes ?? {})) {
      if (isDigest(id) && this.#images.has(id)) this.#tagTimes.set(id, time);
    }
  }

  lastTagTime(id: Digest): string | undefined {
    return this.#tagTimes.get(id) ?? this.#images.get(id)?.lastTagTime;
  }

  getImage(id: Digest): ImageRecord | undefined {
    return this.#images.get(id);
  }

  listImages(): ImageRecord[] {
    return [...this.#images.values()];
  }

  async putImage(rec: ImageRecord): Promise<void> {
    await writeJsonAtomic(join(this.#root, 'images', `${hexOf(rec.id)}.json`), rec);
    this.#images.set(rec.id, rec);
  }

  async deleteImage(id: Digest): Promise<void> {
    await rm(join(this.#root, 'images', `${hexOf(id)}.json`), { force: true });
    this.#images.delete(id);
    this.#tagTimes.delete(id);
  }

  resolveRef(name: string): Digest | undefined {
    return this.#refs.get(name);
  }

  refs(): ReadonlyMap<string, Digest> {
    return this.#refs;
  }

  /** The references to an image, sorted by their full string, as moby's reference store returns them. */
  refsOf(id: Digest): string[] {
    const out: string[] = [];
    for (const [name, target] of this.#refs) if (target === id) out.push(name);
    return out.sort();
  }

  /** Point `name` at `id`; with `taggedAt`, also record it as the image's last tag time (one write). */
  async setRef(name: string, id: Digest, taggedAt?: string): Promise<void> {
    this.#refs.set(name, id);
    if (taggedAt !== undefined) this.#tagTimes.set(id, taggedAt);
    await this.#saveRefs();
  }

  async deleteRefs(names: readonly string[]): Promise<void> {
    for (const n of names) this.#refs.delete(n);
    await this.#saveRefs();
  }

  // Saves are serialised and each takes its snapshot when its turn comes, so the file on
  // disk always ends with the latest map even when tags race. Changes made while a save is
  // queued (not yet writing) join it: a burst of tags costs one write, not one each.
  #saveRefs(): Promise<void> {
    if (this.#queuedSave) return this.#queuedSave;
    const save = this.#refsLock.run('refs', () => {
      this.#queuedSave = undefined;
      const file: RefsFile = { refs: Object.fromEntries(this.#refs), tagTimes: Object.fromEntries(this.#tagTimes) };
      return writeJsonAtomic(join(this.#root, 'refs.json'), file);
    });
    this.#queuedSave = save;
    return save;
  }
}
