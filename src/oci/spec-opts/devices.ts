import type { LinuxDeviceCgroup, Spec } from '../runtime-spec.js';
import { resourcesOf } from './spec-opt.js';

/**
 * Docker's device cgroup rules for an unprivileged container: deny everything, allow mknod of
 * any device (creating a node is harmless, opening it is not), then the standard devices
 * (null, zero, full, random, urandom, tty, console, ptmx, /dev/pts/*) read-write; /dev/net/tun
 * (10:200) as Docker does; the runtime creates the default device nodes itself. A wildcard major or
 * minor is an absent field (the spec's form; runc and crun both read it as `*`).
 */
export const DEFAULT_DEVICE_RULES: readonly LinuxDeviceCgroup[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' },
];

export function withDefaultDevices(): (spec: Spec) => void {
  return (spec) => {
    resourcesOf(spec).devices = DEFAULT_DEVICE_RULES.map((d) => ({ ...d }));
  };
}
