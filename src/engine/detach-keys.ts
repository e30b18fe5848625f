/**
 * Detach keys, as the daemon applies them to a TTY session's input (moby container/stream and
 * its term.EscapeProxy): a client that is not the docker CLI (which watches for them itself)
 * detaches by typing the sequence; the container keeps running.
 *
 * @module
 */
import { InvalidParameter } from '../errdefs/index.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** `ctrl-p,ctrl-q` → [0x10, 0x11]; moby's term.ToBytes: single characters or ctrl-<a-z@[\]^_>. */
export function parseDetachKeys(spec: string): number[] {
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/i.exec(k);
    const c = m?.[1]?.toLowerCase();
    if (c === undefined) throw new InvalidParameter(`Invalid detach keys (${spec}) provided`);
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 0x60);
    else if (c === '@') out.push(0);
    else if ('[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 0x40);
    else throw new InvalidParameter(`Invalid detach keys (${spec}) provided`);
  }
  return out;
}

/**
 * Watches a byte stream for the key sequence. `push` returns what to forward to the process: a
 * partial match is held back and forwarded with what follows when the sequence breaks.
 */
export class DetachScanner {
  readonly #keys: readonly number[];
  #matched = 0;
  detached = false;

  constructor(keys: readonly number[]) {
    this.#keys = keys;
  }

  push(chunk: Buffer): Buffer {
    if (this.#keys.length === 0 || this.detached) return this.detached ? Buffer.alloc(0) : chunk;
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.#keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.#keys.length) {
          this.detached = true;
          break; // what follows the sequence is not the process's
        }
        continue;
      }
      // The sequence broke: the held bytes were input after all.
      out.push(...this.#keys.slice(0, this.#matched));
      this.#matched = 0;
      if (b === this.#keys[0]) this.#matched = 1;
      else out.push(b);
    }
    return Buffer.from(out);
  }
}
