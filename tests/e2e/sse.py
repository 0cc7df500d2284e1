"""sse.py — a Server-Sent Events client for the e2e tests (standard
library only), over droverd's unix socket or TCP.

    s = Stream(unix="/run/drover/droverd.sock", last_event_id="42")
    for ev in s.events(until=lambda e: e["id"] >= 99, timeout=20): ...

Stream.events yields each event's JSON (with its SSE id checked against
the JSON's), stops when `until` says so, and raises on a deadline.
"""
import http.client
import json
import socket
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("drover", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def connection(unix=None, tcp=None, timeout=30):
    if unix:
        return UnixHTTPConnection(unix, timeout=timeout)
    host, port = tcp.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


class Stream:
    def __init__(self, unix=None, tcp=None, path="/api/v1/events",
                 last_event_id=None, timeout=30):
        self.conn = connection(unix, tcp, timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.content_type = self.resp.getheader("Content-Type")

    def close(self):
        self.conn.close()

    def events(self, until=None, timeout=20):
        """Each event's JSON as it comes; ends when until(event) is true."""
        deadline = time.monotonic() + timeout
        sse_id, data = None, []
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("no more events in time")
            line = self.resp.readline()
            if not line:
                return          # droverd ended the stream
            line = line.decode().rstrip("\r\n")
            if line.startswith("id:"):
                sse_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line == "" and data:
                ev = json.loads("\n".join(data))
                if str(ev["id"]) != sse_id:
                    raise ValueError("SSE id %s for event %s" % (sse_id, ev["id"]))
                sse_id, data = None, []
                yield ev
                if until is not None and until(ev):
                    return


def get_json(path, unix=None, tcp=None):
    c = connection(unix, tcp)
    c.request("GET", path, headers={"Accept": "application/json"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, json.loads(body)
