import { open, rename, rm, mkdir } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Temp files start with this prefix so start-up can sweep ones a crash left behind. */
export const TEMP_PREFIX = '.tmp-';

export function tempPathFor(path: string): string {
  return join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** fsync a directory so a rename inside it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replace `path` with `data` so that a crash at any instant leaves either the old or the
 * new content, never a mix: temp file in the same directory, fsync, rename, fsync dir.
 *
 * `durable: false` skips both fsyncs: still all-or-nothing for a crash of this process (the
 * page cache has it), but a power loss may bring back the old content. For state that is
 * rebuilt anyway after a reboot (what runs and what exited), at ~5 ms less per write here.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, o: { durable?: boolean } = {}): Promise<void> {
  const durable = o.durable ?? true;
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  if (durable) await syncDir(dirname(path));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value));
}
