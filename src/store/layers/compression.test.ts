import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { isNotImplemented } from '../../errdefs/index.js';
import { compressionOf, decompress } from './compression.js';

test('compressionOf reads magic bytes', () => {
  assert.equal(compressionOf(gzipSync(Buffer.from('x'))), 'gzip');
  assert.equal(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0])), 'zstd');
  assert.equal(compressionOf(Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 0, 0])), 'zstd', 'skippable frame');
  assert.equal(compressionOf(Buffer.from('BZh91AY')), 'bzip2');
  assert.equal(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.equal(compressionOf(Buffer.from('etc/passwd\0')), 'none');
  assert.equal(compressionOf(Buffer.from([0x1f])), 'none', 'too short to be gzip');
  assert.equal(compressionOf(new Uint8Array(0)), 'none');
});

async function collect(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of decompress(Readable.from(chunks))) out.push(c);
  return Buffer.concat(out);
}

test('decompress passes plain data through and inflates gzip split anywhere', async () => {
  const plain = Buffer.from('hello, layer '.repeat(1000));
  assert.ok((await collect([plain.subarray(0, 2), plain.subarray(2)])).equals(plain));
  const gz = gzipSync(plain);
  const oneByteChunks = Array.from(gz, (b) => Buffer.from([b]));
  assert.ok((await collect(oneByteChunks)).equals(plain));
  assert.equal((await collect([])).length, 0);
});

test('decompress refuses compressions Node cannot read', async () => {
  await assert.rejects(collect([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2])]), (err: unknown) =>
    isNotImplemented(err),
  );
});
