/**
 * `estiba create`/`run -d` send the same create request as docker CLI 28 for the same flags:
 * both clients talk to a request recorder and their bodies (Config, HostConfig,
 * NetworkingConfig) and queries (name, platform) are compared whole.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESTIBA } from '../helpers/estibad.js';
import { envWithoutDocker, requireExecutable, run } from '../helpers/e2e.js';
import { startRequestRecorder, type RecordedRequest, type RequestRecorder } from '../helpers/request-recorder.js';

const DOCKER = '/usr/local/bin/docker';
let rec: RequestRecorder;
let work: string;

before(async () => {
  requireExecutable(DOCKER, 'the docker 28 CLI');
  rec = await startRequestRecorder();
  work = await mkdtemp(join(tmpdir(), 'estiba-create-body-'));
  await writeFile(join(work, 'env'), '# comment\nFROM_FILE=1\n\nPASSED\nSPACED=a b\n');
  await writeFile(join(work, 'labels'), 'team=infra\n# x\nflag\n');
  await writeFile(join(work, 'seccomp.json'), '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": []\n}\n');
});

after(async () => {
  await rec?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** The create request a client sent for `args`. */
async function createRequestOf(client: 'docker' | 'estiba', args: string[]): Promise<{ req: RecordedRequest; stdout: string }> {
  rec.take();
  const env = envWithoutDocker({ DOCKER_HOST: rec.host, DOCKER_CONFIG: join(work, 'config'), PASSED: 'from-env', HOME: '/root' });
  delete env.UNSET_VAR;
  const r = client === 'docker' ? await run(DOCKER, args, { env }) : await run(process.execPath, [ESTIBA, ...args], { env });
  assert.equal(r.code, 0, `${client} ${args.join(' ')}: ${r.stderr}`);
  const req = rec.take().find((x) => x.method === 'POST' && x.path === '/containers/create');
  assert.ok(req, `${client} ${args.join(' ')} sent no create request`);
  return { req, stdout: r.stdout };
}

/**
 * docker CLI 28 collects -v binds, and the -e values after the env files, through Go maps:
 * their order varies run to run (seen here: `-e A=1 -e B` sent as [B, A] now and then).
 */
function sortBinds(body: unknown): unknown {
  const b = body as { Env?: string[] | null; HostConfig?: { Binds?: string[] | null } };
  if (b.HostConfig?.Binds) b.HostConfig.Binds = [...b.HostConfig.Binds].sort();
  if (b.Env) b.Env = [...b.Env].sort();
  return body;
}

