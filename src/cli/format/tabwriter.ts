/**
 * Go's text/tabwriter (docker/cli's copy of it, which measures cells in display columns),
 * implementing the elastic tabstops algorithm exactly:
 *
 * - Text is split into cells terminated by '\t' (or '\v', a "soft" tab); '\n' and '\f' end lines.
 * - Tab-terminated cells in consecutive lines form a column; a line with fewer cells ends the
 *   column block, so later lines start a new block with its own width.
 * - The last cell of a line is not tab-terminated and never takes part in alignment.
 * - A column is as wide as its widest cell plus `padding`, and at least `minwidth`.
 * - '\f' and lines without any tab flush all pending lines.
 *
 * Docker prints tables with `NewWriter(out, 10, 1, 3, ' ', 0)`, which is DOCKER_TABLE below.
 * Not supported: FilterHTML and StripEscape (escaped segments), which docker does not use.
 */

import { displayWidth } from './width.js';

/** Force right-alignment of cell content. */
export const ALIGN_RIGHT = 4;
/** Columns whose cells are all empty and terminated by '\v' get width 0. */
export const DISCARD_EMPTY_COLUMNS = 8;
/** Pad leading empty cells with tabs, whatever padchar is. */
export const TAB_INDENT = 16;
/** Print '|' between columns. */
export const DEBUG = 32;

export interface TabWriterOptions {
  /** Minimal cell width including padding. */
  readonly minwidth: number;
  /** Width of a tab character, used when padding with tabs. */
  readonly tabwidth: number;
  /** Padding added to a cell's width. */
  readonly padding: number;
  /** Padding character; '\t' pads with tabs and forces left alignment. */
  readonly padchar: string;
  /** Bitwise OR of ALIGN_RIGHT, DISCARD_EMPTY_COLUMNS, TAB_INDENT, DEBUG. */
  readonly flags: number;
}

/** docker/cli's table writer: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const DOCKER_TABLE: TabWriterOptions = { minwidth: 10, tabwidth: 1, padding: 3, padchar: ' ', flags: 0 };

interface Cell {
  readonly text: string;
  readonly width: number;
  /** Terminated by '\t' (hard) rather than '\v' (soft) or a line end. */
  readonly htab: boolean;
}

/**
 * Streaming writer: `write` any number of times, then `flush` to get the formatted text (the
 * output of flushes triggered while writing is included). Lines are buffered only as long as
 * later lines may still change their layout.
 */
export class TabWriter {
  readonly #opts: TabWriterOptions;
  #lines: Cell[][] = [[]];
  #cell = '';
  #widths: number[] = [];
  #out: string[] = [];

  constructor(options: Partial<TabWriterOptions> = {}) {
    const opts = { ...DOCKER_TABLE, ...options };
    if (opts.minwidth < 0 || opts.tabwidth < 0 || opts.padding < 0) {
      throw new RangeError('negative minwidth, tabwidth, or padding');
    }
    // Tab padding enforces left alignment.
    this.#opts = opts.padchar === '\t' ? { ...opts, flags: opts.flags & ~ALIGN_RIGHT } : opts;
  }

  write(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
      this.#cell += text.slice(start, i);
      start = i + 1;
      const ncells = this.#terminateCell(ch === '\t');
      if (ch === '\n' || ch === '\f') {
        this.#lines.push([]);
        // A '\f' always flushes; so does a line with a single cell, which cannot influence
        // the layout of the lines that follow (the last cell of a line is never aligned).
        if (ch === '\f' || ncells === 1) {
          this.#flushLines();
          if (ch === '\f' && (this.#opts.flags & DEBUG) !== 0) this.#out.push('---\n');
        }
      }
    }
    this.#cell += text.slice(start);
  }

  /** Formats everything buffered and returns all output produced since the last flush. */
  flush(): string {
    this.#flushLines();
    const out = this.#out.join('');
    this.#out = [];
    return out;
  }

  #terminateCell(htab: boolean): number {
    const line = this.#lines[this.#lines.length - 1] ?? [];
    line.push({ text: this.#cell, width: displayWidth(this.#cell), htab });
    this.#cell = '';
    return line.length;
  }

  #flushLines(): void {
    if (this.#cell.length > 0) this.#terminateCell(false);
    this.#format(0, this.#lines.length);
    this.#lines = [[]];
    this.#widths = [];
  }

  #line(i: number): Cell[] {
    return this.#lines[i] ?? [];
  }

  #format(line0: number, line1: number): void {
    const column = this.#widths.length;
    for (let cur = line0; cur < line1; cur++) {
      if (column >= this.#line(cur).length - 1) continue;
      // This line has a cell in this column: print the lines before it, then find the block.
      this.#writeLines(line0, cur);
      line0 = cur;
      let width = this.#opts.minwidth;
      let discardable = true;
      for (; cur < line1; cur++) {
        const line = this.#line(cur);
        if (column >= line.length - 1) break;
        const c = line[column];
        if (c === undefined) break;
        width = Math.max(width, c.width + this.#opts.padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && (this.#opts.flags & DISCARD_EMPTY_COLUMNS) !== 0) width = 0;
      // Format the columns to the right, knowing this column's width.
      this.#widths.push(width);
      this.#format(line0, cur);
      this.#widths.pop();
      line0 = cur;
    }
    this.#writeLines(line0, line1);
  }

  #writeLines(line0: number, line1: number): void {
    const { flags } = this.#opts;
    for (let i = line0; i < line1; i++) {
      let useTabs = (flags & TAB_INDENT) !== 0;
      this.#line(i).forEach((c, j) => {
        if (j > 0 && (flags & DEBUG) !== 0) this.#out.push('|');
        const cellw = this.#widths[j];
        if (c.text.length === 0) {
          if (cellw !== undefined) this.#writePadding(c.width, cellw, useTabs);
          return;
        }
        useTabs = false;
        if ((flags & ALIGN_RIGHT) === 0) {
          this.#out.push(c.text);
          if (cellw !== undefined) this.#writePadding(c.width, cellw, false);
        } else {
          if (cellw !== undefined) this.#writePadding(c.width, cellw, false);
          this.#out.push(c.text);
        }
      });
      // The last buffered line has no newline yet.
      if (i + 1 < this.#lines.length) this.#out.push('\n');
    }
  }

  #writePadding(textw: number, cellw: number, useTabs: boolean): void {
    const { padchar, tabwidth } = this.#opts;
    if (padchar === '\t' || useTabs) {
      if (tabwidth === 0) return; // tabs have no width: no padding possible
      const w = Math.ceil(cellw / tabwidth) * tabwidth;
      const n = w - textw;
      if (n < 0) throw new Error('tabwriter: internal error');
      this.#out.push('\t'.repeat(Math.ceil(n / tabwidth)));
      return;
    }
    this.#out.push(padchar.repeat(Math.max(cellw - textw, 0)));
  }
}

/**
 * Aligns text in one go. A string is written as is ('\t' separates cells, '\n' ends lines);
 * rows are joined with '\t' and each ends with '\n', so their last cell is not aligned (as in
 * docker's tables, whose formats end without a tab).
 */
export function tabulate(input: string | ReadonlyArray<ReadonlyArray<string>>, options?: Partial<TabWriterOptions>): string {
  const w = new TabWriter(options);
  w.write(typeof input === 'string' ? input : input.map((row) => `${row.join('\t')}\n`).join(''));
  return w.flush();
}
