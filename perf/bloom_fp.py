#!/usr/bin/python3
"""End-to-end false-positive check of BF.* through the daemon (the direct, larger measure is
build/bloom_fp_bench, which uses the filter type itself).

For each error rate and capacity: BF.RESERVE a fresh filter, BF.MADD `capacity` distinct items
(or 4x capacity for the scaled row), then BF.MEXISTS items never inserted and count the 1s.
Reports the observed rate, BF.INFO's Size, MEMORY USAGE and the daemon's RSS growth.

Usage: perf/bloom_fp.py [--bindir build | --port PORT] [--max-capacity 100000]
                        [--min-queries 100000]
Exits 1 if a filter's observed rate exceeds the requested one.
"""

import argparse
import contextlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402

import redis  # noqa: E402

BATCH = 1000


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(r, pid, key, error, capacity, inserted, queries):
    r.delete(key)
    rss0 = rss(pid) if pid else 0
    r.execute_command("BF.RESERVE", key, error, capacity)
    for start in range(0, inserted, BATCH * 10):
        p = r.pipeline(transaction=False)
        for s in range(start, min(inserted, start + BATCH * 10), BATCH):
            p.execute_command("BF.MADD", key,
                              *[b"in:%d" % i for i in range(s, min(inserted, s + BATCH))])
        p.execute()
    positives = 0
    for start in range(0, queries, BATCH * 10):
        p = r.pipeline(transaction=False)
        for s in range(start, min(queries, start + BATCH * 10), BATCH):
            p.execute_command("BF.MEXISTS", key,
                              *[b"out:%d" % i for i in range(s, min(queries, s + BATCH))])
        for answers in p.execute():
            positives += sum(answers)
    # No false negatives: a sample of the inserted items must all answer 1.
    sample = [b"in:%d" % i for i in range(0, inserted, max(1, inserted // 1000))]
    assert all(r.execute_command("BF.MEXISTS", key, *sample)), key
    info = r.execute_command("BF.INFO", key)
    info = dict(zip(info[::2], info[1::2]))
    growth = (rss(pid) - rss0) if pid else 0
    return positives, info, r.memory_usage(key), growth


def run(r, pid, args):
    ok = True
    print("| filter | error rate | capacity | inserted | filters | queries | false positives "
          "| observed rate | BF.INFO Size | MEMORY USAGE | daemon RSS growth |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for error in (0.01, 0.001):
        capacity = 1000
        while capacity <= args.max_capacity:
            queries = max(args.min_queries, 10 * capacity)
            for kind, inserted in (("scaling", capacity), ("scaled 4x", 4 * capacity)):
                pos, info, usage, growth = measure(r, pid, b"fp", error, capacity, inserted,
                                                   queries)
                rate = pos / queries
                ok = ok and rate <= error
                print(f"| {kind} | {error} | {capacity} | {inserted} | "
                      f"{info[b'Number of filters']} | {queries} | {pos} | {rate:.6f} | "
                      f"{info[b'Size']} | {usage} | {growth / 1048576:.1f} MB |", flush=True)
            capacity *= 10
    r.delete(b"fp")
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bindir", default="build")
    ap.add_argument("--port", type=int, default=0, help="use a running server instead")
    ap.add_argument("--max-capacity", type=int, default=100000)
    ap.add_argument("--min-queries", type=int, default=100000)
    args = ap.parse_args()
    with (contextlib.nullcontext() if args.port else
          harness.start_daemon(os.path.abspath(args.bindir))) as daemon:
        port = args.port or daemon.port
        pid = 0 if args.port else daemon.proc.pid
        ok = run(redis.Redis(host="127.0.0.1", port=port, socket_timeout=120), pid, args)
    print("\nall filters within their requested rate" if ok else "\nA FILTER EXCEEDED ITS RATE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
