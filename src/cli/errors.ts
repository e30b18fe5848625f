import { isDaemonError } from '../client/transport.js';
import { messageOf } from '../errdefs/index.js';

/** "Error response from daemon: …" for the daemon's answers; undefined for local errors. */
export function daemonError(err: unknown): string | undefined {
  return isDaemonError(err) ? `Error response from daemon: ${messageOf(err)}` : undefined;
}
