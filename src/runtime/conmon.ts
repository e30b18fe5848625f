/**
 * Runs containers under conmon (Debian's, the monitor podman and CRI-O use), so that they
 * outlive the daemon: conmon double-forks and calls `setsid`, holds the container's stdio,
 * writes its log, records its exit code in a file and serves attach on a unix socket.
 *
 * Lifecycle: `create` (conmon runs `<runtime> create`; the container exists, its process
 * waits in the runtime's init) → optionally `attach` → `start` (`<runtime> start`) → the
 * process exits → conmon writes `<exitDir>/<id>` and exits → `runtime.delete`. Nothing here
 * is held in memory between calls: every path derives from {@link ConmonPaths}, so a
 * restarted daemon finds the same container from its record alone.
 *
 * Handshake with conmon (the protocol podman's libpod/oci_conmon_linux.go speaks, api v1):
 * - `_OCI_STARTPIPE=4`: conmon blocks reading it before forking; the parent moves conmon into
 *   its cgroup meanwhile, then writes one byte.
 * - `_OCI_SYNCPIPE=3`: conmon writes `{"data": PID}\n` once the runtime's create succeeded, or
 *   `{"data": -1, "message": "<runtime stderr>"}\n` if it failed.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as fsConstants, readFileSync, watch, type FSWatcher } from 'node:fs';
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { Cancelled, Deadline, InvalidParameter, NotFound, System, isErrno } from '../errdefs/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { ATTACH_HELPER_PY } from './attach-helper.js';
import { moveToCgroup } from './cgroup-move.js';
import { lookPath, type OciRuntime } from './oci-runtime.js';

export interface ConmonOptions {
  runtime: OciRuntime;
  /** Default `conmon` from PATH. */
  conmonPath?: string;
  /**
   * For the attach bridge (see attach-helper.ts). Default `python3` from the system PATH (a
   * version manager's shim in the daemon's PATH, e.g. pyenv's, adds ~80 ms per attach).
   */
  python?: string;
  /**
   * A cgroup (relative to the hierarchies' roots, e.g. `estiba/conmon`) each conmon is moved into
   * before it forks. Default: none, conmon stays in the daemon's cgroup.
   */
  conmonCgroup?: string;
  cgroupRoot?: string;
  logger?: Logger;
}

export type LogConfig =
  /** conmon's k8s-file format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line (see parseK8sLogLine). */
  | { driver: 'k8s-file'; path: string; maxSize?: number }
  | { driver: 'journald' }
  | { driver: 'none' };

