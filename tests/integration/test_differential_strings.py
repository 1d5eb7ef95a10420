#!/usr/bin/env python3
# Differential test of the string commands: the same seeded random command sequences go to
# redis-server 7.0 and to aegisr-daemon; raw reply bytes must be identical. Single-threaded.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# A small key space so that commands collide; binary and hash-tagged keys included.
KEYS = [b"s0", b"s1", b"s2", b"s3", b"", b"b\x00\r\nk", b"{t}x", b"{t}y"]
WRONG_TYPE_KEYS = {"list": b"wt:list", "set": b"wt:set", "hash": b"wt:hash", "zset": b"wt:zset"}

EDGE_VALUES = [
    b"", b"0", b"1", b"-1", b"+1", b" 1", b"1 ", b"01", b"-0", b"1e3", b"0x10", b"10",
    b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
    b"-9223372036854775809", b"18446744073709551616", b"3.14", b"-2.5", b"inf", b"-inf", b"nan",
    b"1.7976931348623157e308", b"5e-324", b"abc", b"hello world", b"\x00", b"a\x00b",
    b"\r\n", b"x\r\ny", b"\xff\xfe", b"a" * 44, b"a" * 45, b"z" * 200, b"12345678901234567890",
    b"100", b"9999", b"10000",
]
EDGE_INTS = [
    b"0", b"1", b"-1", b"5", b"100", b"-100", b"9223372036854775807", b"-9223372036854775808",
    b"9223372036854775808", b"abc", b"", b"1.5", b" 1", b"+1", b"0x10", b"1e3",
]
EDGE_FLOATS = [
    b"1.5", b"-0.1", b"0.1", b"1e3", b"1E-5", b"3.0", b"5", b"-5", b"inf", b"-inf", b"nan",
    b"abc", b"", b"1.7976931348623157e308", b"0x10", b" 1", b"1 ", b"5.0e3", b"+1", b"10.5e-3",
    b"-1e400", b"0.30000000000000004", b"3.0000000000000000001",
]
OFFSETS = [b"0", b"1", b"2", b"3", b"5", b"10", b"100", b"-1", b"-2", b"-100", b"abc",
           b"9223372036854775807", b"-9223372036854775808"]
SETRANGE_OFFSETS = [b"0", b"1", b"3", b"10", b"100", b"1000", b"-1", b"536870912", b"abc", b""]


def rand_value(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(EDGE_VALUES)
    if r < 0.7:
        return b"%d" % rng.choice([rng.randint(-1000, 1000), rng.randint(-2**63, 2**63 - 1),
                                   rng.randint(0, 20000)])
    if r < 0.8:
        return (b"%.*f" % (rng.randint(0, 6), rng.uniform(-1e6, 1e6)))
    return bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 24)))


def rand_ttl_s(rng):
    return b"%d" % rng.randint(1000, 10**6)


def rand_ttl_ms(rng):
    return b"%d" % rng.randint(10**6, 10**9)


def case(rng, word):
    """The option word in random letter case: options are case-insensitive."""
    return bytes(c ^ 0x20 if c >= 0x41 and rng.random() < 0.3 else c for c in word)


def expiry_option(rng, allow_persist=False, allow_keepttl=False):
    """One expiry option of SET/GETEX, sometimes invalid (0, negative, not a number, overflow)."""
    now = int(time.time())
    r = rng.random()
    bad = [b"0", b"-5", b"abc", b"", b"9223372036854775807", b"1.5"]
    choices = [
        [case(rng, b"EX"), rand_ttl_s(rng)],
        [case(rng, b"PX"), rand_ttl_ms(rng)],
        [case(rng, b"EXAT"), b"%d" % (now + rng.randint(1000, 10**6))],
        [case(rng, b"PXAT"), b"%d" % ((now + rng.randint(1000, 10**6)) * 1000 + 123)],
        [case(rng, b"EXAT"), b"%d" % (now - rng.randint(10, 1000))],  # in the past: deletes
        [case(rng, b"PXAT"), b"1"],
    ]
    if allow_persist:
        choices.append([case(rng, b"PERSIST")])
    if allow_keepttl:
        choices.append([case(rng, b"KEEPTTL")])
    opt = rng.choice(choices)
    if r < 0.12 and len(opt) == 2:
        opt = [opt[0], rng.choice(bad)]
    elif r < 0.15:
        opt = [opt[0]]  # value missing
    return opt


def key(rng, types):
    if types and rng.random() < 0.08:
        return WRONG_TYPE_KEYS[rng.choice(sorted(types))]
    return rng.choice(KEYS)


