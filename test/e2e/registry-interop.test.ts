/**
 * Interoperability over one loopback registry: what estiba pushes, Debian's dockerd (the peer)
 * and skopeo pull or copy; what they push (a Docker schema2 image from dockerd, a zstd image and
 * a multi-platform index from skopeo), estiba pulls, with the same image IDs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, startDockerPeer, type DockerPeer } from '../helpers/docker-peer.js';
import { run, requireExecutable } from '../helpers/e2e.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, pushHandImage, pushHandIndex } from '../helpers/registry-images.js';

let d: EstibadProcess;
let peer: DockerPeer;
let reg: TestRegistry;
let work: string;
let busyboxId: string;
const tag = `t${process.pid}`;
const peerNames: string[] = [];

async function est(...args: string[]): Promise<string> {
  const r = await dockerCli(args, { host: d.host, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `estiba: docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function dkr(...args: string[]): Promise<string> {
  const r = await dockerCli(args, { host: peer.host, cli: 'docker20', timeoutMs: 120_000 });
  assert.equal(r.code, 0, `peer: docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function skopeo(...args: string[]): Promise<string> {
  const r = await run('skopeo', args, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `skopeo ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
const idOf = async (host: 'est' | 'peer', name: string): Promise<string> => (host === 'est' ? est : dkr)('image', 'inspect', '-f', '{{.Id}}', name).then((s) => s.trim());

before(async () => {
  requireExecutable('/usr/bin/skopeo', 'apt-get install skopeo');
  [d, peer, reg] = await Promise.all([startEstibad(), startDockerPeer(), startRegistry()]);
  work = await mkdtemp(join(tmpdir(), 'estiba-interop-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await est('load', '-i', join(work, 'busybox.tar'));
  busyboxId = await idOf('est', 'busybox');
});
after(async () => {
  if (peer) for (const n of peerNames) await dockerCli(['rmi', '-f', n], { host: peer.host, cli: 'docker20' });
  await peer?.stop();
  if (d) {
    await d.stop();
    await d.cleanup();
  }
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('dockerd pulls what estiba pushed; skopeo inspects and copies it', async () => {
  const name = `${reg.host}/interop/from-estiba:${tag}`;
  await est('tag', 'busybox', name);
  await est('push', name);
  peerNames.push(name);
  await dkr('pull', name);
  assert.equal(await idOf('peer', name), busyboxId);
  assert.equal((await dkr('run', '--rm', name, 'echo', 'ran on dockerd')).trim(), 'ran on dockerd');
  const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${name}`)) as { Layers: string[] };
  assert.equal(info.Layers.length, 1);
  const copy = `${reg.host}/interop/skopeo-copy:${tag}`;
  await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${name}`, `docker://${copy}`);
  await est('pull', copy);
  assert.equal(await idOf('est', copy), busyboxId);
});

test('estiba pulls what dockerd pushed (Docker schema2, gzip by dockerd)', async () => {
  const name = `${reg.host}/interop/from-dockerd:${tag}`;
  await dkr('load', '-i', join(work, 'busybox.tar'));
  await dkr('tag', 'busybox', name);
  peerNames.push(name);
  await dkr('push', name);
  await est('pull', name);
  assert.equal(await idOf('est', name), busyboxId);
  assert.equal((await est('run', '--rm', name, 'echo', 'ran on estiba')).trim(), 'ran on estiba');
});

test('estiba pulls a zstd image and a multi-platform index that skopeo pushed', async () => {
  const zname = `${reg.host}/interop/zstd:${tag}`;
  await skopeo('copy', '--dest-tls-verify=false', '--dest-compress-format', 'zstd', '--format', 'oci', `docker-archive:${join(work, 'busybox.tar')}`, `docker://${zname}`);
  const raw = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${zname}`)) as { config: { digest: string }; layers: { mediaType: string }[] };
  assert.equal(raw.layers[0]!.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  await est('pull', zname);
  // skopeo rewrote the config as OCI: the image ID is its config digest.
  assert.equal(await idOf('est', zname), raw.config.digest);
  assert.equal((await est('run', '--rm', zname, 'echo', 'zstd ok')).trim(), 'zstd ok');
  // A two-platform index (made by hand in one repository), copied whole by skopeo into another.
  const amd = await pushHandImage(reg, 'interop/src', undefined, { layers: [await busyboxLayer('gzip')] });
  const arm = await pushHandImage(reg, 'interop/src', undefined, { layers: [await busyboxLayer('gzip')], platform: { os: 'linux', architecture: 'arm64' }, label: 'arm' });
  await pushHandIndex(reg, 'interop/src', tag, [
    { image: arm, platform: { os: 'linux', architecture: 'arm64' } },
    { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
  ]);
  const mname = `${reg.host}/interop/multi:${tag}`;
  await skopeo('copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/interop/src:${tag}`, `docker://${mname}`);
  const index = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${mname}`)) as { manifests?: unknown[] };
  assert.equal(index.manifests?.length, 2);
  await est('pull', mname);
  assert.equal(await idOf('est', mname), amd.configDigest);
  await est('pull', '--platform', 'linux/arm64', mname);
  assert.equal(await idOf('est', mname), arm.configDigest);
});
