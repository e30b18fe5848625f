import { isErrno } from '../../errdefs/index.js';
import { existsSync, readFileSync } from 'node:fs';
import type { Spec } from '../runtime-spec.js';
import { linuxOf } from './spec-opt.js';

/** Docker's masked paths (moby daemon/pkg/oci/defaults.go), without the per-CPU thermal_throttle entries. */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

/**
 * Docker also masks /sys/devices/system/cpu/cpuN/thermal_throttle for every possible CPU that
 * has one (GHSA-6fw5-f8r9-fgfm). Computed from the host, like Docker does once per daemon.
 */
export function hostThermalThrottlePaths(): string[] {
  // The host's CPUs do not change under a running daemon: every container start reuses this.
  thermalPaths ??= scanThermalThrottlePaths();
  return [...thermalPaths];
}

let thermalPaths: string[] | undefined;

function scanThermalThrottlePaths(): string[] {
  let possible: string;
  try {
    possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  } catch (err) {
    // No sysfs CPU list (unusual sandboxes): nothing extra to mask.
    if (isErrno(err, 'ENOENT', 'EACCES')) return [];
    throw err;
  }
  const out: string[] = [];
  for (const part of possible.split(',')) {
    const [a, b] = part.split('-').map((x) => Number.parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) continue;
    for (let cpu = a; cpu <= (b ?? a); cpu++) {
      const p = `/sys/devices/system/cpu/cpu${cpu}/thermal_throttle`;
      if (existsSync(p)) out.push(p);
    }
  }
  return out;
}

/** Sets linux.maskedPaths (default: Docker's list). */
export function withMaskedPaths(paths: readonly string[] = [...DEFAULT_MASKED_PATHS, ...hostThermalThrottlePaths()]): (spec: Spec) => void {
  return (spec) => {
    linuxOf(spec).maskedPaths = [...paths];
  };
}

/** Sets linux.readonlyPaths (default: Docker's list). */
export function withReadonlyPaths(paths: readonly string[] = DEFAULT_READONLY_PATHS): (spec: Spec) => void {
  return (spec) => {
    linuxOf(spec).readonlyPaths = [...paths];
  };
}
