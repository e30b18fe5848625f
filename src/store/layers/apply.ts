/**
 * Applies an image layer (tar, optionally gzip or zstd) to an empty directory, producing the
 * overlayfs form of the layer: AUFS-style whiteouts become what overlayfs reads, i.e.
 * `dir/.wh.name` → a 0/0 character device `dir/name`, and `dir/.wh..wh..opq` → the xattr
 * `trusted.overlay.opaque=y` on `dir` (moby `overlayWhiteoutConverter`).
 *
 * Safety: nothing is ever written outside `dest`. Names are cleaned lexically ('..' may not climb
 * above the root; a leading '/' means the root). Every parent of an entry must be a real directory
 * inside the layer: a symlink there is rejected rather than followed, so a tar that plants
 * `a -> /` cannot then write `a/etc/passwd`. Hardlink targets are checked the same way. Symlinks
 * themselves may point anywhere, since they are never followed here. On failure the caller
 * removes `dest`.
 */
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidParameter, isErrno, isInvalidParameter, isNotImplemented, messageOf } from '../../errdefs/index.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { baseOf, escapesError, normalizeEntryPath, parentOf } from './entry-path.js';
import { scanLayer, type LayerEntry, type LayerSummary } from './scan.js';
import { createSpecialFiles, type SpecialFiles } from './special-files.js';
import { WriteBehind } from './write-behind.js';

export { compressionOf, type Compression } from './compression.js';
export type { LayerSummary } from './scan.js';

export interface ApplyLayerOptions {
  input: NodeJS.ReadableStream | Readable;
  /** An existing, empty directory. */
  dest: string;
  signal?: AbortSignal;
  logger?: Logger;
  /** mknod/xattr implementation; by default a python3 helper per call (see special-files.ts). */
  specialFiles?: SpecialFiles;
}

const WHITEOUT_PREFIX = '.wh.';
const AUFS_META_PREFIX = '.wh..wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
const OPAQUE_XATTR = `${OVERLAY_XATTR_PREFIX}opaque`;

/** Extracts the layer into `dest`; resolves with its diffID and the total size of its regular files. */
export async function applyLayer(opts: ApplyLayerOptions): Promise<LayerSummary> {
  const dest = resolve(opts.dest);
  const st = await lstat(dest);
  if (!st.isDirectory()) throw new InvalidParameter(`apply layer: ${dest} is not a directory`);
  const special = opts.specialFiles ?? createSpecialFiles();
  const extraction = new Extraction(dest, special, opts.logger ?? silentLogger);
  try {
    const summary = await scanLayer({
      input: opts.input,
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      onEntry: (entry) => extraction.apply(entry),
    });
    opts.signal?.throwIfAborted();
    await extraction.finish();
    return summary;
  } finally {
    await extraction.settle();
    if (opts.specialFiles === undefined) await special.close();
  }
}

/** Hashes a layer (decompressing it if needed) without extracting it. */
export function diffIdOfTar(
  input: NodeJS.ReadableStream | Readable,
  opts: { signal?: AbortSignal } = {},
): Promise<LayerSummary> {
  return scanLayer({ input, ...opts, onEntry: async () => undefined });
}

interface Times {
  atime: number;
  mtime: number;
}

class Extraction {
  readonly #dest: string;
  readonly #special: SpecialFiles;
  readonly #logger: Logger;
  /**
   * Relative paths known to be real directories whose ancestors are all real directories. Exact,
   * because this extraction is the only writer: removing a path removes it and its descendants.
   */
  readonly #dirs = new Set<string>(['']);
  /** Directory times are set last: creating entries inside a directory changes its mtime. */
  readonly #dirTimes = new Map<string, Times>();
  readonly #behind = new WriteBehind(32);

  constructor(dest: string, special: SpecialFiles, logger: Logger) {
    this.#dest = dest;
    this.#special = special;
    this.#logger = logger;
  }

