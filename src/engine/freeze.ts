/**
 * Freezing a running container's processes for the daemon's own access to its filesystem
 * (`docker cp`, export, diff): the runtime's pause/resume (the freezer cgroup) without the
 * container's State or events changing. See docs/adr/0014-cp-freeze.md.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { System, isNotFound, messageOf } from '../errdefs/index.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import type { Logger } from '../util/logger.js';
import { cgroupDirs } from './stats.js';

export type FreezeRuntime = Pick<OciRuntime, 'pause' | 'resume' | 'state'>;

/**
 * Runs `fn` with container `id` frozen and always thaws it after, whatever `fn` does. The caller
 * holds the container's lock, so no start, stop's exit handling or user pause runs meanwhile.
 *
 * A pause that fails because the container's processes have exited (its runtime state is
 * `stopped`, or gone) runs `fn` unfrozen: nothing is left that could race with it. Any other
 * failure thaws what may have been frozen and rejects with System, without running `fn`.
 */
export async function runFrozen<T>(o: { runtime: FreezeRuntime; id: string; logger: Logger }, fn: () => Promise<T>): Promise<T> {
  const { runtime: rt, id } = o;
  try {
    await rt.pause(id);
  } catch (err) {
    if (await stopped(rt, id)) return fn();
    await rt.resume(id).catch(() => undefined);
    throw new System(`cannot freeze container ${id} for access to its filesystem: ${messageOf(err)}`, { cause: err });
  }
  try {
    return await fn();
  } finally {
    await rt.resume(id).catch(async (err: unknown) => {
      if (await stopped(rt, id)) return;
      o.logger.error('thawing a container frozen for access to its filesystem failed', { id, err: messageOf(err) });
    });
  }
}

async function stopped(rt: FreezeRuntime, id: string): Promise<boolean> {
  try {
    return (await rt.state(id)).status === 'stopped';
  } catch (err) {
    return isNotFound(err);
  }
}

/**
 * The container's freezer cgroup, written directly: what `runc pause`/`resume` do, without two
 * runtime execs per access (a `docker cp` makes two: HEAD, then GET). v1: `freezer.state`
 * FROZEN/THAWED; v2: `cgroup.freeze` 1/0, done when `cgroup.events` says `frozen 1`. Undefined
 * when the process or its freezer cannot be found: the caller uses the runtime's pause then.
 */
export async function cgroupFreezer(pid: number, cgroupRoot = '/sys/fs/cgroup'): Promise<FreezeRuntime | undefined> {
  if (pid <= 0) return undefined;
  const dirs = await cgroupDirs(pid, cgroupRoot);
  if (dirs === undefined) return undefined;
  const v1 = dirs.v1.get('freezer');
  const control = v1 !== undefined ? { file: join(v1, 'freezer.state'), freeze: 'FROZEN', thaw: 'THAWED' } : dirs.unified !== undefined ? { file: join(dirs.unified, 'cgroup.freeze'), freeze: '1', thaw: '0' } : undefined;
  if (control === undefined) return undefined;
  const frozen = async (): Promise<boolean> => {
    if (v1 !== undefined) return (await readFile(control.file, 'utf8')).trim() === 'FROZEN';
    return /^frozen 1$/m.test(await readFile(join(dirs.unified!, 'cgroup.events'), 'utf8'));
  };
  return {
    async pause(id) {
      await writeFile(control.file, control.freeze);
      // FREEZING until every task stopped; runc waits the same way.
      for (let i = 0; !(await frozen()); i++) {
        if (i >= 1000) throw new System(`container ${id}: its cgroup did not freeze within 5 s`);
        await delay(5);
      }
    },
    async resume() {
      await writeFile(control.file, control.thaw);
    },
    async state(id) {
      const alive = await readFile(`/proc/${pid}/stat`, 'utf8').then(() => true, () => false);
      return { ociVersion: '', id, pid, status: alive ? 'running' : 'stopped', bundle: '' };
    },
  };
}
