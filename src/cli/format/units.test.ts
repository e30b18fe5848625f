import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSizeWithPrecision, humanSize, humanDuration, truncateId, bytesSize } from './units.js';

test('sizes print like go-units', () => {
  assert.equal(humanSizeWithPrecision(4261000, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(0, 3), '0B');
  assert.equal(humanSizeWithPrecision(999, 3), '999B');
  assert.equal(humanSizeWithPrecision(1000, 3), '1kB');
  assert.equal(humanSize(209715200), '209.7MB');
  assert.equal(bytesSize(1536), '1.5KiB');
});

test('durations print like go-units', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(30_000), '30 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(3 * 24 * 3_600_000), '3 days');
  assert.equal(humanDuration(3 * 7 * 24 * 3_600_000), '3 weeks');
  assert.equal(truncateId('sha256:0123456789abcdef0123'), '0123456789ab');
});