export interface ConmonCreateOptions {
  id: string;
  /** Shown in logs (journald); default the id. */
  name?: string;
  /** The OCI bundle: config.json, and the attach socket and ctl fifo conmon creates there. */
  bundle: string;
  /** Files owned by this container's conmon: pid files, `exit`, `oom`; default the bundle. */
  stateDir?: string;
  /** Where conmon writes `<id>` with the exit code; one directory shared by all containers. */
  exitDir: string;
  log: LogConfig;
  /** Keep a pipe to the container's stdin (attach can write to it). */
  stdin?: boolean;
  /** Allocate a pty (config.json must say terminal: true); stdout and stderr are merged. */
  terminal?: boolean;
  /** Keep stdin open when the last attached client detaches. */
  leaveStdinOpen?: boolean;
  /** Abort waiting for the runtime's create (default 60 s); conmon is then killed. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Where a conmon-monitored container's files are, derived from its options alone. */
export interface ConmonPaths {
  id: string;
  bundle: string;
  stateDir: string;
  exitDir: string;
  /** Written by the runtime: the container's init PID on the host. */
  pidFile: string;
  /** Written by conmon: the daemonized conmon's PID. */
  conmonPidFile: string;
  /** `<exitDir>/<id>`: the exit code as decimal text (128+N for signal N), written when the container exits. */
  exitFile: string;
  /** SOCK_SEQPACKET socket for attach (`--full-attach`: `<bundle>/attach`). */
  attachSocket: string;
  /** FIFO for `1 <height> <width>\n` (resize) and `2 0 0\n` (reopen log). */
  ctlFifo: string;
}

export interface CreatedContainer extends ConmonPaths {
  /** The container's init process (host PID). */
  pid: number;
  /** The conmon monitoring it. */
  conmonPid: number;
}

export interface AttachSession {
  /** Container output; with a terminal everything arrives on stdout. */
  stdout: Readable;
  stderr: Readable;
  /** Present when the container was created with stdin; end() closes the container's stdin. */
  stdin: Writable;
  /** Resolves when conmon closes the connection (container exited) or close() was called. */
  closed: Promise<void>;
  /** Detaches without closing the container's stdin. */
  close(): void;
}

export function conmonPaths(opts: Pick<ConmonCreateOptions, 'id' | 'bundle' | 'stateDir' | 'exitDir'>): ConmonPaths {
  const stateDir = opts.stateDir ?? opts.bundle;
  return {
    id: opts.id,
    bundle: opts.bundle,
    stateDir,
    exitDir: opts.exitDir,
    pidFile: join(stateDir, 'pidfile'),
    conmonPidFile: join(stateDir, 'conmon.pid'),
    exitFile: join(opts.exitDir, opts.id),
    attachSocket: join(opts.bundle, 'attach'),
    ctlFifo: join(opts.bundle, 'ctl'),
  };
}

export interface ConmonExecOptions {
  /** The running container. */
  id: string;
  /** The exec session (conmon's cuuid). */
  execId: string;
  /** The session's own directory: attach socket, ctl fifo, pid files, exit dir. */
  bundle: string;
  /** An OCI `process` JSON file. */
  processSpec: string;
  stdin?: boolean;
  terminal?: boolean;
  leaveStdinOpen?: boolean;
  /** Given: conmon waits for it (after creating the attach socket) before the runtime runs the process. */
  onAttachReady?: () => Promise<void>;
  timeoutMs?: number;
}

/** An exec session's files: everything lives in its own directory, the exit file included. */
export function execPaths(opts: Pick<ConmonExecOptions, 'id' | 'bundle'>): ConmonPaths {
  return conmonPaths({ id: opts.id, bundle: opts.bundle, exitDir: join(opts.bundle, 'exits') });
}

/** The runtime refused to start an exec'd process (not found, not executable …); the message is the runtime's. */
export class ExecStartError extends System {}

/** The runtime's words from its stderr: runc logs `level=error msg="…"` (Go-quoted), crun plain text. */
export function runtimeMessage(raw: string): string {
  const text = raw.trim();
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  if (m === null) return text.split('\n').filter((l) => l.trim() !== '').pop() ?? text;
  try {
    return JSON.parse(`"${m[1]!}"`) as string;
  } catch (err) {
    void err; // Not JSON-compatible quoting: show it as it came.
    return m[1]!;
  }
}

const ID_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class Conmon {
  readonly runtime: OciRuntime;
  readonly #conmonPath: string;
  readonly #python: string;
  readonly #conmonCgroup: string | undefined;
  readonly #cgroupRoot: string;
  readonly #logger: Logger;

  constructor(opts: ConmonOptions) {
    this.runtime = opts.runtime;
    this.#conmonPath = lookPath(opts.conmonPath ?? 'conmon');
    this.#python = opts.python ?? lookPath('python3');
    this.#conmonCgroup = opts.conmonCgroup;
    this.#cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.#logger = opts.logger ?? silentLogger;
  }

  /** The conmon command line for `opts` (exposed for logs and tests). */
  argv(opts: ConmonCreateOptions): string[] {
    const p = conmonPaths(opts);
    const args = [
      '--api-version', '1',
      '-c', opts.id,
      '-u', opts.id,
      '-r', this.runtime.path,
      '-b', opts.bundle,
      '-p', p.pidFile,
      '-n', opts.name ?? opts.id,
      '--exit-dir', opts.exitDir,
      '--persist-dir', p.stateDir,
      '--socket-dir-path', p.stateDir,
      '--full-attach',
      '--conmon-pidfile', p.conmonPidFile,
    ];
    for (const a of this.runtime.globalArgs()) args.push('--runtime-arg', a);
    switch (opts.log.driver) {
      case 'k8s-file':
        args.push('-l', `k8s-file:${opts.log.path}`);
        if (opts.log.maxSize !== undefined && opts.log.maxSize > 0) args.push('--log-size-max', String(opts.log.maxSize));
        break;
      case 'journald':
        args.push('-l', 'journald');
        break;
      case 'none':
        args.push('-l', 'none');
        break;
    }
    if (opts.stdin === true) args.push('-i');
    if (opts.terminal === true) args.push('-t');
    if (opts.leaveStdinOpen === true) args.push('--leave-stdin-open');
    return args;
  }

  /**
   * Starts conmon, which runs `<runtime> create` and stays behind as the container's monitor.
   * Resolves once the container exists (state `created`); rejects with System carrying the
   * runtime's error if create failed.
   */
  async create(opts: ConmonCreateOptions): Promise<CreatedContainer> {
    if (!ID_RE.test(opts.id)) throw new InvalidParameter(`invalid container id: ${JSON.stringify(opts.id)}`);
    const paths = conmonPaths(opts);
    await mkdir(opts.exitDir, { recursive: true });
    await mkdir(paths.stateDir, { recursive: true });
    await mkdir(this.runtime.root, { recursive: true });
    const argv = this.argv(opts);
    this.#logger.debug('conmon create', { id: opts.id, argv });

    const child = spawn(this.#conmonPath, argv, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...minimalEnv(), _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' },
      detached: true,
    });
    const [, , stderrStream, syncStream, startStream] = child.stdio as unknown as [null, null, Readable, Readable, Writable];
    let stderr = '';
    // conmon closes its ends of these socketpairs whenever it likes (ECONNRESET is normal here);
    // what matters is read from the sync pipe and the exit status.
    for (const [name, st] of [['stderr', stderrStream], ['sync', syncStream], ['start', startStream]] as const) {
      st.on('error', (err: Error) => this.#logger.debug('conmon pipe error', { id: opts.id, pipe: name, err: err.message }));
    }
    stderrStream.setEncoding('utf8');
    stderrStream.on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const spawned = once(child, 'spawn');
    const failedToSpawn = once(child, 'error').then(([err]) => {
      throw isErrno(err, 'ENOENT') ? new NotFound(`conmon not found: ${this.#conmonPath}`, { cause: err }) : err;
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal !== undefined ? AbortSignal.any([opts.signal, timeout]) : timeout;

    try {
      await Promise.race([spawned, failedToSpawn]);
      if (this.#conmonCgroup !== undefined && child.pid !== undefined) {
        await moveToCgroup(child.pid, this.#conmonCgroup, this.#cgroupRoot);
      }
      startStream.end(Buffer.from([0]));
      const msg = await Promise.race([readSyncMessage(syncStream), failedToSpawn, aborted(signal)]);
      if (msg === undefined) {
        const [code, sig] = await Promise.race([exited, aborted(signal)]);
        throw new System(`conmon for ${opts.id} exited (${sig ?? code}) before reporting the container's pid: ${stderr.trim() || 'no message'}`);
      }
      if (msg.data < 0) {
        throw new System(`${this.runtime.name} create ${opts.id}: ${(msg.message ?? '').trim() || stderr.trim() || 'failed'}`);
      }
      const conmonPid = await readPid(paths.conmonPidFile);
      return { ...paths, pid: msg.data, conmonPid };
    } catch (err) {
      const pid = await readPid(paths.conmonPidFile).catch(() => undefined);
      if (pid !== undefined) killQuietly(pid, 'SIGKILL');
      if (signal.aborted) {
        throw timeout.aborted
          ? new Deadline(`conmon create ${opts.id}: no answer within ${timeoutMs} ms`, { cause: err })
          : new Cancelled(`conmon create ${opts.id}: cancelled`, { cause: err });
      }
      throw err;
    } finally {
      // The first conmon exits right after forking its daemon; nothing more to wait for.
      child.unref();
      syncStream.destroy();
      startStream.destroy();
      stderrStream.destroy();
    }
  }

  /**
   * Runs a process in a running container: conmon (`--exec`) runs `<runtime> exec --detach
   * --pid-file … --process <spec> [--console-socket …]`, stays behind as the process's subreaper
   * and writes its exit code to `<exitDir>/<container id>` (so each exec needs its own exit dir).
   * With a terminal conmon receives the pty master over its console socket; resize goes through
   * `<bundle>/ctl` as for containers.
   *
   * With `attach`, conmon creates `<bundle>/attach`, reports it on `_OCI_ATTACHPIPE` and waits for
   * a second byte on the start pipe before running the runtime: `onAttachReady` connects the
   * clients in between, so no output is lost. Rejects with {@link ExecStartError} (the runtime's
   * own message) when the runtime could not start the process.
   */
  async exec(opts: ConmonExecOptions): Promise<CreatedContainer> {
    if (!ID_RE.test(opts.id) || !ID_RE.test(opts.execId)) throw new InvalidParameter(`invalid exec id: ${JSON.stringify(opts.execId)}`);
    const paths = execPaths(opts);
    await mkdir(paths.exitDir, { recursive: true });
    const args = [
      '--api-version', '1',
      '-c', opts.id,
      '-u', opts.execId,
      '-r', this.runtime.path,
      '-b', opts.bundle,
      '-p', paths.pidFile,
      '-n', opts.execId,
      '--exit-dir', paths.exitDir,
      '--persist-dir', paths.stateDir,
      '--socket-dir-path', paths.stateDir,
      '--full-attach',
      '--conmon-pidfile', paths.conmonPidFile,
      '-l', 'none',
      '--exec',
      '--exec-process-spec', opts.processSpec,
    ];
    for (const a of this.runtime.globalArgs()) args.push('--runtime-arg', a);
    if (opts.stdin === true) args.push('-i');
    if (opts.terminal === true) args.push('-t');
    if (opts.leaveStdinOpen === true) args.push('--leave-stdin-open');
    if (opts.onAttachReady !== undefined) args.push('--exec-attach');
    this.#logger.debug('conmon exec', { id: opts.id, execId: opts.execId, argv: args });
    const child = spawn(this.#conmonPath, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...minimalEnv(), _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', ...(opts.onAttachReady !== undefined ? { _OCI_ATTACHPIPE: '5' } : {}) },
      detached: true,
    });
    const [, , stderrStream, syncStream, startStream, attachStream] = child.stdio as unknown as [null, null, Readable, Readable, Writable, Readable];
    let stderr = '';
    for (const [name, st] of [['stderr', stderrStream], ['sync', syncStream], ['start', startStream], ['attach', attachStream]] as const) {
      st.on('error', (err: Error) => this.#logger.debug('conmon pipe error', { id: opts.execId, pipe: name, err: err.message }));
    }
    stderrStream.setEncoding('utf8');
    stderrStream.on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    const spawned = once(child, 'spawn');
    const failedToSpawn = once(child, 'error').then(([err]) => {
      throw isErrno(err, 'ENOENT') ? new NotFound(`conmon not found: ${this.#conmonPath}`, { cause: err }) : err;
    });
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
    // The sync pipe's first message is read once, whichever step is waiting on it.
    const syncMessage = readSyncMessage(syncStream);
    const noPid = async (): Promise<never> => {
      const msg = await syncMessage;
      if (msg !== undefined && msg.data < 0) throw new ExecStartError(runtimeMessage(msg.message ?? stderr));
      throw new System(`conmon exec ${opts.execId}: exited early: ${stderr.trim() || 'no message'}`);
    };
    try {
      await Promise.race([spawned, failedToSpawn]);
      if (this.#conmonCgroup !== undefined && child.pid !== undefined) {
        await moveToCgroup(child.pid, this.#conmonCgroup, this.#cgroupRoot);
      }
      if (opts.onAttachReady !== undefined) {
        startStream.write(Buffer.from([0]));
        const ready = await Promise.race([readSyncMessage(attachStream), noPid(), aborted(timeout)]);
        if (ready === undefined) await noPid();
        await opts.onAttachReady();
      }
      startStream.end(Buffer.from([0]));
      const msg = await Promise.race([syncMessage, failedToSpawn, aborted(timeout)]);
      if (msg === undefined || msg.data < 0) await noPid();
      const conmonPid = await readPid(paths.conmonPidFile);
      return { ...paths, pid: msg!.data, conmonPid };
    } catch (err) {
      const pid = await readPid(paths.conmonPidFile).catch(() => undefined);
      if (pid !== undefined && !(err instanceof ExecStartError)) killQuietly(pid, 'SIGKILL');
      if (timeout.aborted) throw new Deadline(`conmon exec ${opts.execId}: no answer in time`, { cause: err });
      throw err;
    } finally {
      child.unref();
      syncStream.destroy();
      startStream.destroy();
      stderrStream.destroy();
      attachStream.destroy();
    }
  }

  /** `<runtime> start`: the container's process begins (its output goes to conmon). */
  async start(id: string): Promise<void> {
    await this.runtime.start(id);
  }

  /** create + start. */
  async run(opts: ConmonCreateOptions): Promise<CreatedContainer> {
    const created = await this.create(opts);
    try {
      await this.start(opts.id);
    } catch (err) {
      await this.runtime.delete(opts.id, { force: true }).catch((e: unknown) => this.#logger.warn('delete after failed start', { id: opts.id, err: String(e) }));
      throw err;
    }
    return created;
  }

  /** The exit code conmon recorded, or undefined while the container has not exited. */
  async exitCode(paths: Pick<ConmonPaths, 'exitFile'>): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(paths.exitFile, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    const code = Number.parseInt(text.trim(), 10);
    if (Number.isNaN(code)) throw new System(`exit file ${paths.exitFile}: unexpected content ${JSON.stringify(text)}`);
    return code;
  }

  /**
   * Resolves with the exit code once conmon writes the exit file (inotify on the exit dir, with a
   * slow poll as a safety net). Rejects with System if conmon dies without writing one.
   */
  async wait(paths: Pick<ConmonPaths, 'exitFile' | 'exitDir' | 'conmonPidFile'>, opts: { signal?: AbortSignal; pollMs?: number } = {}): Promise<number> {
    const pollMs = opts.pollMs ?? 500;
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    // An inotify event may arrive while we are reading files below: remember it, so the next
    // sleep is skipped instead of waiting out the poll interval.
    let changed = false;
    let wake: () => void = () => {};
    const onChange = () => {
      changed = true;
      wake();
    };
    try {
      unsubscribe = watchExitFile(paths.exitDir, basename(paths.exitFile), onChange);
      for (;;) {
        opts.signal?.throwIfAborted();
        changed = false;
        const code = await this.exitCode(paths);
        if (code !== undefined) return code;
        const conmonPid = await readPid(paths.conmonPidFile).catch(() => undefined);
        if (conmonPid !== undefined && !isConmonAlive(conmonPid)) {
          // conmon writes the exit file before exiting: re-read once to close the race.
          const last = await this.exitCode(paths);
          if (last !== undefined) return last;
          throw new System(`conmon ${conmonPid} exited without recording an exit code (${paths.exitFile})`);
        }
        if (changed) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, pollMs);
          opts.signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = () => {};
        clearTimeout(timer);
      }
    } finally {
      clearTimeout(timer);
      unsubscribe?.();
    }
  }

  /**
   * Connects to conmon's attach socket. Output produced before attaching is not replayed (read the
   * log). With `waitMs`, the socket may not exist yet: the bridge keeps trying that long, so it can
   * be started alongside `create` (its interpreter start-up then costs nothing).
   */
  async attach(paths: Pick<ConmonPaths, 'attachSocket'>, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<AttachSession> {
    const args = ['-I', '-S', '-c', ATTACH_HELPER_PY, paths.attachSocket];
    if (opts.waitMs !== undefined) args.push(String(opts.waitMs / 1000));
    const helper = spawn(this.#python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    opts.signal?.addEventListener('abort', () => helper.kill('SIGKILL'), { once: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let helperErr = '';
    helper.stderr.setEncoding('utf8');
    helper.stderr.on('data', (d: string) => {
      helperErr += d;
    });
    const exited = once(helper, 'close');
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => {
      connected = resolve;
    });
    let buf: Buffer = Buffer.alloc(0);
    helper.stdout.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 5) {
        const kind = buf[0];
        const len = buf.readUInt32BE(1);
        if (buf.length < 5 + len) break;
        const payload = buf.subarray(5, 5 + len);
        buf = buf.subarray(5 + len);
        if (kind === 0) connected();
        else if (kind === 3) stderr.write(payload);
        else stdout.write(payload);
      }
    });
    const closed = exited.then(() => {
      stdout.end();
      stderr.end();
    });
    const failed = once(helper, 'error').then(([err]) => {
      throw isErrno(err, 'ENOENT') ? new NotFound(`attach needs ${this.#python}`, { cause: err }) : err;
    });
    await Promise.race([
      ready,
      failed,
      exited.then(() => {
        throw new NotFound(`attach ${paths.attachSocket}: ${helperErr.trim() || 'helper exited'}`);
      }),
    ]);
    helper.stdin.on('error', () => {}); // EPIPE after the container exits is expected; closed resolves then.
    return {
      stdout,
      stderr,
      stdin: helper.stdin,
      closed,
      close: () => {
        helper.kill('SIGKILL');
      },
    };
  }

  /** Resizes the container's pty (terminal containers only). */
  async resize(paths: Pick<ConmonPaths, 'ctlFifo'>, size: { height: number; width: number }): Promise<void> {
    await appendFile(paths.ctlFifo, `1 ${Math.trunc(size.height)} ${Math.trunc(size.width)}\n`);
  }

  /** Asks conmon to reopen its log file (after the daemon rotated it). */
  async reopenLog(paths: Pick<ConmonPaths, 'ctlFifo'>): Promise<void> {
    // Non-blocking: opening a FIFO for writing waits for a reader, and a conmon that is gone has none
    // (ENXIO then, instead of a thread-pool thread blocked for ever).
    const fh = await open(paths.ctlFifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    try {
      await fh.write('2 0 0\n');
    } finally {
      await fh.close();
    }
  }
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads the first `{"data": N, ...}` line conmon writes to the sync pipe; undefined at EOF without one. */
async function readSyncMessage(stream: Readable): Promise<SyncMessage | undefined> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    const nl = text.indexOf('\n');
    if (nl < 0) continue;
    const line = text.slice(0, nl);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      throw new System(`conmon sync pipe: unexpected ${JSON.stringify(line)}`, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || typeof (parsed as SyncMessage).data !== 'number') {
      throw new System(`conmon sync pipe: unexpected ${JSON.stringify(line)}`);
    }
    return parsed as SyncMessage;
  }
  return undefined;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function readPid(path: string): Promise<number> {
  const text = await readFile(path, 'utf8');
  const pid = Number.parseInt(text.trim(), 10);
  if (!(pid > 0)) throw new System(`pid file ${path}: unexpected content ${JSON.stringify(text)}`);
  return pid;
}

/** Whether `pid` is a live conmon (not a zombie, not a recycled PID of another program). */
export function isConmonAlive(pid: number): boolean {
  try {
    const stat = readFileSyncSafe(`/proc/${pid}/stat`);
    if (stat === undefined) return false;
    // "<pid> (<comm>) <state> ..."
    const m = /^\d+ \((.*)\) (\S)/.exec(stat);
    return m !== null && m[1] === 'conmon' && m[2] !== 'Z' && m[2] !== 'X';
  } catch (err) {
    void err;
    return false;
  }
}

function readFileSyncSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ESRCH')) return undefined;
    throw err;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    // Already gone: nothing to clean up.
    if (!isErrno(err, 'ESRCH')) throw err;
  }
}

/** conmon and the runtime get a clean environment: no daemon secrets, no NOTIFY_SOCKET. */
function minimalEnv(): Record<string, string> {
  return { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
}

/** One line of conmon's k8s-file log. */
export interface K8sLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** P: the line continues in the next entry (no newline yet); F: a full line. */
  partial: boolean;
  text: string;
}

export function parseK8sLogLine(line: string): K8sLogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (m === null) return undefined;
  return { time: m[1] ?? '', stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] ?? '' };
}

