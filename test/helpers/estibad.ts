import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

/** Repository root, from dist/test/helpers/ or test/helpers/. */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..');
export const ESTIBAD = join(REPO_ROOT, 'dist', 'bin', 'estibad.js');
export const ESTIBA = join(REPO_ROOT, 'dist', 'bin', 'estiba.js');

export interface EstibadProcess {
  host: string;
  socket: string;
  dataRoot: string;
  execRoot: string;
  child: ChildProcess;
  /** Everything the daemon wrote to stderr (its JSON log). */
  log(): string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
  /** Remove the roots (after stop). */
  cleanup(): Promise<void>;
}

/**
 * Every test daemon gets its own default bridge (name and subnet), so that daemons of parallel
 * test runs never share or fight over one; a test that names its own keeps it.
 */
export function testNetworkArgs(args: readonly string[]): string[] {
  if (args.includes('--bip') || args.includes('--bridge-name')) return [];
  const r = randomBytes(3);
  return ['--bridge-name', `estt${r.toString('hex')}`, '--bip', `10.${200 + (r[0]! % 50)}.${r[1]!}.1/24`];
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolveP) => {
    const req = http.get({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolveP(res.statusCode === 200);
    });
    req.on('error', () => resolveP(false));
    req.on('timeout', () => {
      req.destroy();
      resolveP(false);
    });
  });
}

/**
 * Start a real estibad process on fresh temp roots (or the given ones, for restart tests)
 * and wait until it answers /_ping.
 */
export async function startEstibad(o: { dataRoot?: string; execRoot?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<EstibadProcess> {
  const dataRoot = o.dataRoot ?? (await mkdtemp(join(tmpdir(), 'estiba-data-')));
  const execRoot = o.execRoot ?? (await mkdtemp(join(tmpdir(), 'estiba-exec-')));
  const socket = join(execRoot, 'estiba.sock');
  const child = spawn(process.execPath, [ESTIBAD, '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${socket}`, ...testNetworkArgs(o.args ?? []), ...(o.args ?? [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(o.env ? { env: o.env } : {}),
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Roots made here go if the daemon never comes up; given ones belong to the caller.
  const removeOwnRoots = async (): Promise<void> => {
    if (o.dataRoot === undefined) await rm(dataRoot, { recursive: true, force: true });
    if (o.execRoot === undefined) await rm(execRoot, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await removeOwnRoots();
      throw new Error(`estibad exited with ${child.exitCode}: ${log}`);
    }
    if (existsSync(socket) && (await ping(socket))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      await removeOwnRoots();
      throw new Error(`estibad did not answer /_ping within 15 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `unix://${socket}`,
    socket,
    dataRoot,
    execRoot,
    child,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // estibad gives itself 10 s to shut down; past 20 s it is a hang to report, not to wait on.
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    async cleanup() {
      await rm(dataRoot, { recursive: true, force: true });
      await rm(execRoot, { recursive: true, force: true });
    },
  };
}
