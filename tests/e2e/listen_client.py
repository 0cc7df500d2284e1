#!/usr/bin/env python3
"""listen_client.py STOPFILE ADDR...: connect over and over, in turn to
each ADDR (HOST:PORT or a unix socket path), until STOPFILE exists; each
connection must be answered with a line (a pid). Prints one JSON object:
how many were answered, refused, cut (closed or reset without an
answer) or failed otherwise, and the pids that answered."""
import errno
import json
import os
import socket
import sys
import time

stop, addrs = sys.argv[1], sys.argv[2:]
counts = {"answered": 0, "refused": 0, "cut": 0, "other": 0}
pids = set()
errors = []
i = 0
while not os.path.exists(stop) or i % len(addrs) != 0:
    a = addrs[i % len(addrs)]
    i += 1
    if a.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = a
    else:
        host, port = a.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    s.settimeout(30)
    try:
        s.connect(target)
        data = b""
        while not data.endswith(b"\n"):
            b = s.recv(64)
            if not b:
                break
            data += b
        if data.endswith(b"\n"):
            counts["answered"] += 1
            pids.add(int(data))
        else:
            counts["cut"] += 1
    except ConnectionRefusedError:
        counts["refused"] += 1
    except ConnectionResetError:
        counts["cut"] += 1
    except OSError as e:
        counts["other"] += 1
        if len(errors) < 5:
            errors.append("%s: %s" % (a, e))
    finally:
        s.close()
    time.sleep(0.001)   # about a thousand a second, not a busy loop
counts["pids"] = sorted(pids)
counts["errors"] = errors
print(json.dumps(counts), flush=True)
