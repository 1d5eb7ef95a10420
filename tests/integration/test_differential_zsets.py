#!/usr/bin/env python3
# Differential test of the sorted-set commands: the same seeded random command sequences go to
# redis-server 7.0 and to aegisr-daemon (RESP2 and RESP3); raw reply bytes must be identical.
# Single-threaded.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# Score-ordered keys, lex keys (every member at score 0, so lex ranges are well defined), a
# binary key name, a string and a list for WRONGTYPE.
KEYS = [b"z0", b"z1", b"z2", b"b\x00\r\nz"]
LEX_KEYS = [b"lex0", b"lex1"]
STRING_KEY = b"str"
LIST_KEY = b"lst"
LEX_STRING_KEY = b"lexstr"

MEMBERS = [b"a", b"b", b"c", b"d", b"", b"a\x00b", b"\r\n", b"1", b"-1", b"10", b"x" * 70,
           b"\xff\xfe", b"hello world", b"e", b"f", b"g"]
SCORES = [b"0", b"1", b"-1", b"1.5", b"2", b"3", b"10", b"inf", b"-inf", b"+inf", b"nan", b"abc",
          b"", b"(1", b" 1", b"1e308", b"-0", b"0.1", b"3.0000000000000004", b"1e-320", b"0x10",
          b"2.5", b"-2.5", b"100"]
BOUNDS = [b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"(2", b"2.5", b"(-inf", b"(inf", b"-1",
          b"10", b"(", b"", b"abc", b"nan", b"(nan", b" 2", b"1e1", b"3"]
LEX_BOUNDS = [b"-", b"+", b"[a", b"(a", b"[c", b"(c", b"[", b"(", b"[\xff", b"a", b"", b"+a",
              b"--", b"[e", b"(\r\n", b"[hello world"]
INDICES = [b"0", b"1", b"2", b"-1", b"-2", b"3", b"5", b"100", b"-100", b"abc", b"", b"1.5",
           b"9223372036854775807", b"-9223372036854775808"]
COUNTS = [b"0", b"1", b"2", b"3", b"10", b"-1", b"abc", b"9223372036854775807"]


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.08:
        return LIST_KEY
    return rng.choice(KEYS + [b"missing"])


def lex_key(rng):
    r = rng.random()
    if r < 0.05:
        return LEX_STRING_KEY  # never a store destination, so always a string
    return rng.choice(LEX_KEYS + [b"nolex"])


