import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Filters } from '../../api/types.js';
import type { VolumeCreateOptions } from '../../api/volumes.js';
import { silentLogger } from '../../util/logger.js';
import { createApiHandler } from '../server.js';
import { volumeRoutes, type VolumesBackend } from './volumes.js';

/** A fake backend that records what the router hands it. */
function fake(seen: { prune?: Filters; create?: VolumeCreateOptions; remove?: [string, boolean | undefined] }): VolumesBackend {
  const vol = { CreatedAt: '', Driver: 'local', Labels: null, Mountpoint: '/m', Name: 'v1', Options: null, Scope: 'local' as const };
  return {
    list: () => ({ Volumes: [vol], Warnings: null }),
    create: async (o) => {
      seen.create = o;
      return vol;
    },
    get: () => vol,
    remove: async (name, o) => {
      seen.remove = [name, o.force];
    },
    prune: async (f) => {
      seen.prune = f;
      return { VolumesDeleted: null, SpaceReclaimed: 0 };
    },
  };
}

async function serve(t: { after(fn: () => Promise<void>): void }, b: VolumesBackend): Promise<number> {
  const handler = createApiHandler({ routes: volumeRoutes(b), logger: silentLogger, maxApiVersion: '1.45', minApiVersion: '1.24', serverHeader: 'test' });
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

test('POST /volumes/prune: clients before API 1.42 prune every unused volume (all=true); newer ones only anonymous by default', async (t) => {
  const seen: Parameters<typeof fake>[0] = {};
  const port = await serve(t, fake(seen));
  assert.equal((await call(port, 'POST', '/v1.41/volumes/prune')).status, 200);
  assert.deepEqual([...seen.prune!], [['all', ['true']]]);
  await call(port, 'POST', '/v1.45/volumes/prune');
  assert.deepEqual([...seen.prune!], []);
  await call(port, 'POST', `/v1.41/volumes/prune?filters=${encodeURIComponent('{"all":{"false":true}}')}`);
  assert.deepEqual([...seen.prune!], [['all', ['false']]]);
});

test('POST /volumes/create checks the body once (201); DELETE passes force (204)', async (t) => {
  const seen: Parameters<typeof fake>[0] = {};
  const port = await serve(t, fake(seen));
  const ok = await call(port, 'POST', '/volumes/create', '{"Name":"v1","Labels":{"a":"b"},"DriverOpts":null}');
  assert.equal(ok.status, 201);
  assert.deepEqual(seen.create, { Name: 'v1', Labels: { a: 'b' }, DriverOpts: null });
  assert.equal((await call(port, 'POST', '/volumes/create', '')).status, 201);
  assert.deepEqual(seen.create, {});
  const bad = await call(port, 'POST', '/volumes/create', '{"Name":5}');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /Name must be a string/);
  assert.equal((await call(port, 'POST', '/volumes/create', '{"Labels":{"a":1}}')).status, 400);
  assert.equal((await call(port, 'DELETE', '/volumes/v1?force=1')).status, 204);
  assert.deepEqual(seen.remove, ['v1', true]);
});
