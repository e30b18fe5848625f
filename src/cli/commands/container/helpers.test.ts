import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detachKeyBytes, EscapeProxy } from './hijack.js';
import { displayablePorts } from './context.js';
import { getTimestamp } from './logs.js';
import { splitCpArg } from './cp.js';
import { startFailureCode, withDefaultTag } from './run.js';

test('detach keys: ctrl-p,ctrl-q by default; docker term.ToBytes syntax', () => {
  assert.deepEqual(detachKeyBytes(''), [0x10, 0x11]);
  assert.deepEqual(detachKeyBytes('ctrl-a,x'), [1, 0x78]);
  assert.deepEqual(detachKeyBytes('ctrl-@,ctrl-['), [0, 27]);
  assert.throws(() => detachKeyBytes('ctrl-ab'), /Unknown character/);
});

test('the escape proxy holds a possible sequence back, passes a broken one on, and reports a complete one', () => {
  const p = new EscapeProxy([0x10, 0x11]);
  assert.deepEqual(p.push(Buffer.from('ab\x10')), { forward: Buffer.from('ab'), detach: false });
  assert.deepEqual(p.push(Buffer.from('c')), { forward: Buffer.from('\x10c'), detach: false });
  assert.deepEqual(p.push(Buffer.from('\x10\x10')), { forward: Buffer.from('\x10'), detach: false });
  assert.deepEqual(p.push(Buffer.from('\x11rest')), { forward: Buffer.alloc(0), detach: true });
});

test('ports display as docker ps groups them', () => {
  assert.equal(displayablePorts([]), '');
  assert.equal(displayablePorts([{ PrivatePort: 80, Type: 'tcp' }]), '80/tcp');
  assert.equal(
    displayablePorts([
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 9000, Type: 'tcp' },
      { PrivatePort: 9001, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 53, Type: 'udp' },
    ]),
    '0.0.0.0:53->53/udp, 9000-9001/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp',
  );
});

test('logs --since: durations count back from now, RFC 3339 becomes Unix seconds, numbers pass', () => {
  const now = new Date('2024-01-01T00:10:00.000Z');
  assert.equal(getTimestamp('10m', now), '1704067200.000000000');
  assert.equal(getTimestamp('2024-01-01T00:00:00Z', now), '1704067200.000000000');
  assert.equal(getTimestamp('2024-01-01', now), '1704067200.000000000');
  assert.equal(getTimestamp('1704067200.5', now), '1704067200.5');
  assert.equal(getTimestamp('', now), '');
});

test('cp arguments: container:path unless the path is local-looking', () => {
  assert.deepEqual(splitCpArg('c1:/etc/hosts'), { container: 'c1', path: '/etc/hosts' });
  assert.deepEqual(splitCpArg('./a:b'), { container: '', path: './a:b' });
  assert.deepEqual(splitCpArg('/abs:x'), { container: '', path: '/abs:x' });
  assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
});

test('run exit codes for start failures and the default tag', () => {
  assert.equal(startFailureCode('exec: "x": executable file not found in $PATH'), 127);
  assert.equal(startFailureCode('exec: "/etc": permission denied'), 126);
  assert.equal(startFailureCode('something else'), 125);
  assert.equal(withDefaultTag('busybox'), 'busybox:latest');
  assert.equal(withDefaultTag('localhost:5000/a'), 'localhost:5000/a:latest');
  assert.equal(withDefaultTag('a:1'), 'a:1');
});
