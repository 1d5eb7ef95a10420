#!/usr/bin/env python3
# Bloom filters (BF.*, RedisBloom 2.x semantics) against the real daemon. There is no RedisBloom
# server here to compare with, so replies are checked against RedisBloom's source
# (src/rebloom.c, src/sb.c, deps/bloom/bloom.c of its 2.8 branch): reply shapes in RESP2 and
# RESP3, every error text and when it is given, NOCREATE, NONSCALING, growth, WRONGTYPE, the
# generic key commands on a bloom key, and the disk tier.
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, test  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)

WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def arity(name):
    return b"-ERR wrong number of arguments for '" + name + b"' command\r\n"


def ints(*vs):
    return b"*%d\r\n" % len(vs) + b"".join(b":%d\r\n" % v for v in vs)


def bools3(*vs):
    return b"*%d\r\n" % len(vs) + b"".join(b"#t\r\n" if v else b"#f\r\n" for v in vs)


# The shape of a default filter (100 entries at 0.01, first link tightened to 0.005):
# 100 * -ln(0.005) / ln(2)^2 = 1102.77 bits -> 18 words = 144 bytes; RedisBloom's Size adds its
# 32-byte chain and 64-byte link structs: 240, as its documentation shows for BF.INFO.
DEFAULT_SIZE = 240


