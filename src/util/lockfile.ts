import { open, readFile, rm } from 'node:fs/promises';
import { Conflict, isErrno } from '../errdefs/index.js';

async function holderAlive(path: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(path, 'utf8')).trim());
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (isErrno(err, 'ESRCH')) return undefined;
    throw err;
  }
  // A live PID may have been reused by another program: only a process of ours holds the lock.
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return /estibad|node/.test(cmdline) ? pid : undefined;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Exclusive ownership of a directory by one process: a lock file created with O_EXCL holding
 * our PID. A lock left by a dead process is taken over. Returns the release function.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.sync();
      await fh.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
    const holder = await holderAlive(path);
    if (holder !== undefined) throw new Conflict(`${what} is in use by another daemon (pid ${holder}, lock ${path})`);
    await rm(path, { force: true });
  }
  throw new Conflict(`could not acquire lock ${path}`);
}
