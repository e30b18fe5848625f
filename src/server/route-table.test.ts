import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from './route-table.js';
import type { Handler } from './context.js';
import { isInvalidParameter, messageOf } from '../errdefs/index.js';

const h: Handler = async () => {};

test('multi-segment names, first match wins, HEAD falls back to GET', () => {
  const t = new RouteTable([
    { method: 'GET', path: '/images/json', handler: h },
    { method: 'GET', path: '/images/{name:.*}/json', handler: h },
    { method: 'DELETE', path: '/images/{name:.*}', handler: h },
    { method: 'GET', path: '/containers/{id}/json', handler: h },
  ]);
  const m = t.match('GET', '/images/localhost:5000/team/app:v1/json');
  assert.equal(m.kind, 'found');
  assert.deepEqual(m.kind === 'found' && m.params, { name: 'localhost:5000/team/app:v1' });
  const list = t.match('GET', '/images/json');
  assert.equal(list.kind === 'found' && list.route.path, '/images/json');
  assert.equal(t.match('HEAD', '/images/json').kind, 'found');
  assert.equal(t.match('POST', '/images/json').kind, 'method-not-allowed');
  assert.equal(t.match('GET', '/containers/a/b/json').kind, 'not-found');
  const del = t.match('DELETE', '/images/sha256%3Aabc');
  assert.deepEqual(del.kind === 'found' && del.params, { name: 'sha256:abc' });
});

test('malformed percent-encoding is InvalidParameter, on any path (Go rejects the URL before routing)', () => {
  const t = new RouteTable([{ method: 'GET', path: '/images/{name:.*}/json', handler: h }]);
  for (const [path, bad] of [
    ['/images/%ZZ/json', '%ZZ'],
    ['/images/a%/json', '%/j'],
    ['/images/a%4', '%4'],
    ['/no/such/route/%zz', '%zz'],
  ] as const) {
    assert.throws(
      () => t.match('GET', path),
      (err) => isInvalidParameter(err) && messageOf(err) === `invalid URL escape "${bad}"`,
      path,
    );
  }
});

test('escapes that are not UTF-8 decode with U+FFFD, as Go strings print them', () => {
  const t = new RouteTable([{ method: 'GET', path: '/images/{name:.*}/json', handler: h }]);
  const m = t.match('GET', '/images/%C3%28/json');
  assert.deepEqual(m.kind === 'found' && m.params, { name: '\ufffd(' });
  const ok = t.match('GET', '/images/caf%C3%A9%2Fx/json');
  assert.deepEqual(ok.kind === 'found' && ok.params, { name: 'café/x' });
});
