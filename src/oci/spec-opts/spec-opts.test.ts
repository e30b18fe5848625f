import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter } from '../../errdefs/index.js';
import {
  applySpecOpts, capabilityMask, defaultSpec, DEFAULT_CAPABILITIES, grantableCapabilities, parseProcLimits, RLIM_INFINITY,
  withCapAdd, withCapDrop, withCapTweaks, withCgroupsPath, withDefaultCapabilities, withDefaultDevices, withDefaultMounts,
  withMaskedPaths, withMounts, withNamespaces, withNoNewPrivileges, withPrivileged, withReadonlyPaths, withResources, withRlimits,
} from './index.js';

const base = () => defaultSpec({ rootfs: 'rootfs', args: ['sh'] });

test('defaultSpec: PATH added, cwd /, user root, hostname only when given', () => {
  const s = defaultSpec({ rootfs: '/r', args: ['echo', 'hi'], env: ['A=1'], hostname: 'h', user: { uid: 1, gid: 2, additionalGids: [3] } });
  assert.deepEqual(s.process?.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1']);
  assert.equal(s.process?.cwd, '/');
  assert.deepEqual(s.process?.user, { uid: 1, gid: 2, additionalGids: [3] });
  assert.equal(s.hostname, 'h');
  assert.deepEqual(s.root, { path: '/r', readonly: false });
  assert.equal(base().hostname, undefined);
  assert.deepEqual(defaultSpec({ rootfs: 'r', args: ['x'], env: ['PATH=/x'] }).process?.env, ['PATH=/x']);
});

test("Docker's default capabilities are CapEff 0x00000000a80425fb", () => {
  const s = applySpecOpts(base(), withDefaultCapabilities());
  assert.equal(s.process?.capabilities?.bounding?.length, 14);
  assert.equal(capabilityMask(s.process?.capabilities?.effective ?? []), 0xa80425fbn);
  assert.equal(s.process?.capabilities?.inheritable, undefined);
});

test('cap add/drop: names normalized, ALL, and docker tweak semantics regardless of order', () => {
  const grantable = ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_NET_RAW'];
  const s = applySpecOpts(base(), withDefaultCapabilities(), withCapAdd(['net_admin']), withCapDrop(['CAP_NET_RAW', 'chown']));
  const caps = s.process?.capabilities?.bounding ?? [];
  assert.ok(caps.includes('CAP_NET_ADMIN'));
  assert.ok(!caps.includes('CAP_NET_RAW') && !caps.includes('CAP_CHOWN'));
  assert.deepEqual(applySpecOpts(base(), withCapTweaks({ add: ['ALL'], drop: ['net_raw'], grantable })).process?.capabilities?.effective,
    ['CAP_CHOWN', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
  assert.deepEqual(applySpecOpts(base(), withCapTweaks({ drop: ['ALL'], add: ['chown'], grantable })).process?.capabilities?.permitted, ['CAP_CHOWN']);
  assert.equal(applySpecOpts(base(), withCapTweaks({})).process?.capabilities?.bounding?.length, DEFAULT_CAPABILITIES.length);
  assert.throws(() => applySpecOpts(base(), withCapAdd(['NOPE'])), isInvalidParameter);
});

test('grantable capabilities come from CapBnd', () => {
  assert.deepEqual(grantableCapabilities('Name:\tx\nCapBnd:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
  assert.ok(!grantableCapabilities('CapBnd:\t000001fffeffffff\n').includes('CAP_SYS_RESOURCE'));
});

test('default mounts, masked and read-only paths are Docker\'s', () => {
  const s = applySpecOpts(base(), withDefaultMounts(), withMaskedPaths(), withReadonlyPaths());
  assert.deepEqual(s.mounts?.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm']);
  assert.ok(s.mounts?.find((m) => m.destination === '/sys')?.options?.includes('ro'));
  assert.ok(s.mounts?.find((m) => m.destination === '/dev/shm')?.options?.includes('size=65536k'));
  assert.ok(s.linux?.maskedPaths?.includes('/proc/kcore'));
  assert.ok(s.linux?.maskedPaths?.includes('/sys/firmware'));
  assert.deepEqual(s.linux?.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  applySpecOpts(s, withMounts([{ destination: '/dev/shm/', type: 'tmpfs', source: 'tmpfs', options: ['size=1k'] }, { destination: '/data', type: 'bind', source: '/x', options: ['rbind'] }]));
  assert.equal(s.mounts?.length, 8);
  assert.deepEqual(s.mounts?.find((m) => m.destination === '/dev/shm/')?.options, ['size=1k']);
});

test('namespaces: private by default, host omitted, path joined', () => {
  assert.deepEqual(applySpecOpts(base(), withNamespaces()).linux?.namespaces?.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
  const s = applySpecOpts(base(), withNamespaces({ network: { path: '/run/netns/x' }, pid: 'host', cgroup: 'private' }));
  assert.deepEqual(s.linux?.namespaces, [{ type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts' }, { type: 'ipc' }, { type: 'cgroup' }]);
});

test('resources: memory, --cpus as quota over 100ms, cpuset, pids; conflicting cpu options rejected', () => {
  const s = applySpecOpts(base(), withResources({ memory: 64 << 20, memorySwap: -1, cpuShares: 512, nanoCpus: 1.5e9, cpusetCpus: '0', pidsLimit: 100 }));
  assert.deepEqual(s.linux?.resources, {
    memory: { limit: 64 << 20, swap: -1 },
    cpu: { shares: 512, period: 100000, quota: 150000, cpus: '0' },
    pids: { limit: 100 },
  });
  assert.deepEqual(applySpecOpts(base(), withResources({ pidsLimit: -1, memory: 0 })).linux?.resources, {});
  assert.throws(() => applySpecOpts(base(), withResources({ nanoCpus: 1e9, cpuQuota: 5000 })), isInvalidParameter);
});

test('cgroups path: /estiba/<id> by default, never docker\'s', () => {
  assert.equal(applySpecOpts(base(), withCgroupsPath('abc')).linux?.cgroupsPath, '/estiba/abc');
  assert.equal(applySpecOpts(base(), withCgroupsPath('abc', { parent: '/my/parent/' })).linux?.cgroupsPath, '/my/parent/abc');
  assert.equal(applySpecOpts(base(), withCgroupsPath('abc', { manager: 'systemd' })).linux?.cgroupsPath, 'system.slice:estiba:abc');
});

test('rlimits are clamped to the process hard limits parsed from /proc/self/limits', () => {
  const limits = parseProcLimits([
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max core file size        0                    unlimited            bytes     ',
    'Max processes             96365                96365                processes ',
    'Max open files            1024                 20000                files     ',
  ].join('\n'));
  assert.equal(limits.get('RLIMIT_NOFILE'), 20000);
  assert.equal(limits.get('RLIMIT_CORE'), RLIM_INFINITY);
  const s = applySpecOpts(base(), withRlimits([
    { type: 'nofile', soft: 1048576, hard: 1048576 },
    { type: 'RLIMIT_NPROC', soft: 10, hard: 200000 },
    { type: 'core', soft: 5, hard: 6 },
  ], limits));
  assert.deepEqual(s.process?.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 10, hard: 96365 },
    { type: 'RLIMIT_CORE', soft: 5, hard: 6 },
  ]);
  assert.throws(() => applySpecOpts(base(), withRlimits([{ type: 'bogus', soft: 1, hard: 1 }], limits)), isInvalidParameter);
  assert.throws(() => applySpecOpts(base(), withRlimits([{ type: 'nofile', soft: 2, hard: 1 }], limits)), isInvalidParameter);
  // The real /proc/self/limits parses, and nofile is there.
  const own = applySpecOpts(base(), withRlimits([{ type: 'nofile', soft: 2 ** 40, hard: 2 ** 40 }]));
  assert.ok((own.process?.rlimits?.[0]?.hard ?? Infinity) < 2 ** 40);
});

test('privileged lifts masks, seccomp, device rules and read-only /sys', () => {
  const s = applySpecOpts(base(), withDefaultMounts(), withDefaultCapabilities(), withMaskedPaths(), withReadonlyPaths(), withDefaultDevices(),
    withNoNewPrivileges(), withPrivileged({ capabilities: ['CAP_SYS_ADMIN', 'CAP_CHOWN'] }));
  assert.equal(s.linux?.maskedPaths, undefined);
  assert.equal(s.linux?.readonlyPaths, undefined);
  assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(s.process?.capabilities?.effective, ['CAP_SYS_ADMIN', 'CAP_CHOWN']);
  assert.ok(!s.mounts?.find((m) => m.destination === '/sys')?.options?.includes('ro'));
  assert.equal(s.process?.noNewPrivileges, true);
});
