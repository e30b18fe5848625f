import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sLogDecoder, logFiles, readLog, type LogBatch, type LogMessage } from './logs.js';
import { logPolicy, parseByteSize, resolveLogConfig } from './log-config.js';

const entry = (n: number, stream: string, tag: string, text: string): string => `2026-01-01T00:00:0${n}.5+01:00 ${stream} ${tag} ${text}\n`;

async function collect(it: AsyncIterable<LogBatch>): Promise<LogMessage[]> {
  const out: LogMessage[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

test('K8sLogDecoder: entries split across chunks, partials without a newline, UTC nanosecond times', () => {
  const d = new K8sLogDecoder();
  const text = entry(1, 'stdout', 'P', 'aaa') + entry(1, 'stdout', 'F', 'bbb') + entry(2, 'stderr', 'F', '') + 'garbage\n';
  const bytes = Buffer.from(text);
  const msgs = [...d.push(bytes.subarray(0, 20)), ...d.push(bytes.subarray(20, 61)), ...d.push(bytes.subarray(61))];
  assert.deepEqual(msgs.map((m) => [m.stream, m.line.toString()]), [['stdout', 'aaa'], ['stdout', 'bbb\n'], ['stderr', '\n']]);
  assert.equal(msgs[0]!.timestamp, '2025-12-31T23:00:01.500000000Z');
  assert.equal(msgs[2]!.timeNano, 1767222002500000000n);
});

test('readLog reads rotated files oldest first; tail and since span files; logFiles lists them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-logs-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = join(dir, 'container.log');
  await writeFile(`${p}.2`, entry(1, 'stdout', 'F', 'one'));
  await writeFile(`${p}.1`, entry(2, 'stdout', 'F', 'two') + entry(3, 'stderr', 'F', 'three'));
  await writeFile(p, entry(4, 'stdout', 'F', 'four'));
  await writeFile(`${p}.tmp`, entry(5, 'stdout', 'F', 'not a rotated file'));
  assert.deepEqual(await logFiles(p), [`${p}.2`, `${p}.1`, p]);
  const text = (ms: LogMessage[]): string => ms.map((m) => m.line.toString()).join('');
  assert.equal(text(await collect(readLog(p))), 'one\ntwo\nthree\nfour\n');
  assert.equal(text(await collect(readLog(p, { tail: 3 }))), 'two\nthree\nfour\n');
  assert.equal(text(await collect(readLog(p, { tail: 0 }))), '');
  const since = 1767222003000000000n;
  assert.equal(text(await collect(readLog(p, { since }))), 'three\nfour\n');
  assert.equal(text(await collect(readLog(p, { until: since }))), 'one\ntwo\n');
  assert.equal(text(await collect(readLog(join(dir, 'missing.log')))), '');
});

test('readLog follow goes on in the new file after a rotation', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-logs-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = join(dir, 'container.log');
  await writeFile(p, entry(1, 'stdout', 'F', 'before'));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const got: string[] = [];
  const reading = (async () => {
    for await (const b of readLog(p, { follow: { stop: stopped } })) got.push(...[...b].map((m) => m.line.toString()));
  })();
  await new Promise((r) => setTimeout(r, 100));
  const { appendFile, rename } = await import('node:fs/promises');
  await appendFile(p, entry(2, 'stdout', 'F', 'old file'));
  await rename(p, `${p}.1`);
  await appendFile(`${p}.1`, entry(2, 'stdout', 'F', 'late in old file'));
  await writeFile(p, entry(3, 'stdout', 'F', 'new file'));
  await new Promise((r) => setTimeout(r, 400));
  stop();
  await reading;
  assert.deepEqual(got, ['before\n', 'old file\n', 'late in old file\n', 'new file\n']);
});

test('log config: daemon defaults merge into json-file; none takes no options; Docker messages', () => {
  const daemon = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };
  assert.deepEqual(resolveLogConfig({ Type: '', Config: {} }, daemon), daemon);
  assert.deepEqual(resolveLogConfig({ Type: 'json-file', Config: { 'max-size': '1k' } }, daemon), { Type: 'json-file', Config: { 'max-size': '1k', 'max-file': '3' } });
  assert.deepEqual(resolveLogConfig({ Type: 'none', Config: {} }, daemon), { Type: 'none', Config: {} });
  assert.deepEqual(logPolicy({ Type: 'json-file', Config: { 'max-size': '-1' } }), { driver: 'json-file', maxFile: 1 });
  assert.deepEqual(logPolicy({ Type: 'json-file', Config: { 'max-size': '1.5k', 'max-file': '2' } }), { driver: 'json-file', maxSize: 1536, maxFile: 2 });
  assert.equal(parseByteSize('10m'), 10 << 20);
  assert.throws(() => resolveLogConfig({ Type: 'syslog', Config: {} }, daemon), /no log driver named 'syslog' is registered/);
  assert.throws(() => resolveLogConfig({ Type: 'json-file', Config: { bogus: '1' } }, daemon), /unknown log opt 'bogus' for json-file log driver/);
  assert.throws(() => logPolicy({ Type: 'json-file', Config: { 'max-file': '0', 'max-size': '1m' } }), /max-file cannot be less than 1/);
});

test('readLog over several reads: conmon stamps shared across reads, tail spanning batches, since by stamp', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'estiba-logs-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const p = join(dir, 'container.log');
  // conmon's fixed-width stamp; 3 MB of entries, so the 1 MiB reads cut lines and one stamp spans reads.
  const stamp = (s: number): string => `2026-11-22T21:57:${String(s).padStart(2, '0')}.123456789+00:00`;
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) lines.push(`${stamp(Math.floor(i / 10_000))} ${i % 7 === 0 ? 'stderr' : 'stdout'} F line ${i} ${'x'.repeat(i % 50)}\n`);
  await writeFile(p, lines.join(''));
  const all = await collect(readLog(p));
  assert.equal(all.length, 40_000);
  assert.equal(all[39_999]!.line.toString(), `line 39999 ${'x'.repeat(39_999 % 50)}\n`);
  assert.equal(all[14]!.stream, 'stderr');
  assert.equal(all[10_000]!.timestamp, '2026-11-22T21:57:01.123456789Z');
  const tail = await collect(readLog(p, { tail: 25_001 }));
  assert.equal(tail.length, 25_001);
  assert.equal(tail[0]!.line.toString(), `line 14999 ${'x'.repeat(14_999 % 50)}\n`);
  const since = await collect(readLog(p, { since: BigInt(Date.parse('2026-11-22T21:57:03Z')) * 1_000_000n }));
  assert.equal(since.length, 10_000);
  assert.equal(since[0]!.line.toString(), 'line 30000 \n');
});
