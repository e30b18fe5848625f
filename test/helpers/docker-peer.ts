/**
 * A real Docker daemon (Debian's dockerd 20.10) as a peer for side-by-side tests and
 * benchmarks, fully separate from any system Docker: its own socket, data root, exec root,
 * pid file, config file and its own dockerd-managed containerd (state under the exec root,
 * root under the data root). It never touches /var/run/docker.sock or /var/lib/docker.
 *
 * Lifecycle: `startDockerPeer()` reuses a healthy daemon already answering on the socket
 * (`reused: true`; its `stop()` then does nothing), or starts one detached from this process
 * and waits for `GET /_ping`. `stop()` of a peer this call started sends SIGTERM and waits.
 * `stopDockerPeer()` stops whatever peer the pid file names, for cleanup between runs.
 *
 * See docs/notes/docker-peer.md for measured start times and quirks.
 *
 * @module
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify, types } from 'node:util';

const execFileP = promisify(execFile);

export const PEER_DEFAULTS = {
  socketPath: '/run/estiba-peer/docker.sock',
  dataRoot: '/var/lib/estiba-peer-docker',
  execRoot: '/run/estiba-peer/exec',
  pidFile: '/run/estiba-peer/docker.pid',
  logFile: '/run/estiba-peer/dockerd.log',
  configFile: '/run/estiba-peer/daemon.json',
  dockerd: '/usr/sbin/dockerd',
  bridgeName: 'estiba-peer0',
  bridgeCidr: '172.30.250.1/24',
} as const;

export interface DockerPeerOptions {
  /** Unix socket the daemon listens on. Default /run/estiba-peer/docker.sock. */
  socketPath?: string;
  /** --data-root. Default /var/lib/estiba-peer-docker. */
  dataRoot?: string;
  /** --exec-root (containerd's state and socket go under it). Default /run/estiba-peer/exec. */
  execRoot?: string;
  pidFile?: string;
  /** dockerd's stdout and stderr, appended. Default /run/estiba-peer/dockerd.log. */
  logFile?: string;
  /** Written by us and passed as --config-file, so /etc/docker/daemon.json is never read. */
  configFile?: string;
  /** Extra keys for that daemon.json. */
  daemonConfig?: Record<string, unknown>;
  /**
   * 'none' (default): --bridge=none --iptables=false; containers get only loopback, and the
   * host's iptables are untouched. 'bridge': a bridge of our own (`bridgeName`, created if
   * missing) with iptables NAT and port publishing, as a stock Docker has.
   */
  network?: 'none' | 'bridge';
  bridgeName?: string;
  bridgeCidr?: string;
  dockerd?: string;
  extraArgs?: string[];
  /** How long to wait for _ping. Default 60 s. */
  timeoutMs?: number;
  /** Reuse a healthy daemon already on the socket. Default true. */
  reuse?: boolean;
}

export interface DockerPeer {
  /** unix:///run/estiba-peer/docker.sock */
  host: string;
  socketPath: string;
  /** process.env without DOCKER_* variables, plus DOCKER_HOST. */
  env: NodeJS.ProcessEnv;
  /** dockerd's pid (from the pid file when reused). */
  pid: number | undefined;
  /** True when a daemon was already running; stop() then leaves it running. */
  reused: boolean;
  /** Milliseconds from spawn until _ping answered (0 when reused). */
  startMs: number;
  logFile: string;
  stop(): Promise<void>;
}

function errnoCode(err: unknown): string | undefined {
  if (types.isNativeError(err) && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** GET /_ping on a unix socket; true when it answers 200 "OK". Never throws. */
export function pingDocker(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body === 'OK'));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    // ENOENT/ECONNREFUSED/timeout all mean "not (yet) up".
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** GET a JSON path from the daemon. */
export function dockerApiGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 400) reject(new Error(`GET ${path}: ${res.statusCode}: ${body}`));
        else resolve(JSON.parse(body) as unknown);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Process state letter from /proc (R, S, D, Z, …), or undefined when there is no such process. */
async function procState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 3, after the parenthesised comm (which may itself contain spaces or parens).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch (err) {
    // ESRCH: the process went between open and read (it was being reaped).
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ESRCH') return undefined;
    throw err;
  }
}

/** Alive and not a zombie. PID 1 here (process_api) reaps orphans late, so zombies linger. */
async function isAlive(pid: number): Promise<boolean> {
  const s = await procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

async function cmdline(pid: number): Promise<string[]> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((s) => s !== '');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The last lines of dockerd's log from the latest start, error lines first (grpc chatter buries them). */
async function logTail(file: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    const run = text.slice(text.lastIndexOf('--- estiba startDockerPeer')).split('\n');
    // Fatal start-up errors are printed bare ("failed to start daemon: …"), others as level=error.
    const errors = run.filter((l, i) => i > 0 && l !== '' && (/level=(error|fatal)/.test(l) || !l.startsWith('time='))).slice(-8);
    return [...errors.map((l) => `! ${l}`), '…', ...run.slice(-lines)].join('\n');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return '(no log)';
    throw err;
  }
}

