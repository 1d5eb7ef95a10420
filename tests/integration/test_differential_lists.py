#!/usr/bin/env python3
# Differential test of the list commands: the same seeded random command sequences go to
# redis-server 7.0 and to aegisr-daemon; raw reply bytes must be identical. Single-threaded.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# A small key space so that commands collide (pushes meet pops, moves meet their sources);
# a string key for WRONGTYPE and a binary key.
KEYS = [b"l0", b"l1", b"l2", b"b\x00\r\nk"]
STRING_KEY = b"str"

ELEMENTS = [b"a", b"b", b"c", b"", b"a\x00b", b"\r\n", b"1", b"-1", b"x" * 300,
            b"\xff\xfe", b"hello world", b"a", b"b"]
INDICES = [b"0", b"1", b"2", b"-1", b"-2", b"-3", b"3", b"5", b"100", b"-100", b"abc", b"",
           b"1.5", b"9223372036854775807", b"-9223372036854775808", b" 1", b"+1"]
COUNTS = [b"0", b"1", b"2", b"3", b"10", b"-1", b"-2", b"abc", b"9223372036854775807",
          b"-9223372036854775808"]
ENDS = [b"LEFT", b"RIGHT", b"left", b"Right", b"middle", b""]


def key(rng):
    return STRING_KEY if rng.random() < 0.05 else rng.choice(KEYS + [b"missing"])


def elements(rng, lo=1, hi=5):
    return [rng.choice(ELEMENTS) for _ in range(rng.randint(lo, hi))]


def gen_push(rng):
    return [rng.choice([b"LPUSH", b"RPUSH", b"lpush", b"RPUSHX", b"LPUSHX"]), key(rng),
            *elements(rng)]


def gen_pop(rng):
    cmd = [rng.choice([b"LPOP", b"RPOP"]), key(rng)]
    if rng.random() < 0.5:
        cmd.append(rng.choice(COUNTS))
    return cmd


def gen_range(rng):
    return [b"LRANGE", key(rng), rng.choice(INDICES), rng.choice(INDICES)]


def gen_index(rng):
    return [b"LINDEX", key(rng), rng.choice(INDICES)]


def gen_set(rng):
    return [b"LSET", key(rng), rng.choice(INDICES), rng.choice(ELEMENTS)]


def gen_trim(rng):
    return [b"LTRIM", key(rng), rng.choice(INDICES), rng.choice(INDICES)]


def gen_rem(rng):
    return [b"LREM", key(rng), rng.choice(COUNTS), rng.choice(ELEMENTS)]


def gen_insert(rng):
    where = rng.choice([b"BEFORE", b"AFTER", b"after", b"middle"])
    return [b"LINSERT", key(rng), where, rng.choice(ELEMENTS), rng.choice(ELEMENTS)]


def gen_pos(rng):
    cmd = [b"LPOS", key(rng), rng.choice(ELEMENTS)]
    for _ in range(rng.randint(0, 3)):
        opt = rng.choice([b"RANK", b"COUNT", b"MAXLEN", b"rank", b"BOGUS"])
        if opt.upper() == b"RANK":
            cmd += [opt, rng.choice([b"1", b"2", b"-1", b"-2", b"0", b"3", b"abc", b"-5"])]
        elif opt == b"BOGUS":
            cmd.append(opt)
        else:
            cmd += [opt, rng.choice([b"0", b"1", b"2", b"-1", b"5", b"abc"])]
    return cmd


def gen_move(rng):
    if rng.random() < 0.3:
        return [b"RPOPLPUSH", key(rng), key(rng)]
    return [b"LMOVE", key(rng), key(rng), rng.choice(ENDS), rng.choice(ENDS)]


def gen_mpop(rng):
    n = rng.choice([1, 1, 2, 3])
    numkeys = rng.choice([b"%d" % n] * 6 + [b"0", b"-1", b"abc", b"%d" % (n + 2)])
    cmd = [b"LMPOP", numkeys] + [key(rng) for _ in range(n)] + [rng.choice(ENDS)]
    r = rng.random()
    if r < 0.4:
        cmd += [rng.choice([b"COUNT", b"count"]), rng.choice([b"1", b"2", b"5", b"0", b"-1",
                                                              b"abc", b"100"])]
    elif r < 0.45:
        cmd += [b"COUNT", b"1", b"COUNT", b"2"]
    elif r < 0.5:
        cmd += [b"BOGUS"]
    return cmd


def gen_len(rng):
    return [b"LLEN", key(rng)]


def gen_wrong_arity(rng):
    return rng.choice([[b"LPUSH", b"l0"], [b"LPOP"], [b"LPOP", b"l0", b"1", b"2"], [b"LLEN"],
                       [b"LRANGE", b"l0", b"0"], [b"LINDEX", b"l0"], [b"LSET", b"l0", b"0"],
                       [b"LTRIM", b"l0", b"0"], [b"LREM", b"l0", b"0"],
                       [b"LINSERT", b"l0", b"BEFORE", b"a"], [b"LPOS", b"l0"],
                       [b"LMOVE", b"l0", b"l1", b"LEFT"], [b"RPOPLPUSH", b"l0"],
                       [b"LMPOP", b"1", b"l0"], [b"LMPOP", b"1"]])


