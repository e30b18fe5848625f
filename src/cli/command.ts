import type { Readable, Writable } from 'node:stream';
import type { EngineClient } from '../client/client.js';
import type { FlagDef, FlagValues } from './flags/index.js';

/** Streams a command reads and writes; injected so commands run the same in tests. */
export interface CliIO {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean };
}

export interface CliContext {
  /** The Engine API client, created on first use (commands like --help never connect). */
  client(): EngineClient;
  io: CliIO;
  now(): Date;
  /** The client config dir (`--config`, DOCKER_CONFIG, ~/.docker): config.json with registry credentials. */
  configDir?: string;
}

/**
 * A CLI command: flags are data; `run` gets typed values and positional args and returns
 * the exit code (Docker's: 0, 1 for failures; usage errors are the dispatcher's, 125).
 */
export interface Command<D extends readonly FlagDef[] = readonly FlagDef[]> {
  /** Full path, e.g. ['image', 'ls']. */
  path: readonly string[];
  /** Other paths that run it, e.g. [['images'], ['image', 'list']]. */
  aliases?: readonly (readonly string[])[];
  /** Usage after the command path, e.g. "[OPTIONS] IMAGE [IMAGE...]". */
  usage: string;
  description: string;
  flags: D;
  minArgs?: number;
  maxArgs?: number;
  /** Stop flag parsing at the first positional argument (docker run IMAGE CMD…). */
  interspersed?: boolean;
  run(ctx: CliContext, values: FlagValues<D>, args: string[], parsed: ParsedExtras): Promise<number>;
}

/** What parsing found besides values and args. */
export interface ParsedExtras {
  /** Long names of the flags given on the command line (pflag's Changed). */
  changed: ReadonlySet<string>;
}

/** Keeps the flag types of one command while letting the registry hold them all. */
export function defineCommand<const D extends readonly FlagDef[]>(c: Command<D>): Command {
  return c as unknown as Command;
}

/** Docker-style write helper: output goes through the injected stream. */
export function out(ctx: CliContext, text: string): void {
  ctx.io.stdout.write(text);
}
