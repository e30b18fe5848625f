/**
 * Files in and out of a container's root filesystem (`docker cp`, `docker export`): paths are
 * resolved inside the root as a chroot would resolve them, a directory or file is packed into a
 * tar, and a tar is extracted into a directory of the root.
 *
 * Safety: every path the client names is resolved by `resolveInRoot`, which follows symlinks
 * itself (an absolute target restarts from the root, `..` stops at the root), so no lookup leaves
 * the container root. Extraction resolves each entry's parent the same way and creates the entry
 * itself with O_EXCL|O_NOFOLLOW (or after removing what was there), never through a symlink. A
 * running container could still swap a directory for a symlink between the resolution and the
 * use: Docker closes that race by extracting in a chroot, which Node cannot do in-process, so the
 * callers freeze a running container for the call (ContainerService.withRootfs).
 */
import { constants, createReadStream, type Stats } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { pack as tarPack, type Pack } from 'tar-stream';
import { InvalidParameter, System, isErrno } from '../errdefs/index.js';
import { baseOf, normalizeEntryPath, parentOf } from '../store/layers/entry-path.js';
import { scanLayer } from '../store/layers/scan.js';
import { createSpecialFiles } from '../store/layers/special-files.js';
import { withXattrs } from '../util/tar-xattrs.js';
import { CAPABILITY_XATTR, readCapabilities } from '../util/xattr.js';

const MAX_SYMLINKS = 255;

/**
 * The absolute in-root form (`/a/b`) of `path` resolved inside `root`, following symlinks as the
 * kernel would in a chroot at `root`; the last component is followed only when `followLast`.
 * Components that do not exist are kept as they are (the caller's lstat reports ENOENT).
 */
export async function resolveInRoot(root: string, path: string, followLast = true): Promise<string> {
  const queue = path.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    if (queue.length === 0 && !followLast) {
      resolved.push(part);
      break;
    }
    const st = await lstatOrUndefined(join(root, ...resolved, part));
    if (st === undefined || !st.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new InvalidParameter(`too many levels of symbolic links: ${path}`);
    const target = await readlink(join(root, ...resolved, part));
    if (target.startsWith('/')) resolved.length = 0;
    queue.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return `/${resolved.join('/')}`;
}

/** Docker's ContainerPathStat (the `X-Docker-Container-Path-Stat` header, base64 JSON). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits plus type bits in the high bits. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode bits for a Node Stats. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}

/**
 * Stats `path` in the root (the last component not followed, as moby's statPath): ENOENT-style
 * NotFound is the caller's to word. A symlink's linkTarget is its fully resolved in-root path.
 */
export async function statInRoot(root: string, path: string): Promise<{ stat: PathStat; resolved: string } | undefined> {
  const resolved = await resolveInRoot(root, path, false);
  const st = await lstatOrUndefined(join(root, resolved));
  if (st === undefined) return undefined;
  const linkTarget = st.isSymbolicLink() ? await resolveInRoot(root, resolved, true) : '';
  const clean = path.replace(/\/+$/, '');
  const name = clean === '' ? '/' : clean.endsWith('/.') ? '.' : baseOf(clean);
  return { stat: { name, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget }, resolved };
}

/**
 * Packs `hostPath` into `p` as `name` (and, for a directory, everything under it as `name/…`);
 * an empty `name` packs only the directory's contents, without the `./` prefix (export).
 * Sockets are skipped (as in Docker); hard links inside the packed tree stay hard links; regular
 * files keep their file capabilities (the one xattr Docker's tars carry).
 */
export async function packTree(p: Pack, hostPath: string, name: string): Promise<void> {
  // The tree is listed first so that one python3 reads every capability (Node has no getxattr).
  const items: Array<{ abs: string; name: string; st: Stats }> = [];
  const visit = async (abs: string, entryName: string): Promise<void> => {
    const st = await lstat(abs);
    if (st.isSocket()) return;
    if (entryName !== '') items.push({ abs, name: entryName, st });
    if (st.isDirectory()) {
      for (const child of (await readdir(abs)).sort()) await visit(join(abs, child), entryName === '' ? child : `${entryName.replace(/\/$/, '')}/${child}`);
    }
  };
  await visit(hostPath, name);
  const caps = await readCapabilities(items.filter((i) => i.st.isFile()).map((i) => i.abs));
  const links = new Map<string, string>();
  for (const i of items) await addEntry(p, i.abs, i.name, i.st, { links, xattrs: xattrsOf(caps.get(i.abs)) });
}

/** A capability (from readCapabilities) as the xattr map of a tar entry. */
export function xattrsOf(capability: Buffer | undefined): Map<string, Buffer> | undefined {
  return capability === undefined ? undefined : new Map([[CAPABILITY_XATTR, capability]]);
}

/**
 * One tar entry for a file already lstat'ed; `links` maps dev:ino of regular files to their first
 * name; `xattrs` go into a PAX header before it (a hard link entry carries them too, as in Docker).
 */
export async function addEntry(
  p: Pack,
  abs: string,
  name: string,
  st: Stats,
  o: { links: Map<string, string>; xattrs?: ReadonlyMap<string, Buffer> | undefined },
): Promise<void> {
  const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  const put = (h: Header): Promise<void> => entry(p, withXattrs(p, h, o.xattrs));
  if (st.isDirectory()) return put({ ...base, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
  if (st.isSymbolicLink()) return put({ ...base, type: 'symlink', linkname: await readlink(abs) });
  if (st.isFIFO()) return put({ ...base, type: 'fifo' });
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = splitRdev(st.rdev);
    return put({ ...base, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
  }
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = o.links.get(key);
    if (first !== undefined) return put({ ...base, type: 'link', linkname: first });
    o.links.set(key, name);
  }
  if (st.size === 0) return entry(p, withXattrs(p, { ...base, type: 'file', size: 0 }, o.xattrs), Buffer.alloc(0));
  const out = p.entry(withXattrs(p, { ...base, type: 'file', size: st.size }, o.xattrs));
  // A file that grows meanwhile (a volume another container writes to) is cut at the size the
  // header gives, as GNU tar does; one that shrinks fails the archive (packTo).
  await pipeline(createReadStream(abs, { end: st.size - 1 }), out);
}

/**
 * Packs a tar into `out`, `fill` adding the entries. A failure half-way destroys the tar stream,
 * so `out` ends with the error and the pipeline's rejection is awaited here, never left unheard.
 */
export async function packTo(out: Writable, fill: (p: Pack) => Promise<void>): Promise<void> {
  const p = tarPack();
  const done = pipeline(p, out);
  try {
    await fill(p);
    p.finalize();
  } catch (err) {
    p.destroy(err instanceof Error ? err : new Error(String(err)));
    await done.catch(() => undefined);
    throw err;
  }
  await done;
}

type Header = Parameters<Pack['entry']>[0];

export function entry(p: Pack, h: Header, data?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (data !== undefined) p.entry(h, data, cb);
    else p.entry(h, cb);
  });
}

/** glibc's major()/minor() of a dev_t. */
function splitRdev(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  return { major: Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn)), minor: Number((r & 0xffn) | ((r >> 12n) & ~0xffn)) };
}

