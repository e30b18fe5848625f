/**
 * The estiba CLI's container commands against a test estibad, through a pseudo-terminal where a
 * person would use one, and side by side with the docker 28 CLI on the same daemon where the
 * output is deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { ESTIBA } from '../helpers/estibad.js';
import { envWithoutDocker, run, type RunResult } from '../helpers/e2e.js';
import { runInPty } from '../helpers/pty.js';

const s = useBusyboxDaemon('estiba-cli-containers-');
const { ok, docker } = s;

const env = (): NodeJS.ProcessEnv => envWithoutDocker({ DOCKER_HOST: s.d.host, DOCKER_CONFIG: join(s.work, 'docker-config'), TERM: 'xterm' });
const estiba = (args: string[], input?: string): Promise<RunResult> => run(process.execPath, [ESTIBA, ...args], { env: env(), input, timeoutMs: 60_000 });
const eok = async (...args: string[]): Promise<string> => {
  const r = await estiba(args);
  assert.equal(r.code, 0, `estiba ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const pty = (args: string[], o: Omit<Parameters<typeof runInPty>[1], 'env'>): ReturnType<typeof runInPty> =>
  runInPty([process.execPath, ESTIBA, ...args], { ...o, env: env() });

/** SIZE column of `ps -a -s` for one container: the writable layer's bytes as docker prints them. */
async function sizeOf(name: string): Promise<string> {
  const out = await eok('ps', '-a', '-s', '--filter', `name=${name}`, '--format', '{{.Size}}');
  return out.trim();
}

function bytes(human: string): number {
  const m = /^([\d.]+)([kMG]?B)/.exec(human);
  assert.ok(m, `a size: ${human}`);
  return Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9 } as Record<string, number>)[m[2]!]!;
}

test('run --rm busybox echo hello prints hello and leaves nothing behind', async () => {
  const r = await estiba(['run', '--rm', '--name', 'rm-hello', 'busybox', 'echo', 'hello']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'hello\n', '']);
  assert.equal(await eok('ps', '-a', '-q', '--filter', 'name=rm-hello'), '');
});

test('the seeds flow: run -it on a terminal, write a file, exit; start; attach; ps -a -s shows the size grow', async () => {
  const first = await pty(['run', '-it', '--name', 'contenedor1', 'busybox', 'sh'], {
    steps: [
      { expect: '# ' },
      { send: 'echo hola > /archivo.txt; cat /archivo.txt\r' },
      { expect: 'hola\r\n' },
      { send: 'exit\r' },
    ],
  });
  assert.equal(first.timedOut, undefined, `timed out waiting for ${first.timedOut}; output: ${JSON.stringify(first.output)}`);
  assert.equal(first.code, 0, first.output);
  assert.match(await eok('ps', '-a', '--filter', 'name=contenedor1', '--format', '{{.Names}} {{.Status}}'), /^contenedor1 Exited \(0\) /);
  const before = await sizeOf('contenedor1');
  assert.match(before, /^\d+(\.\d+)?[kMG]?B \(virtual \d+(\.\d+)?[kMG]?B\)$/);

  assert.equal(await eok('start', 'contenedor1'), 'contenedor1\n');
  assert.equal((await eok('inspect', '-f', '{{.State.Running}}', 'contenedor1')).trim(), 'true');
  const attached = await pty(['attach', 'contenedor1'], {
    steps: [
      { send: 'cat /archivo.txt\r' },
      { expect: 'hola\r\n' },
      { send: 'dd if=/dev/zero of=/grande bs=1024 count=300 2>/dev/null; echo escrito\r' },
      { expect: 'escrito\r\n' },
      { send: 'exit 4\r' },
    ],
  });
  assert.equal(attached.timedOut, undefined, `timed out waiting for ${attached.timedOut}; output: ${JSON.stringify(attached.output)}`);
  assert.equal(attached.code, 4, attached.output);
  const after = await sizeOf('contenedor1');
  assert.ok(bytes(after) >= bytes(before) + 300_000, `size grew from ${before} to ${after}`);
  assert.equal(await eok('diff', 'contenedor1'), await ok('diff', 'contenedor1'));
  assert.equal(await eok('rm', 'contenedor1'), 'contenedor1\n');
});

