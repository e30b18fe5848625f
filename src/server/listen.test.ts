import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { isInvalidParameter } from '../errdefs/index.js';
import { checkListenAddress, listen } from './listen.js';

const insecure = { tls: false, allowInsecureTcp: true };

test('plain TCP is allowed on localhost and loopback IP literals only', () => {
  for (const address of [
    'tcp://127.0.0.1:2375',
    'tcp://127.5.6.7:2375',
    'tcp://[::1]:2375',
    'tcp://[0:0:0:0:0:0:0:1]:2375',
    'tcp://[::ffff:127.0.0.1]:2375',
    'tcp://localhost:2375',
  ]) {
    assert.doesNotThrow(() => checkListenAddress(address, insecure), address);
  }
  // Names that look like loopback but would be resolved, and literals that are not loopback.
  for (const address of [
    'tcp://127.anything.example:2375',
    'tcp://127.0.0.1.nip.io:2375',
    'tcp://localhost.example:2375',
    'tcp://127.1:2375',
    'tcp://0x7f000001:2375',
    'tcp://[::ffff:128.0.0.1]:2375',
    'tcp://128.0.0.1:2375',
    'tcp://0.0.0.0:2375',
    'tcp://[::]:2375',
  ]) {
    assert.throws(() => checkListenAddress(address, insecure), (err) => isInvalidParameter(err), address);
  }
  // With TLS any host may be used; without --insecure-tcp not even loopback.
  assert.doesNotThrow(() => checkListenAddress('tcp://daemon.example:2376', { tls: true }));
  assert.throws(() => checkListenAddress('tcp://127.0.0.1:2375', { tls: false }), (err) => isInvalidParameter(err));
});

test('plain TCP on localhost binds 127.0.0.1 without a name lookup', async () => {
  const l = await listen({ address: 'tcp://localhost:0', allowInsecureTcp: true, handler: (_req, res) => res.end() });
  try {
    assert.equal((l.server.address() as AddressInfo).address, '127.0.0.1');
  } finally {
    await l.close();
  }
});