def gen_zadd(rng):
    cmd = [rng.choice([b"ZADD", b"zadd"]), key(rng)]
    if rng.random() < 0.4:
        for _ in range(rng.randint(1, 2)):
            cmd.append(rng.choice([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch", b"nx"]))
    for _ in range(rng.randint(1, 4)):
        s = rng.choice(SCORES) if rng.random() < 0.3 else rng.choice(SCORES[:10])
        cmd += [s, rng.choice(MEMBERS)]
    if rng.random() < 0.03:
        cmd.append(b"dangling")
    return cmd


def gen_lex_add(rng):
    cmd = [b"ZADD", lex_key(rng)]
    for _ in range(rng.randint(1, 5)):
        cmd += [b"0", rng.choice(MEMBERS)]
    return cmd


def gen_incrby(rng):
    return [b"ZINCRBY", key(rng), rng.choice(SCORES), rng.choice(MEMBERS)]


def gen_rem(rng):
    k = lex_key(rng) if rng.random() < 0.3 else key(rng)
    return [b"ZREM", k] + [rng.choice(MEMBERS) for _ in range(rng.randint(1, 3))]


def gen_reads(rng):
    r = rng.random()
    k = key(rng)
    if r < 0.2:
        return [b"ZSCORE", k, rng.choice(MEMBERS)]
    if r < 0.35:
        return [b"ZMSCORE", k] + [rng.choice(MEMBERS) for _ in range(rng.randint(1, 3))]
    if r < 0.5:
        return [b"ZCARD", k]
    if r < 0.7:
        return [rng.choice([b"ZRANK", b"ZREVRANK"]), k, rng.choice(MEMBERS)]
    if r < 0.85:
        return [b"ZCOUNT", k, rng.choice(BOUNDS), rng.choice(BOUNDS)]
    return [b"ZLEXCOUNT", lex_key(rng), rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)]


def limit(rng):
    if rng.random() < 0.35:
        return [b"LIMIT", rng.choice([b"0", b"1", b"2", b"-1", b"5", b"abc"]),
                rng.choice([b"0", b"1", b"2", b"-1", b"3", b"100", b"abc"])]
    return []


def gen_range(rng):
    r = rng.random()
    ws = [b"WITHSCORES"] if rng.random() < 0.5 else []
    if r < 0.2:
        return [rng.choice([b"ZRANGE", b"ZREVRANGE"]), key(rng), rng.choice(INDICES),
                rng.choice(INDICES)] + ws
    if r < 0.4:
        return [rng.choice([b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE"]), key(rng),
                rng.choice(BOUNDS), rng.choice(BOUNDS)] + ws + limit(rng)
    if r < 0.55:
        return [rng.choice([b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"]), lex_key(rng),
                rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)] + limit(rng)
    # ZRANGE with options in random order (some bad combinations).
    by = rng.choice([[], [b"BYSCORE"], [b"BYLEX"], [b"byscore"]])
    k = lex_key(rng) if by == [b"BYLEX"] else key(rng)
    if by == [b"BYLEX"]:
        lo, hi = rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)
    elif by:
        lo, hi = rng.choice(BOUNDS), rng.choice(BOUNDS)
    else:
        lo, hi = rng.choice(INDICES), rng.choice(INDICES)
    opts = by + ([b"REV"] if rng.random() < 0.4 else []) + limit(rng)
    if rng.random() < 0.4:
        opts += [b"WITHSCORES"]
    rng.shuffle(opts) if rng.random() < 0.2 else None
    return [b"ZRANGE", k, lo, hi] + opts


def gen_rangestore(rng):
    by = rng.choice([[], [b"BYSCORE"], [b"BYLEX"]])
    src = lex_key(rng) if by == [b"BYLEX"] else key(rng)
    if by == [b"BYLEX"]:
        lo, hi = rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)
    elif by:
        lo, hi = rng.choice(BOUNDS), rng.choice(BOUNDS)
    else:
        lo, hi = rng.choice(INDICES), rng.choice(INDICES)
    opts = by + ([b"REV"] if rng.random() < 0.3 else []) + limit(rng)
    if rng.random() < 0.05:
        opts.append(b"WITHSCORES")
    return [b"ZRANGESTORE", key(rng), src, lo, hi] + opts


def gen_remrange(rng):
    r = rng.random()
    if r < 0.35:
        return [b"ZREMRANGEBYRANK", key(rng), rng.choice(INDICES), rng.choice(INDICES)]
    if r < 0.7:
        return [b"ZREMRANGEBYSCORE", key(rng), rng.choice(BOUNDS), rng.choice(BOUNDS)]
    return [b"ZREMRANGEBYLEX", lex_key(rng), rng.choice(LEX_BOUNDS), rng.choice(LEX_BOUNDS)]


def gen_pop(rng):
    cmd = [rng.choice([b"ZPOPMIN", b"ZPOPMAX"]), key(rng)]
    if rng.random() < 0.5:
        cmd.append(rng.choice(COUNTS))
    if rng.random() < 0.03:
        cmd.append(b"1")
    return cmd


def gen_mpop(rng):
    n = rng.choice([1, 1, 2, 3])
    numkeys = rng.choice([b"%d" % n] * 6 + [b"0", b"-1", b"abc", b"%d" % (n + 2)])
    cmd = [b"ZMPOP", numkeys] + [key(rng) for _ in range(n)] + [
        rng.choice([b"MIN", b"MAX", b"min", b"middle"])]
    r = rng.random()
    if r < 0.4:
        cmd += [b"COUNT", rng.choice([b"1", b"2", b"5", b"0", b"-1", b"abc"])]
    elif r < 0.45:
        cmd += [b"COUNT", b"1", b"COUNT", b"2"]
    return cmd


def gen_setop(rng):
    op = rng.choice([b"ZUNION", b"ZINTER", b"ZDIFF", b"ZUNIONSTORE", b"ZINTERSTORE",
                     b"ZDIFFSTORE", b"ZINTERCARD"])
    n = rng.choice([1, 2, 2, 3])
    numkeys = rng.choice([b"%d" % n] * 8 + [b"0", b"abc", b"%d" % (n + 3)])
    cmd = [op] + ([key(rng)] if op.endswith(b"STORE") else []) + [numkeys]
    cmd += [key(rng) for _ in range(n)]
    if op == b"ZINTERCARD":
        if rng.random() < 0.5:
            cmd += [b"LIMIT", rng.choice([b"0", b"1", b"2", b"-1", b"abc"])]
        return cmd
    if rng.random() < 0.4 and op not in (b"ZDIFF", b"ZDIFFSTORE"):
        cmd += [b"WEIGHTS"] + [rng.choice([b"1", b"2", b"-1", b"0.5", b"inf", b"0", b"x"])
                               for _ in range(n)]
    if rng.random() < 0.4:
        cmd += [b"AGGREGATE", rng.choice([b"SUM", b"MIN", b"MAX", b"max", b"avg"])]
    if rng.random() < 0.5 and not op.endswith(b"STORE"):
        cmd += [b"WITHSCORES"]
    return cmd


def gen_wrong_arity(rng):
    return rng.choice([[b"ZADD", b"z0"], [b"ZADD", b"z0", b"1"], [b"ZCARD"], [b"ZSCORE", b"z0"],
                       [b"ZRANGE", b"z0", b"0"], [b"ZREM", b"z0"], [b"ZPOPMIN"],
                       [b"ZINCRBY", b"z0", b"1"], [b"ZCOUNT", b"z0", b"0"],
                       [b"ZMPOP", b"1", b"z0"], [b"ZUNION", b"1"], [b"ZRANGESTORE", b"a", b"b"]])


_WEIGHTED = ([gen_zadd] * 8 + [gen_lex_add] * 2 + [gen_incrby] * 2 + [gen_rem] * 2 +
             [gen_reads] * 5 + [gen_range] * 5 + [gen_rangestore, gen_remrange, gen_remrange,
             gen_pop, gen_pop, gen_mpop, gen_setop, gen_setop, gen_setop])


def play_zsets(d, rng, types):
    # Small listpack limits put the skiplist encoding in play; the replies must not depend on it.
    d.check(b"CONFIG", b"SET", rng.choice([b"zset-max-listpack-entries",
                                           b"zset-max-ziplist-entries"]),
            rng.choice([b"128", b"128", b"0", b"1", b"2", b"4"]))
    d.check(b"CONFIG", b"SET", rng.choice([b"zset-max-listpack-value", b"zset-max-ziplist-value"]),
            rng.choice([b"64", b"64", b"0", b"2"]))
    d.check(b"SET", STRING_KEY, b"v")
    d.check(b"SET", LEX_STRING_KEY, b"v")
    d.check(b"RPUSH", LIST_KEY, b"v")
    if rng.random() < 0.3:
        # A set past the default limits (skiplist at 128 entries), with repeated scores.
        cmd = [b"ZADD", rng.choice(KEYS)]
        for i in range(rng.randint(100, 400)):
            cmd += [b"%d" % rng.randint(-5, 5), b"n%d" % i]
        d.check(*cmd)
    for _ in range(250):
        if rng.random() < 0.03:
            d.check(*gen_wrong_arity(rng))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng))
    for k in KEYS + LEX_KEYS + [STRING_KEY, b"missing"]:
        d.check(b"TYPE", k)
        d.check(b"ZRANGE", k, b"0", b"-1", b"WITHSCORES")
        d.check(b"OBJECT", b"ENCODING", k)
    d.check(b"DBSIZE")


@test
def test_zsets_random(opts):
    harness.run_rounds(opts, "zsets", play_zsets, rounds=120, budget_s=20.0)


def _big(n, prefix=b"m"):
    cmd = [b"ZADD", b"big"]
    for i in range(n):
        cmd += [b"%d" % (i % 37), prefix + b"%d" % i]
    return cmd


EDGE_SEQUENCES = [
    # Knobs under both names.
    [[b"CONFIG", b"GET", b"zset-max-listpack-entries"], [b"CONFIG", b"GET", b"zset-max-ziplist-value"],
     [b"CONFIG", b"SET", b"zset-max-ziplist-entries", b"5"],
     [b"CONFIG", b"GET", b"zset-max-listpack-entries"],
     [b"CONFIG", b"SET", b"zset-max-listpack-value", b"1k"],
     [b"CONFIG", b"GET", b"zset-max-ziplist-value"],
     [b"CONFIG", b"SET", b"zset-max-listpack-value", b"-1"],
     [b"CONFIG", b"SET", b"zset-max-listpack-entries", b"abc"],
     [b"CONFIG", b"SET", b"zset-max-listpack-entries", b"128"],
     [b"CONFIG", b"SET", b"zset-max-listpack-value", b"64"]],
    # Thresholds: 128 entries stay listpack, 129 convert; a 65-byte member converts; one-way.
    [_big(128), [b"OBJECT", b"ENCODING", b"big"], [b"ZADD", b"big", b"5", b"extra"],
     [b"OBJECT", b"ENCODING", b"big"], [b"ZREM", b"big", b"extra", b"m1", b"m2"],
     [b"OBJECT", b"ENCODING", b"big"], [b"ZRANGE", b"big", b"0", b"-1", b"WITHSCORES"],
     [b"ZADD", b"s", b"1", b"x" * 64], [b"OBJECT", b"ENCODING", b"s"],
     [b"ZADD", b"s", b"1", b"y" * 65], [b"OBJECT", b"ENCODING", b"s"],
     [b"ZADD", b"t", b"1", b"y" * 65], [b"OBJECT", b"ENCODING", b"t"],
     [b"ZRANGESTORE", b"d", b"big", b"0", b"9"], [b"OBJECT", b"ENCODING", b"d"],
     [b"ZRANGESTORE", b"d", b"big", b"0", b"-1"], [b"OBJECT", b"ENCODING", b"d"],
     [b"ZUNIONSTORE", b"u", b"1", b"s"], [b"OBJECT", b"ENCODING", b"u"],
     [b"ZUNIONSTORE", b"u", b"2", b"big", b"s"], [b"OBJECT", b"ENCODING", b"u"],
     [b"ZINTERSTORE", b"u", b"2", b"big", b"d"], [b"OBJECT", b"ENCODING", b"u"],
     [b"ZRANK", b"big", b"m100"], [b"ZREVRANK", b"big", b"m100"],
     [b"ZRANGEBYSCORE", b"big", b"(3", b"5", b"WITHSCORES", b"LIMIT", b"2", b"4"],
     [b"ZREVRANGEBYSCORE", b"big", b"5", b"(3", b"LIMIT", b"1", b"3"],
     [b"ZREMRANGEBYSCORE", b"big", b"10", b"20"], [b"ZCARD", b"big"],
     [b"ZREMRANGEBYRANK", b"big", b"5", b"-5"], [b"ZRANGE", b"big", b"0", b"-1"],
     [b"ZPOPMAX", b"big", b"3"], [b"ZPOPMIN", b"big", b"100"], [b"EXISTS", b"big"]],
    # A large skiplist set: ranks, ranges and removals across chunk boundaries.
    [_big(3000), [b"ZCARD", b"big"], [b"ZRANK", b"big", b"m1500"], [b"ZREVRANK", b"big", b"m7"],
     [b"ZRANGE", b"big", b"1000", b"1010", b"WITHSCORES"],
     [b"ZRANGE", b"big", b"(30", b"+inf", b"BYSCORE", b"LIMIT", b"10", b"5"],
     [b"ZRANGE", b"big", b"+inf", b"(30", b"BYSCORE", b"REV", b"LIMIT", b"10", b"5"],
     [b"ZCOUNT", b"big", b"10", b"(20"], [b"ZREMRANGEBYSCORE", b"big", b"(5", b"30"],
     [b"ZCARD", b"big"], [b"ZREMRANGEBYRANK", b"big", b"100", b"400"], [b"ZCARD", b"big"],
     [b"ZRANGE", b"big", b"-20", b"-1", b"WITHSCORES"], [b"ZPOPMIN", b"big", b"500"],
     [b"ZRANGE", b"big", b"0", b"5", b"WITHSCORES"], [b"ZMSCORE", b"big", b"m2999", b"m0"],
     [b"ZINTERCARD", b"1", b"big", b"LIMIT", b"10"], [b"ZINTERCARD", b"2", b"big", b"big"]],
    # ZADD flags, INCR, NaN, inf.
    [[b"ZADD", b"z", b"1", b"a", b"2", b"b"], [b"ZADD", b"z", b"XX", b"NX", b"1", b"a"],
     [b"ZADD", b"z", b"GT", b"LT", b"1", b"a"], [b"ZADD", b"z", b"NX", b"GT", b"1", b"a"],
     [b"ZADD", b"z", b"INCR", b"1", b"a", b"2", b"b"], [b"ZADD", b"z", b"GT", b"CH", b"0", b"a",
                                                        b"5", b"b", b"1", b"c"],
     [b"ZADD", b"z", b"LT", b"INCR", b"1", b"a"], [b"ZADD", b"z", b"INCR", b"-1", b"a"],
     [b"ZADD", b"z", b"inf", b"i"], [b"ZINCRBY", b"z", b"-inf", b"i"],
     [b"ZINCRBY", b"z", b"nan", b"i"], [b"ZADD", b"z", b"XX", b"INCR", b"1", b"new"],
     [b"ZADD", b"n", b"XX", b"1", b"a"], [b"EXISTS", b"n"], [b"ZADD", b"n", b"XX", b"INCR", b"1",
                                                             b"a"],
     [b"ZRANGE", b"z", b"-inf", b"+inf", b"BYSCORE", b"WITHSCORES"],
     [b"ZADD", b"z", b"1e400", b"a"], [b"ZADD", b"z", b"-0", b"zero"], [b"ZSCORE", b"z", b"zero"],
     [b"ZADD", b"z", b"0.1", b"p"], [b"ZSCORE", b"z", b"p"], [b"ZINCRBY", b"z", b"0.2", b"p"],
     [b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"]],
    # Errors and WRONGTYPE orders.
    [[b"SET", b"s", b"x"], [b"RPUSH", b"l", b"x"], [b"ZADD", b"s", b"1", b"a"],
     [b"ZADD", b"s", b"x", b"a"], [b"ZRANGE", b"s", b"a", b"b"], [b"ZRANGE", b"s", b"0", b"1"],
     [b"ZRANGEBYSCORE", b"l", b"x", b"1"], [b"ZCOUNT", b"l", b"0", b"1"],
     [b"ZUNION", b"2", b"s", b"l", b"WEIGHTS", b"x"], [b"ZUNION", b"1", b"z", b"WEIGHTS", b"x"],
     [b"ZRANGE", b"z", b"0", b"1", b"LIMIT", b"0", b"1"],
     [b"ZRANGE", b"z", b"[a", b"[b", b"BYLEX", b"WITHSCORES"],
     [b"ZRANGESTORE", b"d", b"s", b"0", b"1"], [b"ZRANGESTORE", b"s", b"nokey", b"0", b"1"],
     [b"EXISTS", b"s"], [b"ZPOPMIN", b"z", b"-1"], [b"ZRANDMEMBER", b"s"],
     [b"ZRANDMEMBER", b"z", b"-9223372036854775808"],
     [b"ZRANDMEMBER", b"z", b"9223372036854775807", b"WITHSCORES"],
     [b"ZRANDMEMBER", b"z", b"1", b"bogus"], [b"ZINTERCARD", b"0", b"a"],
     [b"ZUNIONSTORE", b"d", b"0", b"a"], [b"ZINTERCARD", b"1", b"a", b"LIMIT", b"-1"],
     [b"ZMPOP", b"0", b"a", b"MIN"], [b"ZMPOP", b"1", b"a", b"MIN", b"COUNT", b"0"],
     [b"ZMPOP", b"2", b"s", b"z", b"MIN"], [b"ZSCAN", b"s", b"0"], [b"ZSCAN", b"z", b"x"],
     [b"ZRANDMEMBER", b"nokey", b"5"], [b"ZRANDMEMBER", b"nokey"]],
    # Single-member random picks and small scans are deterministic.
    [[b"ZADD", b"z", b"1", b"a"], [b"ZRANDMEMBER", b"z"], [b"ZRANDMEMBER", b"z", b"3"],
     [b"ZRANDMEMBER", b"z", b"-3", b"WITHSCORES"], [b"ZRANDMEMBER", b"z", b"0"],
     [b"ZADD", b"z", b"2", b"b", b"3", b"c"],
     [b"ZSCAN", b"z", b"0"], [b"ZSCAN", b"z", b"0", b"MATCH", b"[ab]"],
     [b"ZSCAN", b"z", b"0", b"COUNT", b"0"], [b"ZSCAN", b"nokey", b"0"],
     [b"ZSCAN", b"nokey", b"0", b"COUNT", b"0"], [b"ZSCAN", b"nokey", b"0", b"BOGUS"],
     [b"SET", b"str", b"x"], [b"ZSCAN", b"str", b"0", b"COUNT", b"0"]],
    # Plain sets as inputs of the set operations: every member scores 1 (times its weight).
    [[b"ZADD", b"z", b"1", b"a", b"2", b"b", b"5", b"e"], [b"SADD", b"s", b"a", b"c", b"e"],
     [b"SADD", b"i", b"1", b"2", b"3"],
     [b"ZUNION", b"2", b"z", b"s", b"WITHSCORES"],
     [b"ZUNION", b"3", b"z", b"s", b"i", b"WEIGHTS", b"1", b"10", b"0.5", b"WITHSCORES"],
     [b"ZINTER", b"2", b"s", b"z", b"AGGREGATE", b"MAX", b"WITHSCORES"],
     [b"ZDIFF", b"2", b"s", b"z", b"WITHSCORES"], [b"ZDIFF", b"2", b"z", b"s"],
     [b"ZUNIONSTORE", b"out", b"2", b"s", b"i"], [b"ZRANGE", b"out", b"0", b"-1", b"WITHSCORES"],
     [b"ZINTERSTORE", b"out2", b"2", b"s", b"z", b"WEIGHTS", b"2", b"3"],
     [b"ZRANGE", b"out2", b"0", b"-1", b"WITHSCORES"], [b"ZINTERCARD", b"2", b"s", b"z"],
     [b"ZDIFFSTORE", b"out3", b"2", b"s", b"z"], [b"ZRANGE", b"out3", b"0", b"-1"],
     [b"ZRANGESTORE", b"out4", b"s", b"0", b"-1"],
     [b"SORT", b"z", b"BY", b"nosort", b"DESC"], [b"SORT", b"z", b"ALPHA", b"LIMIT", b"1", b"2"]],
]


@test
def test_zsets_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


@test
def test_zrandmember_and_zscan_properties(opts):
    # Replies that are random or in hash order: checked for shape and membership.
    import redis
    with harness.start_daemon(opts.bindir) as dut:
        r = redis.Redis(port=dut.port)
        members = {b"m%d" % i: float(i) for i in range(300)}
        r.zadd("big", members)
        r.zadd("small", {b"a": 1, b"b": 2, b"c": 3})
        for k, src in ((b"big", members), (b"small", {b"a": 1, b"b": 2, b"c": 3})):
            got = r.zrandmember(k, 5)
            assert len(got) == min(5, len(src)) and len(set(got)) == len(got)
            assert set(got) <= set(src)
            got = r.zrandmember(k, -20)
            assert len(got) == 20 and set(got) <= set(src)
            # Many picks (one ordered pass over a skiplist set): members with their own scores.
            got = r.zrandmember(k, -500, withscores=True)
            assert len(got) == 1000
            assert all(float(got[i + 1]) == src[got[i]] for i in range(0, len(got), 2))
            if len(src) > 200:
                got = r.zrandmember(k, 200)
                assert len(set(got)) == 200 and set(got) <= set(src)
            got = r.zrandmember(k, 1000, withscores=True)
            assert len(got) == 2 * len(src)
            assert all(float(got[i + 1]) == src[got[i]] for i in range(0, len(got), 2))
            seen, cursor = {}, 0
            while True:
                cursor, items = r.zscan(k, cursor, count=7)
                seen.update(dict(items))
                if cursor == 0:
                    break
            assert seen == src, (len(seen), len(src))
        # Members present for the whole scan come back although others are removed, added and
        # rescored meanwhile (the ZSCAN + ZREM pattern; members of the set that is not yet seen
        # move below every score), also with many members at one score, and a step returns
        # about COUNT members even when they all share one score (a lex-ordered set).
        for scores in ("distinct", "few", "one"):
            r.delete("s")
            score = {"distinct": lambda i: i, "few": lambda i: i % 3, "one": lambda i: 0}[scores]
            r.zadd("s", {b"m%d" % i: score(i) for i in range(1000)})
            seen, cursor, calls = set(), 0, 0
            while True:
                cursor, items = r.zscan("s", cursor, count=10)
                calls += 1
                assert len(items) < 100, (scores, len(items))
                for m, _ in items:
                    seen.add(m)
                    r.zrem("s", m)
                r.zadd("s", {b"new%d" % calls: -1})
                unseen = b"m%d" % (999 - calls)
                if unseen not in seen:
                    r.zincrby("s", -100000, unseen)
                if cursor == 0:
                    break
            assert {b"m%d" % i for i in range(1000)} <= seen, 1000 - len(seen)
            assert calls > 20, (scores, calls)


if __name__ == "__main__":
    harness.main()
