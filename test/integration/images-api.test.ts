import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { EngineClient } from '../../src/client/client.js';
import type { EventMessage } from '../../src/api/types.js';
import { isNotFound, isInvalidParameter, isConflict, messageOf } from '../../src/errdefs/index.js';
import { buildImageArchive, busyboxImageParts, writeBusyboxArchive, writeOciLayout, packTar, readTar } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { readFile } from 'node:fs/promises';

let d: EstibadProcess;
let client: EngineClient;
let work: string;

before(async () => {
  d = await startEstibad();
  client = new EngineClient({ host: d.host });
  work = await mkdtemp(join(tmpdir(), 'estiba-images-test-'));
});

after(async () => {
  await d.stop();
  await d.cleanup();
  await rm(work, { recursive: true, force: true });
});

function rawRequest(method: string, path: string, body?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function loadBuffer(buf: Buffer): Promise<string[]> {
  const msgs = await client.imageLoad(Readable.from([buf]));
  return msgs.map((m) => m.stream ?? '').filter((s) => s !== '');
}

test('load a docker-archive: listed, inspected, history, image ID = config digest', async () => {
  const path = join(work, 'busybox.tar');
  const info = await writeBusyboxArchive(path, { tag: 'busybox:latest' });
  const out = await loadBuffer(await readFile(path));
  assert.deepEqual(out, ['Loaded image: busybox:latest\n']);
  const list = await client.imageList();
  const bb = list.find((i) => i.RepoTags.includes('busybox:latest'));
  assert.ok(bb, 'busybox:latest listed');
  assert.equal(bb.Id, info.id);
  assert.ok(bb.Size > 1_000_000, `size ${bb.Size} counts the busybox binary`);
  const insp = await client.imageInspect('busybox');
  assert.equal(insp.Id, info.id);
  assert.deepEqual(insp.RootFS.Layers, info.diffIds);
  assert.deepEqual(insp.Config?.Cmd, ['sh']);
  assert.equal(insp.GraphDriver.Name, 'overlay2');
  assert.ok(existsSync(join(insp.GraphDriver.Data!.UpperDir!, 'bin', 'busybox')), 'layer unpacked on disk');
  const hist = await client.imageHistory('busybox:latest');
  assert.equal(hist[0]!.Id, info.id);
  assert.deepEqual(hist[0]!.Tags, ['busybox:latest']);
  // By short ID prefix, too.
  assert.equal((await client.imageInspect(info.id.slice(7, 19))).Id, info.id);
});

test('tag, untag and delete follow Docker semantics', async () => {
  await client.imageTag('busybox', 'example.com:5000/team/bb', 'v1');
  const insp = await client.imageInspect('busybox');
  // In the order of their full names (docker.io/library/busybox:latest < example.com:5000/…), as dockerd lists them.
  assert.deepEqual(insp.RepoTags, ['busybox:latest', 'example.com:5000/team/bb:v1']);
  await client.imageTag('busybox', 'zz/bb', '1');
  await client.imageTag('busybox', 'aa/bb', '1');
  // docker.io/aa/… < docker.io/library/… < docker.io/zz/… < example.com:5000/…
  assert.deepEqual((await client.imageInspect('busybox')).RepoTags, ['aa/bb:1', 'busybox:latest', 'zz/bb:1', 'example.com:5000/team/bb:v1']);
  await client.imageRemove('zz/bb:1');
  await client.imageRemove('aa/bb:1');
  await assert.rejects(client.imageRemove(insp.Id.slice(7, 19)), (e: unknown) => {
    assert.ok(isConflict(e));
    assert.match(messageOf(e), /must be forced\) - image is referenced in multiple repositories/);
    return true;
  });
  assert.deepEqual(await client.imageRemove('example.com:5000/team/bb:v1'), [{ Untagged: 'example.com:5000/team/bb:v1' }]);
  await assert.rejects(client.imageTag('busybox', 'Bad/Upper'), (e: unknown) => isInvalidParameter(e));
});

