import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { scanLayer } from '../store/layers/scan.js';
import { withXattrs } from './tar-xattrs.js';

async function packed(entries: Array<{ header: Parameters<ReturnType<typeof pack>['entry']>[0]; xattrs?: Map<string, Buffer>; data?: Buffer }>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(Buffer.from(c as Uint8Array));
  });
  const ended = new Promise<void>((resolve) => p.on('end', () => resolve()));
  // withXattrs writes between entries: each entry is finished before the next one starts.
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      const h = withXattrs(p, e.header, e.xattrs);
      if (e.data !== undefined) p.entry(h, e.data, cb);
      else p.entry(h, cb);
    });
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

const binary = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0x80, 0x0a, 0x3d, 0x20, 0x00]);
const longName = `${'déjà-vu/'.repeat(20)}capable`;

test('withXattrs: binary xattr values, long and non-ASCII names survive byte for byte (our reader and Python tarfile)', async () => {
  const tar = await packed([
    { header: { name: 'plain', type: 'file', mode: 0o644 }, data: Buffer.from('no xattrs') },
    { header: { name: 'bin/x', type: 'file', mode: 0o755 }, xattrs: new Map([['security.capability', binary], ['user.b', Buffer.from('2')]]), data: Buffer.from('data') },
    { header: { name: longName, type: 'file', mode: 0o755 }, xattrs: new Map([['security.capability', binary]]), data: Buffer.from('long') },
    { header: { name: 'l', type: 'symlink', linkname: `/${'ñ'.repeat(120)}` }, xattrs: new Map([['user.l', Buffer.from('v')]]) },
    { header: { name: 'after', type: 'file', mode: 0o644 }, data: Buffer.from('last') },
  ]);
  const seen: Array<[string, string, Record<string, string>]> = [];
  await scanLayer({
    input: Readable.from([tar]),
    onEntry: async (e) => {
      let data = '';
      for await (const c of e.data()) data += Buffer.from(c).toString();
      seen.push([e.header.name, e.header.type === 'symlink' ? e.header.linkname ?? '' : data, Object.fromEntries([...e.xattrs].map(([k, v]) => [k, v.toString('hex')]))]);
    },
  });
  assert.deepEqual(seen, [
    ['plain', 'no xattrs', {}],
    ['bin/x', 'data', { 'security.capability': binary.toString('hex'), 'user.b': '32' }],
    [longName, 'long', { 'security.capability': binary.toString('hex') }],
    ['l', `/${'ñ'.repeat(120)}`, { 'user.l': '76' }],
    ['after', 'last', {}],
  ]);
  // Python's tarfile reads PAX as Go does (values as bytes through surrogateescape).
  const script = [
    'import json, sys, tarfile',
    't = tarfile.open(fileobj=sys.stdin.buffer, mode="r|")',
    'out = []',
    'for m in t:',
    '    x = {k[13:]: v.encode("utf-8", "surrogateescape").hex() for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")}',
    '    out.append([m.name, m.linkname, x])',
    'print(json.dumps(out))',
  ].join('\n');
  const py = JSON.parse(execFileSync('python3', ['-c', script], { input: tar }).toString()) as unknown;
  assert.deepEqual(py, [
    ['plain', '', {}],
    ['bin/x', '', { 'security.capability': binary.toString('hex'), 'user.b': '32' }],
    [longName, '', { 'security.capability': binary.toString('hex') }],
    ['l', `/${'ñ'.repeat(120)}`, { 'user.l': '76' }],
    ['after', '', {}],
  ]);
});
