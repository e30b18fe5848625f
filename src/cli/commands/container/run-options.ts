/**
 * `run` and `create` options → the body of `POST /containers/create`, in the shape the docker
 * CLI 28 sends (docker/cli cli/command/container/opts.go `parse`): the same Config, HostConfig and
 * NetworkingConfig fields, nulls and empty values, so a daemon cannot tell the two clients apart.
 * Networks, volumes and ports are passed through as docker's CLI passes them.
 *
 * @module
 */
import { readCSV } from '../../flags/index.js';
import {
  parseDevice, parseEnvFileText, parseLabelFileText, parseMount, parsePortSpec, parseRestartPolicy, parseUlimit, ramInBytes,
  resolveEnv, type MountSpec,
} from './opts.js';
import type { ContainerFlagValues } from './run-flags.js';

export { CONTAINER_FLAGS, type ContainerFlagValues } from './run-flags.js';


/** What the translation needs from outside: the client's environment and files (injected for tests). */
export interface RunEnvironment {
  lookupEnv(name: string): string | undefined;
  readFile(path: string): string;
  /** An absolute path for a relative one (the CLI's working directory). */
  resolvePath(path: string): string;
  /** [height, width] of the client's terminal when -t and stdout is one; else [0, 0]. */
  consoleSize: [number, number];
}

export interface CreateRequest {
  body: Record<string, unknown>;
  name: string;
  platform: string;
}

/** A usage error: `run`/`create` print it as docker does and exit 125. */
export class RunOptionsError extends Error {}

function splitKv(v: string): [string, string] {
  const eq = v.indexOf('=');
  return eq < 0 ? [v, ''] : [v.slice(0, eq), v.slice(eq + 1)];
}

