import { InvalidParameter } from '../../errdefs/index.js';
import type { LinuxCpu, LinuxMemory, Spec } from '../runtime-spec.js';
import { resourcesOf } from './spec-opt.js';

/** Docker's HostConfig resource fields, in bytes and Docker's units. Zero or absent means "not set". */
export interface ResourceOptions {
  /** Memory limit in bytes. */
  memory?: number;
  /** Memory + swap in bytes; -1 unlimited swap. Docker's "twice the memory" default is the engine's choice. */
  memorySwap?: number;
  memoryReservation?: number;
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  /** Relative weight (Docker default 1024 when unset). */
  cpuShares?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  /** `--cpus` as 1e9 × CPUs; becomes quota over a 100 ms period unless a period is given. */
  nanoCpus?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** 0 or negative: unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
}

const DEFAULT_CPU_PERIOD = 100_000;

/** linux.resources memory, cpu, pids and blkio from Docker-style options. */
export function withResources(opts: ResourceOptions): (spec: Spec) => void {
  return (spec) => {
    if (opts.nanoCpus !== undefined && opts.nanoCpus > 0 && opts.cpuQuota !== undefined && opts.cpuQuota > 0) {
      throw new InvalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    }
    const r = resourcesOf(spec);

    const memory: LinuxMemory = {};
    if (opts.memory !== undefined && opts.memory > 0) memory.limit = opts.memory;
    if (opts.memorySwap !== undefined && opts.memorySwap !== 0) memory.swap = opts.memorySwap;
    if (opts.memoryReservation !== undefined && opts.memoryReservation > 0) memory.reservation = opts.memoryReservation;
    if (opts.memorySwappiness !== undefined && opts.memorySwappiness >= 0) memory.swappiness = opts.memorySwappiness;
    if (opts.oomKillDisable === true) memory.disableOOMKiller = true;
    if (Object.keys(memory).length > 0) r.memory = { ...r.memory, ...memory };

    const cpu: LinuxCpu = {};
    if (opts.cpuShares !== undefined && opts.cpuShares > 0) cpu.shares = opts.cpuShares;
    if (opts.nanoCpus !== undefined && opts.nanoCpus > 0) {
      const period = opts.cpuPeriod !== undefined && opts.cpuPeriod > 0 ? opts.cpuPeriod : DEFAULT_CPU_PERIOD;
      cpu.period = period;
      cpu.quota = Math.floor((opts.nanoCpus * period) / 1e9);
    } else {
      if (opts.cpuPeriod !== undefined && opts.cpuPeriod > 0) cpu.period = opts.cpuPeriod;
      if (opts.cpuQuota !== undefined && opts.cpuQuota > 0) cpu.quota = opts.cpuQuota;
    }
    if (opts.cpusetCpus !== undefined && opts.cpusetCpus !== '') cpu.cpus = opts.cpusetCpus;
    if (opts.cpusetMems !== undefined && opts.cpusetMems !== '') cpu.mems = opts.cpusetMems;
    if (Object.keys(cpu).length > 0) r.cpu = { ...r.cpu, ...cpu };

    if (opts.pidsLimit !== undefined && opts.pidsLimit > 0) r.pids = { limit: opts.pidsLimit };
    if (opts.blkioWeight !== undefined && opts.blkioWeight > 0) r.blockIO = { weight: opts.blkioWeight };
  };
}
