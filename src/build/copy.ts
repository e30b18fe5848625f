/**
 * COPY and ADD: which source files a step takes (wildcards, directories, heredocs, ADD's local
 * archives, whose members keep their PAX xattrs), their checksum for the cache, and the layer
 * entries they become at the destination (Docker's directory semantics; root-owned unless --chown;
 * --chmod).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { InvalidParameter, NotFound } from '../errdefs/index.js';
import { PaxXattrIndex } from '../store/layers/pax-xattrs.js';
import { CAPABILITY_XATTR } from '../util/xattr.js';
import { cleanPath, type SourceEntry, type SourceTree } from './context.js';
import type { Heredoc } from './parser.js';

/** One file system object a COPY takes, named relative to its source argument. */
export interface SourceItem {
  /** '' for the source itself, else the path below a source directory. */
  rel: string;
  /** The source argument's base name (for a file copied into a directory). */
  base: string;
  /** Index of the source argument this item came from. */
  source: number;
  entry: SourceEntry;
  /** Whether the source argument was a directory (its contents are copied). */
  fromDir: boolean;
  data?: () => Readable;
  /** Known content (heredocs, archive members). */
  content?: Buffer;
  /** An archive member's PAX xattrs, byte for byte (ADD extracts them, as Docker does). */
  xattrs?: Map<string, Buffer>;
}

export interface LayerEntry {
  /** Path in the image, without the leading slash. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  size: number;
  linkname?: string;
  data?: () => Readable;
  content?: Buffer;
  /** Written as PAX `SCHILY.xattr.*` records. */
  xattrs?: Map<string, Buffer>;
}

