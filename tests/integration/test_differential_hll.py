#!/usr/bin/env python3
# Differential test of the HyperLogLog commands: the same seeded random PFADD / PFCOUNT /
# PFMERGE sequences go to redis-server 7.0 and to aegisr-daemon, RESP2 and RESP3, and the raw
# replies must be identical, counts included. The values themselves are compared too: GET of
# every HyperLogLog key must return the same bytes from both servers (sparse and dense, after
# merges and cached counts), and values made by one server and SET into the other keep counting
# the same under further PFADDs. Damaged values (SETRANGE, APPEND, truncation) and other types
# get the same errors. Single-threaded.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

KEYS = [b"h0", b"h1", b"h2", b"h3", b"{t}a", b"{t}b", b"", b"h\x00\r\n"]
STRING_KEY = b"plain"  # holds a string that is not a HyperLogLog
WRONG_TYPE_KEYS = {"list": b"wt:list", "set": b"wt:set", "hash": b"wt:hash", "zset": b"wt:zset"}


def element(rng, universe):
    r = rng.random()
    if r < 0.6:
        return b"e%d" % rng.randrange(universe)
    if r < 0.8:
        return b"%d" % rng.randrange(universe)
    if r < 0.9:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    return rng.choice([b"", b"\x00", b"a" * 100, b"\r\n", b"\xff" * 9, b"abcdefgh", b"abcdefg"])


def elements(rng, universe):
    r = rng.random()
    if r < 0.05:
        n = 0
    elif r < 0.7:
        n = rng.randint(1, 8)
    elif r < 0.93:
        n = rng.randint(20, 300)
    else:
        n = rng.randint(1000, 4000)  # enough to turn a value dense
    return [element(rng, universe) for _ in range(n)]


def key(rng, types):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if types and r < 0.08:
        return WRONG_TYPE_KEYS[rng.choice(sorted(types))]
    return rng.choice(KEYS)


def keys(rng, types, lo, hi):
    return [key(rng, types) for _ in range(rng.randint(lo, hi))]


def damage(rng, value):
    """A damaged copy of a HyperLogLog value: a changed byte anywhere (header, encoding, cached
    count, opcodes, registers), truncated, lengthened, or with opcodes appended."""
    v = bytearray(value)
    r = rng.random()
    if r < 0.45 and v:
        i = rng.choice([4, 8, 15, 16, 17, rng.randrange(len(v)), len(v) - 1]) % len(v)
        v[i] = rng.randrange(256)
    elif r < 0.6:
        del v[rng.randrange(max(0, len(v) - 3), len(v) + 1):]
    elif r < 0.75:
        v += bytes([rng.choice([0x00, 0x3f, 0x40, 0x7f, 0x80, 0xff])])
    elif r < 0.85:
        v = v[:16]
    else:
        v += bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    return bytes(v)


def ends_in_half_xzero(v):
    """A sparse value whose last opcode is an XZERO missing its second byte. Redis reads that byte
    from its string's terminator, which its own edits can leave nonzero (a split written past the
    new end); that byte is not part of the value, so Aegisr reads 0 there. Such damage is
    completed before it is used (docs: known differences)."""
    if len(v) < 17 or v[:4] != b"HYLL" or v[4] != 1:
        return False
    p = 16
    while p < len(v):
        if v[p] & 0xc0 == 0x40:
            if p + 1 == len(v):
                return True
            p += 2
        else:
            p += 1
    return False


def complete_half_xzero(d, k):
    value = harness.parse_reply(d.ref.cmd(b"GET", k))
    if isinstance(value, bytes) and ends_in_half_xzero(value):
        d.check(b"APPEND", k, b"\x00")


def gen_pfadd(d, rng, types, universe):
    d.check(b"PFADD", key(rng, types), *elements(rng, universe))


def gen_pfcount(d, rng, types, universe):
    d.check(b"PFCOUNT", *keys(rng, types, 1, 4))


def gen_pfmerge(d, rng, types, universe):
    d.check(b"PFMERGE", key(rng, types), *keys(rng, types, 0, 3))


def gen_get(d, rng, types, universe):
    d.check(b"GET", key(rng, types))


