/**
 * Reading a container's log as `docker logs` wants it. conmon writes k8s-file lines
 * (`<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>`); a `P` entry continues in the next
 * entry, so messages are rebuilt by joining partials until an `F` (which adds the newline).
 */
import { watch } from 'node:fs';
import { open } from 'node:fs/promises';
import { isErrno } from '../errdefs/index.js';

export interface LogMessage {
  stream: 'stdout' | 'stderr';
  /** Docker's RFC3339NanoFixed in UTC: `2024-01-01T00:00:00.000000000Z`. */
  timestamp: string;
  /** Nanoseconds since the epoch (for since/until). */
  timeNano: bigint;
  line: Buffer;
}

/** `2026-11-22T17:03:00.1234+01:00` → fixed nine-digit UTC form and epoch nanoseconds. */
export function normalizeLogTime(raw: string): { timestamp: string; timeNano: bigint } {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(raw);
  if (m === null) return { timestamp: raw, timeNano: 0n };
  const seconds = Date.parse(`${m[1]!}${m[3] === 'Z' ? 'Z' : m[3]!}`) / 1000;
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return { timestamp: `${iso}.${frac}Z`, timeNano: BigInt(seconds) * 1_000_000_000n + BigInt(frac) };
}

/** Incremental k8s-file decoder: feed bytes, get complete messages. */
export class K8sLogDecoder {
  #rest = '';
  readonly #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  push(chunk: string): LogMessage[] {
    const text = this.#rest + chunk;
    const lines = text.split('\n');
    this.#rest = lines.pop() ?? '';
    const out: LogMessage[] = [];
    for (const line of lines) {
      const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
      if (m === null) continue;
      const stream = m[2] as 'stdout' | 'stderr';
      if (m[3] === 'P') {
        this.#partial[stream] += m[4] ?? '';
        continue;
      }
      const body = this.#partial[stream] + (m[4] ?? '') + '\n';
      this.#partial[stream] = '';
      out.push({ stream, ...normalizeLogTime(m[1]!), line: Buffer.from(body) });
    }
    return out;
  }
}

export interface ReadLogOptions {
  /** Keep reading new entries until `stop` resolves (then drain what is left). */
  follow?: { stop: Promise<unknown>; signal?: AbortSignal };
  /** Only the last N messages of what exists now (follow still streams everything after). */
  tail?: number;
  /** Epoch nanoseconds bounds. */
  since?: bigint;
  until?: bigint;
}

/** Yields the log's messages; a missing file is an empty log. */
export async function* readLog(path: string, o: ReadLogOptions = {}): AsyncGenerator<LogMessage> {
  const decoder = new K8sLogDecoder();
  let offset = 0;
  const readMore = async (): Promise<LogMessage[]> => {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    try {
      const out: LogMessage[] = [];
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        out.push(...decoder.push(buf.subarray(0, bytesRead).toString('utf8')));
      }
      return out;
    } finally {
      await fh.close();
    }
  };
  const keep = (m: LogMessage): boolean => (o.since === undefined || m.timeNano >= o.since) && (o.until === undefined || m.timeNano <= o.until);

  let first = (await readMore()).filter(keep);
  if (o.tail !== undefined && o.tail >= 0) first = o.tail === 0 ? [] : first.slice(-o.tail);
  yield* first;
  if (o.follow === undefined) return;

  let stopped = false;
  let wake: () => void = () => {};
  void o.follow.stop.finally(() => {
    stopped = true;
    wake();
  });
  o.follow.signal?.addEventListener('abort', () => wake(), { once: true });
  let changed = false;
  const watcher = watch(path, () => {
    changed = true;
    wake();
  });
  watcher.on('error', () => wake());
  try {
    for (;;) {
      changed = false;
      const more = (await readMore()).filter(keep);
      yield* more;
      if (stopped || o.follow.signal?.aborted === true) {
        // The writer is gone: whatever it flushed before exiting is read once more.
        yield* (await readMore()).filter(keep);
        return;
      }
      if (changed) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
      });
      wake = () => {};
    }
  } finally {
    watcher.close();
  }
}
