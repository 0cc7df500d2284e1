#!/usr/bin/env python3
"""processor — the pipeline's transform step.

Every instance claims spooled records by renaming them from $DATA/spool
into $DATA/work (a rename succeeds for one instance only, so two instances
never process the same file), enriches each record, writes the result to
$DATA/outbox under a temporary name, renames it into place, and deletes
the claimed file. A restarted instance first finishes what it had claimed.

It touches $DATA/work/processor-$INSTANCE.beat on every pass; with --check
it only tells (exit 0 or 1) whether that heartbeat is recent, which is the
manifest's liveness probe.
"""
import json
import os
import sys
import time

DATA = os.environ.get("DATA", "/tmp/drover-example")
INSTANCE = os.environ.get("INSTANCE", "0")
SPOOL, WORK, OUTBOX = (os.path.join(DATA, d) for d in ("spool", "work", "outbox"))
BEAT = os.path.join(WORK, "processor-%s.beat" % INSTANCE)
MINE = ".claimed-by-%s" % INSTANCE


def check(max_age=15):
    """The liveness probe: has this instance made a pass lately?"""
    try:
        return time.time() - os.stat(BEAT).st_mtime <= max_age
    except OSError:
        return False


def transform(record):
    record["processed_by"] = "%s/%s" % (os.environ.get("SERVICE", "processor"), INSTANCE)
    record["processed_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record["bucket"] = record.get("seq", 0) % 10
    return record


def process(claimed):
    """Transform one claimed file into the outbox, then drop it."""
    name = os.path.basename(claimed)[: -len(MINE)]
    with open(claimed) as f:
        records = [transform(json.loads(line)) for line in f if line.strip()]
    tmp = os.path.join(OUTBOX, "." + name + ".tmp")
    with open(tmp, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    os.rename(tmp, os.path.join(OUTBOX, name))
    os.unlink(claimed)
    return len(records)


def claim():
    """Rename what is spooled into work/; other instances may win some."""
    claimed = sorted(os.path.join(WORK, f) for f in os.listdir(WORK) if f.endswith(MINE))
    for name in sorted(os.listdir(SPOOL)):
        if not name.endswith(".json"):
            continue
        dst = os.path.join(WORK, name + MINE)
        try:
            os.rename(os.path.join(SPOOL, name), dst)
            claimed.append(dst)
        except FileNotFoundError:
            pass  # another instance took it
    return claimed


def main():
    if sys.argv[1:2] == ["--check"]:
        sys.exit(0 if check() else 1)
    for d in (SPOOL, WORK, OUTBOX):
        os.makedirs(d, exist_ok=True)
    print("processor %s: %s -> %s" % (INSTANCE, SPOOL, OUTBOX), flush=True)
    while True:
        n = sum(process(c) for c in claim())
        if n:
            print("processor %s: %d records" % (INSTANCE, n), flush=True)
        with open(BEAT, "w"):
            pass
        time.sleep(0.5)


if __name__ == "__main__":
    main()
