/**
 * The benchmark harness: `node dist/bench/run.js [--only name,…] [--runs N] [--warmup N] [--no-docker]`.
 *
 * Starts estibad (temp roots) and a dockerd 20.10 peer of its own (roots under
 * /run/estiba-bench and /var/lib/estiba-bench-docker, wiped before and after), then runs each
 * benchmark on both with the docker CLI 28 as the client, interleaving the sides. Prints a
 * table and writes bench/results/latest.json. If dockerd cannot start, says why and reports
 * estiba alone.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ESTIBA, REPO_ROOT, startEstibad, type EstibadProcess } from '../test/helpers/estibad.js';
import { PEER_DEFAULTS, removeDockerPeerData, startDockerPeer, type DockerPeer, type DockerPeerOptions } from '../test/helpers/docker-peer.js';
import { BENCHMARKS } from './cases/index.js';
import { cleanEnv, findDockerCli, runCli } from './cli.js';
import { readGroup, resetPeak, type MemorySample } from './memory.js';
import { formatKiB, formatRatio, formatSeconds, median, min, table } from './stats.js';
import { NotApplicable, type BenchContext, type Benchmark, type SideName, type Target } from './types.js';

/** The bench's own peer, apart from the one tests share, so a test run cannot stop it mid-benchmark. */
const PEER: DockerPeerOptions = {
  socketPath: '/run/estiba-bench/docker.sock',
  dataRoot: '/var/lib/estiba-bench-docker',
  execRoot: '/run/estiba-bench/exec',
  pidFile: '/run/estiba-bench/docker.pid',
  logFile: '/run/estiba-bench/dockerd.log',
  configFile: '/run/estiba-bench/daemon.json',
  // Its own bridge (not the shared peer's estiba-peer0), so the network cases compare like with like.
  network: 'bridge',
  bridgeName: 'estiba-bench0',
  bridgeCidr: '172.30.251.1/24',
  reuse: false,
  // For run-rm:crun, crun on both sides.
  extraArgs: ['--add-runtime', 'crun=/usr/bin/crun'],
};

/**
 * dockerd leaves its bridge and its iptables rules for it behind when it stops: remove what
 * names our bench bridge or its subnet, nothing else.
 */
async function removePeerBridge(): Promise<void> {
  const run = (args: string[]): string => {
    try {
      return execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    } catch (err) {
      void err; // Already gone.
      return '';
    }
  };
  for (const table of ['filter', 'nat']) {
    for (const rule of run(['iptables', '-t', table, '-S']).split('\n')) {
      if (!rule.startsWith('-A ') || !(rule.includes(PEER.bridgeName!) || rule.includes('172.30.251.'))) continue;
      run(['sh', '-c', `iptables -t ${table} ${rule.replace(/^-A /, '-D ')}`]);
    }
  }
  run(['ip', 'link', 'del', PEER.bridgeName!]);
}

const SIDES: readonly SideName[] = ['estiba', 'docker'];

interface SideResult {
  samples: number[];
  median?: number;
  min?: number;
  /** Why there are no (or too few) figures: n/a, or the failure. */
  error?: string;
  note?: string;
}

interface CaseResult {
  name: string;
  description: string;
  runs: number;
  sides: Partial<Record<SideName, SideResult>>;
  /** docker / estiba; > 1 means estiba is faster. */
  ratio: { median?: number; min?: number };
  /** Peak resident memory of each daemon during this benchmark (VmHWM, reset before it). */
  peakKiB: Partial<Record<SideName, number>>;
}

function usage(): never {
  process.stderr.write(
    `Usage: node dist/bench/run.js [--only name,…] [--runs N] [--warmup N] [--no-docker]\n\nBenchmarks:\n${BENCHMARKS.map((b) => `  ${b.name.padEnd(24)} ${b.description}`).join('\n')}\n`,
  );
  process.exit(2);
}

