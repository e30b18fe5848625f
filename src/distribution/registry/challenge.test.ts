import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseChallenges } from './challenge.js';

test('parseChallenges: bearer with quoted parameters, including commas and escapes', () => {
  const c = parseChallenges('Bearer realm="https://auth.test/token",service="reg, one",scope="repository:a/b:pull,push",error="insufficient_scope"');
  assert.deepEqual(c, [
    { scheme: 'bearer', params: { realm: 'https://auth.test/token', service: 'reg, one', scope: 'repository:a/b:pull,push', error: 'insufficient_scope' } },
  ]);
});

test('parseChallenges: basic, several headers, unquoted values', () => {
  assert.deepEqual(parseChallenges(['Basic realm="basic-realm"', 'Bearer realm=https://t/x']), [
    { scheme: 'basic', params: { realm: 'basic-realm' } },
    { scheme: 'bearer', params: { realm: 'https://t/x' } },
  ]);
  assert.deepEqual(parseChallenges(undefined), []);
});
