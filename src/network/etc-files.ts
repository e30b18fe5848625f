/**
 * The contents of a container's /etc/hosts and /etc/resolv.conf, as Docker (libnetwork's
 * etchosts and resolvconf) writes them: the standard localhost block, `--add-host` entries, then
 * the container's own address and hostname; resolv.conf from the host's with loopback name
 * servers dropped (they mean nothing inside another network namespace), `--dns`,
 * `--dns-search` and `--dns-option` replacing their parts. On user-defined networks the name
 * server is aardvark-dns on the network's gateway (Docker's embedded 127.0.0.11 plays that role).
 */
import { InvalidParameter } from '../errdefs/index.js';
import { parseIp } from './cidr.js';

const DEFAULT_HOSTS = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
];

/** `name:ip` or `name=ip` (`host-gateway` becomes `gateway`); InvalidParameter otherwise. */
export function parseExtraHost(entry: string, gateway: string | undefined): { name: string; ip: string } {
  const sep = entry.search(/[:=]/);
  const name = sep < 0 ? '' : entry.slice(0, sep);
  let ip = sep < 0 ? '' : entry.slice(sep + 1).replace(/^\[(.*)\]$/, '$1');
  if (ip === 'host-gateway') {
    if (gateway === undefined) throw new InvalidParameter(`invalid IP address in add-host: "host-gateway"`);
    ip = gateway;
  }
  if (name === '' || ip === '' || (parseIp(ip) === undefined && !/^[0-9a-fA-F:.]+$/.test(ip) )) {
    throw new InvalidParameter(`invalid IP address in add-host: "${ip === '' ? entry : ip}"`);
  }
  return { name, ip };
}

export function hostsFile(o: { hostname: string; domainname?: string; ip?: string; extraHosts: ReadonlyArray<{ name: string; ip: string }> }): string {
  const lines = DEFAULT_HOSTS.map(([ip, names]) => `${ip}\t${names}`);
  for (const h of o.extraHosts) lines.push(`${h.ip}\t${h.name}`);
  if (o.ip !== undefined && o.ip !== '') {
    const names = o.domainname ? `${o.hostname}.${o.domainname} ${o.hostname}` : o.hostname;
    lines.push(`${o.ip}\t${names}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const r: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] !== undefined) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.search = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

export function resolvConfFile(o: { host: ResolvConf; dns?: readonly string[] | null; dnsSearch?: readonly string[] | null; dnsOptions?: readonly string[] | null; embedded?: string[] }): string {
  const userDns = o.dns ?? [];
  // Without --dns: the host's servers, loopback ones dropped (no public fallback is invented).
  let servers = userDns.length > 0 ? [...userDns] : o.host.nameservers.filter((s) => !isLoopback(s));
  if (o.embedded !== undefined && o.embedded.length > 0) servers = [...o.embedded, ...(userDns.length > 0 ? userDns : [])];
  const search = o.dnsSearch !== undefined && o.dnsSearch !== null && o.dnsSearch.length > 0 ? o.dnsSearch.filter((s) => s !== '.') : o.host.search;
  const options = o.dnsOptions !== undefined && o.dnsOptions !== null && o.dnsOptions.length > 0 ? o.dnsOptions : o.host.options;
  const lines: string[] = [];
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + '\n';
}
