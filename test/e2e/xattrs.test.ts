// File capabilities through every tar the engine reads or writes, driven by the docker 28 CLI:
// Docker records `security.capability` as a PAX `SCHILY.xattr.security.capability` record when it
// packs a filesystem (commit, cp out, export) and applies every `SCHILY.xattr.*` record when it
// unpacks (load/pull, cp in). Busybox has no setcap: capabilities are set from the host, on the
// container's overlay dirs that `docker inspect` names, and read back there with getcap.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { scanLayer } from '../../src/store/layers/scan.js';
import { rawPaxHeader, readXattr } from '../../src/store/layers/test-tars.js';
import { packTar, readTar, writeBusyboxArchive } from '../fixtures/images.js';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { dockerCli, startDockerPeer, type DockerPeer } from '../helpers/docker-peer.js';
import { requireExecutable } from '../helpers/e2e.js';

/** cap_net_raw=ep as setcap writes it: VFS_CAP_REVISION_2 | effective, then permitted bit 13. */
const NET_RAW_EP = Buffer.from('0100000200200000000000000000000000000000', 'hex');
/** The record as a tar-stream PAX value (every byte is below 0x80, so UTF-8 keeps it as is). */
const CAP_RECORD = { 'SCHILY.xattr.security.capability': NET_RAW_EP.toString('latin1') };
const LOADED = 'xattr-loaded:1';

const s = useBusyboxDaemon('estiba-xattr-');
const uniq = randomBytes(4).toString('hex');

/** The busybox image plus a layer whose /opt/capfile carries the PAX capability record. */
function writeCapImage(path: string, tag: string): Promise<unknown> {
  return writeBusyboxArchive(path, {
    tag,
    extraLayers: [[{ name: 'opt/', type: 'directory' }, { name: 'opt/capfile', content: 'capable\n', mode: 0o755, pax: CAP_RECORD }]],
  });
}

/** Loads LOADED into the test daemon. */
async function loadCapImage(): Promise<void> {
  const path = join(s.work, 'loaded.tar');
  await writeCapImage(path, LOADED);
  await s.ok('load', '-i', path);
}

before(() => requireExecutable('/usr/sbin/setcap', 'setcap/getcap from libcap2-bin'));

/** getcap's verdict on a host path: 'cap_net_raw=ep', or '' without capabilities. */
function getcap(path: string): string {
  const out = execFileSync('/usr/sbin/getcap', [path]).toString().trim();
  return out === '' ? '' : out.slice(path.length).trim();
}

