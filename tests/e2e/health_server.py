#!/usr/bin/env python3
"""health_server.py — the probes' counterpart in drover's health tests.

One process listens on every port given (e.g. 9000-9999) and answers
each HTTP request by what the control file says, read at each request:

  a status code (200, 503...)   answer it, body "ok" below 400, "no" above
  hang                          accept, read, never answer
  close                         accept, then close without answering

CONTROL.<port>, when it exists, overrides CONTROL for that port. With
--hits, every request appends "<port> <unix time>\\n" to that file. --ready names a
file written once every port listens. With --keep-alive a connection
stays open for the next request (HTTP/1.1's default) unless the request
says "Connection: close"; without, every answer closes it.

usage: health_server.py --ports 9000-9009[,9100] --control FILE
                        [--hits FILE] [--ready FILE] [--keep-alive]
"""
import argparse
import asyncio
import os
import resource
import sys
import time


def parse_ports(spec):
    ports = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        ports.extend(range(int(lo), int(hi or lo) + 1))
    return ports


def mode_of(control, port):
    for path in ("%s.%d" % (control, port), control):
        try:
            with open(path) as f:
                return f.read().strip() or "200"
        except FileNotFoundError:
            continue
    return "200"


async def handle(reader, writer, port, args):
    while await answer(reader, writer, port, args):
        pass
    writer.close()


async def answer(reader, writer, port, args):
    """One request; True when the connection stays open for another."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ConnectionError):
        return False
    if args.hits:
        with open(args.hits, "a") as f:
            f.write("%d %.3f\n" % (port, time.time()))
    mode = mode_of(args.control, port)
    if mode == "hang":
        try:
            await reader.read()     # until the client gives up
        except ConnectionError:
            pass
        return False
    if mode == "close":
        return False
    keep = args.keep_alive and b"connection: close" not in head.lower()
    code = int(mode)
    body = b"ok\n" if code < 400 else b"no\n"
    writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s" % (
        code, len(body), b"" if keep else b"Connection: close\r\n", body))
    try:
        await writer.drain()
    except ConnectionError:
        return False
    return keep


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--hits")
    ap.add_argument("--ready")
    ap.add_argument("--keep-alive", action="store_true")
    args = ap.parse_args()
    ports = parse_ports(args.ports)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = []
    for port in ports:
        servers.append(await asyncio.start_server(
            lambda r, w, p=port: handle(r, w, p, args), "127.0.0.1", port,
            backlog=1024, reuse_address=True))
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
