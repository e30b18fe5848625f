import type { JsonMessage } from '../api/types.js';

/** Where pull and push report progress: Docker's JSON messages, in order. */
export type ProgressSink = (m: JsonMessage) => void;

const BAR_WIDTH = 50;

function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1).replace(/\.?0+$/, '')}${units[i]}`;
}

/** The `progress` text older clients print (jsonmessage's JSONProgress.String without a terminal width). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const filled = Math.min(BAR_WIDTH, Math.floor((current / total) * BAR_WIDTH));
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : '='.repeat(filled) + '>' + ' '.repeat(BAR_WIDTH - filled - 1);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/**
 * Per-item progress with byte counts, throttled so that a fast transfer sends a few updates a
 * second rather than one per chunk; the last update (current = total) always goes out.
 */
export class ByteProgress {
  readonly #sink: ProgressSink;
  readonly #id: string;
  readonly #status: string;
  readonly #total: number;
  #last = 0;

  constructor(sink: ProgressSink, id: string, status: string, total: number) {
    this.#sink = sink;
    this.#id = id;
    this.#status = status;
    this.#total = total;
  }

  update(current: number): void {
    const now = Date.now();
    if (current < this.#total && now - this.#last < 100) return;
    this.#last = now;
    this.#sink({ status: this.#status, progressDetail: { current, total: this.#total }, progress: progressBar(current, this.#total), id: this.#id });
  }
}
