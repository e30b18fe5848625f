import { ServerResponse, type IncomingMessage } from 'node:http';
import { Duplex } from 'node:stream';
import { InvalidParameter, messageOf } from '../errdefs/index.js';
import type { Logger } from '../util/logger.js';
import type { Route, RequestContext } from './context.js';
import { RouteTable } from './route-table.js';
import { statusFromError } from './http-status.js';
import { writeJson } from './body.js';
import { compareVersions } from './version.js';

export interface ApiHandlerOptions {
  routes: readonly Route[];
  logger: Logger;
  /** Newest API version served; also the default for unversioned paths. */
  maxApiVersion: string;
  minApiVersion: string;
  /** Value of the `Server` header, e.g. "Docker/27.0.0-estiba (linux)". */
  serverHeader: string;
}

/** The request listener, plus the 'upgrade' listener for hijacked endpoints. */
export interface ApiHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

/**
 * The request handler for the Engine API: strips the `/vX.Y` prefix, checks the version,
 * routes, runs the handler and turns thrown errors into Docker's `{"message": …}` bodies.
 */
export function createApiHandler(opts: ApiHandlerOptions): ApiHandler {
  const table = new RouteTable(opts.routes);
  const onError = (res: ServerResponse) => (err: unknown) => {
    opts.logger.error('unhandled error in request', { err: messageOf(err) });
    if (!res.headersSent) writeJson(res, 500, { message: messageOf(err) });
    else res.destroy();
  };
  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(onError(res));
  }) as ApiHandler;
  // `Upgrade: tcp` requests (attach, exec) arrive here: a ServerResponse on the raw socket lets
  // handlers answer errors as usual before they hijack.
  handler.upgrade = (req, socket, head) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    res.on('finish', () => socket.end());
    socket.on('error', (err) => opts.logger.debug('upgraded socket error', { err: err.message }));
    void splitUpgradeBody(req, socket, head)
      .then(({ body, rest }) => handle(req, res, { socket, head: rest, body }))
      .catch(onError(res));
  };
  return handler;

  async function handle(req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Duplex; head: Buffer; body: Buffer }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://estiba');
    let path = url.pathname;
    let apiVersion = opts.maxApiVersion;
    const vm = VERSION_PREFIX.exec(path);
    if (vm) {
      apiVersion = vm[1]!;
      path = vm[2]!;
    }
    res.setHeader('Api-Version', opts.maxApiVersion);
    res.setHeader('Docker-Experimental', 'false');
    res.setHeader('Ostype', 'linux');
    res.setHeader('Server', opts.serverHeader);

    const started = Date.now();
    const abort = new AbortController();
    let hijacked = false;
    res.on('close', () => {
      if (!res.writableFinished && !hijacked) abort.abort(new Error('client disconnected'));
    });
    const hijack = (contentType: string): Duplex => {
      hijacked = true;
      if (upgrade !== undefined) {
        res.detachSocket(upgrade.socket as Parameters<ServerResponse['detachSocket']>[0]);
        upgrade.socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
        if (upgrade.head.length > 0) upgrade.socket.unshift(upgrade.head);
        upgrade.socket.once('close', () => abort.abort(new Error('client disconnected')));
        return upgrade.socket;
      }
      // A client that did not ask to upgrade gets the output on a plain streamed response.
      res.writeHead(200, { 'Content-Type': contentType });
      res.flushHeaders();
      const stream = Duplex.from({ readable: req, writable: res });
      // A client gone midway makes it emit ERR_STREAM_PREMATURE_CLOSE: like an upgraded
      // socket's errors, that is the client's business, never an uncaught exception here.
      stream.on('error', (err) => opts.logger.debug('hijacked stream error', { err: err.message }));
      return stream;
    };

    try {
      if (compareVersions(apiVersion, opts.maxApiVersion) > 0) {
        throw new InvalidParameter(
          `client version ${apiVersion} is too new. Maximum supported API version is ${opts.maxApiVersion}`,
        );
      }
      if (compareVersions(apiVersion, opts.minApiVersion) < 0) {
        throw new InvalidParameter(
          `client version ${apiVersion} is too old. Minimum supported API version is ${opts.minApiVersion}, please upgrade your client to a newer version`,
        );
      }
      const match = table.match(req.method ?? 'GET', path);
      if (match.kind !== 'found') {
        writeJson(res, 404, { message: 'page not found' });
        return;
      }
      const ctx: RequestContext = {
        req,
        res,
        params: match.params,
        query: url.searchParams,
        apiVersion,
        signal: abort.signal,
        hijack,
        ...(upgrade !== undefined ? { upgradeBody: upgrade.body } : {}),
      };
      await match.handler(ctx);
      opts.logger.debug('request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started });
    } catch (err) {
      if (hijacked) {
        opts.logger.info('hijacked stream failed', { method: req.method, path: url.pathname, err: messageOf(err) });
        // Without an upgrade the stream is the response itself: it too must be cut, or the
        // client waits on it forever.
        if (upgrade !== undefined) upgrade.socket.destroy();
        else res.destroy();
        return;
      }
      if (abort.signal.aborted) {
        opts.logger.info('request aborted by client', { method: req.method, path: url.pathname, status: 499 });
        return;
      }
      const status = statusFromError(err);
      if (status >= 500) opts.logger.error('request failed', { method: req.method, path: url.pathname, status, err: messageOf(err) });
      if (res.headersSent) {
        // A streaming endpoint failed midway: the status is gone, the stream carries the error
        // (or the handler has cut the connection).
        if (!res.destroyed) res.end();
        return;
      }
      writeJson(res, status, { message: messageOf(err) });
    }
  }
}

const MAX_UPGRADE_BODY = 1 << 20;

/**
 * Node's parser stops at the headers of an upgrade request: its body (exec start's
 * `{"Detach":false,"Tty":false}`) is the first Content-Length bytes of `head` and the socket,
 * and must not reach the process's stdin.
 */
async function splitUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  const n = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(n) || n <= 0) return { body: Buffer.alloc(0), rest: head };
  if (n > MAX_UPGRADE_BODY) throw new InvalidParameter('request body too large');
  let buf = head;
  while (buf.length < n) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (d: Buffer): void => {
        cleanup();
        resolve(d);
      };
      const onEnd = (): void => {
        cleanup();
        resolve(undefined);
      };
      const cleanup = (): void => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('close', onEnd);
        socket.pause();
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('close', onEnd);
    });
    if (chunk === undefined) break;
    buf = Buffer.concat([buf, chunk]);
  }
  return { body: buf.subarray(0, n), rest: buf.subarray(n) };
}
