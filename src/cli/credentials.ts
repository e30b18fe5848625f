/**
 * Registry credentials shared with the docker CLI: `config.json` in the config dir (`--config`,
 * default ~/.docker) with `auths` (base64 user:password, identity tokens), `credsStore` and
 * `credHelpers` that name `docker-credential-<helper>` programs speaking the credential-helper
 * protocol (`get`/`store`/`erase` over stdin/stdout). `docker login` and `estiba login` read and
 * write the same entries, so either one's login serves both.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameter, isErrno } from '../errdefs/index.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/** The key Docker Hub credentials live under. */
export const HUB_SERVER = 'https://index.docker.io/v1/';

export interface Credentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string; email?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

/** The config.json key for a registry domain: Docker Hub's index URL, else host[:port]. */
export function serverKey(domain: string): string {
  if (domain === '' || domain === 'docker.io' || domain === 'index.docker.io' || domain === 'registry-1.docker.io') return HUB_SERVER;
  return domain.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

/** The registry domain of an image reference (the part before the first '/', when it is one). */
export function domainOfImage(name: string): string {
  const i = name.indexOf('/');
  if (i < 0) return 'docker.io';
  const first = name.slice(0, i);
  return first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase() ? first : 'docker.io';
}

async function readConfig(dir: string): Promise<ConfigFile> {
  try {
    return JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as ConfigFile;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return {};
    throw new InvalidParameter(`loading config file ${join(dir, 'config.json')}: ${(err as Error).message}`, { cause: err });
  }
}

function helperFor(cfg: ConfigFile, server: string): string | undefined {
  return cfg.credHelpers?.[server] ?? (cfg.credsStore || undefined);
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin; resolves with stdout. */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', (err) => reject(new InvalidParameter(`error getting credentials - err: ${err.message}, out: \`\``, { cause: err })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: out }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Credentials for a registry, or an anonymous entry when there are none. */
export async function loadCredentials(configDir: string, domain: string): Promise<Credentials> {
  const server = serverKey(domain);
  const cfg = await readConfig(configDir);
  const helper = helperFor(cfg, server);
  if (helper) {
    const r = await runHelper(helper, 'get', server);
    // "credentials not found in native keychain": anonymous.
    if (r.code !== 0) return { serveraddress: server };
    const j = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    if (j.Username === '<token>') return { serveraddress: server, identitytoken: j.Secret ?? '' };
    return { serveraddress: server, username: j.Username ?? '', password: j.Secret ?? '' };
  }
  const entry = cfg.auths?.[server] ?? (server === HUB_SERVER ? undefined : cfg.auths?.[`https://${server}`] ?? cfg.auths?.[`http://${server}`]);
  if (!entry) return { serveraddress: server };
  const out: Credentials = { serveraddress: server };
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) {
      out.username = text.slice(0, i);
      out.password = text.slice(i + 1);
    }
  }
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return out;
}

/** The X-Registry-Auth header value (base64url JSON), as the docker CLI encodes it. */
export function encodeAuthHeader(c: Credentials): string {
  const j: Record<string, string> = { serveraddress: c.serveraddress };
  if (c.username) j.username = c.username;
  if (c.password) j.password = c.password;
  if (c.identitytoken) j.identitytoken = c.identitytoken;
  return Buffer.from(JSON.stringify(j)).toString('base64url');
}

export async function storeCredentials(configDir: string, c: Credentials): Promise<void> {
  const server = serverKey(c.serveraddress);
  const cfg = await readConfig(configDir);
  const helper = helperFor(cfg, server);
  if (helper) {
    const secret = c.identitytoken ? { Username: '<token>', Secret: c.identitytoken } : { Username: c.username ?? '', Secret: c.password ?? '' };
    const r = await runHelper(helper, 'store', JSON.stringify({ ServerURL: server, ...secret }));
    if (r.code !== 0) throw new InvalidParameter(`error storing credentials - err: exit status ${r.code}, out: \`${r.stdout.trim()}\``);
    cfg.auths = { ...cfg.auths, [server]: {} };
  } else {
    const entry: { auth?: string; identitytoken?: string } = {};
    if (c.username) entry.auth = Buffer.from(`${c.username}:${c.identitytoken ? '' : (c.password ?? '')}`).toString('base64');
    if (c.identitytoken) entry.identitytoken = c.identitytoken;
    cfg.auths = { ...cfg.auths, [server]: entry };
  }
  await writeFileAtomic(join(configDir, 'config.json'), JSON.stringify(cfg, null, '\t') + '\n', 0o600);
}

/** Removes stored credentials; false when there were none. */
export async function eraseCredentials(configDir: string, domain: string): Promise<boolean> {
  const server = serverKey(domain);
  const cfg = await readConfig(configDir);
  const helper = helperFor(cfg, server);
  const had = cfg.auths?.[server] !== undefined;
  if (helper) await runHelper(helper, 'erase', server);
  if (!had && !helper) return false;
  if (cfg.auths) delete cfg.auths[server];
  await writeFileAtomic(join(configDir, 'config.json'), JSON.stringify(cfg, null, '\t') + '\n', 0o600);
  return had || helper !== undefined;
}
