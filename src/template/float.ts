/**
 * strconv.FormatFloat for 'e', 'f' and 'g' (64-bit), with Go's rounding: the exact binary
 * value is expanded to decimal and rounded half-to-even, so `%.2f` of 0.125 is "0.12" as in Go
 * (Number.prototype.toFixed would say "0.13"). Shortest formatting takes its digits from
 * Number.prototype.toExponential(), which, like Go, picks the shortest round-tripping digits
 * closest to the exact value.
 */

/** value = 0.d × 10^dp, d without leading or trailing zeros ("" means zero). */
interface Decimal {
  d: string;
  dp: number;
}

function exactDecimal(x: number): Decimal {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (exp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = exp - 1075;
  }
  if (mant === 0n) return { d: '', dp: 0 };
  let digits: string;
  let dp: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    dp = digits.length + e2;
  }
  return trim({ d: digits, dp });
}

function trim(dec: Decimal): Decimal {
  let d = dec.d.replace(/0+$/, '');
  let dp = dec.dp;
  const lead = d.length - d.replace(/^0+/, '').length;
  d = d.slice(lead);
  dp -= lead;
  return d === '' ? { d: '', dp: 0 } : { d, dp };
}

function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: '', dp: 0 };
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (m === null) throw new Error(`float: cannot decompose ${x}`);
  const [, first = '', rest = '', exp = '0'] = m;
  return trim({ d: first + rest, dp: Number(exp) + 1 });
}

/** Rounds to nd significant digits, half to even on exact ties (Go's decimal.Round). */
function roundTo(dec: Decimal, nd: number): Decimal {
  if (nd < 0) return { d: '', dp: 0 };
  if (nd >= dec.d.length) return dec;
  const next = dec.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < dec.d.length) up = true; // more nonzero digits follow (d has no trailing zeros)
  else up = nd > 0 && (dec.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return trim({ d: dec.d.slice(0, nd), dp: dec.dp });
  const digits = dec.d.slice(0, nd).split('').map(Number);
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === 9) {
    digits[i] = 0;
    i--;
  }
  if (i < 0) return { d: '1', dp: dec.dp + 1 };
  digits[i] = (digits[i] ?? 0) + 1;
  return trim({ d: digits.join(''), dp: dec.dp });
}

function digitAt(dec: Decimal, i: number): string {
  return i >= 0 && i < dec.d.length ? dec.d.charAt(i) : '0';
}

function fmtE(dec: Decimal, prec: number, e: 'e' | 'E'): string {
  let s = digitAt(dec, 0);
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(dec, i);
  }
  const exp = dec.d === '' ? 0 : dec.dp - 1;
  const abs = Math.abs(exp);
  return `${s}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? `0${abs}` : abs}`;
}

function fmtF(dec: Decimal, prec: number): string {
  let s = '';
  if (dec.dp > 0) for (let i = 0; i < dec.dp; i++) s += digitAt(dec, i);
  else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(dec, dec.dp + i);
  }
  return s;
}

export type FloatVerb = 'e' | 'E' | 'f' | 'g' | 'G';

/**
 * strconv.FormatFloat(x, verb, prec, 64) without the sign of negative numbers handled
 * specially: the result starts with '-' for negative values (and -0), as in Go.
 */
export function formatFloat(x: number, verb: FloatVerb, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  const shortest = prec < 0;
  let dec: Decimal;
  if (shortest) {
    dec = shortestDecimal(abs);
    if (verb === 'e' || verb === 'E') prec = Math.max(dec.d.length - 1, 0);
    else if (verb === 'f') prec = Math.max(dec.d.length - dec.dp, 0);
    else prec = dec.d.length;
  } else {
    dec = exactDecimal(abs);
    if (verb === 'e' || verb === 'E') dec = roundTo(dec, prec + 1);
    else if (verb === 'f') dec = roundTo(dec, dec.dp + prec);
    else {
      if (prec === 0) prec = 1;
      dec = roundTo(dec, prec);
    }
  }
  let body: string;
  if (verb === 'e' || verb === 'E') body = fmtE(dec, prec, verb);
  else if (verb === 'f') body = fmtF(dec, prec);
  else {
    const nd = dec.d.length;
    let eprec = prec;
    if (eprec > nd && nd >= dec.dp) eprec = nd;
    if (shortest) eprec = 6;
    const exp = dec.dp - 1;
    if (dec.d !== '' && (exp < -4 || exp >= eprec)) {
      body = fmtE(dec, Math.min(prec, Math.max(nd, 1)) - 1, verb === 'g' ? 'e' : 'E');
    } else {
      if (prec > dec.dp) prec = nd;
      body = fmtF(dec, Math.max(prec - dec.dp, 0));
    }
  }
  return neg ? `-${body}` : body;
}
