/**
 * The commands that join a container's or an exec's stdio: `start` (with -a/-i, or plain),
 * `attach` and `exec` (docker/cli start.go, attach.go, exec.go).
 *
 * @module
 */
import type { ContainerWaitResponse } from '../../../api/containers.js';
import { isErrno, messageOf } from '../../../errdefs/index.js';
import {
  containerAttach, containerInspect, containerResize, containerStart, containerWait, execCreate, execInspect, execResize,
  execStartAttached, execStartDetached,
} from '../../../client/containers.js';
import { defineCommand, type CliContext } from '../../command.js';
import { daemonError } from '../../errors.js';
import { monitorTtySize, streamSession, terminalSize } from './hijack.js';
import { parseEnvFileText, resolveEnv } from './opts.js';
import { proxySignals } from './run.js';
import { readFileSync } from 'node:fs';

const detachKeysFlag = { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container', valueName: 'string' } as const;

function isTty(s: unknown): boolean {
  return (s as { isTTY?: boolean }).isTTY === true;
}

/** An env file's text; a missing one is docker's `open X: no such file or directory`. */
function readEnvFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new Error(`open ${path}: no such file or directory`, { cause: err });
    throw err;
  }
}

function fail(ctx: CliContext, err: unknown): number {
  ctx.io.stderr.write(`${daemonError(err) ?? messageOf(err)}\n`);
  return 1;
}

