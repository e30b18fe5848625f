/**
 * Docker's json-file max-size / max-file over conmon's k8s-file log: the daemon renames the
 * live file away and tells conmon to reopen it (`2 0 0` on its ctl fifo). Why the daemon and not
 * conmon's `--log-size-max`: docs/adr/0006-logging.md.
 *
 * One inotify watch per running container, on its directory (a watch on the file would follow it
 * when it is renamed). The first change to the log disarms the watch, checks the size (one stat)
 * and re-arms it `rearmMs` later, checking again then: a container writing at full speed costs a
 * check every few ms instead of a callback per conmon write (≈ 75,000 for 200 MB of short lines,
 * which took 0.85 s of a 2.7 s run). The price is the overshoot: what is written during one pause
 * (ADR 0006). Checks of one log never overlap. A log is checked when watching begins, so a log
 * that grew while the daemon was down is rotated as soon as the daemon is back.
 *
 * @module
 */
import { watch, type FSWatcher } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isErrno, messageOf } from '../errdefs/index.js';
import type { Logger } from '../util/logger.js';

export interface RotatedLog {
  /** The live file; rotated ones are `path.1` (newest) … `path.<maxFile-1>`. */
  path: string;
  /** Rotate once the live file has this many bytes. */
  maxSize: number;
  /** Files kept, the live one included (≥ 1). */
  maxFile: number;
  /** Makes the writer reopen `path` (creating it). */
  reopen(): Promise<void>;
}

/** Shifts the files by one and renames the live file to `path.1`; then the writer reopens. */
export async function rotateLog(log: RotatedLog): Promise<void> {
  const { path, maxFile } = log;
  const renameIfExists = async (from: string, to: string): Promise<void> => {
    try {
      await rename(from, to);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
  };
  for (let i = maxFile - 1; i >= 1; i--) await renameIfExists(`${path}.${i}`, `${path}.${i + 1}`);
  await rename(path, `${path}.1`);
  await log.reopen();
  // The file shifted out of the kept set: nobody writes to it (conmon writes to path.1 until it
  // reopens). With max-file=1 that is path.1 itself, and what conmon wrote between the rename
  // and the reopen goes with it, as Docker truncates its single file.
  await rm(`${path}.${maxFile}`, { force: true });
}

export class LogRotator {
  readonly #logger: Logger;
  readonly #watches = new Map<string, () => void>();
  readonly #rearmMs: number;

  constructor(o: { logger: Logger; rearmMs?: number }) {
    this.#logger = o.logger;
    this.#rearmMs = o.rearmMs ?? 20;
  }

  /** Starts (or restarts) watching the log of container `id`. */
  watch(id: string, log: RotatedLog): void {
    this.unwatch(id);
    let busy = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          let size: number;
          try {
            size = (await stat(log.path)).size;
          } catch (err) {
            if (isErrno(err, 'ENOENT')) continue; // renamed, conmon not reopened yet
            throw err;
          }
          if (size >= log.maxSize) await rotateLog(log);
        } while (again);
      } finally {
        busy = false;
      }
    };
    const run = (): void => {
      check().catch((err: unknown) => this.#logger.warn('log rotation failed', { id, path: log.path, err: messageOf(err) }));
    };
    const base = basename(log.path);
    let watcher: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const arm = (): void => {
      if (closed) return;
      timer = undefined;
      watcher = watch(dirname(log.path), (_event, name) => {
        if (name !== base || watcher === undefined) return;
        watcher.close();
        watcher = undefined;
        run();
        timer = setTimeout(() => {
          arm();
          run(); // what was written while disarmed
        }, this.#rearmMs);
      });
      watcher.on('error', (err) => this.#logger.warn('log watch failed', { id, err: messageOf(err) }));
    };
    arm();
    this.#watches.set(id, () => {
      closed = true;
      watcher?.close();
      if (timer !== undefined) clearTimeout(timer);
    });
    run();
  }

  unwatch(id: string): void {
    this.#watches.get(id)?.();
    this.#watches.delete(id);
  }

  close(): void {
    for (const id of [...this.#watches.keys()]) this.unwatch(id);
  }
}
