/** Test helpers: layer tars built in memory, and a scratch root with a directory beside `dest`. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { paxExtendedHeader, paxRecord } from '../../util/tar-xattrs.js';

export type TarEntry = [header: Partial<tar.Header> & { name: string }, data?: string | Buffer];

export async function packTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [header, data = ''] of entries) pack.entry(header, typeof data === 'string' ? Buffer.from(data) : data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * A PAX extended header block with raw byte values (tar-stream's pack writes values as UTF-8
 * text only); it applies to the entry that follows it.
 */
export function rawPaxHeader(records: Array<[key: string, value: Buffer]>): Buffer {
  return paxExtendedHeader(records.map(([key, value]) => paxRecord(key, value)));
}

/** The buffer as a stream of `size`-byte chunks (exercises parsing across chunk boundaries). */
export function streamOf(buf: Buffer, size = 64 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks);
}

export interface Scratch {
  root: string;
  dest: string;
  /** A directory beside dest that a hostile layer must not touch. */
  outside: string;
  /** Throws unless root holds exactly dest and outside, and outside is as it was (empty or `keep`). */
  assertNothingOutside(keep?: string[]): Promise<void>;
  cleanup(): Promise<void>;
}

export async function scratch(): Promise<Scratch> {
  const root = await mkdtemp(join(tmpdir(), 'estiba-layer-'));
  const dest = join(root, 'dest');
  const outside = join(root, 'outside');
  await mkdir(dest);
  await mkdir(outside);
  return {
    root,
    dest,
    outside,
    async assertNothingOutside(keep: string[] = []) {
      const top = (await readdir(root)).sort();
      if (top.join(',') !== 'dest,outside') throw new Error(`unexpected files beside dest: ${top.join(', ')}`);
      const inside = (await readdir(outside)).sort();
      if (inside.join(',') !== [...keep].sort().join(',')) throw new Error(`outside was modified: ${inside.join(', ')}`);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** An xattr value read with python3 (no attr tools here), or undefined if it is not set. */
export function readXattr(path: string, name: string): Buffer | undefined {
  const script = [
    'import os, sys',
    'try: sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())',
    'except OSError: sys.stdout.write("-")',
  ].join('\n');
  const r = spawnSync('python3', ['-I', '-c', script, path, name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 getxattr failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout === '-' ? undefined : Buffer.from(r.stdout, 'hex');
}

/** `zstd -c` of the buffer, or undefined when the zstd binary is missing. */
export function zstdCompress(buf: Buffer): Buffer | undefined {
  const r = spawnSync('zstd', ['-q', '-c'], { input: buf, maxBuffer: 1 << 30 });
  if (r.error !== undefined) return undefined;
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr.toString()}`);
  return r.stdout;
}
