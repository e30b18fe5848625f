import { renderFormat } from './format/render.js';
import type { CliContext } from './command.js';
import { isNotFound, messageOf } from '../errdefs/index.js';
import { daemonError } from './errors.js';

/** docker inspect's JSON: an array, four-space indented, no HTML escaping. */
export function inspectJson(items: readonly unknown[]): string {
  return JSON.stringify(items, null, 4) + '\n';
}

/**
 * Print items through a --format value, or a default table format; `json` prints one JSON
 * object per line, as docker does.
 */
export function printFormatted(
  ctx: CliContext,
  opts: { format: string; items: readonly unknown[]; headers: Record<string, string> },
): void {
  ctx.io.stdout.write(renderFormat({ format: opts.format, items: opts.items, headers: opts.headers }));
}

/** `-f/--format` for inspect-style commands: each item through the template, else JSON. */
export function printInspect(ctx: CliContext, items: readonly unknown[], format: string): void {
  if (format === '' || format === 'json') {
    ctx.io.stdout.write(inspectJson(items));
    return;
  }
  // Item by item: what printed before a failing item stays printed, and a run that printed
  // nothing prints an empty line (docker's TemplateInspector.Flush).
  let written = 0;
  try {
    for (const item of items) {
      const text = renderFormat({ format, items: [asGoValue(item)], missingKeyError: isStructLike });
      ctx.io.stdout.write(text);
      written += text.length;
    }
  } finally {
    if (written === 0) ctx.io.stdout.write('\n');
  }
}

/**
 * docker inspect runs the template on its typed structs first, where an unknown field fails
 * (and its raw fallback says "map has no entry for key"), while a free-form map such as Labels
 * gives <no value>. A map whose keys all look like Go's exported fields stands for a struct.
 */
function isStructLike(receiver: object): boolean {
  return receiver instanceof Map && receiver.size > 0 && [...receiver.keys()].every((k) => typeof k === 'string' && /^[A-Z]/.test(k));
}

/**
 * docker inspect decodes the daemon's JSON into Go maps before templating, so keys print
 * sorted (`{{json .RootFS}}`, `{{.Config}}`): objects become Maps, which the template treats so.
 */
export function asGoValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asGoValue);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, asGoValue(x)]));
  return v;
}

/**
 * `docker … inspect NAME…`: what is found prints (printInspect), what is missing goes to stderr
 * with the daemon's message; exit 1 when anything was missing. Other errors end the command.
 */
export async function inspectEach(ctx: CliContext, names: readonly string[], format: string, fetch: (name: string) => Promise<unknown>): Promise<number> {
  const items: unknown[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      items.push(await fetch(n));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      errors.push(daemonError(err) ?? messageOf(err));
    }
  }
  printInspect(ctx, items, format);
  for (const e of errors) ctx.io.stderr.write(`${e}\n`);
  return errors.length > 0 ? 1 : 0;
}
