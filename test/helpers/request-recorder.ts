/**
 * An HTTP listener on a unix socket that answers like a daemon only as far as `create` and
 * `start` need (201 with an ID, 204) and records every request: it shows what a client sends,
 * so the estiba CLI's create bodies can be compared with the docker CLI's for the same flags.
 * It stands in for no part of estiba; the clients under comparison are real.
 *
 * @module
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  /** Path without the /vX.Y prefix. */
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface RequestRecorder {
  host: string;
  /** Returns and forgets what was recorded so far. */
  take(): RecordedRequest[];
  close(): Promise<void>;
}

export async function startRequestRecorder(): Promise<RequestRecorder> {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-recorder-'));
  const socket = join(dir, 'api.sock');
  let recorded: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
      const text = Buffer.concat(chunks).toString('utf8');
      recorded.push({ method: req.method ?? '', path, query: url.searchParams, body: text === '' ? undefined : JSON.parse(text) });
      res.setHeader('Api-Version', '1.45');
      res.setHeader('Ostype', 'linux');
      if (path === '/containers/create') {
        res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ Id: 'f'.repeat(64), Warnings: [] }));
      } else if (path.endsWith('/start')) {
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    host: `unix://${socket}`,
    take() {
      const r = recorded;
      recorded = [];
      return r;
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
