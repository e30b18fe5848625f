/**
 * Layer compression: detection by magic bytes (moby `archive.DetectCompression`) and a streaming
 * decompressor for the kinds Node can read: gzip (node:zlib) and zstd (fzstd).
 */
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Decompress } from 'fzstd';
import { NotImplemented } from '../../errdefs/index.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Bytes needed by compressionOf to tell every kind apart. */
export const MAGIC_LENGTH = 6;

const startsWith = (b: Uint8Array, magic: number[]): boolean =>
  b.length >= magic.length && magic.every((v, i) => b[i] === v);

/** The compression of a stream, from its first bytes (MAGIC_LENGTH suffice; fewer means 'none'). */
export function compressionOf(first: Uint8Array): Compression {
  if (startsWith(first, [0x1f, 0x8b, 0x08])) return 'gzip';
  if (startsWith(first, [0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  // A zstd skippable frame (magic 0x184D2A50..5F, little endian) may come first.
  if (first.length >= 4 && ((first[0] ?? 0) & 0xf0) === 0x50 && startsWith(first.subarray(1), [0x2a, 0x4d, 0x18])) {
    return 'zstd';
  }
  if (startsWith(first, [0x42, 0x5a, 0x68])) return 'bzip2';
  if (startsWith(first, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/**
 * Pipeline stage: detects the compression of `source` and yields the uncompressed bytes.
 * Decoder errors (corrupt or truncated input) propagate as thrown by zlib or fzstd.
 */
export async function* decompress(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  const it = bytesOf(source)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < MAGIC_LENGTH) {
    const r = await it.next();
    if (r.done === true) break;
    head.push(r.value);
    headLength += r.value.length;
  }
  const rest = prepend(head, it);
  const kind = compressionOf(Buffer.concat(head));
  switch (kind) {
    case 'none':
      yield* rest;
      return;
    case 'gzip':
      yield* gunzip(rest);
      return;
    case 'zstd':
      yield* unzstd(rest);
      return;
    case 'bzip2':
    case 'xz':
      throw new NotImplemented(`unsupported layer compression: ${kind}`);
  }
}

/** Stream chunks as Buffers; a stream in string (encoding) mode is a programming error. */
async function* bytesOf(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('layer stream must yield bytes, not strings');
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

async function* prepend(head: Buffer[], it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* head;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  } finally {
    // Stops (and so destroys) the source when the consumer gives up early.
    await it.return?.();
  }
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  // Larger output chunks: fewer, bigger writes downstream (the tar parser and file writes cost per chunk).
  const z = createGunzip({ chunkSize: 256 * 1024 });
  const writing = pipeline(source, z);
  // Its error also surfaces through z, read below; this only avoids an unhandled rejection.
  writing.catch(() => undefined);
  try {
    for await (const chunk of z) yield chunk as Buffer;
    await writing;
  } finally {
    z.destroy();
  }
}

/** Input is fed in slices so that one highly compressed chunk cannot expand into one huge batch. */
const ZSTD_SLICE = 16 * 1024;

async function* unzstd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let out: Buffer[] = [];
  const d = new Decompress((data) => {
    if (data.length > 0) out.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  });
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i += ZSTD_SLICE) {
      d.push(chunk.subarray(i, i + ZSTD_SLICE));
      if (out.length > 0) {
        yield* out;
        out = [];
      }
    }
  }
  d.push(new Uint8Array(0), true);
  yield* out;
}
