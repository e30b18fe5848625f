/**
 * Reading a container's log as `docker logs` wants it. conmon writes k8s-file entries
 * (`<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>`); the daemon rotates the file
 * (`container.log` → `container.log.1` → … , see log-rotator.ts), so a log is the rotated files,
 * oldest (highest number) first, then the live one.
 *
 * Each entry is one message, as each json-file entry is one message in Docker: an `F` entry ends
 * with its newline, a `P` entry (a line longer than conmon's 8 KiB buffer, or output without a
 * newline) carries none, so the bytes written out are exactly the container's output. Messages
 * are byte ranges of the read buffers (no copy) and come in batches, one per read (LogBatch).
 *
 * @module
 */
import { watch } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isErrno } from '../errdefs/index.js';

export interface LogTime {
  /** Docker's RFC3339NanoFixed in UTC: `2024-01-01T00:00:00.000000000Z`. */
  timestamp: string;
  /** Nanoseconds since the epoch (for since/until). */
  timeNano: bigint;
}

export interface LogMessage extends LogTime {
  stream: 'stdout' | 'stderr';
  line: Buffer;
}

// The second and offset of the last stamp normalised: a log's stamps share them in runs.
let lastSecond = { key: '', iso: '', seconds: 0n };

/** `2026-11-22T17:03:00.1234+01:00` → fixed nine-digit UTC form and epoch nanoseconds. */
export function normalizeLogTime(raw: string): LogTime {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(raw);
  if (m === null) return { timestamp: raw, timeNano: 0n };
  const key = `${m[1]!}${m[3]!}`;
  if (key !== lastSecond.key) {
    const ms = Date.parse(`${m[1]!}${m[3] === 'Z' ? 'Z' : m[3]!}`);
    lastSecond = { key, iso: new Date(ms).toISOString().slice(0, 19), seconds: BigInt(ms / 1000) };
  }
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return { timestamp: `${lastSecond.iso}.${frac}Z`, timeNano: lastSecond.seconds * 1_000_000_000n + BigInt(frac) };
}

/** Stream codes as in stdcopy frames. */
export const STDOUT = 1;
export const STDERR = 2;

/**
 * The entries of one read, without an object or a Buffer per entry (2.6 million of each for 200
 * MB of short lines was most of `docker logs`' time): entry `i` is `chunk[starts[i], ends[i])` on
 * stream `streams[i]` (1 stdout, 2 stderr, as stdcopy numbers them), stamped `stamps[stampOf[i]]`.
 */
export class LogBatch {
  constructor(
    readonly chunk: Buffer,
    readonly length: number,
    readonly starts: Int32Array,
    readonly ends: Int32Array,
    readonly streams: Uint8Array,
    readonly stampOf: Int32Array,
    readonly stamps: readonly LogTime[],
  ) {}

  stream(i: number): 'stdout' | 'stderr' {
    return this.streams[i] === STDOUT ? 'stdout' : 'stderr';
  }

  line(i: number): Buffer {
    return this.chunk.subarray(this.starts[i], this.ends[i]);
  }

  time(i: number): LogTime {
    return this.stamps[this.stampOf[i]!]!;
  }

  /** The entries for which `keep(i)` holds (sharing this batch's chunk). */
  select(keep: (i: number) => boolean): LogBatch {
    const idx: number[] = [];
    for (let i = 0; i < this.length; i++) if (keep(i)) idx.push(i);
    if (idx.length === this.length) return this;
    const pick = <T extends Int32Array | Uint8Array>(a: T, make: new (n: number) => T): T => {
      const out = new make(idx.length);
      for (let k = 0; k < idx.length; k++) out[k] = a[idx[k]!]!;
      return out;
    };
    return new LogBatch(this.chunk, idx.length, pick(this.starts, Int32Array), pick(this.ends, Int32Array), pick(this.streams, Uint8Array), pick(this.stampOf, Int32Array), this.stamps);
  }

  /** The last `n` entries. */
  last(n: number): LogBatch {
    if (n >= this.length) return this;
    const from = this.length - n;
    return new LogBatch(this.chunk, n, this.starts.subarray(from), this.ends.subarray(from), this.streams.subarray(from), this.stampOf.subarray(from), this.stamps);
  }

  /** One object per entry: for the consumers that are not hot paths (build output, tests). */
  *messages(): Generator<LogMessage> {
    for (let i = 0; i < this.length; i++) yield { stream: this.stream(i), ...this.time(i), line: this.line(i) };
  }

  [Symbol.iterator](): Generator<LogMessage> {
    return this.messages();
  }
}

const NL = 0x0a;
const SP = 0x20;
/** conmon's stamp: `2026-11-22T21:57:00.123456789+00:00`, then ` stdout F `. */
const CONMON_STAMP = 35;

