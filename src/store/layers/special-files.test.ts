import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrno, isNotImplemented } from '../../errdefs/index.js';
import { createSpecialFiles, execSpecialFiles, pythonSpecialFiles, type SpecialFiles } from './special-files.js';
import { readXattr } from './test-tars.js';

const hasSetfattr = spawnSync('setfattr', ['--version']).error === undefined;

const impls: Array<[string, () => SpecialFiles]> = [
  ['python3 helper', () => pythonSpecialFiles('python3')],
  ['one process per call', () => execSpecialFiles()],
  ['python3 missing, falls back', () => createSpecialFiles({ python: '/nonexistent/python3' })],
];

for (const [label, make] of impls) {
  test(`special files: ${label}`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'estiba-special-'));
    const sf = make();
    t.after(async () => {
      await sf.close();
      await rm(dir, { recursive: true, force: true });
    });

    await sf.mknod(join(dir, 'null'), { type: 'char', mode: 0o666, major: 1, minor: 3 });
    await sf.mknod(join(dir, 'loop'), { type: 'block', mode: 0o600, major: 7, minor: 1 });
    await sf.mknod(join(dir, 'fifo'), { type: 'fifo', mode: 0o644, major: 0, minor: 0 });
    const nul = await lstat(join(dir, 'null'));
    assert.ok(nul.isCharacterDevice());
    assert.deepEqual([(nul.rdev >> 8) & 0xfff, nul.rdev & 0xff], [1, 3]);
    assert.ok((await lstat(join(dir, 'loop'))).isBlockDevice());
    assert.ok((await lstat(join(dir, 'fifo'))).isFIFO());

    await assert.rejects(sf.mknod(join(dir, 'fifo'), { type: 'fifo', mode: 0o644, major: 0, minor: 0 }), (err: unknown) =>
      isErrno(err, 'EEXIST'),
    );

    const file = join(dir, 'file');
    await writeFile(file, '');
    await symlink(file, join(dir, 'link'));
    const setting = sf.setxattr(file, 'trusted.overlay.opaque', Buffer.from('y'));
    if (label === 'python3 helper' || hasSetfattr) {
      await setting;
      assert.equal(readXattr(file, 'trusted.overlay.opaque')?.toString(), 'y');
      // user.* xattrs are not allowed on symlinks: proves the link itself, not its target, is addressed.
      await assert.rejects(sf.setxattr(join(dir, 'link'), 'user.x', Buffer.from('1')), (err: unknown) =>
        isErrno(err, 'EPERM', 'ENOTSUP', 'EOPNOTSUPP'),
      );
      assert.equal(readXattr(file, 'user.x'), undefined);
    } else {
      console.warn(`!!! setfattr not installed: ${label} cannot set xattrs (checked that it says so)`);
      await assert.rejects(setting, (err: unknown) => isNotImplemented(err));
    }
  });
}

test('special files: the python3 helper serves concurrent requests in order', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-special-'));
  const sf = pythonSpecialFiles('python3');
  t.after(async () => {
    await sf.close();
    await rm(dir, { recursive: true, force: true });
  });
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => sf.mknod(join(dir, `w${i % 25}`), { type: 'char', mode: 0, major: 0, minor: 0 })),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 25);
  assert.ok(results.slice(25).every((r) => r.status === 'rejected' && isErrno(r.reason, 'EEXIST')));
  await sf.close();
  await assert.rejects(sf.mknod(join(dir, 'after'), { type: 'fifo', mode: 0o600, major: 0, minor: 0 }), /closed/);
});
