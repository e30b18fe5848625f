/**
 * The flags of `run` and `create` (docker/cli cli/command/container/opts.go addFlags), with
 * docker's names, value types, defaults and help texts; values are validated as docker's
 * option types validate them while parsing.
 *
 * @module
 */
import { customFlag, readCSV, type FlagDef, type FlagValues } from '../../flags/index.js';
import { memSwapBytes, nanoCpus, parseMount, parseUlimit, ramInBytes, validateExtraHost, validateIp } from './opts.js';

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
