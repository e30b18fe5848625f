/**
 * `docker build` through the real docker CLI 28 (classic builder, DOCKER_BUILDKIT=0) against
 * estibad: every instruction, multi-stage with COPY --from, .dockerignore exceptions, build args,
 * heredocs; the results run and checked; the cache (all cached, one file changed); bad input with
 * Docker's errors and exit codes; and the same Dockerfile on the dockerd peer with configs and
 * final filesystems compared.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBusyboxDaemon } from '../helpers/busybox-daemon.js';
import { dockerCli, startDockerPeer, type DockerPeer } from '../helpers/docker-peer.js';
import { writeBusyboxArchive } from '../fixtures/images.js';
import { ESTIBA, startEstibad } from '../helpers/estibad.js';
import { envWithoutDocker, requireExecutable, run } from '../helpers/e2e.js';
import { startRegistry } from '../helpers/registry.js';

const s = useBusyboxDaemon('estiba-build-');
const BASE = `estiba-build-base-${randomBytes(4).toString('hex')}`;
let ctxDir: string;
let baseDir: string;

/** The Dockerfile both daemons build (only what dockerd 20.10's classic builder knows). */
const COMPARE_DOCKERFILE = `# syntax=docker/dockerfile:1
ARG BASE
FROM $BASE AS builder
ARG GREETING=hello
ENV APP_HOME=/app
WORKDIR $APP_HOME
COPY src/ ./src/
COPY *.txt keep.log ./
RUN echo "$GREETING from \${APP_HOME:-none} \${UNSET:-dflt} \${APP_HOME:+set}" > built.txt \\
 # a comment inside a continuation
 && mkdir -p out && cp src/*.sh out/
ADD archive.tar.gz /opt/

FROM $BASE
LABEL org.example.name="estiba test" version=1.0
MAINTAINER estiba tests
ENV PATH=/app/bin:$PATH MODE=prod
ENV P=1 Q=x$P
ARG R=2 S=y$R
COPY --from=builder /app/out /app/bin/
COPY --from=builder --chown=1000:1000 /app/built.txt /app/
COPY --from=0 /opt /opt
RUN echo 'usr:x:1001:1001::/home/usr:/bin/sh' >> /etc/passwd && echo 'grp:x:1001:' >> /etc/group && echo "$Q $S" > /vars
USER usr:grp
WORKDIR /app
EXPOSE 8080 9000/udp
VOLUME ["/data", "/cache"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD test -f /app/built.txt
SHELL ["/bin/sh", "-ec"]
ONBUILD RUN echo child
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/built.txt"]
`;

async function makeContext(dir: string): Promise<void> {
  await mkdir(join(dir, 'src', 'sub'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), COMPARE_DOCKERFILE);
  await writeFile(join(dir, 'src', 'app.sh'), '#!/bin/sh\necho app\n', { mode: 0o755 });
  await writeFile(join(dir, 'src', 'debug.log'), 'excluded\n');
  await writeFile(join(dir, 'src', 'sub', 'x.log'), 'excluded too\n');
  await writeFile(join(dir, 'keep.log'), 'kept by !keep.log\n');
  await writeFile(join(dir, 'a.txt'), 'A\n');
  await writeFile(join(dir, 'b.txt'), 'B\n');
  await writeFile(join(dir, 'secret'), 'never sent\n');
  await writeFile(join(dir, '.dockerignore'), '**/*.log\n!keep.log\nsecret\n');
  await mkdir(join(dir, 'arch', 'pkg'), { recursive: true });
  await writeFile(join(dir, 'arch', 'pkg', 'lib.txt'), 'from the archive\n');
  execFileSync('tar', ['-czf', join(dir, 'archive.tar.gz'), '-C', join(dir, 'arch'), '--owner=0', '--group=0', 'pkg']);
  await rm(join(dir, 'arch'), { recursive: true });
}

const build = (args: string[], cwd = ctxDir, input?: string) =>
  dockerCli(['build', ...args], { host: s.d.host, cwd, env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });

