/**
 * The build cache: step key → the image that step produced. A key is a sha256 of the parent
 * image, the instruction after substitution (with the build args it sees) and, for COPY/ADD, the
 * sources' checksum. Kept in one JSON file, written atomically after each build; an entry whose
 * image is gone is a miss (and dropped).
 *
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errdefs/index.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { sha256, type Digest } from '../util/digest.js';
import { KeyedMutex } from '../util/mutex.js';

export interface CacheEntry {
  image: Digest;
  /** The step's history line (for `system df`). */
  description: string;
  created: string;
  lastUsed: string;
  usageCount: number;
}

export function cacheKey(parts: readonly unknown[]): string {
  return sha256(JSON.stringify(parts)).slice('sha256:'.length);
}

export class BuildCache {
  readonly #file: string;
  #entries = new Map<string, CacheEntry>();
  readonly #lock = new KeyedMutex();
  /** Entries added or removed since the last save (usage counts alone are not worth an fsync). */
  #dirty = false;

  constructor(dir: string) {
    this.#file = join(dir, 'cache.json');
  }

  async init(): Promise<void> {
    await mkdir(join(this.#file, '..'), { recursive: true });
    try {
      const raw = JSON.parse(await readFile(this.#file, 'utf8')) as Record<string, CacheEntry>;
      this.#entries = new Map(Object.entries(raw));
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  }

  /** The cached image for `key` if `exists` says it is still there. */
  get(key: string, exists: (id: Digest) => boolean, now: Date): Digest | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (!exists(e.image)) {
      this.#entries.delete(key);
      this.#dirty = true;
      return undefined;
    }
    e.lastUsed = now.toISOString();
    e.usageCount++;
    return e.image;
  }

  set(key: string, image: Digest, description: string, now: Date): void {
    const t = now.toISOString();
    this.#entries.set(key, { image, description, created: t, lastUsed: t, usageCount: 0 });
    this.#dirty = true;
  }

  entries(): [string, CacheEntry][] {
    return [...this.#entries];
  }

  delete(keys: readonly string[]): void {
    for (const k of keys) this.#entries.delete(k);
    this.#dirty = true;
  }

  async save(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.#lock.run('file', () => writeJsonAtomic(this.#file, Object.fromEntries(this.#entries)));
  }
}
