/**
 * A container's root filesystem: an overlay of the image's unpacked layers (read-only lower
 * dirs, top first) with the container's own upper and work dirs, mounted on `merged`.
 * Lower dirs are given relative to the layer store, with `mount` run from there, so an image
 * with many layers stays under the kernel's one-page limit for mount options (Docker's overlay2
 * uses short symlinks for the same reason).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { System } from '../errdefs/index.js';
import { execCommand } from '../util/exec.js';


export interface RootfsPaths {
  /** `<container dir>/rootfs`: upper, work and merged live here. */
  dir: string;
  upper: string;
  work: string;
  merged: string;
  /** An empty lower dir, for an image without layers (overlay needs at least one lower). */
  empty: string;
}

export function rootfsPaths(containerDir: string): RootfsPaths {
  const dir = join(containerDir, 'rootfs');
  return { dir, upper: join(dir, 'diff'), work: join(dir, 'work'), merged: join(dir, 'merged'), empty: join(dir, 'empty') };
}

export async function createRootfsDirs(p: RootfsPaths): Promise<void> {
  for (const d of [p.upper, p.work, p.merged, p.empty]) await mkdir(d, { recursive: true, mode: 0o755 });
}

/** Whether something is mounted on `target` (from /proc/self/mountinfo). */
export async function isMounted(target: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === target.replace(/ /g, '\\040'));
}

/** Mounts the overlay; `lowers` are absolute diff dirs, top layer first. Idempotent. */
export async function mountRootfs(p: RootfsPaths, lowers: readonly string[]): Promise<void> {
  if (await isMounted(p.merged)) return;
  const list = lowers.length > 0 ? lowers : [p.empty];
  // Layers share one parent directory (`<layers>/<hex>/diff`): name them relative to it.
  const base = dirname(dirname(list[0]!));
  const sameBase = list.every((l) => dirname(dirname(l)) === base);
  const lowerdir = sameBase ? list.map((l) => relative(base, l)).join(':') : list.join(':');
  const opts = `lowerdir=${lowerdir},upperdir=${p.upper},workdir=${p.work}`;
  try {
    await execCommand('mount', ['-t', 'overlay', 'overlay', '-o', opts, p.merged], { cwd: sameBase ? base : '/' });
  } catch (err) {
    throw new System(`mount overlay on ${p.merged}: ${(err as { stderr?: string }).stderr?.trim() ?? String(err)}`, { cause: err });
  }
}

/** Unmounts the overlay if mounted. */
export async function unmountRootfs(p: RootfsPaths): Promise<void> {
  if (!(await isMounted(p.merged))) return;
  try {
    await execCommand('umount', [p.merged]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    if (/not mounted/.test(stderr)) return;
    // Busy (a process still holds it, e.g. a runtime not yet reaped): detach it lazily.
    await execCommand('umount', ['-l', p.merged]).catch((e: unknown) => {
      throw new System(`umount ${p.merged}: ${stderr.trim() || String(e)}`, { cause: e });
    });
  }
}
