/**
 * The IPv4 prefixes the host already uses (routes of every table and interface addresses):
 * a new network's subnet must overlap none of them, so that it never shadows the LAN, docker0,
 * podman's bridges or another engine's networks.
 */
import { tryParseCidr, type Cidr } from './cidr.js';
import { execCommand } from '../util/exec.js';


interface IpRoute {
  dst?: string;
}
interface IpAddr {
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

export async function hostPrefixes(): Promise<Cidr[]> {
  const [routes, addrs] = await Promise.all([
    execCommand('ip', ['-4', '-j', 'route', 'show', 'table', 'all']),
    execCommand('ip', ['-4', '-j', 'addr', 'show']),
  ]);
  const out: Cidr[] = [];
  for (const r of JSON.parse(routes.stdout || '[]') as IpRoute[]) {
    // `default` covers everything and would rule out every pool: only concrete prefixes count.
    if (r.dst === undefined || r.dst === 'default') continue;
    const c = tryParseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    if (c !== undefined && c.bits > 0) out.push(c);
  }
  for (const a of JSON.parse(addrs.stdout || '[]') as IpAddr[]) {
    for (const i of a.addr_info ?? []) {
      if (i.family !== 'inet' || i.local === undefined) continue;
      const c = tryParseCidr(`${i.local}/${i.prefixlen ?? 32}`);
      if (c !== undefined) out.push(c);
    }
  }
  return out;
}
