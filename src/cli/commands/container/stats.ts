/**
 * `stats` (docker/cli cli/command/container/stats.go, stats_helpers.go, formatter/stats.go): the
 * daemon's stats JSON turned into docker's columns (CPU %, MEM USAGE / LIMIT, NET I/O …); with
 * --no-stream one table, otherwise redrawn every second until interrupted.
 *
 * @module
 */
import { jsonLines } from '../../../client/client.js';
import { containerList, containerStats } from '../../../client/containers.js';
import { messageOf } from '../../../errdefs/index.js';
import { defineCommand, type CliContext } from '../../command.js';
import { daemonError } from '../../errors.js';
import { renderFormat } from '../../format/render.js';
import { bytesSize, humanSizeWithPrecision, truncateId } from '../../format/units.js';
import { sprintf, Float64 } from '../../../template/index.js';
import { FORMAT_HELP } from './ps.js';

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const STATS_HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsJson {
  name?: string;
  id?: string;
  read?: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op: string; value: number }> | null };
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

export interface StatsRow {
  BlockIO: string;
  CPUPerc: string;
  Container: string;
  ID: string;
  MemPerc: string;
  MemUsage: string;
  Name: string;
  NetIO: string;
  PIDs: string;
}

const pct = (v: number): string => `${sprintf('%.2f', [new Float64(v)])}%`;

/** One row from one stats sample (docker's calculateCPUPercentUnix, calculateMemUsageUnixNoCache …). */
export function statsRow(container: string, s: StatsJson, o: { trunc: boolean }): StatsRow {
  const cpu = s.cpu_stats;
  const pre = s.precpu_stats;
  let cpuPercent = 0;
  if (cpu && pre) {
    const cpuDelta = cpu.cpu_usage.total_usage - pre.cpu_usage.total_usage;
    const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
    const online = cpu.online_cpus || cpu.cpu_usage.percpu_usage?.length || 0;
    if (systemDelta > 0 && cpuDelta > 0) cpuPercent = (cpuDelta / systemDelta) * online * 100;
  }
  const m = s.memory_stats ?? {};
  let mem = m.usage ?? 0;
  const st = m.stats ?? {};
  // cgroup v1 reports total_inactive_file, v2 inactive_file: page cache is not counted.
  const inactive = st.total_inactive_file ?? st.inactive_file;
  if (inactive !== undefined && inactive < mem) mem -= inactive;
  const limit = m.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    else if (op === 'write') write += e.value;
  }
  const id = s.id ?? '';
  return {
    BlockIO: `${humanSizeWithPrecision(read, 3)} / ${humanSizeWithPrecision(write, 3)}`,
    CPUPerc: pct(cpuPercent),
    Container: container,
    ID: o.trunc ? truncateId(id) : id,
    MemPerc: pct(limit !== 0 ? (mem / limit) * 100 : 0),
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    Name: (s.name ?? '').replace(/^\//, '') || '--',
    NetIO: `${humanSizeWithPrecision(rx, 3)} / ${humanSizeWithPrecision(tx, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

async function oneSample(ctx: CliContext, name: string): Promise<StatsJson> {
  const body = await containerStats(ctx.client(), name, { stream: false });
  for await (const s of jsonLines<StatsJson>(body)) return s;
  throw new Error(`no stats for ${name}`);
}

export const statsCommand = defineCommand({
  path: ['container', 'stats'],
  aliases: [['stats']],
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
    { name: 'format', type: 'string', description: FORMAT_HELP, valueName: 'string' },
    { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
  ] as const,
  async run(ctx, v, args) {
    const format = v.format === '' || v.format === 'table' ? DEFAULT_FORMAT : v.format;
    let names = args;
    if (names.length === 0) names = (await containerList(ctx.client(), { all: v.all })).map((c) => c.Id);
    const render = (rows: StatsRow[]): string => renderFormat({ format, items: rows, headers: STATS_HEADERS });
    if (v['no-stream']) {
      const rows: StatsRow[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try {
          rows.push(statsRow(n, await oneSample(ctx, n), { trunc: !v['no-trunc'] }));
        } catch (err) {
          errors.push(daemonError(err) ?? messageOf(err));
        }
      }
      if (errors.length > 0) {
        ctx.io.stderr.write(`${errors.join('\n')}\n`);
        return 1;
      }
      ctx.io.stdout.write(render(rows));
      return 0;
    }
    const latest = new Map<string, StatsRow>(names.map((n) => [n, statsRow(n, {}, { trunc: true })]));
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    const tty = (ctx.io.stdout as { isTTY?: boolean }).isTTY === true;
    const readers = names.map(async (n) => {
      const body = await containerStats(ctx.client(), n, { stream: true, signal: abort.signal });
      for await (const s of jsonLines<StatsJson>(body)) latest.set(n, statsRow(n, s, { trunc: !v['no-trunc'] }));
    });
    const failed = Promise.allSettled(readers);
    try {
      while (!abort.signal.aborted) {
        await new Promise((r) => setTimeout(r, 1000));
        if (abort.signal.aborted) break;
        ctx.io.stdout.write(`${tty ? '\x1b[2J\x1b[H' : ''}${render([...latest.values()])}`);
      }
    } finally {
      process.off('SIGINT', stop);
      abort.abort();
      await failed;
    }
    return 0;
  },
});
