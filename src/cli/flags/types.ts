/**
 * Flag definitions, after spf13/pflag as docker uses it. A command declares its flags as a
 * `const` array so that parseFlags can type the parsed values by flag name.
 */

interface FlagBase {
  /** Long name, used as --name and as the key of the parsed values. */
  readonly name: string;
  /** One-character shorthand, used as -x. */
  readonly short?: string;
  readonly description: string;
  /** Parsed but left out of usage. */
  readonly hidden?: boolean;
  /** Parsed, left out of usage, and reported in warnings when used. */
  readonly deprecated?: string;
  /** Value name in usage ("list", "filter", "bytes" …) instead of the type's own. */
  readonly valueName?: string;
  /** Value used when the flag is given without one (pflag's NoOptDefVal); bool flags use "true". */
  readonly noOptDefault?: string;
}

export interface BoolFlag extends FlagBase {
  readonly type: 'bool';
  readonly default?: boolean;
}
export interface StringFlag extends FlagBase {
  readonly type: 'string';
  readonly default?: string;
}
/** int (64-bit), parsed with Go's base-0 syntax (0x10, 0o17, 1_000). */
export interface IntFlag extends FlagBase {
  readonly type: 'int';
  readonly default?: number;
}
/** uint (64-bit). */
export interface UintFlag extends FlagBase {
  readonly type: 'uint';
  readonly default?: number;
}
export interface FloatFlag extends FlagBase {
  readonly type: 'float';
  readonly default?: number;
}
/** Go duration syntax ("1m30s"); the value is in nanoseconds. */
export interface DurationFlag extends FlagBase {
  readonly type: 'duration';
  readonly default?: number;
}
/** Repeatable; each occurrence adds one value verbatim (the first replaces the default). */
export interface StringArrayFlag extends FlagBase {
  readonly type: 'stringArray';
  readonly default?: readonly string[];
}
/** Repeatable; each occurrence is split as CSV ("a,b" adds two values). */
export interface StringSliceFlag extends FlagBase {
  readonly type: 'stringSlice';
  readonly default?: readonly string[];
}
/**
 * Any other value type (docker's opts.ListOpts, MemBytes, filters …): `set` receives each
 * occurrence and the current value and returns the new one; throwing rejects the argument
 * with `invalid argument "x" for "--name" flag: <message>`.
 */
export interface CustomFlag<T = unknown> extends FlagBase {
  readonly type: 'custom';
  /** Type name for usage, e.g. "list" (valueName overrides it too). */
  readonly typeName: string;
  readonly default: T;
  /** `changed` is false for the first occurrence (pflag's convention to replace the default). */
  set(value: string, current: T, changed: boolean): T;
  /** Default as usage prints it; omit or "" when it is the zero value (not shown). */
  readonly defaultText?: string;
}

export type FlagDef =
  | BoolFlag
  | StringFlag
  | IntFlag
  | UintFlag
  | FloatFlag
  | DurationFlag
  | StringArrayFlag
  | StringSliceFlag
  | CustomFlag<unknown>;

/** The parsed value type of one flag definition. */
export type FlagValue<F> = F extends { readonly type: 'bool' }
  ? boolean
  : F extends { readonly type: 'string' }
    ? string
    : F extends { readonly type: 'int' | 'uint' | 'float' | 'duration' }
      ? number
      : F extends { readonly type: 'stringArray' | 'stringSlice' }
        ? string[]
        : F extends { readonly type: 'custom'; readonly default: infer T }
          ? T
          : never;

/**
 * Declares a custom flag keeping its name as a literal type, so parsed values stay typed by
 * name (a variable annotated as CustomFlag<T> would widen the name to string).
 */
export function customFlag<const N extends string, T>(def: CustomFlag<T> & { readonly name: N }): CustomFlag<T> & { readonly name: N } {
  return def;
}

/** Parsed values keyed by long name. */
export type FlagValues<D extends readonly FlagDef[]> = { -readonly [F in D[number] as F['name']]: FlagValue<F> };

export interface ParseOptions {
  /**
   * Whether flags may follow positional arguments (pflag's default). Commands such as
   * `docker run IMAGE CMD…` set false: parsing stops at the first positional argument.
   */
  readonly interspersed?: boolean;
}

export interface ParseResult<D extends readonly FlagDef[]> {
  readonly values: FlagValues<D>;
  /** Positional arguments, including everything after `--`. */
  readonly args: string[];
  /** Index in `args` where arguments after `--` start, or -1 (pflag's ArgsLenAtDash). */
  readonly dashIndex: number;
  /** Long names of the flags given on the command line. */
  readonly changed: ReadonlySet<string>;
  /** --help or -h was given and is not a defined flag; parsing stopped there. */
  readonly help: boolean;
  /** Deprecation notices for deprecated flags that were used. */
  readonly warnings: string[];
}
