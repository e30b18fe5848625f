import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { InvalidParameter } from '../../errdefs/index.js';
import { silentLogger } from '../../util/logger.js';
import { createApiHandler } from '../server.js';
import { buildRoutes, type BuildBackendApi, type BuildRouteOptions } from './build.js';

async function serve(t: { after(fn: () => Promise<void>): void }, b: BuildBackendApi): Promise<number> {
  const handler = createApiHandler({ routes: buildRoutes(b), logger: silentLogger, maxApiVersion: '1.45', minApiVersion: '1.24', serverHeader: 'test' });
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

function post(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const backend = (build: BuildBackendApi['build']): BuildBackendApi => ({
  build,
  prune: () => Promise.resolve({ CachesDeleted: ['k1'], SpaceReclaimed: 7 }),
  checkTag: (t) => {
    if (t.includes('UPPER')) throw new InvalidParameter(`invalid reference format: repository name (${t}) must be lowercase`);
  },
});

test('query options reach the backend as the classic builder sends them', async (t) => {
  let seen: BuildRouteOptions | undefined;
  const port = await serve(t, backend(async (input, opts, out) => {
    for await (const _ of input) void _;
    seen = opts;
    out.begin();
    await out.stream('Step 1/1 : FROM x\n');
    await out.aux({ ID: 'sha256:abc' });
    return 'sha256:abc';
  }));
  const q = '?t=a:1&t=b&dockerfile=sub%2FDf&buildargs=%7B%22X%22%3A%221%22%2C%22Y%22%3Anull%7D&nocache=1&q=1&labels=%7B%22l%22%3A%22v%22%7D&target=s&networkmode=host&platform=linux%2Famd64&pull=1&rm=0&forcerm=1&extrahosts=h%3A1.2.3.4%2Cg%3A5.6.7.8';
  const r = await post(port, `/v1.41/build${q}`, 'tar');
  assert.equal(r.status, 200);
  assert.equal(r.text, '{"stream":"Step 1/1 : FROM x\\n"}\r\n{"aux":{"ID":"sha256:abc"}}\r\n');
  const { signal: _s, ...o } = seen!;
  assert.deepEqual(o, {
    dockerfile: 'sub/Df', tags: ['a:1', 'b'], buildArgs: { X: '1', Y: null }, noCache: true, quiet: true, labels: { l: 'v' },
    networkMode: 'host', pull: true, rm: false, forceRm: true, extraHosts: ['h:1.2.3.4', 'g:5.6.7.8'], target: 's', platform: 'linux/amd64',
  });
});

test('errors before the stream are HTTP errors; after it, errorDetail messages with the RUN exit code', async (t) => {
  const port = await serve(t, backend(async (input, opts, out) => {
    for await (const _ of input) void _;
    if (opts.target === 'parse') throw new InvalidParameter('dockerfile parse error line 2: unknown instruction: FOO (Dockerfile:2)');
    out.begin();
    throw Object.assign(new Error("The command '/bin/sh -c exit 3' returned a non-zero code: 3"), { code: 3 });
  }));
  const parse = await post(port, '/build?target=parse', 'tar');
  assert.equal(parse.status, 400);
  assert.deepEqual(JSON.parse(parse.text), { message: 'dockerfile parse error line 2: unknown instruction: FOO (Dockerfile:2)' });
  const run = await post(port, '/build', 'tar');
  assert.equal(run.status, 200);
  const msg = "The command '/bin/sh -c exit 3' returned a non-zero code: 3";
  assert.deepEqual(JSON.parse(run.text), { errorDetail: { code: 3, message: msg }, error: msg });
  const badTag = await post(port, '/build?t=UPPER', 'tar');
  assert.equal(badTag.status, 400);
  const badArgs = await post(port, '/build?buildargs=%5B1%5D', 'tar');
  assert.equal(badArgs.status, 400);
  assert.match(JSON.parse(badArgs.text).message as string, /invalid buildargs value/);
  const remote = await post(port, '/build?remote=https%3A%2F%2F127.0.0.1%2Frepo.git', 'tar');
  assert.equal(remote.status, 400);
});

test('POST /build/prune answers the backend\'s report', async (t) => {
  const port = await serve(t, backend(() => Promise.resolve('')));
  const r = await post(port, '/build/prune', '');
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text), { CachesDeleted: ['k1'], SpaceReclaimed: 7 });
});
