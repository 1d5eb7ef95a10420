#!/usr/bin/env python3
# Differential test of the stream core commands (XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID and
# non-blocking XREAD): the same seeded random command sequences go to redis-server 7.0 and to
# aegisr-daemon, RESP2 and RESP3; raw reply bytes must be identical. Auto IDs ("*") depend on
# each server's clock: they go to keys of their own and are compared by shape. Single-threaded.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# A small key space so that commands collide; a string key for WRONGTYPE and a binary key.
KEYS = [b"s0", b"s1", b"s2", b"b\x00\r\nk"]
AUTO_KEY = b"auto"  # only "*" IDs: compared by shape
STRING_KEY = b"str"

FIELDS = [b"f", b"g", b"field", b"", b"a\x00b", b"1", b"-5", b"12345678901", b"x" * 70]
VALUES = [b"v", b"", b"1", b"-1", b"127", b"128", b"4096", b"-4097", b"65536", b"hello world",
          b"\r\n", b"x" * 100, b"y" * 5000, b"9223372036854775807", b"99999999999999999999",
          b"007", b"3.5", b"a\x00b"]
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"10", b"-1", b"abc", b"9223372036854775807",
          b"-9223372036854775808", b""]
BAD_IDS = [b"abc", b"1-", b"-1", b"1-x", b"1-2-3", b"", b"+", b"-", b"18446744073709551616",
           b"1--1", b" 1", b"+1", b"01-1", b"1- 2", b"1-*"]


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.08:
        return b"missing"
    return rng.choice(KEYS)


# A round's clock: IDs are picked around it and it moves on, so that most XADDs succeed while
# others land at, below or far above the top.
CLOCK = [0]


def small_id(rng, full=True):
    CLOCK[0] += rng.choice([0, 0, 1])
    r = rng.random()
    if r < 0.8:
        ms = max(0, CLOCK[0] + rng.randint(-6, 2))
    elif r < 0.9:
        ms = rng.randint(0, CLOCK[0] + 1)
    else:
        ms = rng.choice([0, 1, CLOCK[0] + 50])
    if not full:
        return b"%d" % ms
    return b"%d-%d" % (ms, rng.choice([0, 0, 0, 1, 2, 3, 18446744073709551615]))


def any_id(rng):
    r = rng.random()
    if r < 0.08:
        return rng.choice(BAD_IDS)
    if r < 0.2:
        return small_id(rng, full=False)
    return small_id(rng)


def pairs(rng):
    n = rng.choice([1, 1, 1, 2, 2, 3, 5])
    if rng.random() < 0.5:  # the same field names often, as real streams do
        names = [b"f", b"g", b"h", b"i", b"j"][:n]
    else:
        names = [rng.choice(FIELDS) for _ in range(n)]
    out = []
    for f in names:
        out += [f, rng.choice(VALUES)]
    return out


def trim_opts(rng, xadd):
    """MAXLEN|MINID [=|~] threshold [LIMIT n], sometimes malformed."""
    out = []
    r = rng.random()
    if xadd and r < 0.5:
        return out
    strategy = rng.choice([b"MAXLEN", b"MINID", b"maxlen", b"minid"])
    out.append(strategy)
    mode = rng.choice([b"", b"", b"~", b"~", b"="])
    if mode:
        out.append(mode)
    if strategy.upper() == b"MAXLEN":
        out.append(rng.choice([b"0", b"1", b"2", b"3", b"5", b"10", b"20", b"50", b"-1", b"abc"]))
    else:
        out.append(rng.choice([small_id(rng), small_id(rng, False), b"0", b"-", b"bad"]))
    if rng.random() < 0.3:
        out += [b"LIMIT", rng.choice([b"0", b"1", b"3", b"10", b"100", b"-1", b"x"])]
    if rng.random() < 0.03:  # both strategies
        out += [b"MINID", b"5"]
    return out