/** docker/cli parseSecurityOpts: `key=value` (or `key:value`); a seccomp file is sent inline, compacted. */
function securityOpts(opts: readonly string[], env: RunEnvironment): string[] {
  return opts.map((opt) => {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const k = sep < 0 ? opt : opt.slice(0, sep);
    const v = sep < 0 ? '' : opt.slice(sep + 1);
    if ((sep < 0 || v === '') && k !== 'no-new-privileges') throw new RunOptionsError(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (k === 'seccomp' && v !== 'builtin' && v !== 'unconfined') {
      let text: string;
      try {
        text = env.readFile(v);
      } catch (err) {
        throw new RunOptionsError(`opening seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
      try {
        return `seccomp=${JSON.stringify(JSON.parse(text))}`;
      } catch (err) {
        throw new RunOptionsError(`compacting json for seccomp profile (${v}) failed: ${(err as Error).message}`);
      }
    }
    return opt;
  });
}

/** docker/cli EffectiveCapAddCapDrop: CAP_-prefixed upper case, ALL wins, a cap both added and dropped is neither; sorted. */
function effectiveCaps(add: readonly string[], drop: readonly string[]): { add: string[] | null; drop: string[] | null } {
  const norm = (c: string): string => {
    const u = c.trim().toUpperCase();
    return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
  };
  let a = new Set(add.map(norm));
  let d = new Set(drop.map(norm));
  if (a.has('ALL')) a = new Set(['ALL']);
  if (d.has('ALL')) d = new Set(['ALL']);
  for (const c of [...d]) {
    if (a.has(c)) {
      a.delete(c);
      d.delete(c);
    }
  }
  const sorted = (s: Set<string>): string[] | null => (s.size === 0 ? null : [...s].sort());
  return { add: sorted(a), drop: sorted(d) };
}

/** opts.ValidateWeightDevice: `/dev/sda:200`, weight 10–1000. */
function weightDevice(val: string): { Path: string; Weight: number } {
  const colon = val.lastIndexOf(':');
  const path = colon < 0 ? '' : val.slice(0, colon);
  if (colon < 0 || !path.startsWith('/dev/')) throw new RunOptionsError(`invalid argument "${val}" for "--blkio-weight-device" flag: bad format: ${val}`);
  const w = Number(val.slice(colon + 1));
  if (!/^\d+$/.test(val.slice(colon + 1)) || (w > 0 && (w < 10 || w > 1000))) {
    throw new RunOptionsError(`invalid argument "${val}" for "--blkio-weight-device" flag: invalid weight for device: ${val}`);
  }
  return { Path: path, Weight: w };
}

/** opts.ValidateThrottleBpsDevice / IOpsDevice: `/dev/sda:1mb` (a size) or `/dev/sda:100`. */
function throttleDevice(val: string, bytesRate: boolean): { Path: string; Rate: number } {
  const colon = val.lastIndexOf(':');
  const path = colon < 0 ? '' : val.slice(0, colon);
  if (colon < 0 || !path.startsWith('/dev/')) throw new RunOptionsError(`bad format: ${val}`);
  const raw = val.slice(colon + 1);
  let rate: number;
  try {
    if (bytesRate) rate = ramInBytes(raw);
    else if (/^\d+$/.test(raw)) rate = Number(raw);
    else throw new Error('not a number');
  } catch {
    throw new RunOptionsError(`invalid rate for device: ${val}. The correct format is <device-path>:<number>${bytesRate ? '[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb' : '. Number must be a positive integer'}`);
  }
  return { Path: path, Rate: rate };
}

/** opts.GpuOpts: `all` or `count=N`, `device=…`, `capabilities=…` as CSV. */
function gpuRequests(val: string): unknown[] {
  const req: { Driver: string; Count: number; DeviceIDs: string[] | null; Capabilities: string[][]; Options: Record<string, string> } = {
    Driver: '', Count: 0, DeviceIDs: null, Capabilities: [['gpu']], Options: {},
  };
  for (const field of readCSV(val)) {
    const eq = field.indexOf('=');
    const k = eq < 0 ? field : field.slice(0, eq);
    const v = eq < 0 ? '' : field.slice(eq + 1);
    if (eq < 0 && k === 'all') req.Count = -1;
    else if (k === 'count') req.Count = v === 'all' ? -1 : Number(v);
    else if (k === 'driver') req.Driver = v;
    else if (k === 'device') req.DeviceIDs = v.split(',');
    else if (k === 'capabilities') req.Capabilities = [v.split(',')];
    else if (eq < 0 && /^\d+$/.test(k)) req.Count = Number(k);
    else throw new RunOptionsError(`unexpected key '${k}' in '${val}'`);
  }
  return [req];
}

/** docker/cli's volume spec split (Linux): a source makes it a bind (or named volume), else an anonymous volume. */
function isBindSpec(spec: string): boolean {
  const parts = spec.split(':');
  return parts.length >= 2 && parts[0] !== '' && parts[1] !== '';
}

const nullIfEmpty = <T>(a: T[]): T[] | null => (a.length === 0 ? null : a);

function healthcheck(v: ContainerFlagValues): Record<string, unknown> | undefined {
  const set = v['health-cmd'] !== '' || v['health-interval'] !== 0 || v['health-timeout'] !== 0 || v['health-start-period'] !== 0 ||
    v['health-start-interval'] !== 0 || v['health-retries'] !== 0;
  if (v['no-healthcheck']) {
    if (set) throw new RunOptionsError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!set) return undefined;
  for (const [flag, val] of [['health-interval', v['health-interval']], ['health-timeout', v['health-timeout']], ['health-start-period', v['health-start-period']], ['health-start-interval', v['health-start-interval']]] as const) {
    if (val < 0) throw new RunOptionsError(`--${flag} cannot be negative`);
  }
  if (v['health-retries'] < 0) throw new RunOptionsError('--health-retries cannot be negative');
  const hc: Record<string, unknown> = {};
  if (v['health-cmd'] !== '') hc.Test = ['CMD-SHELL', v['health-cmd']];
  if (v['health-interval'] !== 0) hc.Interval = v['health-interval'];
  if (v['health-timeout'] !== 0) hc.Timeout = v['health-timeout'];
  if (v['health-start-period'] !== 0) hc.StartPeriod = v['health-start-period'];
  if (v['health-start-interval'] !== 0) hc.StartInterval = v['health-start-interval'];
  if (v['health-retries'] !== 0) hc.Retries = v['health-retries'];
  return hc;
}

function portsOf(v: ContainerFlagValues): { exposed: Record<string, object>; bindings: Record<string, unknown[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, unknown[]> = {};
  for (const spec of v.publish) {
    let mappings;
    try {
      mappings = parsePortSpec(spec);
    } catch (err) {
      throw new RunOptionsError((err as Error).message);
    }
    for (const m of mappings) {
      exposed[m.port] = {};
      (bindings[m.port] ??= []).push(m.binding);
    }
  }
  for (const e of v.expose) {
    const slash = e.indexOf('/');
    const proto = slash < 0 ? 'tcp' : e.slice(slash + 1);
    const range = slash < 0 ? e : e.slice(0, slash);
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) throw new RunOptionsError(`invalid range format for --expose: ${e}, error: invalid syntax`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start : Number(m[2]);
    for (let p = start; p <= end; p++) exposed[`${p}/${proto}`] ??= {};
  }
  return { exposed, bindings };
}

function endpointConfig(aliases: string[] | null, ipv4: string, ipv6: string, links: string[] | null, mac: string): Record<string, unknown> {
  return {
    IPAMConfig: ipv4 !== '' || ipv6 !== '' ? { ...(ipv4 !== '' ? { IPv4Address: ipv4 } : {}), ...(ipv6 !== '' ? { IPv6Address: ipv6 } : {}) } : null,
    Links: links,
    Aliases: aliases,
    MacAddress: mac,
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/**
 * Translates parsed flags and positional args (`IMAGE [COMMAND] [ARG...]`) into the create
 * request; throws RunOptionsError with docker's message for invalid combinations.
 */
export function buildCreateRequest(
  v: ContainerFlagValues,
  args: readonly string[],
  changed: ReadonlySet<string>,
  env: RunEnvironment,
  o: { detach?: boolean } = {},
): CreateRequest {
  const [image, ...cmd] = args;
  if (image === undefined) throw new RunOptionsError('requires at least 1 argument');

  const attach = new Set(v.attach);
  let attachStdin = attach.has('stdin');
  let attachStdout = attach.has('stdout');
  let attachStderr = attach.has('stderr');
  if (v.interactive) attachStdin = true;
  if (attach.size === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  if (o.detach) {
    if (attach.size > 0) throw new RunOptionsError('conflicting options: cannot specify both --attach and --detach');
    attachStdin = attachStdout = attachStderr = false;
  }

  let envList: string[] = [];
  for (const f of v['env-file']) {
    let text: string;
    try {
      text = env.readFile(f);
    } catch (err) {
      throw new RunOptionsError(`open ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    try {
      envList.push(...parseEnvFileText(text, env.lookupEnv));
    } catch (err) {
      throw new RunOptionsError((err as Error).message);
    }
  }
  try {
    envList = [...envList, ...v.env.map((e) => resolveEnv(e, env.lookupEnv))];
  } catch (err) {
    throw new RunOptionsError((err as Error).message);
  }

  const labels: Record<string, string> = {};
  const labelLines: string[] = [];
  for (const f of v['label-file']) {
    let text: string;
    try {
      text = env.readFile(f);
    } catch (err) {
      throw new RunOptionsError(`open ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    try {
      labelLines.push(...parseLabelFileText(text));
    } catch (err) {
      throw new RunOptionsError((err as Error).message);
    }
  }
  for (const l of [...labelLines, ...v.label]) {
    const [k, val] = splitKv(l);
    labels[k] = val;
  }

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of v.volume) {
    if (spec === '') throw new RunOptionsError('invalid empty volume spec');
    if (isBindSpec(spec)) {
      // A relative host path ("./data:/d") is made absolute, as docker's CLI does.
      const colon = spec.indexOf(':');
      const host = spec.slice(0, colon);
      binds.push(host.startsWith('.') ? `${env.resolvePath(host)}${spec.slice(colon)}` : spec);
    }
    else volumes[spec] = {};
  }
  const mounts: MountSpec[] = v.mount.map((m) => parseMount(m, readCSV));

  const tmpfs: Record<string, string> = {};
  for (const t of v.tmpfs) {
    const colon = t.indexOf(':');
    tmpfs[colon < 0 ? t : t.slice(0, colon)] = colon < 0 ? '' : t.slice(colon + 1);
  }

  let restart;
  try {
    restart = parseRestartPolicy(v.restart);
  } catch (err) {
    throw new RunOptionsError((err as Error).message);
  }
  if (v.rm && restart.Name !== 'no' && restart.Name !== '') {
    throw new RunOptionsError('conflicting options: cannot specify both --restart and --rm');
  }

  const logConfig: Record<string, string> = {};
  for (const opt of v['log-opt']) {
    const [k, val] = splitKv(opt);
    if (!opt.includes('=')) throw new RunOptionsError(`invalid key-value pair: ${opt}`);
    logConfig[k] = val;
  }

  const storageOpt: Record<string, string> = {};
  for (const opt of v['storage-opt']) {
    if (!opt.includes('=')) throw new RunOptionsError('invalid storage option');
    const [k, val] = splitKv(opt);
    storageOpt[k] = val;
  }

  if (v['use-api-socket']) throw new RunOptionsError('--use-api-socket is not supported by estiba');
  const { exposed, bindings } = portsOf(v);
  let devices;
  try {
    devices = v.device.map(parseDevice);
  } catch (err) {
    throw new RunOptionsError((err as Error).message);
  }
  const hc = healthcheck(v);
  if (v['memory-swappiness'] < -1 || v['memory-swappiness'] > 100) {
    throw new RunOptionsError(`invalid value: ${v['memory-swappiness']}. Valid memory swappiness range is 0-100`);
  }
  if (v['oom-score-adj'] < -1000 || v['oom-score-adj'] > 1000) {
    throw new RunOptionsError('oom-score-adj: must be in range [-1000, 1000]');
  }
  const entrypoint = v.entrypoint !== '' ? [v.entrypoint] : changed.has('entrypoint') ? [''] : null;

  const explicit = v.network.length > 0;
  const networks = explicit ? v.network : ['default'];
  const networkMode = networks[0]!;
  const builtin = (n: string): boolean => ['default', 'bridge', 'host', 'none'].includes(n) || n.startsWith('container:');
  if (networks.some(builtin) && networks.some((n) => !builtin(n))) {
    throw new RunOptionsError('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  }
  const endpoints: Record<string, unknown> = {};
  networks.forEach((n, i) => {
    const first = i === 0;
    const aliases = first && v['network-alias'].length > 0 ? v['network-alias'] : null;
    const links = first && v.link.length > 0 && !builtin(n) ? v.link : null;
    const ip = first ? v.ip : '';
    const ip6 = first ? v.ip6 : '';
    const mac = first ? v['mac-address'] : '';
    // docker omits the endpoint of a lone --network without endpoint options (the daemon
    // makes it); the implicit default network's is always sent.
    if (explicit && networks.length === 1 && !aliases && !links && ip === '' && ip6 === '' && mac === '') return;
    endpoints[n] = endpointConfig(aliases, ip, ip6, links, mac);
  });

  const caps = effectiveCaps(v['cap-add'], v['cap-drop']);
  let secOpts: string[] | null = null;
  if (v['security-opt'].length > 0) secOpts = securityOpts(v['security-opt'], env);

  // --mac-address goes to the endpoint only (Config.MacAddress is for API < 1.44).
  const config: Record<string, unknown> = {
    Hostname: v.hostname,
    Domainname: v.domainname,
    User: v.user,
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(exposed).length > 0 ? { ExposedPorts: exposed } : {}),
    Tty: v.tty,
    OpenStdin: v.interactive,
    // Attached stdin closes when the client disconnects (docker's StdinOnce).
    StdinOnce: v.interactive && attachStdin,
    Env: envList.length > 0 ? envList : null,
    Cmd: cmd.length > 0 ? cmd : null,
    ...(hc ? { Healthcheck: hc } : {}),
    Image: image,
    Volumes: volumes,
    WorkingDir: v.workdir,
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(v['stop-signal'] !== '' ? { StopSignal: v['stop-signal'] } : {}),
    ...(changed.has('stop-timeout') ? { StopTimeout: v['stop-timeout'] } : {}),
  };

  const hostConfig: Record<string, unknown> = {
    Binds: nullIfEmpty(binds),
    ContainerIDFile: v.cidfile,
    LogConfig: { Type: v['log-driver'], Config: logConfig },
    NetworkMode: networkMode,
    PortBindings: bindings,
    RestartPolicy: restart,
    AutoRemove: v.rm,
    VolumeDriver: v['volume-driver'],
    VolumesFrom: nullIfEmpty(v['volumes-from']),
    ConsoleSize: v.tty ? env.consoleSize : [0, 0],
    ...(Object.keys(v.annotation).length > 0 ? { Annotations: v.annotation } : {}),
    CapAdd: caps.add,
    CapDrop: caps.drop,
    CgroupnsMode: v.cgroupns,
    Dns: v.dns,
    DnsOptions: v['dns-option'],
    DnsSearch: v['dns-search'],
    ExtraHosts: nullIfEmpty(v['add-host']),
    GroupAdd: nullIfEmpty(v['group-add']),
    IpcMode: v.ipc,
    Cgroup: '',
    Links: nullIfEmpty(v.link),
    OomScoreAdj: v['oom-score-adj'],
    PidMode: v.pid,
    Privileged: v.privileged,
    PublishAllPorts: v['publish-all'],
    ReadonlyRootfs: v['read-only'],
    SecurityOpt: secOpts,
    ...(Object.keys(storageOpt).length > 0 ? { StorageOpt: storageOpt } : {}),
    ...(Object.keys(tmpfs).length > 0 ? { Tmpfs: tmpfs } : {}),
    UTSMode: v.uts,
    UsernsMode: v.userns,
    ShmSize: v['shm-size'],
    ...(Object.keys(v.sysctl).length > 0 ? { Sysctls: v.sysctl } : {}),
    ...(v.runtime !== '' ? { Runtime: v.runtime } : {}),
    Isolation: v.isolation,
    CpuShares: v['cpu-shares'],
    Memory: v.memory,
    NanoCpus: v.cpus,
    CgroupParent: v['cgroup-parent'],
    BlkioWeight: v['blkio-weight'],
    BlkioWeightDevice: v['blkio-weight-device'].map(weightDevice),
    BlkioDeviceReadBps: v['device-read-bps'].map((d) => throttleDevice(d, true)),
    BlkioDeviceWriteBps: v['device-write-bps'].map((d) => throttleDevice(d, true)),
    BlkioDeviceReadIOps: v['device-read-iops'].map((d) => throttleDevice(d, false)),
    BlkioDeviceWriteIOps: v['device-write-iops'].map((d) => throttleDevice(d, false)),
    CpuPeriod: v['cpu-period'],
    CpuQuota: v['cpu-quota'],
    CpuRealtimePeriod: v['cpu-rt-period'],
    CpuRealtimeRuntime: v['cpu-rt-runtime'],
    CpusetCpus: v['cpuset-cpus'],
    CpusetMems: v['cpuset-mems'],
    Devices: devices,
    DeviceCgroupRules: nullIfEmpty(v['device-cgroup-rule']),
    DeviceRequests: v.gpus !== '' ? gpuRequests(v.gpus) : null,
    MemoryReservation: v['memory-reservation'],
    MemorySwap: v['memory-swap'],
    MemorySwappiness: v['memory-swappiness'],
    OomKillDisable: v['oom-kill-disable'],
    PidsLimit: v['pids-limit'],
    Ulimits: v.ulimit.map(parseUlimit),
    CpuCount: v['cpu-count'],
    CpuPercent: v['cpu-percent'],
    IOMaximumIOps: v['io-maxiops'],
    IOMaximumBandwidth: v['io-maxbandwidth'],
    ...(mounts.length > 0 ? { Mounts: mounts } : {}),
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...(changed.has('init') ? { Init: v.init } : {}),
  };

  return {
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: endpoints } },
    name: v.name,
    platform: v.platform,
  };
}