test('rmi by ID needs force for two tags, even in one repository', async () => {
  const { archive, id, chainIds } = await buildImageArchive({ layers: [[{ name: 'rmi-by-id', content: 'x' }]], tag: 'rmi/a:1' });
  await loadBuffer(archive);
  await client.imageTag('rmi/a:1', 'rmi/a', '2');
  const short = id.slice(7, 19);
  await assert.rejects(client.imageRemove(short), (e: unknown) => {
    assert.ok(isConflict(e));
    assert.equal(messageOf(e), `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    return true;
  });
  assert.deepEqual(await client.imageRemove('rmi/a:2'), [{ Untagged: 'rmi/a:2' }]);
  assert.deepEqual(await client.imageRemove(short), [{ Untagged: 'rmi/a:1' }, { Deleted: id }, { Deleted: chainIds[0] }]);
});

test('save then load into a fresh daemon keeps the image ID', async () => {
  const id = (await client.imageInspect('busybox')).Id;
  const tar = await client.imageSave(['busybox:latest']);
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  const other = await startEstibad();
  try {
    const c2 = new EngineClient({ host: other.host });
    const msgs = await c2.imageLoad(Readable.from([Buffer.concat(chunks)]));
    assert.deepEqual(msgs.map((m) => m.stream), ['Loaded image: busybox:latest\n']);
    assert.equal((await c2.imageInspect('busybox')).Id, id);
  } finally {
    await other.stop();
    await other.cleanup();
  }
});

test('times are shown as Go RFC3339Nano, as dockerd shows them', async () => {
  const { archive } = await buildImageArchive({ layers: [[{ name: 't', content: 't' }]], config: { created: '2026-11-22T16:51:04.040Z' }, tag: 'times:1' });
  await loadBuffer(archive);
  const insp = await client.imageInspect('times:1');
  assert.equal(insp.Created, '2026-11-22T16:51:04.04Z');
  assert.match(insp.Metadata.LastTagTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$/);
  await client.imageRemove('times:1');
});

test('load an OCI image layout tar', async () => {
  const dir = join(work, 'oci.tar');
  const info = await writeOciLayout(dir, { tag: 'oci/busybox:1.0' });
  const out = await loadBuffer(await readFile(dir));
  assert.equal(out.length, 1);
  assert.equal((await client.imageInspect(info.id)).Id, info.id);
});

test('import a rootfs tar with changes', async () => {
  const parts = await busyboxImageParts();
  const rootfs = parts.layers[0]!;
  const id = await client.imageImport(Readable.from([rootfs]), {
    repo: 'imported',
    tag: 'v2',
    changes: ['CMD ["echo","hi"]', 'ENV FOO=bar', 'WORKDIR /tmp', 'EXPOSE 8080'],
    message: 'from a test',
  });
  const insp = await client.imageInspect('imported:v2');
  assert.equal(insp.Id, id);
  assert.deepEqual(insp.Config?.Cmd, ['echo', 'hi']);
  assert.deepEqual(insp.Config?.Env, ['FOO=bar']);
  assert.equal(insp.Config?.WorkingDir, '/tmp');
  assert.deepEqual(insp.Config?.ExposedPorts, { '8080/tcp': {} });
  assert.equal(insp.Comment, 'from a test');
  // Without a message the comment is Docker's default, taken from the history as dockerd does.
  const plain = await client.imageImport(Readable.from([rootfs]), {});
  assert.equal((await client.imageInspect(plain)).Comment, 'Imported from -');
  await client.imageRemove(plain);
  // The busybox fixture's config has no comment of its own, only in its history.
  assert.equal((await client.imageInspect('busybox')).Comment, 'estiba test fixture');
  await assert.rejects(client.imageImport(Readable.from([rootfs]), { changes: ['BOGUS x'] }), (e: unknown) => {
    assert.ok(isInvalidParameter(e));
    assert.equal(messageOf(e), 'bogus is not a valid change command');
    return true;
  });
  assert.deepEqual((await client.imageRemove('imported:v2')).map((x) => Object.keys(x)[0]), ['Untagged', 'Deleted']); // its one layer is busybox's, shared, so it stays
});

test('unknown images, endpoints and malformed filters get Docker errors', async () => {
  await assert.rejects(client.imageInspect('nope'), (e: unknown) => isNotFound(e) && messageOf(e) === 'No such image: nope:latest');
  await assert.rejects(client.imageRemove('nope:1'), (e: unknown) => isNotFound(e) && messageOf(e) === 'No such image: nope:1');
  const r = await rawRequest('GET', '/v1.45/nothing/here');
  assert.equal(r.status, 404);
  assert.deepEqual(JSON.parse(r.body), { message: 'page not found' });
  const bad = await rawRequest('GET', '/images/json?filters=%7Bnot-json');
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body).message, /invalid filter/);
  const badKey = await rawRequest('GET', '/images/json?filters=' + encodeURIComponent('{"color":{"red":true}}'));
  assert.equal(badKey.status, 400);
  assert.equal(JSON.parse(badKey.body).message, "invalid filter 'color'");
  const tooNew = await rawRequest('GET', '/v9.99/version');
  assert.equal(tooNew.status, 400);
  assert.match(JSON.parse(tooNew.body).message, /client version 9.99 is too new/);
});

async function storeSnapshot(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of await readdir(dir)) {
      const p = join(dir, name);
      out.push(p);
      if ((await stat(p)).isDirectory() && !p.endsWith('/diff')) await walk(p);
    }
  };
  await walk(d.dataRoot);
  return out.filter((p) => !p.includes('/ingest/')).sort();
}

test('hostile layers are refused and leave the store as it was', async () => {
  const before = await storeSnapshot();
  const imagesBefore = await client.imageList({ all: true });
  const outside = join(tmpdir(), `estiba-escape-${process.pid}`);
  const cases: [string, Buffer][] = [
    ['dotdot', await packTar([{ name: '../../../../../../..' + outside, content: 'x' }])],
    ['symlink-escape', await packTar([{ name: 'a', type: 'symlink', linkname: tmpdir() }, { name: `a/estiba-escape-${process.pid}`, content: 'x' }])],
    ['hardlink-escape', await packTar([{ name: 'h', type: 'link', linkname: '../../../../etc/passwd' }])],
  ];
  for (const [name, layer] of cases) {
    const { archive } = await buildImageArchive({ layers: [layer], tag: `hostile/${name}:latest` });
    await assert.rejects(loadBuffer(archive), (e: unknown) => {
      assert.ok(isInvalidParameter(e), `${name}: ${messageOf(e)}`);
      return true;
    });
    assert.equal(existsSync(outside), false, `${name} wrote outside the layer`);
  }
  assert.deepEqual(await client.imageList({ all: true }), imagesBefore);
  assert.deepEqual(await storeSnapshot(), before);
});

test('truncated archives and wrong digests are refused without a partial image', async () => {
  const imagesBefore = await client.imageList({ all: true });
  const { archive } = await buildImageArchive({ layers: [[{ name: 'f', content: 'x'.repeat(10000) }]], tag: 'trunc:latest' });
  await assert.rejects(loadBuffer(archive.subarray(0, Math.floor(archive.length / 2))), (e: unknown) => isInvalidParameter(e));
  // A layer whose bytes do not match the config's diff ID: same archive, layer.tar swapped.
  const good = await buildImageArchive({ layers: [[{ name: 'f', content: 'good' }]], tag: 'wrongdigest:latest' });
  const evilLayer = await packTar([{ name: 'f', content: 'evil' }]);
  const entries = await readTar(good.archive);
  const forged = await packTar(
    entries.map((e) => ({
      name: e.header.name,
      type: e.header.type as 'file' | 'directory' | 'symlink',
      linkname: e.header.linkname ?? undefined,
      content: e.header.name.endsWith('layer.tar') ? evilLayer : e.data,
    })),
  );
  await assert.rejects(loadBuffer(forged), (e: unknown) => /diff ID|digest/.test(messageOf(e)));
  assert.deepEqual(await client.imageList({ all: true }), imagesBefore);
});

test('a body that is not a tar is refused at once, small or large, and the store is untouched', { timeout: 30_000 }, async () => {
  const imagesBefore = await client.imageList({ all: true });
  // Small enough to arrive whole, and big enough to still be in flight when the error is found.
  for (const size of [2_600, 64 * 1024 * 1024]) {
    const garbage = Buffer.alloc(size, 'this is not a tar archive\n');
    const t0 = Date.now();
    const r = await rawRequest('POST', '/v1.45/images/load', garbage);
    assert.equal(r.status, 400, r.body);
    assert.match(JSON.parse(r.body).message, /^invalid archive: /);
    assert.ok(Date.now() - t0 < 10_000, `answered after ${Date.now() - t0} ms`);
  }
  assert.deepEqual(await client.imageList({ all: true }), imagesBefore);
});

test('events stream image actions with filters', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await client.imageTag('busybox', 'evt', 'one');
  await client.imageRemove('evt:one');
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const seen: string[] = [];
  await client.events({ since, until, filters: new Map([['type', ['image']], ['image', ['evt']]]) }, (e) => seen.push(`${e.Action} ${e.Actor.Attributes.name ?? ''}`));
  assert.deepEqual(seen, ['tag evt:one', 'untag evt:one']);
});

test('events with an until just ahead always end once it has passed', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 40; i++) {
    const until = ((Date.now() + (i % 8)) / 1000).toFixed(3);
    const t0 = Date.now();
    // The signal only keeps a hung stream from hanging the test; the assertion below reports it.
    await client.events({ since: String(Math.floor(Date.now() / 1000) - 5), until, signal: AbortSignal.timeout(3_000) }, () => undefined);
    assert.ok(Date.now() - t0 < 2_000, `round ${i}: events returned ${Date.now() - t0} ms after a request with until=${until}`);
  }
});

test('image events carry labels and a name, unknown filter keys are ignored, since after until is refused', async () => {
  const since = (Date.now() / 1000 - 1).toFixed(3);
  const { archive, id } = await buildImageArchive({
    layers: [[{ name: 'evl', content: 'labels' }]],
    config: { config: { Labels: { 'com.example.team': 'blue' } } },
    tag: 'evl:1',
  });
  await loadBuffer(archive);
  await client.imageTag('evl:1', 'evl', '2');
  await client.imageRemove('evl:2');
  const saved = await client.imageSave(['evl:1']);
  for await (const _ of saved) void _;
  await client.imageRemove('evl:1');
  const until = (Date.now() / 1000 + 0.05).toFixed(3);
  const seen: string[] = [];
  const show = (e: EventMessage): void => {
    seen.push(`${e.Action} ${JSON.stringify(e.Actor.Attributes)}`);
  };
  await client.events({ since, until, filters: new Map([['label', ['com.example.team=blue']], ['no-such-key', ['x']]]) }, show);
  const named = (name: string): string => JSON.stringify({ 'com.example.team': 'blue', name });
  assert.deepEqual(seen, [`load ${named(id)}`, `tag ${named('evl:2')}`, `untag ${named('evl:2')}`, `save ${named(id)}`, `untag ${named('evl:1')}`]);
  seen.length = 0;
  await client.events({ since, until, filters: new Map([['image', [id]], ['event', ['delete']]]) }, show);
  assert.deepEqual(seen, [`delete ${JSON.stringify({ name: id })}`]);
  const r = await rawRequest('GET', `/events?since=${until}&until=${since}`);
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).message, `\`since\` time (${until}) cannot be after \`until\` time (${since})`);
});

test('system df and info report the images', async () => {
  const df = await client.systemDf();
  assert.ok(df.LayersSize > 0);
  assert.ok(df.Images.some((i) => i.RepoTags.includes('busybox:latest')));
  // The 20.10 CLI prints an image's VirtualSize in `system df -v`; API < 1.44 carries it.
  const old = JSON.parse((await rawRequest('GET', '/v1.41/system/df')).body) as { Images: { Size: number; VirtualSize?: number }[] };
  assert.ok(old.Images.length > 0);
  for (const i of old.Images) assert.equal(i.VirtualSize, i.Size);
  const current = JSON.parse((await rawRequest('GET', '/v1.45/system/df')).body) as { Images: { VirtualSize?: number }[] };
  for (const i of current.Images) assert.equal(i.VirtualSize, undefined);
  const info = await client.info();
  assert.equal(info.Driver, 'overlay2');
  assert.equal(info.DockerRootDir, d.dataRoot);
  assert.ok((info.Images as number) >= 1);
});
