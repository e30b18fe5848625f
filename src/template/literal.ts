/**
 * Go literal syntax used by the parser: strconv.Unquote, strconv.UnquoteChar and the
 * base-prefixed integer/float forms that strconv.ParseInt/ParseFloat accept with base 0.
 */

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

export class LiteralSyntaxError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, '\\': 0x5c,
};

function hexVal(s: string): number {
  return /^[0-9a-fA-F]+$/.test(s) ? parseInt(s, 16) : NaN;
}

/**
 * Decodes escapes in the body of a quoted literal. `quote` is the delimiter that may be
 * escaped (`"` or `'`). \x and octal escapes produce raw bytes, decoded as UTF-8 at the end
 * (invalid sequences become U+FFFD, where Go would keep the raw byte).
 */
function unescape(body: string, quote: string): string {
  const bytes: number[] = [];
  const pushRune = (cp: number): void => {
    for (const b of encoder.encode(String.fromCodePoint(cp))) bytes.push(b);
  };
  for (let i = 0; i < body.length; ) {
    const cp = body.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    if (ch === quote || ch === '\n') throw new LiteralSyntaxError('invalid syntax');
    if (ch !== '\\') {
      pushRune(cp);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw new LiteralSyntaxError('invalid syntax');
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      bytes.push(simple);
      i += 2;
    } else if (e === quote) {
      bytes.push(quote.charCodeAt(0));
      i += 2;
    } else if (e === 'x') {
      const v = hexVal(body.slice(i + 2, i + 4));
      if (Number.isNaN(v) || body.slice(i + 2, i + 4).length !== 2) throw new LiteralSyntaxError('invalid syntax');
      bytes.push(v);
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const digits = body.slice(i + 2, i + 2 + n);
      const v = hexVal(digits);
      if (digits.length !== n || Number.isNaN(v) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        throw new LiteralSyntaxError('invalid syntax');
      }
      pushRune(v);
      i += 2 + n;
    } else if (e >= '0' && e <= '7') {
      const digits = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(digits)) throw new LiteralSyntaxError('invalid syntax');
      const v = parseInt(digits, 8);
      if (v > 255) throw new LiteralSyntaxError('invalid syntax');
      bytes.push(v);
      i += 4;
    } else {
      throw new LiteralSyntaxError('invalid syntax');
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** strconv.Unquote for "…" and `…` literals. Throws LiteralSyntaxError with Go's message. */
export function unquote(lit: string): string {
  if (lit.length < 2) throw new LiteralSyntaxError('invalid syntax');
  const q = lit[0];
  if (q !== lit[lit.length - 1]) throw new LiteralSyntaxError('invalid syntax');
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new LiteralSyntaxError('invalid syntax');
    return body.replaceAll('\r', '');
  }
  if (q !== '"') throw new LiteralSyntaxError('invalid syntax');
  return unescape(body, '"');
}

/** The code point of a character constant such as 'a' or '\n'. */
export function unquoteChar(lit: string): number {
  if (lit.length < 3 || lit[0] !== "'" || lit[lit.length - 1] !== "'") throw new MalformedCharError();
  const body = lit.slice(1, -1);
  // Only the first (possibly escaped) character is decoded; anything after it is malformed.
  let end = 1;
  if (body[0] === '\\') {
    const e = body[1] ?? '';
    end = e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : e >= '0' && e <= '7' ? 4 : 2;
  } else if (body.length > 1 && body.charCodeAt(0) >= 0xd800 && body.charCodeAt(0) <= 0xdbff) {
    end = 2;
  }
  const s = unescape(body.slice(0, end), "'");
  if (end < body.length) throw new MalformedCharError();
  const cps = [...s];
  if (cps.length !== 1) throw new MalformedCharError();
  return cps[0]?.codePointAt(0) ?? 0;
}

/** A character constant with more (or less) than one character: `malformed character constant`. */
export class MalformedCharError extends Error {}

function lower(c: string): string {
  return c.toLowerCase();
}

/** strconv's underscoreOK: underscores may only separate digits (or follow a base prefix). */
function underscoreOK(s0: string): boolean {
  let s = s0;
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(lower(s[1] ?? ''))) {
    i = 2;
    saw = '0';
    hex = lower(s[1] ?? '') === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** strconv.ParseUint(s, 0, 64): the value, or null on syntax error or overflow. */
export function parseUint(s: string): bigint | null {
  if (s === '') return null;
  let base = 10;
  let body = s;
  if (s[0] === '0') {
    const p = lower(s[1] ?? '');
    if (s.length >= 3 && p === 'x') [base, body] = [16, s.slice(2)];
    else if (s.length >= 3 && p === 'o') [base, body] = [8, s.slice(2)];
    else if (s.length >= 3 && p === 'b') [base, body] = [2, s.slice(2)];
    else if (s.length > 1) [base, body] = [8, s.slice(1)];
  }
  if (s.includes('_')) {
    if (!underscoreOK(s)) return null;
    body = body.replaceAll('_', '');
  }
  if (body === '') return null;
  const digits = '0123456789abcdef'.slice(0, base);
  let v = 0n;
  for (const c of body.toLowerCase()) {
    const d = digits.indexOf(c);
    if (d < 0) return null;
    v = v * BigInt(base) + BigInt(d);
  }
  return v <= UINT64_MAX ? v : null;
}

/** strconv.ParseInt(s, 0, 64). */
export function parseInt64(s: string): bigint | null {
  let neg = false;
  let body = s;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    body = s.slice(1);
  }
  const u = parseUint(body);
  if (u === null) return null;
  if (neg) return u <= INT64_MAX + 1n ? -u : null;
  return u <= INT64_MAX ? u : null;
}

/** strconv.ParseFloat(s, 64) for decimal and hexadecimal (p-exponent) forms. */
export function parseFloat64(s: string): number | null {
  if (s.includes('_')) {
    if (!underscoreOK(s)) return null;
    s = s.replaceAll('_', '');
  }
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex !== null) {
    const [, sign, intPart = '', frac = '', exp = '0'] = hex;
    if (intPart === '' && frac === '') return null;
    let m = 0;
    for (const c of intPart + frac) m = m * 16 + parseInt(c, 16);
    const v = m * 2 ** (Number(exp) - 4 * frac.length);
    if (!Number.isFinite(v)) return null;
    return sign === '-' ? -v : v;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}
