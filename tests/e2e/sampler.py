#!/usr/bin/env python3
"""Sample one service's instances through the API until SIGTERM.

usage: sampler.py SOCKET SERVICE OUT

Writes one JSON line per sample to OUT: {"t": seconds, "instances":
[{"index", "pid", "state", "revision"}...]}. A test reads the lines to
check bounds that must hold at every moment of a rollout.
"""
import http.client
import json
import signal
import socket
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("drover")
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def main():
    sock, svc, out = sys.argv[1:4]
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    with open(out, "w") as f:
        while not stop:
            try:
                c = UnixConnection(sock)
                c.request("GET", "/api/v1/services/" + svc)
                body = json.loads(c.getresponse().read())
                c.close()
            except (OSError, ValueError, http.client.HTTPException):
                time.sleep(0.02)
                continue
            keep = [{k: i.get(k) for k in ("index", "pid", "state", "revision")}
                    for i in body.get("instances", [])]
            f.write(json.dumps({"t": time.time(), "instances": keep}) + "\n")
            f.flush()
            time.sleep(0.02)


main()
