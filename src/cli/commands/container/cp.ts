/**
 * `cp` (docker/cli cli/command/container/cp.go and moby pkg/archive copy.go): tar over the
 * archive endpoints, both ways. The root entry of the tar is renamed to the destination's name
 * when the destination does not exist (or is a file), the way docker's CopyTo/RebaseArchive
 * does; `-` streams a tar from stdin or to stdout.
 *
 * @module
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, stat, symlink, utimes, chmod, rm } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isErrno, isNotFound } from '../../../errdefs/index.js';
import { containerGetArchive, containerPutArchive, containerStatPath } from '../../../client/containers.js';
import { defineCommand, type CliContext } from '../../command.js';
import { humanSize } from '../../format/units.js';

/** Go's os.ModeDir (bit 31), as the stat header carries the mode. */
const isDirMode = (mode: number): boolean => (mode >>> 0) >= 0x80000000;

interface CpArg {
  container: string;
  path: string;
}

/** docker's splitCpArg: `container:path`, unless it looks like a local path (absolute or ./). */
export function splitCpArg(arg: string): CpArg {
  if (arg.startsWith('/') || arg.startsWith('.')) return { container: '', path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0) return { container: '', path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** A path ending in `/.` means the directory's contents, not the directory. */
const contentsOnly = (p: string): boolean => p.endsWith('/.') || p === '.';

/** Renames the first path component of every entry (`src/...` → `dst/...`), or drops it. */
function rebase(name: string, root: string, to: string | null): string | null {
  const n = name.replace(/^\.\//, '').replace(/\/$/, '');
  if (n === root) return to;
  if (n.startsWith(`${root}/`)) return to === null ? n.slice(root.length + 1) : `${to}/${n.slice(root.length + 1)}`;
  return n;
}

async function extractTo(tarStream: Readable, dir: string, root: string, to: string | null): Promise<number> {
  const { extract } = await import('tar-stream');
  const ex = extract();
  let total = 0;
  const done = pipeline(tarStream, ex);
  const dirTimes: Array<[string, Date]> = [];
  for await (const entry of ex) {
    const h = entry.header;
    const rel = rebase(h.name, root, to);
    if (rel === null || rel === '') {
      entry.resume();
      continue;
    }
    const target = resolve(dir, rel);
    if (!target.startsWith(resolve(dir))) throw new Error(`invalid path in archive: ${h.name}`);
    const mode = (h.mode ?? 0o644) & 0o7777;
    switch (h.type) {
      case 'directory':
        await mkdir(target, { recursive: true });
        await chmod(target, mode);
        if (h.mtime) dirTimes.push([target, h.mtime]);
        entry.resume();
        break;
      case 'symlink':
        await rm(target, { force: true });
        await symlink(h.linkname ?? '', target);
        entry.resume();
        break;
      case 'file':
      case 'contiguous-file': {
        await mkdir(dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target, { mode }));
        await chmod(target, mode);
        if (h.mtime) await utimes(target, h.mtime, h.mtime);
        total += h.size ?? 0;
        break;
      }
      default:
        // Devices, fifos and hard links need privileges or the linked file: skipped, as a
        // non-root docker cp would fail on them too.
        entry.resume();
    }
  }
  await done;
  for (const [d, t] of dirTimes.reverse()) await utimes(d, t, t);
  return total;
}

/** A tar of `src` whose root entry is named `name` (or, with name null, of its contents). */
async function packLocal(src: string, name: string | null, followLink: boolean): Promise<{ stream: Readable; done: Promise<number> }> {
  const { pack } = await import('tar-stream');
  const p = pack();
  const done = (async (): Promise<number> => {
    let total = 0;
    const entry = (h: Parameters<typeof p.entry>[0]): Promise<void> =>
      new Promise((r, j) => p.entry(h, (e) => (e ? j(e) : r())));
    const add = async (path: string, entryName: string | null, top: boolean): Promise<void> => {
      const st = top && followLink ? await stat(path) : await lstat(path);
      const base = { mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
      if (st.isDirectory()) {
        if (entryName !== null) await entry({ ...base, name: `${entryName}/`, type: 'directory' });
        for (const child of (await readdir(path)).sort()) await add(join(path, child), entryName === null ? child : `${entryName}/${child}`, false);
      } else if (st.isSymbolicLink()) {
        await entry({ ...base, name: entryName!, type: 'symlink', linkname: await readlink(path) });
      } else if (st.isFile()) {
        const w = p.entry({ ...base, name: entryName!, type: 'file', size: st.size });
        await pipeline(createReadStream(path), w);
        total += st.size;
      }
    };
    await add(src, name, true);
    p.finalize();
    return total;
  })();
  done.catch((err: unknown) => p.destroy(err instanceof Error ? err : new Error(String(err))));
  return { stream: p as unknown as Readable, done };
}

async function copyFromContainer(ctx: CliContext, src: CpArg, dst: string, o: { followLink: boolean; quiet: boolean }): Promise<void> {
  const client = ctx.client();
  let srcPath = src.path;
  if (o.followLink) {
    // -L: copy what a link points to, named as the link.
    const st = await containerStatPath(client, src.container, srcPath);
    if (st.linkTarget !== '') srcPath = st.linkTarget;
  }
  const { stat: st, body } = await containerGetArchive(client, src.container, srcPath);
  if (dst === '-') {
    await pipeline(body, ctx.io.stdout, { end: false });
    return;
  }
  const srcIsDir = isDirMode(st.mode);
  const root = st.name;
  let dstStat;
  try {
    dstStat = await stat(dst);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  let total: number;
  if (dstStat?.isDirectory()) {
    total = await extractTo(body, dst, root, contentsOnly(src.path) && srcIsDir ? null : root);
  } else if (dstStat) {
    if (srcIsDir) {
      body.resume();
      throw new Error('cannot copy a directory to a file');
    }
    total = await extractTo(body, dirname(resolve(dst)), root, basename(dst));
  } else {
    if (dst.endsWith('/') && !srcIsDir) {
      body.resume();
      throw new Error(`destination directory ${JSON.stringify(dst)} does not exist`);
    }
    const parent = dirname(resolve(dst));
    try {
      await stat(parent);
    } catch (err) {
      body.resume();
      if (isErrno(err, 'ENOENT')) throw new Error(`lstat ${parent}: no such file or directory`);
      throw err;
    }
    total = await extractTo(body, parent, root, basename(resolve(dst)));
  }
  if (!o.quiet && (ctx.io.stderr as { isTTY?: boolean }).isTTY) ctx.io.stderr.write(`Successfully copied ${humanSize(total)} to ${dst}\n`);
}

async function copyToContainer(ctx: CliContext, src: string, dst: CpArg, o: { followLink: boolean; copyUIDGID: boolean; quiet: boolean }): Promise<void> {
  const client = ctx.client();
  let dstStat;
  try {
    dstStat = await containerStatPath(client, dst.container, dst.path);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  // A link as destination: copy to what it points to (docker resolves it the same way).
  let dstPath = dst.path;
  if (dstStat && dstStat.linkTarget !== '') {
    dstPath = dstStat.linkTarget;
    dstStat = await containerStatPath(client, dst.container, dstPath);
  }
  const dstIsDir = dstStat !== undefined && isDirMode(dstStat.mode);
  if (src === '-') {
    if (!dstIsDir) throw new Error(`destination "${dst.container}:${dst.path}" must be a directory`);
    await containerPutArchive(client, dst.container, dstPath, ctx.io.stdin, { copyUIDGID: o.copyUIDGID });
    return;
  }
  const local = resolve(src);
  const st = o.followLink ? await stat(local) : await lstat(local);
  let target: string;
  let name: string | null;
  if (dstIsDir) {
    target = dstPath;
    name = st.isDirectory() && contentsOnly(src) ? null : basename(local);
  } else if (dstStat) {
    if (st.isDirectory()) throw new Error('cannot copy a directory to a file');
    target = posix.dirname(dstPath);
    name = posix.basename(dstPath);
  } else {
    if (dstPath.endsWith('/')) throw new Error(`destination "${dst.container}:${dst.path}" must be a directory`);
    target = posix.dirname(dstPath);
    name = posix.basename(dstPath);
  }
  const packed = await packLocal(local, name, o.followLink);
  await containerPutArchive(client, dst.container, target, packed.stream, { copyUIDGID: o.copyUIDGID });
  const total = await packed.done;
  if (!o.quiet && (ctx.io.stderr as { isTTY?: boolean }).isTTY) {
    ctx.io.stderr.write(`Successfully copied ${humanSize(total)} to ${dst.container}:${dst.path}\n`);
  }
}

export const cpCommand = defineCommand({
  path: ['container', 'cp'],
  aliases: [['cp']],
  usage: "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\testiba cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  description:
    "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ] as const,
  async run(ctx, v, args) {
    const src = splitCpArg(args[0]!);
    const dst = splitCpArg(args[1]!);
    if (src.container !== '' && dst.container !== '') throw new Error('copying between containers is not supported');
    if (src.container === '' && dst.container === '') throw new Error('must specify at least one container source');
    if (src.container !== '') {
      if (src.path === '') throw new Error('filepath cannot be empty');
      await copyFromContainer(ctx, src, dst.path, { followLink: v['follow-link'], quiet: v.quiet });
    } else {
      if (dst.path === '') throw new Error('filepath cannot be empty');
      await copyToContainer(ctx, src.path, dst, { followLink: v['follow-link'], copyUIDGID: v.archive, quiet: v.quiet });
    }
    return 0;
  },
});
