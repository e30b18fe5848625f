/**
 * Go's fmt for the values templates handle: Sprint, Sprintln and Sprintf with Go's verbs, flags,
 * width/precision (including `*` and `[n]` argument indexes) and error annotations such as
 * `%!d(string=x)`, `%!d(MISSING)` and `%!(EXTRA int=2)`.
 */

import { formatFloat } from './float.js';
import { canBackquote, goQuote, goQuoteRune, isPrint } from './quote.js';
import { Float64, kindOf, mapEntries, structFields, toNumber, typeName } from './value.js';

interface State {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number | null;
  prec: number | null;
}

function newState(): State {
  return { plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false, wid: null, prec: null };
}

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

function padding(st: State, n: number): string {
  if (n <= 0) return '';
  return (st.zero && !st.minus ? '0' : ' ').repeat(n);
}

function pad(st: State, s: string): string {
  if (st.wid === null || st.wid === 0) return s;
  const n = st.wid - runeCount(s);
  return st.minus ? s + padding(st, n) : padding(st, n) + s;
}

function withoutZero(st: State): State {
  return { ...st, zero: false };
}

const utf8 = new TextEncoder();

/** Text of a value's String()/Error() method, if it has one (Go's handleMethods). */
function methodText(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || v instanceof Float64 || Array.isArray(v)) return null;
  if (v instanceof Date) return goTimeString(v);
  if (v instanceof Error) return v.message;
  if (v instanceof Map) return null;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return null;
  const ts: unknown = (v as { toString?: unknown }).toString;
  if (typeof ts === 'function' && ts !== Object.prototype.toString) {
    const s: unknown = ts.call(v);
    return typeof s === 'string' ? s : null;
  }
  return null;
}

/** time.Time.String() for a Date, in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC". */
function goTimeString(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'Invalid Date';
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac === '' ? '' : `.${frac}`} +0000 UTC`;
}

function fmtInteger(st: State, value: number | bigint, base: number, verb: string): string {
  let n = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  const negative = n < 0n;
  if (negative) n = -n;
  let prec = 0;
  if (st.prec !== null) {
    prec = st.prec;
    if (prec === 0 && n === 0n) return padding(withoutZero(st), st.wid ?? 0);
  } else if (st.zero && !st.minus && st.wid !== null) {
    prec = st.wid;
    if (negative || st.plus || st.space) prec--;
  }
  let digits = n.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
  if (st.sharp) {
    if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
    else if (base === 2) digits = `0b${digits}`;
  }
  if (verb === 'O') digits = `0o${digits}`;
  if (negative) digits = `-${digits}`;
  else if (st.plus) digits = `+${digits}`;
  else if (st.space) digits = ` ${digits}`;
  return pad(withoutZero(st), digits);
}

function fmtUnicode(st: State, cp: number): string {
  const u = cp < 0 ? (1n << 64n) + BigInt(cp) : BigInt(cp); // Go formats the value as uint64
  let s = `U+${u.toString(16).toUpperCase().padStart(st.prec ?? 4, '0')}`;
  if (st.sharp && cp >= 0 && cp <= 0x10ffff && isPrint(cp)) s += ` '${String.fromCodePoint(cp)}'`;
  return pad(withoutZero(st), s);
}

function validRune(cp: number): number {
  return Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? cp : 0xfffd;
}

function printInt(st: State, v: number | bigint, verb: string, arg: unknown): string {
  switch (verb) {
    case 'v':
    case 'd':
      return fmtInteger(st, v, 10, verb);
    case 'b':
      return fmtInteger(st, v, 2, verb);
    case 'o':
    case 'O':
      return fmtInteger(st, v, 8, verb);
    case 'x':
    case 'X':
      return fmtInteger(st, v, 16, verb);
    case 'c':
      return pad(st, String.fromCodePoint(validRune(Number(v))));
    case 'q':
      return pad(st, goQuoteRune(Number(v), st.plus));
    case 'U':
      return fmtUnicode(st, Number(v));
    default:
      return badVerb(st, verb, arg);
  }
}

function hexFloat(x: number, upper: boolean): string {
  if (x === 0) return `${Object.is(x, -0) ? '-' : ''}0x0p+00`;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) {
    // subnormal: normalise so the leading digit is 1
    exp = 1;
    while ((mant & (1n << 52n)) === 0n) {
      mant <<= 1n;
      exp--;
    }
    mant &= (1n << 52n) - 1n;
  }
  const e = exp - 1023;
  const frac = mant.toString(16).padStart(13, '0').replace(/0+$/, '');
  const abs = Math.abs(e);
  let s = `0x1${frac === '' ? '' : `.${frac}`}p${e < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
  if (upper) s = s.toUpperCase();
  return (x < 0 ? '-' : '') + s;
}

