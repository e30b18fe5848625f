/**
 * Spawning CLIs for measurement: the child's wall time from spawn to exit, stdout and stderr
 * captured (as a terminal would receive them), no inherited DOCKER_* variables.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Spawn to exit, in seconds. */
  seconds: number;
}

export interface CliOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Send stdout to /dev/null instead of capturing it (`stdout` is then empty). */
  discardStdout?: boolean;
}

/** process.env minus DOCKER_* (a stray DOCKER_CONTEXT would redirect the client). */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DOCKER_')) env[k] = v;
  return { ...env, ...extra };
}

export function runCli(bin: string, args: readonly string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, [...args], { env: opts.env, stdio: ['ignore', opts.discardStdout === true ? 'ignore' : 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')}: no exit after ${opts.timeoutMs ?? 300_000} ms`));
    }, opts.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const seconds = (performance.now() - t0) / 1000;
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        seconds,
      });
    });
  });
}

/** docker CLI 28 (/usr/local/bin/docker), else Debian's 20.10 (/usr/bin/docker). */
export function findDockerCli(): string {
  for (const p of ['/usr/local/bin/docker', '/usr/bin/docker']) if (existsSync(p)) return p;
  throw new Error('no docker CLI found at /usr/local/bin/docker or /usr/bin/docker');
}
