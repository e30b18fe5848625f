/**
 * encoding/json as docker/cli's `json` template function uses it: an Encoder with
 * SetEscapeHTML(false), trailing newline trimmed.
 *
 * Plain objects keep their insertion order (they stand in for Go structs, and objects decoded
 * from the API's JSON already carry Go's sorted map order); `Map`s are sorted by key like Go maps.
 * Objects with a toJSON() method (Date included) are encoded through it, like json.Marshaler.
 */

import { formatFloat } from './float.js';
import { Float64, kindOf, mapEntries, structFields } from './value.js';

export class JsonUnsupportedError extends Error {}

/**
 * Pre-encoded JSON, emitted as is: the counterpart of a Go value whose MarshalJSON returns
 * bytes, as docker/cli's formatter contexts do (they marshal with HTML escaping on).
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** encoding/json's default (json.Marshal) escaping of <, > and &, for RawJson producers. */
export function escapeHtmlJson(text: string): string {
  return text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20) out += `\\u00${c.toString(16).padStart(2, '0')}`;
    else if (c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      } else out += '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\\ufffd';
    else out += s.charAt(i);
  }
  return `${out}"`;
}

function encodeFloat(f: number): string {
  if (!Number.isFinite(f)) throw new JsonUnsupportedError(`json: unsupported value: ${f}`);
  const abs = Math.abs(f);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return formatFloat(f, 'e', -1).replace(/e([+-])0(\d)$/, 'e$1$2');
  }
  return formatFloat(f, 'f', -1);
}

function encode(v: unknown, seen: Set<object>): string | undefined {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return 'null';
    case 'bool':
      return v === true ? 'true' : 'false';
    case 'int':
      return typeof v === 'bigint' ? v.toString() : BigInt(v as number).toString();
    case 'float':
      return encodeFloat(v instanceof Float64 ? v.value : (v as number));
    case 'string':
      return encodeString(v as string);
    case 'func':
      throw new JsonUnsupportedError('json: unsupported type: func()');
    default:
      break;
  }
  const obj = v as object;
  if (obj instanceof RawJson) return obj.text;
  if (seen.has(obj)) throw new JsonUnsupportedError('json: unsupported value: encountered a cycle');
  seen.add(obj);
  try {
    const toJSON: unknown = (obj as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return encode(toJSON.call(obj), seen);
    if (Array.isArray(obj)) return `[${obj.map((e) => encode(e, seen) ?? 'null').join(',')}]`;
    const entries: Array<[unknown, unknown]> =
      obj instanceof Map ? mapEntries(obj) : kindOf(obj) === 'map' ? Object.entries(obj) : structFields(obj);
    const parts: string[] = [];
    for (const [k, e] of entries) {
      if (e === undefined || typeof e === 'function') continue;
      parts.push(`${encodeString(String(k))}:${encode(e, seen) ?? 'null'}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

/** JSON text of a value without a trailing newline; throws JsonUnsupportedError like json.Marshal. */
export function encodeJSON(v: unknown): string {
  return encode(v, new Set()) ?? 'null';
}
