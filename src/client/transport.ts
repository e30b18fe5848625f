import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import {
  Conflict,
  EstibaError,
  Forbidden,
  InvalidParameter,
  NotFound,
  NotImplemented,
  System,
  Unauthorized,
  Unavailable,
} from '../errdefs/index.js';

export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  /** Verify the daemon's certificate against `ca` (DOCKER_TLS_VERIFY). */
  verify: boolean;
}

export interface TransportOptions {
  /** unix:///path or tcp://host:port */
  host: string;
  tls?: TlsConfig;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface Hijacked {
  socket: Duplex;
  /** Bytes the daemon sent right after its 101 answer. */
  head: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface RequestOptions {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** A stream sent as the request body (tar uploads). */
  upload?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const fromDaemon = new WeakSet<object>();

/** True when the error is the daemon's answer (the CLI prefixes "Error response from daemon:"). */
export function isDaemonError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && fromDaemon.has(err);
}

/** The error class of an HTTP status (the inverse of server/http-status.ts), marked as the daemon's. */
export function errorFromStatus(status: number, message: string): EstibaError {
  const err = errorKindFromStatus(status, message);
  fromDaemon.add(err);
  return err;
}

function errorKindFromStatus(status: number, message: string): EstibaError {
  switch (status) {
    case 400:
      return new InvalidParameter(message);
    case 401:
      return new Unauthorized(message);
    case 403:
      return new Forbidden(message);
    case 404:
      return new NotFound(message);
    case 409:
      return new Conflict(message);
    case 501:
      return new NotImplemented(message);
    case 503:
      return new Unavailable(message);
    default:
      return new System(message);
  }
}

function encodeQuery(q: RequestOptions['query']): string {
  if (!q) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) sp.append(k, x);
    else if (typeof v === 'boolean') sp.set(k, v ? '1' : '0');
    else sp.set(k, String(v));
  }
  const s = sp.toString();
  return s === '' ? '' : `?${s}`;
}

/** One HTTP/1.1 connection factory for unix sockets, plain TCP and TLS. */
export class Transport {
  readonly #agentOpts: http.RequestOptions;
  readonly #mod: typeof http | typeof https;
  readonly host: string;

  constructor(o: TransportOptions) {
    this.host = o.host;
    if (o.host.startsWith('unix://')) {
      this.#mod = http;
      this.#agentOpts = { socketPath: o.host.slice('unix://'.length) };
    } else if (o.host.startsWith('tcp://') || o.host.startsWith('http://') || o.host.startsWith('https://')) {
      const u = new URL(o.host.replace(/^tcp:/, 'http:'));
      const useTls = o.tls !== undefined || o.host.startsWith('https://');
      this.#mod = useTls ? https : http;
      const port = u.port === '' ? (useTls ? 2376 : 2375) : Number(u.port);
      this.#agentOpts = { host: u.hostname.replace(/^\[|\]$/g, ''), port };
      if (useTls && o.tls) {
        const t = o.tls;
        Object.assign(this.#agentOpts, {
          ca: t.ca ? readFileSync(t.ca) : undefined,
          cert: t.cert ? readFileSync(t.cert) : undefined,
          key: t.key ? readFileSync(t.key) : undefined,
          rejectUnauthorized: t.verify,
          servername: u.hostname,
        });
      }
    } else {
      throw new InvalidParameter(`unable to parse docker host \`${o.host}\``);
    }
  }

  request(o: RequestOptions): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Host: 'api.moby.localhost', ...o.headers };
      let payload: Buffer | undefined;
      if (o.body !== undefined) {
        payload = Buffer.from(JSON.stringify(o.body));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = this.#mod.request(
        { ...this.#agentOpts, method: o.method, path: o.path + encodeQuery(o.query), headers, signal: o.signal },
        (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      req.on('error', (err) => reject(this.#connectionError(err)));
      if (o.upload) {
        o.upload.on('error', (err) => req.destroy(err));
        o.upload.pipe(req);
      } else {
        req.end(payload);
      }
    });
  }

  /**
   * A request the daemon answers by taking over the connection (attach, exec start): sent with
   * `Upgrade: tcp` as the docker CLI does; resolves with the raw socket and any bytes that came
   * with the 101 answer. A non-2xx answer rejects with the daemon's error.
   */
  hijack(o: RequestOptions): Promise<Hijacked> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Host: 'api.moby.localhost', Connection: 'Upgrade', Upgrade: 'tcp', ...o.headers };
      let payload: Buffer | undefined;
      if (o.body !== undefined) {
        payload = Buffer.from(JSON.stringify(o.body));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      const req = this.#mod.request({ ...this.#agentOpts, method: o.method, path: o.path + encodeQuery(o.query), headers, signal: o.signal });
      req.on('upgrade', (res, socket, head) => resolve({ socket, head, headers: res.headers }));
      req.on('response', (res) => {
        // A daemon that does not upgrade answers errors as usual; a 2xx without upgrade has no stream.
        ensureOk({ status: res.statusCode ?? 0, headers: res.headers, body: res }).then(
          () => reject(new System(`the daemon did not upgrade the connection (${res.statusCode})`)),
          reject,
        );
      });
      req.on('error', (err) => reject(this.#connectionError(err)));
      req.end(payload);
    });
  }

  #connectionError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return new Unavailable(
        `Cannot connect to the Docker daemon at ${this.host}. Is the docker daemon running?`,
        { cause: err },
      );
    }
    return err;
  }
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Turn an error response into the matching error kind, with the daemon's message. As docker's
 * client, anything below 400 is an answer, not an error (304 for starting a started container).
 */
export async function ensureOk(res: RawResponse): Promise<RawResponse> {
  if (res.status >= 200 && res.status < 400) return res;
  const text = (await readAll(res.body)).toString('utf8');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON (a proxy's page, plain text): the raw body is the best message there is.
  }
  if (message === '') message = `${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trim();
  throw errorFromStatus(res.status, message);
}
