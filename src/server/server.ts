import type { IncomingMessage, ServerResponse } from 'node:http';
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

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

/**
 * The request handler for the Engine API: strips the `/vX.Y` prefix, checks the version,
 * routes, runs the handler and turns thrown errors into Docker's `{"message": …}` bodies.
 */
export function createApiHandler(opts: ApiHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const table = new RouteTable(opts.routes);
  return (req, res) => {
    void handle(req, res).catch((err: unknown) => {
      opts.logger.error('unhandled error in request', { err: messageOf(err) });
      if (!res.headersSent) writeJson(res, 500, { message: messageOf(err) });
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new Error('client disconnected'));
    });

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
      };
      await match.handler(ctx);
      opts.logger.debug('request', { method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started });
    } catch (err) {
      if (abort.signal.aborted) {
        opts.logger.info('request aborted by client', { method: req.method, path: url.pathname, status: 499 });
        return;
      }
      const status = statusFromError(err);
      if (status >= 500) opts.logger.error('request failed', { method: req.method, path: url.pathname, status, err: messageOf(err) });
      if (res.headersSent) {
        // A streaming endpoint failed midway: the status is gone, the stream carries the error.
        res.end();
        return;
      }
      writeJson(res, status, { message: messageOf(err) });
    }
  }
}
