/** docker/go-units, the way the docker CLI prints sizes and ages. */

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's %.Ng: N significant digits, trailing zeros dropped. */
function formatG(v: number, precision: number): string {
  let s = v.toPrecision(precision);
  if (s.includes('e')) return String(Number(s));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  let v = size;
  while (v >= 1000 && i < DECIMAL.length - 1) {
    v /= 1000;
    i++;
  }
  return `${formatG(v, precision)}${DECIMAL[i]}`;
}

/** units.HumanSize: four significant digits. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** units.BytesSize: binary units, e.g. "1.5GiB". */
export function bytesSize(size: number): string {
  let i = 0;
  let v = size;
  while (v >= 1024 && i < BINARY.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatG(v, 4)}${BINARY[i]}`;
}

export { humanDuration } from '../../util/human-duration.js';
import { humanDuration } from '../../util/human-duration.js';

/** "N units ago" from a Unix time in seconds, as CreatedSince prints it. */
export function since(unixSeconds: number, now: Date = new Date()): string {
  return `${humanDuration(now.getTime() - unixSeconds * 1000)} ago`;
}

/** docker's stringid.TruncateID: drop the algorithm, keep 12 hex characters. */
export function truncateId(id: string): string {
  const hex = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  return hex.slice(0, 12);
}

/** Ellipsis truncation used for CREATED BY and COMMAND columns. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, max - 1).join('') + '…';
}
