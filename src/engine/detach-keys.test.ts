import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachScanner, parseDetachKeys } from './detach-keys.js';

test('parseDetachKeys reads moby\'s forms and refuses the rest', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [0x10, 0x11]);
  assert.deepEqual(parseDetachKeys('ctrl-x,x'), [0x18, 0x78]);
  assert.deepEqual(parseDetachKeys('ctrl-@,ctrl-[,ctrl-_'), [0x00, 0x1b, 0x1f]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Invalid detach keys \(ctrl-1\) provided/);
  assert.throws(() => parseDetachKeys('alt-x'), /Invalid detach keys/);
});

test('DetachScanner forwards input, holds a partial sequence and releases it when the sequence breaks', () => {
  const s = new DetachScanner([0x10, 0x11]);
  assert.equal(s.push(Buffer.from('ab')).toString(), 'ab');
  assert.equal(s.push(Buffer.from([0x10])).length, 0, 'held');
  assert.deepEqual([...s.push(Buffer.from('c'))], [0x10, 0x63], 'released with what broke it');
  assert.deepEqual([...s.push(Buffer.from([0x10, 0x10]))], [0x10], 'a repeated first key restarts the match');
  assert.equal(s.detached, false);
  assert.equal(s.push(Buffer.from([0x11, 0x61])).length, 0, 'the sequence and what follows it are not input');
  assert.equal(s.detached, true);
});