/**
 * Incremental k8s-file decoder over bytes: feed chunks, get each chunk's complete entries as a
 * {@link LogBatch} over it (a line cut by the chunk's end is carried into the next one).
 */
export class K8sLogDecoder {
  #rest: Buffer | undefined;
  // conmon stamps every entry of one read of the container's pipe with the same time: each
  // distinct stamp is normalised once, recognised by its bytes.
  #lastRaw = Buffer.alloc(64);
  #lastRawLen = -1;
  #lastTime: LogTime = { timestamp: '', timeNano: 0n };

  /** How many bytes carried over from earlier chunks precede the next chunk's. */
  get pending(): number {
    return this.#rest?.length ?? 0;
  }

  push(chunk: Buffer): LogBatch {
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    // A guess (conmon's entries have at least 46 bytes), grown when short.
    let cap = (buf.length >> 6) + 16;
    let starts = new Int32Array(cap);
    let ends = new Int32Array(cap);
    let streams = new Uint8Array(cap);
    let stampOf = new Int32Array(cap);
    const stamps: LogTime[] = [];
    let n = 0;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      // `<ts> stdout F ` is 10 bytes after the stamp; `F` entries may end right after the tag.
      let sp = pos + CONMON_STAMP;
      if (sp >= nl || buf[sp] !== SP) sp = buf.indexOf(SP, pos);
      const stream = sp < 0 || sp + 9 > nl || buf[sp + 7] !== SP ? 0 : streamAt(buf, sp + 1);
      const tag = stream === 0 ? 0 : buf[sp + 8];
      if (tag === 0x46 /* F */ || tag === 0x50 /* P */) {
        if (n === cap) {
          cap *= 2;
          starts = grow(starts, cap);
          ends = grow(ends, cap);
          streams = grow(streams, cap);
          stampOf = grow(stampOf, cap);
        }
        if (!this.#sameStamp(buf, pos, sp)) {
          this.#lastTime = normalizeLogTime(buf.toString('latin1', pos, sp));
          stamps.push(this.#lastTime);
        } else if (stamps.length === 0 || stamps[stamps.length - 1] !== this.#lastTime) {
          stamps.push(this.#lastTime);
        }
        starts[n] = Math.min(sp + 10, nl);
        // A full entry keeps its newline (the one ending the file line); a partial one has none.
        ends[n] = tag === 0x46 ? nl + 1 : nl;
        streams[n] = stream;
        stampOf[n] = stamps.length - 1;
        n++;
      }
      pos = nl + 1;
    }
    if (pos < buf.length) this.#rest = Buffer.from(buf.subarray(pos));
    return new LogBatch(buf, n, starts, ends, streams, stampOf, stamps);
  }

  /** Whether `buf[start, end)` is the stamp seen last; if not, it becomes the one seen last. */
  #sameStamp(buf: Buffer, start: number, end: number): boolean {
    const len = end - start;
    const last = this.#lastRaw;
    if (len === this.#lastRawLen) {
      let i = len - 1;
      // Back to front: the nanoseconds differ first.
      while (i >= 0 && buf[start + i] === last[i]) i--;
      if (i < 0) return true;
    }
    if (len > last.length) this.#lastRaw = Buffer.alloc(len);
    buf.copy(this.#lastRaw, 0, start, end);
    this.#lastRawLen = len;
    return false;
  }
}

/** `stdout` → 1, `stderr` → 2, anything else 0; compared as bytes, this runs once per log line. */
function streamAt(buf: Buffer, i: number): number {
  if (buf[i] !== 0x73 /* s */ || buf[i + 1] !== 0x74 /* t */ || buf[i + 2] !== 0x64 /* d */) return 0;
  if (buf[i + 3] === 0x6f /* o */ && buf[i + 4] === 0x75 /* u */ && buf[i + 5] === 0x74 /* t */) return STDOUT;
  if (buf[i + 3] === 0x65 /* e */ && buf[i + 4] === 0x72 /* r */ && buf[i + 5] === 0x72 /* r */) return STDERR;
  return 0;
}

function grow<T extends Int32Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/** The files of the log at `path`, oldest first: `path.N` … `path.1`, then `path` (present or not). */
export async function logFiles(path: string): Promise<string[]> {
  const base = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [path];
    throw err;
  }
  const nums = names
    .filter((n) => n.startsWith(base) && /^\d+$/.test(n.slice(base.length)))
    .map((n) => Number(n.slice(base.length)))
    .sort((a, b) => b - a);
  return [...nums.map((n) => `${path}.${n}`), path];
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

const READ_SIZE = 1 << 20;

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** A file being read from `offset` on. */
interface Cursor {
  fh: FileHandle;
  offset: number;
  ino: number;
  decoder: K8sLogDecoder;
}

/** Reads from the cursor to the current end of its file, a batch per read. */
async function* drain(c: Cursor): AsyncGenerator<LogBatch> {
  // A fresh buffer per read (the batches yielded are views of it), and the next read is under
  // way while the consumer frames and sends this one.
  const readAt = (offset: number): Promise<{ buf: Buffer; bytesRead: number }> => {
    const buf = Buffer.allocUnsafe(READ_SIZE);
    return c.fh.read(buf, 0, READ_SIZE, offset).then(({ bytesRead }) => ({ buf, bytesRead }));
  };
  let next = readAt(c.offset);
  try {
    for (;;) {
      const { buf, bytesRead } = await next;
      if (bytesRead === 0) return;
      c.offset += bytesRead;
      next = readAt(c.offset);
      const batch = c.decoder.push(buf.subarray(0, bytesRead));
      if (batch.length > 0) yield batch;
    }
  } finally {
    // A consumer that stops early leaves a read in flight: it must end before the file closes.
    await next.catch(() => undefined);
  }
}

async function cursorOf(fh: FileHandle): Promise<Cursor> {
  return { fh, offset: 0, ino: (await fh.stat()).ino, decoder: new K8sLogDecoder() };
}

/**
 * Yields the log's messages in batches, across rotated files; a missing log is empty. With
 * `follow`, the live file is followed through rotations: when `path` names a new file, the old
 * one is read to its end (conmon writes to it until it reopens) and reading goes on in the new one.
 */
export async function* readLog(path: string, o: ReadLogOptions = {}): AsyncGenerator<LogBatch> {
  const inRange = (t: LogTime): boolean => (o.since === undefined || t.timeNano >= o.since) && (o.until === undefined || t.timeNano <= o.until);
  const filter = o.since === undefined && o.until === undefined ? (b: LogBatch) => b : (b: LogBatch) => b.select((i) => inRange(b.time(i)));
  // Every file is opened before any is read: an open file stays readable through a rotation.
  const handles = (await Promise.all((await logFiles(path)).map(openIfExists))).filter((h): h is FileHandle => h !== undefined);
  const live = handles.length > 0 ? await cursorOf(handles[handles.length - 1]!) : undefined;
  let cur: Cursor | undefined;
  try {
    const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
    // The newest batches holding at least `tail` entries.
    let ring: LogBatch[] = [];
    let ringLength = 0;
    for (const fh of handles) {
      const c = fh === live?.fh ? live : await cursorOf(fh);
      for await (const batch of drain(c)) {
        const kept = filter(batch);
        if (tail === undefined) {
          if (kept.length > 0) yield kept;
        } else if (tail > 0 && kept.length > 0) {
          ring.push(kept);
          ringLength += kept.length;
          while (ringLength - ring[0]!.length >= tail) ringLength -= ring.shift()!.length;
        }
      }
      if (c !== live) await fh.close();
    }
    if (tail !== undefined && ringLength > 0) {
      yield ring[0]!.last(ring[0]!.length - Math.max(0, ringLength - tail));
      yield* ring.slice(1);
    }
    cur = live;
    if (o.follow === undefined) return;

    let stopped = false;
    let wake: () => void = () => {};
    void o.follow.stop.finally(() => {
      stopped = true;
      wake();
    });
    o.follow.signal?.addEventListener('abort', () => wake(), { once: true });
    let changed = false;
    const base = basename(path);
    // The directory, not the file: a watch on the file would stay with it when it is renamed away.
    const watcher = watch(dirname(path), (_event, name) => {
      if (name !== null && !name.startsWith(base)) return;
      changed = true;
      wake();
    });
    watcher.on('error', () => wake());
    /** Reads what is new, following `path` to a new file once the current one was rotated away. */
    const readMore = async function* (): AsyncGenerator<LogBatch> {
      for (;;) {
        if (cur !== undefined) for await (const b of drain(cur)) yield filter(b);
        let ino: number;
        try {
          ino = (await stat(path)).ino;
        } catch (err) {
          if (isErrno(err, 'ENOENT')) return; // between the rename and conmon's reopen
          throw err;
        }
        if (cur !== undefined && cur.ino === ino) return;
        const fh = await openIfExists(path);
        if (fh === undefined) return;
        // The old file got its last bytes before the new one appeared: it was read to the end above.
        if (cur !== undefined) {
          for await (const b of drain(cur)) yield filter(b);
          await cur.fh.close();
        }
        cur = await cursorOf(fh);
      }
    };
    try {
      for (;;) {
        changed = false;
        yield* readMore();
        if (stopped || o.follow.signal?.aborted === true) {
          // The writer is gone: whatever it flushed before exiting is read once more.
          yield* readMore();
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
  } finally {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
    if (cur !== undefined && !handles.includes(cur.fh)) await cur.fh.close();
  }
}
