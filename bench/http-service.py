#!/usr/bin/env python3
"""A small HTTP service for drover's zero-downtime benchmark.

It serves on the socket drover passes as fd 3 (sd_listen_fds), says
READY=1 on NOTIFY_SOCKET once serving, and on SIGTERM drains: it stops
accepting (the socket stays open in drover, so the other instances take
the new connections), answers each open connection's next request with
`Connection: close`, and exits once they are all done.

GET / -> "ok <instance> <revision marker>"
"""
import os
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ME = "%s/%s %s" % (os.environ.get("SERVICE", "svc"),
                   os.environ.get("INSTANCE", "0"), os.environ.get("V", ""))
draining = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 2
    wbufsize = 65536    # headers and body in one write: no Nagle stall

    def do_GET(self):
        body = ("ok %s\n" % ME).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if draining.is_set():
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = False      # server_close() waits for the handlers
    block_on_close = True

    def server_bind(self):
        pass

    def server_activate(self):
        pass


def main():
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        raise SystemExit("http-service: no socket passed by drover")
    server = Server(("", 0), Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = socket.socket(fileno=3)

    def drain(*_):
        draining.set()
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, drain)
    path = os.environ.get("NOTIFY_SOCKET")
    if path:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"READY=1\nSTATUS=serving", path)
    server.serve_forever(poll_interval=0.05)
    server.server_close()


main()
