import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { InvalidParameter } from '../errdefs/index.js';

const MAX_JSON_BODY = 16 * 1024 * 1024;

/**
 * Read a JSON request body. An empty body yields `undefined` (moby allows it); malformed
 * or trailing JSON is InvalidParameter, as is a body that is not an object when one is expected.
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_JSON_BODY) throw new InvalidParameter('request body too large');
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidParameter(`invalid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Write one chunk and wait for drain when the socket's buffer is full (never ignore write()'s
 * result). Returns early, without error, when the stream closes instead.
 */
export async function writeChunk(res: Writable, chunk: string | Buffer): Promise<void> {
  if (res.destroyed) return;
  if (res.write(chunk)) return;
  // Whichever of drain and close comes first, both listeners go at once: a long stream waits
  // for drain many times and must not pile up listeners.
  await new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A stream of JSON messages, one per line, as /events and progress endpoints send them. */
export class JsonStream {
  readonly #res: ServerResponse;
  #started = false;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  start(status = 200): void {
    if (this.#started) return;
    this.#started = true;
    this.#res.writeHead(status, { 'Content-Type': 'application/json' });
    this.#res.flushHeaders();
  }

  get started(): boolean {
    return this.#started;
  }

  async send(value: unknown): Promise<void> {
    this.start();
    await writeChunk(this.#res, JSON.stringify(value) + '\r\n');
  }
}

/** Query helpers: Docker booleans accept 1/true/True; anything else is false. */
export function queryBool(q: URLSearchParams, name: string, dflt = false): boolean {
  const v = q.get(name);
  if (v === null || v === '') return dflt;
  return v === '1' || v.toLowerCase() === 'true';
}

export function queryInt(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidParameter(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}