const WILDCARD = /[*?[]/;

/** Go's filepath.Match for one pattern over a whole path (`*` never matches `/`). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new InvalidParameter(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(tree: SourceTree, dir: string, into: (path: string, e: SourceEntry) => void): Promise<void> {
  for (const name of await tree.list(dir)) {
    const p = dir === '' ? name : `${dir}/${name}`;
    const e = await tree.stat(p, false);
    if (e === undefined) continue;
    into(p, e);
    if (e.type === 'directory') await walk(tree, p, into);
  }
}

/**
 * The items of a COPY/ADD's sources in `tree`. Errors are Docker's: a path outside the context,
 * a missing file, a wildcard that matches nothing.
 */
export async function collectSources(
  tree: SourceTree,
  sources: readonly string[],
  o: {
    heredocs?: readonly Heredoc[];
    heredocContent?: (h: Heredoc) => string;
    fromContext: boolean;
    /** ADD's remote sources: downloads a URL. */
    fetchUrl?: (url: string) => Promise<{ content: Buffer; mtime: Date }>;
  },
): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  /** Regular files found under source directories: they keep their file capabilities. */
  const inDirs: Array<[path: string, item: SourceItem]> = [];
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i]!;
    if (o.fetchUrl !== undefined && /^https?:\/\//.test(src)) {
      const { content, mtime } = await o.fetchUrl(src);
      // Docker names the file after the URL's last path segment and gives it mode 0600.
      const base = posix.basename(new URL(src).pathname) || 'download';
      items.push({ rel: '', base, source: i, fromDir: false, content, entry: { path: base, type: 'file', mode: 0o600, uid: 0, gid: 0, mtime, size: content.length, linkname: '' } });
      continue;
    }
    const doc = src.startsWith('<<') ? o.heredocs?.find((h) => src.replace(/^<<-?["']?/, '').replace(/["']$/, '') === h.name) : undefined;
    if (doc !== undefined) {
      const content = Buffer.from(o.heredocContent ? o.heredocContent(doc) : doc.content);
      items.push({ rel: '', base: doc.name, source: i, fromDir: false, content, entry: { path: doc.name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: content.length, linkname: '' } });
      continue;
    }
    const clean = cleanPath(src);
    if (clean === '..' || clean.startsWith('../')) {
      throw new InvalidParameter(`forbidden path outside the build context: ${src} ()`);
    }
    let matched: string[];
    if (WILDCARD.test(clean)) {
      const re = globToRegExp(clean);
      matched = (await tree.paths()).filter((p) => re.test(p));
      if (matched.length === 0) throw new InvalidParameter('no source files were specified');
    } else matched = [clean];
    for (const m of matched) {
      const e = await tree.stat(m, true);
      if (e === undefined) {
        throw new NotFound(o.fromContext ? `file not found in build context or excluded by .dockerignore: stat ${m}: file does not exist` : `stat ${m}: file does not exist`);
      }
      const base = m === '' ? '' : posix.basename(m);
      if (e.type === 'directory') {
        items.push({ rel: '', base, source: i, fromDir: true, entry: e });
        await walk(tree, e.path, (p, sub) => {
          const item: SourceItem = { rel: p.slice(e.path === '' ? 0 : e.path.length + 1), base, source: i, fromDir: true, entry: sub, ...(sub.type === 'file' ? { data: () => tree.open(p) } : {}) };
          items.push(item);
          if (sub.type === 'file') inDirs.push([p, item]);
        });
      } else {
        items.push({ rel: '', base, source: i, fromDir: false, entry: e, data: () => tree.open(e.path) });
      }
    }
  }
  // Docker's builder copies a directory through a tar that records capabilities, and a single
  // file without one: only files copied as part of a directory keep theirs (and only from an
  // image or stage: see BuildContext.capabilities).
  const caps = await tree.capabilities(inDirs.map(([p]) => p));
  for (const [p, item] of inDirs) {
    const c = caps.get(p);
    if (c !== undefined) item.xattrs = new Map([[CAPABILITY_XATTR, c]]);
  }
  return items;
}

/** Content and metadata checksum of the items (mtime left out, as Docker's tarsum does). */
export async function checksumItems(items: readonly SourceItem[]): Promise<string> {
  const h = createHash('sha256');
  for (const it of items) {
    const e = it.entry;
    h.update(JSON.stringify([it.source, it.rel, it.base, e.type, e.mode, e.uid, e.gid, e.size, e.linkname]));
    // A changed capability is a changed file (tarsum hashes xattrs too).
    for (const [name, value] of it.xattrs ?? []) h.update(`xattr ${name}=${value.toString('hex')}\n`);
    if (e.type === 'file') {
      if (it.content !== undefined) h.update(it.content);
      else if (it.data !== undefined) for await (const c of it.data()) h.update(c as Buffer);
    }
    h.update('\n');
  }
  return h.digest('hex');
}

/** ADD's local archive detection: gzip, bzip2, xz or plain tar (ustar magic). */
function archiveKind(head: Buffer): 'gzip' | 'bzip2' | 'xz' | 'tar' | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 262 && head.subarray(257, 262).toString() === 'ustar') return 'tar';
  return undefined;
}

/** Decompresses with Debian's xz or bzip2 (Node has neither); undefined when it is not really one. */
function decompress(tool: 'xz' | 'bzip2', data: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, ['-d', '-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve(code === 0 ? Buffer.concat(out) : undefined));
    // A decompressor that stops reading (bad input) closes the pipe: its exit code says so.
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}

async function readAll(r: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The members of a tar (plain or gzip) as items; undefined when `buf` is no archive. */
async function archiveItems(buf: Buffer, source: number): Promise<SourceItem[] | undefined> {
  const kind = archiveKind(buf);
  if (kind === undefined) return undefined;
  let tar: Buffer | undefined;
  try {
    tar = kind === 'gzip' ? gunzipSync(buf) : kind === 'tar' ? buf : await decompress(kind, buf);
  } catch (err) {
    if (kind !== 'gzip') throw err;
    tar = undefined;
  }
  // Not really a compressed tar: ADD copies it as a file, like Docker.
  if (tar === undefined || !(tar.length >= 262 && tar.subarray(257, 262).toString() === 'ustar')) return undefined;
  const out: SourceItem[] = [];
  // tar-stream decodes PAX values as UTF-8 text: the index keeps the xattrs' exact bytes.
  const xattrs = new PaxXattrIndex();
  xattrs.push(tar);
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      void readAll(stream).then((data) => {
        const rel = cleanPath(h.name);
        const x = xattrs.take(stream.offset);
        if (rel !== '' && !rel.startsWith('..') && (h.type === 'file' || h.type === 'directory' || h.type === 'symlink')) {
          out.push({
            rel, base: '', source, fromDir: true, content: data,
            entry: { path: rel, type: h.type, mode: (h.mode ?? 0o644) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0), size: data.length, linkname: h.linkname ?? '' },
            ...(x !== undefined && x.size > 0 ? { xattrs: x } : {}),
          });
        }
        next();
      }, next);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tar);
  await done;
  return out;
}

