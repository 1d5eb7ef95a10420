#!/usr/bin/env python3
# The disk tier against the real daemon (redis-py and raw RESP): values beyond maxmemory move to
# segment files in tier-dir and come back on demand; commands that do not need a value never
# read the disk; a full or corrupt tier costs an error, never a wrong value.
import contextlib
import glob
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402
from values import fill, read_back, rss_bytes, sanitized, value_of  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)

MB = 1 << 20


def client(port):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)


class TierDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="aegisr-tier-")
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def tier(r):
    return r.info("tier")


@test
def test_256mb_of_1kb_values_under_64mb_all_come_back(opts):
    # The scenario with the tier on: nothing may be lost, every value byte-exact.
    n = 256 * 1024
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "64mb", "--tier-dir", td]) as d:
        r = client(d.port)
        rss_before = rss_bytes(d.proc.pid)
        fill(r, 0, n)
        t = tier(r)
        assert t["tier_enabled"] == 1
        assert t["tier_disk_keys"] > n // 2, t
        assert r.dbsize() == n
        assert r.info("memory")["used_memory"] <= 64 * MB + 256 * 1024
        assert read_back(r, 0, n) == n  # all present, each checked
        t = tier(r)
        assert t["tier_cold_reads"] > n // 2, t
        assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
        assert r.info("stats")["evicted_keys"] == 0
        grown = rss_bytes(d.proc.pid) - rss_before
        if not sanitized(d.proc.pid):  # ASan's quarantine keeps freed memory resident
            assert grown < 64 * MB * 1.6, f"RSS grew by {grown / MB:.0f} MiB under maxmemory 64mb"
        assert glob.glob(os.path.join(td, "aegisr-w*.seg")), os.listdir(td)


def cold_keys(r, first, count):
    """Keys of [first, first+count) whose value is on disk now (OBJECT FREQ/IDLETIME and the
    like never load; MEMORY USAGE of an on-disk key is small)."""
    return [i for i in range(first, first + count)
            if r.memory_usage(b"key:%d" % i) < 200]


@contextlib.contextmanager
def cold_tier(opts, extra=()):
    """A daemon under maxmemory 4mb with a disk tier and 8000 1 KB values written (key:0 ..
    key:7999). Yields the daemon, a client, the tier dir and the ids whose values are on disk."""
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td] + list(extra)) as d:
        r = client(d.port)
        fill(r, 0, 8000)
        yield d, r, td, cold_keys(r, 0, 8000)


@test
def test_commands_without_values_never_read_the_disk(opts):
    with cold_tier(opts) as (d, r, _, cold):
        assert len(cold) > 1000, len(cold)
        before = tier(r)["tier_cold_reads"]
        k = [b"key:%d" % i for i in cold[:50]]
        assert r.exists(*k) == 50
        assert r.type(k[0]) == b"string"
        assert r.ttl(k[1]) == -1
        assert r.expire(k[1], 1000) is True
        assert 990 < r.ttl(k[1]) <= 1000
        assert r.persist(k[1]) is True
        assert r.touch(k[2]) == 1
        cursor, found = 0, 0
        while True:
            cursor, keys = r.scan(cursor, count=1000)
            found += len(keys)
            if cursor == 0:
                break
        assert found == 8000
        # DEBUG OBJECT says where a value lives, without reading it.
        with harness.RawConn(d.port) as c:
            line = c.cmd("DEBUG", "OBJECT", k[7])
            assert line.startswith(b"+Value at:") and b" encoding:disk " in line, line
            assert line.endswith(b" tier:disk\r\n"), line
            assert c.cmd("DEBUG", "OBJECT", "no-such-key") == b"-ERR no such key\r\n"
        where = r.execute_command("MEMORY", "USAGE", k[7], "WHERE")
        assert where[:4] == [b"ram_bytes", where[1], b"tier", b"disk"], where
        assert where[4] == b"disk_bytes" and where[5] > 1024 and 0 < where[1] < 200, where
        assert isinstance(r.memory_usage(k[7]), int)  # without WHERE: Redis's integer
        assert r.memory_usage(b"no-such-key") is None
        assert r.execute_command("MEMORY", "USAGE", b"no-such-key", "WHERE") is None
        try:
            r.execute_command("MEMORY", "USAGE", k[7], "WHEREVER")
            raise AssertionError("an unknown MEMORY USAGE option was accepted")
        except redis.ResponseError as e:
            assert "syntax error" in str(e), e
        assert r.set(k[3], b"new") is True  # an overwrite needs no old value
        assert r.delete(k[4], k[5]) == 2
        assert r.unlink(k[6]) == 1
        assert tier(r)["tier_cold_reads"] == before, "a value-free command read the disk"
        assert r.get(k[3]) == b"new"
        assert r.exists(k[4]) == 0
        assert r.get(k[7]) == value_of(cold[7])
        with harness.RawConn(d.port) as c:
            line = c.cmd("DEBUG", "OBJECT", k[7])
            assert b" encoding:raw serializedlength:1024 " in line and line.endswith(
                b" tier:ram+disk\r\n"), line  # back in RAM, its record kept as a clean copy
        where = r.execute_command("MEMORY", "USAGE", k[7], "WHERE")
        assert where[3] == b"ram+disk" and where[1] > 1024 and where[5] > 1024, where
        assert r.append(k[7], b"!") == 1025
        where = r.execute_command("MEMORY", "USAGE", k[7], "WHERE")
        assert where[3] == b"ram" and where[5] == 0, where  # changed: the copy is let go


