import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointFor, inCidr, parseMirror, pullEndpoints } from './endpoint.js';

test('endpointFor: Docker Hub, loopback insecure by default, --insecure-registry by host and CIDR', () => {
  assert.deepEqual(endpointFor('docker.io'), { domain: 'docker.io', host: 'registry-1.docker.io', insecure: false });
  assert.equal(endpointFor('127.0.0.1:5000').insecure, true);
  assert.equal(endpointFor('127.8.9.1').insecure, true);
  assert.equal(endpointFor('localhost:5000').insecure, true);
  assert.equal(endpointFor('[::1]:5000').insecure, true);
  assert.equal(endpointFor('10.0.0.5:5000').insecure, false);
  assert.equal(endpointFor('10.0.0.5:5000', { insecureRegistries: ['10.0.0.0/8'] }).insecure, true);
  assert.equal(endpointFor('reg.test:5000', { insecureRegistries: ['reg.test:5000'] }).insecure, true);
  assert.equal(endpointFor('reg.test:5000').insecure, false);
});

test('inCidr: both families, prefix bits', () => {
  assert.equal(inCidr('192.168.1.7', '192.168.0.0/16'), true);
  assert.equal(inCidr('192.169.1.7', '192.168.0.0/16'), false);
  assert.equal(inCidr('fd00::1', 'fd00::/8'), true);
  assert.equal(inCidr('fd00::1', '10.0.0.0/8'), false);
});

test('parseMirror: Docker Hub by default, host[:port]=URL for other registries, moby validation', () => {
  assert.deepEqual(parseMirror('https://mirror.test:5000/'), { domain: 'docker.io', url: 'https://mirror.test:5000' });
  assert.deepEqual(parseMirror('reg:5000=http://10.0.0.9:5001'), { domain: 'reg:5000', url: 'http://10.0.0.9:5001' });
  assert.deepEqual(parseMirror('index.docker.io=http://m'), { domain: 'docker.io', url: 'http://m' });
  assert.throws(() => parseMirror('ftp://m'), /invalid mirror: unsupported scheme "ftp" in "ftp:\/\/m"/);
  assert.throws(() => parseMirror('https://u:p@m'), /invalid mirror: username\/password not allowed in URI/);
  assert.throws(() => parseMirror('https://m/path'), /invalid mirror: path, query, or fragment at end of the URI "https:\/\/m\/path"/);
  assert.throws(() => parseMirror('m:5000'), /invalid mirror/);
});

test('pullEndpoints: a registry\'s mirrors in order, then the registry; other registries\' mirrors are not used', () => {
  const mirrors = [parseMirror('reg:5000=http://127.0.0.1:1'), parseMirror('https://hub-mirror'), parseMirror('reg:5000=https://10.0.0.9')];
  const eps = pullEndpoints('reg:5000', { mirrors });
  assert.deepEqual(eps.map((e) => e.base ?? e.host), ['http://127.0.0.1:1', 'https://10.0.0.9', 'reg:5000']);
  assert.deepEqual(eps.map((e) => e.insecure), [true, false, false]);
  assert.deepEqual(pullEndpoints('docker.io', { mirrors }).map((e) => e.base ?? e.host), ['https://hub-mirror', 'registry-1.docker.io']);
});
