/**
 * ExecService: processes run inside a running container (`docker exec`), as moby's
 * daemon/exec.go offers them: create (a record only) → start (detached, or attached over a
 * hijacked connection) → inspect (Running, ExitCode, Pid) and resize.
 *
 * Each started exec runs under its own conmon in `--exec` mode (ADR 0004): conmon runs
 * `<runtime> exec --detach --pid-file … --process <spec> [--console-socket …]`, reaps the
 * process as a subreaper and writes its exit code to the session's own exit dir, so the exit
 * code is collected exactly as a container's is; with a TTY conmon takes the pty master from the
 * runtime's console socket and the session's ctl fifo resizes it. Attached clients connect to the
 * session's attach socket through the python3 bridge before the runtime runs the process.
 *
 * Records live in memory, as in Docker: they are lost with the daemon and dropped when their
 * container is removed. Concurrency: a record is started at most once (Conflict otherwise).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { StdcopyDecoder, stdcopyFrame, StdStream } from '../api/stdcopy.js';
import type { ContainerRecord } from '../container/container.js';
import { Conflict, InvalidParameter, NotFound, System, isErrno, messageOf } from '../errdefs/index.js';
import type { Process, Spec } from '../oci/runtime-spec.js';
import { grantableCapabilities } from '../oci/spec-opts/capabilities.js';
import { ExecStartError, execPaths, type AttachSession, type Conmon, type ConmonPaths } from '../runtime/conmon.js';
import type { Logger } from '../util/logger.js';
import type { ExecConfig } from '../api/containers.js';
import { containerEnv, resolveUser } from './container-spec.js';
import { pumpSession } from './stdio-pump.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detach-keys.js';

/** `GET /exec/{id}/json` (swagger ExecInspectResponse). */
export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

/** What exec needs from the container side. */
export interface ExecContainers {
  /** A running container (Conflict when not running or paused, NotFound when unknown). */
  execTarget(ref: string): { container: ContainerRecord; conmon: Conmon; paths: ConmonPaths; rootfs: string };
  /** The container if it still exists. */
  find(id: string): ContainerRecord | undefined;
}

export interface ExecServiceOptions {
  containers: ExecContainers;
  logger: Logger;
  emit: (action: string, c: ContainerRecord, attributes: Record<string, string>) => void;
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  /** Set once the process runs: its conmon and files (resize goes through them). */
  session?: { conmon: Conmon; paths: ConmonPaths };
  started: Promise<void>;
  markStarted: () => void;
  startedOnce: boolean;
}

/** moby translateContainerdStartErr: 127 when the command is missing, 126 when it cannot be run. */
export function execStartExitCode(msg: string): number {
  const m = msg.toLowerCase();
  if (/executable file not found|no such file or directory|not found in \$path/.test(m)) return 127;
  if (/permission denied|is a directory|not a directory/.test(m)) return 126;
  return 126;
}

export class ExecService {
  readonly #o: ExecServiceOptions;
  readonly #execs = new Map<string, ExecRecord>();

  constructor(o: ExecServiceOptions) {
    this.#o = o;
  }

  /** IDs of the execs of a container that are still running (inspect's ExecIDs), or null. */
  idsOf(containerId: string): string[] | null {
    const ids = [...this.#execs.values()].filter((e) => e.containerId === containerId && e.running).map((e) => e.id);
    return ids.length > 0 ? ids : null;
  }

  #get(id: string): ExecRecord {
    const e = this.#execs.get(id);
    if (e === undefined || this.#o.containers.find(e.containerId) === undefined) {
      if (e !== undefined) this.#execs.delete(id);
      throw new NotFound(`No such exec instance: ${id}`);
    }
    return e;
  }

  create(ref: string, req: ExecConfig): { Id: string } {
    const { container } = this.#o.containers.execTarget(ref);
    if (!Array.isArray(req.Cmd) || req.Cmd.length === 0) throw new InvalidParameter('No exec command specified');
    if (req.WorkingDir !== undefined && req.WorkingDir !== '' && !req.WorkingDir.startsWith('/')) {
      throw new InvalidParameter(`the working directory '${req.WorkingDir}' is invalid, it needs to be an absolute path`);
    }
    if (req.DetachKeys !== undefined && req.DetachKeys !== '') {
      try {
        parseDetachKeys(req.DetachKeys);
      } catch {
        throw new InvalidParameter(`Invalid escape keys (${req.DetachKeys}) provided`);
      }
    }
    const id = randomBytes(32).toString('hex');
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    this.#execs.set(id, { id, containerId: container.ID, config: { ...req }, running: false, exitCode: null, pid: 0, started, markStarted, startedOnce: false });
    this.#o.emit(`exec_create: ${req.Cmd.join(' ')}`, container, { execID: id });
    return { Id: id };
  }

