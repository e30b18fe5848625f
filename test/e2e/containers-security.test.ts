/**
 * Security defaults through the real docker CLI 28 against estibad, compared with what dockerd
 * gives: a default container cannot mount (`mount -t tmpfs`), load modules or see host processes, has Docker's
 * capability set and seccomp filter; `--privileged`, `--cap-add/--cap-drop`,
 * `--security-opt no-new-privileges` and `--read-only` change exactly what they should.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

test('--runtime crun: a filter compiled once is reused (run.oci.seccomp_bpf_data) and each profile keeps its own', async () => {
  const denyMkdir = join(work, 'deny-mkdir.json');
  const denyRmdir = join(work, 'deny-rmdir.json');
  await writeFile(denyMkdir, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
  await writeFile(denyRmdir, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['rmdir'], action: 'SCMP_ACT_ERRNO' }] }));
  const probe = 'mkdir /a 2>/dev/null && echo mkdir-ok; mkdir -p /b && rmdir /b 2>/dev/null && echo rmdir-ok; true';
  // Twice each, interleaved: the second run of a profile loads the program the first compiled.
  for (const [profile, want] of [[denyMkdir, ''], [denyRmdir, 'mkdir-ok\n'], [denyMkdir, ''], [denyRmdir, 'mkdir-ok\n']] as const) {
    const r = await sh(['--runtime', 'crun', '--security-opt', `seccomp=${profile}`], probe);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, want, profile);
  }
  // The default profile, cached, still blocks what it blocks and keeps the filter on.
  await sh(['--runtime', 'crun'], 'true');
  const id = (await docker('run', '-d', '--runtime', 'crun', 'busybox', 'sleep', '30')).stdout.trim();
  try {
    const spec = JSON.parse(await readFile(join(d.execRoot, 'containers', id, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
    assert.ok((spec.annotations?.['run.oci.seccomp_bpf_data'] ?? '').length > 0, 'the cached filter went to crun');
    const st = await docker('exec', id, 'sh', '-c', 'grep Seccomp: /proc/self/status; mount -t tmpfs x /tmp 2>&1; true');
    assert.match(st.stdout, /Seccomp:\s+2/);
    assert.match(st.stdout, /denied|not permitted/i);
  } finally {
    await docker('rm', '-f', id);
  }
});
