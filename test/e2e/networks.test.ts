// Networks with the real docker CLI against estibad: the default bridge with outbound NAT and
// published ports, user-defined networks with names resolved by aardvark-dns, connect and
// disconnect, host/none/container modes, the container's /etc files, and Docker's errors.
// Servers the tests reach run on loopback or on the host's own non-loopback address.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { freePort } from '../helpers/e2e.js';

const execFileP = promisify(execFile);
const s = useBusyboxDaemon('estiba-e2e-net-');

/** The host's first non-loopback IPv4 address (the tests' stand-in for "the outside"). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this test needs a non-loopback IPv4 address on the host');
}

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`timeout fetching ${url}`)));
  });
}

function apiPost(socketPath: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: 'POST', headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Retries while the server inside the container is still starting. */
async function fetchEventually(url: string): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await fetchText(url);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A unique subnet for this run, so parallel runs on one host never collide. */
function subnet(i: number): string {
  const base = 100 + (process.pid % 90);
  return `10.${base}.${i}.0/24`;
}

const servers: Server[] = [];
after(() => {
  for (const srv of servers) srv.close();
});

test('docker run -d -p HOST:80 busybox httpd answers on 127.0.0.1 and on the host address; docker port, inspect and ps agree', async () => {
  const port = await freePort();
  const www = join(s.work, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'index.html'), 'hello from estiba\n');
  await s.ok('create', '--name', 'web80', '-p', `${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www');
  await s.ok('cp', www, 'web80:/www');
  await s.ok('start', 'web80');
  const local = await fetchEventually(`http://127.0.0.1:${port}/`);
  assert.equal(local.status, 200);
  assert.equal(local.body, 'hello from estiba\n');
  const own = await fetchEventually(`http://${hostAddress()}:${port}/`);
  assert.equal(own.body, 'hello from estiba\n');
  assert.equal((await s.ok('port', 'web80')).trim(), `80/tcp -> 0.0.0.0:${port}`);
  assert.equal((await s.ok('port', 'web80', '80/tcp')).trim(), `0.0.0.0:${port}`);
  const ns = JSON.parse(await s.ok('inspect', '-f', '{{json .NetworkSettings}}', 'web80')) as {
    Ports: Record<string, unknown>; IPAddress: string; Gateway: string; SandboxKey: string;
    Networks: Record<string, { IPAddress: string; NetworkID: string; EndpointID: string; MacAddress: string }>;
  };
  assert.deepEqual(ns.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] });
  assert.match(ns.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(ns.Networks.bridge?.IPAddress, ns.IPAddress);
  assert.match(ns.Networks.bridge?.EndpointID ?? '', /^[0-9a-f]{64}$/);
  assert.match(ns.Networks.bridge?.MacAddress ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
  assert.equal(ns.Networks.bridge?.NetworkID, (await s.ok('network', 'inspect', '-f', '{{.Id}}', 'bridge')).trim());
  assert.match(await s.ok('ps', '--format', '{{.Ports}}', '--filter', 'name=web80'), new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp`));
  // docker stats shows the traffic (the container's eth0 counters).
  const netIo = (await s.ok('stats', '--no-stream', '--format', '{{.NetIO}}', 'web80')).trim();
  assert.match(netIo, /^[1-9][\d.]*[kMG]?B \/ [1-9][\d.]*[kMG]?B$/, netIo);
  // From another container, through the host's address (DNAT applies to every local address).
  assert.equal((await s.ok('run', '--rm', 'busybox', 'wget', '-qO-', `http://${hostAddress()}:${port}/`)), 'hello from estiba\n');

  // The same host port again: Docker's error, exit 125, the container stays created.
  const again = await s.docker('run', '-d', '--name', 'web80b', '-p', `${port}:80`, 'busybox', 'sleep', '60');
  assert.equal(again.code, 125);
  assert.match(again.stderr, new RegExp(`driver failed programming external connectivity on endpoint web80b \\([0-9a-f]{64}\\): Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  assert.equal((await s.ok('inspect', '-f', '{{.State.Status}}', 'web80b')).trim(), 'created');
  await s.ok('rm', '-f', 'web80', 'web80b');
  await assert.rejects(fetchText(`http://127.0.0.1:${port}/`));
});

test('a host port some host process listens on: the userland-proxy bind error', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '0.0.0.0', r));
  servers.push(srv);
  const port = (srv.address() as { port: number }).port;
  const r = await s.docker('run', '-d', '--name', 'busyport', '-p', `${port}:80`, 'busybox', 'sleep', '60');
  assert.equal(r.code, 125);
  assert.match(r.stderr, new RegExp(`Error starting userland proxy: listen tcp4 0\\.0\\.0\\.0:${port}: bind: address already in use`));
  await s.ok('rm', '-f', 'busyport');
});

