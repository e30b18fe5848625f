/**
 * A container's interface counters for stats (Docker's `networks` object): /proc/<pid>/net/dev
 * shows the network namespace of that process. Loopback is left out, as Docker does.
 */
import { readFile } from 'node:fs/promises';
import { isErrno } from '../errdefs/index.js';

export interface InterfaceStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export function parseNetDev(text: string): Record<string, InterfaceStats> {
  const out: Record<string, InterfaceStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (m === null || m[1] === 'lo') continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    out[m[1]!] = {
      rx_bytes: f[0] ?? 0, rx_packets: f[1] ?? 0, rx_errors: f[2] ?? 0, rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0, tx_packets: f[9] ?? 0, tx_errors: f[10] ?? 0, tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}

/** The counters of the process's namespace; undefined when the process is gone or has no interface but lo. */
export async function readNetworkStats(pid: number): Promise<Record<string, InterfaceStats> | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ESRCH')) return undefined;
    throw err;
  }
  const stats = parseNetDev(text);
  return Object.keys(stats).length > 0 ? stats : undefined;
}
