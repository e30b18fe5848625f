import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCidr, overlaps, parseSubnet, tryParseCidr } from './cidr.js';
import { allocateIp, chooseSubnet, completeIpamConfig, defaultPools } from './ipam.js';
import { hostsFile, parseExtraHost, parseResolvConf, resolvConfFile } from './etc-files.js';
import { allocatePorts, portMap, portRequests, summaryPorts } from './ports.js';
import { networkOptions } from './netavark.js';
import { parseNetDev } from './net-dev.js';
import { isConflict, isForbidden, isInvalidParameter } from '../errdefs/index.js';
import type { NetworkRecord } from './types.js';

test('CIDR parsing follows Go net.ParseCIDR: host bits kept apart, malformed prefixes refused', () => {
  const c = tryParseCidr('10.1.2.3/16')!;
  assert.equal(formatCidr(c), '10.1.0.0/16');
  for (const bad of ['10.1.0/24', '10.1.0.0/33', '256.0.0.0/8', '10.01.0.0/16', '10.0.0.0', 'x/8']) assert.equal(tryParseCidr(bad), undefined, bad);
  assert.throws(() => parseSubnet('10.1.0/24'), (e) => isInvalidParameter(e) && /Invalid subnet 10\.1\.0\/24 : invalid CIDR address: 10\.1\.0\/24/.test((e as Error).message));
  assert.ok(overlaps(parseSubnet('10.0.0.0/8'), parseSubnet('10.5.0.0/24')));
  assert.ok(!overlaps(parseSubnet('10.0.0.0/24'), parseSubnet('10.0.1.0/24')));
});

test('chooseSubnet skips every pool a taken prefix overlaps (docker0, the host LAN, other networks)', () => {
  const taken = [parseSubnet('172.17.0.0/16'), parseSubnet('172.18.5.0/24'), parseSubnet('172.19.0.1/32')];
  assert.equal(formatCidr(chooseSubnet(defaultPools(), taken)), '172.20.0.0/16');
  assert.throws(() => chooseSubnet(defaultPools(), [parseSubnet('0.0.0.0/1'), parseSubnet('128.0.0.0/1')]), isForbidden);
});

test('IPAM: gateway filled in, out-of-range gateway refused, lowest free address given, --ip honoured or refused', () => {
  const cfg = completeIpamConfig({ Subnet: '10.9.0.0/29' });
  assert.deepEqual(cfg, { Subnet: '10.9.0.0/29', Gateway: '10.9.0.1' });
  assert.throws(() => completeIpamConfig({ Subnet: '10.9.0.0/24', Gateway: '10.1.1.1' }), /failed to allocate gateway \(10\.1\.1\.1\): Requested address is out of range/);
  assert.throws(() => completeIpamConfig({ Subnet: '10.9.0.0/24', IPRange: '10.8.0.0/25' }), isInvalidParameter);
  const base = { config: cfg, networkName: 'n', networkId: 'id' };
  assert.equal(allocateIp({ ...base, leases: {}, containerId: 'a' }), '10.9.0.2');
  assert.equal(allocateIp({ ...base, leases: { '10.9.0.2': 'a' }, containerId: 'b' }), '10.9.0.3');
  assert.equal(allocateIp({ ...base, leases: { '10.9.0.2': 'a' }, containerId: 'a' }), '10.9.0.2', 'a container keeps its own lease');
  assert.throws(() => allocateIp({ ...base, leases: { '10.9.0.5': 'a' }, containerId: 'b', requested: '10.9.0.5' }), isConflict);
  assert.throws(() => allocateIp({ ...base, leases: {}, containerId: 'b', requested: '10.10.0.5' }), /no configured subnet or ip-range contain the IP address 10\.10\.0\.5/);
  const full = Object.fromEntries(['2', '3', '4', '5', '6'].map((x) => [`10.9.0.${x}`, x]));
  assert.throws(() => allocateIp({ ...base, leases: full, containerId: 'z' }), (e) => isForbidden(e) && /no available IPv4 addresses/.test((e as Error).message));
  const ranged = completeIpamConfig({ Subnet: '10.9.0.0/24', IPRange: '10.9.0.128/25' });
  assert.equal(allocateIp({ config: ranged, networkName: 'n', networkId: 'id', leases: {}, containerId: 'a' }), '10.9.0.129');
});

test('/etc/hosts and resolv.conf contents are Docker-shaped', () => {
  assert.equal(
    hostsFile({ hostname: 'h', ip: '10.0.0.2', extraHosts: [parseExtraHost('db:10.0.0.9', undefined), parseExtraHost('gw:host-gateway', '10.0.0.1')] }),
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.0.0.9\tdb\n10.0.0.1\tgw\n10.0.0.2\th\n',
  );
  assert.throws(() => parseExtraHost('db:nope', undefined), /invalid IP address in add-host: "nope"/);
  const host = parseResolvConf('# c\nnameserver 127.0.0.53\nnameserver 10.0.0.53\nsearch a.test b.test\noptions edns0\n');
  assert.equal(resolvConfFile({ host }), 'search a.test b.test\nnameserver 10.0.0.53\noptions edns0\n');
  assert.equal(resolvConfFile({ host, dns: ['1.1.1.1'], dnsSearch: ['x.test'], dnsOptions: ['ndots:1'] }), 'search x.test\nnameserver 1.1.1.1\noptions ndots:1\n');
  assert.equal(resolvConfFile({ host, embedded: ['10.5.0.1'] }), 'search a.test b.test\nnameserver 10.5.0.1\noptions edns0\n');
});

