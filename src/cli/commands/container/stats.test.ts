import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redrawFrame, statsRow } from './stats.js';

test('a redraw is docker 28\'s bytes: home and the table, the same again with erase-line per line, then erase-below', () => {
  // As captured from `docker stats --format '{{.Name}}'` (28.2.2) with two containers.
  assert.equal(
    redrawFrame('one\ntwo\n'),
    '\x1b[Hone\ntwo\n\x1b[Hone \x1b[K\ntwo \x1b[K\n \x1b[K\n\x1b[J',
  );
  assert.equal(redrawFrame(''), '\x1b[H\x1b[H \x1b[K\n\x1b[J');
});

test('stats rows: a stopped container\'s empty reading is zeros; an invalid row keeps name and ID, its numbers --', () => {
  const empty = statsRow('x', { name: '/web', id: 'a'.repeat(64) }, { trunc: true });
  assert.deepEqual(empty, {
    BlockIO: '0B / 0B', CPUPerc: '0.00%', Container: 'x', ID: 'a'.repeat(12), MemPerc: '0.00%', MemUsage: '0B / 0B', Name: 'web', NetIO: '0B / 0B', PIDs: '0',
  });
  assert.deepEqual(statsRow('x', { name: '/web', id: 'a'.repeat(64) }, { trunc: false, invalid: true }), {
    BlockIO: '--', CPUPerc: '--', Container: 'x', ID: 'a'.repeat(64), MemPerc: '--', MemUsage: '-- / --', Name: 'web', NetIO: '--', PIDs: '--',
  });
  // No reading yet: docker shows the name as -- and zeros.
  assert.equal(statsRow('x', {}, { trunc: true }).Name, '--');
});
