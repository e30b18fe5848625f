import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeJSON, Float64, formatValue, goQuote, sprint, sprintf, sprintln } from './index.js';

class Port {
  constructor(
    readonly PrivatePort: number,
    readonly Type: string,
  ) {}
}

class Duration {
  constructor(private readonly s: number) {}
  toString(): string {
    return `${this.s}s`;
  }
}

test('formatValue prints like Go %v', () => {
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(undefined), '<nil>');
  assert.equal(formatValue(['a', ['b', 1]]), '[a [b 1]]');
  assert.equal(formatValue({ b: 1, a: [true] }), 'map[a:[true] b:1]');
  assert.equal(formatValue(new Map<unknown, unknown>([[2, 'x'], [1, 'y']])), 'map[1:y 2:x]');
  assert.equal(formatValue(new Port(80, 'tcp')), '{80 tcp}');
  assert.equal(formatValue(new Duration(5)), '5s', 'toString() is a Stringer');
  assert.equal(formatValue([new Duration(1)]), '[1s]');
  assert.equal(formatValue(new Error('bad')), 'bad');
  assert.equal(formatValue(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120))), '2024-01-02 03:04:05.12 +0000 UTC');
  assert.equal(formatValue(new Float64(3)), '3');
  assert.equal(formatValue(-0.5), '-0.5');
  assert.equal(formatValue(2 ** 60), '1152921504606846976');
});

test('sprintf struct and map verbs', () => {
  const p = new Port(80, 'tcp');
  assert.equal(sprintf('%v|%+v|%#v', [p, p, p]), '{80 tcp}|{PrivatePort:80 Type:tcp}|Port{PrivatePort:80, Type:"tcp"}');
  assert.equal(sprintf('%#v', [{ a: 1 }]), 'map[string]interface {}{"a":1}');
  assert.equal(sprintf('%#v|%#v', [['a', 2], 'q']), '[]interface {}{"a", 2}|"q"');
  assert.equal(sprintf('%s|%q|%x', [new Duration(2), new Duration(2), 'hi']), '2s|"2s"|6869');
  assert.equal(sprintf('%d', [{ a: 1 }]), 'map[%!d(string=a):1]', 'the verb applies to keys too');
  assert.equal(sprintf('%T|%T|%T', [[1], { a: 1 }, new Port(1, 'x')]), '[]interface {}|map[string]interface {}|Port');
});

test('sprintf rounding is Go\'s (exact value, half to even)', () => {
  assert.equal(sprintf('%.2f %.2f %.1f %.0f %.0f', [0.125, 0.375, 0.25, 2.5, 3.5]), '0.12 0.38 0.2 2 4');
  assert.equal(sprintf('%.3e %.3g %g', [1.0005, 1.0005, 1e-7]), '1.000e+00 1 1e-07');
  assert.equal(sprintf('%v %v %v', [Infinity, -Infinity, NaN]), '+Inf -Inf NaN');
  assert.equal(sprintf('%5.1f|%05.1f|%+f', [Infinity, -Infinity, NaN]), ' +Inf| -Inf|+NaN');
});

test('sprint and sprintln spacing', () => {
  assert.equal(sprint(['a', 'b', 1, 2, 'c', null]), 'ab1 2c<nil>');
  assert.equal(sprint([]), '');
  assert.equal(sprintln(['a', 1]), 'a 1\n');
});

test('goQuote is strconv.Quote', () => {
  assert.equal(goQuote('a"b\\c\n\u0007\u00a0é😀'), '"a\\"b\\\\c\\n\\a\\u00a0é😀"');
  assert.equal(goQuote('é😀', true), '"\\u00e9\\U0001f600"');
});

test('encodeJSON matches encoding/json without HTML escaping', () => {
  assert.equal(encodeJSON({ s: '<&>\u2028\u0000"', n: 1e21, m: 1e-7, z: -0, f: new Float64(2) }), '{"s":"<&>\\u2028\\u0000\\"","n":1e+21,"m":1e-7,"z":-0,"f":2}');
  assert.equal(encodeJSON([undefined, null, 1n]), '[null,null,1]');
  assert.equal(encodeJSON(new Port(80, 'tcp')), '{"PrivatePort":80,"Type":"tcp"}');
  assert.equal(encodeJSON('\ud800x'), '"\\ufffdx"');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encodeJSON(cyclic), /cycle/);
});