/** process.env minus DOCKER_* (a stray DOCKER_CONTEXT or DOCKER_TLS_VERIFY would redirect clients). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  return env;
}

async function ensureBridge(name: string, cidr: string): Promise<void> {
  try {
    await execFileP('ip', ['link', 'show', name]);
    return;
  } catch (err) {
    // `ip link show` exits 1 when the link does not exist: create it below.
    if (!(types.isNativeError(err) && 'code' in err && err.code === 1)) throw err;
  }
  await execFileP('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  await execFileP('ip', ['addr', 'add', cidr, 'dev', name]);
  await execFileP('ip', ['link', 'set', name, 'up']);
}

async function hasBridgeNetwork(socketPath: string): Promise<boolean> {
  const nets = await dockerApiGet(socketPath, '/networks');
  return Array.isArray(nets) && nets.some((n: unknown) => typeof n === 'object' && n !== null && 'Name' in n && n.Name === 'bridge');
}

interface Resolved {
  socketPath: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  logFile: string;
  configFile: string;
  network: 'none' | 'bridge';
  bridgeName: string;
  bridgeCidr: string;
  dockerd: string;
  timeoutMs: number;
}

function resolve(opts: DockerPeerOptions): Resolved {
  return {
    socketPath: opts.socketPath ?? PEER_DEFAULTS.socketPath,
    dataRoot: opts.dataRoot ?? PEER_DEFAULTS.dataRoot,
    execRoot: opts.execRoot ?? PEER_DEFAULTS.execRoot,
    pidFile: opts.pidFile ?? PEER_DEFAULTS.pidFile,
    logFile: opts.logFile ?? PEER_DEFAULTS.logFile,
    configFile: opts.configFile ?? PEER_DEFAULTS.configFile,
    network: opts.network ?? 'none',
    bridgeName: opts.bridgeName ?? PEER_DEFAULTS.bridgeName,
    bridgeCidr: opts.bridgeCidr ?? PEER_DEFAULTS.bridgeCidr,
    dockerd: opts.dockerd ?? PEER_DEFAULTS.dockerd,
    timeoutMs: opts.timeoutMs ?? 60_000,
  };
}

function peerEnv(host: string): NodeJS.ProcessEnv {
  return { ...cleanEnv(), DOCKER_HOST: host };
}

async function reusedPeer(r: Resolved): Promise<DockerPeer> {
  if (r.network === 'bridge' && !(await hasBridgeNetwork(r.socketPath))) {
    throw new Error(
      `docker peer on ${r.socketPath} is running without a bridge network, but network: 'bridge' was asked for; ` +
        'stop it first with stopDockerPeer()',
    );
  }
  const host = `unix://${r.socketPath}`;
  return {
    host,
    socketPath: r.socketPath,
    env: peerEnv(host),
    pid: await readPid(r.pidFile),
    reused: true,
    startMs: 0,
    logFile: r.logFile,
    stop: () => Promise.resolve(),
  };
}

/**
 * Starts (or reuses) the peer dockerd and resolves once `_ping` answers. Rejects with the
 * tail of dockerd's log if it exits or does not answer in time: callers must not skip on that.
 */
