/** At most `n` holders at a time, FIFO (Docker's limits on concurrent downloads and uploads). */
export class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(n: number) {
    this.#free = Math.max(1, n);
  }

  /** Runs `fn` when a slot is free; `onWait` is called first if it has to wait. */
  async run<T>(fn: () => Promise<T>, onWait?: () => void): Promise<T> {
    if (this.#free > 0) this.#free--;
    else {
      onWait?.();
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
