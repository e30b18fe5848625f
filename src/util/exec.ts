/**
 * Running short commands (mount, umount, `runc start`/`delete`/`kill`, netavark, iptables …) to
 * their end, without forking the daemon for each one.
 *
 * Node's child_process forks the whole daemon before exec, on the event loop's thread, and the
 * fork copies the page tables: measured here, 2 ms per spawn at 50 MB RSS, 9.5 ms at 150 MB,
 * 30 ms at 450 MB — time during which no request is served. A `docker run --rm` needs four
 * such commands. So commands go to one long-lived python3 process (small, and its subprocess
 * uses vfork), which runs each in a thread and answers with the exit status and the output;
 * one JSON line each way (docs/adr/0013-spawner.md). Without python3, or if it cannot start,
 * commands fall back to child_process.execFile.
 *
 * @module
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ExecOptions {
  /** Written to the command's stdin (closed after). Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Killed (SIGKILL) after this long; the error has `killed: true`. */
  timeoutMs?: number;
  cwd?: string;
  /** The whole environment; default the daemon's. */
  env?: NodeJS.ProcessEnv;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

/**
 * A command that failed, shaped like child_process.execFile's error: `code` is the exit status
 * (or an errno name such as `ENOENT` when it could not start), `signal` what killed it.
 */
export interface ExecError extends Error {
  code?: number | string;
  signal?: NodeJS.Signals | null;
  killed?: boolean;
  stdout: string;
  stderr: string;
}

/** Runs `file args` to its end; rejects with an {@link ExecError} unless it exits 0. */
export function execCommand(file: string, args: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
  return spawner.run(file, args, o);
}

const SPAWNER_PY = `
import base64, json, subprocess, sys, threading
lock = threading.Lock()
def reply(obj):
    data = (json.dumps(obj, separators=(',', ':')) + '\\n').encode()
    with lock:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
def run(req):
    rid = req['id']
    inp = req.get('input')
    try:
        p = subprocess.Popen(req['argv'], stdin=subprocess.DEVNULL if inp is None else subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=req.get('env'), cwd=req.get('cwd'))
    except OSError as e:
        reply({'id': rid, 'errno': e.errno, 'error': e.strerror or str(e)})
        return
    killed = False
    try:
        out, err = p.communicate(None if inp is None else base64.b64decode(inp), timeout=req.get('timeout'))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        killed = True
    rc = p.returncode
    reply({'id': rid, 'code': rc, 'killed': killed, 'stdout': base64.b64encode(out).decode(), 'stderr': base64.b64encode(err).decode()})
for line in sys.stdin.buffer:
    threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()
`;

interface SpawnerReply {
  id: number;
  code?: number;
  killed?: boolean;
  stdout?: string;
  stderr?: string;
  errno?: number;
  error?: string;
}

const ERRNO_NAMES: Record<number, string> = { 2: 'ENOENT', 13: 'EACCES', 8: 'ENOEXEC', 20: 'ENOTDIR' };
const SIGNAL_NAMES: Record<number, NodeJS.Signals> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

function execError(file: string, args: readonly string[], r: { code?: number | string; signal?: NodeJS.Signals | null; killed?: boolean; stdout: string; stderr: string; reason?: string }): ExecError {
  const cmd = [file, ...args].join(' ');
  const err = new Error(r.reason !== undefined ? `spawn ${file} ${r.reason}` : `Command failed: ${cmd}\n${r.stderr}`) as ExecError;
  if (r.code !== undefined) err.code = r.code;
  err.signal = r.signal ?? null;
  err.killed = r.killed === true;
  err.stdout = r.stdout;
  err.stderr = r.stderr;
  return err;
}

/** child_process.execFile, the fallback (and the reference for the error's shape). */
function execFileOnce(file: string, args: readonly string[], o: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      [...args],
      { maxBuffer: 64 * 1024 * 1024, ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs, killSignal: 'SIGKILL' } : {}), ...(o.cwd !== undefined ? { cwd: o.cwd } : {}), ...(o.env !== undefined ? { env: o.env } : {}) },
      (err, stdout, stderr) => {
        if (err === null) resolve({ stdout, stderr });
        else reject(Object.assign(err, { stdout, stderr }));
      },
    );
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}

