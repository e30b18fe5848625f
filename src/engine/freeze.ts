/**
 * Freezing a running container's processes for the daemon's own access to its filesystem
 * (`docker cp`, export, diff): the runtime's pause/resume (the freezer cgroup) without the
 * container's State or events changing. See docs/adr/0014-cp-freeze.md.
 */
import { System, isNotFound, messageOf } from '../errdefs/index.js';
import type { OciRuntime } from '../runtime/oci-runtime.js';
import type { Logger } from '../util/logger.js';

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