test('-P publishes EXPOSEd ports on random host ports; udp, 127.0.0.1 and ranges map as asked', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  const lo = Math.min(p1, p2);
  await s.ok('run', '-d', '--name', 'pubs', '-P', '--expose', '7000', '--expose', '7001/udp', '-p', `127.0.0.1:${lo}:90`, '-p', `${p1 === lo ? p2 : p1}:53/udp`, 'busybox', 'sleep', '60');
  const ports = JSON.parse(await s.ok('inspect', '-f', '{{json .NetworkSettings.Ports}}', 'pubs')) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
  assert.equal(ports['90/tcp']?.[0]?.HostIp, '127.0.0.1');
  assert.equal(ports['90/tcp']?.[0]?.HostPort, String(lo));
  assert.equal(ports['53/udp']?.[0]?.HostPort, String(p1 === lo ? p2 : p1));
  for (const k of ['7000/tcp', '7001/udp']) {
    const hp = Number(ports[k]?.[0]?.HostPort);
    assert.ok(hp >= 1024 && hp <= 65535, `${k} got a random host port: ${hp}`);
  }
  const lines = (await s.ok('port', 'pubs')).trim().split('\n').sort();
  assert.equal(lines.length, 4);
  assert.ok(lines.includes(`90/tcp -> 127.0.0.1:${lo}`));
  await s.ok('rm', '-f', 'pubs');

  // A container-port range (-p A-B:C-D) as the CLI expands it.
  const base = await freePort();
  const r = await s.docker('run', '-d', '--name', 'ranged', '-p', `${base}-${base + 1}:80-81`, 'busybox', 'sleep', '60');
  if (r.code === 0) {
    const pr = JSON.parse(await s.ok('inspect', '-f', '{{json .NetworkSettings.Ports}}', 'ranged')) as Record<string, Array<{ HostPort: string }>>;
    assert.equal(pr['80/tcp']?.[0]?.HostPort, String(base));
    assert.equal(pr['81/tcp']?.[0]?.HostPort, String(base + 1));
  } else {
    // base+1 happened to be taken by some other process: the error must say so.
    assert.match(r.stderr, /address already in use|port is already allocated/);
  }
  await s.ok('rm', '-f', 'ranged');
});

test('the default bridge NATs outbound traffic to a server on the host address; names do not resolve there', async () => {
  const addr = hostAddress();
  const srv = http.createServer((_req, res) => res.end('outside says hi\n'));
  await new Promise<void>((r) => srv.listen(0, addr, r));
  const port = (srv.address() as { port: number }).port;
  try {
    assert.equal(await s.ok('run', '--rm', 'busybox', 'wget', '-qO-', `http://${addr}:${port}/`), 'outside says hi\n');
  } finally {
    srv.close();
  }
  await s.ok('run', '-d', '--name', 'quiet', 'busybox', 'sleep', '60');
  const r = await s.docker('run', '--rm', 'busybox', 'nslookup', 'quiet');
  assert.notEqual(r.code, 0, 'the default bridge has no name resolution between containers');
  await s.ok('rm', '-f', 'quiet');
});

