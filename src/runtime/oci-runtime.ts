/**
 * The low-level OCI runtime (runc, crun) driven through its command line.
 *
 * Vocabulary: a *bundle* is a directory with config.json (and usually the rootfs); the runtime
 * keeps its own per-container *state* under `root` (`<execRoot>/runtime-<name>`, never the
 * default /run/runc or /run/crun, so estiba's containers never collide with docker's or
 * podman's). Lifecycle: create → start → (pause ⇄ resume) → process exits → delete.
 * `kill` and `delete --force` work in any state.
 *
 * Errors: a missing container rejects with NotFound; an operation the state forbids (start
 * twice, pause a stopped one) with Conflict; anything else with System carrying the runtime's
 * stderr. Calls for different containers may run concurrently; calls for one container should
 * be serialized by the caller (the runtimes take their own file locks, but the caller owns
 * the state machine).
 *
 * @module
 */
import { join } from 'node:path';
import { Conflict, NotFound, System } from '../errdefs/index.js';
import { execCommand, lookPath, type ExecError } from '../util/exec.js';

/** `runc state` / `crun state` output. */
export interface RuntimeState {
  ociVersion: string;
  id: string;
  /** 0 once stopped. */
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  rootfs?: string;
  created?: string;
  owner?: string;
  annotations?: Record<string, string>;
}

export interface CreateOptions {
  bundle: string;
  pidFile: string;
  /** A unix socket that receives the pty master (terminal: true in config.json). */
  consoleSocket?: string;
  noPivot?: boolean;
}

export interface OciRuntime {
  /** `runc` or `crun`. */
  readonly name: string;
  /** The binary. */
  readonly path: string;
  /** The runtime's state directory (`--root`). */
  readonly root: string;
  /** Global flags (before the subcommand), for whoever execs the runtime itself (conmon). */
  globalArgs(): string[];
  create(id: string, opts: CreateOptions): Promise<void>;
  start(id: string): Promise<void>;
  /** Signal by name (`TERM`, `SIGKILL`) or number; `all` signals every process in the container. */
  kill(id: string, signal: string | number, opts?: { all?: boolean }): Promise<void>;
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  state(id: string): Promise<RuntimeState>;
  list(): Promise<RuntimeState[]>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Host PIDs of the container's processes. */
  ps(id: string): Promise<number[]>;
  /** Changes a running container's cgroup limits (`update --resources -`, OCI LinuxResources JSON). */
  update(id: string, resources: object): Promise<void>;
}

export interface CliRuntimeOptions {
  /** Default: the name, looked up in PATH now (conmon needs an absolute path). */
  path?: string;
  /** estiba's exec root (e.g. /run/estiba); the runtime's state goes in `<execRoot>/runtime-<name>`. */
  execRoot: string;
  systemdCgroup?: boolean;
  /** Per-call limit in ms (default 60 s): a wedged runtime must not hang the daemon. */
  timeoutMs?: number;
}

const NOT_FOUND = /does not exist|container not found|no such file or directory|not found/i;
const WRONG_STATE = /not running|is not paused|already paused|cannot start|already running|not stopped|is paused|container is in state|already exists|is running/i;

export class CliRuntime implements OciRuntime {
  readonly name: string;
  readonly path: string;
  readonly root: string;
  readonly #systemdCgroup: boolean;
  readonly #timeoutMs: number;

  constructor(name: 'runc' | 'crun' | string, opts: CliRuntimeOptions) {
    this.name = name;
    this.path = lookPath(opts.path ?? name);
    this.root = join(opts.execRoot, `runtime-${name}`);
    this.#systemdCgroup = opts.systemdCgroup ?? false;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
  }

  globalArgs(): string[] {
    return ['--root', this.root, ...(this.#systemdCgroup ? ['--systemd-cgroup'] : [])];
  }

  async create(id: string, opts: CreateOptions): Promise<void> {
    const args = ['create', '--bundle', opts.bundle, '--pid-file', opts.pidFile];
    if (opts.consoleSocket !== undefined) args.push('--console-socket', opts.consoleSocket);
    if (opts.noPivot === true) args.push('--no-pivot');
    await this.#run(id, 'create', [...args, id]);
  }

  async start(id: string): Promise<void> {
    await this.#run(id, 'start', ['start', id]);
  }

  async kill(id: string, signal: string | number, opts: { all?: boolean } = {}): Promise<void> {
    const sig = typeof signal === 'number' ? String(signal) : signal.replace(/^SIG/i, '').toUpperCase();
    await this.#run(id, 'kill', ['kill', ...(opts.all === true ? ['--all'] : []), id, sig]);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.#run(id, 'delete', ['delete', ...(opts.force === true ? ['--force'] : []), id]);
  }

  async state(id: string): Promise<RuntimeState> {
    const out = await this.#run(id, 'state', ['state', id]);
    return parseJson<RuntimeState>(out, `${this.name} state ${id}`);
  }

  async list(): Promise<RuntimeState[]> {
    const out = await this.#run('', 'list', ['list', '--format', 'json']);
    const parsed = parseJson<RuntimeState[] | null>(out.trim() === '' ? 'null' : out, `${this.name} list`);
    return parsed ?? [];
  }

  async pause(id: string): Promise<void> {
    await this.#run(id, 'pause', ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.#run(id, 'resume', ['resume', id]);
  }

  async ps(id: string): Promise<number[]> {
    const out = await this.#run(id, 'ps', ['ps', '--format', 'json', id]);
    const parsed = parseJson<number[] | null>(out.trim() === '' ? 'null' : out, `${this.name} ps ${id}`);
    return parsed ?? [];
  }

  async update(id: string, resources: object): Promise<void> {
    await this.#run(id, 'update', ['update', '--resources', '-', id], JSON.stringify(resources));
  }

  async #run(id: string, op: string, args: string[], stdin?: string): Promise<string> {
    const argv = [...this.globalArgs(), ...args];
    try {
      return (await execCommand(this.path, argv, { timeoutMs: this.#timeoutMs, ...(stdin !== undefined ? { input: stdin } : {}) })).stdout;
    } catch (e) {
      const err = e as ExecError;
      const detail = (err.stderr?.trim() || err.message).split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ');
      const message = `${this.name} ${op}${id !== '' ? ` ${id}` : ''}: ${detail}`;
      if (err.code === 'ENOENT') throw new NotFound(`OCI runtime ${this.path} not found`, { cause: err });
      if (op !== 'create' && NOT_FOUND.test(detail)) throw new NotFound(message, { cause: err });
      if (WRONG_STATE.test(detail)) throw new Conflict(message, { cause: err });
      throw new System(message, { cause: err });
    }
  }
}

export { lookPath };

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new System(`${what}: unexpected output ${JSON.stringify(text.slice(0, 200))}`, { cause: err });
  }
}

export function runc(opts: CliRuntimeOptions): OciRuntime {
  return new CliRuntime('runc', opts);
}

export function crun(opts: CliRuntimeOptions): OciRuntime {
  return new CliRuntime('crun', opts);
}
