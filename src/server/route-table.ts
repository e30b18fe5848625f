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

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Routes tried in order, first match wins (gorilla/mux semantics). */
export class RouteTable {
  readonly #routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.#routes = routes.map(compile);
  }

  match(method: string, path: string): Match {
    let pathMatched = false;
    for (const c of this.#routes) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      const routeMethod = c.route.method;
      if (routeMethod !== method && !(method === 'HEAD' && routeMethod === 'GET')) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      return { kind: 'found', handler: c.route.handler, params, route: c.route };
    }
    return pathMatched ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
  }
}