test('user-defined network: containers reach each other by name, alias and short ID; inspect lists them', async () => {
  await s.ok('network', 'create', '--subnet', subnet(1), '--label', 'tier=front', 'app');
  await s.ok('run', '-d', '--name', 'web', '--network', 'app', '--network-alias', 'www', 'busybox', 'sh', '-c', 'mkdir /www && echo web-here > /www/index.html && exec httpd -f -p 80 -h /www');
  const id = (await s.ok('inspect', '-f', '{{.Id}}', 'web')).trim();
  for (const host of ['web', 'www', id.slice(0, 12)]) {
    const out = await s.ok('run', '--rm', '--network', 'app', 'busybox', 'sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://${host}/ && exit 0; sleep 0.2; done; exit 1`);
    assert.equal(out, 'web-here\n', `by ${host}`);
  }
  assert.equal(await s.ok('ps', '--filter', 'network=app', '--format', '{{.Names}} {{.Networks}}'), 'web app\n');
  const net = JSON.parse(await s.ok('network', 'inspect', 'app')) as Array<{ Name: string; Driver: string; Labels: Record<string, string>; IPAM: { Config: Array<{ Subnet: string; Gateway: string }> }; Containers: Record<string, { Name: string; IPv4Address: string }> }>;
  assert.equal(net[0]?.Name, 'app');
  assert.equal(net[0]?.Driver, 'bridge');
  assert.deepEqual(net[0]?.Labels, { tier: 'front' });
  assert.equal(net[0]?.IPAM.Config[0]?.Subnet, subnet(1));
  assert.equal(net[0]?.IPAM.Config[0]?.Gateway, subnet(1).replace(/0\/24$/, '1'));
  assert.equal(net[0]?.Containers[id]?.Name, 'web');
  assert.match(net[0]?.Containers[id]?.IPv4Address ?? '', /\/24$/);
  const resolv = await s.ok('exec', 'web', 'cat', '/etc/resolv.conf');
  assert.match(resolv, new RegExp(`nameserver ${subnet(1).replace(/0\/24$/, '1').replace(/\./g, '\\.')}`));

  // In use: Docker's 403 and the network stays.
  const rm = await s.docker('network', 'rm', 'app');
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /error while removing network: network app id [0-9a-f]{64} has active endpoints/);
  await s.ok('rm', '-f', 'web');
  assert.equal((await s.ok('network', 'rm', 'app')).trim(), 'app');
});

test('connect and disconnect a running container (--alias, --ip); several networks at once', async () => {
  await s.ok('network', 'create', '--subnet', subnet(2), 'back');
  await s.ok('run', '-d', '--name', 'multi', 'busybox', 'sleep', '120');
  const ip = subnet(2).replace(/0\/24$/, '77');
  await s.ok('network', 'connect', '--alias', 'db', '--ip', ip, 'back', 'multi');
  const addrs = await s.ok('exec', 'multi', 'sh', '-c', 'ip -o -4 addr show');
  assert.match(addrs, /eth0 .*inet /);
  assert.match(addrs, new RegExp(`eth1 +inet ${ip.replace(/\./g, '\\.')}/24`));
  const nets = JSON.parse(await s.ok('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'multi')) as Record<string, { IPAddress: string; Aliases: string[] | null; IPAMConfig: { IPv4Address: string } | null }>;
  assert.deepEqual(Object.keys(nets).sort(), ['back', 'bridge']);
  assert.equal(nets.back?.IPAddress, ip);
  assert.deepEqual(nets.back?.Aliases, ['db']);
  assert.equal(nets.back?.IPAMConfig?.IPv4Address, ip);
  assert.match(await s.ok('run', '--rm', '--network', 'back', 'busybox', 'nslookup', 'db'), new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
  // Connecting twice: Docker's error.
  const twice = await s.docker('network', 'connect', 'back', 'multi');
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /endpoint with name multi already exists in network back/);
  await s.ok('network', 'disconnect', 'back', 'multi');
  assert.doesNotMatch(await s.ok('exec', 'multi', 'sh', '-c', 'ip -o -4 addr show'), /eth1/);
  const notConnected = await s.docker('network', 'disconnect', 'back', 'multi');
  assert.equal(notConnected.code, 1);
  assert.match(notConnected.stderr, /is not connected to network back/);
  await s.ok('rm', '-f', 'multi');
  // Two networks given at create (docker 28 sends both in EndpointsConfig): both set up at start.
  await s.ok('network', 'create', '--subnet', subnet(4), 'side');
  await s.ok('run', '-d', '--name', 'twonets', '--network', 'back', '--network', 'side', 'busybox', 'sleep', '120');
  const two = JSON.parse(await s.ok('inspect', '-f', '{{json .NetworkSettings.Networks}}', 'twonets')) as Record<string, { IPAddress: string }>;
  assert.deepEqual(Object.keys(two).sort(), ['back', 'side']);
  assert.match(await s.ok('exec', 'twonets', 'sh', '-c', 'ip -o -4 addr show'), new RegExp(`inet ${two.side!.IPAddress.replace(/\./g, '\\.')}/24`));
  await s.ok('rm', '-f', 'twonets');
  await s.ok('network', 'rm', 'back', 'side');
});

test('--network none, host and container:<name>', async () => {
  assert.doesNotMatch(await s.ok('run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ip -o -4 addr show'), /eth0/);
  const hostIp = hostAddress();
  assert.match(await s.ok('run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', 'ip -o -4 addr show'), new RegExp(hostIp.replace(/\./g, '\\.')));
  await s.ok('run', '-d', '--name', 'owner', 'busybox', 'sleep', '60');
  const ownerIp = (await s.ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'owner')).trim();
  assert.match(await s.ok('run', '--rm', '--network', 'container:owner', 'busybox', 'sh', '-c', 'ip -o -4 addr show'), new RegExp(`inet ${ownerIp.replace(/\./g, '\\.')}/`));
  const pub = await s.docker('run', '--rm', '--network', 'container:owner', '-p', '9999:80', 'busybox', 'true');
  assert.equal(pub.code, 125);
  assert.match(pub.stderr, /conflicting options: port publishing and the container type network mode/);
  const named = await s.docker('run', '--rm', '--network', 'container:owner', '--hostname', 'h', 'busybox', 'true');
  assert.equal(named.code, 125);
  assert.match(named.stderr, /conflicting options: hostname and the network mode/);
  await s.ok('rm', '-f', 'owner');
  const missing = await s.docker('run', '--rm', '--network', 'nosuchnet', 'busybox', 'true');
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /network nosuchnet not found/);
});

