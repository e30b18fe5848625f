/**
 * Docker's progress streams (pull, push) rendered as the docker CLI does: on a terminal one line
 * per layer, redrawn in place (cursor up, erase line), with a bar, sizes and — our addition — the
 * transfer speed; elsewhere only the status lines, never the bars.
 */
import type { Writable } from 'node:stream';
import type { JsonMessage } from '../../api/types.js';

const BAR = 50;

function size(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

export class ProgressDisplay {
  readonly #out: Writable;
  readonly #tty: boolean;
  readonly #now: () => number;
  /** Line index of each id, in order of first appearance (terminal mode). */
  readonly #lines = new Map<string, number>();
  readonly #started = new Map<string, { t: number; bytes: number }>();

  constructor(out: Writable, tty: boolean, now: () => number = Date.now) {
    this.#out = out;
    this.#tty = tty;
    this.#now = now;
  }

  #text(m: JsonMessage): string {
    const d = m.progressDetail;
    let s = m.status ?? '';
    if (d && d.current !== undefined && d.total !== undefined && d.total > 0 && m.id) {
      const filled = Math.min(BAR, Math.floor((d.current / d.total) * BAR));
      const bar = filled >= BAR ? '='.repeat(BAR) : '='.repeat(filled) + '>' + ' '.repeat(BAR - filled - 1);
      const start = this.#started.get(m.id) ?? { t: this.#now(), bytes: d.current };
      this.#started.set(m.id, start);
      const secs = (this.#now() - start.t) / 1000;
      const speed = secs > 0.2 ? `  ${size((d.current - start.bytes) / secs)}/s` : '';
      s += ` [${bar}] ${size(d.current).padStart(8)}/${size(d.total)}${speed}`;
    } else if (m.progress) s += ` ${m.progress}`;
    return m.id ? `${m.id}: ${s}` : s;
  }

  write(m: JsonMessage): void {
    if (m.error || m.errorDetail) return;
    const hasBar = m.progressDetail?.current !== undefined;
    if (!this.#tty) {
      if (hasBar) return;
      if (m.status === undefined && m.stream === undefined) return;
      this.#out.write(m.stream ?? `${this.#text(m)}\n`);
      return;
    }
    if (!m.id) {
      if (m.status !== undefined) this.#out.write(`${m.status}\n`);
      if (m.stream !== undefined) this.#out.write(m.stream);
      // Later lines with ids start a new block below this one.
      this.#lines.clear();
      return;
    }
    let line = this.#lines.get(m.id);
    if (line === undefined) {
      line = this.#lines.size;
      this.#lines.set(m.id, line);
      this.#out.write(`${this.#text(m)}\n`);
      return;
    }
    const up = this.#lines.size - line;
    this.#out.write(`\x1b[${up}A\r\x1b[2K${this.#text(m)}\r\x1b[${up}B`);
  }
}
