/**
 * Command-line parsing with spf13/pflag's semantics and messages, as docker's CLI has them:
 * `--name value`, `--name=value`, `-n value`, `-nvalue`, `-n=value`, grouped shorthands
 * (`-it`, `-p8080:80` where only the last may take a value), `--` ending the flags, and
 * optional stopping at the first positional argument (`docker run IMAGE CMD…`).
 *
 * Errors are InvalidParameter with pflag's exact text, e.g. `unknown flag: --foo`,
 * `unknown shorthand flag: 'x' in -x`, `flag needs an argument: --name`,
 * `invalid argument "abc" for "-n, --tail" flag: strconv.ParseInt: parsing "abc": invalid syntax`.
 */

import { InvalidParameter } from '../../errdefs/index.js';
import { goQuote } from '../../template/index.js';
import type { FlagDef, FlagValues, ParseOptions, ParseResult } from './types.js';
import { initialValue, setValue } from './values.js';

/** Go's %q of a byte/rune: 'x'. */
function quoteRune(c: string): string {
  return c === "'" ? "'\\''" : `'${c}'`;
}

/** Validates definitions once: unique names and shorthands, one-character shorthands. */
function index(defs: readonly FlagDef[]): { long: Map<string, FlagDef>; short: Map<string, FlagDef> } {
  const long = new Map<string, FlagDef>();
  const short = new Map<string, FlagDef>();
  for (const def of defs) {
    if (long.has(def.name)) throw new Error(`flag redefined: ${def.name}`);
    long.set(def.name, def);
    if (def.short === undefined || def.short === '') continue;
    if (def.short.length > 1) throw new Error(`${goQuote(def.short)} shorthand is more than one ASCII character`);
    const used = short.get(def.short);
    if (used !== undefined) {
      throw new Error(`unable to redefine ${quoteRune(def.short)} shorthand: it's already used for ${goQuote(used.name)} flag`);
    }
    short.set(def.short, def);
  }
  return { long, short };
}

/** pflag's NoOptDefVal: the value a flag takes when given without one, if it may be. */
function noOptDefault(def: FlagDef): string | undefined {
  return def.noOptDefault ?? (def.type === 'bool' ? 'true' : undefined);
}

/** How pflag names a flag in "invalid argument" messages: "-n, --tail" or "--rm". */
function flagLabel(def: FlagDef): string {
  return def.short !== undefined && def.short !== '' ? `-${def.short}, --${def.name}` : `--${def.name}`;
}

class HelpRequested {}

/**
 * Parses `argv` (without the command name) against `defs`.
 *
 * @example
 * const defs = [{ name: 'tail', short: 'n', type: 'string', default: 'all', description: '…' }] as const;
 * parseFlags(defs, ['-n', '5', 'web']) // { values: { tail: '5' }, args: ['web'], … }
 */
export function parseFlags<const D extends readonly FlagDef[]>(
  defs: D,
  argv: readonly string[],
  options: ParseOptions = {},
): ParseResult<D> {
  const { long, short } = index(defs);
  const interspersed = options.interspersed ?? true;
  const values = new Map<string, unknown>(defs.map((d) => [d.name, initialValue(d)]));
  const changed = new Set<string>();
  const warnings: string[] = [];
  const args: string[] = [];
  let dashIndex = -1;

  const set = (def: FlagDef, raw: string): void => {
    let next: unknown;
    try {
      next = setValue(def, raw, values.get(def.name), changed.has(def.name));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new InvalidParameter(`invalid argument ${goQuote(raw)} for ${goQuote(flagLabel(def))} flag: ${reason}`, {
        cause: err,
      });
    }
    values.set(def.name, next);
    changed.add(def.name);
    if (def.deprecated !== undefined) warnings.push(`Flag --${def.name} has been deprecated, ${def.deprecated}`);
  };

  /** Returns how many following arguments the flag consumed. */
  const parseLong = (s: string, rest: readonly string[]): number => {
    const body = s.slice(2);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new InvalidParameter(`bad flag syntax: ${s}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const def = long.get(name);
    if (def === undefined) {
      if (name === 'help') throw new HelpRequested();
      throw new InvalidParameter(`unknown flag: --${name}`);
    }
    const noOpt = noOptDefault(def);
    if (eq >= 0) set(def, body.slice(eq + 1));
    else if (noOpt !== undefined) set(def, noOpt);
    else if (rest.length > 0) {
      set(def, rest[0] ?? '');
      return 1;
    } else throw new InvalidParameter(`flag needs an argument: ${s}`);
    return 0;
  };

  const parseShort = (s: string, rest: readonly string[]): number => {
    let shorthands = s.slice(1);
    let consumed = 0;
    while (shorthands.length > 0) {
      const c = shorthands.charAt(0);
      const def = short.get(c);
      if (def === undefined) {
        if (c === 'h') throw new HelpRequested();
        throw new InvalidParameter(`unknown shorthand flag: ${quoteRune(c)} in -${shorthands}`);
      }
      const noOpt = noOptDefault(def);
      if (shorthands.length > 2 && shorthands[1] === '=') {
        set(def, shorthands.slice(2));
        shorthands = '';
      } else if (noOpt !== undefined) {
        set(def, noOpt);
        shorthands = shorthands.slice(1);
      } else if (shorthands.length > 1) {
        set(def, shorthands.slice(1));
        shorthands = '';
      } else if (rest.length > 0) {
        set(def, rest[0] ?? '');
        consumed = 1;
        shorthands = '';
      } else {
        throw new InvalidParameter(`flag needs an argument: ${quoteRune(c)} in -${shorthands}`);
      }
    }
    return consumed;
  };

  let help = false;
  try {
    for (let i = 0; i < argv.length; i++) {
      const s = argv[i] ?? '';
      if (s.length < 2 || s[0] !== '-') {
        if (!interspersed) {
          args.push(...argv.slice(i));
          break;
        }
        args.push(s);
        continue;
      }
      if (s === '--') {
        dashIndex = args.length;
        args.push(...argv.slice(i + 1));
        break;
      }
      const rest = argv.slice(i + 1);
      i += s[1] === '-' ? parseLong(s, rest) : parseShort(s, rest);
    }
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    help = true;
  }

  return {
    values: Object.fromEntries(values) as FlagValues<D>,
    args,
    dashIndex,
    changed,
    help,
    warnings,
  };
}
