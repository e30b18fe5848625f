/**
 * Persistent network namespaces: `unshare --net=<file>` makes a namespace and bind-mounts it on
 * the file (as `ip netns add` does under /run/netns), then brings lo up inside it. The file lives
 * under the daemon's exec root so that netavark can set it up before the container exists and
 * tear it down after the container is gone, whatever happened to the container's processes.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { System, isErrno, messageOf } from '../errdefs/index.js';
import { execCommand } from '../util/exec.js';


export async function createNetns(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, '', { mode: 0o444 });
  try {
    await execCommand('unshare', [`--net=${path}`, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await removeNetns(path);
    throw new System(`creating network namespace ${path}: ${(err as { stderr?: string }).stderr?.trim() || messageOf(err)}`, { cause: err });
  }
}

/** Unmounts and deletes a namespace file; a missing or already unmounted one is fine. */
export async function removeNetns(path: string): Promise<void> {
  try {
    await execCommand('umount', [path]);
  } catch (err) {
    // Not mounted (or gone): nothing holds the namespace any more.
    void err;
  }
  try {
    await rm(path, { force: true });
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