test('/etc/hosts, /etc/resolv.conf and /etc/hostname follow --hostname, --add-host, --dns, --dns-search, --dns-option', async () => {
  const out = await s.ok('run', '--rm', '--hostname', 'myhost', '--add-host', 'foo:10.1.2.3', '--add-host', 'gw:host-gateway',
    '--dns', '10.9.9.9', '--dns-search', 'example.test', '--dns-option', 'ndots:2', 'busybox', 'sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname; hostname');
  const [hosts = '', resolv = '', rest = ''] = out.split('---\n');
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(hosts, /\n10\.1\.2\.3\tfoo\n/);
  const gw = (await s.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge')).trim();
  assert.match(hosts, new RegExp(`\\n${gw.replace(/\./g, '\\.')}\\tgw\\n`));
  assert.match(hosts, /\n\d+\.\d+\.\d+\.\d+\tmyhost\n$/);
  assert.equal(resolv, 'search example.test\nnameserver 10.9.9.9\noptions ndots:2\n');
  assert.equal(rest, 'myhost\nmyhost\n');
  const bad = await s.docker('run', '--rm', '--add-host', 'foo:notanip', 'busybox', 'true');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid IP address in add-host: "notanip"/);
});

test('network create errors: overlapping subnet, invalid CIDR, duplicate name, pre-defined network removal; nothing half-made', async () => {
  await s.ok('network', 'create', '--subnet', subnet(3), 'first');
  const before = await s.ok('network', 'ls', '-q');
  const overlap = await s.docker('network', 'create', '--subnet', subnet(3).replace('/24', '/25'), 'second');
  assert.equal(overlap.code, 1);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const badCidr = await s.docker('network', 'create', '--subnet', '10.1.0/33', 'third');
  assert.equal(badCidr.code, 1);
  assert.match(badCidr.stderr, /invalid CIDR address: 10\.1\.0\/33/);
  const dup = await s.docker('network', 'create', 'first');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /network with name first already exists/);
  const pre = await s.docker('network', 'rm', 'bridge');
  assert.equal(pre.code, 1);
  assert.match(pre.stderr, /bridge is a pre-defined network and cannot be removed/);
  assert.equal(await s.ok('network', 'ls', '-q'), before);
  const missing = await s.docker('network', 'inspect', 'nosuch');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /network nosuch not found/);
  // Static addresses and aliases need a user-defined network (Docker's messages); nothing is created.
  const ipOnBridge = await s.docker('run', '-d', '--name', 'ipbridge', '--ip', '10.1.2.3', 'busybox', 'true');
  assert.equal(ipOnBridge.code, 125);
  assert.match(ipOnBridge.stderr, /user specified IP address is supported on user defined networks only/);
  // (docker 28 refuses an alias on the default bridge itself; the API must too.)
  const aliasOnBridge = await apiPost(s.d.socket, '/containers/create?name=aliasbridge', {
    Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'bridge' }, NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } },
  });
  assert.equal(aliasOnBridge.status, 400);
  assert.match(aliasOnBridge.body, /network-scoped alias is supported only for containers in user defined networks/);
  assert.equal(await s.ok('ps', '-aq', '--filter', 'name=bridge'), '');
  // prune removes unused user networks only.
  const pruned = await s.ok('network', 'prune', '-f');
  assert.match(pruned, /Deleted Networks:\nfirst\n/);
  assert.deepEqual((await s.ok('network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort(), ['bridge', 'host', 'none']);
});

test('a network without --subnet gets a free one from the default pools, never one the host routes', async () => {
  await s.ok('network', 'create', 'auto1');
  await s.ok('network', 'create', 'auto2');
  const a = (await s.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'auto1')).trim();
  const b = (await s.ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'auto2')).trim();
  assert.notEqual(a, b);
  const routes = (await execFileP('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  for (const sub of [a, b]) assert.ok(!routes.includes(sub), `${sub} is not routed on the host already`);
  await s.ok('network', 'rm', 'auto1', 'auto2');
  // The host's resolver config reaches containers on the default bridge (loopback servers dropped).
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8');
  const servers = [...hostResolv.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]!).filter((x) => !x.startsWith('127.'));
  const inside = await s.ok('run', '--rm', 'busybox', 'cat', '/etc/resolv.conf');
  for (const srv of servers) assert.match(inside, new RegExp(`nameserver ${srv.replace(/\./g, '\\.')}`));
});

