/**
 * TLS to registries with Docker's certs.d layout: a registry on the host's own (not loopback,
 * so not insecure by default) address serving a certificate of a throw-away CA. Without the CA
 * in `<certs.d>/<host:port>/*.crt` a push fails with Go's x509 message; with it push and pull
 * work. A registry that requires client certificates accepts the `*.cert`/`*.key` pair there.
 * estibad gets temp certs.d roots (hidden `--certs-d`), so nothing is written under /etc.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { hostAddress, makeTestCa, type TestCa } from '../helpers/test-ca.js';
import { envWithoutProxy } from '../helpers/forward-proxy.js';

let d: EstibadProcess;
let work: string;
let certsD: string;
let ca: TestCa;
let addr: string;

async function docker(args: string[]): Promise<DockerCliResult> {
  return dockerCli(args, { host: d.host, timeoutMs: 120_000 });
}
async function ok(args: string[]): Promise<string> {
  const r = await docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  addr = hostAddress();
  work = await mkdtemp(join(tmpdir(), 'estiba-registry-tls-'));
  certsD = join(work, 'certs.d');
  ca = await makeTestCa(work);
  // A proxy in the test's environment would stand between estibad and the host's own address.
  d = await startEstibad({ args: ['--certs-d', certsD, '--certs-d', join(work, 'certs2.d')], env: envWithoutProxy() });
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  await ok(['load', '-i', join(work, 'busybox.tar')]);
});
after(async () => {
  if (d) {
    await d.stop();
    await d.cleanup();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('registry with a certificate of a private CA', () => {
  let reg: TestRegistry;
  before(async () => {
    const srv = await ca.issue('server', { ips: [addr] });
    reg = await startRegistry({ address: addr, tls: { certificate: srv.cert, key: srv.key } });
  });
  after(async () => reg?.stop());

  test('without the CA: x509 error; with <certs.d>/<host:port>/ca.crt: push, rmi and pull work', async () => {
    const name = `${reg.host}/tls/busybox:v1`;
    await ok(['tag', 'busybox', name]);
    const failed = await docker(['push', name]);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, new RegExp(`Get "https://${reg.host.replace(/\./g, '\\.')}/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority`));
    // A .crt under the second root counts too.
    await mkdir(join(work, 'certs2.d', reg.host), { recursive: true });
    await copyFile(ca.cert, join(work, 'certs2.d', reg.host, 'ca.crt'));
    await ok(['push', name]);
    await ok(['rmi', name]);
    await ok(['pull', name]);
    const img = JSON.parse(await ok(['image', 'inspect', name])) as { RepoDigests: string[] }[];
    assert.ok(img[0]!.RepoDigests.some((r) => r.startsWith(`${reg.host}/tls/busybox@sha256:`)), JSON.stringify(img[0]!.RepoDigests));
  });
});

describe('registry requiring a client certificate', () => {
  let reg: TestRegistry;
  before(async () => {
    const srv = await ca.issue('server2', { ips: [addr] });
    reg = await startRegistry({ address: addr, tls: { certificate: srv.cert, key: srv.key, clientCas: [ca.cert] } });
  });
  after(async () => reg?.stop());

  test('the client.cert/client.key pair in certs.d is presented; a .cert without its .key is refused', async () => {
    const name = `${reg.host}/mtls/busybox:v1`;
    await ok(['tag', 'busybox', name]);
    const dir = join(certsD, reg.host);
    await mkdir(dir, { recursive: true });
    await copyFile(ca.cert, join(dir, 'ca.crt'));
    const noClient = await docker(['push', name]);
    assert.notEqual(noClient.code, 0, 'push without a client certificate must fail');
    assert.match(noClient.stderr, /Get "https:\/\/[^"]+\/v2\/": /);
    const client = await ca.issue('client', { client: true });
    await copyFile(client.cert, join(dir, 'client.cert'));
    const lonely = await docker(['push', name]);
    assert.notEqual(lonely.code, 0);
    assert.match(lonely.stderr, /missing key client\.key for client certificate client\.cert/);
    await copyFile(client.key, join(dir, 'client.key'));
    await ok(['push', name]);
    await ok(['rmi', name]);
    await ok(['pull', name]);
    await writeFile(join(dir, 'README'), 'other files are ignored\n');
    await ok(['pull', name]);
  });
});
