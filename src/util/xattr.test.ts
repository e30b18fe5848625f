import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portableCapability, readCapabilities, readXattrs } from './xattr.js';

/** cap_net_raw=ep as setcap writes it: VFS_CAP_REVISION_2 | effective, permitted bit 13. */
const NET_RAW_EP = Buffer.from('0100000200200000000000000000000000000000', 'hex');

test('readCapabilities/readXattrs: one python3 reads the capabilities of many files; files without one, missing paths and a symlink to a capable file are left out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-xattr-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'd'));
  await writeFile(join(dir, 'd', 'capable'), 'x');
  await writeFile(join(dir, 'plain'), 'y');
  await symlink('d/capable', join(dir, 'link'));
  execFileSync('/usr/sbin/setcap', ['cap_net_raw+ep', join(dir, 'd', 'capable')]);
  const paths = [join(dir, 'plain'), join(dir, 'd', 'capable'), join(dir, 'missing'), join(dir, 'link')];
  const caps = await readCapabilities(paths);
  assert.deepEqual([...caps.keys()], [join(dir, 'd', 'capable')]);
  assert.deepEqual(caps.get(join(dir, 'd', 'capable')), NET_RAW_EP);
  assert.deepEqual(await readXattrs([]), []);
  // Several attributes in one run, answered in order.
  execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], "user.k", b"v")', join(dir, 'd')]);
  assert.deepEqual(await readXattrs([[join(dir, 'd'), 'user.k'], [join(dir, 'd', 'capable'), 'security.capability'], [join(dir, 'd'), 'user.none']]), [Buffer.from('v'), NET_RAW_EP, undefined]);
});

test('portableCapability: revision 3 (with a namespace root uid) becomes revision 2; revision 2 is kept as is', () => {
  const v3 = Buffer.concat([Buffer.from('0100000300200000000000000000000000000000', 'hex'), Buffer.from('e8030000', 'hex')]);
  assert.deepEqual(portableCapability(v3), NET_RAW_EP);
  assert.equal(portableCapability(NET_RAW_EP), NET_RAW_EP);
});
