/**
 * Resident memory of the daemons from /proc/<pid>/status. VmHWM is the peak since start or
 * since the last reset; writing "5" to /proc/<pid>/clear_refs resets it to the current RSS
 * (Linux ≥ 4.0), which gives a peak per benchmark.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { types } from 'node:util';

export interface MemorySample {
  /** Peak resident set, KiB. */
  hwmKiB: number;
  /** Current resident set, KiB. */
  rssKiB: number;
}

function isErrno(err: unknown, code: string): boolean {
  return types.isNativeError(err) && 'code' in err && err.code === code;
}

export async function readMemory(pid: number): Promise<MemorySample | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN);
  const hwmKiB = field('VmHWM');
  const rssKiB = field('VmRSS');
  return Number.isFinite(hwmKiB) && Number.isFinite(rssKiB) ? { hwmKiB, rssKiB } : undefined;
}

/** Resets VmHWM to the current RSS; false when the process is gone. */
export async function resetPeak(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) return false;
    throw err;
  }
}

/** The sum over a group of processes (dockerd + containerd): peaks need not coincide, so the summed peak is an upper bound. */
export async function readGroup(pids: readonly number[]): Promise<MemorySample | undefined> {
  const samples = (await Promise.all(pids.map(readMemory))).filter((s): s is MemorySample => s !== undefined);
  if (samples.length === 0) return undefined;
  return samples.reduce((a, b) => ({ hwmKiB: a.hwmKiB + b.hwmKiB, rssKiB: a.rssKiB + b.rssKiB }));
}
