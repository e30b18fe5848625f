/**
 * Debian's docker-registry (distribution 2.8) for tests: started on 127.0.0.1 at a free port with
 * its storage in a temp dir; optionally with htpasswd auth, or token auth backed by a small token
 * server of ours (RS256 JWTs signed with a key and self-signed certificate made by openssl, as
 * distribution's `auth: token:` wants them). Also raw helpers to put blobs and manifests into it
 * by hand (indexes, zstd layers) without going through the system under test.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createSign, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, requireExecutable, run } from './e2e.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:41234 */
  host: string;
  url: string;
  dir: string;
  /** Authorization header value to use for raw requests (admin), when auth is on. */
  adminAuth?: () => Promise<string>;
  /** Token server requests seen (scopes), when token auth is on. */
  tokenRequests?: string[];
  stop(): Promise<void>;
}

export interface RegistryOptions {
  auth?: { kind: 'htpasswd' | 'token'; user: string; password: string };
  /** Address to listen on (default 127.0.0.1). */
  address?: string;
  /** Serve HTTPS with this certificate and key (PEM files); with `clientCas`, client certificates are required. */
  tls?: { certificate: string; key: string; clientCas?: string[] };
}

async function waitUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      if (url.startsWith('https:')) {
        // A registry that wants client certificates answers no request without one: it is up once it accepts connections.
        const u = new URL(url);
        const s = connect(Number(u.port), u.hostname, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
        return;
      }
      const req = http.get(`${url}/v2/`, (res) => {
        res.resume();
        resolve(res.statusCode === 200 || res.statusCode === 401);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`docker-registry did not come up: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A token server: GET ?service&scope with Basic auth (or none: anonymous gets nothing) → a JWT. */
async function startTokenServer(o: { dir: string; user: string; password: string; seen: string[] }): Promise<{ realm: string; cert: string; close(): Promise<void>; token(scopes: string[]): string }> {
  const key = join(o.dir, 'token.key');
  const cert = join(o.dir, 'token.crt');
  const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=estiba-test-token']);
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
  const keyPem = await readFile(key, 'utf8');
  const certDer = Buffer.from((await readFile(cert, 'utf8')).replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const token = (scopes: string[], sub: string): string => {
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const now = Math.floor(Date.now() / 1000);
    const access = scopes
      .map((s) => s.split(':'))
      .filter((p) => p.length >= 3)
      .map((p) => ({ type: p[0], name: p.slice(1, -1).join(':'), actions: p.at(-1)!.split(',') }));
    const claims = { iss: 'estiba-test', sub, aud: 'estiba-test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = createSign('RSA-SHA256').update(input).sign(keyPem);
    return `${input}.${b64url(sig)}`;
  };
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const scopes = u.searchParams.getAll('scope');
    o.seen.push(scopes.join(' '));
    const authz = req.headers.authorization ?? '';
    const basic = authz.startsWith('Basic ') ? Buffer.from(authz.slice(6), 'base64').toString() : undefined;
    if (basic !== undefined && basic !== `${o.user}:${o.password}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
      return;
    }
    // Anonymous callers get a token with no access: the registry then answers 401/denied.
    const granted = basic === undefined ? [] : scopes;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: token(granted, basic === undefined ? '' : o.user), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    cert,
    token: (scopes) => token(scopes, o.user),
    close: () => new Promise<void>((resolve) => srv.close(() => resolve())),
  };
}

export async function startRegistry(o: RegistryOptions = {}): Promise<TestRegistry> {
  requireExecutable(REGISTRY_BIN, 'apt-get install docker-registry');
  const dir = await mkdtemp(join(tmpdir(), 'estiba-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${o.address ?? '127.0.0.1'}:${port}`,
  ];
  if (o.tls) {
    lines.push('  tls:', `    certificate: ${o.tls.certificate}`, `    key: ${o.tls.key}`);
    if (o.tls.clientCas) lines.push('    clientcas:', ...o.tls.clientCas.map((c) => `      - ${c}`));
  }
  let tokenServer: Awaited<ReturnType<typeof startTokenServer>> | undefined;
  const seen: string[] = [];
  if (o.auth?.kind === 'htpasswd') {
    const r = await run('htpasswd', ['-Bbn', o.auth.user, o.auth.password]);
    if (r.code !== 0) throw new Error(`htpasswd: ${r.stderr}`);
    await writeFile(join(dir, 'htpasswd'), r.stdout);
    lines.push('auth:', '  htpasswd:', '    realm: estiba-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (o.auth?.kind === 'token') {
    tokenServer = await startTokenServer({ dir, user: o.auth.user, password: o.auth.password, seen });
    lines.push('auth:', '  token:', `    realm: ${tokenServer.realm}`, '    service: estiba-test-registry', '    issuer: estiba-test', `    rootcertbundle: ${tokenServer.cert}`);
  }
  await writeFile(join(dir, 'config.yml'), lines.join('\n') + '\n');
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `${o.tls ? 'https' : 'http'}://${o.address ?? '127.0.0.1'}:${port}`;
  try {
    await waitUp(url, child, () => log);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    await tokenServer?.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const auth = o.auth;
  const reg: TestRegistry = {
    host: `${o.address ?? '127.0.0.1'}:${port}`,
    url,
    dir,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await tokenServer?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (auth?.kind === 'htpasswd') reg.adminAuth = async () => `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  if (tokenServer) {
    const ts = tokenServer;
    reg.adminAuth = async () => `Bearer ${ts.token(['repository:*:pull,push'])}`;
    reg.tokenRequests = seen;
  }
  return reg;
}

/** A raw HTTP exchange with the registry (no redirects), body read whole. */
export function rawRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

export const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Puts a blob by hand (POST + PUT monolithic); returns its digest. */
export async function putBlob(reg: TestRegistry, repo: string, data: Buffer): Promise<string> {
  const digest = `sha256:${sha256hex(data)}`;
  const auth: Record<string, string> = reg.adminAuth ? { Authorization: await reg.adminAuth() } : {};
  const start = await rawRequest(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { ...auth, 'Content-Length': '0' } });
  if (start.status !== 202) throw new Error(`start upload: ${start.status} ${start.body.toString()}`);
  const loc = new URL(start.headers.location!, reg.url);
  loc.searchParams.set('digest', digest);
  const put = await rawRequest(loc.href, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) }, body: data });
  if (put.status !== 201) throw new Error(`put blob: ${put.status} ${put.body.toString()}`);
  return digest;
}

/** Puts a manifest (or index) by hand under `reference`; returns its digest. */
export async function putManifest(reg: TestRegistry, repo: string, reference: string, manifest: object): Promise<{ digest: string; size: number }> {
  const body = Buffer.from(JSON.stringify(manifest));
  const auth: Record<string, string> = reg.adminAuth ? { Authorization: await reg.adminAuth() } : {};
  const mediaType = (manifest as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const res = await rawRequest(`${reg.url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { ...auth, 'Content-Type': mediaType }, body });
  if (res.status !== 201) throw new Error(`put manifest: ${res.status} ${res.body.toString()}`);
  return { digest: `sha256:${sha256hex(body)}`, size: body.length };
}
