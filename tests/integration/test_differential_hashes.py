#!/usr/bin/env python3
# Differential test of the hash commands: the same seeded random command sequences go to
# redis-server 7.0 and to aegisr-daemon; raw reply bytes must be identical, except where Redis's
# own order is its hash table's (hashtable-encoded hashes, random picks), which are compared as
# multisets or by shape. OBJECT ENCODING is compared exactly after changes, so the listpack
# thresholds and conversions must match too. Single-threaded.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test, parse_reply  # noqa: E402

KEYS = [b"h0", b"h1", b"h2", b"b\x00\r\nk"]
STRING_KEY = b"str"
LIST_KEY = b"lst"

FIELDS = [b"a", b"b", b"c", b"", b"a\x00b", b"\r\n", b"n", b"f", b"x" * 64, b"y" * 65,
          b"\xff\xfe", b"num", b"big", b"neg"]
VALUES = [b"1", b"v", b"", b"-1", b"0", b"x" * 64, b"z" * 65, b"z" * 300, b"\x00\xff",
          b"9223372036854775807", b"-9223372036854775808", b"1.5", b"1e10", b"abc", b" 1",
          b"010", b"3.0", b"-0", b"inf", b"nan", b"0x10"]
INCRS = [b"1", b"-1", b"0", b"10", b"abc", b"1.5", b"9223372036854775807",
         b"-9223372036854775808", b"", b" 1", b"+1"]
FINCRS = [b"1", b"-1", b"0.1", b"1.5", b"-2.5e3", b"1e308", b"-1e308", b"inf", b"-inf", b"nan",
          b"abc", b"", b"3.0", b"0x10", b"1e-300", b"5e-324", b" 1", b"1" * 400]
# Huge negative counts are valid without WITHVALUES and would make both servers reply with
# billions of picks: the edge sequences test their range checks instead.
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"100", b"-1", b"-3", b"-100", b"abc",
          b"9223372036854775807", b"-9223372036854775808", b"4611686018427387904"]


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.08:
        return LIST_KEY
    return rng.choice(KEYS + [b"missing"])


def pairs(rng, lo=1, hi=4):
    out = []
    for _ in range(rng.randint(lo, hi)):
        out += [rng.choice(FIELDS), rng.choice(VALUES)]
    return out


def gen_hset(rng):
    cmd = [rng.choice([b"HSET", b"hset", b"HMSET"]), key(rng)] + pairs(rng)
    if rng.random() < 0.05:
        cmd.append(b"odd")
    return cmd


def gen_hsetnx(rng):
    return [b"HSETNX", key(rng), rng.choice(FIELDS), rng.choice(VALUES)]


def gen_hget(rng):
    return [b"HGET", key(rng), rng.choice(FIELDS)]


def gen_hmget(rng):
    return [b"HMGET", key(rng)] + [rng.choice(FIELDS) for _ in range(rng.randint(1, 4))]


def gen_hdel(rng):
    return [b"HDEL", key(rng)] + [rng.choice(FIELDS) for _ in range(rng.randint(1, 3))]


def gen_small(rng):
    return rng.choice([[b"HLEN", key(rng)], [b"HSTRLEN", key(rng), rng.choice(FIELDS)],
                       [b"HEXISTS", key(rng), rng.choice(FIELDS)]])


def gen_hincrby(rng):
    return [b"HINCRBY", key(rng), rng.choice(FIELDS), rng.choice(INCRS)]


def gen_hincrbyfloat(rng):
    return [b"HINCRBYFLOAT", key(rng), rng.choice(FIELDS), rng.choice(FINCRS)]


def gen_many(rng):
    # Enough fields to cross hash-max-listpack-entries (512) now and then.
    n = rng.choice([20, 200, 520])
    base = rng.randint(0, 1000)
    cmd = [b"HSET", rng.choice(KEYS)]
    for i in range(n):
        cmd += [b"f%d" % (base + i), b"%d" % i]
    return cmd


_WEIGHTED = ([gen_hset] * 6 + [gen_hsetnx, gen_hget, gen_hget, gen_hmget, gen_hdel, gen_hdel,
             gen_small, gen_small, gen_hincrby, gen_hincrby, gen_hincrbyfloat, gen_hincrbyfloat,
             gen_many])


def _canon(v):
    """An order-free form of a hash reply: pairs for HGETALL, a sorted list otherwise."""
    if isinstance(v, dict):
        return sorted(v.items(), key=repr)
    if isinstance(v, list):
        return sorted(v, key=repr)
    return v


