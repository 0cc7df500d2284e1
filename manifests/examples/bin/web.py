#!/usr/bin/env python3
"""web — a small HTTP view of the pipeline, one instance per port.

GET /healthz  -> "ok" (the manifest's health probe)
GET /         -> JSON: records waiting in each stage, records loaded, the
                 last record in the warehouse, and which instance answered.
It listens on 127.0.0.1:$PORT; drover gives instance i PORT=base+i.
"""
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA = os.environ.get("DATA", "/tmp/drover-example")
PORT = int(os.environ.get("PORT", "8081"))
ME = "%s/%s" % (os.environ.get("SERVICE", "web"), os.environ.get("INSTANCE", "0"))


def waiting(stage):
    try:
        return sum(1 for n in os.listdir(os.path.join(DATA, stage)) if ".json" in n)
    except OSError:
        return 0


def last_record():
    try:
        with open(os.path.join(DATA, "warehouse.jsonl"), "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 4096))
            lines = f.read().splitlines()
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def counts():
    try:
        with open(os.path.join(DATA, "loader.count")) as f:
            loaded = int(f.read().strip() or 0)
    except (OSError, ValueError):
        loaded = 0
    return {
        "instance": ME,
        "spooled": waiting("spool"),
        "processing": waiting("work"),
        "outbox": waiting("outbox"),
        "loaded": loaded,
        "last": last_record(),
    }


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            self.reply(200, "text/plain", b"ok\n")
        elif self.path == "/":
            self.reply(200, "application/json", json.dumps(counts(), indent=2).encode() + b"\n")
        else:
            self.reply(404, "text/plain", b"not found\n")

    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass  # one line per probe would drown the log


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print("web %s: http://127.0.0.1:%d/" % (ME, PORT), flush=True)
    server.serve_forever()
