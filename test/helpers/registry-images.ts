/**
 * Images put into a test registry by hand (not through the system under test): layers as
 * gzip, zstd (the zstd binary) or plain tar, Docker or OCI manifests, OCI indexes of several
 * platforms. The busybox layer can go underneath, so the pulled image runs.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { busyboxLayerEntries, packTar, sha256, type TarEntrySpec } from '../fixtures/images.js';
import { putBlob, putManifest, type TestRegistry } from './registry.js';

export type LayerCompression = 'gzip' | 'zstd' | 'none';

export interface HandLayer {
  entries: TarEntrySpec[];
  compression: LayerCompression;
}

export interface HandImage {
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  manifest: { mediaType: string; config: object; layers: { mediaType: string; digest: string; size: number }[] };
}

export function compress(tar: Buffer, c: LayerCompression): Buffer {
  if (c === 'gzip') return gzipSync(tar);
  if (c === 'none') return tar;
  const r = spawnSync('zstd', ['-q', '-c', '-3'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd: ${r.stderr.toString()}`);
  return r.stdout;
}

const OCI_LAYER: Record<LayerCompression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

export async function busyboxLayer(compression: LayerCompression = 'gzip'): Promise<HandLayer> {
  return { entries: await busyboxLayerEntries(), compression };
}

/** Pushes one image (OCI manifest) under `reference`; `platform` goes into its config. */
export async function pushHandImage(
  reg: TestRegistry,
  repo: string,
  reference: string | undefined,
  o: { layers: HandLayer[]; platform?: { os: string; architecture: string; variant?: string }; label?: string },
): Promise<HandImage> {
  const diffIds: string[] = [];
  const descs: { mediaType: string; digest: string; size: number }[] = [];
  for (const l of o.layers) {
    const tar = await packTar(l.entries);
    diffIds.push(sha256(tar));
    const blob = compress(tar, l.compression);
    descs.push({ mediaType: OCI_LAYER[l.compression], digest: await putBlob(reg, repo, blob), size: blob.length });
  }
  const p = o.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = Buffer.from(
    JSON.stringify({
      architecture: p.architecture,
      os: p.os,
      ...(p.variant ? { variant: p.variant } : {}),
      created: '2024-01-01T00:00:00Z',
      config: { Env: ['PATH=/bin'], Cmd: ['sh'], Labels: { 'org.estiba.test': o.label ?? 'hand' } },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: diffIds.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'hand' })),
    }),
  );
  const configDigest = await putBlob(reg, repo, config);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: descs,
  };
  const m = await putManifest(reg, repo, reference ?? `sha256:${sha256(JSON.stringify(manifest)).slice(7)}`, manifest);
  return { manifestDigest: m.digest, manifestSize: m.size, configDigest, manifest };
}

/** Pushes an OCI index of the given images under `tag`. */
export async function pushHandIndex(
  reg: TestRegistry,
  repo: string,
  tag: string,
  entries: { image: HandImage; platform: { os: string; architecture: string; variant?: string } }[],
): Promise<string> {
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries.map((e) => ({ mediaType: e.image.manifest.mediaType, digest: e.image.manifestDigest, size: e.image.manifestSize, platform: e.platform })),
  };
  return (await putManifest(reg, repo, tag, index)).digest;
}
