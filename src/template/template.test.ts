import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter } from '../errdefs/index.js';
import { Float64, parseTemplate, type TemplateFunc } from './index.js';

const run = (src: string, data?: unknown): string => parseTemplate(src).execute(data);

function throwsMessage(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isInvalidParameter(err), 'InvalidParameter');
    assert.equal((err as Error).message, message);
    return true;
  });
}

const image = { Repository: 'alpine', Tag: '3.20', ID: 'sha256:abc', Size: 7_800_000, Labels: { b: '2', a: '1' } };

test('text without actions is copied verbatim', () => {
  assert.equal(run('plain {text} }} here\n'), 'plain {text} }} here\n');
  assert.equal(run(''), '');
});

test('{{.Repository}}:{{.Tag}}', () => {
  assert.equal(run('{{.Repository}}:{{.Tag}}', image), 'alpine:3.20');
});

test('{{json .}} keeps field order and does not escape HTML', () => {
  assert.equal(
    run('{{json .}}', { Name: 'a<b>&c', Count: 2, Ratio: 0.5, Ok: true, None: null, List: ['x'], Nested: { K: 'v' } }),
    '{"Name":"a<b>&c","Count":2,"Ratio":0.5,"Ok":true,"None":null,"List":["x"],"Nested":{"K":"v"}}',
  );
  assert.equal(run('{{json .Labels}}', image), '{"b":"2","a":"1"}');
  assert.equal(run('{{json .Missing}}', image), 'null');
  assert.equal(run('{{json .}}', new Map([['b', 1], ['a', 2]])), '{"a":2,"b":1}');
  assert.equal(run('{{json .}}', { When: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) }), '{"When":"2024-01-02T03:04:05.000Z"}');
  assert.equal(run('{{json .}}', { Fn: () => 1 }), '{}');
  assert.equal(run('{{json .}}', NaN), '', 'docker/cli ignores encoder errors');
});

test('{{.}} and $ print the data; maps print sorted like Go', () => {
  assert.equal(run('{{.}}', 'x'), 'x');
  assert.equal(run('{{.Labels}}', image), 'map[a:1 b:2]');
  assert.equal(run('{{.}}', ['a', 1, true, null]), '[a 1 true <nil>]');
  assert.equal(run('{{.}}', { z: [1, 2], a: { y: 'n' } }), 'map[a:map[y:n] z:[1 2]]');
  assert.equal(run('{{range .}}{{$.Tag}}{{end}}', { Tag: 't', a: 1, b: 2 }), 'ttt');
});

test('missing map keys are <no value>; chains through them stay quiet', () => {
  assert.equal(run('{{.Nope}}', image), '<no value>');
  assert.equal(run('{{.Nope.Deeper}}', image), '<no value>');
  assert.equal(run('{{.Labels.c}}', image), '<no value>');
  assert.equal(run('{{.}}'), '<no value>');
  assert.equal(run('{{if .Nope}}y{{else}}n{{end}}', image), 'n');
  assert.equal(run('{{printf "%v" .Nope}}|{{print .Nope}}|{{html .Nope}}', image), '<nil>|<nil>|&lt;no value&gt;');
  assert.equal(run('{{index .Labels "zz"}}', image), '<no value>');
});

test('null is a nil pointer: prints <nil>, fields through it fail', () => {
  assert.equal(run('{{.State.Health}}', { State: { Health: null } }), '<nil>');
  throwsMessage(
    () => run('{{.State.Health.Status}}', { State: { Health: null } }),
    'template: :1:8: executing "" at <.State.Health.Status>: nil pointer evaluating interface {}.Status',
  );
  assert.equal(run('{{range .Mounts}}x{{else}}none{{end}}', { Mounts: null }), 'none');
  assert.equal(run('{{eq .A nil}}', { A: null }), 'true');
});

class ContainerContext {
  readonly #names: string[];
  readonly Image = 'nginx';
  constructor(names: string[]) {
    this.#names = names;
  }
  get Names(): string {
    return this.#names.join(',');
  }
  Label(name: string): string {
    return name === 'app' ? 'web' : '';
  }
  Fail(): string {
    throw new Error('boom');
  }
}

test('class instances are structs: getters, fields and methods with arguments', () => {
  const c = new ContainerContext(['a', 'b']);
  assert.equal(run('{{.Names}} {{.Image}} {{.Label "app"}} [{{.Label "x"}}]', c), 'a,b nginx web []');
  assert.equal(run('{{"app" | .Label}}', c), 'web');
  assert.equal(run('{{.}}', c), '{nginx}');
  throwsMessage(() => run('{{.Nope}}', c), "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type ContainerContext");
  throwsMessage(() => run('{{.constructor}}', c), "template: :1:2: executing \"\" at <.constructor>: can't evaluate field constructor in type ContainerContext");
  throwsMessage(() => run('{{.Image 1}}', c), 'template: :1:2: executing "" at <.Image>: Image has arguments but cannot be invoked as function');
  throwsMessage(() => run('{{.Fail}}', c), 'template: :1:2: executing "" at <.Fail>: error calling Fail: boom');
});