/** The file's own setup, once, after the shared daemon's (top-level hooks may not run in order). */
let setupDone: Promise<void> | undefined;
const setup = (): Promise<void> => (setupDone ??= doSetup());
async function doSetup(): Promise<void> {
  ctxDir = await mkdtemp(join(tmpdir(), 'estiba-build-ctx-'));
  baseDir = await mkdtemp(join(tmpdir(), 'estiba-build-base-'));
  await makeContext(ctxDir);
  await writeBusyboxArchive(join(baseDir, 'base.tar'), { tag: `${BASE}:latest` });
  await s.ok('load', '-i', join(baseDir, 'base.tar'));
}

after(async () => {
  if (ctxDir !== undefined) await rm(ctxDir, { recursive: true, force: true });
  if (baseDir !== undefined) await rm(baseDir, { recursive: true, force: true });
});

/** Config fields the comparison covers. */
async function configOf(host: string, ref: string): Promise<Record<string, unknown>> {
  const r = await dockerCli(['image', 'inspect', ref, '--format', '{{json .Config}}'], { host });
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as Record<string, unknown>;
  const pick: Record<string, unknown> = {};
  for (const k of ['Env', 'Cmd', 'Entrypoint', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Healthcheck', 'OnBuild', 'Shell']) pick[k] = c[k] ?? null;
  return pick;
}

/**
 * The final filesystem: path, type, mode, owner, size (files), md5 (files). Left out: the kernel
 * mounts, the files a runtime puts in every container (dockerd's init layer adds /etc/mtab) and
 * the anonymous volumes' mount points.
 */
async function filesOf(host: string, ref: string): Promise<string[]> {
  const script =
    'find / -xdev | grep -v -E "^/(proc|sys|dev)(/|$)|^/etc/(hostname|hosts|resolv.conf|mtab)$|^/.dockerenv$|^/(data|cache)$" | sort | ' +
    'while read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$(stat -c "%n|%F|%a|%u|%g|%s" "$f")|$(md5sum < "$f" | cut -c1-32)"; else stat -c "%n|%F|%a|%u|%g" "$f"; fi; done';
  const r = await dockerCli(['run', '--rm', '--network', 'none', '--user', '0', '--entrypoint', '/bin/sh', ref, '-c', script], { host, timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('every instruction: the built image runs with the files, user, env, workdir, entrypoint/cmd and labels asked for', async () => {
  await setup();
  const r = await build(['-t', 'compare:estiba', '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=hi', '.']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^Step 1\/29 : ARG BASE$/m);
  assert.match(r.stdout, / ---> Running in [0-9a-f]{12}\n/);
  assert.match(r.stdout, /^Successfully built [0-9a-f]{12}$/m);
  assert.match(r.stdout, /^Successfully tagged compare:estiba$/m);
  const out = await s.ok('run', '--rm', 'compare:estiba');
  assert.equal(out, 'hi from /app dflt set\n');
  const env = await s.ok('run', '--rm', '--entrypoint', '/bin/sh', 'compare:estiba', '-c', 'id -u; id -g; pwd; echo $MODE; echo $PATH; ls /app/bin; cat /opt/pkg/lib.txt; stat -c "%u:%g" /app/built.txt; ls -a /app');
  assert.equal(
    env,
    '1001\n1001\n/app\nprod\n/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\napp.sh\nfrom the archive\n1000:1000\n.\n..\nbin\nbuilt.txt\n',
  );
  const cfg = await configOf(s.d.host, 'compare:estiba');
  assert.deepEqual(cfg.Labels, { 'org.example.name': 'estiba test', version: '1.0' });
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(cfg.Cmd, ['cat /app/built.txt']);
  assert.deepEqual(cfg.ExposedPorts, { '8080/tcp': {}, '9000/udp': {} });
  assert.deepEqual(cfg.OnBuild, ['RUN echo child']);
  const hist = await s.ok('history', '--no-trunc', '--format', '{{.CreatedBy}}', 'compare:estiba');
  assert.match(hist, /^\/bin\/sh -c #\(nop\) {2}CMD \["cat \/app\/built.txt"\]$/m);
  assert.match(hist, /^\/bin\/sh -c #\(nop\) WORKDIR \/app$/m);
});

test('the same Dockerfile on dockerd (classic builder) gives the same configs and the same files', async () => {
  await setup();
  let peer: DockerPeer;
  try {
    peer = await startDockerPeer();
  } catch (err) {
    throw new Error(`the dockerd peer is needed for this comparison and did not start: ${(err as Error).message}`, { cause: err });
  }
  const tag = `estiba-build-compare-${randomBytes(4).toString('hex')}`;
  const load = await dockerCli(['load', '-i', join(baseDir, 'base.tar')], { host: peer.host });
  assert.equal(load.code, 0, load.stderr);
  try {
    const r = await dockerCli(['build', '--force-rm', '-t', tag, '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=hi', '.'], { host: peer.host, cwd: ctxDir, env: { DOCKER_BUILDKIT: '0' } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const mine = await build(['-t', 'compare:estiba', '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=hi', '.']);
    assert.equal(mine.code, 0, mine.stderr);
    assert.deepEqual(await configOf(s.d.host, 'compare:estiba'), await configOf(peer.host, tag));
    const [ours, theirs] = [await filesOf(s.d.host, 'compare:estiba'), await filesOf(peer.host, tag)];
    // /app/built.txt's directory and created parents carry build-time mtimes only; everything listed must match.
    assert.deepEqual(ours, theirs);
  } finally {
    // rmi prunes the build's untagged intermediate images; --force-rm left no containers. The
    // peer is shared: nothing but what this test made is removed.
    // The builder stage's chain is reached through a tag of its own (a cached rebuild of that stage).
    await dockerCli(['build', '--force-rm', '--target', 'builder', '-t', `${tag}-builder`, '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=hi', '.'], { host: peer.host, cwd: ctxDir, env: { DOCKER_BUILDKIT: '0' } });
    await dockerCli(['rmi', tag, `${tag}-builder`], { host: peer.host });
    await dockerCli(['rmi', `${BASE}:latest`], { host: peer.host });
    if (!peer.reused) await peer.stop();
  }
});

test('a rebuild with nothing changed is all cache; one changed file reruns only the steps after it', async () => {
  await setup();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-cache-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nENV A=1\nRUN echo one > /one\nCOPY f1 /f1\nRUN cat /f1 > /copy\nLABEL x=y\n`);
    await writeFile(join(dir, 'f1'), 'v1\n');
    const first = await build(['-t', 'cache:test', '.'], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stdout, /Using cache/);
    const again = await build(['-t', 'cache:test', '.'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.match(/ ---> Using cache/g)?.length, 5, again.stdout);
    assert.doesNotMatch(again.stdout, /Running in/);
    assert.equal(again.stdout.match(/Successfully built (\w+)/)?.[1], first.stdout.match(/Successfully built (\w+)/)?.[1]);
    await writeFile(join(dir, 'f1'), 'v2\n');
    const changed = await build(['-t', 'cache:test', '.'], dir);
    assert.equal(changed.code, 0, changed.stderr);
    const steps = changed.stdout.split(/^Step /m).slice(1);
    assert.deepEqual(steps.map((st) => / ---> Using cache/.test(st)), [false, true, true, false, false, false]);
    assert.equal(await s.ok('run', '--rm', 'cache:test', 'cat', '/copy'), 'v2\n');
    const nocache = await build(['--no-cache', '-t', 'cache:test', '.'], dir);
    assert.equal(nocache.code, 0, nocache.stderr);
    assert.doesNotMatch(nocache.stdout, /Using cache/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('heredocs, --chmod, --target, -f with another Dockerfile from stdin, ARG scoping and -q', async () => {
  await setup();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-heredoc-'));
  try {
    await writeFile(join(dir, 'f'), 'data\n');
    const df = `ARG V=global
FROM ${BASE} AS first
ARG V
ENV WHO=world
RUN <<EOF
echo "hello $WHO" > /greeting
echo "v=$V" >> /greeting
EOF
COPY <<EOT /etc/motd
motd for $WHO
EOT
RUN <<EOF
#!/bin/cat
this line is no shell command: only its own interpreter (cat) runs it
EOF
RUN ls -a / | grep -c estiba-heredoc > /leftovers || true
COPY --chmod=600 f /f
FROM first AS second
RUN echo never > /second
`;
    const r = await build(['-q', '--target', 'first', '-t', 'heredoc:test', '--build-arg', 'V=cli', '-f', '-', '.'], dir, df);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const out = await s.ok('run', '--rm', 'heredoc:test', 'sh', '-c', 'cat /greeting /etc/motd /leftovers; stat -c %a /f; test -e /second || echo no-second');
    assert.equal(out, 'hello world\nv=cli\nmotd for world\n0\n600\nno-second\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad input: Docker\'s errors and exit codes, and no half-built image tagged', async () => {
  await setup();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-bad-'));
  try {
    await writeFile(join(dir, 'f'), 'x\n');
    await symlink('/etc/passwd', join(dir, 'out'));
    const cases: [string, RegExp, number][] = [
      [`FROM ${BASE}\nFOO bar\n`, /Error response from daemon: dockerfile parse error line 2: unknown instruction: FOO/, 1],
      [`FROM ${BASE}\nRUN <<EOF\necho hi\n`, /dockerfile parse error line 2: unterminated heredoc EOF in RUN/, 1],
      [`FROM ${BASE}\nCOPY ../x /\n`, /COPY failed: forbidden path outside the build context: \.\.\/x \(\)/, 1],
      [`FROM ${BASE}\nCOPY out /\n`, /COPY failed: file not found in build context or excluded by \.dockerignore: stat out: file does not exist/, 1],
      [`FROM ${BASE}\nCOPY --from=nostage /x /\n`, /invalid from flag value nostage/, 1],
      [`FROM ${BASE} AS\n`, /FROM requires either one or three arguments/, 1],
      [`FROM ${BASE}\nRUN echo partial > /p\nRUN false\n`, /The command '\/bin\/sh -c false' returned a non-zero code: 1/, 1],
      [`FROM ${BASE}\nRUN exit 3\n`, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/, 3],
    ];
    for (const [df, re, code] of cases) {
      await writeFile(join(dir, 'Dockerfile'), df);
      const r = await build(['-t', 'bad:test', '.'], dir);
      assert.equal(r.code, code, `${df}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr + r.stdout, re, df);
      const inspect = await s.docker('image', 'inspect', 'bad:test');
      assert.notEqual(inspect.code, 0, `bad:test must not exist after: ${df}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('POST /build/prune forgets the cache; system df shows it', async () => {
  await setup();
  const df = await s.ok('system', 'df', '--format', '{{.Type}} {{.TotalCount}}');
  assert.match(df, /^Build Cache [1-9]\d*$/m);
  const r = await s.ok('builder', 'prune', '-f');
  assert.match(r, /Total reclaimed space/);
  assert.match(await s.ok('system', 'df', '--format', '{{.Type}} {{.TotalCount}}'), /^Build Cache 0$/m);
});

test('estiba build: the same context through our CLI (.dockerignore applied client-side, build args, cache, exit codes)', async () => {
  await setup();
  const estiba = (args: string[], input?: string) => run(process.execPath, [ESTIBA, '-H', s.d.host, 'build', ...args], { cwd: ctxDir, ...(input !== undefined ? { input } : {}) });
  const r = await estiba(['-t', 'compare:cli', '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=cli', '.']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^Step 29\/29 : CMD \["cat \/app\/built.txt"\]$/m);
  assert.match(r.stdout, /^Successfully tagged compare:cli$/m);
  assert.equal(await s.ok('run', '--rm', 'compare:cli'), 'cli from /app dflt set\n');
  assert.equal(await s.ok('run', '--rm', '--entrypoint', 'ls', 'compare:cli', '/app/bin'), 'app.sh\n');
  const again = await estiba(['-q', '-t', 'compare:cli', '--build-arg', `BASE=${BASE}`, '--build-arg', 'GREETING=cli', '.']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const failing = await estiba(['-f', '-', '.'], `FROM ${BASE}\nRUN exit 4\n`);
  assert.equal(failing.code, 4);
  assert.match(failing.stderr, /The command '\/bin\/sh -c exit 4' returned a non-zero code: 4/);
});

test('build options: --network host and --add-host reach RUN, several -t, --label, --iidfile, ONBUILD triggers run in a child build, docker 20.10 and a CLI without BuildKit fall back to this API', async () => {
  await setup();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-opts-'));
  try {
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nRUN wc -l < /proc/net/dev > /netdev && grep myhost /etc/hosts > /added\nONBUILD RUN echo triggered > /trigger\n`);
    const iid = join(dir, 'iid');
    const r = await build(['--network', 'host', '--add-host', 'myhost:10.1.2.3', '-t', 'opts:one', '-t', 'opts:two', '--label', 'from=cli', '--iidfile', iid, '.'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Step 4\/4 : LABEL "from"='cli'$/m);
    assert.match(r.stdout, /^Successfully tagged opts:one$/m);
    assert.match(r.stdout, /^Successfully tagged opts:two$/m);
    const id = (await s.ok('image', 'inspect', '-f', '{{.Id}}', 'opts:two')).trim();
    assert.equal(execFileSync('cat', [iid]).toString(), id);
    assert.equal(await s.ok('image', 'inspect', '-f', '{{.Config.Labels.from}}', 'opts:one'), 'cli\n');
    // A private namespace lists only lo (2 header lines + 1); the host's has more. (The exact host
    // count is not compared: other tests on this machine add and remove interfaces meanwhile.)
    const lines = Number((await s.ok('run', '--rm', 'opts:one', 'cat', '/netdev')).trim());
    assert.ok(lines > 3, `RUN saw the host network namespace (${lines} lines in /proc/net/dev)`);
    assert.equal((await s.ok('run', '--rm', '--network', 'none', 'opts:one', 'sh', '-c', 'wc -l < /proc/net/dev')).trim(), '3');
    assert.equal(await s.ok('run', '--rm', 'opts:one', 'cat', '/added'), '10.1.2.3\tmyhost\n');
    // A child build runs the parent's ONBUILD trigger; docker 20.10 picks the classic builder from the daemon's ping.
    await writeFile(join(dir, 'Dockerfile'), 'FROM opts:one\nRUN test -f /trigger\n');
    const child = await dockerCli(['build', '-t', 'opts:child', '.'], { host: s.d.host, cwd: dir, cli: 'docker20' });
    assert.equal(child.code, 0, child.stderr + child.stdout);
    assert.match(child.stdout, /# Executing 1 build trigger/);
    assert.equal(await s.ok('run', '--rm', 'opts:child', 'cat', '/trigger'), 'triggered\n');
    assert.equal(await s.ok('image', 'inspect', '-f', '{{json .Config.OnBuild}}', 'opts:child'), 'null\n');
    const noBuildkitEnv = await dockerCli(['build', '-q', '.'], { host: s.d.host, cwd: dir });
    assert.equal(noBuildkitEnv.code, 0, noBuildkitEnv.stderr);
    assert.match(noBuildkitEnv.stdout, /^sha256:[0-9a-f]{64}$/m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ADD of a remote URL (a server on loopback): the file lands with mode 600, --checksum is verified; docker-py builds too', async () => {
  await setup();
  const body = 'remote content\n';
  const srv = createServer((req, res) => {
    if (req.url === '/files/remote.txt') res.end(body);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-url-'));
  try {
    const sum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nADD --checksum=${sum} http://127.0.0.1:${port}/files/remote.txt /dl/\n`);
    const r = await build(['-t', 'url:test', '.'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(await s.ok('run', '--rm', 'url:test', 'sh', '-c', 'stat -c %a /dl/remote.txt; cat /dl/remote.txt'), `600\n${body}`);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/files/remote.txt /dl/\n`);
    const bad = await build(['.'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /ADD failed: digest mismatch/);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nADD http://127.0.0.1:${port}/missing /x\n`);
    const missing = await build(['.'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ADD failed: failed to GET http:\/\/127\.0\.0\.1:\d+\/missing with status 404/);
    // docker-py (python3-docker) sends the same API.
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nARG X=1\nRUN echo $X > /x\n`);
    const py = await run('/usr/bin/python3', ['-c', [
      'import docker, sys',
      `c = docker.DockerClient(base_url=${JSON.stringify(s.d.host)})`,
      `img, logs = c.images.build(path=${JSON.stringify(dir)}, tag="py:build", buildargs={"X": "py"}, rm=True)`,
      'print(c.containers.run("py:build", "cat /x", remove=True).decode(), end="")',
      'try:',
      '    c.images.build(fileobj=__import__("io").BytesIO(b"FROM ' + BASE + '\\nRUN false\\n"), rm=True)',
      'except docker.errors.BuildError as e:',
      '    print(e.msg)',
    ].join('\n')], { env: envWithoutDocker() });
    assert.equal(py.code, 0, py.stderr);
    assert.equal(py.stdout, "py\nThe command '/bin/sh -c false' returned a non-zero code: 1\n");
  } finally {
    srv.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('docker rmi of a built image removes its intermediate images too (unless --no-prune), as dockerd does', async () => {
  await setup();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-rmi-'));
  try {
    const before = (await s.ok('images', '-a', '-q', '--no-trunc')).split('\n').filter((l) => l !== '').length;
    const unique = randomBytes(4).toString('hex');
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nLABEL run=${unique}\nRUN echo ${unique} > /u\nENV U=${unique}\n`);
    assert.equal((await build(['-t', `rmi:${unique}`, '.'], dir)).code, 0);
    assert.equal((await s.ok('images', '-a', '-q', '--no-trunc')).split('\n').filter((l) => l !== '').length, before + 3);
    const out = await s.ok('rmi', `rmi:${unique}`);
    assert.equal(out.match(/^Deleted: sha256:/gm)?.length, 4, out);
    assert.equal((await s.ok('images', '-a', '-q', '--no-trunc')).split('\n').filter((l) => l !== '').length, before);
    assert.equal((await s.docker('image', 'inspect', BASE)).code, 0, 'the tagged base stays');
    assert.equal((await build(['-t', `rmi:${unique}`, '.'], dir)).code, 0);
    const kept = await s.ok('rmi', '--no-prune', `rmi:${unique}`);
    assert.equal(kept.match(/^Deleted: sha256:/gm)?.length, 1, kept);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an image root a crashed daemon left mounted is unmounted and removed at start', async () => {
  const first = await startEstibad();
  const { dataRoot, execRoot } = first;
  await first.kill9();
  const leftover = join(dataRoot, 'builder', 'roots', 'root-crash');
  await mkdir(leftover, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', leftover]);
  const mounted = (): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === leftover);
  assert.ok(mounted());
  const second = await startEstibad({ dataRoot, execRoot });
  try {
    assert.ok(!mounted(), 'the leftover mount is gone');
    assert.equal(existsSync(leftover), false);
  } finally {
    if (mounted()) execFileSync('umount', ['-l', leftover]);
    await second.stop();
    await rm(dataRoot, { recursive: true, force: true });
    await rm(execRoot, { recursive: true, force: true });
  }
});

test('docker-compose build (1.29, through docker-py) builds a service with its args and tags the image', async () => {
  await setup();
  requireExecutable('/usr/bin/docker-compose', 'Debian package docker-compose');
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-compose-'));
  const image = `compose-built-${randomBytes(4).toString('hex')}:1`;
  try {
    await writeFile(join(dir, 'Dockerfile'), `FROM ${BASE}\nARG X=0\nRUN echo $X > /x\n`);
    await writeFile(join(dir, 'docker-compose.yml'), `version: "3"\nservices:\n  app:\n    build:\n      context: .\n      args:\n        X: compose\n    image: ${image}\n`);
    const r = await run('/usr/bin/docker-compose', ['build'], { cwd: dir, env: envWithoutDocker({ DOCKER_HOST: s.d.host }), timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, new RegExp(`Successfully tagged ${image}`));
    assert.equal(await s.ok('run', '--rm', image, 'cat', '/x'), 'compose\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('FROM an image that is not here pulls it (classic builder), --pull pulls again; the CLI shows the pull', async () => {
  await setup();
  const reg = await startRegistry();
  const dir = await mkdtemp(join(tmpdir(), 'estiba-build-pull-'));
  const remote = `${reg.host}/pullbase:v1`;
  try {
    await s.ok('tag', `${BASE}:latest`, remote);
    await s.ok('push', remote);
    await s.ok('rmi', remote);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${remote}\nRUN echo pulled > /marker\n`);
    const first = await build(['-t', 'estiba-build-pulled', '.'], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`Status: Downloaded newer image for ${reg.host}/pullbase:v1`));
    assert.equal((await s.ok('run', '--rm', 'estiba-build-pulled', 'cat', '/marker')), 'pulled\n');
    const again = await build(['--pull', '-t', 'estiba-build-pulled', '.'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Status: Image is up to date for|Digest: sha256:/);
    await writeFile(join(dir, 'Dockerfile'), `FROM ${reg.host}/nosuch:v1\n`);
    const bad = await build(['.'], dir);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /manifest unknown|not found/i);
  } finally {
    await s.docker('rmi', '-f', 'estiba-build-pulled', remote);
    await reg.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
