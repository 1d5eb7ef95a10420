#!/usr/bin/env python3
# Differential test of the set commands: the same seeded random command sequences go to
# redis-server 7.0 and to aegisr-daemon; raw reply bytes must be identical, except where Redis's
# order is its hash table's (compared as sorted lists) or its choice is random (SPOP and
# SRANDMEMBER: counts, membership and distinctness are compared, then the two servers are put
# back in the same state). Single-threaded.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# A small key space so that commands collide; "i0"/"i1" only ever get integers (intsets), a
# string key and a list key for WRONGTYPE, and a binary key name.
KEYS = [b"s0", b"s1", b"s2", b"b\x00\r\nk"]
INT_KEYS = [b"i0", b"i1"]
STRING_KEY = b"str"
LIST_KEY = b"lst"
ALL_KEYS = KEYS + INT_KEYS + [STRING_KEY, LIST_KEY, b"missing"]

# Integers at the int16 / int32 / int64 edges, and texts that look like integers but are not
# canonical (they must stay strings: "01", "+1", " 1", "-0", 2^63).
INTS = [b"0", b"1", b"-1", b"7", b"100", b"32767", b"32768", b"-32768", b"-32769",
        b"2147483647", b"2147483648", b"-2147483648", b"-2147483649",
        b"9223372036854775807", b"-9223372036854775808", b"123456789012"]
STRINGS = [b"a", b"b", b"c", b"", b"a\x00b", b"\r\n", b"hello world", b"\xff\xfe", b"x" * 70,
           b"01", b"+1", b" 1", b"-0", b"1.5", b"9223372036854775808", b"-9223372036854775809"]
COUNTS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"-1", b"-2", b"-5", b"abc", b"", b"1.5",
          b"9223372036854775807", b"-9223372036854775808"]


def is_error(raw):
    return raw.startswith(b"-")


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.07:
        return LIST_KEY
    if r < 0.12:
        return b"missing"
    if r < 0.35:
        return rng.choice(INT_KEYS)
    return rng.choice(KEYS)


def member(rng, k=None):
    if k in INT_KEYS or rng.random() < 0.5:
        return rng.choice(INTS)
    return rng.choice(STRINGS)


def members(rng, k=None, lo=1, hi=5):
    return [member(rng, k) for _ in range(rng.randint(lo, hi))]


def check_members(d, k):
    """SMEMBERS of k: exact where Redis keeps an intset (sorted integers, so must we), else as a
    sorted list; the encoding too where both servers must agree (intset; hashtable past 128)."""
    enc = d.ref.cmd(b"OBJECT", b"ENCODING", k)
    card = d.ref.cmd(b"SCARD", k)
    if enc == b"$6\r\nintset\r\n":
        d.check(b"OBJECT", b"ENCODING", k)
        d.check(b"SMEMBERS", k)
        return
    if card.startswith(b":") and int(card[1:-2]) > 128:
        d.check(b"OBJECT", b"ENCODING", k)
    d.check(b"SMEMBERS", k, mode="sorted")


def members_of(conn, k):
    reply = harness.parse_reply(conn.cmd(b"SMEMBERS", k))
    return set(reply) if isinstance(reply, list) else set()


def gen_add(d, rng):
    k = key(rng)
    d.check(rng.choice([b"SADD", b"sadd"]), k, *members(rng, k))


def gen_add_many(d, rng):
    # Past the conversion thresholds: 130 strings (listpack -> hashtable) or 520 integers.
    k = rng.choice(KEYS)
    if rng.random() < 0.5:
        d.check(b"SADD", k, *[b"m%d" % rng.randint(0, 400) for _ in range(130)])
    else:
        d.check(b"SADD", k, *[b"%d" % rng.randint(-1000, 1000) for _ in range(520)])
    check_members(d, k)


def gen_rem(d, rng):
    k = key(rng)
    d.check(b"SREM", k, *members(rng, k))


def gen_query(d, rng):
    k = key(rng)
    r = rng.random()
    if r < 0.3:
        d.check(b"SISMEMBER", k, member(rng, k))
    elif r < 0.6:
        d.check(b"SMISMEMBER", k, *members(rng, k))
    elif r < 0.8:
        d.check(b"SCARD", k)
    else:
        check_members(d, k)


def gen_randmember(d, rng):
    k = key(rng)
    args = [b"SRANDMEMBER", k]
    if rng.random() < 0.7:
        args.append(rng.choice(COUNTS))
    if rng.random() < 0.03:
        args.append(b"1")
    ref, dut = d.both(*args)
    if is_error(ref) or ref in (b"$-1\r\n", b"_\r\n", b"*0\r\n"):
        if ref != dut:
            d._report(args, ref, dut)
        return
    a, b = harness.parse_reply(ref), harness.parse_reply(dut)
    universe = members_of(d.ref, k)
    if len(args) == 2:  # one member
        if not (isinstance(b, bytes) and b in universe and ref[:1] == dut[:1]):
            d._report(args, ref, dut, "(not a member)")
        return
    count = int(args[2])
    ok = isinstance(a, list) and isinstance(b, list) and ref[:1] == dut[:1] and len(a) == len(b)
    ok = ok and all(m in universe for m in b)
    if ok and count > 0:
        ok = len(set(b)) == len(b) and (count < len(universe) or set(b) == universe)
    if not ok:
        d._report(args, ref, dut, "(random reply)")


