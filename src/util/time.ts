/**
 * Timestamps as Go's time.RFC3339Nano prints them, which is how Docker shows every time (image
 * Created, Metadata.LastTagTime): fractional seconds without trailing zeros (no fraction at all when
 * it is zero), at most nine digits, and `Z` for a zero offset. Scripts and `--format` templates
 * compare these as text.
 */
export function rfc3339Nano(s: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(s);
  if (!m) return s;
  const fraction = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return `${m[1]!}${fraction === '' ? '' : `.${fraction}`}${zone}`;
}

export function formatRfc3339Nano(d: Date): string {
  return rfc3339Nano(d.toISOString());
}