async function graphDir(ref: string, key: 'UpperDir' | 'MergedDir', host = s.d.host): Promise<string> {
  const r = await dockerCli(['inspect', '-f', `{{.GraphDriver.Data.${key}}}`, ref], { host });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** GET /containers/{ref}/archive: the tar `docker cp ref:path -` reads. */
function archiveOf(socketPath: string, ref: string, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: `/containers/${ref}/archive?path=${encodeURIComponent(path)}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET archive ${ref}:${path}: ${res.statusCode} ${body.toString()}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Each entry's `SCHILY.xattr.*` records, byte for byte, by entry name. */
async function xattrsByName(tar: Buffer): Promise<Map<string, Map<string, Buffer>>> {
  const out = new Map<string, Map<string, Buffer>>();
  await scanLayer({
    input: Readable.from([tar]),
    onEntry: async (e) => {
      out.set(e.header.name, e.xattrs);
      for await (const chunk of e.data()) void chunk;
    },
  });
  return out;
}

test('docker commit keeps a file capability: the layer has the PAX record, and a container of the image has the capability', async () => {
  await s.ok('create', '--name', 'xattr-commit-src', 'busybox', 'sleep', '600');
  const host = join(s.work, 'ping');
  await writeFile(host, 'raw sockets\n', { mode: 0o755 });
  await s.ok('cp', host, 'xattr-commit-src:/bin/capfile');
  const upper = await graphDir('xattr-commit-src', 'UpperDir');
  execFileSync('/usr/sbin/setcap', ['cap_net_raw+ep', join(upper, 'bin', 'capfile')]);
  await s.ok('commit', 'xattr-commit-src', 'xattr-committed:1');

  const saved = join(s.work, 'committed.tar');
  await s.ok('save', '-o', saved, 'xattr-committed:1');
  const outer = await readTar(await readFile(saved));
  const manifest = JSON.parse(outer.find((r) => r.header.name === 'manifest.json')!.data.toString()) as Array<{ Layers: string[] }>;
  const top = outer.find((r) => r.header.name === manifest[0]!.Layers.at(-1))!;
  const layer = await xattrsByName(top.data);
  assert.deepEqual(layer.get('bin/capfile')?.get('security.capability'), NET_RAW_EP, 'the committed layer carries the capability');
  assert.equal(layer.get('bin/')?.size, 0, 'only file capabilities are recorded');

  await s.ok('run', '-d', '--name', 'xattr-commit-run', 'xattr-committed:1', 'sleep', '600');
  assert.equal(getcap(join(await graphDir('xattr-commit-run', 'MergedDir'), 'bin', 'capfile')), 'cap_net_raw=ep');
});

test('docker load applies a layer\'s SCHILY.xattr.security.capability: a container of the image has the capability', async () => {
  await loadCapImage();
  await s.ok('run', '-d', '--name', 'xattr-load-run', LOADED, 'sleep', '600');
  assert.equal(getcap(join(await graphDir('xattr-load-run', 'MergedDir'), 'opt', 'capfile')), 'cap_net_raw=ep');
});

test('docker cp out and docker export record the capability, as dockerd does', async (t) => {
  await loadCapImage();
  await s.ok('create', '--name', 'xattr-cp-out', LOADED);
  const file = await xattrsByName(await archiveOf(s.d.socket, 'xattr-cp-out', '/opt/capfile'));
  assert.deepEqual([...file.keys()], ['capfile']);
  assert.deepEqual(file.get('capfile')?.get('security.capability'), NET_RAW_EP);
  const dir = await xattrsByName(await archiveOf(s.d.socket, 'xattr-cp-out', '/opt'));
  assert.deepEqual(dir.get('opt/capfile')?.get('security.capability'), NET_RAW_EP);

  const exported = join(s.work, 'export.tar');
  await s.ok('export', '-o', exported, 'xattr-cp-out');
  const all = await xattrsByName(await readFile(exported));
  assert.deepEqual(all.get('opt/capfile')?.get('security.capability'), NET_RAW_EP);
  assert.deepEqual([...all].filter(([, x]) => x.size > 0).map(([name]) => name), ['opt/capfile'], 'no other entry has xattrs');

  // The same image in dockerd: its cp archive carries the same record, byte for byte.
  requireExecutable('/usr/sbin/dockerd', 'dockerd from Debian docker.io, the peer this is compared with');
  const peer: DockerPeer = await startDockerPeer();
  const tag = `estiba-xattr-${uniq}:1`;
  const name = `estiba-xattr-${uniq}`;
  const theirs = join(s.work, 'peer.tar');
  await writeCapImage(theirs, tag);
  t.after(async () => {
    await dockerCli(['rm', '-f', name], { host: peer.host });
    await dockerCli(['rmi', tag], { host: peer.host });
    if (!peer.reused) await peer.stop();
  });
  const peerOk = async (...args: string[]): Promise<void> => {
    const r = await dockerCli(args, { host: peer.host, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `peer: docker ${args.join(' ')}: ${r.stderr}`);
  };
  await peerOk('load', '-i', theirs);
  await peerOk('create', '--name', name, tag);
  const peerFile = await xattrsByName(await archiveOf(peer.socketPath, name, '/opt/capfile'));
  assert.deepEqual(peerFile.get('capfile')?.get('security.capability'), NET_RAW_EP, 'dockerd records it');
  assert.deepEqual(file.get('capfile'), peerFile.get('capfile'), 'same records as dockerd');
});

test('docker cp in applies SCHILY.xattr.* records to the extracted entry itself, never through a symlink', async () => {
  await s.ok('create', '--name', 'xattr-cp-in', 'busybox');
  // A host file the symlink below names: following the link on the host would mark it.
  const victim = join(s.work, 'victim');
  await writeFile(victim, 'host file\n');
  const tar = await packTar([
    { name: 'capfile', content: 'capable\n', mode: 0o755, pax: { ...CAP_RECORD, 'SCHILY.xattr.user.note': 'kept' } },
    { name: 'evil', type: 'symlink', linkname: victim, pax: { ...CAP_RECORD, 'SCHILY.xattr.user.evil': 'x' } },
  ]);
  const r = await dockerCli(['cp', '-', 'xattr-cp-in:/tmp'], { host: s.d.host, input: tar });
  assert.equal(r.code, 0, r.stderr);
  const upper = await graphDir('xattr-cp-in', 'UpperDir');
  assert.equal(getcap(join(upper, 'tmp', 'capfile')), 'cap_net_raw=ep');
  assert.equal(readXattr(join(upper, 'tmp', 'capfile'), 'user.note')?.toString(), 'kept');
  assert.equal(getcap(victim), '', 'the symlink target outside the container is untouched');
  assert.equal(readXattr(victim, 'user.evil'), undefined);
});

test('docker build: ADD of a local tar applies its members\' xattrs byte for byte; COPY keeps capabilities only of files in a directory copied from an image, as dockerd\'s builder', async (t) => {
  const ctx = join(s.work, 'build-ctx');
  await mkdir(join(ctx, 'd'), { recursive: true });
  // cap_setuid=ep: permitted bit 7 is the byte 0x80, which a UTF-8 round trip would mangle.
  const setuidEp = Buffer.from('0100000280000000000000000000000000000000', 'hex');
  const member = await packTar([{ name: 'capfile', content: 'capable\n', mode: 0o755 }]);
  await writeFile(join(ctx, 'capable.tar'), Buffer.concat([rawPaxHeader([['SCHILY.xattr.security.capability', setuidEp]]), member]));
  for (const f of ['f', 'd/g']) {
    await writeFile(join(ctx, f), 'context file\n', { mode: 0o755 });
    execFileSync('/usr/sbin/setcap', ['cap_net_raw+ep', join(ctx, f)]);
  }
  await writeFile(join(ctx, 'Dockerfile'), [
    'ARG BASE', 'ARG CAPIMG', 'FROM ${CAPIMG} AS cap', 'FROM ${BASE}',
    'ADD capable.tar /opt/', 'COPY f /f', 'COPY d /d/', 'COPY --from=cap /opt /o/', 'COPY --from=cap /opt/capfile /c1', '',
  ].join('\n'));
  const paths = ['/opt/capfile', '/f', '/d/g', '/o/capfile', '/c1'];
  /** Builds on an engine and reads each path's capability record back through GET archive. */
  const buildAndRead = async (host: string, socket: string, base: string, capImage: string, name: string): Promise<Record<string, string>> => {
    const r = await dockerCli(['build', '-q', '--build-arg', `BASE=${base}`, '--build-arg', `CAPIMG=${capImage}`, '-t', `${name}:1`, '.'], { host, cwd: ctx, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const c = await dockerCli(['create', '--name', name, `${name}:1`], { host });
    assert.equal(c.code, 0, c.stderr);
    const out: Record<string, string> = {};
    for (const p of paths) {
      const [x] = [...(await xattrsByName(await archiveOf(socket, name, p))).values()];
      out[p] = x?.get('security.capability')?.toString('hex') ?? 'none';
    }
    return out;
  };
  await loadCapImage();
  const ours = await buildAndRead(s.d.host, s.d.socket, 'busybox', LOADED, 'xattr-built');
  assert.deepEqual(ours, {
    '/opt/capfile': setuidEp.toString('hex'),
    '/f': 'none',
    '/d/g': 'none',
    '/o/capfile': NET_RAW_EP.toString('hex'),
    '/c1': 'none',
  });
  await s.ok('run', '-d', '--name', 'xattr-build-run', 'xattr-built:1', 'sleep', '600');
  assert.equal(getcap(join(await graphDir('xattr-build-run', 'MergedDir'), 'opt', 'capfile')), 'cap_setuid=ep');

  // The same build in dockerd's classic builder.
  requireExecutable('/usr/sbin/dockerd', 'dockerd from Debian docker.io, the peer this is compared with');
  const peer: DockerPeer = await startDockerPeer();
  const base = `estiba-xattr-${uniq}/busybox:1`;
  const capImage = `estiba-xattr-${uniq}/cap:1`;
  const name = `estiba-xattr-${uniq}-built`;
  t.after(async () => {
    await dockerCli(['rm', '-f', name], { host: peer.host });
    await dockerCli(['rmi', `${name}:1`, base, capImage], { host: peer.host });
    if (!peer.reused) await peer.stop();
  });
  await writeBusyboxArchive(join(s.work, 'peer-busybox.tar'), { tag: base });
  await writeCapImage(join(s.work, 'peer-cap.tar'), capImage);
  for (const f of ['peer-busybox.tar', 'peer-cap.tar']) {
    const r = await dockerCli(['load', '-i', join(s.work, f)], { host: peer.host, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
  }
  assert.deepEqual(await buildAndRead(peer.host, peer.socketPath, base, capImage, name), ours, 'same capabilities as dockerd');
});
