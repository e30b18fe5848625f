/**
 * Reads a layer stream once: decompresses it, hashes the uncompressed bytes (the diffID), and hands
 * each tar entry, in order, to a callback. Shared by applyLayer and diffIdOfTar.
 *
 * Error contract: the first failure wins and stops everything (the input is destroyed). Corrupt or
 * truncated archives reject with DataLoss, abort with the signal's reason, errdefs errors thrown by
 * the callback as they are; other callback errors (filesystem) with System.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { DataLoss, System, kindOf, messageOf } from '../../errdefs/index.js';
import type { Digest } from '../../util/digest.js';
import { decompress } from './compression.js';
import { PaxXattrIndex } from './pax-xattrs.js';

export interface LayerEntry {
  header: tar.Header;
  /** PAX records as tar-stream decoded them (UTF-8 strings); use `xattrs` for attribute values. */
  pax: Record<string, string>;
  /** `SCHILY.xattr.*` records with their exact bytes. */
  xattrs: Map<string, Buffer>;
  /** The entry's data; yields Buffers, fails with DataLoss when the archive is cut short. */
  data(): AsyncGenerator<Buffer>;
}

export interface LayerSummary {
  /** sha256 of the whole uncompressed stream, trailing padding included. */
  diffId: Digest;
  /**
   * The layer's size as Docker reports it (moby's directory.Size over the unpacked layer): regular
   * files plus symlinks (an lstat size is the length of the target), hardlinks and zero-size
   * entries adding nothing.
   */
  size: number;
}

export interface ScanOptions {
  input: NodeJS.ReadableStream | Readable;
  signal?: AbortSignal;
  onEntry(entry: LayerEntry): Promise<void>;
}

const XATTR_PREFIX = 'SCHILY.xattr.';

export async function scanLayer(opts: ScanOptions): Promise<LayerSummary> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const hash = createHash('sha256');
  const index = new PaxXattrIndex();
  const extract = tar.extract();
  let failure: { err: unknown } | undefined;
  const fail = (err: unknown): void => {
    if (failure !== undefined) return;
    failure = { err };
    extract.destroy(err instanceof Error ? err : new Error(messageOf(err)));
  };
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      index.push(chunk);
      yield chunk;
    }
  }
  // tar-stream's extract is a streamx Writable, which node's pipeline drives like a node one.
  const sink = extract as unknown as NodeJS.WritableStream;
  const feeding = pipeline(opts.input, decompress, tap, sink).catch((err: unknown) => fail(archiveError(err)));

  let size = 0;
  try {
    for await (const stream of extract) {
      if (failure !== undefined) break;
      try {
        const header = stream.header;
        if (header.type === 'file' || header.type === 'contiguous-file') size += header.size;
        else if (header.type === 'symlink') size += Buffer.byteLength(header.linkname ?? '');
        const pax = paxRecords(header.pax);
        await opts.onEntry({ header, pax, xattrs: rawXattrs(index, stream.offset, pax), data: () => chunks(stream) });
        // Whatever the callback left unread is skipped.
        for await (const _ of chunks(stream)) void _;
      } catch (err) {
        fail(entryError(err));
        break;
      }
    }
  } catch (err) {
    fail(archiveError(err));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  await feeding;
  if (failure !== undefined) throw failure.err;
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

async function* chunks(stream: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of stream) {
      if (chunk instanceof Uint8Array) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (err) {
    throw archiveError(err);
  }
}

function paxRecords(pax: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (pax === null || typeof pax !== 'object') return out;
  for (const [k, v] of Object.entries(pax)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The raw xattrs for an entry, checked against tar-stream's view of the same PAX header. Keys only
 * tar-stream has come from global headers, whose xattrs Go's reader (and so Docker) ignores.
 */
function rawXattrs(index: PaxXattrIndex, offset: number, pax: Record<string, string>): Map<string, Buffer> {
  const raw = index.take(offset) ?? new Map<string, Buffer>();
  for (const name of raw.keys()) {
    if (!(XATTR_PREFIX + name in pax)) throw new DataLoss(`invalid tar header: PAX xattr ${JSON.stringify(name)} out of step`);
  }
  return raw;
}

function archiveError(err: unknown): unknown {
  if (kindOf(err) !== undefined || (err instanceof Error && err.name === 'AbortError')) return err;
  return new DataLoss(`invalid layer archive: ${messageOf(err)}`, { cause: err });
}

function entryError(err: unknown): unknown {
  if (kindOf(err) !== undefined) return err;
  return new System(`apply layer: ${messageOf(err)}`, { cause: err });
}
