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
