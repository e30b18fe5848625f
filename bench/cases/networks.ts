/**
 * Networking, side by side with dockerd on its own bridge (the bench peer runs with
 * `--bridge=estiba-bench0 --iptables=true`; estibad uses netavark on its default bridge):
 * `run --rm` on the default bridge (compare with run-rm, which uses `--network none`), the
 * throughput of a published port, and creating and removing 20 networks.
 */
import http from 'node:http';
import { writeBusyboxArchive } from '../../test/fixtures/images.js';
import { freePort } from '../../test/helpers/e2e.js';
import { loadImage } from '../api.js';
import { targetOf, type Benchmark, type SideName } from '../types.js';

async function loadBusybox(side: SideName, ctx: Parameters<NonNullable<Benchmark['setup']>>[1]): Promise<void> {
  const bb = await ctx.fixture('busybox.tar', (p) => writeBusyboxArchive(p));
  await loadImage(targetOf(ctx, side).socketPath, bb.path);
}

export const runRmBridge: Benchmark = {
  name: 'run-rm-bridge',
  description: '`docker run --rm busybox true` on the default bridge network (veth, address, NAT set up and torn down); run-rm is the same with --network none',
  runs: 10,
  setup: loadBusybox,
  async run(side, ctx) {
    const r = await targetOf(ctx, side).docker(['run', '--rm', 'busybox', 'true']);
    if (r.code !== 0) throw new Error(`docker run exited ${r.code}: ${r.stderr}`);
    return r.seconds;
  },
};

const FETCHES = 200;
const FILE_KIB = 1024;
const ports = new Map<SideName, number>();

function fetchAll(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export const publishedPort: Benchmark = {
  name: 'published-port-200',
  description: `${FETCHES} sequential fetches of a ${FILE_KIB} KiB file from busybox httpd through a published port on 127.0.0.1 (dockerd: docker-proxy; estiba: netavark DNAT)`,
  runs: 5,
  async setup(side, ctx) {
    await loadBusybox(side, ctx);
    const t = targetOf(ctx, side);
    const port = await freePort();
    ports.set(side, port);
    await t.docker(['rm', '-f', 'bench-web'], { allowFail: true });
    await t.docker(['run', '-d', '--name', 'bench-web', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c',
      `mkdir /www && dd if=/dev/zero of=/www/f bs=1024 count=${FILE_KIB} 2>/dev/null && exec httpd -f -p 80 -h /www`]);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fetchAll(`http://127.0.0.1:${port}/f`);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  },
  async run(side) {
    const url = `http://127.0.0.1:${ports.get(side)!}/f`;
    const t0 = performance.now();
    for (let i = 0; i < FETCHES; i++) {
      const n = await fetchAll(url);
      if (n !== FILE_KIB * 1024) throw new Error(`fetched ${n} bytes, expected ${FILE_KIB * 1024}`);
    }
    return (performance.now() - t0) / 1000;
  },
  async teardown(side, ctx) {
    await targetOf(ctx, side).docker(['rm', '-f', 'bench-web'], { allowFail: true });
  },
};

const NETWORKS = 20;

export const networks20: Benchmark = {
  name: 'networks-20',
  description: `${NETWORKS} × \`docker network create\` (daemon picks the subnet) then one \`docker network rm\` of all of them`,
  runs: 5,
  async run(side, ctx) {
    const t = targetOf(ctx, side);
    const names = Array.from({ length: NETWORKS }, (_, i) => `bench-net-${i}`);
    const t0 = performance.now();
    for (const n of names) {
      const r = await t.docker(['network', 'create', n]);
      if (r.code !== 0) throw new Error(`network create exited ${r.code}: ${r.stderr}`);
    }
    const r = await t.docker(['network', 'rm', ...names]);
    if (r.code !== 0) throw new Error(`network rm exited ${r.code}: ${r.stderr}`);
    return (performance.now() - t0) / 1000;
  },
};
