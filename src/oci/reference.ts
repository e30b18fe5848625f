/**
 * Docker image references: parsing, normalisation and the familiar (short) form.
 *
 * Follows the grammar of distribution/reference (`regexp.go`, `normalize.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path
 *   domain    := host [ ":" port ]         host: DNS-ish name, or [IPv6]
 *   path      := component ( "/" component )*   component: [a-z0-9]+ with ".", "_", "__" or "-"+ between
 *   tag       := [\w][\w.-]{0,127}
 *   digest    := algorithm ":" hex
 *
 * A name is normalised the way `docker pull` does it: no domain means Docker Hub (`docker.io`), and a
 * single-component Hub path gets the `library/` namespace. Error messages are Docker's, because the CLI
 * prints them verbatim.
 */
import { InvalidParameter } from '../errdefs/index.js';

/** A parsed, normalised reference: `domain` is never empty (`docker.io` for Docker Hub). */
export interface Reference {
  domain: string;
  /** Repository path without the domain: `library/busybox`, `user/app`. */
  path: string;
  tag?: string;
  /** `algorithm:hex`, validated (sha256, sha384 or sha512). */
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';
const MAX_PATH_LENGTH = 255;

// Grammar pieces, composed into anchored expressions below.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|-+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const PATH = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

/** Whole reference: (1) name, (2) tag, (3) digest. */
const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${PATH})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** A name split into (1) domain and (2) path. */
const NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH})$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const DIGEST_ALGORITHMS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function invalid(message: string): InstanceType<typeof InvalidParameter> {
  return new InvalidParameter(message);
}

/**
 * Parses a reference as the Docker CLI and daemon do (ParseNormalizedNamed): `busybox` becomes
 * `docker.io/library/busybox`, `user/app` becomes `docker.io/user/app`. The tag is not defaulted;
 * use withDefaultTag. Throws InvalidParameter with Docker's message.
 */
export function parseNormalizedReference(s: string): Reference {
  if (IDENTIFIER_RE.test(s)) {
    throw invalid(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalid(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parseReference(`${domain}/${remainder}`);
}

/** Strict parse of an already-qualified reference (distribution's Parse), without normalisation. */
function parseReference(s: string): Reference {
  if (s === '') throw invalid('repository name must have at least one component');
  const m = REFERENCE_RE.exec(s);
  if (m === null) {
    const lower = s.toLowerCase();
    if (lower !== s && REFERENCE_RE.test(lower)) throw invalid('repository name must be lowercase');
    throw invalid('invalid reference format');
  }
  const name = m[1] ?? '';
  const nm = NAME_RE.exec(name);
  const ref: Reference = { domain: nm?.[1] ?? '', path: nm?.[2] ?? name };
  if (ref.path.length > MAX_PATH_LENGTH) {
    throw invalid(`repository name must not be more than ${MAX_PATH_LENGTH} characters`);
  }
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = validateDigest(m[3]);
  return ref;
}

/** go-digest's Validate, for the algorithms Docker registers. */
function validateDigest(d: string): string {
  const i = d.indexOf(':');
  const algorithm = d.slice(0, i);
  const encoded = d.slice(i + 1);
  const length = DIGEST_ALGORITHMS[algorithm];
  if (length === undefined) throw invalid('unsupported digest algorithm');
  if (encoded.length !== length) throw invalid('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(encoded)) throw invalid('invalid checksum digest format');
  return d;
}

/**
 * Splits off the registry domain. The first component is a domain only when it is `localhost`,
 * contains `.` or `:`, or has uppercase letters (which a path may not). Docker Hub names get `library/`.
 */
function splitDockerDomain(name: string): [string, string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_PREFIX + name];
  const first = name.slice(0, slash);
  const rest = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first) {
    [domain, remote] = [first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first, rest];
  } else {
    [domain, remote] = [DEFAULT_DOMAIN, name];
  }
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_PREFIX + remote;
  return [domain, remote];
}

/** `docker.io/library/busybox`: domain and path, no tag or digest. */
export function fullName(ref: Reference): string {
  return ref.domain === '' ? ref.path : `${ref.domain}/${ref.path}`;
}

/** The full reference: `docker.io/library/busybox:latest`, `…@sha256:…`, or both. */
export function referenceString(ref: Reference): string {
  return fullName(ref) + suffix(ref);
}

/** The short name Docker shows: `busybox`, `user/app`, `localhost:5000/app`. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return fullName(ref);
  if (ref.path.startsWith(OFFICIAL_PREFIX)) {
    const rest = ref.path.slice(OFFICIAL_PREFIX.length);
    if (!rest.includes('/')) return rest;
  }
  return ref.path;
}

/** The short form with tag and digest: `busybox:latest`. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + suffix(ref);
}

function suffix(ref: Reference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** TagNameOnly: a reference with neither tag nor digest gets `:latest`. */
export function withDefaultTag(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/**
 * Whether `s` is a complete image ID, which Docker resolves as an ID and never as a name
 * (ParseAnyReference): 64 hex characters, with or without `sha256:`.
 */
export function isFullImageId(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{64}$/.test(s);
}

/**
 * Whether `s` may be an image ID prefix, which Docker tries to match against image IDs (the
 * daemon's `^[a-f0-9]{4,64}$`; a `sha256:` prefix is also accepted). Such a string can also be a
 * valid name (`dbcc1`), so callers look it up both ways.
 */
export function looksLikeIdPrefix(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{4,64}$/.test(s);
}
