/**
 * The build context as the daemon receives it (a tar): indexed once (path → header), file data
 * spilled to one temp file. Nothing the client sends becomes a host path, so a `../x` or a symlink
 * pointing out of the context cannot reach host files: paths resolve inside the context, with
 * symlinks followed in its scope (moby's FollowSymlinkInScope).
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { randomBytes } from 'node:crypto';
import { InvalidParameter } from '../errdefs/index.js';

export type EntryType = 'file' | 'directory' | 'symlink';

export interface SourceEntry {
  /** Clean relative path ('' is the root). */
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  linkname: string;
}

/** A tree COPY/ADD read from: the build context or another image's root. */
export interface SourceTree {
  /** The entry at a clean relative path, symlinks in it resolved in scope; undefined if absent. */
  stat(path: string, followLast?: boolean): Promise<SourceEntry | undefined>;
  /** Names in a directory (resolved path), sorted. */
  list(dir: string): Promise<string[]>;
  /** A regular file's data. */
  open(path: string): Readable;
  /** Every path (for wildcard matching), in order. */
  paths(): Promise<string[]>;
  /** The file capabilities (security.capability) of those regular files among `paths` that have one. */
  capabilities(paths: readonly string[]): Promise<Map<string, Buffer>>;
}

/** Cleans a context-relative path: `./a//b/` → `a/b`; '' for the root; leading `..` kept. */
export function cleanPath(p: string): string {
  const n = posix.normalize(`${p}`.replace(/^\/+/, ''));
  return n === '.' || n === './' ? '' : n.replace(/\/+$/, '').replace(/^\.\//, '');
}

/** Resolves symlinks of a path inside a tree's scope: `..` and absolute targets stop at the root. */
export async function resolveInScope(
  lookup: (p: string) => SourceEntry | undefined | Promise<SourceEntry | undefined>,
  path: string,
  followLast: boolean,
): Promise<string | undefined> {
  let parts = cleanPath(path).split('/').filter((x) => x !== '' && x !== '.');
  let resolved: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const name = parts.shift()!;
    if (name === '..') {
      resolved.pop();
      continue;
    }
    const candidate = [...resolved, name].join('/');
    const e = await lookup(candidate);
    if (e === undefined) return parts.length === 0 ? candidate : undefined;
    if (e.type === 'symlink' && (parts.length > 0 || followLast)) {
      if (++hops > 255) throw new InvalidParameter(`too many links resolving ${path}`);
      const target = e.linkname;
      if (target.startsWith('/')) resolved = [];
      parts = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...parts];
      continue;
    }
    resolved = [...resolved, name];
  }
  return resolved.join('/');
}

interface Indexed extends SourceEntry {
  offset: number;
}

/** The context tar, indexed. close() removes the spill file. */
export class BuildContext implements SourceTree {
  readonly #entries = new Map<string, Indexed>();
  readonly #children = new Map<string, Set<string>>();
  readonly #spill: string;
  #fh: FileHandle | undefined;
  /** Sum of the regular files' sizes. */
  bytes = 0;

  private constructor(spill: string) {
    this.#spill = spill;
    this.#add({ path: '', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: new Date(0), size: 0, linkname: '', offset: 0 });
  }

  /** Reads a (possibly gzipped) tar context into an index; `spillDir` holds the data file. */
  static async fromTar(input: Readable, spillDir: string, signal?: AbortSignal): Promise<BuildContext> {
    const ctx = new BuildContext(join(spillDir, `context-${randomBytes(6).toString('hex')}`));
    const fh = await open(ctx.#spill, 'w+', 0o600);
    ctx.#fh = fh;
    try {
      let offset = 0;
      const ex = tarExtract();
      ex.on('entry', (h, stream, next) => {
        const path = cleanPath(h.name);
        if (path.startsWith('..')) {
          stream.resume();
          next(new InvalidParameter(`invalid path in build context: ${h.name}`));
          return;
        }
        const base = { path, mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0), linkname: h.linkname ?? '' };
        if (h.type === 'directory') {
          ctx.#add({ ...base, type: 'directory', size: 0, offset: 0 });
          stream.resume();
          stream.on('end', () => next());
          return;
        }
        if (h.type === 'symlink') {
          ctx.#add({ ...base, type: 'symlink', size: 0, offset: 0 });
          stream.resume();
          stream.on('end', () => next());
          return;
        }
        if (h.type === 'link') {
          const target = ctx.#entries.get(cleanPath(h.linkname ?? ''));
          if (target) ctx.#add({ ...target, ...base, type: 'file', linkname: '' , size: target.size, offset: target.offset });
          stream.resume();
          stream.on('end', () => next());
          return;
        }
        if (h.type !== 'file' && h.type !== 'contiguous-file') {
          stream.resume();
          stream.on('end', () => next());
          return;
        }
        const start = offset;
        const chunks: Promise<unknown>[] = [];
        stream.on('data', (c: unknown) => {
          const b = c as Buffer;
          // One write at a time: the tar stream waits for the disk.
          stream.pause();
          chunks.push(fh.write(b, 0, b.length, offset).then(() => stream.resume()));
          offset += b.length;
        });
        stream.on('end', () => {
          Promise.all(chunks).then(() => {
            ctx.#add({ ...base, type: 'file', size: offset - start, offset: start });
            ctx.bytes += offset - start;
            next();
          }, next);
        });
      });
      const head = await peek(input);
      if (head.gzip) await pipeline(head.stream, createGunzip(), padTar(), ex, { signal });
      else await pipeline(head.stream, padTar(), ex, { signal });
      return ctx;
    } catch (err) {
      await ctx.close();
      throw err;
    }
  }

