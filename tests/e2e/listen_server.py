#!/usr/bin/env python3
"""A server on the sockets drover passes (sd_listen_fds): it prints its
LISTEN_* environment and open fds, then answers every connection on every
passed socket with "<its pid>\\n" and closes it. SIGTERM lets the
connection in hand finish first; SIGKILL of course does not."""
import os
import signal
import socket
import sys
import threading

n = int(os.environ.get("LISTEN_FDS", "0"))
print("env LISTEN_FDS=%s LISTEN_FDNAMES=%s LISTEN_PID=%s pid=%d" % (
    os.environ.get("LISTEN_FDS"), os.environ.get("LISTEN_FDNAMES"),
    os.environ.get("LISTEN_PID"), os.getpid()), flush=True)
print("fds " + " ".join(sorted(os.listdir("/proc/self/fd"), key=int)),
      flush=True)
busy = threading.Lock()
answer = b"%d\n" % os.getpid()


def serve(fd):
    s = socket.socket(fileno=fd)
    while True:
        c, _ = s.accept()
        with busy:
            try:
                c.sendall(answer)
            except OSError:
                pass
            c.close()


def term(sig, frame):
    busy.acquire()      # the connection in hand is answered first
    os._exit(0)


signal.signal(signal.SIGTERM, term)
for i in range(n):
    threading.Thread(target=serve, args=(3 + i,), daemon=True).start()
while True:
    signal.pause()
