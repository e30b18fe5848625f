import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Pack } from 'tar-stream';
import type { ContentStore } from '../store/content/store.js';
import { MediaType, type Index, type Manifest } from '../oci/image.js';
import { familiarString, referenceString, type Reference } from '../oci/reference.js';
import type { ImageRecord } from '../store/metadata/images.js';
import { hexOf, sha256, type Digest } from '../util/digest.js';

export interface SaveItem {
  image: ImageRecord;
  config: Buffer;
  tags: Reference[];
}

const EPOCH = new Date(0);

function addBuffer(p: Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    p.entry({ name, size: data.length, mode: 0o444, mtime: EPOCH }, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function addBlob(p: Pack, content: ContentStore, digest: Digest): Promise<void> {
  const { size } = await content.info(digest);
  const entry = p.entry({ name: `blobs/sha256/${hexOf(digest)}`, size, mode: 0o444, mtime: EPOCH });
  await pipeline(content.createReadStream(digest), entry);
}

/**
 * Write the archive `docker save` writes since Docker 25: an OCI image layout (oci-layout,
 * index.json, blobs/sha256/…) plus the legacy manifest.json that points into blobs/, so
 * both `docker load` (old and new) and OCI tools read it. Layer blobs go out as stored
 * (possibly compressed); docker load decompresses them.
 */
export async function writeArchive(opts: {
  items: readonly SaveItem[];
  content: ContentStore;
  out: Writable;
  signal?: AbortSignal;
}): Promise<void> {
  const p = tarPack();
  const done = pipeline(p, opts.out, { signal: opts.signal });
  const produce = async (): Promise<void> => {
    const written = new Set<Digest>();
    const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    const legacy: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    for (const item of opts.items) {
      for (const l of item.image.layers) {
        if (written.has(l.blob)) continue;
        written.add(l.blob);
        await addBlob(p, opts.content, l.blob);
      }
      if (!written.has(item.image.id)) {
        written.add(item.image.id);
        await addBuffer(p, `blobs/sha256/${hexOf(item.image.id)}`, item.config);
      }
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: item.image.id, size: item.config.length },
        layers: await Promise.all(
          item.image.layers.map(async (l) => ({
            mediaType: l.mediaType,
            digest: l.blob,
            size: (await opts.content.info(l.blob)).size,
          })),
        ),
      };
      const mBytes = Buffer.from(JSON.stringify(manifest));
      const mDigest = sha256(mBytes);
      if (!written.has(mDigest)) {
        written.add(mDigest);
        await addBuffer(p, `blobs/sha256/${hexOf(mDigest)}`, mBytes);
      }
      const desc = { mediaType: MediaType.OciManifest, digest: mDigest, size: mBytes.length };
      if (item.tags.length === 0) index.manifests.push(desc);
      for (const t of item.tags) {
        index.manifests.push({
          ...desc,
          annotations: {
            'io.containerd.image.name': referenceString(t),
            'org.opencontainers.image.ref.name': t.tag ?? 'latest',
          },
        });
      }
      legacy.push({
        Config: `blobs/sha256/${hexOf(item.image.id)}`,
        RepoTags: item.tags.map(familiarString),
        Layers: item.image.layers.map((l) => `blobs/sha256/${hexOf(l.blob)}`),
      });
    }
    await addBuffer(p, 'index.json', Buffer.from(JSON.stringify(index)));
    await addBuffer(p, 'manifest.json', Buffer.from(JSON.stringify(legacy)));
    await addBuffer(p, 'oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    p.finalize();
  };
  await Promise.all([produce().catch((err: unknown) => {
    p.destroy(err as Error);
    throw err;
  }), done]);
}