function fmtFloat(st: State, x: number, verb: string, defaultPrec: number): string {
  const prec = st.prec ?? defaultPrec;
  let num: string;
  if (verb === 'x' || verb === 'X') num = hexFloat(x, verb === 'X');
  else num = formatFloat(x, (verb === 'F' ? 'f' : verb) as 'e' | 'E' | 'f' | 'g' | 'G', prec);
  if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
  if (st.space && num[0] === '+' && !st.plus) num = ` ${num.slice(1)}`;
  if (num[1] === 'I' || num[1] === 'N') {
    // Infinities and NaN are not zero padded; NaN loses its sign unless one was asked for.
    if (num[1] === 'N' && !st.space && !st.plus) num = num.slice(1);
    return pad(withoutZero(st), num);
  }
  if (st.sharp) num = sharpFloat(num, verb, prec);
  if (st.plus || num[0] !== '+') {
    if (st.zero && !st.minus && st.wid !== null && st.wid > num.length) {
      return num[0] + '0'.repeat(st.wid - num.length) + num.slice(1);
    }
    return pad(st, num);
  }
  return pad(st, num.slice(1));
}

/** The '#' flag: always print a decimal point, and keep trailing zeros for %g. */
function sharpFloat(signed: string, verb: string, prec: number): string {
  let digits = 0;
  if (verb === 'g' || verb === 'G' || verb === 'x' || verb === 'X') digits = prec === -1 ? 6 : prec;
  let num = signed;
  let tail = '';
  let hasDecimalPoint = false;
  let sawNonzeroDigit = false;
  for (let i = 1; i < num.length; i++) {
    const c = num.charAt(i);
    if (c === '.') hasDecimalPoint = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = num.slice(i);
      num = num.slice(0, i);
      break;
    } else {
      if (c !== '0') sawNonzeroDigit = true;
      if (sawNonzeroDigit) digits--;
    }
  }
  if (!hasDecimalPoint) {
    if (num.length === 2 && num[1] === '0') digits--;
    num += '.';
  }
  if (digits > 0) num += '0'.repeat(digits);
  return num + tail;
}

function printFloat(st: State, x: number, verb: string, arg: unknown): string {
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
    case 'x':
    case 'X':
    case 'b':
      return fmtFloat(st, x, verb === 'b' || verb === 'v' ? 'g' : verb, -1);
    case 'f':
    case 'F':
    case 'e':
    case 'E':
      return fmtFloat(st, x, verb, 6);
    default:
      return badVerb(st, verb, arg);
  }
}

function truncateRunes(st: State, s: string): string {
  if (st.prec === null) return s;
  return [...s].slice(0, st.prec).join('');
}

function fmtSx(st: State, s: string, upper: boolean): string {
  let bytes = utf8.encode(s);
  if (st.prec !== null && st.prec < bytes.length) bytes = bytes.slice(0, st.prec);
  const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  const prefix = st.sharp ? (upper ? '0X' : '0x') : '';
  let out = '';
  bytes.forEach((b, i) => {
    if (st.space && i > 0) out += ' ';
    if (i === 0 || st.space) out += prefix;
    out += (digits[b >> 4] ?? '') + (digits[b & 15] ?? '');
  });
  if (bytes.length === 0) out = '';
  return pad(st, out);
}

function fmtQ(st: State, s: string): string {
  const t = truncateRunes(st, s);
  if (st.sharp && canBackquote(t)) return pad(st, `\`${t}\``);
  return pad(st, goQuote(t, st.plus));
}

function printString(st: State, s: string, verb: string, arg: unknown): string {
  switch (verb) {
    case 'v':
      return st.sharpV ? fmtQ(st, s) : pad(st, truncateRunes(st, s));
    case 's':
      return pad(st, truncateRunes(st, s));
    case 'x':
      return fmtSx(st, s, false);
    case 'X':
      return fmtSx(st, s, true);
    case 'q':
      return fmtQ(st, s);
    default:
      return badVerb(st, verb, arg);
  }
}