test('port requests: bindings, ranges, -P over exposed ports; malformed ones refused', async () => {
  const reqs = portRequests({
    portBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '90/tcp': [{ HostPort: '9000-9005' }] },
    exposedPorts: { '80/tcp': {}, '443/tcp': {} },
    publishAll: true,
  });
  assert.deepEqual(reqs, [
    { protocol: 'tcp', containerPort: 80, hostIp: '', range: [8080, 8080] },
    { protocol: 'udp', containerPort: 53, hostIp: '127.0.0.1' },
    { protocol: 'tcp', containerPort: 90, hostIp: '', range: [9000, 9005] },
    { protocol: 'tcp', containerPort: 443, hostIp: '' },
  ]);
  assert.throws(() => portRequests({ portBindings: { '80/xyz': [] } }), isInvalidParameter);
  assert.throws(() => portRequests({ portBindings: { '80/tcp': [{ HostPort: '99999' }] } }), isInvalidParameter);
  await assert.rejects(
    allocatePorts([{ protocol: 'tcp', containerPort: 80, hostIp: '', range: [40123, 40123] }], [{ protocol: 'tcp', containerPort: 1, hostIp: '127.0.0.1', hostPort: 40123 }]),
    /Bind for 0\.0\.0\.0:40123 failed: port is already allocated/,
  );
  // Another protocol or another specific address does not clash.
  const got = await allocatePorts([{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.2', range: [40124, 40124] }], [
    { protocol: 'udp', containerPort: 1, hostIp: '', hostPort: 40124 },
    { protocol: 'tcp', containerPort: 1, hostIp: '127.0.0.3', hostPort: 40124 },
  ]);
  assert.equal(got[0]?.hostPort, 40124);
  const maps = [{ protocol: 'tcp' as const, containerPort: 80, hostIp: '', hostPort: 8080 }];
  assert.deepEqual(portMap({ '80/tcp': {}, '443/tcp': {} }, maps), { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null });
  assert.deepEqual(summaryPorts({ '443/tcp': {} }, maps), [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }]);
});

test('netavark options: DNS on user networks only, static address, aliases and port mappings', () => {
  const net = (name: string, dflt: boolean): NetworkRecord => ({
    Name: name, Id: `${name}-id`, Created: '', Scope: 'local', Driver: 'bridge', EnableIPv6: false,
    IPAM: { Driver: 'default', Options: {}, Config: [{ Subnet: '10.3.0.0/24', Gateway: '10.3.0.1' }] }, Internal: false, Attachable: false, Ingress: false,
    ConfigFrom: { Network: '' }, ConfigOnly: false, Options: dflt ? { 'com.docker.network.bridge.default_bridge': 'true' } : {}, Labels: {}, BridgeName: `br-${name}`,
  });
  const o = networkOptions({
    containerId: 'c', containerName: 'web',
    ports: [{ protocol: 'tcp', containerPort: 80, hostIp: '', hostPort: 8080 }],
    attachments: [{ network: net('bridge', true), ip: '10.3.0.2', interfaceName: 'eth0', aliases: [] }, { network: net('app', false), ip: '10.3.0.3', interfaceName: 'eth1', aliases: ['web', 'www'] }],
  }) as { networks: Record<string, unknown>; network_info: Record<string, { name: string; dns_enabled: boolean; network_interface: string }>; port_mappings: unknown[] };
  // netavark names its firewall chains after the network's name: ours are unique per network ID.
  assert.deepEqual(Object.keys(o.network_info), ['estiba-bridge-id', 'estiba-app-id']);
  assert.equal(o.network_info['estiba-app-id']?.name, 'estiba-app-id');
  assert.deepEqual(o.networks['estiba-app-id'], { static_ips: ['10.3.0.3'], aliases: ['web', 'www'], interface_name: 'eth1' });
  assert.equal(o.network_info['estiba-bridge-id']?.dns_enabled, false);
  assert.equal(o.network_info['estiba-app-id']?.dns_enabled, true);
  assert.equal(o.network_info['estiba-app-id']?.network_interface, 'br-app');
  assert.deepEqual(o.port_mappings, [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }]);
});

test('net/dev counters: loopback left out, Docker field names', () => {
  const text = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0',
    '  eth0:    5000      40    1    2    0     0          0         0     7000      50    3    4    0     0       0          0',
  ].join('\n');
  assert.deepEqual(parseNetDev(text), { eth0: { rx_bytes: 5000, rx_packets: 40, rx_errors: 1, rx_dropped: 2, tx_bytes: 7000, tx_packets: 50, tx_errors: 3, tx_dropped: 4 } });
});
