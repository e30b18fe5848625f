import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidParameter, isErrno } from '../errdefs/index.js';

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  /** Require and verify client certificates against `ca` (dockerd --tlsverify). */
  verify: boolean;
}

export interface ListenOptions {
  /** unix:///path, tcp://host:port, fd://[N] */
  address: string;
  tls?: TlsFiles;
  /** Plain TCP is refused unless it is loopback and this is set (the seeds: never expose 2375). */
  allowInsecureTcp?: boolean;
  socketMode?: number;
  handler: http.RequestListener;
  /** Listener for `Upgrade:` requests (attach, exec hijack). */
  upgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export type Listener = { address: string; close(): Promise<void>; server: http.Server };

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/** Parse `tcp://host:port` (Docker defaults the port to 2376 with TLS and 2375 without). */
export function parseTcpAddress(addr: string, tls: boolean): { host: string; port: number } {
  const u = new URL(addr);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = u.port === '' ? (tls ? 2376 : 2375) : Number(u.port);
  return { host, port };
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const [scheme] = opts.address.split('://');
  let server: http.Server;
  if (opts.tls) {
    const [ca, cert, key] = await Promise.all([readFile(opts.tls.ca), readFile(opts.tls.cert), readFile(opts.tls.key)]);
    server = https.createServer(
      { ca, cert, key, requestCert: opts.tls.verify, rejectUnauthorized: opts.tls.verify, minVersion: 'TLSv1.2' },
      opts.handler,
    );
  } else {
    server = http.createServer(opts.handler);
  }
  if (opts.upgrade) server.on('upgrade', opts.upgrade);
  // Long streams (events, logs -f, attach) must not be cut by Node's request timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 30_000;

  switch (scheme) {
    case 'unix': {
      const path = opts.address.slice('unix://'.length);
      await mkdir(dirname(path), { recursive: true });
      await removeStaleSocket(path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      await chmod(path, opts.socketMode ?? 0o660);
      return { address: opts.address, server, close: () => closeServer(server) };
    }
    case 'tcp': {
      const { host, port } = parseTcpAddress(opts.address, opts.tls !== undefined);
      if (!opts.tls && !(isLoopback(host) && opts.allowInsecureTcp)) {
        throw new InvalidParameter(
          `refusing to listen on ${opts.address} without TLS: use --tlsverify, or a loopback address with --insecure-tcp`,
        );
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const a = server.address() as net.AddressInfo;
      return { address: `tcp://${host}:${a.port}`, server, close: () => closeServer(server) };
    }
    case 'fd': {
      // Socket activation: systemd passes listening sockets from fd 3 on (LISTEN_FDS).
      const n = opts.address.slice('fd://'.length);
      const fd = n === '' ? 3 : Number(n);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd }, () => resolve());
      });
      return { address: opts.address, server, close: () => closeServer(server) };
    }
    default:
      throw new InvalidParameter(`invalid host address ${JSON.stringify(opts.address)}: expected unix://, tcp:// or fd://`);
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  // Only a socket nobody answers on is stale; a live one means another daemon owns it.
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new InvalidParameter(`${path} is in use by another daemon`);
  try {
    await rm(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
