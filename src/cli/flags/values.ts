/**
 * Per-type behaviour of pflag's value types: setting from a command-line string, the default's
 * text (DefValue) and whether usage shows it, and the type name usage prints.
 */

import { Float64, sprintf } from '../../template/index.js';
import { formatDuration, parseDuration } from './duration.js';
import { parseBool, parseFloat, parseInt, parseUint } from './strconv.js';
import type { FlagDef } from './types.js';

/** encoding/csv's reading of one record, as pflag's stringSlice uses it. */
export function readCSV(val: string): string[] {
  if (val === '') return [];
  const fields: string[] = [];
  let i = 0;
  const line = val.split('\n')[0] ?? '';
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        const c = line.charAt(i);
        if (c === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          if (i < line.length && line[i] !== ',') {
            throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
          }
          break;
        }
        field += c;
        i++;
      }
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      const q = field.indexOf('"');
      if (q >= 0) throw new Error(`parse error on line 1, column ${i + q + 1}: bare " in non-quoted-field`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** encoding/csv's writing of one record, without the trailing newline. */
export function writeCSV(fields: readonly string[]): string {
  return fields
    .map((f) => {
      const quote = f !== '' && (/[,"\r\n]/.test(f) || f === '\\.' || /^\s/u.test(f));
      return quote ? `"${f.replaceAll('"', '""')}"` : f;
    })
    .join(',');
}

/** The value a flag holds before the command line is applied. */
export function initialValue(def: FlagDef): unknown {
  switch (def.type) {
    case 'bool':
      return def.default ?? false;
    case 'string':
      return def.default ?? '';
    case 'int':
    case 'uint':
    case 'float':
    case 'duration':
      return def.default ?? 0;
    case 'stringArray':
    case 'stringSlice':
      return [...(def.default ?? [])];
    case 'custom':
      return def.default;
  }
}

function toSafeNumber(v: bigint): number {
  return Number(v);
}

/** Applies one command-line occurrence; throws with the reason pflag appends to its message. */
export function setValue(def: FlagDef, raw: string, current: unknown, changed: boolean): unknown {
  switch (def.type) {
    case 'bool':
      return parseBool(raw);
    case 'string':
      return raw;
    case 'int':
      return toSafeNumber(parseInt(raw, 64));
    case 'uint':
      return toSafeNumber(parseUint(raw, 64));
    case 'float':
      return parseFloat(raw);
    case 'duration':
      return parseDuration(raw);
    case 'stringArray':
      return changed ? [...(current as string[]), raw] : [raw];
    case 'stringSlice': {
      const v = readCSV(raw);
      return changed ? [...(current as string[]), ...v] : v;
    }
    case 'custom':
      return def.set(raw, current, changed);
  }
}

/** pflag's DefValue: the default as its Value.String() prints it. */
export function defaultText(def: FlagDef): string {
  switch (def.type) {
    case 'bool':
      return String(def.default ?? false);
    case 'string':
      return def.default ?? '';
    case 'int':
    case 'uint':
      return String(def.default ?? 0);
    case 'float':
      return sprintf('%v', [new Float64(def.default ?? 0)]);
    case 'duration':
      return formatDuration(def.default ?? 0);
    case 'stringArray':
    case 'stringSlice':
      return `[${writeCSV(def.default ?? [])}]`;
    case 'custom':
      return def.defaultText ?? '';
  }
}

/** pflag's defaultIsZeroValue: usage shows "(default …)" only otherwise. */
export function defaultIsZero(def: FlagDef): boolean {
  const text = defaultText(def);
  switch (def.type) {
    case 'bool':
      return text === 'false';
    case 'duration':
      return text === '0s';
    case 'int':
    case 'uint':
    case 'float':
      return text === '0';
    case 'string':
      return text === '';
    case 'stringArray':
    case 'stringSlice':
      return text === '[]';
    case 'custom':
      return text === 'false' || text === '<nil>' || text === '' || text === '0';
  }
}

/** pflag's Value.Type(), as usage names it (UnquoteUsage's mapping applied). */
export function typeLabel(def: FlagDef): string {
  switch (def.type) {
    case 'bool':
      return '';
    case 'stringSlice':
      return 'strings';
    case 'custom':
      return def.typeName;
    default:
      return def.type;
  }
}
