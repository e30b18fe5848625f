/**
 * Manifests as registries serve them: Docker schema2 and OCI image manifests, Docker manifest
 * lists and OCI indexes. Parsing checks the shape the engine relies on; platform selection
 * follows containerd's matcher as Docker uses it (os, architecture, then variant; a missing
 * variant on either side matches, with the normalised arm64/v8 and amd64 forms).
 */
import { InvalidParameter, NotFound, NotImplemented } from '../errdefs/index.js';
import { MediaType, type Descriptor, type Index, type Manifest, type Platform } from '../oci/image.js';
import { isDigest } from '../util/digest.js';

/** Every manifest type the engine accepts, in Docker's order of preference. */
export const MANIFEST_ACCEPT = [MediaType.DockerManifest, MediaType.DockerManifestList, MediaType.OciManifest, MediaType.OciIndex];

const SCHEMA1 = ['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws'];

export type ParsedManifest = { kind: 'manifest'; manifest: Manifest; mediaType: string } | { kind: 'index'; index: Index; mediaType: string };

function checkDescriptor(d: unknown, what: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  if (!o || typeof o !== 'object' || typeof o.digest !== 'string' || !isDigest(o.digest) || typeof o.size !== 'number' || typeof o.mediaType !== 'string') {
    throw new InvalidParameter(`invalid manifest: bad ${what} descriptor`);
  }
  return o as Descriptor;
}

/** Parses a manifest body; `contentType` is the registry's Content-Type, used when the body has no mediaType. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidParameter(`invalid manifest: ${(err as Error).message}`, { cause: err });
  }
  if (!j || typeof j !== 'object') throw new InvalidParameter('invalid manifest: not a JSON object');
  const ct = (contentType ?? '').split(';')[0]!.trim();
  const mediaType = typeof j.mediaType === 'string' ? j.mediaType : ct;
  if (j.schemaVersion === 1 || SCHEMA1.includes(mediaType)) {
    throw new NotImplemented(
      'Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of the image to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2.',
    );
  }
  if (Array.isArray(j.manifests)) {
    const manifests = j.manifests.map((d) => checkDescriptor(d, 'manifest'));
    return { kind: 'index', index: { ...(j as unknown as Index), manifests }, mediaType: mediaType || MediaType.OciIndex };
  }
  if (j.config !== undefined && Array.isArray(j.layers)) {
    const config = checkDescriptor(j.config, 'config');
    const layers = j.layers.map((d) => checkDescriptor(d, 'layer'));
    return { kind: 'manifest', manifest: { ...(j as unknown as Manifest), config, layers }, mediaType: mediaType || MediaType.OciManifest };
  }
  throw new InvalidParameter(`invalid manifest: unsupported manifest media type ${JSON.stringify(mediaType)}`);
}

/** `os/arch[/variant]` → Platform (InvalidParameter with containerd's wording on bad input). */
export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_-]+$/.test(p))) {
    throw new InvalidParameter(`"${s}": unknown operating system or architecture: invalid argument`);
  }
  if (parts.length === 1) return normalizePlatform({ os: 'linux', architecture: parts[0]! });
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] !== undefined ? { variant: parts[2] } : {}) });
}

export function normalizePlatform(p: Platform): Platform {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'arm64' && (variant === 'v8' || variant === '')) variant = undefined;
  if (arch === 'amd64' && (variant === 'v1' || variant === '')) variant = undefined;
  if (arch === 'armhf') [arch, variant] = ['arm', 'v7'];
  if (arch === 'armel') [arch, variant] = ['arm', 'v6'];
  if (arch === 'arm' && (variant === undefined || variant === '')) variant = 'v7';
  return { os: p.os.toLowerCase(), architecture: arch, ...(variant !== undefined ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, ...(p.variant ? [p.variant] : [])].join('/');
}

export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return w.variant === undefined || h.variant === undefined || w.variant === h.variant;
}

/** The index entry for `want`; NotFound with Docker's message when none fits. */
export function selectManifest(index: Index, want: Platform): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && platformMatches(want, d.platform));
  // An exact variant beats an unspecified one.
  const exact = candidates.find((d) => normalizePlatform(d.platform!).variant === normalizePlatform(want).variant);
  const pick = exact ?? candidates[0];
  if (!pick) throw new NotFound(`no matching manifest for ${formatPlatform(normalizePlatform(want))} in the manifest list entries`);
  return pick;
}

/** Layer media types the engine can unpack (foreign layers, with URLs, are fetched like others). */
export function isLayerMediaType(mt: string): boolean {
  return (
    mt === MediaType.DockerLayer ||
    mt === MediaType.DockerForeignLayer ||
    mt === 'application/vnd.docker.image.rootfs.diff.tar' ||
    mt === MediaType.OciLayer ||
    mt === MediaType.OciLayerGzip ||
    mt === MediaType.OciLayerZstd ||
    mt === 'application/vnd.oci.image.layer.nondistributable.v1.tar' ||
    mt === 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip' ||
    mt === 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd'
  );
}