  async apply(entry: LayerEntry): Promise<void> {
    const { header } = entry;
    const name = header.name;
    const rel = normalizeEntryPath(name);
    const base = baseOf(rel);
    // AUFS metadata (`.wh..wh.plnk/…`, `.wh..wh.aufs`) at the root is not part of the image.
    if (rel.startsWith(AUFS_META_PREFIX) && rel !== OPAQUE_MARKER) return;
    if (rel === '') {
      if (header.type === 'directory' || name.endsWith('/')) return;
      throw new InvalidParameter(`invalid tar header: ${JSON.stringify(name)} replaces the layer root`);
    }
    await this.#ensureParents(rel, name);
    if (base === OPAQUE_MARKER) {
      await this.#special.setxattr(this.#abs(parentOf(rel)), OPAQUE_XATTR, Buffer.from('y'));
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) return this.#whiteout(entry, rel);

    const abs = this.#abs(rel);
    const mode = header.mode & 0o7777;
    const owner = ownerOf(entry);
    const times = timesOf(entry);
    // Old tars mark directories as regular files whose names end in '/' (Go's reader converts them).
    const type = header.type === 'file' && name.endsWith('/') ? 'directory' : header.type;
    switch (type) {
      case 'directory': {
        await this.#mkdir(rel);
        await lchown(abs, owner.uid, owner.gid);
        await this.#setXattrs(abs, entry);
        await chmod(abs, mode);
        this.#dirTimes.set(rel, times);
        return;
      }
      case 'file':
      case 'contiguous-file': {
        const fh = await this.#create(rel, () =>
          open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600),
        );
        let handedOff = false;
        try {
          for await (const chunk of entry.data()) await writeAll(fh, chunk);
          // chown clears setuid bits and security.capability, so xattrs and mode come after it.
          // With xattrs (rare, and set by path) everything stays in line, else the fd-only
          // remainder runs behind the next entries.
          const finish = async (): Promise<void> => {
            try {
              await fh.chown(owner.uid, owner.gid);
              await this.#setXattrs(abs, entry);
              await fh.chmod(mode);
              await fh.utimes(times.atime, times.mtime);
            } finally {
              await fh.close();
            }
          };
          handedOff = true;
          if (entry.xattrs.size > 0) await finish();
          else await this.#behind.add(finish);
        } finally {
          if (!handedOff) await fh.close();
        }
        return;
      }
      case 'symlink': {
        const target = header.linkname ?? '';
        if (target === '') throw new InvalidParameter(`invalid tar header: symlink ${JSON.stringify(name)} has no target`);
        await this.#create(rel, () => symlink(target, abs));
        await lchown(abs, owner.uid, owner.gid);
        await this.#setXattrs(abs, entry);
        await lutimes(abs, times.atime, times.mtime);
        return;
      }
      case 'link': {
        // The target's own metadata must land before this entry's, which applies to the same inode.
        await this.#behind.drain();
        const isSymlink = await this.#hardlink(rel, name, header.linkname ?? '');
        await lchown(abs, owner.uid, owner.gid);
        await this.#setXattrs(abs, entry);
        // There is no lchmod: a hardlinked symlink keeps its mode and times (as in Docker).
        if (!isSymlink) {
          await chmod(abs, mode);
          await lutimes(abs, times.atime, times.mtime);
        }
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = type === 'fifo' ? 'fifo' : type === 'block-device' ? 'block' : 'char';
        const node = { type: kind, mode, major: header.devmajor, minor: header.devminor } as const;
        await this.#create(rel, () => this.#special.mknod(abs, node));
        await lchown(abs, owner.uid, owner.gid);
        await this.#setXattrs(abs, entry);
        await chmod(abs, mode);
        await lutimes(abs, times.atime, times.mtime);
        return;
      }
      default:
        throw new InvalidParameter(`invalid tar header: unsupported entry type for ${JSON.stringify(name)}`);
    }
  }

  /** Completes pending file work, then sets directory times (for directories still directories). */
  async finish(): Promise<void> {
    await this.#behind.drain();
    for (const [rel, t] of this.#dirTimes) {
      if (this.#dirs.has(rel)) await lutimes(this.#abs(rel), t.atime, t.mtime);
    }
  }

  /** Waits for pending file work after a failure, so no file is still open when dest is removed. */
  settle(): Promise<void> {
    return this.#behind.settle();
  }

  #abs(rel: string): string {
    return rel === '' ? this.#dest : join(this.#dest, rel);
  }

  /** `dir/.wh.name`: whatever `dir/name` is becomes a 0/0 character device. */
  async #whiteout(entry: LayerEntry, rel: string): Promise<void> {
    const hidden = baseOf(rel).slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') {
      throw new InvalidParameter(`invalid tar header: bad whiteout ${JSON.stringify(entry.header.name)}`);
    }
    const parent = parentOf(rel);
    const target = parent === '' ? hidden : `${parent}/${hidden}`;
    const abs = this.#abs(target);
    await this.#create(target, () => this.#special.mknod(abs, { type: 'char', mode: 0, major: 0, minor: 0 }));
    const owner = ownerOf(entry);
    await lchown(abs, owner.uid, owner.gid);
  }

  /**
   * Makes sure every parent of `rel` is a real directory, creating missing ones (0755, root-owned,
   * as Docker does). A symlink or other non-directory parent rejects the entry.
   */
  async #ensureParents(rel: string, name: string): Promise<void> {
    await this.#walkParents(rel, name, true);
  }

  async #walkParents(rel: string, name: string, create: boolean): Promise<void> {
    const parent = parentOf(rel);
    if (this.#dirs.has(parent)) return;
    let cur = '';
    for (const part of parent.split('/')) {
      cur = cur === '' ? part : `${cur}/${part}`;
      if (this.#dirs.has(cur)) continue;
      const abs = this.#abs(cur);
      const st = await lstatOrUndefined(abs);
      if (st === undefined) {
        if (!create) throw new InvalidParameter(`invalid tar header: ${JSON.stringify(name)} does not exist in the layer`);
        await mkdir(abs, 0o755);
      } else if (st.isSymbolicLink()) {
        throw escapesError(name, ` through symlink ${JSON.stringify(cur)}`);
      } else if (!st.isDirectory()) {
        throw new InvalidParameter(`invalid tar header: parent ${JSON.stringify(cur)} of ${JSON.stringify(name)} is not a directory`);
      }
      this.#dirs.add(cur);
    }
  }

  /** Runs `make`; if something already exists at `rel` it is removed (with its contents) and `make` retried. */
  async #create<T>(rel: string, make: () => Promise<T>): Promise<T> {
    try {
      return await make();
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    await this.#remove(rel);
    return make();
  }

  /** A directory entry merges into an existing directory and replaces anything else. */
  async #mkdir(rel: string): Promise<void> {
    const abs = this.#abs(rel);
    try {
      await mkdir(abs, 0o700);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
      const st = await lstat(abs);
      if (!st.isDirectory()) {
        await this.#remove(rel);
        await mkdir(abs, 0o700);
      }
    }
    this.#dirs.add(rel);
  }

  async #remove(rel: string): Promise<void> {
    await rm(this.#abs(rel), { recursive: true, force: true });
    for (const dir of this.#dirs) {
      if (dir === rel || dir.startsWith(`${rel}/`)) this.#dirs.delete(dir);
    }
  }

  /** Links `rel` to `linkname` (relative to the layer root); resolves whether the target is a symlink. */
  async #hardlink(rel: string, name: string, linkname: string): Promise<boolean> {
    const bad = (why: string): InstanceType<typeof InvalidParameter> =>
      new InvalidParameter(`invalid tar header: hardlink ${JSON.stringify(name)} -> ${JSON.stringify(linkname)} ${why}`);
    let target: string;
    try {
      target = normalizeEntryPath(linkname);
    } catch (err) {
      // normalizeEntryPath only throws for a '..' climbing out; report it as the link's problem.
      if (!isInvalidParameter(err)) throw err;
      throw bad('escapes the layer');
    }
    if (target === '' || target === rel) throw bad('is invalid');
    await this.#walkParents(target, linkname, false);
    const st = await lstatOrUndefined(this.#abs(target));
    if (st === undefined) throw bad('points to a file not in the layer');
    if (st.isDirectory()) throw bad('points to a directory');
    try {
      await this.#create(rel, () => link(this.#abs(target), this.#abs(rel)));
    } catch (err) {
      // Replacing `rel` removed the target (it was inside `rel`).
      if (isErrno(err, 'ENOENT')) throw bad('points to a file not in the layer');
      throw err;
    }
    return st.isSymbolicLink();
  }

  /**
   * PAX xattrs; like Docker, a filesystem that refuses them only earns a warning. `trusted.overlay.*`
   * is overlayfs's own metadata (opaque, redirect, metacopy): no real layer carries it as an xattr,
   * and a hostile one could use it to rewire the merged view, so it is dropped.
   */
  async #setXattrs(abs: string, entry: LayerEntry): Promise<void> {
    for (const [name, value] of entry.xattrs) {
      if (name.startsWith(OVERLAY_XATTR_PREFIX)) {
        this.#logger.warn('ignored overlayfs xattr in layer', { path: entry.header.name, xattr: name });
        continue;
      }
      try {
        await this.#special.setxattr(abs, name, value);
      } catch (err) {
        if (!isErrno(err, 'ENOTSUP', 'EOPNOTSUPP', 'EPERM') && !isNotImplemented(err)) throw err;
        this.#logger.warn('ignored xattr in layer', { path: entry.header.name, xattr: name, error: messageOf(err) });
      }
    }
  }
}

async function lstatOrUndefined(path: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/** PAX `uid`/`gid` win over the header fields (they hold IDs too large for them). */
function ownerOf(entry: LayerEntry): { uid: number; gid: number } {
  return { uid: paxInt(entry.pax['uid']) ?? entry.header.uid, gid: paxInt(entry.pax['gid']) ?? entry.header.gid };
}

function paxInt(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Seconds; atime is the later of atime and mtime, and out-of-range times become the epoch (moby). */
function timesOf(entry: LayerEntry): Times {
  const mtime = bound(paxTime(entry.pax['mtime']) ?? entry.header.mtime.getTime() / 1000);
  const atime = bound(Math.max(paxTime(entry.pax['atime']) ?? mtime, mtime));
  return { atime, mtime };
}

function paxTime(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

/** moby's boundTime: [epoch, epoch + 2^63 ns]. */
function bound(seconds: number): number {
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= 9_223_372_036 ? seconds : 0;
}
