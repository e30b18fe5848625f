/**
 * Issue 3's daemon-restart acceptance, with the real docker CLI 28: kill -9 estibad while 5
 * containers run (4 printing a counter every 0.2 s, one `--restart=always` that exits while the
 * daemon is down), restart it on the same roots: the 4 are still running with the same PIDs and
 * reported so, their logs have every counter value (no gap), the exited one was restarted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { promisify } from 'node:util';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { startEstibad } from '../helpers/estibad.js';

// A daemon on fixed roots for the whole file: the restarts below reuse them.
const s = useBusyboxDaemon('estiba-e2e-restart-');
const { docker, ok } = s;

const execFileP = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('kill -9 estibad with 5 running containers: the running ones survive with contiguous logs, the exited restart=always one is restarted', async () => {
  const counter = 'i=0; while true; do echo $i; i=$((i+1)); sleep 0.2; done';
  const names = ['c1', 'c2', 'c3', 'c4'];
  for (const n of names) await ok('run', '-d', '--name', n, 'busybox', 'sh', '-c', counter);
  await ok('run', '-d', '--name', 'always', '--restart=always', 'busybox', 'sh', '-c', 'sleep 2; exit 1');
  const pids = new Map<string, string>();
  for (const n of names) pids.set(n, (await ok('inspect', '-f', '{{.State.Pid}}', n)).trim());
  for (const n of names) assert.notEqual(pids.get(n), '0', `${n} has a PID`);
  const alwaysStarted = (await ok('inspect', '-f', '{{.State.StartedAt}}', 'always')).trim();
  await sleep(500);

  await s.d.kill9();
  // The restart=always container exits (after 2 s) while the daemon is down.
  await sleep(3000);
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });

  // Running and reported so, with the same PIDs.
  const ps = await ok('ps', '--format', '{{.Names}} {{.State}}');
  for (const n of names) {
    assert.match(ps, new RegExp(`^${n} running$`, 'm'), `ps lists ${n} as running:\n${ps}`);
    assert.equal((await ok('inspect', '-f', '{{.State.Status}} {{.State.Pid}}', n)).trim(), `running ${pids.get(n)}`);
  }

  // The logs keep growing and have every value: no gap across the daemon's absence.
  await sleep(1000);
  for (const n of names) {
    const lines = (await ok('logs', n)).split('\n').filter((l) => l !== '');
    assert.ok(lines.length >= 20, `${n} logged ${lines.length} lines, expected at least 20 (≈ 5 s at 5/s)`);
    lines.forEach((l, i) => assert.equal(l, String(i), `${n}: line ${i} is ${l}`));
  }

  // The restart=always container was restarted (by the daemon, after it came back).
  let state = '';
  for (let i = 0; i < 50; i++) {
    state = (await ok('inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.StartedAt}}', 'always')).trim();
    const [count, status] = state.split(' ');
    if (Number(count) >= 1 && status === 'running') break;
    await sleep(100);
  }
  const [count, status, startedAt] = state.split(' ');
  assert.ok(Number(count) >= 1, `RestartCount ≥ 1: ${state}`);
  assert.equal(status, 'running', state);
  assert.notEqual(startedAt, alwaysStarted, 'a new start');
});

test('a crash between a removal and its clean-up: the files, the rootfs mount and the runtime state left behind are swept at the next start', async () => {
  const id = (await ok('run', '-d', '--name', 'gone', 'busybox', 'sleep', '1000')).trim();
  const runtimeState = `${s.d.execRoot}/runtime-runc/${id}`;
  const trash = `${s.d.dataRoot}/containers/.removed-${id}`;
  const mounted = async (): Promise<boolean> => (await readFile('/proc/self/mountinfo', 'utf8')).includes(`${trash}/rootfs/merged `);
  await s.d.kill9();
  // The state right after a removal's rename (ContainerStore.delete) and before its background
  // clean-up: the process gone, its runtime state and rootfs mount still there, the record moved out.
  await execFileP('runc', ['--root', `${s.d.execRoot}/runtime-runc`, 'kill', id, 'KILL']);
  for (let i = 0; i < 50 && !(await execFileP('runc', ['--root', `${s.d.execRoot}/runtime-runc`, 'state', id])).stdout.includes('"stopped"'); i++) await sleep(100);
  await rename(`${s.d.dataRoot}/containers/${id}`, trash);
  assert.ok(existsSync(runtimeState), 'runtime state left behind');
  assert.ok(await mounted(), 'rootfs still mounted (at its moved path)');

  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  for (let i = 0; i < 50 && (existsSync(trash) || existsSync(runtimeState)); i++) await sleep(100);
  assert.ok(!existsSync(trash), 'the removed container directory is gone');
  assert.ok(!existsSync(runtimeState), 'its runtime state is gone');
  assert.ok(!(await mounted()), 'its rootfs is unmounted');
  assert.doesNotMatch(await ok('ps', '-a', '--format', '{{.Names}}'), /^gone$/m);
});