class Spawner {
  #child: ChildProcessWithoutNullStreams | undefined;
  #disabled = process.env.ESTIBA_SPAWNER === 'off';
  #nextId = 1;
  /** Whether the current helper has answered anything: one that dies before is broken, not busy. */
  #answered = false;
  readonly #pending = new Map<number, { file: string; args: readonly string[]; o: ExecOptions; resolve: (r: ExecResult) => void; reject: (e: unknown) => void }>();

  run(file: string, args: readonly string[], o: ExecOptions): Promise<ExecResult> {
    const child = this.#disabled ? undefined : this.#ensure();
    if (child === undefined) return execFileOnce(file, args, o);
    const id = this.#nextId++;
    const req = {
      id,
      argv: [file, ...args],
      ...(o.input !== undefined ? { input: Buffer.from(o.input).toString('base64') } : {}),
      ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs / 1000 } : {}),
      ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
      ...(o.env !== undefined ? { env: Object.fromEntries(Object.entries(o.env).filter(([, v]) => v !== undefined)) } : {}),
    };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { file, args, o, resolve, reject });
      if (this.#pending.size === 1) this.#ref(true);
      child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  #ensure(): ChildProcessWithoutNullStreams | undefined {
    if (this.#child !== undefined) return this.#child;
    let child: ChildProcessWithoutNullStreams;
    try {
      // The system's python3, not a version manager's shim in the daemon's PATH (slower to start).
      child = spawn(lookPath('python3'), ['-I', '-u', '-c', SPAWNER_PY], { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch {
      this.#disabled = true;
      return undefined;
    }
    child.on('error', () => {
      // python3 could not start: none of the commands sent ran; they and all later ones go the slow way.
      this.#disabled = true;
      this.#gone(child, { ran: false });
    });
    child.on('exit', () => {
      // Dying before any answer is a helper that cannot run here (it reads nothing before it is up).
      if (!this.#answered) this.#disabled = true;
      this.#gone(child, { ran: this.#answered });
    });
    child.stdin.on('error', () => undefined); // the exit handles it
    child.stderr.resume();
    createInterface({ input: child.stdout }).on('line', (line) => this.#answer(line));
    this.#child = child;
    this.#answered = false;
    // Idle, it must not keep a CLI or a test process alive; busy, it must (#ref).
    child.unref();
    this.#ref(false);
    return child;
  }

  #ref(on: boolean): void {
    const c = this.#child;
    if (c === undefined) return;
    for (const s of [c.stdin, c.stdout, c.stderr] as unknown as Socket[]) {
      if (on) s.ref();
      else s.unref();
    }
  }

  #answer(line: string): void {
    this.#answered = true;
    const r = JSON.parse(line) as SpawnerReply;
    const p = this.#pending.get(r.id);
    if (p === undefined) return;
    this.#pending.delete(r.id);
    if (this.#pending.size === 0) this.#ref(false);
    if (r.errno !== undefined) {
      const code = ERRNO_NAMES[r.errno] ?? `errno ${r.errno}`;
      p.reject(execError(p.file, p.args, { code, stdout: '', stderr: '', reason: code }));
      return;
    }
    const stdout = Buffer.from(r.stdout ?? '', 'base64').toString();
    const stderr = Buffer.from(r.stderr ?? '', 'base64').toString();
    const rc = r.code ?? 0;
    if (rc === 0 && r.killed !== true) p.resolve({ stdout, stderr });
    else if (rc < 0) p.reject(execError(p.file, p.args, { signal: SIGNAL_NAMES[-rc] ?? null, killed: r.killed === true, stdout, stderr }));
    else p.reject(execError(p.file, p.args, { code: rc, killed: r.killed === true, stdout, stderr }));
  }

  /**
   * The helper is gone; the next command starts a new one. Commands it may have run fail (running
   * `runc kill` twice is not the same as once); commands it never ran go the slow way.
   */
  #gone(child: ChildProcessWithoutNullStreams, o: { ran: boolean }): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      if (!o.ran) execFileOnce(p.file, p.args, p.o).then(p.resolve, p.reject);
      else p.reject(execError(p.file, p.args, { stdout: '', stderr: '', reason: 'failed: the command runner (python3) exited while it ran' }));
    }
  }
}

/** An absolute path for `bin`: itself if absolute, else the first executable match in PATH (or `bin` unchanged). */
export function lookPath(bin: string, pathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): string {
  if (isAbsolute(bin) || bin.includes('/')) return bin;
  for (const dir of pathEnv.split(':')) {
    const candidate = join(dir, bin);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (err) {
      // Not in this directory; try the next.
      void err;
    }
  }
  return bin;
}

const spawner = new Spawner();
