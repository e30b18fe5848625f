/** The /networks endpoints (moby daemon/server/router/network): create, list, inspect, remove, prune, connect, disconnect. */
import type {
  NetworkConnectRequest, NetworkCreateRequest, NetworkCreateResponse, NetworkDisconnectRequest, NetworkInspect, NetworkPruneResponse,
} from '../../api/networks.js';
import type { Filters } from '../../api/types.js';
import { parseFilters } from '../../api/filters.js';
import { InvalidParameter } from '../../errdefs/index.js';
import type { Route } from '../context.js';
import { readJsonBody, writeJson } from '../body.js';

/** What the router needs from the engine (engine/NetworkService). */
export interface NetworksBackend {
  create(req: NetworkCreateRequest): Promise<NetworkCreateResponse>;
  list(filters: Filters): NetworkInspect[];
  inspect(ref: string): NetworkInspect;
  remove(ref: string): Promise<void>;
  prune(filters: Filters): Promise<NetworkPruneResponse>;
  connect(ref: string, req: NetworkConnectRequest): Promise<void>;
  disconnect(ref: string, req: NetworkDisconnectRequest): Promise<void>;
}

async function objectBody(req: Parameters<typeof readJsonBody>[0]): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req);
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameter('request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function networkRoutes(b: NetworksBackend): Route[] {
  return [
    {
      method: 'GET',
      path: '/networks',
      handler: async (ctx) => writeJson(ctx.res, 200, b.list(parseFilters(ctx.query.get('filters')))),
    },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (ctx) => {
        const body = await objectBody(ctx.req);
        writeJson(ctx.res, 201, await b.create(body as unknown as NetworkCreateRequest));
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (ctx) => writeJson(ctx.res, 200, await b.prune(parseFilters(ctx.query.get('filters')))),
    },
    {
      method: 'GET',
      path: '/networks/{id}',
      handler: async (ctx) => writeJson(ctx.res, 200, b.inspect(ctx.params.id!)),
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        await b.remove(ctx.params.id!);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/connect',
      handler: async (ctx) => {
        await b.connect(ctx.params.id!, (await objectBody(ctx.req)) as unknown as NetworkConnectRequest);
        ctx.res.writeHead(200).end();
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/disconnect',
      handler: async (ctx) => {
        await b.disconnect(ctx.params.id!, (await objectBody(ctx.req)) as unknown as NetworkDisconnectRequest);
        ctx.res.writeHead(200).end();
      },
    },
  ];
}
