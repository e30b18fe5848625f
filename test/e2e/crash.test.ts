// kill -9 of estibad in the middle of `docker load` of a ~200 MB, 5-layer image, at several
// points of the load, then a restart on the same roots: the store must be consistent (the image
// whole or absent, nothing half-written left), and the load must then succeed. Also: one daemon
// per data root.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerCli, DOCKER_CLI_PATHS, type DockerCliResult } from '../helpers/docker-peer.js';
import { ESTIBAD, startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { requireExecutable } from '../helpers/e2e.js';
import { writeBusyboxArchive, writeRandomImageArchive, type ImageArchiveInfo } from '../fixtures/images.js';

const LAYERS = 5;
const LAYER_SIZE = 40 * 1024 * 1024;
const TAG = 'estiba-random:crash';

let work: string;
let dataRoot: string;
let execRoot: string;
let est: EstibadProcess | undefined;
let big: ImageArchiveInfo;
let bigTar: string;
let bb: ImageArchiveInfo;

before(async () => {
  requireExecutable(DOCKER_CLI_PATHS.docker28, 'the docker CLI');
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-crash-'));
  dataRoot = join(work, 'data');
  execRoot = join(work, 'exec');
  bigTar = join(work, 'random.tar');
  big = await writeRandomImageArchive(bigTar, { layers: LAYERS, layerSize: LAYER_SIZE, seed: 'crash', tag: TAG });
  const bbTar = join(work, 'busybox.tar');
  bb = await writeBusyboxArchive(bbTar);
  est = await startEstibad({ dataRoot, execRoot });
  // An image that is there all along: crashes must not touch it.
  assert.equal((await docker(['load', '-i', bbTar])).stdout, 'Loaded image: busybox:latest\n');
});

after(async () => {
  if (est) await est.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function docker(args: string[]): Promise<DockerCliResult> {
  assert.ok(est, 'estibad is not running');
  return dockerCli(args, { host: est.host, timeoutMs: 60_000 });
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return [];
    throw err;
  }
}

/** What the load has reached, from the data root alone. */
async function progress(): Promise<{ ingestBytes: number; layersDone: number; unpacking: boolean; recordWritten: boolean }> {
  let ingestBytes = 0;
  for (const n of await names(join(dataRoot, 'content', 'ingest'))) {
    try {
      ingestBytes += (await stat(join(dataRoot, 'content', 'ingest', n))).size;
    } catch (err) {
      // Committed (renamed away) between readdir and stat.
      if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
    }
  }
  const layers = await names(join(dataRoot, 'layers'));
  const chains = new Set(big.chainIds.map((c) => c.slice(7)));
  const records = await names(join(dataRoot, 'image', 'images'));
  return {
    ingestBytes,
    layersDone: layers.filter((n) => chains.has(n)).length,
    unpacking: layers.some((n) => n.startsWith('.tmp-')),
    recordWritten: records.includes(`${big.id.slice(7)}.json`),
  };
}

/** Every `.tmp-` file or directory under the data root (outside layer contents), and ingest leftovers. */
async function leftovers(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (ent.name.startsWith('.tmp-')) found.push(p);
      else if (ent.isDirectory() && ent.name !== 'diff') await walk(p);
    }
  };
  await walk(dataRoot);
  for (const n of await names(join(dataRoot, 'content', 'ingest'))) found.push(join(dataRoot, 'content', 'ingest', n));
  return found;
}