export interface ExtractOptions {
  root: string;
  /** The in-root directory to extract into (already resolved, an existing directory). */
  dir: string;
  input: Readable;
  /** Refuse to replace a directory with a non-directory or the reverse (moby NoOverwriteDirNonDir). */
  noOverwriteDirNonDir: boolean;
  /** Owner for every entry; by default the tar's own uid/gid. */
  chown?: { uid: number; gid: number };
  signal?: AbortSignal;
}

/** Extracts a tar into `dir` inside `root` (docker cp into a container), PAX xattrs included. */
export async function extractInRoot(o: ExtractOptions): Promise<void> {
  const special = createSpecialFiles();
  const dirTimes: Array<[string, Date]> = [];
  try {
    await scanLayer({
      input: o.input,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      onEntry: async (e) => {
        const h = e.header;
        const rel = normalizeEntryPath(h.name);
        if (rel === '') return;
        const parentIn = await resolveInRoot(o.root, `${o.dir}/${parentOf(rel)}`);
        const parentAbs = join(o.root, parentIn);
        await mkdir(parentAbs, { recursive: true, mode: 0o755 });
        const abs = join(parentAbs, baseOf(rel));
        const shown = `${parentIn === '/' ? '' : parentIn}/${baseOf(rel)}`;
        const isDir = h.type === 'directory';
        const existing = await lstatOrUndefined(abs);
        if (existing !== undefined) {
          if (existing.isDirectory() && isDir) {
            // Merge into the existing directory.
          } else if (o.noOverwriteDirNonDir && existing.isDirectory() !== isDir) {
            throw new InvalidParameter(
              existing.isDirectory()
                ? `cannot overwrite directory "${shown}" with non-directory "${h.name}"`
                : `cannot overwrite non-directory "${shown}" with directory "${h.name}"`,
            );
          } else {
            await rm(abs, { recursive: true, force: true }).catch((err: unknown) => {
              // A mount point (a volume, or the daemon's /etc/hostname, hosts, resolv.conf): Docker's words.
              if (isErrno(err, 'EBUSY')) throw new System(`Error processing tar file(exit status 1): unlinkat ${shown}: device or resource busy`, { cause: err });
              throw err;
            });
          }
        }
        const mode = h.mode ?? 0o644;
        const owner = o.chown ?? { uid: h.uid ?? 0, gid: h.gid ?? 0 };
        const mtime = h.mtime ?? new Date();
        switch (h.type) {
          case 'directory':
            if (existing === undefined || !existing.isDirectory()) await mkdir(abs, 0o700);
            dirTimes.push([abs, mtime]);
            break;
          case 'file':
          case 'contiguous-file': {
            const fh = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
            try {
              for await (const chunk of e.data()) await fh.write(chunk);
            } finally {
              await fh.close();
            }
            break;
          }
          case 'symlink':
            await symlink(h.linkname ?? '', abs);
            break;
          case 'link': {
            const target = await resolveInRoot(o.root, `${o.dir}/${normalizeEntryPath(h.linkname ?? '')}`, false);
            await link(join(o.root, target), abs);
            break;
          }
          case 'character-device':
          case 'block-device':
          case 'fifo':
            await special.mknod(abs, { type: h.type === 'fifo' ? 'fifo' : h.type === 'block-device' ? 'block' : 'char', mode, major: h.devmajor ?? 0, minor: h.devminor ?? 0 });
            break;
          default:
            throw new InvalidParameter(`unsupported tar entry type for ${JSON.stringify(h.name)}`);
        }
        await lchown(abs, owner.uid, owner.gid);
        // After the chown, which clears security.capability; on the entry itself, never a link's target.
        for (const [name, value] of e.xattrs) {
          try {
            await special.setxattr(abs, name, value);
          } catch (err) {
            // Docker skips what the kernel forbids (EPERM, e.g. user.* on a symlink) and fails on the rest.
            if (!isErrno(err, 'EPERM')) throw err;
          }
        }
        if (h.type !== 'symlink') await chmod(abs, mode & 0o7777);
        if (h.type !== 'directory') await lutimes(abs, mtime, mtime);
      },
    });
    for (const [abs, t] of dirTimes.reverse()) await lutimes(abs, t, t);
  } finally {
    await special.close();
  }
}

export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return undefined;
    throw err;
  }
}
