import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StdcopyDecoder, stdcopyFrame, stdcopyFrames, StdStream, type FrameRanges } from './stdcopy.js';

interface Part { stream: StdStream; prefix?: string; payload: Buffer }
/** The parts as FrameRanges over one chunk, with their prefixes. */
function ranges(parts: Part[]): [FrameRanges, { prefix: (i: number) => string }] {
  const chunk = Buffer.concat(parts.map((p) => p.payload));
  const starts = new Int32Array(parts.length);
  const ends = new Int32Array(parts.length);
  let off = 0;
  parts.forEach((p, i) => {
    starts[i] = off;
    off += p.payload.length;
    ends[i] = off;
  });
  return [{ length: parts.length, chunk, starts, ends, streams: Uint8Array.from(parts.map((p) => p.stream)) }, { prefix: (i) => parts[i]!.prefix ?? '' }];
}
const framed = (parts: Part[], o: { raw?: boolean; coalesce?: boolean } = {}): Buffer => {
  const [r, p] = ranges(parts);
  return stdcopyFrames(r, { ...o, ...p });
};

const decodeAll = (b: Buffer): Array<[number, string]> => new StdcopyDecoder().push(b).map((f) => [f.stream, f.payload.toString()]);

test('stdcopyFrames frames each payload, with its prefix, exactly as one stdcopyFrame per payload would', () => {
  const parts = [
    { stream: StdStream.Stdout, payload: Buffer.from('one\n') },
    { stream: StdStream.Stderr, prefix: '2026-11-22T00:00:00.000000000Z ', payload: Buffer.from('two\n') },
    { stream: StdStream.Stdout, payload: Buffer.alloc(0) },
  ];
  const batch = framed(parts);
  assert.deepEqual(batch, Buffer.concat([
    stdcopyFrame(StdStream.Stdout, Buffer.from('one\n')),
    stdcopyFrame(StdStream.Stderr, Buffer.from('2026-11-22T00:00:00.000000000Z two\n')),
    stdcopyFrame(StdStream.Stdout, Buffer.alloc(0)),
  ]));
  assert.deepEqual(decodeAll(batch), [[1, 'one\n'], [2, '2026-11-22T00:00:00.000000000Z two\n'], [1, '']]);
});

test('stdcopyFrames with raw (a TTY) only concatenates prefixes and payloads', () => {
  const out = framed([{ stream: StdStream.Stdout, prefix: 'ts ', payload: Buffer.from('a\n') }, { stream: StdStream.Stdout, payload: Buffer.from('b') }], { raw: true });
  assert.equal(out.toString(), 'ts a\nb');
});

test('stdcopyFrames splits a payload above the 1 MiB frame limit like stdcopyFrame', () => {
  const big = Buffer.alloc((1 << 20) + 5, 0x61);
  const out = framed([{ stream: StdStream.Stdout, payload: Buffer.from('x') }, { stream: StdStream.Stderr, payload: big }]);
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
  const out = framed(parts, { coalesce: true });
  assert.deepEqual(decodeAll(out), [[1, 'a\nts b\n'], [2, 'e\n'], [1, 'c\n']]);
  assert.equal(out.length, 3 * 8 + 'a\nts b\ne\nc\n'.length);
});
