import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isInvalidParameter } from '../errdefs/index.js';
import { parseBind, parseMountSpec, parseVolumesFrom, tmpfsData, validMountMode } from './mount-parse.js';
import { mergeTmpfsOptions } from './mounts.js';

const rejects = (fn: () => unknown, message: string): void => {
  assert.throws(fn, (err: unknown) => isInvalidParameter(err) && (err as Error).message === message);
};

test('-v /host:/ctr is a bind (rprivate, rw); -v name:/ctr a named volume that copies up; -v /ctr an anonymous one', () => {
  assert.deepEqual(parseBind('/srv/x/:/data'), { Type: 'bind', Source: '/srv/x', Destination: '/data', RW: true, Mode: '', Propagation: 'rprivate', CopyData: false, Named: true });
  assert.deepEqual(parseBind('/srv:/data:ro,rshared'), { Type: 'bind', Source: '/srv', Destination: '/data', RW: false, Mode: 'ro,rshared', Propagation: 'rshared', CopyData: false, Named: true });
  assert.deepEqual(parseBind('data:/d:z'), { Type: 'volume', Source: 'data', Destination: '/d', RW: true, Mode: 'z', Propagation: '', CopyData: true, Named: true });
  assert.equal(parseBind('data:/d:nocopy').CopyData, false);
  assert.deepEqual(parseBind('/ctr'), { Type: 'volume', Source: '', Destination: '/ctr', RW: true, Mode: '', Propagation: '', CopyData: true, Named: false });
  // A relative source is a volume name: the volume's create rejects it with Docker's words.
  assert.equal(parseBind('rel/path:/x').Type, 'volume');
});

test('bad -v specs get Docker\'s messages', () => {
  rejects(() => parseBind('/a:/b:bogus'), 'invalid mode: bogus');
  rejects(() => parseBind('/a:/b:ro,rw'), 'invalid mode: ro,rw');
  rejects(() => parseBind('/foo:rw'), "invalid volume specification: '/foo:rw'");
  rejects(() => parseBind(':/x'), "invalid volume specification: ':/x'");
  rejects(() => parseBind('/tmp:rel'), `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`);
  rejects(() => parseBind('/:/'), `invalid volume specification: '/:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`);
  rejects(() => parseBind('a:b:c:d:e'), "invalid volume specification: 'a:b:c:d:e'");
  assert.equal(validMountMode('ro,Z,rslave,nocopy,cached'), true);
  assert.equal(validMountMode('ro,z,Z'), false);
});

test('--mount: bind needs an existing absolute source unless create-mountpoint; tmpfs takes no source', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-mount-parse-'));
  try {
    assert.deepEqual(parseMountSpec({ Type: 'bind', Source: dir, Target: '/x', ReadOnly: true, BindOptions: { Propagation: 'rslave' } }), {
      Type: 'bind', Source: dir, Destination: '/x', RW: false, Mode: '', Propagation: 'rslave', CopyData: false, Named: true, MustExist: true,
    });
    rejects(() => parseMountSpec({ Type: 'bind', Source: join(dir, 'nope'), Target: '/x' }), `invalid mount config for type "bind": bind source path does not exist: ${join(dir, 'nope')}`);
    assert.equal(parseMountSpec({ Type: 'bind', Source: join(dir, 'nope'), Target: '/x', BindOptions: { CreateMountpoint: true } }).MustExist, undefined);
    rejects(() => parseMountSpec({ Type: 'bind', Source: 'rel', Target: '/x' }), `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`);
    rejects(() => parseMountSpec({ Type: 'bind', Source: dir, Target: '/x', BindOptions: { Propagation: 'weird' } }), 'invalid mount config for type "bind": invalid propagation mode: weird');
    rejects(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/x' }), 'invalid mount config for type "tmpfs": field Source must not be specified');
    rejects(() => parseMountSpec({ Type: 'volume', Target: '/x', TmpfsOptions: {} }), 'invalid mount config for type "volume": field TmpfsOptions must not be specified');
    rejects(() => parseMountSpec({ Type: 'volume', Target: '' }), 'invalid mount config for type "volume": field Target must not be empty');
    rejects(() => parseMountSpec({ Type: 'nfs', Target: '/x' }), 'invalid mount config for type "nfs": mount type unknown');
    assert.deepEqual(parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { NoCopy: true } }), {
      Type: 'volume', Source: 'v1', Destination: '/v', RW: true, Mode: '', Propagation: '', CopyData: false, Named: true,
    });
    assert.equal(parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 2 * 1024 * 1024, Mode: 0o1770 } }).Data, 'mode=1770,size=2m');
    const sub = parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { Subpath: 'a/b' } });
    assert.equal(sub.Subpath, 'a/b');
    assert.equal(sub.CopyData, false);
    rejects(() => parseMountSpec({ Type: 'volume', Target: '/v', VolumeOptions: { Subpath: 'a' } }), 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes');
    rejects(() => parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { Subpath: 'a/../../b' } }), 'invalid mount config for type "volume": subpath must be a relative path within the volume');
    rejects(() => parseMountSpec({ Type: 'volume', Source: 'v1', Target: '/v', VolumeOptions: { Subpath: '/abs' } }), 'invalid mount config for type "volume": subpath must be a relative path within the volume');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tmpfs options: Docker\'s units and flags; later options win over defaults', () => {
  assert.equal(tmpfsData({ SizeBytes: 1536 }, true), 'ro,size=1536');
  assert.equal(tmpfsData({ SizeBytes: 3 * 2 ** 30, Options: [['exec']] }, false), 'size=3g,exec');
  assert.throws(() => tmpfsData({ Options: [['suid']] }, false), /invalid option: suid/);
  assert.deepEqual(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'size=1m', 'exec', 'size=2m']), ['nosuid', 'nodev', 'exec', 'size=2m']);
});

test('--volumes-from container[:ro|rw]', () => {
  assert.deepEqual(parseVolumesFrom('data'), { container: 'data', rw: true });
  assert.deepEqual(parseVolumesFrom('data:ro'), { container: 'data', rw: false });
  assert.deepEqual(parseVolumesFrom('data:'), { container: 'data', rw: true });
  rejects(() => parseVolumesFrom('data:rshared'), 'invalid mode: rshared');
  rejects(() => parseVolumesFrom('data:nocopy'), 'invalid mode: nocopy');
  rejects(() => parseVolumesFrom(''), 'volumes-from specification cannot be an empty string');
});
