import { InvalidParameter } from '../errdefs/index.js';

/** `--filter key=value` flags into the API's filter map; a value without `=` is Docker's error. */
export function parseFilterFlags(flags: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of flags) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new InvalidParameter(`bad format of filter (expected name=value)`);
    const k = f.slice(0, eq).trim().toLowerCase();
    const val = f.slice(eq + 1);
    out.set(k, [...(out.get(k) ?? []), val]);
  }
  return out;
}
