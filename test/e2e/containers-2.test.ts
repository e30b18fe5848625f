/**
 * The second slice of the container lifecycle through the real docker CLI 28 against a real
 * estibad: exec (attached, detached, stdin, env, workdir, exit codes, a missing command),
 * interactive TTYs driven through a pseudo-terminal (`run -it`, `exec -it`, resize, detach keys),
 * top, stats, pause/unpause, rename, container prune, `ps -s` sizes, and info's counts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { envWithoutDocker } from '../helpers/e2e.js';
import { runInPty } from '../helpers/pty.js';

let d: EstibadProcess;
let work: string;

const docker = (...args: string[]): Promise<DockerCliResult> => dockerCli(args, { host: d.host, timeoutMs: 60_000 });

async function ok(...args: string[]): Promise<string> {
  const r = await docker(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  d = await startEstibad();
  work = await mkdtemp(join(tmpdir(), 'estiba-containers2-test-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await ok('load', '-i', join(work, 'busybox.tar'));
});

after(async () => {
  // Containers outlive the daemon by design: remove them before stopping it.
  if (d !== undefined) {
    const ids = (await docker('ps', '-aq')).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await docker('rm', '-f', ...ids);
    await d.stop();
    await d.cleanup();
  }
  await rm(work, { recursive: true, force: true });
});

test('exec: output, exit codes, -e and -w, -d, -i with piped stdin, a missing command, inspect', async () => {
  await ok('run', '-d', '--name', 'web', 'busybox', 'sleep', '1000');
  const hi = await docker('exec', 'web', 'echo', 'hi');
  assert.deepEqual([hi.code, hi.stdout, hi.stderr], [0, 'hi\n', '']);

  const split = await docker('exec', 'web', 'sh', '-c', 'echo out; echo err >&2');
  assert.deepEqual([split.stdout, split.stderr], ['out\n', 'err\n']);

  assert.equal((await docker('exec', 'web', 'sh', '-c', 'exit 5')).code, 5);

  assert.equal(await ok('exec', '-e', 'A=1', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A; pwd'), '1\n/tmp\n');
  assert.equal(await ok('exec', '-u', 'nobody', 'web', 'id', '-u'), '65534\n');

  assert.equal(await ok('exec', '-d', 'web', 'touch', '/tmp/x'), '');
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) {
    seen = (await docker('exec', 'web', 'sh', '-c', 'test -e /tmp/x')).code === 0;
    if (!seen) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen, 'the detached exec created /tmp/x');

  const piped = await dockerCli(['exec', '-i', 'web', 'cat'], { host: d.host, input: 'piped through\n', timeoutMs: 30_000 });
  assert.deepEqual([piped.code, piped.stdout], [0, 'piped through\n']);

  const missing = await docker('exec', 'web', 'nonexistent');
  assert.equal(missing.code, 127);
  assert.match(missing.stdout + missing.stderr, /OCI runtime exec failed: exec failed: unable to start container process: exec: "nonexistent": executable file not found in \$PATH: unknown/);

  const notDir = await docker('exec', 'web', '/etc');
  assert.equal(notDir.code, 126);

  const stopped = await docker('exec', 'exit-none', 'true');
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /No such container: exit-none/);

  await ok('create', '--name', 'idle', 'busybox', 'true');
  const notRunning = await docker('exec', 'idle', 'true');
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /Error response from daemon: container [0-9a-f]{64} is not running|Container [0-9a-f]{64} is not running/);
  await ok('rm', 'idle');
  await ok('rm', '-f', 'web');
});

const ptyEnv = (): NodeJS.ProcessEnv => ({ ...envWithoutDocker(), DOCKER_HOST: d.host, DOCKER_CONFIG: join(work, 'docker-config'), TERM: 'xterm' });

test('run -it through a pseudo-terminal: the shell gets the window size, follows resizes, exits with its code', async () => {
  const r = await runInPty(['docker', 'run', '-it', '--name', 'tty1', 'busybox', 'sh'], {
    env: ptyEnv(),
    rows: 30,
    cols: 100,
    steps: [
      { expect: '# ' },
      { send: 'stty size\r' },
      { expect: '30 100' },
      { resize: { rows: 40, cols: 120 } },
      { sleepMs: 500 },
      { send: 'stty size\r' },
      { expect: '40 120' },
      { send: 'echo hola; exit 7\r' },
      { expect: 'hola' },
    ],
  });
  assert.equal(r.timedOut, undefined, `timed out waiting for ${r.timedOut}; output: ${JSON.stringify(r.output)}`);
  assert.equal(r.code, 7, r.output);
  assert.match(r.output, /\r\nhola\r\n/);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}}', 'tty1'), 'exited 7 true\n');
  await ok('rm', 'tty1');
});

test('ctrl-p ctrl-q detaches from run -it and leaves the container running; attach and exec -it reach it again', async () => {
  const r = await runInPty(['docker', 'run', '-it', '--name', 'tty2', 'busybox', 'sh'], {
    env: ptyEnv(),
    steps: [{ expect: '# ' }, { send: 'echo before\r' }, { expect: 'before' }, { send: '\x10\x11' }],
  });
  assert.equal(r.timedOut, undefined, `timed out waiting for ${r.timedOut}; output: ${JSON.stringify(r.output)}`);
  assert.equal(r.code, 0, r.output);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'tty2'), 'running\n');

  const ex = await runInPty(['docker', 'exec', '-it', 'tty2', 'sh'], {
    env: ptyEnv(),
    rows: 33,
    cols: 91,
    steps: [
      { expect: '# ' },
      { send: 'stty size; tty\r' },
      { expect: '33 91\r\n/dev/pts/\\d+' },
      { resize: { rows: 20, cols: 60 } },
      { sleepMs: 500 },
      { send: 'stty size\r' },
      { expect: '20 60' },
      { send: 'echo hola; exit 7\r' },
      { expect: 'hola' },
    ],
  });
  assert.equal(ex.timedOut, undefined, `timed out waiting for ${ex.timedOut}; output: ${JSON.stringify(ex.output)}`);
  assert.equal(ex.code, 7, ex.output);

  const at = await runInPty(['docker', 'attach', 'tty2'], {
    env: ptyEnv(),
    steps: [{ send: 'echo again\r' }, { expect: 'again\r\n' }, { send: 'exit 3\r' }],
  });
  assert.equal(at.timedOut, undefined, `timed out waiting for ${at.timedOut}; output: ${JSON.stringify(at.output)}`);
  assert.equal(at.code, 3, at.output);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'tty2'), 'exited 3\n');
  await ok('rm', 'tty2');
});