def gen_xadd(rng):
    cmd = [rng.choice([b"XADD", b"xadd"]), key(rng)]
    if rng.random() < 0.1:
        cmd.append(b"NOMKSTREAM")
    cmd += trim_opts(rng, True)
    if rng.random() < 0.05 and len(cmd) == 2:
        cmd += [b"LIMIT", b"5"]  # LIMIT without a strategy
    r = rng.random()
    if r < 0.25:
        cmd.append(b"%d-*" % max(0, CLOCK[0] + rng.randint(-3, 1)))
    elif r < 0.3:
        cmd.append(rng.choice(BAD_IDS + [b"0-0", b"0"]))
    else:
        cmd.append(small_id(rng, full=rng.random() < 0.8))
    cmd += pairs(rng)
    if rng.random() < 0.03:
        cmd.append(b"odd")
    return cmd


def gen_range(rng):
    rev = rng.random() < 0.4
    lo = rng.choice([b"-", b"-", b"(" + small_id(rng), any_id(rng), any_id(rng)])
    hi = rng.choice([b"+", b"+", b"(" + small_id(rng), any_id(rng), any_id(rng)])
    if rng.random() < 0.05:
        lo, hi = rng.choice([(b"(18446744073709551615-18446744073709551615", b"+"),
                             (b"-", b"(0-0"), (b"(", b"+"), (b"(-", b"+")])
    cmd = [b"XREVRANGE" if rev else b"XRANGE", key(rng)] + ([hi, lo] if rev else [lo, hi])
    r = rng.random()
    if r < 0.4:
        cmd += [rng.choice([b"COUNT", b"count"]), rng.choice(COUNTS)]
    elif r < 0.43:
        cmd += [b"COUNT"]
    elif r < 0.45:
        cmd += [b"BOGUS", b"1"]
    return cmd


def gen_xdel(rng):
    return [b"XDEL", key(rng)] + [any_id(rng) for _ in range(rng.randint(1, 4))]


def gen_xtrim(rng):
    cmd = [b"XTRIM", key(rng)] + trim_opts(rng, False)
    if rng.random() < 0.05:
        cmd.append(b"BOGUS")
    return cmd


def gen_xlen(rng):
    return [b"XLEN", key(rng)]


def gen_xsetid(rng):
    cmd = [b"XSETID", key(rng), rng.choice([small_id(rng), small_id(rng), small_id(rng),
                                            b"%d-0" % (CLOCK[0] + 3), b"bad", b"-", b"0"])]
    for _ in range(rng.randint(0, 2)):
        opt = rng.choice([b"ENTRIESADDED", b"MAXDELETEDID", b"entriesadded", b"BOGUS"])
        if opt.upper() == b"ENTRIESADDED":
            cmd += [opt, rng.choice([b"0", b"5", b"1000", b"-1", b"x"])]
        elif opt.upper() == b"MAXDELETEDID":
            cmd += [opt, rng.choice([small_id(rng), b"0-0", b"99999-0", b"x"])]
        else:
            cmd.append(opt)
    return cmd


def gen_xread(rng):
    cmd = [b"XREAD"]
    if rng.random() < 0.5:
        cmd += [b"COUNT", rng.choice(COUNTS)]
    if rng.random() < 0.05:
        cmd += [rng.choice([b"NOACK", b"GROUP"])]
    n = rng.choice([1, 1, 2, 3])
    keys = [key(rng) for _ in range(n)]
    ids = [rng.choice([small_id(rng), small_id(rng, False), b"0", b"$", b">", b"bad", b"-"])
           for _ in range(n)]
    cmd += [b"STREAMS"] + keys + ids
    if rng.random() < 0.03:
        cmd.append(b"extra")
    return cmd


def gen_wrong_arity(rng):
    return rng.choice([[b"XADD", b"s0"], [b"XADD", b"s0", b"*"], [b"XADD", b"s0", b"1-1", b"f"],
                       [b"XRANGE", b"s0", b"-"], [b"XREVRANGE", b"s0"], [b"XLEN"],
                       [b"XDEL", b"s0"], [b"XTRIM", b"s0"], [b"XSETID", b"s0"],
                       [b"XREAD", b"STREAMS"], [b"XREAD", b"STREAMS", b"s0"],
                       [b"XREAD", b"COUNT", b"1", b"s0", b"0"], [b"XADD", b"s0", b"MAXLEN"]])


_WEIGHTED = ([gen_xadd] * 8 + [gen_range] * 4 + [gen_xdel] * 2 + [gen_xtrim] * 2 +
             [gen_xlen, gen_xsetid, gen_xread, gen_xread])

