import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProxySelector, parseProxy, proxyAuthorization, proxyEnvFrom } from './proxy.js';

const sel = (noProxy: string): ProxySelector => new ProxySelector({ httpProxy: 'http://p:3128', httpsProxy: 'sp:8080', noProxy });
const via = (s: ProxySelector, url: string): string | undefined => s.proxyFor(new URL(url))?.href;

test('proxyEnvFrom: upper case first, then lower case, as Go', () => {
  assert.deepEqual(proxyEnvFrom({ HTTP_PROXY: 'a', http_proxy: 'b', https_proxy: 'c', no_proxy: 'd' }), { httpProxy: 'a', httpsProxy: 'c', noProxy: 'd' });
  assert.deepEqual(proxyEnvFrom({ HTTP_PROXY: '', http_proxy: 'b' }), { httpProxy: 'b', httpsProxy: '', noProxy: '' });
});

test('proxyFor: scheme picks the proxy; a bare host:port means http://; loopback and localhost go direct', () => {
  const s = sel('');
  assert.equal(via(s, 'http://reg.test:5000/v2/'), 'http://p:3128/');
  assert.equal(via(s, 'https://reg.test/v2/'), 'http://sp:8080/');
  assert.equal(via(s, 'http://127.0.0.1:5000/v2/'), undefined);
  assert.equal(via(s, 'https://127.9.9.9/v2/'), undefined);
  assert.equal(via(s, 'http://localhost:5000/v2/'), undefined);
  assert.equal(via(s, 'http://[::1]:5000/v2/'), undefined);
  assert.equal(via(new ProxySelector({ httpProxy: '', httpsProxy: '', noProxy: '' }), 'http://reg.test/'), undefined);
});

test('NO_PROXY matching follows Go: *, IPs, CIDRs, ports, domains and their subdomains', () => {
  assert.equal(via(sel('*'), 'http://reg.test/'), undefined);
  assert.equal(via(sel('10.1.2.3'), 'http://10.1.2.3:5000/'), undefined);
  assert.equal(via(sel('10.1.2.3:5001'), 'http://10.1.2.3:5000/'), 'http://p:3128/');
  assert.equal(via(sel('10.1.2.3:5000'), 'http://10.1.2.3:5000/'), undefined);
  assert.equal(via(sel('10.0.0.0/8'), 'https://10.200.0.1/'), undefined);
  assert.equal(via(sel('10.0.0.0/8'), 'https://11.0.0.1/'), 'http://sp:8080/');
  assert.equal(via(sel('reg.test'), 'http://reg.test/'), undefined);
  assert.equal(via(sel('reg.test'), 'http://a.reg.test/'), undefined);
  assert.equal(via(sel('reg.test'), 'http://xreg.test/'), 'http://p:3128/');
  assert.equal(via(sel('.reg.test'), 'http://reg.test/'), 'http://p:3128/');
  assert.equal(via(sel('*.reg.test'), 'http://a.reg.test/'), undefined);
  assert.equal(via(sel(' other.test , REG.test:443'), 'https://reg.test/'), undefined);
  assert.equal(via(sel('reg.test:443'), 'http://reg.test/'), 'http://p:3128/');
  assert.equal(via(sel('[fd00::1]:80'), 'http://[fd00::1]/'), undefined);
});

test('parseProxy and proxyAuthorization', () => {
  assert.equal(parseProxy('proxy.test:3128').href, 'http://proxy.test:3128/');
  assert.throws(() => parseProxy('socks5://proxy.test:1080'), /only http:\/\/ proxies are supported/);
  assert.deepEqual(proxyAuthorization(new URL('http://u%40x:p%3A@p:1')), { 'Proxy-Authorization': `Basic ${Buffer.from('u@x:p:').toString('base64')}` });
  assert.deepEqual(proxyAuthorization(new URL('http://p:1')), {});
});
