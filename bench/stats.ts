export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function min(xs: readonly number[]): number {
  return Math.min(...xs);
}

/** 0.0234 → "23.4 ms", 2.31 → "2.31 s". */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return 'n/a';
  if (s < 0.01) return `${(s * 1000).toFixed(2)} ms`;
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  return `${s.toFixed(2)} s`;
}

export function formatRatio(r: number | undefined): string {
  return r === undefined ? 'n/a' : `${r.toFixed(2)}×`;
}

export function formatKiB(kib: number | undefined): string {
  if (kib === undefined) return 'n/a';
  return kib >= 1024 * 10 ? `${(kib / 1024).toFixed(0)} MiB` : `${(kib / 1024).toFixed(1)} MiB`;
}

/** Plain-text table: columns padded, numbers right-aligned (every column but the first). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
