#!/usr/bin/env python3
# Keyspace notifications against Debian's redis-server 7.0.15: a subscriber on each server
# (PSUBSCRIBE __key*@*__:*), the same commands on both, and the received messages compared in
# order, byte for byte; active expiry and eviction; values in the disk tier; and the replayable
# event bus (Aegisr's own): a consumer that was away catches up with XREAD from its last ID.
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)

PATTERN = "__key*@*__:*"


def client(port):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)


class Subscriber:
    """A PSUBSCRIBE __key*@*__:* connection collecting (channel, message) pairs in order."""

    def __init__(self, port):
        self.r = client(port)
        self.p = self.r.pubsub(ignore_subscribe_messages=True)
        self.p.psubscribe(PATTERN)
        # Wait for the subscription to be confirmed before anything is published.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.r.execute_command("PUBSUB", "NUMPAT") >= 1:
                break
            time.sleep(0.01)

    def drain(self, idle=0.3, total=5.0):
        out = []
        deadline = time.monotonic() + total
        last = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last < idle:
            m = self.p.get_message(timeout=0.05)
            if m is None:
                continue
            if m["type"] == "pmessage":
                out.append((m["channel"], m["data"]))
                last = time.monotonic()
        return out

    def close(self):
        self.p.close()
        self.r.close()


def run_on(port, flags, commands, settle=0.0, extra=()):
    r = client(port)
    r.response_callbacks.clear()  # raw replies: redis-py's GEO* parsers want their own options
    r.flushall()
    for name, value in extra:
        r.config_set(name, value)
    r.config_set("notify-keyspace-events", flags)
    sub = Subscriber(port)
    for cmd in commands:
        try:
            r.execute_command(*cmd)
        except redis.ResponseError:
            pass  # errors raise no events; both servers must agree on that too
    if settle:
        time.sleep(settle)
    got = sub.drain()
    sub.close()
    r.config_set("notify-keyspace-events", "")
    r.close()
    return got