def gen_set(rng, types):
    args = [b"SET", key(rng, types), rand_value(rng)]
    opts = []
    if rng.random() < 0.5:
        opts.append(expiry_option(rng, allow_keepttl=True))
    if rng.random() < 0.3:
        opts.append([case(rng, rng.choice([b"NX", b"XX"]))])
    if rng.random() < 0.3:
        opts.append([case(rng, b"GET")])
    if rng.random() < 0.08:
        opts.append(expiry_option(rng, allow_keepttl=True))  # often a conflicting second one
    if rng.random() < 0.04:
        opts.append([rng.choice([b"FOO", b"EXX", b"NXX", b"1"])])
    rng.shuffle(opts)
    for o in opts:
        args += o
    return args


def gen_getex(rng, types):
    args = [b"GETEX", key(rng, types)]
    if rng.random() < 0.7:
        args += expiry_option(rng, allow_persist=True)
    if rng.random() < 0.08:
        args += expiry_option(rng, allow_persist=True)
    if rng.random() < 0.04:
        args.append(b"FOO")
    return args


def gen_lcs(rng, types):
    args = [b"LCS", key(rng, types), key(rng, types)]
    r = rng.random()
    if r < 0.25:
        args.append(case(rng, b"LEN"))
    elif r < 0.6:
        args.append(case(rng, b"IDX"))
        if rng.random() < 0.5:
            args += [case(rng, b"MINMATCHLEN"), rng.choice([b"0", b"1", b"2", b"4", b"-1", b"x"])]
        if rng.random() < 0.5:
            args.append(case(rng, b"WITHMATCHLEN"))
    elif r < 0.65:
        args += [b"LEN", b"IDX"]
    elif r < 0.7:
        args.append(b"BOGUS")
    return args


def multi_keys(rng, types, lo=1, hi=4):
    return [key(rng, types) for _ in range(rng.randint(lo, hi))]


GENERATORS = [
    (10, lambda rng, t: [b"GET", key(rng, t)]),
    (14, gen_set),
    (3, lambda rng, t: [b"SETNX", key(rng, t), rand_value(rng)]),
    (3, lambda rng, t: [b"SETEX", key(rng, t),
                        rng.choice([rand_ttl_s(rng)] * 4 + [b"0", b"-1", b"abc"]), rand_value(rng)]),
    (3, lambda rng, t: [b"PSETEX", key(rng, t),
                        rng.choice([rand_ttl_ms(rng)] * 4 + [b"0", b"-1", b"abc"]),
                        rand_value(rng)]),
    (3, lambda rng, t: [b"GETSET", key(rng, t), rand_value(rng)]),
    (3, lambda rng, t: [b"GETDEL", key(rng, t)]),
    (4, gen_getex),
    (4, lambda rng, t: [b"MGET"] + multi_keys(rng, t)),
    (3, lambda rng, t: [b"MSET"] + [x for k in multi_keys(rng, t) for x in (k, rand_value(rng))]),
    (3, lambda rng, t: [b"MSETNX"] + [x for k in multi_keys(rng, t) for x in (k, rand_value(rng))]),
    (4, lambda rng, t: [b"APPEND", key(rng, t), rand_value(rng)]),
    (3, lambda rng, t: [b"STRLEN", key(rng, t)]),
    (5, lambda rng, t: [b"INCR", key(rng, t)]),
    (4, lambda rng, t: [b"DECR", key(rng, t)]),
    (4, lambda rng, t: [b"INCRBY", key(rng, t), rng.choice(EDGE_INTS)]),
    (4, lambda rng, t: [b"DECRBY", key(rng, t), rng.choice(EDGE_INTS)]),
    (5, lambda rng, t: [b"INCRBYFLOAT", key(rng, t), rng.choice(EDGE_FLOATS)]),
    (4, lambda rng, t: [b"GETRANGE", key(rng, t), rng.choice(OFFSETS), rng.choice(OFFSETS)]),
    (2, lambda rng, t: [b"SUBSTR", key(rng, t), rng.choice(OFFSETS), rng.choice(OFFSETS)]),
    (4, lambda rng, t: [b"SETRANGE", key(rng, t), rng.choice(SETRANGE_OFFSETS),
                        rng.choice([b"", b"x", b"hello", b"\x00\r\n", rand_value(rng)])]),
    (3, gen_lcs),
    (2, lambda rng, t: [b"EXISTS", key(rng, t)]),
    (2, lambda rng, t: [b"TYPE", key(rng, t)]),
]
_WEIGHTED = [g for w, g in GENERATORS for _ in range(w)]

