/**
 * Published ports: HostConfig.PortBindings (`-p`) and, with PublishAllPorts (`-P`), the exposed
 * ports, turned into mappings with concrete host ports. A host port is given only if no other
 * container of this daemon publishes it (netavark's DNAT rules would silently shadow each other)
 * and the host can bind it itself (a host process listening there would be shadowed too).
 */
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Conflict, InvalidParameter, isErrno } from '../errdefs/index.js';
import { parseIp } from './cidr.js';
import type { PortMapping } from './types.js';

/** A port to publish before a host port is chosen: `range` is [lo, hi], or undefined for a random one. */
export interface PortRequest {
  protocol: PortMapping['protocol'];
  containerPort: number;
  hostIp: string;
  range?: [number, number];
}

function portNumber(s: string, what: string): number {
  if (!/^\d+$/.test(s)) throw new InvalidParameter(`invalid ${what}: ${s}`);
  const n = Number(s);
  if (n < 1 || n > 65535) throw new InvalidParameter(`invalid ${what}: ${s}`);
  return n;
}

/** `80/tcp`, `53/udp`, `80` (tcp). */
export function parsePortKey(key: string): { port: number; protocol: PortMapping['protocol'] } {
  const [p = '', proto = 'tcp'] = key.split('/');
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new InvalidParameter(`invalid proto: ${proto}`);
  return { port: portNumber(p, 'containerPort'), protocol: proto as PortMapping['protocol'] };
}

interface Binding {
  HostIp?: unknown;
  HostPort?: unknown;
}

/** Validated port requests from the container's config; InvalidParameter for malformed ones. */
export function portRequests(o: { portBindings?: Record<string, unknown> | null; exposedPorts?: Record<string, unknown> | null; publishAll?: boolean }): PortRequest[] {
  const out: PortRequest[] = [];
  const bound = new Set<string>();
  for (const [key, value] of Object.entries(o.portBindings ?? {})) {
    const { port, protocol } = parsePortKey(key);
    bound.add(`${port}/${protocol}`);
    const list = Array.isArray(value) ? (value as Binding[]) : [];
    for (const b of list.length > 0 ? list : [{}]) {
      const hostIp = typeof b.HostIp === 'string' ? b.HostIp : '';
      if (hostIp !== '' && hostIp !== '0.0.0.0' && parseIp(hostIp) === undefined) {
        if (hostIp.includes(':')) continue; // IPv6 host addresses: our networks are IPv4-only, as Docker without ip6tables.
        throw new InvalidParameter(`invalid IP address: ${hostIp}`);
      }
      const hp = typeof b.HostPort === 'string' ? b.HostPort : '';
      const req: PortRequest = { protocol, containerPort: port, hostIp: hostIp === '0.0.0.0' ? '' : hostIp };
      if (hp !== '' && hp !== '0') {
        const m = /^(\d+)(?:-(\d+))?$/.exec(hp);
        if (m === null) throw new InvalidParameter(`invalid hostPort: ${hp}`);
        const lo = portNumber(m[1]!, 'hostPort');
        const hi = m[2] === undefined ? lo : portNumber(m[2], 'hostPort');
        if (hi < lo) throw new InvalidParameter(`invalid hostPort: ${hp}`);
        req.range = [lo, hi];
      }
      out.push(req);
    }
  }
  if (o.publishAll === true) {
    for (const key of Object.keys(o.exposedPorts ?? {})) {
      const { port, protocol } = parsePortKey(key);
      if (!bound.has(`${port}/${protocol}`)) out.push({ protocol, containerPort: port, hostIp: '' });
    }
  }
  return out;
}

async function ephemeralRange(): Promise<[number, number]> {
  try {
    const [lo, hi] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number);
    if (lo !== undefined && hi !== undefined && lo > 0 && hi >= lo) return [lo, hi];
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  return [49153, 60999];
}

