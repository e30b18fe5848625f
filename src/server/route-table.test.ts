import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from './route-table.js';
import type { Handler } from './context.js';

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