test('plain-object methods are called; map values with arguments are rejected', () => {
  const data = { Size: () => '7.8MB', Name: 'n' };
  assert.equal(run('{{.Size}}', data), '7.8MB');
  throwsMessage(() => run('{{.Name 1}}', data), 'template: :1:2: executing "" at <.Name>: Name is not a method but has arguments');
});

test('fields of scalars fail like Go', () => {
  throwsMessage(() => run('{{.Tag.Major}}', image), "template: :1:6: executing \"\" at <.Tag.Major>: can't evaluate field Major in type string");
  throwsMessage(() => run('{{.X.Y}}', { X: [1] }), "template: :1:4: executing \"\" at <.X.Y>: can't evaluate field Y in type []interface {}");
});

test('numbers: ints print plainly, floats like Go %v', () => {
  assert.equal(run('{{.A}} {{.B}} {{.C}} {{.D}} {{.E}}', { A: 7_800_000, B: 0.5, C: 1234567.5, D: new Float64(1e6), E: 12n }), '7800000 0.5 1.2345675e+06 1e+06 12');
  assert.equal(run('{{printf "%.2f" .B}} {{printf "%d" .A}} {{printf "%T %T" .A .B}}', { A: 3, B: 2.005 }), '2.00 3 int float64');
});

test('if / else if / else', () => {
  const src = '{{if eq .S "running"}}up{{else if eq .S "exited"}}down{{else}}?{{end}}';
  assert.equal(run(src, { S: 'running' }), 'up');
  assert.equal(run(src, { S: 'exited' }), 'down');
  assert.equal(run(src, { S: 'created' }), '?');
  assert.equal(run('{{if and .A (not .B)}}y{{end}}', { A: 1, B: '' }), 'y');
  assert.equal(run('{{if or .A .B}}{{or .A .B}}{{end}}', { A: 0, B: 'b' }), 'b');
});

test('truth follows Go: empty collections and zero values are false', () => {
  const src = '{{if .}}T{{else}}F{{end}}';
  const cases: Array<[unknown, string]> = [[0, 'F'], [1, 'T'], ['', 'F'], ['x', 'T'], [[], 'F'], [[0], 'T'], [{}, 'F'], [{ a: 1 }, 'T'], [new Map(), 'F'], [null, 'F'], [false, 'F'], [new ContainerContext([]), 'T'], [new Float64(0), 'F']];
  for (const [data, want] of cases) assert.equal(run(src, data), want, String(data));
});

test('range over arrays, maps (sorted keys), Maps and ints, with else', () => {
  assert.equal(run('{{range .}}[{{.}}]{{end}}', ['a', 'b']), '[a][b]');
  assert.equal(run('{{range $i, $v := .}}{{$i}}={{$v}} {{end}}', ['a', 'b']), '0=a 1=b ');
  assert.equal(run('{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', image), 'a=1;b=2;');
  assert.equal(run('{{range $k, $v := .}}{{$k}}={{$v}};{{end}}', new Map([[10, 'x'], [2, 'y']])), '2=y;10=x;');
  assert.equal(run('{{range .}}x{{else}}empty{{end}}', []), 'empty');
  assert.equal(run('{{range .Nope}}x{{else}}empty{{end}}', {}), 'empty');
  assert.equal(run('{{range $v := .}}{{$v}}{{end}}', ['p', 'q']), 'pq');
  assert.equal(run('{{$x := 0}}{{range $x = .}}{{end}}{{$x}}', ['p', 'q']), 'q');
  throwsMessage(() => run('{{range .}}{{end}}', true), 'template: :1:8: executing "" at <.>: range can\'t iterate over true');
});

test('with sets dot; else and else with', () => {
  assert.equal(run('{{with .Labels}}{{.a}}{{end}}', image), '1');
  assert.equal(run('{{with .Nope}}x{{else}}none{{end}}', image), 'none');
  assert.equal(run('{{with .Nope}}x{{else with .Tag}}{{.}}{{end}}', image), '3.20');
});

test('variables: declare, assign, scope ends at {{end}}', () => {
  assert.equal(run('{{$n := .Repository}}{{$n}}{{$n = "x"}}{{$n}}', image), 'alpinex');
  assert.equal(run('{{$v := "out"}}{{if true}}{{$v = "in"}}{{end}}{{$v}}'), 'in');
  assert.equal(run('{{range .}}{{$x := .}}{{$x}}{{end}}', [1, 2]), '12');
  throwsMessage(() => run('{{if true}}{{$y := 1}}{{end}}{{$y}}'), 'template: :1: undefined variable "$y"');
});

test('pipelines pass the value as the last argument; parentheses group', () => {
  assert.equal(run('{{.Tag | printf "%s-%s" "v"}}', image), 'v-3.20');
  assert.equal(run('{{.Repository | upper | printf "%q"}}', image), '"ALPINE"');
  assert.equal(run('{{printf "%s:%s" .Repository (.Tag | upper)}}', image), 'alpine:3.20');
  assert.equal(run('{{(index .Labels "a")}}{{(.Labels).b}}', image), '12');
});

