// A stop (or kill) that arrives while a restart policy is starting the container again must
// stop it, not just mark it: the policy start holds the container's lock, and once it is done
// the container is running. (Network setup made starts slow enough to hit this often.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { startEstibad } from '../helpers/estibad.js';

const s = useBusyboxDaemon('estiba-e2e-restartstop-');

test('stop during a restart-policy start leaves the container exited, and it stays exited', async () => {
  await s.ok('run', '-d', '--name', 'bouncy', '--restart', 'always', 'busybox', 'true');
  for (let i = 0; i < 16; i++) {
    // `true` exits at once: the container spends its time being restarted (back-off, then start).
    await new Promise((r) => setTimeout(r, 50 + (i % 8) * 37));
    await s.ok('stop', '-t', '0', 'bouncy');
    await new Promise((r) => setTimeout(r, 400));
    const st = (await s.ok('inspect', '-f', '{{.State.Status}}', 'bouncy')).trim();
    assert.equal(st, 'exited', `round ${i}: stop wins over restart=always`);
    await s.ok('start', 'bouncy');
  }
  await s.ok('rm', '-f', 'bouncy');
});

test('rm -f of a container that restart=always keeps bringing back removes it, whatever phase it is in', async () => {
  for (let i = 0; i < 12; i++) {
    await s.ok('run', '-d', '--name', `gone${i}`, '--restart', 'always', 'busybox', 'true');
    await new Promise((r) => setTimeout(r, 50 + (i % 6) * 60));
    await s.ok('rm', '-f', `gone${i}`);
    assert.equal(await s.ok('ps', '-aq', '--filter', `name=^/gone${i}$`), '', `round ${i}: removed`);
  }
});

test('a stopped restart=always container restarted at daemon start keeps its policy afterwards (moby resets the manual stop)', async () => {
  await s.ok('run', '-d', '--name', 'again', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2');
  await s.ok('stop', '-t', '0', 'again');
  await s.d.stop();
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  const count = async (): Promise<number> => Number((await s.ok('inspect', '-f', '{{.RestartCount}}', 'again')).trim());
  const end = Date.now() + 20_000;
  while ((await count()) < 2) {
    assert.ok(Date.now() < end, 'it was restarted more than once after the daemon restart');
    await new Promise((r) => setTimeout(r, 200));
  }
  await s.ok('update', '--restart', 'no', 'again');
  await s.ok('rm', '-f', 'again');
});