export async function startDockerPeer(opts: DockerPeerOptions = {}): Promise<DockerPeer> {
  const r = resolve(opts);
  if (process.getuid?.() !== 0) throw new Error('startDockerPeer: dockerd needs root');
  if (opts.reuse !== false && (await pingDocker(r.socketPath))) return reusedPeer(r);

  // A live dockerd on our pid file that does not answer yet is another process starting it.
  const existing = await readPid(r.pidFile);
  if (existing !== undefined && (await isAlive(existing))) {
    const deadline = Date.now() + r.timeoutMs;
    while (Date.now() < deadline && (await isAlive(existing))) {
      if (await pingDocker(r.socketPath)) return reusedPeer(r);
      await sleep(100);
    }
    if (await isAlive(existing)) {
      throw new Error(`dockerd pid ${existing} (pid file ${r.pidFile}) is alive but ${r.socketPath} does not answer _ping; log:\n${await logTail(r.logFile)}`);
    }
  }
  // No daemon is running. dockerd treats a pid file naming any existing process as live, a
  // zombie included (PID 1 here reaps orphans late): for its own pid file it refuses to start,
  // and for containerd's it waits ~10 s on a dead socket and fails "timeout waiting for
  // containerd to start". So stale pid files go, with whatever a killed daemon left behind.
  if (existing !== undefined) await rm(r.pidFile, { force: true });
  await cleanupAfterDeath(r);
  const ctrPidFile = join(r.execRoot, 'containerd', 'containerd.pid');
  const ctrPid = await readPid(ctrPidFile);
  if (ctrPid !== undefined && !(await isAlive(ctrPid))) await rm(ctrPidFile, { force: true });

  await mkdir(r.execRoot, { recursive: true });
  await mkdir(r.dataRoot, { recursive: true });
  for (const f of [r.socketPath, r.pidFile, r.logFile, r.configFile]) await mkdir(join(f, '..'), { recursive: true });
  await writeFile(r.configFile, JSON.stringify(opts.daemonConfig ?? {}));
  if (r.network === 'bridge') await ensureBridge(r.bridgeName, r.bridgeCidr);

  const args = [
    '--data-root', r.dataRoot,
    '--exec-root', r.execRoot,
    '--pidfile', r.pidFile,
    '--config-file', r.configFile,
    '-H', `unix://${r.socketPath}`,
    '--storage-driver', 'overlay2',
    ...(r.network === 'bridge'
      ? [`--bridge=${r.bridgeName}`, '--iptables=true']
      : ['--bridge=none', '--iptables=false', '--ip-masq=false', '--ip-forward=false']),
    ...(opts.extraArgs ?? []),
  ];
  const log = await open(r.logFile, 'a');
  await log.write(`\n--- estiba startDockerPeer ${new Date().toISOString()}: ${r.dockerd} ${args.join(' ')}\n`);
  const env = cleanEnv();
  env.PATH = `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
  const t0 = performance.now();
  // Detached: the daemon outlives this test process (a later run reuses it) and Ctrl-C in
  // the test runner does not kill it half-way.
  const child = spawn(r.dockerd, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env });
  await log.close();
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.on('exit', (code, signal) => (exited = { code, signal }));
  child.on('error', (err) => (spawnError = err));
  child.unref();

  const deadline = Date.now() + r.timeoutMs;
  for (;;) {
    if (await pingDocker(r.socketPath, 1000)) break;
    if (spawnError) throw new Error(`cannot run ${r.dockerd}: ${spawnError.message}`, { cause: spawnError });
    if (exited) {
      // Another process may have won the race for the pid file: use its daemon.
      const winner = await readPid(r.pidFile);
      if (winner !== undefined && winner !== child.pid && (await isAlive(winner))) return startDockerPeer({ ...opts, reuse: true });
      await cleanupAfterDeath(r);
      throw new Error(
        `dockerd exited (code ${String(exited.code)}, signal ${String(exited.signal)}) before answering on ${r.socketPath}; ` +
          `log ${r.logFile}:\n${await logTail(r.logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      if (child.pid !== undefined) await waitGone(child.pid, 5_000);
      await cleanupAfterDeath(r);
      throw new Error(`dockerd did not answer _ping on ${r.socketPath} within ${r.timeoutMs} ms; log:\n${await logTail(r.logFile)}`);
    }
    await sleep(50);
  }
  const startMs = performance.now() - t0;
  const host = `unix://${r.socketPath}`;
  const pid = child.pid;
  return {
    host,
    socketPath: r.socketPath,
    env: peerEnv(host),
    pid,
    reused: false,
    startMs,
    logFile: r.logFile,
    stop: () => (pid === undefined ? Promise.resolve() : stopPid(pid, r)),
  };
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await sleep(50);
  }
  return !(await isAlive(pid));
}

/**
 * What a dockerd that died without shutting down leaves behind: the bind mount of the data
 * root onto itself (made to give it shared propagation; `unmount-on-shutdown` in the exec
 * root marks it) and its managed containerd.
 */
async function cleanupAfterDeath(r: Resolved): Promise<void> {
  const ctr = await readPid(join(r.execRoot, 'containerd', 'containerd.pid'));
  if (ctr !== undefined && (await isAlive(ctr)) && (await cmdline(ctr)).some((a) => a.endsWith('containerd'))) {
    process.kill(ctr, 'SIGKILL');
    await waitGone(ctr, 5_000);
  }
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  const marker = join(r.execRoot, 'unmount-on-shutdown');
  const marked = await readFile(marker, 'utf8').then(
    () => true,
    (err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return false;
      throw err;
    },
  );
  if (marked && mounts.split('\n').some((l) => l.split(' ')[1] === r.dataRoot)) {
    await execFileP('umount', [r.dataRoot]);
    await rm(marker, { force: true });
  }
}

async function stopPid(pid: number, r: Resolved): Promise<void> {
  if (!(await isAlive(pid))) return;
  process.kill(pid, 'SIGTERM');
  // dockerd gives running containers their stop timeout (10 s) before it exits.
  if (await waitGone(pid, 30_000)) return;
  process.kill(pid, 'SIGKILL');
  await waitGone(pid, 5_000);
  await cleanupAfterDeath(r);
}