# One sequence per family, with the cases where events differ: no-ops, emptied keys, stores.
SEQUENCES = {
    "strings": [
        ("SET", "s", "1"), ("SET", "s", "2", "EX", "100"), ("SET", "s", "3", "NX"),
        ("SET", "t", "x", "XX"), ("SETNX", "t", "y"), ("SETEX", "u", "100", "v"),
        ("PSETEX", "u", "100000", "w"), ("GETSET", "s", "9"), ("INCR", "n"), ("DECR", "n"),
        ("INCRBY", "n", "5"), ("DECRBY", "n", "2"), ("INCRBYFLOAT", "n", "1.5"),
        ("APPEND", "s", "x"), ("SETRANGE", "s", "0", "z"), ("SETRANGE", "s", "0", ""),
        ("SETRANGE", "nosuch", "0", ""), ("MSET", "a", "1", "b", "2"), ("MSETNX", "a", "3"),
        ("MSETNX", "c", "3", "d", "4"), ("GETDEL", "a"), ("GETDEL", "a"),
        ("GETEX", "b", "EX", "100"), ("GETEX", "b", "PERSIST"), ("GETEX", "b", "PERSIST"),
        ("GETEX", "c", "PXAT", "1"), ("INCR", "s"), ("SETBIT", "bits", "7", "1"),
        ("BITFIELD", "bits", "SET", "u8", "0", "255"), ("BITFIELD", "bits", "GET", "u8", "0"),
        ("BITOP", "OR", "dest", "bits", "nosuch"), ("BITOP", "AND", "dest", "nosuch"),
        ("PFADD", "hll", "a", "b"), ("PFADD", "hll", "a"), ("PFMERGE", "hll2", "hll"),
    ],
    "generic": [
        ("SET", "a", "1"), ("SET", "b", "2"), ("EXPIRE", "a", "100"), ("PEXPIRE", "a", "100000"),
        ("EXPIRE", "a", "100", "NX"), ("PERSIST", "a"), ("PERSIST", "a"),
        ("EXPIREAT", "b", "99999999999"), ("RENAME", "a", "c"), ("RENAME", "c", "c"),
        ("RENAMENX", "c", "b"), ("RENAMENX", "c", "d"), ("COPY", "d", "e"),
        ("COPY", "d", "e"), ("COPY", "d", "e", "REPLACE"), ("COPY", "d", "f", "DB", "2"),
        ("MOVE", "e", "3"), ("MOVE", "b", "3"), ("DEL", "d", "nosuch", "b"), ("UNLINK", "f"),
        ("SET", "g", "1"), ("EXPIRE", "g", "-5"), ("SELECT", "5"), ("SET", "h", "1"),
        ("DEL", "h"),
    ],
    "lists": [
        ("RPUSH", "l", "a", "b", "c", "d"), ("LPUSH", "l", "z"), ("LPUSHX", "nosuch", "a"),
        ("RPUSHX", "l", "e"), ("LSET", "l", "0", "y"), ("LINSERT", "l", "BEFORE", "a", "q"),
        ("LINSERT", "l", "BEFORE", "nosuch", "q"), ("LREM", "l", "0", "q"),
        ("LREM", "l", "0", "nosuch"), ("LTRIM", "l", "0", "4"), ("RPOP", "l"),
        ("LPOP", "l", "2"), ("LMOVE", "l", "m", "LEFT", "RIGHT"), ("RPOPLPUSH", "m", "m"),
        ("LMPOP", "2", "nosuch", "l", "LEFT", "COUNT", "5"), ("LPOP", "l"),
        ("RPUSH", "k", "1"), ("LTRIM", "k", "5", "10"), ("RPUSH", "k", "1", "2"),
        ("LREM", "k", "0", "1"), ("LREM", "k", "0", "2"),
        ("RPUSH", "src", "x"), ("LMOVE", "src", "dst", "RIGHT", "LEFT"),
        ("SORT", "dst", "ALPHA", "STORE", "sorted"), ("SORT", "nosuch", "STORE", "sorted"),
    ],
    "hashes": [
        ("HSET", "h", "f", "1", "g", "2"), ("HSET", "h", "f", "1"), ("HMSET", "h", "x", "y"),
        ("HSETNX", "h", "f", "3"), ("HSETNX", "h", "n", "3"), ("HINCRBY", "h", "f", "2"),
        ("HINCRBYFLOAT", "h", "f", "0.5"), ("HDEL", "h", "nosuch"), ("HDEL", "h", "f", "g"),
        ("HDEL", "h", "x", "n"),
    ],
    "sets": [
        ("SADD", "s", "a", "b", "c", "1"), ("SADD", "s", "a"), ("SREM", "s", "nosuch"),
        ("SREM", "s", "a"), ("SMOVE", "s", "t", "b"), ("SMOVE", "s", "t", "nosuch"),
        ("SMOVE", "s", "s", "c"), ("SADD", "t", "c"), ("SMOVE", "s", "t", "c"),
        ("SPOP", "s"), ("SADD", "u", "1", "2", "3"), ("SPOP", "u", "0"), ("SPOP", "u", "5"),
        ("SADD", "v", "1", "2"), ("SUNIONSTORE", "w", "v", "t"),
        ("SINTERSTORE", "w", "v", "nosuch"), ("SINTERSTORE", "w", "v", "nosuch"),
        ("SDIFFSTORE", "x", "t", "v"), ("SPOP", "v"),
    ],
    "zsets": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "NX", "5", "a"), ("ZADD", "z", "XX", "CH", "6", "a"),
        ("ZINCRBY", "z", "1", "b"), ("ZADD", "z", "INCR", "1", "c"), ("ZREM", "z", "nosuch"),
        ("ZREM", "z", "d"), ("ZREMRANGEBYSCORE", "z", "100", "200"),
        ("ZREMRANGEBYSCORE", "z", "0", "3"), ("ZADD", "y", "1", "p", "2", "q", "3", "r"),
        ("ZREMRANGEBYRANK", "y", "0", "0"), ("ZREMRANGEBYLEX", "y", "-", "+"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZADD", "w", "1", "a", "2", "b"),
        ("ZUNIONSTORE", "u", "1", "w"), ("ZINTERSTORE", "u", "2", "w", "nosuch"),
        ("ZDIFFSTORE", "v", "1", "w"), ("ZRANGESTORE", "r", "w", "0", "0"),
        ("ZMPOP", "1", "w", "MIN", "COUNT", "5"),
        ("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
         "Catania"),
        ("GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEORADIUS", "geo", "15", "37", "1", "km", "STORE", "gs"),
    ],
    "streams": [
        ("XADD", "x", "1-0", "f", "v"), ("XADD", "x", "2-0", "f", "v"),
        ("XADD", "x", "MAXLEN", "1", "3-0", "f", "v"), ("XADD", "x", "MAXLEN", "5", "4-0", "f", "v"),
        ("XADD", "nosuch", "NOMKSTREAM", "*", "f", "v"), ("XDEL", "x", "9-0"), ("XDEL", "x", "3-0"),
        ("XTRIM", "x", "MAXLEN", "10"), ("XTRIM", "x", "MAXLEN", "0"), ("XSETID", "x", "10-0"),
        ("XGROUP", "CREATE", "x", "g", "0"), ("XGROUP", "CREATE", "y", "g", "$", "MKSTREAM"),
        ("XGROUP", "SETID", "x", "g", "0"), ("XGROUP", "CREATECONSUMER", "x", "g", "c"),
        ("XGROUP", "CREATECONSUMER", "x", "g", "c"), ("XGROUP", "DELCONSUMER", "x", "g", "c"),
        ("XGROUP", "DESTROY", "x", "g"), ("XGROUP", "DESTROY", "x", "g"),
    ],
}


