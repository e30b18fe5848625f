/**
 * Address management for bridge networks (netavark does none: podman's own IPAM hands it
 * static addresses, and so do we). Pure functions over a network's IPAM config and its leases;
 * NetworkService persists the leases (store.ts) before netavark ever sees an address.
 */
import { Conflict, Forbidden, InvalidParameter } from '../errdefs/index.js';
import { contains, formatCidr, formatIp, hostRange, overlaps, parseIp, parseSubnet, tryParseCidr, type Cidr } from './cidr.js';
import type { IpamConfig } from './types.js';

/**
 * Docker's default address pools (daemon/config defaults): 172.17–31.0.0/16, then
 * 192.168.0.0/16 in /20s. The first that overlaps no taken prefix is used.
 */
export function defaultPools(): Cidr[] {
  const out: Cidr[] = [];
  for (let i = 17; i <= 31; i++) out.push(parseSubnet(`172.${i}.0.0/16`));
  for (let i = 0; i < 256; i += 16) out.push(parseSubnet(`192.168.${i}.0/20`));
  return out;
}

export function chooseSubnet(pools: readonly Cidr[], taken: readonly Cidr[]): Cidr {
  const free = pools.find((p) => !taken.some((t) => overlaps(p, t)));
  if (free === undefined) throw new Forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  return free;
}

/**
 * Validates one `IPAM.Config` entry against Docker's rules and fills the gateway (the first
 * host address) when it is missing; the messages are moby's.
 */
export function completeIpamConfig(c: IpamConfig): IpamConfig {
  const subnet = parseSubnet(c.Subnet);
  const out: IpamConfig = { Subnet: formatCidr(subnet) };
  if (c.IPRange !== undefined && c.IPRange !== '') {
    const r = tryParseCidr(c.IPRange);
    if (r === undefined) throw new InvalidParameter(`Invalid ip-range ${c.IPRange} : invalid CIDR address: ${c.IPRange}`);
    if (!contains(subnet, r.base) || r.bits < subnet.bits) throw new InvalidParameter(`invalid ip-range ${c.IPRange}: it must be within subnet ${c.Subnet}`);
    out.IPRange = formatCidr(r);
  }
  if (c.Gateway !== undefined && c.Gateway !== '') {
    const gw = parseIp(c.Gateway);
    if (gw === undefined) throw new InvalidParameter(`invalid gateway address ${c.Gateway}`);
    if (!contains(subnet, gw)) throw new InvalidParameter(`failed to allocate gateway (${c.Gateway}): Requested address is out of range`);
    out.Gateway = c.Gateway;
  } else {
    out.Gateway = formatIp(hostRange(subnet).first);
  }
  if (c.AuxiliaryAddresses !== undefined) out.AuxiliaryAddresses = c.AuxiliaryAddresses;
  return out;
}

/**
 * An address for `containerId`: the requested one (`--ip`) when free and inside the subnet,
 * else the lowest free one of the ip-range (or subnet), never the gateway or an auxiliary address.
 */
export function allocateIp(o: { config: IpamConfig; leases: Readonly<Record<string, string>>; containerId: string; requested?: string; networkName: string; networkId: string }): string {
  const subnet = parseSubnet(o.config.Subnet);
  const reserved = new Set<string>([o.config.Gateway ?? '', ...Object.values(o.config.AuxiliaryAddresses ?? {})]);
  const isFree = (ip: string): boolean => !reserved.has(ip) && (o.leases[ip] === undefined || o.leases[ip] === o.containerId);
  if (o.requested !== undefined && o.requested !== '') {
    const ip = parseIp(o.requested);
    if (ip === undefined) throw new InvalidParameter(`invalid IPv4 address: ${o.requested}`);
    if (!contains(subnet, ip)) throw new InvalidParameter(`no configured subnet or ip-range contain the IP address ${o.requested}`);
    if (!isFree(o.requested)) throw new Conflict('Address already in use');
    return o.requested;
  }
  const range = o.config.IPRange !== undefined ? hostRange(parseSubnet(o.config.IPRange)) : hostRange(subnet);
  const sub = hostRange(subnet);
  const first = Math.max(range.first, sub.first);
  const last = Math.min(range.last, sub.last);
  for (let n = first; n <= last; n++) {
    const ip = formatIp(n);
    if (isFree(ip)) return ip;
  }
  throw new Forbidden(`no available IPv4 addresses on this network's address pools: ${o.networkName} (${o.networkId})`);
}
