import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { writeChunk } from './body.js';

function slowSink(): Writable {
  return new Writable({
    highWaterMark: 1,
    write(_chunk, _enc, cb) {
      setImmediate(cb);
    },
  });
}

test('writeChunk waits for drain without leaving listeners behind', async () => {
  const sink = slowSink();
  const before = { drain: sink.listenerCount('drain'), close: sink.listenerCount('close'), error: sink.listenerCount('error') };
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  try {
    for (let i = 0; i < 50; i++) await writeChunk(sink, `chunk ${i}\n`);
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual({ drain: sink.listenerCount('drain'), close: sink.listenerCount('close'), error: sink.listenerCount('error') }, before);
  assert.deepEqual(warnings.map((w) => w.name), []);
});

test('writeChunk returns when the sink closes instead of draining', async () => {
  const sink = new Writable({ highWaterMark: 1, write() {} });
  const pending = writeChunk(sink, 'never drained');
  sink.destroy();
  await pending;
  assert.equal(sink.listenerCount('drain'), 0);
  assert.equal(sink.listenerCount('close'), 0);
  await writeChunk(sink, 'after close');
});
