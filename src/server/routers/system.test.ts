import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { EventMessage } from '../../api/types.js';
import { Unavailable } from '../../errdefs/index.js';
import { silentLogger } from '../../util/logger.js';
import { createApiHandler } from '../server.js';
import { systemRoutes, type EventsBackend, type SystemBackend } from './system.js';

const event: EventMessage = { Type: 'image', Action: 'tag', Actor: { ID: 'sha256:abc', Attributes: {} }, scope: 'local', time: 1, timeNano: 1e9 };

async function serve(t: { after(fn: () => Promise<void>): void }, events: EventsBackend['events']): Promise<number> {
  const backend = { events } as unknown as SystemBackend & EventsBackend;
  const handler = createApiHandler({
    routes: systemRoutes(backend, { apiVersion: '1.45', builderVersion: '1' }),
    logger: silentLogger,
    maxApiVersion: '1.45',
    minApiVersion: '1.24',
    serverHeader: 'test',
  });
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

test('/events cut short by the backend (a subscriber too slow) breaks the connection, not a clean end', async (t) => {
  const port = await serve(t, async (q) => {
    q.onStart();
    await q.onEvent(event);
    throw new Unavailable('events subscriber fell more than 1000 events behind: its stream is ended');
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port, host: '127.0.0.1', path: '/events' }, resolve).once('error', reject));
  assert.equal(res.statusCode, 200);
  let body = '';
  await assert.rejects(async () => {
    for await (const chunk of res) body += (chunk as Buffer).toString();
  });
  assert.deepEqual(JSON.parse(body.trim()), event);
});

test('/events that reach until end cleanly', async (t) => {
  const port = await serve(t, async (q) => {
    q.onStart();
    await q.onEvent(event);
  });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port, host: '127.0.0.1', path: '/events' }, resolve).once('error', reject));
  let body = '';
  for await (const chunk of res) body += (chunk as Buffer).toString();
  assert.deepEqual(JSON.parse(body.trim()), event);
});
