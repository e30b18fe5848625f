// estibad on TCP: mutual TLS as dockerd does it (--tlsverify: clients need a certificate signed by
// the CA), and plain TCP refused at start-up unless it is loopback and --insecure-tcp is given.
// The certificates are made here with openssl.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { dockerCli, DOCKER_CLI_PATHS, type DockerCliKind } from '../helpers/docker-peer.js';
import { ESTIBAD, startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { freePort, requireExecutable, run } from '../helpers/e2e.js';

const OPENSSL = '/usr/bin/openssl';
const CLIS: DockerCliKind[] = ['docker28', 'docker20'];

let dir: string;
let est: EstibadProcess | undefined;
let port: number;
const pem = (name: string): string => join(dir, name);

async function openssl(args: string[]): Promise<void> {
  const r = await run(OPENSSL, args);
  assert.equal(r.code, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A CA (`<ca>.pem`, `<ca>-key.pem`) and certificates signed by it. */
async function makeCa(ca: string): Promise<void> {
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=estiba e2e ${ca}`, '-keyout', pem(`${ca}-key.pem`), '-out', pem(`${ca}.pem`)]);
}

async function makeCert(o: { ca: string; name: string; cn: string; ext: string }): Promise<void> {
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${o.cn}`, '-keyout', pem(`${o.name}-key.pem`), '-out', pem(`${o.name}.csr`)]);
  await writeFile(pem(`${o.name}.ext`), o.ext);
  await openssl([
    'x509', '-req', '-days', '2', '-in', pem(`${o.name}.csr`), '-CA', pem(`${o.ca}.pem`), '-CAkey', pem(`${o.ca}-key.pem`),
    '-CAcreateserial', '-out', pem(`${o.name}.pem`), '-extfile', pem(`${o.name}.ext`),
  ]);
}

before(async () => {
  requireExecutable(OPENSSL, 'openssl');
  for (const cli of CLIS) requireExecutable(DOCKER_CLI_PATHS[cli], `the docker CLI (${cli})`);
  dir = await mkdtemp(join(tmpdir(), 'estiba-e2e-tls-'));
  await makeCa('ca');
  await makeCa('rogue-ca');
  await makeCert({ ca: 'ca', name: 'server', cn: 'localhost', ext: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' });
  await makeCert({ ca: 'ca', name: 'client', cn: 'e2e client', ext: 'extendedKeyUsage=clientAuth\n' });
  await makeCert({ ca: 'rogue-ca', name: 'rogue', cn: 'rogue client', ext: 'extendedKeyUsage=clientAuth\n' });
  port = await freePort();
  est = await startEstibad({
    args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('server.pem'), '--tlskey', pem('server-key.pem')],
  });
});

after(async () => {
  if (est) {
    await est.stop();
    await est.cleanup();
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** docker with the given TLS flags against the TCP address (the unix socket is not used). */
function tcpDocker(cli: DockerCliKind, flags: string[], args: string[], host = `tcp://127.0.0.1:${port}`): ReturnType<typeof dockerCli> {
  return dockerCli([...flags, '-H', host, ...args], { host: '', cli, timeoutMs: 30_000 });
}

const clientFlags = (): string[] => ['--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('client.pem'), '--tlskey', pem('client-key.pem')];

test('docker --tlsverify with a client certificate from the CA reaches estibad over TCP', async () => {
  for (const cli of CLIS) {
    const r = await tcpDocker(cli, clientFlags(), ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
    assert.match(r.stdout, /^\S+ 1\.45\n$/);
    // By name too: the server certificate carries DNS:localhost.
    const byName = await tcpDocker(cli, clientFlags(), ['images', '-q'], `tcp://localhost:${port}`);
    assert.equal(byName.code, 0, `${cli}: ${byName.stderr}`);
  }
  // The environment form: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem).
  const certPath = join(dir, 'cert-path');
  await run('/bin/sh', ['-c', `mkdir -p ${certPath} && cp ${pem('ca.pem')} ${certPath}/ca.pem && cp ${pem('client.pem')} ${certPath}/cert.pem && cp ${pem('client-key.pem')} ${certPath}/key.pem`]);
  const env = await dockerCli(['info', '--format', '{{.DockerRootDir}}'], {
    host: `tcp://127.0.0.1:${port}`,
    env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certPath },
  });
  assert.equal(env.code, 0, env.stderr);
  assert.equal(env.stdout, `${est!.dataRoot}\n`);
});

test('without a client certificate, with one from another CA, or without TLS, the connection is refused', async () => {
  for (const cli of CLIS) {
    const noCert = await tcpDocker(cli, ['--tlsverify', '--tlscacert', pem('ca.pem')], ['version']);
    assert.notEqual(noCert.code, 0, `${cli} without a client certificate: ${noCert.stdout}`);
    assert.match(noCert.stderr, /certificate required|bad certificate|handshake/i, `${cli}: ${noCert.stderr}`);
    assert.doesNotMatch(noCert.stdout, /Server:/);

    const rogue = await tcpDocker(cli, ['--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('rogue.pem'), '--tlskey', pem('rogue-key.pem')], ['version']);
    assert.notEqual(rogue.code, 0, `${cli} with a certificate from another CA: ${rogue.stdout}`);
    assert.match(rogue.stderr, /unknown (certificate )?authority|bad certificate|certificate/i, `${cli}: ${rogue.stderr}`);

    const plain = await tcpDocker(cli, [], ['version']);
    assert.notEqual(plain.code, 0, `${cli} over plain HTTP: ${plain.stdout}`);
    assert.doesNotMatch(plain.stdout, /Server:/);

    // And the client refuses a server it cannot verify.
    const wrongCa = await tcpDocker(cli, ['--tlsverify', '--tlscacert', pem('rogue-ca.pem'), '--tlscert', pem('client.pem'), '--tlskey', pem('client-key.pem')], ['version']);
    assert.notEqual(wrongCa.code, 0);
  }
  // The daemon is still serving.
  const again = await tcpDocker('docker28', clientFlags(), ['version']);
  assert.equal(again.code, 0, again.stderr);
});

/** Runs estibad expecting it to refuse to start; resolves with its exit code and stderr. */
async function refusedStart(args: string[]): Promise<{ code: number | null; stderr: string; dataRoot: string; execRoot: string }> {
  const dataRoot = await mkdtemp(join(tmpdir(), 'estiba-e2e-tls-data-'));
  const execRoot = await mkdtemp(join(tmpdir(), 'estiba-e2e-tls-exec-'));
  const child = spawn(process.execPath, [ESTIBAD, '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${join(execRoot, 'estiba.sock')}`, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr, dataRoot, execRoot };
}

test('plain TCP is refused at start-up unless loopback with --insecure-tcp; bad TLS files are named', async (t) => {
  const p = await freePort();
  const cases: { args: string[]; message: RegExp }[] = [
    { args: ['-H', `tcp://0.0.0.0:${p}`], message: new RegExp(`refusing to listen on tcp://0\\.0\\.0\\.0:${p} without TLS`) },
    { args: ['-H', `tcp://127.0.0.1:${p}`], message: /without TLS: use --tlsverify, or a loopback address with --insecure-tcp/ },
    { args: ['-H', `tcp://0.0.0.0:${p}`, '--insecure-tcp'], message: /refusing to listen on tcp:\/\/0\.0\.0\.0:\d+ without TLS/ },
    {
      args: ['-H', `tcp://127.0.0.1:${p}`, '--tlsverify', '--tlscacert', pem('missing-ca.pem'), '--tlscert', pem('server.pem'), '--tlskey', pem('server-key.pem')],
      message: new RegExp(`could not read the TLS CA certificate \\(--tlscacert\\) "${pem('missing-ca.pem')}"`),
    },
    {
      args: ['-H', `tcp://127.0.0.1:${p}`, '--tlsverify', '--tlscacert', pem('ca.pem'), '--tlscert', pem('server.csr'), '--tlskey', pem('server-key.pem')],
      message: /invalid TLS certificate or key/,
    },
  ];
  // A port already taken fails the start after the unix socket is bound: that socket goes too.
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const busyPort = (busy.address() as net.AddressInfo).port;
  cases.push({ args: ['-H', `tcp://127.0.0.1:${busyPort}`, '--insecure-tcp'], message: /EADDRINUSE/ });
  t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  for (const c of cases) {
    const r = await refusedStart(c.args);
    try {
      assert.equal(r.code, 1, `estibad ${c.args.join(' ')} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
      // Refused before it took anything, or it gave it back: no lock, no socket, no pid file left behind.
      assert.deepEqual(await readdir(r.execRoot), [], `exec root after estibad ${c.args.join(' ')}`);
      assert.equal(existsSync(join(r.dataRoot, 'estibad.lock')), false, `lock after estibad ${c.args.join(' ')}`);
    } finally {
      await rm(r.dataRoot, { recursive: true, force: true });
      await rm(r.execRoot, { recursive: true, force: true });
    }
  }
  // Loopback with --insecure-tcp is allowed, and the CLI reaches it without TLS.
  const insecure = await startEstibad({ args: ['-H', `tcp://127.0.0.1:${p}`, '--insecure-tcp'] });
  try {
    for (const cli of CLIS) {
      const r = await dockerCli(['version', '--format', '{{.Server.APIVersion}}'], { host: `tcp://127.0.0.1:${p}`, cli });
      assert.equal(r.code, 0, `${cli}: ${r.stderr}`);
      assert.equal(r.stdout, '1.45\n');
    }
  } finally {
    await insecure.stop();
    await insecure.cleanup();
  }
});

test('--tls without --tlsverify serves TLS without asking for client certificates', async () => {
  const p = await freePort();
  const tlsOnly = await startEstibad({ args: ['-H', `tcp://127.0.0.1:${p}`, '--tls', '--tlscert', pem('server.pem'), '--tlskey', pem('server-key.pem')] });
  try {
    const r = await dockerCli(['--tlsverify', '--tlscacert', pem('ca.pem'), '-H', `tcp://127.0.0.1:${p}`, 'version', '--format', '{{.Server.APIVersion}}'], { host: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '1.45\n');
  } finally {
    await tlsOnly.stop();
    await tlsOnly.cleanup();
  }
});
