import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogRotator, rotateLog } from './log-rotator.js';
import { silentLogger } from '../util/logger.js';

test('rotateLog shifts the files, keeps max-file of them and has the writer reopen', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-rotate-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'container.log');
  let reopened = 0;
  const log = { path, maxSize: 1, maxFile: 3, reopen: async () => void (await writeFile(path, `live ${++reopened}`)) };
  await writeFile(path, 'first');
  await rotateLog(log);
  await rotateLog(log);
  await rotateLog(log);
  assert.deepEqual((await readdir(dir)).sort(), ['container.log', 'container.log.1', 'container.log.2']);
  assert.deepEqual(await Promise.all(['', '.1', '.2'].map((s) => readFile(path + s, 'utf8'))), ['live 3', 'live 2', 'live 1']);
  await rotateLog({ ...log, maxFile: 1 });
  assert.deepEqual((await readdir(dir)).sort(), ['container.log', 'container.log.2']);
});

test('LogRotator rotates a log that crossed max-size while its watch was disarmed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-rotate-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'container.log');
  await writeFile(path, '');
  const rotator = new LogRotator({ logger: silentLogger, rearmMs: 200 });
  t.after(() => rotator.close());
  let reopened = 0;
  const reopenedOnce = new Promise<void>((resolve) => {
    rotator.watch('c1', { path, maxSize: 100, maxFile: 2, reopen: async () => { reopened++; await writeFile(path, ''); resolve(); } });
  });
  await delay(50);
  // The first write wakes the watch, which then pauses; the write that crosses max-size comes
  // during the pause, and no write follows it: only the check at re-arm can see it.
  await appendFile(path, 'x'.repeat(10));
  await delay(50);
  await appendFile(path, 'y'.repeat(200));
  await reopenedOnce;
  assert.equal(reopened, 1);
  assert.equal((await readFile(`${path}.1`, 'utf8')).length, 210);
});
