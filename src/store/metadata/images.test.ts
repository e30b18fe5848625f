import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageMetadataStore } from './images.js';
import { sha256 } from '../../util/digest.js';

test('references and tag times survive a reload; racing tags all land', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'estiba-meta-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = new ImageMetadataStore(root);
  await store.init();
  const id = sha256('config');
  await store.putImage({ id, layers: [], repoDigests: [] });
  await Promise.all(Array.from({ length: 50 }, (_, i) => store.setRef(`docker.io/library/x:${i}`, id, `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`)));
  await store.setRef('docker.io/library/x:last', id, '2025-06-01T12:00:00Z');
  const reloaded = new ImageMetadataStore(root);
  await reloaded.init();
  assert.equal(reloaded.refsOf(id).length, 51);
  assert.equal(reloaded.lastTagTime(id), '2025-06-01T12:00:00Z');
  await reloaded.deleteRefs(reloaded.refsOf(id));
  await reloaded.deleteImage(id);
  const empty = new ImageMetadataStore(root);
  await empty.init();
  assert.equal(empty.refs().size, 0);
  assert.equal(empty.lastTagTime(id), undefined);
});
