/**
 * Health checks (moby daemon/health.go): while a container with a health check runs, its test is
 * run through exec every Interval; each result goes to State.Health (Status, FailingStreak, the
 * last five Log entries) and a change of status is a `health_status: <status>` event.
 *
 * - Status is `starting` from each start until the first passing probe (healthy) or until Retries
 *   consecutive failures outside the start period (unhealthy).
 * - A probe that takes longer than Timeout counts as a failure with exit code -1.
 * - Monitoring stops when the container stops (its status becomes unhealthy, as under Docker) and is
 *   started again by the daemon after a restart, keeping what the record holds.
 */
import type { HealthConfig } from '../oci/image.js';
import type { ContainerRecord, HealthState } from '../container/container.js';
import { messageOf } from '../errdefs/index.js';
import type { Logger } from '../util/logger.js';

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

/**
 * The container's health config merged with the image's (moby daemon/commit.go merge): the user's
 * Test wins, zero fields come from the image. Undefined when neither has one.
 */
export function mergeHealthcheck(user: HealthConfig | undefined | null, image: HealthConfig | undefined | null): HealthConfig | undefined {
  if (user === undefined || user === null) return image ?? undefined;
  if (image === undefined || image === null) return user;
  const out: HealthConfig = { ...user };
  if (out.Test === undefined || out.Test.length === 0) out.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    if ((out[k] ?? 0) === 0 && image[k] !== undefined) out[k] = image[k];
  }
  return out;
}

/** The argv a test runs (CMD, CMD-SHELL), or undefined when there is no check (none, NONE). */
export function probeArgv(cfg: HealthConfig | undefined): string[] | undefined {
  const t = cfg?.Test ?? [];
  if (t.length === 0) return undefined;
  switch (t[0]) {
    case 'CMD':
      return t.length > 1 ? t.slice(1) : undefined;
    case 'CMD-SHELL':
      return t.length > 1 ? ['/bin/sh', '-c', t.slice(1).join(' ')] : undefined;
    default:
      return undefined; // NONE, or unknown
  }
}

const nsToMs = (ns: number | undefined, dflt: number): number => (ns === undefined || ns <= 0 ? dflt : Math.max(1, Math.round(ns / 1e6)));

export interface ProbeResult {
  exitCode: number;
  output: string;
}

/** Folds one probe result into the health state; returns whether the status changed. */
export function recordProbe(h: HealthState, o: { start: Date; end: Date; result: ProbeResult; retries: number; inStartPeriod: boolean }): boolean {
  const before = h.Status;
  const output = o.result.output.length > MAX_OUTPUT ? o.result.output.slice(0, MAX_OUTPUT) : o.result.output;
  h.Log = [...(h.Log ?? []), { Start: o.start.toISOString(), End: o.end.toISOString(), ExitCode: o.result.exitCode, Output: output }].slice(-MAX_LOG_ENTRIES);
  if (o.result.exitCode === 0) {
    h.FailingStreak = 0;
    h.Status = 'healthy';
  } else if (!(o.inStartPeriod && h.Status === 'starting')) {
    h.FailingStreak++;
    if (h.FailingStreak >= o.retries) h.Status = 'unhealthy';
  }
  return h.Status !== before;
}

export interface HealthMonitorOptions {
  /** Runs argv in the container; resolves with its exit code and combined output (exit code -1 on timeout). */
  probe: (id: string, argv: string[], timeoutMs: number) => Promise<ProbeResult>;
  /** The container if it still exists. */
  find: (id: string) => ContainerRecord | undefined;
  isRunning: (c: ContainerRecord) => boolean;
  save: (c: ContainerRecord) => Promise<void>;
  emit: (c: ContainerRecord, action: string) => void;
  logger: Logger;
  now: () => Date;
}

export class HealthMonitor {
  readonly #o: HealthMonitorOptions;
  /** Per container: the generation of its monitor (a stop or a new start ends the older one) and its timer. */
  readonly #runs = new Map<string, { gen: number; timer?: NodeJS.Timeout }>();
  #gen = 0;

  constructor(o: HealthMonitorOptions) {
    this.#o = o;
  }

  /** Starts monitoring a running container; `fresh` (a start, not a daemon restart) resets its state to starting. */
  start(c: ContainerRecord, o: { fresh: boolean }): void {
    this.stop(c.ID);
    const cfg = c.Config.Healthcheck ?? undefined;
    const argv = probeArgv(cfg);
    if (argv === undefined) {
      if (c.State.Health !== undefined) delete c.State.Health;
      return;
    }
    if (o.fresh || c.State.Health === undefined) c.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    const run = { gen: ++this.#gen } as { gen: number; timer?: NodeJS.Timeout };
    this.#runs.set(c.ID, run);
    const interval = nsToMs(cfg?.Interval, DEFAULT_INTERVAL_MS);
    const timeout = nsToMs(cfg?.Timeout, DEFAULT_TIMEOUT_MS);
    const startPeriod = nsToMs(cfg?.StartPeriod, 0);
    const startInterval = nsToMs(cfg?.StartInterval, DEFAULT_START_INTERVAL_MS);
    const retries = cfg?.Retries !== undefined && cfg.Retries > 0 ? cfg.Retries : DEFAULT_RETRIES;
    const alive = (): boolean => this.#runs.get(c.ID)?.gen === run.gen;
    const tick = async (): Promise<void> => {
      const cur = this.#o.find(c.ID);
      if (!alive() || cur === undefined || !this.#o.isRunning(cur)) return;
      if (cur.State.Status !== 'paused') {
        const start = this.#o.now();
        let result: ProbeResult;
        try {
          result = await this.#o.probe(c.ID, argv, timeout);
        } catch (err) {
          result = { exitCode: -1, output: messageOf(err) };
        }
        // Stopped (or restarted) while the probe ran: its result no longer applies.
        if (!alive() || !this.#o.isRunning(cur) || cur.State.Health === undefined) return;
        const inStartPeriod = start.getTime() - Date.parse(cur.State.StartedAt) < startPeriod;
        const changed = recordProbe(cur.State.Health, { start, end: this.#o.now(), result, retries, inStartPeriod });
        await this.#o.save(cur).catch((err: unknown) => this.#o.logger.warn('saving health state', { id: c.ID, err: messageOf(err) }));
        if (changed) this.#o.emit(cur, `health_status: ${cur.State.Health.Status}`);
      }
      if (alive()) run.timer = setTimeout(() => void tick(), nextDelay()).unref();
    };
    // moby: StartInterval while in the start period and still starting, Interval otherwise.
    const nextDelay = (): number => {
      const cur = this.#o.find(c.ID);
      if (cur === undefined || startPeriod === 0) return interval;
      const inStartPeriod = this.#o.now().getTime() - Date.parse(cur.State.StartedAt) < startPeriod;
      return inStartPeriod && cur.State.Health?.Status === 'starting' ? startInterval : interval;
    };
    run.timer = setTimeout(() => void tick(), nextDelay()).unref();
  }

  /** Stops a container's monitoring (no effect when there is none). */
  stop(id: string): void {
    const r = this.#runs.get(id);
    if (r === undefined) return;
    clearTimeout(r.timer);
    this.#runs.delete(id);
  }

  /** Stops everything (daemon shutdown). */
  close(): void {
    for (const id of [...this.#runs.keys()]) this.stop(id);
  }
}
