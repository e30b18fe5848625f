import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, ESTIBA, type EstibadProcess } from '../helpers/estibad.js';

/** The real docker CLI: 28 where installed, else Debian's 20.10 (CI installs docker.io). */
const DOCKER = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));

let d: EstibadProcess;
let work: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], input?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(work, 'docker-config'), DOCKER_CLI_HINTS: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const estiba = (...args: string[]): Promise<Run> => run(process.execPath, [ESTIBA, ...args]);
const docker = (...args: string[]): Promise<Run> => run(DOCKER!, args);

before(async () => {
  assert.ok(DOCKER, 'a docker CLI is required (scripts/setup.sh installs docker.io)');
  d = await startEstibad();
  work = await mkdtemp(join(tmpdir(), 'estiba-cli-test-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
});

after(async () => {
  await d?.stop();
  await d?.cleanup();
  await rm(work, { recursive: true, force: true });
});

test('estiba load, tag and images print what docker prints', async () => {
  const load = await estiba('load', '-i', join(work, 'busybox.tar'));
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout, 'Loaded image: busybox:latest\n');
  assert.equal((await estiba('tag', 'busybox', 'cli-test/bb:v1')).code, 0);
  for (const args of [
    ['images'],
    ['images', '-q'],
    ['images', '--no-trunc'],
    ['images', '--filter', 'reference=cli-test/*'],
    ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}'],
    ['images', '--format', '{{json .}}'],
    ['image', 'inspect', '-f', '{{.Id}} {{.Config.Cmd}} {{json .RootFS}}', 'busybox'],
    ['history', 'busybox'],
    ['history', '--no-trunc', '-q', 'busybox'],
    ['history', '-H=false', 'busybox'],
    ['images', '--digests'],
    ['image', 'inspect', 'busybox'],
    ['events', '--since', '1700000000', '--until', String(Math.floor(Date.now() / 1000)), '--filter', 'type=image'],
    ['system', 'df'],
  ]) {
    const ours = await estiba(...args);
    const theirs = await docker(...args);
    assert.equal(ours.code, theirs.code, `${args.join(' ')}: ${ours.stderr}`);
    // docker/cli walks an image's tags through a Go map: their order varies run to run.
    const lines = (t: string): string[] => t.split('\n').sort();
    assert.deepEqual(lines(ours.stdout), lines(theirs.stdout), `estiba ${args.join(' ')} prints what docker prints`);
  }
});

test('errors and exit codes follow docker', async () => {
  const rmi = await estiba('rmi', 'nope');
  assert.equal(rmi.code, 1);
  assert.equal(rmi.stderr, 'Error response from daemon: No such image: nope:latest\n');
  const unknownFlag = await estiba('images', '--bogus');
  assert.equal(unknownFlag.code, 125);
  assert.match(unknownFlag.stderr, /^unknown flag: --bogus\n/);
  const missingArg = await estiba('image', 'inspect');
  assert.equal(missingArg.code, 1);
  assert.match(missingArg.stderr, /requires at least 1 argument/);
  const unreachable = await run(process.execPath, [ESTIBA, '-H', 'unix:///nonexistent/estiba.sock', 'images']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/estiba.sock/);
});

test('save to a file and load it back; import with changes; rmi untags then deletes', async () => {
  const tar = join(work, 'saved.tar');
  assert.equal((await estiba('save', '-o', tar, 'cli-test/bb:v1')).code, 0);
  const rmi = await estiba('rmi', 'cli-test/bb:v1');
  assert.equal(rmi.stdout, 'Untagged: cli-test/bb:v1\n');
  const load = await estiba('load', '-q', '-i', tar);
  assert.equal(load.stdout, 'Loaded image: cli-test/bb:v1\n');
  const id = (await estiba('image', 'inspect', '-f', '{{.Id}}', 'busybox')).stdout.trim();
  assert.equal((await estiba('image', 'inspect', '-f', '{{.Id}}', 'cli-test/bb:v1')).stdout.trim(), id);
  const exported = await estiba('save', 'busybox');
  assert.equal(exported.code, 0);
  const imp = await estiba('import', '-c', 'CMD ["echo","imported"]', join(work, 'busybox.tar'), 'cli-test/imported:1');
  assert.equal(imp.code, 0, imp.stderr);
  assert.match(imp.stdout, /^sha256:[a-f0-9]{64}\n$/);
  const cmd = await estiba('image', 'inspect', '-f', '{{json .Config.Cmd}}', 'cli-test/imported:1');
  assert.equal(cmd.stdout, '["echo","imported"]\n');
  const prune = await estiba('image', 'prune', '-f');
  assert.equal(prune.code, 0);
  assert.match(prune.stdout, /Total reclaimed space: /);
});

test('estiba volume create, ls, inspect, rm and prune print what docker prints', async () => {
  const created = await estiba('volume', 'create', '--label', 'team=cli', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', 'cli-vol-a');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'cli-vol-a\n');
  assert.equal((await docker('volume', 'create', 'cli-vol-b')).code, 0);
  for (const args of [
    ['volume', 'ls'],
    ['volume', 'ls', '-q'],
    ['volume', 'ls', '--filter', 'label=team=cli'],
    ['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.Mountpoint}}'],
    ['volume', 'ls', '--format', 'json'],
    ['volume', 'inspect', 'cli-vol-a', 'cli-vol-b'],
    ['volume', 'inspect', '-f', '{{.Name}} {{.Labels}} {{.Options}}', 'cli-vol-a'],
    ['volume', 'inspect', 'cli-no-such'],
    ['volume', 'create', 'a/b'],
    ['volume', 'create', '--opt', 'bogus=1', 'cli-vol-c'],
    ['system', 'df'],
  ]) {
    const ours = await estiba(...args);
    const theirs = await docker(...args);
    assert.equal(ours.code, theirs.code, `${args.join(' ')}: ${ours.stderr}`);
    assert.equal(ours.stdout, theirs.stdout, `estiba ${args.join(' ')} prints what docker prints`);
    assert.equal(ours.stderr, theirs.stderr, `estiba ${args.join(' ')} complains as docker does`);
  }
  const rm = await estiba('volume', 'rm', 'cli-vol-a', 'cli-no-such');
  assert.equal(rm.code, 1);
  assert.equal(rm.stdout, 'cli-vol-a\n');
  assert.equal(rm.stderr, 'Error response from daemon: get cli-no-such: no such volume\n');
  const pruneAnon = await estiba('volume', 'prune', '-f');
  assert.equal(pruneAnon.stdout, 'Total reclaimed space: 0B\n');
  const pruneAll = await estiba('volume', 'prune', '--all', '--force');
  assert.equal(pruneAll.stdout, 'Deleted Volumes:\ncli-vol-b\n\nTotal reclaimed space: 0B\n');
  const declined = await run(process.execPath, [ESTIBA, 'volume', 'prune'], Buffer.from('n\n'));
  assert.equal(declined.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
});

test('estiba version and info talk to the daemon', async () => {
  const v = await estiba('version', '--format', '{{.Server.Version}} {{.Client.ApiVersion}}');
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\S* 1\.45\n$/);
  const info = await estiba('info', '--format', '{{.Driver}} {{.DockerRootDir}}');
  assert.equal(info.stdout, `overlay2 ${d.dataRoot}\n`);
});
