import { NotFound, InvalidParameter, Conflict } from '../errdefs/index.js';
import {
  familiarString,
  parseNormalizedReference,
  referenceString,
  withDefaultTag,
  type Reference,
} from '../oci/reference.js';
import type { ImageMetadataStore, ImageRecord } from '../store/metadata/images.js';
import { isDigest, type Digest } from '../util/digest.js';

export interface Resolved {
  image: ImageRecord;
  /** The reference the name resolved through, when it was one (not an ID). */
  ref?: Reference;
}

const HEX_PREFIX = /^(sha256:)?([a-f0-9]{1,64})$/;

/**
 * Find an image the way Docker does: a full ID or `sha256:` digest, then a reference
 * (tag defaults to latest), then a unique ID prefix. Throws `No such image: …`.
 */
export function resolveImage(meta: ImageMetadataStore, name: string): Resolved {
  if (isDigest(name)) {
    const image = meta.getImage(name);
    if (image) return { image };
    throw new NotFound(`No such image: ${name}`);
  }
  let ref: Reference | undefined;
  try {
    ref = withDefaultTag(parseNormalizedReference(name));
  } catch (err) {
    if (!HEX_PREFIX.test(name)) throw err;
  }
  if (ref) {
    const id = meta.resolveRef(referenceString(ref));
    const image = id === undefined ? undefined : meta.getImage(id);
    if (image) return { image, ref };
  }
  const m = HEX_PREFIX.exec(name);
  if (m && (m[2]!.length >= 1 && (m[1] !== undefined || !name.includes(':')))) {
    const prefix = `sha256:${m[2]!}`;
    const matches = meta.listImages().filter((i) => i.id.startsWith(prefix));
    if (matches.length === 1) return { image: matches[0]! };
    if (matches.length > 1) throw new Conflict(`multiple IDs found with provided prefix: ${name}`);
  }
  throw new NotFound(`No such image: ${ref ? familiarString(ref) : name}`);
}

/** Parse a tag target as `docker tag` does: no digests, default tag latest. */
export function parseTagTarget(repo: string, tag: string | undefined): Reference {
  const text = tag ? `${repo}:${tag}` : repo;
  let ref: Reference;
  try {
    ref = parseNormalizedReference(text);
  } catch (err) {
    throw new InvalidParameter((err as Error).message, { cause: err });
  }
  if (ref.digest !== undefined) throw new InvalidParameter('refusing to create a tag with a digest reference');
  return withDefaultTag(ref);
}

export function shortId(id: Digest | string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
