/**
 * `estiba pull/push/login/logout/search` against docker-registry with htpasswd auth: credentials
 * are shared with the docker CLI through config.json (`docker login` then `estiba pull`, and the
 * other way), and with credential helpers (`credsStore`, a docker-credential-* script of ours).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, ESTIBA, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli } from '../helpers/docker-peer.js';
import { run, envWithoutDocker } from '../helpers/e2e.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let d: EstibadProcess;
let reg: TestRegistry;
let work: string;
let config: string;

const estiba = (args: string[], o: { input?: string; config?: string; path?: string } = {}) =>
  run(process.execPath, [ESTIBA, ...args], {
    env: envWithoutDocker({ DOCKER_HOST: d.host, DOCKER_CONFIG: o.config ?? config, ...(o.path ? { PATH: `${o.path}:${process.env.PATH ?? ''}` } : {}) }),
    ...(o.input !== undefined ? { input: o.input } : {}),
    timeoutMs: 120_000,
  });

before(async () => {
  [d, reg] = await Promise.all([startEstibad(), startRegistry({ auth: { kind: 'htpasswd', user: 'cli', password: 'pw-cli' } })]);
  work = await mkdtemp(join(tmpdir(), 'estiba-registry-cli-'));
  config = join(work, 'config');
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  const r = await estiba(['load', '-i', join(work, 'busybox.tar')]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await d?.stop();
  await d?.cleanup();
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('estiba login/push/pull/logout; docker CLI reads the same config.json', async () => {
  const name = `${reg.host}/cli/busybox:v1`;
  assert.equal((await estiba(['tag', 'busybox', name])).code, 0);
  const bad = await estiba(['login', '-u', 'cli', '--password-stdin', reg.host], { input: 'nope\n' });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error response from daemon: .*401/);
  const login = await estiba(['login', '-u', 'cli', '--password-stdin', reg.host], { input: 'pw-cli\n' });
  assert.equal(login.code, 0, login.stderr);
  assert.equal(login.stdout, 'Login Succeeded\n');
  const cfg = JSON.parse(await readFile(join(config, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
  assert.equal(Buffer.from(cfg.auths[reg.host]!.auth, 'base64').toString(), 'cli:pw-cli');
  const push = await estiba(['push', name]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
  assert.equal((await estiba(['rmi', name])).code, 0);
  const pull = await estiba(['pull', name]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /v1: Pulling from cli\/busybox\n/);
  assert.ok(pull.stdout.endsWith(`Status: Image is up to date for ${name}\n${name}\n`) || pull.stdout.endsWith(`Status: Downloaded newer image for ${name}\n${name}\n`), pull.stdout);
  const q = await estiba(['pull', '-q', name]);
  assert.equal(q.stdout, `${name}\n`);
  // The docker CLI uses what estiba login stored.
  assert.equal((await dockerCli(['pull', name], { host: d.host, configDir: config })).code, 0);
  const out = await estiba(['logout', reg.host]);
  assert.equal(out.stdout, `Removing login credentials for ${reg.host}\n`);
  assert.equal((await estiba(['logout', reg.host])).stdout, `Not logged in to ${reg.host}\n`);
  const anon = await estiba(['pull', name]);
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /no basic auth credentials/);
  // docker login writes; estiba pull reads.
  const dl = await dockerCli(['login', '-u', 'cli', '--password-stdin', reg.host], { host: d.host, configDir: config, input: 'pw-cli\n' });
  assert.equal(dl.code, 0, dl.stderr);
  assert.equal((await estiba(['pull', name])).code, 0);
});

test('credsStore: a docker-credential-* helper stores and serves the secret', async () => {
  const bin = join(work, 'bin');
  const store = join(work, 'helper-store.json');
  await mkdir(bin, { recursive: true });
  // A minimal helper speaking the protocol: store (JSON in), get (server URL in, JSON out), erase.
  await writeFile(
    join(bin, 'docker-credential-estibatest'),
    `#!/bin/sh\nset -e\ncase "$1" in\n  store) cat > ${store} ;;\n  get) read s || true; [ -f ${store} ] || { echo "credentials not found in native keychain"; exit 1; }; cat ${store} ;;\n  erase) rm -f ${store} ;;\nesac\n`,
  );
  await chmod(join(bin, 'docker-credential-estibatest'), 0o755);
  const cfgDir = join(work, 'helper-config');
  await mkdir(cfgDir, { recursive: true });
  await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'estibatest' }));
  const login = await estiba(['login', '-u', 'cli', '--password-stdin', reg.host], { input: 'pw-cli\n', config: cfgDir, path: bin });
  assert.equal(login.code, 0, login.stderr);
  const stored = JSON.parse(await readFile(store, 'utf8')) as { ServerURL: string; Username: string; Secret: string };
  assert.deepEqual(stored, { ServerURL: reg.host, Username: 'cli', Secret: 'pw-cli' });
  const cfg = await readFile(join(cfgDir, 'config.json'), 'utf8');
  assert.doesNotMatch(cfg, /pw-cli/);
  const pull = await estiba(['pull', `${reg.host}/cli/busybox:v1`], { config: cfgDir, path: bin });
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal((await estiba(['logout', reg.host], { config: cfgDir, path: bin })).code, 0);
  await assert.rejects(readFile(store));
});

test('search: a registry without the v1 search API gives Docker\'s error', async () => {
  const r = await estiba(['search', `${reg.host}/cli`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: Unexpected status code 404/);
  const dr = await dockerCli(['search', `${reg.host}/cli`], { host: d.host });
  assert.equal(dr.code, 1);
  assert.match(dr.stderr, /Unexpected status code 404/);
});
