import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rotateLog } from './log-rotator.js';

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
