// The real docker CLIs (28.2 at /usr/local/bin/docker, Debian's 20.10 at /usr/bin/docker) against
// estibad, side by side with the same CLI against a real dockerd 20.10 (the peer): what the
// CLI prints and its exit code should be the same on both, except where noted.
//
// The peer may be shared with other test runs, so everything made here is named after this
// run (REPO) and removed afterwards; nothing is pruned or deleted by ID there unless its image
// ID is unique to this run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerCli, startDockerPeer, DOCKER_CLI_PATHS, type DockerCliKind, type DockerCliResult, type DockerPeer } from '../helpers/docker-peer.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { envWithoutDocker, requireExecutable, run } from '../helpers/e2e.js';
import { DEFAULT_PATH_ENV, packTar, writeBusyboxArchive, writeOciLayout, type ImageArchiveInfo } from '../fixtures/images.js';

const CLIS: DockerCliKind[] = ['docker28', 'docker20'];
const RUN = randomBytes(4).toString('hex');
/** Every repository made here starts with this. */
const REPO = `e2e-cli-${RUN}`;
const LABEL = `org.estiba.e2e.run=${RUN}`;

let est: EstibadProcess;
let peer: DockerPeer;
let work: string;
let bb: ImageArchiveInfo;
let uniq: ImageArchiveInfo;
const paths = { bb: '', uniq: '', rootfs: '' };

before(async () => {
  for (const cli of CLIS) requireExecutable(DOCKER_CLI_PATHS[cli], `the docker CLI (${cli})`);
  requireExecutable('/usr/sbin/dockerd', 'dockerd from Debian docker.io, the peer these outputs are compared with');
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-cli-'));
  [est, peer] = await Promise.all([startEstibad(), startDockerPeer()]);
  paths.bb = join(work, 'busybox.tar');
  paths.uniq = join(work, 'uniq.tar');
  paths.rootfs = join(work, 'rootfs.tar');
  bb = await writeBusyboxArchive(paths.bb, { tag: `${REPO}/busybox:latest` });
  uniq = await writeUnique(paths.uniq, 'uniq', 'v1');
  await writeFile(
    paths.rootfs,
    await packTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hello', content: `hello ${RUN}\n` },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    ]),
  );
});

