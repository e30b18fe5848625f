import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupGroupId } from './group.js';

test('lookupGroupId: a name from the group file, else a numeric GID, else undefined', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-group-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const groupFile = join(dir, 'group');
  await writeFile(groupFile, 'root:x:0:\n# a comment\n\nbroken line\ndocker:x:105:alice,bob\n42:x:7:\n');
  assert.equal(await lookupGroupId('docker', { groupFile }), 105);
  assert.equal(await lookupGroupId('root', { groupFile }), 0);
  // A group named like a number wins over the number itself, as in moby.
  assert.equal(await lookupGroupId('42', { groupFile }), 7);
  assert.equal(await lookupGroupId('1234', { groupFile }), 1234);
  assert.equal(await lookupGroupId('nosuch', { groupFile }), undefined);
  assert.equal(await lookupGroupId('-1', { groupFile }), undefined);
  assert.equal(await lookupGroupId('docker', { groupFile: join(dir, 'missing') }), undefined);
});