def check_whole(d, k):
    """HGETALL/HKEYS/HVALS/HSCAN of k: exact for a listpack (Redis's order is insertion order),
    as multisets for a hashtable."""
    enc = d.check(b"OBJECT", b"ENCODING", k)
    exact = enc != b"$9\r\nhashtable\r\n"
    for cmd in (b"HGETALL", b"HKEYS", b"HVALS"):
        if exact:
            d.check(cmd, k)
            continue
        ref, dut = d.both(cmd, k)
        if cmd == b"HGETALL" and ref[:1] == b"*":
            a, b = parse_reply(ref), parse_reply(dut)
            ref_v = sorted(zip(a[0::2], a[1::2]))
            dut_v = sorted(zip(b[0::2], b[1::2])) if isinstance(b, list) else b
            d.expect_equal(cmd.decode(), ref_v, dut_v, (cmd, k))
        else:
            d.expect_equal(cmd.decode(), (ref[:1], _canon(parse_reply(ref))),
                           (dut[:1], _canon(parse_reply(dut))), (cmd, k))
    if exact:
        d.check(b"HSCAN", k, b"0")
        d.check(b"HSCAN", k, b"0", b"MATCH", b"*a*", b"COUNT", b"1")
    else:
        d.expect_equal("HSCAN all", full_hscan(d.ref, k), full_hscan(d.dut, k), (b"HSCAN", k))


def full_hscan(conn, k, count=b"7"):
    cursor, seen = b"0", set()
    for _ in range(100000):
        reply = parse_reply(conn.cmd(b"HSCAN", k, cursor, b"COUNT", count))
        cursor, items = reply
        seen.update(zip(items[0::2], items[1::2]))
        if cursor == b"0":
            return sorted(seen)
    return "no end"


def check_rand(d, rng):
    k = key(rng)
    r = rng.random()
    if r < 0.3:
        cmd = [b"HRANDFIELD", k]
    else:
        cmd = [b"HRANDFIELD", k, rng.choice(COUNTS)]
        if rng.random() < 0.5:
            cmd.append(rng.choice([b"WITHVALUES", b"withvalues", b"WITHVALUES", b"bogus"]))
    ref, dut = d.both(*cmd)
    if ref[:1] in (b"-", b"_") or ref.startswith(b"$-1") or ref == b"*0\r\n":
        if ref != dut:
            d.expect_equal("HRANDFIELD", ref, dut, cmd)
        return
    a, b = parse_reply(ref), parse_reply(dut)
    # Same shape: the same type, the same number of elements, nested pairs alike; and for a
    # positive count, distinct fields all present in the hash.
    shape = (lambda v: (type(v).__name__, len(v) if isinstance(v, list) else None,
                        sorted({type(x).__name__ for x in v}) if isinstance(v, list) else None))
    d.expect_equal("HRANDFIELD shape", (ref[:1], shape(a)), (dut[:1], shape(b)), cmd)
    if len(cmd) >= 3 and isinstance(b, list) and not cmd[2].startswith(b"-"):
        fields = [x[0] if isinstance(x, list) else x for x in b]
        if len(cmd) == 4 and not isinstance(b[0], list):
            fields = b[0::2]
        d.expect_equal("HRANDFIELD distinct", len(fields), len(set(fields)), cmd)


def play_hashes(d, rng, types):
    d.check(b"SET", STRING_KEY, b"v")
    d.check(b"RPUSH", LIST_KEY, b"a")
    for _ in range(250):
        r = rng.random()
        if r < 0.05:
            check_rand(d, rng)
        elif r < 0.08:
            check_whole(d, rng.choice(KEYS + [STRING_KEY, b"missing"]))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng))
    for k in KEYS + [STRING_KEY, LIST_KEY, b"missing"]:
        d.check(b"TYPE", k)
        d.check(b"HLEN", k)
        check_whole(d, k)
    d.check(b"DBSIZE")


@test
def test_hashes_random(opts):
    harness.run_rounds(opts, "hashes", play_hashes, rounds=40, budget_s=20.0)


