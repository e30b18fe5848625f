/**
 * The parts of Go's strconv that pflag's value types use, with Go's NumError texts
 * (`strconv.ParseInt: parsing "abc": invalid syntax`), because docker prints them verbatim.
 */

import { goQuote } from '../../template/index.js';

/** A conversion failure; `message` is Go's `strconv.Fn: parsing "x": reason`. */
export class NumError extends Error {
  constructor(fn: string, input: string, reason: 'invalid syntax' | 'value out of range') {
    super(`strconv.${fn}: parsing ${goQuote(input)}: ${reason}`);
  }
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

export function parseBool(s: string): boolean {
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new NumError('ParseBool', s, 'invalid syntax');
}

/** Go's underscoreOK: underscores only between digits, and only with base 0. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s[0] === '+' || s[0] === '-') s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && /[bBoOxX]/.test(s[1] ?? '')) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? '';
    if (/[0-9]/.test(c) || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
    } else if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
    } else {
      if (saw === '_') return false;
      saw = '!';
    }
  }
  return saw !== '_';
}

/** The magnitude of an unsigned literal in base 0 syntax, or null on bad syntax. */
function parseMagnitude(s: string): bigint | null {
  if (s === '') return null;
  let base = 10;
  let body = s;
  if (s[0] === '0' && s.length > 1) {
    const p = (s[1] ?? '').toLowerCase();
    if (p === 'x') [base, body] = [16, s.slice(2)];
    else if (p === 'o') [base, body] = [8, s.slice(2)];
    else if (p === 'b') [base, body] = [2, s.slice(2)];
    else [base, body] = [8, s.slice(1)];
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
  return v;
}

/** strconv.ParseInt(s, 0, bits). */
export function parseInt(s: string, bits = 64): bigint {
  let body = s;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    body = s.slice(1);
  }
  const mag = parseMagnitude(body);
  if (mag === null) throw new NumError('ParseInt', s, 'invalid syntax');
  const limit = 1n << BigInt(bits - 1);
  if (neg ? mag > limit : mag >= limit) throw new NumError('ParseInt', s, 'value out of range');
  return neg ? -mag : mag;
}

/** strconv.ParseUint(s, 0, bits). */
export function parseUint(s: string, bits = 64): bigint {
  const mag = s[0] === '+' || s[0] === '-' ? null : parseMagnitude(s);
  if (mag === null) throw new NumError('ParseUint', s, 'invalid syntax');
  if (mag >= 1n << BigInt(bits)) throw new NumError('ParseUint', s, 'value out of range');
  return mag;
}

/** strconv.ParseFloat(s, 64) for decimal syntax, plus Inf/NaN spellings. */
export function parseFloat(s: string): number {
  const lower = s.toLowerCase();
  const special: Readonly<Record<string, number>> = {
    inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity,
    '-infinity': -Infinity, nan: NaN,
  };
  const sp = special[lower];
  if (sp !== undefined) return sp;
  let body = s;
  if (s.includes('_')) {
    if (!underscoreOK(s)) throw new NumError('ParseFloat', s, 'invalid syntax');
    body = s.replaceAll('_', '');
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) throw new NumError('ParseFloat', s, 'invalid syntax');
  const v = Number(body);
  if (!Number.isFinite(v)) throw new NumError('ParseFloat', s, 'value out of range');
  return v;
}
