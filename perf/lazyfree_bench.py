#!/usr/bin/python3
"""How long deleting a huge collection stalls the server, with and without lazy freeing.

Loads one collection of N elements (list, set, hash or zset), then deletes it with DEL (freed on
the command's thread) or UNLINK (freed in the background when large) while another connection
sends PINGs back to back, and reports the DEL/UNLINK time and the PING latencies seen meanwhile.
With --type strings it loads N string keys instead and empties the server with FLUSHALL SYNC
and FLUSHALL ASYNC.
The daemon runs with --threads 1 so that the pinging client shares the deleting thread, which
is the case lazy freeing is for. Optionally the same against redis-server for comparison.

Usage: perf/lazyfree_bench.py BUILD_DIR [--type list|set|hash|zset|strings] [--elements N]
       [--redis]
"""

import argparse
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402
from harness import RawConn  # noqa: E402

LOADERS = {
    "list": lambda key, batch: ["RPUSH", key] + batch,
    "set": lambda key, batch: ["SADD", key] + batch,
    "hash": lambda key, batch: ["HSET", key] + [x for e in batch for x in (e, "v")],
    "zset": lambda key, batch: ["ZADD", key] + [x for i, e in enumerate(batch)
                                                 for x in (str(i), e)],
}


def load(port, kind, key, n, batch=1000):
    with RawConn(port, timeout=120) as c:
        pending = []
        for start in range(0, n, batch):
            elems = [f"element:{i:012d}" for i in range(start, min(n, start + batch))]
            if kind == "strings":  # N keys: MSET element:... v
                pending.append(["MSET"] + [x for e in elems for x in (e, "v")])
            else:
                pending.append(LOADERS[kind](key, elems))
            if len(pending) == 50:
                c.pipeline(pending, timeout=120)
                pending = []
        if pending:
            c.pipeline(pending, timeout=120)


def measure(port, cmd, expect):
    stop = threading.Event()
    lat = []

    def pinger():
        with RawConn(port) as c:
            while not stop.is_set():
                t = time.perf_counter()
                c.cmd("PING")
                lat.append(time.perf_counter() - t)

    th = threading.Thread(target=pinger)
    th.start()
    time.sleep(0.3)
    with RawConn(port, timeout=120) as c:
        t = time.perf_counter()
        reply = c.cmd(*cmd, timeout=120)
        took = time.perf_counter() - t
    time.sleep(0.3)
    stop.set()
    th.join()
    assert reply == expect, reply
    lat.sort()
    return took, lat[-1], lat[int(len(lat) * 0.99)]


def run(server, port, kind, n):
    out = []
    if kind == "strings":
        cmds = [(("FLUSHALL", "SYNC"), b"+OK\r\n"), (("FLUSHALL", "ASYNC"), b"+OK\r\n")]
    else:
        cmds = [(("DEL", "big"), b":1\r\n"), (("UNLINK", "big"), b":1\r\n")]
    for cmd, expect in cmds:
        load(port, kind, "big", n)
        took, worst, p99 = measure(port, cmd, expect)
        out.append((cmd, took, worst, p99))
        print(f"{server:8} {kind:5} {n:>10} {' '.join(cmd):14} {took * 1000:9.1f} ms   PING max "
              f"{worst * 1000:8.2f} ms  p99 {p99 * 1000:6.2f} ms", flush=True)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bindir")
    p.add_argument("--type", default="list", choices=sorted(LOADERS) + ["strings"])
    p.add_argument("--elements", type=int, default=10_000_000)
    p.add_argument("--redis", action="store_true", help="also run against redis-server")
    a = p.parse_args()
    with harness.start_daemon(os.path.abspath(a.bindir), ["--threads", "1"]) as d:
        run("aegisr", d.port, a.type, a.elements)
    if a.redis:
        with harness.start_redis() as r:
            run("redis", r.port, a.type, a.elements)


if __name__ == "__main__":
    main()
