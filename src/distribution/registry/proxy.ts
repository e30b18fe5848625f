/**
 * Proxies from the environment with the rules of Go's `http.ProxyFromEnvironment`
 * (golang.org/x/net/http/httpproxy), which dockerd follows: HTTP_PROXY for http:// URLs,
 * HTTPS_PROXY for https:// (upper case first, then lower case), NO_PROXY excludes hosts;
 * `localhost` and loopback addresses are never proxied. NO_PROXY entries: `*`; an IP or CIDR;
 * `[IPv6]:port` / `IP:port`; a domain (`foo.com` also matches `bar.foo.com`), `.foo.com` or
 * `*.foo.com` (subdomains only), each with an optional `:port`.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { InvalidParameter } from '../../errdefs/index.js';
import { inCidr } from './endpoint.js';

export interface ProxyEnv {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

const anyOf = (env: NodeJS.ProcessEnv, names: string[]): string => {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return '';
};

export function proxyEnvFrom(env: NodeJS.ProcessEnv): ProxyEnv {
  return {
    httpProxy: anyOf(env, ['HTTP_PROXY', 'http_proxy']),
    httpsProxy: anyOf(env, ['HTTPS_PROXY', 'https_proxy']),
    noProxy: anyOf(env, ['NO_PROXY', 'no_proxy']),
  };
}

type Matcher = (host: string, port: string, ip: boolean) => boolean;

/** Decides per URL which proxy, if any, a request goes through. */
export class ProxySelector {
  readonly #env: ProxyEnv;
  readonly #all: boolean;
  readonly #ipMatchers: Matcher[] = [];
  readonly #domainMatchers: Matcher[] = [];

  constructor(env: ProxyEnv) {
    this.#env = env;
    let all = false;
    for (const raw of env.noProxy.split(',')) {
      const p = raw.trim().toLowerCase();
      if (p === '') continue;
      if (p === '*') {
        all = true;
        break;
      }
      if (p.includes('/')) {
        this.#ipMatchers.push((h) => inCidr(h, p));
        continue;
      }
      let [phost, pport] = splitHostPort(p) ?? [p, ''];
      if (phost.startsWith('[') && phost.endsWith(']')) phost = phost.slice(1, -1);
      if (phost === '') continue;
      if (isIP(phost) !== 0) {
        const want = normIp(phost);
        this.#ipMatchers.push((h, port) => normIp(h) === want && (pport === '' || pport === port));
        continue;
      }
      if (phost.startsWith('*.')) phost = phost.slice(1);
      const matchHost = !phost.startsWith('.');
      const suffix = matchHost ? `.${phost}` : phost;
      this.#domainMatchers.push((h, port) => (h.endsWith(suffix) || (matchHost && h === suffix.slice(1))) && (pport === '' || pport === port));
    }
    this.#all = all;
  }

  /** The proxy URL for `url`, or undefined to connect directly. */
  proxyFor(url: URL): URL | undefined {
    const raw = url.protocol === 'https:' ? this.#env.httpsProxy : url.protocol === 'http:' ? this.#env.httpProxy : '';
    if (raw === '' || !this.#useProxy(url)) return undefined;
    return parseProxy(raw);
  }

  #useProxy(url: URL): boolean {
    if (this.#all) return false;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (host === 'localhost') return false;
    const ip = isIP(host) !== 0;
    if (ip && (inCidr(host, '127.0.0.0/8') || inCidr(host, '::1/128'))) return false;
    if (ip && this.#ipMatchers.some((m) => m(host, port, ip))) return false;
    return !this.#domainMatchers.some((m) => m(host, port, ip));
  }
}

function splitHostPort(p: string): [string, string] | undefined {
  const m = /^(\[[^\]]*\]|[^:]*):(\d*)$/.exec(p);
  return m ? [m[1]!, m[2]!] : undefined;
}

function normIp(ip: string): string {
  return isIP(ip) === 6 ? ip.toLowerCase() : ip;
}

/** Go's parseProxy: a value without a known scheme is taken as `http://value`. */
export function parseProxy(raw: string): URL {
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (!u || !['http:', 'https:', 'socks5:', 'socks5h:'].includes(u.protocol) || u.host === '') {
    try {
      u = new URL(`http://${raw}`);
    } catch {
      throw new InvalidParameter(`invalid proxy address "${raw}"`);
    }
  }
  if (u.protocol !== 'http:') throw new InvalidParameter(`proxy ${u.protocol.slice(0, -1)}://${u.host}: only http:// proxies are supported`);
  return u;
}

/** `Proxy-Authorization` for a proxy URL with credentials. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/**
 * An https agent whose connections are tunnels through an HTTP proxy (CONNECT host:port), TLS
 * then running end to end with the agent's own TLS options (CAs, client certificate).
 */
export class TunnelAgent extends https.Agent {
  readonly #proxy: URL;

  constructor(proxy: URL, o: https.AgentOptions) {
    super(o);
    this.#proxy = proxy;
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const cb = callback ?? (() => undefined);
    const host = options.host ?? options.hostname ?? 'localhost';
    const target = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
    const req = http.request({
      host: this.#proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(this.#proxy.port || 80),
      method: 'CONNECT',
      path: target,
      headers: { Host: target, ...proxyAuthorization(this.#proxy) },
      agent: false,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        cb(new Error(`${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trim()), undefined as unknown as Duplex);
        return;
      }
      const servername = isIP(host) === 0 ? host : undefined;
      cb(null, tls.connect({ ...(options as tls.ConnectionOptions), socket, ...(servername ? { servername } : {}) }));
    });
    req.once('error', (err) => cb(new Error(`proxyconnect tcp: ${err.message}`, { cause: err }), undefined as unknown as Duplex));
    req.end();
    return undefined;
  }
}
