/**
 * One container's row source for `stats` (docker/cli stats_helpers.go `collect`): its stats read
 * from GET /containers/{id}/stats in the background, the latest sample kept for the next redraw.
 *
 * @module
 */
import type { EngineClient } from '../../../client/client.js';
import { jsonLines } from '../../../client/client.js';
import { containerStats } from '../../../client/containers.js';
import { messageOf } from '../../../errdefs/index.js';
import { daemonError } from '../../errors.js';
import type { StatsJson } from './stats.js';

/** docker's collect zeroes a row that has had no sample for this long (its "timeout waiting for stats"). */
const SAMPLE_TIMEOUT_MS = 2000;

export interface CollectedStats {
  /** What the row stands for: the name or ID given, or a 12-hex ID from the list or an event. */
  readonly container: string;
  /** The latest sample; undefined until the first one (docker then shows the name `--` and zeros). */
  readonly sample: StatsJson | undefined;
  /**
   * The numbers are unknown (printed as `--`): the request failed, the stream ended (the
   * container was removed) or no sample came for 2 s. A new sample makes the row valid again.
   */
  readonly invalid: boolean;
  /** Why the row is invalid, as docker prints it; cleared by the next sample. */
  readonly error: string | undefined;
  /** Settles at the first sample, failure, end or timeout: before it, the row has nothing to show. */
  readonly first: Promise<void>;
  /** Ends the request (the row is being dropped, or the command ends). */
  stop(): void;
}

/**
 * Start reading `container`'s stats: one sample when `stream` is false (the daemon then sends
 * two readings' difference at once), otherwise one a second until the stream ends or `stop()`.
 */
export function collectStats(client: EngineClient, container: string, o: { stream: boolean }): CollectedStats {
  const abort = new AbortController();
  let settleFirst!: () => void;
  const first = new Promise<void>((resolve) => (settleFirst = resolve));
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const state = {
    container,
    sample: undefined as StatsJson | undefined,
    invalid: false,
    error: undefined as string | undefined,
    first,
    stop: (): void => {
      clearTimeout(timer);
      // Only a request still in flight: aborting one already read through would destroy a
      // socket no one listens on any more (an uncaught 'error').
      if (!finished) abort.abort();
    },
  };
  const fail = (message: string): void => {
    state.invalid = true;
    state.error = message;
    settleFirst();
  };
  // Re-armed at every sample: a stream that goes quiet marks the row invalid, and keeps doing so.
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      fail('timeout waiting for stats');
      if (o.stream) arm();
    }, SAMPLE_TIMEOUT_MS);
  };
  const read = async (): Promise<void> => {
    arm();
    try {
      const body = await containerStats(client, container, { stream: o.stream, signal: abort.signal });
      for await (const s of jsonLines<StatsJson>(body)) {
        state.sample = s;
        state.invalid = false;
        state.error = undefined;
        // Marked before anyone hears of the sample: leaving the loop destroys the response.
        if (!o.stream) finished = true;
        settleFirst();
        if (!o.stream) return;
        arm();
      }
      // The daemon ends a stream when the container is removed.
      if (o.stream) fail('EOF');
    } catch (err) {
      if (abort.signal.aborted) return;
      fail(daemonError(err) ?? messageOf(err));
    } finally {
      finished = true;
      clearTimeout(timer);
      settleFirst();
    }
  };
  void read();
  return state;
}
