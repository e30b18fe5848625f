import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../util/logger.js';
import type { Route } from './context.js';
import { createApiHandler } from './server.js';

async function serve(t: { after(fn: () => Promise<void>): void }, routes: Route[]): Promise<number> {
  const handler = createApiHandler({ routes, logger: silentLogger, maxApiVersion: '1.45', minApiVersion: '1.24', serverHeader: 'test' });
  const server = http.createServer(handler);
  server.on('upgrade', handler.upgrade);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}


test('a hijacked stream without Upgrade that fails is closed, not left open', async (t) => {
  const port = await serve(t, [
    {
      method: 'POST',
      path: '/containers/{id}/attach',
      handler: async (ctx) => {
        const stream = ctx.hijack('application/vnd.docker.raw-stream');
        stream.write('partial output\n');
        await new Promise((r) => setTimeout(r, 10));
        throw new Error('the container went away');
      },
    },
  ]);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) =>
    http.request({ port, host: '127.0.0.1', method: 'POST', path: '/containers/x/attach' }, resolve).once('error', reject).end(),
  );
  assert.equal(res.statusCode, 200);
  let body = '';
  const outcome = (async () => {
    try {
      for await (const chunk of res) body += (chunk as Buffer).toString();
      return 'ended';
    } catch {
      return 'broken';
    }
  })();
  const r = await Promise.race([outcome, new Promise((resolve) => setTimeout(() => resolve('still open after 2 s'), 2_000))]);
  assert.equal(r, 'broken');
  assert.equal(body, 'partial output\n');
});

test('a client that leaves a hijacked stream without Upgrade raises no uncaught error', async (t) => {
  let closed!: () => void;
  const handlerSawClose = new Promise<void>((resolve) => (closed = resolve));
  const port = await serve(t, [
    {
      method: 'POST',
      path: '/containers/{id}/attach',
      handler: async (ctx) => {
        const stream = ctx.hijack('application/vnd.docker.raw-stream');
        stream.once('close', closed);
        stream.write('hello\n');
        await handlerSawClose;
      },
    },
  ]);
  const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/containers/x/attach' });
  req.on('error', () => undefined);
  req.end();
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  await once(res, 'data');
  req.destroy();
  await handlerSawClose;
  // Give a stray error event a turn to surface as an uncaught exception.
  await new Promise((r) => setTimeout(r, 50));
});

test('a malformed percent-escape in the path is a 400 with a message, matched route or not', async (t) => {
  const port = await serve(t, [{ method: 'GET', path: '/images/{name:.*}/json', handler: async () => undefined }]);
  for (const path of ['/v1.45/images/%ZZ/json', '/images/a%/json', '/v1.45/nothing/%zz']) {
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => http.get({ port, host: '127.0.0.1', path }, resolve).once('error', reject));
    let body = '';
    for await (const chunk of res) body += (chunk as Buffer).toString();
    assert.equal(res.statusCode, 400, path);
    assert.match((JSON.parse(body) as { message: string }).message, /^invalid URL escape "%/, path);
  }
});
