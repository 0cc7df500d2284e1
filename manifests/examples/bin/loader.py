#!/usr/bin/env python3
"""loader — the pipeline's sink.

Appends every processed record from $DATA/outbox to the "warehouse",
$DATA/warehouse.jsonl, and keeps the number of records loaded in
$DATA/loader.count (replaced atomically, so readers never see it torn).
A file is deleted from the outbox only after its records were appended
and flushed: a crash in between loads those records twice, never zero
times (at-least-once).
"""
import os
import time

DATA = os.environ.get("DATA", "/tmp/drover-example")
OUTBOX = os.path.join(DATA, "outbox")
WAREHOUSE = os.path.join(DATA, "warehouse.jsonl")
COUNT = os.path.join(DATA, "loader.count")


def read_count():
    try:
        with open(COUNT) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def write_count(n):
    tmp = COUNT + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % n)
    os.rename(tmp, COUNT)


def load(path, warehouse):
    with open(path) as f:
        lines = [line if line.endswith("\n") else line + "\n" for line in f if line.strip()]
    warehouse.writelines(lines)
    warehouse.flush()
    os.fsync(warehouse.fileno())
    os.unlink(path)
    return len(lines)


def main():
    os.makedirs(OUTBOX, exist_ok=True)
    count = read_count()
    print("loader: %s -> %s (%d records so far)" % (OUTBOX, WAREHOUSE, count), flush=True)
    with open(WAREHOUSE, "a") as warehouse:
        while True:
            names = sorted(n for n in os.listdir(OUTBOX) if n.endswith(".json"))
            loaded = sum(load(os.path.join(OUTBOX, n), warehouse) for n in names)
            if loaded:
                count += loaded
                write_count(count)
                print("loader: +%d, %d in the warehouse" % (loaded, count), flush=True)
            time.sleep(1)


if __name__ == "__main__":
    main()
