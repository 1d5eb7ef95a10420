#!/usr/bin/env python3
# maxmemory and the eviction policies against the real daemon, with redis-py and raw RESP;
# Debian's redis-server as the oracle for error replies and OBJECT FREQ/IDLETIME.
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)
from values import fill, read_back, rss_bytes, sanitized, value_of  # noqa: E402

MB = 1 << 20


def client(port):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)


def info(r, section):
    return r.info(section)


@test
def test_256mb_of_1kb_values_under_64mb_every_value_intact(opts):
    # The scenario: four times the limit written through redis-py; what stays is
    # byte-exact, the keyspace stays at the limit and RSS near it.
    n = 256 * 1024
    args = ["--maxmemory", "64mb", "--maxmemory-policy", "adaptive"]
    with harness.start_daemon(opts.bindir, args) as d:
        r = client(d.port)
        rss_before = rss_bytes(d.proc.pid)
        fill(r, 0, n)
        mem = info(r, "memory")
        assert mem["maxmemory"] == 64 * MB
        assert mem["maxmemory_policy"] == "adaptive"
        assert mem["used_memory"] <= 64 * MB + 256 * 1024, mem["used_memory"]
        evicted = info(r, "stats")["evicted_keys"]
        present = read_back(r, 0, n)
        assert present == r.dbsize()
        assert evicted + present == n, (evicted, present)
        # 64 MiB of 1 KiB values is ~60k keys; most of the 256k had to go.
        assert 40000 < present < 70000, present
        grown = rss_bytes(d.proc.pid) - rss_before
        if not sanitized(d.proc.pid):  # ASan's quarantine keeps freed memory resident
            assert grown < 64 * MB * 1.6, f"RSS grew by {grown / MB:.0f} MiB under maxmemory 64mb"


@test
def test_every_evicting_policy_keeps_memory_under_the_limit(opts):
    for policy in ("allkeys-lru", "allkeys-lfu", "allkeys-random", "adaptive"):
        with harness.start_daemon(opts.bindir, ["--maxmemory", "8mb",
                                                "--maxmemory-policy", policy]) as d:
            r = client(d.port)
            fill(r, 0, 32 * 1024)
            used = info(r, "memory")["used_memory"]
            assert used <= 8 * MB + 256 * 1024, (policy, used)
            present = read_back(r, 0, 32 * 1024)
            assert 4000 < present < 9000, (policy, present)
            assert info(r, "stats")["evicted_keys"] == 32 * 1024 - present, policy


