/**
 * Pull and push against Debian's docker-registry (distribution 2.8) on loopback, driven by the
 * real docker CLI 28 through estibad: round trips by tag and digest, manifests and layers of
 * every kind (Docker schema2, OCI, indexes, gzip/zstd/plain), Docker's messages, and auth
 * (htpasswd Basic, token server Bearer) with `docker login`.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { busyboxLayer, pushHandImage, pushHandIndex } from '../helpers/registry-images.js';

let d: EstibadProcess;
let work: string;
let busyboxId: string;

async function docker(args: string[], configDir?: string): Promise<DockerCliResult> {
  return dockerCli(args, { host: d.host, timeoutMs: 120_000, ...(configDir ? { configDir } : {}) });
}
async function ok(args: string[], configDir?: string): Promise<string> {
  const r = await docker(args, configDir);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function inspect(name: string): Promise<{ Id: string; RepoDigests: string[]; RepoTags: string[]; Architecture: string }> {
  return (JSON.parse(await ok(['image', 'inspect', name])) as { Id: string; RepoDigests: string[]; RepoTags: string[]; Architecture: string }[])[0]!;
}

before(async () => {
  d = await startEstibad();
  work = await mkdtemp(join(tmpdir(), 'estiba-registry-test-'));
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await ok(['load', '-i', join(work, 'busybox.tar')]);
  busyboxId = (await inspect('busybox')).Id;
});
after(async () => {
  if (d) {
    const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await docker(['rm', '-f', ...ids]);
    await d.stop();
    await d.cleanup();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('plain registry', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry();
  });
  after(async () => reg?.stop());

  test('push a loaded image, rmi, pull it back by tag and by digest: same image ID, RepoDigests recorded', async () => {
    const name = `${reg.host}/rt/busybox`;
    await ok(['tag', 'busybox', `${name}:v1`]);
    const pushed = await ok(['push', `${name}:v1`]);
    assert.match(pushed, new RegExp(`The push refers to repository \\[${name.replace(/\./g, '\\.')}\\]`));
    const m = /v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(pushed);
    assert.ok(m, pushed);
    const digest = m[1]!;
    assert.ok((await inspect(`${name}:v1`)).RepoDigests.includes(`${name}@${digest}`));
    // A second push finds every layer there already.
    assert.match(await ok(['push', `${name}:v1`]), /Layer already exists/);
    await ok(['rmi', `${name}:v1`]);
    const pulled = await ok(['pull', `${name}:v1`]);
    assert.match(pulled, /v1: Pulling from rt\/busybox/);
    assert.match(pulled, new RegExp(`Digest: ${digest}`));
    assert.match(pulled, new RegExp(`Status: Image is up to date for ${name.replace(/\./g, '\\.')}:v1|Status: Downloaded newer image for ${name.replace(/\./g, '\\.')}:v1`));
    const img = await inspect(`${name}:v1`);
    assert.equal(img.Id, busyboxId);
    assert.ok(img.RepoDigests.includes(`${name}@${digest}`), JSON.stringify(img.RepoDigests));
    // Now without any local copy: rmi everything, pull by digest.
    await ok(['rmi', '-f', busyboxId]);
    const byDigest = await ok(['pull', `${name}@${digest}`]);
    assert.match(byDigest, /Pull complete/);
    assert.match(byDigest, new RegExp(`Status: Downloaded newer image for ${name.replace(/\./g, '\\.')}@${digest}`));
    assert.equal((await inspect(`${name}@${digest}`)).Id, busyboxId);
    // And by tag again: layers already there, image up to date.
    const again = await ok(['pull', `${name}:v1`]);
    assert.equal((await inspect(`${name}:v1`)).Id, busyboxId);
    assert.match(again, /Digest: /);
    assert.equal((await ok(['run', '--rm', `${name}:v1`, 'echo', 'pulled'])).trim(), 'pulled');
    await ok(['tag', busyboxId, 'busybox:latest']);
  });

  test('docker run pulls a missing image (create answers 404, the CLI pulls); --pull never and always', async () => {
    const name = `${reg.host}/auto/busybox:v1`;
    await ok(['tag', 'busybox', name]);
    await ok(['push', name]);
    await ok(['rmi', name]);
    await ok(['rmi', '-f', busyboxId]);
    const never = await docker(['run', '--rm', '--pull', 'never', name, 'true']);
    assert.equal(never.code, 125);
    assert.match(never.stderr, /No such image/);
    const r = await docker(['run', '--rm', name, 'echo', 'auto-pulled']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Unable to find image '${name.replace(/\./g, '\\.')}' locally`));
    assert.match(r.stderr, /Pull complete/);
    assert.equal(r.stdout.trim(), 'auto-pulled');
    const always = await docker(['run', '--rm', '--pull', 'always', name, 'echo', 'again']);
    assert.equal(always.code, 0, always.stderr);
    assert.match(always.stderr, /Image is up to date|Digest: sha256:/);
    const created = await docker(['create', `${reg.host}/auto/busybox:v1`, 'true']);
    assert.equal(created.code, 0, created.stderr);
    await ok(['rm', created.stdout.trim()]);
    await ok(['tag', name, 'busybox:latest']);
  });

  test('pull -a fetches every tag of the repository; push without a tag pushes latest', async () => {
    const repo = `${reg.host}/all/busybox`;
    await ok(['tag', 'busybox', `${repo}:one`]);
    await ok(['tag', 'busybox', `${repo}:two`]);
    await ok(['push', `${repo}:one`]);
    await ok(['push', `${repo}:two`]);
    await ok(['tag', 'busybox', repo]);
    const latest = await ok(['push', repo]);
    assert.match(latest, /latest: digest: sha256:/);
    await ok(['rmi', `${repo}:one`, `${repo}:two`, `${repo}:latest`]);
    await ok(['pull', '-a', repo]);
    const tags = (await inspect(busyboxId)).RepoTags.filter((t) => t.startsWith(repo)).sort();
    assert.deepEqual(tags, [`${repo}:latest`, `${repo}:one`, `${repo}:two`]);
  });

  test('cross-repository mount on push', async () => {
    const a = `${reg.host}/mount/a:v1`;
    const b = `${reg.host}/mount/b:v1`;
    await ok(['tag', 'busybox', a]);
    await ok(['push', a]);
    // Pull it back so the local image holds the registry's (compressed) blobs, then push elsewhere.
    await ok(['rmi', a]);
    await ok(['rmi', '-f', busyboxId]);
    await ok(['pull', a]);
    await ok(['tag', a, b]);
    const out = await ok(['push', b]);
    assert.match(out, /Mounted from mount\/a/);
    await ok(['tag', a, 'busybox:latest']);
  });

  test('OCI index: linux/amd64 by default, --platform picks another, no match is Docker\'s error', async () => {
    const repo = 'multi/app';
    const base = await busyboxLayer('gzip');
    const amd = await pushHandImage(reg, repo, undefined, { layers: [base, { entries: [{ name: 'arch.txt', content: 'amd64\n' }], compression: 'gzip' }] });
    const arm = await pushHandImage(reg, repo, undefined, {
      layers: [base, { entries: [{ name: 'arch.txt', content: 'arm64\n' }], compression: 'gzip' }],
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    });
    const indexDigest = await pushHandIndex(reg, repo, 'v1', [
      { image: arm, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { image: amd, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    const name = `${reg.host}/${repo}`;
    const out = await ok(['pull', `${name}:v1`]);
    assert.match(out, new RegExp(`Digest: ${indexDigest}`));
    const img = await inspect(`${name}:v1`);
    assert.equal(img.Id, amd.configDigest);
    assert.ok(img.RepoDigests.includes(`${name}@${indexDigest}`));
    assert.equal((await ok(['run', '--rm', `${name}:v1`, 'cat', '/arch.txt'])).trim(), 'amd64');
    await ok(['pull', '--platform', 'linux/arm64', `${name}:v1`]);
    const armImg = await inspect(`${name}:v1`);
    assert.equal(armImg.Id, arm.configDigest);
    assert.equal(armImg.Architecture, 'arm64');
    const bad = await docker(['pull', '--platform', 'linux/s390x', `${name}:v1`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  test('zstd, gzip and uncompressed layers in one OCI image', async () => {
    const repo = 'layers/mixed';
    const img = await pushHandImage(reg, repo, 'v1', {
      layers: [
        await busyboxLayer('none'),
        { entries: [{ name: 'z.txt', content: 'zstd layer\n' }], compression: 'zstd' },
        { entries: [{ name: 'g.txt', content: 'gzip layer\n' }], compression: 'gzip' },
      ],
    });
    const name = `${reg.host}/${repo}:v1`;
    await ok(['pull', name]);
    assert.equal((await inspect(name)).Id, img.configDigest);
    assert.equal((await ok(['run', '--rm', name, 'cat', '/z.txt', '/g.txt'])).trim(), 'zstd layer\ngzip layer');
    // Pushed elsewhere, the zstd layer goes out as stored (an OCI manifest: Docker's has no zstd type).
    const copy = `${reg.host}/layers/copy:v1`;
    await ok(['tag', name, copy]);
    await ok(['push', copy]);
    await ok(['rmi', copy, name]);
    await ok(['pull', copy]);
    assert.equal((await inspect(copy)).Id, img.configDigest);
  });

  test('Docker\'s errors: unknown tag, unknown repository, bad reference', async () => {
    const t = await docker(['pull', `${reg.host}/rt/busybox:nope`]);
    assert.equal(t.code, 1);
    assert.match(t.stderr, new RegExp(`manifest for ${reg.host.replace(/\./g, '\\.')}/rt/busybox:nope not found: manifest unknown: manifest unknown`));
    const r = await docker(['pull', `${reg.host}/no/such:v1`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not found|manifest unknown|name unknown/);
    const p = await docker(['push', `${reg.host}/not/here:v9`]);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /An image does not exist locally with the tag: /);
  });
});

for (const kind of ['htpasswd', 'token'] as const) {
  describe(`${kind} auth`, () => {
    let reg: TestRegistry;
    let config: string;
    before(async () => {
      reg = await startRegistry({ auth: { kind, user: 'estiba', password: 's3cret' } });
      config = await mkdtemp(join(tmpdir(), 'estiba-docker-config-'));
    });
    after(async () => {
      await reg?.stop();
      if (config) await rm(config, { recursive: true, force: true });
    });

    test(`docker login, push, pull through estibad (${kind})`, async () => {
      const name = `${reg.host}/private/busybox:v1`;
      await ok(['tag', 'busybox', name], config);
      const anon = await docker(['push', name], config);
      assert.equal(anon.code, 1, anon.stdout);
      const bad = await docker(['login', '-u', 'estiba', '-p', 'wrong', reg.host], config);
      assert.equal(bad.code, 1, bad.stdout);
      const login = await dockerCli(['login', '-u', 'estiba', '--password-stdin', reg.host], { host: d.host, configDir: config, input: 's3cret\n' });
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
      const pushed = await ok(['push', name], config);
      assert.match(pushed, /v1: digest: sha256:/);
      await ok(['rmi', name], config);
      const anonPull = await docker(['pull', name]);
      assert.equal(anonPull.code, 1);
      assert.match(anonPull.stderr, /pull access denied for .*private\/busybox|unauthorized|no basic auth credentials/);
      await ok(['pull', name], config);
      assert.equal((await inspect(name)).Id, busyboxId);
      if (kind === 'token') {
        assert.ok(reg.tokenRequests!.some((s) => s.includes('repository:private/busybox:pull,push')), JSON.stringify(reg.tokenRequests));
        // Tokens are cached: one push of one layer does not fetch a token per request.
        assert.ok(reg.tokenRequests!.length < 15, `${reg.tokenRequests!.length} token requests`);
      }
      await ok(['rmi', name], config);
    });
  });
}
