import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache, basicCredentials, parseTokenResponse } from './auth.js';

test('TokenCache: a token is served until shortly before it expires, per realm/service/scopes/user', () => {
  let now = 0;
  const cache = new TokenCache(() => now);
  const c = { scheme: 'bearer', params: { realm: 'http://t/token', service: 'reg' } };
  const key = TokenCache.key(c, ['repository:a:pull'], 'u');
  assert.notEqual(key, TokenCache.key(c, ['repository:a:pull,push'], 'u'));
  assert.equal(key, TokenCache.key(c, ['repository:a:pull'], 'u'));
  cache.set(key, 'tok', 300);
  now = 289_000;
  assert.equal(cache.get(key), 'tok');
  now = 291_000;
  assert.equal(cache.get(key), undefined);
  cache.set(key, 'tok2', undefined);
  assert.equal(cache.get(key), 'tok2');
});

test('parseTokenResponse and basicCredentials: both token fields, config.json auth form', () => {
  assert.deepEqual(parseTokenResponse(Buffer.from('{"access_token":"a","expires_in":60}')), { token: 'a', expiresIn: 60 });
  assert.deepEqual(parseTokenResponse(Buffer.from('{"token":"t"}')), { token: 't' });
  assert.equal(parseTokenResponse(Buffer.from('<html>')), undefined);
  assert.deepEqual(basicCredentials({ auth: Buffer.from('me:p:w').toString('base64') }), { username: 'me', password: 'p:w' });
  assert.equal(basicCredentials({}), undefined);
});
