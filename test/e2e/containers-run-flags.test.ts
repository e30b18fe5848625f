/**
 * `docker run` options that shape the OCI spec: --tmpfs, --init, --ulimit, --group-add,
 * --device, --sysctl and --platform, through the real docker CLI against a real estibad.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';

let d: EstibadProcess;
let work: string;

const docker = (...args: string[]): Promise<DockerCliResult> => dockerCli(args, { host: d.host, timeoutMs: 60_000 });

async function runOut(...args: string[]): Promise<string> {
  const r = await docker('run', '--rm', ...args);
  assert.equal(r.code, 0, `docker run ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  d = await startEstibad();
  work = await mkdtemp(join(tmpdir(), 'estiba-runflags-test-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  assert.equal((await docker('load', '-i', join(work, 'busybox.tar'))).code, 0);
});

after(async () => {
  await d?.stop();
  await d?.cleanup();
  await rm(work, { recursive: true, force: true });
});

test('--tmpfs mounts a tmpfs with Docker’s default options and the given ones', async () => {
  const line = await runOut('--tmpfs', '/scratch:size=8m', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/mounts');
  assert.match(line, /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,.*size=8192k/);
});

test('--init runs tini as PID 1 with the command under it', async () => {
  const ps = await runOut('--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "');
  assert.match(ps, /^\/sbin\/docker-init -- sh -c /);
});

test('--ulimit, --group-add, --device and --sysctl reach the container', async () => {
  assert.equal(await runOut('--ulimit', 'nofile=1024:2048', 'busybox', 'sh', '-c', 'ulimit -n; ulimit -Hn'), '1024\n2048\n');
  assert.match(await runOut('--group-add', '10', '--group-add', 'nobody', 'busybox', 'id'), /groups=.*\b10\b.*65534/);
  assert.match(await runOut('--device', '/dev/null:/dev/xnull', 'busybox', 'sh', '-c', 'ls -l /dev/xnull && echo ok > /dev/xnull && echo written'), /^crw.* 1, +3 .*\/dev\/xnull\nwritten\n$/);
  assert.equal(await runOut('--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_forward'), '1\n');
  const missing = await docker('run', '--rm', '--device', '/dev/nonexistent-estiba', 'busybox', 'true');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/nonexistent-estiba"/);
});

test('--platform refuses a local image of another platform', async () => {
  assert.equal(await runOut('--platform', 'linux/amd64', 'busybox', 'echo', 'same'), 'same\n');
  const other = await docker('run', '--rm', '--platform', 'linux/arm64', 'busybox', 'true');
  assert.notEqual(other.code, 0);
});

test('--security-opt seccomp=<profile file> applies that profile', async () => {
  const profile = join(work, 'no-mkdir.json');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(
    profile,
    JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }),
  );
  const denied = await docker('run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'mkdir', '/tmp/d');
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Operation not permitted/);
  assert.equal(await runOut('busybox', 'sh', '-c', 'mkdir /tmp/d && echo made'), 'made\n');
});
