/**
 * Pulls through a faulty registry: a node HTTP proxy in front of a real docker-registry that,
 * on chosen requests, drops the connection mid-blob, serves corrupted bytes, answers
 * 401/403/404/429/500 or garbage JSON, or trickles bytes slowly. Checks Docker's retry policy
 * (network failures only), Docker's messages, that no partial image is left, that a retry
 * resumes with a Range request, and that after `kill -9` of estibad mid-pull the next pull
 * completes re-using the complete layers.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytesFromSeed } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, pushHandImage, type HandImage } from '../helpers/registry-images.js';

type Fault = 'drop-mid' | 'corrupt' | 'garbage' | 'slow' | number;
interface Seen {
  method: string;
  url: string;
  range: string | undefined;
}

let d: EstibadProcess;
let reg: TestRegistry;
let proxy: http.Server;
let proxyHost: string;
let img: HandImage;
const seen: Seen[] = [];
/** Rules tried in order on each request; `times` counts down. */
let rules: { match: (s: Seen) => boolean; fault: Fault; times: number }[] = [];

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error' };

function startProxy(): Promise<void> {
  proxy = http.createServer((req, res) => {
    const s: Seen = { method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range };
    seen.push(s);
    const rule = rules.find((r) => r.times > 0 && r.match(s));
    if (rule) rule.times--;
    const fault = rule?.fault;
    if (typeof fault === 'number') {
      const body = fault === 500 ? 'oops' : JSON.stringify({ errors: [{ code: fault === 403 ? 'DENIED' : fault === 404 ? 'MANIFEST_UNKNOWN' : fault === 401 ? 'UNAUTHORIZED' : 'TOOMANYREQUESTS', message: STATUS_TEXT[fault]!.toLowerCase() }] });
      res.writeHead(fault, STATUS_TEXT[fault], { 'Content-Type': fault === 500 ? 'text/plain' : 'application/json' }).end(body);
      return;
    }
    if (fault === 'garbage') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }).end('{"schemaVersion": 2, "config": ');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: Number(reg.host.split(':')[1]), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (fault === 'drop-mid') {
        let sent = 0;
        const half = Number(ur.headers['content-length'] ?? 0) / 2;
        ur.on('data', (c: Buffer) => {
          sent += c.length;
          res.write(c);
          if (sent >= half) {
            ur.destroy();
            res.socket?.destroy();
          }
        });
        return;
      }
      if (fault === 'corrupt') {
        let first = true;
        ur.on('data', (c: Buffer) => {
          if (first) {
            c = Buffer.from(c);
            c[c.length - 1]! ^= 0xff;
            first = false;
          }
          res.write(c);
        });
        ur.on('end', () => res.end());
        return;
      }
      if (fault === 'slow') {
        // About 4 MB/s: 64 KiB every 16 ms.
        ur.pause();
        const pump = (): void => {
          const c = ur.read(64 * 1024) as Buffer | null;
          if (c) res.write(c);
          if (ur.readableEnded) return void res.end();
          // The client went away (estibad killed): stop, or the timer keeps the test process alive.
          if (ur.destroyed || res.destroyed) return;
          setTimeout(pump, 16);
        };
        ur.on('readable', () => undefined);
        ur.on('end', () => res.end());
        res.on('close', () => ur.destroy());
        setTimeout(pump, 16);
        return;
      }
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => {
    proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    resolve();
  }));
}

const docker = (...args: string[]): Promise<DockerCliResult> => dockerCli(args, { host: d.host, timeoutMs: 120_000 });
const blobUrl = (digest: string) => (s: Seen) => s.method === 'GET' && s.url.endsWith(`/blobs/${digest}`);
const manifestUrl = (s: Seen) => s.url.includes('/manifests/');
const bigLayer = (): string => img.manifest.layers[1]!.digest;
const name = (): string => `${proxyHost}/faulty/app:v1`;

async function assertNoImage(): Promise<void> {
  const r = await docker('image', 'inspect', name());
  assert.equal(r.code, 1, `image ${name()} should not exist`);
  assert.equal((await docker('images', '-q')).stdout.trim(), '');
}

