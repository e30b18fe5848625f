import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFound, Conflict, isNotFound, isConflict, kindOf, isErrno } from './index.js';

test('kinds survive wrapping in cause', () => {
  const inner = new NotFound('No such image: x');
  const outer = new Error('loading', { cause: inner });
  assert.equal(isNotFound(outer), true);
  assert.equal(isConflict(outer), false);
  assert.equal(kindOf(new Error('plain')), undefined);
  assert.equal(isConflict(new Conflict('c')), true);
});

test('isErrno matches only the named codes', () => {
  const e = Object.assign(new Error('x'), { code: 'ENOENT' });
  assert.equal(isErrno(e, 'ENOENT'), true);
  assert.equal(isErrno(e, 'EEXIST'), false);
  assert.equal(isErrno('ENOENT', 'ENOENT'), false);
});
