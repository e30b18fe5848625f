/**
 * The third slice of the container lifecycle through the real docker CLI 28 against a real
 * estibad: `docker cp` both ways (running and stopped containers, symlinks that must not leave
 * the root), diff, export, commit then run the new image, update and port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readTar } from '../fixtures/images.js';
import { startEstibad } from '../helpers/estibad.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';

const s = useBusyboxDaemon('estiba-containers3-test-');
const { docker, ok } = s;

test('cp: files and directories both ways, on running and stopped containers; missing paths as Docker says', async () => {
  await ok('run', '-d', '--name', 'web', 'busybox', 'sh', '-c', 'mkdir -p /data/sub && echo inside > /data/sub/f && ln -s /data/sub /data/link && sleep 1000');
  for (let i = 0; i < 50 && (await docker('exec', 'web', 'sh', '-c', 'test -L /data/link')).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));

  // Out of the container: a file to a new name, a directory to a directory.
  await ok('cp', 'web:/data/sub/f', join(s.work, 'f-out'));
  assert.equal(await readFile(join(s.work, 'f-out'), 'utf8'), 'inside\n');
  await ok('cp', 'web:/data', join(s.work, 'data-out'));
  assert.equal(await readFile(join(s.work, 'data-out', 'sub', 'f'), 'utf8'), 'inside\n');
  assert.equal(await readlink(join(s.work, 'data-out', 'link')), '/data/sub', 'a symlink is copied as a symlink');
  // -L follows it.
  await ok('cp', '-L', 'web:/data/link', join(s.work, 'link-followed'));
  assert.equal(await readFile(join(s.work, 'link-followed', 'f'), 'utf8'), 'inside\n');

  // Into the container: a file into a directory, a directory to a new name.
  await writeFile(join(s.work, 'hello.txt'), 'hello from the host\n');
  await ok('cp', join(s.work, 'hello.txt'), 'web:/tmp/');
  assert.equal(await ok('exec', 'web', 'cat', '/tmp/hello.txt'), 'hello from the host\n');
  await mkdir(join(s.work, 'tree', 'deep'), { recursive: true });
  await writeFile(join(s.work, 'tree', 'deep', 'x'), 'x\n');
  await ok('cp', join(s.work, 'tree'), 'web:/copied');
  assert.equal(await ok('exec', 'web', 'cat', '/copied/deep/x'), 'x\n');

  const missing = await docker('cp', 'web:/nope', join(s.work, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Error response from daemon: Could not find the file \/nope in container web/);

  // Replacing a directory with a file is refused (noOverwriteDirNonDir).
  await writeFile(join(s.work, 'sub'), 'not a dir\n');
  const clash = await docker('cp', join(s.work, 'sub'), 'web:/data/');
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /cannot overwrite directory "\/data\/sub" with non-directory/);

  // Stopped: the rootfs is mounted for the copy.
  await ok('stop', '-t', '0', 'web');
  await ok('cp', 'web:/tmp/hello.txt', join(s.work, 'hello-back.txt'));
  assert.equal(await readFile(join(s.work, 'hello-back.txt'), 'utf8'), 'hello from the host\n');
  await writeFile(join(s.work, 'late.txt'), 'late\n');
  await ok('cp', join(s.work, 'late.txt'), 'web:/late.txt');
  await ok('start', 'web');
  assert.equal(await ok('exec', 'web', 'cat', '/late.txt'), 'late\n');
  await ok('rm', '-f', 'web');
});

test('cp: a symlink in the container cannot lead outside its root', async () => {
  const secret = join(s.work, 'host-secret');
  await mkdir(secret, { recursive: true });
  await writeFile(join(secret, 'passwd'), 'host only\n');
  await ok('create', '--name', 'evil', 'busybox', 'true');
  // Plant links in the stopped container's upper dir: an absolute one and a climbing one.
  const upper = (await ok('inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'evil')).trim();
  await symlink(secret, join(upper, 'abs'));
  await symlink(`../../../../../../../../..${secret}`, join(upper, 'rel'));
  for (const link of ['abs', 'rel']) {
    const r = await docker('cp', `evil:/${link}/passwd`, join(s.work, `leak-${link}`));
    assert.equal(r.code, 1, `cp through /${link} must not reach the host`);
    assert.match(r.stderr, /Could not find the file/);
  }
  // Writing through them lands inside the container.
  await writeFile(join(s.work, 'planted'), 'planted\n');
  const put = await docker('cp', join(s.work, 'planted'), 'evil:/abs/');
  assert.notEqual(put.code, 0, 'the in-root target of /abs does not exist');
  await assert.rejects(readFile(join(secret, 'planted')));
  await ok('rm', 'evil');
});

test('diff lists A/C/D; export is a tar of the merged rootfs', async () => {
  await ok('run', '--name', 'changer', 'busybox', 'sh', '-c', 'echo new > /tmp/new; rm /bin/ls; echo changed >> /etc/passwd');
  const diff = (await ok('diff', 'changer')).trim().split('\n');
  assert.deepEqual(diff, ['C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'C /tmp', 'A /tmp/new']);

  await ok('create', '--name', 'pristine', 'busybox', 'true');
  assert.equal(await ok('diff', 'pristine'), '', 'a new container changed nothing');

  await ok('export', '-o', join(s.work, 'changer.tar'), 'changer');
  const names = (await readTar(await readFile(join(s.work, 'changer.tar')))).map((e) => e.header.name);
  assert.ok(names.includes('tmp/new'), names.slice(0, 20).join(' '));
  assert.ok(names.includes('bin/busybox'));
  assert.ok(!names.includes('bin/ls'), 'a deleted file is not exported');
  await ok('rm', 'changer', 'pristine');
});

test('commit: the upper dir becomes a layer with whiteouts; run the new image; --change and history', async () => {
  await ok('run', '-d', '--name', 'src', 'busybox', 'sh', '-c', 'echo committed > /hello; rm /bin/ls; rm -rf /usr; mkdir /usr; touch /usr/only; sleep 1000');
  for (let i = 0; i < 50 && (await docker('exec', 'src', 'sh', '-c', 'test -e /usr/only')).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const id = (await ok('commit', '-m', 'my message', '-a', 'me', '-c', 'ENV FOO=bar', '-c', 'CMD ["cat", "/hello"]', 'src', 'snap:v1')).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'src'), 'running\n', 'unpaused after the commit');

  assert.equal(await ok('run', '--rm', 'snap:v1'), 'committed\n');
  const ls = await docker('run', '--rm', 'snap:v1', 'ls', '/bin/ls');
  assert.notEqual(ls.code, 0, 'the whiteout hides /bin/ls');
  assert.equal(await ok('run', '--rm', 'snap:v1', 'sh', '-c', 'echo $FOO'), 'bar\n');
  assert.equal(await ok('run', '--rm', 'snap:v1', 'sh', '-c', 'echo /usr/*'), '/usr/only\n', 'the opaque directory hides the image\'s /usr');

  const busyboxId = (await ok('inspect', '-f', '{{.Id}}', 'busybox')).trim();
  const srcId = (await ok('inspect', '-f', '{{.Id}}', 'src')).trim();
  const info = JSON.parse(await ok('image', 'inspect', 'snap:v1')) as Array<{
    Parent: string; Comment: string; Author: string; Container: string; ContainerConfig: { Cmd: string[] }; RootFS: { Layers: string[] }; Config: { Cmd: string[] };
  }>;
  const img = info[0]!;
  assert.equal(img.Parent, busyboxId);
  assert.equal(img.Comment, 'my message');
  assert.equal(img.Author, 'me');
  assert.equal(img.Container, srcId);
  assert.deepEqual(img.Config.Cmd, ['cat', '/hello']);
  assert.equal(img.RootFS.Layers.length, 2);
  const history = (await ok('history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'snap:v1')).split('\n');
  assert.equal(history[0], 'sh -c echo committed > /hello; rm /bin/ls; rm -rf /usr; mkdir /usr; touch /usr/only; sleep 1000|my message');

  // A stopped container commits too, without pausing; an unchanged one adds no layer.
  await ok('create', '--name', 'blank', 'busybox', 'true');
  await ok('commit', 'blank', 'blank:v1');
  assert.equal(await ok('image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'blank:v1'), '1\n');
  const nope = await docker('commit', 'ghost', 'x:y');
  assert.equal(nope.code, 1);
  assert.match(nope.stderr, /No such container: ghost/);
  await ok('rm', '-f', 'src', 'blank');
  await ok('rmi', 'snap:v1', 'blank:v1');
});

test('update changes the cgroup limits of a running container and the restart policy; port prints nothing', async () => {
  await ok('run', '-d', '--name', 'upd', 'busybox', 'sleep', '1000');
  assert.equal(await ok('update', '--memory', '100m', '--cpus', '0.5', '--cpu-shares', '512', '--pids-limit', '50', '--restart', 'on-failure:3', 'upd'), 'upd\n');
  const hc = JSON.parse(await ok('inspect', '-f', '{{json .HostConfig}}', 'upd')) as Record<string, unknown>;
  assert.equal(hc.Memory, 100 * 1024 * 1024);
  assert.equal(hc.NanoCpus, 500_000_000);
  assert.equal(hc.CpuShares, 512);
  assert.equal(hc.PidsLimit, 50);
  assert.deepEqual(hc.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  const pid = (await ok('inspect', '-f', '{{.State.Pid}}', 'upd')).trim();
  const cg = new Map(
    (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n').filter(Boolean).map((l) => {
      const [, ctrl, path] = l.split(':');
      return [ctrl!, path!] as const;
    }),
  );
  const v1 = (ctrl: string, file: string): Promise<string> => readFile(join('/sys/fs/cgroup', ctrl, cg.get(ctrl) ?? cg.get('cpu,cpuacct') ?? '', file), 'utf8');
  if (cg.has('memory')) {
    assert.equal((await v1('memory', 'memory.limit_in_bytes')).trim(), String(100 * 1024 * 1024));
    assert.equal((await v1('pids', 'pids.max')).trim(), '50');
    const cpuCtrl = cg.has('cpu,cpuacct') ? 'cpu,cpuacct' : 'cpu';
    assert.equal((await v1(cpuCtrl, 'cpu.shares')).trim(), '512');
    assert.equal((await v1(cpuCtrl, 'cpu.cfs_quota_us')).trim(), '50000');
  }
  assert.equal(await ok('port', 'upd'), '');
  await ok('rm', '-f', 'upd');
});

async function until(what: string, pred: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const state = async (name: string): Promise<string> => (await ok('inspect', '-f', '{{.State.Status}} {{.RestartCount}}', name)).trim();

test('restart policies: on-failure:N with back-off, always, stop wins, restart events; honoured after a daemon restart', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  await ok('run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3');
  // 100 ms then 200 ms of back-off: two restarts, then it stays exited.
  await until('flaky to give up', async () => (await state('flaky')) === 'exited 2');
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await state('flaky'), 'exited 2');
  assert.equal(await ok('inspect', '-f', '{{.State.ExitCode}}', 'flaky'), '3\n');
  const events = await ok('events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=flaky', '--filter', 'event=restart', '--format', '{{.Action}}');
  assert.equal(events, 'restart\nrestart\n');

  await ok('run', '-d', '--name', 'fine', '--restart', 'on-failure', 'busybox', 'true');
  await until('fine to exit', async () => (await state('fine')) === 'exited 0');

  await ok('run', '-d', '--name', 'forever', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.3');
  await until('forever to be restarted', async () => Number((await state('forever')).split(' ')[1]) >= 2);
  await ok('stop', '-t', '0', 'forever');
  await new Promise((r) => setTimeout(r, 700));
  assert.match(await state('forever'), /^exited \d+$/, 'stop wins over always');

  await ok('run', '-d', '--name', 'unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000');
  await ok('stop', '-t', '0', 'unless');
  await ok('run', '-d', '--name', 'dies-later', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 2; exit 1');

  // The daemon goes away; dies-later exits meanwhile. On start-up it is restarted, and so is the
  // stopped always container (Docker's rule); the stopped unless-stopped one is not.
  await s.d.stop();
  await new Promise((r) => setTimeout(r, 2500));
  const daemonBack = Date.now();
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  await until('dies-later to run again', async () => (await state('dies-later')).startsWith('running'));
  assert.ok(Number((await state('dies-later')).split(' ')[1]) >= 1);
  // forever runs 0.3 s between ever longer back-offs: look for a start after the daemon's, not for
  // a running state a poll can miss on a loaded machine.
  await until('forever to run again', async () => Date.parse((await ok('inspect', '-f', '{{.State.StartedAt}}', 'forever')).trim()) >= daemonBack);
  assert.match(await state('unless'), /^exited /);
  assert.match(await state('flaky'), /^exited /);
  await ok('update', '--restart', 'no', 'dies-later', 'forever');
  await ok('rm', '-f', 'flaky', 'fine', 'forever', 'unless', 'dies-later');
});
