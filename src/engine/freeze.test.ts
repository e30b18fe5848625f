import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conflict, NotFound, System, kindOf } from '../errdefs/index.js';
import type { RuntimeState } from '../runtime/oci-runtime.js';
import type { Logger } from '../util/logger.js';
import { runFrozen, type FreezeRuntime } from './freeze.js';

/** A runtime stand-in that records the calls; `status` is what `state` reports. */
function runtime(o: { pause?: () => Promise<void>; resume?: () => Promise<void>; status?: RuntimeState['status'] | 'gone' }): FreezeRuntime & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    pause: async (id) => {
      calls.push(`pause ${id}`);
      await o.pause?.();
    },
    resume: async (id) => {
      calls.push(`resume ${id}`);
      await o.resume?.();
    },
    state: async (id) => {
      calls.push(`state ${id}`);
      if (o.status === 'gone') throw new NotFound(`container ${id} does not exist`);
      return { ociVersion: '1.0.2', id, pid: 1, status: o.status ?? 'running', bundle: '/b' };
    },
  };
}

function logger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (msg) => void errors.push(msg) };
}

test('runFrozen pauses, runs, and resumes, also when fn fails', async () => {
  const rt = runtime({});
  assert.equal(await runFrozen({ runtime: rt, id: 'c1', logger: logger() }, async () => {
    assert.deepEqual(rt.calls, ['pause c1'], 'frozen while fn runs');
    return 42;
  }), 42);
  assert.deepEqual(rt.calls, ['pause c1', 'resume c1']);

  const rt2 = runtime({});
  await assert.rejects(runFrozen({ runtime: rt2, id: 'c2', logger: logger() }, () => Promise.reject(new Error('copy failed'))), /copy failed/);
  assert.deepEqual(rt2.calls, ['pause c2', 'resume c2'], 'thawed after a failure');
});

test('runFrozen: a pause that fails because the container exited runs fn unfrozen', async () => {
  for (const status of ['stopped', 'gone'] as const) {
    const rt = runtime({ status, pause: () => Promise.reject(new Conflict('container not running')) });
    let ran = false;
    await runFrozen({ runtime: rt, id: 'c', logger: logger() }, async () => void (ran = true));
    assert.ok(ran, status);
    assert.deepEqual(rt.calls, ['pause c', 'state c'], `${status}: nothing to thaw`);
  }
});

test('runFrozen: any other pause failure thaws, does not run fn, and is a System error', async () => {
  const rt = runtime({ status: 'running', pause: () => Promise.reject(new System('freezing timed out')) });
  let ran = false;
  const err = await runFrozen({ runtime: rt, id: 'c', logger: logger() }, async () => void (ran = true)).catch((e: unknown) => e);
  assert.equal(kindOf(err), 'System');
  assert.match((err as Error).message, /^cannot freeze container c for access to its filesystem: freezing timed out$/);
  assert.equal(ran, false);
  assert.deepEqual(rt.calls, ['pause c', 'state c', 'resume c'], 'a half-done freeze is undone');
});

test('runFrozen: a resume that fails is logged unless the container is gone; the result stands', async () => {
  const log = logger();
  const rt = runtime({ status: 'paused', resume: () => Promise.reject(new System('thaw failed')) });
  assert.equal(await runFrozen({ runtime: rt, id: 'c', logger: log }, async () => 'ok'), 'ok');
  assert.equal(log.errors.length, 1);

  const quiet = logger();
  const gone = runtime({ status: 'stopped', resume: () => Promise.reject(new Conflict('not paused')) });
  assert.equal(await runFrozen({ runtime: gone, id: 'c', logger: quiet }, async () => 'ok'), 'ok');
  assert.deepEqual(quiet.errors, [], 'exited while frozen (SIGKILL): nothing to thaw');
});

test('cgroupFreezer freezes and thaws a real process through its cgroup, and sees it gone', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdir, readFile, rmdir, writeFile } = await import('node:fs/promises');
  const { existsSync } = await import('node:fs');
  const { cgroupFreezer } = await import('./freeze.js');
  const v1 = existsSync('/sys/fs/cgroup/freezer');
  const dir = v1 ? `/sys/fs/cgroup/freezer/estiba-freeze-test-${process.pid}` : `/sys/fs/cgroup/estiba-freeze-test-${process.pid}`;
  await mkdir(dir);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(async () => {
    child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    await rmdir(dir).catch(() => undefined);
  });
  await new Promise((r) => child.once('spawn', r));
  await writeFile(`${dir}/cgroup.procs`, String(child.pid));
  const isFrozen = async (): Promise<boolean> =>
    v1 ? (await readFile(`${dir}/freezer.state`, 'utf8')).trim() === 'FROZEN' : /^frozen 1$/m.test(await readFile(`${dir}/cgroup.events`, 'utf8'));

  const f = await cgroupFreezer(child.pid!);
  assert.ok(f !== undefined, 'the freezer of the process is found');
  await f.pause('c1');
  assert.equal(await isFrozen(), true);
  await f.resume('c1');
  assert.equal(await isFrozen(), false);
  assert.equal((await f.state('c1')).status, 'running');
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal((await f.state('c1')).status, 'stopped');
  assert.equal(await cgroupFreezer(0), undefined);
});
