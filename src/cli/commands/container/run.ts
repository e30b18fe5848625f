/**
 * `run` and `create` (docker/cli cli/command/container/run.go, create.go): flags → create body
 * (run-options.ts), pull when the image is missing, then for `run` attach, wait, start and
 * return the container's exit code. Failures before the process runs exit 125, or 126/127 when
 * the command cannot be run, as docker's do.
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ContainerWaitResponse } from '../../../api/containers.js';
import { isNotFound, messageOf } from '../../../errdefs/index.js';
import { jsonLines } from '../../../client/client.js';
import {
  containerAttach, containerCreate, containerKill, containerResize, containerStart, containerWait,
} from '../../../client/containers.js';
import { defineCommand, type CliContext, type ParsedExtras } from '../../command.js';
import { daemonError } from '../../errors.js';
import { buildCreateRequest, CONTAINER_FLAGS, RunOptionsError, type ContainerFlagValues, type CreateRequest } from './run-options.js';
import { monitorTtySize, streamSession, terminalSize } from './hijack.js';

/** An error `run`/`create` report as `estiba: <msg>` plus the help hint, with its exit code. */
export class RunError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

function runHint(cmd: string): string {
  return `\n\nRun 'estiba ${cmd} --help' for more information\n`;
}

/** docker's image reference with the default tag, as "Unable to find image" prints it. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const slash = ref.lastIndexOf('/');
  return ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

async function pull(ctx: CliContext, ref: string, quiet: boolean, platform: string): Promise<void> {
  const full = withDefaultTag(ref);
  const colon = full.lastIndexOf(':');
  const at = full.indexOf('@');
  const [fromImage, tag] = at >= 0 ? [full.slice(0, at), full.slice(at + 1)] : [full.slice(0, colon), full.slice(colon + 1)];
  const res = await ctx.client().raw({ method: 'POST', path: '/images/create', query: { fromImage, tag, platform: platform || undefined } });
  for await (const m of jsonLines<{ status?: string; id?: string; error?: string; errorDetail?: { message?: string } }>(res.body)) {
    if (m.error || m.errorDetail) throw new RunError(m.errorDetail?.message ?? m.error ?? 'unknown error', 125);
    if (!quiet && m.status) ctx.io.stderr.write(m.id ? `${m.id}: ${m.status}\n` : `${m.status}\n`);
  }
}

/** docker's validateAPIVersion/OS checks: Windows-only flags are refused by a Linux daemon. */
async function checkOsFlags(ctx: CliContext, changed: ReadonlySet<string>): Promise<void> {
  const windowsOnly = ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops'].filter((f) => changed.has(f));
  if (windowsOnly.length === 0) return;
  const os = (await ctx.client().ping()).osType ?? 'linux';
  if (os === 'windows') return;
  throw new RunError(windowsOnly.map((f) => `"--${f}" is only supported on a Docker daemon running on windows, but the Docker daemon is running on ${os}`).join('\n'), 1);
}

/** create, pulling the image first when the daemon has none of that name (--pull=missing). */
async function createContainer(ctx: CliContext, req: CreateRequest, v: ContainerFlagValues): Promise<string> {
  const image = String(req.body.Image);
  if (!['always', 'missing', 'never'].includes(v.pull)) {
    throw new RunError(`invalid pull option: '${v.pull}': must be one of "always", "missing" or "never"`, 125);
  }
  // docker refuses to overwrite a container ID file: another container may own it.
  if (v.cidfile !== '' && existsSync(v.cidfile)) {
    throw new RunError(`container ID file found, make sure the other container isn't running or delete ${v.cidfile}`, 1);
  }
  if (v.pull === 'always') await pull(ctx, image, v.quiet, req.platform);
  const create = (): ReturnType<typeof containerCreate> => containerCreate(ctx.client(), req.body, { name: req.name, platform: req.platform });
  let res;
  try {
    res = await create();
  } catch (err) {
    if (!isNotFound(err) || v.pull !== 'missing' || !/No such image/i.test(messageOf(err))) throw err;
    ctx.io.stderr.write(`Unable to find image '${withDefaultTag(image)}' locally\n`);
    await pull(ctx, image, v.quiet, req.platform);
    res = await create();
  }
  for (const w of res.Warnings ?? []) ctx.io.stderr.write(`WARNING: ${w}\n`);
  if (v.cidfile !== '') writeFileSync(v.cidfile, res.Id);
  return res.Id;
}

function request(ctx: CliContext, v: ContainerFlagValues, args: string[], changed: ReadonlySet<string>, detach: boolean): CreateRequest {
  const size = terminalSize(ctx.io);
  return buildCreateRequest(v, args, changed, {
    lookupEnv: (k) => process.env[k],
    readFile: (p) => readFileSync(p, 'utf8'),
    resolvePath: (p) => resolve(p),
    consoleSize: size ? [size.height, size.width] : [0, 0],
  }, { detach });
}

/** docker's runStartContainerErr: a command that cannot be found is 127, one that cannot run 126. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) return 127;
  if (/permission denied/.test(message)) return 126;
  return 125;
}

/** Reports a failure the way `docker run` does and returns its exit code. */
function report(ctx: CliContext, cmd: string, err: unknown): number {
  if (err instanceof RunOptionsError) {
    ctx.io.stderr.write(`estiba: ${err.message}${runHint(cmd)}`);
    return 125;
  }
  if (err instanceof RunError) {
    // Errors that are not about the container (docker returns them bare) exit 1.
    ctx.io.stderr.write(err.code === 1 ? `${err.message}\n` : `estiba: ${err.message}${runHint(cmd)}`);
    return err.code;
  }
  const msg = daemonError(err) ?? messageOf(err);
  ctx.io.stderr.write(`estiba: ${msg}${runHint(cmd)}`);
  return 125;
}