@test
def test_noeviction_refuses_writes_but_serves_reads_and_deletes(opts):
    with harness.start_daemon(opts.bindir, ["--maxmemory", "2mb"]) as d:
        r = client(d.port)
        assert r.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        with harness.RawConn(d.port) as c:
            oom = None
            for i in range(10000):
                reply = c.cmd("SET", f"key:{i}", value_of(i))
                if reply != b"+OK\r\n":
                    oom = reply
                    break
            assert oom == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n", oom
            assert c.cmd("GET", "key:0") == b"$1024\r\n" + value_of(0) + b"\r\n"
            assert c.cmd("APPEND", "key:0", "x").startswith(b"-OOM")
            assert c.cmd("EXISTS", "key:0") == b":1\r\n"
            assert c.cmd("DEL", "key:0", "key:1", "key:2") == b":3\r\n"  # not denyoom
            assert c.cmd("SET", "again", "v") == b"+OK\r\n"  # room again
            assert info(r, "stats")["evicted_keys"] == 0
            # Raising the limit at run time lets writes through at once.
            assert c.cmd("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
            assert c.cmd("SET", "big", b"x" * MB) == b"+OK\r\n"


@test
def test_oom_and_object_replies_match_redis(opts):
    # Same sequence to both servers, replies compared byte for byte. maxmemory 1 puts both over
    # the limit whatever their baseline, so every write is refused and reads still work.
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        diff = harness.Differential(ref.port, dut.port, label=" maxmemory")
        # Keys are created under the policy they are asked about: after a switch Redis reports
        # values that "take some time to adjust" (it tracks recency or frequency, never both),
        # where Aegisr, which tracks both, reports the true ones (README, known differences).
        for cmd in [("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
                    ("SET", "k", "v"), ("SET", "n", "1"),
                    ("OBJECT", "FREQ", "k"), ("GET", "k"), ("OBJECT", "FREQ", "k"),
                    ("OBJECT", "IDLETIME", "k"), ("OBJECT", "FREQ", "nokey"),
                    ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("SET", "k3", "v"),
                    ("OBJECT", "IDLETIME", "k3"), ("OBJECT", "FREQ", "k3"),
                    ("CONFIG", "SET", "maxmemory-policy", "volatile-lfu"),
                    ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
                    ("CONFIG", "SET", "maxmemory", "1"),
                    ("SET", "k2", "v"), ("INCR", "n"), ("APPEND", "k", "x"), ("GET", "k"),
                    ("MSET", "a", "1", "b", "2"), ("SETNX", "z", "1"), ("EXISTS", "k"),
                    ("DEL", "k"), ("DEL", "n"), ("CONFIG", "SET", "maxmemory", "0"),
                    ("SET", "k2", "v"), ("CONFIG", "GET", "maxmemory"),
                    ("CONFIG", "SET", "maxmemory", "10mb"), ("CONFIG", "GET", "maxmemory"),
                    ("CONFIG", "SET", "maxmemory", "-1"), ("CONFIG", "SET", "maxmemory", "lots"),
                    ("CONFIG", "SET", "maxmemory-samples", "0"),
                    ("CONFIG", "SET", "lfu-log-factor", "-1"),
                    ("CONFIG", "GET", "lfu-*")]:
            # A pattern's matches come in hash-table order in Redis.
            diff.check(*cmd, mode="sorted" if cmd[-1].endswith("*") else "exact")
        diff.close()
        assert diff.mismatches == 0, f"{diff.mismatches} of {diff.commands} replies differ"


@test
def test_volatile_policies_evict_only_keys_with_a_ttl(opts):
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb",
                                                "--maxmemory-policy", policy]) as d:
            r = client(d.port)
            fill(r, 0, 1000)  # ~1 MiB without TTL: must all survive
            p = r.pipeline(transaction=False)
            for i in range(1000, 12000):
                p.set(b"key:%d" % i, value_of(i), ex=1000 + i)
            replies = p.execute(raise_on_error=False)
            assert all(x is True for x in replies), policy
            assert read_back(r, 0, 1000) == 1000, policy
            assert info(r, "stats")["evicted_keys"] > 0, policy
            # With only persistent keys left to write, memory cannot be freed: OOM.
            r.flushall()
            fill(r, 0, 3000)
            try:
                fill(r, 3000, 3000)
                raise AssertionError(f"{policy}: no OOM with nothing evictable")
            except AssertionError as e:
                if "no OOM" in str(e):
                    raise
                assert "OOM" in str(e), e


@test
def test_volatile_ttl_evicts_the_soonest_expiring_first(opts):
    with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--maxmemory-policy",
                                            "volatile-ttl", "--maxmemory-samples", "20"]) as d:
        r = client(d.port)
        p = r.pipeline(transaction=False)
        for i in range(6000):
            p.set(b"key:%d" % i, value_of(i), ex=100000 - i)  # later keys expire sooner
        p.execute()
        present = [r.exists(b"key:%d" % i) for i in range(6000)]
        early, late = sum(present[:1000]), sum(present[-1000:])
        # Sampling is approximate, as Redis's: redis-server 7.0 in the same scenario kept
        # 1000 / 274 (its baseline memory added to the limit).
        assert early > 900 and late < 600, (early, late)


@test
def test_lru_keeps_recently_read_keys(opts):
    with harness.start_daemon(opts.bindir, ["--maxmemory", "6mb", "--maxmemory-policy",
                                            "allkeys-lru", "--maxmemory-samples", "20"]) as d:
        r = client(d.port)
        fill(r, 0, 4000)
        time.sleep(2.1)  # the access clock counts seconds, as Redis's
        hot = range(0, 4000, 8)
        for i in hot:
            assert r.get(b"key:%d" % i) == value_of(i)
        fill(r, 4000, 4000)  # forces ~3000 evictions
        kept_hot = sum(r.exists(b"key:%d" % i) for i in hot)
        kept_cold = sum(r.exists(b"key:%d" % i) for i in range(0, 4000) if i % 8)
        assert kept_hot > 0.9 * len(hot), (kept_hot, len(hot))
        assert kept_cold < 0.5 * 3500, kept_cold