# Consumers created implicitly (Redis 7.0.15, t_stream.c): XREADGROUP creates its consumer, with
# "xgroup-createconsumer", only for a stream it serves (new entries or history, NOACK or not);
# XCLAIM and XAUTOCLAIM at the first entry they claim. An XGROUP CREATECONSUMER after a command
# that must not have created its consumer shows that it did not (it raises the event only then).
STREAM_CONSUMERS = [
    ("XADD", "s", "1-0", "f", "v"), ("XADD", "s", "2-0", "f", "v"), ("XADD", "s", "3-0", "f", "v"),
    ("XGROUP", "CREATE", "s", "g", "0"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c2", "NOACK", "COUNT", "1", "STREAMS", "s", ">"),
    ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", "0"),
    ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"),
    ("XREADGROUP", "GROUP", "g", "c4", "NOACK", "STREAMS", "s", "0"),
    ("XREADGROUP", "GROUP", "g", "c5", "STREAMS", "s", ">"),  # nothing new: no consumer
    ("XGROUP", "CREATECONSUMER", "s", "g", "c5"),
    ("XREADGROUP", "GROUP", "nosuch", "c6", "STREAMS", "s", ">"),  # NOGROUP: nothing
    ("XREADGROUP", "GROUP", "g", "c6", "STREAMS", "s", "nosuch", ">", ">"),  # NOGROUP
    ("XGROUP", "CREATECONSUMER", "s", "g", "c6"),
    ("XADD", "t", "1-0", "f", "v"), ("XGROUP", "CREATE", "t", "g", "0"),
    ("XADD", "s", "4-0", "f", "v"),
    ("XREADGROUP", "GROUP", "g", "c7", "STREAMS", "s", "t", ">", ">"),  # one event per stream
    ("XREADGROUP", "GROUP", "g", "c8", "STREAMS", "t", "s", ">", ">"),  # none served: none
    ("XGROUP", "CREATECONSUMER", "t", "g", "c8"),
    ("XCLAIM", "s", "g", "c9", "0", "1-0"), ("XCLAIM", "s", "g", "c9", "0", "1-0"),
    ("XCLAIM", "s", "g", "c10", "3600000", "1-0"),  # not idle long enough: no consumer
    ("XGROUP", "CREATECONSUMER", "s", "g", "c10"),
    ("XCLAIM", "s", "g", "c11", "0", "9-0"),  # no such entry: no consumer
    ("XGROUP", "CREATECONSUMER", "s", "g", "c11"),
    ("XCLAIM", "s", "g", "c12", "0", "3-0", "FORCE", "JUSTID"),  # not pending, FORCE: created
    ("XCLAIM", "s", "g", "c1", "0", "1-0", "JUSTID"),  # existing consumer
    ("XAUTOCLAIM", "s", "g", "c13", "0", "0"), ("XAUTOCLAIM", "s", "g", "c13", "0", "0"),
    ("XAUTOCLAIM", "s", "g", "c14", "3600000", "0"),  # nothing idle enough: no consumer
    ("XGROUP", "CREATECONSUMER", "s", "g", "c14"),
    ("XDEL", "s", "1-0", "2-0", "3-0", "4-0"),
    ("XAUTOCLAIM", "s", "g", "c15", "0", "0"),  # only deleted entries: no consumer
    ("XGROUP", "CREATECONSUMER", "s", "g", "c15"),
    ("XAUTOCLAIM", "nosuch", "g", "c16", "0", "0"), ("XCLAIM", "s", "nosuch", "c16", "0", "1-0"),
    ("XGROUP", "CREATECONSUMER", "s", "g", "c16"),
]


@test
def test_consumers_created_implicitly(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for flags in ("KEA", "Et", "Kg"):
            a = run_on(ref.port, flags, STREAM_CONSUMERS)
            b = run_on(dut.port, flags, STREAM_CONSUMERS)
            if flags == "Et":
                n = sum(1 for c, _ in a if c == b"__keyevent@0__:xgroup-createconsumer")
                assert n == 17, a  # 9 implicit (c1-c4, c7 twice, c9, c12, c13), 8 explicit
            harness.assert_same(f"consumer events with flags {flags!r}", a, b)


@test
def test_consumers_created_for_blocked_readers(opts):
    # A blocked XREADGROUP served by another client's XADD: its consumer's creation is announced
    # after that XADD's event (Redis 7.0.15: serveClientsBlockedOnStreamKey), NOACK or not; an
    # existing consumer raises nothing.
    def run(port):
        r = client(port)
        r.flushall()
        r.xadd("s", {"f": "v"}, id="1-0")
        r.xgroup_create("s", "g", id="$")
        r.xgroup_createconsumer("s", "g", "old")
        r.config_set("notify-keyspace-events", "KEA")
        sub = Subscriber(port)
        replies = []
        readers = [("new1", []), ("new2", ["NOACK"]), ("old", []), ("new1", [])]
        for i, (consumer, opts_) in enumerate(readers):
            with harness.RawConn(port) as w:
                w.send_cmd("XREADGROUP", "GROUP", "g", consumer, *opts_, "BLOCK", "10000",
                           "STREAMS", "s", ">")
                harness.wait_blocked(port, 1)
                r.xadd("s", {"n": str(i)}, id=f"{i + 2}-0")
                replies.append(w.read_reply())
        got = sub.drain()
        sub.close()
        r.config_set("notify-keyspace-events", "")
        r.close()
        return replies, got

    ref, dut = harness.on_both_servers(opts, run)
    assert sum(1 for c, _ in ref[1] if c.endswith(b"xgroup-createconsumer")) == 2, ref
    harness.assert_same("blocked XREADGROUP: replies and events", ref, dut)


@test
def test_config_get_prints_the_canonical_flags(opts):
    inputs = ["KEA", "AKE", "", "g", "Kg", "xKE", "KEAn", "AKEm", "nKEg$lshzxetd", "Kgd", "mE",
              "tK", "Ag", "Kn", "El$shzxetdgm"]

    def run(port):
        r = client(port)
        out = []
        for f in inputs:
            r.config_set("notify-keyspace-events", f)
            out.append(r.config_get("notify-keyspace-events")["notify-keyspace-events"])
        for bad in ["Q", "KEa", "K E"]:
            try:
                r.config_set("notify-keyspace-events", bad)
                out.append(b"accepted")
            except redis.ResponseError as e:
                out.append(str(e))
        out.append(r.config_get("notify-keyspace-events")["notify-keyspace-events"])
        return out

    ref, dut = harness.on_both_servers(opts, run)
    harness.assert_same("CONFIG GET notify-keyspace-events", ref, dut)


@test
def test_every_family_with_all_events(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for name, seq in SEQUENCES.items():
            a = run_on(ref.port, "KEA", seq)
            b = run_on(dut.port, "KEA", seq)
            assert len(a) > 4, (name, a)
            harness.assert_same(f"{name} events (KEA)", a, b)


@test
def test_flag_combinations(opts):
    seq = SEQUENCES["generic"] + SEQUENCES["lists"] + SEQUENCES["hashes"] + SEQUENCES["sets"]
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for flags in ["KEA", "K$", "Eg", "El", "KEsh", "Ez", "Kx", "g$", "KEAn", "En$l", "E"]:
            a = run_on(ref.port, flags, seq + SEQUENCES["strings"] + SEQUENCES["zsets"])
            b = run_on(dut.port, flags, seq + SEQUENCES["strings"] + SEQUENCES["zsets"])
            harness.assert_same(f"events with flags {flags!r}", a, b)


READS = [
    ("GET", "nx"), ("MGET", "a", "nx", "b"), ("STRLEN", "nx"), ("GETRANGE", "nx", "0", "1"),
    ("EXISTS", "nx"), ("TYPE", "nx"), ("TTL", "nx"), ("LRANGE", "nx", "0", "-1"), ("LLEN", "nx"),
    ("LINDEX", "nx", "0"), ("HGET", "nx", "f"), ("HGETALL", "nx"), ("HLEN", "nx"),
    ("SMEMBERS", "nx"), ("SISMEMBER", "nx", "a"), ("SCARD", "nx"), ("SUNION", "nx", "ny"),
    ("ZRANGE", "nx", "0", "-1"), ("ZSCORE", "nx", "a"), ("ZCARD", "nx"), ("XRANGE", "nx", "-", "+"),
    ("XLEN", "nx"), ("GETBIT", "nx", "1"), ("BITCOUNT", "nx"), ("PFCOUNT", "nx"),
    ("GEOPOS", "nx", "a"), ("OBJECT", "ENCODING", "nx"), ("GETDEL", "nx"), ("COPY", "nx", "y"),
    ("SORT", "nx"), ("LPOS", "nx", "a"), ("HRANDFIELD", "nx"), ("ZRANK", "nx", "a"),
    ("SET", "a", "1"), ("GET", "a"), ("GETEX", "nx"), ("APPEND", "nx2", "x"), ("LPOP", "nx"),
    ("INCR", "nx3"), ("SINTERCARD", "1", "nx"), ("ZUNION", "1", "nx"), ("SDIFF", "nx"),
    ("TOUCH", "nx"), ("SET", "k", "v", "GET"),
]


@test
def test_keymiss_on_reads(opts):
    seq = READS + [c for fam in SEQUENCES.values() for c in fam]
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for flags in ("Em", "KEAm"):
            a = run_on(ref.port, flags, seq)
            b = run_on(dut.port, flags, seq)
            assert sum(1 for c, _ in a if c.endswith(b"keymiss")) > 30, a
            harness.assert_same(f"events with flags {flags!r}", a, b)


@test
def test_expired_from_lazy_and_active_expiry(opts):
    # Active: nobody touches the keys, the cron finds them; lazy: a GET after the TTL.
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        results = []
        for port in (ref.port, dut.port):
            r = client(port)
            r.config_set("notify-keyspace-events", "Ex")
            sub = Subscriber(port)
            for i in range(20):
                r.set(f"k{i}", "v", px=50)
            time.sleep(1.5)  # the active cycle runs hz (10) times a second
            got = sub.drain(idle=0.5)
            results.append(sorted(got))
            # Lazy expiry of one key, reached by a read.
            r.set("lazy", "v", px=30)
            r.config_set("hz", "1")
            time.sleep(0.05)
            assert r.get("lazy") is None
            got = sub.drain()
            results.append(got)
            sub.close()
        ref_active, ref_lazy, dut_active, dut_lazy = results
        assert len(ref_active) == 20, ref_active
        harness.assert_same("expired (active expiry), as a set", ref_active, dut_active)
        harness.assert_same("expired (lazy expiry)", ref_lazy, dut_lazy)


@test
def test_evicted_under_maxmemory(opts):
    # Which keys go differs between the servers (sampling); what must hold: every key evicted
    # raises "evicted" on both channels, and the key is gone.
    for port_of in (harness.start_redis, lambda: harness.start_daemon(opts.bindir)):
        with port_of() as srv:
            r = client(srv.port)
            r.config_set("notify-keyspace-events", "KEe")
            sub = Subscriber(srv.port)
            r.config_set("maxmemory-policy", "allkeys-random")
            used = r.info("memory")["used_memory"]
            r.config_set("maxmemory", str(used + 2 * 1024 * 1024))
            for i in range(6000):
                r.set(f"key:{i}", "x" * 1000)
            got = sub.drain(idle=0.5)
            keyspace = [(c, m) for c, m in got if c.startswith(b"__keyspace@0__:")]
            keyevent = [m for c, m in got if c == b"__keyevent@0__:evicted"]
            assert len(keyevent) > 100, (srv.name, len(got))
            assert all(m == b"evicted" for _, m in keyspace), keyspace[:5]
            assert [c[len(b"__keyspace@0__:"):] for c, _ in keyspace] == keyevent
            assert set(m for _, m in got) <= {b"evicted"} | set(keyevent)
            for k in keyevent[:50]:
                assert r.exists(k) == 0, k
            sub.close()


@test
def test_values_on_disk_raise_the_same_events(opts):
    # Values offloaded to the tier: DEL, EXPIRE, RENAME, PERSIST, expiry and MOVE of cold keys
    # need no read and raise exactly what redis-server raises for the same keys in RAM.
    td = tempfile.mkdtemp(prefix="aegisr-tier-ev-")
    try:
        n = 6000
        value = "v" * 4000
        results = []
        with harness.start_redis() as ref, harness.start_daemon(
                opts.bindir, ["--maxmemory", "8mb", "--tier-dir", td]) as dut:
            for port in (ref.port, dut.port):
                r = client(port)
                for i in range(0, n, 500):
                    p = r.pipeline(transaction=False)
                    for j in range(i, i + 500):
                        p.set(f"k{j}", value)
                    p.execute()
            # 40 keys whose values are on disk now; the same names on both servers.
            d = client(dut.port)
            cold = []
            for i in range(n):
                if b"disk" in d.execute_command("MEMORY", "USAGE", f"k{i}", "WHERE"):
                    cold.append(f"k{i}")
                    if len(cold) == 40:
                        break
            assert len(cold) == 40, d.info("tier")
            seq = []
            for i in range(0, 40, 4):
                a, b, c, e = cold[i:i + 4]
                seq += [("EXPIRE", a, "1000"), ("PERSIST", a), ("RENAME", a, "r" + a),
                        ("DEL", b), ("UNLINK", c), ("MOVE", e, "4"), ("PEXPIRE", "r" + a, "30")]
            for port in (ref.port, dut.port):
                r = client(port)
                r.config_set("notify-keyspace-events", "KEA")
                sub = Subscriber(port)
                for cmd in seq:
                    r.execute_command(*cmd)
                time.sleep(1.0)  # the r* keys expire (active expiry)
                got = sub.drain(idle=0.5)
                expired = sorted(x for x in got if b"expired" in x[0] + x[1])
                rest = [x for x in got if b"expired" not in x[0] + x[1]]
                results.append((rest, expired))
                sub.close()
            t = d.info("tier")
            # No event needs a value; only RENAME reads its value back (the tier record names the
            # old key, engine/keyspace/entry.h RekeyEntry): 10 renames.
            assert t["tier_cold_reads"] <= 10, t
        harness.assert_same("events of cold keys (expired sorted)", results[0], results[1])
        assert len(results[1][1]) == 20, results[1][1]  # keyspace + keyevent, 10 keys
    finally:
        shutil.rmtree(td, ignore_errors=True)


def ks(key, event):
    """The two messages of one event on key in db 0 with flags KE: keyspace, then keyevent."""
    return [(b"__keyspace@0__:" + key, event), (b"__keyevent@0__:" + event, key)]


@test
def test_hash_field_ttl_events(opts):
    # Redis 7.0 has no field TTLs, so the expected events are Redis 7.4's (src/t_hash.c), written
    # out: HEXPIRE and friends raise one event per command that changed a field
    # (hashTypeSetExDone): "hexpire", or "hdel" when the time was past and the fields went, then
    # "del" if the hash went with them; HPERSIST raises "hpersist" when a TTL went
    # (hpersistCommand); no-ops and errors raise nothing.
    seq = [
        ("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"),
        ("HEXPIRE", "h", "100", "FIELDS", "2", "a", "b"),
        ("HEXPIRE", "h", "100", "NX", "FIELDS", "1", "a"),  # condition not met
        ("HEXPIRE", "h", "100", "FIELDS", "1", "nosuch"),
        ("HEXPIRE", "h", "x", "FIELDS", "1", "a"),  # error
        ("HEXPIRE", "nosuch", "100", "FIELDS", "1", "a"),
        ("HPEXPIRE", "h", "200000", "XX", "FIELDS", "1", "a"),
        ("HEXPIREAT", "h", "9999999999", "FIELDS", "1", "d"),
        ("HPEXPIREAT", "h", "1", "FIELDS", "2", "c", "nosuch"),  # past: c deleted
        ("HPERSIST", "h", "FIELDS", "2", "a", "d"),
        ("HPERSIST", "h", "FIELDS", "2", "a", "nosuch"),  # no TTL left: nothing
        ("HPERSIST", "nosuch", "FIELDS", "1", "a"),
        ("HEXPIREAT", "h", "1", "FIELDS", "3", "a", "b", "d"),  # every field: the hash goes
        ("HSET", "h2", "a", "1"),
        ("HPEXPIREAT", "h2", "1", "GT", "FIELDS", "1", "a"),  # GT on no TTL: not met
    ]
    want = (ks(b"h", b"hset") + ks(b"h", b"hexpire") + ks(b"h", b"hexpire") +
            ks(b"h", b"hexpire") + ks(b"h", b"hdel") + ks(b"h", b"hpersist") +
            ks(b"h", b"hdel") + ks(b"h", b"del") + ks(b"h2", b"hset"))
    with harness.start_daemon(opts.bindir) as dut:
        got = run_on(dut.port, "KEA", seq)
        assert got == want, got
        # Only the classes asked for: h without g leaves out "del".
        got = run_on(dut.port, "Eh", seq)
        assert got == [(c, m) for c, m in want if c.startswith(b"__keyevent") and c != (
            b"__keyevent@0__:del")], got


def of_key(got, key):
    """The events of key, in order, from the keyspace channel's messages."""
    return [m for c, m in got if c == b"__keyspace@0__:" + key]


@test
def test_hash_fields_expiring_raise_hexpired(opts):
    # Fields whose time passes: "hexpired" (class h) once per hash and visit, then "del" (g) when
    # the hash went with them, as Redis 7.4's hashTypeExpire (active expiry) and hashTypeGetValue
    # (lazy: before the event of the command that found them). Each key's events are checked in
    # order (the cron may visit keys between commands).
    with harness.start_daemon(opts.bindir) as dut:
        r = client(dut.port)
        r.flushall()
        r.config_set("notify-keyspace-events", "KEA")
        sub = Subscriber(dut.port)
        # Active: nobody touches the keys. h and e expire on different cron ticks: their shards
        # may belong to different loop threads, and the events of two threads published at once
        # can interleave between one event's keyspace and keyevent messages (README, Known
        # differences), which the pairing check below would take for a fault.
        r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
        r.execute_command("HPEXPIRE", "h", "700", "FIELDS", "2", "a", "b")
        r.hset("e", "a", "1")
        r.execute_command("HPEXPIRE", "e", "300", "FIELDS", "1", "a")
        time.sleep(1.5)
        got = sub.drain()
        assert of_key(got, b"h") == [b"hset", b"hexpire", b"hexpired"], got
        assert of_key(got, b"e") == [b"hset", b"hexpire", b"hexpired", b"del"], got
        # Keyspace then keyevent for each event, and nothing else.
        assert got == [x for c, m in got if c.startswith(b"__keyspace@0__:")
                       for x in ks(c[len(b"__keyspace@0__:"):], m)], got
        assert r.exists("e") == 0 and r.hkeys("h") == [b"c"]
        # Reached by a command (lazy, with the cron slowed down; active expiry, should it come
        # first, raises the same events in the same order).
        r.config_set("hz", "1")
        r.hset("l", mapping={"a": "1", "b": "2"})
        r.execute_command("HPEXPIRE", "l", "150", "FIELDS", "1", "a")
        r.hset("m", "a", "1")
        r.execute_command("HPEXPIRE", "m", "150", "FIELDS", "1", "a")
        time.sleep(0.2)
        r.hset("l", "z", "1")
        r.hset("m", "z", "1")
        got = sub.drain()
        assert of_key(got, b"l") == [b"hset", b"hexpire", b"hexpired", b"hset"], got
        assert of_key(got, b"m") == [b"hset", b"hexpire", b"hexpired", b"del", b"hset"], got
        assert r.hkeys("m") == [b"z"] and sorted(r.hkeys("l")) == [b"b", b"z"]
        sub.close()
        r.close()


@test
def test_info_counts_the_event_bus_drops(opts):
    # event_bus_dropped (INFO stats): appends the bus could not make. A bus key holding another
    # type refuses every append (XADD replies WRONGTYPE): each event is counted, the key is left
    # as it was.
    with harness.start_daemon(opts.bindir) as dut:
        r = client(dut.port)
        assert r.info("stats")["event_bus_dropped"] == 0
        r.set("bus", "not a stream")
        r.config_set("notify-keyspace-events", "A")
        r.config_set("event-bus-stream", "bus")
        r.set("a", "1")
        r.rpush("l", "x", "y")
        r.delete("a")
        assert r.info("stats")["event_bus_dropped"] == 3
        assert r.get("bus") == b"not a stream"
        # A stream key: appends succeed, the count stays.
        r.config_set("event-bus-stream", "events")
        r.set("b", "2")
        assert r.xlen("events") == 1
        assert r.info("stats")["event_bus_dropped"] == 3
        r.close()


@test
def test_event_bus_replay_after_disconnect(opts):
    with harness.start_daemon(opts.bindir) as dut:
        r = client(dut.port)
        r.config_set("notify-keyspace-events", "KEA")
        r.config_set("event-bus-stream", "events")
        r.config_set("event-bus-maxlen", "1000")
        assert r.config_get("event-bus-stream") == {"event-bus-stream": "events"}
        r.set("a", "1")
        # A consumer reads up to here, remembers the last ID, and goes away.
        consumer = client(dut.port)
        first = consumer.xread({"events": "0"})
        entries = first[0][1]
        assert [e[1][b"event"] for e in entries] == [b"set"], entries
        last_id = entries[-1][0]
        consumer.close()
        # Meanwhile: events happen with nobody listening.
        r.rpush("l", "x")
        r.lpop("l")
        r.expire("a", 100)
        r.delete("a")
        # The consumer comes back and catches up from its last ID: every event, in order.
        consumer = client(dut.port)
        again = consumer.xread({"events": last_id})
        got = [(e[1][b"type"], e[1][b"event"], e[1][b"key"], e[1][b"db"]) for e in again[0][1]]
        assert got == [(b"list", b"rpush", b"l", b"0"), (b"list", b"lpop", b"l", b"0"),
                       (b"generic", b"del", b"l", b"0"), (b"generic", b"expire", b"a", b"0"),
                       (b"generic", b"del", b"a", b"0")], got
        # XREADGROUP works on it too. The bus's own appends raise no events (no recursion); a
        # client's command on the bus stream is an event like any other (xgroup-create here).
        consumer.xgroup_create("events", "g", id="0")
        rg = consumer.xreadgroup("g", "c", {"events": ">"})
        assert len(rg[0][1]) == 7, rg
        assert rg[0][1][-1][1][b"event"] == b"xgroup-create", rg
        # That read created consumer c: its event follows; reading it raises nothing more.
        rg = consumer.xreadgroup("g", "c", {"events": ">"})
        assert [e[1][b"event"] for e in rg[0][1]] == [b"xgroup-createconsumer"], rg
        assert consumer.xreadgroup("g", "c", {"events": ">"}, block=50) == [], "no recursion"
        # Messages of chosen channels are recorded too (PUBLISH while nobody subscribes).
        r.config_set("event-bus-channels", "orders.*")
        before = r.xinfo_stream("events")["last-generated-id"]
        r.publish("orders.new", "42")
        r.publish("chat", "hi")
        got = [e[1] for e in consumer.xread({"events": before})[0][1]]
        assert got == [{b"type": b"message", b"channel": b"orders.new", b"message": b"42"}], got
        # The stream is capped near event-bus-maxlen.
        r.config_set("event-bus-maxlen", "100")
        for i in range(2000):
            r.set("k", i)
        n = r.xlen("events")
        assert 100 <= n <= 300, n
        consumer.close()


if __name__ == "__main__":
    harness.main()
