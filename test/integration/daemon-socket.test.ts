import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ESTIBAD, startEstibad } from '../helpers/estibad.js';

async function gidOf(name: string): Promise<number | undefined> {
  for (const line of (await readFile('/etc/group', 'utf8')).split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined) return Number(gid);
  }
  return undefined;
}

test('the unix socket is mode 0660, group --group', async () => {
  const adm = await gidOf('adm');
  assert.notEqual(adm, undefined, 'Debian has an adm group');
  for (const group of ['adm', String(adm)]) {
    const d = await startEstibad({ args: ['--group', group] });
    try {
      const st = await stat(d.socket);
      assert.equal(st.mode & 0o777, 0o660, `mode with --group ${group}`);
      assert.equal(st.gid, adm, `gid with --group ${group}`);
    } finally {
      await d.stop();
      await d.cleanup();
    }
  }
});

test('without --group the socket goes to the docker group when there is one, else root', async () => {
  const d = await startEstibad();
  try {
    const st = await stat(d.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, (await gidOf('docker')) ?? 0);
  } finally {
    await d.stop();
    await d.cleanup();
  }
});

test('an unknown --group refuses the start and leaves nothing behind', async () => {
  const dataRoot = await mkdtemp(join(tmpdir(), 'estiba-data-'));
  const execRoot = await mkdtemp(join(tmpdir(), 'estiba-exec-'));
  try {
    const child = spawn(
      process.execPath,
      [ESTIBAD, '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${join(execRoot, 'estiba.sock')}`, '--group', 'no-such-group-estiba'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    const started = setTimeout(() => child.kill('SIGTERM'), 10_000);
    const code = await exited;
    clearTimeout(started);
    assert.equal(code, 1, stderr);
    assert.equal(stderr, 'estibad: group no-such-group-estiba not found (--group)\n');
    assert.deepEqual(await readdir(execRoot), []);
    assert.deepEqual(await readdir(dataRoot), []);
  } finally {
    await rm(dataRoot, { recursive: true, force: true });
    await rm(execRoot, { recursive: true, force: true });
  }
});
