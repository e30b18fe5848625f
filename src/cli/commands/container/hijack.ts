/**
 * The client side of an attach or exec session (docker/cli hijack.go): the hijacked connection's
 * output goes to stdout/stderr (raw with a TTY, stdcopy frames demultiplexed without), local
 * stdin goes in, with the terminal in raw mode and the detach keys (ctrl-p ctrl-q by default)
 * recognised here, as the docker CLI does for TTY sessions.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { StdcopyDecoder, StdStream } from '../../../api/stdcopy.js';
import type { Hijacked } from '../../../client/transport.js';
import type { CliIO } from '../../command.js';

const DEFAULT_DETACH_KEYS = [0x10, 0x11]; // ctrl-p, ctrl-q

/**
 * docker's term.ToBytes: `ctrl-<c>` and single characters, comma separated. An invalid
 * sequence throws (the caller falls back to the default, as docker does for TTY input).
 */
export function detachKeyBytes(spec: string): number[] {
  if (spec === '') return DEFAULT_DETACH_KEYS;
  const out: number[] = [];
  for (const k of spec.split(',')) {
    const key = k.trim();
    if (key.length > 1 && key.startsWith('ctrl-')) {
      const c = key.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${c}'`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 0x61 && code <= 0x7a) out.push(code - 0x60);
      else if (c === '@') out.push(0);
      else if (c === '[') out.push(27);
      else if (c === '\\') out.push(28);
      else if (c === ']') out.push(29);
      else if (c === '^') out.push(30);
      else if (c === '_') out.push(31);
      else throw new Error(`Unknown character: '${c}'`);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else {
      throw new Error(`Unknown character: '${key}'`);
    }
  }
  return out;
}

/**
 * docker's term.EscapeProxy: holds back bytes that may start the detach sequence; passes them on
 * when the sequence breaks off, reports `detach` when it completes.
 */
export class EscapeProxy {
  #matched = 0;
  constructor(private readonly keys: readonly number[]) {}

  /** Returns the bytes to forward and whether the sequence completed (the rest is dropped). */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.#matched]) {
        this.#matched++;
        if (this.#matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      if (this.#matched > 0) {
        out.push(...this.keys.slice(0, this.#matched));
        this.#matched = 0;
        if (b === this.keys[0]) {
          this.#matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}

type RawModeStream = { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

/** Puts a terminal stdin into raw mode; returns the function that restores it. */
export function makeRaw(stdin: CliIO['stdin']): () => void {
  const s = stdin as unknown as RawModeStream;
  if (!s.isTTY || typeof s.setRawMode !== 'function') return () => undefined;
  s.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR): the container's own terminal already
  // turned \n into \r\n, so docker's raw mode (cfmakeraw) turns it off too. Leaving raw mode
  // restores the saved settings, this included.
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    s.setRawMode!(false);
  };
}

export interface StreamOptions {
  tty: boolean;
  /** Send local stdin into the session. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys?: string;
}

export interface StreamResult {
  /** The detach keys were typed: the session was left, the process runs on. */
  detached: boolean;
}

/**
 * Runs the session until its output ends (the process exited or the daemon closed it) or the
 * user detaches. Local stdin ending half-closes the connection, as docker's CloseWrite does.
 */
export function streamSession(io: CliIO, h: Hijacked, o: StreamOptions): Promise<StreamResult> {
  const conn: Duplex = h.socket;
  return new Promise((resolve, reject) => {
    let settled = false;
    let restore: () => void = () => undefined;
    const cleanup = (): void => {
      restore();
      if (o.stdin) {
        io.stdin.off('data', onInput);
        io.stdin.off('end', onInputEnd);
        io.stdin.pause();
      }
    };
    const finish = (r: StreamResult): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(r);
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };

    const decoder = o.tty ? undefined : new StdcopyDecoder();
    const onOutput = (chunk: Buffer): void => {
      if (!decoder) {
        if (o.stdout) io.stdout.write(chunk);
        return;
      }
      for (const f of decoder.push(chunk)) {
        if (f.stream === StdStream.Stdout && o.stdout) io.stdout.write(f.payload);
        else if ((f.stream === StdStream.Stderr || f.stream === StdStream.SystemErr) && o.stderr) io.stderr.write(f.payload);
      }
    };
    if (h.head.length > 0) onOutput(h.head);
    conn.on('data', onOutput);
    conn.once('end', () => finish({ detached: false }));
    conn.once('close', () => finish({ detached: false }));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      // The daemon closing a session mid-write is the end of the session, not a failure.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') finish({ detached: false });
      else fail(err);
    });

    let keys = DEFAULT_DETACH_KEYS;
    try {
      keys = detachKeyBytes(o.detachKeys ?? '');
    } catch {
      // docker: "Use default escape keys if an invalid sequence is given".
      keys = DEFAULT_DETACH_KEYS;
    }
    const proxy = o.tty ? new EscapeProxy(keys) : undefined;
    const onInput = (chunk: Buffer): void => {
      if (!proxy) {
        conn.write(chunk);
        return;
      }
      const { forward, detach } = proxy.push(chunk);
      if (forward.length > 0) conn.write(forward);
      if (detach) {
        finish({ detached: true });
        conn.destroy();
      }
    };
    const onInputEnd = (): void => {
      if (!conn.destroyed) conn.end();
    };
    if (o.stdin) {
      if (o.tty) restore = makeRaw(io.stdin);
      io.stdin.on('data', onInput);
      io.stdin.once('end', onInputEnd);
      io.stdin.resume();
    }
  });
}

/** The local terminal's size, when stdout is one. */
export function terminalSize(io: CliIO): { height: number; width: number } | undefined {
  const out = io.stdout as { isTTY?: boolean; rows?: number; columns?: number };
  if (!out.isTTY || !out.rows || !out.columns) return undefined;
  return { height: out.rows, width: out.columns };
}

/**
 * docker's MonitorTtySize: sends the size now (retrying briefly: the process may not have its
 * terminal yet) and on every SIGWINCH; returns the function that stops watching.
 */
export function monitorTtySize(io: CliIO, resize: (s: { height: number; width: number }) => Promise<void>): () => void {
  const send = async (retry: boolean): Promise<void> => {
    const s = terminalSize(io);
    if (!s) return;
    for (let i = 0; ; i++) {
      try {
        await resize(s);
        return;
      } catch {
        // The size is advisory: a container that has just exited cannot take it.
        if (!retry || i >= 5) return;
        await new Promise((r) => setTimeout(r, 10 * (i + 1)));
      }
    }
  };
  void send(true);
  const onWinch = (): void => void send(false);
  process.on('SIGWINCH', onWinch);
  return () => process.off('SIGWINCH', onWinch);
}
