/**
 * Per-registry TLS material in Docker's layout (moby `registry.ReadCertsDirectory`): for a
 * registry `host[:port]`, each certs.d root may hold `<root>/<host[:port]>/` with `*.crt` files
 * (CA certificates, trusted on top of the system's) and client pairs `name.cert` + `name.key`.
 * A `.cert` without its `.key` (or the reverse) is an error, as in Docker.
 */
import { readdir, readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { InvalidParameter, isErrno } from '../../errdefs/index.js';

/** Docker's and estiba's own roots; the daemon may be given others (tests). */
export const DEFAULT_CERTS_D = ['/etc/docker/certs.d', '/etc/estiba/certs.d'];

export interface HostTls {
  /** CA certificates (PEM), in addition to the system's; empty when the directories hold none. */
  ca: string[];
  /** Client certificate/key pairs (PEM). */
  clients: { cert: string; key: string }[];
}

/** The TLS material for `hostport` under the roots; absent directories contribute nothing. */
export async function readHostTls(roots: readonly string[], hostport: string): Promise<HostTls> {
  const out: HostTls = { ca: [], clients: [] };
  // A host name with a path separator or dot-dot cannot name a directory under a root.
  if (hostport === '' || hostport.includes('/') || hostport === '.' || hostport === '..') return out;
  for (const root of roots) {
    const dir = join(root, hostport);
    let names: string[];
    try {
      names = (await readdir(dir)).sort();
    } catch (err) {
      if (isErrno(err, 'ENOENT', 'ENOTDIR')) continue;
      throw err;
    }
    for (const name of names) {
      if (name.endsWith('.crt')) out.ca.push(await readFile(join(dir, name), 'utf8'));
      else if (name.endsWith('.cert')) {
        const keyName = `${name.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(keyName)) throw new InvalidParameter(`missing key ${keyName} for client certificate ${name}. CA certificates must use the extension .crt`);
        out.clients.push({ cert: await readFile(join(dir, name), 'utf8'), key: await readFile(join(dir, keyName), 'utf8') });
      } else if (name.endsWith('.key')) {
        const certName = `${name.slice(0, -'.key'.length)}.cert`;
        if (!names.includes(certName)) throw new InvalidParameter(`missing client certificate ${certName} for key ${name}`);
      }
    }
  }
  return out;
}

/** https.Agent options for the material: custom CAs join the system's bundle, as Docker appends to the system pool. */
export function tlsAgentOptions(t: HostTls): { ca?: string[]; cert?: string; key?: string } {
  const o: { ca?: string[]; cert?: string; key?: string } = {};
  if (t.ca.length > 0) o.ca = [...rootCertificates, ...t.ca];
  // Go's tls presents the first pair that suits the server; one pair is what registries use.
  const c = t.clients[0];
  if (c) {
    o.cert = c.cert;
    o.key = c.key;
  }
  return o;
}

/** Go's wording for a certificate the client cannot verify (crypto/x509 and crypto/tls). */
export function goTlsMessage(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: ${(err as Error).message}`;
  }
  return undefined;
}
