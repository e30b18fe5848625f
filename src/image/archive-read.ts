import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { InvalidParameter, isErrno, kindOf, messageOf } from '../errdefs/index.js';
import type { ContentStore } from '../store/content/store.js';
import type { Digest } from '../util/digest.js';

/** Members up to this size are read into memory before going to the store. */
const SMALL_FILE = 4 * 1024 * 1024;
/** The members an archive is interpreted from; kept in memory. */
const INDEX_FILES = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);

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
  opts: { signal?: AbortSignal } = {},
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
          // Only the index files are needed whole; everything else is read back by digest.
          if (INDEX_FILES.has(path)) small.set(path, buf);
          files.set(path, (await content.put(buf)).digest);
        } else {
          files.set(path, (await content.ingest(stream as AsyncIterable<Buffer>, { signal })).digest);
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
    // Malformed tar data is the client's fault; the store's own failures (no space, a kind
    // already decided) keep theirs.
    if (signal?.aborted || kindOf(err) !== undefined || isErrno(err, 'ENOSPC', 'EACCES', 'EIO', 'EROFS', 'EMFILE')) throw err;
    throw new InvalidParameter(`invalid archive: ${messageOf(err)}`, { cause: err });
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
