/**
 * `run` and `create` options → the body of `POST /containers/create`, in the shape the docker
 * CLI 28 sends (docker/cli cli/command/container/opts.go `parse`): the same Config, HostConfig and
 * NetworkingConfig fields, nulls and empty values, so a daemon cannot tell the two clients apart.
 * Networks, volumes and ports are passed through as docker's CLI passes them.
 *
 * @module
 */
import { customFlag, readCSV, type FlagDef, type FlagValues } from '../../flags/index.js';
import {
  memSwapBytes, nanoCpus, parseDevice, parseEnvFileText, parseLabelFileText, parseMount, parsePortSpec, parseRestartPolicy,
  parseUlimit, ramInBytes, resolveEnv, validateExtraHost, validateIp, type MountSpec,
} from './opts.js';

const list = <const N extends string>(
  name: N,
  description: string,
  o: { short?: string; validate?: (v: string) => string; hidden?: boolean; typeName?: string } = {},
) =>
  customFlag({
    name,
    ...(o.short ? { short: o.short } : {}),
    type: 'custom',
    typeName: o.typeName ?? 'list',
    default: [] as string[],
    set: (v: string, cur: string[]) => [...cur, o.validate ? o.validate(v) : v],
    description,
    ...(o.hidden ? { hidden: true } : {}),
  });

/** A list whose usage shows "(default [])", as docker's throttle and weight-device lists do. */
const listWithDefault = <const N extends string>(name: N, description: string) =>
  customFlag({ name, type: 'custom', typeName: 'list', default: [] as string[], defaultText: '[]', set: (v: string, cur: string[]) => [...cur, v], description });

/** A bytes value (opts.MemBytes): 0 when unset. */
const bytes = <const N extends string>(name: N, description: string, parse: (s: string) => number = ramInBytes, short?: string) =>
  customFlag({ name, ...(short ? { short } : {}), type: 'custom', typeName: 'bytes', default: 0, set: (v: string) => parse(v), description });

