/**
 * Races and hostile inputs found in review: GC against loads in flight, tags against removals,
 * oversized archive members, malformed manifests, and compressed layers through save → load.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { EngineClient } from '../../src/client/client.js';
import { isInvalidParameter, messageOf } from '../../src/errdefs/index.js';
import { buildImageArchive, packTar, sha256, writeOciLayout } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';

let d: EstibadProcess;
let client: EngineClient;
let work: string;

before(async () => {
  d = await startEstibad();
  client = new EngineClient({ host: d.host });
  work = await mkdtemp(join(tmpdir(), 'estiba-robust-'));
});

after(async () => {
  await d.stop();
  await d.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function load(buf: Buffer): Promise<string[]> {
  return (await client.imageLoad(Readable.from([buf]))).map((m) => m.stream ?? '');
}

async function concat(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('garbage collection never takes the blobs of a load in flight', async () => {
  // A big layer makes the GC of its removal slow, so the small load overlaps it.
  const many = Array.from({ length: 8000 }, (_, i) => ({ name: `d${i % 50}/f${i}`, content: `x${i}` }));
  const big = await buildImageArchive({ layers: [many], tag: 'gcrace/big:1' });
  for (let round = 0; round < 3; round++) {
    await load(big.archive);
    const small = await buildImageArchive({ layers: [[{ name: 'r', content: `round ${round}` }]], tag: `gcrace/small:${round}` });
    const removal = client.imageRemove('gcrace/big:1');
    await new Promise((r) => setTimeout(r, 20 * round));
    const loaded = await load(small.archive);
    await removal;
    assert.deepEqual(loaded, [`Loaded image: gcrace/small:${round}\n`]);
    const insp = await client.imageInspect(`gcrace/small:${round}`);
    assert.equal(insp.Id, small.id);
    // Its blobs survived: save reads every one of them.
    assert.ok((await concat(await client.imageSave([`gcrace/small:${round}`]))).length > 0);
  }
});

test('a tag racing a forced removal never leaves a reference to a deleted image', async () => {
  const base = await buildImageArchive({ layers: [[{ name: 'z', content: 'z' }]], tag: 'tagrace:base' });
  for (let i = 0; i < 10; i++) {
    await load(base.archive);
    await Promise.allSettled([client.imageRemove(base.id, { force: true }), client.imageTag(base.id, 'tagrace', `t${i}`)]);
  }
  const { refs } = JSON.parse(await readFile(join(d.dataRoot, 'image', 'refs.json'), 'utf8')) as { refs: Record<string, string> };
  const records = new Set((await readdir(join(d.dataRoot, 'image', 'images'))).map((n) => `sha256:${n.replace(/\.json$/, '')}`));
  for (const [name, id] of Object.entries(refs)) assert.ok(records.has(id), `${name} points at deleted image ${id}`);
});

test('archive members are not held in memory: a flood of 4 MiB files is refused cheaply', async () => {
  const status = async (): Promise<number> => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${d.child.pid}/status`, 'utf8'))![1]);
  const before = await status();
  const p = tarPack();
  const body = Readable.from(
    (async function* () {
      for await (const c of p) yield c as Buffer;
    })(),
  );
  const chunk = Buffer.alloc(4 * 1024 * 1024 - 1024, 7);
  const producing = (async () => {
    for (let i = 0; i < 60; i++) {
      // Distinct contents, so each is a distinct blob.
      chunk.writeUInt32LE(i, 0);
      await new Promise<void>((res, rej) => p.entry({ name: `junk/${i}` }, chunk, (e) => (e ? rej(e) : res())));
    }
    p.finalize();
  })();
  await assert.rejects(client.imageLoad(body), (e: unknown) => isInvalidParameter(e) && /manifest\.json|index\.json/.test(messageOf(e)));
  await producing;
  const grown = (await status()) - before;
  assert.ok(grown < 120 * 1024, `daemon RSS grew by ${grown} KiB for a 240 MB upload of small members`);
});

test('malformed configs and manifests are the client’s error (400), not the server’s', async () => {
  const layer = await packTar([{ name: 'f', content: 'f' }]);
  const layerDigest = sha256(layer);
  const notJsonConfig = Buffer.from('not json at all');
  const cfgDigest = sha256(notJsonConfig);
  const docker = await packTar([
    { name: `${cfgDigest.slice(7)}.json`, content: notJsonConfig },
    { name: 'l/layer.tar', content: layer },
    { name: 'manifest.json', content: JSON.stringify([{ Config: `${cfgDigest.slice(7)}.json`, RepoTags: ['bad:cfg'], Layers: ['l/layer.tar'] }]) },
  ]);
  await assert.rejects(load(docker), (e: unknown) => isInvalidParameter(e));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: 'x', digest: layerDigest, size: layer.length }] }));
  const oci = await packTar([
    { name: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
    { name: `blobs/sha256/${layerDigest.slice(7)}`, content: layer },
    { name: `blobs/sha256/${sha256(manifest).slice(7)}`, content: manifest },
    { name: 'index.json', content: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length }] }) },
  ]);
  await assert.rejects(load(oci), (e: unknown) => isInvalidParameter(e) && /config/.test(messageOf(e)));
});

test('gzip layers keep their media type through save → load → save', async () => {
  const dir = join(work, 'gz.tar');
  await writeOciLayout(dir, { tag: 'gzround/img:1', gzip: true });
  await load(await readFile(dir));
  const mediaTypes = async (): Promise<string[]> => {
    const tar = await concat(await client.imageSave(['gzround/img:1']));
    const { readTar } = await import('../fixtures/images.js');
    const entries = await readTar(tar);
    const index = JSON.parse(entries.find((e) => e.header.name === 'index.json')!.data.toString()) as { manifests: { digest: string }[] };
    const m = entries.find((e) => e.header.name === `blobs/sha256/${index.manifests[0]!.digest.slice(7)}`)!;
    return (JSON.parse(m.data.toString()) as { layers: { mediaType: string }[] }).layers.map((l) => l.mediaType);
  };
  const first = await mediaTypes();
  assert.deepEqual(first, ['application/vnd.oci.image.layer.v1.tar+gzip']);
  const saved = await concat(await client.imageSave(['gzround/img:1']));
  await client.imageRemove('gzround/img:1');
  await load(saved);
  assert.deepEqual(await mediaTypes(), first);
});