const CASES: string[][] = [
  ['create', 'busybox'],
  ['create', '--name', 'web1', 'busybox', 'echo', 'hi'],
  ['create', '-it', 'busybox', 'sh'],
  ['create', '-i', 'busybox'],
  ['create', '-a', 'stdout', '-a', 'STDERR', 'busybox'],
  ['create', '-e', 'A=1', '-e', 'PASSED', '-e', 'UNSET_VAR', '--env-file', 'ENVFILE', 'busybox'],
  ['create', '-w', '/tmp', '-u', '1000:1000', '--entrypoint', '/bin/sh', '--hostname', 'h1', '--domainname', 'example.org', '-l', 'a=b', '-l', 'c', '--label-file', 'LABELFILE', 'busybox', '-c', 'true'],
  ['create', '--entrypoint', '', 'busybox'],
  ['create', '--restart', 'on-failure:3', 'busybox'],
  ['create', '--restart', 'unless-stopped', '--init', '--read-only', 'busybox'],
  ['create', '--rm', '--init=false', 'busybox'],
  ['create', '-m', '64m', '--memory-swap', '128m', '--memory-reservation', '32m', '--cpus', '1.5', '--cpu-shares', '512', '--cpuset-cpus', '0', '--pids-limit', '50', 'busybox'],
  ['create', '--pids-limit', '-1', '--memory-swap', '-1', '-m', '1g', 'busybox'],
  ['create', '--ulimit', 'nofile=100:200', '--ulimit', 'nproc=50', 'busybox'],
  ['create', '--cap-add', 'NET_ADMIN', '--cap-add', 'sys_time', '--cap-drop', 'ALL', '--privileged', 'busybox'],
  ['create', '--security-opt', 'no-new-privileges', '--security-opt', 'apparmor=unconfined', '--security-opt', 'label:disable', 'busybox'],
  ['create', '--security-opt', 'seccomp=SECCOMP', 'busybox'],
  ['create', '--device', '/dev/null', '--device', '/dev/zero:/dev/z:r', '--device', '/dev/full:rw', 'busybox'],
  ['create', '--stop-signal', 'SIGUSR1', '--stop-timeout', '5', 'busybox'],
  ['create', '--health-cmd', 'true', '--health-interval', '5s', '--health-timeout', '2s', '--health-retries', '3', '--health-start-period', '1s', '--health-start-interval', '500ms', 'busybox'],
  ['create', '--no-healthcheck', 'busybox'],
  ['create', '--log-driver', 'json-file', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=2', 'busybox'],
  ['create', '--tmpfs', '/run', '--tmpfs', '/tmp:size=1m,mode=1777', '--shm-size', '128m', 'busybox'],
  ['create', '--sysctl', 'net.ipv4.ip_forward=1', '--oom-kill-disable', '--group-add', 'audio', '--group-add', '1234', 'busybox'],
  ['create', '--platform', 'linux/amd64', '--runtime', 'crun', 'busybox'],
  ['create', '-p', '8080:80', '-p', '127.0.0.1:8443:443/tcp', '-p', '53:53/udp', '-p', '9000-9001:9000-9001', '-p', '7000', '-p', '8000-8010:80', '-P', '--expose', '3000', '--expose', '4000-4001/udp', 'busybox'],
  ['create', '--network', 'none', 'busybox'],
  ['create', '--network', 'mynet', 'busybox'],
  ['create', '--network', 'a', '--network', 'b', '--network-alias', 'x', 'busybox'],
  ['create', '--mac-address', '92:d0:c6:0a:29:33', 'busybox'],
  ['create', '-v', './rel:/r', '--mount', 'type=bind,src=/tmp,dst=/b,bind-propagation=rslave', '--mount', 'type=volume,src=v2,dst=/v2,volume-driver=local,volume-opt=o=1,volume-label=l=2', 'busybox'],
  ['create', '--network', 'mynet', '--network-alias', 'web', '--ip', '10.0.0.5', 'busybox'],
  ['create', '--network', 'host', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--add-host', 'foo:10.0.0.1', '--add-host', 'bar=10.0.0.2', '--add-host', 'gw:host-gateway', 'busybox'],
  ['create', '-v', '/tmp:/data:ro', '-v', '/anon', '-v', 'named:/n', '--mount', 'type=bind,src=/tmp,dst=/m,readonly', '--mount', 'type=volume,src=v1,dst=/v,volume-nocopy', '--mount', 'type=tmpfs,dst=/t,tmpfs-size=1m', 'busybox'],
  ['create', '--ipc', 'host', '--pid', 'host', '--uts', 'host', '--userns', 'host', '--cgroupns', 'private', '--cgroup-parent', 'foo', 'busybox'],
  ['create', '--memory-swappiness', '10', '--oom-score-adj', '100', '--cpu-period', '100000', '--cpu-quota', '50000', 'busybox'],
  ['create', '--annotation', 'a=b', '--storage-opt', 'size=1G', '--volumes-from', 'other', 'busybox'],
  ['create', '--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:200', '--device-read-bps', '/dev/sda:1mb', '--device-write-iops', '/dev/sda:100', '--kernel-memory', '10m', 'busybox'],
  ['create', '--gpus', 'all', 'busybox'],
  ['run', '-d', '--name', 'det', 'busybox', 'sleep', '1'],
  ['run', '-d', '-it', 'busybox'],
];

test('estiba sends the create request docker CLI 28 sends, flag set by flag set', async () => {
  const failures: string[] = [];
  for (const c of CASES) {
    const files: Record<string, string> = { ENVFILE: join(work, 'env'), LABELFILE: join(work, 'labels'), 'seccomp=SECCOMP': `seccomp=${join(work, 'seccomp.json')}` };
    const args = c.map((a) => files[a] ?? a);
    const theirs = await createRequestOf('docker', args);
    const ours = await createRequestOf('estiba', args);
    // Every case is checked before failing, so one run shows all differences.
    try {
      assert.deepEqual(sortBinds(ours.req.body), sortBinds(theirs.req.body), `body of ${c.join(' ')}`);
      assert.equal(ours.req.query.get('name'), theirs.req.query.get('name'), `name of ${c.join(' ')}`);
      assert.equal(ours.req.query.get('platform'), theirs.req.query.get('platform'), `platform of ${c.join(' ')}`);
      assert.equal(ours.stdout, theirs.stdout, `output of ${c.join(' ')}`);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  assert.deepEqual(failures, []);
});

test('Windows-only flags are refused for a Linux daemon, as docker refuses them', async () => {
  const args = ['create', '--cpu-count', '2', '--io-maxiops', '5', 'busybox'];
  const env = envWithoutDocker({ DOCKER_HOST: rec.host, DOCKER_CONFIG: join(work, 'config') });
  const theirs = await run(DOCKER, args, { env });
  const ours = await run(process.execPath, [ESTIBA, ...args], { env });
  assert.deepEqual([ours.code, ours.stdout, ours.stderr], [theirs.code, theirs.stdout, theirs.stderr]);
  assert.equal(ours.code, 1);
});