@test
def test_values_read_back_return_to_disk_without_a_write_until_changed(opts):
    with cold_tier(opts) as (d, r, _, cold):
        cold = cold[:1500]
        assert len(cold) == 1500, len(cold)
        p = r.pipeline(transaction=False)
        for i in cold:
            p.get(b"key:%d" % i)
        assert p.execute() == [value_of(i) for i in cold]
        t = tier(r)
        assert t["tier_clean_keys"] > 0, t
        # Where values and hits are: every key is counted once, in RAM or on disk.
        assert t["tier_ram_keys"] + t["tier_disk_keys"] == r.dbsize(), t
        assert t["tier_disk_hits"] >= 1500 and t["tier_ram_hits"] >= 0, t
        assert 0 < t["tier_ram_bytes"] <= r.info("memory")["used_memory"] + 64 * 1024, t
        changed = cold[0]
        with harness.RawConn(d.port) as c:
            # Read-back values keep their record as a clean copy. (Which of them are still in
            # RAM is the policy's choice: reading 1500 back went over maxmemory again.)
            states = [c.cmd("DEBUG", "OBJECT", b"key:%d" % i).rsplit(b" ", 1)[1]
                      for i in cold[1:300]]
            assert b"tier:ram+disk\r\n" in states, set(states)
            assert c.cmd("APPEND", b"key:%d" % changed, b"!") == b":1025\r\n"
            line = c.cmd("DEBUG", "OBJECT", b"key:%d" % changed)
            assert line.endswith(b" tier:ram\r\n"), line  # changed: the old record is let go
        # New writes push the read-back values out again: unchanged ones just drop their RAM
        # copy (no record written), the changed one is written anew.
        fill(r, 8000, 4000)
        t2 = tier(r)
        assert t2["tier_clean_offloads"] > 500, t2
        assert t2["tier_clean_keys"] < t["tier_clean_keys"], (t, t2)
        assert r.get(b"key:%d" % changed) == value_of(changed) + b"!"
        # Cold reads per second: a whole-second rate, sampled by the cron.
        rate, deadline, i = 0, time.monotonic() + 5, 0
        while rate == 0 and time.monotonic() < deadline:
            p = r.pipeline(transaction=False)
            for j in cold_keys(r, i, 400):
                p.get(b"key:%d" % j)
            p.execute()
            i = (i + 400) % 12000
            rate = tier(r)["tier_cold_reads_per_sec"]
        assert rate > 0, tier(r)
        unchanged = [i for i in range(0, 12000) if i != changed]
        for start in range(0, len(unchanged), 1000):
            ids = unchanged[start:start + 1000]
            got = r.mget([b"key:%d" % i for i in ids])
            assert got == [value_of(i) for i in ids], "a value came back wrong"
        assert tier(r)["tier_read_errors"] == 0