/** Flags shared by `run` and `create` (docker/cli addFlags), sorted as pflag prints them. */
export const CONTAINER_FLAGS = [
  list('add-host', 'Add a custom host-to-IP mapping (host:ip)', { validate: validateExtraHost }),
  customFlag({
    name: 'annotation', type: 'custom', typeName: 'map', default: {} as Record<string, string>, defaultText: 'map[]',
    set: (v: string, cur: Record<string, string>) => {
      const eq = v.indexOf('=');
      return { ...cur, [eq < 0 ? v : v.slice(0, eq)]: eq < 0 ? '' : v.slice(eq + 1) };
    },
    description: 'Add an annotation to the container (passed through to the OCI runtime)',
  }),
  list('attach', 'Attach to STDIN, STDOUT or STDERR', {
    short: 'a',
    validate: (v) => {
      const l = v.toLowerCase();
      if (l !== 'stdin' && l !== 'stdout' && l !== 'stderr') throw new Error('valid streams are STDIN, STDOUT and STDERR');
      return l;
    },
  }),
  customFlag({
    name: 'blkio-weight', type: 'custom', typeName: 'uint16', default: 0, defaultText: '0',
    set: (v: string) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(v)}: ${/^\d+$/.test(v) ? 'value out of range' : 'invalid syntax'}`);
      return Number(v);
    },
    description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)',
  }),
  listWithDefault('blkio-weight-device', 'Block IO weight (relative device weight)'),
  list('cap-add', 'Add Linux capabilities'),
  list('cap-drop', 'Drop Linux capabilities'),
  { name: 'cgroup-parent', type: 'string', description: 'Optional parent cgroup for the container', valueName: 'string' },
  {
    name: 'cgroupns', type: 'string', valueName: 'string',
    description: "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)",
  },
  { name: 'cidfile', type: 'string', description: 'Write the container ID to the file', valueName: 'string' },
  { name: 'cpu-count', type: 'int', description: 'CPU count (Windows only)' },
  { name: 'cpu-percent', type: 'int', description: 'CPU percent (Windows only)' },
  { name: 'cpu-period', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', type: 'int', description: 'Limit CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', type: 'int', description: 'Limit CPU real-time runtime in microseconds' },
  { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
  customFlag({ name: 'cpus', type: 'custom', typeName: 'decimal', default: 0, set: (v: string) => nanoCpus(v), description: 'Number of CPUs' }),
  { name: 'cpuset-cpus', type: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)', valueName: 'string' },
  { name: 'cpuset-mems', type: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)', valueName: 'string' },
  list('device', 'Add a host device to the container'),
  list('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list'),
  listWithDefault('device-read-bps', 'Limit read rate (bytes per second) from a device'),
  listWithDefault('device-read-iops', 'Limit read rate (IO per second) from a device'),
  listWithDefault('device-write-bps', 'Limit write rate (bytes per second) to a device'),
  listWithDefault('device-write-iops', 'Limit write rate (IO per second) to a device'),
  { name: 'disable-content-trust', type: 'bool', default: true, description: 'Skip image verification' },
  list('dns', 'Set custom DNS servers', { validate: validateIp }),
  list('dns-option', 'Set DNS options'),
  list('dns-search', 'Set custom DNS search domains'),
  { name: 'domainname', type: 'string', description: 'Container NIS domain name', valueName: 'string' },
  { name: 'entrypoint', type: 'string', description: 'Overwrite the default ENTRYPOINT of the image', valueName: 'string' },
  list('env', 'Set environment variables', { short: 'e' }),
  list('env-file', 'Read in a file of environment variables'),
  list('expose', 'Expose a port or a range of ports'),
  customFlag({
    name: 'gpus', type: 'custom', typeName: 'gpu-request', default: '',
    set: (v: string) => v,
    description: "GPU devices to add to the container ('all' to pass all GPUs)",
  }),
  list('group-add', 'Add additional groups to join'),
  { name: 'health-cmd', type: 'string', description: 'Command to run to check health', valueName: 'string' },
  { name: 'health-interval', type: 'duration', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { name: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  { name: 'health-start-interval', type: 'duration', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { name: 'health-start-period', type: 'duration', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { name: 'health-timeout', type: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { name: 'hostname', short: 'h', type: 'string', description: 'Container host name', valueName: 'string' },
  { name: 'init', type: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  bytes('io-maxbandwidth', 'Maximum IO bandwidth limit for the system drive (Windows only)'),
  { name: 'io-maxiops', type: 'uint', description: 'Maximum IOps limit for the system drive (Windows only)' },
  { name: 'ip', type: 'string', description: 'IPv4 address (e.g., 172.30.100.104)', valueName: 'string' },
  { name: 'ip6', type: 'string', description: 'IPv6 address (e.g., 2001:db8::33)', valueName: 'string' },
  { name: 'ipc', type: 'string', description: 'IPC mode to use', valueName: 'string' },
  { name: 'isolation', type: 'string', description: 'Container isolation technology', valueName: 'string' },
  // Accepted and not sent, as docker 28 does (kernel memory limits are gone from the kernel).
  bytes('kernel-memory', 'Kernel memory limit'),
  list('label', 'Set meta data on a container', { short: 'l' }),
  list('label-file', 'Read in a line delimited file of labels'),
  list('link', 'Add link to another container'),
  list('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
  { name: 'log-driver', type: 'string', description: 'Logging driver for the container', valueName: 'string' },
  list('log-opt', 'Log driver options'),
  { name: 'mac-address', type: 'string', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)', valueName: 'string' },
  bytes('memory', 'Memory limit', ramInBytes, 'm'),
  bytes('memory-reservation', 'Memory soft limit'),
  bytes('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", memSwapBytes),
  { name: 'memory-swappiness', type: 'int', default: -1, description: 'Tune container memory swappiness (0 to 100)' },
  list('mount', 'Attach a filesystem mount to the container', { typeName: 'mount', validate: (v) => (parseMount(v, readCSV), v) }),
  { name: 'name', type: 'string', description: 'Assign a name to the container', valueName: 'string' },
  list('network', 'Connect a container to a network', { typeName: 'network' }),
  list('network-alias', 'Add network-scoped alias for the container'),
  { name: 'no-healthcheck', type: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
  { name: 'oom-kill-disable', type: 'bool', description: 'Disable OOM Killer' },
  { name: 'oom-score-adj', type: 'int', description: "Tune host's OOM preferences (-1000 to 1000)" },
  { name: 'pid', type: 'string', description: 'PID namespace to use', valueName: 'string' },
  { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable', valueName: 'string' },
  { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
  list('publish', "Publish a container's port(s) to the host", { short: 'p' }),
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  { name: 'pull', type: 'string', default: 'missing', description: 'Pull image before running ("always", "missing", "never")', valueName: 'string' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
  { name: 'restart', type: 'string', default: 'no', description: 'Restart policy to apply when a container exits', valueName: 'string' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'runtime', type: 'string', description: 'Runtime to use for this container', valueName: 'string' },
  list('security-opt', 'Security Options'),
  bytes('shm-size', 'Size of /dev/shm'),
  { name: 'stop-signal', type: 'string', description: 'Signal to stop the container', valueName: 'string' },
  { name: 'stop-timeout', type: 'int', description: 'Timeout (in seconds) to stop a container' },
  list('storage-opt', 'Storage driver options for the container'),
  customFlag({
    name: 'sysctl', type: 'custom', typeName: 'map', default: {} as Record<string, string>, defaultText: 'map[]',
    set: (v: string, cur: Record<string, string>) => {
      const eq = v.indexOf('=');
      if (eq < 0) throw new Error(`invalid sysctl value: ${v}`);
      return { ...cur, [v.slice(0, eq)]: v.slice(eq + 1) };
    },
    description: 'Sysctl options',
  }),
  list('tmpfs', 'Mount a tmpfs directory'),
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  customFlag({
    name: 'ulimit', type: 'custom', typeName: 'ulimit', default: [] as string[], defaultText: '[]',
    set: (v: string, cur: string[]) => (parseUlimit(v), [...cur, v]),
    description: 'Ulimit options',
  }),
  { name: 'use-api-socket', type: 'bool', description: 'Bind mount Docker API socket and required auth' },
  { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])', valueName: 'string' },
  { name: 'userns', type: 'string', description: 'User namespace to use', valueName: 'string' },
  { name: 'uts', type: 'string', description: 'UTS namespace to use', valueName: 'string' },
  list('volume', 'Bind mount a volume', { short: 'v' }),
  { name: 'volume-driver', type: 'string', description: 'Optional volume driver for the container', valueName: 'string' },
  list('volumes-from', 'Mount volumes from the specified container(s)'),
  { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container', valueName: 'string' },
] as const satisfies readonly FlagDef[];

export type ContainerFlagValues = FlagValues<typeof CONTAINER_FLAGS>;

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

function healthcheck(v: ContainerFlagValues, changed: ReadonlySet<string>): Record<string, unknown> | undefined {
  const set = v['health-cmd'] !== '' || v['health-interval'] !== 0 || v['health-timeout'] !== 0 || v['health-start-period'] !== 0 ||
    v['health-start-interval'] !== 0 || v['health-retries'] !== 0;
  if (v['no-healthcheck']) {
    if (set) throw new RunOptionsError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!set) return undefined;
  void changed;
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
      envList.push(...parseEnvFileText(text, f, env.lookupEnv));
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
      labelLines.push(...parseLabelFileText(text, f));
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
  const hc = healthcheck(v, changed);
  if (v['memory-swappiness'] < -1 || v['memory-swappiness'] > 100) {
    throw new RunOptionsError(`invalid value: ${v['memory-swappiness']}. Valid memory swappiness range is 0-100`);
  }
  if (v['oom-score-adj'] < -1000 || v['oom-score-adj'] > 1000) {
    throw new RunOptionsError('oom-score-adj: must be in range [-1000, 1000]');
  }
  if (v.entrypoint === '' && changed.has('entrypoint')) void 0;
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
