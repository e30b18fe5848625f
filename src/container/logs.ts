/**
 * Reading a container's log as `docker logs` wants it. conmon writes k8s-file entries
 * (`<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>`); the daemon rotates the file
 * (`container.log` → `container.log.1` → … , see log-rotator.ts), so a log is the rotated files,
 * oldest (highest number) first, then the live one.
 *
 * Each entry is one message, as each json-file entry is one message in Docker: an `F` entry ends
 * with its newline, a `P` entry (a line longer than conmon's 8 KiB buffer, or output without a
 * newline) carries none, so the bytes written out are exactly the container's output. Messages
 * are slices of the read buffers (no copy) and come in batches, one per read.
 *
 * @module
 */
import { watch } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
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

const NL = 0x0a;
const SP = 0x20;

/**
 * Incremental k8s-file decoder over bytes: feed chunks, get complete entries. The messages'
 * `line` buffers are slices of the chunks given.
 */
export class K8sLogDecoder {
  #rest: Buffer | undefined;
  // conmon stamps every entry of one write with the same time: normalise each distinct one once.
  #lastRaw = '';
  #lastTime = { timestamp: '', timeNano: 0n };

  push(chunk: Buffer): LogMessage[] {
    const buf = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    const out: LogMessage[] = [];
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) break;
      const m = this.#entry(buf, pos, nl);
      if (m !== undefined) out.push(m);
      pos = nl + 1;
    }
    if (pos < buf.length) this.#rest = Buffer.from(buf.subarray(pos));
    return out;
  }

  /** The entry in `buf[start, nl)`; undefined for a line that is not one. */
  #entry(buf: Buffer, start: number, nl: number): LogMessage | undefined {
    const sp = buf.indexOf(SP, start);
    // `<ts> stdout F ` is 10 bytes after the timestamp; `F` entries may end right after the tag.
    if (sp < 0 || sp + 9 > nl || buf[sp + 7] !== SP) return undefined;
    // `stdout` / `stderr`: compared as bytes, this runs once per log line.
    let stream: 'stdout' | 'stderr';
    if (buf[sp + 1] !== 0x73 /* s */ || buf[sp + 2] !== 0x74 /* t */ || buf[sp + 3] !== 0x64 /* d */) return undefined;
    if (buf[sp + 4] === 0x6f /* o */ && buf[sp + 5] === 0x75 /* u */ && buf[sp + 6] === 0x74 /* t */) stream = 'stdout';
    else if (buf[sp + 4] === 0x65 /* e */ && buf[sp + 5] === 0x72 /* r */ && buf[sp + 6] === 0x72 /* r */) stream = 'stderr';
    else return undefined;
    const tag = buf[sp + 8];
    if (tag !== 0x46 /* F */ && tag !== 0x50 /* P */) return undefined;
    const textStart = Math.min(sp + 10, nl);
    const raw = buf.toString('latin1', start, sp);
    if (raw !== this.#lastRaw) {
      this.#lastRaw = raw;
      this.#lastTime = normalizeLogTime(raw);
    }
    // A full entry keeps its newline (the one ending the file line); a partial one has none.
    const line = tag === 0x46 ? buf.subarray(textStart, nl + 1) : buf.subarray(textStart, nl);
    return { stream, timestamp: this.#lastTime.timestamp, timeNano: this.#lastTime.timeNano, line };
  }
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
async function* drain(c: Cursor): AsyncGenerator<LogMessage[]> {
  for (;;) {
    // A fresh buffer per read: the messages yielded are slices of it.
    const buf = Buffer.allocUnsafe(READ_SIZE);
    const { bytesRead } = await c.fh.read(buf, 0, READ_SIZE, c.offset);
    if (bytesRead === 0) return;
    c.offset += bytesRead;
    const msgs = c.decoder.push(buf.subarray(0, bytesRead));
    if (msgs.length > 0) yield msgs;
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
export async function* readLog(path: string, o: ReadLogOptions = {}): AsyncGenerator<LogMessage[]> {
  const keep = (m: LogMessage): boolean => (o.since === undefined || m.timeNano >= o.since) && (o.until === undefined || m.timeNano <= o.until);
  const filter = o.since === undefined && o.until === undefined ? (b: LogMessage[]) => b : (b: LogMessage[]) => b.filter(keep);
  // Every file is opened before any is read: an open file stays readable through a rotation.
  const handles = (await Promise.all((await logFiles(path)).map(openIfExists))).filter((h): h is FileHandle => h !== undefined);
  const live = handles.length > 0 ? await cursorOf(handles[handles.length - 1]!) : undefined;
  let cur: Cursor | undefined;
  try {
    const tail = o.tail !== undefined && o.tail >= 0 ? o.tail : undefined;
    let ring: LogMessage[] = [];
    for (const fh of handles) {
      const c = fh === live?.fh ? live : await cursorOf(fh);
      for await (const batch of drain(c)) {
        const kept = filter(batch);
        if (tail === undefined) {
          if (kept.length > 0) yield kept;
        } else if (tail > 0) {
          ring.push(...kept);
          if (ring.length > tail * 2 + 1024) ring = ring.slice(-tail);
        }
      }
      if (c !== live) await fh.close();
    }
    if (tail !== undefined && tail > 0 && ring.length > 0) yield ring.slice(-tail);
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
    const readMore = async function* (): AsyncGenerator<LogMessage[]> {
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
