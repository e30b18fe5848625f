import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ProgressDisplay } from './progress.js';

function collect(tty: boolean, msgs: object[]): string {
  const out = new PassThrough();
  let s = '';
  out.on('data', (c: Buffer) => (s += c.toString()));
  let t = 0;
  const d = new ProgressDisplay(out, tty, () => (t += 500));
  for (const m of msgs) d.write(m);
  return s;
}

const msgs = [
  { status: 'Pulling from foo', id: 'latest' },
  { status: 'Pulling fs layer', id: 'aaa' },
  { status: 'Pulling fs layer', id: 'bbb' },
  { status: 'Downloading', id: 'aaa', progressDetail: { current: 500, total: 1000 } },
  { status: 'Pull complete', id: 'aaa' },
  { status: 'Digest: sha256:x' },
];

test('ProgressDisplay: without a terminal, status lines only', () => {
  assert.equal(collect(false, msgs), 'latest: Pulling from foo\naaa: Pulling fs layer\nbbb: Pulling fs layer\naaa: Pull complete\nDigest: sha256:x\n');
});

test('ProgressDisplay: on a terminal, lines redrawn in place with bar, sizes and speed', () => {
  const s = collect(true, msgs);
  assert.match(s, /\x1b\[2A\r\x1b\[2Kaaa: Downloading \[=+>\s+\]\s+500B\/1.00kB/);
  assert.match(s, /\x1b\[2A\r\x1b\[2Kaaa: Pull complete\r\x1b\[2B/);
  assert.ok(s.endsWith('Digest: sha256:x\n'));
});
