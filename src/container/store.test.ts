import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../util/logger.js';
import { initialState, setExited, setRunning, type ContainerRecord } from './container.js';
import { ContainerStore } from './store.js';

const ID = 'a'.repeat(64);

function record(): ContainerRecord {
  return {
    ID, Name: '/t', Created: new Date(0).toISOString(), Path: 'true', Args: [], Image: `sha256:${'b'.repeat(64)}`, Layers: [],
    Config: { Image: 'busybox', Cmd: ['true'] } as ContainerRecord['Config'], State: initialState(), Runtime: 'runc', RestartCount: 0, HostConfig: {},
  };
}

test('save writes only what changed; a reloaded store reads every change back', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'estiba-ctr-store-test-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = new ContainerStore(root, silentLogger);
  await store.init();
  const c = record();
  await store.save(c);
  const ino = async (f: string): Promise<number> => (await stat(join(root, ID, f))).ino;
  const host0 = await ino('hostconfig.json');

  setRunning(c, { pid: 42, conmonPid: 41, at: new Date(1000) });
  await store.save(c);
  assert.equal(await ino('hostconfig.json'), host0, 'an unchanged hostconfig.json is not rewritten');
  assert.equal((JSON.parse(await readFile(join(root, ID, 'config.v2.json'), 'utf8')) as ContainerRecord).State.Pid, 42);

  c.HostConfig = { Memory: 1 << 20 } as ContainerRecord['HostConfig'];
  c.RestartCount = 3;
  setExited(c, { exitCode: 7, at: new Date(2000) });
  await store.save(c);
  assert.notEqual(await ino('hostconfig.json'), host0);

  const again = new ContainerStore(root, silentLogger);
  await again.init();
  const back = again.get(ID);
  assert.deepEqual([back.State.Status, back.State.ExitCode, back.RestartCount, back.HostConfig.Memory], ['exited', 7, 3, 1 << 20]);
});
