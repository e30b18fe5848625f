/**
 * docker/cli's option value parsers (opts/*.go, go-units): sizes, CPUs, ulimits, ports, env
 * files, restart policies. Each throws an Error with docker's reason text; the flag parser
 * wraps it as `invalid argument "x" for "--flag" flag: <reason>`.
 *
 * @module
 */
import { goQuote } from '../../../template/index.js';

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Go's strconv.ParseFloat on the number part (decimal forms only). */
function parseGoFloat(num: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`);
  return Number(num);
}

/** go-units RAMInBytes (parseSize with binary multiples): "64m", "1.5g", "512" bytes, "2 GiB". */
export function ramInBytes(s: string): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('01234567890. '.includes(s[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw new Error(`invalid size: '${s}'`);
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  let sfx = s.slice(sep + 1);
  const size = parseGoFloat(num);
  if (size < 0) throw new Error(`invalid size: '${s}'`);
  if (sfx === '') return Math.trunc(size);
  const bad = (): Error => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(size);
  }
  const mul = BINARY[sfx[0]!];
  if (mul === undefined) throw bad();
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(size * mul);
}

/** opts.MemSwapBytes: "-1" means unlimited. */
export function memSwapBytes(s: string): number {
  return s === '-1' ? -1 : ramInBytes(s);
}

/** opts.NanoCPUs: a decimal number of CPUs → nanoCPUs (no finer than 1e-9). */
export function nanoCpus(s: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`failed to parse ${s} as a rational number`);
  const frac = m[3] ?? '';
  if (frac.replace(/0+$/, '').length > 9) throw new Error('value is too precise');
  const nanos = BigInt(m[2] || '0') * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  return Number(m[1] === '-' ? -nanos : nanos);
}

/** go-units ParseUlimit: `name=soft[:hard]`. */
export function parseUlimit(val: string): { Name: string; Hard: number; Soft: number } {
  const eq = val.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  const known = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];
  if (!known.includes(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = val.slice(eq + 1).split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${val.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (p: string): number => {
    if (!/^-?\d+$/.test(p)) throw new Error(`strconv.ParseInt: parsing ${goQuote(p)}: invalid syntax`);
    return Number(p);
  };
  const soft = num(parts[0]!);
  const hard = parts.length > 1 ? num(parts[1]!) : soft;
  if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: name, Hard: hard, Soft: soft };
}

/** opts.ParseRestartPolicy. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count, ...rest] = policy.split(':');
  if (rest.length > 0) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
  const p = { Name: name!, MaximumRetryCount: 0 };
  if (count !== undefined) {
    if (!/^-?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
    p.MaximumRetryCount = Number(count);
  }
  return p;
}

/** opts.ParseEnvFile's line rules over a file's text; `lookup` resolves names given without a value. */
export function parseEnvFileText(text: string, lookup: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    let line = raw.replace(/^[ \t\r\n\f\v]+/, '');
    if (lineNo === 1) line = line.replace(/^\uFEFF/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line.replace(/\s+$/, '') : line.slice(0, eq);
    if (key === '') throw new Error(`invalid environment variable: ${line}`);
    if (/\s/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      out.push(line.replace(/\r$/, ''));
      continue;
    }
    const v = lookup(key);
    if (v !== undefined) out.push(`${key}=${v}`);
  }
  return out;
}

/** opts.ValidateEnv: `-e NAME` takes NAME's value from the client's environment when it has one. */
export function resolveEnv(val: string, lookup: (k: string) => string | undefined): string {
  const eq = val.indexOf('=');
  if (eq === 0) throw new Error(`invalid environment variable: ${val}`);
  if (eq > 0) return val;
  const v = lookup(val);
  return v === undefined ? val : `${val}=${v}`;
}

/** Label files: env-file rules, but a name without `=` has nothing to look up and is dropped. */
export function parseLabelFileText(text: string): string[] {
  return parseEnvFileText(text, () => undefined);
}

export interface PortMapping {
  port: string;
  binding: { HostIp: string; HostPort: string };
}

/** nat.ParsePortRange; `what` names the side in docker's message ("containerPort", "hostPort"). */
function splitRange(s: string, what: string): [number, number] {
  const [a, b] = s.split('-');
  const start = Number(a);
  const end = b === undefined ? start : Number(b);
  if (!/^\d+$/.test(a ?? '') || (b !== undefined && !/^\d+$/.test(b)) || start > 65535 || end > 65535 || end < start) {
    throw new Error(`invalid ${what}: ${s}`);
  }
  return [start, end];
}

/** go-connections nat.ParsePortSpec: `[ip:][hostPort:]containerPort[/proto]`, ranges expanded. */
export function parsePortSpec(raw: string): PortMapping[] {
  let rest = raw;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  }
  let ip = '';
  let hostPort = '';
  let containerPort: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    ip = rest.slice(1, close);
    rest = rest.slice(close + 2);
    const parts = rest.split(':');
    containerPort = parts.pop()!;
    hostPort = parts.join(':');
  } else {
    const parts = rest.split(':');
    if (parts.length === 1) containerPort = parts[0]!;
    else if (parts.length === 2) [hostPort, containerPort] = parts as [string, string];
    else {
      containerPort = parts.pop()!;
      hostPort = parts.pop()!;
      ip = parts.join(':');
    }
  }
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  const [cs, ce] = splitRange(containerPort, 'containerPort');
  let hs = 0;
  let he = 0;
  if (hostPort !== '') [hs, he] = splitRange(hostPort, 'hostPort');
  if (hostPort !== '' && he - hs !== ce - cs && ce !== cs) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  const out: PortMapping[] = [];
  for (let i = 0; i <= ce - cs; i++) {
    let hp = hostPort === '' ? '' : String(hs + i);
    // One container port and a host range: the range is where the daemon picks a free port.
    if (cs === ce && hs !== he) hp = `${hp}-${he}`;
    out.push({ port: `${cs + i}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** opts.ParseDevice (Linux): `host[:container][:perms]`. */
export function parseDevice(val: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = val.split(':');
  const validPerms = (p: string): boolean => p !== '' && /^[rwm]+$/.test(p);
  let src = '';
  let dst = '';
  let perms = 'rwm';
  switch (parts.length) {
    case 3:
      if (!validPerms(parts[2]!)) throw new Error(`bad mode specified: ${parts[2]}`);
      perms = parts[2]!;
      dst = parts[1]!;
      src = parts[0]!;
      break;
    case 2:
      if (validPerms(parts[1]!)) perms = parts[1]!;
      else dst = parts[1]!;
      src = parts[0]!;
      break;
    case 1:
      src = parts[0]!;
      break;
    default:
      throw new Error(`invalid device specification: ${val}`);
  }
  if (dst === '') dst = src;
  return { PathOnHost: src, PathInContainer: dst, CgroupPermissions: perms };
}

/** opts.ValidateExtraHost: `host:ip` or `host=ip`; sent as `host:ip`. */
export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  if (sep <= 0) throw new Error(`bad format for add-host: ${goQuote(val)}`);
  const host = val.slice(0, sep);
  let ip = val.slice(sep + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== 'host-gateway' && !/^[\d.]+$/.test(ip) && !ip.includes(':')) throw new Error(`invalid IP address in add-host: ${goQuote(ip)}`);
  return `${host}:${ip}`;
}

