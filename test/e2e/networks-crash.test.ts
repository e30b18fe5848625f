// Cleanup acceptance: 20 containers on two user networks with published ports; estibad is
// killed with SIGKILL, then some conmon monitors too; the restarted daemon reconciles (the dead
// containers' veths, NAT rules and leases go at once) and removing everything leaves no bridge,
// veth, firewall rule, namespace or lease behind.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli } from '../helpers/docker-peer.js';
import { writeBusyboxArchive } from '../fixtures/images.js';

const execFileP = promisify(execFile);
let est: EstibadProcess | undefined;
let work: string | undefined;

after(async () => {
  if (est !== undefined) {
    const ids = (await docker('ps', '-aq')).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await docker('rm', '-f', ...ids);
    for (const n of ['crash1', 'crash2']) await docker('network', 'rm', n);
    await est.stop();
    await est.cleanup();
  }
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

function docker(...args: string[]): ReturnType<typeof dockerCli> {
  return dockerCli(args, { host: est!.host, timeoutMs: 60_000 });
}

async function ok(...args: string[]): Promise<string> {
  const r = await docker(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function leases(dataRoot: string): Promise<Record<string, string>> {
  const dir = join(dataRoot, 'network', 'leases');
  const out: Record<string, string> = {};
  for (const f of await readdir(dir)) Object.assign(out, JSON.parse(await readFile(join(dir, f), 'utf8')) as Record<string, string>);
  return out;
}

test('20 containers, kill -9 estibad and 5 conmons, restart, remove all: no veth, bridge, rule, netns or lease is left', { timeout: 300_000 }, async () => {
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-netcrash-'));
  est = await startEstibad();
  const { dataRoot, execRoot } = est;
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await ok('load', '-i', join(work, 'busybox.tar'));
  const base = 100 + (process.pid % 90);
  const subnets = [`10.${base}.31.0/24`, `10.${base}.32.0/24`];
  await ok('network', 'create', '--subnet', subnets[0]!, 'crash1');
  await ok('network', 'create', '--subnet', subnets[1]!, 'crash2');
  const bridges = [
    ...(await Promise.all(['crash1', 'crash2'].map(async (n) => `br-${(await ok('network', 'inspect', '-f', '{{.Id}}', n)).trim().slice(0, 12)}`))),
    (await ok('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge')).trim(),
  ];
  const ids: string[] = [];
  for (let batch = 0; batch < 4; batch++) {
    ids.push(...(await Promise.all([0, 1, 2, 3, 4].map(async (i) => {
      const n = batch * 5 + i;
      return (await ok('run', '-d', '--name', `crash-${n}`, '--network', n % 2 === 0 ? 'crash1' : 'crash2', '-p', '80', '-p', '53/udp', 'busybox', 'sleep', '600')).trim();
    }))));
  }
  assert.equal(Object.keys(await leases(dataRoot)).length, 20);
  const nat = (await execFileP('iptables-save', ['-t', 'nat'])).stdout;
  for (const id of ids) assert.ok(nat.includes(id), `a DNAT rule names container ${id.slice(0, 12)}`);

  // SIGKILL the daemon, then five containers' monitors: those containers are dead once the daemon is back.
  const conmons = new Map<string, number>();
  for (const id of ids.slice(0, 5)) {
    const { stdout } = await execFileP('pgrep', ['-f', `conmon .*${id}`]);
    conmons.set(id, Number(stdout.trim().split('\n')[0]));
  }
  await est.kill9();
  for (const pid of conmons.values()) process.kill(pid, 'SIGKILL');
  est = await startEstibad({ dataRoot, execRoot });
  for (const id of conmons.keys()) {
    assert.equal((await ok('inspect', '-f', '{{.State.Status}}', id)).trim(), 'exited');
    assert.ok(!(await execFileP('iptables-save', ['-t', 'nat'])).stdout.includes(id), `no rule for the dead ${id.slice(0, 12)}`);
  }
  const kept = await leases(dataRoot);
  assert.equal(Object.keys(kept).length, 15, 'the dead containers\' leases were released at start-up');
  assert.ok(Object.values(kept).every((id) => !conmons.has(id)));
  // The survivors still serve their ports after the restart.
  assert.equal((await ok('ps', '-q')).trim().split('\n').length, 15);

  await ok('rm', '-f', ...ids);
  await ok('network', 'rm', 'crash1', 'crash2');
  const links = (await execFileP('ip', ['-o', 'link', 'show'])).stdout;
  for (const b of bridges) assert.ok(!links.includes(b), `no link named or enslaved to ${b}:\n${links}`);
  const rules = (await execFileP('iptables-save')).stdout;
  for (const x of [...subnets, ...ids]) assert.ok(!rules.includes(x), `no firewall rule mentions ${x}`);
  assert.deepEqual(await leases(dataRoot), {});
  assert.deepEqual(await readdir(join(execRoot, 'netns')), []);
  assert.deepEqual(await readdir(join(dataRoot, 'network', 'containers')), []);
});