# An ID in a reply, as a bulk string: "$<len>\r\n<ms>-<seq>\r\n".
_ID_BULK = re.compile(rb"\$\d+\r\n\d+-\d+\r\n")


def check_shape(d, *args):
    """Both servers' replies with every stream ID blanked out must be the same."""
    ref, dut = d.both(*args)
    if isinstance(dut, str):
        d._report(args, ref, dut, "(no reply)")
        raise AssertionError(f"server under test gave no reply to {args!r}: {dut}")
    if _ID_BULK.sub(b"<id>", ref) != _ID_BULK.sub(b"<id>", dut):
        d._report(args, ref, dut, "(shape)")


# Redis 7.0 answers "ms-*" on a top ID whose sequence is exhausted with whichever of these two its
# stale errno picks (EDOM from an earlier failed XADD, else the ERANGE text): the two are accepted
# for each other there, nowhere else.
_SEQ_EXHAUSTED = {b"-ERR The ID specified in XADD is equal or smaller than the target stream top "
                  b"item\r\n", b"-ERR Elements are too large to be stored\r\n"}


def check_xadd(d, *args):
    if not any(a.endswith(b"-*") for a in args[2:]):
        return d.check(*args)
    ref, dut = d.both(*args)
    if isinstance(dut, str):
        d._report(args, ref, dut, "(no reply)")
        raise AssertionError(f"server under test gave no reply to {args!r}: {dut}")
    if ref != dut and not (ref in _SEQ_EXHAUSTED and dut in _SEQ_EXHAUSTED):
        d._report(args, ref, dut)


def play_auto(d, rng):
    """'*' IDs on their own key: shapes only, and their order (each above the last)."""
    cmd = [b"XADD", AUTO_KEY] + trim_opts(rng, True) + [b"*"] + pairs(rng)
    check_shape(d, *cmd)


def play_streams(d, rng, types):
    CLOCK[0] = 0
    # Node limits: small ones put node boundaries everywhere, which ~ trimming shows.
    d.check(b"CONFIG", b"SET", b"stream-node-max-entries",
            rng.choice([b"100", b"1", b"2", b"3", b"5", b"10", b"0"]))
    d.check(b"CONFIG", b"SET", b"stream-node-max-bytes",
            rng.choice([b"4096", b"4096", b"50", b"100", b"300", b"1000", b"0"]))
    d.check(b"SET", STRING_KEY, b"v")
    for _ in range(250):
        r = rng.random()
        if r < 0.03:
            d.check(*gen_wrong_arity(rng))
        elif r < 0.06:
            play_auto(d, rng)
        else:
            cmd = rng.choice(_WEIGHTED)(rng)
            if cmd[0].upper() == b"XADD":
                check_xadd(d, *cmd)
            else:
                d.check(*cmd)
    # Final state: every key's type, length and entries.
    for k in KEYS + [STRING_KEY, b"missing"]:
        d.check(b"TYPE", k)
        d.check(b"XLEN", k)
        d.check(b"XRANGE", k, b"-", b"+")
        d.check(b"XREVRANGE", k, b"+", b"-", b"COUNT", b"3")
    check_shape(d, b"XRANGE", AUTO_KEY, b"-", b"+")
    d.check(b"XLEN", AUTO_KEY)
    d.check(b"DBSIZE")
    d.check(b"CONFIG", b"SET", b"stream-node-max-entries", b"100")
    d.check(b"CONFIG", b"SET", b"stream-node-max-bytes", b"4096")


@test
def test_streams_random(opts):
    harness.run_rounds(opts, "streams", play_streams, rounds=60, budget_s=25.0)


def _many(key, n, start=1, fields=(b"f", b"v")):
    return [[b"XADD", key, b"%d-1" % i, *fields] for i in range(start, start + n)]


