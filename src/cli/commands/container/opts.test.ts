import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCSV } from '../../flags/index.js';
import { memSwapBytes, nanoCpus, parseDevice, parseEnvFileText, parseMount, parsePortSpec, parseRestartPolicy, parseUlimit, ramInBytes, validateExtraHost } from './opts.js';

test('ramInBytes takes go-units sizes and gives its errors', () => {
  assert.equal(ramInBytes('64m'), 64 * 1024 * 1024);
  assert.equal(ramInBytes('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('2 GiB'), 2 * 1024 ** 3);
  assert.equal(ramInBytes('512'), 512);
  assert.equal(ramInBytes('10b'), 10);
  assert.equal(memSwapBytes('-1'), -1);
  assert.throws(() => ramInBytes('1x'), /^Error: invalid suffix: 'x'$/);
  assert.throws(() => ramInBytes('k'), /^Error: invalid size: 'k'$/);
  assert.throws(() => ramInBytes('1.5.5'), /strconv.ParseFloat: parsing "1.5.5": invalid syntax/);
});

test('nanoCpus is exact to the nanoCPU', () => {
  assert.equal(nanoCpus('1.5'), 1_500_000_000);
  assert.equal(nanoCpus('0.000000001'), 1);
  assert.throws(() => nanoCpus('0.0000000001'), /too precise/);
  assert.throws(() => nanoCpus('abc'), /failed to parse abc as a rational number/);
});

test('ports: single, ranges, IPs and protocols as nat.ParsePortSpec', () => {
  assert.deepEqual(parsePortSpec('8080:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8080' } }]);
  assert.deepEqual(parsePortSpec('127.0.0.1::53/udp'), [{ port: '53/udp', binding: { HostIp: '127.0.0.1', HostPort: '' } }]);
  assert.deepEqual(parsePortSpec('9000-9001:80-81').map((m) => [m.port, m.binding.HostPort]), [['80/tcp', '9000'], ['81/tcp', '9001']]);
  assert.deepEqual(parsePortSpec('8000-8010:80'), [{ port: '80/tcp', binding: { HostIp: '', HostPort: '8000-8010' } }]);
  assert.deepEqual(parsePortSpec('[::1]:80:80'), [{ port: '80/tcp', binding: { HostIp: '::1', HostPort: '80' } }]);
  assert.throws(() => parsePortSpec('80:99999'), /invalid containerPort: 99999/);
  assert.throws(() => parsePortSpec('80/foo'), /invalid proto: foo/);
});

test('ulimits, restart policies, devices, extra hosts', () => {
  assert.deepEqual(parseUlimit('nofile=100:200'), { Name: 'nofile', Hard: 200, Soft: 100 });
  assert.deepEqual(parseUlimit('nproc=5'), { Name: 'nproc', Hard: 5, Soft: 5 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.throws(() => parseRestartPolicy('on-failure:x'), /maximum retry count must be an integer/);
  assert.deepEqual(parseDevice('/dev/fuse'), { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
  assert.deepEqual(parseDevice('/dev/a:r'), { PathOnHost: '/dev/a', PathInContainer: '/dev/a', CgroupPermissions: 'r' });
  assert.equal(validateExtraHost('db=10.0.0.2'), 'db:10.0.0.2');
  assert.throws(() => validateExtraHost('nohost'), /bad format for add-host: "nohost"/);
});

test('env files: comments and blanks skipped, bare names looked up, whitespace in names refused', () => {
  const lookup = (k: string): string | undefined => (k === 'SET' ? 'v' : undefined);
  assert.deepEqual(parseEnvFileText('\uFEFF# c\nA=1\n\nSET\nUNSET\n  B=two words\n', lookup), ['A=1', 'SET=v', 'B=two words']);
  assert.throws(() => parseEnvFileText('BAD NAME=1\n', lookup), /variable 'BAD NAME' contains whitespaces/);
});

test('--mount CSV as docker reads it', () => {
  assert.deepEqual(parseMount('type=bind,source=/a,target=/b,readonly', readCSV), { Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true });
  assert.deepEqual(parseMount('type=tmpfs,dst=/t,tmpfs-mode=1777', readCSV), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { Mode: 0o1777 } });
  assert.throws(() => parseMount('type=bind,src=/a', readCSV), /target is required/);
  assert.throws(() => parseMount('type=bind,dst=/a,volume-nocopy', readCSV), /cannot mix 'volume-\*' options with mount type 'bind'/);
});
