import type { EventMessage, SystemDfResponse, SystemVersion } from '../../api/types.js';
import { parseFilters } from '../../api/filters.js';
import type { Route, RequestContext } from '../context.js';
import { JsonStream, writeJson } from '../body.js';
import { versionLess } from '../version.js';

/** What the system router needs from the engine. */
export interface SystemBackend {
  version(): SystemVersion;
  info(): Promise<Record<string, unknown>>;
  /** `withVirtualSize`: API < 1.44, whose image summaries still carry VirtualSize. */
  diskUsage(opts: { withVirtualSize: boolean }): Promise<SystemDfResponse>;
}

export interface EventsBackend {
  /**
   * Validates filters, parses since/until (InvalidParameter), then calls `onStart` once, before
   * waiting for anything; then sends the past events and, unless `until` has passed, the live ones.
   */
  events(opts: {
    since?: string;
    until?: string;
    filters: Map<string, string[]>;
    signal: AbortSignal;
    onStart: () => void;
    onEvent: (e: EventMessage) => Promise<void>;
  }): Promise<void>;
}

export function systemRoutes(b: SystemBackend & EventsBackend, opts: { apiVersion: string; builderVersion: string }): Route[] {
  const ping = async (ctx: RequestContext): Promise<void> => {
    ctx.res.setHeader('API-Version', opts.apiVersion);
    ctx.res.setHeader('Builder-Version', opts.builderVersion);
    ctx.res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.res.setHeader('Pragma', 'no-cache');
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': ctx.req.method === 'HEAD' ? 0 : 2 });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  return [
    { method: 'GET', path: '/_ping', handler: ping },
    { method: 'HEAD', path: '/_ping', handler: ping },
    { method: 'GET', path: '/version', handler: async (ctx) => writeJson(ctx.res, 200, b.version()) },
    { method: 'GET', path: '/info', handler: async (ctx) => writeJson(ctx.res, 200, await b.info()) },
    {
      method: 'GET',
      path: '/system/df',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.diskUsage({ withVirtualSize: versionLess(ctx.apiVersion, '1.44') })),
    },
    {
      method: 'GET',
      path: '/events',
      handler: async (ctx) => {
        const stream = new JsonStream(ctx.res);
        const since = ctx.query.get('since') ?? undefined;
        const until = ctx.query.get('until') ?? undefined;
        try {
          await b.events({
            since,
            until,
            filters: parseFilters(ctx.query.get('filters')),
            signal: ctx.signal,
            // Clients (docker-py) wait for the status and headers before they read any event.
            onStart: () => stream.start(),
            onEvent: (e) => stream.send(e),
          });
        } catch (err) {
          // Past the headers the status is gone. Cutting the connection tells the client that
          // events were lost (a clean end reads as `until` reached), and frees a stuck socket.
          if (stream.started) ctx.res.destroy();
          throw err;
        }
        ctx.res.end();
      },
    },
  ];
}
