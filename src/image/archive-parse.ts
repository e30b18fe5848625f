import { InvalidParameter, DataLoss } from '../errdefs/index.js';
import type { ContentStore } from '../store/content/store.js';
import { MediaType, type Descriptor, type ImageConfig, type Index, type Manifest } from '../oci/image.js';
import { parseNormalizedReference, withDefaultTag, type Reference } from '../oci/reference.js';
import { isDigest, type Digest } from '../util/digest.js';
import type { ArchiveContents } from './archive-read.js';
import { compressionOf } from '../store/layers/apply.js';

/** One image found in an archive, with its blobs already in the content store. */
export interface ArchiveImage {
  configDigest: Digest;
  config: ImageConfig;
  layers: { digest: Digest; mediaType: string }[];
  tags: Reference[];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

function parseJson<T>(buf: Buffer | undefined, what: string): T {
  if (!buf) throw new InvalidParameter(`invalid archive: ${what} missing`);
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (err) {
    throw new InvalidParameter(`invalid archive: ${what} is not valid JSON`, { cause: err });
  }
}

/** Configs and manifests are small; a bigger one is hostile input, not something to read into memory. */
const MAX_JSON_BLOB = 8 * 1024 * 1024;

async function readJsonBlob<T>(content: ContentStore, d: Digest, what: string): Promise<T> {
  const { size } = await content.info(d);
  if (size > MAX_JSON_BLOB) throw new InvalidParameter(`invalid archive: ${what} ${d} is ${size} bytes, over the ${MAX_JSON_BLOB}-byte limit`);
  const value = parseJson<unknown>(await content.read(d), `${what} ${d}`);
  if (value === null || typeof value !== 'object') throw new InvalidParameter(`invalid archive: ${what} ${d} is not a JSON object`);
  return value as T;
}

function isDescriptor(d: unknown): d is Descriptor {
  return d !== null && typeof d === 'object' && typeof (d as Descriptor).digest === 'string' && isDigest((d as Descriptor).digest);
}

/** The layer media type from the bytes, since docker-archive manifests carry none. */
async function sniffedMediaType(content: ContentStore, d: Digest): Promise<string> {
  switch (compressionOf(await content.head(d, 8))) {
    case 'gzip':
      return MediaType.OciLayerGzip;
    case 'zstd':
      return MediaType.OciLayerZstd;
    default:
      return MediaType.OciLayer;
  }
}

function member(c: ArchiveContents, path: string): Digest {
  if (typeof path !== 'string') throw new InvalidParameter(`invalid archive: member name ${JSON.stringify(path)} is not a string`);
  const d = c.files.get(path.replace(/^\.\//, ''));
  if (!d) throw new InvalidParameter(`invalid archive: ${JSON.stringify(path)} not found in the archive`);
  return d;
}

function checkConfig(cfg: ImageConfig, digest: Digest): ImageConfig {
  if (!cfg || typeof cfg !== 'object' || !cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw new InvalidParameter(`invalid image config ${digest}: no rootfs.diff_ids`);
  }
  for (const d of cfg.rootfs.diff_ids) if (!isDigest(d)) throw new InvalidParameter(`invalid image config ${digest}: bad diff ID ${JSON.stringify(d)}`);
  return cfg;
}

/** A blob under blobs/sha256/<hex> must hash to <hex>: a wrong digest is data loss, not a new image. */
function verifiedBlob(c: ArchiveContents, d: Digest): Digest {
  const got = member(c, `blobs/sha256/${d.slice(7)}`);
  if (got !== d) throw new DataLoss(`invalid archive: blob ${d} has digest ${got}`);
  return got;
}

function parseTag(t: string): Reference {
  try {
    return withDefaultTag(parseNormalizedReference(t));
  } catch (err) {
    throw new InvalidParameter(`invalid archive: bad tag ${JSON.stringify(t)}`, { cause: err });
  }
}

async function fromDockerManifest(c: ArchiveContents, content: ContentStore): Promise<ArchiveImage[]> {
  const entries = parseJson<DockerManifestEntry[]>(c.small.get('manifest.json'), 'manifest.json');
  if (!Array.isArray(entries)) throw new InvalidParameter('invalid archive: manifest.json is not a list');
  const out: ArchiveImage[] = [];
  for (const e of entries) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw new InvalidParameter('invalid archive: malformed manifest.json entry');
    const configDigest = member(c, e.Config);
    const m = /([a-f0-9]{64})(\.json)?$/.exec(e.Config);
    if (m && `sha256:${m[1]}` !== configDigest) throw new DataLoss(`invalid archive: config ${e.Config} has digest ${configDigest}`);
    const config = checkConfig(await readJsonBlob<ImageConfig>(content, configDigest, 'config'), configDigest);
    const layers: ArchiveImage['layers'] = [];
    for (const p of e.Layers) {
      const digest = member(c, p);
      layers.push({ digest, mediaType: await sniffedMediaType(content, digest) });
    }
    out.push({
      configDigest,
      config,
      layers,
      tags: (e.RepoTags ?? []).map(parseTag),
    });
  }
  return out;
}

function nameFromAnnotations(d: Descriptor): Reference | undefined {
  const full = d.annotations?.['io.containerd.image.name'];
  if (full) return parseTag(full);
  const ref = d.annotations?.['org.opencontainers.image.ref.name'];
  // A bare tag ("latest") names no repository: the image loads untagged, as in Docker.
  if (ref && /[/:]|^[a-z0-9]+$/.test(ref) && ref.includes(':')) return parseTag(ref);
  return undefined;
}

async function fromOciLayout(c: ArchiveContents, content: ContentStore): Promise<ArchiveImage[]> {
  const index = parseJson<Index>(c.small.get('index.json'), 'index.json');
  const out: ArchiveImage[] = [];
  const visit = async (d: Descriptor, name: Reference | undefined): Promise<void> => {
    if (!isDescriptor(d)) throw new InvalidParameter(`invalid archive: bad descriptor ${JSON.stringify(d)}`);
    const digest = verifiedBlob(c, d.digest);
    const doc = await readJsonBlob<Manifest | Index>(content, digest, 'manifest');
    if ('manifests' in doc && Array.isArray(doc.manifests)) {
      const pick = doc.manifests.find((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === 'amd64'));
      if (!pick) throw new InvalidParameter('invalid archive: no linux/amd64 image in index');
      await visit(pick, name);
      return;
    }
    const m = doc as Manifest;
    if (!isDescriptor(m.config) || !Array.isArray(m.layers) || !m.layers.every(isDescriptor)) {
      throw new InvalidParameter(`invalid archive: manifest ${digest} lacks a config or layers descriptor`);
    }
    const configDigest = verifiedBlob(c, m.config.digest);
    const config = checkConfig(await readJsonBlob<ImageConfig>(content, configDigest, 'config'), configDigest);
    out.push({
      configDigest,
      config,
      layers: m.layers.map((l) => ({ digest: verifiedBlob(c, l.digest), mediaType: l.mediaType })),
      tags: name ? [name] : [],
    });
  };
  if (!Array.isArray(index.manifests)) throw new InvalidParameter('invalid archive: index.json has no manifests list');
  for (const d of index.manifests) await visit(d, isDescriptor(d) ? nameFromAnnotations(d) : undefined);
  return out;
}

/**
 * Find the images in an archive: `manifest.json` (docker save, any version) wins, since it
 * carries RepoTags; a bare OCI layout (`index.json`) is read otherwise.
 */
export async function parseArchiveImages(c: ArchiveContents, content: ContentStore): Promise<ArchiveImage[]> {
  if (c.small.has('manifest.json')) return fromDockerManifest(c, content);
  if (c.small.has('index.json')) return fromOciLayout(c, content);
  throw new InvalidParameter('invalid archive: neither manifest.json nor index.json found (not a docker save or OCI layout tar)');
}

