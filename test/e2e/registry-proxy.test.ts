/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY in estibad's environment, with Go's rules: registries on
 * the host's own (non-loopback) address are reached through a forward proxy of the test
 * (absolute-URI requests for http://, CONNECT tunnels for https:// with the certs.d CA still
 * verified end to end); loopback registries never are; NO_PROXY sends a host direct.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { dockerCli, type DockerCliResult } from '../helpers/docker-peer.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { hostAddress, makeTestCa } from '../helpers/test-ca.js';
import { envWithoutProxy, startForwardProxy, type ForwardProxy } from '../helpers/forward-proxy.js';

let work: string;
let proxy: ForwardProxy;
let plain: TestRegistry;
let secure: TestRegistry;
let loop: TestRegistry;
const daemons: EstibadProcess[] = [];

async function daemon(extraEnv: Record<string, string>): Promise<EstibadProcess> {
  const d = await startEstibad({ args: ['--certs-d', join(work, 'certs.d'), '--insecure-registry', plain.host], env: envWithoutProxy(extraEnv) });
  daemons.push(d);
  const r = await dockerCli(['load', '-i', join(work, 'busybox.tar')], { host: d.host, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return d;
}
async function ok(d: EstibadProcess, args: string[]): Promise<string> {
  const r: DockerCliResult = await dockerCli(args, { host: d.host, timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
async function roundTrip(d: EstibadProcess, name: string): Promise<void> {
  await ok(d, ['tag', 'busybox', name]);
  await ok(d, ['push', name]);
  await ok(d, ['rmi', name]);
  await ok(d, ['pull', name]);
}

before(async () => {
  const addr = hostAddress();
  work = await mkdtemp(join(tmpdir(), 'estiba-registry-proxy-'));
  const ca = await makeTestCa(work);
  const srv = await ca.issue('server', { ips: [addr] });
  plain = await startRegistry({ address: addr });
  secure = await startRegistry({ address: addr, tls: { certificate: srv.cert, key: srv.key } });
  loop = await startRegistry();
  await mkdir(join(work, 'certs.d', secure.host), { recursive: true });
  await copyFile(ca.cert, join(work, 'certs.d', secure.host, 'ca.crt'));
  proxy = await startForwardProxy();
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
});
after(async () => {
  for (const d of daemons) {
    await d.stop();
    await d.cleanup();
  }
  await proxy?.close();
  for (const r of [plain, secure, loop]) await r?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('http:// and https:// registries go through HTTP_PROXY / HTTPS_PROXY; loopback goes direct', async () => {
  const d = await daemon({ HTTP_PROXY: proxy.url, https_proxy: proxy.url });
  await roundTrip(d, `${plain.host}/proxied/busybox:v1`);
  assert.ok(proxy.seen.includes(`GET http://${plain.host}/v2/`), proxy.seen.join('\n'));
  assert.ok(proxy.seen.some((l) => l.startsWith(`PUT http://${plain.host}/v2/proxied/busybox/manifests/v1`)), proxy.seen.join('\n'));
  assert.ok(proxy.seen.some((l) => l.startsWith(`GET http://${plain.host}/v2/proxied/busybox/manifests/v1`)), proxy.seen.join('\n'));
  await roundTrip(d, `${secure.host}/tunneled/busybox:v1`);
  assert.ok(proxy.seen.includes(`CONNECT ${secure.host}`), proxy.seen.join('\n'));
  const before = proxy.seen.length;
  await roundTrip(d, `${loop.host}/direct/busybox:v1`);
  assert.deepEqual(proxy.seen.slice(before), [], 'loopback must not be proxied');
});

test('NO_PROXY with the registry\'s address sends it direct', async () => {
  const d = await daemon({ HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: `other.test,${plain.host}` });
  const before = proxy.seen.length;
  await roundTrip(d, `${plain.host}/noproxy/busybox:v1`);
  assert.deepEqual(proxy.seen.slice(before), [], 'NO_PROXY host must not be proxied');
  // The other registry on the same address but another port still goes through the proxy.
  await roundTrip(d, `${secure.host}/still-proxied/busybox:v1`);
  assert.ok(proxy.seen.slice(before).includes(`CONNECT ${secure.host}`), proxy.seen.join('\n'));
});
