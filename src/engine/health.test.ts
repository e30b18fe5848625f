import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HealthState } from '../container/container.js';
import { mergeHealthcheck, probeArgv, recordProbe } from './health.js';

test('mergeHealthcheck: the user Test wins, zero fields come from the image', () => {
  const image = { Test: ['CMD', 'true'], Interval: 5e9, Retries: 4 };
  assert.deepEqual(mergeHealthcheck(undefined, image), image);
  assert.deepEqual(mergeHealthcheck({ Test: ['NONE'] }, image), { Test: ['NONE'], Interval: 5e9, Retries: 4 });
  assert.deepEqual(mergeHealthcheck({ Interval: 1e9 }, image), { Test: ['CMD', 'true'], Interval: 1e9, Retries: 4 });
  assert.equal(mergeHealthcheck(undefined, undefined), undefined);
});

test('probeArgv: CMD, CMD-SHELL, NONE', () => {
  assert.deepEqual(probeArgv({ Test: ['CMD', 'curl', '-f', 'x'] }), ['curl', '-f', 'x']);
  assert.deepEqual(probeArgv({ Test: ['CMD-SHELL', 'exit 1'] }), ['/bin/sh', '-c', 'exit 1']);
  assert.equal(probeArgv({ Test: ['NONE'] }), undefined);
  assert.equal(probeArgv({}), undefined);
});

test('recordProbe: start period, retries, healthy resets the streak, five log entries', () => {
  const h: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
  const at = new Date(0);
  const fail = { exitCode: 1, output: 'x' };
  assert.equal(recordProbe(h, { start: at, end: at, result: fail, retries: 2, inStartPeriod: true }), false);
  assert.equal(h.FailingStreak, 0, 'failures in the start period do not count');
  assert.equal(recordProbe(h, { start: at, end: at, result: fail, retries: 2, inStartPeriod: false }), false);
  assert.equal(recordProbe(h, { start: at, end: at, result: fail, retries: 2, inStartPeriod: false }), true);
  assert.equal(h.Status, 'unhealthy');
  assert.equal(recordProbe(h, { start: at, end: at, result: { exitCode: 0, output: '' }, retries: 2, inStartPeriod: false }), true);
  assert.deepEqual([h.Status, h.FailingStreak], ['healthy', 0]);
  for (let i = 0; i < 5; i++) recordProbe(h, { start: at, end: at, result: fail, retries: 9, inStartPeriod: false });
  assert.equal(h.Log.length, 5);
});
