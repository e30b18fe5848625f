/**
 * A fair readers–writer lock: any number of shared holders, or one exclusive holder.
 * Waiters are served in arrival order, so a stream of shared holders cannot starve a
 * writer (GC in the image service) and a writer cannot starve readers behind it.
 */
export class RwLock {
  #readers = 0;
  #writer = false;
  readonly #queue: { exclusive: boolean; wake: () => void }[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(false);
    try {
      return await fn();
    } finally {
      this.#readers--;
      this.#drain();
    }
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(true);
    try {
      return await fn();
    } finally {
      this.#writer = false;
      this.#drain();
    }
  }

  #canEnter(exclusive: boolean): boolean {
    return exclusive ? !this.#writer && this.#readers === 0 : !this.#writer;
  }

  #acquire(exclusive: boolean): Promise<void> {
    if (this.#queue.length === 0 && this.#canEnter(exclusive)) {
      this.#enter(exclusive);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push({ exclusive, wake: resolve }));
  }

  #enter(exclusive: boolean): void {
    if (exclusive) this.#writer = true;
    else this.#readers++;
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#canEnter(this.#queue[0]!.exclusive)) {
      const next = this.#queue.shift()!;
      this.#enter(next.exclusive);
      next.wake();
    }
  }
}