function badVerb(st: State, verb: string, arg: unknown): string {
  if (arg === undefined || arg === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(arg)}=${printArg({ ...st, sharpV: false, plusV: false }, arg, 'v', true)})`;
}

/** pp.printArg: formats one operand for one verb. */
function printArg(st: State, arg: unknown, verb: string, erroring = false): string {
  if (arg === undefined || arg === null) {
    if (verb === 'T' || verb === 'v') return pad(st, '<nil>');
    return badVerb(st, verb, arg);
  }
  if (verb === 'T') return pad(st, typeName(arg));
  return printValue(st, arg, verb, 0, erroring);
}

function printValue(st: State, v: unknown, verb: string, depth: number, erroring = false): string {
  if (!erroring && (verb === 'v' || verb === 's' || verb === 'x' || verb === 'X' || verb === 'q') && !st.sharpV) {
    const text = methodText(v);
    if (text !== null) return printString(st, text, verb, text);
  }
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      if (verb === 'v') return pad(st, st.sharpV ? 'interface {}(nil)' : '<nil>');
      return badVerb(st, verb, null);
    case 'bool':
      if (verb === 't' || verb === 'v') return pad(st, v === true ? 'true' : 'false');
      return badVerb(st, verb, v);
    case 'int':
      return printInt(st, typeof v === 'bigint' ? v : toNumber(v), verb, v);
    case 'float':
      return printFloat(st, toNumber(v), verb, v);
    case 'string':
      return printString(st, v as string, verb, v);
    case 'slice': {
      const items = (v as unknown[]).map((e) => printValue(st, e, verb, depth + 1));
      if (st.sharpV) return `${typeName(v)}{${items.join(', ')}}`;
      return `[${items.join(' ')}]`;
    }
    case 'map': {
      const entries = mapEntries(v as Map<unknown, unknown> | Record<string, unknown>);
      const items = entries.map(([k, e]) => `${printValue(st, k, verb, depth + 1)}:${printValue(st, e, verb, depth + 1)}`);
      if (st.sharpV) return `${typeName(v)}{${items.join(', ')}}`;
      return `map[${items.join(' ')}]`;
    }
    case 'struct': {
      const fields = structFields(v as object);
      const items = fields.map(([name, e]) => {
        const label = st.plusV || st.sharpV ? `${name}:` : '';
        return label + printValue(st, e, verb, depth + 1);
      });
      if (st.sharpV) return `${typeName(v)}{${items.join(', ')}}`;
      return `{${items.join(' ')}}`;
    }
    case 'func':
      return pad(st, '0x0');
  }
}

/** fmt.Sprint: operands in default format, spaces between operands when neither is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += printArg(newState(), arg, 'v');
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands separated by spaces, newline appended. */
export function sprintln(args: readonly unknown[]): string {
  return `${args.map((a) => printArg(newState(), a, 'v')).join(' ')}\n`;
}

/** The %v text of one value, as fmt.Fprint prints it. */
export function formatValue(v: unknown): string {
  return printArg(newState(), v, 'v');
}

const TOO_LARGE = 1e6;

function parseNum(s: string, start: number, end: number): { num: number; ok: boolean; next: number } {
  let i = start;
  let num = 0;
  let ok = false;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    if (num > TOO_LARGE) return { num: 0, ok: false, next: end };
    num = num * 10 + (c - 0x30);
    ok = true;
    i++;
  }
  return { num, ok, next: i };
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  const end = format.length;
  let i = 0;

  const argNumber = (
    cur: number,
    at: number,
    state: { good: boolean },
  ): { argNum: number; i: number; found: boolean } => {
    if (at >= end || format[at] !== '[') return { argNum: cur, i: at, found: false };
    reordered = true;
    const close = format.indexOf(']', at + 1);
    if (close < 0 || end - at < 3) {
      state.good = false;
      return { argNum: cur, i: at + 1, found: false };
    }
    const { num, ok, next } = parseNum(format, at + 1, close);
    if (!ok || next !== close) {
      state.good = false;
      return { argNum: cur, i: close + 1, found: false };
    }
    const index = num - 1;
    if (index >= 0 && index < args.length) return { argNum: index, i: close + 1, found: true };
    state.good = false;
    return { argNum: cur, i: close + 1, found: true };
  };

  const intFromArg = (n: number): { num: number; ok: boolean; argNum: number } => {
    if (n >= args.length) return { num: 0, ok: false, argNum: n };
    const a = args[n];
    let ok = kindOf(a) === 'int';
    let num = ok ? toNumber(a) : 0;
    if (Math.abs(num) > TOO_LARGE) {
      num = 0;
      ok = false;
    }
    return { num, ok, argNum: n + 1 };
  };

  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const st = newState();
    const good = { good: true };
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          st.sharp = true;
          break;
        case '0':
          st.zero = !st.minus;
          break;
        case '+':
          st.plus = true;
          break;
        case '-':
          st.minus = true;
          st.zero = false;
          break;
        case ' ':
          st.space = true;
          break;
        default:
          break flags;
      }
    }
    let r = argNumber(argNum, i, good);
    argNum = r.argNum;
    i = r.i;
    let afterIndex = r.found;

    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg(argNum);
      argNum = w.argNum;
      if (!w.ok) out += '%!(BADWIDTH)';
      else {
        st.wid = w.num;
        if (w.num < 0) {
          st.wid = -w.num;
          st.minus = true;
          st.zero = false;
        }
      }
      afterIndex = false;
    } else {
      const p = parseNum(format, i, end);
      if (p.ok) {
        st.wid = p.num;
        if (afterIndex) good.good = false;
      }
      i = p.next;
    }

    if (i + 1 <= end && format[i] === '.') {
      i++;
      if (afterIndex) good.good = false;
      r = argNumber(argNum, i, good);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const p = intFromArg(argNum);
        argNum = p.argNum;
        st.prec = p.ok && p.num >= 0 ? p.num : null;
        if (!p.ok) out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const p = parseNum(format, i, end);
        st.prec = p.ok ? p.num : 0;
        i = p.next;
      }
    }

    if (!afterIndex) {
      r = argNumber(argNum, i, good);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
    }

    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const cp = format.codePointAt(i) ?? 0;
    const verb = String.fromCodePoint(cp);
    i += verb.length;

    if (verb === '%') {
      out += '%';
      continue;
    }
    if (!good.good) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === 'v') {
      st.sharpV = st.sharp;
      st.sharp = false;
      st.plusV = st.plus;
      st.plus = false;
    }
    out += printArg(st, args[argNum], verb);
    argNum++;
  }

  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a === undefined || a === null ? '<nil>' : `${typeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