EDGE_SEQUENCES = [
    # Order of a listpack through updates and deletes; the key goes with its last field.
    [[b"HSET", b"h", b"a", b"1", b"b", b"2", b"c", b"3"], [b"HSET", b"h", b"a", b"long" * 5],
     [b"HDEL", b"h", b"b"], [b"HSET", b"h", b"b", b"4"], [b"HGETALL", b"h"], [b"HKEYS", b"h"],
     [b"HVALS", b"h"], [b"HDEL", b"h", b"a", b"b", b"c", b"zz"], [b"EXISTS", b"h"],
     [b"HDEL", b"h", b"a"], [b"HGETALL", b"h"], [b"HKEYS", b"h"]],
    # Thresholds: 512 entries, 64-byte values and fields, the CONFIG knobs.
    [[b"HSET", b"h"] + [b"f%d" % i if j == 0 else b"v" for i in range(512) for j in (0, 1)],
     [b"OBJECT", b"ENCODING", b"h"], [b"HSET", b"h", b"f0", b"w"], [b"OBJECT", b"ENCODING", b"h"],
     [b"HSET", b"h", b"new", b"v"], [b"OBJECT", b"ENCODING", b"h"],
     [b"HSET", b"v", b"f", b"x" * 64], [b"OBJECT", b"ENCODING", b"v"],
     [b"HSET", b"v", b"f", b"x" * 65], [b"OBJECT", b"ENCODING", b"v"],
     [b"HSET", b"w", b"x" * 65, b"1"], [b"OBJECT", b"ENCODING", b"w"],
     [b"HSETNX", b"n", b"f", b"1"], [b"HSETNX", b"n", b"f", b"x" * 100],
     [b"OBJECT", b"ENCODING", b"n"], [b"HINCRBY", b"n", b"y" * 65, b"1"],
     [b"OBJECT", b"ENCODING", b"n"],
     [b"HINCRBYFLOAT", b"m", b"f", b"1e80"], [b"OBJECT", b"ENCODING", b"m"],
     [b"CONFIG", b"GET", b"hash-max-listpack-entries"],
     [b"CONFIG", b"SET", b"hash-max-listpack-entries", b"2"],
     [b"HSET", b"c", b"a", b"1", b"b", b"2"], [b"OBJECT", b"ENCODING", b"c"],
     [b"HSET", b"c", b"c", b"3"], [b"OBJECT", b"ENCODING", b"c"],
     [b"CONFIG", b"SET", b"hash-max-listpack-entries", b"512"],
     [b"CONFIG", b"SET", b"hash-max-listpack-value", b"abc"],
     [b"CONFIG", b"GET", b"hash-max-listpack-value"]],
    # HINCRBY / HINCRBYFLOAT edge cases.
    [[b"HSET", b"h", b"max", b"9223372036854775807", b"min", b"-9223372036854775808",
      b"s", b"abc", b"f", b"1.5", b"sp", b" 1", b"e", b"1e3", b"z", b"0"],
     [b"HINCRBY", b"h", b"max", b"1"], [b"HINCRBY", b"h", b"min", b"-1"],
     [b"HINCRBY", b"h", b"max", b"-1"], [b"HINCRBY", b"h", b"s", b"1"],
     [b"HINCRBY", b"h", b"f", b"1"], [b"HINCRBY", b"h", b"sp", b"1"],
     [b"HINCRBY", b"h", b"new", b"abc"], [b"HINCRBY", b"h", b"new", b"-5"],
     [b"HINCRBYFLOAT", b"h", b"f", b"0.1"], [b"HINCRBYFLOAT", b"h", b"e", b"1"],
     [b"HINCRBYFLOAT", b"h", b"s", b"1"], [b"HINCRBYFLOAT", b"h", b"z", b"inf"],
     [b"HINCRBYFLOAT", b"h", b"z", b"nan"], [b"HINCRBYFLOAT", b"h", b"z", b"1e308"],
     [b"HINCRBYFLOAT", b"h", b"z", b"1e308"], [b"HINCRBYFLOAT", b"h", b"z", b"-1e308"],
     [b"HINCRBYFLOAT", b"h", b"z", b"-1e308"], [b"HINCRBYFLOAT", b"h", b"z", b"5e-324"],
     [b"HINCRBYFLOAT", b"h", b"max", b"1"], [b"HINCRBYFLOAT", b"h", b"q", b"3.0"],
     [b"HINCRBYFLOAT", b"h", b"q", b"abc"], [b"OBJECT", b"ENCODING", b"h"],
     [b"HMGET", b"h", b"max", b"min", b"s", b"f", b"sp", b"e", b"z", b"new", b"q"]],
    # WRONGTYPE and missing keys for every command; arity errors.
    [[b"SET", b"s", b"x"], [b"RPUSH", b"l", b"x"]] +
    [[c, k] + rest for k in (b"s", b"l", b"missing") for c, rest in (
        (b"HSET", [b"f", b"v"]), (b"HMSET", [b"f", b"v"]), (b"HSETNX", [b"f", b"v"]),
        (b"HGET", [b"f"]), (b"HMGET", [b"f", b"g"]), (b"HDEL", [b"f"]), (b"HLEN", []),
        (b"HSTRLEN", [b"f"]), (b"HEXISTS", [b"f"]), (b"HINCRBY", [b"f", b"1"]),
        (b"HINCRBYFLOAT", [b"f", b"1"]), (b"HGETALL", []), (b"HKEYS", []), (b"HVALS", []),
        (b"HRANDFIELD", []), (b"HRANDFIELD", [b"2"]), (b"HRANDFIELD", [b"-2", b"WITHVALUES"]),
        (b"HSCAN", [b"0"]), (b"HSCAN", [b"x"]), (b"HSCAN", [b"0", b"COUNT", b"0"]),
        (b"HINCRBY", [b"f", b"x"]), (b"HINCRBYFLOAT", [b"f", b"x"]))] +
    [[b"HSET", b"h", b"f"], [b"HSET", b"h", b"f", b"v", b"g"], [b"HMSET", b"h", b"f", b"v", b"g"],
     [b"HGET", b"h"], [b"HSETNX", b"h", b"f"], [b"HLEN"], [b"HGETALL", b"h", b"x"],
     [b"HRANDFIELD"], [b"HSCAN", b"h"], [b"HDEL", b"h"], [b"HMGET", b"h"]],
    # HRANDFIELD argument checks and whole-hash picks; HSCAN options on a listpack.
    [[b"HSET", b"h", b"a", b"1", b"b", b"2", b"c", b"3"],
     [b"HRANDFIELD", b"h", b"5"], [b"HRANDFIELD", b"h", b"3", b"WITHVALUES"],
     [b"HRANDFIELD", b"h", b"0"], [b"HRANDFIELD", b"h", b"0", b"WITHVALUES"],
     [b"HRANDFIELD", b"h", b"1", b"bogus"], [b"HRANDFIELD", b"h", b"1", b"WITHVALUES", b"x"],
     [b"HRANDFIELD", b"h", b"-9223372036854775808"],
     [b"HRANDFIELD", b"h", b"-4611686018427387904", b"WITHVALUES"],
     [b"HRANDFIELD", b"h", b"4611686018427387904", b"WITHVALUES"],
     [b"HRANDFIELD", b"h", b"4611686018427387903", b"WITHVALUES"],
     [b"HRANDFIELD", b"h", b"abc"], [b"HRANDFIELD", b"missing", b"abc"],
     [b"HSCAN", b"h", b"0", b"MATCH", b"a"], [b"HSCAN", b"h", b"0", b"COUNT", b"1"],
     [b"HSCAN", b"h", b"0", b"COUNT", b"abc"], [b"HSCAN", b"h", b"0", b"BOGUS", b"1"],
     [b"HSCAN", b"h", b"0", b"MATCH"], [b"HSCAN", b"h", b"-1"], [b"HSCAN", b"h", b"123"],
     [b"HSCAN", b"h", b"0", b"TYPE", b"string"]],
]