/** Whether the host itself can bind the port now (nothing else listens there). */
export function canBind(protocol: PortMapping['protocol'], hostIp: string, port: number): Promise<boolean> {
  const host = hostIp === '' ? '0.0.0.0' : hostIp;
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    // sctp cannot be probed from Node: tcp on the same port is the closest check.
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function clashes(a: { protocol: string; hostIp: string; hostPort: number }, b: { protocol: string; hostIp: string; hostPort: number }): boolean {
  return a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === '' || b.hostIp === '' || a.hostIp === b.hostIp);
}

/**
 * Host ports for `reqs`, avoiding `inUse` (other containers' mappings) and ports the host holds.
 * Docker's errors: Conflict "port is already allocated" for another container's port, and the
 * userland proxy's bind error for a port some host process listens on.
 */
export async function allocatePorts(reqs: readonly PortRequest[], inUse: readonly PortMapping[]): Promise<PortMapping[]> {
  const taken: PortMapping[] = [...inUse];
  const out: PortMapping[] = [];
  for (const r of reqs) {
    const ip = r.hostIp === '' ? '0.0.0.0' : r.hostIp;
    let chosen: number | undefined;
    if (r.range !== undefined) {
      const [lo, hi] = r.range;
      for (let p = lo; p <= hi && chosen === undefined; p++) {
        const m = { protocol: r.protocol, hostIp: r.hostIp, hostPort: p };
        if (taken.some((t) => clashes(t, m))) {
          if (lo === hi) throw new Conflict(`Bind for ${ip}:${p} failed: port is already allocated`);
          continue;
        }
        if (!(await canBind(r.protocol, r.hostIp, p))) {
          if (lo === hi) throw new Conflict(`Error starting userland proxy: listen ${r.protocol}4 ${ip}:${p}: bind: address already in use`);
          continue;
        }
        chosen = p;
      }
      if (chosen === undefined) throw new Conflict(`Bind for ${ip}:${lo}-${hi} failed: port is already allocated`);
    } else {
      const [lo, hi] = await ephemeralRange();
      const span = hi - lo + 1;
      const start = Math.floor(Math.random() * span);
      for (let i = 0; i < span && chosen === undefined; i++) {
        const p = lo + ((start + i) % span);
        if (taken.some((t) => clashes(t, { protocol: r.protocol, hostIp: r.hostIp, hostPort: p }))) continue;
        if (await canBind(r.protocol, r.hostIp, p)) chosen = p;
      }
      if (chosen === undefined) throw new Conflict('no free host port left to publish on');
    }
    const m: PortMapping = { protocol: r.protocol, containerPort: r.containerPort, hostIp: r.hostIp, hostPort: chosen };
    taken.push(m);
    out.push(m);
  }
  return out;
}

/** NetworkSettings.Ports: every exposed or published port, with its host bindings (null when only exposed). */
export function portMap(exposed: Record<string, unknown> | null | undefined, mappings: readonly PortMapping[]): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const key of Object.keys(exposed ?? {})) {
    const { port, protocol } = parsePortKey(key);
    out[`${port}/${protocol}`] = null;
  }
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.protocol}`;
    (out[key] ??= []).push({ HostIp: m.hostIp === '' ? '0.0.0.0' : m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}

/** The `Ports` of a container summary (`docker ps`). */
export function summaryPorts(exposed: Record<string, unknown> | null | undefined, mappings: readonly PortMapping[]): Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> {
  const out: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> = [];
  const published = new Set(mappings.map((m) => `${m.containerPort}/${m.protocol}`));
  for (const m of mappings) out.push({ IP: m.hostIp === '' ? '0.0.0.0' : m.hostIp, PrivatePort: m.containerPort, PublicPort: m.hostPort, Type: m.protocol });
  for (const key of Object.keys(exposed ?? {})) {
    const { port, protocol } = parsePortKey(key);
    if (!published.has(`${port}/${protocol}`)) out.push({ PrivatePort: port, Type: protocol });
  }
  return out;
}