/** The container's output in a k8s-file log, per stream, with partial lines joined. */
export function decodeK8sLog(text: string): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = parseK8sLogLine(line);
    if (e === undefined) continue;
    out[e.stream] += e.partial ? e.text : `${e.text}\n`;
  }
  return out;
}

/**
 * One inotify watch per exit directory, shared by everything waiting on it: conmon names each
 * exit file after its container, so an exit wakes its own waiter instead of every running
 * container's (with 50 running, each exit used to cost 50 wake-ups and their file reads). An
 * event without a name (overflow) or a watch error wakes all; the poll in wait() covers the rest.
 */
const exitDirs = new Map<string, { watcher: FSWatcher; waiters: Map<string, Set<() => void>> }>();

function watchExitFile(dir: string, name: string, wake: () => void): () => void {
  let d = exitDirs.get(dir);
  if (d === undefined) {
    const waiters = new Map<string, Set<() => void>>();
    const wakeAll = (): void => {
      for (const set of waiters.values()) for (const w of set) w();
    };
    const watcher = watch(dir, (_event, file) => {
      if (file === null) wakeAll();
      else for (const w of waiters.get(file) ?? []) w();
    });
    d = { watcher, waiters };
    const self = d;
    watcher.on('error', () => {
      // A broken watch (the directory removed): later waiters get a new one; these poll.
      if (exitDirs.get(dir) === self) exitDirs.delete(dir);
      watcher.close();
      wakeAll();
    });
    exitDirs.set(dir, d);
  }
  const entry = d;
  let set = entry.waiters.get(name);
  if (set === undefined) entry.waiters.set(name, (set = new Set()));
  set.add(wake);
  return () => {
    set.delete(wake);
    if (set.size === 0) entry.waiters.delete(name);
    if (entry.waiters.size === 0) {
      entry.watcher.close();
      if (exitDirs.get(dir) === entry) exitDirs.delete(dir);
    }
  };
}
