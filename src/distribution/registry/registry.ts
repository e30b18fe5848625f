/**
 * The registry HTTP client (OCI distribution spec / Docker registry API v2): one `Registries`
 * per daemon holds connection pools, the scheme each insecure host answered on and the token
 * cache; `client(domain, auth)` gives a `RegistryClient` that pings `/v2/` once, learns the
 * auth challenge, and then sends authorised requests scoped to repositories.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Unauthorized, System, messageOf, EstibaError } from '../../errdefs/index.js';
import type { Logger } from '../../util/logger.js';
import { RegistryError, registryError } from '../errcode.js';
import { parseChallenges, type Challenge } from './challenge.js';
import { basicCredentials, basicHeader, parseTokenResponse, TokenCache, type AuthConfig } from './auth.js';
import { endpointFor, pullEndpoints, type Endpoint, type EndpointOptions } from './endpoint.js';
import { DEFAULT_CERTS_D, goTlsMessage, readHostTls, tlsAgentOptions, type HostTls } from './certs.js';
import { ProxySelector, TunnelAgent, proxyAuthorization, proxyEnvFrom, type ProxyEnv } from './proxy.js';

export interface RegistriesOptions extends EndpointOptions {
  userAgent: string;
  logger: Logger;
  /** certs.d roots holding per-registry CAs and client certificates (default Docker's and estiba's). */
  certsDirs?: readonly string[];
  /** HTTP(S)_PROXY / NO_PROXY; default: the daemon's environment, read once as Go does. */
  proxyEnv?: ProxyEnv;
}

/** Daemon-wide registry state: pools, learned schemes, tokens. */
export class Registries {
  readonly o: RegistriesOptions;
  readonly tokens = new TokenCache();
  /** host → the base URL that answered the ping (https:// or, for insecure hosts, http://). */
  readonly bases = new Map<string, string>();
  readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  readonly insecureHttpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
  /** Agents for hosts with their own TLS material or behind a proxy, keyed by both. */
  readonly #tlsAgents = new Map<string, https.Agent>();
  readonly proxies: ProxySelector;

  constructor(o: RegistriesOptions) {
    this.o = o;
    this.proxies = new ProxySelector(o.proxyEnv ?? proxyEnvFrom(process.env));
  }

  endpoint(domain: string): Endpoint {
    return endpointFor(domain, this.o);
  }

  client(domain: string, auth?: AuthConfig): RegistryClient {
    return new RegistryClient(this, this.endpoint(domain), auth);
  }

  /** Clients for a pull: the registry's mirrors first, then the registry. Pushes use `client` (never a mirror). */
  pullClients(domain: string, auth?: AuthConfig): RegistryClient[] {
    return pullEndpoints(domain, this.o).map((ep) => new RegistryClient(this, ep, auth));
  }

  /** The CAs and client certificate a host's certs.d directories hold (re-read per pull, as Docker does). */
  tlsFor(host: string): Promise<HostTls> {
    return readHostTls(this.o.certsDirs ?? DEFAULT_CERTS_D, host);
  }

  /** The HTTPS agent for TLS material, verification mode and proxy; agents are shared per distinct combination. */
  httpsAgentFor(t: HostTls, insecure: boolean, proxy: URL | undefined): https.Agent {
    if (!proxy && t.ca.length === 0 && t.clients.length === 0) return insecure ? this.insecureHttpsAgent : this.httpsAgent;
    const key = JSON.stringify([proxy?.href ?? '', insecure, t]);
    let agent = this.#tlsAgents.get(key);
    if (!agent) {
      const o: https.AgentOptions = { keepAlive: true, maxSockets: 16, ...tlsAgentOptions(t), ...(insecure ? { rejectUnauthorized: false } : {}) };
      agent = proxy ? new TunnelAgent(proxy, o) : new https.Agent(o);
      this.#tlsAgents.set(key, agent);
    }
    return agent;
  }