@test
def test_reply_shapes_resp2_and_resp3(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        assert c.cmd("BF.RESERVE", "r", "0.01", "1000") == b"+OK\r\n"
        assert c.cmd("BF.ADD", "bf", "a") == b":1\r\n"
        assert c.cmd("BF.ADD", "bf", "a") == b":0\r\n"
        assert c.cmd("BF.MADD", "bf", "a", "b", "c") == ints(0, 1, 1)
        assert c.cmd("BF.EXISTS", "bf", "b") == b":1\r\n"
        assert c.cmd("BF.EXISTS", "bf", "zz") == b":0\r\n"
        assert c.cmd("BF.EXISTS", "missing", "zz") == b":0\r\n"
        assert c.cmd("BF.MEXISTS", "bf", "a", "zz", "c") == ints(1, 0, 1)
        assert c.cmd("BF.MEXISTS", "missing", "a") == ints(0)
        assert c.cmd("BF.CARD", "bf") == b":3\r\n"
        assert c.cmd("BF.CARD", "missing") == b":0\r\n"
        assert c.cmd("BF.INSERT", "bf", "ITEMS", "c", "d") == ints(0, 1)
        full = (b"*10\r\n+Capacity\r\n:100\r\n+Size\r\n:%d\r\n+Number of filters\r\n:1\r\n"
                b"+Number of items inserted\r\n:4\r\n+Expansion rate\r\n:2\r\n" % DEFAULT_SIZE)
        assert c.cmd("BF.INFO", "bf") == full
        assert c.cmd("BF.INFO", "bf", "capacity") == b"*1\r\n:100\r\n"
        assert c.cmd("BF.INFO", "bf", "SIZE") == b"*1\r\n:%d\r\n" % DEFAULT_SIZE
        assert c.cmd("BF.INFO", "bf", "Filters") == b"*1\r\n:1\r\n"
        assert c.cmd("BF.INFO", "bf", "ITEMS") == b"*1\r\n:4\r\n"
        assert c.cmd("BF.INFO", "bf", "EXPANSION") == b"*1\r\n:2\r\n"
        # 1000 entries at 0.005: 11028 bits -> 173 words = 1384 bytes, + 96.
        assert c.cmd("BF.INFO", "r", "SIZE") == b"*1\r\n:1480\r\n"
        assert c.cmd("BF.RESERVE", "ns", "0.01", "10", "NONSCALING") == b"+OK\r\n"
        assert c.cmd("BF.INFO", "ns", "EXPANSION") == b"*1\r\n$-1\r\n"
        # 10 entries at 0.01 untightened: 95 bits -> 2 words.
        assert c.cmd("BF.INFO", "ns").endswith(b"+Expansion rate\r\n$-1\r\n")
        assert c.cmd("BF.INFO", "ns", "SIZE") == b"*1\r\n:112\r\n"

        assert c.cmd("HELLO", "3").startswith(b"%")
        assert c.cmd("BF.ADD", "bf", "e") == b"#t\r\n"
        assert c.cmd("BF.ADD", "bf", "e") == b"#f\r\n"
        assert c.cmd("BF.MADD", "bf", "e", "f") == bools3(False, True)
        assert c.cmd("BF.INSERT", "bf", "ITEMS", "f", "g") == bools3(False, True)
        assert c.cmd("BF.EXISTS", "bf", "e") == b"#t\r\n"
        assert c.cmd("BF.EXISTS", "missing", "e") == b"#f\r\n"
        assert c.cmd("BF.MEXISTS", "bf", "e", "nope") == bools3(True, False)
        assert c.cmd("BF.CARD", "bf") == b":7\r\n"
        full3 = (b"%5\r\n+Capacity\r\n:100\r\n+Size\r\n:240\r\n+Number of filters\r\n:1\r\n"
                 b"+Number of items inserted\r\n:7\r\n+Expansion rate\r\n:2\r\n")
        assert c.cmd("BF.INFO", "bf") == full3
        assert c.cmd("BF.INFO", "bf", "CAPACITY") == b"%1\r\n+Capacity\r\n:100\r\n"
        assert c.cmd("BF.INFO", "bf", "SIZE") == b"%1\r\n+Size\r\n:240\r\n"
        assert c.cmd("BF.INFO", "bf", "FILTERS") == b"%1\r\n+Number of filters\r\n:1\r\n"
        assert c.cmd("BF.INFO", "bf", "ITEMS") == b"%1\r\n+Number of items inserted\r\n:7\r\n"
        assert c.cmd("BF.INFO", "bf", "EXPANSION") == b"%1\r\n+Expansion rate\r\n:2\r\n"
        assert c.cmd("BF.INFO", "ns", "EXPANSION") == b"%1\r\n+Expansion rate\r\n_\r\n"
        # Errors inside arrays keep their RESP3 form too.
        c.cmd("BF.INSERT", "tiny", "CAPACITY", "1", "NONSCALING", "ITEMS", "x")
        assert c.cmd("BF.MADD", "tiny", "x", "y", "z") == (
            b"*2\r\n#f\r\n-ERR non scaling filter is full\r\n")


@test
def test_reserve_errors_in_redisblooms_order(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        cases = [
            (("BF.RESERVE", "k", "0.01"), arity(b"BF.RESERVE")),
            (("bf.reserve", "k", "0.01", "100", "a", "b", "c", "d"), arity(b"bf.reserve")),
            (("BF.RESERVE", "k", "abc", "100"), b"-ERR bad error rate\r\n"),
            (("BF.RESERVE", "k", "", "100"), b"-ERR bad error rate\r\n"),
            (("BF.RESERVE", "k", "nan", "x"), b"-ERR bad error rate\r\n"),
            (("BF.RESERVE", "k", "1", "100"), b"-ERR (0 < error rate range < 1) \r\n"),
            (("BF.RESERVE", "k", "0", "x"), b"-ERR (0 < error rate range < 1) \r\n"),
            (("BF.RESERVE", "k", "-0.5", "100"), b"-ERR (0 < error rate range < 1) \r\n"),
            (("BF.RESERVE", "k", "inf", "100"), b"-ERR (0 < error rate range < 1) \r\n"),
            (("BF.RESERVE", "k", "0.01", "1.5"), b"-ERR bad capacity\r\n"),
            (("BF.RESERVE", "k", "0.01", "0"), b"-ERR (capacity should be larger than 0)\r\n"),
            (("BF.RESERVE", "k", "0.01", "-3"), b"-ERR (capacity should be larger than 0)\r\n"),
            (("BF.RESERVE", "k", "0.01", "100", "EXPANSION"), b"-ERR no expansion\r\n"),
            (("BF.RESERVE", "k", "0.01", "100", "NONSCALING", "EXPANSION", "2"),
             b"-Nonscaling filters cannot expand\r\n"),
            (("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "two"), b"-ERR bad expansion\r\n"),
            (("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "0"),
             b"-ERR expansion should be greater or equal to 1\r\n"),
            (("BF.RESERVE", "k", "0.01", "100", "EXPANSION", "-1"),
             b"-ERR expansion should be greater or equal to 1\r\n"),
            # The smallest rate halves to 0 for the first link: no shape, as bloom_init says.
            (("BF.RESERVE", "k", "4.9e-324", "100"), b"-ERR could not create filter\r\n"),
            # A filter whose bits cannot exist: RedisBloom's failed allocation.
            (("BF.RESERVE", "k", "0.0001", "9000000000000000000"),
             b"-ERR Insufficient memory to create filter\r\n"),
        ]
        for args, want in cases:
            got = c.cmd(*args)
            assert got == want, (args, got, want)
        assert c.cmd("EXISTS", "k") == b":0\r\n"  # nothing was created by any of them
        # Options are found anywhere, unknown words ignored, case-insensitive.
        assert c.cmd("BF.RESERVE", "k", "0.01", "100", "expansion", "4", "junk") == b"+OK\r\n"
        assert c.cmd("BF.INFO", "k", "EXPANSION") == b"*1\r\n:4\r\n"
        assert c.cmd("BF.RESERVE", "k", "0.01", "100") == b"-ERR item exists\r\n"
        assert c.cmd("BF.RESERVE", "n", "0.5", "3", "nonscaling") == b"+OK\r\n"
        assert c.cmd("BF.INFO", "n", "EXPANSION") == b"*1\r\n$-1\r\n"
        # RedisBloom looks for the option words from the command name on, the key included.
        assert c.cmd("BF.RESERVE", "expansion", "0.01", "100") == b"-ERR bad expansion\r\n"
        assert c.cmd("BF.RESERVE", "nonscaling", "0.01", "100") == b"+OK\r\n"
        assert c.cmd("BF.INFO", "nonscaling", "EXPANSION") == b"*1\r\n$-1\r\n"
        # RedisBloom keeps EXPANSION as an unsigned 32-bit number: 2^32 + 3 becomes 3.
        assert c.cmd("BF.RESERVE", "big", "0.01", "100", "EXPANSION", "4294967299") == b"+OK\r\n"
        assert c.cmd("BF.INFO", "big", "EXPANSION") == b"*1\r\n:3\r\n"


@test
def test_insert_options_and_errors(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        cases = [
            (("BF.INSERT", "k", "ITEMS"), arity(b"BF.INSERT")),
            (("BF.INSERT", "k", "x"), arity(b"BF.INSERT")),
            (("BF.INSERT", "k", "CAPACITY", "10"), arity(b"BF.INSERT")),  # no ITEMS
            (("BF.INSERT", "k", "NOCREATE", "ITEMS"), arity(b"BF.INSERT")),
            (("BF.INSERT", "k", "ERROR", "0.1", "CAPACITY"), arity(b"BF.INSERT")),
            (("BF.INSERT", "k", "ERROR", "x", "ITEMS", "a"), b"-Bad error rate\r\n"),
            (("BF.INSERT", "k", "EXPANSION", "1.5", "ITEMS", "a"), b"-Bad expansion\r\n"),
            (("BF.INSERT", "k", "CAPACITY", "ten", "ITEMS", "a"), b"-Bad capacity\r\n"),
            (("BF.INSERT", "k", "FOO", "ITEMS", "a"), b"-Unknown argument received\r\n"),
            (("BF.INSERT", "k", "", "ITEMS", "a"), b"-Unknown argument received\r\n"),
            (("BF.INSERT", "k", "ERROR", "1", "ITEMS", "a"), b"-Bad argument received\r\n"),
            (("BF.INSERT", "k", "ERROR", "0", "ITEMS", "a"), b"-Bad argument received\r\n"),
            (("BF.INSERT", "k", "CAPACITY", "0", "ITEMS", "a"), b"-Bad argument received\r\n"),
            (("BF.INSERT", "k", "EXPANSION", "0", "ITEMS", "a"), b"-Bad argument received\r\n"),
            (("BF.INSERT", "k", "NOCREATE", "ITEMS", "a"), b"-ERR not found\r\n"),
            (("BF.INSERT", "k", "ERROR", "4.9e-324", "ITEMS", "a"),
             b"-ERR could not create filter\r\n"),
            (("BF.INSERT", "k", "CAPACITY", "9000000000000000000", "ITEMS", "a"),
             b"-ERR Insufficient memory to create filter\r\n"),
            (("BF.ADD", "k"), arity(b"BF.ADD")),
            (("BF.ADD", "k", "a", "b"), arity(b"BF.ADD")),
            (("bf.Madd", "k"), arity(b"bf.Madd")),
            (("BF.EXISTS", "k"), arity(b"BF.EXISTS")),
            (("BF.EXISTS", "k", "a", "b"), arity(b"BF.EXISTS")),
            (("BF.MEXISTS", "k"), arity(b"BF.MEXISTS")),
            (("BF.CARD",), arity(b"BF.CARD")),
            (("BF.CARD", "k", "x"), arity(b"BF.CARD")),
            (("BF.INFO",), arity(b"BF.INFO")),
            (("BF.INFO", "k", "SIZE", "x"), arity(b"BF.INFO")),
            (("BF.INFO", "k"), b"-ERR not found\r\n"),
            (("BF.INFO", "k", "SIZE"), b"-ERR not found\r\n"),
        ]
        for args, want in cases:
            got = c.cmd(*args)
            assert got == want, (args, got, want)
        assert c.cmd("EXISTS", "k") == b":0\r\n"
        # The options shape a new filter (options are read by their first letters).
        assert c.cmd("BF.INSERT", "k", "cap", "50", "err", "0.001", "exp", "3", "ITEMS", "a",
                     "b", "a") == ints(1, 1, 0)
        assert c.cmd("BF.INFO", "k", "CAPACITY") == b"*1\r\n:50\r\n"
        assert c.cmd("BF.INFO", "k", "EXPANSION") == b"*1\r\n:3\r\n"
        # 50 entries at 0.0005: 50 * 15.82 = 791 bits -> 13 words = 104 bytes, + 96.
        assert c.cmd("BF.INFO", "k", "SIZE") == b"*1\r\n:200\r\n"
        assert c.cmd("BF.CARD", "k") == b":2\r\n"
        # ...and are checked, then ignored, for an existing one.
        assert c.cmd("BF.INSERT", "k", "CAPACITY", "7", "NOCREATE", "ITEMS", "c") == ints(1)
        assert c.cmd("BF.INFO", "k", "CAPACITY") == b"*1\r\n:50\r\n"
        assert c.cmd("BF.INFO", "k", "WHAT") == b"-Invalid information value\r\n"
        # Anything after ITEMS is an item, even option words.
        assert c.cmd("BF.INSERT", "k", "ITEMS", "NOCREATE", "CAPACITY") == ints(1, 1)
        assert c.cmd("BF.MEXISTS", "k", "NOCREATE", "CAPACITY") == ints(1, 1)


@test
def test_nonscaling_filters_refuse_when_full(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        assert c.cmd("BF.RESERVE", "ns", "0.01", "5", "NONSCALING") == b"+OK\r\n"
        added = [c.cmd("BF.ADD", "ns", "i%d" % i) for i in range(5)]
        assert added == [b":1\r\n"] * 5, added
        assert c.cmd("BF.ADD", "ns", "one-more") == b"-ERR non scaling filter is full\r\n"
        assert c.cmd("BF.ADD", "ns", "i0") == b":0\r\n"  # known items still answer
        # MADD and INSERT stop at the first refusal, which ends their array.
        assert c.cmd("BF.MADD", "ns", "i1", "new1", "new2") == (
            b"*2\r\n:0\r\n-ERR non scaling filter is full\r\n")
        assert c.cmd("BF.INSERT", "ns", "ITEMS", "new3", "i2") == (
            b"*1\r\n-ERR non scaling filter is full\r\n")
        assert c.cmd("BF.CARD", "ns") == b":5\r\n"
        assert c.cmd("BF.INFO", "ns", "FILTERS") == b"*1\r\n:1\r\n"
        # BF.INSERT NONSCALING creates one too.
        assert c.cmd("BF.INSERT", "n2", "CAPACITY", "2", "NONSCALING", "ITEMS", "a", "b", "c",
                     "d") == b"*3\r\n:1\r\n:1\r\n-ERR non scaling filter is full\r\n"


@test
def test_scaling_grows_by_expansion(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        # Default expansion 2: links of 100, 200, 400, 800 entries.
        assert c.cmd("BF.RESERVE", "g", "0.01", "100") == b"+OK\r\n"
        seen = {}
        for i in range(1500):
            c.cmd("BF.ADD", "g", "item:%d" % i)
            card = int(c.cmd("BF.CARD", "g")[1:-2])
            filters = int(c.cmd("BF.INFO", "g", "FILTERS")[5:-2])
            seen.setdefault(filters, card)
        # A new link opens with the first item after the previous links hold 100, 300, 700.
        assert list(seen) == [1, 2, 3, 4], seen
        assert seen[2] == 101 and seen[3] == 301 and seen[4] == 701, seen
        assert c.cmd("BF.INFO", "g", "CAPACITY") == b"*1\r\n:1500\r\n"
        for i in range(1500):  # no false negatives across the links
            assert c.cmd("BF.EXISTS", "g", "item:%d" % i) == b":1\r\n", i
        # Expansion 1 adds equal links; 3 multiplies.
        c.cmd("BF.RESERVE", "e1", "0.01", "10", "EXPANSION", "1")
        c.cmd("BF.RESERVE", "e3", "0.01", "10", "EXPANSION", "3")
        for i in range(200):
            c.cmd("BF.ADD", "e1", "x%d" % i)
            c.cmd("BF.ADD", "e3", "x%d" % i)
        card1 = int(c.cmd("BF.CARD", "e1")[1:-2])
        assert c.cmd("BF.INFO", "e1", "CAPACITY") == b"*1\r\n:%d\r\n" % (10 * ((card1 + 9) // 10))
        assert c.cmd("BF.INFO", "e3", "CAPACITY") == b"*1\r\n:400\r\n"  # 10 + 30 + 90 + 270
        assert c.cmd("BF.INFO", "e3", "FILTERS") == b"*1\r\n:4\r\n"


@test
def test_wrongtype_both_ways(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        c.cmd("SET", "s", "v")
        c.cmd("RPUSH", "l", "a")
        c.cmd("HSET", "h", "f", "v")
        c.cmd("SADD", "st", "m")
        c.cmd("ZADD", "z", "1", "m")
        for k in ("s", "l", "h", "st", "z"):
            for args in (("BF.ADD", k, "x"), ("BF.MADD", k, "x"), ("BF.INSERT", k, "ITEMS", "x"),
                         ("BF.INSERT", k, "NOCREATE", "ITEMS", "x"),
                         ("BF.RESERVE", k, "0.01", "10"), ("BF.INFO", k), ("BF.INFO", k, "SIZE"),
                         ("BF.CARD", k)):
                assert c.cmd(*args) == WRONGTYPE, args
            # RedisBloom's existence check treats a key of another type as an empty filter.
            assert c.cmd("BF.EXISTS", k, "x") == b":0\r\n", k
            assert c.cmd("BF.MEXISTS", k, "x", "y") == ints(0, 0), k
        assert c.cmd("GET", "s") == b"$1\r\nv\r\n"  # untouched
        c.cmd("BF.ADD", "bf", "x")
        for args in (("GET", "bf"), ("APPEND", "bf", "x"), ("INCR", "bf"), ("STRLEN", "bf"),
                     ("SETBIT", "bf", "1", "1"), ("PFADD", "bf", "x"), ("LPUSH", "bf", "x"),
                     ("LLEN", "bf"), ("HSET", "bf", "f", "v"), ("HGETALL", "bf"),
                     ("SADD", "bf", "m"), ("SMEMBERS", "bf"), ("ZADD", "bf", "1", "m"),
                     ("ZRANGE", "bf", "0", "-1"), ("GEOADD", "bf", "1", "1", "m"),
                     ("SORT", "bf")):
            assert c.cmd(*args) == WRONGTYPE, args
        assert c.cmd("TYPE", "bf") == b"+MBbloom--\r\n"
        assert c.cmd("OBJECT", "ENCODING", "bf") == b"$3\r\nraw\r\n"
        assert c.cmd("SCAN", "0", "TYPE", "MBbloom--") == b"*2\r\n$1\r\n0\r\n*1\r\n$2\r\nbf\r\n"
        assert c.cmd("BF.EXISTS", "bf", "x") == b":1\r\n"
        # SET replaces a bloom filter like any value.
        assert c.cmd("SET", "bf", "now a string") == b"+OK\r\n"
        assert c.cmd("BF.ADD", "bf", "x") == WRONGTYPE


@test
def test_generic_key_commands(opts):
    with harness.start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        items = ["item-%d" % i for i in range(300)]
        assert c.cmd("BF.MADD", "bf", *items).startswith(b"*300\r\n")
        info = c.cmd("BF.INFO", "bf")
        card = c.cmd("BF.CARD", "bf")  # 300 less the items that were false positives
        assert card in (b":300\r\n", b":299\r\n", b":298\r\n"), card
        # COPY is deep: the copy keeps its answers while the source changes.
        assert c.cmd("COPY", "bf", "cp") == b":1\r\n"
        assert c.cmd("BF.INFO", "cp") == info
        assert c.cmd("BF.ADD", "bf", "only-in-source") == b":1\r\n"
        assert c.cmd("BF.EXISTS", "cp", "only-in-source") == b":0\r\n"
        assert c.cmd("BF.MEXISTS", "cp", *items) == ints(*[1] * 300)
        # RENAME moves the filter whole.
        assert c.cmd("RENAME", "cp", "moved") == b"+OK\r\n"
        assert c.cmd("EXISTS", "cp") == b":0\r\n"
        assert c.cmd("BF.INFO", "moved") == info
        assert c.cmd("BF.MEXISTS", "moved", *items[:5]) == ints(1, 1, 1, 1, 1)
        # MEMORY USAGE grows with the filter.
        small = int(c.cmd("MEMORY", "USAGE", "moved")[1:-2])
        assert small > 456, small  # links of 100 and 200 entries: 144 + 312 bytes of bits
        # EXPIRE and DEL.
        assert c.cmd("PEXPIRE", "moved", "100") == b":1\r\n"
        assert c.cmd("BF.CARD", "moved") == card
        time.sleep(0.25)
        assert c.cmd("BF.CARD", "moved") == b":0\r\n"
        assert c.cmd("EXISTS", "moved") == b":0\r\n"
        assert c.cmd("DEL", "bf") == b":1\r\n"
        assert c.cmd("BF.EXISTS", "bf", "item-1") == b":0\r\n"
        assert c.cmd("BF.INFO", "bf") == b"-ERR not found\r\n"
        # MOVE to another database and SWAPDB keep it whole.
        c.cmd("BF.ADD", "m", "x")
        assert c.cmd("MOVE", "m", "1") == b":1\r\n"
        c.cmd("SELECT", "1")
        assert c.cmd("BF.EXISTS", "m", "x") == b":1\r\n"
        # FLUSHALL frees it.
        assert c.cmd("FLUSHALL") == b"+OK\r\n"
        assert c.cmd("DBSIZE") == b":0\r\n"


@test
def test_writes_are_refused_over_maxmemory_reads_are_not(opts):
    # The adding commands are "write deny-oom" as in RedisBloom; the reading ones are not.
    with harness.start_daemon(opts.bindir, ["--maxmemory", "2mb", "--maxmemory-policy",
                                            "noeviction"]) as d, RawConn(d.port) as c:
        assert c.cmd("BF.ADD", "bf", "a") == b":1\r\n"
        oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        for i in range(10000):
            if c.cmd("SET", "fill:%d" % i, "x" * 1000) == oom:
                break
        else:
            raise AssertionError("maxmemory never reached")
        for args in (("BF.ADD", "bf", "b"), ("BF.MADD", "bf", "b"), ("BF.INSERT", "bf", "ITEMS",
                     "b"), ("BF.RESERVE", "new", "0.01", "10")):
            assert c.cmd(*args) == oom, args
        assert c.cmd("BF.EXISTS", "bf", "a") == b":1\r\n"
        assert c.cmd("BF.MEXISTS", "bf", "a", "b") == ints(1, 0)
        assert c.cmd("BF.CARD", "bf") == b":1\r\n"
        assert c.cmd("BF.INFO", "bf", "ITEMS") == b"*1\r\n:1\r\n"


@test
def test_redis_py_drives_it(opts):
    # A client library sends BF commands through its generic path and reads the replies.
    with harness.start_daemon(opts.bindir) as d:
        r = redis.Redis(host="127.0.0.1", port=d.port)
        assert r.execute_command("BF.RESERVE", "p", 0.001, 1000) in (b"OK", True)
        assert r.execute_command("BF.MADD", "p", *range(100)) == [1] * 100
        assert r.execute_command("BF.MEXISTS", "p", *range(100)) == [1] * 100
        assert r.execute_command("BF.CARD", "p") == 100


@test
def test_filters_go_to_disk_and_come_back_with_the_same_answers(opts):
    rng = random.Random(opts.seed)
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
            r = redis.Redis(host="127.0.0.1", port=d.port, socket_timeout=30)
            n = 6000
            probes = [b"probe-%d" % i for i in range(40)]
            expect = {}
            for start in range(0, n, 200):
                p = r.pipeline(transaction=False)
                keys = [b"bf:%d" % i for i in range(start, start + 200)]
                for k in keys:
                    p.execute_command("BF.RESERVE", k, 0.01, 1000)
                    items = [b"%s-item-%d" % (k, j) for j in range(rng.randint(1, 60))]
                    p.execute_command("BF.MADD", k, *items)
                    p.execute_command("BF.MEXISTS", k, *probes)  # answered while in RAM
                out = p.execute()
                for i, k in enumerate(keys):
                    assert out[3 * i] in (b"OK", True), out[3 * i]
                    added = out[3 * i + 1]  # 0 only for an item that was a false positive
                    assert set(added) <= {0, 1} and sum(added) >= len(added) - 2, added
                    expect[k] = (len(added), sum(added), out[3 * i + 2])
            t = r.info("tier")
            assert t["tier_disk_keys"] > n // 3, t
            cold = [k for k in expect if r.memory_usage(k) < 200]
            assert len(cold) > n // 3, len(cold)
            assert r.type(cold[0]) == b"MBbloom--"  # TYPE never reads the disk
            for k in cold[:1000]:
                n_items, count, answers = expect[k]
                assert r.execute_command("BF.MEXISTS", k, *probes) == answers, k
                assert r.execute_command("BF.CARD", k) == count, k
                items = [b"%s-item-%d" % (k, j) for j in range(n_items)]
                assert r.execute_command("BF.MEXISTS", k, *items) == [1] * n_items, k
            # A filter read back keeps its record as a clean copy; a BF.ADD that changes no bit
            # keeps it too, one that sets bits lets it go.
            with RawConn(d.port) as c:
                states = {k: c.cmd("DEBUG", "OBJECT", k).rsplit(b" ", 1)[1] for k in cold[:300]}
                clean = [k for k, st in states.items() if st == b"tier:ram+disk\r\n"]
                assert clean, set(states.values())
                k = clean[-1]
                assert c.cmd("BF.ADD", k, b"%s-item-0" % k) == b":0\r\n"
                assert c.cmd("DEBUG", "OBJECT", k).endswith(b" tier:ram+disk\r\n")
                assert c.cmd("BF.ADD", k, b"changed") == b":1\r\n"
                assert c.cmd("DEBUG", "OBJECT", k).endswith(b" tier:ram\r\n")
                n_items, count, _ = expect[k]
                expect[k] = (n_items, count + 1, r.execute_command("BF.MEXISTS", k, *probes))
            # Change some that came back, push everything out again, and ask every filter.
            for k in cold[:200]:
                added = r.execute_command("BF.ADD", k, b"late-item")
                n_items, count, answers = expect[k]
                expect[k] = (n_items, count + added, r.execute_command("BF.MEXISTS", k, *probes))
            p = r.pipeline(transaction=False)
            for i in range(3000):
                p.set(b"filler:%d" % i, b"x" * 1000)
            p.execute()
            for k, (_, count, answers) in expect.items():
                assert r.execute_command("BF.MEXISTS", k, *probes) == answers, k
                assert r.execute_command("BF.CARD", k) == count, k
            for k in cold[:200]:
                assert r.execute_command("BF.EXISTS", k, b"late-item") == 1, k
            t = r.info("tier")
            assert t["tier_cold_reads"] > 1000, t
            assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
    finally:
        shutil.rmtree(td, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(harness.main())