  inspect(id: string): ExecInspect {
    const e = this.#get(id);
    const [entrypoint = '', ...args] = e.config.Cmd ?? [];
    return {
      ID: e.id,
      Running: e.running,
      ExitCode: e.exitCode,
      ProcessConfig: {
        tty: e.config.Tty === true,
        entrypoint,
        arguments: args,
        privileged: e.config.Privileged === true,
        ...(e.config.User !== undefined && e.config.User !== '' ? { user: e.config.User } : {}),
      },
      OpenStdin: e.config.AttachStdin === true,
      OpenStderr: e.config.AttachStderr === true,
      OpenStdout: e.config.AttachStdout === true,
      CanRemove: false,
      ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys ?? '',
      Pid: e.pid,
    };
  }

  /**
   * Checks that the exec can start (NotFound, Conflict) and returns whether it has a TTY; the
   * caller answers errors from here before it hijacks the connection.
   */
  prepareStart(id: string, o: { tty?: boolean } = {}): { tty: boolean } {
    const e = this.#get(id);
    if (e.startedOnce) throw new Conflict(`Error: Exec command ${id} has already run`);
    if (o.tty !== undefined) e.config.Tty = e.config.Tty === true || o.tty;
    return { tty: e.config.Tty === true };
  }

  /**
   * Runs the exec. Detached (no `conn`): resolves once the process runs, rejects if it cannot
   * start. Attached: streams until the process has exited and its exit code is recorded, then
   * ends `conn`; a start failure is written to the stream, as dockerd does, not thrown.
   */
  async start(id: string, o: { conn?: Duplex; consoleSize?: { height: number; width: number } } = {}): Promise<void> {
    const e = this.#get(id);
    if (e.startedOnce) throw new Conflict(`Error: Exec command ${id} has already run`);
    e.startedOnce = true;
    const { container, conmon, paths: ctrPaths, rootfs } = this.#o.containers.execTarget(e.containerId);
    const tty = e.config.Tty === true;
    const cmd = e.config.Cmd ?? [];
    const bundle = join(ctrPaths.bundle, 'exec', id);
    const conn = o.conn;
    let attachSession: AttachSession | undefined;
    let pumped: Promise<void> | undefined;
    const fail = (err: unknown): void => {
      e.running = false;
      e.exitCode = err instanceof ExecStartError ? execStartExitCode(err.message) : 126;
      e.markStarted();
    };
    try {
      await mkdir(bundle, { recursive: true, mode: 0o700 });
      const spec = JSON.parse(await readFile(join(ctrPaths.bundle, 'config.json'), 'utf8')) as Spec;
      const user = await resolveUser(rootfs, e.config.User !== undefined && e.config.User !== '' ? e.config.User : container.Config.User ?? '');
      const base = spec.process;
      if (base === undefined) throw new System(`container ${container.ID}: config.json has no process`);
      const proc: Process = {
        ...base,
        terminal: tty,
        args: cmd,
        env: containerEnv(container, { tty, extra: e.config.Env ?? [] }),
        cwd: e.config.WorkingDir !== undefined && e.config.WorkingDir !== '' ? e.config.WorkingDir : container.Config.WorkingDir || '/',
        user: { ...base.user, uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      };
      delete proc.consoleSize;
      if (tty && o.consoleSize !== undefined) proc.consoleSize = o.consoleSize;
      if (e.config.Privileged === true) {
        const caps = grantableCapabilities();
        proc.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
      }
      const processSpec = join(bundle, 'process.json');
      await writeFile(processSpec, JSON.stringify(proc));
      const attachStdin = e.config.AttachStdin === true;
      const created = await conmon.exec({
        id: container.ID,
        execId: id,
        bundle,
        processSpec,
        stdin: attachStdin,
        terminal: tty,
        ...(conn !== undefined
          ? {
              onAttachReady: async () => {
                attachSession = await conmon.attach(execPaths({ id: container.ID, bundle }));
                pumped = pumpSession(attachSession, conn, {
                  tty,
                  stdin: attachStdin,
                  stdout: e.config.AttachStdout === true,
                  stderr: e.config.AttachStderr === true,
                  closeStdinOnEnd: true,
                  detachKeys: parseDetachKeys(e.config.DetachKeys || DEFAULT_DETACH_KEYS),
                });
              },
            }
          : {}),
      });
      e.pid = created.pid;
      e.running = true;
      e.session = { conmon, paths: created };
      e.markStarted();
      this.#o.emit(`exec_start: ${cmd.join(' ')}`, container, { execID: id });
    } catch (err) {
      fail(err);
      attachSession?.close();
      this.#o.logger.info('exec start failed', { id, container: container.ID, err: messageOf(err) });
      await rm(bundle, { recursive: true, force: true });
      if (conn === undefined) {
        if (err instanceof ExecStartError) {
          const msg = `OCI runtime exec failed: ${err.message}: unknown`;
          throw e.exitCode === 127 || e.exitCode === 126 ? new InvalidParameter(msg, { cause: err }) : new System(msg, { cause: err });
        }
        throw err;
      }
      const text = Buffer.from(`${err instanceof ExecStartError ? `OCI runtime exec failed: ${err.message}: unknown` : messageOf(err)}\r\n`);
      if (!conn.destroyed) conn.end(tty ? text : stdcopyFrame(StdStream.Stdout, text));
      return;
    }
    const exited = this.#monitor(e, container);
    if (conn === undefined) return;
    await Promise.all([pumped, exited]);
    if (!conn.destroyed) conn.end();
  }

  async #monitor(e: ExecRecord, container: ContainerRecord): Promise<void> {
    const s = e.session!;
    let code: number;
    try {
      code = await s.conmon.wait(s.paths);
    } catch (err) {
      this.#o.logger.warn('exec monitor', { id: e.id, err: messageOf(err) });
      code = 255;
    }
    e.running = false;
    e.exitCode = code;
    this.#o.emit('exec_die', container, { execID: e.id, exitCode: String(code) });
    await rm(s.paths.bundle, { recursive: true, force: true }).catch((err: unknown) => this.#o.logger.warn('exec cleanup', { id: e.id, err: messageOf(err) }));
  }

  /**
   * Runs `argv` in a running container as an attached exec and collects its stdout and stderr
   * (health probes). After `timeoutMs` the probe counts as failed (exit code -1), its stream is
   * dropped and its process killed, as moby cancels an overrunning probe.
   */
  async probe(containerId: string, argv: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const { Id } = this.create(containerId, { Cmd: argv, AttachStdout: true, AttachStderr: true });
    const decoder = new StdcopyDecoder();
    const chunks: Buffer[] = [];
    const conn = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        for (const f of decoder.push(chunk)) chunks.push(f.payload);
        cb();
      },
    });
    conn.push(null); // no stdin
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const r = await Promise.race([this.start(Id, { conn }).then(() => 'done' as const), timedOut]);
      if (r === 'timeout') {
        conn.destroy();
        // moby cancels a probe that overran: kill it, so slow probes do not pile up in the container.
        const e = this.#execs.get(Id);
        void e?.started.then(() => {
          if (e.running && e.pid > 0) {
            try {
              process.kill(e.pid, 'SIGKILL');
            } catch (err) {
              if (!isErrno(err, 'ESRCH')) this.#o.logger.warn('killing a timed-out probe', { id: Id, err: messageOf(err) });
            }
          }
          setTimeout(() => this.#execs.delete(Id), 60_000).unref();
        });
        return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
      }
    } finally {
      clearTimeout(timer);
    }
    const e = this.#execs.get(Id);
    this.#execs.delete(Id);
    return { exitCode: e?.exitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
  }

  /** Resizes the exec's pty; waits (up to 10 s) for a start that is under way, as dockerd does. */
  async resize(id: string, size: { height: number; width: number }): Promise<void> {
    const e = this.#get(id);
    const ready = await Promise.race([e.started.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000).unref())]);
    if (!ready) throw new Conflict('timeout waiting for exec session ready');
    if (!e.running || e.session === undefined) throw new Conflict(`Exec ${id} is not running`);
    if (e.config.Tty !== true) return;
    if (!existsSync(e.session.paths.ctlFifo)) throw new Conflict(`Exec ${id} is not running`);
    await e.session.conmon.resize(e.session.paths, size);
  }
}