async function startAttached(ctx: CliContext, name: string, o: { interactive: boolean; detachKeys: string }): Promise<number> {
  const client = ctx.client();
  const c = await containerInspect(client, name);
  const stdin = o.interactive && c.Config.OpenStdin === true;
  const tty = c.Config.Tty === true;
  if (stdin && tty && !isTty(ctx.io.stdin)) throw new Error('the input device is not a TTY');
  const session = await containerAttach(client, c.Id, { stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
  const stopWaiting = new AbortController();
  const waiting = await containerWait(client, c.Id, c.HostConfig.AutoRemove ? 'removed' : 'next-exit', stopWaiting.signal);
  const status: Promise<ContainerWaitResponse | Error> = waiting.result.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const streaming = streamSession(ctx.io, session, { tty, stdin, stdout: true, stderr: true, detachKeys: o.detachKeys });
  const stopSignals = !tty ? proxySignals(ctx, c.Id) : () => undefined;
  try {
    await containerStart(client, c.Id);
  } catch (err) {
    session.socket.destroy();
    await streaming.catch(() => undefined);
    if (c.HostConfig.AutoRemove) await status;
    else stopWaiting.abort();
    stopSignals();
    throw err;
  }
  const stopResize = tty && terminalSize(ctx.io) ? monitorTtySize(ctx.io, (s) => containerResize(client, c.Id, s)) : () => undefined;
  try {
    if ((await streaming).detached) {
      stopWaiting.abort();
      return 0;
    }
    const s = await status;
    if (s instanceof Error) throw s;
    return s.StatusCode;
  } finally {
    stopResize();
    stopSignals();
  }
}

export const startCommand = defineCommand({
  path: ['container', 'start'],
  aliases: [['start']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  minArgs: 1,
  flags: [
    { name: 'attach', short: 'a', type: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'checkpoint', type: 'string', description: 'Restore from this checkpoint', valueName: 'string' },
    { name: 'checkpoint-dir', type: 'string', description: 'Use a custom checkpoint storage directory', valueName: 'string' },
    detachKeysFlag,
    { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
  ] as const,
  async run(ctx, v, args) {
    if (v.attach || v.interactive) {
      if (args.length > 1) return fail(ctx, new Error('you cannot start and attach multiple containers at once'));
      try {
        return await startAttached(ctx, args[0]!, { interactive: v.interactive, detachKeys: v['detach-keys'] });
      } catch (err) {
        return fail(ctx, err);
      }
    }
    const failed: string[] = [];
    for (const n of args) {
      try {
        await containerStart(ctx.client(), n);
        ctx.io.stdout.write(`${n}\n`);
      } catch (err) {
        ctx.io.stderr.write(`${daemonError(err) ?? messageOf(err)}\n`);
        failed.push(n);
      }
    }
    if (failed.length === 0) return 0;
    ctx.io.stderr.write(`Error: failed to start containers: ${failed.join(', ')}\n`);
    return 1;
  },
});

export const attachCommand = defineCommand({
  path: ['container', 'attach'],
  aliases: [['attach']],
  usage: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    detachKeysFlag,
    { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy all received signals to the process' },
  ] as const,
  async run(ctx, v, args) {
    const client = ctx.client();
    try {
      const c = await containerInspect(client, args[0]!);
      if (!c.State.Running) throw new Error('You cannot attach to a stopped container, start it first');
      if (c.State.Paused) throw new Error('You cannot attach to a paused container, unpause it first');
      if (c.State.Restarting) throw new Error('You cannot attach to a restarting container, wait until it is running');
      const tty = c.Config.Tty === true;
      const stdin = !v['no-stdin'] && c.Config.OpenStdin === true;
      if (stdin && tty && !isTty(ctx.io.stdin)) throw new Error('the input device is not a TTY');
      const stopWaiting = new AbortController();
      const waiting = await containerWait(client, c.Id, 'not-running', stopWaiting.signal);
      const status: Promise<ContainerWaitResponse | Error> = waiting.result.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      const session = await containerAttach(client, args[0]!, { stdin, stdout: true, stderr: true, detachKeys: v['detach-keys'] });
      const stopResize = tty && terminalSize(ctx.io) ? monitorTtySize(ctx.io, (s) => containerResize(client, c.Id, s)) : () => undefined;
      const stopSignals = v['sig-proxy'] && !tty ? proxySignals(ctx, c.Id) : () => undefined;
      try {
        const r = await streamSession(ctx.io, session, { tty, stdin, stdout: true, stderr: true, detachKeys: v['detach-keys'] });
        if (r.detached) {
          stopWaiting.abort();
          return 0;
        }
        const s = await status;
        if (s instanceof Error) throw s;
        return s.StatusCode;
      } finally {
        stopResize();
        stopSignals();
      }
    } catch (err) {
      return fail(ctx, err);
    }
  },
});

export const execCommand = defineCommand({
  path: ['container', 'exec'],
  aliases: [['exec']],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  minArgs: 2,
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
    detachKeysFlag,
    { name: 'env', short: 'e', type: 'stringArray', description: 'Set environment variables', valueName: 'list' },
    { name: 'env-file', type: 'stringArray', description: 'Read in a file of environment variables', valueName: 'list' },
    { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")', valueName: 'string' },
    { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container', valueName: 'string' },
  ] as const,
  async run(ctx, v, args) {
    const client = ctx.client();
    const [name, ...cmd] = args as [string, ...string[]];
    try {
      const lookup = (k: string): string | undefined => process.env[k];
      const env = [
        ...v['env-file'].flatMap((f) => parseEnvFileText(readEnvFile(f), lookup)),
        ...v.env.map((e) => resolveEnv(e, lookup)),
      ];
      await containerInspect(client, name);
      if (!v.detach && v.interactive && v.tty && !isTty(ctx.io.stdin)) throw new Error('the input device is not a TTY');
      const size = v.tty ? terminalSize(ctx.io) : undefined;
      const consoleSize: [number, number] | undefined = size ? [size.height, size.width] : undefined;
      const { Id: execId } = await execCreate(client, name, {
        User: v.user,
        Privileged: v.privileged,
        Tty: v.tty,
        ConsoleSize: consoleSize ?? null,
        AttachStdin: v.interactive,
        AttachStdout: !v.detach,
        AttachStderr: !v.detach,
        DetachKeys: v['detach-keys'],
        Env: env.length > 0 ? env : null,
        WorkingDir: v.workdir,
        Cmd: cmd,
      });
      if (v.detach) {
        await execStartDetached(client, execId, { tty: v.tty, ...(consoleSize ? { consoleSize } : {}) });
        return 0;
      }
      const session = await execStartAttached(client, execId, { tty: v.tty, ...(consoleSize ? { consoleSize } : {}) });
      const stopResize = v.tty && size ? monitorTtySize(ctx.io, (s) => execResize(client, execId, s)) : () => undefined;
      try {
        const r = await streamSession(ctx.io, session, { tty: v.tty, stdin: v.interactive, stdout: true, stderr: true, detachKeys: v['detach-keys'] });
        if (r.detached) return 0;
      } finally {
        stopResize();
      }
      const info = await execInspect(client, execId);
      return info.ExitCode ?? 0;
    } catch (err) {
      return fail(ctx, err);
    }
  },
});
