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
import { CAPABILITY_XATTR, portableCapability, readXattrs } from '../util/xattr.js';
import { addEntry, entry, lstatOrUndefined, xattrsOf } from './rootfs-archive.js';

const OPAQUE_XATTR = 'trusted.overlay.opaque';

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
  /** A regular file's capability (security.capability), when asked for. */
  capability?: Buffer;
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/**
 * The changed paths in pre-order (a directory before its contents), sorted by name within a
 * directory. `lowers` are the image's layer dirs, top first. With `capabilities` (for packLayer),
 * regular files carry their file capability; the same python3 that reads the opaque markers
 * reads them.
 */
export async function upperChanges(upper: string, lowers: readonly string[], o: { capabilities?: boolean } = {}): Promise<UpperEntry[]> {
  const dirs: string[] = [];
  const files: string[] = [];
  const collect = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(upper, rel))).sort()) {
      const r = `${rel}/${name}`;
      const st = await lstat(join(upper, r));
      if (st.isDirectory()) {
        dirs.push(r);
        await collect(r);
      } else if (o.capabilities === true && st.isFile()) {
        files.push(r);
      }
    }
  };
  await collect('');
  const { opaque, capabilities } = await readUpperXattrs(upper, dirs, files);
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
      const capability = capabilities.get(path);
      if (capability !== undefined && st.isFile()) e.capability = capability;
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

/**
 * Which of `dirs` carry overlayfs's opaque marker and which of `files` a file capability (paths
 * relative to `upper`, `/a/b`): one python3 for both, since Node has no getxattr.
 */
async function readUpperXattrs(upper: string, dirs: readonly string[], files: readonly string[]): Promise<{ opaque: Set<string>; capabilities: Map<string, Buffer> }> {
  const values = await readXattrs([...dirs.map((d) => [upper + d, OPAQUE_XATTR] as const), ...files.map((f) => [upper + f, CAPABILITY_XATTR] as const)]);
  const opaque = new Set(dirs.filter((_, i) => values[i]?.toString() === 'y'));
  const capabilities = new Map<string, Buffer>();
  files.forEach((f, i) => {
    const v = values[dirs.length + i];
    if (v !== undefined) capabilities.set(f, portableCapability(v));
  });
  return { opaque, capabilities };
}

/**
 * Writes the layer tar for `changes` (from upperChanges with `capabilities`, or files lose theirs)
 * into `p`; resolves the number of entries.
 */
export async function packLayer(p: Pack, upper: string, changes: readonly UpperEntry[]): Promise<number> {
  const links = new Map<string, string>();
  let n = 0;
  for (const c of changes) {
    const name = c.path.slice(1);
    const slash = name.lastIndexOf('/');
    if (c.kind === ChangeKind.Deleted) {
      const wh = slash < 0 ? `.wh.${name}` : `${name.slice(0, slash)}/.wh.${name.slice(slash + 1)}`;
      await entry(p, { name: wh, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) }, Buffer.alloc(0));
    } else {
      await addEntry(p, join(upper, name), name, c.stat!, { links, xattrs: xattrsOf(c.capability) });
      if (c.opaque) await entry(p, { name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) }, Buffer.alloc(0));
    }
    n++;
  }
  return n;
}
