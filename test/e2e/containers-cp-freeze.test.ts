/**
 * `docker cp` on running containers is safe (the container is frozen while the daemon resolves
 * and uses paths inside its root, so a symlink swapped in meanwhile cannot lead the daemon to a
 * host path: CVE-2018-15664) and faithful (it sees the /etc/hostname, hosts and resolv.conf the
 * container sees). Real docker CLI 28 and raw Engine API requests against a real estibad.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { packTar, readTar } from '../fixtures/images.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';

const s = useBusyboxDaemon('estiba-cp-freeze-test-');
const { docker, ok } = s;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw API request on the daemon's socket; the response is returned unread. */
function api(method: string, path: string, body?: Buffer): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: s.d.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The freezer state of the cgroup of `pid` (cgroup v1 freezer, or v2 cgroup.freeze): true when frozen. */
async function frozen(pid: number): Promise<boolean> {
  const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
  const v1 = lines.find((l) => /^\d+:freezer:/.test(l));
  if (v1 !== undefined) {
    const state = (await readFile(join('/sys/fs/cgroup/freezer', v1.split(':')[2]!, 'freezer.state'), 'utf8')).trim();
    return state !== 'THAWED';
  }
  const v2 = lines.find((l) => l.startsWith('0::'))!;
  return (await readFile(join('/sys/fs/cgroup', v2.slice(3), 'cgroup.freeze'), 'utf8')).trim() === '1';
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await check()) return;
  assert.fail(`timed out waiting for ${what}`);
}

async function counter(upper: string): Promise<number> {
  return Number((await readFile(join(upper, 'tmp', 'count'), 'utf8').catch(() => '0')).trim() || '0');
}

test('cp: a running container is frozen while an archive streams, then thawed, with no pause events and State untouched', async () => {
  // A counter that advances ten times a second, and a file big enough that an unread response blocks.
  await ok('run', '-d', '--name', 'frz', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=48 2>/dev/null; i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done');
  const upper = (await ok('inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'frz')).trim();
  const pid = Number((await ok('inspect', '-f', '{{.State.Pid}}', 'frz')).trim());
  await waitFor('the counter to start', async () => (await counter(upper)) > 0);
  const since = Math.floor(Date.now() / 1000) - 1;

  const res = await api('GET', '/containers/frz/archive?path=/big');
  assert.equal(res.statusCode, 200);
  res.pause(); // a slow client: the daemon blocks on a full socket with the copy under way
  await sleep(300);
  assert.equal(await frozen(pid), true, "the container's cgroup is frozen while the copy is under way");
  const during = await counter(upper);
  await sleep(600);
  assert.equal(await counter(upper), during, 'the counter does not advance while frozen');
  const inspect = JSON.parse(await ok('inspect', 'frz')) as Array<{ State: { Status: string; Paused: boolean; Running: boolean } }>;
  assert.deepEqual([inspect[0]!.State.Status, inspect[0]!.State.Paused, inspect[0]!.State.Running], ['running', false, true], 'the freeze is not a pause');

  res.resume();
  const tar = await readAll(res);
  assert.ok(tar.length > 48 * 1024 * 1024, `the whole file came back (${tar.length} bytes)`);
  await waitFor('the container to thaw', async () => !(await frozen(pid)));
  const after = await counter(upper);
  await waitFor('the counter to advance again', async () => (await counter(upper)) > after);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'frz'), 'running false\n');

  // docker cp does the same (HEAD, then GET) and leaves it running too.
  await ok('cp', 'frz:/tmp/count', join(s.work, 'count'));
  // The thaw follows the end of the response by the time the daemon takes to run the runtime.
  await waitFor('the container to thaw after docker cp', async () => !(await frozen(pid)));
  const actions = (await ok('events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'container=frz', '--format', '{{.Action}}')).split('\n').filter((l) => l !== '');
  assert.ok(actions.includes('archive-path'), actions.join(' '));
  assert.ok(!actions.includes('pause') && !actions.includes('unpause'), `no pause/unpause events: ${actions.join(' ')}`);
  await ok('rm', '-f', 'frz');
});

test('cp: a container the user paused stays paused through a copy; export and diff thaw what they froze', async () => {
  await ok('run', '-d', '--name', 'upz', 'busybox', 'sh', '-c', 'echo hi > /hi; sleep 1000');
  const pid = Number((await ok('inspect', '-f', '{{.State.Pid}}', 'upz')).trim());
  await waitFor('the file', async () => (await docker('exec', 'upz', 'sh', '-c', 'test -e /hi')).code === 0);
  await ok('pause', 'upz');
  await ok('cp', 'upz:/hi', join(s.work, 'hi'));
  assert.equal(await readFile(join(s.work, 'hi'), 'utf8'), 'hi\n');
  assert.equal(await frozen(pid), true, 'still frozen');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'upz'), 'paused true\n');
  await ok('unpause', 'upz');
  assert.equal(await frozen(pid), false);
  // export and diff freeze a running container too, and thaw it after.
  await ok('export', '-o', join(s.work, 'upz.tar'), 'upz');
  assert.ok((await stat(join(s.work, 'upz.tar'))).size > 0);
  await waitFor('the container to thaw after export', async () => !(await frozen(pid)));
  assert.match(await ok('diff', 'upz'), /A \/hi/);
  assert.equal(await frozen(pid), false, 'diff answers after the thaw');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'upz'), 'running false\n');
  // commit pauses as `docker pause` does (as moby does) and unpauses after: not frozen twice, thawed after.
  await ok('commit', 'upz', 'upz:snap');
  assert.equal(await frozen(pid), false);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'upz'), 'running false\n');
  await ok('commit', '--pause=false', 'upz', 'upz:snap2');
  assert.equal(await frozen(pid), false);
  await ok('rm', '-f', 'upz');
  await ok('rmi', 'upz:snap', 'upz:snap2');
});

