import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, readCSV, writeCSV } from './index.js';
import { parseBool, parseFloat, parseInt, parseUint } from './strconv.js';

test('parseDuration accepts Go syntax and returns nanoseconds', () => {
  assert.equal(parseDuration('0'), 0);
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('1.5s'), 1.5e9);
  assert.equal(parseDuration('-300ms'), -300e6);
  assert.equal(parseDuration('+2us'), 2000);
  assert.equal(parseDuration('2µs'), 2000);
  assert.equal(parseDuration('1h1m1s1ms1us1ns'), 3661001001001);
  assert.equal(parseDuration('.5m'), 30e9);
});

test('parseDuration errors are time.ParseDuration\'s', () => {
  assert.throws(() => parseDuration(''), { message: 'time: invalid duration ""' });
  assert.throws(() => parseDuration('abc'), { message: 'time: invalid duration "abc"' });
  assert.throws(() => parseDuration('5'), { message: 'time: missing unit in duration "5"' });
  assert.throws(() => parseDuration('5x'), { message: 'time: unknown unit "x" in duration "5x"' });
  assert.throws(() => parseDuration('.s'), { message: 'time: invalid duration ".s"' });
  assert.throws(() => parseDuration('9999999999h'), { message: 'time: invalid duration "9999999999h"' });
});

test('formatDuration is Duration.String()', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1), '1ns');
  assert.equal(formatDuration(1500), '1.5µs');
  assert.equal(formatDuration(1.5e6), '1.5ms');
  assert.equal(formatDuration(30e9), '30s');
  assert.equal(formatDuration(90e9), '1m30s');
  assert.equal(formatDuration(3600e9), '1h0m0s');
  assert.equal(formatDuration(-1.25e9), '-1.25s');
});

test('strconv parsing and messages', () => {
  assert.equal(parseInt('-0x10'), -16n);
  assert.equal(parseInt('0o17'), 15n);
  assert.equal(parseInt('1_000'), 1000n);
  assert.equal(parseInt('-9223372036854775808'), -(2n ** 63n));
  assert.throws(() => parseInt('9223372036854775808'), { message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' });
  assert.throws(() => parseInt('08'), { message: 'strconv.ParseInt: parsing "08": invalid syntax' });
  assert.throws(() => parseInt('1__0'), { message: 'strconv.ParseInt: parsing "1__0": invalid syntax' });
  assert.equal(parseUint('65535', 16), 65535n);
  assert.throws(() => parseUint('65536', 16), { message: 'strconv.ParseUint: parsing "65536": value out of range' });
  assert.throws(() => parseUint('-1'), { message: 'strconv.ParseUint: parsing "-1": invalid syntax' });
  assert.equal(parseBool('T'), true);
  assert.equal(parseBool('False'), false);
  assert.throws(() => parseBool('yes'), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
  assert.equal(parseFloat('1e3'), 1000);
  assert.equal(parseFloat('-Inf'), -Infinity);
  assert.throws(() => parseFloat('1e999'), { message: 'strconv.ParseFloat: parsing "1e999": value out of range' });
});

test('CSV as pflag reads and writes it', () => {
  assert.deepEqual(readCSV(''), []);
  assert.deepEqual(readCSV('a,b'), ['a', 'b']);
  assert.deepEqual(readCSV('a,,b,'), ['a', '', 'b', '']);
  assert.deepEqual(readCSV('"a,b","say ""hi"""'), ['a,b', 'say "hi"']);
  assert.throws(() => readCSV('"open'), /extraneous or missing " in quoted-field/);
  assert.equal(writeCSV(['a', 'b,c', 'q"', ' lead', '']), 'a,"b,c","q"""," lead",');
});
