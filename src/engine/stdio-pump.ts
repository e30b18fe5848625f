/**
 * Joins an attach session on conmon's socket (container or exec) with a client's hijacked
 * connection: output goes out raw with a TTY and stdcopy-framed without; what the client sends
 * goes to the process's stdin.
 */
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stdcopyFrame, StdStream } from '../api/stdcopy.js';
import type { AttachSession } from '../runtime/conmon.js';
import { DetachScanner } from './detach-keys.js';

export interface PumpOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The client's half-close (CloseWrite) closes the process's stdin. */
  closeStdinOnEnd: boolean;
  /** With a TTY: the key sequence (parseDetachKeys) that detaches the client. */
  detachKeys?: readonly number[];
}

/**
 * Resolves when the session's output has ended (the process exited) or the client went away
 * (then the session is detached); the caller ends `conn`.
 */
export async function pumpSession(session: AttachSession, conn: Duplex, o: PumpOptions): Promise<void> {
  const send = (stream: StdStream) => (d: Buffer) => {
    if (!conn.destroyed) conn.write(o.tty ? d : stdcopyFrame(stream, d));
  };
  if (o.stdout) session.stdout.on('data', send(StdStream.Stdout));
  else session.stdout.resume();
  if (o.stderr) session.stderr.on('data', send(StdStream.Stderr));
  else session.stderr.resume();
  let detached: () => void = () => undefined;
  const detach = new Promise<void>((resolve) => (detached = resolve));
  if (o.stdin) {
    const scanner = o.tty && o.detachKeys !== undefined ? new DetachScanner(o.detachKeys) : undefined;
    conn.on('data', (d: Buffer) => {
      if (scanner === undefined) {
        session.stdin.write(d);
        return;
      }
      const input = scanner.push(d);
      if (input.length > 0) session.stdin.write(input);
      if (scanner.detached) detached();
    });
    conn.on('end', () => {
      if (o.closeStdinOnEnd) session.stdin.end();
    });
    // A client that half-closed at once (`exec -i … < /dev/null`) may have ended before we
    // listened: the request body was read off the same socket, and its 'end' went with it.
    if (conn.readableEnded && o.closeStdinOnEnd) session.stdin.end();
    // The server may have paused the socket while it read the request body off it.
    conn.resume();
  } else {
    conn.resume();
  }
  // A client that leaves mid-write (ctrl-p ctrl-q, a killed CLI) makes the socket emit EPIPE or
  // ECONNRESET before 'close': that is a departure, not a failure (events.once would reject on it).
  conn.on('error', () => undefined);
  const gone = Promise.race([new Promise<void>((resolve) => conn.once('close', () => resolve())), detach]).then(() => session.close());
  await Promise.race([session.closed.then(() => Promise.all([finished(session.stdout), finished(session.stderr)])), gone]);
}
