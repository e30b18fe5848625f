import { InvalidParameter } from '../errdefs/index.js';
import type { Handler, Route } from './context.js';

interface CompiledRoute {
  readonly route: Route;
  readonly re: RegExp;
  readonly names: readonly string[];
}

export type Match =
  | { kind: 'found'; handler: Handler; params: Record<string, string>; route: Route }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  let src = '^';
  let rest = route.path;
  const varRe = /\{([a-zA-Z_]+)(?::([^}]+))?\}/;
  for (;;) {
    const m = varRe.exec(rest);
    if (!m) break;
    src += escapeRe(rest.slice(0, m.index));
    names.push(m[1]!);
    src += `(${m[2] ?? '[^/]+'})`;
    rest = rest.slice(m.index + m[0].length);
  }
  src += escapeRe(rest) + '$';
  return { route, re: new RegExp(src), names };
}

/** Throws InvalidParameter on a `%` not followed by two hex digits, with Go's url.EscapeError text. */
function checkEscapes(path: string): void {
  const bad = /%(?![0-9a-fA-F]{2})/.exec(path);
  if (bad) throw new InvalidParameter(`invalid URL escape ${JSON.stringify(path.slice(bad.index, bad.index + 3))}`);
}

/**
 * Percent-decodes a path parameter whose escapes are well formed. Escaped bytes that are not
 * UTF-8 become U+FFFD (where decodeURIComponent would throw): Go keeps the raw bytes, and
 * dockerd's answers show them the same way.
 */
function decodeParam(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      bytes.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Routes tried in order, first match wins (gorilla/mux semantics). */
export class RouteTable {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(compile);
  }

  /** `path` is still percent-encoded; a malformed escape anywhere in it is InvalidParameter. */
  match(method: string, path: string): Match {
    checkEscapes(path);
    let pathMatched = false;
    for (const c of this.#routes) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      const routeMethod = c.route.method;
      if (routeMethod !== method && !(method === 'HEAD' && routeMethod === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeParam(m[i + 1] ?? '')));
      return { kind: 'found', handler: c.route.handler, params, route: c.route };
    }
    return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}
