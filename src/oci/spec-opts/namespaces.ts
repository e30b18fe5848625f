import type { LinuxNamespace, NamespaceType, Spec } from '../runtime-spec.js';
import { linuxOf } from './spec-opt.js';

/** `private`: a new namespace; `host`: the runtime's own (no entry in the spec); `{path}`: join one. */
export type NamespaceMode = 'private' | 'host' | { path: string };

export interface NamespaceOptions {
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  uts?: NamespaceMode;
  network?: NamespaceMode;
  /** Default `host`, as Docker on cgroup v1; `private` is Docker's default on cgroup v2. */
  cgroup?: NamespaceMode;
}

/**
 * The container's namespaces: mount always private; pid, ipc, uts and network private unless
 * told otherwise (Docker's defaults). A network namespace path lets a network set up beforehand
 * (e.g. by netavark in /run/netns/NAME) be joined.
 */
export function withNamespaces(opts: NamespaceOptions = {}): (spec: Spec) => void {
  return (spec) => {
    const list: LinuxNamespace[] = [{ type: 'mount' }];
    const order: Array<[NamespaceType, NamespaceMode]> = [
      ['network', opts.network ?? 'private'],
      ['uts', opts.uts ?? 'private'],
      ['pid', opts.pid ?? 'private'],
      ['ipc', opts.ipc ?? 'private'],
      ['cgroup', opts.cgroup ?? 'host'],
    ];
    for (const [type, mode] of order) {
      if (mode === 'host') continue;
      list.push(mode === 'private' ? { type } : { type, path: mode.path });
    }
    linuxOf(spec).namespaces = list;
  };
}
