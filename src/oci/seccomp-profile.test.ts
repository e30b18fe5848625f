import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter, isNotFound } from '../errdefs/index.js';
import { DEFAULT_CAPABILITIES } from './spec-opts/capabilities.js';
import { applySpecOpts, defaultSpec, withCapAdd, withDefaultCapabilities, withSeccomp } from './spec-opts/index.js';
import { convertSeccompProfile, loadSeccompProfile, parseKernelVersion, type DockerSeccompProfile } from './seccomp-profile.js';

const profile: DockerSeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] }, includes: { minKernel: '5.3' } },
    { names: ['newfeature'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '9.9' } },
    { names: ['oldthing'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '4.0' } },
    { names: ['s390_only'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
  ],
};

test('archMap picks the native arch and its sub-arches; includes/excludes resolved by caps, arch, kernel', () => {
  const out = convertSeccompProfile(profile, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0-18-amd64' });
  assert.deepEqual(out.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(out.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(out.defaultErrnoRet, 1);
  assert.deepEqual(out.syscalls, [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
    { names: ['mount'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
  ]);
  const arm = convertSeccompProfile(profile, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'arm64', kernel: '4.19' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(arm.syscalls?.map((s) => `${s.names[0]}:${s.action}`), [
    'read:SCMP_ACT_ALLOW', 'personality:SCMP_ACT_ALLOW', 'mount:SCMP_ACT_ALLOW', 's390_only:SCMP_ACT_ALLOW',
  ]);
});

test('architectures and archMap together are rejected; name and names together too', () => {
  assert.throws(() => convertSeccompProfile({ ...profile, architectures: ['SCMP_ARCH_X86_64'] }, { capabilities: [] }), isInvalidParameter);
  assert.throws(() => convertSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }, { capabilities: [] }), isInvalidParameter);
  assert.deepEqual(parseKernelVersion('6.18.44-fc-v669'), [6, 18]);
});

test('the installed containers-common profile converts; CAP_SYS_ADMIN changes what is allowed', async () => {
  const p = await loadSeccompProfile();
  const plain = applySpecOpts(defaultSpec({ rootfs: 'r', args: ['sh'] }), withDefaultCapabilities(), withSeccomp(p, { arch: 'amd64' }));
  const sc = plain.linux?.seccomp;
  assert.ok(sc !== undefined);
  assert.deepEqual(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const allowed = (s: typeof sc, name: string) => s.syscalls?.some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name)) ?? false;
  assert.ok(allowed(sc, 'read') && allowed(sc, 'chroot') && allowed(sc, 'arch_prctl'));
  // containers-common allows mount(2) outright (capabilities stop it); Docker's own profile gates it on CAP_SYS_ADMIN.
  assert.ok(!allowed(sc, 'bpf') && !allowed(sc, 'init_module') && !allowed(sc, 'sync_file_range2'));
  const admin = applySpecOpts(defaultSpec({ rootfs: 'r', args: ['sh'] }), withDefaultCapabilities(), withCapAdd(['SYS_ADMIN']), withSeccomp(p, { arch: 'amd64' }));
  assert.ok(admin.linux?.seccomp !== undefined && allowed(admin.linux.seccomp, 'bpf'));
  assert.equal(applySpecOpts(plain, withSeccomp('unconfined')).linux?.seccomp, undefined);
  await assert.rejects(loadSeccompProfile('/nonexistent/seccomp.json'), isNotFound);
});