test('--internal networks have no way out; --ip at run gives the static address', async () => {
  await s.ok('network', 'create', '--internal', '--subnet', subnet(5), 'sealed');
  const ip = subnet(5).replace(/0\/24$/, '9');
  await s.ok('run', '-d', '--name', 'sealedweb', '--network', 'sealed', '--ip', ip, 'busybox', 'sh', '-c', 'mkdir /www && echo inside > /www/index.html && exec httpd -f -p 80 -h /www');
  assert.equal((await s.ok('inspect', '-f', '{{.NetworkSettings.Networks.sealed.IPAddress}}', 'sealedweb')).trim(), ip);
  assert.equal((await s.ok('network', 'inspect', '-f', '{{.Internal}}', 'sealed')).trim(), 'true');
  // Reachable from its own network …
  assert.equal(await s.ok('run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://sealedweb/ && exit 0; sleep 0.2; done; exit 1'), 'inside\n');
  // … but nothing leaves it: the host's address is not routed.
  const addr = hostAddress();
  let hits = 0;
  const srv = http.createServer((_req, res) => {
    hits++;
    res.end('should not be reached\n');
  });
  await new Promise<void>((r) => srv.listen(0, addr, r));
  try {
    const out = await s.docker('run', '--rm', '--network', 'sealed', 'busybox', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${addr}:${(srv.address() as { port: number }).port}/`);
    assert.notEqual(out.code, 0, 'an internal network reaches no outside address');
    assert.equal(hits, 0);
  } finally {
    srv.close();
  }
  // The same --ip twice: Docker's error, and the second container is not left running.
  const dup = await s.docker('run', '-d', '--name', 'sealed2', '--network', 'sealed', '--ip', ip, 'busybox', 'sleep', '60');
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /Address already in use/);
  await s.ok('rm', '-f', 'sealedweb', 'sealed2');
  await s.ok('network', 'rm', 'sealed');
});
