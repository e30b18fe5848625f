import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags } from '../../flags/index.js';
import { buildCreateRequest, CONTAINER_FLAGS, RunOptionsError, type RunEnvironment } from './run-options.js';
import { DOCKER28_CREATE_BODIES } from './docker28-create-bodies.testdata.js';

const ENV: RunEnvironment = {
  lookupEnv: (k) => ({ HOME: '/root' })[k],
  readFile: (p) => {
    throw Object.assign(new Error(`open ${p}: no such file or directory`), { code: 'ENOENT' });
  },
  resolvePath: (p) => `/work/${p.replace(/^\.\//, '')}`,
  consoleSize: [0, 0],
};

function request(args: string[], env: RunEnvironment = ENV, detach = false): ReturnType<typeof buildCreateRequest> {
  const parsed = parseFlags(CONTAINER_FLAGS, args, { interspersed: false });
  return buildCreateRequest(parsed.values, parsed.args, parsed.changed, env, { detach });
}

test('the create body is the one docker CLI 28 sent for the same flags', () => {
  for (const { args, body } of DOCKER28_CREATE_BODIES) {
    assert.deepEqual(request(args).body, body, `docker create ${args.join(' ')}`);
  }
});

test('name and platform go to the query, not the body', () => {
  const r = request(['--name', 'web', '--platform', 'linux/amd64', 'busybox']);
  assert.equal(r.name, 'web');
  assert.equal(r.platform, 'linux/amd64');
  assert.equal('name' in r.body, false);
});

test('-e NAME takes the client environment value when set, and stays bare otherwise', () => {
  assert.deepEqual(request(['-e', 'HOME', '-e', 'NOPE', 'busybox']).body.Env, ['HOME=/root', 'NOPE']);
});

test('-t sends the terminal size; detached runs attach nothing', () => {
  const tty = request(['-t', 'busybox'], { ...ENV, consoleSize: [40, 120] });
  assert.deepEqual((tty.body.HostConfig as { ConsoleSize: number[] }).ConsoleSize, [40, 120]);
  const d = request(['-i', 'busybox'], ENV, true).body;
  assert.deepEqual([d.AttachStdin, d.AttachStdout, d.AttachStderr, d.OpenStdin, d.StdinOnce], [false, false, false, true, false]);
});

test('invalid combinations are docker usage errors', () => {
  for (const [args, message] of [
    [['--rm', '--restart', 'always', 'busybox'], 'conflicting options: cannot specify both --restart and --rm'],
    [['--no-healthcheck', '--health-cmd', 'x', 'busybox'], '--no-healthcheck conflicts with --health-* options'],
    [['-p', '99999:80', 'busybox'], 'invalid hostPort: 99999'],
    [['--device', '/a:/b:xyz', 'busybox'], 'bad mode specified: xyz'],
    [['--security-opt', 'foo', 'busybox'], 'Invalid --security-opt: "foo"'],
    [['--env-file', '/nonexistent', 'busybox'], 'open /nonexistent: no such file or directory'],
    [['--network', 'host', '--network', 'mynet', 'busybox'], 'conflicting options: cannot attach both user-defined and non-user-defined network-modes'],
  ] as const) {
    assert.throws(() => request([...args]), (err: unknown) => err instanceof RunOptionsError && err.message === message, args.join(' '));
  }
});

test('a relative bind source is made absolute; a lone path is an anonymous volume', () => {
  const hc = request(['-v', './data:/d', '-v', '/anon', 'busybox']).body;
  assert.deepEqual((hc.HostConfig as { Binds: string[] }).Binds, ['/work/data:/d']);
  assert.deepEqual(hc.Volumes, { '/anon': {} });
});