@test
def test_hashes_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


@test
def test_hashes_big(opts):
    # A hash big enough for the sharded table (over 57K fields): contents, scans, deletes and
    # counters against redis-server, in RESP2 and RESP3.
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for proto in (b"2", b"3"):
            d = harness.Differential(ref.port, dut.port)
            d.context = f" [big, RESP{proto.decode()}]"
            d.check(b"HELLO", proto, mode="type")
            d.check(b"FLUSHALL")
            for first in range(0, 80000, 2000):
                args = [b"HSET", b"big"]
                for i in range(first, first + 2000):
                    args += [b"field:%d" % i, b"%d" % (i * 7)]
                d.check(*args)
            d.check(b"HLEN", b"big")
            for i in (0, 1, 57343, 57344, 79999, 80000):
                d.check(b"HGET", b"big", b"field:%d" % i)
                d.check(b"HINCRBY", b"big", b"field:%d" % i, b"3")
            d.check(b"HDEL", b"big", *[b"field:%d" % i for i in range(0, 80000, 3)])
            d.check(b"HLEN", b"big")
            d.check(b"HMGET", b"big", *[b"field:%d" % i for i in range(0, 30)])
            check_whole(d, b"big")
            d.check(b"HRANDFIELD", b"big", b"0")
            mismatches = d.mismatches
            d.close()
            assert mismatches == 0, f"{mismatches} replies differed from redis-server"


if __name__ == "__main__":
    harness.main()