# (command, valid arities) for the wrong-arity generator.
ARITY = {
    b"GET": (2,), b"SET": None, b"SETNX": (3,), b"SETEX": (4,), b"PSETEX": (4,), b"GETSET": (3,),
    b"GETDEL": (2,), b"GETEX": None, b"MGET": None, b"MSET": None, b"MSETNX": None,
    b"APPEND": (3,), b"STRLEN": (2,), b"INCR": (2,), b"DECR": (2,), b"INCRBY": (3,),
    b"DECRBY": (3,), b"INCRBYFLOAT": (3,), b"GETRANGE": (4,), b"SETRANGE": (4,), b"SUBSTR": (4,),
    b"LCS": None,
}


def gen_wrong_arity(rng):
    name = case(rng, rng.choice(sorted(ARITY)))
    valid = ARITY[name.upper()]
    while True:
        n = rng.randint(1, 6)
        if valid is None:
            # Variadic commands: too few arguments, or MSET with an odd count.
            n = rng.choice([1, 2]) if name.upper() != b"MSET" else rng.choice([1, 2, 4, 6])
            if name.upper() in (b"MGET", b"GETEX") and n == 2:
                n = 1
            if name.upper() == b"MSETNX":
                n = rng.choice([1, 2, 4])
            if name.upper() == b"LCS":
                n = rng.choice([1, 2])
            if name.upper() == b"SET":
                n = rng.choice([1, 2])
            break
        if n not in valid:
            break
    return [name] + [rng.choice(KEYS + [b"1"]) for _ in range(n - 1)]


def gen_unknown(rng):
    name = rng.choice([b"FOO", b"GETT", b"sett", b"", b"\x00", b"INCRBYFLOATX", b"x" * 200,
                       b"GET\r\n"])
    return [name] + [rand_value(rng) for _ in range(rng.randint(0, 3))]


def play_strings(d, rng, types):
    for t in types:
        k = WRONG_TYPE_KEYS[t]
        d.check(*harness.CONTAINER_PROBES[t][:1], k, *harness.CONTAINER_PROBES[t][2:])
    for _ in range(200):
        r = rng.random()
        if r < 0.04:
            d.check(*gen_wrong_arity(rng))
        elif r < 0.06:
            d.check(*gen_unknown(rng))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng, types))
    # Final state: every key's value, type and TTL.
    for k in KEYS + list(WRONG_TYPE_KEYS.values()):
        d.check(b"TYPE", k)
        d.check(b"GET", k)
        d.check(b"PTTL", k, mode="time")
    d.check(b"DBSIZE")


@test
def test_strings_random(opts):
    harness.run_rounds(opts, "strings", play_strings, rounds=24, budget_s=10.0)


