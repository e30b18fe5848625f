import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointFor, inCidr } from './endpoint.js';

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
