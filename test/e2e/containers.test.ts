/**
 * The container lifecycle through the real docker CLI 28 against a real estibad: run (attached,
 * detached, --rm), ps, logs, inspect, stop (escalating to SIGKILL), kill -s, wait, rm, start,
 * the rmi conflict, error texts and exit codes, --runtime crun, and a daemon killed with -9 and
 * restarted while containers run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEstibad } from '../helpers/estibad.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { dockerCli } from '../helpers/docker-peer.js';

const s = useBusyboxDaemon('estiba-containers-test-');
const { docker, ok } = s;

test('docker run --rm busybox echo hello prints hello, exits 0 and leaves no container', async () => {
  const r = await docker('run', '--rm', 'busybox', 'echo', 'hello');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n');
  assert.equal(r.stderr, '');
  assert.equal(await ok('ps', '-aq'), '');
});

test("run: the container's exit code is the CLI's; stdout and stderr stay apart", async () => {
  const r = await docker('run', '--name', 'exit3', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'exit3'), 'exited 3\n');
  await ok('rm', 'exit3');
});

test('run: image env, working dir and user are applied; -e overrides', async () => {
  const out = await ok('run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', 'busybox', 'sh', '-c', 'echo $FOO $PWD $(id -u) $HOSTNAME; cat /etc/hostname');
  const [line, hostname] = out.trim().split('\n');
  const [foo, pwd, uid, host] = line!.split(' ');
  assert.deepEqual([foo, pwd, uid], ['bar', '/tmp', '65534']);
  assert.equal(host, hostname);
  assert.match(host!, /^[0-9a-f]{12}$/);
});

test('run: an unknown command exits 127 with the runtime error; the container stays created', async () => {
  const r = await docker('run', '--name', 'nocmd', 'busybox', 'nonexistent-cmd');
  assert.equal(r.code, 127);
  assert.match(r.stderr, /docker: Error response from daemon: failed to create task for container: OCI runtime create failed: .*exec: "nonexistent-cmd": executable file not found in \$PATH: unknown/);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'nocmd'), 'created 127\n');
  await ok('rm', 'nocmd');
  // With --rm the failed container is removed too.
  assert.equal((await docker('run', '--rm', 'busybox', 'nonexistent-cmd')).code, 127);
  assert.equal(await ok('ps', '-aq'), '');
});

test('run: an unknown image is looked up, then fails with 125 (no pull yet)', async () => {
  const r = await docker('run', 'nope');
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Unable to find image 'nope:latest' locally\n/);
  assert.match(r.stderr, /docker: Error response from daemon: /);
});

test('run -d, ps, ps -a, logs, inspect, stop escalating to SIGKILL, start, kill -s, wait, rm', async () => {
  const id = (await ok('run', '-d', '--name', 'web', 'busybox', 'sleep', '1000')).trim();
  assert.match(id, /^[0-9a-f]{64}$/);

  const dup = await docker('run', '-d', '--name', 'web', 'busybox', 'true');
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, new RegExp(`Conflict\\. The container name "/web" is already in use by container "${id}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));

  const ps = (await ok('ps')).split('\n');
  assert.match(ps[0]!, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  assert.match(ps[1]!, new RegExp(`^${id.slice(0, 12)}\\s+busybox\\s+"sleep 1000"\\s+.* ago\\s+Up .*\\s+web$`));
  assert.equal(await ok('ps', '-q', '--no-trunc'), `${id}\n`);

  const inspect = JSON.parse(await ok('inspect', 'web')) as Array<Record<string, unknown>>;
  const c = inspect[0] as {
    Id: string; Name: string; Image: string; Path: string; Args: string[]; Mounts: unknown[];
    State: { Status: string; Running: boolean; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string };
    Config: { Image: string; Cmd: string[]; Env: string[] };
    HostConfig: { NetworkMode: string; Runtime: string; AutoRemove: boolean };
    GraphDriver: { Name: string; Data: { MergedDir: string; UpperDir: string; LowerDir: string } };
  };
  assert.equal(c.Id, id);
  assert.equal(c.Name, '/web');
  assert.match(c.Image, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual([c.Path, c.Args], ['sleep', ['1000']]);
  assert.equal(c.State.Status, 'running');
  assert.equal(c.State.Running, true);
  assert.ok(c.State.Pid > 0);
  assert.equal(c.State.FinishedAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(c.Mounts, []);
  assert.equal(c.Config.Image, 'busybox');
  assert.deepEqual(c.Config.Cmd, ['sleep', '1000']);
  assert.equal(c.HostConfig.NetworkMode, 'default');
  assert.equal(c.HostConfig.Runtime, 'runc');
  assert.equal(c.GraphDriver.Name, 'overlay2');

  // busybox sleep as PID 1 ignores SIGTERM: stop must escalate to SIGKILL after the timeout.
  const t0 = Date.now();
  assert.equal(await ok('stop', '-t', '1', 'web'), 'web\n');
  const took = Date.now() - t0;
  assert.ok(took >= 900 && took < 8000, `stop took ${took} ms`);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}', 'web'), 'exited false 0 137\n');
  assert.match((await ok('ps', '-a', '--format', '{{.Names}} {{.Status}}')), /^web Exited \(137\) .* ago$/m);
  assert.equal(await ok('ps', '-q'), '');
  assert.equal(await ok('stop', 'web'), 'web\n', 'stopping a stopped container is not an error');

  // start again, then signals: a namespace's PID 1 without handlers ignores all but SIGKILL.
  assert.equal(await ok('start', 'web'), 'web\n');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'web'), 'running\n');
  assert.equal(await ok('kill', '-s', 'TERM', 'web'), 'web\n');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'web'), 'running\n', 'PID 1 without a handler ignores TERM');
  const waited = docker('wait', 'web');
  assert.equal(await ok('kill', '-s', 'SIGKILL', 'web'), 'web\n');
  assert.equal((await waited).stdout, '137\n');
  const kill2 = await docker('kill', 'web');
  assert.equal(kill2.code, 1);
  assert.equal(kill2.stderr, `Error response from daemon: Cannot kill container: web: container ${id} is not running\n`);
  const bad = await docker('kill', '-s', 'NOPE', 'web');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Invalid signal: NOPE/);

  // rm refuses a running container, rm -f kills it.
  await ok('start', 'web');
  const rmRunning = await docker('rm', 'web');
  assert.equal(rmRunning.code, 1);
  assert.equal(rmRunning.stderr, 'Error response from daemon: cannot remove container "/web": container is running: stop the container before removing or force remove\n');
  assert.equal(await ok('rm', '-f', 'web'), 'web\n');
  const gone = await docker('inspect', 'web');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object: web/);
  const rmGone = await docker('rm', 'web');
  assert.equal(rmGone.stderr, 'Error response from daemon: No such container: web\n');
});

test('logs: stdout and stderr apart, --tail, -t, -f until a short-lived container exits', async () => {
  await ok('run', '-d', '--name', 'talker', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three');
  const follow = await docker('logs', '-f', 'talker');
  assert.equal(follow.code, 0);
  assert.equal(follow.stdout, 'one\nthree\n');
  assert.equal(follow.stderr, 'two\n');
  assert.ok(follow.durationMs > 500, 'logs -f waited for the container to exit');
  const logs = await docker('logs', 'talker');
  assert.deepEqual([logs.stdout, logs.stderr], ['one\nthree\n', 'two\n']);
  assert.equal(await ok('logs', '--tail', '1', 'talker'), 'three\n');
  assert.match(await ok('logs', '-t', '--tail', '1', 'talker'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z three\n$/);
  assert.equal(await ok('wait', 'talker'), '0\n');
  await ok('rm', 'talker');
});

test('wait: exit codes of several containers', async () => {
  await ok('run', '-d', '--name', 'w1', 'busybox', 'sh', '-c', 'sleep 0.3; exit 5');
  await ok('run', '-d', '--name', 'w2', 'busybox', 'true');
  assert.equal(await ok('wait', 'w1', 'w2'), '5\n0\n');
  await ok('rm', 'w1', 'w2');
});

test('rmi conflicts with a container that uses the image, until the container is gone', async () => {
  const id = (await ok('create', '--name', 'user', 'busybox', 'true')).trim();
  const r = await docker('rmi', 'busybox');
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^Error response from daemon: conflict: unable to remove repository reference "busybox" \\(must force\\) - container ${id.slice(0, 12)} is using its referenced image [0-9a-f]{12}\n$`));
  await ok('rm', 'user');
  await ok('tag', 'busybox', 'busybox:spare');
  await ok('rmi', 'busybox:spare');
});

test('--runtime crun runs the container under crun', async () => {
  const r = await docker('run', '--rm', '--runtime', 'crun', 'busybox', 'echo', 'from crun');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'from crun\n');
  const bad = await docker('run', '--rm', '--runtime', 'nope', 'busybox', 'true');
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /Unknown runtime specified nope/);
});

test('a daemon killed with -9 and restarted finds running containers running and picks up exits', async () => {
  await ok('run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'echo before; sleep 1000');
  await ok('run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; exit 7');
  const pid = (await ok('inspect', '-f', '{{.State.Pid}}', 'survivor')).trim();
  await s.d.kill9();
  await new Promise((r) => setTimeout(r, 2000));
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor'), `running ${pid}\n`);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quitter'), 'exited 7\n');
  assert.equal(await ok('logs', 'survivor'), 'before\n');
  // The restarted daemon monitors it again: stop and wait see the exit.
  await ok('stop', '-t', '0', 'survivor');
  assert.equal(await ok('wait', 'survivor'), '137\n');
  await ok('rm', 'survivor', 'quitter');
});

test('run -i passes stdin; start -a runs an exited container again attached; restart', async () => {
  const piped = await dockerCli(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; exit 4'], { host: s.d.host, input: 'piped\n' });
  assert.deepEqual([piped.code, piped.stdout], [4, 'piped\n']);
  assert.equal(await ok('run', '--name', 'again', 'busybox', 'echo', 'again'), 'again\n');
  assert.equal(await ok('start', '-a', 'again'), 'again\n');
  assert.equal(await ok('restart', 'again'), 'again\n');
  assert.equal(await ok('wait', 'again'), '0\n');
  assert.equal(await ok('logs', 'again'), 'again\nagain\nagain\n');
  await ok('rm', 'again');
});

test('kill (SIGKILL) answers once the exit is recorded: rm right after it needs no -f', async () => {
  for (let i = 0; i < 3; i++) {
    const id = (await ok('run', '-d', 'busybox', 'sleep', '1000')).trim();
    await ok('kill', id);
    assert.equal((await ok('inspect', '-f', '{{.State.Status}}', id)).trim(), 'exited');
    await ok('rm', id);
  }
});
