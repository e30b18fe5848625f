/**
 * How JavaScript values stand in for Go values during execution.
 *
 * - `undefined` is Go's invalid reflect.Value ("no value"): a missing map key. It prints as
 *   `<no value>` and is false.
 * - `null` is a nil pointer/interface: it prints as `<nil>`.
 * - integral numbers in int64 range and bigints are `int`; other numbers and `Float64` are
 *   `float64`.
 * - arrays are slices; plain objects (prototype Object.prototype or null) and `Map`s are maps
 *   (missing key → no value); other objects are structs (missing field → error).
 * - function-valued properties are methods: `.Name arg…` calls them with the object as `this`.
 */

/**
 * A float64 that would otherwise look like an int (template literals such as `1.0` or `1e6`, or
 * data that must print the way Go prints floats).
 */
export class Float64 {
  constructor(readonly value: number) {}
}

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'number':
      // Integral numbers within int64 are ints; -0 and larger magnitudes only exist as float64.
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 && !Object.is(v, -0) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
    case 'symbol':
      return 'struct';
    case 'object':
      if (v === null) return 'nil';
      if (v instanceof Float64) return 'float';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof Map || isPlainObject(v)) return 'map';
      return 'struct';
  }
}

/** The numeric value of an int or float kind. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Float64) return v.value;
  return NaN;
}

/** Go type name for messages and %T; slices and maps are typed by their contents where possible. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return '<nil>';
    case 'bool':
      return 'bool';
    case 'int':
      return typeof v === 'bigint' ? 'int64' : 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'func':
      return 'func()';
    case 'slice': {
      const a = v as unknown[];
      return a.length > 0 && a.every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
    }
    case 'map': {
      if (v instanceof Map) {
        const keys = [...v.keys()];
        return keys.every((k) => typeof k === 'string') ? 'map[string]interface {}' : 'map[interface {}]interface {}';
      }
      return 'map[string]interface {}';
    }
    case 'struct': {
      if (v instanceof Date) return 'time.Time';
      if (v instanceof Error) return '*errors.errorString';
      const ctor: unknown = (v as { constructor?: unknown }).constructor;
      const name = typeof ctor === 'function' ? ctor.name : '';
      return name !== '' ? name : 'struct {}';
    }
  }
}

/** text/template's isTrue: the truth of a value in if/with/and/or/not. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v === true;
    case 'int':
    case 'float':
      return toNumber(v) !== 0;
    case 'string':
      return (v as string).length > 0;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    case 'struct':
    case 'func':
      return true;
  }
}

/** Go's fmtsort ordering for map keys: numbers numerically, strings bytewise, others by text. */
export function compareKeys(a: unknown, b: unknown): number {
  const ka = kindOf(a);
  const kb = kindOf(b);
  if ((ka === 'int' || ka === 'float') && (kb === 'int' || kb === 'float')) return toNumber(a) - toNumber(b);
  if (ka === 'bool' && kb === 'bool') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Entries of a map kind in Go's iteration order for range and printing (sorted keys). */
export function mapEntries(v: Map<unknown, unknown> | Record<string, unknown>): Array<[unknown, unknown]> {
  const entries: Array<[unknown, unknown]> = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort(([a], [b]) => compareKeys(a, b));
}

/** Data fields of a struct-like object, in declaration order (own enumerable, non-function). */
export function structFields(v: object): Array<[string, unknown]> {
  return Object.entries(v).filter(([, val]) => typeof val !== 'function');
}

export type PropertyLookup = { readonly found: false } | { readonly found: true; readonly value: unknown };

/**
 * Looks up `name` on an object the way a template field reference does: own keys for maps
 * (plain objects), the prototype chain short of Object.prototype for structs, so getters and
 * methods of classes are visible but `constructor`/`toString` are not.
 */
export function lookupProperty(obj: object, name: string): PropertyLookup {
  if (obj instanceof Map) return obj.has(name) ? { found: true, value: obj.get(name) } : { found: false };
  if (isPlainObject(obj)) {
    return Object.prototype.hasOwnProperty.call(obj, name) ? { found: true, value: obj[name] } : { found: false };
  }
  for (let p: unknown = obj; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (typeof p !== 'object' && typeof p !== 'function') break;
    if (Object.prototype.hasOwnProperty.call(p, name)) {
      if (name === 'constructor') return { found: false };
      return { found: true, value: Reflect.get(obj, name) };
    }
  }
  return { found: false };
}
