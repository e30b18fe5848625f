import { createHash } from 'node:crypto';
import { readFile, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { Conflict, isErrno } from '../errdefs/index.js';
import { writeFileAtomic } from './atomic-file.js';

/** The abstract-namespace socket name that stands for ownership of `dir` (a real path). */
function lockName(dir: string): string {
  return `\0estiba-lock-${createHash('sha256').update(dir).digest('hex').slice(0, 32)}`;
}

async function readHolder(path: string): Promise<string> {
  try {
    const pid = (await readFile(path, 'utf8')).trim();
    return /^[1-9]\d*$/.test(pid) ? pid : 'unknown';
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 'unknown';
    throw err;
  }
}

/**
 * Exclusive ownership of the directory that holds `path`, by one process at a time.
 *
 * The lock is a Linux abstract-namespace unix socket named after the directory's real path:
 * binding it is atomic, and the kernel unbinds it when the process dies, however it dies, so
 * there is no stale lock to detect or take over. `path` receives the holder's PID, for the
 * refusal message and for humans; it never decides who holds the lock.
 *
 * Abstract sockets belong to the network namespace: two daemons in different network
 * namespaces are not kept apart. Node opens sockets close-on-exec, so processes the holder
 * spawns (conmon, the OCI runtime) do not inherit the lock.
 *
 * Returns the release function. Throws Conflict while another holder, in this process or
 * another, has it.
 */
export async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  const name = lockName(await realpath(dirname(path)));
  const server = net.createServer((conn) => conn.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(name, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (isErrno(err, 'EADDRINUSE')) {
      throw new Conflict(`${what} is in use by another daemon (pid ${await readHolder(path)}, lock ${path})`, { cause: err });
    }
    throw err;
  }
  // The lock alone must not keep the process alive.
  server.unref();
  try {
    await writeFileAtomic(path, String(process.pid), 0o600);
  } catch (err) {
    server.close();
    throw err;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    // The file goes first: once the socket is closed, the next holder may already be writing its own.
    await rm(path, { force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
