import { InvalidParameter } from '../errdefs/index.js';
import type { Filters } from './types.js';

/** Decode the `filters` query parameter in both the current map form and the legacy list form. */
export function parseFilters(raw: string | null): Filters {
  const out: Filters = new Map();
  if (raw === null || raw === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch (err) {
    throw new InvalidParameter(`invalid filter: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidParameter(`invalid filter: expected a JSON object`);
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value)) out.set(key, value.map(String));
    else if (value !== null && typeof value === 'object') out.set(key, Object.keys(value));
    else throw new InvalidParameter(`invalid filter '${key}'`);
  }
  return out;
}

/** Encode filters the way the current API expects them. */
export function encodeFilters(filters: Filters): string {
  const obj: Record<string, Record<string, boolean>> = {};
  for (const [k, vs] of filters) obj[k] = Object.fromEntries(vs.map((v) => [v, true]));
  return JSON.stringify(obj);
}

/** Reject keys the endpoint does not know, with Docker's message. */
export function validateFilterKeys(filters: Filters, allowed: readonly string[]): void {
  for (const k of filters.keys()) {
    if (!allowed.includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
  }
}
