/**
 * A directory on the host seen as a SourceTree (an image's mounted root, for `COPY --from`):
 * symlinks resolve inside it, never out of it.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isErrno } from '../errdefs/index.js';
import { readCapabilities } from '../util/xattr.js';
import { resolveInScope, type SourceEntry, type SourceTree } from './context.js';

export class HostTree implements SourceTree {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async #entry(path: string): Promise<SourceEntry | undefined> {
    try {
      const st = await lstat(join(this.#root, path));
      const type = st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : undefined;
      if (type === undefined) return undefined;
      return {
        path, type, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, size: type === 'file' ? st.size : 0,
        linkname: type === 'symlink' ? await readlink(join(this.#root, path)) : '',
      };
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
  }

  async stat(path: string, followLast = true): Promise<SourceEntry | undefined> {
    const r = await resolveInScope((p) => this.#entry(p), path, followLast);
    return r === undefined ? undefined : this.#entry(r);
  }

  async list(dir: string): Promise<string[]> {
    return (await readdir(join(this.#root, dir))).sort();
  }

  open(path: string): Readable {
    return createReadStream(join(this.#root, path));
  }

  async capabilities(paths: readonly string[]): Promise<Map<string, Buffer>> {
    const caps = await readCapabilities(paths.map((p) => join(this.#root, p)));
    const out = new Map<string, Buffer>();
    for (const p of paths) {
      const c = caps.get(join(this.#root, p));
      if (c !== undefined) out.set(p, c);
    }
    return out;
  }

  async paths(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const name of await this.list(dir)) {
        const p = dir === '' ? name : `${dir}/${name}`;
        out.push(p);
        const e = await this.#entry(p);
        if (e?.type === 'directory') await walk(p);
      }
    };
    await walk('');
    return out;
  }
}