@test
def test_value_commands_bring_cold_values_back(opts):
    for backend in ("uring", "epoll"):
        with cold_tier(opts, ["--io-backend", backend]) as (d, r, _, cold):
            assert len(cold) > 1000, (backend, len(cold))
            a, b, c, e, f = (b"key:%d" % i for i in cold[:5])
            ia, ib = cold[0], cold[1]
            # Several cold keys in one command, and one key twice.
            assert r.mget(a, b, a) == [value_of(ia), value_of(ib), value_of(ia)]
            assert r.strlen(c) == 1024
            assert r.getrange(e, 0, 8) == value_of(cold[3])[:9]
            assert r.append(f, b"!") == 1025
            assert r.get(f) == value_of(cold[4]) + b"!"
            g = b"key:%d" % cold[5]
            assert r.set(g, b"x", get=True) == value_of(cold[5])
            h = b"key:%d" % cold[6]
            assert r.rename(h, b"renamed") is True
            assert r.get(b"renamed") == value_of(cold[6])
            # A pipeline mixing cold reads with other commands keeps its order.
            p = r.pipeline(transaction=False)
            ids = cold[10:60]
            for i in ids:
                p.get(b"key:%d" % i)
                p.incr(b"counter")
            out = p.execute()
            assert out[0::2] == [value_of(i) for i in ids], backend
            assert out[1::2] == list(range(1, 51)), backend
            reads = tier(r)["tier_cold_reads"]
            assert reads >= 57, (backend, reads)  # 2 + 1 + 1 + 1 + 1 + 1 + 50


@test
def test_lists_go_to_disk_and_come_back_whole(opts):
    # Lists are offloaded whole (the codec in engine/list_family.cc) and read back byte-exact by any
    # list command; a list changed after a cold read is written again, never served stale.
    rng = random.Random(11)
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
        r = client(d.port)
        expect = {}
        p = r.pipeline(transaction=False)
        for i in range(12000):
            items = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
                     for _ in range(rng.randint(1, 40))]
            expect[b"list:%d" % i] = items
            p.rpush(b"list:%d" % i, *items)
        p.execute()
        t = tier(r)
        assert t["tier_disk_keys"] > 4000, t
        cold = [k for k in expect if r.memory_usage(k) < 200]
        assert len(cold) > 4000, len(cold)
        assert r.type(cold[0]) == b"list"  # TYPE never reads the disk
        for k in cold[:500]:
            assert r.lrange(k, 0, -1) == expect[k], k
        # LMPOP names its keys after a count: they are read back too before it runs.
        for k in cold[500:600]:
            got = r.execute_command("LMPOP", 2, b"no-such-list", k, "LEFT", "COUNT", 2)
            assert got == [k, expect[k][:2]], (k, got)
            del expect[k][:2]
            if not expect[k]:
                del expect[k]
        # Change some that came back, then push everything out again and read it all.
        for k in cold[:100]:
            r.rpush(k, b"tail")
            expect[k].append(b"tail")
            assert r.lpop(k) == expect[k].pop(0)
            if not expect[k]:
                del expect[k]
        p = r.pipeline(transaction=False)
        for i in range(3000, 6000):
            p.set(b"filler:%d" % i, b"x" * 1000)
        p.execute()
        for k, items in expect.items():
            assert r.lrange(k, 0, -1) == items, k
        t = tier(r)
        assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t