/** ADD: local tar archives among the items are replaced by their members (extracted at the destination). */
export async function expandArchives(items: SourceItem[]): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for (const it of items) {
    if (!it.fromDir && it.entry.type === 'file' && it.data !== undefined) {
      const buf = await readAll(it.data());
      const members = await archiveItems(buf, it.source);
      if (members !== undefined) {
        out.push(...members);
        continue;
      }
      out.push({ ...it, content: buf });
      continue;
    }
    out.push(it);
  }
  return out;
}

export interface PlanOptions {
  /** The destination after expansion, absolute or relative to `workdir`. */
  dest: string;
  workdir: string;
  /** How many source arguments there were (after wildcard expansion, counted by the caller). */
  multiple: boolean;
  chown?: { uid: number; gid: number };
  chmod?: number;
  /** What is at a path in the image already: 'dir', 'other' or undefined. */
  existing(path: string): Promise<'dir' | 'other' | undefined>;
  now: Date;
  instruction: 'COPY' | 'ADD';
}

/** Turns items into the entries of the step's layer, with the destination directories it needs. */
export async function planCopy(items: readonly SourceItem[], o: PlanOptions): Promise<LayerEntry[]> {
  let dest = o.dest.startsWith('/') ? o.dest : posix.join(o.workdir || '/', o.dest);
  const trailing = o.dest.endsWith('/') || o.dest === '.' || o.dest.endsWith('/.');
  dest = posix.normalize(dest);
  if (o.multiple && !trailing) {
    throw new InvalidParameter(`When using ${o.instruction} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destIsDir = trailing || o.multiple || (await o.existing(dest)) === 'dir';
  const out = new Map<string, LayerEntry>();
  const ensureDir = async (dir: string): Promise<void> => {
    if (dir === '/' || dir === '') return;
    const name = dir.slice(1);
    if (out.has(name)) return;
    const ex = await o.existing(dir);
    if (ex === 'dir') return;
    await ensureDir(posix.dirname(dir));
    out.set(name, { name, type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: o.now, size: 0 });
  };
  for (const it of items) {
    let target: string;
    if (it.fromDir) target = it.rel === '' ? dest : posix.join(dest, it.rel);
    else target = destIsDir ? posix.join(dest, it.base) : dest;
    if (target === '/') continue;
    await ensureDir(posix.dirname(target));
    const e = it.entry;
    const uid = o.chown?.uid ?? (it.content !== undefined && it.fromDir ? e.uid : 0);
    const gid = o.chown?.gid ?? (it.content !== undefined && it.fromDir ? e.gid : 0);
    const mode = o.chmod !== undefined && e.type !== 'symlink' ? o.chmod : e.mode;
    if (it.fromDir && it.rel === '' && (await o.existing(target)) === 'dir') continue;
    const le: LayerEntry = { name: target.slice(1), type: e.type, mode, uid, gid, mtime: e.mtime, size: e.type === 'file' ? e.size : 0 };
    if (e.type === 'symlink') le.linkname = e.linkname;
    if (it.content !== undefined) le.content = it.content;
    else if (it.data !== undefined) le.data = it.data;
    if (it.xattrs !== undefined) le.xattrs = it.xattrs;
    out.set(le.name, le);
  }
  return [...out.values()];
}
