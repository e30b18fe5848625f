import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { EngineClient } from '../../src/client/client.js';
import type { EventMessage } from '../../src/api/types.js';
import { buildImageArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';

let d: EstibadProcess;
let client: EngineClient;

before(async () => {
  d = await startEstibad();
  client = new EngineClient({ host: d.host });
});

after(async () => {
  await d.stop();
  await d.cleanup();
});

test('events with until and no since replay the buffered events up to until (moby: since defaults to 0)', async () => {
  const until = (Date.now() / 1000).toFixed(3);
  const seen: EventMessage[] = [];
  await client.events({ until, signal: AbortSignal.timeout(5_000) }, (e) => seen.push(e));
  assert.ok(
    seen.some((e) => e.Type === 'daemon' && e.Action === 'start'),
    `the daemon's start event is replayed: ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.every((e) => e.timeNano <= Number(until) * 1e9 + 1e6));
});

test('/events sends its 200 and headers at once, before any event (docker-py waits for them)', async () => {
  const req = http.get({ socketPath: d.socket, path: '/v1.45/events' });
  try {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
      setTimeout(() => reject(new Error('no response headers within 2 s of GET /events')), 2_000).unref();
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    // The stream is live: an event published now arrives on it.
    const first = new Promise<EventMessage>((resolve) => res.once('data', (c: Buffer) => resolve(JSON.parse(c.toString()) as EventMessage)));
    const { archive } = await buildImageArchive({ layers: [[{ name: 'ev', content: 'headers' }]], tag: 'evhead:1' });
    await client.imageLoad(Readable.from([archive]));
    assert.equal((await first).Action, 'load');
  } finally {
    req.destroy();
  }
});

test('/events with invalid arguments still answers 400 with a message', async () => {
  const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get({ socketPath: d.socket, path: '/v1.45/events?since=yesterday' }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .once('error', reject);
  });
  assert.equal(r.status, 400);
  assert.equal((JSON.parse(r.body) as { message: string }).message, 'invalid timestamp: "yesterday"');
});