@test
def test_hashes_go_to_disk_and_come_back_whole(opts):
    # Hashes are offloaded whole (the codec in engine/hash_family.cc: encoding, fields in order,
    # field TTLs) and read back byte-exact by any hash command; a hash changed after a cold read
    # is written again, never served stale.
    rng = random.Random(12)
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
        r = client(d.port)
        expect = {}
        p = r.pipeline(transaction=False)
        for i in range(12000):
            n = rng.choice([rng.randint(1, 30), 600]) if i % 50 == 0 else rng.randint(1, 30)
            fields = {}
            for j in range(n):
                fields[b"f%d:" % j + bytes(rng.randrange(256) for _ in range(rng.randint(0, 8)))] = \
                    bytes(rng.randrange(256) for _ in range(rng.choice([0, 5, 40, 100])))
            expect[b"hash:%d" % i] = fields
            p.hset(b"hash:%d" % i, mapping=fields)
            if i % 3 == 0:
                p.execute_command("HPEXPIRE", b"hash:%d" % i, 3600 * 1000, "FIELDS", 1,
                                  next(iter(fields)))
        p.execute()
        listpack_order = {k: r.hkeys(k) for k in list(expect)[-200:]}
        cold = [k for k in expect if r.memory_usage(k) < 200]
        assert len(cold) > 4000, len(cold)
        assert r.type(cold[0]) == b"hash"  # TYPE never reads the disk
        for k in cold[:500]:
            assert r.hgetall(k) == expect[k], k
        # The field TTLs came back with the values.
        for k in cold[:300]:
            i = int(k.split(b":")[1])
            ttl = r.execute_command("HPTTL", k, "FIELDS", 1, next(iter(expect[k])))
            assert (ttl[0] > 3000 * 1000) if i % 3 == 0 else ttl == [-1], (k, ttl)
        # Change some that came back, then push everything out again and read it all.
        for k in cold[:100]:
            r.hset(k, b"added", b"v")
            expect[k][b"added"] = b"v"
            gone = next(iter(expect[k]))
            assert r.hdel(k, gone) == 1
            del expect[k][gone]
            if not expect[k]:
                del expect[k]
        p = r.pipeline(transaction=False)
        for i in range(3000, 6000):
            p.set(b"filler:%d" % i, b"x" * 1000)
        p.execute()
        for k, fields in expect.items():
            assert r.hgetall(k) == fields, k
        for k, order in listpack_order.items():  # small hashes keep their field order
            if r.object("encoding", k) == b"listpack":
                assert r.hkeys(k) == order, k
        t = tier(r)
        assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t


@test
def test_sets_go_to_disk_and_come_back_whole(opts):
    # Sets are offloaded whole in their encoding (the codec in engine/types/set_value.cc) and read
    # back byte-exact by any set command, multi-key ones (SINTERCARD's keys follow a count)
    # included; a set changed after a cold read is written again, never served stale.
    rng = random.Random(12)
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
        r = client(d.port)
        expect = {}
        p = r.pipeline(transaction=False)
        for i in range(12000):
            kind = i % 3
            n = rng.randint(1, 200 if kind == 2 else 40)
            if kind == 0:  # integers (intset)
                members = {b"%d" % rng.randint(-1 << 40, 1 << 40) for _ in range(n)}
            else:  # binary strings (listpack; hashtable past 128 members)
                members = {bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
                           for _ in range(n)}
            expect[b"set:%d" % i] = members
            p.sadd(b"set:%d" % i, *members)
        p.execute()
        t = tier(r)
        assert t["tier_disk_keys"] > 4000, t
        cold = [k for k in expect if r.memory_usage(k) < 200]
        assert len(cold) > 4000, len(cold)
        assert r.type(cold[0]) == b"set"  # TYPE never reads the disk
        encodings = set()
        for k in cold[:600]:
            assert r.smembers(k) == expect[k], k
            encodings.add(r.object("encoding", k))
        assert encodings == {b"intset", b"listpack", b"hashtable"}, encodings
        for k in cold[600:700]:
            assert r.execute_command("SINTERCARD", 2, k, b"no-such-set") == 0
            assert r.execute_command("SINTERCARD", 1, k) == len(expect[k]), k
        # SMOVE and SUNIONSTORE between cold keys, then push everything out again.
        for a, b in zip(cold[700:800:2], cold[701:800:2]):
            m = next(iter(expect[a]))
            assert r.smove(a, b, m) == 1
            expect[a].discard(m)
            expect[b].add(m)
            if not expect[a]:
                del expect[a]
        for i, k in enumerate(cold[800:900]):
            dst = b"union:%d" % i
            assert r.sunionstore(dst, k, cold[900 + i]) == len(expect[k] | expect[cold[900 + i]])
            expect[dst] = expect[k] | expect[cold[900 + i]]
        p = r.pipeline(transaction=False)
        for i in range(3000, 6000):
            p.set(b"filler:%d" % i, b"x" * 1000)
        p.execute()
        for k, members in expect.items():
            assert r.smembers(k) == members, k
        t = tier(r)
        assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t


