import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { DataLoss, NotFound, isErrno } from '../../errdefs/index.js';
import { hexOf, isDigest, sha256, type Digest } from '../../util/digest.js';
import { syncDir, tempPathFor } from '../../util/atomic-file.js';

/** Partial downloads untouched this long are removed at start-up. */
const PARTIAL_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/**
 * Content-addressed blob store: `blobs/sha256/<hex>`, read-only once committed.
 *
 * Writes go to `ingest/` first; commit verifies size and digest, fsyncs, renames into
 * `blobs/` and makes the file 0444. A crash leaves at most a stray ingest file, which
 * `init()` removes. Concurrent writers of the same blob are harmless: the rename is atomic
 * and both contents are identical by construction.
 */
export class ContentStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async init(): Promise<void> {
    await mkdir(join(this.#root, 'blobs', 'sha256'), { recursive: true });
    await rm(join(this.#root, 'ingest'), { recursive: true, force: true });
    await mkdir(join(this.#root, 'ingest'), { recursive: true });
    await mkdir(join(this.#root, 'partial'), { recursive: true });
    // Partial downloads survive restarts so that a pull can resume them; old ones are abandoned.
    const cutoff = Date.now() - PARTIAL_MAX_AGE_MS;
    for (const name of await readdir(join(this.#root, 'partial'))) {
      const p = join(this.#root, 'partial', name);
      const st = await stat(p).catch(() => undefined);
      if (st && st.mtimeMs < cutoff) await rm(p, { force: true });
    }
  }

  /**
   * Where the bytes of a blob being downloaded collect (`partial/<hex>`): kept across failed
   * attempts and daemon restarts, so the next attempt asks only for the rest (a Range request).
   */
  partialPath(digest: Digest): string {
    return join(this.#root, 'partial', hexOf(digest));
  }

  /**
   * Commit a complete partial download. The caller has hashed exactly the bytes in the file
   * (what it replayed from it plus what it appended) and found `digest` and `size`.
   */
  async commitPartial(digest: Digest, size: number): Promise<BlobInfo> {
    const path = this.partialPath(digest);
    const st = await stat(path);
    if (st.size !== size) throw new DataLoss(`partial blob ${digest}: ${st.size} bytes on disk, ${size} expected`);
    return this.#commit(path, digest, size);
  }

  path(digest: Digest): string {
    return join(this.#root, 'blobs', 'sha256', hexOf(digest));
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`, { cause: err });
      throw err;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.path(digest));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Small blobs (manifests, configs), read whole and re-verified. */
  async read(digest: Digest): Promise<Buffer> {
    let data: Buffer;
    try {
      data = await readFile(this.path(digest));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`, { cause: err });
      throw err;
    }
    if (sha256(data) !== digest) throw new DataLoss(`content ${digest}: stored data does not match its digest`);
    return data;
  }

  /** The first `n` bytes of a blob (fewer if it is shorter), to sniff its compression. */
  async head(digest: Digest, n: number): Promise<Buffer> {
    let fh;
    try {
      fh = await open(this.path(digest), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFound(`content ${digest}: not found`, { cause: err });
      throw err;
    }
    try {
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  createReadStream(digest: Digest): ReadStream {
    return createReadStream(this.path(digest));
  }

  async put(data: Buffer, expected?: Digest): Promise<BlobInfo> {
    const digest = sha256(data);
    if (expected !== undefined && expected !== digest) {
      throw new DataLoss(`digest mismatch: expected ${expected}, got ${digest}`);
    }
    if (await this.has(digest)) return { digest, size: data.length };
    const tmp = tempPathFor(join(this.#root, 'ingest', 'blob'));
    await writeFile(tmp, data, { flag: 'wx' });
    return this.#commit(tmp, digest, data.length);
  }

  /** Stream a blob in, verifying `expected` digest and size when given. */
  async ingest(input: Readable | NodeJS.ReadableStream | AsyncIterable<Buffer>, opts: { expected?: Digest; size?: number; signal?: AbortSignal } = {}): Promise<BlobInfo> {
    const tmp = tempPathFor(join(this.#root, 'ingest', 'blob'));
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(input, tap, createWriteStream(tmp, { flags: 'wx', flush: true }), { signal: opts.signal });
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    if ((opts.expected !== undefined && opts.expected !== digest) || (opts.size !== undefined && opts.size !== size)) {
      await rm(tmp, { force: true });
      throw new DataLoss(
        `failed to verify blob: expected ${opts.expected ?? '?'} (${opts.size ?? '?'} bytes), got ${digest} (${size} bytes)`,
      );
    }
    return this.#commit(tmp, digest, size);
  }

  async #commit(tmp: string, digest: Digest, size: number): Promise<BlobInfo> {
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, 0o444);
    const dest = this.path(digest);
    await rename(tmp, dest);
    await syncDir(join(this.#root, 'blobs', 'sha256'));
    return { digest, size };
  }

  async delete(digest: Digest): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  async list(): Promise<Digest[]> {
    const names = await readdir(join(this.#root, 'blobs', 'sha256'));
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }
}
