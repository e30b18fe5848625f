/**
 * Template functions: Go's builtins (`text/template/funcs.go`) and docker/cli's additions
 * (`templates/templates.go`), with the parameter types that drive Go's argument checking and
 * its messages (`expected string; found 1`, `wrong type for value; expected []string; got string`).
 */

import { encodeJSON, JsonUnsupportedError } from './json.js';
import { formatValue, sprint, sprintf, sprintln } from './fmt.js';
import { isPrint } from './quote.js';
import { isTrue, kindOf, toNumber, typeName } from './value.js';

/** Parameter types: `any` takes every value (interface{}), the others are checked like Go's. */
export type ParamType = 'any' | 'string' | 'int' | 'bool' | 'strings';

export interface TemplateFunc {
  readonly params: readonly ParamType[];
  /** Element type of a trailing variadic parameter. */
  readonly variadic?: ParamType;
  /** Throw an Error to stop execution with `error calling NAME: MESSAGE`. */
  readonly fn: (...args: unknown[]) => unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();

function byteLength(s: string): number {
  return utf8.encode(s).length;
}

function indexArg(index: unknown, cap: number): number {
  const k = kindOf(index);
  if (k === 'invalid' || k === 'nil') throw new Error('cannot index slice/array with nil');
  if (k !== 'int') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  const x = toNumber(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('index of untyped nil');
  let cur: unknown = item;
  for (const idx of indexes) {
    if (cur === null) throw new Error('index of nil pointer');
    if (cur === undefined) throw new Error('index of untyped nil');
    if (typeof cur === 'string') {
      const bytes = utf8.encode(cur);
      const x = indexArg(idx, bytes.length);
      if (x === bytes.length) throw new Error('reflect: string index out of range');
      cur = bytes[x];
    } else if (Array.isArray(cur)) {
      const x = indexArg(idx, cur.length);
      if (x === cur.length) throw new Error('reflect: slice index out of range');
      cur = cur[x];
    } else if (cur instanceof Map) {
      cur = cur.get(idx);
    } else if (kindOf(cur) === 'map') {
      if (idx === undefined || idx === null) throw new Error('value is nil; should be of type string');
      if (typeof idx !== 'string') throw new Error(`value has type ${typeName(idx)}; should be string`);
      const rec = cur as Record<string, unknown>;
      cur = Object.prototype.hasOwnProperty.call(rec, idx) ? rec[idx] : undefined;
    } else {
      throw new Error(`can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('slice of untyped nil');
  if (item === null) throw new Error('slice of nil pointer');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let len: number;
  let bytes: Uint8Array | null = null;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    bytes = utf8.encode(item);
    len = bytes.length;
  } else if (Array.isArray(item)) {
    len = item.length;
  } else {
    throw new Error(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((x, i) => {
    idx[i] = indexArg(x, len);
  });
  const [lo = 0, hi = len, max = len] = idx;
  if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  if (indexes.length === 3 && hi > max) throw new Error(`invalid slice index: ${hi} > ${max}`);
  if (bytes !== null) return utf8Decode.decode(bytes.slice(lo, hi));
  return (item as unknown[]).slice(lo, hi);
}

function length(item: unknown): number {
  if (item === undefined) throw new Error('reflect: call of reflect.Value.Type on zero Value');
  if (item === null) throw new Error('len of nil pointer');
  if (typeof item === 'string') return byteLength(item);
  if (Array.isArray(item)) return item.length;
  if (item instanceof Map) return item.size;
  if (kindOf(item) === 'map') return Object.keys(item as object).length;
  throw new Error(`len of type ${typeName(item)}`);
}

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid';

function basicKind(v: unknown): BasicKind {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : 'invalid';
}

function isNilish(v: unknown): boolean {
  return v === undefined || v === null;
}

function eq(arg1: unknown, ...arg2: unknown[]): boolean {
  if (arg2.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (!isNilish(arg1) && !isNilish(arg)) throw new Error('incompatible types for comparison');
    } else if (k1 === 'int' || k1 === 'float') {
      truth = toNumber(arg1) === toNumber(arg);
    } else if (k1 === 'bool' || k1 === 'string') {
      truth = arg1 === arg;
    } else if (isNilish(arg1) || isNilish(arg)) {
      truth = isNilish(arg1) && isNilish(arg);
    } else {
      const c1 = kindOf(arg1);
      const c2 = kindOf(arg);
      if (c1 !== c2) {
        throw new Error(`non-comparable types ${formatValue(arg1)}: ${typeName(arg1)}, ${typeName(arg)}: ${formatValue(arg)}`);
      }
      if (c2 === 'slice' || c2 === 'map') throw new Error(`non-comparable type ${formatValue(arg)}: ${typeName(arg)}`);
      truth = arg1 === arg;
    }
    if (truth) return true;
  }
  return false;
}

function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = basicKind(arg1);
  const k2 = basicKind(arg2);
  if (k1 === 'invalid' || k2 === 'invalid') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'string') return (arg1 as string) < (arg2 as string);
  return toNumber(arg1) < toNumber(arg2);
}

function le(a: unknown, b: unknown): boolean {
  return lt(a, b) || eq(a, b);
}

/** text/template's evalArgs: Sprint of the arguments, a lone string passed through. */
function evalArgs(args: readonly unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined ? '<no value>' : a)));
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;',
};

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => HTML_ESCAPES[c] ?? c);
}

const JS_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D',
};

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    const simple = JS_ESCAPES[ch];
    if (simple !== undefined) out += simple;
    else if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (cp < 0x80) out += ch;
    else if (isPrint(cp)) out += ch;
    else out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function mapRunes(s: string, f: (ch: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch; // simple case mapping only, like Go's unicode package
  }
  return out;
}

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;
const SPACE = /^\s$/u;

function isSeparator(ch: string): boolean {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (LETTER_OR_DIGIT.test(ch)) return false;
  return SPACE.test(ch);
}

/** strings.Title: upper-cases the first letter of each word. */
export function title(s: string): string {
  let prev = ' ';
  return mapRunes(s, (ch) => {
    const out = isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
    return out;
  });
}

/** strings.Split: an empty separator splits into UTF-8 sequences (code points). */
function split(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}

function repeat(n: number): string {
  if (n < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(n);
}

function truncate(s: string, n: number): string {
  const bytes = utf8.encode(s);
  if (bytes.length < n) return s;
  if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
  return utf8Decode.decode(bytes.slice(0, n));
}

const fn = (params: readonly ParamType[], f: (...args: never[]) => unknown, variadic?: ParamType): TemplateFunc =>
  variadic === undefined
    ? { params, fn: f as (...args: unknown[]) => unknown }
    : { params, variadic, fn: f as (...args: unknown[]) => unknown };

/** Go's builtin functions (and/or are evaluated lazily by the executor). */
export const BUILTINS: FuncMap = {
  and: fn(['any'], () => undefined, 'any'),
  or: fn(['any'], () => undefined, 'any'),
  not: fn(['any'], (v: unknown) => !isTrue(v)),
  len: fn(['any'], length),
  index: fn(['any'], index, 'any'),
  slice: fn(['any'], slice, 'any'),
  print: fn([], (...a: unknown[]) => sprint(a), 'any'),
  printf: fn(['string'], (f: string, ...a: unknown[]) => sprintf(f, a), 'any'),
  println: fn([], (...a: unknown[]) => sprintln(a), 'any'),
  html: fn([], (...a: unknown[]) => htmlEscape(evalArgs(a)), 'any'),
  js: fn([], (...a: unknown[]) => jsEscape(evalArgs(a)), 'any'),
  urlquery: fn([], (...a: unknown[]) => queryEscape(evalArgs(a)), 'any'),
  eq: fn(['any'], eq, 'any'),
  ne: fn(['any', 'any'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['any', 'any'], lt),
  le: fn(['any', 'any'], le),
  gt: fn(['any', 'any'], (a: unknown, b: unknown) => !le(a, b)),
  ge: fn(['any', 'any'], (a: unknown, b: unknown) => !lt(a, b)),
};

/** docker/cli's basicFunctions. */
export const DOCKER_FUNCS: FuncMap = {
  json: fn(['any'], (v: unknown) => {
    try {
      return encodeJSON(v);
    } catch (err) {
      if (err instanceof JsonUnsupportedError) return ''; // docker/cli ignores the encoder's error
      throw err;
    }
  }),
  split: fn(['string', 'string'], split),
  join: fn(['strings', 'string'], (a: string[], sep: string) => a.join(sep)),
  title: fn(['string'], title),
  lower: fn(['string'], (s: string) => mapRunes(s, (c) => c.toLowerCase())),
  upper: fn(['string'], (s: string) => mapRunes(s, (c) => c.toUpperCase())),
  pad: fn(['string', 'int', 'int'], (s: string, l: number, r: number) => (s === '' ? s : repeat(l) + s + repeat(r))),
  truncate: fn(['string', 'int'], truncate),
};

/**
 * docker/cli's HeaderFunctions: when a table header is rendered, these replace the functions
 * of the same name so that `{{json .Labels}}` prints the header text unchanged. `pad` is kept
 * to preserve column alignment.
 */
export const HEADER_FUNCS: FuncMap = {
  json: fn(['string'], (v: string) => v),
  split: fn(['string', 'string'], (v: string) => v),
  join: fn(['string', 'string'], (v: string) => v),
  title: fn(['string'], (v: string) => v),
  lower: fn(['string'], (v: string) => v),
  upper: fn(['string'], (v: string) => v),
  truncate: fn(['string', 'int'], (v: string) => v),
};