@test
def test_zsets_go_to_disk_and_come_back_whole(opts):
    # Sorted sets are offloaded whole (the codec in engine/zset_family.cc), both encodings, and
    # read back byte-exact with their scores by any sorted-set command, the ones that name their
    # keys after a count (ZMPOP, ZUNIONSTORE) included.
    rng = random.Random(12)
    with TierDir() as td, harness.start_daemon(
            opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
        r = client(d.port)
        expect = {}
        p = r.pipeline(transaction=False)
        for i in range(12000):
            n = rng.randint(1, 20) if i % 10 else rng.randint(129, 200)  # some skiplists
            items = {bytes(rng.randrange(256) for _ in range(rng.randint(0, 30))):
                     rng.choice([rng.uniform(-1e6, 1e6), float(rng.randint(-5, 5)),
                                 float("inf"), float("-inf")]) for _ in range(n)}
            expect[b"zset:%d" % i] = items
            p.zadd(b"zset:%d" % i, items)
        p.execute()

        def ordered(items):
            return sorted(items.items(), key=lambda kv: (kv[1], kv[0]))

        t = tier(r)
        assert t["tier_disk_keys"] > 4000, t
        cold = [k for k in expect if r.memory_usage(k) < 200]
        assert len(cold) > 4000, len(cold)
        assert r.type(cold[0]) == b"zset"
        encodings = set()
        for k in cold[:600]:
            assert r.zrange(k, 0, -1, withscores=True) == ordered(expect[k]), k
            encodings.add(r.object("encoding", k))
        assert encodings == {b"listpack", b"skiplist"}, encodings
        # ZMPOP and ZUNIONSTORE name their keys after a count: read back before they run.
        for k in cold[600:700]:
            got = r.execute_command("ZMPOP", 2, b"no-such-zset", k, "MIN", "COUNT", 2)
            want = ordered(expect[k])[:2]
            assert got[0] == k and [(m, float(s)) for m, s in got[1]] == want, (k, got)
            for m, _ in want:
                del expect[k][m]
            if not expect[k]:
                del expect[k]
        for k in cold[700:800]:
            if k not in expect:
                continue
            assert r.zunionstore(b"copy:" + k, [k]) == len(expect[k])
            assert r.zrange(b"copy:" + k, 0, -1, withscores=True) == ordered(expect[k])
        # Change some that came back, push everything out again and read it all.
        for k in cold[:100]:
            r.zincrby(k, 1.5, b"extra")
            expect[k][b"extra"] = expect[k].get(b"extra", 0) + 1.5
        p = r.pipeline(transaction=False)
        for i in range(3000, 6000):
            p.set(b"filler:%d" % i, b"x" * 1000)
        p.execute()
        for k, items in expect.items():
            assert r.zrange(k, 0, -1, withscores=True) == ordered(items), k
        t = tier(r)
        assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t


@test
def test_twenty_clients_asking_for_one_cold_value_all_get_it(opts):
    # Twenty clients ask for the same cold value at once: every one gets it, the value is read
    # back once per key (clients that ask while a read is in flight join it, on their own loop
    # or, with four loops, through the server's registry of reads in flight, counted in
    # tier_coalesced_reads; later ones find it in RAM). Whether any ask overlaps a read is up to
    # timing (page-cache reads take microseconds), so only the outcome is checked.
    for threads in ("1", "4"):
        with cold_tier(opts, ["--threads", threads]) as (d, r, _, cold):
            conns = [harness.RawConn(d.port) for _ in range(20)]
            try:
                for i in cold[:10]:
                    key = b"key:%d" % i
                    want = b"$1024\r\n" + value_of(i) + b"\r\n"
                    data = harness.encode_command("GET", key)
                    for c in conns:
                        c.send(data)
                    for c in conns:
                        assert c.read_reply() == want, (threads, i)
            finally:
                for c in conns:
                    c.close()
            t = tier(r)
            assert t["tier_cold_reads"] == 10, (threads, t)  # once per key, however many asked


@test
def test_half_closed_client_gets_its_cold_values(opts):
    # `... | nc -N`: the requests and the EOF arrive together while the values are on disk.
    with cold_tier(opts) as (d, r, _, cold):
        cold = cold[:3]
        s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        try:
            s.sendall(b"".join(harness.encode_command("GET", b"key:%d" % i) for i in cold) +
                      harness.encode_command("PING"))
            s.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        finally:
            s.close()
        want = b"".join(b"$1024\r\n" + value_of(i) + b"\r\n" for i in cold) + b"+PONG\r\n"
        assert got == want, (len(got), len(want))


@test
def test_full_tier_stops_offloading_and_loses_nothing(opts):
    # tier-max-size of 2 MiB holds ~2000 values: then the policy takes over (OOM under
    # noeviction, eviction under allkeys-lru), with a warning; what is stored stays exact.
    for policy in ("noeviction", "allkeys-lru"):
        with TierDir() as td, harness.start_daemon(
                opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td, "--tier-max-size", "2mb",
                              "--maxmemory-policy", policy]) as d:
            r = client(d.port)
            refused = 0
            for start in range(0, 12000, 500):
                p = r.pipeline(transaction=False)
                for i in range(start, start + 500):
                    p.set(b"key:%d" % i, value_of(i))
                for reply in p.execute(raise_on_error=False):
                    if reply is not True:
                        assert "OOM" in str(reply), reply
                        refused += 1
            t = tier(r)
            assert t["tier_full"] == 1 and t["tier_no_space_events"] > 0, t
            assert t["tier_disk_bytes"] <= 2 * MB + 64 * 1024, t
            if policy == "noeviction":
                assert refused > 0
            else:
                assert refused == 0 and r.info("stats")["evicted_keys"] > 0
            stored = r.dbsize()
            present = read_back(r, 0, 12000)  # (values read back may evict others)
            assert present >= r.dbsize() and present > 1000, (policy, present, stored)
            if policy == "noeviction":
                assert present == stored, (present, stored)  # nothing may go
            assert t["tier_offload_failures"] < 200, t  # one try a second, not per candidate
            assert "offloading stopped" in d.log(), policy


