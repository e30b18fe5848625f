import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataLoss, NotFound, isErrno } from '../../errdefs/index.js';
import { TEMP_PREFIX, syncDir, writeJsonAtomic } from '../../util/atomic-file.js';
import { hexOf, isDigest, sha256, type Digest } from '../../util/digest.js';
import { KeyedMutex } from '../../util/mutex.js';

export interface LayerRecord {
  chainId: Digest;
  diffId: Digest;
  parent?: Digest;
  /** This layer's own size as Docker reports it: regular files and symlink targets (see LayerSummary). */
  size: number;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (OCI image spec). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : sha256(`${prev} ${d}`));
  }
  return out;
}

/**
 * Unpacked layers, one directory each, keyed by chain ID: `<hex>/diff` holds the layer's
 * files in overlayfs form, `<hex>/layer.json` its record. A layer appears by renaming a
 * complete temp directory into place, so a reader (or a restarted daemon) sees it whole or
 * not at all. Reference counting is not stored: owners (images, containers) are walked by GC.
 */
export class LayerStore {
  readonly #root: string;
  readonly #lock = new KeyedMutex();

  constructor(root: string) {
    this.#root = root;
  }

  async init(): Promise<void> {
    await mkdir(this.#root, { recursive: true });
    for (const name of await readdir(this.#root)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.#root, name), { recursive: true, force: true });
    }
  }

  diffDir(chainId: Digest): string {
    return join(this.#root, hexOf(chainId), 'diff');
  }

  async get(chainId: Digest): Promise<LayerRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#root, hexOf(chainId), 'layer.json'), 'utf8')) as LayerRecord;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async mustGet(chainId: Digest): Promise<LayerRecord> {
    const rec = await this.get(chainId);
    if (!rec) throw new NotFound(`layer ${chainId} not found`);
    return rec;
  }

  /**
   * Create the layer `diffId` on top of `parent` unless it exists. `apply` fills an empty
   * directory and reports the diff ID of what it applied, which must equal `diffId`.
   */
  async create(opts: {
    parent: Digest | undefined;
    diffId: Digest;
    apply: (dest: string) => Promise<{ diffId: Digest; size: number }>;
  }): Promise<LayerRecord> {
    const chainId = opts.parent === undefined ? opts.diffId : sha256(`${opts.parent} ${opts.diffId}`);
    return this.#lock.run(chainId, async () => {
      const existing = await this.get(chainId);
      if (existing) return existing;
      const tmp = join(this.#root, `${TEMP_PREFIX}${hexOf(chainId).slice(0, 12)}-${randomBytes(4).toString('hex')}`);
      await mkdir(join(tmp, 'diff'), { recursive: true });
      try {
        const applied = await opts.apply(join(tmp, 'diff'));
        if (applied.diffId !== opts.diffId) {
          throw new DataLoss(`layer content does not match its diff ID: expected ${opts.diffId}, got ${applied.diffId}`);
        }
        const rec: LayerRecord = { chainId, diffId: opts.diffId, size: applied.size };
        if (opts.parent !== undefined) rec.parent = opts.parent;
        await writeJsonAtomic(join(tmp, 'layer.json'), rec);
        await rename(tmp, join(this.#root, hexOf(chainId)));
        await syncDir(this.#root);
        return rec;
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
    });
  }

  async list(): Promise<LayerRecord[]> {
    const out: LayerRecord[] = [];
    for (const name of await readdir(this.#root)) {
      const id = `sha256:${name}`;
      if (!isDigest(id)) continue;
      const rec = await this.get(id);
      if (rec) out.push(rec);
      // A directory without layer.json cannot come from create(): remove the leftover.
      else await this.remove(id);
    }
    return out;
  }

  async remove(chainId: Digest): Promise<void> {
    await this.#lock.run(chainId, async () => {
      const dir = join(this.#root, hexOf(chainId));
      const doomed = join(this.#root, `${TEMP_PREFIX}rm-${hexOf(chainId).slice(0, 12)}-${randomBytes(4).toString('hex')}`);
      try {
        await rename(dir, doomed);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        throw err;
      }
      await rm(doomed, { recursive: true, force: true });
    });
  }
}
