/**
 * docker/cli's handling of `--format` values around the template itself
 * (`cli/command/formatter/formatter.go`): the `table` and `json` keywords, the `\t`/`\n`
 * escapes, and the header row of table output.
 */

import { HEADER_FUNCS } from './funcs.js';
import { parseTemplate, type Template } from './template.js';

const TABLE = 'table';

/** A format starting with "table" prints a header row and aligns columns. */
export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE);
}

/** The bare keyword "json" means `{{json .}}` per item. */
export function isJSONFormat(format: string): boolean {
  return format === 'json';
}

/** The format without its leading "table" keyword (unchanged when it has none). */
export function stripTablePrefix(format: string): string {
  return isTableFormat(format) ? format.slice(TABLE.length) : format;
}

/**
 * docker/cli's preFormat: drops "table", maps "json" to `{{json .}}`, trims spaces (only ' ')
 * and turns the two-character sequences `\t` and `\n` into a tab and a newline.
 */
export function prepareFormat(format: string): string {
  let f = format;
  if (isTableFormat(f)) f = stripTablePrefix(f);
  else if (isJSONFormat(f)) f = '{{json .}}';
  f = f.replace(/^ +| +$/g, '');
  return f.replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
}

/**
 * Renders the header row of a table format: the template runs against `headers` (field name →
 * column title) with docker's header functions, so `{{.ID}}\t{{json .Labels}}` becomes
 * "CONTAINER ID\tLABELS". As in docker/cli an execution error is ignored and whatever was
 * written before it is returned.
 *
 * `format` is either a raw `--format` value (prepared with prepareFormat) or a parsed template.
 */
export function headerFromTemplate(format: string | Template, headers: Readonly<Record<string, string>>): string {
  const tmpl = typeof format === 'string' ? parseTemplate(prepareFormat(format)) : format;
  return tmpl.executePartial({ ...headers }, { funcs: HEADER_FUNCS }).output;
}
