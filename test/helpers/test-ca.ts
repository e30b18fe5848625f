/**
 * A throw-away certificate authority made with openssl for TLS tests: a CA, server certificates
 * for given IP addresses, and client certificates. Also the host's own non-loopback IPv4 address,
 * which estiba does not treat as an insecure registry by default (loopback is).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './e2e.js';

async function openssl(args: string[]): Promise<void> {
  const r = await run('openssl', args);
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export interface TestCa {
  /** CA certificate (PEM file). */
  cert: string;
  /** A certificate signed by the CA for the IP addresses (server) or for a client; returns its PEM files. */
  issue(name: string, o: { ips?: string[]; client?: boolean }): Promise<{ cert: string; key: string }>;
}

export async function makeTestCa(dir: string, name = 'estiba-test-ca'): Promise<TestCa> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`]);
  return {
    cert,
    async issue(leaf, o) {
      const lcert = join(dir, `${leaf}.pem`);
      const lkey = join(dir, `${leaf}-key.pem`);
      const csr = join(dir, `${leaf}.csr`);
      const ext = join(dir, `${leaf}.ext`);
      await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', lkey, '-out', csr, '-subj', `/CN=${leaf}`]);
      const lines = [o.client ? 'extendedKeyUsage=clientAuth' : 'extendedKeyUsage=serverAuth'];
      if (o.ips?.length) lines.push(`subjectAltName=${o.ips.map((ip) => `IP:${ip}`).join(',')}`);
      await writeFile(ext, lines.join('\n') + '\n');
      await openssl(['x509', '-req', '-in', csr, '-CA', cert, '-CAkey', key, '-CAcreateserial', '-out', lcert, '-days', '2', '-extfile', ext]);
      return { cert: lcert, key: lkey };
    },
  };
}

/** The host's first global IPv4 address that is not loopback; throws if it has none. */
export function hostAddress(): string {
  const links = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'scope', 'global'], { encoding: 'utf8' })) as { ifname: string; addr_info?: { local?: string; family?: string }[] }[];
  for (const l of links) {
    for (const a of l.addr_info ?? []) if (a.family === 'inet' && a.local && !a.local.startsWith('127.')) return a.local;
  }
  throw new Error('this host has no global IPv4 address: the test needs one to reach a registry that is not insecure by default');
}
