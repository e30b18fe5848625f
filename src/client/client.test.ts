import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { jsonLines } from './client.js';

test('jsonLines keeps multi-byte characters split across chunks', async () => {
  const text = '{"status":"café ☕ 𝄞"}\n{"status":"два"}\n';
  const bytes = Buffer.from(text, 'utf8');
  // Every split point, including the middle of each multi-byte sequence.
  for (let cut = 1; cut < bytes.length; cut++) {
    const out: unknown[] = [];
    for await (const v of jsonLines(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))) out.push(v);
    assert.deepEqual(out, [{ status: 'café ☕ 𝄞' }, { status: 'два' }], `split at byte ${cut}`);
  }
  // One byte at a time, and a last line without a newline.
  const out: unknown[] = [];
  const tail = Buffer.from('{"a":"ü"}\n{"b":"€"}', 'utf8');
  for await (const v of jsonLines(Readable.from([...tail].map((b) => Buffer.from([b]))))) out.push(v);
  assert.deepEqual(out, [{ a: 'ü' }, { b: '€' }]);
});
