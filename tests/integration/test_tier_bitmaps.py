#!/usr/bin/env python3
# The bitmap commands on values the disk tier has moved out of RAM: every bitmap command,
# BITOP's sources after its destination included, reads a cold value back before it runs, and
# what it answers or writes matches a Python model of the same bytes. Single-threaded.
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402
from values import fill, value_of  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)


def bit(v, i):
    return (v[i // 8] >> (7 - i % 8)) & 1 if i // 8 < len(v) else 0


def popcount(v):
    return sum(bin(b).count("1") for b in v)


@test
def test_bitmap_commands_read_cold_values_back(opts):
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
            r = redis.Redis(host="127.0.0.1", port=d.port, socket_timeout=30)
            fill(r, 0, 8000)
            cold = [i for i in range(8000) if r.memory_usage(b"key:%d" % i) < 200]
            assert len(cold) > 1000, len(cold)
            before = r.info("tier")["tier_cold_reads"]
            k = [b"key:%d" % i for i in cold[:10]]
            v = [value_of(i) for i in cold[:10]]
            assert r.getbit(k[0], 100) == bit(v[0], 100)
            assert r.bitcount(k[1]) == popcount(v[1])
            assert r.bitcount(k[2], 10, 20) == popcount(v[2][10:21])
            assert r.bitpos(k[3], 1, 9) == next(i for i in range(72, 8192) if bit(v[3], i))
            got = r.execute_command("BITFIELD_RO", k[4], "GET", "u16", "#3")
            assert got == [int.from_bytes(v[4][6:8], "big")], got
            assert r.setbit(k[5], 3, 1) == bit(v[5], 3)
            want = bytearray(v[5])
            want[0] |= 0x10
            assert r.get(k[5]) == bytes(want)
            got = r.execute_command("BITFIELD", k[6], "INCRBY", "u8", "#1", "1")
            assert got == [(v[6][1] + 1) % 256], got
            # BITOP's keys follow its operation word and destination: all read back first.
            assert r.bitop("XOR", b"dest", k[7], k[8]) == 1024
            assert r.get(b"dest") == bytes(a ^ b for a, b in zip(v[7], v[8]))
            assert r.bitop("NOT", k[9], k[9]) == 1024
            assert r.get(k[9]) == bytes(255 - b for b in v[9])
            t = r.info("tier")
            assert t["tier_cold_reads"] - before >= 10, t
            assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
    finally:
        shutil.rmtree(td, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
