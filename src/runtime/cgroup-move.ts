import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errdefs/index.js';

/**
 * Moves `pid` into the cgroup `rel` (relative to each hierarchy's root) of every hierarchy mounted
 * under `root`: the unified one on cgroup v2, each controller's (and name=systemd's) on v1.
 * Used to take conmon out of the daemon's own cgroup, so that stopping the daemon's service
 * (systemd KillMode=control-group) does not kill the monitors with it.
 */
export async function moveToCgroup(pid: number, rel: string, root = '/sys/fs/cgroup'): Promise<void> {
  const clean = rel.replace(/^\/+|\/+$/g, '');
  const hierarchies: string[] = [];
  if (await exists(join(root, 'cgroup.controllers'))) {
    hierarchies.push(root);
  } else {
    for (const ent of await readdir(root, { withFileTypes: true })) {
      // Skip the cpu,cpuacct-style symlinks: they point at a hierarchy listed under its own name.
      if (!ent.isDirectory()) continue;
      const dir = join(root, ent.name);
      if (await exists(join(dir, 'cgroup.procs'))) hierarchies.push(dir);
    }
  }
  for (const h of hierarchies) {
    const dir = join(h, clean);
    await mkdir(dir, { recursive: true });
    // cpuset needs cpus/mems set before a task can join; inherit the parent's (cgroup.clone_children).
    await writeFile(join(dir, 'cgroup.procs'), `${pid}\n`).catch((err: unknown) => {
      if (isErrno(err, 'ENOSPC', 'EINVAL', 'EOPNOTSUPP', 'EBUSY')) return; // hierarchy refuses tasks here (cpuset unset, v2 no-internal-process); staying in the parent's is harmless
      throw err;
    });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}
