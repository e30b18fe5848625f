/** Entry names from an untrusted layer tar, reduced to safe relative paths. */
import { InvalidParameter } from '../../errdefs/index.js';

export function escapesError(name: string, detail = ''): InstanceType<typeof InvalidParameter> {
  return new InvalidParameter(`invalid tar header: path ${JSON.stringify(name)} escapes the layer${detail}`);
}

/**
 * A tar entry name as a clean path relative to the layer root ('' is the root itself). A leading
 * '/' is relative to the root, as in Docker; a '..' that would climb above the root is rejected.
 */
export function normalizeEntryPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw escapesError(name);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join('/');
}

/** '' for a top-level path. */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}
