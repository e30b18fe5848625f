// Debian's python3-docker (docker-py) against estibad: the Python SDK most tools are built on.
// Each test runs a short Python program that prints one JSON document; the assertions are here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { requireExecutable, run } from '../helpers/e2e.js';
import { writeBusyboxArchive, writeImageArchive, type ImageArchiveInfo } from '../fixtures/images.js';

const PYTHON = '/usr/bin/python3';

let est: EstibadProcess;
let work: string;
let bbTar: string;
let bb: ImageArchiveInfo;

before(async () => {
  requireExecutable(PYTHON, 'python3');
  const probe = await run(PYTHON, ['-c', 'import docker; print(docker.__version__)']);
  if (probe.code !== 0) throw new Error(`python3-docker is required by this test but cannot be imported (scripts/setup.sh installs it): ${probe.stderr}`);
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-py-'));
  est = await startEstibad();
  bbTar = join(work, 'busybox.tar');
  bb = await writeBusyboxArchive(bbTar);
});

after(async () => {
  if (est) {
    await est.stop();
    await est.cleanup();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs `body` with `c` bound to a DockerClient on estibad and `args` to the extra arguments; it must print JSON. */
async function py(body: string, args: string[] = [], version = 'auto'): Promise<unknown> {
  const script = [
    'import docker, json, sys',
    `c = docker.DockerClient(base_url=sys.argv[1], version=${JSON.stringify(version)})`,
    'args = sys.argv[2:]',
    body,
  ].join('\n');
  const r = await run(PYTHON, ['-c', script, est.host, ...args], { env: { ...process.env, DOCKER_HOST: '', PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.code, 0, `python exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

test('version() and info() describe estibad; the API version is negotiated', async () => {
  const out = (await py(`
v = c.version()
i = c.info()
print(json.dumps({'api': c.api.api_version, 'version': v, 'info': {k: i[k] for k in ('Images', 'Driver', 'DockerRootDir', 'OSType', 'ServerVersion')}}))
`)) as { api: string; version: { ApiVersion: string; MinAPIVersion: string; Os: string; Components: { Name: string }[] }; info: Record<string, unknown> };
  assert.equal(out.api, '1.45');
  assert.equal(out.version.ApiVersion, '1.45');
  assert.equal(out.version.MinAPIVersion, '1.24');
  assert.equal(out.version.Os, 'linux');
  assert.equal(out.version.Components[0]?.Name, 'Engine');
  assert.equal(out.info.Driver, 'overlay2');
  assert.equal(out.info.DockerRootDir, est.dataRoot);
  assert.equal(out.info.OSType, 'linux');
  assert.equal(typeof out.info.Images, 'number');
});

test('images.load(bytes) returns the loaded images; list() and get() find them', async () => {
  const out = (await py(
    `
loaded = c.images.load(open(args[0], 'rb').read())
img = c.images.get('busybox')
print(json.dumps({
  'loaded': [[i.id, i.tags] for i in loaded],
  'list': [[i.id, i.tags, i.attrs['Size']] for i in c.images.list()],
  'byName': [i.id for i in c.images.list(name='busybox')],
  'get': [img.id, img.short_id, img.tags, img.labels, img.attrs['Config']['Cmd'], img.attrs['RootFS']['Layers']],
  'byId': c.images.get(img.short_id.split(':')[1]).id,
  'history': [[h['Id'], h['CreatedBy'], h['Size']] for h in img.history()],
  'info': c.info()['Images'],
}))
`,
    [bbTar],
  )) as {
    loaded: [string, string[]][];
    list: [string, string[], number][];
    byName: string[];
    get: [string, string, string[], Record<string, string>, string[], string[]];
    byId: string;
    history: [string, string, number][];
    info: number;
  };
  assert.deepEqual(out.loaded, [[bb.id, ['busybox:latest']]]);
  assert.equal(out.list.length, 1);
  assert.equal(out.list[0]![0], bb.id);
  assert.deepEqual(out.list[0]![1], ['busybox:latest']);
  assert.ok(out.list[0]![2] > 1_000_000);
  assert.deepEqual(out.byName, [bb.id]);
  // docker-py's short_id keeps 10 hex digits.
  assert.deepEqual(out.get, [bb.id, bb.id.slice(0, 17), ['busybox:latest'], {}, ['sh'], bb.diffIds]);
  assert.equal(out.byId, bb.id);
  assert.equal(out.history.length, 1);
  assert.equal(out.history[0]![0], bb.id);
  assert.equal(out.info, 1);
});

test('errors map to docker-py exceptions; tag, remove, save and prune work', async () => {
  const layered = join(work, 'layered.tar');
  const info = await writeImageArchive(layered, {
    layers: [[{ name: 'a.txt', content: 'a' }], [{ name: 'b.txt', content: 'b' }]],
    config: { config: { Labels: { 'org.estiba.e2e': 'py' } } },
    tag: 'py/layered:1',
  });
  const out = (await py(
    `
res = {}
try:
    c.images.get('nope')
except docker.errors.ImageNotFound as e:
    res['notFound'] = [e.status_code, e.explanation]
loaded = c.images.load(open(args[0], 'rb').read())
img = loaded[0]
res['labels'] = img.labels
res['tagged'] = img.tag('py/layered', 'two')
res['tags'] = sorted(c.images.get(img.id).tags)
try:
    c.images.remove(img.short_id.split(':')[1])
except docker.errors.APIError as e:
    res['conflict'] = [e.status_code, e.explanation]
c.images.remove('py/layered:two')
saved = b''.join(img.save(named=True))
res['saved'] = len(saved)
c.images.remove(img.id)
res['afterRemove'] = [i.id for i in c.images.list(filters={'label': 'org.estiba.e2e=py'})]
res['reloaded'] = [i.id for i in c.images.load(saved)]
c.images.remove('py/layered:1')
res['prune'] = c.images.prune(filters={'dangling': False})
res['left'] = [i.tags for i in c.images.list()]
print(json.dumps(res))
`,
    [layered],
  )) as Record<string, unknown>;
  assert.deepEqual(out.notFound, [404, 'No such image: nope:latest']);
  assert.deepEqual(out.labels, { 'org.estiba.e2e': 'py' });
  assert.equal(out.tagged, true);
  assert.deepEqual(out.tags, ['py/layered:1', 'py/layered:two']);
  assert.deepEqual(out.conflict, [409, `conflict: unable to delete ${info.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`]);
  assert.ok((out.saved as number) > 3 * 1024);
  assert.deepEqual(out.afterRemove, []);
  assert.deepEqual(out.reloaded, [info.id]);
  const prune = out.prune as { ImagesDeleted: { Deleted?: string; Untagged?: string }[] | null; SpaceReclaimed: number };
  // busybox is still tagged, so only with dangling=false would it go; it is the last image.
  assert.deepEqual(prune.ImagesDeleted?.map((x) => x.Untagged ?? x.Deleted), ['busybox:latest', bb.id, bb.chainIds[0]]);
  assert.ok(prune.SpaceReclaimed > 1_000_000);
  assert.deepEqual(out.left, []);
});

test('an old pinned API version (1.41) still works', async () => {
  const out = (await py(
    `
loaded = c.images.load(open(args[0], 'rb').read())
print(json.dumps({'api': c.api.api_version, 'ids': [i.id for i in c.images.list()], 'virtual': c.api.images()[0].get('VirtualSize'), 'size': c.api.images()[0].get('Size')}))
`,
    [bbTar],
    '1.41',
  )) as { api: string; ids: string[]; virtual: number; size: number };
  assert.equal(out.api, '1.41');
  assert.deepEqual(out.ids, [bb.id]);
  assert.equal(out.virtual, out.size);
});