def gen_damage(d, rng, types, universe):
    k = rng.choice(KEYS)
    value = harness.parse_reply(d.ref.cmd(b"GET", k))
    if not isinstance(value, bytes) or isinstance(value, harness.Error):
        return
    if rng.random() < 0.5:
        d.check(b"SET", k, damage(rng, value))
    else:
        d.check(b"SETRANGE", k, b"%d" % rng.randrange(len(value) + 2),
                bytes([rng.randrange(256)]))
    complete_half_xzero(d, k)


def gen_transfer(d, rng, types, universe):
    """The value of one server SET into the other (both directions), under another key."""
    src, dst = rng.sample(KEYS, 2)
    ref_value = harness.parse_reply(d.ref.cmd(b"GET", src))
    dut_value = harness.parse_reply(d.dut.cmd(b"GET", src))
    d.expect_equal("GET before transfer", ref_value, dut_value, (b"GET", src))
    if not isinstance(ref_value, bytes) or not isinstance(dut_value, bytes):
        return
    # redis's bytes into aegisr and aegisr's into redis: both sides then hold the same value.
    d.ref.cmd(b"SET", dst, dut_value)
    d.dut.cmd(b"SET", dst, ref_value)
    d.check(b"PFCOUNT", dst)
    d.check(b"PFADD", dst, *elements(rng, universe))
    d.check(b"GET", dst)


def gen_debug(d, rng, types, universe):
    sub = rng.choice([b"ENCODING", b"DECODE", b"TODENSE", b"GETREG", b"encoding", b"NOSUCH"])
    d.check(b"PFDEBUG", sub, key(rng, types))


def gen_config(d, rng, types, universe):
    d.check(b"CONFIG", b"SET", b"hll-sparse-max-bytes",
            rng.choice([b"0", b"30", b"100", b"500", b"3000", b"6000"]))


def gen_misc(d, rng, types, universe):
    k = rng.choice(KEYS)
    r = rng.random()
    if r < 0.3:
        d.check(b"DEL", k)
    elif r < 0.6:
        d.check(b"APPEND", k, rng.choice([b"", b"\x00", b"x"]))
        complete_half_xzero(d, k)
    elif r < 0.8:
        d.check(b"COPY", k, rng.choice(KEYS))
    else:
        d.check(b"STRLEN", k)


GENERATORS = [
    (30, gen_pfadd), (14, gen_pfcount), (8, gen_pfmerge), (12, gen_get), (4, gen_damage),
    (4, gen_transfer), (4, gen_debug), (1, gen_config), (3, gen_misc),
]
_WEIGHTED = [g for w, g in GENERATORS for _ in range(w)]


def gen_wrong_arity(rng):
    return rng.choice([[b"PFADD"], [b"PFCOUNT"], [b"PFMERGE"], [b"PFDEBUG", b"ENCODING"],
                       [b"PFDEBUG", b"ENCODING", b"h0", b"x"], [b"PFDEBUG"]])


