/**
 * Container resource usage in Docker's stats JSON (moby api/types/container StatsResponse), read
 * from the container's cgroups: v1 (cpuacct, cpu, memory, pids, blkio controllers, each at the
 * path /proc/<pid>/cgroup names) or the unified v2 hierarchy.
 *
 * Docker fills `precpu_stats` by sampling twice, one second apart. Here every sample taken is
 * remembered per container, so a one-shot or non-streaming request answers at once with the
 * previous sample as `precpu_stats` (and a first request ever samples twice, 100 ms apart).
 */
import { readNetworkStats, type InterfaceStats } from '../network/net-dev.js';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { isErrno } from '../errdefs/index.js';

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface StatsResponse {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioEntry[] | null;
    io_serviced_recursive: BlkioEntry[] | null;
    io_queue_recursive: BlkioEntry[] | null;
    io_service_time_recursive: BlkioEntry[] | null;
    io_wait_time_recursive: BlkioEntry[] | null;
    io_merged_recursive: BlkioEntry[] | null;
    io_time_recursive: BlkioEntry[] | null;
    sectors_recursive: BlkioEntry[] | null;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; failcnt?: number; limit?: number; stats?: Record<string, number> };
  /** Per interface, lo excepted; absent without a network (as Docker). */
  networks?: Record<string, InterfaceStats>;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const NS_PER_TICK = 1e9 / 100; // USER_HZ is 100 on Linux.

function emptyCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

/** A zeroed answer, for a container that is not running (Docker's shape with nothing measured). */
export function emptyStats(name: string, id: string): StatsResponse {
  return {
    name,
    id,
    read: ZERO_TIME,
    preread: ZERO_TIME,
    pids_stats: {},
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: emptyCpu(),
    precpu_stats: emptyCpu(),
    memory_stats: {},
  };
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR', 'ENODEV', 'EINVAL', 'ESRCH')) return undefined;
    throw err;
  }
}

async function readNumber(path: string): Promise<number | undefined> {
  const t = (await readText(path))?.trim();
  if (t === undefined || t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && k !== '' && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** `/proc/stat`'s first line in nanoseconds: Docker's system_cpu_usage. */
export async function systemCpuUsage(): Promise<number> {
  const line = ((await readText('/proc/stat')) ?? '').split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((s, v) => s + Number(v), 0);
  return ticks * NS_PER_TICK;
}

/** Controller → directory, from /proc/<pid>/cgroup; `unified` on a v2 host. */
export async function cgroupDirs(pid: number, root: string): Promise<{ unified?: string; v1: Map<string, string> } | undefined> {
  const text = await readText(`/proc/${pid}/cgroup`);
  if (text === undefined) return undefined;
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (m === null) continue;
    const [, controllers, path] = m as unknown as [string, string, string];
    if (controllers === '') {
      unified = join(root, path);
      continue;
    }
    for (const c of controllers.split(',')) v1.set(c, join(root, controllers, path));
  }
  return v1.size > 0 ? { v1 } : unified !== undefined ? { unified, v1 } : undefined;
}

function blkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m !== null) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

interface Sample {
  at: Date;
  cpu: CpuStats;
}

export class StatsCollector {
  readonly #last = new Map<string, Sample>();
  readonly #root: string;

  constructor(o: { cgroupRoot?: string } = {}) {
    this.#root = o.cgroupRoot ?? '/sys/fs/cgroup';
  }

  forget(id: string): void {
    this.#last.delete(id);
  }

  /**
   * One reading for the container whose init is `pid`, with the previous reading (remembered, or
   * taken now and `firstDelayMs` earlier when there is none) as precpu.
   */
  async read(o: { id: string; name: string; pid: number; firstDelayMs?: number; hostNetwork?: boolean }): Promise<StatsResponse> {
    let prev = this.#last.get(o.id);
    if (prev === undefined) {
      const first = await this.#sample(o.pid);
      if (first === undefined) return emptyStats(o.name, o.id);
      prev = first.sample;
      await new Promise((r) => setTimeout(r, o.firstDelayMs ?? 100));
    }
    const cur = await this.#sample(o.pid);
    if (cur === undefined) return emptyStats(o.name, o.id);
    this.#last.set(o.id, cur.sample);
    const rest = { ...cur.rest };
    // The host's own interfaces are not the container's to report (Docker shows none).
    if (o.hostNetwork === true) delete rest.networks;
    return {
      ...rest,
      name: o.name,
      id: o.id,
      read: cur.sample.at.toISOString(),
      preread: prev.at.toISOString(),
      cpu_stats: cur.sample.cpu,
      precpu_stats: prev.cpu,
    };
  }

