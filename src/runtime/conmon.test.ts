/**
 * Real containers: busybox on an overlay rootfs, run by conmon with runc and with crun (the same
 * suite for both). Needs root, overlayfs, conmon, runc, crun and python3 (attach), all present on
 * every machine of this project: nothing here is skipped.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isNotFound } from '../errdefs/index.js';
import { withNamespaces } from '../oci/spec-opts/index.js';
import { Conmon, decodeK8sLog, isConmonAlive, type ConmonCreateOptions, type CreatedContainer } from './conmon.js';
import { ensureHugetlbV1 } from './host.js';
import { crun, runc, type OciRuntime } from './oci-runtime.js';
import { busyboxScratch, dockerLikeSpec, makeBundle, type Scratch, type TestBundle } from './test-bundle.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (p: string) => access(p).then(() => true, () => false);

for (const [name, make] of [['runc', runc], ['crun', crun]] as const) {
  describe(`conmon + ${name}`, () => {
    let scratch: Scratch;
    let runtime: OciRuntime;
    let conmon: Conmon;
    const bundles: TestBundle[] = [];
    let seq = 0;

    before(async () => {
      if (name === 'crun') await ensureHugetlbV1();
      scratch = await busyboxScratch(`estiba-${name}-`);
      runtime = make({ execRoot: join(scratch.root, 'exec') });
      conmon = new Conmon({ runtime });
    });

    after(async () => {
      for (const b of bundles) {
        await runtime.delete(b.id, { force: true }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
        await b.cleanup();
      }
      await scratch.cleanup();
    });

    async function prepare(args: string[], opts: { spec?: Parameters<typeof dockerLikeSpec>[2] } = {}): Promise<{ b: TestBundle; opts: ConmonCreateOptions }> {
      const id = `estiba-test-${name}-${process.pid}-${++seq}`;
      const b = await makeBundle(scratch, id, await dockerLikeSpec(id, args, opts.spec ?? []));
      bundles.push(b);
      return { b, opts: { id, bundle: b.bundle, exitDir: join(scratch.root, 'exits'), log: { driver: 'k8s-file', path: join(b.bundle, 'ctr.log') } } };
    }

    async function logOf(b: TestBundle) {
      return decodeK8sLog(await readFile(join(b.bundle, 'ctr.log'), 'utf8'));
    }

    test('echo hello: the log has hello, the exit code is 0, the runtime state is stopped', async () => {
      const { b, opts } = await prepare(['echo', 'hello']);
      const c = await conmon.run(opts);
      assert.ok(c.pid > 0 && c.conmonPid > 0);
      assert.equal(await conmon.wait(c), 0);
      assert.equal((await logOf(b)).stdout, 'hello\n');
      assert.equal((await runtime.state(opts.id)).status, 'stopped');
      await runtime.delete(opts.id);
      await assert.rejects(runtime.state(opts.id), isNotFound);
    });

    test('exit 3 is reported as 3; stderr is kept apart', async () => {
      const { b, opts } = await prepare(['sh', '-c', 'echo oops >&2; exit 3']);
      const c = await conmon.run(opts);
      assert.equal(await conmon.wait(c), 3);
      assert.equal(await conmon.exitCode(c), 3);
      assert.deepEqual(await logOf(b), { stdout: '', stderr: 'oops\n' });
    });

    test("Docker's capabilities, masked /proc paths, read-only /proc/sys, mount denied", async () => {
      // This VM's kernel has no /proc/kcore (CONFIG_PROC_KCORE off): a masked path the host lacks
      // stays absent; one it has must read as /dev/null inside.
      const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/interrupts'];
      const script = [
        'grep CapEff /proc/self/status',
        `for p in ${masked.join(' ')}; do if [ -e $p ]; then echo "$p $(stat -c %F $p) $(wc -c < $p)"; else echo "$p absent"; fi; done`,
        'echo acpi=$(ls -A /proc/acpi | wc -l)',
        '(echo x > /proc/sys/kernel/hostname) 2>/dev/null && echo sys=rw || echo sys=ro',
        'mount -t tmpfs t /mnt 2>/dev/null && echo mount=ok || echo mount=denied',
        'cat /proc/1/cmdline | tr "\\0" " "; echo',
      ].join('; ');
      const { b, opts } = await prepare(['sh', '-c', script]);
      assert.equal(await conmon.wait(await conmon.run(opts)), 0);
      const out = (await logOf(b)).stdout.split('\n');
      assert.equal(out[0], 'CapEff:\t00000000a80425fb');
      const expected = await Promise.all(masked.map(async (p) => ((await exists(p)) ? `${p} character special file 0` : `${p} absent`)));
      assert.ok(expected.some((l) => !l.endsWith('absent')), 'at least one masked file exists on this host');
      assert.deepEqual(out.slice(1, 1 + masked.length), expected);
      assert.equal(out[5], 'acpi=0');
      assert.equal(out[6], 'sys=ro');
      assert.equal(out[7], 'mount=denied');
      assert.equal(out[8], `sh -c ${script} `, 'the container has its own pid namespace');
    });

    test('SIGTERM: ignored by a pid-namespace init without a handler (as in Docker), kills anything else: 143; SIGKILL 137', async () => {
      const { opts } = await prepare(['sleep', '100']);
      const c = await conmon.run(opts);
      const st = await runtime.state(opts.id);
      assert.equal(st.status, 'running');
      assert.equal(st.pid, c.pid);
      assert.deepEqual(await runtime.ps(opts.id), [c.pid]);
      await runtime.pause(opts.id);
      assert.equal((await runtime.state(opts.id)).status, 'paused');
      await runtime.resume(opts.id);
      await runtime.kill(opts.id, 'TERM');
      await sleep(300);
      assert.equal(await conmon.exitCode(c), undefined, 'init of a pid namespace ignores TERM without a handler');
      await runtime.kill(opts.id, 'SIGKILL');
      assert.equal(await conmon.wait(c), 137);

      // Sharing the host's pid namespace, sleep is an ordinary process: TERM kills it.
      const host = await prepare(['sleep', '100'], { spec: [withNamespaces({ pid: 'host' })] });
      const h = await conmon.run(host.opts);
      await runtime.kill(host.opts.id, 'TERM');
      assert.equal(await conmon.wait(h), 143);
    });

    test('attach before start: stdin reaches the container, output comes back, closing stdin ends it', async () => {
      const { b, opts } = await prepare(['sh', '-c', 'read line; echo "got $line"; echo err >&2; cat']);
      const c = await conmon.create({ ...opts, stdin: true });
      const session = await conmon.attach(c);
      let out = '';
      let err = '';
      session.stdout.on('data', (d: Buffer) => (out += d.toString()));
      session.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await conmon.start(opts.id);
      session.stdin.write('ping\n');
      session.stdin.write('rest\n');
      session.stdin.end();
      assert.equal(await conmon.wait(c), 0);
      await session.closed;
      assert.equal(out, 'got ping\nrest\n');
      assert.equal(err, 'err\n');
      assert.deepEqual(await logOf(b), { stdout: 'got ping\nrest\n', stderr: 'err\n' });
    });

    test('terminal: a pty, resized through the ctl fifo, output on stdout with CRLF', async () => {
      const id = `estiba-test-${name}-${process.pid}-${++seq}`;
      const b = await makeBundle(scratch, id, await dockerLikeSpec(id, ['sh', '-c', 'stty size; tty; echo done'], [], { terminal: true }));
      bundles.push(b);
      const opts: ConmonCreateOptions = { id, bundle: b.bundle, exitDir: join(scratch.root, 'exits'), log: { driver: 'k8s-file', path: join(b.bundle, 'ctr.log') }, terminal: true, stdin: true };
      const c = await conmon.create(opts);
      const session = await conmon.attach(c);
      let out = '';
      session.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await conmon.resize(c, { height: 30, width: 100 });
      await sleep(50); // conmon applies the resize from its event loop
      await conmon.start(id);
      assert.equal(await conmon.wait(c), 0);
      await session.closed;
      assert.equal(out, '30 100\r\n/dev/pts/0\r\ndone\r\n');
      assert.equal((await logOf(b)).stdout.replace(/\r/g, ''), '30 100\n/dev/pts/0\ndone\n');
    });

    test('a failing create rejects with the runtime error and leaves no conmon behind', async () => {
      const { opts } = await prepare(['/does-not-exist']);
      let created: CreatedContainer | undefined;
      try {
        created = await conmon.run(opts);
      } catch (err) {
        assert.match(String(err), /does-not-exist|no such file|not found/i);
      }
      if (created !== undefined) {
        // A runtime may only notice at start; then the exit code says so (127 as in Docker's 'not found').
        assert.notEqual(await conmon.wait(created), 0);
      }
      const pid = Number((await readFile(join(opts.bundle, 'conmon.pid'), 'utf8').catch(() => '0')).trim());
      if (pid > 0) {
        await sleep(100);
        assert.equal(isConmonAlive(pid), false);
      }
    });

    test('the container outlives the process that launched it', async () => {
      const { opts } = await prepare(['sleep', '100']);
      const fixture = join(fileURLToPath(new URL('.', import.meta.url)), 'launch-fixture.js');
      const logPath = opts.log.driver === 'k8s-file' ? opts.log.path : '';
      const { stdout } = await execFileP(process.execPath, [fixture, name, runtime.root.replace(/\/runtime-[^/]+$/, ''), opts.id, opts.bundle, opts.exitDir, logPath]);
      const launched = JSON.parse(stdout) as { pid: number; conmonPid: number };
      const st = await runtime.state(opts.id);
      assert.equal(st.status, 'running');
      assert.equal(st.pid, launched.pid);
      assert.ok(isConmonAlive(launched.conmonPid), 'conmon still monitors it');
      const stat = await readFile(`/proc/${launched.conmonPid}/stat`, 'utf8');
      assert.equal(Number(stat.split(') ')[1]?.split(' ')[1]), 1, 'conmon was reparented to init (or a subreaper), not left a child of anything');
      await runtime.kill(opts.id, 'KILL');
      assert.equal(await conmon.wait({ exitFile: join(opts.exitDir, opts.id), exitDir: opts.exitDir, conmonPidFile: join(opts.bundle, 'conmon.pid') }), 137);
    });

    test('timing: create + start + wait of `true`', async (t) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { opts } = await prepare(['true']);
        const t0 = performance.now();
        const c = await conmon.run(opts);
        assert.equal(await conmon.wait(c), 0);
        times.push(performance.now() - t0);
        await runtime.delete(opts.id);
      }
      times.sort((a, b) => a - b);
      t.diagnostic(`conmon+${name} true: median ${times[2]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms, max ${times[4]?.toFixed(1)} ms`);
    });
  });
}


test('wait: an exit wakes the waiter of that container at once; the others sharing the exit directory stay waiting', async (t) => {
  const { mkdtemp, rename, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'estiba-exits-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const conmon = new Conmon({ runtime: runc({ execRoot: dir }) });
  const paths = (id: string) => ({ exitDir: dir, exitFile: join(dir, id), conmonPidFile: join(dir, `${id}.pid`) });
  // As conmon writes them: complete when they appear.
  const writeExit = async (id: string, code: string) => {
    await writeFile(join(dir, `.${id}.tmp`), code);
    await rename(join(dir, `.${id}.tmp`), join(dir, id));
  };
  // A long poll: only the inotify wake-up can end these waits quickly.
  const a = conmon.wait(paths('a'), { pollMs: 60_000 });
  const b = conmon.wait(paths('b'), { pollMs: 60_000 });
  let bDone = false;
  void b.then(() => (bDone = true));
  await sleep(50);
  const t0 = performance.now();
  await writeExit('a', '7');
  assert.equal(await a, 7);
  assert.ok(performance.now() - t0 < 2000);
  await sleep(50);
  assert.equal(bDone, false);
  await writeExit('b', '0');
  assert.equal(await b, 0);
});