test('run -it follows the terminal size and its changes; ctrl-p ctrl-q detaches; exec -it gets its own size and exit code', async () => {
  const r = await pty(['run', '-it', '--name', 'tty-e', 'busybox', 'sh'], {
    rows: 30,
    cols: 100,
    steps: [
      { expect: '# ' },
      { send: 'stty size\r' },
      { expect: '30 100' },
      { resize: { rows: 40, cols: 120 } },
      { send: 'until [ "$(stty size)" = "40 120" ]; do sleep 0.1; done; stty size\r' },
      { expect: '\r\n40 120\r\n' },
      { send: '\x10\x11' },
    ],
  });
  assert.equal(r.timedOut, undefined, `timed out waiting for ${r.timedOut}; output: ${JSON.stringify(r.output)}`);
  assert.equal(r.code, 0, r.output);
  assert.equal(await eok('inspect', '-f', '{{.State.Status}}', 'tty-e'), 'running\n');

  const ex = await pty(['exec', '-it', 'tty-e', 'sh'], {
    rows: 33,
    cols: 91,
    steps: [{ expect: '# ' }, { send: 'stty size; tty\r' }, { expect: '33 91\r\n/dev/pts/\\d+' }, { send: 'exit 6\r' }],
  });
  assert.equal(ex.timedOut, undefined, `timed out waiting for ${ex.timedOut}; output: ${JSON.stringify(ex.output)}`);
  assert.equal(ex.code, 6, ex.output);

  // Custom detach keys on attach; the container keeps running after.
  const at = await pty(['attach', '--detach-keys', 'ctrl-a,x', 'tty-e'], {
    steps: [{ send: 'echo again\r' }, { expect: 'again\r\n' }, { send: '\x01x' }],
  });
  assert.equal(at.timedOut, undefined, `timed out waiting for ${at.timedOut}; output: ${JSON.stringify(at.output)}`);
  assert.equal(at.code, 0, at.output);
  assert.equal(await eok('inspect', '-f', '{{.State.Status}}', 'tty-e'), 'running\n');
  assert.equal(await eok('rm', '-f', 'tty-e'), 'tty-e\n');
});