EDGE_SEQUENCES = [
    # IDs: 0-0 refused, ms-* after the top, the top's seq exhausted, the last possible ID.
    [[b"XADD", b"s", b"0-0", b"f", b"v"], [b"XADD", b"s", b"0", b"f", b"v"], [b"EXISTS", b"s"],
     [b"XADD", b"s", b"0-*", b"f", b"v"], [b"XADD", b"s", b"0-*", b"f", b"v"],
     [b"XADD", b"s", b"5-18446744073709551615", b"f", b"v"], [b"XADD", b"s", b"5-*", b"f", b"v"],
     [b"XADD", b"s", b"5-3", b"f", b"v"], [b"XADD", b"s", b"4-*", b"f", b"v"],
     [b"XADD", b"s", b"18446744073709551615-18446744073709551615", b"f", b"v"],
     [b"XADD", b"s", b"*", b"f", b"v"], [b"XADD", b"s", b"18446744073709551615-*", b"f", b"v"],
     [b"XLEN", b"s"], [b"XRANGE", b"s", b"-", b"+"]],
    # Options: NOMKSTREAM's null, LIMIT's errors, MAXLEN 0 keeps an empty stream, odd fields.
    [[b"XADD", b"s", b"NOMKSTREAM", b"1-1", b"f", b"v"], [b"EXISTS", b"s"],
     [b"XADD", b"s", b"LIMIT", b"5", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"LIMIT", b"0", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"MAXLEN", b"1", b"LIMIT", b"5", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"MAXLEN", b"~", b"1", b"LIMIT", b"-1", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"MAXLEN", b"-1", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"MAXLEN", b"1", b"MINID", b"1", b"1-1", b"f", b"v"],
     [b"XADD", b"s", b"MAXLEN", b"0", b"1-1", b"f", b"v"], [b"EXISTS", b"s"], [b"XLEN", b"s"],
     [b"XADD", b"s", b"2-1", b"f", b"v", b"g"], [b"XADD", b"s", b"2-1"],
     [b"XADD", b"s", b"NOMKSTREAM", b"2-1", b"f", b"v"], [b"XRANGE", b"s", b"-", b"+"],
     [b"XTRIM", b"s"], [b"XTRIM", b"s", b"LIMIT", b"5"], [b"XTRIM", b"s", b"MAXLEN", b"x"],
     [b"XTRIM", b"s", b"MAXLEN", b"1", b"BOGUS"], [b"XTRIM", b"nokey", b"MAXLEN", b"1"]],
    # Ranges: exclusive bounds, incomplete IDs, COUNT 0 and negative, bad bounds.
    _many(b"r", 10) + [
     [b"XRANGE", b"r", b"(3-1", b"(6-1"], [b"XRANGE", b"r", b"3", b"5"],
     [b"XREVRANGE", b"r", b"5", b"3"], [b"XRANGE", b"r", b"-", b"+", b"COUNT", b"0"],
     [b"XRANGE", b"r", b"-", b"+", b"COUNT", b"-5"], [b"XRANGE", b"nokey", b"-", b"+", b"COUNT",
                                                      b"0"],
     [b"XRANGE", b"r", b"(18446744073709551615-18446744073709551615", b"+"],
     [b"XREVRANGE", b"r", b"+", b"(0-0"], [b"XRANGE", b"r", b"(-", b"+"],
     [b"XRANGE", b"r", b"(+", b"+"], [b"XRANGE", b"r", b"x", b"+"], [b"XRANGE", b"r", b"-", b"y"],
     [b"XRANGE", b"r", b"5", b"3"], [b"XRANGE", b"r", b"-", b"+", b"COUNT", b"2", b"COUNT", b"3"],
     [b"XRANGE", b"r", b"-", b"+", b"COUNT"], [b"SET", b"str", b"x"],
     [b"XRANGE", b"str", b"-", b"+"], [b"XRANGE", b"str", b"bad", b"+"]],
    # XDEL and XSETID: counts, bad IDs, the top item and entries_added rules.
    _many(b"d", 5) + [
     [b"XDEL", b"d", b"2-1", b"2-1", b"9-9"], [b"XDEL", b"d", b"3-1", b"bad"], [b"XLEN", b"d"],
     [b"XDEL", b"nokey", b"1-1"], [b"XSETID", b"d", b"4-0"], [b"XSETID", b"d", b"5-1"],
     [b"XSETID", b"d", b"10-0", b"ENTRIESADDED", b"2"],
     [b"XSETID", b"d", b"10-0", b"ENTRIESADDED", b"-1"],
     [b"XSETID", b"d", b"10-0", b"MAXDELETEDID", b"11-0"],
     [b"XSETID", b"d", b"10-0", b"ENTRIESADDED", b"20", b"MAXDELETEDID", b"9-0"],
     [b"XSETID", b"nokey", b"1-1"], [b"XSETID", b"d", b"10-0", b"BOGUS"],
     [b"XADD", b"d", b"10-0", b"f", b"v"], [b"XADD", b"d", b"10-1", b"f", b"v"],
     [b"XDEL", b"d", b"1-1", b"4-1", b"5-1", b"10-1"], [b"XLEN", b"d"],
     [b"XSETID", b"d", b"0-1"], [b"XRANGE", b"d", b"-", b"+"], [b"SET", b"str", b"x"],
     [b"XDEL", b"str", b"1-1"], [b"XSETID", b"str", b"1-1"], [b"XLEN", b"str"],
     [b"XADD", b"str", b"1-1", b"f", b"v"], [b"XTRIM", b"str", b"MAXLEN", b"1"]],
    # Approximate trimming removes whole nodes only: 100 entries a node by default.
    _many(b"t", 350) + [
     [b"XTRIM", b"t", b"MAXLEN", b"~", b"120"], [b"XLEN", b"t"],
     [b"XTRIM", b"t", b"MAXLEN", b"~", b"10", b"LIMIT", b"50"], [b"XLEN", b"t"],
     [b"XTRIM", b"t", b"MINID", b"~", b"300"], [b"XLEN", b"t"],
     [b"XTRIM", b"t", b"MINID", b"=", b"320"], [b"XLEN", b"t"],
     [b"XADD", b"t", b"MAXLEN", b"~", b"5", b"1000-*", b"f", b"v"], [b"XLEN", b"t"],
     [b"XRANGE", b"t", b"-", b"+", b"COUNT", b"2"]],
    # Node bytes: big values close nodes by stream-node-max-bytes, as Redis's listpacks do.
    [[b"XADD", b"b", b"%d-0" % i, b"f", b"x" * (i * 37 % 400)] for i in range(1, 120)] + [
     [b"XTRIM", b"b", b"MAXLEN", b"~", b"10"], [b"XLEN", b"b"],
     [b"XTRIM", b"b", b"MINID", b"~", b"100"], [b"XLEN", b"b"]],
    # A node whose live entries all go by an exact MINID trim stays (its last entry was deleted
    # before), as in Redis: it still counts toward the next node's start and goes with ~.
    [[b"CONFIG", b"SET", b"stream-node-max-entries", b"3"]] + _many(b"k", 3) + [
     [b"XDEL", b"k", b"3-1"], [b"XTRIM", b"k", b"MINID", b"3-1"], [b"XLEN", b"k"],
     [b"XADD", b"k", b"4-1", b"f", b"v"], [b"XADD", b"k", b"5-1", b"f", b"v"],
     [b"XTRIM", b"k", b"MAXLEN", b"~", b"1"], [b"XLEN", b"k"], [b"XRANGE", b"k", b"-", b"+"],
     [b"XTRIM", b"k", b"MAXLEN", b"~", b"0"], [b"XLEN", b"k"],
     [b"CONFIG", b"SET", b"stream-node-max-entries", b"100"]],
    # XREAD: several keys, $, COUNT, errors in Redis's order.
    _many(b"x", 5) + _many(b"y", 3, 10) + [
     [b"XREAD", b"STREAMS", b"x", b"y", b"0", b"0"], [b"XREAD", b"COUNT", b"2", b"STREAMS",
                                                      b"x", b"y", b"3", b"10-1"],
     [b"XREAD", b"STREAMS", b"x", b"$"], [b"XREAD", b"STREAMS", b"nokey", b"0"],
     [b"XREAD", b"STREAMS", b"x", b"y", b"0"], [b"XREAD", b"STREAMS", b"x", b">"],
     [b"XREAD", b"STREAMS", b"x", b"bad"], [b"XREAD", b"GROUP", b"g", b"c", b"STREAMS", b"x",
                                             b"0"],
     [b"XREAD", b"NOACK", b"STREAMS", b"x", b"0"], [b"XREAD", b"COUNT", b"x", b"STREAMS", b"x",
                                                    b"0"],
     [b"XREAD", b"BLOCK", b"x", b"STREAMS", b"x", b"0"], [b"XREAD", b"BLOCK", b"-1", b"STREAMS",
                                                          b"x", b"0"],
     [b"XREAD", b"BLOCK", b"10", b"STREAMS", b"x", b"$"], [b"XREAD", b"x", b"STREAMS", b"x",
                                                           b"0"],
     [b"SET", b"str", b"x"], [b"XREAD", b"STREAMS", b"x", b"str", b"0", b"bad"],
     [b"XREAD", b"STREAMS", b"x", b"str", b"bad", b"0"], [b"XREAD", b"COUNT", b"0", b"STREAMS",
                                                          b"x", b"4-1"],
     [b"XREAD", b"STREAMS", b"x", b"x", b"0", b"3"]],
    # XSETID below a deleted entry: later entries of the same node sort below it, and lookups
    # (XDEL, XRANGE, XREVRANGE) must skip the deleted one; an exact MINID trim that keeps an
    # empty node, then XSETID below that node's first ID.
    [[b"XADD", b"d", b"4-0", b"f", b"v"], [b"XADD", b"d", b"12-0", b"f", b"v"],
     [b"XADD", b"d", b"25-1", b"f", b"v"], [b"XDEL", b"d", b"25-1"], [b"XSETID", b"d", b"14-0"],
     [b"XADD", b"d", b"15-0", b"a", b"x"], [b"XADD", b"d", b"17-1", b"a", b"f"],
     [b"XRANGE", b"d", b"15", b"15"], [b"XREVRANGE", b"d", b"+", b"-"],
     [b"XTRIM", b"d", b"MAXLEN", b"2"], [b"XDEL", b"d", b"15-0"], [b"XRANGE", b"d", b"-", b"+"],
     [b"XADD", b"t", b"50-0", b"f", b"v"], [b"XADD", b"t", b"60-0", b"f", b"v"],
     [b"XTRIM", b"t", b"MINID", b"61"], [b"XLEN", b"t"], [b"XSETID", b"t", b"1-0"],
     [b"XADD", b"t", b"2-0", b"f", b"v"], [b"XADD", b"t", b"3-0", b"f", b"v"],
     [b"XRANGE", b"t", b"-", b"+"], [b"XREVRANGE", b"t", b"+", b"-"],
     [b"XREVRANGE", b"t", b"2", b"-"], [b"XDEL", b"t", b"2-0"], [b"XRANGE", b"t", b"-", b"+"],
     [b"XREAD", b"STREAMS", b"t", b"0"]],
    # Types and encodings, COPY, RENAME.
    _many(b"c", 3) + [
     [b"TYPE", b"c"], [b"OBJECT", b"ENCODING", b"c"], [b"COPY", b"c", b"c2"],
     [b"XDEL", b"c", b"1-1"], [b"XRANGE", b"c2", b"-", b"+"], [b"RENAME", b"c2", b"c3"],
     [b"XLEN", b"c3"], [b"EXISTS", b"c2"], [b"XTRIM", b"c3", b"MAXLEN", b"0"], [b"TYPE", b"c3"],
     [b"XLEN", b"c3"], [b"XREAD", b"STREAMS", b"c3", b"0"], [b"XADD", b"c3", b"9-9", b"f", b"v"],
     [b"MOVE", b"c3", b"1"], [b"EXISTS", b"c3"], [b"SELECT", b"1"], [b"XRANGE", b"c3", b"-", b"+"],
     [b"EXPIRE", b"c3", b"100"], [b"PERSIST", b"c3"], [b"XADD", b"c3", b"10-0", b"g", b"w"],
     [b"RENAME", b"c3", b"c4"], [b"XREVRANGE", b"c4", b"+", b"-"], [b"DEL", b"c4"],
     [b"SELECT", b"0"]],
]


@test
def test_streams_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


@test
def test_streams_shape_compare_can_fail(opts):
    """The shape comparison used for '*' IDs still tells different replies apart."""
    a = b"*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    b = b"*1\r\n*2\r\n$15\r\n1764000000000-0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
    c = b"*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n"
    assert _ID_BULK.sub(b"<id>", a) == _ID_BULK.sub(b"<id>", b)
    assert _ID_BULK.sub(b"<id>", a) != _ID_BULK.sub(b"<id>", c)


if __name__ == "__main__":
    harness.main()