# Deterministic edge cases, each sent in order to both servers on a fresh database.
EDGE_SEQUENCES = [
    [[b"SET", b"n", b"9223372036854775807"], [b"INCR", b"n"], [b"INCRBY", b"n", b"0"],
     [b"GET", b"n"], [b"DECRBY", b"n", b"-1"], [b"SET", b"n", b"-9223372036854775808"],
     [b"DECR", b"n"], [b"INCRBY", b"n", b"-1"], [b"DECRBY", b"n", b"-9223372036854775808"],
     [b"SET", b"n", b"0"], [b"DECRBY", b"n", b"-9223372036854775808"], [b"GET", b"n"]],
    [[b"SET", b"f", b"10.5"], [b"INCRBYFLOAT", b"f", b"0.1"], [b"INCRBYFLOAT", b"f", b"-5.0e3"],
     [b"INCRBYFLOAT", b"f", b"inf"], [b"INCRBYFLOAT", b"f", b"nan"], [b"SET", b"f", b"inf"],
     [b"INCRBYFLOAT", b"f", b"1"], [b"SET", b"f", b"1.7976931348623157e308"],
     [b"INCRBYFLOAT", b"f", b"1.7976931348623157e308"], [b"SET", b"f", b"3"],
     [b"INCRBYFLOAT", b"f", b"1e-20"], [b"INCRBYFLOAT", b"f", b"0x10"], [b"GET", b"f"],
     [b"INCR", b"f"], [b"SET", b"f", b"5"], [b"INCRBYFLOAT", b"f", b"0"], [b"GET", b"f"],
     [b"OBJECT", b"ENCODING", b"f"]],
    [[b"SET", b"e", b""], [b"STRLEN", b"e"], [b"GET", b"e"], [b"INCR", b"e"], [b"APPEND", b"e", b""],
     [b"EXISTS", b"e"], [b"GETRANGE", b"e", b"0", b"-1"], [b"SETRANGE", b"missing", b"5", b""],
     [b"EXISTS", b"missing"], [b"SETRANGE", b"e", b"3", b"ab"], [b"GET", b"e"],
     [b"SETRANGE", b"e", b"-1", b"x"], [b"SETRANGE", b"e", b"536870911", b"xy"]],
    [[b"SET", b"\x00\r\n", b"\r\n\x00"], [b"GET", b"\x00\r\n"], [b"STRLEN", b"\x00\r\n"],
     [b"APPEND", b"\x00\r\n", b"\x00"], [b"GET", b"\x00\r\n"], [b"MGET", b"\x00\r\n", b"\x00"]],
    [[b"SET", b"k", b"v", b"NX", b"XX"], [b"SET", b"k", b"v", b"EX", b"10", b"PX", b"10"],
     [b"SET", b"k", b"v", b"KEEPTTL", b"EX", b"10"], [b"SET", b"k", b"v", b"EX"],
     [b"SET", b"k", b"v", b"EX", b"0"], [b"SET", b"k", b"v", b"PX", b"-1"],
     [b"SET", b"k", b"v", b"EX", b"9223372036854775807"],
     [b"SET", b"k", b"v", b"PXAT", b"9223372036854775807"], [b"SET", b"k", b"v", b"GET"],
     [b"SET", b"k", b"w", b"GET", b"NX"], [b"SET", b"k", b"w", b"GET", b"XX"], [b"GET", b"k"],
     [b"SET", b"k", b"v", b"nx", b"nx"], [b"SET", b"k", b"v", b"ex", b"100", b"ex", b"200"],
     [b"SET", b"k", b"v", b"BAD"], [b"GETEX", b"k", b"EX", b"0"], [b"GETEX", b"k", b"PERSIST", b"EX", b"1"],
     [b"GETEX", b"k", b"EX", b"5", b"PX", b"5"], [b"GETEX", b"k", b"FOO"], [b"GETEX", b"nokey", b"FOO"]],
    [[b"SET", b"a", b"ohmytext"], [b"SET", b"b", b"mynewtext"], [b"LCS", b"a", b"b"],
     [b"LCS", b"a", b"b", b"LEN"], [b"LCS", b"a", b"b", b"IDX"],
     [b"LCS", b"a", b"b", b"IDX", b"MINMATCHLEN", b"4", b"WITHMATCHLEN"],
     [b"LCS", b"a", b"b", b"LEN", b"IDX"], [b"LCS", b"a", b"nokey"], [b"LCS", b"a", b"b", b"XX"],
     [b"LCS", b"a", b"b", b"MINMATCHLEN"], [b"LCS", b"a", b"b", b"IDX", b"MINMATCHLEN", b"-3"]],
    [[b"SET", b"i", b"12"], [b"OBJECT", b"ENCODING", b"i"], [b"APPEND", b"i", b"3"],
     [b"OBJECT", b"ENCODING", b"i"], [b"INCR", b"i"], [b"OBJECT", b"ENCODING", b"i"],
     [b"SET", b"s", b"a" * 44], [b"OBJECT", b"ENCODING", b"s"], [b"SET", b"s", b"a" * 45],
     [b"OBJECT", b"ENCODING", b"s"], [b"SET", b"s", b"12345678901234567890"],
     [b"OBJECT", b"ENCODING", b"s"], [b"SET", b"s", b" 1"], [b"OBJECT", b"ENCODING", b"s"]],
    [[b"MSET", b"a", b"1", b"b"], [b"MSETNX", b"a", b"1", b"b", b"2"], [b"MSETNX", b"a", b"x", b"c", b"3"],
     [b"MGET", b"a", b"b", b"c"], [b"MSET", b"a", b"1", b"a", b"2"], [b"GET", b"a"]],
    [[b"GETRANGE", b"nokey", b"0", b"-1"], [b"SET", b"r", b"Hello World"],
     [b"GETRANGE", b"r", b"-3", b"-1"], [b"GETRANGE", b"r", b"5", b"3"],
     [b"GETRANGE", b"r", b"-100", b"100"], [b"GETRANGE", b"r", b"0", b"-100"],
     [b"GETRANGE", b"r", b"x", b"1"], [b"SUBSTR", b"r", b"0", b"4"]],
    [[b"GET"], [b"GET", b"a", b"b"], [b"SET", b"a"], [b"INCRBY", b"a"], [b"MGET"],
     [b"FOOBAR", b"x", b"y"], [b"foobar"], [b"LCS", b"a"], [b"GETEX"], [b"SETEX", b"a", b"1"]],
]


@test
def test_strings_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES, flush=b"FLUSHDB")


if __name__ == "__main__":
    harness.main()
