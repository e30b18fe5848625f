/**
 * Drives a program through a real pseudo-terminal, as a person at a terminal would: python3's
 * pty module (Debian's /usr/bin/python3, isolated) forks the program on a pty of a given size,
 * then follows a script of steps — wait for output matching a pattern, type bytes, resize the
 * window (TIOCSWINSZ, which sends SIGWINCH to the program) — and reports everything the program
 * wrote and its exit code.
 *
 * @module
 */
import { run } from './e2e.js';

export type PtyStep =
  | { expect: string; timeoutMs?: number }
  | { send: string }
  | { resize: { rows: number; cols: number } }
  | { sleepMs: number };

export interface PtyResult {
  /** Everything the program wrote to the terminal (with the terminal's \r\n line ends). */
  output: string;
  /** Its exit code; -1 if it had to be killed. */
  code: number;
  /** The step that timed out, if any. */
  timedOut?: string;
}

const PTY_PY = String.raw`
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time
cfg = json.loads(sys.argv[1])
argv = sys.argv[2:]
rows, cols = cfg["rows"], cfg["cols"]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execvp(argv[0], argv)
out = bytearray()
eof = False
def pump(timeout):
    global eof
    if eof:
        time.sleep(timeout)
        return
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            b = os.read(fd, 65536)
        except OSError:
            b = b""
        if not b:
            eof = True
        out.extend(b)
timed_out = None
pos = 0
for step in cfg["steps"]:
    if "expect" in step:
        pat = re.compile(step["expect"].encode())
        deadline = time.monotonic() + step.get("timeoutMs", 15000) / 1000
        while True:
            m = pat.search(out, pos)
            if m:
                pos = m.end()
                break
            if eof or time.monotonic() > deadline:
                timed_out = step["expect"]
                break
            pump(0.05)
        if timed_out:
            break
    elif "send" in step:
        os.write(fd, step["send"].encode())
    elif "resize" in step:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", step["resize"]["rows"], step["resize"]["cols"], 0, 0))
    elif "sleepMs" in step:
        end = time.monotonic() + step["sleepMs"] / 1000
        while time.monotonic() < end:
            pump(0.02)
deadline = time.monotonic() + cfg["exitTimeoutMs"] / 1000
code = None
while code is None:
    p, status = os.waitpid(pid, os.WNOHANG)
    if p == pid:
        code = os.waitstatus_to_exitcode(status)
        break
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        code = -1
        break
    pump(0.05)
while not eof:
    pump(0.05)
    r, _, _ = select.select([fd], [], [], 0)
    if not r:
        break
sys.stdout.write(json.dumps({"output": out.decode("utf-8", "replace"), "code": code, "timedOut": timed_out}))
`;

/** Runs `argv` on a `rows`×`cols` pty with `env`, following `steps`; then waits for it to exit. */
export async function runInPty(
  argv: readonly string[],
  o: { steps: PtyStep[]; env: NodeJS.ProcessEnv; rows?: number; cols?: number; exitTimeoutMs?: number },
): Promise<PtyResult> {
  const cfg = { steps: o.steps, rows: o.rows ?? 24, cols: o.cols ?? 80, exitTimeoutMs: o.exitTimeoutMs ?? 15_000 };
  const r = await run('/usr/bin/python3', ['-I', '-S', '-c', PTY_PY, JSON.stringify(cfg), ...argv], { env: o.env, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`pty driver failed (${r.code}): ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { output: string; code: number; timedOut: string | null };
  return { output: parsed.output, code: parsed.code, ...(parsed.timedOut !== null ? { timedOut: parsed.timedOut } : {}) };
}