@test
def test_lfu_keeps_frequently_read_keys(opts):
    for policy in ("allkeys-lfu", "adaptive"):
        with harness.start_daemon(opts.bindir, ["--maxmemory", "6mb", "--maxmemory-policy",
                                                policy, "--maxmemory-samples", "20"]) as d:
            r = client(d.port)
            fill(r, 0, 4000)
            hot = range(0, 4000, 8)
            p = r.pipeline(transaction=False)
            for _ in range(100):
                for i in hot:
                    p.get(b"key:%d" % i)
            p.execute()
            # 5, then 6 on the first hit; each later hit adds one with probability 1/11 at 6:
            # 99 hits leave it at 6 with probability (10/11)^99 < 1e-4 (30 hits: 6%, seen in CI).
            assert r.object("freq", b"key:0") >= 7
            fill(r, 4000, 4000)
            kept_hot = sum(r.exists(b"key:%d" % i) for i in hot)
            assert kept_hot > 0.9 * len(hot), (policy, kept_hot, len(hot))


@test
def test_adaptive_keeps_proven_keys_through_a_scan(opts):
    # 2000 keys read twice each, then a one-time write scan of 2.5x maxmemory. LRU keeps what
    # the scan wrote last; adaptive evicts the keys never seen before and never hit first.
    kept = {}
    for policy in ("allkeys-lru", "adaptive"):
        with harness.start_daemon(opts.bindir, ["--maxmemory", "6mb", "--maxmemory-policy",
                                                policy]) as d:
            r = client(d.port)
            fill(r, 0, 2000)
            p = r.pipeline(transaction=False)
            for _ in range(2):
                for i in range(2000):
                    p.get(b"key:%d" % i)
            p.execute()
            # The access clock counts seconds: let the proven keys grow idle, so that LRU (the
            # idlest: a proven key) and LFU (the least used: a scan key) choose differently and
            # the adaptive policy's victims start duels.
            time.sleep(2.1)
            fill(r, 2000, 12000)
            kept[policy] = sum(r.exists(b"key:%d" % i) for i in range(2000))
            if policy == "adaptive":
                # Asking again for evicted scan keys (EXISTS does not count as asking) decides
                # their duels against the proven keys kept in their place: ghost hits.
                p = r.pipeline(transaction=False)
                for i in range(2000, 14000):
                    p.get(b"key:%d" % i)
                misses = sum(v is None for v in p.execute())
                assert misses > 5000, misses
                stats = info(r, "stats")
                assert stats["evict_ghost_hits"] > 0, stats
                assert 0.0 <= float(stats["evict_recency_weight"]) <= 1.0, stats
                # Duel table and miss sketch sized for the keys held, within maxmemory / 64,
                # never under the minimums (4096 duel slots of 8 bytes, 65536 one-byte cells).
                minimum = 4096 * 8 + 65536
                assert minimum <= stats["evict_policy_table_bytes"] <= max(minimum, 6 << 20 >> 6), \
                    stats
    assert kept["adaptive"] > 0.9 * 2000, kept
    assert kept["allkeys-lru"] < 0.5 * 2000, kept


@test
def test_bad_policy_and_limits_are_refused(opts):
    p = subprocess.run([harness.daemon_path(opts.bindir), "--maxmemory-policy", "sometimes"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=10)
    assert p.returncode == 2, p
    assert b"maxmemory-policy" in p.stdout and b"adaptive" in p.stdout, p.stdout
    with harness.start_daemon(opts.bindir) as d:
        c = client(d.port)
        try:
            c.config_set("maxmemory-policy", "sometimes")
            raise AssertionError("bad policy accepted")
        except redis.ResponseError as e:
            assert "argument(s) must be one of the following" in str(e)
        assert c.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        c.config_set("maxmemory", "1gb")
        assert c.info("memory")["maxmemory_human"] == "1.00G"


if __name__ == "__main__":
    sys.exit(harness.main())