before(async () => {
  reg = await startRegistry();
  await startProxy();
  const big = (seed: string) => ({ entries: [{ name: `${seed}.bin`, content: randomBytesFromSeed(seed, 6 * 1024 * 1024) }], compression: 'gzip' as const });
  img = await pushHandImage(reg, 'faulty/app', 'v1', { layers: [await busyboxLayer('gzip'), big('one'), big('two')] });
  d = await startEstibad({ args: ['--max-download-attempts', '3'] });
});
beforeEach(async () => {
  rules = [];
  seen.length = 0;
  await docker('rmi', '-f', name());
});
after(async () => {
  await d?.stop();
  await d?.cleanup();
  proxy?.closeAllConnections();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await reg?.stop();
});

test('a connection dropped mid-blob is retried, resuming with a Range request', async () => {
  rules = [{ match: blobUrl(bigLayer()), fault: 'drop-mid', times: 1 }];
  const r = await docker('pull', name());
  assert.equal(r.code, 0, r.stderr);
  const gets = seen.filter(blobUrl(bigLayer()));
  assert.equal(gets.length, 2, JSON.stringify(gets));
  assert.match(gets[1]!.range ?? '', /^bytes=[1-9]\d*-$/);
  assert.equal((await docker('image', 'inspect', '-f', '{{.Id}}', name())).stdout.trim(), img.configDigest);
});

test('a blob that does not match its digest fails at once with Docker\'s message, no image left', async () => {
  rules = [{ match: blobUrl(bigLayer()), fault: 'corrupt', times: 10 }];
  const r = await docker('pull', name());
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${bigLayer()}`));
  assert.equal(seen.filter(blobUrl(bigLayer())).length, 1, 'no retry on a digest mismatch');
  await assertNoImage();
});

const cases: [Fault, 'manifest' | 'blob', RegExp][] = [
  [401, 'manifest', /unauthorized: unauthorized/],
  [403, 'manifest', /pull access denied for .*faulty\/app, repository does not exist or may require 'docker login': denied: forbidden/],
  [404, 'manifest', /manifest for .*faulty\/app:v1 not found: manifest unknown: not found/],
  [429, 'manifest', /toomanyrequests: too many requests/],
  [500, 'manifest', /received unexpected HTTP status: 500 Internal Server Error/],
  ['garbage', 'manifest', /invalid manifest/],
  [500, 'blob', /received unexpected HTTP status: 500 Internal Server Error/],
  [429, 'blob', /toomanyrequests: too many requests/],
];
for (const [fault, where, message] of cases) {
  test(`${where} answers ${String(fault)}: Docker's message, no retry, no image`, async () => {
    rules = [{ match: where === 'manifest' ? manifestUrl : blobUrl(bigLayer()), fault, times: 10 }];
    const r = await docker('pull', name());
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, message);
    if (where === 'blob') assert.equal(seen.filter(blobUrl(bigLayer())).length, 1);
    await assertNoImage();
  });
}

test('kill -9 of estibad mid-pull: the next pull completes, re-using the complete layers and the partial bytes', async () => {
  rules = [
    { match: blobUrl(bigLayer()), fault: 'slow', times: 1 },
    { match: blobUrl(img.manifest.layers[2]!.digest), fault: 'slow', times: 1 },
  ];
  const pulling = docker('pull', name());
  const partialDir = join(d.dataRoot, 'content', 'partial');
  const deadline = Date.now() + 30_000;
  // Wait until the busybox layer is unpacked and the big ones are part-way.
  for (;;) {
    const layers = (await readdir(join(d.dataRoot, 'layers'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
    const partials = await readdir(partialDir).catch(() => []);
    if (layers.length >= 1 && partials.length >= 1 && seen.filter(blobUrl(bigLayer())).length > 0) break;
    assert.ok(Date.now() < deadline, 'pull did not get going');
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 500));
  const { dataRoot, execRoot } = d;
  await d.kill9();
  await pulling;
  d = await startEstibad({ dataRoot, execRoot, args: ['--max-download-attempts', '3'] });
  seen.length = 0;
  rules = [];
  const r = await docker('pull', name());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Already exists/);
  assert.equal(seen.filter(blobUrl(img.manifest.layers[0]!.digest)).length, 0, 'the complete busybox layer is not fetched again');
  const big = seen.filter(blobUrl(bigLayer()));
  assert.equal(big.length, 1);
  assert.match(big[0]!.range ?? '', /^bytes=[1-9]\d*-$/);
  assert.equal((await docker('image', 'inspect', '-f', '{{.Id}}', name())).stdout.trim(), img.configDigest);
  assert.deepEqual(await readdir(join(dataRoot, 'content', 'partial')), []);
});
