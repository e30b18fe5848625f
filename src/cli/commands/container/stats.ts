/**
 * `stats` (docker/cli cli/command/container/stats.go, stats_helpers.go, formatter_stats.go): the
 * daemon's stats JSON turned into docker's columns (CPU %, MEM USAGE / LIMIT, NET I/O …); with
 * --no-stream one table, otherwise redrawn every 500 ms until interrupted.
 *
 * Without container arguments the table follows the daemon: it starts from the container list
 * and the container events (subscribed to first, so no start is missed) add the containers that
 * start (with -a also those created) and drop those that die (without -a). As docker 28, -a never
 * drops a row: a removed container's row stays, its numbers `--`.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventMessage } from '../../../api/types.js';
import type { EngineClient } from '../../../client/client.js';
import { containerList } from '../../../client/containers.js';
import { defineCommand } from '../../command.js';
import { renderFormat } from '../../format/render.js';
import { collectStats, type CollectedStats } from './stats-collect.js';
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
export function statsRow(container: string, s: StatsJson, o: { trunc: boolean; invalid?: boolean }): StatsRow {
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
  const row = {
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
  if (!o.invalid) return row;
  // The numbers are unknown (no sample yet, an error, a removed container): docker prints `--`.
  return { ...row, BlockIO: '--', CPUPerc: '--', MemPerc: '--', MemUsage: '-- / --', NetIO: '--', PIDs: '--' };
}

/**
 * What one redraw writes: docker 28's bytes. Its buffer holds the cursor-home sequence and the
 * table, and it then appends that same text again line by line, each line followed by " " and
 * erase-to-end-of-line, and ends with erase-below. A terminal shows the table once; the same
 * bytes keep output piped from either CLI alike.
 */
export function redrawFrame(table: string): string {
  const text = `\x1b[H${table}`;
  return `${text}${text.split('\n').map((line) => `${line} \x1b[K\n`).join('')}\x1b[J`;
}

/** docker's container-event handlers: which events add a row and which drop one. */
function followEvents(
  client: EngineClient,
  o: { all: boolean; signal: AbortSignal; add: (id: string) => void; remove: (id: string) => void },
): { subscribed: Promise<void>; ended: Promise<void> } {
  let onSubscribed!: () => void;
  const subscribed = new Promise<void>((resolve) => (onSubscribed = resolve));
  const onEvent = (e: EventMessage): void => {
    const id = e.Actor.ID.slice(0, 12);
    if (id === '') return;
    if (e.Action === 'start' || (e.Action === 'create' && o.all)) o.add(id);
    else if (e.Action === 'die' && !o.all) o.remove(id);
  };
  const ended = client.events({ filters: new Map([['type', ['container']]]), signal: o.signal, onSubscribed }, onEvent);
  return { subscribed, ended };
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
    const stream = !v['no-stream'];
    const client = ctx.client();
    // Rows in the order they came: the list's, then each event's; a dropped row's request ends.
    const rows = new Map<string, CollectedStats>();
    const add = (container: string): void => {
      if (!rows.has(container)) rows.set(container, collectStats(client, container, { stream }));
    };
    const remove = (container: string): void => {
      rows.get(container)?.stop();
      rows.delete(container);
    };
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    let events: Promise<void> | undefined;
    let eventsEnded = false;
    try {
      if (args.length === 0) {
        const follow = followEvents(client, { all: v.all, signal: abort.signal, add, remove });
        // As docker, a daemon that goes away (its event stream cut) ends the command after one
        // more redraw, with no error; a failure to subscribe is reported by the race below.
        events = follow.ended.then(
          () => void (eventsEnded = true),
          () => void (eventsEnded = true),
        );
        // Subscribed before listing, so that a container starting in between is not missed.
        await Promise.race([follow.subscribed, follow.ended]);
        for (const c of await containerList(client, { all: v.all })) add(c.Id.slice(0, 12));
        await Promise.all([...rows.values()].map((r) => r.first));
      } else {
        for (const name of args) add(name);
        await Promise.all([...rows.values()].map((r) => r.first));
        const errors = [...rows.values()].flatMap((r) => (r.error === undefined ? [] : [r.error]));
        if (errors.length > 0) {
          ctx.io.stderr.write(`${errors.join('\n')}\n`);
          return 1;
        }
      }
      const table = (): string =>
        renderFormat({
          format,
          items: [...rows.values()].map((r) => statsRow(r.container, r.sample ?? {}, { trunc: !v['no-trunc'], invalid: r.invalid })),
          headers: STATS_HEADERS,
        });
      if (!stream) {
        ctx.io.stdout.write(table());
        return 0;
      }
      while (!abort.signal.aborted) {
        try {
          await sleep(500, undefined, { signal: abort.signal });
        } catch (err) {
          if (abort.signal.aborted) break;
          throw err;
        }
        ctx.io.stdout.write(redrawFrame(table()));
        if (eventsEnded) break;
      }
      return 0;
    } finally {
      process.off('SIGINT', stop);
      abort.abort();
      for (const r of rows.values()) r.stop();
      await events;
    }
  },
});
