import { homedir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../client/client.js';
import { messageOf } from '../errdefs/index.js';
import { parseFlags, usage, type FlagDef } from './flags/index.js';
import type { CliIO, Command, CliContext } from './command.js';
import { daemonError } from './errors.js';
import { imageLs } from './commands/image/ls.js';
import { imageInspect } from './commands/image/inspect.js';
import { containerCommands, inspectCommand } from './commands/container/index.js';
import { imageRm } from './commands/image/rm.js';
import { imageTag } from './commands/image/tag.js';
import { imageHistory } from './commands/image/history.js';
import { imageLoad, imageSave } from './commands/image/save-load.js';
import { imageImport } from './commands/image/import.js';
import { imagePrune } from './commands/image/prune.js';
import { imageBuild } from './commands/image/build.js';
import { versionCommand, type VersionInfo } from './commands/system/version.js';
import { infoCommand } from './commands/system/info.js';
import { eventsCommand } from './commands/system/events.js';
import { systemDf } from './commands/system/df.js';
import { volumeCreate } from './commands/volume/create.js';
import { volumeInspect } from './commands/volume/inspect.js';
import { volumeLs } from './commands/volume/ls.js';
import { volumePrune } from './commands/volume/prune.js';
import { volumeRm } from './commands/volume/rm.js';
import { networkCommands } from './commands/network/network.js';
import { imagePull } from './commands/image/pull.js';
import { imagePush } from './commands/image/push.js';
import { loginCommand, logoutCommand } from './commands/image/login.js';
import { searchCommand } from './commands/image/search.js';

export const DEFAULT_HOST = 'unix:///run/estiba/estiba.sock';
const PROG = 'estiba';

const GLOBAL_FLAGS = [
  { name: 'config', type: 'string', default: join(homedir(), '.docker'), description: 'Location of client config files', valueName: 'string' },
  { name: 'context', short: 'c', type: 'string', description: 'Name of the context to use to connect to the daemon', valueName: 'string' },
  { name: 'debug', short: 'D', type: 'bool', description: 'Enable debug mode' },
  { name: 'host', short: 'H', type: 'stringArray', description: 'Daemon socket to connect to', valueName: 'list' },
  { name: 'log-level', short: 'l', type: 'string', default: 'info', description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', valueName: 'string' },
  { name: 'tls', type: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', type: 'string', description: 'Trust certs signed only by this CA', valueName: 'string' },
  { name: 'tlscert', type: 'string', description: 'Path to TLS certificate file', valueName: 'string' },
  { name: 'tlskey', type: 'string', description: 'Path to TLS key file', valueName: 'string' },
  { name: 'tlsverify', type: 'bool', description: 'Use TLS and verify the remote' },
  { name: 'version', short: 'v', type: 'bool', description: 'Print version information and quit' },
] as const satisfies readonly FlagDef[];

export function commands(info: VersionInfo): Command[] {
  return [
    ...containerCommands, inspectCommand,
    imageLs, imageInspect, imageRm, imageTag, imageHistory, imageSave, imageLoad, imageImport, imagePrune, imageBuild,
    imagePull, imagePush, loginCommand, logoutCommand, searchCommand,
    versionCommand(info), infoCommand, eventsCommand, systemDf,
    volumeCreate, volumeLs, volumeInspect, volumeRm, volumePrune,
    ...networkCommands,
  ];
}

function paths(c: Command): (readonly string[])[] {
  return [c.path, ...(c.aliases ?? [])];
}

/** The command whose path (or alias) is the longest prefix of args. */
function findCommand(all: Command[], args: string[]): { cmd: Command; rest: string[]; used: readonly string[] } | undefined {
  let best: { cmd: Command; rest: string[]; used: readonly string[] } | undefined;
  for (const cmd of all) {
    for (const p of paths(cmd)) {
      if (p.length <= args.length && p.every((w, i) => args[i] === w) && (!best || p.length > best.used.length)) {
        best = { cmd, rest: args.slice(p.length), used: p };
      }
    }
  }
  return best;
}

/** Help and messages name a command as it was invoked (`estiba run`, `estiba container run`). */
function commandHelp(cmd: Command, used: readonly string[]): string {
  const name = `${PROG} ${used.join(' ')}`;
  let s = `Usage:  ${name} ${cmd.usage}\n\n${cmd.description}\n`;
  if (cmd.aliases && cmd.aliases.length > 0) {
    // docker lists the group's names first and the top-level shortcut last.
    const aliases = [...cmd.aliases.filter((a) => a.length > 1), ...cmd.aliases.filter((a) => a.length === 1)];
    s += `\nAliases:\n  ${[cmd.path, ...aliases].map((p) => `${PROG} ${p.join(' ')}`).join(', ')}\n`;
  }
  // cobra lists --help itself when -h belongs to another flag (run's --hostname).
  const flags = cmd.flags.some((f) => f.short === 'h')
    ? [...cmd.flags, { name: 'help', type: 'bool', description: 'Print usage' } as const]
    : cmd.flags;
  if (flags.length > 0) s += `\n${usage(flags)}\n`;
  return s;
}

function mainHelp(all: Command[]): string {
  const lines = all
    .filter((c) => c.path.length === 1 || c.aliases?.some((a) => a.length === 1))
    .map((c) => {
      const top = c.path.length === 1 ? c.path[0]! : c.aliases!.find((a) => a.length === 1)![0]!;
      return `  ${top.padEnd(11)} ${short(c)}`;
    })
    .sort();
  const groups = [...new Set(all.filter((c) => c.path.length > 1).map((c) => c.path[0]!))].map(
    (g) => `  ${g.padEnd(11)} Manage ${g === 'system' ? 'estiba' : g}s`,
  );
  return `\nUsage:  ${PROG} [OPTIONS] COMMAND\n\nA Docker-compatible container engine\n\nManagement Commands:\n${groups.join('\n')}\n\nCommands:\n${lines.join('\n')}\n\nGlobal Options:\n${usage(GLOBAL_FLAGS)}\nRun '${PROG} COMMAND --help' for more information on a command.\n`;
}

/** A command's one-line summary (cobra's Short): the description's first line. */
function short(c: Command): string {
  return c.description.split('\n')[0]!;
}

function groupHelp(all: Command[], group: string): string {
  const subs = all.filter((c) => c.path[0] === group && c.path.length > 1).sort((a, b) => (a.path[1]! < b.path[1]! ? -1 : 1));
  // cobra pads names to at least 11 columns, then a space.
  const pad = Math.max(11, ...subs.map((c) => c.path[1]!.length));
  return `Usage:  ${PROG} ${group} COMMAND\n\nManage ${group}s\n\nCommands:\n${subs
    .map((c) => `  ${c.path[1]!.padEnd(pad)} ${short(c)}`)
    .join('\n')}\n\nRun '${PROG} ${group} COMMAND --help' for more information on a command.\n`;
}

function argCountError(cmd: Command, n: number, used: readonly string[]): string | undefined {
  const name = `${PROG} ${used.join(' ')}`;
  const plural = (k: number): string => `${k} argument${k === 1 ? '' : 's'}`;
  const { minArgs: min, maxArgs: max } = cmd;
  // docker/cli's cli.ExactArgs, RequiresMinArgs, RequiresRangeArgs, NoArgs, RequiresMaxArgs,
  // each with its own wording and closing line (RequiresMaxArgs' "SRun" included).
  let msg: string | undefined;
  let hint = 'Run';
  if (min !== undefined && max !== undefined && min === max) {
    if (n !== min) msg = `'${name}' requires ${plural(min)}`;
  } else if (min !== undefined && max !== undefined) {
    if (n < min || n > max) msg = `'${name}' requires at least ${min} and at most ${plural(max)}`;
  } else if (min !== undefined) {
    if (n < min) msg = `'${name}' requires at least ${plural(min)}`;
    hint = 'See';
  } else if (max !== undefined) {
    if (n > max) msg = max === 0 ? `'${name}' accepts no arguments` : `'${name}' requires at most ${plural(max)}`;
    if (max > 0) hint = 'SRun';
  }
  if (!msg) return undefined;
  return `${PROG}: ${msg}\n\nUsage:  ${name} ${cmd.usage}\n\n${hint} '${name} --help' for more information\n`;
}

export interface MainOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  io: CliIO;
  info: VersionInfo;
}

/** Run the CLI; returns the exit code (Docker's conventions: 125 for usage errors). */
export async function main(o: MainOptions): Promise<number> {
  const all = commands(o.info);
  const { io, env } = o;
  let globals;
  try {
    globals = parseFlags(GLOBAL_FLAGS, o.argv, { interspersed: false });
  } catch (err) {
    io.stderr.write(`${messageOf(err)}\nSee '${PROG} --help'.\n`);
    return 125;
  }
  const g = globals.values;
  if (g.version) {
    io.stdout.write(`estiba version ${o.info.version}, build ${o.info.gitCommit}\n`);
    return 0;
  }
  if (globals.help || globals.args.length === 0) {
    io.stdout.write(mainHelp(all));
    return 0;
  }
  const found = findCommand(all, globals.args);
  if (!found) {
    const first = globals.args[0]!;
    if (all.some((c) => c.path[0] === first && c.path.length > 1)) {
      io.stdout.write(groupHelp(all, first));
      return 0;
    }
    io.stderr.write(`${PROG}: '${first}' is not an ${PROG} command.\nSee '${PROG} --help'\n`);
    return 1;
  }
  const { cmd, rest, used } = found;
  let parsed;
  try {
    parsed = parseFlags(cmd.flags, rest, { interspersed: cmd.interspersed ?? true });
  } catch (err) {
    // docker 28's layout for flag errors.
    const name = `${PROG} ${used.join(' ')}`;
    io.stderr.write(`${messageOf(err)}\n\nUsage:  ${name} ${cmd.usage}\n\nRun '${name} --help' for more information\n`);
    return 125;
  }
  if (parsed.help) {
    io.stdout.write(commandHelp(cmd, used));
    return 0;
  }
  const countErr = argCountError(cmd, parsed.args.length, used);
  if (countErr) {
    io.stderr.write(countErr);
    return 1;
  }

  const certDir = env.DOCKER_CERT_PATH || g.config;
  const verify = g.tlsverify || (env.DOCKER_TLS_VERIFY ?? '') !== '';
  const useTls = g.tls || verify;
  const host = g.host[0] ?? (env.DOCKER_HOST || DEFAULT_HOST);
  let client: EngineClient | undefined;
  const ctx: CliContext = {
    io,
    // As the docker CLI: --config wins, then DOCKER_CONFIG, then ~/.docker.
    configDir: g.config !== join(homedir(), '.docker') ? g.config : env.DOCKER_CONFIG || g.config,
    now: () => new Date(),
    client: () =>
      (client ??= new EngineClient({
        host,
        version: env.DOCKER_API_VERSION || undefined,
        tls: useTls
          ? {
              verify,
              ca: g.tlscacert || join(certDir, 'ca.pem'),
              cert: g.tlscert || join(certDir, 'cert.pem'),
              key: g.tlskey || join(certDir, 'key.pem'),
            }
          : undefined,
      })),
  };
  try {
    return await cmd.run(ctx, parsed.values, parsed.args, { changed: parsed.changed });
  } catch (err) {
    const msg = daemonError(err) ?? messageOf(err);
    io.stderr.write(`${msg}\n`);
    return 1;
  }
}
