/**
 * The per-container verbs (stop, kill, restart, pause, unpause, rm, wait, rename, start without
 * attaching): each acts on every argument in turn, prints the argument on success and the
 * daemon's error on failure, and exits 1 if any failed — docker/cli's behaviour.
 *
 * @module
 */
import { isNotFound, messageOf } from '../../../errdefs/index.js';
import {
  containerKill, containerPause, containerRemove, containerRename, containerRestart, containerStop, containerUnpause, containerWait,
} from '../../../client/containers.js';
import { defineCommand, type CliContext } from '../../command.js';
import { daemonError } from '../../errors.js';

/**
 * Runs `act` on each name; returns docker's exit code (1 when any failed). `notFailed` errors are
 * printed without failing; `ignored` ones are neither printed nor failures (`network rm -f`).
 */
export async function forEach(
  ctx: CliContext,
  names: readonly string[],
  act: (name: string) => Promise<string | undefined | void>,
  o: { notFailed?: (err: unknown) => boolean; ignored?: (err: unknown) => boolean } = {},
): Promise<number> {
  let failed = false;
  for (const n of names) {
    try {
      const out = await act(n);
      ctx.io.stdout.write(`${out ?? n}\n`);
    } catch (err) {
      if (o.ignored?.(err)) continue;
      ctx.io.stderr.write(`${daemonError(err) ?? messageOf(err)}\n`);
      if (!o.notFailed?.(err)) failed = true;
    }
  }
  return failed ? 1 : 0;
}

const signalFlag = { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container', valueName: 'string' } as const;
const timeoutFlag = { name: 'timeout', short: 't', type: 'int', description: 'Seconds to wait before killing the container' } as const;

export const stopCommand = defineCommand({
  path: ['container', 'stop'],
  aliases: [['stop']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  minArgs: 1,
  flags: [signalFlag, timeoutFlag] as const,
  run: (ctx, v, args, { changed }) =>
    forEach(ctx, args, (n) => containerStop(ctx.client(), n, { signal: v.signal, ...(changed.has('timeout') ? { timeout: v.timeout } : {}) })),
});

export const restartCommand = defineCommand({
  path: ['container', 'restart'],
  aliases: [['restart']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  minArgs: 1,
  flags: [signalFlag, timeoutFlag] as const,
  run: (ctx, v, args, { changed }) =>
    forEach(ctx, args, (n) => containerRestart(ctx.client(), n, { signal: v.signal, ...(changed.has('timeout') ? { timeout: v.timeout } : {}) })),
});

export const killCommand = defineCommand({
  path: ['container', 'kill'],
  aliases: [['kill']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  minArgs: 1,
  flags: [signalFlag] as const,
  run: (ctx, v, args) => forEach(ctx, args, (n) => containerKill(ctx.client(), n, v.signal)),
});

export const pauseCommand = defineCommand({
  path: ['container', 'pause'],
  aliases: [['pause']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  minArgs: 1,
  flags: [] as const,
  run: (ctx, _v, args) => forEach(ctx, args, (n) => containerPause(ctx.client(), n)),
});

export const unpauseCommand = defineCommand({
  path: ['container', 'unpause'],
  aliases: [['unpause']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  minArgs: 1,
  flags: [] as const,
  run: (ctx, _v, args) => forEach(ctx, args, (n) => containerUnpause(ctx.client(), n)),
});

export const rmCommand = defineCommand({
  path: ['container', 'rm'],
  aliases: [['rm'], ['container', 'remove']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  minArgs: 1,
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', description: 'Remove the specified link' },
    { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ] as const,
  async run(ctx, v, args) {
    if (args.some((a) => a.replace(/^\/+/, '') === '')) {
      ctx.io.stderr.write('Error: container name cannot be empty\n');
      return 1;
    }
    // rm -f of a container that is not there says so but is not a failure (docker 28's rm).
    return forEach(ctx, args, (n) => containerRemove(ctx.client(), n, { force: v.force, volumes: v.volumes, link: v.link }), {
      notFailed: (err) => v.force && isNotFound(err),
    });
  },
});

export const waitCommand = defineCommand({
  path: ['container', 'wait'],
  aliases: [['wait']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  minArgs: 1,
  flags: [] as const,
  run: (ctx, _v, args) =>
    forEach(ctx, args, async (n) => {
      const r = await (await containerWait(ctx.client(), n, 'not-running')).result;
      if (r.Error?.Message) throw new Error(r.Error.Message);
      return String(r.StatusCode);
    }),
});

export const renameCommand = defineCommand({
  path: ['container', 'rename'],
  aliases: [['rename']],
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  minArgs: 2,
  maxArgs: 2,
  flags: [] as const,
  async run(ctx, _v, args) {
    const [oldName, newName] = [args[0]!.trim(), args[1]!.trim()];
    if (oldName === '' || newName === '') {
      ctx.io.stderr.write('Error: Neither old nor new names may be empty\n');
      return 1;
    }
    try {
      await containerRename(ctx.client(), oldName, newName);
      return 0;
    } catch (err) {
      ctx.io.stderr.write(`${daemonError(err) ?? messageOf(err)}\nError: failed to rename container named ${oldName}\n`);
      return 1;
    }
  },
});
