import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { CLIENT_MAX_API_VERSION, EngineClient, jsonLines } from './client.js';

test('jsonLines keeps multi-byte characters split across chunks', async () => {
  const text = '{"status":"café ☕ 𝄞"}\n{"status":"два"}\n';
  const bytes = Buffer.from(text, 'utf8');
  // Every split point, including the middle of each multi-byte sequence.
  for (let cut = 1; cut < bytes.length; cut++) {
    const out: unknown[] = [];
    for await (const v of jsonLines(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) out.push(v);
    assert.deepEqual(out, [{ status: 'café ☕ 𝄞' }, { status: 'два' }], `split at byte ${cut}`);
  }
  // One byte at a time, and a last line without a newline.
  const out: unknown[] = [];
  const tail = Buffer.from('{"a":"ü"}\n{"b":"€"}', 'utf8');
  for await (const v of jsonLines(Readable.from([...tail].map((b) => Buffer.from([b]))))) out.push(v);
  assert.deepEqual(out, [{ a: 'ü' }, { b: '€' }]);
});

/** A fake daemon on 127.0.0.1: `ping` answers /_ping, everything else echoes the path it got. */
async function fakeDaemon(
  t: { after(fn: () => Promise<void>): void },
  ping: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url === '/_ping') return ping(req, res);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test("a daemon whose ping has no Api-Version is spoken to as 1.24, as by Docker's client", async (t) => {
  const host = await fakeDaemon(t, (_req, res) => res.end('OK'));
  const client = new EngineClient({ host });
  assert.equal(await client.apiVersion(), '1.24');
  assert.deepEqual(await client.info(), { path: '/v1.24/info' });
});

test('an older daemon is spoken to in its version, a newer one in ours', async (t) => {
  const older = new EngineClient({ host: await fakeDaemon(t, (_req, res) => res.writeHead(200, { 'Api-Version': '1.41' }).end('OK')) });
  assert.equal(await older.apiVersion(), '1.41');
  const newer = new EngineClient({ host: await fakeDaemon(t, (_req, res) => res.writeHead(200, { 'Api-Version': '1.99' }).end('OK')) });
  assert.equal(await newer.apiVersion(), CLIENT_MAX_API_VERSION);
});

test('a failed negotiation is not remembered: the next call asks again', async (t) => {
  let pings = 0;
  const host = await fakeDaemon(t, (req, res) => {
    pings++;
    if (pings === 1) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'Api-Version': '1.43' }).end('OK');
  });
  const client = new EngineClient({ host });
  const [a, b] = await Promise.allSettled([client.info(), client.info()]);
  assert.equal(a.status, 'rejected');
  assert.equal(b.status, 'rejected');
  assert.equal(pings, 1, 'concurrent callers share one negotiation');
  assert.deepEqual(await client.info(), { path: '/v1.43/info' });
  assert.equal(pings, 2);
  assert.deepEqual(await client.info(), { path: '/v1.43/info' });
  assert.equal(pings, 2, 'a successful negotiation is kept');
});
