import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isErrno } from '../../errdefs/index.js';
import { TEMP_PREFIX, writeJsonAtomic } from '../../util/atomic-file.js';
import type { Digest } from '../../util/digest.js';

/** What a lease keeps from garbage collection: blobs by digest, layers by chain ID. */
export interface Lease {
  id: string;
  /** Epoch milliseconds after which the lease no longer protects anything. */
  expires: number;
  blobs: Digest[];
  layers: Digest[];
}

/**
 * Leases (containerd's idea): an operation that writes blobs and layers before an image refers to
 * them (a pull) records them here first, so GC keeps them, also after a crash or a failed attempt:
 * the next pull of the same image re-uses what was complete. A lease ends when the operation
 * succeeds, or by expiry. One JSON file per lease, written atomically.
 */
export class LeaseStore {
  readonly #root: string;
  readonly #now: () => number;

  constructor(root: string, now: () => number = Date.now) {
    this.#root = root;
    this.#now = now;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    for (const name of await readdir(this.#root)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.#root, name), { force: true });
    }
    // Expired leases go at start; live ones are read on every GC.
    await this.live();
  }

  async create(o: { ttlMs: number; blobs: Digest[]; layers: Digest[] }): Promise<Lease> {
    const lease: Lease = { id: randomBytes(8).toString('hex'), expires: this.#now() + o.ttlMs, blobs: o.blobs, layers: o.layers };
    await writeJsonAtomic(join(this.#root, `${lease.id}.json`), lease);
    return lease;
  }

  async delete(id: string): Promise<void> {
    await rm(join(this.#root, `${id}.json`), { force: true });
  }

  /** Unexpired leases; expired ones are removed on the way. */
  async live(): Promise<Lease[]> {
    const out: Lease[] = [];
    for (const name of await readdir(this.#root)) {
      if (!name.endsWith('.json') || name.startsWith(TEMP_PREFIX)) continue;
      let lease: Lease;
      try {
        lease = JSON.parse(await readFile(join(this.#root, name), 'utf8')) as Lease;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw err;
      }
      if (lease.expires <= this.#now()) await rm(join(this.#root, name), { force: true });
      else out.push(lease);
    }
    return out;
  }
}
