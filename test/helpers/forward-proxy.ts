/**
 * A minimal HTTP forward proxy for tests: absolute-URI requests (`GET http://h/p`) are forwarded,
 * `CONNECT host:port` opens a tunnel. It records what it was asked for, so a test can tell
 * whether a client went through it.
 *
 * @module
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface ForwardProxy {
  url: string;
  /** `GET http://…` and `CONNECT host:port` lines seen, in order. */
  seen: string[];
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI required');
      return;
    }
    const up = http.request(target, { method: req.method, headers: req.headers, agent: false }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end());
    req.pipe(up);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url ?? ''}`);
    const [host, port] = [(req.url ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'), Number(/:(\d+)$/.exec(req.url ?? '')?.[1] ?? 443)];
    sockets.add(client);
    const up = net.connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up);
    const drop = (): void => {
      up.destroy();
      client.destroy();
    };
    up.on('error', () => {
      if (!client.destroyed) client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      drop();
    });
    client.on('error', drop);
    client.on('close', () => sockets.delete(client));
    up.on('close', () => sockets.delete(up));
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** process.env without proxy settings, for daemons whose proxying a test controls. */
export function envWithoutProxy(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(https?|no)_proxy$/i.test(k)) delete env[k];
  return { ...env, ...extra };
}
