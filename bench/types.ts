/**
 * The benchmark contract. A benchmark measures one operation on two sides, `estiba` and
 * `docker`, in the same run; the harness (run.ts) calls `setup` once per side, then `run`
 * repeatedly with the sides interleaved, then `teardown` once per side.
 *
 * By default a side is its daemon (estibad or the dockerd peer) driven by the same docker
 * CLI, so the client cost is identical. A benchmark may define its sides differently (say
 * so in `description`), e.g. two CLIs against the same estibad.
 *
 * @module
 */
import type { CliResult } from './cli.js';

export type SideName = 'estiba' | 'docker';

/** A daemon under test, with the docker CLI bound to it. */
export interface Target {
  side: SideName;
  /** DOCKER_HOST value: unix:///… */
  host: string;
  socketPath: string;
  /** A scratch directory owned by this target, removed at the end of the run. */
  workDir: string;
  /** Runs the docker CLI against this daemon; rejects on a non-zero exit unless `allowFail`. */
  docker(args: readonly string[], opts?: { allowFail?: boolean; discardStdout?: boolean }): Promise<CliResult>;
}

export interface BenchContext {
  /** estibad is always there; dockerd only when the peer started. */
  targets: { estiba: Target; docker?: Target };
  /** The docker CLI binary every side uses. */
  dockerCli: string;
  /** Absolute path of dist/bin/estiba.js. */
  estibaCli: string;
  /** Creates a fixture file once per harness run (in a shared temp dir) and returns its path and what `make` returned. */
  fixture<T>(name: string, make: (path: string) => Promise<T>): Promise<{ path: string; info: T }>;
  /** The daemon's own processes on a side: estibad; dockerd + containerd (no shims, no conmons). */
  daemonPids(side: SideName): Promise<number[]>;
}

/** Thrown by setup or run when a side cannot be measured at all (e.g. a command not written yet): reported as n/a. */
export class NotApplicable extends Error {
  override readonly name = 'NotApplicable';
}

export interface Benchmark {
  name: string;
  description: string;
  /** Default repetitions per side (overridden by --runs). */
  runs?: number;
  /** Unmeasured runs per side first, when fewer than --warmup (cases whose one run takes minutes). */
  maxWarmup?: number;
  /** The docker side talks to dockerd (default true); false when it runs against estibad too. */
  needsDockerd?: boolean;
  /** `sync` (untimed) before every measured run, so neither side pays for the other's writeback. */
  settle?: boolean;
  /** Untimed preparation; may return a note to print (e.g. how long the setup took). */
  setup?(side: SideName, ctx: BenchContext): Promise<string | void>;
  /** One measurement; resolves to the measured seconds. Untimed cleanup may follow the timed part. */
  run(side: SideName, ctx: BenchContext): Promise<number>;
  teardown?(side: SideName, ctx: BenchContext): Promise<void>;
  /** After teardown: a note on what `run` observed besides time (e.g. memory), printed with the results. */
  report?(side: SideName): string | undefined;
}

/** The target a side's daemon-backed benchmark talks to; throws when dockerd is absent. */
export function targetOf(ctx: BenchContext, side: SideName): Target {
  const t = ctx.targets[side];
  if (!t) throw new NotApplicable(`no ${side} daemon in this run`);
  return t;
}