test('without a TTY: stdout and stderr reach their own fds, stdin is piped in, the exit code is the container\'s', async () => {
  const r = await estiba(['run', '--name', 'split', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.deepEqual([r.code, r.stdout, r.stderr], [3, 'out\n', 'err\n']);
  const logs = await estiba(['logs', 'split']);
  assert.deepEqual([logs.code, logs.stdout, logs.stderr], [0, 'out\n', 'err\n']);
  const cat = await estiba(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], 'piped in\n');
  assert.deepEqual([cat.code, cat.stdout], [0, 'piped in\ndone\n']);
  const tty = await estiba(['run', '--rm', '-it', 'busybox', 'true']);
  assert.deepEqual([tty.code, tty.stderr], [1, 'the input device is not a TTY\n']);
  const missing = await estiba(['run', '--rm', 'busybox', 'no-such-command']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /^estiba: Error response from daemon: .*executable file not found in \$PATH.*\n\nRun 'estiba run --help' for more information\n$/s);
  const cid = join(s.work, 'cid');
  const created = (await eok('create', '--cidfile', cid, 'busybox', 'true')).trim();
  assert.equal(await readFile(cid, 'utf8'), created);
  const again = await estiba(['create', '--cidfile', cid, 'busybox', 'true']);
  const theirs = await docker('create', '--cidfile', cid, 'busybox', 'true');
  assert.deepEqual([again.code, again.stderr], [theirs.code, theirs.stderr.replaceAll('docker', 'estiba')]);
  await eok('rm', created);
  // Run as a program (its shebang): node must leave `--env-file` to the CLI.
  const envFile = await run(ESTIBA, ['run', '--rm', '--env-file', '/nonexistent/env', 'busybox', 'true'], { env: env() });
  assert.deepEqual([envFile.code, envFile.stderr], [125, "estiba: open /nonexistent/env: no such file or directory\n\nRun 'estiba run --help' for more information\n"]);
  const ex = await estiba(['exec', '-i', '-e', 'X=1', '-w', '/tmp', 'split-none', 'true']);
  assert.equal(ex.code, 1);
  await ok('rm', 'split');
});

test('lifecycle and listing print what docker prints on the same daemon', async () => {
  await eok('run', '-d', '--name', 'life', '-l', 'tier=web', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait');
  await eok('create', '--name', 'made', 'busybox', 'true');
  const same = async (...args: string[]): Promise<string> => {
    const ours = await estiba(args);
    const theirs = await docker(...args);
    assert.equal(ours.code, theirs.code, `${args.join(' ')}: exit ${ours.code} vs ${theirs.code}: ${ours.stderr}`);
    assert.equal(ours.stderr, theirs.stderr.replaceAll('docker', 'estiba'), `stderr of ${args.join(' ')}`);
    assert.equal(ours.stdout, theirs.stdout, `stdout of ${args.join(' ')}`);
    return ours.stdout;
  };
  for (const args of [
    ['ps', '-a', '--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Names}}\t{{.Labels}}'],
    ['ps', '-a', '-q', '--no-trunc'],
    ['ps', '-l', '--format', '{{json .Names}} {{.Label "tier"}} {{.State}}'],
    ['ps', '--filter', 'label=tier=web', '--format', '{{.Names}}'],
    ['container', 'ls', '-n', '1', '--format', '{{.Names}}'],
    ['inspect', 'life'],
    ['container', 'inspect', '-f', '{{.Name}} {{.Config.Labels.tier}} {{.Config.Labels.none}}', 'life', 'made'],
    ['inspect', '-f', '{{.Nope}}', 'life'],
    ['inspect', 'nope'],
    ['container', 'inspect', 'nope'],
    ['top', 'life', '-o', 'pid,comm'],
    ['port', 'life'],
    ['kill', '-s', 'USR1', 'nope'],
    ['stop', 'nope', 'made'],
    ['rm', 'nope'],
    ['rm', '-f', 'nope'],
    ['rename', 'nope', 'x'],
    ['start', 'nope'],
    ['wait', 'made'],
    ['stats', '--no-stream', '--format', '{{.Name}} {{.ID}}', 'life'],
    ['logs', 'nope'],
    ['attach', 'made'],
    ['exec', 'made', 'true'],
  ]) {
    await same(...args);
  }
  assert.equal(await eok('pause', 'life'), 'life\n');
  assert.equal(await eok('ps', '--filter', 'name=life', '--format', '{{.Status}}').then((o) => o.endsWith('(Paused)\n')), true);
  assert.equal(await eok('unpause', 'life'), 'life\n');
  assert.equal(await eok('stop', '-t', '5', 'life'), 'life\n');
  assert.equal(await eok('wait', 'life'), '0\n');
  assert.equal(await eok('restart', 'life'), 'life\n');
  assert.equal(await eok('rename', 'life', 'life2'), '');
  assert.equal(await eok('update', '--memory', '64m', '--memory-swap', '128m', '--restart', 'on-failure:2', 'life2'), 'life2\n');
  assert.equal(
    await eok('inspect', '-f', '{{.Name}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'life2'),
    '/life2 67108864 on-failure:2\n',
  );
  const table = await eok('stats', '--no-stream', 'life2');
  assert.match(table, /^CONTAINER ID   NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\n[0-9a-f]{12}   life2 +\d+\.\d\d% +\S+ \/ \S+ +\d+\.\d\d% +\S+ \/ \S+ +\S+ \/ \S+ +\d+\n$/);
  assert.equal(await eok('kill', '-s', 'KILL', 'life2'), 'life2\n');
  assert.equal(await eok('rm', '-v', 'life2', 'made'), 'life2\nmade\n');
  await eok('run', '--name', 'gone', 'busybox', 'true');
  const gone = (await eok('inspect', '-f', '{{.Id}}', 'gone')).trim();
  const prune = await eok('container', 'prune', '-f');
  assert.match(prune, /^Deleted Containers:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: \d/);
  assert.ok(prune.includes(`\n${gone}\n`), prune);
  assert.equal(await eok('ps', '-a', '-q', '--filter', 'status=exited'), '');
});

test('cp both ways (files, directories, renames, tar on stdin/stdout), export -o and commit', async () => {
  await eok('run', '-d', '--name', 'files', 'busybox', 'sleep', '600');
  const local = join(s.work, 'cp');
  await mkdir(join(local, 'dir', 'sub'), { recursive: true });
  await writeFile(join(local, 'dir', 'a.txt'), 'A\n');
  await writeFile(join(local, 'dir', 'sub', 'b.txt'), 'B\n');
  await writeFile(join(local, 'one.txt'), 'one\n');

  assert.equal(await eok('cp', join(local, 'dir'), 'files:/tmp'), '');
  assert.equal(await eok('cp', join(local, 'one.txt'), 'files:/tmp/renamed.txt'), '');
  assert.equal(await eok('exec', 'files', 'sh', '-c', 'cat /tmp/dir/a.txt /tmp/dir/sub/b.txt /tmp/renamed.txt'), 'A\nB\none\n');

  assert.equal(await eok('cp', 'files:/tmp/dir', join(local, 'back')), '');
  assert.equal(await readFile(join(local, 'back', 'sub', 'b.txt'), 'utf8'), 'B\n');
  await mkdir(join(local, 'into'));
  assert.equal(await eok('cp', 'files:/tmp/renamed.txt', join(local, 'into')), '');
  assert.equal(await readFile(join(local, 'into', 'renamed.txt'), 'utf8'), 'one\n');
  assert.equal(await eok('cp', 'files:/etc/passwd', join(local, 'passwd.txt')), '');
  assert.match(await readFile(join(local, 'passwd.txt'), 'utf8'), /^root:x:0:0:/);

  // A tar to stdout, and the same tar back in through stdin.
  const tar = await run(process.execPath, [ESTIBA, 'cp', 'files:/tmp/dir', '-'], { env: env() });
  assert.equal(tar.code, 0, tar.stderr);
  const theirs = await docker('cp', 'files:/tmp/dir', '-');
  assert.equal(tar.stdout.length, theirs.stdout.length, 'the same tar as docker cp gives');
  await writeFile(join(local, 'dir.tar'), tar.stdout, 'latin1');
  const upload = (to: string): Promise<RunResult> =>
    run('/bin/sh', ['-c', `exec "${process.execPath}" "${ESTIBA}" cp - ${to} < "${join(local, 'dir.tar')}"`], { env: env() });
  assert.deepEqual(await upload('files:/srv'), { code: 1, stdout: '', stderr: 'destination "files:/srv" must be a directory\n' });
  await eok('exec', 'files', 'mkdir', '/srv');
  const up = await upload('files:/srv');
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await eok('exec', 'files', 'cat', '/srv/dir/sub/b.txt'), 'B\n');

  const errs = [
    await estiba(['cp', 'files:/nope', local]),
    await estiba(['cp', join(local, 'one.txt'), join(local, 'two.txt')]),
    await estiba(['cp', 'files:/a', 'other:/b']),
  ];
  assert.deepEqual(errs.map((e) => e.code), [1, 1, 1]);
  assert.match(errs[0]!.stderr, /^Error response from daemon: Could not find the file \/nope in container files\n$/);
  assert.equal(errs[1]!.stderr, 'must specify at least one container source\n');
  assert.equal(errs[2]!.stderr, 'copying between containers is not supported\n');

  const out = join(local, 'export.tar');
  assert.equal(await eok('export', '-o', out, 'files'), '');
  assert.ok((await stat(out)).size > 1_000_000, 'the whole filesystem is in the export');

  const id = (await eok('commit', '-a', 'Ana <ana@example.org>', '-m', 'con archivos', '-c', 'ENV COMMITTED=1', 'files', 'cli-test/committed:v1')).trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(
    await eok('image', 'inspect', '-f', '{{.Author}}|{{.Comment}}|{{index .Config.Env 1}}', 'cli-test/committed:v1'),
    'Ana <ana@example.org>|con archivos|COMMITTED=1\n',
  );
  assert.equal(await eok('run', '--rm', 'cli-test/committed:v1', 'cat', '/tmp/dir/a.txt'), 'A\n');
  await eok('rm', '-f', 'files');
});

test('signals reach a non-TTY container (--sig-proxy); logs -f follows to the end; attach and exec options; start -ai', async () => {
  const child = spawn(process.execPath, [ESTIBA, 'run', '--name', 'sig', 'busybox', 'sh', '-c', 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.1; done'], { env: env() });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 200 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(out, /ready/);
  child.kill('SIGTERM');
  assert.equal(await exited, 5, out);
  assert.match(out, /got-term/);

  await eok('run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'sleep 1; for i in 1 2 3; do echo line$i; done; echo oops >&2');
  const f = await estiba(['logs', '-f', '-n', 'all', 'follow']);
  assert.deepEqual([f.code, f.stdout, f.stderr], [0, 'line1\nline2\nline3\n', 'oops\n']);

  await eok('run', '-d', '--name', 'talk', 'busybox', 'sh', '-c', 'sleep 1; echo from-attach; exit 9');
  const at = await estiba(['attach', '--no-stdin', 'talk']);
  assert.deepEqual([at.code, at.stdout], [9, 'from-attach\n']);

  await eok('run', '-d', '--name', 'ex', 'busybox', 'sleep', '600');
  assert.equal(await eok('exec', '-u', '1000:1000', '-w', '/tmp', '-e', 'X=equis', 'ex', 'sh', '-c', 'id -u; id -g; pwd; echo $X'), '1000\n1000\n/tmp\nequis\n');
  assert.equal(await eok('exec', '-d', 'ex', 'sh', '-c', 'echo bg > /bg.txt'), '');
  await eok('exec', 'ex', 'sh', '-c', 'until [ -s /bg.txt ]; do sleep 0.1; done');
  assert.deepEqual(await estiba(['exec', '-i', 'ex', 'cat'], 'por stdin\n'), { code: 0, stdout: 'por stdin\n', stderr: '' });

  const id = (await eok('create', '-i', 'busybox', 'sh', '-c', 'tr a-z A-Z; exit 2')).trim();
  const ai = await estiba(['start', '-ai', id], 'minusculas\n');
  assert.deepEqual([ai.code, ai.stdout], [2, 'MINUSCULAS\n']);
  await eok('rm', '-f', 'sig', 'follow', 'talk', 'ex', id);
});
