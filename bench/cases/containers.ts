import { readdir, readFile } from 'node:fs/promises';
import { writeBusyboxArchive } from '../../test/fixtures/images.js';
import { apiJsonOk, loadImage, removeLabelled } from '../api.js';
import { readGroup } from '../memory.js';
import { targetOf, type BenchContext, type Benchmark, type SideName } from '../types.js';

async function withBusybox(side: SideName, ctx: BenchContext): Promise<void> {
  const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
  await loadImage(targetOf(ctx, side).socketPath, bb.path);
}

const PS_N = 200;
const PS_LABEL = 'estiba-bench=ps-a';

/** `docker ps -a` with 200 created (never started) containers. */
export const psA200: Benchmark = {
  name: 'ps-a-200',
  description: `\`docker ps -a\` listing ${PS_N} created (not running) containers`,
  runs: 10,
  async setup(side, ctx) {
    await withBusybox(side, ctx);
    const t = targetOf(ctx, side);
    await removeLabelled(t.socketPath, 'estiba-bench');
    const t0 = performance.now();
    for (let i = 0; i < PS_N; i++) {
      await apiJsonOk(t.socketPath, 'POST', `/containers/create?name=bench-ps-${i}`, {
        Image: 'busybox', Cmd: ['true'], Labels: { 'estiba-bench': 'ps-a' }, HostConfig: { NetworkMode: 'none' },
      });
    }
    const ms = performance.now() - t0;
    return `${PS_N} × POST /containers/create (sequential): ${(ms / 1000).toFixed(2)} s, ${(ms / PS_N).toFixed(1)} ms each`;
  },
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['ps', '-a', '--filter', `label=${PS_LABEL}`]);
    const rows = r.stdout.trimEnd().split('\n').length;
    if (rows !== PS_N + 1) throw new Error(`docker ps -a printed ${rows} lines, expected ${PS_N + 1}`);
    return r.seconds;
  },
  async teardown(side, ctx) {
    await removeLabelled(targetOf(ctx, side).socketPath, 'estiba-bench');
  },
};

/** 200 MiB of `a` with no newline: both engines split it into partial entries (16 KiB json-file, 8 KiB k8s-file). */
const WRITE_200MB = ['sh', '-c', "head -c 209715200 /dev/zero | tr '\\0' a"];
/** 200 MiB of 80-byte lines (2.6 million log entries): the per-line cost of each engine's logging. */
const WRITE_200MB_LINES = ['sh', '-c', "yes 'the quick brown fox jumps over the lazy dog 0123456789 the quick brown fox jump' | head -c 209715200"];
/**
 * 200 MiB of 16-byte lines (13 million log entries): dockerd's per-line cost dominates, as in the
 * figures issue 3 quotes for dockerd here (≈ 20 s to write, ≈ 105 s, 2 MB/s, to read back).
 */
const WRITE_200MB_SHORT_LINES = ['sh', '-c', "yes '0123456789abcde' | head -c 209715200"];
/** Unbounded on both sides (max-size far above 200 MB), so the read-back has the same 200 MB to read. */
const LOG_OPTS = ['--log-opt', 'max-size=1g', '--network', 'none', '--label', 'estiba-bench=logs'];

interface LogWorkload { suffix: string; what: string; writer: string[]; slow?: boolean }
const NO_NEWLINES: LogWorkload = { suffix: '', what: '200 MiB to stdout (no newlines)', writer: WRITE_200MB };
const LINES: LogWorkload = { suffix: '-lines', what: '200 MiB of 80-byte lines to stdout', writer: WRITE_200MB_LINES };
const SHORT_LINES: LogWorkload = { suffix: '-short-lines', what: '200 MiB of 16-byte lines to stdout', writer: WRITE_200MB_SHORT_LINES, slow: true };

/**
 * A container writing 200 MB to stdout, from `docker run -d` until `docker wait` returns. With
 * `logDriver: 'none'` (the `:no-log` variants) nothing is stored: the floor of each engine's
 * stdout path (the writer itself and the monitor reading its pipe).
 */
