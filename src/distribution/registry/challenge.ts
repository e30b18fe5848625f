/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them:
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"` or
 * `Basic realm="registry"`. Only the parts a registry uses are parsed: scheme and quoted or
 * token parameters.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(headers: string | string[] | undefined): Challenge[] {
  const values = headers === undefined ? [] : Array.isArray(headers) ? headers : [headers];
  const out: Challenge[] = [];
  for (const value of values) {
    const re = /\s*([A-Za-z][A-Za-z0-9._-]*)(?:\s+|$)((?:[A-Za-z0-9._-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/gy;
    let m: RegExpExecArray | null;
    while ((m = re.exec(value)) !== null && m[0] !== '') {
      const params: Record<string, string> = {};
      const pre = /([A-Za-z0-9._-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
      let p: RegExpExecArray | null;
      while ((p = pre.exec(m[2] ?? '')) !== null) {
        params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
      }
      out.push({ scheme: m[1]!.toLowerCase(), params });
      if (re.lastIndex >= value.length) break;
    }
  }
  return out;
}
