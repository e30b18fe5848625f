import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter } from '../errdefs/index.js';
import {
  familiarName,
  familiarString,
  fullName,
  isFullImageId,
  looksLikeIdPrefix,
  parseNormalizedReference,
  referenceString,
  withDefaultTag,
} from './reference.js';

const HEX = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const DIGEST = `sha256:${HEX}`;

test('normalises familiar names', () => {
  const cases: Array<[input: string, full: string, familiar: string, domain: string, path: string]> = [
    ['busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['library/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['docker.io/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['index.docker.io/busybox', 'docker.io/library/busybox', 'busybox', 'docker.io', 'library/busybox'],
    ['user/app', 'docker.io/user/app', 'user/app', 'docker.io', 'user/app'],
    ['library/foo/bar', 'docker.io/library/foo/bar', 'library/foo/bar', 'docker.io', 'library/foo/bar'],
    ['localhost/app', 'localhost/app', 'localhost/app', 'localhost', 'app'],
    ['localhost:5000/app', 'localhost:5000/app', 'localhost:5000/app', 'localhost:5000', 'app'],
    ['127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000/private/moonbase', '127.0.0.1:8000', 'private/moonbase'],
    ['[fc00::1]:5000/docker', '[fc00::1]:5000/docker', '[fc00::1]:5000/docker', '[fc00::1]:5000', 'docker'],
    ['test_com/foo', 'docker.io/test_com/foo', 'test_com/foo', 'docker.io', 'test_com/foo'],
    ['test-com:8080/foo', 'test-com:8080/foo', 'test-com:8080/foo', 'test-com:8080', 'foo'],
    ['xn--n3h.com/foo', 'xn--n3h.com/foo', 'xn--n3h.com/foo', 'xn--n3h.com', 'foo'],
    ['Foo/bar', 'Foo/bar', 'Foo/bar', 'Foo', 'bar'],
    ['192.168.0.1', 'docker.io/library/192.168.0.1', '192.168.0.1', 'docker.io', 'library/192.168.0.1'],
    ['dock__er/do-c---k.er', 'docker.io/dock__er/do-c---k.er', 'dock__er/do-c---k.er', 'docker.io', 'dock__er/do-c---k.er'],
    [`docker.io/${HEX}`, `docker.io/library/${HEX}`, HEX, 'docker.io', `library/${HEX}`],
  ];
  for (const [input, full, familiar, domain, path] of cases) {
    const ref = parseNormalizedReference(input);
    assert.equal(fullName(ref), full, input);
    assert.equal(familiarName(ref), familiar, input);
    assert.equal(ref.domain, domain, input);
    assert.equal(ref.path, path, input);
    assert.equal(ref.tag, undefined, input);
  }
});

test('tags and digests', () => {
  const tagged = parseNormalizedReference('localhost:5000/app:v1');
  assert.deepEqual(tagged, { domain: 'localhost:5000', path: 'app', tag: 'v1' });
  assert.equal(referenceString(tagged), 'localhost:5000/app:v1');

  const digested = parseNormalizedReference(`host.example:443/a/b@${DIGEST}`);
  assert.deepEqual(digested, { domain: 'host.example:443', path: 'a/b', digest: DIGEST });
  assert.equal(familiarString(digested), `host.example:443/a/b@${DIGEST}`);

  const both = parseNormalizedReference(`busybox:latest@${DIGEST}`);
  assert.equal(referenceString(both), `docker.io/library/busybox:latest@${DIGEST}`);
  assert.equal(familiarString(both), `busybox:latest@${DIGEST}`);

  const sha512 = `sha512:${'ab'.repeat(64)}`;
  assert.equal(parseNormalizedReference(`app@${sha512}`).digest, sha512);
  assert.equal(parseNormalizedReference(`app:${'T_'.repeat(64)}`).tag, 'T_'.repeat(64));
});

test('withDefaultTag adds latest only to bare names', () => {
  const bare = withDefaultTag(parseNormalizedReference('busybox'));
  assert.equal(referenceString(bare), 'docker.io/library/busybox:latest');
  assert.equal(familiarString(bare), 'busybox:latest');
  assert.equal(referenceString(withDefaultTag(parseNormalizedReference('busybox:1.36'))), 'docker.io/library/busybox:1.36');
  assert.equal(referenceString(withDefaultTag(parseNormalizedReference(`busybox@${DIGEST}`))), `docker.io/library/busybox@${DIGEST}`);
});

test('rejects invalid references with Docker messages', () => {
  const cases: Array<[string, string]> = [
    ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
    ['docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    ['docker.io/docker/Docker', 'invalid reference format: repository name (docker/Docker) must be lowercase'],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ['https://github.com/docker/docker', 'invalid reference format'],
    ['-docker', 'invalid reference format'],
    ['docker-/docker', 'invalid reference format'],
    ['docker///docker', 'invalid reference format'],
    ['____/____', 'invalid reference format'],
    ['dock..er/docker', 'invalid reference format'],
    ['dock_.er/docker', 'invalid reference format'],
    ['docker/', 'invalid reference format'],
    ['', 'invalid reference format'],
    ['[fc00::1]', 'invalid reference format'],
    ['[fc00::1]:5000', 'invalid reference format'],
    ['fc00::1:5000/debian', 'invalid reference format'],
    ['[fe80::1%eth0]:5000/debian', 'invalid reference format'],
    ['busybox:-tag', 'invalid reference format'],
    [`busybox:${'a'.repeat(129)}`, 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [`busybox@sha256:${'a'.repeat(63)}`, 'invalid checksum digest length'],
    [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
    [`${'a'.repeat(128)}/${'b'.repeat(128)}`, 'repository name must not be more than 255 characters'],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseNormalizedReference(input), (err: unknown) => {
      assert.ok(isInvalidParameter(err), input);
      assert.equal((err as Error).message, message, input);
      return true;
    });
  }
});

test('image ID helpers', () => {
  assert.ok(isFullImageId(HEX));
  assert.ok(isFullImageId(DIGEST));
  assert.ok(!isFullImageId(HEX.slice(1)));
  assert.ok(!isFullImageId(HEX.toUpperCase()));
  assert.ok(looksLikeIdPrefix('dbcc'));
  assert.ok(looksLikeIdPrefix('sha256:dbcc1c35'));
  assert.ok(looksLikeIdPrefix(HEX));
  assert.ok(!looksLikeIdPrefix('dbc'));
  assert.ok(!looksLikeIdPrefix('busybox'));
  assert.ok(!looksLikeIdPrefix(`${HEX}0`));
});
