import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock } from './lockfile.js';
import { isConflict, messageOf } from '../errdefs/index.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-lock-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a second acquisition in the same process is refused until the first is released', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, 'estibad.lock');
  const release = await acquireLock(lock, `data root ${dir}`);
  assert.equal(await readFile(lock, 'utf8'), String(process.pid));
  await assert.rejects(acquireLock(lock, `data root ${dir}`), (err) => {
    assert.ok(isConflict(err), messageOf(err));
    assert.equal(messageOf(err), `data root ${dir} is in use by another daemon (pid ${process.pid}, lock ${lock})`);
    return true;
  });
  // The refused attempt left the holder's pid file alone.
  assert.equal(await readFile(lock, 'utf8'), String(process.pid));
  await release();
  const again = await acquireLock(lock, `data root ${dir}`);
  await again();
});

test('a lock file with no live holder decides nothing: empty, garbage or a dead pid', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, 'estibad.lock');
  const release = await acquireLock(lock, 'x');
  await release();
  for (const content of ['', 'garbage', '999999999']) {
    await writeFile(lock, content);
    const r = await acquireLock(lock, 'x');
    assert.equal(await readFile(lock, 'utf8'), String(process.pid));
    await r();
  }
});

test('concurrent acquisitions: exactly one wins', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, 'estibad.lock');
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireLock(lock, 'x')));
  const won = results.filter((r) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const r of results) if (r.status === 'rejected') assert.ok(isConflict(r.reason), messageOf(r.reason));
  await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
});

test('a holder killed with SIGKILL gives the lock back at once', async (t) => {
  const dir = await tempDir(t);
  const lock = join(dir, 'estibad.lock');
  const moduleUrl = new URL('./lockfile.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { acquireLock } from ${JSON.stringify(moduleUrl)};
       await acquireLock(${JSON.stringify(lock)}, 'x');
       process.stdout.write('held\\n');
       setInterval(() => {}, 1 << 30);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const [first] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(first.toString(), 'held\n');
  await assert.rejects(acquireLock(lock, `data root ${dir}`), (err) => {
    assert.equal(messageOf(err), `data root ${dir} is in use by another daemon (pid ${child.pid}, lock ${lock})`);
    return true;
  });
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  const release = await acquireLock(lock, `data root ${dir}`);
  assert.equal(await readFile(lock, 'utf8'), String(process.pid));
  await release();
});