function parseCli(): { only?: string[]; runs?: number; warmup: number; docker: boolean } {
  let v;
  try {
    v = parseArgs({
      options: {
        only: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string', default: '1' },
        'no-docker': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    usage();
  }
  if (v.help) usage();
  const int = (s: string | undefined, name: string, lo: number): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < lo) {
      process.stderr.write(`--${name} must be an integer ≥ ${lo}\n`);
      usage();
    }
    return n;
  };
  const only = v.only?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const o of only ?? []) {
    if (!BENCHMARKS.some((b) => b.name === o || b.name.startsWith(`${o}:`))) {
      process.stderr.write(`unknown benchmark ${JSON.stringify(o)}\n`);
      usage();
    }
  }
  return { only, runs: int(v.runs, 'runs', 1), warmup: int(v.warmup, 'warmup', 0) ?? 1, docker: !v['no-docker'] };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    // No pid file: that process is simply not counted.
    return undefined;
  }
}

function makeTarget(o: { side: SideName; host: string; socketPath: string; workDir: string; dockerCli: string }): Target {
  const env = cleanEnv({ DOCKER_HOST: o.host, DOCKER_CONFIG: join(o.workDir, 'docker-config'), DOCKER_CLI_HINTS: 'false' });
  return {
    side: o.side,
    host: o.host,
    socketPath: o.socketPath,
    workDir: o.workDir,
    async docker(args, opts = {}) {
      const r = await runCli(o.dockerCli, args, { env, discardStdout: opts.discardStdout === true });
      if (r.code !== 0 && !opts.allowFail) throw new Error(`docker ${args.join(' ')} (${o.side}) exited ${r.code}: ${r.stderr.trim()}`);
      return r;
    },
  };
}

async function runBenchmark(
  b: Benchmark,
  ctx: BenchContext,
  o: { runs: number; warmup: number; memory: Partial<Record<SideName, () => Promise<number[]>>> },
): Promise<CaseResult> {
  const sides = SIDES.filter((s) => s === 'estiba' || b.needsDockerd === false || ctx.targets.docker !== undefined);
  const res: CaseResult = { name: b.name, description: b.description, runs: o.runs, sides: {}, ratio: {}, peakKiB: {} };
  const live = new Set<SideName>();
  const fail = (side: SideName, err: unknown, when: string): void => {
    live.delete(side);
    const r = res.sides[side]!;
    r.error = err instanceof NotApplicable ? `n/a: ${err.message}` : `${when}: ${errorText(err)}`;
  };
  for (const side of SIDES) res.sides[side] = { samples: [] };
  if (!sides.includes('docker')) res.sides.docker!.error = 'n/a: no dockerd in this run';

  for (const [side, pids] of Object.entries(o.memory)) for (const pid of await pids()) await resetPeak(pid);
  for (const side of sides) {
    try {
      const note = await b.setup?.(side, ctx);
      if (note) res.sides[side]!.note = note;
      live.add(side);
    } catch (err) {
      fail(side, err, 'setup failed');
    }
  }
  const measure = async (side: SideName): Promise<number | undefined> => {
    if (!live.has(side)) return undefined;
    if (b.settle) execFileSync('sync');
    try {
      return await b.run(side, ctx);
    } catch (err) {
      fail(side, err, 'run failed');
      return undefined;
    }
  };
  for (let i = 0; i < o.warmup; i++) for (const side of sides) await measure(side);
  for (let i = 0; i < o.runs; i++) {
    // Alternate which side goes first, so drift in machine load hits both alike.
    for (const side of i % 2 === 0 ? sides : [...sides].reverse()) {
      const s = await measure(side);
      if (s !== undefined) res.sides[side]!.samples.push(s);
    }
  }
  for (const side of sides) {
    try {
      await b.teardown?.(side, ctx);
    } catch (err) {
      process.stderr.write(`  ${b.name}: teardown on ${side} failed: ${errorText(err)}\n`);
    }
    const report = b.report?.(side);
    if (report !== undefined) res.sides[side]!.note = [res.sides[side]!.note, report].filter((x) => x !== undefined).join('; ');
  }
  for (const [side, pids] of Object.entries(o.memory) as [SideName, () => Promise<number[]>][]) {
    const m = await readGroup(await pids());
    if (m) res.peakKiB[side] = m.hwmKiB;
  }
  for (const side of SIDES) {
    const r = res.sides[side]!;
    if (r.samples.length > 0) {
      r.median = median(r.samples);
      r.min = min(r.samples);
    }
  }
  const e = res.sides.estiba!;
  const d = res.sides.docker!;
  if (e.median !== undefined && d.median !== undefined) res.ratio.median = d.median / e.median;
  if (e.min !== undefined && d.min !== undefined) res.ratio.min = d.min / e.min;
  return res;
}