  #add(e: Indexed): void {
    if (e.path !== '') {
      const parent = posix.dirname(e.path) === '.' ? '' : posix.dirname(e.path);
      if (!this.#entries.has(parent)) this.#add({ ...e, path: parent, type: 'directory', mode: 0o755, size: 0, offset: 0, linkname: '' });
      let set = this.#children.get(parent);
      if (!set) this.#children.set(parent, (set = new Set()));
      set.add(posix.basename(e.path));
    }
    this.#entries.set(e.path, e);
  }

  remove(path: string): void {
    const p = cleanPath(path);
    this.#entries.delete(p);
    const parent = posix.dirname(p) === '.' ? '' : posix.dirname(p);
    this.#children.get(parent)?.delete(posix.basename(p));
  }

  has(path: string): boolean {
    return this.#entries.has(cleanPath(path));
  }

  async stat(path: string, followLast = true): Promise<SourceEntry | undefined> {
    const r = await resolveInScope((p) => this.#entries.get(p), path, followLast);
    return r === undefined ? undefined : this.#entries.get(r);
  }

  list(dir: string): Promise<string[]> {
    return Promise.resolve([...(this.#children.get(dir) ?? [])].sort());
  }

  open(path: string): Readable {
    const e = this.#entries.get(path);
    if (e === undefined || e.type !== 'file') throw new InvalidParameter(`not a file in the build context: ${path}`);
    if (e.size === 0) return createReadStream('/dev/null');
    return createReadStream(this.#spill, { start: e.offset, end: e.offset + e.size - 1 });
  }

  async readText(path: string): Promise<string | undefined> {
    const e = await this.stat(path);
    if (e === undefined || e.type !== 'file') return undefined;
    const buf = Buffer.alloc(e.size);
    if (e.size > 0) await this.#fh!.read(buf, 0, e.size, (e as Indexed).offset);
    return buf.toString('utf8');
  }

  paths(): Promise<string[]> {
    return Promise.resolve([...this.#entries.keys()].filter((p) => p !== '').sort());
  }

  /**
   * None: the docker CLI records capabilities in the context tar, but dockerd's builder leaves
   * them behind even in a copied directory (checked against dockerd 20.10 in test/e2e/xattrs).
   */
  capabilities(): Promise<Map<string, Buffer>> {
    return Promise.resolve(new Map());
  }

  async close(): Promise<void> {
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    await rm(this.#spill, { force: true });
  }
}

/**
 * Completes a tar that ends without padding or end-of-archive blocks: the docker CLI sends such a
 * context when it adds a Dockerfile from stdin (`-f -`). Zero blocks after a proper end are ignored.
 */
function padTar(): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      cb(null, Buffer.alloc((512 - (n % 512)) % 512 + 1024));
    },
  });
}

/** Reads the first bytes to tell gzip from plain tar, then puts them back. */
async function peek(input: Readable): Promise<{ stream: Readable; gzip: boolean }> {
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = (): void => {
      const c = input.read() as Buffer | null;
      if (c === null && !input.readableEnded) return;
      cleanup();
      resolve(c);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    input.on('readable', onReadable);
    input.on('end', onEnd);
    input.on('error', onError);
    onReadable();
  });
  if (first === null) return { stream: Readable.from([]), gzip: false };
  input.unshift(first);
  return { stream: input, gzip: first[0] === 0x1f && first[1] === 0x8b };
}
