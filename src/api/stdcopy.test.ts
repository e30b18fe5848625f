import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StdcopyDecoder, stdcopyFrame, stdcopyFrames, StdStream } from './stdcopy.js';

const decodeAll = (b: Buffer): Array<[number, string]> => new StdcopyDecoder().push(b).map((f) => [f.stream, f.payload.toString()]);

test('stdcopyFrames frames each payload, with its prefix, exactly as one stdcopyFrame per payload would', () => {
  const parts = [
    { stream: StdStream.Stdout, payload: Buffer.from('one\n') },
    { stream: StdStream.Stderr, prefix: '2026-11-22T00:00:00.000000000Z ', payload: Buffer.from('two\n') },
    { stream: StdStream.Stdout, payload: Buffer.alloc(0) },
  ];
  const batch = stdcopyFrames(parts);
  assert.deepEqual(batch, Buffer.concat([
    stdcopyFrame(StdStream.Stdout, Buffer.from('one\n')),
    stdcopyFrame(StdStream.Stderr, Buffer.from('2026-11-22T00:00:00.000000000Z two\n')),
    stdcopyFrame(StdStream.Stdout, Buffer.alloc(0)),
  ]));
  assert.deepEqual(decodeAll(batch), [[1, 'one\n'], [2, '2026-11-22T00:00:00.000000000Z two\n'], [1, '']]);
});

test('stdcopyFrames with raw (a TTY) only concatenates prefixes and payloads', () => {
  const out = stdcopyFrames([{ stream: StdStream.Stdout, prefix: 'ts ', payload: Buffer.from('a\n') }, { stream: StdStream.Stdout, payload: Buffer.from('b') }], { raw: true });
  assert.equal(out.toString(), 'ts a\nb');
});

test('stdcopyFrames splits a payload above the 1 MiB frame limit like stdcopyFrame', () => {
  const big = Buffer.alloc((1 << 20) + 5, 0x61);
  const out = stdcopyFrames([{ stream: StdStream.Stdout, payload: Buffer.from('x') }, { stream: StdStream.Stderr, payload: big }]);
  const frames = new StdcopyDecoder().push(out);
  assert.deepEqual(frames.map((f) => [f.stream, f.payload.length]), [[1, 1], [2, 1 << 20], [2, 5]]);
});

test('stdcopyFrames with coalesce merges runs of one stream into one frame, and keeps the bytes of each stream', () => {
  const parts = [
    { stream: StdStream.Stdout, payload: Buffer.from('a\n') },
    { stream: StdStream.Stdout, prefix: 'ts ', payload: Buffer.from('b\n') },
    { stream: StdStream.Stderr, payload: Buffer.from('e\n') },
    { stream: StdStream.Stdout, payload: Buffer.from('c\n') },
  ];
  const out = stdcopyFrames(parts, { coalesce: true });
  assert.deepEqual(decodeAll(out), [[1, 'a\nts b\n'], [2, 'e\n'], [1, 'c\n']]);
  assert.equal(out.length, 3 * 8 + 'a\nts b\ne\nc\n'.length);
});
