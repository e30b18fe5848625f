/**
 * The client side of a build context, as the docker CLI makes it: a directory packed into a tar
 * with `.dockerignore` applied (the Dockerfile and .dockerignore always go), owners set to 0:0,
 * and a Dockerfile from elsewhere (another path, or stdin) added under a random name.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { isErrno } from '../errdefs/index.js';
import { dockerignoreMatcher } from './dockerignore.js';

export interface PackedContext {
  tar: Readable;
  /** The Dockerfile's name inside the context (the `dockerfile` query parameter). */
  dockerfile: string;
}

function add(p: Pack, header: Parameters<Pack['entry']>[0], data?: Buffer | Readable): Promise<void> {
  return new Promise((res, rej) => {
    if (data === undefined || Buffer.isBuffer(data)) {
      p.entry(header, data ?? Buffer.alloc(0), (err) => (err ? rej(err) : res()));
      return;
    }
    const sink = p.entry(header, (err) => (err ? rej(err) : res()));
    data.on('error', rej);
    data.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

/**
 * Packs `dir`. `dockerfile` is a path (relative to the working directory, as `-f` takes it) or
 * '-' with `dockerfileText` read from stdin.
 */
export async function packContext(dir: string, o: { dockerfile?: string; dockerfileText?: string }): Promise<PackedContext> {
  const root = resolve(dir);
  let ignoreText = '';
  try {
    ignoreText = await readFile(join(root, '.dockerignore'), 'utf8');
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const ignored = dockerignoreMatcher(ignoreText);
  let dockerfile = 'Dockerfile';
  let extra: Buffer | undefined;
  if (o.dockerfileText !== undefined) {
    extra = Buffer.from(o.dockerfileText);
  } else if (o.dockerfile !== undefined && o.dockerfile !== '') {
    const abs = resolve(o.dockerfile);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || rel === '') extra = await readFile(abs);
    else dockerfile = rel;
  }
  if (extra !== undefined) dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
  const always = new Set([dockerfile, '.dockerignore']);
  const p = tarPack();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, r);
      const st = await lstat(abs);
      const skip = ignored(r) && !always.has(r);
      if (st.isDirectory()) {
        // An excluded directory is still walked: an exception (`!dir/keep`) may bring a file back.
        if (!skip) await add(p, { name: `${r}/`, type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 });
        await walk(r);
      } else if (skip) continue;
      else if (st.isSymbolicLink()) await add(p, { name: r, type: 'symlink', linkname: await readlink(abs), mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 });
      else if (st.isFile()) await add(p, { name: r, type: 'file', size: st.size, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 }, createReadStream(abs));
    }
  };
  void (async () => {
    try {
      await walk('');
      if (extra !== undefined) await add(p, { name: dockerfile, type: 'file', size: extra.length, mode: 0o600, mtime: new Date(), uid: 0, gid: 0 }, extra);
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
    }
  })();
  return { tar: p as unknown as Readable, dockerfile };
}