/** After a restart: the store answers, busybox is intact, the big image is whole or gone without a trace. */
async function assertConsistent(label: string): Promise<'present' | 'absent'> {
  const list = await docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
  assert.equal(list.code, 0, `${label}: docker images: ${list.stderr}`);
  assert.deepEqual(await leftovers(), [], `${label}: temp files left after restart`);
  const bbInspect = await docker(['image', 'inspect', '-f', '{{.Id}} {{.GraphDriver.Data.UpperDir}}', 'busybox']);
  assert.equal(bbInspect.code, 0, `${label}: busybox: ${bbInspect.stderr}`);
  const [bbId, bbUpper] = bbInspect.stdout.trim().split(' ');
  assert.equal(bbId, bb.id);
  assert.equal((await stat(join(bbUpper!, 'bin', 'busybox'))).isFile(), true, `${label}: busybox layer content`);

  const inspect = await docker(['image', 'inspect', TAG]);
  const all = await docker(['images', '-aq', '--no-trunc']);
  if (inspect.code === 0) {
    const [img] = JSON.parse(inspect.stdout) as { Id: string; RootFS: { Layers: string[] }; GraphDriver: { Data: { UpperDir: string; LowerDir?: string } } }[];
    assert.equal(img!.Id, big.id, `${label}: image ID`);
    assert.deepEqual(img!.RootFS.Layers, big.diffIds, `${label}: layers`);
    // Top layer first in the overlay lower/upper order; layer i holds random/layer-i.bin.
    const dirs = [img!.GraphDriver.Data.UpperDir, ...(img!.GraphDriver.Data.LowerDir ?? '').split(':').filter((d) => d !== '')];
    assert.equal(dirs.length, LAYERS, `${label}: layer directories`);
    for (const [i, dir] of dirs.reverse().entries()) {
      const st = await stat(join(dir, 'random', `layer-${i}.bin`));
      assert.equal(st.size, LAYER_SIZE, `${label}: ${dir}/random/layer-${i}.bin`);
    }
    assert.match(list.stdout, new RegExp(`^${TAG} ${big.id.slice(7, 19)}$`, 'm'));
    return 'present';
  }
  assert.equal(inspect.stderr, `Error response from daemon: No such image: ${TAG}\n`, `${label}: ${inspect.stderr}`);
  // Absent means absent: no untagged half-image, and nothing of it kept on disk.
  assert.deepEqual(all.stdout.trim().split('\n'), [bb.id], `${label}: images after a crash that lost the load`);
  const layers = (await names(join(dataRoot, 'layers'))).sort();
  assert.deepEqual(layers, [bb.chainIds[0]!.slice(7)], `${label}: layer directories`);
  const blobs = (await names(join(dataRoot, 'content', 'blobs', 'sha256'))).length;
  assert.ok(blobs <= 4, `${label}: ${blobs} blobs remain, busybox needs at most its config, layer and archive files`);
  assert.deepEqual(await names(join(dataRoot, 'image', 'images')), [`${bb.id.slice(7)}.json`], `${label}: image records`);
  return 'absent';
}

interface KillPoint {
  name: string;
  /** Resolves true when it is time to kill. */
  reached(elapsedMs: number): Promise<boolean>;
}

const KILL_POINTS: KillPoint[] = [
  { name: 'after 300 ms', reached: async (ms) => ms >= 300 },
  { name: 'with 40 MB of the upload received', reached: async () => (await progress()).ingestBytes >= 40 * 1024 * 1024 },
  { name: 'while the first layer is unpacked', reached: async () => (await progress()).unpacking },
  { name: 'with two layers unpacked', reached: async () => (await progress()).layersDone >= 2 },
  { name: 'when the image record appears', reached: async () => (await progress()).recordWritten },
  { name: 'after 1 s', reached: async (ms) => ms >= 1000 },
];

