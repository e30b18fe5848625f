/**
 * Docker's stdcopy framing (moby api/pkg/stdcopy): when a container has no TTY, attach and logs
 * carry stdout and stderr on one connection as frames `[stream, 0, 0, 0, size u32 BE] payload`,
 * stream 1 = stdout, 2 = stderr (0 = stdin, 3 = systemerr). With a TTY the bytes go raw.
 */
export const StdStream = { Stdin: 0, Stdout: 1, Stderr: 2, SystemErr: 3 } as const;
export type StdStream = (typeof StdStream)[keyof typeof StdStream];

/** Largest payload in one frame; longer writes are split, as moby's StdWriter does not, but readers accept. */
const MAX_FRAME = 1 << 20;

/** One frame (or several for very large payloads) for `payload` on `stream`. */
export function stdcopyFrame(stream: StdStream, payload: Uint8Array): Buffer {
  if (payload.length <= MAX_FRAME) {
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  }
  const parts: Buffer[] = [];
  for (let off = 0; off < payload.length; off += MAX_FRAME) parts.push(stdcopyFrame(stream, payload.subarray(off, off + MAX_FRAME)));
  return Buffer.concat(parts);
}

/**
 * Entries to frame: entry `i` is `chunk[starts[i], ends[i])` on stream `streams[i]` (a
 * container log batch, container/logs.ts, has this shape).
 */
export interface FrameRanges {
  readonly length: number;
  readonly chunk: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly streams: Uint8Array;
}

/**
 * Many entries framed into one buffer (or, with `raw`, for a TTY, just concatenated): one
 * allocation per batch instead of two per entry, the hot path of `logs` on line-per-entry output.
 * `prefix(i)` (ASCII, e.g. a log timestamp) goes before entry `i` in its frame. With `coalesce`,
 * consecutive entries of one stream share a frame (up to 1 MiB).
 */
export function stdcopyFrames(r: FrameRanges, o: { raw?: boolean; coalesce?: boolean; prefix?: (i: number) => string } = {}): Buffer {
  const raw = o.raw === true;
  const { chunk, starts, ends, streams } = r;
  const prefixes = o.prefix === undefined ? undefined : Array.from({ length: r.length }, (_, i) => o.prefix!(i));
  let size = 0;
  for (let i = 0; i < r.length; i++) {
    const n = (prefixes?.[i]!.length ?? 0) + ends[i]! - starts[i]!;
    if (n > MAX_FRAME && !raw) {
      const parts: Buffer[] = [];
      for (let k = 0; k < r.length; k++) {
        const payload = chunk.subarray(starts[k]!, ends[k]!);
        parts.push(stdcopyFrame(streams[k] as StdStream, prefixes === undefined ? payload : Buffer.concat([Buffer.from(prefixes[k]!, 'latin1'), payload])));
      }
      return Buffer.concat(parts);
    }
    size += n + (raw ? 0 : 8);
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  // The header of the open frame is at `header`, its length patched when the frame closes.
  let header = -1;
  let stream = -1;
  let frameLen = 0;
  const close = (): void => {
    if (header >= 0) out.writeUInt32BE(frameLen, header + 4);
  };
  for (let i = 0; i < r.length; i++) {
    const s = starts[i]!;
    const e = ends[i]!;
    const p = prefixes?.[i];
    const n = (p?.length ?? 0) + e - s;
    if (!raw && (o.coalesce !== true || streams[i] !== stream || frameLen + n > MAX_FRAME)) {
      close();
      header = off;
      stream = streams[i]!;
      frameLen = 0;
      out[off] = stream;
      out[off + 1] = 0;
      out[off + 2] = 0;
      out[off + 3] = 0;
      off += 8;
    }
    if (p !== undefined) off += out.write(p, off, 'latin1');
    // Short entries (log lines) byte by byte: a view and a native call cost more than the copy.
    if (e - s <= 64) {
      for (let k = s; k < e; k++) out[off++] = chunk[k]!;
    } else {
      out.set(chunk.subarray(s, e), off);
      off += e - s;
    }
    frameLen += n;
  }
  if (!raw) close();
  return off === size ? out : out.subarray(0, off);
}

/** Splits a multiplexed byte stream back into frames; keeps a partial frame until the rest arrives. */
export class StdcopyDecoder {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Array<{ stream: StdStream; payload: Buffer }> {
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    const out: Array<{ stream: StdStream; payload: Buffer }> = [];
    while (this.#buf.length >= 8) {
      const size = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + size) break;
      out.push({ stream: this.#buf[0] as StdStream, payload: this.#buf.subarray(8, 8 + size) });
      this.#buf = this.#buf.subarray(8 + size);
    }
    return out;
  }
}