def gen_pop(d, rng):
    k = key(rng)
    args = [b"SPOP", k]
    if rng.random() < 0.6:
        args.append(rng.choice(COUNTS))
    if rng.random() < 0.03:
        args.append(b"1")
    before = members_of(d.ref, k)
    ref, dut = d.both(*args)
    if is_error(ref) or is_error(dut) or ref in (b"$-1\r\n", b"_\r\n", b"*0\r\n", b"~0\r\n"):
        if ref != dut:
            d._report(args, ref, dut)
        return
    a, b = harness.parse_reply(ref), harness.parse_reply(dut)
    popped_ref = [a] if isinstance(a, bytes) else a
    popped_dut = [b] if isinstance(b, bytes) else b
    ok = (ref[:1] == dut[:1] and isinstance(popped_dut, list) and len(popped_ref) ==
          len(popped_dut) and len(set(popped_dut)) == len(popped_dut) and
          all(m in before for m in popped_dut))
    if not ok:
        d._report(args, ref, dut, "(random pop)")
        return
    d.check(b"SCARD", k)
    # Which members stay is random, and with them the encoding of a set that Redis rebuilds
    # (SPOP of most of a set): compared only when both kept the same members.
    if (set(popped_ref) == set(popped_dut) and
            d.ref.cmd(b"OBJECT", b"ENCODING", k) == b"$6\r\nintset\r\n"):
        d.check(b"OBJECT", b"ENCODING", k)
    # Give both servers the same members again (those the server under test kept), rebuilt the
    # same way on both so that their encodings stay comparable.
    if set(popped_ref) != set(popped_dut):
        rest = sorted(before - set(popped_dut))
        for conn in (d.ref, d.dut):
            conn.cmd(b"DEL", k)
            if rest:
                conn.cmd(b"SADD", k, *rest)


def gen_move(d, rng):
    src, dst = key(rng), key(rng)
    d.check(b"SMOVE", src, dst, member(rng, src))


def gen_setop(d, rng):
    keys = [key(rng) for _ in range(rng.randint(1, 3))]
    op = rng.choice([b"SUNION", b"SINTER", b"SDIFF"])
    if rng.random() < 0.5:
        dst = rng.choice(KEYS + INT_KEYS + [STRING_KEY, LIST_KEY, b"dest"])
        d.check(op + b"STORE", dst, *keys)
        d.check(b"TYPE", dst)
        check_members(d, dst)
    else:
        d.check(op, *keys, mode="sorted")


def gen_intercard(d, rng):
    n = rng.choice([1, 2, 2, 3])
    numkeys = rng.choice([b"%d" % n] * 6 + [b"0", b"-1", b"abc", b"%d" % (n + 2)])
    args = [b"SINTERCARD", numkeys] + [key(rng) for _ in range(n)]
    r = rng.random()
    if r < 0.4:
        args += [rng.choice([b"LIMIT", b"limit"]), rng.choice([b"0", b"1", b"2", b"-1", b"abc"])]
    elif r < 0.45:
        args += [b"LIMIT", b"2", b"LIMIT", b"1"]
    elif r < 0.5:
        args.append(b"BOGUS")
    d.check(*args)


def full_scan(conn, k, opts):
    seen, cursor = set(), b"0"
    for _ in range(10000):
        reply = harness.parse_reply(conn.cmd(b"SSCAN", k, cursor, *opts))
        cursor, batch = reply
        seen.update(batch)
        if cursor == b"0":
            return seen
    raise AssertionError("SSCAN did not finish")


def gen_scan(d, rng):
    k = key(rng)
    opts = []
    for _ in range(rng.randint(0, 2)):
        r = rng.random()
        if r < 0.4:
            opts += [b"COUNT", rng.choice([b"1", b"3", b"10", b"100", b"0", b"-1", b"abc"])]
        elif r < 0.8:
            opts += [b"MATCH", rng.choice([b"*", b"a*", b"1*", b"*0*", b"[ab]", b"?"])]
        elif r < 0.9:
            opts += [b"TYPE", b"string"]
        else:
            opts += [b"BOGUS"]
    cursor = rng.choice([b"0"] * 8 + [b"abc", b"-1", b" 1"])
    ref, dut = d.both(b"SSCAN", k, cursor, *opts)
    if is_error(ref) or is_error(dut):
        if ref != dut:
            d._report([b"SSCAN", k, cursor, *opts], ref, dut)
        return
    if cursor != b"0":  # "-1" wraps: where it lands in a hash table is the server's own
        return
    d.expect_equal("SSCAN", full_scan(d.ref, k, opts), full_scan(d.dut, k, opts),
                   [b"SSCAN", k, b"(full)", *opts])


