/**
 * The container lifecycle through SDKs against estibad: Debian's python3-docker (the seeds' example
 * `client.containers.run("busybox", ["echo","hello","world"])`, then detach, logs, exec_run,
 * stats, wait, remove) and, when installed, dockerode (create, start, attach, wait, remove).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { startEstibad, type EstibadProcess } from '../helpers/estibad.js';
import { requireExecutable, run } from '../helpers/e2e.js';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { dockerCli } from '../helpers/docker-peer.js';

const PYTHON = '/usr/bin/python3';

let est: EstibadProcess;
let work: string;

before(async () => {
  requireExecutable(PYTHON, 'python3');
  work = await mkdtemp(join(tmpdir(), 'estiba-e2e-sdk-'));
  est = await startEstibad();
  await writeBusyboxArchive(join(work, 'busybox.tar'), { tag: 'busybox:latest' });
  const r = await dockerCli(['load', '-i', join(work, 'busybox.tar')], { host: est.host, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (est) {
    const ids = (await dockerCli(['ps', '-aq'], { host: est.host, timeoutMs: 60_000 })).stdout.split('\n').filter((l) => l !== '');
    if (ids.length > 0) await dockerCli(['rm', '-f', ...ids], { host: est.host, timeoutMs: 60_000 });
    await est.stop();
    await est.cleanup();
  }
  if (work) await rm(work, { recursive: true, force: true });
});

async function py(body: string): Promise<unknown> {
  const script = ['import docker, json, sys', 'c = docker.DockerClient(base_url=sys.argv[1], version="auto")', body].join('\n');
  const r = await run(PYTHON, ['-c', script, est.host], { env: { ...process.env, DOCKER_HOST: '', PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.code, 0, `python exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

test('python3-docker: containers.run("busybox", ["echo","hello","world"]) returns b"hello world\\n"', async () => {
  const out = await py('print(json.dumps(c.containers.run("busybox", ["echo", "hello", "world"], remove=True).decode()))');
  assert.equal(out, 'hello world\n');
});

test('python3-docker: detach, logs, exec_run, stats(stream=False), wait, remove', async () => {
  const out = (await py(`
ct = c.containers.run("busybox", ["sh", "-c", "echo started; sleep 100"], detach=True, name="sdk-py")
import time
for _ in range(50):
    if b"started" in ct.logs(): break
    time.sleep(0.1)
logs = ct.logs().decode()
ex = ct.exec_run(["sh", "-c", "echo from exec; exit 3"])
st = ct.stats(stream=False)
ct.reload()
status = ct.status
ct.kill()
w = ct.wait()
ct.remove()
gone = [x.name for x in c.containers.list(all=True) if x.name == "sdk-py"]
print(json.dumps({"logs": logs, "exec": [ex.exit_code, ex.output.decode()], "stats": [st["name"], "memory_stats" in st, "cpu_stats" in st],
                  "status": status, "wait": w["StatusCode"], "gone": gone}))
`)) as Record<string, unknown>;
  assert.deepEqual(out, { logs: 'started\n', exec: [3, 'from exec\n'], stats: ['/sdk-py', true, true], status: 'running', wait: 137, gone: [] });
});

test('python3-docker: volumes.create/get/list/remove, containers.run(volumes={...}) with a named volume and a bind', async () => {
  const out = (await py(`
import os, tempfile
host = tempfile.mkdtemp(prefix="estiba-sdk-bind-")
v = c.volumes.create(name="sdk-vol", labels={"made": "by-sdk"})
w = c.containers.run("busybox", ["sh", "-c", "echo in-volume > /data/f; echo in-bind > /host/g"],
                     volumes={"sdk-vol": {"bind": "/data", "mode": "rw"}, host: {"bind": "/host", "mode": "rw"}}, remove=True)
r = c.containers.run("busybox", ["cat", "/data/f"], volumes={"sdk-vol": {"bind": "/data", "mode": "ro"}}, remove=True).decode()
ro = c.containers.run("busybox", ["sh", "-c", "touch /data/x 2>&1; true"], volumes=["sdk-vol:/data:ro"], remove=True).decode()
err = None
keep = c.containers.create("busybox", "true", volumes=["sdk-vol:/data"])
try:
    v.remove()
except docker.errors.APIError as e:
    err = [e.status_code, e.explanation]
keep.remove()
listed = [x.name for x in c.volumes.list(filters={"label": "made=by-sdk"})]
got = c.volumes.get("sdk-vol").attrs
v.remove()
gone = None
try:
    c.volumes.get("sdk-vol")
except docker.errors.NotFound as e:
    gone = e.explanation
bind = open(os.path.join(host, "g")).read()
import shutil
shutil.rmtree(host)
print(json.dumps({"read": r, "ro": ro, "bind": bind, "err": err, "listed": listed,
                  "labels": got["Labels"], "driver": got["Driver"], "gone": gone}))
`)) as { read: string; ro: string; bind: string; err: [number, string]; listed: string[]; labels: unknown; driver: string; gone: string };
  assert.equal(out.read, 'in-volume\n');
  assert.match(out.ro, /Read-only file system/);
  assert.equal(out.bind, 'in-bind\n');
  assert.equal(out.err[0], 409);
  assert.match(out.err[1], /^remove sdk-vol: volume is in use - \[[0-9a-f]{64}\]$/);
  assert.deepEqual(out.listed, ['sdk-vol']);
  assert.deepEqual(out.labels, { made: 'by-sdk' });
  assert.equal(out.driver, 'local');
  assert.equal(out.gone, 'get sdk-vol: no such volume');
});

test('dockerode: create, start, attach, wait, remove', async (t) => {
  let Docker: typeof import('dockerode');
  try {
    Docker = (await import('dockerode')).default;
  } catch (err) {
    t.skip(`dockerode is not installed (npm install): ${String(err)}`);
    return;
  }
  const docker = new Docker({ socketPath: est.socket });
  const ct = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 4'], OpenStdin: true, StdinOnce: true });
  const stream = await ct.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => (stdout += b.toString()));
  err.on('data', (b: Buffer) => (stderr += b.toString()));
  docker.modem.demuxStream(stream, out, err);
  // As `docker run` does: a created container is already "not-running" (Docker answers 0 at once).
  const waited = ct.wait({ condition: 'next-exit' });
  await ct.start();
  stream.write('ping\n');
  const res = (await waited) as { StatusCode: number };
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([res.StatusCode, stdout, stderr], [4, 'got ping\n', 'oops\n']);
  await ct.remove();
  await assert.rejects(ct.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('dockerode: detach keys end a TTY attach (default ctrl-p ctrl-q, or ?detachKeys=) and the container keeps running', async () => {
  const Docker = (await import('dockerode')).default;
  const docker = new Docker({ socketPath: est.socket });
  const ct = await docker.createContainer({ Image: 'busybox', Cmd: ['sh'], Tty: true, OpenStdin: true });
  await ct.start();
  try {
    for (const [keys, seq] of [[undefined, '\x10\x11'], ['ctrl-x,x', '\x18x']] as const) {
      const stream = await ct.attach({ stream: true, stdin: true, stdout: true, hijack: true, ...(keys !== undefined ? { detachKeys: keys } : {}) });
      let out = '';
      stream.on('data', (b: Buffer) => (out += b.toString()));
      const ended = new Promise<void>((resolve) => {
        stream.once('end', () => resolve());
        stream.once('close', () => resolve());
      });
      stream.write('echo mark-$((6*7))\n');
      for (let i = 0; i < 100 && !out.includes('mark-42'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /mark-42/);
      stream.write(seq);
      const detached = await Promise.race([ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      assert.ok(detached, `the attach ended on ${JSON.stringify(seq)}`);
      (stream as unknown as { destroy(): void }).destroy();
      const state = (await ct.inspect()).State;
      assert.equal(state.Running, true, 'still running after the detach');
    }
    await assert.rejects(ct.attach({ stream: true, stdin: true, hijack: true, detachKeys: 'ctrl-1' }), (e: { statusCode?: number; message?: string }) => e.statusCode === 400 && /Invalid detach keys \(ctrl-1\) provided/.test(String(e.message)));
  } finally {
    await ct.remove({ force: true });
  }
});
