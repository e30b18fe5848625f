/**
 * conmon serves attach on a SOCK_SEQPACKET unix socket: each packet it sends is one read of the
 * container's output, prefixed by one byte naming the stream (2 stdout, 3 stderr); each packet
 * it receives is written to the container's stdin, and a shutdown(SHUT_WR) closes that stdin.
 * Node's `net` has only SOCK_STREAM, and no addon may be added, so a small python3 process
 * (already a dependency of store/layers) bridges the socket: it connects, then relays stdin →
 * packets and packets → frames on stdout (type u8, length u32 BE, payload). A frame of type 0
 * and length 0 is sent once connected. An optional second argument (seconds) makes it retry while
 * the socket does not exist yet, so the interpreter starts while conmon is still creating it.
 * Boundaries between stdout and stderr survive, which a plain byte relay (socat) would lose. ADR 0002 records the choice.
 */
export const ATTACH_HELPER_PY = String.raw`
import os, socket, struct, sys, threading, time
path = sys.argv[1]
deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 0)
while True:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        d = os.open(os.path.dirname(path) or ".", os.O_PATH)
        try:
            s.connect("/proc/self/fd/%d/%s" % (d, os.path.basename(path)))
        finally:
            os.close(d)
        break
    except OSError as e:
        s.close()
        if time.monotonic() >= deadline or e.errno not in (2, 111):
            sys.stderr.write("attach %s: %s\n" % (path, e.strerror))
            sys.exit(2)
        time.sleep(0.002)
out = sys.stdout.buffer
lock = threading.Lock()
def frame(kind, data):
    with lock:
        out.write(struct.pack(">BI", kind, len(data)) + data)
        out.flush()
frame(0, b"")
def pump_stdin():
    fd = sys.stdin.fileno()
    while True:
        try:
            b = os.read(fd, 8192)
        except OSError:
            b = b""
        if not b:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return
        try:
            s.sendall(b)
        except OSError:
            return
threading.Thread(target=pump_stdin, daemon=True).start()
while True:
    try:
        p = s.recv(65536)
    except OSError:
        break
    if not p:
        break
    try:
        frame(p[0], p[1:])
    except BrokenPipeError:
        break
os._exit(0)
`;
