import type { Volume } from '../../../api/volumes.js';

export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};

/** One row of `docker volume ls`, with docker/cli's volumeContext fields (keys sorted, as its JSON is). */
export interface VolumeRow {
  Availability: string;
  Driver: string;
  Group: string;
  Labels: string;
  Links: string;
  Mountpoint: string;
  Name: string;
  Scope: string;
  Size: string;
  Status: string;
}

export function volumeRows(vols: readonly Volume[]): VolumeRow[] {
  return vols.map((v) => ({
    Availability: 'N/A',
    Driver: v.Driver,
    Group: 'N/A',
    Labels: Object.entries(v.Labels ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, val]) => `${k}=${val}`).join(','),
    Links: 'N/A',
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope,
    Size: 'N/A',
    Status: 'N/A',
  }));
}

/** `key=value` flags (`--label`, `--opt`) into a map; a bare key gets '' (docker's opts.ListOpts). */
export function keyValues(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
