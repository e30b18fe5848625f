/**
 * The second slice of the container lifecycle through the real docker CLI 28 against a real
 * estibad: exec (attached, detached, stdin, env, workdir, exit codes, a missing command),
 * interactive TTYs driven through a pseudo-terminal (`run -it`, `exec -it`, resize, detach keys),
 * top, stats, pause/unpause, rename, container prune, `ps -s` sizes, and info's counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { dockerCli } from '../helpers/docker-peer.js';
import { envWithoutDocker, run } from '../helpers/e2e.js';
import { runInPty } from '../helpers/pty.js';

const s = useBusyboxDaemon('estiba-containers2-test-');
const { docker, ok } = s;

test('exec: output, exit codes, -e and -w, -d, -i with piped stdin, a missing command, inspect', async () => {
  await ok('run', '-d', '--name', 'web', 'busybox', 'sleep', '1000');
  const hi = await docker('exec', 'web', 'echo', 'hi');
  assert.deepEqual([hi.code, hi.stdout, hi.stderr], [0, 'hi\n', '']);

  const split = await docker('exec', 'web', 'sh', '-c', 'echo out; echo err >&2');
  assert.deepEqual([split.stdout, split.stderr], ['out\n', 'err\n']);

  assert.equal((await docker('exec', 'web', 'sh', '-c', 'exit 5')).code, 5);

  assert.equal(await ok('exec', '-e', 'A=1', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A; pwd'), '1\n/tmp\n');
  assert.equal(await ok('exec', '-u', 'nobody', 'web', 'id', '-u'), '65534\n');

  assert.equal(await ok('exec', '-d', 'web', 'touch', '/tmp/x'), '');
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) {
    seen = (await docker('exec', 'web', 'sh', '-c', 'test -e /tmp/x')).code === 0;
    if (!seen) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen, 'the detached exec created /tmp/x');

  const piped = await dockerCli(['exec', '-i', 'web', 'cat'], { host: s.d.host, input: 'piped through\n', timeoutMs: 30_000 });
  assert.deepEqual([piped.code, piped.stdout], [0, 'piped through\n']);

  const missing = await docker('exec', 'web', 'nonexistent');
  assert.equal(missing.code, 127);
  assert.match(missing.stdout + missing.stderr, /OCI runtime exec failed: exec failed: unable to start container process: exec: "nonexistent": executable file not found in \$PATH: unknown/);

  const notDir = await docker('exec', 'web', '/etc');
  assert.equal(notDir.code, 126);

  const stopped = await docker('exec', 'exit-none', 'true');
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /No such container: exit-none/);

  await ok('create', '--name', 'idle', 'busybox', 'true');
  const notRunning = await docker('exec', 'idle', 'true');
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /Error response from daemon: container [0-9a-f]{64} is not running|Container [0-9a-f]{64} is not running/);
  await ok('rm', 'idle');
  await ok('rm', '-f', 'web');
});

const ptyEnv = (): NodeJS.ProcessEnv => ({ ...envWithoutDocker(), DOCKER_HOST: s.d.host, DOCKER_CONFIG: join(s.work, 'docker-config'), TERM: 'xterm' });

test('run -it through a pseudo-terminal: the shell gets the window size, follows resizes, exits with its code', async (t) => {
  // A failure here must not leave tty1 behind for the later tests that count containers.
  t.after(() => docker('rm', '-f', 'tty1'));
  const r = await runInPty(['docker', 'run', '-it', '--name', 'tty1', 'busybox', 'sh'], {
    env: ptyEnv(),
    rows: 30,
    cols: 100,
    steps: [
      { expect: '# ' },
      { send: 'stty size\r' },
      { expect: '30 100' },
      { resize: { rows: 40, cols: 120 } },
      // The new size travels CLI → daemon → conmon → pty asynchronously: wait for it in the shell.
      { send: 'until [ "$(stty size)" = "40 120" ]; do sleep 0.1; done; stty size\r' },
      { expect: '\r\n40 120\r\n' },
      { send: 'echo hola; exit 7\r' },
      { expect: 'hola' },
    ],
  });
  assert.equal(r.timedOut, undefined, `timed out waiting for ${r.timedOut}; output: ${JSON.stringify(r.output)}`);
  assert.equal(r.code, 7, r.output);
  assert.match(r.output, /\r\nhola\r\n/);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}}', 'tty1'), 'exited 7 true\n');
  await ok('rm', 'tty1');
});

test('ctrl-p ctrl-q detaches from run -it and leaves the container running; attach and exec -it reach it again', async (t) => {
  t.after(() => docker('rm', '-f', 'tty2'));
  const r = await runInPty(['docker', 'run', '-it', '--name', 'tty2', 'busybox', 'sh'], {
    env: ptyEnv(),
    steps: [{ expect: '# ' }, { send: 'echo before\r' }, { expect: 'before' }, { send: '\x10\x11' }],
  });
  assert.equal(r.timedOut, undefined, `timed out waiting for ${r.timedOut}; output: ${JSON.stringify(r.output)}`);
  assert.equal(r.code, 0, r.output);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}}', 'tty2'), 'running\n');

  const ex = await runInPty(['docker', 'exec', '-it', 'tty2', 'sh'], {
    env: ptyEnv(),
    rows: 33,
    cols: 91,
    steps: [
      { expect: '# ' },
      { send: 'stty size; tty\r' },
      { expect: '33 91\r\n/dev/pts/\\d+' },
      { resize: { rows: 20, cols: 60 } },
      { send: 'until [ "$(stty size)" = "20 60" ]; do sleep 0.1; done; stty size\r' },
      { expect: '\r\n20 60\r\n' },
      { send: 'echo hola; exit 7\r' },
      { expect: 'hola' },
    ],
  });
  assert.equal(ex.timedOut, undefined, `timed out waiting for ${ex.timedOut}; output: ${JSON.stringify(ex.output)}`);
  assert.equal(ex.code, 7, ex.output);

  const at = await runInPty(['docker', 'attach', 'tty2'], {
    env: ptyEnv(),
    steps: [{ send: 'echo again\r' }, { expect: 'again\r\n' }, { send: 'exit 3\r' }],
  });
  assert.equal(at.timedOut, undefined, `timed out waiting for ${at.timedOut}; output: ${JSON.stringify(at.output)}`);
  assert.equal(at.code, 3, at.output);
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'tty2'), 'exited 3\n');
  await ok('rm', 'tty2');
});

test('top lists the container processes with ps titles; ps_args are passed to ps', async () => {
  await ok('run', '-d', '--name', 'topper', 'busybox', 'sh', '-c', 'sleep 1001 & sleep 1002 & wait');
  const pid = (await ok('inspect', '-f', '{{.State.Pid}}', 'topper')).trim();
  const lines = (await ok('top', 'topper')).trim().split('\n');
  assert.match(lines[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.ok(lines.some((l) => l.split(/\s+/)[1] === pid && /sh -c sleep 1001 & sleep 1002 & wait$/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /sleep 1001$/.test(l)));
  const custom = (await ok('top', 'topper', '-o', 'pid,comm')).trim().split('\n');
  assert.match(custom[0]!, /^PID\s+COMMAND$/);
  assert.deepEqual(custom.slice(1).map((l) => l.trim().split(/\s+/)[1]).sort(), ['sh', 'sleep', 'sleep']);
  await ok('stop', '-t', '0', 'topper');
  const stopped = await docker('top', 'topper');
  assert.equal(stopped.code, 1);
  assert.match(stopped.stderr, /is not running/);
  await ok('rm', 'topper');
});

test('stats: --no-stream prints a sane row; the API gives cgroup numbers, one-shot answers at once', async () => {
  await ok('run', '-d', '--name', 'busy', '--memory', '64m', 'busybox', 'sh', '-c', 'while :; do :; done');
  const t0 = Date.now();
  const row = (await ok('stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}', 'busy')).trim();
  const took = Date.now() - t0;
  const [name, cpu, mem, memPerc, , , pids] = row.split('|');
  assert.equal(name, 'busy');
  assert.match(cpu!, /^\d+\.\d\d%$/);
  assert.ok(Number.parseFloat(cpu!) > 10, `a busy loop uses CPU: ${row}`);
  assert.match(mem!, /^[\d.]+(?:B|KiB|MiB) \/ 64MiB$/);
  assert.match(memPerc!, /^\d+\.\d\d%$/);
  assert.equal(pids, '1');
  assert.ok(took < 5000, `stats --no-stream took ${took} ms`);

  const table = (await ok('stats', '--no-stream', 'busy')).split('\n');
  assert.match(table[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
  assert.match(table[1]!, /busy/);

  const id = (await ok('inspect', '-f', '{{.Id}}', 'busy')).trim();
  const api = async (q: string): Promise<Record<string, unknown>> => {
    const r = await run('curl', ['-sf', '--unix-socket', s.d.socket, `http://x/v1.45/containers/${id}/stats?${q}`]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const t1 = Date.now();
  const one = (await api('stream=0&one-shot=1')) as {
    name: string; id: string; cpu_stats: { cpu_usage: { total_usage: number; percpu_usage: number[] }; system_cpu_usage: number; online_cpus: number };
    precpu_stats: { cpu_usage: { total_usage: number } }; memory_stats: { usage: number; limit: number; stats: Record<string, number> };
    pids_stats: { current: number }; networks?: unknown;
  };
  assert.ok(Date.now() - t1 < 1000, 'one-shot answers at once');
  assert.equal(one.name, '/busy');
  assert.equal(one.id, id);
  assert.ok(one.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(one.cpu_stats.cpu_usage.total_usage >= one.precpu_stats.cpu_usage.total_usage);
  assert.ok(one.cpu_stats.system_cpu_usage > 0);
  assert.ok(one.cpu_stats.online_cpus >= 1);
  assert.ok(one.memory_stats.usage > 0);
  assert.equal(one.memory_stats.limit, 64 * 1024 * 1024);
  assert.ok('total_inactive_file' in one.memory_stats.stats || 'inactive_file' in one.memory_stats.stats);
  assert.equal(one.pids_stats.current, 1);
  // On the default bridge: eth0's counters, in Docker's field names (lo left out).
  const nets = one.networks as Record<string, Record<string, number>> | undefined;
  assert.deepEqual(Object.keys(nets ?? {}), ['eth0']);
  assert.deepEqual(Object.keys(nets!.eth0!).sort(), ['rx_bytes', 'rx_dropped', 'rx_errors', 'rx_packets', 'tx_bytes', 'tx_dropped', 'tx_errors', 'tx_packets']);
  await ok('rm', '-f', 'busy');
});

test('pause and unpause freeze the container; ps and inspect show it paused; exec is refused meanwhile', async () => {
  await ok('run', '-d', '--name', 'frozen', 'busybox', 'sleep', '1000');
  assert.equal(await ok('pause', 'frozen'), 'frozen\n');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'frozen'), 'paused true true\n');
  assert.match(await ok('ps', '--format', '{{.Names}} {{.Status}}'), /^frozen Up .* \(Paused\)$/m);
  assert.match(await ok('ps', '-a', '--filter', 'status=paused', '--format', '{{.Names}}'), /^frozen$/m);
  const pid = (await ok('inspect', '-f', '{{.State.Pid}}', 'frozen')).trim();
  const { readFile } = await import('node:fs/promises');
  assert.match(await readFile(`/proc/${pid}/status`, 'utf8'), /^State:\s+D|^State:\s+S/m);
  const ex = await docker('exec', 'frozen', 'true');
  assert.equal(ex.code, 1);
  assert.match(ex.stderr, /is paused, unpause the container before exec/);
  const again = await docker('pause', 'frozen');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /is already paused/);
  assert.equal(await ok('unpause', 'frozen'), 'frozen\n');
  assert.equal(await ok('inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'frozen'), 'running false\n');
  assert.equal(await ok('exec', 'frozen', 'echo', 'thawed'), 'thawed\n');
  // rm -f of a paused container kills it too.
  await ok('pause', 'frozen');
  assert.equal(await ok('rm', '-f', 'frozen'), 'frozen\n');
});

test('rename, ps -q / --no-trunc / -s sizes, container prune, and info counts', async () => {
  const id = (await ok('run', '-d', '--name', 'before', 'busybox', 'sleep', '1000')).trim();
  await ok('rename', 'before', 'after');
  assert.equal(await ok('inspect', '-f', '{{.Name}}', id), '/after\n');
  assert.equal((await docker('inspect', 'before')).code, 1);
  const taken = (await ok('create', '--name', 'other', 'busybox', 'true')).trim();
  const clash = await docker('rename', 'after', 'other');
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, new RegExp(`Conflict\\. The container name "/other" is already in use by container "${taken}"`));

  assert.equal(await ok('ps', '-q'), `${id.slice(0, 12)}\n`);
  assert.equal(await ok('ps', '-q', '--no-trunc'), `${id}\n`);
  assert.match(await ok('ps', '--no-trunc', '--format', '{{.ID}} {{.Command}}'), new RegExp(`^${id} "sleep 1000"$`, 'm'));

  const sizeOf = async (): Promise<string> => (await ok('ps', '-s', '--filter', 'name=after', '--format', '{{.Size}}')).trim();
  assert.match(await sizeOf(), /^0B \(virtual [\d.]+[kM]B\)$/);
  await ok('exec', 'after', 'sh', '-c', 'head -c 100000 /dev/zero > /big');
  const grown = await sizeOf();
  assert.match(grown, /^100kB \(virtual [\d.]+[kM]B\)$/, grown);
  const header = (await ok('ps', '-s')).split('\n')[0]!;
  assert.match(header, /SIZE$/);
  const sized = JSON.parse(await ok('inspect', '-s', '-f', '{{json .SizeRw}} {{json .SizeRootFs}}', 'after').then((s) => `[${s.trim().replace(' ', ',')}]`)) as number[];
  assert.equal(sized[0], 100000);
  assert.ok(sized[1]! > 100000);

  await ok('run', '--name', 'done1', 'busybox', 'true');
  const info = JSON.parse(await ok('info', '--format', '{{json .}}')) as Record<string, number>;
  assert.deepEqual([info.Containers, info.ContainersRunning, info.ContainersPaused, info.ContainersStopped], [3, 1, 0, 2]);

  const pruned = await ok('container', 'prune', '-f');
  assert.match(pruned, /^Deleted Containers:\n/);
  assert.ok(pruned.includes(taken));
  assert.match(pruned, /Total reclaimed space: /);
  assert.equal(await ok('ps', '-aq', '--no-trunc'), `${id}\n`, 'prune keeps the running container');
  await ok('rm', '-f', 'after');
});

test('ps --filter before=/since=: created before or after the named container; unknown names and states refused', async () => {
  for (const n of ['order-a', 'order-b', 'order-c']) {
    await ok('create', '--name', n, 'busybox', 'true');
    await new Promise((r) => setTimeout(r, 5)); // distinct creation times
  }
  const names = async (...f: string[]): Promise<string> => (await ok('ps', ...f.flatMap((x) => ['--filter', x]), '--filter', 'name=order-', '--format', '{{.Names}}')).trim();
  assert.equal(await names('before=order-c'), 'order-b\norder-a');
  assert.equal(await names('since=order-a'), 'order-c\norder-b');
  assert.equal(await names('since=order-a', 'before=order-c'), 'order-b');
  const missing = await docker('ps', '--filter', 'before=nope');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container: nope/);
  const state = await docker('ps', '--filter', 'status=sleepy');
  assert.notEqual(state.code, 0);
  assert.match(state.stderr, /invalid filter 'status=sleepy'/);
  await ok('rm', 'order-a', 'order-b', 'order-c');
});

test('stats: networks counts the container\'s interfaces (eth0 on the bridge; none with --network none or host)', async () => {
  await ok('run', '-d', '--name', 'talker', 'busybox', 'sleep', '1000');
  await ok('run', '-d', '--name', 'quiet', '--network', 'none', 'busybox', 'sleep', '1000');
  await ok('run', '-d', '--name', 'hosty', '--network', 'host', 'busybox', 'sleep', '1000');
  try {
    const gw = (await ok('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}', 'talker')).trim();
    assert.match(gw, /^\d+\.\d+\.\d+\.\d+$/);
    await ok('exec', 'talker', 'ping', '-c', '3', '-W', '2', gw);
    const stats = async (name: string): Promise<{ networks?: Record<string, { rx_bytes: number; tx_packets: number }> }> => {
      const r = await run('curl', ['-sf', '--unix-socket', s.d.socket, `http://x/v1.45/containers/${name}/stats?stream=0&one-shot=1`]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { networks?: Record<string, { rx_bytes: number; tx_packets: number }> };
    };
    const nets = (await stats('talker')).networks;
    assert.deepEqual(Object.keys(nets ?? {}), ['eth0']);
    assert.ok(nets!.eth0!.tx_packets >= 3 && nets!.eth0!.rx_bytes > 0, JSON.stringify(nets));
    assert.doesNotMatch(await ok('stats', '--no-stream', '--format', '{{.NetIO}}', 'talker'), /^0B \/ 0B$/m);
    assert.equal((await stats('quiet')).networks, undefined);
    assert.equal((await stats('hosty')).networks, undefined);
  } finally {
    await ok('rm', '-f', 'talker', 'quiet', 'hosty');
  }
});

test('system df counts containers and their writable layers (and -v lists them)', async () => {
  await ok('run', '-d', '--name', 'dfc', '--network', 'none', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /x; sleep 1000');
  try {
    for (let i = 0; i < 50 && !(await ok('exec', 'dfc', 'ls', '/x')).includes('/x'); i++) await new Promise((r) => setTimeout(r, 100));
    const rows = (await ok('system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}')).split('\n');
    const row = rows.find((r) => r.startsWith('Containers|'));
    assert.ok(row !== undefined, rows.join('\n'));
    const [, total, active, size] = row.split('|');
    assert.ok(Number(total) >= 1 && Number(active) >= 1, row);
    assert.match(size!, /^\d+(\.\d+)?kB$/, row);
    assert.match(await ok('system', 'df', '-v'), /\n[0-9a-f]{12}\s+busybox\s+.*\s+dfc\n/);
  } finally {
    await ok('rm', '-f', 'dfc');
  }
});