test('cp: a directory swapped for a symlink to the host while copies run never leads to the host (GET and PUT)', async () => {
  // A marker that exists only on the host, under a directory of this run's own.
  const hostTop = join('/tmp', `estiba-cp-race-${randomBytes(4).toString('hex')}`);
  const hostDir = join(hostTop, 'secret');
  await mkdir(hostDir, { recursive: true });
  await writeFile(join(hostDir, 'marker'), 'HOST SECRET\n');
  // In the container, /w/d flips between a directory holding secret/ (300 files that sort before
  // its own `marker`, so a copy walks for a while after resolving the path) and a symlink to the
  // host's directory (in-root it leads nowhere; followed on the host, to the marker). The link
  // aims at this run's directory, not at "/", so that nothing can ever reach more of the host.
  // The loop stops by itself after 90 s, or once /w/stop exists.
  const script = [
    'mkdir -p /w/d/secret && cd /w/d/secret && i=0 && while [ $i -lt 300 ]; do echo x > f$i; i=$((i+1)); done && echo inside > marker && cd /',
    `busybox ln -s ${hostTop} /w/s`,
    'end=$(( $(date +%s) + 90 )); n=0',
    'while [ ! -e /w/stop ]; do',
    '  busybox mv /w/d /w/r; busybox mv /w/s /w/d; busybox mv /w/d /w/s; busybox mv /w/r /w/d',
    '  n=$((n+1)); if [ $((n % 100)) = 0 ] && [ $(date +%s) -ge $end ]; then break; fi',
    'done',
  ].join('\n');
  let upper: string | undefined;
  try {
    await ok('run', '-d', '--name', 'racer', 'busybox', 'sh', '-c', script);
    upper = (await ok('inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'racer')).trim();
    await waitFor('the swapping to start', async () => (await readdir(join(upper!, 'w')).catch(() => [])).some((n) => n === 's' || n === 'r'));

    const statuses = new Map<number, number>();
    const count = (code: number | undefined): void => void statuses.set(code ?? 0, (statuses.get(code ?? 0) ?? 0) + 1);
    let insideSeen = 0;
    // Each PUT carries 50 files, each resolved and created on its own.
    const planted = await packTar(Array.from({ length: 50 }, (_, j) => ({ name: `planted-${j}`, content: 'planted\n' })));
    // A copy that fails half-way (a file vanished mid-swap) ends its response early: that is no leak.
    const attempt = async (method: string, body?: Buffer): Promise<Buffer | undefined> => {
      try {
        const res = await api(method, '/containers/racer/archive?path=/w/d/secret', body);
        const data = await readAll(res);
        count(res.statusCode);
        return res.statusCode === 200 ? data : undefined;
      } catch {
        count(0);
        return undefined;
      }
    };
    for (let i = 0; i < 100; i++) {
      const tar = await attempt('GET');
      for (const e of tar === undefined ? [] : await readTar(tar).catch(() => [])) {
        assert.doesNotMatch(e.data.toString(), /HOST SECRET/, `GET ${i}: the host's file came back as ${e.header.name}`);
        if (e.header.name === 'secret/marker' && e.data.toString() === 'inside\n') insideSeen++;
      }
      await attempt('PUT', planted);
    }
    // docker cp (HEAD then GET) through the same path.
    for (let i = 0; i < 10; i++) {
      const r = await docker('cp', 'racer:/w/d/secret', '-');
      assert.doesNotMatch(r.stdout, /HOST SECRET/, `docker cp ${i}: the host's file came back`);
    }
    assert.deepEqual(await readdir(hostDir), ['marker'], 'no PUT created a file on the host');
    assert.equal(await readFile(join(hostDir, 'marker'), 'utf8'), 'HOST SECRET\n');
    // Not vacuous: copies did go through and read the container's own file.
    assert.ok(insideSeen > 0, `some GETs read the container's file (statuses ${JSON.stringify([...statuses])})`);
    assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'racer'), 'running\n');
  } finally {
    // Stop the swapping first (even if the daemon is gone), then remove the container.
    if (upper !== undefined) await writeFile(join(upper, 'w', 'stop'), '').catch(() => undefined);
    await docker('rm', '-f', 'racer');
    await rm(hostTop, { recursive: true, force: true });
  }
});

