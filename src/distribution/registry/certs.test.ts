import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { isInvalidParameter } from '../../errdefs/index.js';
import { goTlsMessage, readHostTls, tlsAgentOptions } from './certs.js';

test('readHostTls: .crt files of every root are CAs; .cert/.key pairs are client certificates', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-certs-'));
  try {
    await mkdir(join(dir, 'a', 'reg:5000'), { recursive: true });
    await mkdir(join(dir, 'b', 'reg:5000'), { recursive: true });
    await writeFile(join(dir, 'a', 'reg:5000', 'ca.crt'), 'CA-A');
    await writeFile(join(dir, 'b', 'reg:5000', 'ca.crt'), 'CA-B');
    await writeFile(join(dir, 'b', 'reg:5000', 'me.cert'), 'CERT');
    await writeFile(join(dir, 'b', 'reg:5000', 'me.key'), 'KEY');
    await writeFile(join(dir, 'b', 'reg:5000', 'notes.txt'), 'ignored');
    const roots = [join(dir, 'a'), join(dir, 'b'), join(dir, 'missing')];
    const t = await readHostTls(roots, 'reg:5000');
    assert.deepEqual(t, { ca: ['CA-A', 'CA-B'], clients: [{ cert: 'CERT', key: 'KEY' }] });
    assert.deepEqual(await readHostTls(roots, 'reg'), { ca: [], clients: [] });
    assert.deepEqual(await readHostTls(roots, '..'), { ca: [], clients: [] });
    const o = tlsAgentOptions(t);
    assert.equal(o.ca?.length, rootCertificates.length + 2, 'custom CAs join the system bundle');
    assert.equal(o.cert, 'CERT');
    await rm(join(dir, 'b', 'reg:5000', 'me.key'));
    await assert.rejects(readHostTls(roots, 'reg:5000'), (err) => isInvalidParameter(err) && /missing key me\.key for client certificate me\.cert/.test((err as Error).message));
    await writeFile(join(dir, 'a', 'reg:5000', 'lone.key'), 'KEY');
    await rm(join(dir, 'b', 'reg:5000', 'me.cert'));
    await assert.rejects(readHostTls(roots, 'reg:5000'), /missing client certificate lone\.cert for key lone\.key/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('goTlsMessage words verification failures as Go does', () => {
  const e = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  assert.equal(goTlsMessage(e), 'tls: failed to verify certificate: x509: certificate signed by unknown authority');
  assert.equal(goTlsMessage(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), undefined);
});
