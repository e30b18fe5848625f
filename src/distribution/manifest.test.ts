import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, parsePlatform, selectManifest } from './manifest.js';
import type { Index } from '../oci/image.js';
import { isNotFound, isNotImplemented, isInvalidParameter } from '../errdefs/index.js';

const d = (c: string): `sha256:${string}` => `sha256:${c.repeat(64)}`;

test('parseManifest: schema2, index, schema1 refused, garbage refused', () => {
  const m = parseManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'x', digest: d('a'), size: 1 }, layers: [] })),
    undefined,
  );
  assert.equal(m.kind, 'manifest');
  const i = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] })), 'application/vnd.oci.image.index.v1+json');
  assert.equal(i.kind, 'index');
  assert.equal(i.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined), isNotImplemented);
  assert.throws(() => parseManifest(Buffer.from('<html>'), undefined), isInvalidParameter);
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":2,"config":{"digest":"x"},"layers":[]}'), undefined), isInvalidParameter);
});

test('selectManifest: os/arch/variant, arm64 normalisation, Docker message when nothing fits', () => {
  const index: Index = {
    schemaVersion: 2,
    manifests: [
      { mediaType: 'm', digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: 'm', digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: 'm', digest: d('3'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: 'm', digest: d('4'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  };
  assert.equal(selectManifest(index, parsePlatform('linux/amd64')).digest, d('4'));
  assert.equal(selectManifest(index, parsePlatform('linux/arm64')).digest, d('3'));
  assert.equal(selectManifest(index, parsePlatform('linux/arm/v6')).digest, d('1'));
  assert.equal(selectManifest(index, parsePlatform('linux/arm')).digest, d('2'));
  assert.throws(() => selectManifest(index, parsePlatform('linux/s390x')), (e: Error) => isNotFound(e) && e.message === 'no matching manifest for linux/s390x in the manifest list entries');
});
