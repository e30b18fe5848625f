// `estiba network …` against estibad, checked against the real docker CLI on the same daemon:
// create/ls/inspect/connect/disconnect/rm/prune print what docker prints and exit as it exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ESTIBA } from '../helpers/estibad.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';

const s = useBusyboxDaemon('estiba-e2e-netcli-');

function estiba(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ESTIBA, ...args], { env: { ...process.env, DOCKER_HOST: s.d.host } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end();
  });
}

test('estiba network create/ls/inspect/connect/disconnect/rm/prune match the docker CLI', async () => {
  const base = 100 + (process.pid % 90);
  const sub = `10.${base}.51.0/24`;
  const created = await estiba('network', 'create', '--subnet', sub, '--gateway', `10.${base}.51.254`, '--ip-range', `10.${base}.51.128/25`, '--label', 'app=cli', '-o', 'com.docker.network.driver.mtu=1400', 'clinet');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
  const ours = await estiba('network', 'ls');
  assert.equal(ours.stdout, await s.ok('network', 'ls'));
  assert.equal((await estiba('network', 'ls', '-q', '--filter', 'label=app=cli')).stdout, created.stdout.slice(0, 12) + '\n');
  const insp = JSON.parse((await estiba('network', 'inspect', 'clinet')).stdout) as Array<{ IPAM: { Config: Array<Record<string, string>> }; Options: Record<string, string>; Labels: Record<string, string> }>;
  assert.deepEqual(insp[0]?.IPAM.Config, [{ Subnet: sub, Gateway: `10.${base}.51.254`, IPRange: `10.${base}.51.128/25` }]);
  assert.deepEqual(insp[0]?.Labels, { app: 'cli' });
  assert.equal(insp[0]?.Options['com.docker.network.driver.mtu'], '1400');
  assert.equal((await estiba('network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'clinet')).stdout, 'clinet bridge\n');

  await s.ok('run', '-d', '--name', 'clic', 'busybox', 'sleep', '60');
  const con = await estiba('network', 'connect', '--alias', 'ca', '--ip', `10.${base}.51.200`, 'clinet', 'clic');
  assert.equal(con.code, 0, con.stderr);
  assert.match(await s.ok('exec', 'clic', 'sh', '-c', 'ip -o -4 addr show eth1'), new RegExp(`10\\.${base}\\.51\\.200/24`));
  // The MTU option reaches the bridge (netavark's mtu).
  assert.match(await s.ok('exec', 'clic', 'sh', '-c', 'ip -o link show eth1'), /mtu 1400/);
  const inUse = await estiba('network', 'rm', 'clinet');
  assert.equal(inUse.code, 1);
  assert.match(inUse.stderr, /^Error response from daemon: error while removing network: network clinet id [0-9a-f]{64} has active endpoints\n$/);
  assert.equal((await estiba('network', 'disconnect', 'clinet', 'clic')).code, 0);
  await s.ok('rm', '-f', 'clic');

  const missing = await estiba('network', 'inspect', 'nosuch');
  const dmissing = await s.docker('network', 'inspect', 'nosuch');
  assert.equal(missing.code, dmissing.code);
  assert.equal(missing.stderr, dmissing.stderr);
  assert.equal(missing.stdout, dmissing.stdout);
  const badGw = await estiba('network', 'create', '--subnet', '10.9.0.0/24', '--gateway', '10.8.0.1', 'badgw');
  assert.equal(badGw.code, 1);
  assert.match(badGw.stderr, /no matching subnet for gateway 10\.8\.0\.1/);

  assert.equal((await estiba('network', 'prune', '-f')).stdout, 'Deleted Networks:\nclinet\n');
  assert.equal((await estiba('network', 'rm', '-f', 'clinet')).code, 0);
  const gone = await estiba('network', 'rm', 'clinet');
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, 'Error response from daemon: network clinet not found\n');
});
