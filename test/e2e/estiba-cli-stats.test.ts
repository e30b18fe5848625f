/**
 * `estiba stats` streaming, side by side with the docker 28 CLI on the same test estibad: the
 * table follows the daemon (containers that start are added, those that die are dropped), named
 * containers stay listed, and an unknown name is docker's error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { DOCKER_CLI_PATHS } from '../helpers/docker-peer.js';
import { ESTIBA } from '../helpers/estibad.js';
import { envWithoutDocker, run, type RunResult } from '../helpers/e2e.js';

const s = useBusyboxDaemon('estiba-cli-stats-');
const { ok, docker } = s;

const env = (): NodeJS.ProcessEnv => envWithoutDocker({ DOCKER_HOST: s.d.host, DOCKER_CONFIG: join(s.work, 'docker-config') });
const estiba = (args: string[]): Promise<RunResult> => run(process.execPath, [ESTIBA, ...args], { env: env(), timeoutMs: 30_000 });

/** How long a container may take to show up in (or leave) the table: samples come each second, redraws each 500 ms. */
const WAIT_MS = 30_000;
const REDRAW_END = '\x1b[J';

/** A streaming `stats` run: its output cut into redraws, each redraw's table lines. */
interface Follower {
  readonly label: string;
  /** The raw bytes of every complete redraw so far. */
  frames(): string[];
  /** The first redraw at or after `from` whose table lines satisfy `pred`; its index. */
  waitFor(what: string, pred: (lines: string[]) => boolean, from?: number): Promise<number>;
  /** Kills the run (SIGKILL: docker 28's stats ignores a single SIGINT or SIGTERM) and returns its stderr. */
  kill(): Promise<string>;
}

/** A redraw's table: the text between the first cursor-home and the second (docker writes it twice). */
function tableLines(frame: string): string[] {
  return (frame.split('\x1b[H')[1] ?? '').split('\n').filter((l) => l !== '');
}

