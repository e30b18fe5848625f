import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { InvalidParameter } from '../errdefs/index.js';
import type { ContentStore } from '../store/content/store.js';
import type { Digest } from '../util/digest.js';

/** Archive members small enough to keep in memory as well (manifest.json, index.json …). */
const SMALL_FILE = 4 * 1024 * 1024;

/**
 * An image archive (`docker save` output or an OCI image layout tar) read once, as a stream:
 * every regular file goes into the content store, so nothing large is held in memory and
 * members can arrive in any order. What remains is a map from member path to blob digest.
 */
export interface ArchiveContents {
  files: Map<string, Digest>;
  /** Bytes of the small members, by path. */
  small: Map<string, Buffer>;
}

function cleanPath(name: string): string {
  const p = posix.normalize(name.replace(/^\/+/, '').replace(/^\.\//, ''));
  if (p === '..' || p.startsWith('../')) throw new InvalidParameter(`invalid archive: member ${JSON.stringify(name)} escapes the archive`);
  return p.replace(/\/$/, '');
}

export async function readArchive(
  input: Readable,
  content: ContentStore,
  opts: { signal?: AbortSignal; onBlob?: (d: Digest) => void } = {},
): Promise<ArchiveContents> {
  const { signal } = opts;
  const files = new Map<string, Digest>();
  const small = new Map<string, Buffer>();
  const links = new Map<string, string>();
  const ex = tarExtract();
  let entries = 0;

  ex.on('entry', (header, stream, next) => {
    entries++;
    void (async () => {
      const path = cleanPath(header.name);
      if (header.type === 'file' || header.type === 'contiguous-file') {
        if ((header.size ?? 0) <= SMALL_FILE) {
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          const buf = Buffer.concat(chunks);
          small.set(path, buf);
          const { digest } = await content.put(buf);
          opts.onBlob?.(digest);
          files.set(path, digest);
        } else {
          const { digest } = await content.ingest(stream as AsyncIterable<Buffer>, { signal });
          opts.onBlob?.(digest);
          files.set(path, digest);
        }
      } else {
        if ((header.type === 'symlink' || header.type === 'link') && header.linkname) {
          const target = header.type === 'symlink' ? posix.join(posix.dirname(path), header.linkname) : header.linkname;
          links.set(path, cleanPath(target));
        }
        stream.resume();
        await new Promise<void>((resolve) => stream.on('end', () => resolve()));
      }
    })().then(() => next(), (err: unknown) => next(err as Error));
  });

  try {
    await pipeline(input, ex, { signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new InvalidParameter(`invalid archive: ${(err as Error).message}`, { cause: err });
  }
  if (entries === 0) throw new InvalidParameter('invalid archive: no entries (is it a tar file?)');
  // Docker ≥25 writes `<id>/layer.tar` as links into blobs/: resolve them after the fact.
  for (const [from, to] of links) {
    const d = files.get(to);
    if (d !== undefined) files.set(from, d);
    const s = small.get(to);
    if (s !== undefined) small.set(from, s);
  }
  return { files, small };
}
