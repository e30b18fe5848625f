import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { lstat, readFile, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { isDataLoss, isInvalidParameter } from '../../errdefs/index.js';
import { sha256 } from '../../util/digest.js';
import { silentLogger } from '../../util/logger.js';
import { applyLayer, compressionOf, diffIdOfTar } from './apply.js';
import { packTar, rawPaxHeader, readXattr, scratch, streamOf, zstdCompress, type TarEntry } from './test-tars.js';

const T = new Date('2021-03-04T05:06:07Z');
const TS = T.getTime();

const major = (rdev: number): number => (rdev >> 8) & 0xfff;
const minor = (rdev: number): number => rdev & 0xff;

const sample: TarEntry[] = [
  [{ name: 'etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: T }],
  [{ name: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, mtime: T }, 'root:x:0:0::/root:/bin/sh\n'],
  [{ name: 'bin/su', mode: 0o4755, uid: 1234, gid: 5678, mtime: T }, 'setuid binary'],
  [{ name: 'tmp/', type: 'directory', mode: 0o1777, mtime: T }],
  [{ name: 'srv/', type: 'directory', mode: 0o2750, uid: 33, gid: 44, mtime: T }],
  [{ name: 'srv/big', mode: 0o600, mtime: T }, Buffer.alloc(300_000, 0x5a)],
  [{ name: 'srv/empty', mode: 0o640, mtime: T }, ''],
  [{ name: 'srv/link-abs', type: 'symlink', linkname: '/etc/passwd', uid: 7, gid: 8, mtime: T }],
  [{ name: 'srv/link-rel', type: 'symlink', linkname: '../../../../etc/passwd', mtime: T }],
  [{ name: 'srv/hard', type: 'link', linkname: 'etc/passwd', mode: 0o644, mtime: T }],
  [{ name: '/dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime: T }],
  [{ name: './dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, gid: 6, mtime: T }],
  [{ name: 'run/fifo', type: 'fifo', mode: 0o620, mtime: T }],
];

/**
 * What Docker reports for `sample` (moby's directory.Size of the unpacked layer): etc/passwd, bin/su
 * and srv/big, plus the two symlinks' targets; the hardlink, the empty file and the devices add nothing.
 */
const SAMPLE_SIZE = 26 + 13 + 300_000 + '/etc/passwd'.length + '../../../../etc/passwd'.length;

test('extracts files, directories, links, devices and fifos with their metadata', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const tarball = await packTar(sample);
  const result = await applyLayer({ input: streamOf(tarball, 4096), dest: s.dest });

  assert.equal(result.diffId, sha256(tarball));
  assert.equal(result.size, SAMPLE_SIZE);
  assert.deepEqual((await readdir(s.dest)).sort(), ['bin', 'dev', 'etc', 'run', 'srv', 'tmp']);

  const passwd = await lstat(join(s.dest, 'etc/passwd'));
  assert.equal(await readFile(join(s.dest, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
  assert.equal(passwd.mode & 0o7777, 0o644);
  assert.equal(passwd.mtimeMs, TS);
  assert.equal(passwd.nlink, 2, 'srv/hard is a hardlink to etc/passwd');
  assert.equal((await lstat(join(s.dest, 'srv/hard'))).ino, passwd.ino);

  const su = await lstat(join(s.dest, 'bin/su'));
  assert.deepEqual([su.mode & 0o7777, su.uid, su.gid], [0o4755, 1234, 5678], 'setuid survives chown');
  assert.equal((await lstat(join(s.dest, 'tmp'))).mode & 0o7777, 0o1777);
  const srv = await lstat(join(s.dest, 'srv'));
  assert.deepEqual([srv.mode & 0o7777, srv.uid, srv.gid, srv.mtimeMs], [0o2750, 33, 44, TS], 'dir times set last');
  assert.ok((await readFile(join(s.dest, 'srv/big'))).equals(Buffer.alloc(300_000, 0x5a)));
  assert.equal((await lstat(join(s.dest, 'srv/empty'))).size, 0);

  const abs = await lstat(join(s.dest, 'srv/link-abs'));
  assert.ok(abs.isSymbolicLink());
  assert.equal(await readlink(join(s.dest, 'srv/link-abs')), '/etc/passwd');
  assert.deepEqual([abs.uid, abs.gid, abs.mtimeMs], [7, 8, TS]);
  assert.equal(await readlink(join(s.dest, 'srv/link-rel')), '../../../../etc/passwd');

  const nul = await lstat(join(s.dest, 'dev/null'));
  assert.ok(nul.isCharacterDevice());
  assert.deepEqual([major(nul.rdev), minor(nul.rdev), nul.mode & 0o7777, nul.mtimeMs], [1, 3, 0o666, TS]);
  const loop = await lstat(join(s.dest, 'dev/loop0'));
  assert.ok(loop.isBlockDevice());
  assert.deepEqual([major(loop.rdev), minor(loop.rdev), loop.mode & 0o7777, loop.gid], [7, 0, 0o660, 6]);
  const fifo = await lstat(join(s.dest, 'run/fifo'));
  assert.ok(fifo.isFIFO());
  assert.equal(fifo.mode & 0o7777, 0o620);
  // Implicit parents are created 0755 and owned by root.
  assert.equal((await lstat(join(s.dest, 'run'))).mode & 0o7777, 0o755);
});

test('whiteouts become overlay char devices and opaque markers an xattr', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const tarball = await packTar([
    [{ name: 'a/', type: 'directory', mode: 0o755 }],
    [{ name: 'a/.wh.gone', uid: 11, gid: 12 }, ''],
    [{ name: '.wh.top' }, ''],
    [{ name: 'b/.wh..wh..opq' }, ''],
    [{ name: 'b/kept', mode: 0o644 }, 'x'],
    [{ name: 'c/', type: 'directory', mode: 0o755 }],
    [{ name: 'c/sub/', type: 'directory', mode: 0o755 }],
    [{ name: '.wh.c' }, ''],
    [{ name: '.wh..wh.plnk/123' }, 'aufs hardlink store'],
  ]);
  await applyLayer({ input: streamOf(tarball), dest: s.dest });

  assert.deepEqual((await readdir(s.dest)).sort(), ['a', 'b', 'c', 'top']);
  assert.deepEqual(await readdir(join(s.dest, 'a')), ['gone']);
  for (const p of ['a/gone', 'top', 'c']) {
    const st = await lstat(join(s.dest, p));
    assert.ok(st.isCharacterDevice(), p);
    assert.deepEqual([major(st.rdev), minor(st.rdev), st.mode & 0o7777], [0, 0, 0], p);
  }
  const gone = await lstat(join(s.dest, 'a/gone'));
  assert.deepEqual([gone.uid, gone.gid], [11, 12]);
  assert.deepEqual(await readdir(join(s.dest, 'b')), ['kept']);
  assert.equal(readXattr(join(s.dest, 'b'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(readXattr(join(s.dest, 'a'), 'trusted.overlay.opaque'), undefined);
});

test('PAX xattrs are applied byte for byte, even across small chunks', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const binary = Buffer.from([0x80, 0xff, 0x00, 0x01, 0xc3]);
  const tarball = Buffer.concat([
    rawPaxHeader([['SCHILY.xattr.user.bin', binary], ['SCHILY.xattr.user.text', Buffer.from('héllo')]]),
    await packTar([
      [{ name: 'f', mode: 0o644 }, 'data'],
      [{ name: 'g', mode: 0o644, pax: { 'SCHILY.xattr.user.plain': 'v' } }, 'more'],
      [{ name: 'h', mode: 0o644 }, 'no xattrs'],
      [{ name: 'd/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }],
    ]),
  ]);
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
  const result = await applyLayer({ input: streamOf(tarball, 7), dest: s.dest, logger });
  assert.equal(result.diffId, sha256(tarball));
  assert.deepEqual(readXattr(join(s.dest, 'f'), 'user.bin'), binary);
  assert.equal(readXattr(join(s.dest, 'f'), 'user.text')?.toString(), 'héllo');
  assert.equal(readXattr(join(s.dest, 'g'), 'user.plain')?.toString(), 'v');
  assert.equal(readXattr(join(s.dest, 'h'), 'user.bin'), undefined);
  assert.equal(await readFile(join(s.dest, 'g'), 'utf8'), 'more');
  assert.equal(readXattr(join(s.dest, 'd'), 'trusted.overlay.redirect'), undefined, 'overlayfs xattrs are dropped');
  assert.deepEqual(warnings, ['ignored overlayfs xattr in layer']);
});

test('later entries replace earlier ones; directories merge', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const tarball = await packTar([
    [{ name: 'x', mode: 0o644 }, 'first'],
    [{ name: 'x', mode: 0o600 }, 'second'],
    [{ name: 'd/', type: 'directory', mode: 0o755 }],
    [{ name: 'd/f', mode: 0o644 }, 'in d'],
    [{ name: 'd/', type: 'directory', mode: 0o700 }],
    [{ name: 'e/', type: 'directory', mode: 0o755 }],
    [{ name: 'e/f' }, 'gone with e'],
    [{ name: 'e', type: 'symlink', linkname: 'd' }],
    [{ name: 'l', type: 'symlink', linkname: 'x' }],
    [{ name: 'l/', type: 'directory', mode: 0o755 }],
    [{ name: 'old-style-dir/', mode: 0o750 }],
    [{ name: './', mode: 0o755 }],
  ]);
  await applyLayer({ input: streamOf(tarball), dest: s.dest });
  assert.equal(await readFile(join(s.dest, 'x'), 'utf8'), 'second');
  assert.equal((await lstat(join(s.dest, 'x'))).mode & 0o777, 0o600);
  assert.equal(await readFile(join(s.dest, 'd/f'), 'utf8'), 'in d');
  assert.equal((await lstat(join(s.dest, 'd'))).mode & 0o777, 0o700);
  assert.equal(await readlink(join(s.dest, 'e')), 'd');
  assert.ok((await lstat(join(s.dest, 'l'))).isDirectory());
  const old = await lstat(join(s.dest, 'old-style-dir'));
  assert.ok(old.isDirectory());
  assert.equal(old.mode & 0o777, 0o750);
});

test('gzip and zstd layers extract the same and hash to the plain tar', async (t) => {
  const tarball = await packTar(sample);
  const gz = gzipSync(tarball);
  assert.equal(compressionOf(gz), 'gzip');
  const zst = zstdCompress(tarball);
  const cases: Array<[string, Buffer]> = [['gzip', gz]];
  if (zst === undefined) {
    console.warn('!!! zstd binary not found: SKIPPING the zstd layer case');
  } else {
    assert.equal(compressionOf(zst), 'zstd');
    cases.push(['zstd', zst]);
  }
  for (const [kind, blob] of cases) {
    const s = await scratch();
    t.after(() => s.cleanup());
    const result = await applyLayer({ input: streamOf(blob, 1000), dest: s.dest });
    assert.equal(result.diffId, sha256(tarball), kind);
    assert.equal(result.size, SAMPLE_SIZE, kind);
    assert.ok((await readFile(join(s.dest, 'srv/big'))).equals(Buffer.alloc(300_000, 0x5a)), kind);
    assert.deepEqual(await diffIdOfTar(streamOf(blob)), result, kind);
  }
  assert.deepEqual(await diffIdOfTar(streamOf(tarball)), { diffId: sha256(tarball), size: SAMPLE_SIZE });
});

test('diffId covers trailing zero padding after the end-of-archive marker', async () => {
  const padded = Buffer.concat([await packTar([[{ name: 'f' }, 'x']]), Buffer.alloc(8192)]);
  assert.equal((await diffIdOfTar(streamOf(padded))).diffId, sha256(padded));
});

test('hostile layers are rejected and write nothing outside dest', async (t) => {
  const hostile: Array<[string, (outside: string) => Promise<Buffer>, RegExp]> = [
    ['../evil', async () => packTar([[{ name: '../evil' }, 'x']]), /path "\.\.\/evil" escapes the layer/],
    ['a/../../evil', async () => packTar([[{ name: 'a/../../evil' }, 'x']]), /escapes the layer/],
    ['/../evil', async () => packTar([[{ name: '/../evil' }, 'x']]), /escapes the layer/],
    ['../ directory', async () => packTar([[{ name: '../d/', type: 'directory' }]]), /escapes the layer/],
    [
      'write through a symlink to outside',
      async (outside) => packTar([[{ name: 'a', type: 'symlink', linkname: outside }], [{ name: 'a/pwned' }, 'x']]),
      /path "a\/pwned" escapes the layer through symlink "a"/,
    ],
    [
      'write through a relative symlink',
      async () => packTar([[{ name: 'a', type: 'symlink', linkname: '../outside' }], [{ name: 'a/pwned' }, 'x']]),
      /escapes the layer through symlink/,
    ],
    [
      'directory replaced by a symlink, then written through',
      async (outside) =>
        packTar([
          [{ name: 'd/', type: 'directory' }],
          [{ name: 'd/sub/', type: 'directory' }],
          [{ name: 'd', type: 'symlink', linkname: outside }],
          [{ name: 'd/sub/pwned' }, 'x'],
        ]),
      /escapes the layer through symlink "d"/,
    ],
    [
      'whiteout through a symlink',
      async (outside) => packTar([[{ name: 'a', type: 'symlink', linkname: outside }], [{ name: 'a/.wh.x' }, '']]),
      /escapes the layer through symlink/,
    ],
    [
      'opaque marker through a symlink',
      async (outside) => packTar([[{ name: 'a', type: 'symlink', linkname: outside }], [{ name: 'a/.wh..wh..opq' }, '']]),
      /escapes the layer through symlink/,
    ],
    [
      'hardlink to ../../etc/passwd',
      async () => packTar([[{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]]),
      /hardlink "h" -> "\.\.\/\.\.\/etc\/passwd" escapes the layer/,
    ],
    [
      'hardlink through a symlink to an outside file',
      async (outside) => {
        await writeFile(join(outside, 'secret'), 'secret');
        return packTar([[{ name: 'a', type: 'symlink', linkname: outside }], [{ name: 'h', type: 'link', linkname: 'a/secret' }]]);
      },
      /escapes the layer through symlink "a"/,
    ],
    [
      'device through a symlink',
      async (outside) =>
        packTar([[{ name: 'a', type: 'symlink', linkname: outside }], [{ name: 'a/null', type: 'character-device', devmajor: 1, devminor: 3 }]]),
      /escapes the layer through symlink/,
    ],
    ['bare whiteout', async () => packTar([[{ name: 'd/.wh.' }, '']]), /bad whiteout/],
    ['file replacing the root', async () => packTar([[{ name: '.' }, 'x']]), /replaces the layer root/],
  ];
  for (const [label, build, message] of hostile) {
    const s = await scratch();
    t.after(() => s.cleanup());
    const tarball = await build(s.outside);
    const keep = await readdir(s.outside);
    await assert.rejects(applyLayer({ input: streamOf(tarball), dest: s.dest }), (err: unknown) => {
      assert.ok(isInvalidParameter(err), `${label}: ${String(err)}`);
      assert.match((err as Error).message, message, label);
      return true;
    });
    await s.assertNothingOutside(keep);
    if (keep.includes('secret')) assert.equal((await lstat(join(s.outside, 'secret'))).nlink, 1, label);
  }
});

test('absolute names and link targets are relative to the layer root', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const tarball = await packTar([
    [{ name: '/etc/x' }, 'x'],
    [{ name: '/h', type: 'link', linkname: '/etc/x' }],
    [{ name: 'a/../b' }, 'b'],
  ]);
  await applyLayer({ input: streamOf(tarball), dest: s.dest });
  assert.equal(await readFile(join(s.dest, 'etc/x'), 'utf8'), 'x');
  assert.equal((await lstat(join(s.dest, 'h'))).nlink, 2);
  assert.equal(await readFile(join(s.dest, 'b'), 'utf8'), 'b');
  await s.assertNothingOutside();
});

test('truncated or corrupt archives are rejected with DataLoss', async (t) => {
  const tarball = await packTar(sample);
  const gz = gzipSync(tarball);
  const zst = zstdCompress(tarball);
  const corrupt = Buffer.from(tarball);
  corrupt[512 + 100] = (corrupt[512 + 100] ?? 0) ^ 0xff; // a header byte: bad checksum
  const badGzip = Buffer.from(gz);
  badGzip[gz.length >> 1] = (badGzip[gz.length >> 1] ?? 0) ^ 0xff;
  const cases: Array<[string, Buffer]> = [
    ['tar cut inside file data', tarball.subarray(0, 1024 + 512 + 10)],
    ['tar cut inside a header', tarball.subarray(0, 1024 + 200)],
    ['tar with a corrupt header', corrupt],
    ['gzip cut short', gz.subarray(0, gz.length - 20)],
    ['gzip with corrupt data', badGzip],
    ['garbage', Buffer.from('this is not a tar archive at all, just some text that goes on'.repeat(20))],
  ];
  if (zst !== undefined) cases.push(['zstd cut short', zst.subarray(0, zst.length >> 1)]);
  else console.warn('!!! zstd binary not found: SKIPPING the truncated zstd case');
  for (const [label, blob] of cases) {
    const s = await scratch();
    t.after(() => s.cleanup());
    await assert.rejects(applyLayer({ input: streamOf(blob, 999), dest: s.dest }), (err: unknown) => {
      assert.ok(isDataLoss(err), `${label}: ${String(err)}`);
      return true;
    });
    await assert.rejects(diffIdOfTar(streamOf(blob, 999)), (err: unknown) => isDataLoss(err), label);
    await s.assertNothingOutside();
  }
});

test('abort stops reading and rejects with the reason', async (t) => {
  const s = await scratch();
  t.after(() => s.cleanup());
  const tarball = await packTar(sample);
  const input = new PassThrough();
  input.write(tarball.subarray(0, 4096)); // ... and the rest never comes
  const ac = new AbortController();
  const applying = applyLayer({ input, dest: s.dest, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('stop now')), 50);
  await assert.rejects(applying, /stop now/);
  assert.ok(input.destroyed, 'input destroyed');

  const already = AbortSignal.abort(new Error('too late'));
  await assert.rejects(applyLayer({ input: streamOf(tarball), dest: s.dest, signal: already }), /too late/);
});
