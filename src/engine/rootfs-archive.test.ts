import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goFileMode, resolveInRoot } from './rootfs-archive.js';

test('resolveInRoot follows symlinks inside the root the way a chroot would', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'estiba-resolve-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'data/sub'), { recursive: true });
  await symlink('/data/sub', join(root, 'abs'));
  await symlink('../../../../../../etc', join(root, 'data/climb'));
  await symlink('sub', join(root, 'data/rel'));
  await symlink('loop', join(root, 'loop'));
  assert.equal(await resolveInRoot(root, '/abs/f'), '/data/sub/f');
  assert.equal(await resolveInRoot(root, '/data/climb/passwd'), '/etc/passwd');
  assert.equal(await resolveInRoot(root, '/data/rel/x'), '/data/sub/x');
  assert.equal(await resolveInRoot(root, '/../../x'), '/x');
  assert.equal(await resolveInRoot(root, '/abs', false), '/abs');
  assert.equal(await resolveInRoot(root, '/abs'), '/data/sub');
  await assert.rejects(resolveInRoot(root, '/loop/x'), /too many levels of symbolic links/);
});

test('goFileMode sets Go os.FileMode type bits', async () => {
  const { lstat } = await import('node:fs/promises');
  assert.equal(goFileMode(await lstat('/tmp')), (2 ** 31 + (1 << 20) + 0o777) >>> 0);
});
