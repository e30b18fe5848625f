import type { LinuxDevice, Spec } from '../runtime-spec.js';
import { grantableCapabilities } from './capabilities.js';
import { linuxOf, processOf, resourcesOf } from './spec-opt.js';

/** process.noNewPrivileges: setuid binaries and file capabilities no longer raise privileges. */
export function withNoNewPrivileges(on = true): (spec: Spec) => void {
  return (spec) => {
    processOf(spec).noNewPrivileges = on;
  };
}

export interface PrivilegedOptions {
  /** Capabilities to grant; default: every one in this process's bounding set. */
  capabilities?: readonly string[];
  /** Host devices to create in the container (Docker adds every host device); default none. */
  devices?: readonly LinuxDevice[];
}

/**
 * `--privileged`, as Docker does it: every capability the daemon holds, no masked or read-only
 * paths, no seccomp filter, every device allowed in the devices cgroup, and /sys and
 * /sys/fs/cgroup mounted read-write. Apply it after the other mutators: it undoes them.
 */
export function withPrivileged(opts: PrivilegedOptions = {}): (spec: Spec) => void {
  return (spec) => {
    const caps = [...(opts.capabilities ?? grantableCapabilities())];
    processOf(spec).capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
    const linux = linuxOf(spec);
    delete linux.maskedPaths;
    delete linux.readonlyPaths;
    delete linux.seccomp;
    resourcesOf(spec).devices = [{ allow: true, access: 'rwm' }];
    if (opts.devices !== undefined) linux.devices = [...(linux.devices ?? []), ...opts.devices];
    for (const m of spec.mounts ?? []) {
      if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') {
        m.options = (m.options ?? []).filter((o) => o !== 'ro').concat('rw');
      }
    }
  };
}