test('trim markers remove surrounding white space', () => {
  assert.equal(run('a  \n {{- .Tag -}} \n\t b', image), 'a3.20b');
  assert.equal(run('{{range .}}\n  {{- .}}\n{{- end}}', ['x', 'y']), 'xy');
  assert.equal(run('x {{- /* note */ -}} y'), 'xy');
  assert.equal(run('{{/* a\nmulti-line comment */}}z'), 'z');
});

test('docker/cli functions on data', () => {
  const d = { Names: ['/web', '/db'], Cmd: 'nginx -g daemon off;', Status: 'Up 2 hours' };
  assert.equal(run('{{join .Names ","}}', d), '/web,/db');
  assert.equal(run('{{range split .Cmd " "}}[{{.}}]{{end}}', d), '[nginx][-g][daemon][off;]');
  assert.equal(run('{{truncate .Status 2}}|{{pad .Status 1 0}}|{{title "web db"}}', d), 'Up| Up 2 hours|Web Db');
  assert.equal(run('{{join .Nope ","}}', d), '', 'a nil []string joins to ""');
  throwsMessage(() => run('{{join .Cmd ","}}', d), 'template: :1:7: executing "" at <.Cmd>: wrong type for value; expected []string; got string');
  throwsMessage(() => run('{{upper .Nope}}', d), 'template: :1:8: executing "" at <.Nope>: invalid value; expected string');
  throwsMessage(() => run('{{pad "x" -1 0}}'), 'template: :1:2: executing "" at <pad "x" -1 0>: error calling pad: strings: negative Repeat count');
});

test('len and index follow Go (bytes for strings)', () => {
  assert.equal(run('{{len .Labels}} {{len .Names}} {{len "héllo"}}', { Labels: { a: 1 }, Names: ['x', 'y'] }), '1 2 6');
  assert.equal(run('{{index .M "k"}} {{index .A 1}} {{index .N 0 1}}', { M: { k: 'v' }, A: ['p', 'q'], N: [['a', 'b']] }), 'v q b');
  throwsMessage(() => run('{{index .M 1}}', { M: { k: 'v' } }), 'template: :1:2: executing "" at <index .M 1>: error calling index: value has type int; should be string');
  throwsMessage(() => run('{{len .Nope}}', {}), 'template: :1:2: executing "" at <len .Nope>: error calling len: reflect: call of reflect.Value.Type on zero Value');
  throwsMessage(() => run('{{index .Nope 1}}', {}), 'template: :1:2: executing "" at <index .Nope 1>: error calling index: index of untyped nil');
});

test('define, template and block', () => {
  assert.equal(run('{{define "row"}}<{{.}}>{{end}}{{range .}}{{template "row" .}}{{end}}', ['a', 'b']), '<a><b>');
  assert.equal(run('{{block "b" .Tag}}[{{.}}]{{end}}', image), '[3.20]');
  throwsMessage(
    () => run('{{define "t"}}{{.X.Y}}{{end}}{{template "t" .}}', { X: 'x' }),
    "template: :1:18: executing \"t\" at <.X.Y>: can't evaluate field Y in type string",
  );
});

test('errors report line and UTF-8 byte column', () => {
  throwsMessage(() => run('line1\n  é{{.A.B}}', { A: 1 }), "template: :2:8: executing \"\" at <.A.B>: can't evaluate field B in type int");
  throwsMessage(() => run('a\n{{if}}'), 'template: :2: missing value for if');
  throwsMessage(() => run('{{foo}}'), 'template: :1: function "foo" not defined');
  throwsMessage(() => run('{{.Foo }'), 'template: :1: unexpected "}" in operand');
  throwsMessage(() => run('{{.Foo}'), "template: :1: bad character U+007D '}'");
  throwsMessage(() => run('{{if .A}}\nx\n'), 'template: :3: unexpected EOF');
});

test('template name appears in messages', () => {
  throwsMessage(() => parseTemplate('{{', { name: 'ps' }), 'template: ps:1: unclosed action');
  throwsMessage(() => parseTemplate('{{.A.B}}', { name: 'ps' }).execute({ A: 1 }), "template: ps:1:4: executing \"ps\" at <.A.B>: can't evaluate field B in type int");
});

test('custom functions are checked at parse time and typed at call time', () => {
  const shout: TemplateFunc = { params: ['string'], fn: (s) => `${String(s)}!` };
  const t = parseTemplate('{{shout .Tag}}', { funcs: { shout } });
  assert.equal(t.execute(image), '3.20!');
  throwsMessage(() => t.execute({ Tag: 3 }), 'template: :1:8: executing "" at <.Tag>: wrong type for value; expected string; got int');
});

test('executePartial returns output written before the error', () => {
  const r = parseTemplate('a{{.A}}b{{.A.B}}c').executePartial({ A: 1 });
  assert.equal(r.output, 'a1b');
  assert.equal(r.error?.message, "template: :1:12: executing \"\" at <.A.B>: can't evaluate field B in type int");
});

test('a template can be executed many times', () => {
  const t = parseTemplate('{{.}}');
  assert.equal(t.execute(1), '1');
  assert.equal(t.execute('two'), 'two');
});