function stdoutCase(w: LogWorkload, o: { logDriver?: 'none' } = {}): Benchmark {
  const logOpts = o.logDriver === 'none' ? ['--log-driver', 'none', ...LOG_OPTS.slice(2)] : LOG_OPTS;
  return {
    name: `stdout-200mb${w.suffix}${o.logDriver === 'none' ? ':no-log' : ''}`,
    ...(w.slow === true ? { maxWarmup: 0 } : {}),
    description: `\`docker run -d\` of a container writing ${w.what}${o.logDriver === 'none' ? ' with `--log-driver none`' : ''}, then \`docker wait\`: wall time until it exited${o.logDriver === 'none' ? '' : ' (the log written)'}`,
    runs: 3,
    settle: true,
    setup: withBusybox,
    async run(side, ctx) {
      const t = targetOf(ctx, side);
      const t0 = performance.now();
      const id = (await t.docker(['run', '-d', ...logOpts, 'busybox', ...w.writer])).stdout.trim();
      const code = (await t.docker(['wait', id])).stdout.trim();
      const seconds = (performance.now() - t0) / 1000;
      if (code !== '0') throw new Error(`the writer exited ${code}`);
      await t.docker(['rm', '-f', id]);
      return seconds;
    },
  };
}

/** `docker logs` of that container's 200 MB log, to /dev/null. */
function logsCase(w: LogWorkload): Benchmark {
  const name = `bench-logs-200mb${w.suffix}`;
  return {
    name: `logs-200mb${w.suffix}`,
    ...(w.slow === true ? { maxWarmup: 0 } : {}),
    description: `\`docker logs\` of a container that wrote ${w.what} (written once, untimed), output to /dev/null`,
    runs: 3,
    settle: true,
    async setup(side, ctx) {
      await withBusybox(side, ctx);
      const t = targetOf(ctx, side);
      await t.docker(['rm', '-f', name], { allowFail: true });
      await t.docker(['run', '-d', '--name', name, ...LOG_OPTS, 'busybox', ...w.writer]);
      await t.docker(['wait', name]);
    },
    async run(side, ctx) {
      const r = await targetOf(ctx, side).docker(['logs', name], { discardStdout: true });
      return r.seconds;
    },
    async teardown(side, ctx) {
      await targetOf(ctx, side).docker(['rm', '-f', name]);
    },
  };
}

export const stdout200mb = stdoutCase(NO_NEWLINES);
export const logs200mb = logsCase(NO_NEWLINES);
export const stdout200mbLines = stdoutCase(LINES);
export const logs200mbLines = logsCase(LINES);
export const stdout200mbLinesNoLog = stdoutCase(LINES, { logDriver: 'none' });
export const stdout200mbShortLines = { ...stdoutCase(SHORT_LINES), runs: 2 };
export const logs200mbShortLines = { ...logsCase(SHORT_LINES), runs: 2 };

/** The per-container monitors of these containers: conmon (`-c <id>`) or containerd-shim (`-id <id>`). */
async function monitorPids(ids: ReadonlySet<string>): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
    } catch (err) {
      void err; // exited while we looked
      continue;
    }
    const prog = argv[0]?.split('/').pop() ?? '';
    if (!prog.startsWith('conmon') && !prog.startsWith('containerd-shim')) continue;
    if (argv.some((a) => ids.has(a))) pids.push(Number(name));
  }
  return pids;
}

const RSS_N = 50;

/** Memory with 50 running containers, daemon and monitors, against the idle daemon. */
export function rss50(): Benchmark {
  const notes = new Map<SideName, string>();
  const mib = (kib: number | undefined): string => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);
  return {
    name: 'rss-50',
    description: `time to start ${RSS_N} \`docker run -d busybox sleep\` (10 at a time); the note gives VmRSS idle vs with them running: daemon(s) + per-container monitors (conmon / containerd-shim)`,
    runs: 1,
    async setup(side, ctx) {
      await withBusybox(side, ctx);
      await removeLabelled(targetOf(ctx, side).socketPath, 'estiba-bench');
    },
    async run(side, ctx) {
      const t = targetOf(ctx, side);
      const idle = await readGroup(await ctx.daemonPids(side));
      const ids: string[] = [];
      const t0 = performance.now();
      for (let i = 0; i < RSS_N; i += 10) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(10, RSS_N - i) }, () => t.docker(['run', '-d', '--network', 'none', '--label', 'estiba-bench=rss', 'busybox', 'sleep', '3600'])),
        );
        ids.push(...batch.map((r) => r.stdout.trim()));
      }
      const seconds = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 2000)); // let start-up garbage settle on both sides
      const daemons = await readGroup(await ctx.daemonPids(side));
      const monitors = await monitorPids(new Set(ids));
      const mon = await readGroup(monitors);
      const total = (daemons?.rssKiB ?? 0) + (mon?.rssKiB ?? 0);
      notes.set(side, `idle ${mib(idle?.rssKiB)}; with ${RSS_N} running: daemon(s) ${mib(daemons?.rssKiB)} + ${monitors.length} monitors ${mib(mon?.rssKiB)} = ${mib(total)}`);
      await removeLabelled(t.socketPath, 'estiba-bench');
      return seconds;
    },
    report: (side) => notes.get(side),
  };
}
