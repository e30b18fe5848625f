/**
 * What a container changed: its overlay upper dir read against the image's layers, for
 * `docker diff` (A/C/D per path) and `docker commit` (a layer tar with the overlay whiteouts
 * turned back into AUFS form: a 0/0 character device `dir/x` → an empty `dir/.wh.x`, an opaque
 * directory → `dir/.wh..wh..opq`, as moby's overlay2 Diff does; a file capability becomes a PAX
 * `SCHILY.xattr.security.capability` record, as in every tar Docker writes).
 *
 * The files estiba bind-mounts over the rootfs (/etc/hostname, /etc/hosts, /etc/resolv.conf) are
 * created in the upper dir as mount points by the runtime; Docker keeps them in an "init" layer
 * that neither diff nor commit sees, so they are left out here, and so is a directory that is in
 * the upper dir only because of them.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pack } from 'tar-stream';
import { readCapabilities, readXattrs } from '../util/xattr.js';
import { addEntry, entry, lstatOrUndefined, xattrsOf } from './rootfs-archive.js';

/** Mount points of the bind-mounted etc files (Docker's init layer). */
const INIT_PATHS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/.dockerenv']);

/** Docker's change kinds: 0 modified (C), 1 added (A), 2 deleted (D). */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface UpperEntry {
  /** In-root path, `/a/b`. */
  path: string;
  kind: ChangeKind;
  /** The upper dir's file (undefined for a deletion). */
  stat?: Stats;
  opaque: boolean;
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/**
 * The changed paths in pre-order (a directory before its contents), sorted by name within a
 * directory. `lowers` are the image's layer dirs, top first.
 */
export async function upperChanges(upper: string, lowers: readonly string[]): Promise<UpperEntry[]> {
  const dirs: string[] = [];
  const collect = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(upper, rel))).sort()) {
      const r = `${rel}/${name}`;
      const st = await lstat(join(upper, r));
      if (st.isDirectory()) {
        dirs.push(r);
        await collect(r);
      }
    }
  };
  await collect('');
  const opaque = await opaqueDirs(upper, dirs);
  const inLower = async (rel: string): Promise<Stats | undefined> => {
    for (const l of lowers) {
      const st = await lstatOrUndefined(join(l, rel));
      if (st !== undefined) return isWhiteout(st) ? undefined : st;
    }
    return undefined;
  };
  const out: UpperEntry[] = [];
  /** Walks `rel`; resolves whether anything under it was reported. */
  const walk = async (rel: string): Promise<boolean> => {
    let any = false;
    for (const name of (await readdir(join(upper, rel))).sort()) {
      const path = `${rel}/${name}`;
      if (INIT_PATHS.has(path)) continue;
      const st = await lstat(join(upper, path));
      if (isWhiteout(st)) {
        out.push({ path, kind: ChangeKind.Deleted, opaque: false });
        any = true;
        continue;
      }
      const lower = await inLower(path);
      const isOpaque = st.isDirectory() && opaque.has(path);
      const e: UpperEntry = { path, kind: lower === undefined ? ChangeKind.Added : ChangeKind.Modified, stat: st, opaque: isOpaque };
      if (!st.isDirectory()) {
        out.push(e);
        any = true;
        continue;
      }
      const at = out.length;
      out.push(e);
      const below = await walk(path);
      // A directory that is only a copied-up parent of left-out paths, unchanged itself, is no change.
      const same = lower !== undefined && lower.isDirectory() && lower.mode === st.mode && lower.uid === st.uid && lower.gid === st.gid;
      if (!below && same && !isOpaque) out.splice(at, 1);
      else any = true;
    }
    return any;
  };
  await walk('');
  return out;
}

/** Directories of `upper` (relative `/a/b`) carrying overlayfs's opaque xattr; one python3 for all. */
async function opaqueDirs(upper: string, dirs: readonly string[]): Promise<Set<string>> {
  const values = await readXattrs(dirs.map((d) => upper + d), 'trusted.overlay.opaque');
  return new Set(dirs.filter((d) => values.get(upper + d)?.toString() === 'y'));
}

/** Writes the layer tar for `changes` (from upperChanges) into `p`; resolves the number of entries. */
export async function packLayer(p: Pack, upper: string, changes: readonly UpperEntry[]): Promise<number> {
  const links = new Map<string, string>();
  const caps = await readCapabilities(changes.filter((c) => c.stat?.isFile() === true).map((c) => upper + c.path));
  let n = 0;
  for (const c of changes) {
    const name = c.path.slice(1);
    const slash = name.lastIndexOf('/');
    if (c.kind === ChangeKind.Deleted) {
      const wh = slash < 0 ? `.wh.${name}` : `${name.slice(0, slash)}/.wh.${name.slice(slash + 1)}`;
      await entry(p, { name: wh, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) }, Buffer.alloc(0));
    } else {
      await addEntry(p, join(upper, name), name, c.stat!, { links, xattrs: xattrsOf(caps.get(upper + c.path)) });
      if (c.opaque) await entry(p, { name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) }, Buffer.alloc(0));
    }
    n++;
  }
  return n;
}
