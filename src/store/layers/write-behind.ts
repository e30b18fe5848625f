/**
 * Bounded background work: lets a file's trailing metadata calls (fchown, fchmod, futimes, close)
 * overlap with reading the next tar entries. Each of those is a thread-pool round trip, and done in
 * line they dominate the time to extract layers of many small files.
 */
export class WriteBehind {
  readonly #limit: number;
  readonly #running = new Set<Promise<void>>();
  #failure: { err: unknown } | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Starts `work`; waits while `limit` jobs are running. Rethrows an earlier job's failure. */
  async add(work: () => Promise<void>): Promise<void> {
    this.#throwIfFailed();
    const job: Promise<void> = work()
      .catch((err: unknown) => {
        this.#failure ??= { err };
      })
      .finally(() => this.#running.delete(job));
    this.#running.add(job);
    while (this.#running.size >= this.#limit) await Promise.race(this.#running);
    this.#throwIfFailed();
  }

  /** Waits for every job; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.#running);
    this.#throwIfFailed();
  }

  /** Waits for every job, ignoring failures (cleanup after another error). */
  async settle(): Promise<void> {
    await Promise.all(this.#running);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.err;
  }
}
