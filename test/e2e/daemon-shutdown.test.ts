/**
 * estibad and hijacked connections: an exec whose client half-closes at once gets EOF on its
 * stdin, and SIGTERM ends the daemon even while attach/exec sessions are open (their sockets
 * leave the HTTP server's books when hijacked, so closing the server alone waited forever).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad } from '../helpers/estibad.js';
import { dockerCli } from '../helpers/docker-peer.js';

test('exec -i with an empty stdin ends; SIGTERM ends the daemon while an exec session is attached', async (t) => {
  const d = await startEstibad();
  const work = await mkdtemp(join(tmpdir(), 'estiba-shutdown-test-'));
  t.after(async () => {
    await d.kill9();
    // The container outlived the daemon: a daemon on the same roots removes it.
    const again = await startEstibad({ dataRoot: d.dataRoot, execRoot: d.execRoot });
    const ids = (await dockerCli(['ps', '-aq'], { host: again.host })).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await dockerCli(['rm', '-f', ...ids], { host: again.host });
    await again.stop();
    await again.cleanup();
    await rm(work, { recursive: true, force: true });
  });
  const docker = (...args: string[]) => dockerCli(args, { host: d.host, timeoutMs: 20_000 });
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  assert.equal((await docker('load', '-i', join(work, 'busybox.tar'))).code, 0);
  const id = (await docker('run', '-d', '--network', 'none', 'busybox', 'sleep', '1000')).stdout.trim();

  // `docker exec -i c cat < /dev/null`: the CLI half-closes right after the hijack.
  const empty = await dockerCli(['exec', '-i', id, 'cat'], { host: d.host, timeoutMs: 20_000, input: '' });
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, '');

  // An exec with its stdin held open by the client, then SIGTERM to the daemon.
  const held = spawn('/usr/local/bin/docker', ['exec', '-i', id, 'cat'], { env: { ...process.env, DOCKER_HOST: d.host }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  held.stdout.on('data', (b: Buffer) => (out += b.toString()));
  held.stdin.write('ping\n');
  for (let i = 0; i < 100 && !out.includes('ping'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(out, 'ping\n');
  const stopped = d.stop().then(() => 'stopped');
  const verdict = await Promise.race([stopped, new Promise((r) => setTimeout(() => r('still running after 15 s'), 15_000))]);
  held.kill('SIGKILL');
  assert.equal(verdict, 'stopped');
});
