/**
 * json-file logging through the real docker CLI 28 against estibad: rotation by max-size /
 * max-file (bounded by default), `docker logs` across rotated files with --tail, -t, --since and
 * --until, and `--log-driver none`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { run } from '../helpers/e2e.js';

const s = useBusyboxDaemon('estiba-logs-e2e-');
const { docker, ok } = s;

test('json-file is the default driver, bounded by default (max-size 10m, max-file 3)', async () => {
  await ok('create', '--name', 'logs-default', 'busybox', 'true');
  const cfg = JSON.parse(await ok('inspect', '-f', '{{json .HostConfig.LogConfig}}', 'logs-default')) as unknown;
  assert.deepEqual(cfg, { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
  const bad = await docker('create', '--log-driver', 'syslogx', 'busybox', 'true');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /logger: no log driver named 'syslogx' is registered/);
});

test('a log past max-size is rotated; docker logs reads the kept files in order, with --tail, -t, --since, --until', async () => {
  // 2000 numbered lines in bursts of ~10 KB, each burst past max-size: rotation after each.
  const script = 'i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); [ $((i % 200)) = 0 ] && sleep 0.1; done; true';
  await ok('run', '--name', 'logs-rotated', '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script);
  const logPath = (await ok('inspect', '-f', '{{.LogPath}}', 'logs-rotated')).trim();
  const files = (await readdir(dirname(logPath))).filter((n) => n.startsWith(basename(logPath))).sort();
  assert.deepEqual(files, ['container.log', 'container.log.1', 'container.log.2']);

  const lines = (await ok('logs', 'logs-rotated')).split('\n').filter((l) => l !== '');
  const nums = lines.map((l) => Number(/^line(\d+)$/.exec(l)?.[1]));
  assert.equal(nums.at(-1), 1999, 'the tail ends with the last line');
  assert.ok(nums[0]! > 0 && lines.length < 2000, `older files were dropped (kept ${lines.length} lines from line${nums[0]})`);
  assert.deepEqual(nums, nums.map((_, i) => nums[0]! + i), 'the kept lines are contiguous across files');

  assert.equal(await ok('logs', '--tail', '3', 'logs-rotated'), 'line1997\nline1998\nline1999\n');
  const stamped = (await ok('logs', '-t', 'logs-rotated')).split('\n').filter((l) => l !== '');
  assert.match(stamped[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line\d+$/);
  // A time from the middle: --since starts there, --until stops there (times are per write, so compare by time).
  const mid = stamped[Math.floor(stamped.length / 2)]!.split(' ')[0]!;
  const since = (await ok('logs', '-t', '--since', mid, 'logs-rotated')).split('\n').filter((l) => l !== '');
  const until = (await ok('logs', '-t', '--until', mid, 'logs-rotated')).split('\n').filter((l) => l !== '');
  assert.ok(since.length > 0 && since.every((l) => l.split(' ')[0]! >= mid));
  assert.ok(until.length > 0 && until.every((l) => l.split(' ')[0]! <= mid));
  assert.equal(since.at(-1), stamped.at(-1));
  assert.equal(until[0], stamped[0]);
});

test('--log-driver none: output still reaches an attached client; docker logs is refused with Docker\'s message', async () => {
  assert.equal(await ok('run', '--name', 'logs-none', '--log-driver', 'none', 'busybox', 'echo', 'hi'), 'hi\n');
  const r = await docker('logs', 'logs-none');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: configured logging driver does not support reading/);
});

test('docker logs of interleaved stdout and stderr: each stream gets its own lines, in order (frames coalesced for the CLI), and docker-py still gets one frame per line', async () => {
  const id = (await ok('run', '-d', 'busybox', 'sh', '-c', 'for i in $(seq 1 300); do echo out$i; echo err$i >&2; echo more$i; done')).trim();
  await ok('wait', id);
  const r = await docker('logs', id);
  assert.equal(r.code, 0, r.stderr);
  const seq = Array.from({ length: 300 }, (_, i) => i + 1);
  assert.equal(r.stdout, seq.map((i) => `out${i}\nmore${i}\n`).join(''));
  assert.equal(r.stderr, seq.map((i) => `err${i}\n`).join(''));
  const py = await run('/usr/bin/python3', ['-c', `
import docker, sys
c = docker.DockerClient(base_url="unix://${s.d.socket}")
chunks = list(c.containers.get("${id}").logs(stream=True, stderr=False))
print(len(chunks), chunks[0].decode(), end="")
`]);
  assert.equal(py.code, 0, py.stderr);
  assert.equal(py.stdout, '600 out1\n');
  await ok('rm', id);
});
