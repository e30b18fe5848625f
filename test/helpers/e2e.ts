/**
 * Small helpers for the end-to-end tests: checking that the real clients are installed (a missing
 * one fails the test with a clear message; it never skips), free TCP ports, and running a
 * program with its output collected.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import net from 'node:net';
import { constants as osConstants } from 'node:os';
import { types } from 'node:util';

/** Throws unless `path` is an executable file; `hint` says how to get it. */
export function requireExecutable(path: string, hint: string): void {
  try {
    accessSync(path, fsConstants.X_OK);
  } catch (err) {
    if (types.isNativeError(err) && 'code' in err && (err.code === 'ENOENT' || err.code === 'EACCES')) {
      throw new Error(`${path} is required by this test but is not installed (${hint}; scripts/setup.sh installs it)`, { cause: err });
    }
    throw err;
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code; 128 + signal number when killed by a signal. */
  code: number;
}

/** Runs a program to completion with its output collected; rejects only if it cannot start or times out. */
export function run(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string | Uint8Array; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} ${args.join(' ')}: no exit after ${timeoutMs} ms; stderr so far: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? 128 + (signal ? osConstants.signals[signal] : 0),
      });
    });
    // A program that exits without reading its input gives EPIPE: its exit code tells the story.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

/** process.env without DOCKER_* (a stray DOCKER_HOST or DOCKER_TLS_VERIFY would redirect the clients). */
export function envWithoutDocker(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  return { ...env, DOCKER_CLI_HINTS: 'false', ...extra };
}
