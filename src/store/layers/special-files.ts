/**
 * The file operations Node lacks: mknod (devices, fifos, overlay whiteouts) and lsetxattr.
 *
 * The default implementation runs one python3 helper per layer, started on first use and fed one
 * JSON request per line, so a layer with thousands of whiteouts costs one process, not thousands.
 * Without python3 it falls back to one coreutils `mknod`/`mkfifo` or attr `setfattr` process per
 * operation. Failures reject with a Node-style errno error (`code` = 'EEXIST', 'ENOTSUP' …);
 * a missing tool rejects with NotImplemented.
 */
import { spawn, execFile, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { NotImplemented, System, isErrno } from '../../errdefs/index.js';
import { lookPath } from '../../util/exec.js';

export interface DeviceNode {
  type: 'char' | 'block' | 'fifo';
  /** Permission bits, including setuid/setgid/sticky. */
  mode: number;
  major: number;
  minor: number;
}

export interface SpecialFiles {
  mknod(path: string, node: DeviceNode): Promise<void>;
  /** Sets an extended attribute on `path` itself, never on a symlink's target. */
  setxattr(path: string, name: string, value: Uint8Array): Promise<void>;
  /** Stops any helper process; safe to call more than once. */
  close(): Promise<void>;
}

/** python3 if it can be started, else one external process per operation. */
export function createSpecialFiles(opts: { python?: string } = {}): SpecialFiles {
  // The system's python3 by path: a version manager's shim in PATH (pyenv's) costs ~180 ms a start.
  const python = pythonSpecialFiles(opts.python ?? lookPath('python3'));
  const fallback = execSpecialFiles();
  let useFallback = false;
  const run = async (op: (impl: SpecialFiles) => Promise<void>): Promise<void> => {
    if (!useFallback) {
      try {
        return await op(python);
      } catch (err) {
        if (!(err instanceof HelperUnavailable)) throw err;
        useFallback = true;
      }
    }
    return op(fallback);
  };
  return {
    mknod: (path, node) => run((impl) => impl.mknod(path, node)),
    setxattr: (path, name, value) => run((impl) => impl.setxattr(path, name, value)),
    close: () => python.close(),
  };
}

class HelperUnavailable extends Error {}

function errnoError(code: string, message: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, ${syscall} '${path}'`), { code, syscall, path });
}

const HELPER = `
import errno, json, os, stat, sys
kinds = {"char": stat.S_IFCHR, "block": stat.S_IFBLK, "fifo": stat.S_IFIFO}
for line in sys.stdin:
    r = json.loads(line)
    path = bytes.fromhex(r["path"])
    try:
        if r["op"] == "mknod":
            os.mknod(path, kinds[r["type"]] | r["mode"], os.makedev(r["major"], r["minor"]))
        else:
            os.setxattr(path, bytes.fromhex(r["name"]).decode(), bytes.fromhex(r["value"]), follow_symlinks=False)
        out = {}
    except OSError as e:
        out = {"code": errno.errorcode.get(e.errno, "EIO"), "message": e.strerror or ""}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
`;

interface Reply {
  code?: string;
  message?: string;
}

/** One long-lived python3 process answering requests in order. */
export function pythonSpecialFiles(python: string): SpecialFiles {
  let child: ChildProcessByStdio<Writable, Readable, Readable> | undefined;
  let started: Promise<void> | undefined;
  let exited: Promise<void> = Promise.resolve();
  let failure: Error | undefined;
  const waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];

  const start = (): Promise<void> => {
    const proc = spawn(python, ['-I', '-c', HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
    child = proc;
    let stderr = '';
    let buffered = '';
    proc.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-2000);
    });
    proc.stdout.setEncoding('utf8').on('data', (s: string) => {
      buffered += s;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const w = waiting.shift();
        try {
          w?.resolve(JSON.parse(line) as Reply);
        } catch (err) {
          w?.reject(new System(`special file helper: bad reply ${JSON.stringify(line)}`, { cause: err }));
        }
      }
    });
    // Writes after an early exit fail with EPIPE; the exit handler below reports why.
    proc.stdin.on('error', () => undefined);
    exited = new Promise((resolve) => proc.once('close', () => resolve()));
    proc.once('close', (code, signal) => {
      failure ??= new System(`special file helper exited (${signal ?? code ?? 'unknown'}): ${stderr.trim()}`);
      for (const w of waiting.splice(0)) w.reject(failure);
    });
    return new Promise((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', (err) => {
        failure = isErrno(err, 'ENOENT') ? new HelperUnavailable(`${python} not found`) : err;
        reject(failure);
      });
    });
  };

  const request = async (req: Record<string, unknown>, syscall: string, path: string): Promise<void> => {
    started ??= start();
    await started;
    if (failure !== undefined || child === undefined) throw failure ?? new System('special file helper is not running');
    const proc = child;
    const reply = await new Promise<Reply>((resolve, reject) => {
      waiting.push({ resolve, reject });
      proc.stdin.write(JSON.stringify(req) + '\n');
    });
    if (reply.code !== undefined) throw errnoError(reply.code, reply.message ?? '', syscall, path);
  };

  const hex = (s: string | Uint8Array): string => Buffer.from(s).toString('hex');
  return {
    mknod: (path, node) => request({ op: 'mknod', path: hex(path), ...node }, 'mknod', path),
    setxattr: (path, name, value) =>
      request({ op: 'setxattr', path: hex(path), name: hex(name), value: hex(value) }, 'lsetxattr', path),
    async close() {
      if (child === undefined) return;
      failure ??= new System('special file helper closed');
      child.stdin.end();
      await exited;
    },
  };
}

/** One coreutils `mknod`/`mkfifo` or attr `setfattr` process per operation. */
export function execSpecialFiles(): SpecialFiles {
  const run = (file: string, args: string[], path: string): Promise<void> =>
    new Promise((resolve, reject) => {
      execFile(file, args, (err, _stdout, stderr) => {
        if (err === null) return resolve();
        if (isErrno(err, 'ENOENT')) return reject(new NotImplemented(`${file} not found: cannot create ${path}`));
        const message = stderr.trim() || err.message;
        // The tools print strerror text; map the cases callers handle.
        const code = /File exists/.test(message) ? 'EEXIST' : /not supported/i.test(message) ? 'ENOTSUP' : /not permitted/.test(message) ? 'EPERM' : 'EIO';
        reject(errnoError(code, message, file, path));
      });
    });
  return {
    mknod: (path, node) => {
      const mode = ['-m', (node.mode & 0o7777).toString(8)];
      if (node.type === 'fifo') return run('mkfifo', [...mode, '--', path], path);
      return run('mknod', [...mode, '--', path, node.type === 'char' ? 'c' : 'b', String(node.major), String(node.minor)], path);
    },
    setxattr: (path, name, value) =>
      run('setfattr', ['-h', '-n', name, '-v', `0x${Buffer.from(value).toString('hex')}`, '--', path], path),
    close: async () => undefined,
  };
}