test('cp: a file that grows meanwhile (a volume another running container writes) is cut at its size; the daemon stays up', async () => {
  // The writer is not frozen by a copy from the reader: its appends race with the read. Bounded: 10 MB at most.
  const line = 'a line of exactly fifty bytes, written by writer.';
  await ok('run', '-d', '--name', 'writer', '-v', 'growvol:/v', 'busybox', 'sh', '-c', `i=0; while [ $i -lt 200000 ]; do echo '${line}' >> /v/grow; i=$((i+1)); done; sleep 1000`);
  await ok('run', '-d', '--name', 'reader', '-v', 'growvol:/v', 'busybox', 'sleep', '1000');
  try {
    for (let i = 0; i < 10; i++) {
      const out = join(s.work, `grow-${i}`);
      await ok('cp', 'reader:/v/grow', out);
      const text = await readFile(out, 'utf8');
      // Cut at the size the copy saw: whole lines, and at most a part of the next one (an append
      // that crosses a page boundary raises the size page by page).
      const lines = text.split('\n');
      const last = lines.pop()!;
      assert.ok(text.length > 0, `copy ${i}: not empty`);
      assert.ok(lines.every((l) => l === line), `copy ${i}: nothing but the writer's lines`);
      assert.ok(line.startsWith(last), `copy ${i}: the end is a part of a line (${JSON.stringify(last)})`);
    }
    assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'reader'), 'running\n', 'the daemon still answers');
  } finally {
    await docker('rm', '-f', 'writer', 'reader');
    await docker('volume', 'rm', 'growvol');
  }
});
