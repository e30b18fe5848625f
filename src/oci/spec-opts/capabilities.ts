import { readFileSync } from 'node:fs';
import { InvalidParameter } from '../../errdefs/index.js';
import type { LinuxCapabilities, Spec } from '../runtime-spec.js';
import { processOf } from './spec-opt.js';

/** Every capability Linux defines, by number (include/uapi/linux/capability.h). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set (moby daemon/pkg/oci/caps/defaults.go): CapEff 0x00000000a80425fb. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN; `ALL` stays `ALL`. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw new InvalidParameter(`unknown capability: "${name}"`);
  return full;
}

/** Capabilities as a CapEff-style bit mask (bigint: the numbers go past 31). */
export function capabilityMask(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    const bit = ALL_CAPABILITIES.indexOf(normalizeCapability(c));
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/** The capability names set in a CapBnd/CapEff mask. */
export function capabilitiesOfMask(mask: bigint): string[] {
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/**
 * The capabilities this process may hand to a container: its bounding set, read from
 * /proc/self/status. A capability the daemon lacks (CAP_SYS_RESOURCE in some VMs) cannot be
 * granted to a child, so `--privileged` and `--cap-add ALL` mean "all of these".
 */
export function grantableCapabilities(statusText = readFileSync('/proc/self/status', 'utf8')): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  if (m === null || m[1] === undefined) return [...ALL_CAPABILITIES];
  return capabilitiesOfMask(BigInt(`0x${m[1]}`));
}

function setAll(spec: Spec, caps: readonly string[]): void {
  const proc = processOf(spec);
  const list = [...new Set(caps)];
  const c: LinuxCapabilities = { bounding: [...list], effective: [...list], permitted: [...list] };
  proc.capabilities = c;
}

function current(spec: Spec): string[] {
  return [...(spec.process?.capabilities?.bounding ?? [])];
}

/** Docker's 14 default capabilities in the bounding, effective and permitted sets (none inheritable, none ambient). */
export function withDefaultCapabilities(): (spec: Spec) => void {
  return (spec) => setAll(spec, DEFAULT_CAPABILITIES);
}

/** Exactly these capabilities (names normalized). */
export function withCapabilities(caps: readonly string[]): (spec: Spec) => void {
  return (spec) => setAll(spec, caps.map(normalizeCapability).filter((c) => c !== 'ALL'));
}

/** Adds capabilities; `ALL` adds every grantable one. */
export function withCapAdd(caps: readonly string[], grantable?: readonly string[]): (spec: Spec) => void {
  return (spec) => {
    const add = caps.map(normalizeCapability);
    const all = grantable ?? grantableCapabilities();
    const next = add.includes('ALL') ? [...all] : [...current(spec), ...add];
    setAll(spec, next);
  };
}

/** Removes capabilities; `ALL` removes every one. */
export function withCapDrop(caps: readonly string[]): (spec: Spec) => void {
  return (spec) => {
    const drop = caps.map(normalizeCapability);
    const next = drop.includes('ALL') ? [] : current(spec).filter((c) => !drop.includes(c));
    setAll(spec, next);
  };
}

/**
 * Docker's `--cap-add`/`--cap-drop` together (moby caps.TweakCapabilities): starting from the
 * default set, `--cap-add ALL` means every capability minus the drops, `--cap-drop ALL` means
 * only the adds, otherwise defaults plus adds minus drops. Order of the flags does not matter.
 */
export function withCapTweaks(opts: { add?: readonly string[]; drop?: readonly string[]; grantable?: readonly string[] }): (spec: Spec) => void {
  return (spec) => {
    const add = (opts.add ?? []).map(normalizeCapability);
    const drop = (opts.drop ?? []).map(normalizeCapability);
    const all = opts.grantable ?? grantableCapabilities();
    let caps: string[];
    if (add.includes('ALL')) caps = all.filter((c) => !drop.includes(c));
    else if (drop.includes('ALL')) caps = add.filter((c) => all.includes(c) || ALL_CAPABILITIES.includes(c));
    else caps = [...DEFAULT_CAPABILITIES, ...add].filter((c) => !drop.includes(c));
    setAll(spec, caps);
  };
}
