import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { BuildContext, cleanPath } from './context.js';
import { checksumItems, collectSources, expandArchives, globToRegExp, planCopy } from './copy.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

type Spec = { name: string; type?: 'file' | 'directory' | 'symlink'; data?: string; linkname?: string; mode?: number; mtime?: Date };

async function contextOf(entries: Spec[], opts: { trailer?: boolean } = {}): Promise<BuildContext> {
  const p = pack();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), mtime: e.mtime ?? new Date(1000), ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (type === 'file') p.entry(header, e.data ?? '');
    else p.entry(header);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  let tar = Buffer.concat(chunks);
  if (opts.trailer === false) tar = tar.subarray(0, tar.length - 1024);
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-unit-'));
  dirs.push(dir);
  return BuildContext.fromTar(Readable.from([tar]), dir);
}

const ENTRIES: Spec[] = [
  { name: 'a.txt', data: 'A' },
  { name: 'b.txt', data: 'BB' },
  { name: 'dir/', type: 'directory' },
  { name: 'dir/c.txt', data: 'C', mode: 0o600 },
  { name: 'dir/sub/d.txt', data: 'D' },
  { name: 'out', type: 'symlink', linkname: '/etc/passwd' },
  { name: 'up', type: 'symlink', linkname: '../../../etc/hostname' },
  { name: 'in', type: 'symlink', linkname: 'dir/c.txt' },
];

test('context: paths are cleaned, parents implied, symlinks resolve inside the context only', async () => {
  const ctx = await contextOf(ENTRIES);
  try {
    assert.equal(cleanPath('./a//b/'), 'a/b');
    assert.equal(cleanPath('/'), '');
    assert.equal((await ctx.stat('dir/sub'))?.type, 'directory');
    assert.equal((await ctx.stat('in'))?.path, 'dir/c.txt');
    assert.equal(await ctx.stat('out'), undefined, '/etc/passwd is looked up in the context, where it is not');
    assert.equal(await ctx.stat('up'), undefined);
    assert.equal(await ctx.readText('in'), 'C');
  } finally {
    await ctx.close();
  }
});

test('context: a tar without its end blocks (docker build -f -) is read whole', async () => {
  const ctx = await contextOf(ENTRIES, { trailer: false });
  try {
    assert.equal(await ctx.readText('dir/sub/d.txt'), 'D');
  } finally {
    await ctx.close();
  }
});

test('sources: wildcards, directories, and Docker\'s errors', async () => {
  const ctx = await contextOf(ENTRIES);
  try {
    const items = await collectSources(ctx, ['*.txt', 'dir'], { fromContext: true });
    assert.deepEqual(items.map((i) => [i.source, i.rel, i.entry.path]), [
      [0, '', 'a.txt'], [0, '', 'b.txt'], [1, '', 'dir'], [1, 'c.txt', 'dir/c.txt'], [1, 'sub', 'dir/sub'], [1, 'sub/d.txt', 'dir/sub/d.txt'],
    ]);
    await assert.rejects(collectSources(ctx, ['../x'], { fromContext: true }), /forbidden path outside the build context: \.\.\/x \(\)/);
    await assert.rejects(collectSources(ctx, ['nomatch*'], { fromContext: true }), /no source files were specified/);
    await assert.rejects(collectSources(ctx, ['out'], { fromContext: true }), /file not found in build context or excluded by \.dockerignore: stat out: file does not exist/);
    assert.ok(globToRegExp('dir/*.txt').test('dir/c.txt'));
    assert.ok(!globToRegExp('*.txt').test('dir/c.txt'), '* does not cross /');
  } finally {
    await ctx.close();
  }
});

test('checksum: content and mode count, mtime does not', async () => {
  const sum = async (spec: Spec[]): Promise<string> => {
    const ctx = await contextOf(spec);
    try {
      return await checksumItems(await collectSources(ctx, ['f'], { fromContext: true }));
    } finally {
      await ctx.close();
    }
  };
  const base = await sum([{ name: 'f', data: 'x' }]);
  assert.equal(await sum([{ name: 'f', data: 'x', mtime: new Date(5_000_000) }]), base);
  assert.notEqual(await sum([{ name: 'f', data: 'y' }]), base);
  assert.notEqual(await sum([{ name: 'f', data: 'x', mode: 0o755 }]), base);
});