def private_tmpfs_prefix(path):
    """An argv prefix under which `mount -t tmpfs ... path` works in a private mount namespace
    (root, or an unprivileged user namespace), or None where this machine allows neither."""
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        try:
            p = subprocess.run(prefix + ["sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {path}"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if p.returncode == 0:
            return prefix
    return None


def write_batch(r, ids):
    """SETs key:i for ids; returns the ids acknowledged (the rest must have got the OOM error)."""
    p = r.pipeline(transaction=False)
    for i in ids:
        p.set(b"key:%d" % i, value_of(i))
    ok = []
    for i, reply in zip(ids, p.execute(raise_on_error=False)):
        if reply is True:
            ok.append(i)
        else:
            assert "OOM" in str(reply), reply
    return ok


@test
def test_a_real_enospc_stops_offloading_loses_nothing_and_offloading_resumes(opts):
    # The tier directory is a 3 MiB tmpfs in a private mount namespace: the kernel itself
    # answers ENOSPC (no tier-max-size is set). Under noeviction the writes that find RAM and
    # disk full get the OOM error; everything acknowledged reads back exact; deleting keys
    # frees whole segments and offloading resumes.
    with TierDir() as td:
        prefix = private_tmpfs_prefix(td)
        if prefix is None:
            print("    (skipped: this machine allows no private mount namespace for a tmpfs)")
            return
        port = harness.free_port()
        daemon = harness.daemon_path(opts.bindir)
        script = (f"mount -t tmpfs -o size=3m tmpfs {td} && exec {daemon} -p {port} "
                  f"--maxmemory 4mb --tier-dir {td} --tier-segment-size 256kb")
        with harness.ServerHandle("aegisr-daemon", prefix + ["sh", "-c", script], port) as d:
            d.wait_ready(10)
            r = client(d.port)
            stored = []
            for start in range(0, 12000, 500):
                stored += write_batch(r, list(range(start, start + 500)))
            t = tier(r)
            assert t["tier_no_space_events"] > 0 and t["tier_full"] == 1, t
            assert len(stored) < 12000, "RAM and a 3 MiB tmpfs cannot hold 12 MB"
            assert len(stored) > 4000, len(stored)
            assert "offloading stopped" in d.log()
            assert r.dbsize() == len(stored)
            assert read_back(r, 0, 12000) == len(stored)  # each one byte-exact
            # Free the oldest two thirds: their segments empty out and compaction deletes them.
            gone = stored[: len(stored) * 2 // 3]
            for start in range(0, len(gone), 1000):
                assert r.delete(*[b"key:%d" % i for i in gone[start:start + 1000]]) > 0
            # Offloading resumes (it retries once a second): new writes are accepted again.
            offloaded_before = tier(r)["tier_offloaded_keys"]
            more, deadline = [], time.monotonic() + 20
            next_id = 12000
            while len(more) < 2000 and time.monotonic() < deadline:
                more += write_batch(r, list(range(next_id, next_id + 200)))
                next_id += 200
                time.sleep(0.05)
            assert len(more) >= 2000, (len(more), tier(r))
            # RAM was full, so those writes were accepted only because values went to disk
            # again. (Whether the tier is full once more by now depends on how far compaction
            # got under the machine's load: not asserted.)
            t = tier(r)
            assert t["tier_offloaded_keys"] > offloaded_before, t
            assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
            kept = sorted(set(stored) - set(gone)) + more
            for start in range(0, len(kept), 1000):
                ids = kept[start:start + 1000]
                assert r.mget([b"key:%d" % i for i in ids]) == [value_of(i) for i in ids]


@test
def test_corrupt_segment_gives_an_error_and_the_daemon_keeps_serving(opts):
    with cold_tier(opts) as (d, r, td, cold):
        assert len(cold) > 1000
        # Make sure the records are on disk, then flip bytes across every segment file.
        r.get(b"key:%d" % cold[-1])
        for path in glob.glob(os.path.join(td, "*.seg")):
            size = os.path.getsize(path)
            with open(path, "r+b") as f:
                for off in range(100, size, 997):
                    f.seek(off)
                    b = f.read(1)
                    f.seek(off)
                    f.write(bytes([b[0] ^ 0xFF]) if b else b"")
        errors = 0
        for i in cold[:200]:
            try:
                v = r.get(b"key:%d" % i)
                assert v is None or v == value_of(i), f"key:{i}: wrong value served"
            except redis.ResponseError as e:
                assert "could not be read back from the disk tier" in str(e), e
                errors += 1
        assert errors > 0
        t = tier(r)
        assert t["tier_read_errors"] >= errors and t["tier_checksum_errors"] > 0, t
        assert r.ping() is True
        assert r.set(b"fresh", b"v") is True and r.get(b"fresh") == b"v"
        assert "could not be read back" in d.log()


@test
def test_unwritable_tier_dir_stops_the_daemon_with_a_message(opts):
    with TierDir() as td:
        blocker = os.path.join(td, "file")
        with open(blocker, "w") as f:
            f.write("not a directory")
        bad = os.path.join(blocker, "tier")
        p = subprocess.run([harness.daemon_path(opts.bindir), "-p", str(harness.free_port()),
                            "--tier-dir", bad], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        assert p.returncode != 0, p
        assert bad.encode() in p.stdout, p.stdout


@test
def test_leftover_segment_files_are_removed_at_start(opts):
    with TierDir() as td:
        stale = os.path.join(td, "aegisr-w0-00000007.seg")
        with open(stale, "wb") as f:
            f.write(b"x" * 4096)
        with harness.start_daemon(opts.bindir, ["--tier-dir", td]) as d:
            assert client(d.port).ping() is True
            assert not os.path.exists(stale)


if __name__ == "__main__":
    sys.exit(harness.main())
