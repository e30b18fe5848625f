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

/** A payload for {@link stdcopyFrames}; `prefix` (ASCII, e.g. a log timestamp) goes before it in the same frame. */
export interface FramePart {
  stream: StdStream;
  prefix?: string;
  payload: Uint8Array;
}

/**
 * Many payloads framed into one buffer (or, with `raw`, for a TTY, just concatenated): one
 * allocation per batch instead of two per payload, the hot path of `logs` on line-per-entry output.
 */
export function stdcopyFrames(parts: readonly FramePart[], o: { raw?: boolean; coalesce?: boolean } = {}): Buffer {
  const raw = o.raw === true;
  let size = 0;
  for (const p of parts) {
    const n = (p.prefix?.length ?? 0) + p.payload.length;
    if (n > MAX_FRAME && !raw) return Buffer.concat(parts.map((q) => stdcopyFrame(q.stream, q.prefix === undefined ? q.payload : Buffer.concat([Buffer.from(q.prefix, 'latin1'), q.payload]))));
    size += n + (raw ? 0 : 8);
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  // With `coalesce`, consecutive payloads of one stream share a frame (up to MAX_FRAME): the
  // header of the open frame is at `header`, its length patched when the frame closes.
  let header = -1;
  let stream = -1;
  let frameLen = 0;
  const close = (): void => {
    if (header >= 0) out.writeUInt32BE(frameLen, header + 4);
  };
  for (const p of parts) {
    const n = (p.prefix?.length ?? 0) + p.payload.length;
    if (!raw && (o.coalesce !== true || p.stream !== stream || frameLen + n > MAX_FRAME)) {
      close();
      header = off;
      stream = p.stream;
      frameLen = 0;
      out[off] = p.stream;
      out[off + 1] = 0;
      out[off + 2] = 0;
      out[off + 3] = 0;
      off += 8;
    }
    if (p.prefix !== undefined) off += out.write(p.prefix, off, 'latin1');
    out.set(p.payload, off);
    off += p.payload.length;
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
