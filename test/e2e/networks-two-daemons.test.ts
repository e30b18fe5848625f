// Two estibad daemons on one host each have a network called `bridge`. netavark names its
// firewall chains after the network name it is given, so each daemon's networks must reach it
// by unique names: neither stopping containers nor concurrent setups may disturb the other daemon.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli } from '../helpers/docker-peer.js';
import { writeBusyboxArchive } from '../fixtures/images.js';

const daemons: EstibadProcess[] = [];
let work: string | undefined;

after(async () => {
  for (const d of daemons) {
    const ids = (await dockerCli(['ps', '-aq'], { host: d.host })).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await dockerCli(['rm', '-f', ...ids], { host: d.host });
    await d.stop();
    await d.cleanup();
  }
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function ok(d: EstibadProcess, ...args: string[]): Promise<string> {
  const r = await dockerCli(args, { host: d.host, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('stopping the last container of one daemon leaves the other daemon\'s bridge NAT working', async () => {
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-net2d-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  for (let i = 0; i < 2; i++) {
    const d = await startEstibad();
    daemons.push(d);
    await ok(d, 'load', '-i', join(work, 'busybox.tar'));
  }
  const [a, b] = daemons as [EstibadProcess, EstibadProcess];
  const addr = Object.values(networkInterfaces()).flat().find((x) => x?.family === 'IPv4' && !x.internal)?.address;
  assert.ok(addr !== undefined, 'a non-loopback IPv4 address on the host');
  const srv = http.createServer((_req, res) => res.end('out\n'));
  await new Promise<void>((r) => srv.listen(0, addr, r));
  const url = `http://${addr}:${(srv.address() as { port: number }).port}/`;
  try {
    await ok(a, 'run', '-d', '--name', 'a1', 'busybox', 'sleep', '60');
    await ok(b, 'run', '-d', '--name', 'b1', 'busybox', 'sleep', '60');
    assert.equal(await ok(b, 'exec', 'b1', 'wget', '-qO-', url), 'out\n');
    await ok(a, 'rm', '-f', 'a1');
    assert.equal(await ok(b, 'exec', 'b1', 'busybox', 'timeout', '5', 'wget', '-qO-', url), 'out\n');
    assert.equal(await ok(b, 'run', '--rm', 'busybox', 'busybox', 'timeout', '5', 'wget', '-qO-', url), 'out\n');
  } finally {
    srv.close();
  }
});

test('both daemons start and remove bridge containers at the same time without netavark tripping over the other', async () => {
  // Each `run --rm` is the only container on its daemon's bridge: netavark makes and deletes the
  // network's chains every time. With a shared chain name the two daemons race ("Chain already exists").
  const loop = async (d: EstibadProcess): Promise<void> => {
    for (let i = 0; i < 8; i++) assert.equal(await ok(d, 'run', '--rm', 'busybox', 'true'), '');
  };
  await Promise.all(daemons.map(loop));
});
