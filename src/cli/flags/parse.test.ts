// Error texts were checked against the docker 28.2.2 CLI (e.g. `docker ps --last abc`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter } from '../../errdefs/index.js';
import { customFlag, parseFlags, type FlagDef } from './index.js';

const publish = customFlag({
  name: 'publish',
  short: 'p',
  type: 'custom',
  typeName: 'list',
  default: [] as string[],
  set: (v, cur) => [...cur, v],
  description: "Publish a container's port(s) to the host",
});

const RUN = [
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container when it exits' },
  { name: 'name', type: 'string', description: 'Assign a name to the container' },
  { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables' },
  { name: 'tail', short: 'n', type: 'int', default: -1, description: 'Number of lines' },
  { name: 'health-interval', type: 'duration', description: 'Time between running the check' },
  { name: 'cpus', type: 'float', description: 'Number of CPUs' },
  { name: 'dns-option', type: 'stringSlice', description: 'Set DNS options' },
  publish,
] as const satisfies readonly FlagDef[];

function rejects(argv: string[], message: string, defs: readonly FlagDef[] = RUN): void {
  assert.throws(
    () => parseFlags(defs, argv),
    (err: unknown) => {
      assert.ok(isInvalidParameter(err), 'InvalidParameter');
      assert.equal((err as Error).message, message);
      return true;
    },
  );
}

test('defaults when nothing is given', () => {
  const r = parseFlags(RUN, []);
  assert.deepEqual(r.values, {
    interactive: false,
    tty: false,
    detach: false,
    rm: false,
    name: '',
    env: [],
    tail: -1,
    'health-interval': 0,
    cpus: 0,
    'dns-option': [],
    publish: [],
  });
  assert.deepEqual(r.args, []);
  assert.equal(r.changed.size, 0);
  assert.equal(r.dashIndex, -1);
  assert.equal(r.help, false);
});

test('values are typed by flag name', () => {
  const r = parseFlags(RUN, ['--name', 'web', '-n', '5']);
  const name: string = r.values.name;
  const tail: number = r.values.tail;
  const env: string[] = r.values.env;
  const ports: string[] = r.values.publish;
  assert.deepEqual([name, tail, env, ports], ['web', 5, [], []]);
});

test('--name value, --name=value, -n value, -nvalue, -n=value', () => {
  assert.equal(parseFlags(RUN, ['--name', 'a']).values.name, 'a');
  assert.equal(parseFlags(RUN, ['--name=a=b']).values.name, 'a=b');
  assert.equal(parseFlags(RUN, ['--name=']).values.name, '');
  assert.equal(parseFlags(RUN, ['-n', '3']).values.tail, 3);
  assert.equal(parseFlags(RUN, ['-n3']).values.tail, 3);
  assert.equal(parseFlags(RUN, ['-n=3']).values.tail, 3);
  assert.equal(parseFlags(RUN, ['--name', '--rm']).values.name, '--rm', 'a required value may look like a flag');
});

test('combined shorthand bools and a trailing valued shorthand: -it, -itd, -p8080:80, -dp 80:80', () => {
  const r = parseFlags(RUN, ['-it', '-p8080:80', '-dp', '80:80', 'alpine']);
  assert.equal(r.values.interactive, true);
  assert.equal(r.values.tty, true);
  assert.equal(r.values.detach, true);
  assert.deepEqual(r.values.publish, ['8080:80', '80:80']);
  assert.deepEqual(r.args, ['alpine']);
  assert.deepEqual([...r.changed].sort(), ['detach', 'interactive', 'publish', 'tty']);
});

test('bools take no separate value but accept =: --rm=false, -d=false, --rm false', () => {
  assert.equal(parseFlags(RUN, ['--rm=false']).values.rm, false);
  assert.equal(parseFlags(RUN, ['--rm=true']).values.rm, true);
  assert.equal(parseFlags(RUN, ['--rm=1', '-d=F']).values.rm, true);
  assert.equal(parseFlags(RUN, ['-d=false']).values.detach, false);
  const r = parseFlags(RUN, ['--rm', 'false']);
  assert.equal(r.values.rm, true);
  assert.deepEqual(r.args, ['false']);
});

test('-aq=1 style: = applies to the shorthand it follows', () => {
  const r = parseFlags(RUN, ['-it=false']);
  assert.equal(r.values.interactive, true);
  assert.equal(r.values.tty, false);
});

test('repeated flags: stringArray appends verbatim, stringSlice splits CSV, scalars keep the last', () => {
  const r = parseFlags(RUN, ['-e', 'A=1', '--env=B=2,3', '--dns-option', 'a,"b,c"', '--dns-option=d', '-n', '1', '-n', '2']);
  assert.deepEqual(r.values.env, ['A=1', 'B=2,3']);
  assert.deepEqual(r.values['dns-option'], ['a', 'b,c', 'd']);
  assert.equal(r.values.tail, 2);
});

test('the first occurrence replaces a default list', () => {
  const defs = [{ name: 'x', type: 'stringArray', default: ['d'], description: '' }] as const;
  assert.deepEqual(parseFlags(defs, []).values.x, ['d']);
  assert.deepEqual(parseFlags(defs, ['--x', 'a', '--x', 'b']).values.x, ['a', 'b']);
});

test('durations and floats', () => {
  assert.equal(parseFlags(RUN, ['--health-interval', '1m30s']).values['health-interval'], 90e9);
  assert.equal(parseFlags(RUN, ['--health-interval=1.5ms']).values['health-interval'], 1_500_000);
  assert.equal(parseFlags(RUN, ['--cpus', '1.5']).values.cpus, 1.5);
  assert.equal(parseFlags(RUN, ['-n', '0x10']).values.tail, 16, 'ints use Go base-0 syntax');
});

test('interspersed (default): flags after positional arguments still parse', () => {
  const r = parseFlags(RUN, ['web', '--rm', 'db', '-n', '2']);
  assert.deepEqual(r.args, ['web', 'db']);
  assert.equal(r.values.rm, true);
  assert.equal(r.values.tail, 2);
});

test('interspersed=false stops at the first positional: docker run IMAGE CMD…', () => {
  const r = parseFlags(RUN, ['--rm', '-it', 'alpine', 'ls', '-l', '--name', 'x'], { interspersed: false });
  assert.equal(r.values.rm, true);
  assert.equal(r.values.name, '');
  assert.deepEqual(r.args, ['alpine', 'ls', '-l', '--name', 'x']);
});

test('-- ends the flags; a lone - is positional', () => {
  const r = parseFlags(RUN, ['-d', '--', '--rm', '-x']);
  assert.equal(r.values.rm, false);
  assert.deepEqual(r.args, ['--rm', '-x']);
  assert.equal(r.dashIndex, 0);
  const s = parseFlags(RUN, ['a', '-', '--', 'b']);
  assert.deepEqual(s.args, ['a', '-', 'b']);
  assert.equal(s.dashIndex, 2);
  assert.deepEqual(parseFlags(RUN, ['']).args, ['']);
});

test('unknown flag: --foo', () => {
  rejects(['--foo'], 'unknown flag: --foo');
  rejects(['--foo=bar'], 'unknown flag: --foo');
});

test("unknown shorthand flag: 'x' in -x", () => {
  rejects(['-x'], "unknown shorthand flag: 'x' in -x");
  rejects(['-itx'], "unknown shorthand flag: 'x' in -x");
  rejects(['-xit'], "unknown shorthand flag: 'x' in -xit");
});

test('flag needs an argument', () => {
  rejects(['--name'], 'flag needs an argument: --name');
  rejects(['-p'], "flag needs an argument: 'p' in -p");
  rejects(['-dp'], "flag needs an argument: 'p' in -p");
});

test('bad flag syntax', () => {
  rejects(['---a'], 'bad flag syntax: ---a');
  rejects(['--=x'], 'bad flag syntax: --=x');
});

test('invalid argument "abc" for "-n, --tail" flag', () => {
  rejects(['--tail', 'abc'], 'invalid argument "abc" for "-n, --tail" flag: strconv.ParseInt: parsing "abc": invalid syntax');
  rejects(['--tail='], 'invalid argument "" for "-n, --tail" flag: strconv.ParseInt: parsing "": invalid syntax');
  rejects(
    ['-n', '99999999999999999999'],
    'invalid argument "99999999999999999999" for "-n, --tail" flag: strconv.ParseInt: parsing "99999999999999999999": value out of range',
  );
  rejects(['--rm=xyz'], 'invalid argument "xyz" for "--rm" flag: strconv.ParseBool: parsing "xyz": invalid syntax');
  rejects(['-d='], "unknown shorthand flag: '=' in -=", RUN);
  rejects(['--health-interval', 'abc'], 'invalid argument "abc" for "--health-interval" flag: time: invalid duration "abc"');
  rejects(['--health-interval', '5'], 'invalid argument "5" for "--health-interval" flag: time: missing unit in duration "5"');
  rejects(['--cpus', 'x'], 'invalid argument "x" for "--cpus" flag: strconv.ParseFloat: parsing "x": invalid syntax');
  rejects(['--dns-option', 'a"b'], 'invalid argument "a\\"b" for "--dns-option" flag: parse error on line 1, column 2: bare " in non-quoted-field');
});

test('custom value types report their own errors', () => {
  const memory = customFlag({
    name: 'memory',
    short: 'm',
    type: 'custom',
    typeName: 'bytes',
    default: 0,
    set: (v) => {
      if (!/^\d+$/.test(v)) throw new Error(`invalid size: '${v}'`);
      return Number(v);
    },
    description: 'Memory limit',
  });
  const defs = [memory] as const;
  const typed: number = parseFlags(defs, []).values.memory;
  assert.equal(typed, 0);
  assert.equal(parseFlags(defs, ['-m', '1024']).values.memory, 1024);
  rejects(['--memory', 'abc'], 'invalid argument "abc" for "-m, --memory" flag: invalid size: \'abc\'', defs);
});

test('optional values (noOptDefault)', () => {
  const defs = [
    { name: 'level', type: 'string', noOptDefault: 'info', description: '' },
    { name: 'verbose', short: 'v', type: 'bool', description: '' },
  ] as const;
  assert.equal(parseFlags(defs, ['--level']).values.level, 'info');
  assert.equal(parseFlags(defs, ['--level=debug']).values.level, 'debug');
  const r = parseFlags(defs, ['--level', 'debug']);
  assert.equal(r.values.level, 'info');
  assert.deepEqual(r.args, ['debug']);
});

test('--help and -h stop parsing when not defined', () => {
  const r = parseFlags(RUN, ['--rm', '--help', '--nope']);
  assert.equal(r.help, true);
  assert.equal(r.values.rm, true);
  assert.equal(parseFlags(RUN, ['-ih']).help, true);
  const withHelp = [{ name: 'help', short: 'h', type: 'bool', description: 'Print usage' }] as const;
  const h = parseFlags(withHelp, ['-h']);
  assert.equal(h.help, false);
  assert.equal(h.values.help, true);
});

test('deprecated flags still parse and warn', () => {
  const defs = [{ name: 'link-local-ip', type: 'stringArray', deprecated: 'use --ip6', description: '' }] as const;
  const r = parseFlags(defs, ['--link-local-ip', 'fe80::1']);
  assert.deepEqual(r.values['link-local-ip'], ['fe80::1']);
  assert.deepEqual(r.warnings, ['Flag --link-local-ip has been deprecated, use --ip6']);
});

test('conflicting definitions are programmer errors', () => {
  const twice = [
    { name: 'a', type: 'bool', description: '' },
    { name: 'a', type: 'bool', description: '' },
  ] as const;
  assert.throws(() => parseFlags(twice, []), /flag redefined: a/);
  const shorts = [
    { name: 'a', short: 'x', type: 'bool', description: '' },
    { name: 'b', short: 'x', type: 'bool', description: '' },
  ] as const;
  assert.throws(() => parseFlags(shorts, []), /shorthand: it's already used for "a" flag/);
});
