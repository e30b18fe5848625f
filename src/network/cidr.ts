/**
 * IPv4 addresses and CIDR prefixes as numbers: parsing with Go's strictness (net.ParseCIDR
 * rejects `10.1.0/24` and `/33`), overlap and containment, and the usable host range.
 * IPv6 networks are not supported yet; callers reject them before reaching here.
 */
import { InvalidParameter } from '../errdefs/index.js';

export interface Cidr {
  /** The network address (host bits cleared). */
  base: number;
  bits: number;
  /** The address as written (host bits kept): `10.1.0.5/24` → 10.1.0.5. */
  addr: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p, i) => p > 255 || (m[i + 1]!.length > 1 && m[i + 1]!.startsWith('0')))) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** Go's net.ParseCIDR for IPv4; undefined when malformed. */
export function tryParseCidr(s: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s);
  if (m === null) return undefined;
  const addr = parseIp(m[1]!);
  const bits = Number(m[2]);
  if (addr === undefined || bits > 32) return undefined;
  return { base: (addr & mask(bits)) >>> 0, bits, addr };
}

/** Docker's wording for a subnet that does not parse. */
export function parseSubnet(s: string): Cidr {
  const c = tryParseCidr(s);
  if (c === undefined) throw new InvalidParameter(`Invalid subnet ${s} : invalid CIDR address: ${s}`);
  return c;
}

export function formatCidr(c: Pick<Cidr, 'base' | 'bits'>): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

export function lastAddress(c: Pick<Cidr, 'base' | 'bits'>): number {
  return (c.base | (~mask(c.bits) >>> 0)) >>> 0;
}

export function contains(c: Pick<Cidr, 'base' | 'bits'>, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function overlaps(a: Pick<Cidr, 'base' | 'bits'>, b: Pick<Cidr, 'base' | 'bits'>): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** The addresses a container may get: the network and broadcast addresses excluded (for /31 and /32 every one). */
export function hostRange(c: Pick<Cidr, 'base' | 'bits'>): { first: number; last: number } {
  if (c.bits >= 31) return { first: c.base, last: lastAddress(c) };
  return { first: c.base + 1, last: lastAddress(c) - 1 };
}
