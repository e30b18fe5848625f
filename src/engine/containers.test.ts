import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirSize, parsePs } from './containers.js';

test('parsePs keeps the rows of the given PIDs; the last column keeps its spaces', () => {
  const out = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 17:00 ?        00:00:01 /sbin/init',
    'root        8204    8193 11 17:37 ?        00:00:00 sh -c sleep 1001 & wait',
    'root        8214    8204  0 17:37 ?        00:00:00 sleep 1001',
    '',
  ].join('\n');
  assert.deepEqual(parsePs(out, new Set([8204, 8214])), {
    Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    Processes: [
      ['root', '8204', '8193', '11', '17:37', '?', '00:00:00', 'sh -c sleep 1001 & wait'],
      ['root', '8214', '8204', '0', '17:37', '?', '00:00:00', 'sleep 1001'],
    ],
  });
  assert.throws(() => parsePs('USER COMMAND\nroot init\n', new Set([1])), /Couldn't find PID field/);
});

test('dirSize sums file sizes, counts a hard-linked file once, and is 0 for a missing dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-dirsize-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await writeFile(join(dir, 'a', 'one'), Buffer.alloc(1000));
  await writeFile(join(dir, 'a', 'b', 'two'), Buffer.alloc(234));
  await link(join(dir, 'a', 'one'), join(dir, 'again'));
  assert.equal(await dirSize(dir), 1234);
  assert.equal(await dirSize(join(dir, 'missing')), 0);
});