test('kill -9 during docker load: after a restart the image is whole or absent, and loading again works', { timeout: 170_000 }, async (t) => {
  let interrupted = 0;
  for (const point of KILL_POINTS) {
    // Start from a store without the big image, so every load really writes it.
    if ((await docker(['image', 'inspect', TAG])).code === 0) assert.equal((await docker(['rmi', TAG])).code, 0);
    const cli = spawn(DOCKER_CLI_PATHS.docker28, ['load', '-i', bigTar], {
      env: { PATH: process.env.PATH, DOCKER_HOST: est!.host, DOCKER_CONFIG: join(work, 'docker-config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let cliOut = '';
    cli.stdout.on('data', (d: Buffer) => (cliOut += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (cliOut += d.toString()));
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    let cliDone = false;
    void cliExit.then(() => (cliDone = true));
    const t0 = Date.now();
    let hit = false;
    while (!cliDone && Date.now() - t0 < 60_000) {
      if (await point.reached(Date.now() - t0)) {
        hit = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const at = await progress();
    await est!.kill9();
    const code = await cliExit;
    if (hit && code !== 0) interrupted++;
    t.diagnostic(
      `kill point "${point.name}": killed after ${Date.now() - t0} ms (${(at.ingestBytes / 2 ** 20).toFixed(0)} MiB in ingest, ` +
        `${at.layersDone} layers done${at.unpacking ? ', unpacking' : ''}${at.recordWritten ? ', record written' : ''}); docker load exited ${code}`,
    );
    if (code === 0) assert.match(cliOut, /Loaded image: estiba-random:crash/);
    else assert.doesNotMatch(cliOut, /Loaded image/, `docker load reported success but exited ${code}`);

    // Restart on the same roots: the stale lock of the killed daemon is taken over.
    est = await startEstibad({ dataRoot, execRoot });
    const state = await assertConsistent(point.name);
    t.diagnostic(`  → after restart the image is ${state}`);
    if (code === 0) assert.equal(state, 'present', 'a load the CLI saw succeed survives the crash');
  }
  assert.ok(interrupted >= 3, `only ${interrupted} of the ${KILL_POINTS.length} kill points interrupted the load`);

  // And a load after all that succeeds and leaves the image whole.
  if ((await docker(['image', 'inspect', TAG])).code === 0) assert.equal((await docker(['rmi', TAG])).code, 0);
  const load = await docker(['load', '-i', bigTar]);
  assert.equal(load.code, 0, load.stderr);
  assert.equal(load.stdout, `Loaded image: ${TAG}\n`);
  assert.equal(await assertConsistent('final load'), 'present');
  // The image survives a clean restart too.
  await est!.stop();
  est = await startEstibad({ dataRoot, execRoot });
  assert.equal(await assertConsistent('clean restart'), 'present');
});

test('half-written records and temp files from a crash at any other instant are repaired at start', async () => {
  await est!.kill9();
  const ghost = `sha256:${'ab'.repeat(32)}`;
  const plant: [string, string][] = [
    [join(dataRoot, 'image', '.tmp-refs.json-99999-deadbeef'), '{"docker.io/library/half:latest"'],
    [join(dataRoot, 'image', 'images', '.tmp-x.json-99999-deadbeef'), '{'],
    [join(dataRoot, '.tmp-engine-id-99999-deadbeef'), ''],
    [join(dataRoot, 'content', 'ingest', '.tmp-blob-99999-deadbeef'), 'partial blob'],
    [join(dataRoot, 'layers', '.tmp-0123456789ab-deadbeef', 'diff', 'f'), 'partial layer'],
    // A record whose layers never made it, and a reference to an image that has no record.
    [join(dataRoot, 'image', 'images', `${ghost.slice(7)}.json`), JSON.stringify({ id: ghost, layers: [{ diffId: `sha256:${'cd'.repeat(32)}`, blob: `sha256:${'ef'.repeat(32)}`, mediaType: 'application/vnd.oci.image.layer.v1.tar' }], repoDigests: [] })],
  ];
  for (const [path, content] of plant) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
  // A crash between recording a tag intent and moving the tag: the tag rolls forward.
  const bbRecord = join(dataRoot, 'image', 'images', `${bb.id.slice(7)}.json`);
  const rec = JSON.parse(await readFile(bbRecord, 'utf8')) as Record<string, unknown>;
  await writeFile(bbRecord, JSON.stringify({ ...rec, pendingRefs: ['docker.io/library/busybox:rolled'] }));
  // A layer directory without its layer.json, as a crash inside LayerStore.create cannot leave but a disk error might.
  await mkdir(join(dataRoot, 'layers', 'ee'.repeat(32), 'diff'), { recursive: true });
  est = await startEstibad({ dataRoot, execRoot });
  assert.deepEqual(await leftovers(), []);
  assert.equal((await docker(['image', 'inspect', ghost])).code, 1);
  assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox:rolled'])).stdout, `${bb.id}\n`);
  assert.equal((JSON.parse(await readFile(bbRecord, 'utf8')) as Record<string, unknown>).pendingRefs, undefined);
  const ids = new Set((await docker(['images', '-aq', '--no-trunc'])).stdout.trim().split('\n'));
  assert.deepEqual([...ids].sort(), [big.id, bb.id].sort());
  assert.equal(await assertConsistent('planted leftovers'), 'present');
  assert.deepEqual((await names(join(dataRoot, 'layers'))).sort(), [...big.chainIds, bb.chainIds[0]!].map((c) => c.slice(7)).sort());
});

test('a second estibad on the same data root is refused with a clear message', async () => {
  const otherExec = await mkdtemp(join(tmpdir(), 'estiba-e2e-crash-exec2-'));
  try {
    const child = spawn(process.execPath, [ESTIBAD, '--data-root', dataRoot, '--exec-root', otherExec, '-H', `unix://${join(otherExec, 'estiba.sock')}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1, stderr);
    assert.equal(stderr, `estibad: data root ${dataRoot} is in use by another daemon (pid ${est!.child.pid}, lock ${join(dataRoot, 'estibad.lock')})\n`);
    assert.deepEqual(await readdir(otherExec), [], 'the refused daemon left nothing in its exec root');
    // The running daemon is untouched.
    assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', TAG])).stdout, `${big.id}\n`);
  } finally {
    await rm(otherExec, { recursive: true, force: true });
  }
  // Nor can a second daemon take over the first one's socket.
  const otherData = await mkdtemp(join(tmpdir(), 'estiba-e2e-crash-data2-'));
  try {
    const child = spawn(process.execPath, [ESTIBAD, '--data-root', otherData, '--exec-root', execRoot, '-H', est!.host], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 1, stderr);
    assert.equal(stderr, `estibad: ${est!.socket} is in use by another daemon\n`);
    assert.equal((await docker(['version', '--format', '{{.Server.APIVersion}}'])).stdout, '1.45\n');
  } finally {
    await rm(otherData, { recursive: true, force: true });
  }
});