test('destinations: file into a directory, directory contents, new parents, --chown/--chmod, several sources need a /', async () => {
  const ctx = await contextOf(ENTRIES);
  const existing = (dirsThere: string[]) => (p: string): Promise<'dir' | 'other' | undefined> => Promise.resolve(dirsThere.includes(p) ? 'dir' : undefined);
  const now = new Date(0);
  try {
    const file = await collectSources(ctx, ['a.txt'], { fromContext: true });
    const toDir = await planCopy(file, { dest: 'x/', workdir: '/w', multiple: false, existing: existing(['/w']), now, instruction: 'COPY' });
    assert.deepEqual(toDir.map((e) => [e.name, e.type, e.uid]), [['w/x', 'directory', 0], ['w/x/a.txt', 'file', 0]]);
    const renamed = await planCopy(file, { dest: '/opt/b', workdir: '/', multiple: false, existing: existing(['/opt']), now, instruction: 'COPY', chown: { uid: 5, gid: 6 }, chmod: 0o700 });
    assert.deepEqual(renamed.map((e) => [e.name, e.mode, e.uid, e.gid]), [['opt/b', 0o700, 5, 6]]);
    const dir = await collectSources(ctx, ['dir'], { fromContext: true });
    const contents = await planCopy(dir, { dest: '/srv', workdir: '/', multiple: false, existing: existing([]), now, instruction: 'COPY' });
    assert.deepEqual(contents.map((e) => e.name), ['srv', 'srv/c.txt', 'srv/sub', 'srv/sub/d.txt']);
    assert.equal(contents[1]!.mode, 0o600);
    const two = await collectSources(ctx, ['a.txt', 'b.txt'], { fromContext: true });
    await assert.rejects(planCopy(two, { dest: '/one', workdir: '/', multiple: true, existing: existing([]), now, instruction: 'COPY' }), /When using COPY with more than one source file, the destination must be a directory and end with a \//);
  } finally {
    await ctx.close();
  }
});

test('ADD archives: gzip, bzip2, xz and plain tars are unpacked; other files stay files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-arch-'));
  dirs.push(dir);
  await mkdir(join(dir, 'src', 'pkg'), { recursive: true });
  await writeFile(join(dir, 'src', 'pkg', 'f.txt'), 'inside\n');
  const make = (flag: string, name: string): Buffer => {
    execFileSync('tar', [flag, '-cf', join(dir, name), '-C', join(dir, 'src'), 'pkg'].filter((x) => x !== ''));
    return readFileSync(join(dir, name));
  };
  const archives: [string, Buffer][] = [['a.tar.gz', make('-z', 'a.tar.gz')], ['a.tar.bz2', make('-j', 'a.tar.bz2')], ['a.tar.xz', make('-J', 'a.tar.xz')], ['a.tar', make('', 'a.tar')]];
  for (const [name, data] of archives) {
    const items = await expandArchives([{ rel: '', base: name, source: 0, fromDir: false, entry: { path: name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: data.length, linkname: '' }, data: () => Readable.from([data]) }]);
    assert.deepEqual(items.map((i) => [i.rel, i.entry.type]), [['pkg', 'directory'], ['pkg/f.txt', 'file']], name);
    assert.equal(items[1]!.content?.toString(), 'inside\n');
  }
  const plain = Buffer.from('BZh not really bzip2');
  const kept = await expandArchives([{ rel: '', base: 'x', source: 0, fromDir: false, entry: { path: 'x', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date(0), size: plain.length, linkname: '' }, data: () => Readable.from([plain]) }]);
  assert.deepEqual(kept.map((i) => [i.base, i.content?.toString()]), [['x', 'BZh not really bzip2']]);
});
