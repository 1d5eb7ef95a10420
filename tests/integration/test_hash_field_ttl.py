#!/usr/bin/env python3
# Per-field TTLs of hashes (HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME
# HPEXPIRETIME HPERSIST), and HSCAN's NOVALUES, which came with them, against the daemon. The reference server (7.0) lacks them, so the
# expected replies are Redis 7.4's, as its src/t_hash.c and command docs define them: -2 no such
# field, -1 no TTL, 0 condition not met, 1 set, 2 deleted because the time is in the past.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test, RawConn  # noqa: E402


def ints(*values):
    return b"*%d\r\n" % len(values) + b"".join(b":%d\r\n" % v for v in values)


def err(text):
    return b"-" + text + b"\r\n"


FIELDS_MISSING = b"ERR Mandatory argument FIELDS is missing or not at the right position"
NUMFIELDS_SET = b"ERR Parameter `numFields` should be greater than 0"
NUMFIELDS_GET = b"ERR Number of fields must be a positive integer"
MISMATCH = b"ERR The `numfields` parameter must match the number of arguments"


@test
def test_reply_codes_and_conditions(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        assert c.cmd("HEXPIRE", "nokey", "100", "FIELDS", "2", "a", "b") == ints(-2, -2)
        assert c.cmd("HTTL", "nokey", "FIELDS", "1", "a") == ints(-2)
        assert c.cmd("HPERSIST", "nokey", "FIELDS", "1", "a") == ints(-2)
        c.cmd("HSET", "h", "a", "1", "b", "2", "c", "3")
        assert c.cmd("HEXPIRE", "h", "100", "FIELDS", "2", "a", "zz") == ints(1, -2)
        assert c.cmd("HTTL", "h", "FIELDS", "3", "a", "b", "zz") == ints(100, -1, -2)
        # NX: only fields without a TTL; XX: only fields with one.
        assert c.cmd("HEXPIRE", "h", "200", "NX", "FIELDS", "2", "a", "b") == ints(0, 1)
        assert c.cmd("HEXPIRE", "h", "300", "XX", "FIELDS", "2", "b", "c") == ints(1, 0)
        # GT: no TTL counts as infinite (never met); LT: met for a field without a TTL.
        assert c.cmd("HEXPIRE", "h", "50", "GT", "FIELDS", "2", "a", "c") == ints(0, 0)
        assert c.cmd("HEXPIRE", "h", "500", "GT", "FIELDS", "1", "a") == ints(1)
        assert c.cmd("HEXPIRE", "h", "600", "LT", "FIELDS", "2", "a", "c") == ints(0, 1)
        assert c.cmd("HEXPIRE", "h", "10", "lt", "FIELDS", "1", "a") == ints(1)
        ttl = c.cmd("HPTTL", "h", "FIELDS", "1", "a")
        assert ttl.startswith(b"*1\r\n:") and 9000 < int(ttl[5:-2]) <= 10000, ttl
        now = int(time.time())
        t = c.cmd("HEXPIRETIME", "h", "FIELDS", "1", "a")
        assert abs(int(t[5:-2]) - (now + 10)) <= 2, t
        t = c.cmd("HPEXPIRETIME", "h", "FIELDS", "1", "a")
        assert abs(int(t[5:-2]) - (now + 10) * 1000) <= 2000, t
        # HEXPIREAT / HPEXPIREAT take absolute times; HPERSIST removes TTLs.
        assert c.cmd("HPEXPIREAT", "h", str((now + 1000) * 1000), "FIELDS", "1", "b") == ints(1)
        assert c.cmd("HEXPIRETIME", "h", "FIELDS", "1", "b") == ints(now + 1000)
        assert c.cmd("HEXPIREAT", "h", str(now + 2000), "FIELDS", "1", "b") == ints(1)
        assert c.cmd("HPEXPIRETIME", "h", "FIELDS", "1", "b") == ints((now + 2000) * 1000)
        assert c.cmd("HPERSIST", "h", "FIELDS", "3", "a", "zz", "a") == ints(1, -2, -1)
        assert c.cmd("HTTL", "h", "FIELDS", "1", "a") == ints(-1)
        # A time in the past (or now) deletes the field: 2.
        assert c.cmd("HEXPIREAT", "h", "1", "FIELDS", "1", "a") == ints(2)
        assert c.cmd("HPEXPIRE", "h", "0", "FIELDS", "1", "b") == ints(2)
        assert c.cmd("HGETALL", "h") == b"*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        # HSET drops a field's TTL; HINCRBY keeps it.
        c.cmd("HSET", "k", "x", "1", "y", "1")
        c.cmd("HEXPIRE", "k", "100", "FIELDS", "2", "x", "y")
        c.cmd("HSET", "k", "x", "2")
        c.cmd("HINCRBY", "k", "y", "1")
        assert c.cmd("HTTL", "k", "FIELDS", "2", "x", "y") == ints(-1, 100)


@test
def test_errors(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        c.cmd("HSET", "h", "a", "1")
        c.cmd("SET", "s", "x")
        assert c.cmd("HEXPIRE", "s", "10", "FIELDS", "1", "a") == err(
            b"WRONGTYPE Operation against a key holding the wrong kind of value")
        assert c.cmd("HTTL", "s", "FIELDS", "1", "a").startswith(b"-WRONGTYPE")
        assert c.cmd("HPERSIST", "s", "FIELDS", "1", "a").startswith(b"-WRONGTYPE")
        assert c.cmd("HEXPIRE", "h", "x", "FIELDS", "1", "a") == err(
            b"ERR value is not an integer or out of range")
        assert c.cmd("HEXPIRE", "h", "-1", "FIELDS", "1", "a") == err(
            b"ERR invalid expire time, must be >= 0")
        assert c.cmd("HEXPIRE", "h", "70368744177664", "FIELDS", "1", "a") == err(
            b"ERR invalid expire time in 'hexpire' command")
        assert c.cmd("HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a") == err(
            b"ERR invalid expire time in 'hpexpireat' command")
        assert c.cmd("HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1") == err(FIELDS_MISSING)
        assert c.cmd("HEXPIRE", "h", "10", "BOGUS", "1", "a") == err(FIELDS_MISSING)
        assert c.cmd("HEXPIRE", "h", "10", "FIELDS", "0", "a") == err(NUMFIELDS_SET)
        assert c.cmd("HEXPIRE", "h", "10", "FIELDS", "x", "a") == err(NUMFIELDS_SET)
        assert c.cmd("HEXPIRE", "h", "10", "FIELDS", "2", "a") == err(MISMATCH)
        assert c.cmd("HTTL", "h", "FIELDS", "0", "a") == err(NUMFIELDS_GET)
        assert c.cmd("HTTL", "h", "FIELD", "1", "a") == err(FIELDS_MISSING)
        assert c.cmd("HPERSIST", "h", "FIELDS", "3", "a") == err(MISMATCH)
        assert c.cmd("HEXPIRE", "h", "10", "FIELDS", "1") == err(
            b"ERR wrong number of arguments for 'hexpire' command")
        assert c.cmd("HTTL", "h", "FIELDS", "1") == err(
            b"ERR wrong number of arguments for 'httl' command")
        # Errors change nothing.
        assert c.cmd("HTTL", "h", "FIELDS", "1", "a") == ints(-1)


@test
def test_expiry_is_observed_and_the_last_field_takes_the_key(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        c.cmd("HSET", "h", "a", "1", "b", "2", "c", "3")
        assert c.cmd("HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b") == ints(1, 1)
        assert c.cmd("HLEN", "h") == b":3\r\n"
        time.sleep(0.25)
        assert c.cmd("HGET", "h", "a") == b"$-1\r\n"
        assert c.cmd("HEXISTS", "h", "b") == b":0\r\n"
        assert c.cmd("HLEN", "h") == b":1\r\n"
        assert c.cmd("HGETALL", "h") == b"*2\r\n$1\r\nc\r\n$1\r\n3\r\n"
        assert c.cmd("HTTL", "h", "FIELDS", "1", "a") == ints(-2)
        # The last field expires: the hash is deleted.
        assert c.cmd("HPEXPIRE", "h", "100", "FIELDS", "1", "c") == ints(1)
        time.sleep(0.25)
        assert c.cmd("HGETALL", "h") == b"*0\r\n"
        assert c.cmd("EXISTS", "h") == b":0\r\n"
        assert c.cmd("TYPE", "h") == b"+none\r\n"
        # A big (hashtable) hash too, and HSCAN / HRANDFIELD never return expired fields.
        args = ["HSET", "big"]
        for i in range(1000):
            args += ["f%d" % i, "v"]
        c.cmd(*args)
        assert c.cmd("OBJECT", "ENCODING", "big") == b"$9\r\nhashtable\r\n"
        c.cmd("HPEXPIRE", "big", "100", "FIELDS", "500", *["f%d" % i for i in range(500)])
        time.sleep(0.25)
        assert c.cmd("HLEN", "big") == b":500\r\n"
        cursor, seen = b"0", set()
        while True:
            reply = harness.parse_reply(c.cmd("HSCAN", "big", cursor, "COUNT", "50"))
            cursor = reply[0]
            seen.update(reply[1][0::2])
            if cursor == b"0":
                break
        assert seen == {b"f%d" % i for i in range(500, 1000)}, len(seen)
        picks = harness.parse_reply(c.cmd("HRANDFIELD", "big", "-200"))
        assert all(int(p[1:]) >= 500 for p in picks), picks


@test
def test_expired_fields_are_deleted_without_commands(opts):
    # The cron deletes expired fields of hashes given TTLs, and a hash whose last field expired,
    # with no command touching them (EXISTS, DBSIZE and MEMORY USAGE read no hash).
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        c.cmd("HSET", "small", "a", "1", "b", "2")
        args = ["HSET", "big"]
        for i in range(2000):
            args += ["f%d" % i, "x" * 20]
        c.cmd(*args)
        before = int(c.cmd("MEMORY", "USAGE", "big")[1:-2])
        assert c.cmd("HPEXPIRE", "small", "100", "FIELDS", "2", "a", "b") == ints(1, 1)
        c.cmd("HPEXPIRE", "big", "100", "FIELDS", "1500", *["f%d" % i for i in range(1500)])
        assert c.cmd("DBSIZE") == b":2\r\n"
        deadline = time.monotonic() + 5
        while c.cmd("DBSIZE") != b":1\r\n" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.cmd("EXISTS", "small") == b":0\r\n"
        after = int(c.cmd("MEMORY", "USAGE", "big")[1:-2])
        assert after < before / 2, (before, after)
        assert c.cmd("HLEN", "big") == b":500\r\n"
        # COPY, RENAME and MOVE carry the TTLs, and the cron expires the new keys too, with no
        # hash command ever touching them.
        c.cmd("HSET", "src", "a", "1")
        c.cmd("HSET", "ren", "a", "1", "b", "2")
        c.cmd("HSET", "mov", "a", "1")
        c.cmd("HPEXPIRE", "src", "300", "FIELDS", "1", "a")
        c.cmd("HPEXPIRE", "ren", "300", "FIELDS", "2", "a", "b")
        c.cmd("HPEXPIRE", "mov", "300", "FIELDS", "1", "a")
        assert c.cmd("COPY", "src", "dst") == b":1\r\n"
        assert c.cmd("COPY", "src", "dst9", "DB", "9") == b":1\r\n"
        assert c.cmd("RENAME", "ren", "renamed") == b"+OK\r\n"
        assert c.cmd("MOVE", "mov", "3") == b":1\r\n"
        assert c.cmd("DBSIZE") == b":4\r\n"
        deadline = time.monotonic() + 5
        while c.cmd("DBSIZE") != b":1\r\n" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert c.cmd("EXISTS", "src", "dst", "renamed") == b":0\r\n"
        for db in (3, 9):
            c.cmd("SELECT", str(db))
            while c.cmd("DBSIZE") != b":0\r\n" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert c.cmd("DBSIZE") == b":0\r\n", db


@test
def test_hscan_novalues(opts):
    # Redis 7.4: HSCAN ... NOVALUES returns the fields only; other SCANs refuse the word.
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        c.cmd("HSET", "small", "a", "1", "b", "2")
        args = ["HSET", "big"]
        for i in range(1000):
            args += ["f%d" % i, "v%d" % i]
        c.cmd(*args)
        reply = harness.parse_reply(c.cmd("HSCAN", "small", "0", "NOVALUES"))
        assert reply[0] == b"0" and sorted(reply[1]) == [b"a", b"b"], reply
        reply = harness.parse_reply(c.cmd("HSCAN", "small", "0", "novalues", "MATCH", "a"))
        assert reply == [b"0", [b"a"]], reply
        seen, cursor = [], b"0"
        while True:
            cursor, items = harness.parse_reply(c.cmd("HSCAN", "big", cursor, "COUNT", "50",
                                                      "NOVALUES"))
            seen += items
            if cursor == b"0":
                break
        assert set(seen) == {b"f%d" % i for i in range(1000)}, len(set(seen))
        assert not any(x.startswith(b"v") for x in seen)
        assert c.cmd("HSCAN", "nokey", "0", "NOVALUES") == b"*2\r\n$1\r\n0\r\n*0\r\n"
        c.cmd("SADD", "s", "x")
        for cmd in (["SSCAN", "s", "0", "NOVALUES"], ["SCAN", "0", "NOVALUES"],
                    ["HSCAN", "small", "0", "NOVALUES", "COUNT"]):
            assert c.cmd(*cmd) == b"-ERR syntax error\r\n", cmd


if __name__ == "__main__":
    harness.main()
