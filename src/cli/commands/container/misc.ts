/**
 * The smaller container commands: top, port, diff, export, commit, update, container prune.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  containerChanges, containerCommit, containerExport, containerInspect, containerPrune, containerTop, containerUpdate,
} from '../../../client/containers.js';
import { defineCommand } from '../../command.js';
import { parseFilterFlags } from '../../filters.js';
import { customFlag } from '../../flags/index.js';
import { humanSize } from '../../format/units.js';
import { tabulate } from '../../format/tabwriter.js';
import { confirm } from '../image/prune.js';
import { forEach } from './lifecycle.js';
import { memSwapBytes, nanoCpus, parseRestartPolicy, ramInBytes } from './opts.js';

export const topCommand = defineCommand({
  path: ['container', 'top'],
  aliases: [['top']],
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  minArgs: 1,
  interspersed: false,
  flags: [] as const,
  async run(ctx, _v, args) {
    const [name, ...ps] = args as [string, ...string[]];
    const r = await containerTop(ctx.client(), name, ps.join(' '));
    ctx.io.stdout.write(tabulate([r.Titles, ...r.Processes], { minwidth: 20, tabwidth: 1, padding: 3, padchar: ' ', flags: 0 }));
    return 0;
  },
});

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
function naturalLess(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export const portCommand = defineCommand({
  path: ['container', 'port'],
  aliases: [['port']],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  minArgs: 1,
  maxArgs: 2,
  flags: [] as const,
  async run(ctx, _v, args) {
    const c = await containerInspect(ctx.client(), args[0]!);
    const ports = (c.NetworkSettings?.Ports ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
    const out: string[] = [];
    if (args[1] !== undefined) {
      const [port, proto = 'tcp'] = args[1].split('/');
      const key = `${port}/${proto}`;
      const fronts = ports[key];
      if (!fronts) {
        ctx.io.stderr.write(`Error: No public port '${key}' published for ${args[0]}\n`);
        return 1;
      }
      for (const f of fronts) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, fronts] of Object.entries(ports)) for (const f of fronts ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
    if (out.length > 0) ctx.io.stdout.write(`${out.sort(naturalLess).join('\n')}\n`);
    return 0;
  },
});

export const diffCommand = defineCommand({
  path: ['container', 'diff'],
  aliases: [['diff']],
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  minArgs: 1,
  maxArgs: 1,
  flags: [] as const,
  async run(ctx, _v, args) {
    const kinds = ['C', 'A', 'D'];
    for (const ch of (await containerChanges(ctx.client(), args[0]!)) ?? []) ctx.io.stdout.write(`${kinds[ch.Kind] ?? '?'} ${ch.Path}\n`);
    return 0;
  },
});

export const exportCommand = defineCommand({
  path: ['container', 'export'],
  aliases: [['export']],
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  minArgs: 1,
  maxArgs: 1,
  flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT', valueName: 'string' }] as const,
  async run(ctx, v, args) {
    if (v.output === '' && (ctx.io.stdout as { isTTY?: boolean }).isTTY) {
      ctx.io.stderr.write('cowardly refusing to save to a terminal. Use the -o flag or redirect\n');
      return 1;
    }
    const body = await containerExport(ctx.client(), args[0]!);
    if (v.output !== '') await pipeline(body, createWriteStream(v.output));
    else await pipeline(body, ctx.io.stdout, { end: false });
    return 0;
  },
});

export const commitCommand = defineCommand({
  path: ['container', 'commit'],
  aliases: [['commit']],
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'author', short: 'a', type: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")', valueName: 'string' },
    { name: 'change', short: 'c', type: 'stringArray', description: 'Apply Dockerfile instruction to the created image', valueName: 'list' },
    { name: 'message', short: 'm', type: 'string', description: 'Commit message', valueName: 'string' },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
  ] as const,
  async run(ctx, v, args) {
    let repo = args[1] ?? '';
    let tag = '';
    const colon = repo.lastIndexOf(':');
    if (colon > repo.lastIndexOf('/')) {
      tag = repo.slice(colon + 1);
      repo = repo.slice(0, colon);
    }
    const r = await containerCommit(ctx.client(), args[0]!, { repo, tag, author: v.author, comment: v.message, changes: v.change, pause: v.pause });
    ctx.io.stdout.write(`${r.Id}\n`);
    return 0;
  },
});

const bytesFlag = <const N extends string>(name: N, description: string, parse: (s: string) => number = ramInBytes, short?: string) =>
  customFlag({ name, ...(short ? { short } : {}), type: 'custom', typeName: 'bytes', default: 0, set: (s: string) => parse(s), description });

export const updateCommand = defineCommand({
  path: ['container', 'update'],
  aliases: [['update']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  minArgs: 1,
  flags: [
    { name: 'blkio-weight', type: 'uint', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', valueName: 'uint16' },
    { name: 'cpu-period', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', type: 'int', description: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', type: 'int', description: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
    customFlag({ name: 'cpus', type: 'custom', typeName: 'decimal', default: 0, set: (s: string) => nanoCpus(s), description: 'Number of CPUs' }),
    { name: 'cpuset-cpus', type: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)', valueName: 'string' },
    { name: 'cpuset-mems', type: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)', valueName: 'string' },
    bytesFlag('memory', 'Memory limit', ramInBytes, 'm'),
    bytesFlag('memory-reservation', 'Memory soft limit'),
    bytesFlag('memory-swap', 'Swap limit equal to memory plus swap: -1 to enable unlimited swap', memSwapBytes),
    { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
    { name: 'restart', type: 'string', description: 'Restart policy to apply when a container exits', valueName: 'string' },
  ] as const,
  async run(ctx, v, args, { changed }) {
    if (changed.size === 0) {
      ctx.io.stderr.write('You must provide one or more flags when using this command.\n');
      return 1;
    }
    const body: Record<string, unknown> = {
      BlkioWeight: v['blkio-weight'],
      CpuPeriod: v['cpu-period'],
      CpuQuota: v['cpu-quota'],
      CpuRealtimePeriod: v['cpu-rt-period'],
      CpuRealtimeRuntime: v['cpu-rt-runtime'],
      CpuShares: v['cpu-shares'],
      NanoCpus: v.cpus,
      CpusetCpus: v['cpuset-cpus'],
      CpusetMems: v['cpuset-mems'],
      Memory: v.memory,
      MemoryReservation: v['memory-reservation'],
      MemorySwap: v['memory-swap'],
      ...(changed.has('pids-limit') ? { PidsLimit: v['pids-limit'] } : {}),
    };
    if (changed.has('restart')) {
      try {
        body.RestartPolicy = parseRestartPolicy(v.restart);
      } catch (err) {
        ctx.io.stderr.write(`${(err as Error).message}\n`);
        return 1;
      }
    }
    const warnings: string[] = [];
    const code = await forEach(ctx, args, async (n) => {
      const r = await containerUpdate(ctx.client(), n, body);
      warnings.push(...(r.Warnings ?? []));
    });
    for (const w of warnings) ctx.io.stderr.write(`${w}\n`);
    return code;
  },
});

export const containerPruneCommand = defineCommand({
  path: ['container', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  maxArgs: 0,
  flags: [
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ] as const,
  async run(ctx, v) {
    const filters = parseFilterFlags(v.filter);
    if (!v.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
    const r = await containerPrune(ctx.client(), filters);
    const deleted = r.ContainersDeleted ?? [];
    if (deleted.length > 0) ctx.io.stdout.write(`Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
    ctx.io.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
    return 0;
  },
});
