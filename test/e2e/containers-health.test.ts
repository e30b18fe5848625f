/**
 * Health checks through the real docker CLI 28 against estibad: `--health-cmd` and friends,
 * State.Health in inspect, `(healthy)`/`(unhealthy)`/`(health: starting)` in ps, health_status
 * events, `--no-healthcheck`, checks stopping with the container and resuming after a kill -9 of the daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { startEstibad } from '../helpers/estibad.js';

// A daemon on fixed roots for the whole file: the restarts below reuse them.
const s = useBusyboxDaemon('estiba-e2e-health-');
const { docker, ok } = s;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Health {
  Status: string;
  FailingStreak: number;
  Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }>;
}

async function health(name: string): Promise<Health | null> {
  return JSON.parse(await ok('inspect', '-f', '{{json .State.Health}}', name)) as Health | null;
}

async function waitHealth(name: string, status: string, ms = 15_000): Promise<Health> {
  const deadline = Date.now() + ms;
  let h: Health | null = null;
  while (Date.now() < deadline) {
    h = await health(name);
    if (h?.Status === status) return h;
    await sleep(200);
  }
  assert.fail(`${name} did not become ${status}: ${JSON.stringify(h)}`);
}

test('a passing check: starting, then healthy, in inspect, ps and events', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok('run', '-d', '--name', 'good', '--health-cmd', 'echo ok; test -d /', '--health-interval', '1s', '--health-retries', '2', 'busybox', 'sleep', '1000');
  assert.equal((await health('good'))?.Status, 'starting');
  assert.match(await ok('ps', '--filter', 'name=good', '--format', '{{.Status}}'), /^Up .* \(health: starting\)$/m);
  const h = await waitHealth('good', 'healthy');
  assert.equal(h.FailingStreak, 0);
  assert.ok(h.Log.length >= 1);
  assert.equal(h.Log.at(-1)!.ExitCode, 0);
  assert.equal(h.Log.at(-1)!.Output, 'ok\n');
  assert.match(await ok('ps', '--filter', 'name=good', '--format', '{{.Status}}'), /^Up .* \(healthy\)$/m);
  const cfg = JSON.parse(await ok('inspect', '-f', '{{json .Config.Healthcheck}}', 'good')) as { Test: string[]; Interval: number; Retries: number };
  assert.deepEqual(cfg.Test, ['CMD-SHELL', 'echo ok; test -d /']);
  assert.equal(cfg.Interval, 1e9);
  assert.equal(cfg.Retries, 2);
  const ev = await ok('events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=good', '--format', '{{.Action}}');
  assert.match(ev, /^health_status: healthy$/m);

  // The log keeps the last five probes.
  await sleep(6500);
  assert.equal((await health('good'))?.Log.length, 5);
});

test('a failing check becomes unhealthy after the retries; checks stop with the container', async () => {
  await ok('run', '-d', '--name', 'bad', '--health-cmd', 'echo nope >&2; exit 3', '--health-interval', '1s', '--health-retries', '2', 'busybox', 'sleep', '1000');
  const h = await waitHealth('bad', 'unhealthy');
  assert.ok(h.FailingStreak >= 2, JSON.stringify(h));
  assert.equal(h.Log.at(-1)!.ExitCode, 3);
  assert.equal(h.Log.at(-1)!.Output, 'nope\n');
  assert.match(await ok('ps', '--filter', 'name=bad', '--format', '{{.Status}}'), /^Up .* \(unhealthy\)$/m);

  await ok('stop', '-t', '0', 'bad');
  const stopped = (await health('bad'))!;
  await sleep(2500);
  assert.equal((await health('bad'))!.Log.at(-1)!.End, stopped.Log.at(-1)!.End, 'no probe after stop');
});

test('a timeout counts as a failure; --no-healthcheck has none', async () => {
  await ok('run', '-d', '--name', 'slow', '--health-cmd', 'sleep 5', '--health-interval', '1s', '--health-timeout', '300ms', '--health-retries', '1', 'busybox', 'sleep', '1000');
  const h = await waitHealth('slow', 'unhealthy');
  assert.equal(h.Log.at(-1)!.ExitCode, -1);
  assert.match(h.Log.at(-1)!.Output, /Health check exceeded timeout/);
  // Overrunning probes are killed, not left to pile up (each would live 5 s, one starts every 1.3 s).
  await sleep(3000);
  const probes = (await ok('exec', 'slow', 'ps', '-o', 'args')).split('\n').filter((l) => l.trim() === 'sleep 5');
  assert.ok(probes.length <= 1, `probes still running: ${probes.length}`);

  await ok('run', '-d', '--name', 'none', '--no-healthcheck', 'busybox', 'sleep', '1000');
  assert.equal(await health('none'), null);
  assert.doesNotMatch(await ok('ps', '--filter', 'name=none', '--format', '{{.Status}}'), /health/);
});

test('--health-start-interval: probes at that pace during the start period, so a slow Interval does not delay healthy', async () => {
  await ok('run', '-d', '--name', 'quick', '--health-cmd', 'true', '--health-interval', '1h', '--health-start-period', '60s', '--health-start-interval', '200ms', 'busybox', 'sleep', '1000');
  await waitHealth('quick', 'healthy', 10_000);
  const cfg = JSON.parse(await ok('inspect', '-f', '{{json .Config.Healthcheck}}', 'quick')) as { StartInterval: number; StartPeriod: number };
  assert.equal(cfg.StartInterval, 2e8);
  assert.equal(cfg.StartPeriod, 6e10);
  // Healthy: back to the hour-long Interval, no more probes now.
  const n = (await health('quick'))!.Log.length;
  await sleep(1000);
  assert.equal((await health('quick'))!.Log.length, n);
  const bad = await docker('run', '-d', '--health-cmd', 'true', '--health-start-interval', '1us', 'busybox', 'true');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /StartInterval in Healthcheck cannot be less than 1ms/);
});

test('ps --filter health=…: starting, healthy, unhealthy and none; a bad value is refused', async () => {
  await ok('run', '-d', '--name', 'plain', 'busybox', 'sleep', '1000');
  await waitHealth('good', 'healthy');
  await waitHealth('slow', 'unhealthy');
  const names = async (f: string): Promise<string[]> => (await ok('ps', '--filter', f, '--format', '{{.Names}}')).split('\n').filter((l) => l !== '').sort();
  assert.ok((await names('health=healthy')).includes('good'));
  assert.ok(!(await names('health=healthy')).includes('plain'));
  assert.ok((await names('health=none')).includes('plain'));
  assert.ok(!(await names('health=none')).includes('good'));
  assert.deepEqual(await names('health=unhealthy'), ['slow']);
  const bad = await docker('ps', '--filter', 'health=sick');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /unrecognized filter value for health: sick/);
});

test('checks resume after a kill -9 of the daemon', async () => {
  await ok('run', '-d', '--name', 'flip', '--health-cmd', 'test ! -e /tmp/bad', '--health-interval', '1s', '--health-retries', '1', 'busybox', 'sleep', '1000');
  await waitHealth('flip', 'healthy');
  await s.d.kill9();
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  assert.equal((await health('flip'))?.Status, 'healthy', 'the state survives');
  await ok('exec', 'flip', 'touch', '/tmp/bad');
  await waitHealth('flip', 'unhealthy');
});
