import { InvalidParameter } from '../errdefs/index.js';
import type { Filters, ImageSummary } from '../api/types.js';

const IMAGE_FILTERS = ['reference', 'dangling', 'label', 'label!', 'before', 'since', 'until'];

export function validateImageFilters(filters: Filters): void {
  for (const k of filters.keys()) if (!IMAGE_FILTERS.includes(k)) throw new InvalidParameter(`invalid filter '${k}'`);
  for (const v of filters.get('dangling') ?? []) {
    if (!['true', 'false', '1', '0'].includes(v)) throw new InvalidParameter(`invalid filter 'dangling=${v}'`);
  }
}

/** Go's path.Match: `*` and `?` never cross a `/`. */
export function globToRegExp(pattern: string): RegExp {
  let src = '^';
  for (const ch of pattern) {
    if (ch === '*') src += '[^/]*';
    else if (ch === '?') src += '[^/]';
    else src += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(src + '$');
}

/** `key` or `key=value` against a label map. */
export function matchLabels(labels: Record<string, string> | null, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return labels !== null && w in labels;
    return labels !== null && labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/**
 * Apply image-list filters that depend only on the summary. With `reference`, RepoTags are
 * narrowed to the matching ones, as Docker does; returns undefined when the image is out.
 */
export function matchImageFilters(s: ImageSummary, filters: Filters): ImageSummary | undefined {
  const dangling = filters.get('dangling');
  if (dangling && dangling.length > 0) {
    const want = dangling[0] === 'true' || dangling[0] === '1';
    if ((s.RepoTags.length === 0) !== want) return undefined;
  }
  const labels = filters.get('label');
  if (labels && !matchLabels(s.Labels, labels)) return undefined;
  const notLabels = filters.get('label!');
  if (notLabels && notLabels.some((l) => matchLabels(s.Labels, [l]))) return undefined;
  const refs = filters.get('reference');
  if (refs && refs.length > 0) {
    const res = refs.map(globToRegExp);
    const matches = (r: string): boolean => {
      const name = r.replace(/[:@][^/]*$/, '');
      return res.some((re) => re.test(r) || re.test(name));
    };
    const tags = s.RepoTags.filter(matches);
    const digests = s.RepoDigests.filter(matches);
    if (tags.length === 0 && digests.length === 0) return undefined;
    return { ...s, RepoTags: tags, RepoDigests: digests };
  }
  return s;
}
