import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCommand, type ExecError } from './exec.js';

test('execCommand: output, exit status, stdin, cwd, env, and the errors of execFile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-exec-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await execCommand('sh', ['-c', 'echo out; echo err >&2']), { stdout: 'out\n', stderr: 'err\n' });
  assert.equal((await execCommand('cat', [], { input: 'from stdin' })).stdout, 'from stdin');
  assert.equal((await execCommand('cat', [])).stdout, '', 'no input: stdin is empty, the command ends');
  assert.equal((await execCommand('pwd', [], { cwd: dir })).stdout.trim(), dir);
  assert.equal((await execCommand('sh', ['-c', 'echo $ONLY'], { env: { ONLY: 'this', PATH: '/usr/bin:/bin' } })).stdout, 'this\n');

  const failed = (await execCommand('sh', ['-c', 'echo partial; echo why >&2; exit 3']).catch((e: unknown) => e)) as ExecError;
  assert.equal(failed.code, 3);
  assert.equal(failed.stdout, 'partial\n');
  assert.equal(failed.stderr, 'why\n');
  assert.match(failed.message, /^Command failed: sh -c .*\nwhy\n$/s);

  const missing = (await execCommand(join(dir, 'no-such-binary'), []).catch((e: unknown) => e)) as ExecError;
  assert.equal(missing.code, 'ENOENT');

  const slow = (await execCommand('sleep', ['5'], { timeoutMs: 200 }).catch((e: unknown) => e)) as ExecError;
  assert.equal(slow.killed, true);
  assert.equal(slow.signal, 'SIGKILL');
});

test('execCommand runs commands concurrently: 40 sleeps of 0.3 s end in well under 40 × 0.3 s', async () => {
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => execCommand('sh', ['-c', `sleep 0.3; echo ${i}`])));
  assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 40 }, (_, i) => `${i}\n`));
  assert.ok(performance.now() - t0 < 6000, 'not one after another');
});
