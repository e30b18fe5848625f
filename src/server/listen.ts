import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext as tlsCreateSecureContext } from 'node:tls';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidParameter, isErrno, messageOf } from '../errdefs/index.js';

export interface TlsFiles {
  /** Read only with `verify`. */
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
  /** unix sockets: mode (default 0660) and group (default unchanged: the daemon's own). */
  socketMode?: number;
  socketGid?: number;
  handler: http.RequestListener;
  /** Listener for `Upgrade:` requests (attach, exec hijack). */
  upgrade?: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export type Listener = { address: string; close(): Promise<void>; server: http.Server };

/**
 * `localhost`, or an IP literal in 127.0.0.0/8 or ::1. Any other name is refused rather than
 * resolved: `127.anything.example` is whatever DNS says it is.
 */
function isLoopback(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = net.isIP(host);
  if (family === 0) return false;
  const loopback = new net.BlockList();
  loopback.addSubnet('127.0.0.0', 8, 'ipv4');
  loopback.addAddress('::1', 'ipv6');
  // Also true for IPv4-mapped IPv6 (::ffff:127.0.0.1), which is loopback too.
  return loopback.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** Parse `tcp://host:port` (Docker defaults the port to 2376 with TLS and 2375 without). */
export function parseTcpAddress(addr: string, tls: boolean): { host: string; port: number } {
  const u = new URL(addr);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = u.port === '' ? (tls ? 2376 : 2375) : Number(u.port);
  return { host, port };
}

/**
 * Checks an address without binding it: a known scheme, and plain TCP only on loopback with
 * `allowInsecureTcp`. The daemon runs this over every -H before it takes its lock or binds anything.
 */
export function checkListenAddress(address: string, opts: { tls: boolean; allowInsecureTcp?: boolean }): void {
  const [scheme] = address.split('://');
  if (!address.includes('://') || !['unix', 'tcp', 'fd'].includes(scheme ?? '')) {
    throw new InvalidParameter(`invalid host address ${JSON.stringify(address)}: expected unix://, tcp:// or fd://`);
  }
  if (scheme !== 'tcp' || opts.tls) return;
  let host: string;
  try {
    ({ host } = parseTcpAddress(address, false));
  } catch (err) {
    throw new InvalidParameter(`invalid host address ${JSON.stringify(address)}: ${messageOf(err)}`, { cause: err });
  }
  if (!(isLoopback(host) && opts.allowInsecureTcp)) {
    throw new InvalidParameter(
      `refusing to listen on ${address} without TLS: use --tlsverify, or a loopback address with --insecure-tcp`,
    );
  }
}

async function readTlsFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR')) {
      throw new InvalidParameter(`could not read the ${what} ${JSON.stringify(path)}: ${messageOf(err)}`, { cause: err });
    }
    throw err;
  }
}

/** The TLS server options; unreadable or malformed files are InvalidParameter naming the flag. */
export async function loadTls(tls: TlsFiles): Promise<https.ServerOptions> {
  const [ca, cert, key] = await Promise.all([
    tls.verify ? readTlsFile(tls.ca, 'TLS CA certificate (--tlscacert)') : undefined,
    readTlsFile(tls.cert, 'TLS certificate (--tlscert)'),
    readTlsFile(tls.key, 'TLS key (--tlskey)'),
  ]);
  const options: https.ServerOptions = { ca, cert, key, requestCert: tls.verify, rejectUnauthorized: tls.verify, minVersion: 'TLSv1.2' };
  try {
    // Parses the PEM files now rather than at the first connection.
    tlsCreateSecureContext(options);
  } catch (err) {
    throw new InvalidParameter(`invalid TLS certificate or key (--tlscert ${tls.cert}, --tlskey ${tls.key}${tls.verify ? `, --tlscacert ${tls.ca}` : ''}): ${messageOf(err)}`, {
      cause: err,
    });
  }
  return options;
}

export async function listen(opts: ListenOptions): Promise<Listener> {
  const [scheme] = opts.address.split('://');
  checkListenAddress(opts.address, { tls: opts.tls !== undefined, allowInsecureTcp: opts.allowInsecureTcp });
  let server: http.Server;
  if (opts.tls) {
    server = https.createServer(await loadTls(opts.tls), opts.handler);
  } else {
    server = http.createServer(opts.handler);
  }
  if (opts.upgrade) {
    const upgrade = opts.upgrade;
    // Hijacked sockets leave the server's books: closeServer must end them itself.
    const hijacked = new Set<Duplex>();
    hijackedSockets.set(server, hijacked);
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      hijacked.add(socket);
      socket.once('close', () => hijacked.delete(socket));
      upgrade(req, socket, head);
    });
  }
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
      // The group first, then the mode that opens the socket to it.
      if (opts.socketGid !== undefined) await chown(path, -1, opts.socketGid);
      await chmod(path, opts.socketMode ?? 0o660);
      return { address: opts.address, server, close: () => closeServer(server) };
    }
    case 'tcp': {
      const { host, port } = parseTcpAddress(opts.address, opts.tls !== undefined);
      // Plain TCP binds loopback without a name lookup: `localhost` is 127.0.0.1 here.
      const bindHost = opts.tls === undefined && host.toLowerCase() === 'localhost' ? '127.0.0.1' : host;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, bindHost, () => resolve());
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
      // checkListenAddress has ruled this out.
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

const hijackedSockets = new WeakMap<http.Server, Set<Duplex>>();

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const s of hijackedSockets.get(server) ?? []) s.destroy();
  });
}