  async #sample(pid: number): Promise<{ sample: Sample; rest: Omit<StatsResponse, 'name' | 'id' | 'read' | 'preread' | 'cpu_stats' | 'precpu_stats'> } | undefined> {
    const dirs = await cgroupDirs(pid, this.#root);
    if (dirs === undefined) return undefined;
    const at = new Date();
    const base = emptyStats('', '');
    const cpu = emptyCpu();
    cpu.system_cpu_usage = await systemCpuUsage();
    cpu.online_cpus = os.cpus().length;
    const mem: StatsResponse['memory_stats'] = {};
    const pids: StatsResponse['pids_stats'] = {};
    const hostMemory = os.totalmem();
    if (dirs.unified !== undefined) {
      const u = dirs.unified;
      const cs = keyValues(await readText(join(u, 'cpu.stat')));
      cpu.cpu_usage = { total_usage: (cs.usage_usec ?? 0) * 1000, usage_in_kernelmode: (cs.system_usec ?? 0) * 1000, usage_in_usermode: (cs.user_usec ?? 0) * 1000 };
      cpu.throttling_data = { periods: cs.nr_periods ?? 0, throttled_periods: cs.nr_throttled ?? 0, throttled_time: (cs.throttled_usec ?? 0) * 1000 };
      const usage = await readNumber(join(u, 'memory.current'));
      if (usage !== undefined) mem.usage = usage;
      mem.limit = Math.min(hostMemory, (await readNumber(join(u, 'memory.max'))) ?? hostMemory);
      mem.stats = keyValues(await readText(join(u, 'memory.stat')));
      const cur = await readNumber(join(u, 'pids.current'));
      if (cur !== undefined) pids.current = cur;
      const lim = await readNumber(join(u, 'pids.max'));
      if (lim !== undefined) pids.limit = lim;
    } else {
      const v1 = dirs.v1;
      const acct = v1.get('cpuacct');
      if (acct !== undefined) {
        const percpu = ((await readText(join(acct, 'cpuacct.usage_percpu'))) ?? '').trim().split(/\s+/).filter((x) => x !== '').map(Number);
        const st = keyValues(await readText(join(acct, 'cpuacct.stat')));
        cpu.cpu_usage = {
          total_usage: (await readNumber(join(acct, 'cpuacct.usage'))) ?? 0,
          percpu_usage: percpu,
          usage_in_kernelmode: (st.system ?? 0) * NS_PER_TICK,
          usage_in_usermode: (st.user ?? 0) * NS_PER_TICK,
        };
      }
      const cpuDir = v1.get('cpu');
      if (cpuDir !== undefined) {
        const t = keyValues(await readText(join(cpuDir, 'cpu.stat')));
        cpu.throttling_data = { periods: t.nr_periods ?? 0, throttled_periods: t.nr_throttled ?? 0, throttled_time: t.throttled_time ?? 0 };
      }
      const m = v1.get('memory');
      if (m !== undefined) {
        const usage = await readNumber(join(m, 'memory.usage_in_bytes'));
        if (usage !== undefined) mem.usage = usage;
        const max = await readNumber(join(m, 'memory.max_usage_in_bytes'));
        if (max !== undefined) mem.max_usage = max;
        const failcnt = await readNumber(join(m, 'memory.failcnt'));
        if (failcnt !== undefined) mem.failcnt = failcnt;
        // Unlimited is a huge number in v1: Docker reports the host's memory instead.
        mem.limit = Math.min(hostMemory, (await readNumber(join(m, 'memory.limit_in_bytes'))) ?? hostMemory);
        mem.stats = keyValues(await readText(join(m, 'memory.stat')));
      }
      const p = v1.get('pids');
      if (p !== undefined) {
        const cur = await readNumber(join(p, 'pids.current'));
        if (cur !== undefined) pids.current = cur;
        const lim = await readNumber(join(p, 'pids.max'));
        if (lim !== undefined) pids.limit = lim;
      }
      const b = v1.get('blkio');
      if (b !== undefined) {
        base.blkio_stats.io_service_bytes_recursive = blkio(await readText(join(b, 'blkio.throttle.io_service_bytes_recursive')));
        base.blkio_stats.io_serviced_recursive = blkio(await readText(join(b, 'blkio.throttle.io_serviced_recursive')));
      }
    }
    const networks = await readNetworkStats(pid);
    return {
      sample: { at, cpu },
      rest: { pids_stats: pids, blkio_stats: base.blkio_stats, num_procs: 0, storage_stats: {}, memory_stats: mem, ...(networks !== undefined ? { networks } : {}) },
    };
  }
}