  close(): void {
    for (const a of this.#tlsAgents.values()) a.destroy();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.insecureHttpsAgent.destroy();
  }
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path (and query) under the base URL, or an absolute URL (upload locations). */
  path: string;
  /** Token scopes the request needs, e.g. `repository:a/b:pull`. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  signal?: AbortSignal;
}

const MAX_REDIRECTS = 10;
/** Bodies read whole (manifests, errors, tokens) are capped: Docker's 4 MiB manifest limit. */
export const MAX_SMALL_BODY = 4 * 1024 * 1024;

/** A network failure as Go's net/http words it: `Get "http://h/v2/": <cause>`. */
export class TransportError extends EstibaError {
  readonly code: string | undefined;
  constructor(method: string, url: string, cause: unknown) {
    const m = method.charAt(0) + method.slice(1).toLowerCase();
    super('System', `${m} "${url}": ${goTlsMessage(cause) ?? messageOf(cause)}`, { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

export async function readBody(res: IncomingMessage, limit = MAX_SMALL_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw new System(`response body from ${res.url ?? 'registry'} exceeds ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export class RegistryClient {
  readonly #r: Registries;
  readonly endpoint: Endpoint;
  readonly #auth: AuthConfig | undefined;
  #challenge: Challenge | undefined;
  #pinged = false;
  #tls: HostTls = { ca: [], clients: [] };
  /** A refresh token a token server handed out (identity token logins). */
  #refreshToken: string | undefined;

  constructor(r: Registries, ep: Endpoint, auth: AuthConfig | undefined) {
    this.#r = r;
    this.endpoint = ep;
    this.#auth = auth;
  }

  get base(): string {
    return this.endpoint.base ?? this.#r.bases.get(this.endpoint.host) ?? `https://${this.endpoint.host}`;
  }

  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }

  #agent(url: URL): http.Agent {
    if (url.protocol === 'http:') return this.#r.httpAgent;
    return this.#r.httpsAgentFor(this.#tls, this.endpoint.insecure, this.#r.proxies.proxyFor(url));
  }

  /** One HTTP exchange, no auth, no redirects. */
  send(method: string, url: URL, o: { headers?: Record<string, string>; body?: Buffer | Readable; signal?: AbortSignal }): Promise<IncomingMessage> {
    const mod = url.protocol === 'http:' ? http : https;
    // Plain HTTP through a proxy: the request goes to the proxy with the absolute URL as its target.
    const proxy = url.protocol === 'http:' ? this.#r.proxies.proxyFor(url) : undefined;
    const common = {
      method,
      agent: this.#agent(url),
      headers: { 'User-Agent': this.#r.o.userAgent, ...(proxy ? { Host: url.host, ...proxyAuthorization(proxy) } : {}), ...o.headers },
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    };
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = proxy
        ? http.request({ ...common, host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(proxy.port || 80), path: url.href })
        : mod.request(url, common);
      req.once('response', resolve);
      req.once('error', (err) => reject(o.signal?.aborted ? err : new TransportError(method, url.href, err)));
      const body = o.body;
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        body.once('error', (err) => req.destroy(err));
        body.pipe(req);
      }
    });
  }

  /**
   * `GET /v2/`: learns whether and how to authenticate. Insecure hosts are tried over HTTPS
   * (certificate unchecked) first, then plain HTTP, as Docker does.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    if (this.#pinged) return;
    const { host, insecure } = this.endpoint;
    this.#tls = await this.#r.tlsFor(host);
    const known = this.#r.bases.get(host);
    const candidates = this.endpoint.base ? [this.endpoint.base] : known ? [known] : insecure ? [`https://${host}`, `http://${host}`] : [`https://${host}`];
    let lastErr: unknown;
    for (const base of candidates) {
      let res: IncomingMessage;
      try {
        res = await this.send('GET', new URL('/v2/', base), signal ? { signal } : {});
      } catch (err) {
        lastErr = err;
        continue;
      }
      await readBody(res).catch(() => Buffer.alloc(0));
      if (res.statusCode === 200 || res.statusCode === 401) {
        if (!this.endpoint.base) this.#r.bases.set(host, base);
        this.#challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
        this.#pinged = true;
        return;
      }
      lastErr = new System(`${base}/v2/ answered ${res.statusCode ?? 0} ${res.statusMessage ?? ''}: not a registry`);
    }
    throw lastErr;
  }

  /** Authorization header for the scopes, fetching a token when the registry wants Bearer. */
  async #authorization(scopes: readonly string[], signal: AbortSignal | undefined, fresh: boolean): Promise<string | undefined> {
    const c = this.#challenge;
    const creds = basicCredentials(this.#auth);
    if (this.#auth?.registrytoken) return `Bearer ${this.#auth.registrytoken}`;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      if (!creds) throw new System('no basic auth credentials');
      return basicHeader(creds);
    }
    if (c.scheme !== 'bearer') return undefined;
    const key = TokenCache.key(c, scopes, creds?.username ?? this.#auth?.identitytoken ?? '');
    if (!fresh) {
      const cached = this.#r.tokens.get(key);
      if (cached !== undefined) return `Bearer ${cached}`;
    } else this.#r.tokens.delete(key);
    const t = await this.fetchToken(c, scopes, signal);
    this.#r.tokens.set(key, t.token, t.expiresIn);
    return `Bearer ${t.token}`;
  }

  /** Asks the challenge's realm for a token; credentials go as Basic, an identity token as an OAuth2 refresh grant. */
  async fetchToken(c: Challenge, scopes: readonly string[], signal?: AbortSignal): Promise<{ token: string; expiresIn?: number }> {
    const realm = c.params.realm;
    if (!realm) throw new System(`registry ${this.endpoint.domain} sent a Bearer challenge without a realm`);
    const url = new URL(realm);
    const creds = basicCredentials(this.#auth);
    const identity = this.#auth?.identitytoken;
    let res: IncomingMessage;
    if (identity) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identity, client_id: 'docker', service: c.params.service ?? '', scope: scopes.join(' ') });
      res = await this.send('POST', url, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()), ...(signal ? { signal } : {}) });
    } else {
      if (c.params.service) url.searchParams.set('service', c.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds) {
        url.searchParams.set('account', creds.username);
        url.searchParams.set('client_id', 'docker');
      }
      res = await this.send('GET', url, { headers: creds ? { Authorization: basicHeader(creds) } : {}, ...(signal ? { signal } : {}) });
    }
    const body = await readBody(res);
    if (res.statusCode !== 200) {
      const err = registryError(res.statusCode ?? 0, res.statusMessage ?? '', body);
      if (res.statusCode === 401 || res.statusCode === 403) throw new Unauthorized(err.message, { cause: err });
      throw new System(`${url.origin}${url.pathname}: token server answered: ${err.message}`, { cause: err });
    }
    const t = parseTokenResponse(body);
    if (!t) throw new System(`${url.origin}${url.pathname}: token server answered without a token`);
    if (t.refreshToken) this.#refreshToken = t.refreshToken;
    return t;
  }

  /**
   * An authorised request; follows redirects (GET and HEAD, dropping credentials for other
   * hosts) and, once, a 401 that asks for a fresh token when the body can be sent again.
   * Returns the final response whatever its status; `expect` turns other statuses into errors.
   */
  async request(r: RegistryRequest, expect?: readonly number[]): Promise<IncomingMessage> {
    await this.ping(r.signal);
    let url = new URL(r.path, this.base);
    let auth: string | undefined;
    try {
      auth = await this.#authorization(r.scopes, r.signal, false);
    } catch (err) {
      // Go's client reports these as failures of the request: `Get "…": no basic auth credentials`.
      if (err instanceof TransportError || !(err instanceof EstibaError)) throw err;
      throw new TransportError(r.method, url.href, err);
    }
    let retried = false;
    for (let hop = 0; ; hop++) {
      const sameHost = url.host === new URL(this.base).host;
      const headers: Record<string, string> = { ...r.headers };
      if (auth !== undefined && sameHost) headers.Authorization = auth;
      const res = await this.send(r.method, url, { headers, ...(r.body !== undefined ? { body: r.body } : {}), ...(r.signal ? { signal: r.signal } : {}) });
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && (r.method === 'GET' || r.method === 'HEAD') && hop < MAX_REDIRECTS) {
        res.resume();
        url = new URL(res.headers.location, url);
        continue;
      }
      const replayable = r.body === undefined || Buffer.isBuffer(r.body);
      if (status === 401 && !retried && replayable && sameHost && this.#challenge?.scheme === 'bearer') {
        res.resume();
        const fresh = pickChallenge(parseChallenges(res.headers['www-authenticate']));
        if (fresh?.scheme === 'bearer') this.#challenge = fresh;
        auth = await this.#authorization(r.scopes, r.signal, true);
        retried = true;
        continue;
      }
      if (expect && !expect.includes(status)) {
        const body = r.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res).catch(() => Buffer.alloc(0));
        throw registryError(status, res.statusMessage ?? '', body);
      }
      return res;
    }
  }

  /** Whether the credentials are accepted (POST /auth): a token for no scope, or /v2/ with Basic. */
  async login(signal?: AbortSignal): Promise<void> {
    await this.ping(signal);
    const c = this.#challenge;
    if (!c) return;
    if (c.scheme === 'bearer') {
      await this.fetchToken(c, [], signal);
      return;
    }
    const res = await this.request({ method: 'GET', path: '/v2/', scopes: [], ...(signal ? { signal } : {}) });
    await readBody(res).catch(() => Buffer.alloc(0));
    if (res.statusCode !== 200) {
      throw new Unauthorized(`login attempt to ${this.base}/v2/ failed with status: ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`);
    }
  }
}

/** Bearer is preferred over Basic when a registry offers both. */
function pickChallenge(cs: Challenge[]): Challenge | undefined {
  return cs.find((c) => c.scheme === 'bearer') ?? cs.find((c) => c.scheme === 'basic');
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