_WEIGHTED = ([gen_push] * 6 + [gen_pop] * 3 + [gen_range] * 2 + [gen_index, gen_set, gen_trim,
             gen_rem, gen_insert, gen_pos, gen_pos, gen_move, gen_move, gen_mpop, gen_mpop, gen_len])


def play_lists(d, rng, types):
    # Node sizes from list-max-listpack-size (and its old name): small ones put node boundaries
    # everywhere. The replies must not depend on them.
    d.check(b"CONFIG", b"SET", rng.choice([b"list-max-listpack-size", b"list-max-ziplist-size"]),
            rng.choice([b"-2", b"-2", b"-1", b"-5", b"1", b"2", b"3", b"0"]))
    d.check(b"SET", STRING_KEY, b"v")
    for _ in range(250):
        if rng.random() < 0.03:
            d.check(*gen_wrong_arity(rng))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng))
    # Final state: every key's type, length and elements.
    for k in KEYS + [STRING_KEY, b"missing"]:
        d.check(b"TYPE", k)
        d.check(b"LLEN", k)
        d.check(b"LRANGE", k, b"0", b"-1")
    d.check(b"DBSIZE")


@test
def test_lists_random(opts):
    harness.run_rounds(opts, "lists", play_lists, rounds=40, budget_s=15.0)


EDGE_SEQUENCES = [
    # Popping the last element deletes the key; pops with a count on missing keys.
    [[b"RPUSH", b"l", b"a"], [b"LPOP", b"l"], [b"EXISTS", b"l"], [b"LPOP", b"l"],
     [b"LPOP", b"l", b"0"], [b"LPOP", b"l", b"2"], [b"RPUSH", b"l", b"a", b"b"],
     [b"LPOP", b"l", b"0"], [b"RPOP", b"l", b"5"], [b"TYPE", b"l"]],
    # Rotation on one key, and a move onto a string.
    [[b"RPUSH", b"l", b"a", b"b", b"c"], [b"RPOPLPUSH", b"l", b"l"], [b"LMOVE", b"l", b"l",
     b"LEFT", b"RIGHT"], [b"LRANGE", b"l", b"0", b"-1"], [b"SET", b"s", b"x"],
     [b"LMOVE", b"l", b"s", b"LEFT", b"LEFT"], [b"LRANGE", b"l", b"0", b"-1"],
     [b"RPUSH", b"one", b"x"], [b"RPOPLPUSH", b"one", b"one"], [b"LRANGE", b"one", b"0", b"-1"]],
    # Trims that empty the list delete it.
    [[b"RPUSH", b"l", b"a", b"b", b"c"], [b"LTRIM", b"l", b"1", b"0"], [b"EXISTS", b"l"],
     [b"RPUSH", b"l", b"a", b"b", b"c", b"d"], [b"LTRIM", b"l", b"-3", b"-2"],
     [b"LRANGE", b"l", b"0", b"-1"], [b"LTRIM", b"l", b"5", b"10"], [b"EXISTS", b"l"]],
    # LREM from both ends, LINSERT around duplicates, LPOS ranks and counts.
    [[b"RPUSH", b"l", b"a", b"b", b"a", b"c", b"a"], [b"LREM", b"l", b"-2", b"a"],
     [b"LRANGE", b"l", b"0", b"-1"], [b"LINSERT", b"l", b"AFTER", b"a", b"z"],
     [b"LRANGE", b"l", b"0", b"-1"], [b"RPUSH", b"m", b"x", b"y", b"x", b"x"],
     [b"LPOS", b"m", b"x", b"RANK", b"-1", b"COUNT", b"0"], [b"LPOS", b"m", b"x", b"RANK", b"2"],
     [b"LPOS", b"m", b"x", b"COUNT", b"2", b"MAXLEN", b"3"], [b"LPOS", b"m", b"q", b"COUNT", b"1"],
     [b"LREM", b"m", b"0", b"x"], [b"LRANGE", b"m", b"0", b"-1"]],
    # LMPOP: the first non-empty list, counts past the end, a wrong type stops it.
    [[b"RPUSH", b"b", b"1", b"2", b"3"], [b"LMPOP", b"2", b"a", b"b", b"LEFT"],
     [b"LMPOP", b"2", b"a", b"b", b"RIGHT", b"COUNT", b"10"], [b"EXISTS", b"b"],
     [b"LMPOP", b"2", b"a", b"b", b"LEFT"], [b"SET", b"a", b"x"], [b"RPUSH", b"b", b"1"],
     [b"LMPOP", b"2", b"a", b"b", b"LEFT"], [b"LMPOP", b"1", b"b", b"LEFT", b"COUNT"],
     [b"LMPOP", b"3", b"a", b"b", b"LEFT"]],
    # Large lists across node boundaries.
    [[b"RPUSH", b"big"] + [b"%d" % i for i in range(3000)], [b"LINDEX", b"big", b"1500"],
     [b"LRANGE", b"big", b"2990", b"-1"], [b"LSET", b"big", b"-1", b"last"],
     [b"LRANGE", b"big", b"-3", b"-1"], [b"LTRIM", b"big", b"100", b"-100"],
     [b"LLEN", b"big"], [b"LPOS", b"big", b"2000"], [b"OBJECT", b"ENCODING", b"big"]],
]


@test
def test_lists_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


if __name__ == "__main__":
    harness.main()
