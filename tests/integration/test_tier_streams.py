#!/usr/bin/env python3
# Streams on the disk tier (model: test_tier.py's lists): streams beyond maxmemory are offloaded
# whole (the codec in engine/types/stream.cc, node by node) and read back byte-exact by every
# stream command, XREAD's keys after STREAMS included; a stream changed after a cold read is
# written again, never served stale. Single-threaded.
import os
import random
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)


def entries_of(reply):
    return [(i, list(fv.items()) if isinstance(fv, dict) else fv) for i, fv in reply]


@test
def test_streams_go_to_disk_and_come_back_whole(opts):
    rng = random.Random(21)
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
            r = redis.Redis(host="127.0.0.1", port=d.port, socket_timeout=30)
            expect = {}  # key -> [(id, {field: value})] in order
            p = r.pipeline(transaction=False)
            for i in range(6000):
                k = b"stream:%d" % i
                entries = []
                for j in range(1, rng.randint(2, 120)):
                    eid = b"%d-%d" % (j, rng.randint(0, 3))
                    fields = {b"f%d" % f: bytes(rng.randrange(256) for _ in range(rng.randint(0, 30)))
                              for f in range(rng.choice([1, 1, 2, 5]))}
                    entries.append((eid, fields))
                    p.xadd(k, fields, id=eid)
                for eid, _ in rng.sample(entries, len(entries) // 5):
                    p.xdel(k, eid)
                    entries = [e for e in entries if e[0] != eid]
                expect[k] = entries
            p.execute()
            t = r.info("tier")
            assert t["tier_disk_keys"] > 2000, t
            cold = [k for k in expect if r.memory_usage(k) < 200]
            assert len(cold) > 2000, len(cold)
            assert r.type(cold[0]) == b"stream"  # TYPE never reads the disk
            for k in cold[:300]:
                got = r.xrange(k, "-", "+")
                assert [(e[0], e[1]) for e in got] == expect[k], k
            for k in cold[300:400]:
                assert r.xlen(k) == len(expect[k]), k
            # XREAD names its keys after STREAMS: they are read back before it runs.
            for k in cold[400:500]:
                got = r.xread({k: "0-0", b"no-such-stream": "0-0"}, count=3)
                assert got == [[k, [(e[0], e[1]) for e in expect[k][:3]]]], (k, got)
            # Change some that came back (and some still cold), push everything out, read all.
            for k in cold[:50] + cold[600:650]:
                eid = r.xadd(k, {b"new": b"entry"}, id="1000-0")
                expect[k].append((eid, {b"new": b"entry"}))
                first = expect[k][0][0]
                assert r.xdel(k, first) == 1
                expect[k].pop(0)
            for k in cold[650:700]:
                assert r.xtrim(k, maxlen=3, approximate=False) == max(0, len(expect[k]) - 3)
                expect[k] = expect[k][-3:]
            p = r.pipeline(transaction=False)
            for i in range(4000):
                p.set(b"filler:%d" % i, b"x" * 1000)
            p.execute()
            for k, entries in expect.items():
                got = r.xrange(k, "-", "+")
                assert [(e[0], e[1]) for e in got] == entries, k
            t = r.info("tier")
            assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
            assert t["tier_cold_reads"] > 2000, t
    finally:
        shutil.rmtree(td, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
