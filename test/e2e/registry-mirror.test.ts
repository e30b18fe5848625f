/**
 * `--registry-mirror host:port=URL` (estiba's per-registry form; Docker's bare URL form is for
 * docker.io only): pulls try a dead mirror, then a live one, then the registry itself; an image
 * only the mirror has is pulled from it, one only the upstream has falls back to it, and pushes
 * never go to a mirror. Three names under one daemon, two docker-registry processes on loopback.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { freePort } from '../helpers/e2e.js';
import { rawRequest, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, pushHandImage } from '../helpers/registry-images.js';

let d: EstibadProcess | undefined;
let work: string;
let upstream: TestRegistry;
let mirror: TestRegistry;

async function docker(args: string[]): Promise<DockerCliResult> {
  return dockerCli(args, { host: d!.host, timeoutMs: 120_000 });
}
async function ok(args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function imageId(name: string): Promise<string> {
  return (JSON.parse(await ok(['image', 'inspect', name])) as { Id: string }[])[0]!.Id;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'estiba-registry-mirror-'));
  upstream = await startRegistry();
  mirror = await startRegistry();
  // Nothing listens on the first mirror: the pull must move on to the next.
  const dead = `http://127.0.0.1:${await freePort()}`;
  d = await startEstibad({ args: ['--registry-mirror', `${upstream.host}=${dead}`, '--registry-mirror', `${upstream.host}=${mirror.url}`] });
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await ok(['load', '-i', join(work, 'busybox.tar')]);
});
after(async () => {
  if (d) {
    await d.stop();
    await d.cleanup();
  }
  await upstream?.stop();
  await mirror?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('an image only the mirror has is pulled from the mirror under the upstream name', async () => {
  const img = await pushHandImage(mirror, 'mirrored/app', 'v1', { layers: [await busyboxLayer('gzip')], label: 'from-mirror' });
  assert.equal((await rawRequest(`${upstream.url}/v2/mirrored/app/manifests/v1`)).status, 404, 'upstream must not have it');
  const out = await ok(['pull', `${upstream.host}/mirrored/app:v1`]);
  assert.match(out, new RegExp(`Digest: ${img.manifestDigest}`));
  assert.equal(await imageId(`${upstream.host}/mirrored/app:v1`), img.configDigest);
});

test('an image the mirror lacks (404) is pulled from the upstream', async () => {
  const img = await pushHandImage(upstream, 'upstream/app', 'v1', { layers: [await busyboxLayer('gzip')], label: 'from-upstream' });
  assert.equal((await rawRequest(`${mirror.url}/v2/upstream/app/manifests/v1`)).status, 404);
  await ok(['pull', `${upstream.host}/upstream/app:v1`]);
  assert.equal(await imageId(`${upstream.host}/upstream/app:v1`), img.configDigest);
});

test('push goes to the upstream, never to a mirror', async () => {
  const name = `${upstream.host}/pushed/busybox:v1`;
  await ok(['tag', 'busybox', name]);
  await ok(['push', name]);
  assert.equal((await rawRequest(`${upstream.url}/v2/pushed/busybox/manifests/v1`)).status, 200);
  assert.equal((await rawRequest(`${mirror.url}/v2/pushed/busybox/manifests/v1`)).status, 404);
  assert.equal((await rawRequest(`${mirror.url}/v2/pushed/busybox/tags/list`)).status, 404);
});

test('a name neither has: the upstream\'s answer is reported', async () => {
  const r = await docker(['pull', `${upstream.host}/nowhere/app:v1`]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /manifest unknown|name unknown|not found/);
});

test('a bad --registry-mirror stops the daemon before it starts', async () => {
  const bad = await startEstibad({ args: ['--registry-mirror', 'reg:5000=ftp://m'] }).then(
    async (p) => {
      await p.stop();
      await p.cleanup();
      return undefined;
    },
    (err: unknown) => err as Error,
  );
  assert.ok(bad, 'estibad must refuse to start');
  assert.match(bad.message, /invalid mirror: unsupported scheme "ftp"/);
});