/** docker's ForwardAllSignals (non-TTY sessions): signals the CLI gets go to the container. */
export function proxySignals(ctx: CliContext, id: string): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = sigs.map((s) => {
    const h = (): void => void containerKill(ctx.client(), id, s).catch(() => undefined);
    process.on(s, h);
    return [s, h] as const;
  });
  return () => handlers.forEach(([s, h]) => process.off(s, h));
}

async function runContainer(ctx: CliContext, v: ContainerFlagValues & { detach: boolean; 'detach-keys': string; 'sig-proxy': boolean }, args: string[], extras: ParsedExtras): Promise<number> {
  if (v.detach && v.attach.length > 0) throw new RunError('conflicting options: cannot specify both --attach and --detach', 1);
  const req = request(ctx, v, args, extras.changed, v.detach);
  await checkOsFlags(ctx, extras.changed);
  const body = req.body as { AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean };
  if (!v.detach && body.AttachStdin && body.Tty && !(ctx.io.stdin as { isTTY?: boolean }).isTTY) {
    throw new RunError('the input device is not a TTY', 1);
  }
  const id = await createContainer(ctx, req, v);
  const client = ctx.client();
  if (v.detach) {
    try {
      await containerStart(client, id);
    } catch (err) {
      const msg = daemonError(err) ?? messageOf(err);
      throw new RunError(msg, startFailureCode(msg));
    }
    ctx.io.stdout.write(`${id}\n`);
    return 0;
  }

  // Signals are forwarded from before the start, as docker does: the process may already be
  // talking (and be signalled) before the start request has been answered.
  const stopSignals = v['sig-proxy'] && !body.Tty ? proxySignals(ctx, id) : () => undefined;
  try {
    return await attachAndStart(ctx, id, body, v);
  } finally {
    stopSignals();
  }
}

async function attachAndStart(
  ctx: CliContext,
  id: string,
  body: { AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean },
  v: { rm: boolean; 'detach-keys': string },
): Promise<number> {
  const client = ctx.client();
  const attach = body.AttachStdin || body.AttachStdout || body.AttachStderr;
  const session = attach
    ? await containerAttach(client, id, { stdin: body.AttachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: v['detach-keys'] })
    : undefined;
  const stopWaiting = new AbortController();
  const waiting = await containerWait(client, id, v.rm ? 'removed' : 'next-exit', stopWaiting.signal);
  // Ask for the result now: a failed wait must not go unhandled while the session runs.
  const status: Promise<ContainerWaitResponse | Error> = waiting.result.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const streaming = session
    ? streamSession(ctx.io, session, { tty: body.Tty, stdin: body.AttachStdin, stdout: body.AttachStdout, stderr: body.AttachStderr, detachKeys: v['detach-keys'] })
    : undefined;
  try {
    await containerStart(client, id);
  } catch (err) {
    session?.socket.destroy();
    await streaming?.catch(() => undefined);
    // With --rm the daemon removes the container: wait for that, as docker does; else stop waiting.
    if (v.rm) await status;
    else stopWaiting.abort();
    const msg = daemonError(err) ?? messageOf(err);
    throw new RunError(msg, startFailureCode(msg));
  }
  const stopResize = body.Tty && terminalSize(ctx.io) ? monitorTtySize(ctx.io, (s) => containerResize(client, id, s)) : () => undefined;
  try {
    if (streaming) {
      const r = await streaming;
      if (r.detached) {
        stopWaiting.abort();
        return 0;
      }
    }
    const s = await status;
    if (s instanceof Error) throw s;
    if (s.Error?.Message) ctx.io.stderr.write(`${s.Error.Message}\n`);
    return s.StatusCode;
  } finally {
    stopResize();
  }
}

export const runCommand = defineCommand({
  path: ['container', 'run'],
  aliases: [['run']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  interspersed: false,
  minArgs: 1,
  flags: [
    ...CONTAINER_FLAGS,
    { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
    { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container', valueName: 'string' },
    { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy received signals to the process' },
  ] as const,
  async run(ctx, v, args, extras) {
    try {
      return await runContainer(ctx, v, args, extras);
    } catch (err) {
      return report(ctx, 'run', err);
    }
  },
});

export const createCommand = defineCommand({
  path: ['container', 'create'],
  aliases: [['create']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  interspersed: false,
  minArgs: 1,
  // docker words --pull differently for create (its "|missing" included).
  flags: CONTAINER_FLAGS.map((f) => (f.name === 'pull' ? { ...f, description: 'Pull image before creating ("always", "|missing", "never")' } : f)) as unknown as typeof CONTAINER_FLAGS,
  async run(ctx, v, args, extras) {
    try {
      const req = request(ctx, v, args, extras.changed, false);
      await checkOsFlags(ctx, extras.changed);
      const id = await createContainer(ctx, req, v);
      ctx.io.stdout.write(`${id}\n`);
      return 0;
    } catch (err) {
      return report(ctx, 'create', err);
    }
  },
});
