/** `estiba network create|ls|inspect|rm|prune|connect|disconnect`, with docker/cli's flags and output. */
import type { NetworkInspect, NetworkIpamConfig } from '../../../api/networks.js';
import { isNotFound, messageOf } from '../../../errdefs/index.js';
import { defineCommand } from '../../command.js';
import { daemonError } from '../../errors.js';
import { parseFilterFlags } from '../../filters.js';
import { inspectEach, printFormatted } from '../../render.js';
import { forEach } from '../container/lifecycle.js';
import { confirm } from '../image/prune.js';

/** `key=value` pairs of repeated flags (`--label`, `--opt`, `--aux-address`). */
function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

function ipv4(s: string): number | undefined {
  const p = s.split('.').map((x) => (/^\d{1,3}$/.test(x) ? Number(x) : NaN));
  if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return undefined;
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

/** Whether `ip` (or the base of a CIDR) lies inside `subnet`; unparsable input is left to the daemon to judge. */
function within(subnet: string, ip: string): boolean | undefined {
  const [base = '', bitsText = ''] = subnet.split('/');
  const bits = Number(bitsText);
  const a = ipv4(base);
  const x = ipv4(ip.split('/')[0]!);
  if (a === undefined || x === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return bits === 0 || a >>> (32 - bits) === x >>> (32 - bits);
}

/**
 * docker/cli consolidateIpam: each --ip-range, --gateway and --aux-address goes to the --subnet
 * that contains it; one that fits none is an error ("no matching subnet for gateway …").
 */
export function ipamConfigs(subnets: readonly string[], ranges: readonly string[], gateways: readonly string[], aux: Record<string, string>): NetworkIpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const configs: NetworkIpamConfig[] = subnets.map((Subnet) => ({ Subnet }));
  const place = (what: string, ip: string, set: (c: NetworkIpamConfig) => void): void => {
    const c = configs.find((x) => within(x.Subnet!, ip) !== false);
    if (c === undefined) throw new Error(`no matching subnet for ${what} ${ip}`);
    set(c);
  };
  for (const r of ranges) place('range', r, (c) => (c.IPRange = r));
  for (const g of gateways) place('gateway', g, (c) => (c.Gateway = g));
  for (const [name, ip] of Object.entries(aux)) place('aux-address', ip, (c) => (c.AuxiliaryAddresses = { ...(c.AuxiliaryAddresses ?? {}), [name]: ip }));
  return configs;
}

export const networkCreate = defineCommand({
  path: ['network', 'create'],
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', description: 'Driver to manage the Network', valueName: 'string' },
    { name: 'subnet', type: 'stringSlice', description: 'Subnet in CIDR format that represents a network segment', valueName: 'strings' },
    { name: 'gateway', type: 'stringSlice', description: 'IPv4 or IPv6 Gateway for the master subnet', valueName: 'strings' },
    { name: 'ip-range', type: 'stringSlice', description: 'Allocate container ip from a sub-range', valueName: 'strings' },
    { name: 'aux-address', type: 'stringArray', description: 'Auxiliary IPv4 or IPv6 addresses used by Network driver', valueName: 'map' },
    { name: 'internal', type: 'bool', description: 'Restrict external access to the network' },
    { name: 'attachable', type: 'bool', description: 'Enable manual container attachment' },
    { name: 'ipv6', type: 'bool', description: 'Enable or disable IPv6 networking' },
    { name: 'label', type: 'stringArray', description: 'Set metadata on a network', valueName: 'list' },
    { name: 'opt', short: 'o', type: 'stringArray', description: 'Set driver specific options', valueName: 'map' },
    { name: 'ipam-driver', type: 'string', default: 'default', description: 'IP Address Management Driver', valueName: 'string' },
  ],
  async run(ctx, v, args) {
    let configs: NetworkIpamConfig[];
    try {
      configs = ipamConfigs(v.subnet, v['ip-range'], v.gateway, keyValues(v['aux-address']));
    } catch (err) {
      ctx.io.stderr.write(`${messageOf(err)}\n`);
      return 1;
    }
    const res = await ctx.client().networkCreate({
      Name: args[0]!,
      CheckDuplicate: true,
      Driver: v.driver,
      Internal: v.internal,
      Attachable: v.attachable,
      EnableIPv6: v.ipv6,
      IPAM: { Driver: v['ipam-driver'], Config: configs, Options: {} },
      Options: keyValues(v.opt),
      Labels: keyValues(v.label),
    });
    ctx.io.stdout.write(`${res.Id}\n`);
    return 0;
  },
});

const NETWORK_HEADERS: Record<string, string> = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };

function networkRow(n: NetworkInspect, noTrunc: boolean): Record<string, string> {
  return {
    ID: noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels).map(([k, x]) => `${k}=${x}`).join(','),
    CreatedAt: n.Created,
  };
}

export const networkLs = defineCommand({
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  usage: '[OPTIONS]',
  description: 'List networks',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', description: 'Provide filter values (e.g. "driver=bridge")', valueName: 'filter' },
    { name: 'format', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
  ],
  async run(ctx, v) {
    const list = await ctx.client().networkList(parseFilterFlags(v.filter));
    const format = v.quiet ? '{{.ID}}' : v.format !== '' ? v.format : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    printFormatted(ctx, { format, items: list.map((n) => networkRow(n, v['no-trunc'])), headers: NETWORK_HEADERS });
    return 0;
  },
});

export const networkInspect = defineCommand({
  path: ['network', 'inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  minArgs: 1,
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template', valueName: 'string' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Verbose output for diagnostics' },
  ],
  async run(ctx, v, args) {
    return inspectEach(ctx, args, v.format, (n) => ctx.client().networkInspect(n));
  },
});

export const networkRm = defineCommand({
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  minArgs: 1,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' }],
  run: (ctx, v, args) => forEach(ctx, args, (n) => ctx.client().networkRemove(n), { ignored: (err) => v.force && isNotFound(err) }),
});

export const networkPrune = defineCommand({
  path: ['network', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  maxArgs: 0,
  flags: [
    { name: 'filter', type: 'stringArray', description: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, v) {
    if (!v.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
    const res = await ctx.client().networkPrune(parseFilterFlags(v.filter));
    const deleted = res.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.io.stdout.write(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
});

export const networkConnect = defineCommand({
  path: ['network', 'connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'alias', type: 'stringSlice', description: 'Add network-scoped alias for the container', valueName: 'strings' },
    { name: 'ip', type: 'string', description: 'IPv4 address (e.g., "172.30.100.104")', valueName: 'string' },
    { name: 'driver-opt', type: 'stringSlice', description: 'driver options for the network', valueName: 'strings' },
  ],
  async run(ctx, v, args) {
    await ctx.client().networkConnect(args[0]!, {
      Container: args[1]!,
      EndpointConfig: { Aliases: v.alias, ...(v.ip !== '' ? { IPAMConfig: { IPv4Address: v.ip } } : {}), DriverOpts: keyValues(v['driver-opt']) },
    });
    return 0;
  },
});

export const networkDisconnect = defineCommand({
  path: ['network', 'disconnect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  minArgs: 2,
  maxArgs: 2,
  flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the container to disconnect from a network' }],
  async run(ctx, v, args) {
    await ctx.client().networkDisconnect(args[0]!, { Container: args[1]!, Force: v.force });
    return 0;
  },
});

export const networkCommands = [networkCreate, networkLs, networkInspect, networkRm, networkPrune, networkConnect, networkDisconnect];
