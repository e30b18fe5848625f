// docker-py (Debian's python3-docker) networks against estibad: networks.create with IPAM,
// containers.run with ports={...}, network.connect with aliases, name resolution, remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { freePort, requireExecutable, run } from '../helpers/e2e.js';

const PYTHON = '/usr/bin/python3';
const s = useBusyboxDaemon('estiba-e2e-netpy-');

test('docker-py: networks.create, containers.run(ports=...), network.connect(aliases), reload, remove', async () => {
  requireExecutable(PYTHON, 'python3');
  const port = await freePort();
  const base = 100 + (process.pid % 90);
  const script = `
import docker, json, sys, time, urllib.request
c = docker.DockerClient(base_url=sys.argv[1])
port = int(sys.argv[2]); subnet = sys.argv[3]
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
net = c.networks.create('pynet', driver='bridge', ipam=ipam, labels={'by': 'py'})
web = c.containers.run('busybox', ['sh', '-c', 'mkdir /www && echo py-web > /www/index.html && exec httpd -f -p 80 -h /www'],
                       name='pyweb', detach=True, ports={'80/tcp': port})
body = None
for _ in range(50):
    try:
        body = urllib.request.urlopen('http://127.0.0.1:%d/' % port, timeout=2).read().decode()
        break
    except Exception:
        time.sleep(0.1)
net.connect(web, aliases=['pyalias'])
net.reload()
web.reload()
out = c.containers.run('busybox', ['wget', '-qO-', 'http://pyalias/'], network='pynet', remove=True).decode()
res = {
  'body': body,
  'ports': web.ports,
  'netName': net.name,
  'labels': net.attrs['Labels'],
  'subnet': net.attrs['IPAM']['Config'][0]['Subnet'],
  'members': [x.name for x in net.containers],
  'nets': sorted(web.attrs['NetworkSettings']['Networks'].keys()),
  'viaAlias': out,
  'listed': [n.name for n in c.networks.list(names=['pynet'])],
}
net.disconnect(web)
web.remove(force=True)
net.remove()
res['after'] = [n.name for n in c.networks.list()]
print(json.dumps(res))
`;
  const r = await run(PYTHON, ['-c', script, s.d.host, String(port), `10.${base}.41.0/24`], { env: { ...process.env, DOCKER_HOST: '', PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.code, 0, `python exited ${r.code}:\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(out.body, 'py-web\n');
  assert.deepEqual(out.ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] });
  assert.equal(out.netName, 'pynet');
  assert.deepEqual(out.labels, { by: 'py' });
  assert.equal(out.subnet, `10.${base}.41.0/24`);
  assert.deepEqual(out.members, ['pyweb']);
  assert.deepEqual(out.nets, ['bridge', 'pynet']);
  assert.equal(out.viaAlias, 'py-web\n');
  assert.deepEqual(out.listed, ['pynet']);
  assert.deepEqual((out.after as string[]).sort(), ['bridge', 'host', 'none']);
});
