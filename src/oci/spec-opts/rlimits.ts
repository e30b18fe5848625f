import { readFileSync } from 'node:fs';
import { InvalidParameter } from '../../errdefs/index.js';
import type { PosixRlimit, Spec } from '../runtime-spec.js';
import { processOf } from './spec-opt.js';

/** /proc/PID/limits row names → RLIMIT_* (fs/proc/base.c lnames). */
const PROC_LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** RLIM_INFINITY as the OCI spec writes it (uint64 max). */
export const RLIM_INFINITY = 2 ** 64 - 1;

/** Hard limits per RLIMIT_* type, parsed from the text of /proc/self/limits; `unlimited` is RLIM_INFINITY. */
export function parseProcLimits(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    for (const [label, type] of Object.entries(PROC_LIMIT_NAMES)) {
      if (!line.startsWith(label + ' ')) continue;
      const cols = line.slice(label.length).trim().split(/\s+/);
      const hard = cols[1];
      if (hard === undefined) continue;
      out.set(type, hard === 'unlimited' ? RLIM_INFINITY : Number(hard));
    }
  }
  return out;
}

/** This process's hard limits (what a child of it, the runtime, may set at most). */
export function readProcessHardLimits(): Map<string, number> {
  return parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
}

/** `nofile`, `NOFILE` and `RLIMIT_NOFILE` all name RLIMIT_NOFILE. */
export function normalizeRlimitType(name: string): string {
  const upper = name.toUpperCase();
  const type = upper.startsWith('RLIMIT_') ? upper : `RLIMIT_${upper}`;
  if (!Object.values(PROC_LIMIT_NAMES).includes(type)) throw new InvalidParameter(`invalid ulimit type: ${name}`);
  return type;
}

/**
 * Sets process.rlimits, each clamped to this process's own hard limit: without CAP_SYS_RESOURCE
 * a runtime cannot raise a limit past what it inherited, and runc/crun would fail the whole start
 * (setrlimit EPERM). A soft limit above the clamped hard limit is lowered to it.
 */
export function withRlimits(rlimits: readonly PosixRlimit[], hardLimits: ReadonlyMap<string, number> = readProcessHardLimits()): (spec: Spec) => void {
  return (spec) => {
    const proc = processOf(spec);
    const byType = new Map<string, PosixRlimit>();
    for (const r of proc.rlimits ?? []) byType.set(r.type, r);
    for (const r of rlimits) {
      const type = normalizeRlimitType(r.type);
      if (r.soft > r.hard) throw new InvalidParameter(`ulimit soft limit must be less than or equal to hard limit: ${r.soft} > ${r.hard}`);
      const max = hardLimits.get(type) ?? RLIM_INFINITY;
      const hard = Math.min(r.hard, max);
      byType.set(type, { type, hard, soft: Math.min(r.soft, hard) });
    }
    proc.rlimits = [...byType.values()];
  };
}