def gen_wrong_arity(d, rng):
    d.check(*rng.choice([[b"SADD", b"s0"], [b"SREM", b"s0"], [b"SISMEMBER", b"s0"],
                         [b"SMISMEMBER", b"s0"], [b"SCARD"], [b"SMEMBERS"], [b"SRANDMEMBER"],
                         [b"SPOP"], [b"SMOVE", b"s0", b"s1"], [b"SUNION"], [b"SINTER"],
                         [b"SDIFF"], [b"SUNIONSTORE", b"d"], [b"SINTERSTORE", b"d"],
                         [b"SDIFFSTORE", b"d"], [b"SINTERCARD", b"1"], [b"SSCAN", b"s0"],
                         [b"SCARD", b"s0", b"s1"], [b"SISMEMBER", b"s0", b"a", b"b"]]))


_WEIGHTED = ([gen_add] * 8 + [gen_rem] * 3 + [gen_query] * 4 + [gen_randmember] * 2 +
             [gen_pop] * 2 + [gen_move] * 2 + [gen_setop] * 3 + [gen_intercard] * 2 +
             [gen_scan] * 2 + [gen_add_many] * 1)


def play_sets(d, rng, types):
    d.check(b"SET", STRING_KEY, b"v")
    d.check(b"RPUSH", LIST_KEY, b"a", b"1")
    for _ in range(200):
        if rng.random() < 0.03:
            gen_wrong_arity(d, rng)
        else:
            rng.choice(_WEIGHTED)(d, rng)
    for k in ALL_KEYS + [b"dest"]:
        d.check(b"TYPE", k)
        d.check(b"SCARD", k)
        if d.ref.cmd(b"TYPE", k) == b"+set\r\n":
            check_members(d, k)
    d.check(b"DBSIZE")


@test
def test_sets_random(opts):
    harness.run_rounds(opts, "sets", play_sets, rounds=40, budget_s=20.0)


