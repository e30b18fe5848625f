import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRegistryAuth } from './images.js';

test('decodeRegistryAuth: base64url JSON with or without padding; empty and garbage mean anonymous', () => {
  const json = JSON.stringify({ username: 'u', password: 'p?>', serveraddress: 'reg:5000' });
  assert.deepEqual(decodeRegistryAuth(Buffer.from(json).toString('base64url')), { username: 'u', password: 'p?>', serveraddress: 'reg:5000' });
  assert.deepEqual(decodeRegistryAuth(Buffer.from(json).toString('base64')), { username: 'u', password: 'p?>', serveraddress: 'reg:5000' });
  assert.equal(decodeRegistryAuth('e30='), undefined);
  assert.equal(decodeRegistryAuth(undefined), undefined);
  assert.equal(decodeRegistryAuth('!!!'), undefined);
});
