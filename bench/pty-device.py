# A serial QRNG for bench/stages.ts: one pseudo-terminal, the device writing into its master side as a
# USB CDC-ACM driver feeds a tty (one pass through the tty layer, no copier between two ptys). Prints the
# device's path (the slave side, raw), then on "play RATE SECONDS" on stdin writes random bytes on that
# schedule (until SIGUSR1), reporting on stderr one JSON line per MiB: bytes sent, seconds since it started, and how far
# behind its schedule it fell during that MiB (when the reader is slow the writes block: a real device
# with a smaller buffer than that lag would have dropped samples).
import json, os, pty, signal, sys, time, tty

master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
playing = True
def stop(_signum, _frame):
    global playing
    playing = False
signal.signal(signal.SIGUSR1, stop)  # stop playing; the pty stays until stdin closes
line = sys.stdin.readline().split()
if len(line) == 3 and line[0] == "play":
    rate, seconds = float(line[1]), float(line[2])
    block = 65536
    t0 = time.perf_counter()
    sent = behind = 0
    try:
        while playing and sent < rate * seconds:
            due = (time.perf_counter() - t0) * rate
            if sent >= due + block:
                time.sleep(max(0.001, (sent - due) / rate))
                continue
            behind = max(behind, due - sent)
            data = memoryview(os.urandom(block))
            off = 0
            while off < block:
                off += os.write(master, data[off:])
            sent += block
            if sent % (1 << 20) == 0:
                sys.stderr.write(json.dumps({"sent": sent, "seconds": time.perf_counter() - t0, "behind": behind}) + "\n")
                sys.stderr.flush()
                behind = 0
    except OSError:
        pass  # the reader went away
sys.stdin.readline()
