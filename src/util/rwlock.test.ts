import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RwLock } from './rwlock.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('shared holders run together; an exclusive holder waits for them and blocks later readers', async () => {
  const lock = new RwLock();
  const log: string[] = [];
  let releaseA!: () => void;
  const a = lock.shared(() => new Promise<void>((r) => { log.push('a'); releaseA = r; }));
  const b = lock.shared(async () => { log.push('b'); });
  await tick();
  const w = lock.exclusive(async () => { log.push('w'); });
  const c = lock.shared(async () => { log.push('c'); });
  await tick();
  assert.deepEqual(log, ['a', 'b'], 'writer waits for the reader still inside; reader c queues behind the writer');
  releaseA();
  await Promise.all([a, b, w, c]);
  assert.deepEqual(log, ['a', 'b', 'w', 'c']);
});
