#!/usr/bin/env python3
"""api — the pipeline's counts as JSON, served on a socket drover binds.

drover binds the manifest's `listen` socket once and passes it as fd 3
(LISTEN_FDS=1, LISTEN_FDNAMES=http, LISTEN_PID=this process), so both
instances accept on the same port and a restart refuses no connection.
Once serving, it tells drover it is ready: READY=1 on NOTIFY_SOCKET, the
sd_notify(3) protocol (one datagram), with a STATUS= line that
`droverctl status` shows.

GET /  -> {"instance": "api/0", "version": "1", "loaded": N}
"""
import json
import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA = os.environ.get("DATA", "/tmp/drover-example")
VERSION = os.environ.get("VERSION", "")
ME = "%s/%s" % (os.environ.get("SERVICE", "api"), os.environ.get("INSTANCE", "0"))


def passed_socket():
    """fd 3, when drover passed it to this very process (sd_listen_fds)."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or \
            int(os.environ.get("LISTEN_FDS", "0")) < 1:
        raise SystemExit("api: no listen socket passed (run it under drover)")
    return socket.socket(fileno=3)


def notify(msg):
    """sd_notify: one datagram to $NOTIFY_SOCKET, if there is one."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(msg.encode(), path)


def loaded():
    try:
        with open(os.path.join(DATA, "loader.count")) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"instance": ME, "version": VERSION,
                           "loaded": loaded()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    def server_bind(self):
        pass            # already bound, and listening, by drover

    def server_activate(self):
        pass


server = Server(("", 0), Handler, bind_and_activate=False)
server.socket.close()
server.socket = passed_socket()
notify("READY=1\nSTATUS=serving %s" % ME)
server.serve_forever()
