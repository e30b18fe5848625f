/**
 * docker/cli's container formatter (cli/command/formatter/container.go): the fields `ps
 * --format` offers, with docker's truncation, sizes and port display.
 *
 * @module
 */
import type { ContainerSummaryWithSize } from '../../../client/containers.js';
import { RawJson, escapeHtmlJson } from '../../../template/json.js';
import { ellipsis, humanSizeWithPrecision, since, truncateId } from '../../format/units.js';
import { goTimeString } from '../image/context.js';

export const CONTAINER_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** docker/cli DisplayablePorts: consecutive ports grouped into ranges, host mappings last. */
export function displayablePorts(input: readonly Port[]): string {
  const ports = [...input].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    const ai = a.IP ?? '';
    const bi = b.IP ?? '';
    if (ai !== bi) return ai < bi ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number): string => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) {
      ip = parts[0]!;
      type = parts[1]!;
    }
    let group = String(first);
    if (first !== last) group = `${group}-${last}`;
    if (ip !== '') group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of ports) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP !== undefined && p.IP !== '') {
      if ((p.PublicPort ?? 0) !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  // Go keeps the keys in creation order; a Map re-set keeps its first position too.
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** Go's strconv.Quote for the COMMAND column. */
function goQuoteString(s: string): string {
  return JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (m, h: string) => (parseInt(h, 16) < 0x20 || parseInt(h, 16) === 0x7f ? `\\x${h.slice(2)}` : m));
}

/** The IMAGE column: an ID image truncated, a reference without its digest (docker's trunc rules). */
function imageColumn(c: ContainerSummaryWithSize, trunc: boolean): string {
  if (c.Image === '') return '<no image>';
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.Image);
  const at = c.Image.indexOf('@');
  if (at < 0) return c.Image;
  const named = c.Image.slice(0, at);
  return named;
}

export interface ContainerRow {
  Command: string;
  CreatedAt: string;
  ID: string;
  Image: string;
  Labels: string;
  LocalVolumes: string;
  Mounts: string;
  Names: string;
  Networks: string;
  /** The image manifest's platform, which this daemon does not report (docker prints null). */
  Platform: null;
  Ports: string;
  RunningFor: string;
  Size: string;
  State: string;
  Status: string;
  /** `{{.Label "key"}}` */
  Label(name: string): string;
}

/** Rows for `ps`: one per container, fields as docker/cli's ContainerContext renders them. */
export function containerRows(list: readonly ContainerSummaryWithSize[], o: { trunc: boolean; now: Date }): ContainerRow[] {
  return list.map((c) => {
    let names = c.Names.map((n) => n.replace(/^\//, ''));
    // Truncated output hides the names links give (`/other/alias`).
    if (o.trunc) names = names.filter((n) => !n.includes('/'));
    const labels = Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).sort();
    const mounts = (c.Mounts ?? []).map((m) => {
      const name = m.Name !== undefined && m.Name !== '' ? m.Name : m.Source;
      return o.trunc ? ellipsis(name, 15) : name;
    });
    const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
    const size = c.SizeRw === undefined && c.SizeRootFs === undefined
      ? '0B'
      : (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})` : srw;
    const row: ContainerRow = {
      Command: goQuoteString(o.trunc ? ellipsis(c.Command, 20) : c.Command),
      CreatedAt: goTimeString(c.Created),
      ID: o.trunc ? truncateId(c.Id) : c.Id,
      Image: imageColumn(c, o.trunc),
      Labels: labels.join(','),
      LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
      Mounts: mounts.join(','),
      Names: names.join(','),
      Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
      Platform: null,
      Ports: displayablePorts((c.Ports ?? []) as Port[]),
      RunningFor: since(c.Created, o.now),
      Size: size,
      State: c.State,
      Status: c.Status,
      Label: (name: string) => c.Labels?.[name] ?? '',
    };
    Object.defineProperty(row, 'Label', { enumerable: false, value: row.Label });
    // `{{json .}}` prints docker's marshalled context: sorted keys, HTML escaped.
    Object.defineProperty(row, 'toJSON', {
      enumerable: false,
      value: () => new RawJson(escapeHtmlJson(JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)))))),
    });
    return row;
  });
}