/**
 * Stops the peer named by the pid file, whoever started it, if that pid is a dockerd
 * listening on our socket. Resolves false when none was running.
 */
export async function stopDockerPeer(opts: DockerPeerOptions = {}): Promise<boolean> {
  const r = resolve(opts);
  const pid = await readPid(r.pidFile);
  if (pid === undefined || !(await isAlive(pid))) return false;
  const argv = await cmdline(pid);
  if (!argv[0]?.endsWith('dockerd') || !argv.includes(`unix://${r.socketPath}`)) {
    throw new Error(`pid ${pid} in ${r.pidFile} is not our peer dockerd (${argv.join(' ')}); not stopping it`);
  }
  await stopPid(pid, r);
  return true;
}

/**
 * Stops the peer and deletes its data root (images, containers, volumes) and exec root, for a
 * truly fresh peer. The data root may still be mounted onto itself by a dockerd that died:
 * such mounts are undone first, or the removal fails with EBUSY.
 */
export async function removeDockerPeerData(opts: DockerPeerOptions = {}): Promise<void> {
  const r = resolve(opts);
  await stopDockerPeer(opts);
  for (;;) {
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    const inside = mounts
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === r.dataRoot || m.startsWith(`${r.dataRoot}/`));
    const last = inside[inside.length - 1];
    if (last === undefined) break;
    await execFileP('umount', [last]);
  }
  await rm(r.dataRoot, { recursive: true, force: true });
  await rm(r.execRoot, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// docker CLI

export type DockerCliKind = 'docker28' | 'docker20';

export const DOCKER_CLI_PATHS: Readonly<Record<DockerCliKind, string>> = {
  docker28: '/usr/local/bin/docker',
  docker20: '/usr/bin/docker',
};

export interface DockerCliOptions {
  /** DOCKER_HOST, e.g. peer.host or unix:///run/estiba/estiba.sock. */
  host: string;
  /** Default 'docker28'. */
  cli?: DockerCliKind;
  /** Fed to stdin (then closed); stdin is empty otherwise. */
  input?: string | Uint8Array | Readable;
  /** DOCKER_CONFIG dir to keep (e.g. across `login` and `push`); default a fresh temp dir per call, removed after. */
  configDir?: string;
  /** Extra environment (DOCKER_* from this process is never inherited). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the CLI after this long and reject. Default 120 s. */
  timeoutMs?: number;
}

export interface DockerCliResult {
  stdout: string;
  stderr: string;
  /** Exit code; 128 + signal number when killed by a signal. */
  code: number;
  durationMs: number;
}

/** Runs a real docker CLI with DOCKER_HOST set and its own DOCKER_CONFIG, so ~/.docker is never touched. */
export async function dockerCli(args: readonly string[], opts: DockerCliOptions): Promise<DockerCliResult> {
  const bin = DOCKER_CLI_PATHS[opts.cli ?? 'docker28'];
  const tempConfig = opts.configDir === undefined ? await mkdtemp(join(tmpdir(), 'estiba-docker-config-')) : undefined;
  const configDir = opts.configDir ?? (tempConfig as string);
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    DOCKER_HOST: opts.host,
    DOCKER_CONFIG: configDir,
    DOCKER_CLI_HINTS: 'false',
    ...opts.env,
  };
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const t0 = performance.now();
  try {
    return await new Promise<DockerCliResult>((resolveP, reject) => {
      const child = spawn(bin, [...args], { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${bin} ${args.join(' ')}: no exit after ${timeoutMs} ms; stderr so far: ${Buffer.concat(err).toString()}`));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolveP({
          stdout: Buffer.concat(out).toString(),
          stderr: Buffer.concat(err).toString(),
          code: code ?? 128 + (signal ? osConstants.signals[signal] : 0),
          durationMs: performance.now() - t0,
        });
      });
      // A CLI that exits without reading all of stdin gives EPIPE (or a premature close):
      // that shows in its exit code and stderr, which the caller checks.
      const stdinDone = (e: unknown): void => {
        const c = errnoCode(e);
        if (c !== 'EPIPE' && c !== 'ERR_STREAM_PREMATURE_CLOSE') reject(e);
      };
      child.stdin.on('error', stdinDone);
      const input = opts.input;
      if (input === undefined) child.stdin.end();
      else if (typeof input === 'string' || input instanceof Uint8Array) child.stdin.end(input);
      else pipeline(input, child.stdin).catch(stdinDone);
    });
  } finally {
    if (tempConfig !== undefined) await rm(tempConfig, { recursive: true, force: true });
  }
}
