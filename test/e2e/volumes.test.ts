/**
 * Volumes and mounts through the real docker CLI (28) against a real estibad: named and anonymous
 * volumes, copy-up, binds, --mount, --volumes-from, rm -v, in-use removal, prune, df, docker cp
 * into a volume, a daemon restart, and bad input that must leave nothing half-made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { startEstibad } from '../helpers/estibad.js';

const s = useBusyboxDaemon('estiba-volumes-test-');

/** Volume names, sorted. */
async function volumeNames(): Promise<string[]> {
  return (await s.ok('volume', 'ls', '-q')).split('\n').filter((l) => l !== '').sort();
}

async function containerCount(): Promise<number> {
  return (await s.ok('ps', '-aq')).split('\n').filter((l) => l !== '').length;
}

let withVolLoaded: Promise<void> | undefined;

/** An image with a VOLUME over content owned by nobody, mode 0750: what copy-up must carry over. */
function loadWithVol(): Promise<void> {
  withVolLoaded ??= (async () => {
    await writeBusyboxArchive(join(s.work, 'withvol.tar'), {
      tag: 'withvol:latest',
      extraLayers: [[
        { name: 'srv/', type: 'directory', mode: 0o750, uid: 65534, gid: 65534 },
        { name: 'srv/seed.txt', content: 'from the image\n', uid: 65534, gid: 65534 },
      ]],
      config: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'], Volumes: { '/srv': {} } } },
    });
    await s.ok('load', '-i', join(s.work, 'withvol.tar'));
  })();
  return withVolLoaded;
}

