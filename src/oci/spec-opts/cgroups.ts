import type { Spec } from '../runtime-spec.js';
import { linuxOf } from './spec-opt.js';

export const DEFAULT_CGROUP_PARENT = 'estiba';

export interface CgroupsPathOptions {
  /** cgroupfs: a path under each hierarchy's root (default `estiba`); systemd: a slice (default `system.slice`). */
  parent?: string;
  manager?: 'cgroupfs' | 'systemd';
}

/**
 * Where the runtime puts the container's cgroup. cgroupfs: `/estiba/<id>` in every hierarchy
 * (Docker uses `/docker/<id>`; a distinct parent keeps our containers apart from a dockerd
 * on the same host). systemd: `system.slice:estiba:<id>`, a scope named `estiba-<id>.scope`;
 * the runtime must then be run with `--systemd-cgroup`.
 */
export function withCgroupsPath(id: string, opts: CgroupsPathOptions = {}): (spec: Spec) => void {
  return (spec) => {
    if (opts.manager === 'systemd') {
      linuxOf(spec).cgroupsPath = `${opts.parent ?? 'system.slice'}:estiba:${id}`;
      return;
    }
    const parent = (opts.parent ?? DEFAULT_CGROUP_PARENT).replace(/^\/+|\/+$/g, '');
    linuxOf(spec).cgroupsPath = parent === '' ? `/${id}` : `/${parent}/${id}`;
  };
}
