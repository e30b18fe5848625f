/**
 * Security defaults through the real docker CLI 28 against estibad, compared with what dockerd
 * gives: a default container cannot mount (`mount -t tmpfs`), load modules or see host processes, has Docker's
 * capability set and seccomp filter; `--privileged`, `--cap-add/--cap-drop`,
 * `--security-opt no-new-privileges` and `--read-only` change exactly what they should.
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
/** `docker run --rm [opts] busybox sh -c script`. */
const sh = (opts: string[], script: string): Promise<DockerCliResult> => docker('run', '--rm', ...opts, 'busybox', 'sh', '-c', script);

/** Docker 28's default capability set (CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP). */
const DOCKER_CAPS = 0x00000000a80425fbn;
const CAP = { CHOWN: 0n, NET_ADMIN: 12n, SYS_ADMIN: 21n, SYS_MODULE: 16n };

async function status(opts: string[]): Promise<Record<string, string>> {
  const r = await sh(opts, 'cat /proc/self/status');
  assert.equal(r.code, 0, r.stderr);
  return Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

before(async () => {
  d = await startEstibad();
  work = await mkdtemp(join(tmpdir(), 'estiba-security-test-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  const r = await docker('load', '-i', join(work, 'busybox.tar'));
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (d !== undefined) {
    await d.stop();
    await d.cleanup();
  }
  await rm(work, { recursive: true, force: true });
});

test('default: Docker\'s CapEff, seccomp filter on, no NoNewPrivs', async () => {
  const s = await status([]);
  assert.equal(s.CapEff, '00000000a80425fb');
  assert.equal(BigInt(`0x${s.CapBnd!}`), DOCKER_CAPS);
  assert.equal(s.Seccomp, '2');
  assert.equal(s.NoNewPrivs, '0');
});

test('default: cannot mount, cannot load modules, sees only its own processes', async () => {
  const mount = await sh([], 'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m');
  assert.notEqual(mount.code, 0);
  assert.match(mount.stderr, /permission denied|Operation not permitted/i);
  const mod = await sh([], 'insmod /nonexistent.ko 2>&1; modprobe dummy 2>&1; echo "rc=$?"');
  assert.doesNotMatch(mod.stdout, /rc=0/);
  // busybox ps: the shell (PID 1) and ps itself; nothing of the host.
  const ps = await sh([], 'ps -o pid,comm; true');
  const rows = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[1]).sort(), ['ps', 'sh'], ps.stdout);
  assert.ok(rows.some((r) => r[0] === '1'), 'the container has its own PID namespace');
  const procs = await sh([], 'ls /proc | grep -c "^[0-9]"');
  assert.ok(Number(procs.stdout.trim()) <= 3, `only the container's processes in /proc: ${procs.stdout}`);
});

test('--privileged: all capabilities, no seccomp, mount works', async () => {
  const s = await status(['--privileged']);
  assert.notEqual(s.CapEff, '00000000a80425fb');
  const eff = BigInt(`0x${s.CapEff!}`);
  for (const c of [CAP.SYS_ADMIN, CAP.SYS_MODULE, CAP.NET_ADMIN]) assert.ok((eff >> c) & 1n, `cap ${c} in ${s.CapEff}`);
  assert.equal(s.Seccomp, '0');
  const mount = await sh(['--privileged'], 'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m && grep -c " /tmp/m tmpfs" /proc/mounts');
  assert.equal(mount.code, 0, mount.stderr);
  assert.equal(mount.stdout.trim(), '1');
});

test('--cap-add NET_ADMIN and --cap-drop CHOWN show in CapEff; no-new-privileges sets NoNewPrivs', async () => {
  const s = await status(['--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN']);
  assert.equal(BigInt(`0x${s.CapEff!}`), (DOCKER_CAPS | (1n << CAP.NET_ADMIN)) & ~(1n << CAP.CHOWN));
  const chown = await sh(['--cap-drop', 'CHOWN'], 'touch /tmp/f && chown 1:1 /tmp/f');
  assert.notEqual(chown.code, 0);
  const nnp = await status(['--security-opt', 'no-new-privileges']);
  assert.equal(nnp.NoNewPrivs, '1');
  const unconfined = await status(['--security-opt', 'seccomp=unconfined']);
  assert.equal(unconfined.Seccomp, '0');
});

test('--read-only: the root filesystem refuses writes; /tmp only with --tmpfs', async () => {
  const ro = await sh(['--read-only'], 'touch /x');
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr, /Read-only file system/);
  const rw = await sh([], 'touch /x && echo ok');
  assert.equal(rw.stdout, 'ok\n');
});
