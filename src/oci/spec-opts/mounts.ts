import type { Mount, Spec } from '../runtime-spec.js';

/** Docker's default mounts (moby daemon/pkg/oci/defaults.go), in Docker's order. */
export function defaultMounts(opts: { shmSize?: number } = {}): Mount[] {
  const shmSize = opts.shmSize ?? 64 * 1024 * 1024;
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor(shmSize / 1024)}k`],
    },
  ];
}

/** Replaces the spec's mounts with Docker's defaults (proc, /dev tmpfs, devpts, sysfs ro, cgroup ro, mqueue, shm). */
export function withDefaultMounts(opts: { shmSize?: number } = {}): (spec: Spec) => void {
  return (spec) => {
    spec.mounts = defaultMounts(opts);
  };
}

/**
 * Adds mounts; one whose destination is already mounted replaces it (a user's `--tmpfs /dev/shm`
 * or bind over a default), the rest are appended in the given order.
 */
export function withMounts(mounts: readonly Mount[]): (spec: Spec) => void {
  return (spec) => {
    const list = spec.mounts ?? [];
    for (const m of mounts) {
      const dest = normalizeDestination(m.destination);
      const i = list.findIndex((x) => normalizeDestination(x.destination) === dest);
      const copy: Mount = { ...m, ...(m.options !== undefined ? { options: [...m.options] } : {}) };
      if (i >= 0) list[i] = copy;
      else list.push(copy);
    }
    spec.mounts = list;
  };
}

function normalizeDestination(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
