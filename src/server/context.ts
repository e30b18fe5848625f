import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Everything a handler gets: the request, path params, query, negotiated API version, abort signal. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** API version from the `/vX.Y` prefix, or the server's default. */
  readonly apiVersion: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
  /**
   * Takes over the connection (attach, exec): answers `101 UPGRADED` with `Upgrade: tcp` when
   * the client asked to upgrade, else `200 OK`, with `contentType`; the handler then owns the
   * returned stream and must end it. Errors thrown before hijacking get the usual JSON answer.
   */
  hijack(contentType: string): Duplex;
  /**
   * The body of an `Upgrade` request (Node's parser leaves it on the socket); handlers of
   * hijacking endpoints read it here instead of from `req`.
   */
  readonly upgradeBody?: Buffer;
}

export type Handler = (ctx: RequestContext) => Promise<void>;

/**
 * A route is data: `{method, path, handler}`. Path patterns use gorilla/mux syntax:
 * `{name}` matches one segment, `{name:.*}` any run of characters (image names have slashes).
 */
export interface Route {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly handler: Handler;
  readonly minVersion?: string;
}