def play_hll(d, rng, types):
    for t in types:
        k = WRONG_TYPE_KEYS[t]
        d.check(*harness.CONTAINER_PROBES[t][:1], k, *harness.CONTAINER_PROBES[t][2:])
    d.check(b"SET", STRING_KEY, rng.choice([b"hello", b"HYLL", b"x" * 40, b"12345"]))
    d.check(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
    universe = rng.choice([10, 100, 1000, 100000])
    for _ in range(120):
        if rng.random() < 0.03:
            d.check(*gen_wrong_arity(rng))
        else:
            rng.choice(_WEIGHTED)(d, rng, types, universe)
    # Final state: every key's value and count.
    for k in KEYS + [STRING_KEY]:
        d.check(b"GET", k)
        d.check(b"PFCOUNT", k)
        d.check(b"GET", k)  # with the count now cached
    d.check(b"PFCOUNT", *KEYS)
    d.check(b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000")
    d.check(b"DBSIZE")


@test
def test_hll_random(opts):
    harness.run_rounds(opts, "hll", play_hll, rounds=150, budget_s=20.0)


def _grow(conn, k, rng, n):
    for i in range(0, n, 500):
        conn.cmd(b"PFADD", k, *[b"t%d" % rng.randrange(10**9) for _ in range(min(500, n - i))])


@test
def test_values_move_between_servers(opts):
    """HyperLogLogs built by redis-server are SET into aegisr and the reverse; both then count
    and change identically (same PFCOUNT, same PFADD replies, same bytes)."""
    import random
    rng = random.Random(opts.seed)
    print(f"  seed {opts.seed}")
    sizes = [0, 1, 5, 60, 400, 1500, 3000, 20000, 200000]
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        d = harness.Differential(ref.port, dut.port)
        d.ref.cmd(b"FLUSHALL")
        d.dut.cmd(b"FLUSHALL")
        for n in sizes:
            for maker, other in ((d.ref, d.dut), (d.dut, d.ref)):
                name = b"made-by-%s-%d" % (b"redis" if maker is d.ref else b"aegisr", n)
                seed = rng.randrange(1 << 30)
                maker.cmd(b"PFADD", name)
                _grow(maker, name, random.Random(seed), n)
                if rng.random() < 0.5:
                    maker.cmd(b"PFCOUNT", name)  # cache the count in the value
                value = harness.parse_reply(maker.cmd(b"GET", name))
                assert isinstance(value, bytes) and value.startswith(b"HYLL"), value
                other.cmd(b"SET", name, value)
                d.check(b"GET", name)
                d.check(b"PFCOUNT", name)
                d.check(b"PFDEBUG", b"ENCODING", name)
                extra = random.Random(seed + 1)
                for _ in range(5):
                    d.check(b"PFADD", name, *[b"u%d" % extra.randrange(10**6)
                                              for _ in range(extra.choice([1, 10, 300]))])
                    d.check(b"PFCOUNT", name)
                    d.check(b"GET", name)
        names = [b"made-by-%s-%d" % (who, n) for n in sizes for who in (b"redis", b"aegisr")]
        d.check(b"PFCOUNT", *names)
        d.check(b"PFMERGE", b"all", *names)
        d.check(b"GET", b"all")
        d.check(b"PFCOUNT", b"all")
        print(f"  {d.commands} commands, {d.mismatches} mismatches")
        mismatches = d.mismatches
        d.close()
        assert mismatches == 0, f"{mismatches} replies differed from redis-server"


@test
def test_comparison_catches_a_changed_register(opts):
    """The check can fail: two values one register apart give a GET mismatch (and here a
    different count), so equal bytes above are evidence, not an artefact of the harness."""
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        d = harness.Differential(ref.port, dut.port, show=0)
        for conn in (d.ref, d.dut):
            conn.cmd(b"FLUSHALL")
            conn.cmd(b"PFADD", b"h", *[b"x%d" % i for i in range(5000)])
        value = bytearray(harness.parse_reply(d.ref.cmd(b"GET", b"h")))
        assert len(value) == 12304, len(value)  # dense
        value[16 + 100:16 + 400] = b"\xff" * 300  # registers 133..533 raised to 63
        value[15] |= 0x80  # cache stale
        d.dut.cmd(b"SET", b"h", bytes(value))
        d.check(b"GET", b"h")
        d.check(b"PFCOUNT", b"h")
        d.check(b"PFDEBUG", b"GETREG", b"h")
        assert d.mismatches == 3, f"expected 3 mismatches, saw {d.mismatches}"
        d.close()


@test
def test_hlls_offloaded_to_the_tier_count_the_same(opts):
    """With maxmemory 4mb and a disk tier, dense and sparse HyperLogLogs go to disk; commands
    on them (PFCOUNT caching, PFADD, PFMERGE) read them back and give redis-server's replies and
    bytes."""
    import random
    import shutil
    import tempfile
    if harness.AGAINST_REDIS:
        harness.skip("the disk tier is Aegisr's")
    rng = random.Random(opts.seed)
    td = tempfile.mkdtemp(prefix="aegisr-hll-tier-")
    try:
        with harness.start_redis() as ref, harness.start_daemon(
                opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as dut:
            d = harness.Differential(ref.port, dut.port)
            d.ref.cmd(b"FLUSHALL")
            d.dut.cmd(b"FLUSHALL")
            n = 800  # 800 dense values are about 10 MB
            names = [b"hll:%d" % i for i in range(n)]
            for i, name in enumerate(names):
                count = 4000 if i % 2 == 0 else rng.randint(1, 200)
                els = [b"v%d" % rng.randrange(10**9) for _ in range(count)]
                d.check(b"PFADD", name, *els)
            # About 250 go to disk with mimalloc; fewer under ASan (the system allocator's
            # sizes, and a slower daemon whose offloading lags the load): a tenth is plenty to
            # exercise the reads back.
            deadline = time.monotonic() + 5
            while True:
                info = harness.parse_reply(d.dut.cmd(b"INFO", b"tier")).decode()
                disk_keys = int(info.split("tier_disk_keys:")[1].split()[0])
                if disk_keys > n // 4 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert disk_keys > n // 10, info
            for name in names:
                d.check(b"PFCOUNT", name)
            for name in rng.sample(names, 100):
                d.check(b"PFADD", name, *[b"w%d" % rng.randrange(10**6) for _ in range(5)])
            d.check(b"PFMERGE", b"merged", *rng.sample(names, 50))
            for name in names + [b"merged"]:
                d.check(b"GET", name)
            print(f"  {disk_keys} of {n} values were on disk; {d.commands} commands, "
                  f"{d.mismatches} mismatches")
            mismatches = d.mismatches
            d.close()
            assert mismatches == 0, f"{mismatches} replies differed from redis-server"
    finally:
        shutil.rmtree(td, ignore_errors=True)


EDGE_SEQUENCES = [
    # Creation, no-op adds, cached counts.
    [[b"PFADD", b"h"], [b"GET", b"h"], [b"PFADD", b"h"], [b"PFCOUNT", b"h"], [b"GET", b"h"],
     [b"PFADD", b"h", b"a", b"b", b"c"], [b"GET", b"h"], [b"PFADD", b"h", b"a"],
     [b"PFCOUNT", b"h"], [b"GET", b"h"], [b"PFDEBUG", b"DECODE", b"h"],
     [b"PFDEBUG", b"ENCODING", b"h"], [b"OBJECT", b"ENCODING", b"h"], [b"TYPE", b"h"],
     [b"PFCOUNT", b"nokey"], [b"PFCOUNT", b"nokey", b"h"], [b"EXISTS", b"nokey"]],
    # Errors: other types, strings that are not HyperLogLogs, damaged ones.
    [[b"SET", b"s", b"hello"], [b"PFADD", b"s", b"a"], [b"PFCOUNT", b"s"],
     [b"PFCOUNT", b"nokey", b"s"], [b"PFMERGE", b"d", b"s"], [b"EXISTS", b"d"],
     [b"PFMERGE", b"s", b"nokey"], [b"PFDEBUG", b"GETREG", b"s"], [b"RPUSH", b"l", b"a"],
     [b"PFADD", b"l", b"a"], [b"PFCOUNT", b"l"], [b"PFCOUNT", b"l", b"s"], [b"PFMERGE", b"l"],
     [b"PFMERGE", b"d", b"l"], [b"PFDEBUG", b"ENCODING", b"l"], [b"PFDEBUG", b"ENCODING", b"x"],
     [b"SET", b"e", b"HYLL"], [b"PFADD", b"e", b"a"],
     [b"SET", b"e", b"HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"],
     [b"PFCOUNT", b"e"],
     [b"SET", b"e", b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"],
     [b"PFCOUNT", b"e"], [b"PFADD", b"e", b"x"],
     [b"SET", b"c", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"],
     [b"PFCOUNT", b"c"], [b"PFCOUNT", b"c", b"nokey"], [b"PFMERGE", b"d", b"c"],
     [b"PFDEBUG", b"TODENSE", b"c"], [b"PFDEBUG", b"GETREG", b"c"], [b"PFDEBUG", b"DECODE", b"c"],
     [b"PFADD", b"c", b"a", b"b", b"c", b"d", b"e", b"f"], [b"GET", b"c"],
     [b"SET", b"c", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"],
     [b"PFADD", b"c", b"a"], [b"PFADD", b"c"], [b"GET", b"c"], [b"PFCOUNT", b"c"],
     [b"SET", b"c", b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"],
     [b"PFCOUNT", b"c"], [b"PFADD", b"c", b"a", b"b"], [b"GET", b"c"],
     [b"SET", b"c", b"HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00garbage"],
     [b"PFCOUNT", b"c"], [b"PFADD", b"c", b"zz"], [b"PFCOUNT", b"c"]],
    # A cached count is trusted; a change makes it stale.
    [[b"SET", b"h", b"HYLL\x01\x00\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x7f\xff"],
     [b"PFCOUNT", b"h"], [b"PFADD", b"h", b"q"], [b"PFCOUNT", b"h"], [b"GET", b"h"]],
    # PFMERGE: destination read as a source, dense when a source is, created when missing.
    [[b"PFMERGE", b"m"], [b"GET", b"m"], [b"PFADD", b"a", b"1", b"2", b"3"],
     [b"PFADD", b"b", b"3", b"4", b"5"], [b"PFMERGE", b"m", b"a", b"b"], [b"GET", b"m"],
     [b"PFCOUNT", b"m"], [b"PFMERGE", b"a", b"b"], [b"GET", b"a"], [b"PFCOUNT", b"a", b"b"],
     [b"PFDEBUG", b"TODENSE", b"b"], [b"PFDEBUG", b"TODENSE", b"b"],
     [b"PFDEBUG", b"ENCODING", b"b"], [b"PFMERGE", b"n", b"a", b"b"],
     [b"PFDEBUG", b"ENCODING", b"n"], [b"GET", b"n"], [b"PFMERGE", b"a", b"a"], [b"GET", b"a"]],
    # The sparse limit: promotion at the knob, dense values stay dense.
    [[b"CONFIG", b"GET", b"hll-sparse-max-bytes"],
     [b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"40"],
     [b"PFADD", b"h", b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8"], [b"GET", b"h"],
     [b"PFDEBUG", b"ENCODING", b"h"],
     [b"PFADD", b"h", b"9", b"10", b"11", b"12", b"13", b"14", b"15", b"16", b"17"],
     [b"PFDEBUG", b"ENCODING", b"h"], [b"GET", b"h"], [b"PFCOUNT", b"h"],
     [b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"0"], [b"PFADD", b"z", b"a"],
     [b"PFDEBUG", b"ENCODING", b"z"], [b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"-1"],
     [b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"abc"],
     [b"CONFIG", b"SET", b"hll-sparse-max-bytes", b"3000"]],
    # Dense registers at 63 or 51 everywhere: the estimate divides by zero; Redis replies with
    # LLONG_MIN (and its cache bit stays set), and so must we.
    [[b"SET", b"x", b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" + b"\xff" * 12288],
     [b"PFCOUNT", b"x"], [b"GET", b"x"], [b"PFCOUNT", b"x", b"y"], [b"PFADD", b"x", b"a"],
     [b"SET", b"x", b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"
      + b"\xf3\x3c\xcf" * 4096], [b"PFCOUNT", b"x"], [b"PFMERGE", b"y", b"x"], [b"PFCOUNT", b"y"]],
    # Edits in place keep the key's TTL.
    [[b"PFADD", b"t", b"a"], [b"EXPIRE", b"t", b"1000"], [b"PFADD", b"t", b"b", b"c"],
     [b"PFCOUNT", b"t"], [b"PFMERGE", b"t", b"nokey"], [b"PFDEBUG", b"TODENSE", b"t"],
     [b"PERSIST", b"t"], [b"PERSIST", b"t"], [b"COPY", b"t", b"t2"], [b"PFADD", b"t", b"d"],
     [b"GET", b"t2"], [b"PFCOUNT", b"t", b"t2"]],
    # Arity and unknown subcommands.
    [[b"PFADD"], [b"PFCOUNT"], [b"PFMERGE"], [b"PFDEBUG", b"GETREG"],
     [b"PFDEBUG", b"GETREG", b"a", b"b"], [b"PFADD", b"h", b"x"], [b"PFDEBUG", b"BOGUS", b"h"],
     [b"PFDEBUG", b"bo\r\ngus", b"h"], [b"PFDEBUG", b"encoding\x00x", b"h"],
     [b"PFDEBUG", b"getreg", b"nokey"], [b"PFSELFTEST", b"x"], [b"PFSELFTEST"]],
]


@test
def test_hll_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


if __name__ == "__main__":
    harness.main()