/** opts.ValidateIPAddress for --dns. */
export function validateIp(val: string): string {
  const v = val.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || (v.includes(':') && /^[0-9a-fA-F:.]+$/.test(v))) return v;
  throw new Error(`IP address is not correctly formatted: ${val}`);
}

export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: Record<string, unknown>;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function parseBoolValue(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  const l = v.toLowerCase();
  if (['1', 't', 'true'].includes(l)) return true;
  if (['0', 'f', 'false'].includes(l)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

/** opts.MountOpt.Set: the CSV `type=bind,src=…,dst=…[,readonly]` of --mount. */
export function parseMount(value: string, csv: (s: string) => string[]): MountSpec {
  const m: MountSpec = { Type: 'volume' };
  // As docker's MountOpt: touching a volume option creates VolumeOptions with an empty DriverConfig.
  const volumeOptions = (): NonNullable<MountSpec['VolumeOptions']> => {
    m.VolumeOptions ??= {};
    m.VolumeOptions.DriverConfig ??= {};
    return m.VolumeOptions;
  };
  const fields = csv(value);
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const val = eq < 0 ? undefined : field.slice(eq + 1);
    if (val === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-recursive'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        m.Type = val!;
        break;
      case 'source':
      case 'src':
        m.Source = val!;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = val!;
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = parseBoolValue(key, val);
        break;
      case 'consistency':
        m.Consistency = val!;
        break;
      case 'bind-propagation':
        m.BindOptions = { ...m.BindOptions, Propagation: val! };
        break;
      case 'bind-nonrecursive':
        throw new Error('bind-nonrecursive is deprecated, use bind-recursive=disabled instead');
      case 'volume-nocopy':
        volumeOptions().NoCopy = parseBoolValue(key, val);
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = val!;
        break;
      case 'volume-label': {
        const [k, ...v] = val!.split('=');
        volumeOptions().Labels = { ...volumeOptions().Labels, [k!]: v.join('=') };
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig = { ...volumeOptions().DriverConfig, Name: val! };
        break;
      case 'volume-opt': {
        const [k, ...v] = val!.split('=');
        const dc = volumeOptions().DriverConfig!;
        dc.Options = { ...dc.Options, [k!]: v.join('=') };
        break;
      }
      case 'tmpfs-size':
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(val!) };
        break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val!)) throw new Error(`invalid value for ${key}: ${val}`);
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(val!, 8) };
        break;
      }
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Type === '') throw new Error('type is required');
  if (m.Target === undefined || m.Target === '') throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}
