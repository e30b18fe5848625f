import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConflict, isInvalidParameter, isNotFound } from '../errdefs/index.js';
import { silentLogger } from '../util/logger.js';
import { ANONYMOUS_LABEL } from './local.js';
import { VolumeService } from './service.js';

async function withService(fn: (s: VolumeService, o: { root: string; refs: Map<string, string[]>; events: string[] }) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'estiba-volumes-'));
  const refs = new Map<string, string[]>();
  const events: string[] = [];
  const make = (): VolumeService =>
    new VolumeService({
      root: join(root, 'volumes'),
      logger: silentLogger,
      emit: (action, name) => events.push(`${action} ${name}`),
      references: (name) => refs.get(name) ?? [],
      size: async () => 5,
      now: () => new Date('2024-01-02T03:04:05.678Z'),
    });
  const s = make();
  await s.init();
  try {
    await fn(s, { root, refs, events });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('create: Docker\'s shape; a name that exists returns the volume; anonymous volumes get 64 hex digits and the label', () =>
  withService(async (s, { root, events }) => {
    const v = await s.create({ Name: 'data', Labels: { a: 'b' } });
    assert.deepEqual(v, {
      CreatedAt: '2024-01-02T03:04:05Z', Driver: 'local', Labels: { a: 'b' }, Mountpoint: join(root, 'volumes', 'data', '_data'), Name: 'data', Options: null, Scope: 'local',
    });
    assert.deepEqual(await s.create({ Name: 'data' }), v);
    const anon = await s.create({});
    assert.match(anon.Name, /^[0-9a-f]{64}$/);
    assert.deepEqual(anon.Labels, { [ANONYMOUS_LABEL]: '' });
    assert.deepEqual(events, ['create data', `create ${anon.Name}`]);
    // Nothing but the volumes themselves in the root: the temp directory went by rename.
    assert.deepEqual((await readdir(join(root, 'volumes'))).sort(), [anon.Name, 'data'].sort());
  }));

test('create rejects bad names and options with Docker\'s words, writing nothing', () =>
  withService(async (s, { root }) => {
    const bad = async (o: Parameters<VolumeService['create']>[0], message: string, kind = isInvalidParameter): Promise<void> => {
      await assert.rejects(s.create(o), (err: unknown) => kind(err) && (err as Error).message === message);
    };
    await bad({ Name: 'a/b' }, 'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path');
    await bad({ Name: 'x' }, 'create x: volume name is too short, names should be at least two alphanumeric characters');
    await bad({ Name: 'v1', DriverOpts: { foo: 'bar' } }, 'create v1: invalid option: "foo"');
    await bad({ Name: 'v1', DriverOpts: { type: 'tmpfs' } }, 'create v1: missing required option: "device"');
    await bad({ Name: 'v1', Driver: 'nfsplug' }, 'create v1: error looking up volume plugin nfsplug: plugin "nfsplug" not found', isNotFound);
    assert.deepEqual(await readdir(join(root, 'volumes')), []);
  }));

test('list filters: name (exact or pattern), label, driver, dangling; unknown filters are rejected', () =>
  withService(async (s, { refs }) => {
    await s.create({ Name: 'web-data', Labels: { tier: 'web' } });
    await s.create({ Name: 'db-data', Labels: { tier: 'db' } });
    refs.set('db-data', ['c1']);
    const names = (f: Record<string, string[]>): string[] => s.list(new Map(Object.entries(f))).Volumes.map((v) => v.Name);
    assert.deepEqual(names({}), ['db-data', 'web-data']);
    assert.deepEqual(names({ name: ['web'] }), ['web-data']);
    assert.deepEqual(names({ label: ['tier=db'] }), ['db-data']);
    assert.deepEqual(names({ label: ['tier'] }), ['db-data', 'web-data']);
    assert.deepEqual(names({ dangling: ['true'] }), ['web-data']);
    assert.deepEqual(names({ dangling: ['0'] }), ['db-data']);
    assert.deepEqual(names({ driver: ['other'] }), []);
    assert.throws(() => s.list(new Map([['until', ['1h']]])), /invalid filter 'until'/);
    assert.throws(() => s.list(new Map([['dangling', ['maybe']]])), /invalid filter 'dangling=maybe'/);
  }));

test('remove: in use is a Conflict naming the containers; missing is NotFound unless forced', () =>
  withService(async (s, { refs, events }) => {
    await s.create({ Name: 'data' });
    refs.set('data', ['c1', 'c2']);
    await assert.rejects(s.remove('data'), (err: unknown) => isConflict(err) && (err as Error).message === 'remove data: volume is in use - [c1, c2]');
    refs.delete('data');
    await s.remove('data');
    assert.equal(s.has('data'), false);
    await assert.rejects(s.remove('data'), (err: unknown) => isNotFound(err) && (err as Error).message === 'get data: no such volume');
    await s.remove('data', { force: true });
    assert.throws(() => s.get('data'), /get data: no such volume/);
    assert.deepEqual(events, ['create data', 'destroy data']);
  }));

test('prune: only unused anonymous volumes unless all=true; never volumes with driver options', () =>
  withService(async (s, { refs }) => {
    await s.create({ Name: 'named' });
    await s.create({ Name: 'mounted', DriverOpts: { type: 'tmpfs', device: 'tmpfs' } });
    const anon = await s.create({});
    const used = await s.create({});
    refs.set(used.Name, ['c1']);
    assert.deepEqual(await s.prune(), { VolumesDeleted: [anon.Name], SpaceReclaimed: 5 });
    assert.deepEqual(await s.prune(new Map([['all', ['true']], ['label!', ['keep']]])), { VolumesDeleted: ['named'], SpaceReclaimed: 5 });
    assert.deepEqual(await s.prune(new Map([['all', ['1']]])), { VolumesDeleted: null, SpaceReclaimed: 0 });
    assert.deepEqual(s.list().Volumes.map((v) => v.Name).sort(), ['mounted', used.Name].sort());
    await assert.rejects(s.prune(new Map([['all', ['yes']]])), /invalid filter 'all'/);
    await assert.rejects(s.prune(new Map([['dangling', ['true']]])), /invalid filter 'dangling'/);
  }));

test('volumes survive a restart; a directory without metadata is adopted, a crash\'s temp directory swept', () =>
  withService(async (s, { root }) => {
    await s.create({ Name: 'keep', Labels: { k: 'v' }, DriverOpts: { type: 'none', o: 'bind', device: '/srv' } });
    await writeFile(join(root, 'volumes', 'keep', '_data', 'f'), 'x');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'volumes', 'byhand', '_data'), { recursive: true });
    await mkdir(join(root, 'volumes', '.tmp-half-1-abcd', '_data'), { recursive: true });
    await writeFile(join(root, 'volumes', 'metadata.db'), '');
    await symlink('/nonexistent-estiba-target', join(root, 'volumes', 'dangling-link'));
    const again = new VolumeService({ root: join(root, 'volumes'), logger: silentLogger, emit: () => undefined, references: () => [], size: async () => 0 });
    await again.init();
    assert.deepEqual(again.get('keep').Labels, { k: 'v' });
    assert.deepEqual(again.get('keep').Options, { type: 'none', o: 'bind', device: '/srv' });
    assert.equal(again.get('byhand').Labels, null);
    assert.deepEqual(again.list().Volumes.map((v) => v.Name), ['byhand', 'keep']);
    assert.deepEqual((await readdir(join(root, 'volumes'))).sort(), ['byhand', 'dangling-link', 'keep', 'metadata.db']);
  }));