after(async () => {
  // Remove what this run tagged in the peer; images unique to this run go with their last tag.
  if (peer) {
    const refs = await dockerCli(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REPO}*/*`], { host: peer.host });
    const mine = refs.stdout.split('\n').filter((r) => r.startsWith(REPO));
    if (mine.length > 0) await dockerCli(['rmi', ...mine], { host: peer.host });
    await dockerCli(['image', 'prune', '-f', '--filter', `label=${LABEL}`], { host: peer.host });
    if (!peer.reused) await peer.stop();
  }
  if (est) {
    await est.stop();
    await est.cleanup();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** A busybox-based image with one more layer and a label, so its ID is this run's alone. */
function writeUnique(path: string, name: string, tag: string, created = '2024-06-01T00:00:00Z'): Promise<ImageArchiveInfo> {
  return writeBusyboxArchive(path, {
    tag: `${REPO}/${name}:${tag}`,
    extraLayers: [[{ name: `${name}.txt`, content: `${RUN} ${name}\n` }]],
    config: { created, config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh'], Labels: { 'org.estiba.e2e.run': RUN } } },
  });
}

function docker(args: string[], host: string, cli: DockerCliKind = 'docker28', input?: string | Uint8Array): Promise<DockerCliResult> {
  return dockerCli(args, { host, cli, input });
}

/** Runs and insists on exit code 0. */
async function ok(args: string[], host: string, cli: DockerCliKind = 'docker28'): Promise<string> {
  const r = await docker(args, host, cli);
  assert.equal(r.code, 0, `${cli} ${args.join(' ')} against ${host} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The same command against estibad and against the peer. */
async function both(args: string[], cli: DockerCliKind = 'docker28', input?: string | Uint8Array): Promise<{ e: DockerCliResult; p: DockerCliResult }> {
  const e = await docker(args, est.host, cli, input);
  const p = await docker(args, peer.host, cli, input);
  return { e, p };
}

/**
 * Same stdout, stderr and exit code against both daemons. `unordered`: compare the lines after the
 * first as a set; the CLI lists an image's repositories in Go map order, which varies run to run.
 */
async function same(args: string[], cli: DockerCliKind = 'docker28', input?: string | Uint8Array, unordered = false): Promise<DockerCliResult> {
  const { e, p } = await both(args, cli, input);
  const what = `${cli} ${args.join(' ')}`;
  const lines = (out: string): string => {
    if (!unordered) return out;
    const all = out.split('\n');
    // A table header stays first.
    const header = /^[A-Z][A-Z ]*$/.test(all[0] ?? '') ? all.splice(0, 1) : [];
    return [...header, ...all.sort()].join('\n');
  };
  assert.equal(lines(e.stdout), lines(p.stdout), `${what}: stdout differs from dockerd's`);
  assert.equal(e.stderr, p.stderr, `${what}: stderr differs from dockerd's`);
  assert.equal(e.code, p.code, `${what}: exit code differs from dockerd's (stderr: ${e.stderr})`);
  return e;
}

/** Column headers of a docker table (cells are separated by 2+ spaces). */
function headers(table: string): string[] {
  return (table.split('\n')[0] ?? '').split(/\s{2,}/).filter((c) => c !== '');
}

/**
 * Inspect JSON without what legitimately differs between daemons: paths, tag times, Go zero values,
 * and tags made outside this run (the peer is shared, and the busybox image ID is the same for all).
 */
function comparable(inspect: Record<string, unknown>): Record<string, unknown> {
  const dropZero = (o: unknown): unknown => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== false && v !== null).map(([k, v]) => [k, dropZero(v)]));
  };
  const { GraphDriver, Metadata: _m, DockerVersion: _d, Container: _c, ContainerConfig: _cc, VirtualSize: _v, RepoTags, ...rest } = inspect;
  return {
    ...rest,
    RepoTags: (RepoTags as string[]).filter((t) => t.startsWith(REPO)),
    Config: dropZero(inspect.Config),
    GraphDriver: (GraphDriver as { Name: string }).Name,
  };
}

async function inspectBoth(name: string): Promise<{ e: Record<string, unknown>; p: Record<string, unknown> }> {
  const parse = (s: string): Record<string, unknown> => {
    const arr = JSON.parse(s) as Record<string, unknown>[];
    assert.equal(arr.length, 1);
    return arr[0]!;
  };
  return { e: parse(await ok(['image', 'inspect', name], est.host)), p: parse(await ok(['image', 'inspect', name], peer.host)) };
}

describe('docker CLI against estibad', () => {
  test('version: both CLIs negotiate and print the server section', async () => {
    for (const cli of CLIS) {
      const out = await ok(['version'], est.host, cli);
      assert.match(out, /^Server: estiba$/m, out);
      assert.match(out, /^ Engine:$/m);
      assert.match(out, /^ {2}API version:\s+1\.45 \(minimum version 1\.24\)$/m);
      assert.match(out, cli === 'docker28' ? /^ API version:\s+1\.45 \(downgraded from 1\.\d+\)$/m : /^ API version:\s+1\.41$/m);
      // Every field dockerd's Engine section has, ours has too.
      const engine = (s: string): string[] => {
        const section = s.slice(s.indexOf(' Engine:'));
        const end = section.search(/\n \S/);
        return [...(end < 0 ? section : section.slice(0, end)).matchAll(/^ {2}([^:]+):/gm)].map((m) => m[1]!);
      };
      assert.deepEqual(engine(out), engine(await ok(['version'], peer.host, cli)), `${cli}: Engine fields`);
      assert.equal(await ok(['version', '--format', '{{.Server.APIVersion}}'], est.host, cli), '1.45\n');
      const json = JSON.parse(await ok(['version', '--format', '{{json .Server}}'], est.host, cli)) as { Os: string; Arch: string };
      assert.equal(json.Os, 'linux');
    }
  });

  test('info: every field dockerd shows is shown, no warnings, and the numbers agree with images', async () => {
    // The top-level and second-level field names of `docker info`'s Server section.
    const fields = (s: string): Set<string> =>
      new Set([...s.slice(s.indexOf('Server:')).matchAll(/^ {1,2}([A-Z][^:\n]*):/gm)].map((m) => m[1]!));
    for (const cli of CLIS) {
      const r = await docker(['info'], est.host, cli);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', `${cli} info printed warnings: ${r.stderr}`);
      const mine = fields(r.stdout);
      const theirs = fields(await ok(['info'], peer.host, cli));
      const missing = [...theirs].filter((f) => !mine.has(f));
      assert.deepEqual(missing, [], `${cli}: fields dockerd prints and estiba does not`);
      assert.match(r.stdout, new RegExp(`^ Docker Root Dir: ${est.dataRoot}$`, 'm'));
      const count = new Set((await ok(['images', '-aq'], est.host, cli)).split('\n').filter((l) => l !== '')).size;
      assert.equal(await ok(['info', '--format', '{{.Images}}'], est.host, cli), `${count}\n`);
      const json = JSON.parse(await ok(['info', '--format', '{{json .}}'], est.host, cli)) as Record<string, unknown>;
      assert.equal(json.OSType, 'linux');
      assert.equal(json.Driver, 'overlay2');
    }
  });

  test('load -i, load from stdin and load -q print what dockerd prints', async () => {
    const first = await same(['load', '-i', paths.bb]);
    assert.equal(first.stdout, `Loaded image: ${REPO}/busybox:latest\n`);
    // From stdin, with the 20.10 CLI.
    const fromStdin = await same(['load'], 'docker20', await import('node:fs/promises').then((fs) => fs.readFile(paths.uniq)));
    assert.equal(fromStdin.stdout, `Loaded image: ${REPO}/uniq:v1\n`);
    // Loading again changes nothing and says the same.
    await same(['load', '-i', paths.uniq]);
    const quiet = await same(['load', '-q', '-i', paths.uniq], 'docker20');
    assert.equal(quiet.stdout, `Loaded image: ${REPO}/uniq:v1\n`);
    // An OCI layout with Docker's manifest.json (as `docker save` ≥ 25 writes it).
    const oci = join(work, 'oci.tar');
    await writeOciLayout(oci, { tag: `${REPO}/oci:latest`, dockerManifest: true });
    const o = await same(['load', '-i', oci]);
    assert.equal(o.stdout, `Loaded image: ${REPO}/oci:latest\n`);
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', `${REPO}/oci`], est.host), `${bb.id}\n`);
    // Not a tar at all.
    const bad = join(work, 'not-a-tar.tar');
    await writeFile(bad, 'this is not a tar archive\n'.repeat(100));
    for (const cli of CLIS) {
      const r = await docker(['load', '-i', bad], est.host, cli);
      assert.equal(r.code, 1, `${cli} load of garbage: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^Error response from daemon: .+/);
    }
    const missing = await same(['load', '-i', join(work, 'nope.tar')]);
    assert.equal(missing.code, 1);
  });

  test('images: table, -q, --no-trunc, --filter reference=…, --format match dockerd', async () => {
    const variants: string[][] = [
      ['images', `${REPO}/busybox`],
      ['images', '--filter', `reference=${REPO}/*`],
      ['images', '-q', '--filter', `reference=${REPO}/*`],
      ['images', '--no-trunc', '--filter', `reference=${REPO}/*`],
      ['images', '--digests', '--filter', `reference=${REPO}/*`],
      ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REPO}/*`],
      ['images', '--format', '{{json .}}', '--filter', `reference=${REPO}/*`],
      ['images', '--format', 'table {{.ID}}\t{{.Repository}}\t{{.Size}}', '--filter', `reference=${REPO}/u*`],
      ['images', '--filter', `reference=${REPO}/busybox:latest`, '--filter', 'dangling=false'],
      ['images', '--filter', `label=${LABEL}`, '--format', '{{.Repository}}'],
      ['image', 'ls', '--filter', `reference=${REPO}/*`, '--filter', `since=${REPO}/busybox`],
      ['image', 'ls', '--filter', `reference=${REPO}/*`, '--filter', `before=${REPO}/uniq:v1`],
      ['images', `${REPO}/nothing-here`],
    ];
    for (const cli of CLIS) {
      for (const args of variants) await same(args, cli, undefined, true);
    }
    const table = await ok(['images', '--filter', `reference=${REPO}/*`], est.host);
    assert.deepEqual(headers(table), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    assert.equal(await ok(['images', '-q', `${REPO}/uniq`], est.host), `${uniq.id.slice(7, 19)}\n`);
    // Bad filters fail the same way; dockerd 20.10 says 'Invalid filter', current dockerd as we do.
    for (const cli of CLIS) {
      const { e, p } = await both(['images', '--filter', 'nonsense=1'], cli);
      assert.equal(e.code, 1);
      assert.equal(e.code, p.code);
      assert.equal(e.stderr, "Error response from daemon: invalid filter 'nonsense'\n");
      assert.equal(e.stderr.toLowerCase(), p.stderr.toLowerCase());
    }
  });

  test('tag: new names list like dockerd, unknown sources fail the same way', async () => {
    for (const cli of CLIS) {
      await same(['tag', `${REPO}/uniq:v1`, `${REPO}/tagged:${cli}`], cli);
      await same(['tag', uniq.id.slice(7, 19), `${REPO}-other/x:${cli}`], cli);
      const nope = await same(['tag', 'nope', `${REPO}/never:1`], cli);
      assert.equal(nope.code, 1);
      assert.equal(nope.stderr, 'Error response from daemon: No such image: nope:latest\n');
      // Refused by the CLI itself; the daemon never sees it.
      const invalid = await same(['tag', `${REPO}/uniq:v1`, 'bad:tag!'], cli);
      assert.equal(invalid.code, 1);
    }
    await same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--filter', `reference=${REPO}*/*`], 'docker28', undefined, true);
    // Re-tagging moves the tag and says nothing.
    await same(['tag', `${REPO}/busybox`, `${REPO}/tagged:docker28`]);
    await same(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', '--filter', `reference=${REPO}/tagged`], 'docker28', undefined, true);
  });

  test('image inspect: same document as dockerd, -f templates, unknown images', async () => {
    for (const name of [`${REPO}/uniq:v1`, `${REPO}/busybox`, uniq.id, uniq.id.slice(7, 19)]) {
      const { e, p } = await inspectBoth(name);
      assert.deepEqual(comparable(e), comparable(p), `inspect ${name}`);
    }
    for (const cli of CLIS) {
      assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', `${REPO}/uniq:v1`], est.host, cli), `${uniq.id}\n`);
      await same(['image', 'inspect', '-f', '{{.Id}} {{.Os}}/{{.Architecture}} {{.Size}} {{json .RootFS}} {{.Comment}}', `${REPO}/uniq:v1`], cli);
      await same(['image', 'inspect', '-f', '{{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}}|{{.Config.Labels}}', `${REPO}/uniq:v1`], cli);
      await same(['inspect', '--type', 'image', '-f', '{{.Id}}', `${REPO}/busybox`], cli);
      const nope = await both(['image', 'inspect', 'nope'], cli);
      assert.equal(nope.e.code, 1);
      assert.equal(nope.e.stdout, '[]\n');
      assert.equal(nope.e.stdout, nope.p.stdout);
      assert.equal(nope.e.code, nope.p.code);
      if (cli === 'docker20') {
        // The 20.10 CLI words it itself.
        assert.equal(nope.e.stderr, 'Error: No such image: nope\n');
        assert.equal(nope.e.stderr, nope.p.stderr);
      } else {
        // dockerd 20.10 wraps it twice ("no such image: nope: No such image: nope:latest"); current dockerd says this.
        assert.equal(nope.e.stderr, 'Error response from daemon: No such image: nope:latest\n');
      }
    }
  });

  test('history: table, --no-trunc, -q, --format match dockerd', async () => {
    for (const cli of CLIS) {
      for (const args of [
        ['history', `${REPO}/uniq:v1`],
        ['history', '--no-trunc', `${REPO}/uniq:v1`],
        ['history', '-q', `${REPO}/uniq:v1`],
        ['history', '-H=false', `${REPO}/busybox`],
        ['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', `${REPO}/uniq:v1`],
        ['history', 'nope'],
      ]) {
        await same(args, cli);
      }
    }
    assert.deepEqual(headers(await ok(['history', `${REPO}/busybox`], est.host)), ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
  });

  test('rmi: untag vs delete, conflicts, unknown images and exit codes match dockerd', async () => {
    for (const cli of CLIS) {
      const name = `rmi-${cli}`;
      const tar = join(work, `${name}.tar`);
      const img = await writeUnique(tar, name, 'a');
      const short = img.id.slice(7, 19);
      await same(['load', '-i', tar], cli);
      await same(['tag', `${REPO}/${name}:a`, `${REPO}/${name}:b`], cli);
      await same(['tag', `${REPO}/${name}:a`, `${REPO}-x/${name}:c`], cli);
      // By ID with tags in two repositories: refused.
      const multi = await same(['rmi', short], cli);
      assert.equal(multi.code, 1);
      assert.equal(multi.stderr, `Error response from daemon: conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories\n`);
      assert.equal((await same(['rmi', `${REPO}-x/${name}:c`], cli)).stdout, `Untagged: ${REPO}-x/${name}:c\n`);
      // Two tags in one repository are still more than one reference.
      assert.equal((await same(['rmi', short], cli)).code, 1);
      // Untagging one of several tags deletes nothing.
      assert.equal((await same(['rmi', `${REPO}/${name}:b`], cli)).stdout, `Untagged: ${REPO}/${name}:b\n`);
      // The last tag by ID: untag and delete, with the image's own layer (the busybox one is shared).
      const del = await same(['rmi', short], cli);
      assert.match(del.stdout, new RegExp(`^Untagged: ${REPO}/${name}:a\nDeleted: ${img.id}\nDeleted: ${img.chainIds[1]}\n$`));
      // Unknown images: exit 1, except with -f, which only reports them.
      const nope = await same(['rmi', 'nope'], cli);
      assert.equal(nope.code, 1);
      assert.equal(nope.stderr, cli === 'docker20' ? 'Error: No such image: nope\n' : 'Error response from daemon: No such image: nope:latest\n');
      assert.equal((await same(['rmi', '-f', 'nope'], cli)).code, 0);
      // Several at once: the good ones go, the exit code says one failed.
      await same(['load', '-i', tar], cli);
      await same(['tag', `${REPO}/${name}:a`, `${REPO}/${name}:z`], cli);
      const mixed = await same(['rmi', `${REPO}/${name}:z`, 'nope', `${REPO}/${name}:a`], cli);
      assert.equal(mixed.code, 1);
      // -f by ID removes every tag in every repository, then the image.
      await same(['load', '-i', tar], cli);
      await same(['tag', `${REPO}/${name}:a`, `${REPO}-y/${name}:q`], cli);
      await same(['tag', `${REPO}/${name}:a`, `${REPO}/${name}:b`], cli);
      const forced = await same(['rmi', '-f', short], cli);
      assert.match(forced.stdout, new RegExp(`^(Untagged: .+\n){3}Deleted: ${img.id}\nDeleted: ${img.chainIds[1]}\n$`));
    }
  });

  test('save | load round trip between estibad and dockerd keeps image IDs', async () => {
    const sh = (script: string): Promise<{ stdout: string; stderr: string; code: number }> =>
      run('/bin/sh', ['-c', script], { env: envWithoutDocker({ DOCKER_CONFIG: join(work, 'docker-config') }), timeoutMs: 120_000 });
    const cmd = (cli: DockerCliKind, host: string): string => `${DOCKER_CLI_PATHS[cli]} -H ${host}`;

    // estibad → dockerd: an image only estibad has (docker import stamps it with estibad's clock).
    const fromEst = (await ok(['import', '-c', `LABEL ${LABEL}`, '-m', 'made by estiba', paths.rootfs, `${REPO}/rt-est:1`], est.host)).trim();
    let r = await sh(`${cmd('docker28', est.host)} save ${REPO}/rt-est:1 ${REPO}/uniq:v1 | ${cmd('docker20', peer.host)} load`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => l !== '').sort().join('\n'), `Loaded image: ${REPO}/rt-est:1\nLoaded image: ${REPO}/uniq:v1`);
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', `${REPO}/rt-est:1`], peer.host), `${fromEst}\n`);
    let { e, p } = await inspectBoth(`${REPO}/rt-est:1`);
    assert.deepEqual(comparable(e), comparable(p));

    // dockerd → estibad, with an image only dockerd has.
    const fromPeer = (await ok(['import', '-c', `LABEL ${LABEL}`, '-c', 'CMD ["/bin/sh"]', paths.rootfs, `${REPO}/rt-peer:1`], peer.host)).trim();
    r = await sh(`${cmd('docker20', peer.host)} save ${REPO}/rt-peer:1 | ${cmd('docker28', est.host)} load`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Loaded image: ${REPO}/rt-peer:1\n`);
    assert.equal(await ok(['image', 'inspect', '-f', '{{.Id}}', `${REPO}/rt-peer:1`], est.host), `${fromPeer}\n`);
    ({ e, p } = await inspectBoth(`${REPO}/rt-peer:1`));
    assert.deepEqual(comparable(e), comparable(p));
    await same(['history', '--no-trunc', `${REPO}/rt-peer:1`]);

    // A multi-layer image through both daemons and back, by file: gone from estibad, back from dockerd.
    const out = join(work, 'rt-uniq.tar');
    await ok(['save', '-o', out, `${REPO}/uniq:v1`], peer.host, 'docker20');
    await ok(['rmi', `${REPO}/uniq:v1`], est.host);
    await ok(['image', 'inspect', `${REPO}/busybox`], est.host);
    assert.equal(await ok(['load', '-i', out], est.host), `Loaded image: ${REPO}/uniq:v1\n`);
    ({ e, p } = await inspectBoth(`${REPO}/uniq:v1`));
    assert.equal(e.Id, uniq.id);
    assert.deepEqual(comparable(e), comparable(p));
    // The unpacked layers are there.
    const upper = (e.GraphDriver as { Data: { UpperDir: string } }).Data.UpperDir;
    assert.ok(existsSync(join(upper, 'uniq.txt')), `${upper}/uniq.txt`);

    // Unknown names fail before any byte is written.
    for (const cli of CLIS) {
      const s = await docker(['save', '-o', join(work, 'never.tar'), 'nope'], est.host, cli);
      assert.equal(s.code, 1);
      assert.equal(s.stderr, 'Error response from daemon: No such image: nope:latest\n');
      assert.equal(existsSync(join(work, 'never.tar')), false);
    }
  });

  test('system df: same layout as dockerd; sizes agree with docker images', async () => {
    for (const cli of CLIS) {
      const { e, p } = await both(['system', 'df'], cli);
      assert.equal(e.code, 0, e.stderr);
      assert.deepEqual(headers(e.stdout), headers(p.stdout));
      const rows = (s: string): string[] => s.split('\n').slice(1).filter((l) => l !== '').map((l) => l.split(/\s{2,}/)[0]!);
      assert.deepEqual(rows(e.stdout), rows(p.stdout));
      const count = new Set((await ok(['images', '-aq'], est.host, cli)).split('\n').filter((l) => l !== '')).size;
      assert.match(e.stdout, new RegExp(`^Images\\s+${count}\\s+0\\s`, 'm'));

      const verbose = await ok(['system', 'df', '-v'], est.host, cli);
      const peerVerbose = await ok(['system', 'df', '-v'], peer.host, cli);
      const sections = (s: string): string[] => s.split('\n').filter((l) => /^\S.*:/.test(l));
      assert.deepEqual(sections(verbose), sections(peerVerbose).map((l) => l.replace(/: .*/, ': 0B')));
      const imageHeader = (s: string): string[] => headers(s.split('\n').slice(2).join('\n'));
      assert.deepEqual(imageHeader(verbose), imageHeader(peerVerbose));
      // Our image's row, cell by cell: both daemons hold its base layer under another tag too. The
      // row is found by ID: the CLI names an image after any one of its repositories.
      const row = (s: string): string[] => {
        const line = s.split('\n').find((l) => l.includes(`   ${uniq.id.slice(7, 19)}   `));
        assert.ok(line, s);
        return line.split(/\s{2,}/).slice(2);
      };
      assert.deepEqual(row(verbose), row(peerVerbose), `${cli} system df -v row of ${REPO}/uniq`);
      assert.notEqual(row(verbose)[4], '0B', `${cli} system df -v UNIQUE SIZE`);
      const json = (await ok(['system', 'df', '--format', '{{json .}}'], est.host, cli)).trim().split('\n');
      assert.equal(json.length, 4);
      assert.equal((JSON.parse(json[0]!) as { Type: string }).Type, 'Images');
    }
  });

  test('events --since/--until replay what happened, like dockerd', async () => {
    const ts = (): string => (Date.now() / 1000).toFixed(3);
    const since = ts();
    for (const host of [est.host, peer.host]) {
      await ok(['tag', `${REPO}/uniq:v1`, `${REPO}/ev:1`], host);
      await ok(['rmi', `${REPO}/ev:1`], host);
      await ok(['save', '-o', join(work, 'ev.tar'), `${REPO}/uniq:v1`], host);
    }
    await new Promise((r) => setTimeout(r, 50));
    const until = ts();
    for (const cli of CLIS) {
      const fmt = '{{.Type}} {{.Action}} {{.Actor.ID}}';
      const r = await same(['events', '--since', since, '--until', until, '--filter', `image=${uniq.id}`, '--format', fmt], cli);
      assert.equal(r.stdout, ['tag', 'untag', 'save'].map((a) => `image ${a} ${uniq.id}\n`).join(''));
      await same(['events', '--since', since, '--until', until, '--filter', `image=${uniq.id}`, '--filter', 'event=tag', '--format', fmt], cli);
      // The default format: timestamp, type, action, ID and attributes (the image's labels and name).
      const plain = await both(['events', '--since', since, '--until', until, '--filter', `image=${uniq.id}`, '--filter', 'event=tag'], cli);
      const stamp = /^\d{4}-\d\d-\d\dT[\d:.]+Z /gm;
      assert.equal(plain.e.stdout.replace(stamp, 'TIME '), plain.p.stdout.replace(stamp, 'TIME '));
      assert.equal(plain.e.stdout.replace(stamp, 'TIME '), `TIME image tag ${uniq.id} (name=${REPO}/ev:1, ${LABEL})\n`);
      // dockerd does not check filter keys: an unknown one filters nothing out.
      await same(['events', '--since', since, '--until', until, '--filter', `image=${uniq.id}`, '--filter', 'bogus=1', '--format', fmt], cli);
      const backwards = await both(['events', '--since', until, '--until', since], cli);
      assert.equal(backwards.e.code, 1);
      assert.equal(backwards.e.stderr, backwards.p.stderr);
    }
  });

  test('import: from a file and from stdin, with --change and --message, like dockerd', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const cli of CLIS) {
      const changes = ['-c', 'CMD ["/bin/sh"]', '-c', 'ENV A=b', '-c', `LABEL ${LABEL}`, '-c', 'WORKDIR /w', '-c', 'EXPOSE 80'];
      const ids: Record<string, string> = {};
      for (const [which, host] of [['e', est.host], ['p', peer.host]] as const) {
        const out = await ok(['import', ...changes, '-m', 'imported by e2e', paths.rootfs, `${REPO}/imp:${cli}`], host, cli);
        assert.match(out, /^sha256:[0-9a-f]{64}\n$/);
        ids[which] = out.trim();
      }
      const { e, p } = await inspectBoth(`${REPO}/imp:${cli}`);
      const { Id: _ei, Created: _ec, ...eRest } = comparable(e);
      const { Id: _pi, Created: _pc, ...pRest } = comparable(p);
      assert.deepEqual(eRest, pRest);
      await same(['history', '--format', '{{.CreatedBy}}|{{.Size}}|{{.Comment}}', `${REPO}/imp:${cli}`], cli);

      // From stdin, no message, no tag: an untagged image with Docker's default comment.
      const fromStdin = await both(['import', '-'], cli, await readFile(paths.rootfs));
      assert.equal(fromStdin.e.code, 0, fromStdin.e.stderr);
      const id = fromStdin.e.stdout.trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      const pid = fromStdin.p.stdout.trim();
      const fmt = '{{.Comment}}|{{json .RepoTags}}|{{json .RootFS.Layers}}|{{.Size}}';
      assert.equal(await ok(['image', 'inspect', '-f', fmt, id], est.host, cli), await ok(['image', 'inspect', '-f', fmt, pid], peer.host, cli));
      await ok(['rmi', id], est.host, cli);
      await ok(['rmi', pid], peer.host, cli);

      const bad = await same(['import', '-c', 'BOGUS x', paths.rootfs], cli);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'Error response from daemon: bogus is not a valid change command\n');
    }
  });

  test('image prune -f removes dangling images and reports them like dockerd', async () => {
    for (const cli of CLIS) {
      // The same dangling image in each daemon: a tag taken away by a newer import.
      for (const host of [est.host, peer.host]) {
        await ok(['import', '-c', `LABEL ${LABEL}`, '-m', 'old', paths.rootfs, `${REPO}/prune:${cli}`], host, cli);
        await ok(['import', '-c', `LABEL ${LABEL}`, '-m', 'new', paths.rootfs, `${REPO}/prune:${cli}`], host, cli);
      }
      const dangling = ['images', '-q', '--filter', 'dangling=true', '--filter', `label=${LABEL}`];
      const { e: before, p: beforePeer } = await both(dangling, cli);
      assert.equal(before.stdout.split('\n').filter((l) => l !== '').length, 1, before.stdout);
      assert.equal(beforePeer.stdout.split('\n').filter((l) => l !== '').length, 1, beforePeer.stdout);
      const { e, p } = await both(['image', 'prune', '-f', '--filter', `label=${LABEL}`], cli);
      const norm = (s: string): string => s.replace(/sha256:[0-9a-f]{64}/g, 'sha256:ID');
      assert.equal(e.code, 0, e.stderr);
      assert.equal(norm(e.stdout), norm(p.stdout));
      assert.match(e.stdout, new RegExp(`^Deleted Images:\ndeleted: sha256:${before.stdout.trim()}[0-9a-f]{52}\n`));
      await same(dangling, cli);
      // Nothing left to prune: dockerd prints the total alone.
      await same(['image', 'prune', '-f', '--filter', `label=${LABEL}`], cli);
    }
    // Unfiltered, on estibad only (the peer is shared): no dangling image is left.
    await ok(['import', paths.rootfs], est.host);
    const r = await ok(['image', 'prune', '-f'], est.host);
    assert.match(r, /^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: \d/);
    assert.equal(await ok(['images', '-q', '--filter', 'dangling=true'], est.host), '');
    assert.equal(await ok(['image', 'prune', '-f'], est.host), 'Total reclaimed space: 0B\n');
  });

  test('cp: /etc/hostname of a running and of a stopped container is the one the container sees; writing it fails, like dockerd', async () => {
    const name = `${REPO}-cp-hostname`;
    const image = `${REPO}/busybox:latest`;
    const hosts = { estibad: est.host, dockerd: peer.host };
    await writeFile(join(work, 'hostname'), 'written by cp\n');
    try {
      for (const host of Object.values(hosts)) {
        await ok(['load', '-i', paths.bb], host);
        await ok(['run', '-d', '--name', name, '--hostname', 'xyz', image, 'sleep', '1000'], host);
      }
      for (const state of ['running', 'stopped']) {
        if (state === 'stopped') for (const host of Object.values(hosts)) await ok(['stop', '-t', '0', name], host);
        for (const [who, host] of Object.entries(hosts)) {
          const out = join(work, `hostname-${who}-${state}`);
          await ok(['cp', `${name}:/etc/hostname`, out], host);
          assert.equal(await import('node:fs/promises').then((fs) => fs.readFile(out, 'utf8')), 'xyz\n', `${who}, ${state}`);
        }
        // The file is a mount point during the copy: replacing it fails with the same words.
        await same(['cp', join(work, 'hostname'), `${name}:/etc/hostname`]);
      }
    } finally {
      for (const host of Object.values(hosts)) await docker(['rm', '-f', name], host);
    }
  });

  test('the store holds no temp files after all this', async () => {
    const temps: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const ent of await readdir(dir, { withFileTypes: true })) {
        if (ent.name.startsWith('.tmp-')) temps.push(join(dir, ent.name));
        // Inside a layer's diff/ is image content, which may hold any name.
        else if (ent.isDirectory() && ent.name !== 'diff') await walk(join(dir, ent.name));
      }
    };
    await walk(est.dataRoot);
    assert.deepEqual(temps, []);
    assert.deepEqual(await readdir(join(est.dataRoot, 'content', 'ingest')), []);
  });
});