EDGE_SEQUENCES = [
    # intset widths: int16 -> int32 -> int64, negatives go in front; removal keeps the width.
    [[b"SADD", b"s", b"5", b"-3", b"100"], [b"OBJECT", b"ENCODING", b"s"], [b"SMEMBERS", b"s"],
     [b"SADD", b"s", b"40000"], [b"SADD", b"s", b"-40000"], [b"SMEMBERS", b"s"],
     [b"SADD", b"s", b"-9223372036854775808", b"9223372036854775807"], [b"SMEMBERS", b"s"],
     [b"SREM", b"s", b"-9223372036854775808", b"9223372036854775807", b"40000"],
     [b"SMEMBERS", b"s"], [b"SISMEMBER", b"s", b"-40000"], [b"SISMEMBER", b"s", b"40001"],
     [b"SISMEMBER", b"s", b"05"], [b"SISMEMBER", b"s", b"9223372036854775808"],
     [b"OBJECT", b"ENCODING", b"s"]],
    # Non-canonical integers are strings: the set leaves the intset encoding.
    [[b"SADD", b"s", b"1", b"2"], [b"SADD", b"s", b"01"], [b"SCARD", b"s"],
     [b"SISMEMBER", b"s", b"01"], [b"SISMEMBER", b"s", b"1"], [b"SREM", b"s", b"01"],
     [b"SMEMBERS", b"s"]],
    # set-max-intset-entries: the 6th integer converts to a hashtable, for good.
    [[b"CONFIG", b"SET", b"set-max-intset-entries", b"5"], [b"SADD", b"s", b"1", b"2", b"3",
     b"4", b"5"], [b"OBJECT", b"ENCODING", b"s"], [b"SADD", b"s", b"6"],
     [b"OBJECT", b"ENCODING", b"s"], [b"SREM", b"s", b"6", b"5", b"4"],
     [b"OBJECT", b"ENCODING", b"s"], [b"SUNIONSTORE", b"u", b"s"], [b"OBJECT", b"ENCODING", b"u"],
     [b"CONFIG", b"GET", b"set-max-intset-entries"],
     [b"CONFIG", b"SET", b"set-max-intset-entries", b"512"]],
    # Store forms: replace any type, drop the TTL, delete on an empty result.
    [[b"SET", b"d", b"x"], [b"EXPIRE", b"d", b"100"], [b"SADD", b"a", b"1", b"2", b"3"],
     [b"SADD", b"b", b"2", b"3", b"4"], [b"SINTERSTORE", b"d", b"a", b"b"], [b"TYPE", b"d"],
     [b"TTL", b"d"], [b"SMEMBERS", b"d"], [b"SDIFFSTORE", b"d", b"a", b"a"], [b"EXISTS", b"d"],
     [b"RPUSH", b"l", b"x"], [b"SUNIONSTORE", b"l", b"a", b"b"], [b"SMEMBERS", b"l"],
     [b"SINTERSTORE", b"l", b"a", b"nokey"], [b"EXISTS", b"l"], [b"SDIFF", b"a", b"b"],
     [b"SDIFF", b"nokey", b"a"], [b"SINTER", b"a", b"b", b"nokey"],
     [b"SINTERCARD", b"2", b"a", b"b"], [b"SINTERCARD", b"2", b"a", b"b", b"LIMIT", b"1"]],
    # WRONGTYPE wins over a missing key in the multi-key commands; SMOVE's order of checks.
    [[b"SET", b"str", b"x"], [b"SADD", b"a", b"1"], [b"SINTER", b"nokey", b"str"],
     [b"SUNION", b"a", b"str"], [b"SDIFF", b"nokey", b"str"], [b"SINTERCARD", b"2", b"nokey",
     b"str"], [b"SINTERSTORE", b"d", b"nokey", b"str"], [b"SMOVE", b"nokey", b"str", b"1"],
     [b"SMOVE", b"a", b"str", b"1"], [b"SMOVE", b"str", b"a", b"1"], [b"SMOVE", b"a", b"a", b"1"],
     [b"SMOVE", b"a", b"a", b"2"], [b"SMOVE", b"a", b"b", b"2"], [b"SMOVE", b"a", b"b", b"1"],
     [b"EXISTS", b"a"], [b"SMEMBERS", b"b"], [b"SADD", b"str", b"a"], [b"SCARD", b"str"],
     [b"SRANDMEMBER", b"str"], [b"SPOP", b"str"], [b"SPOP", b"str", b"abc"],
     [b"SRANDMEMBER", b"str", b"abc"], [b"SSCAN", b"str", b"0"], [b"SSCAN", b"str", b"abc"]],
    # SPOP and SRANDMEMBER where the answer is determined: one member, whole set, missing keys.
    [[b"SADD", b"one", b"only"], [b"SRANDMEMBER", b"one"], [b"SRANDMEMBER", b"one", b"-3"],
     [b"SRANDMEMBER", b"one", b"5"], [b"SPOP", b"one", b"0"], [b"SPOP", b"one"],
     [b"EXISTS", b"one"], [b"SADD", b"n", b"3", b"1", b"2"], [b"SPOP", b"n", b"3"],
     [b"EXISTS", b"n"], [b"SPOP", b"n"], [b"SPOP", b"n", b"1"], [b"SRANDMEMBER", b"n"],
     [b"SRANDMEMBER", b"n", b"1"], [b"SRANDMEMBER", b"n", b"-9223372036854775808"],
     [b"SPOP", b"n", b"-1"], [b"SPOP", b"n", b"1", b"2"]],
    # SSCAN of an intset returns everything at once, sorted; MATCH filters; errors.
    [[b"SADD", b"s", b"10", b"2", b"33", b"-4"], [b"SSCAN", b"s", b"0"],
     [b"SSCAN", b"s", b"0", b"MATCH", b"3*"], [b"SSCAN", b"s", b"0", b"COUNT", b"1"],
     [b"SSCAN", b"s", b"0", b"TYPE", b"set"], [b"SSCAN", b"s", b"0", b"COUNT", b"0"],
     [b"SSCAN", b"s", b"0", b"COUNT"], [b"SSCAN", b"nokey", b"0", b"COUNT", b"0"],
     [b"SSCAN", b"s", b"18446744073709551616"], [b"SSCAN", b"s", b"-1"]],
    # Large sets: past the listpack and intset limits (hashtable in both servers).
    [[b"SADD", b"big"] + [b"member:%d" % i for i in range(300)],
     [b"OBJECT", b"ENCODING", b"big"], [b"SCARD", b"big"], [b"SISMEMBER", b"big", b"member:299"],
     [b"SADD", b"ints"] + [b"%d" % (i * 7) for i in range(600)],
     [b"OBJECT", b"ENCODING", b"ints"], [b"SINTERCARD", b"2", b"big", b"ints"],
     [b"SREM", b"big"] + [b"member:%d" % i for i in range(290)], [b"SCARD", b"big"],
     [b"OBJECT", b"ENCODING", b"big"]],
]


def _mode(args):
    name = args[0].upper()
    if name in (b"SMEMBERS", b"SUNION", b"SINTER", b"SDIFF"):
        return "sorted"
    return "exact"


@test
def test_sets_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES, mode_of=_mode)


if __name__ == "__main__":
    harness.main()