function follow(label: string, file: string, args: string[]): Follower {
  const child: ChildProcess = spawn(file, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const frames = (): string[] => out.split(REDRAW_END).slice(0, -1).map((f) => `${f}${REDRAW_END}`);
  return {
    label,
    frames,
    async waitFor(what, pred, from = 0) {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const all = frames();
        for (let i = from; i < all.length; i++) if (pred(tableLines(all[i]!))) return i;
        if (child.exitCode !== null || Date.now() > deadline) {
          const last = all.at(-1);
          assert.fail(`${label}: no redraw ${what} within ${WAIT_MS} ms (exit ${child.exitCode}); last: ${JSON.stringify(last && tableLines(last))}; stderr: ${err}`);
        }
        await sleep(100);
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      return err;
    },
  };
}

const estibaStats = (...args: string[]): Follower => follow(`estiba stats ${args.join(' ')}`, process.execPath, [ESTIBA, 'stats', ...args]);
const dockerStats = (...args: string[]): Follower => follow(`docker stats ${args.join(' ')}`, DOCKER_CLI_PATHS.docker28, ['stats', ...args]);

/** Runs `body` with the followers, killing them whatever happens. */
async function withFollowers(fs: Follower[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    for (const f of fs) await f.kill();
  }
}

const hasName = (name: string) => (lines: string[]): boolean => lines.some((l) => l.split(/\s+/).includes(name));

test('stats without arguments follows the daemon: a container started after it began is added, one removed is dropped; as docker 28', async (t) => {
  t.after(async () => void (await docker('rm', '-f', 'sf-early', 'sf-late')));
  await ok('run', '-d', '--name', 'sf-early', 'busybox', 'sleep', '300');
  const table = estibaStats();
  const names = estibaStats('--format', '{{.Name}}');
  const dockerNames = dockerStats('--format', '{{.Name}}');
  const all = [table, names, dockerNames];
  await withFollowers(all, async () => {
    const seen = await Promise.all(all.map((f) => f.waitFor('with sf-early', hasName('sf-early'))));

    // The default table, redrawn as docker 28 redraws it.
    const first = tableLines(table.frames()[seen[0]!]!);
    assert.match(first[0]!, /^CONTAINER ID {3}NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    assert.match(first.find((l) => l.includes('sf-early'))!, /^[0-9a-f]{12} {3}sf-early +\d+\.\d\d% +[\d.]+[KMG]?i?B \/ [\d.]+[KMG]?i?B +\d+\.\d\d% +\S+ \/ \S+ +\S+ \/ \S+ +1$/);
    // The same bytes as docker's: the table, then again line by line with erase-line, then erase-below.
    const alone = '\x1b[Hsf-early\n\x1b[Hsf-early \x1b[K\n \x1b[K\n\x1b[J';
    assert.ok(names.frames().includes(alone), `estiba redraws as ${JSON.stringify(alone)}: ${JSON.stringify(names.frames()[0])}`);
    assert.ok(dockerNames.frames().includes(alone), `docker redraws as ${JSON.stringify(alone)}: ${JSON.stringify(dockerNames.frames()[0])}`);

    await ok('run', '-d', '--name', 'sf-late', 'busybox', 'sleep', '300');
    const added = await Promise.all(all.map((f) => f.waitFor('with sf-late', (l) => hasName('sf-late')(l) && hasName('sf-early')(l))));
    await ok('rm', '-f', 'sf-late');
    await Promise.all(all.map((f, i) => f.waitFor('without sf-late again', (l) => !hasName('sf-late')(l) && hasName('sf-early')(l), added[i]! + 1)));
  });
});

test('stats -a also follows created containers and, as docker 28, keeps a removed one\'s row with -- for its numbers', async (t) => {
  t.after(async () => void (await docker('rm', '-f', 'sf-a-run', 'sf-a-created')));
  await ok('run', '-d', '--name', 'sf-a-run', 'busybox', 'sleep', '300');
  const fmt = ['-a', '--format', '{{.Name}} {{.CPUPerc}} {{.PIDs}}'];
  const all = [estibaStats(...fmt), dockerStats(...fmt)];
  await withFollowers(all, async () => {
    await Promise.all(all.map((f) => f.waitFor('with sf-a-run', (l) => l.includes('sf-a-run 0.00% 1'))));
    await ok('create', '--name', 'sf-a-created', 'busybox', 'true');
    // Never started: it streams empty readings, shown as zeros.
    const created = await Promise.all(all.map((f) => f.waitFor('with sf-a-created at zero', (l) => l.includes('sf-a-created 0.00% 0') && l.includes('sf-a-run 0.00% 1'))));
    await ok('rm', 'sf-a-created');
    await Promise.all(all.map((f, i) => f.waitFor('with sf-a-created as --', (l) => l.includes('sf-a-created -- --') && l.includes('sf-a-run 0.00% 1'), created[i]! + 1)));
  });
});

test('stats with names shows exactly those; a stopped one stays with zeros, --no-trunc prints full IDs; as docker 28', async (t) => {
  t.after(async () => void (await docker('rm', '-f', 'sf-n1', 'sf-n2', 'sf-n3')));
  await ok('run', '-d', '--name', 'sf-n1', 'busybox', 'sleep', '300');
  await ok('run', '-d', '--name', 'sf-n2', 'busybox', 'sleep', '300');
  await ok('run', '-d', '--name', 'sf-n3', 'busybox', 'sleep', '300');
  const id2 = (await ok('inspect', '-f', '{{.Id}}', 'sf-n2')).trim();
  const args = ['--no-trunc', '--format', '{{.Container}} {{.ID}} {{.Name}} {{.MemUsage}} {{.PIDs}}', 'sf-n2', 'sf-n1'];
  const all = [estibaStats(...args), dockerStats(...args)];
  await withFollowers(all, async () => {
    const both = (l: string[]): boolean =>
      l.length === 2 && l[0]!.startsWith(`sf-n2 ${id2} sf-n2 `) && l[0]!.endsWith(' 1') && /^sf-n1 [0-9a-f]{64} sf-n1 .* 1$/.test(l[1]!);
    await Promise.all(all.map((f) => f.waitFor('with sf-n2 then sf-n1, full IDs', both)));
    await ok('stop', '-t', '0', 'sf-n2');
    const stopped = (l: string[]): boolean => l.length === 2 && l[0] === `sf-n2 ${id2} sf-n2 0B / 0B 0` && l[1]!.startsWith('sf-n1 ');
    const at = await Promise.all(all.map((f) => f.waitFor('with the stopped sf-n2 at zero', stopped)));
    // It stays so: a few redraws later it is still listed, and sf-n3 never is.
    await Promise.all(all.map((f, i) => f.waitFor('still with the stopped sf-n2', stopped, at[i]! + 4)));
  });
});

test('stats with an unknown name fails as docker 28: the daemon\'s error per name, exit 1, streaming or not', async (t) => {
  t.after(async () => void (await docker('rm', '-f', 'sf-known')));
  await ok('run', '-d', '--name', 'sf-known', 'busybox', 'sleep', '300');
  for (const args of [['sf-nope'], ['sf-known', 'sf-nope', 'sf-nope2'], ['--no-stream', 'sf-known', 'sf-nope']]) {
    const want = await docker('stats', ...args);
    const got = await estiba(['stats', ...args]);
    assert.deepEqual(got, { stdout: want.stdout, stderr: want.stderr, code: want.code }, `stats ${args.join(' ')}`);
    assert.equal(got.code, 1);
    assert.match(got.stderr, /^Error response from daemon: No such container: sf-nope\n/);
  }
});
