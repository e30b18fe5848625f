/**
 * Go's time.ParseDuration and Duration.String, on nanoseconds held in a JavaScript number
 * (exact up to about 104 days, far beyond what docker's duration flags take).
 */

import { goQuote } from '../../template/index.js';

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const MAX = (1n << 63n) - 1n;

/** time.ParseDuration: "1h30m", "1.5s", "-300ms", "0". Returns nanoseconds. */
export function parseDuration(orig: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) throw invalid();
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2];
    if (intPart === '' && (fracPart === undefined || fracPart === '')) throw invalid();
    s = s.slice(m?.[0].length ?? 0);
    let i = 0;
    while (i < s.length && !/[0-9.]/.test(s.charAt(i))) i++;
    if (i === 0) throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = UNITS.get(u);
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(u)} in duration ${goQuote(orig)}`);
    let v = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (fracPart !== undefined && fracPart !== '') {
      v += (BigInt(fracPart) * unit) / 10n ** BigInt(fracPart.length);
    }
    total += v;
    if (total > MAX) throw invalid();
  }
  return Number(neg ? -total : total);
}

/** Digits of v / 10^prec after the point, trailing zeros dropped; "" when there are none. */
function frac(v: bigint, prec: number): [string, bigint] {
  const scale = 10n ** BigInt(prec);
  const f = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return [f === '' ? '' : `.${f}`, v / scale];
}

/** time.Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(ns: number): string {
  let u = BigInt(Math.trunc(ns));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    const [prec, unit] = u < 1_000n ? [0, 'ns'] : u < 1_000_000n ? [3, '\u00b5s'] : [6, 'ms'];
    const [f, whole] = frac(u, prec);
    out = `${whole}${f}${unit}`;
  } else {
    const [f, secs] = frac(u, 9);
    out = `${secs % 60n}${f}s`;
    const mins = secs / 60n;
    if (mins > 0n) {
      out = `${mins % 60n}m${out}`;
      const hours = mins / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}