async function main(): Promise<number> {
  const args = parseCli();
  const selected = BENCHMARKS.filter((b) => !args.only || args.only.some((o) => b.name === o || b.name.startsWith(`${o}:`)));
  const dockerCli = findDockerCli();
  const cliVersion = execFileSync(dockerCli, ['--version'], { env: cleanEnv() }).toString().trim();
  const base = await mkdtemp(join(tmpdir(), 'estiba-bench-'));
  const fixtures = new Map<string, Promise<{ path: string; info: unknown }>>();
  let estibad: EstibadProcess | undefined;
  let peer: DockerPeer | undefined;
  let dockerError: string | undefined;

  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await estibad?.stop();
      await estibad?.cleanup();
      if (peer) await peer.stop();
      if (args.docker) {
        await removeDockerPeerData(PEER);
        await removePeerBridge();
      }
      await rm(base, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: stopping the daemons\n');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    for (const d of ['fixtures', 'estiba/docker-config', 'docker/docker-config']) await mkdir(join(base, d), { recursive: true });
    let t0 = performance.now();
    estibad = await startEstibad();
    // estibad is not detached: should the harness die without cleanup, it must not outlive us.
    const child = estibad.child;
    process.once('exit', () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const estibadStartMs = performance.now() - t0;
    const estibadPid = estibad.child.pid!;
    const memory: Partial<Record<SideName, () => Promise<number[]>>> = {};
    const ctx: BenchContext = {
      targets: {
        estiba: makeTarget({ side: 'estiba', host: estibad.host, socketPath: estibad.socket, workDir: join(base, 'estiba'), dockerCli }),
      },
      dockerCli,
      estibaCli: ESTIBA,
      fixture<T>(name: string, make: (path: string) => Promise<T>) {
        const path = join(base, 'fixtures', name);
        let f = fixtures.get(name);
        if (!f) fixtures.set(name, (f = make(path).then((info) => ({ path, info }))));
        return f as Promise<{ path: string; info: T }>;
      },
      daemonPids: async (side) => (await memory[side]?.()) ?? [],
    };

    if (args.docker) {
      try {
        // startDockerPeer crashes the process on a missing binary (spawn's 'error' fires before
        // its listener is attached), so check first.
        await access(PEER.dockerd ?? PEER_DEFAULTS.dockerd, fsConstants.X_OK);
        await removeDockerPeerData(PEER);
        peer = await startDockerPeer(PEER);
        ctx.targets.docker = makeTarget({ side: 'docker', host: peer.host, socketPath: peer.socketPath, workDir: join(base, 'docker'), dockerCli });
      } catch (err) {
        dockerError = errorText(err);
        process.stderr.write(`\ndockerd peer unavailable, reporting estiba only:\n${dockerError}\n\n`);
      }
    } else dockerError = 'disabled with --no-docker';

    const containerdPidFile = join(PEER.execRoot!, 'containerd', 'containerd.pid');
    memory.estiba = () => Promise.resolve([estibadPid]);
    if (peer?.pid !== undefined) {
      const dockerdPid = peer.pid;
      memory.docker = async () => [dockerdPid, ...[await readPidFile(containerdPidFile)].filter((p): p is number => p !== undefined)];
    }
    const idle: Partial<Record<SideName, MemorySample>> = {};
    for (const [side, pids] of Object.entries(memory) as [SideName, () => Promise<number[]>][]) {
      const m = await readGroup(await pids());
      if (m) idle[side] = m;
    }

    const versionLine = (await ctx.targets.estiba.docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])).stdout.trim();
    const dockerLine = ctx.targets.docker
      ? (await ctx.targets.docker.docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])).stdout.trim()
      : `n/a (${dockerError})`;
    process.stdout.write(
      [
        `client: ${dockerCli} (${cliVersion})`,
        `estiba: estibad ${versionLine}, started in ${estibadStartMs.toFixed(0)} ms`,
        `docker: dockerd ${dockerLine}${peer ? `, started in ${peer.startMs.toFixed(0)} ms` : ''}`,
        `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Linux ${release()}, node ${process.version}`,
        '',
      ].join('\n'),
    );

    t0 = performance.now();
    const results: CaseResult[] = [];
    for (const b of selected) {
      const runs = args.runs ?? b.runs ?? 7;
      const warmup = Math.min(args.warmup, b.maxWarmup ?? args.warmup);
      process.stdout.write(`${b.name}: ${runs} runs per side${warmup ? ` after ${warmup} warm-up` : ''} …`);
      const c0 = performance.now();
      const r = await runBenchmark(b, ctx, { runs, warmup, memory });
      results.push(r);
      process.stdout.write(` ${((performance.now() - c0) / 1000).toFixed(1)} s\n`);
      for (const side of SIDES) {
        const s = r.sides[side]!;
        if (s.note) process.stdout.write(`  ${side}: ${s.note}\n`);
        if (s.error && !(side === 'docker' && dockerError)) process.stdout.write(`  ${side}: ${s.error}\n`);
      }
    }
    const totalS = (performance.now() - t0) / 1000;

    const final: Partial<Record<SideName, MemorySample>> = {};
    for (const [side, pids] of Object.entries(memory) as [SideName, () => Promise<number[]>][]) {
      const m = await readGroup(await pids());
      if (m) final[side] = m;
    }
    const overallPeak = (side: SideName): number | undefined => {
      const xs = [idle[side]?.hwmKiB, ...results.map((r) => r.peakKiB[side])].filter((x): x is number => x !== undefined);
      return xs.length ? Math.max(...xs) : undefined;
    };

    const cell = (s: SideResult | undefined, k: 'median' | 'min'): string => (s?.[k] !== undefined ? formatSeconds(s[k]) : 'n/a');
    process.stdout.write(
      `\n${table(
        ['benchmark', 'runs', 'estiba median', 'estiba min', 'docker median', 'docker min', 'docker/estiba'],
        results.map((r) => [
          r.name,
          String(r.runs),
          cell(r.sides.estiba, 'median'),
          cell(r.sides.estiba, 'min'),
          cell(r.sides.docker, 'median'),
          cell(r.sides.docker, 'min'),
          formatRatio(r.ratio.median),
        ]),
      )}\n(docker/estiba is the ratio of medians: > 1 means estiba is faster)\n`,
    );
    const memSides = SIDES.filter((s) => memory[s]);
    process.stdout.write(
      `\n${table(
        ['memory', ...memSides.map((s) => (s === 'estiba' ? 'estibad' : 'dockerd + containerd'))],
        [
          ['idle after start (VmHWM)', ...memSides.map((s) => formatKiB(idle[s]?.hwmKiB))],
          ...results.map((r) => [`peak during ${r.name}`, ...memSides.map((s) => formatKiB(r.peakKiB[s]))]),
          ['peak overall', ...memSides.map((s) => formatKiB(overallPeak(s)))],
          ['RSS at end (VmRSS)', ...memSides.map((s) => formatKiB(final[s]?.rssKiB))],
        ],
      )}\n(VmHWM is reset before each benchmark; for dockerd + containerd the two peaks are added, an upper bound)\n`,
    );
    process.stdout.write(`\nbenchmarks took ${totalS.toFixed(1)} s\n`);

    const out = join(REPO_ROOT, 'bench', 'results', 'latest.json');
    await mkdir(join(out, '..'), { recursive: true });
    let commit = 'unknown';
    try {
      const git = (a: string[]): string => execFileSync('git', a, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
      commit = git(['rev-parse', 'HEAD']) + (git(['status', '--porcelain', '--untracked-files=no']) === '' ? '' : '-dirty');
    } catch {
      // Not a git checkout: the commit stays unknown.
    }
    await writeFile(
      out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          commit,
          machine: { cpus: cpus().length, model: cpus()[0]?.model, kernel: release(), node: process.version },
          client: { path: dockerCli, version: cliVersion },
          estiba: { version: versionLine, startMs: estibadStartMs },
          docker: peer ? { version: dockerLine, startMs: peer.startMs } : { error: dockerError },
          warmup: args.warmup,
          totalSeconds: totalS,
          results,
          memoryKiB: Object.fromEntries(
            (['estiba', 'docker'] as const)
              .filter((s) => memory[s])
              .map((s) => [s, { idle: idle[s], peak: overallPeak(s), final: final[s] }]),
          ),
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`results: ${out}\n`);
    return results.some((r) => Object.values(r.sides).some((s) => s.error && !s.error.startsWith('n/a'))) ? 1 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