test('docker volume create data: written by one container, read by another after the first is removed', async () => {
  const since = String(Math.floor(Date.now() / 1000) - 1);
  assert.equal(await s.ok('volume', 'create', 'data'), 'data\n');
  const inspect = JSON.parse(await s.ok('volume', 'inspect', 'data')) as Record<string, unknown>[];
  assert.deepEqual(Object.keys(inspect[0]!).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.deepEqual({ ...inspect[0], CreatedAt: '' }, {
    CreatedAt: '', Driver: 'local', Labels: null, Mountpoint: join(s.d.dataRoot, 'volumes', 'data', '_data'), Name: 'data', Options: null, Scope: 'local',
  });
  assert.match(String(inspect[0]!.CreatedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await s.ok('run', '--name', 'writer', '-v', 'data:/d', 'busybox', 'sh', '-c', 'echo kept > /d/f');
  await s.ok('rm', 'writer');
  assert.equal(await s.ok('run', '--rm', '-v', 'data:/d', 'busybox', 'cat', '/d/f'), 'kept\n');
  assert.match(await s.ok('volume', 'ls'), /^DRIVER\s+VOLUME NAME\nlocal\s+data\n$/);
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const events = await s.ok('events', '--since', since, '--until', until, '--filter', 'type=volume', '--filter', 'volume=data', '--format', '{{.Action}} {{.Actor.Attributes.destination}}');
  assert.equal(events, 'create <no value>\nmount /d\nunmount <no value>\nmount /d\nunmount <no value>\n');
});

test('-v name:/path creates the named volume on demand; inspect shows Docker\'s mount shape', async () => {
  const id = (await s.ok('create', '-v', 'ondemand:/od', '-v', `${s.work}:/w:ro`, '--mount', 'type=tmpfs,target=/t', 'busybox', 'true')).trim();
  const mounts = JSON.parse(await s.ok('inspect', '-f', '{{json .Mounts}}', id)) as unknown[];
  assert.deepEqual(mounts, [
    { Type: 'volume', Name: 'ondemand', Source: join(s.d.dataRoot, 'volumes', 'ondemand', '_data'), Destination: '/od', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
    { Type: 'bind', Source: s.work, Destination: '/w', Mode: 'ro', RW: false, Propagation: 'rprivate' },
  ]);
  assert.ok((await volumeNames()).includes('ondemand'));
  for (const f of ['volume=ondemand', 'volume=/od', `volume=${s.work}`]) assert.equal((await s.ok('ps', '-aq', '--no-trunc', '--filter', f)).trim(), id, f);
  assert.equal(await s.ok('ps', '-aq', '--filter', 'volume=other'), '');
  await s.ok('rm', '-v', id);
  // rm -v keeps named volumes.
  assert.ok((await volumeNames()).includes('ondemand'));
  await s.ok('volume', 'rm', 'ondemand');
});

test('bind mounts: rw writes reach the host, ro refuses writes; a missing -v host path is created as a directory', async () => {
  const host = join(s.work, 'bind-rw');
  await mkdir(host);
  await s.ok('run', '--rm', '-v', `${host}:/h`, 'busybox', 'sh', '-c', 'echo from-container > /h/out');
  assert.equal(await readFile(join(host, 'out'), 'utf8'), 'from-container\n');
  const ro = await s.docker('run', '--rm', '-v', `${host}:/h:ro`, 'busybox', 'sh', '-c', 'cat /h/out; echo x > /h/other');
  assert.equal(ro.code, 1);
  assert.equal(ro.stdout, 'from-container\n');
  assert.match(ro.stderr, /Read-only file system/);
  const missing = join(s.work, 'made', 'by', 'run');
  await s.ok('run', '--rm', '-v', `${missing}:/m`, 'busybox', 'true');
  assert.ok((await stat(missing)).isDirectory());
  const ro2 = await s.ok('run', '--rm', '--mount', `type=bind,source=${host},target=/h,readonly,bind-propagation=rslave`, 'busybox', 'grep', ' /h ', '/proc/mounts');
  assert.match(ro2, /^\S+ \/h \S+ ro[,\s]/);
});

test('--mount volume-subpath mounts a directory of the volume; a bind source gone before start is a plain error', async () => {
  await s.ok('run', '--rm', '-v', 'subvol:/v', 'busybox', 'sh', '-c', 'mkdir -p /v/inner && echo deep > /v/inner/f');
  assert.equal(await s.ok('run', '--rm', '--mount', 'type=volume,source=subvol,target=/s,volume-subpath=inner', 'busybox', 'cat', '/s/f'), 'deep\n');
  const missing = await s.docker('run', '--rm', '--mount', 'type=volume,source=subvol,target=/s,volume-subpath=nope', 'busybox', 'true');
  assert.match(missing.stderr, /Error response from daemon: cannot access path \S+\/volumes\/subvol\/_data\/nope: no such file or directory/);
  const escape = await s.docker('run', '--rm', '--mount', 'type=volume,source=subvol,target=/s,volume-subpath=../x', 'busybox', 'true');
  assert.match(escape.stderr, /invalid mount config for type "volume": subpath must be a relative path within the volume/);
  await s.ok('volume', 'rm', 'subvol');
  const src = join(s.work, 'vanishing');
  await mkdir(src);
  const id = (await s.ok('create', '--mount', `type=bind,source=${src},target=/x`, 'busybox', 'true')).trim();
  await rm(src, { recursive: true });
  const start = await s.docker('start', id);
  assert.equal(start.code, 1);
  assert.equal(start.stderr, `Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${src}\nError: failed to start containers: ${id}\n`);
  await s.ok('rm', id);
});

test('--mount type=tmpfs is a real tmpfs with the size and mode asked for', async () => {
  const out = await s.ok('run', '--rm', '--mount', 'type=tmpfs,target=/scratch,tmpfs-size=2m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/mounts; stat -c %a /scratch');
  assert.match(out, /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,\S*size=2048k,mode=1770 0 0\n1770\n$/);
});

test('a volume with type=tmpfs driver options is mounted as tmpfs while in use', async () => {
  await s.ok('volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', '--label', 'kind=scratch', 'tv');
  const v = (JSON.parse(await s.ok('volume', 'inspect', 'tv')) as { Options: unknown; Labels: unknown }[])[0]!;
  assert.deepEqual(v.Options, { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' });
  assert.deepEqual(v.Labels, { kind: 'scratch' });
  assert.match(await s.ok('run', '--rm', '-v', 'tv:/t', 'busybox', 'grep', ' /t ', '/proc/mounts'), /^tmpfs \/t tmpfs rw,\S*size=1024k/);
  // Unmounted once no container uses it: the volume can go.
  assert.equal(await readFile('/proc/self/mountinfo', 'utf8').then((m) => m.includes(join(s.d.dataRoot, 'volumes', 'tv', '_data'))), false);
  await s.ok('volume', 'rm', 'tv');
});

test('an image VOLUME becomes an anonymous volume filled from the image (content, owner, mode); --volumes-from shares it; rm -v removes it', async () => {
  await loadWithVol();
  const before = await volumeNames();
  const out = await s.ok('run', '--name', 'vsrc', 'withvol', 'sh', '-c', 'stat -c "%U %a" /srv; cat /srv/seed.txt; echo more > /srv/added');
  assert.equal(out, 'nobody 750\nfrom the image\n');
  const anon = (await volumeNames()).filter((n) => !before.includes(n));
  assert.equal(anon.length, 1);
  assert.match(anon[0]!, /^[0-9a-f]{64}$/);
  const labels = JSON.parse(await s.ok('volume', 'inspect', '-f', '{{json .Labels}}', anon[0]!)) as unknown;
  assert.deepEqual(labels, { 'com.docker.volume.anonymous': '' });
  // --volumes-from: the same volume; :ro makes it read-only here.
  assert.equal(await s.ok('run', '--rm', '--volumes-from', 'vsrc', 'busybox', 'cat', '/srv/added'), 'more\n');
  const ro = await s.docker('run', '--rm', '--volumes-from', 'vsrc:ro', 'busybox', 'sh', '-c', 'echo x > /srv/nope');
  assert.match(ro.stderr, /Read-only file system/);
  // In use: 409 with the users' IDs.
  const id = (await s.ok('inspect', '-f', '{{.Id}}', 'vsrc')).trim();
  const inUse = await s.docker('volume', 'rm', anon[0]!);
  assert.equal(inUse.code, 1);
  assert.equal(inUse.stderr, `Error response from daemon: remove ${anon[0]!}: volume is in use - [${id}]\n`);
  await s.ok('rm', '-v', 'vsrc');
  assert.deepEqual(await volumeNames(), before);
  // The copy happens at create (Docker's populateVolumes): another container sees it before any start.
  await s.ok('create', '--name', 'vcreated', '-v', 'created-vol:/srv', 'withvol');
  assert.equal(await s.ok('run', '--rm', '-v', 'created-vol:/x', 'busybox', 'cat', '/x/seed.txt'), 'from the image\n');
  await s.ok('rm', '-v', 'vcreated');
  await s.ok('volume', 'rm', 'created-vol');
});

test('--mount volume-nocopy leaves a new volume empty; -v /path makes an anonymous volume that --rm removes', async () => {
  await loadWithVol();
  assert.equal(await s.ok('run', '--rm', '--mount', 'type=volume,source=nocopy,target=/srv,volume-nocopy', 'withvol', 'ls', '-A', '/srv'), '');
  await s.ok('volume', 'rm', 'nocopy');
  const before = await volumeNames();
  assert.equal(await s.ok('run', '--rm', '-v', '/scratch', 'busybox', 'sh', '-c', 'echo ok > /scratch/f && cat /scratch/f'), 'ok\n');
  assert.deepEqual(await volumeNames(), before);
});

test('docker cp into a path under a volume writes into the volume; out of it reads the volume', async () => {
  await s.ok('volume', 'create', 'cpvol');
  const id = (await s.ok('create', '-v', 'cpvol:/vol', 'busybox', 'true')).trim();
  const file = join(s.work, 'cp-in.txt');
  await writeFile(file, 'copied in\n');
  await s.ok('cp', file, `${id}:/vol/in.txt`);
  assert.equal(await readFile(join(s.d.dataRoot, 'volumes', 'cpvol', '_data', 'in.txt'), 'utf8'), 'copied in\n');
  await writeFile(join(s.d.dataRoot, 'volumes', 'cpvol', '_data', 'out.txt'), 'from volume\n');
  await s.ok('cp', `${id}:/vol/out.txt`, join(s.work, 'cp-out.txt'));
  assert.equal(await readFile(join(s.work, 'cp-out.txt'), 'utf8'), 'from volume\n');
  // The container's own layer holds none of it (diff and commit do not descend into volumes).
  assert.doesNotMatch(await s.ok('diff', id), /in\.txt/);
  await s.ok('rm', id);
  await s.ok('volume', 'rm', 'cpvol');
});

test('volume prune removes unused anonymous volumes; -a also named ones; filters and df -v see volumes', async () => {
  await s.ok('volume', 'create', 'pnamed');
  await s.ok('volume', 'create', '--label', 'keep=1', 'pkept');
  const kept = (await s.ok('create', '-v', '/anon-used', 'busybox', 'true')).trim();
  await s.ok('run', '--name', 'panon', '-v', '/anon-free', 'busybox', 'true');
  await s.ok('rm', 'panon');
  assert.match(await s.ok('volume', 'ls', '-f', 'label=keep=1'), /pkept\n$/);
  const dangling = (await s.ok('volume', 'ls', '-q', '-f', 'dangling=true')).split('\n').filter((l) => l !== '');
  assert.ok(dangling.includes('pnamed') && dangling.length >= 3);
  const df = await s.ok('system', 'df', '-v');
  assert.match(df, /Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\n/);
  assert.match(df, /\npnamed\s+0\s+0B\n/);
  const pruned = await s.ok('volume', 'prune', '-f');
  assert.match(pruned, /^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
  assert.ok((await volumeNames()).includes('pnamed'));
  const all = await s.ok('volume', 'prune', '-af', '--filter', 'label!=keep');
  assert.match(all, /\npnamed\n/);
  const left = await volumeNames();
  assert.ok(left.includes('pkept') && !left.includes('pnamed'));
  // The volume of the container that still exists stays.
  const used = JSON.parse(await s.ok('inspect', '-f', '{{json .Mounts}}', kept)) as { Name: string }[];
  assert.ok(left.includes(used[0]!.Name));
  await s.ok('rm', '-v', kept);
  await s.ok('volume', 'rm', 'pkept');
});

test('bad input is a clear error and leaves no container or volume behind', async () => {
  const containers = await containerCount();
  const volumes = await volumeNames();
  const rel = await s.docker('run', '--rm', '-v', 'rel/path:/x', 'busybox', 'true');
  assert.equal(rel.code, 125);
  assert.match(rel.stderr, /Error response from daemon: create rel\/path: "rel\/path" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed\. If you intended to pass a host directory, use absolute path/);
  const slash = await s.docker('volume', 'create', 'a/b');
  assert.equal(slash.code, 1);
  assert.equal(slash.stderr, 'Error response from daemon: create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n');
  const missing = await s.docker('run', '--rm', '--mount', 'type=bind,source=/nonexistent-estiba-src,target=/x', 'busybox', 'true');
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /Error response from daemon: invalid mount config for type "bind": bind source path does not exist: \/nonexistent-estiba-src/);
  // A valid volume next to an invalid one: the valid one is not made either.
  const mixed = await s.docker('run', '--rm', '-v', 'shouldnotexist:/a', '-v', '/b:/c:bogus', 'busybox', 'true');
  assert.match(mixed.stderr, /Error response from daemon: invalid mode: bogus/);
  const dup = await s.docker('run', '--rm', '-v', '/x:/data', '-v', '/y:/data', 'busybox', 'true');
  assert.match(dup.stderr, /Error response from daemon: Duplicate mount point: \/data/);
  const from = await s.docker('run', '--rm', '--volumes-from', 'no-such-container', 'busybox', 'true');
  assert.match(from.stderr, /Error response from daemon: No such container: no-such-container/);
  assert.doesNotMatch(from.stderr, /Unable to find image/);
  const overFile = await s.docker('run', '--rm', '-v', '/bin/busybox', 'busybox', 'true');
  assert.match(overFile.stderr, /Error response from daemon: cannot mount volume over existing file, file exists \S+\/bin\/busybox/);
  const opt = await s.docker('volume', 'create', '--opt', 'type=tmpfs', 'badopt');
  assert.equal(opt.stderr, 'Error response from daemon: create badopt: missing required option: "device"\n');
  const gone = await s.docker('volume', 'inspect', 'nosuchvolume');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /get nosuchvolume: no such volume/);
  assert.equal(await containerCount(), containers);
  assert.deepEqual(await volumeNames(), volumes);
});

test('volume data and volume references survive a daemon restart', async () => {
  await s.ok('volume', 'create', 'durable');
  await s.ok('run', '--name', 'durable-user', '-v', 'durable:/d', 'busybox', 'sh', '-c', 'echo survived > /d/f');
  await s.d.stop();
  s.d = await startEstibad({ dataRoot: s.d.dataRoot, execRoot: s.d.execRoot });
  assert.ok((await volumeNames()).includes('durable'));
  const inUse = await s.docker('volume', 'rm', 'durable');
  assert.match(inUse.stderr, /volume is in use/);
  await s.ok('rm', 'durable-user');
  assert.equal(await s.ok('run', '--rm', '-v', 'durable:/d', 'busybox', 'cat', '/d/f'), 'survived\n');
  await s.ok('volume', 'rm', 'durable');
  assert.equal((await readdir(join(s.d.dataRoot, 'volumes'))).includes('durable'), false);
});
