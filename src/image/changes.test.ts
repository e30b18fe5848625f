import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges } from './changes.js';
import { isInvalidParameter } from '../errdefs/index.js';

test('Dockerfile instructions as --change apply to the config', () => {
  const c = applyChanges({ Env: ['A=1'] }, [
    'CMD ["echo","hi"]',
    'ENTRYPOINT /bin/sh -c',
    'ENV A=2 B="two words"',
    'ENV C three',
    'LABEL k=v',
    'EXPOSE 80 53/udp',
    'VOLUME ["/data"]',
    'USER nobody',
    'WORKDIR /srv',
    'STOPSIGNAL SIGINT',
  ]);
  assert.deepEqual(c.Cmd, ['echo', 'hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/bin/sh -c']);
  assert.deepEqual(c.Env, ['A=2', 'B=two words', 'C=three']);
  assert.deepEqual(c.Labels, { k: 'v' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.User, 'nobody');
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.StopSignal, 'SIGINT');
});

test('instructions that cannot be a change are refused', () => {
  assert.throws(() => applyChanges({}, ['RUN rm -rf /']), (e: unknown) => isInvalidParameter(e));
});
