/**
 * Which server a reference's domain means and whether it may be spoken to without verified TLS,
 * as Docker's registry config decides: `docker.io` is served by `registry-1.docker.io`; a
 * registry is insecure when its host is listed in `--insecure-registry` (as `host[:port]`) or its
 * address lies in a listed CIDR, and 127.0.0.0/8 (and ::1) is insecure by default.
 */
import { isIP } from 'node:net';
import { InvalidParameter } from '../../errdefs/index.js';

export const DOCKER_HUB_DOMAIN = 'docker.io';
export const DOCKER_HUB_HOST = 'registry-1.docker.io';
/** The index server address Docker's clients use for Hub credentials (config.json key). */
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';

export interface Endpoint {
  /** The reference's domain (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** host[:port] to connect to. */
  host: string;
  /** Plain HTTP and unverified TLS are allowed (tried after verified HTTPS fails). */
  insecure: boolean;
  /** A mirror's fixed base URL (`https://mirror:5000`): its scheme is the one used, no fallback. */
  base?: string;
}

export interface EndpointOptions {
  /** `--insecure-registry` values: `host[:port]` or a CIDR. */
  insecureRegistries?: readonly string[];
  /** `--registry-mirror` values, parsed: mirrors per registry domain, tried in order. */
  mirrors?: readonly Mirror[];
}

export function endpointFor(domain: string, o: EndpointOptions = {}): Endpoint {
  const host = domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_HOST : domain;
  return { domain, host, insecure: isInsecure(domain, o.insecureRegistries ?? []) };
}

export interface Mirror {
  /** The registry it mirrors (`docker.io`, `reg:5000`). */
  domain: string;
  /** Normalised base URL, `scheme://host[:port]`. */
  url: string;
}

/**
 * A `--registry-mirror` value: `URL` mirrors Docker Hub (Docker's only form); `host[:port]=URL`
 * (estiba's extension) mirrors that registry. URLs are checked as moby's ValidateMirror does.
 */
export function parseMirror(value: string): Mirror {
  const eq = value.indexOf('=');
  const domain = eq > 0 && !value.slice(0, eq).includes('/') ? value.slice(0, eq) : DOCKER_HUB_DOMAIN;
  const raw = eq > 0 && !value.slice(0, eq).includes('/') ? value.slice(eq + 1) : value;
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') return parseMirror(raw);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidParameter(`invalid mirror: "${raw}" is not a valid URI`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidParameter(`invalid mirror: unsupported scheme "${u.protocol.slice(0, -1)}" in "${raw}"`);
  if (u.username !== '' || u.password !== '') throw new InvalidParameter(`invalid mirror: username/password not allowed in URI "${raw}"`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '' || raw.endsWith('?') || raw.endsWith('#')) {
    throw new InvalidParameter(`invalid mirror: path, query, or fragment at end of the URI "${raw}"`);
  }
  if (domain === '' || domain.includes(' ')) throw new InvalidParameter(`invalid mirror: bad registry "${domain}" in "${value}"`);
  return { domain, url: `${u.protocol}//${u.host}` };
}

/** The endpoints a pull of `domain` tries: its mirrors in order, then the registry itself. */
export function pullEndpoints(domain: string, o: EndpointOptions = {}): Endpoint[] {
  const mirrors = (o.mirrors ?? []).filter((m) => m.domain === domain).map((m): Endpoint => {
    const host = new URL(m.url).host;
    return { domain, host, insecure: isInsecure(host, o.insecureRegistries ?? []), base: m.url };
  });
  return [...mirrors, endpointFor(domain, o)];
}

function hostOnly(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(1, hostport.indexOf(']'));
  const i = hostport.lastIndexOf(':');
  return i >= 0 && hostport.indexOf(':') === i ? hostport.slice(0, i) : hostport;
}

function isInsecure(domain: string, list: readonly string[]): boolean {
  if (domain === DOCKER_HUB_DOMAIN) return false;
  const host = hostOnly(domain);
  // localhost resolves to loopback, which Docker treats as insecure.
  const addr = host === 'localhost' ? '127.0.0.1' : host;
  const cidrs = ['127.0.0.0/8', '::1/128', ...list.filter((e) => e.includes('/'))];
  if (list.includes(domain) || list.includes(host)) return true;
  if (isIP(addr) === 0) return false;
  return cidrs.some((c) => inCidr(addr, c));
}

/** Whether an IPv4 or IPv6 address lies in a CIDR of the same family. */
export function inCidr(addr: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (net === undefined || !Number.isInteger(bits)) return false;
  const a = ipBytes(addr);
  const n = ipBytes(net);
  if (!a || !n || a.length !== n.length || bits < 0 || bits > a.length * 8) return false;
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((a[byte]! & mask) !== (n[byte]! & mask)) return false;
  }
  return true;
}

function ipBytes(ip: string): number[] | undefined {
  if (isIP(ip) === 4) return ip.split('.').map(Number);
  if (isIP(ip) !== 6) return undefined;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}
