/**
 * Help text for flags: pflag's FlagUsagesWrapped, which docker's help template prints under
 * "Options:" with the terminal width minus one (79 columns when stdout is not a terminal).
 */

import { goQuote } from '../../template/index.js';
import type { FlagDef } from './types.js';
import { defaultIsZero, defaultText, typeLabel } from './values.js';

/** pflag's UnquoteUsage: a `backquoted` word in the description names the value. */
function unquoteUsage(def: FlagDef): { name: string; usage: string } {
  const usage = def.description;
  const i = usage.indexOf('`');
  if (i >= 0) {
    const j = usage.indexOf('`', i + 1);
    if (j >= 0) {
      const name = usage.slice(i + 1, j);
      return { name, usage: usage.slice(0, i) + name + usage.slice(j + 1) };
    }
  }
  return { name: def.valueName ?? typeLabel(def), usage };
}

/** Splits s at the last blank before i runes; may run `slop` over to avoid a short last line. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const head = s.slice(0, i);
  const w = Math.max(head.lastIndexOf(' '), head.lastIndexOf('\t'), head.lastIndexOf('\n'));
  if (w <= 0) return [s, ''];
  const nl = head.lastIndexOf('\n');
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** Wraps s to width w with every line after the first indented by i (pflag's wrap). */
function wrap(i: number, w: number, s: string): string {
  if (w === 0) return s.replaceAll('\n', `\n${' '.repeat(i)}`);
  let width = w - i;
  let r = '';
  if (width < 24) {
    // Not enough room: wrap as a block on the next line instead.
    i = 16;
    width = w - i;
    r += `\n${' '.repeat(i)}`;
  }
  if (width < 24) return s.replaceAll('\n', r);
  const slop = 5;
  width -= slop;
  const indent = `\n${' '.repeat(i)}`;
  let [line, rest] = wrapN(width, slop, s);
  r += line.replaceAll('\n', indent);
  while (rest !== '') {
    [line, rest] = wrapN(width, slop, rest);
    r += indent + line.replaceAll('\n', indent);
  }
  return r;
}

export interface UsageOptions {
  /** Wrap descriptions to this many columns; 0 disables wrapping. Docker uses terminal width − 1. */
  readonly cols?: number;
  /** List flags by name (pflag's default) rather than in definition order. */
  readonly sort?: boolean;
}

/** pflag's FlagUsagesWrapped: one line (or wrapped block) per visible flag, each ending in "\n". */
export function flagUsages(defs: readonly FlagDef[], options: UsageOptions = {}): string {
  const cols = options.cols ?? 79;
  const visible = defs.filter((d) => d.hidden !== true && d.deprecated === undefined);
  if (options.sort ?? true) visible.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = visible.map((def) => {
    let head = def.short !== undefined && def.short !== '' ? `  -${def.short}, --${def.name}` : `      --${def.name}`;
    const { name, usage } = unquoteUsage(def);
    if (name !== '') head += ` ${name}`;
    const noOpt = def.noOptDefault;
    if (noOpt !== undefined && noOpt !== '') {
      if (def.type === 'string') head += `[="${noOpt}"]`;
      else if (def.type !== 'bool' || noOpt !== 'true') head += `[=${noOpt}]`;
    }
    let text = usage;
    if (!defaultIsZero(def)) {
      text += def.type === 'string' ? ` (default ${goQuote(defaultText(def))})` : ` (default ${defaultText(def)})`;
    }
    return { head, text };
  });
  // The description column starts two past the longest head (pflag counts its \x00 marker).
  const maxlen = Math.max(0, ...lines.map((l) => l.head.length + 1));
  return lines
    .map(({ head, text }) => `${head} ${' '.repeat(maxlen - head.length)} ${wrap(maxlen + 2, cols, text)}\n`)
    .join('');
}

/** Docker's "Options:" block (no trailing newline); "" when no flag is visible. */
export function usage(defs: readonly FlagDef[], options: UsageOptions = {}): string {
  const body = flagUsages(defs, options).trimEnd();
  return body === '' ? '' : `Options:\n${body}`;
}
