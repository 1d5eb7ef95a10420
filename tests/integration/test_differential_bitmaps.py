#!/usr/bin/env python3
# Differential test of the bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
# BITFIELD_RO): the same seeded random command sequences go to redis-server 7.0 and to
# aegisr-daemon, in RESP2 and RESP3; raw reply bytes must be identical, and so must the values
# left behind (GET/STRLEN of binary results). Single-threaded.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

KEYS = [b"b0", b"b1", b"b2", b"b3", b"", b"b\x00\r\nk", b"{t}x", b"{t}y"]
LIST_KEY = b"wt:list"

I64_MIN, I64_MAX = -2**63, 2**63 - 1

# Offsets at byte and word edges, a few far ones (several MB), and invalid ones.
GOOD_OFFSETS = [0, 1, 6, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 511,
                1000, 4095, 4096, 8191, 65535]
FAR_OFFSETS = [8 * 1024 * 1024 - 1, 8 * 3_000_000 + 5, 8 * 5_000_000 + 7]
BAD_OFFSETS = [b"-1", b"abc", b"", b"#3", b"1.5", b" 1", b"+1", b"01", b"4294967296",
               b"9223372036854775807", b"-9223372036854775808", b"0x10"]
# BITCOUNT/BITPOS range ends: negative, past the end, extremes, not numbers.
RANGE_ENDS = [b"0", b"1", b"2", b"3", b"7", b"8", b"9", b"15", b"16", b"63", b"64", b"65",
              b"100", b"1000", b"-1", b"-2", b"-3", b"-7", b"-8", b"-9", b"-64", b"-100",
              b"-1000", b"9223372036854775807", b"-9223372036854775808"]
BAD_RANGE_ENDS = [b"x", b"", b"1.0", b"9223372036854775808"]
UNITS = [b"BIT", b"BYTE", b"bit", b"byte", b"Bit"]
BAD_UNITS = [b"BITS", b"", b"b", b"bytes"]
FIELD_TYPES = [b"i%d" % n for n in range(1, 65)] + [b"u%d" % n for n in range(1, 64)]
BAD_FIELD_TYPES = [b"i65", b"u64", b"i0", b"u0", b"I8", b"U8", b"x8", b"", b"i", b"u", b"i-1",
                   b"u08", b"i+8", b"i8 ", b"i100"]
EDGE_VALUES = [0, 1, -1, 2, -2, 7, 8, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768,
               65535, 65536, 2**31 - 1, 2**31, -2**31, 2**32 - 1, 2**32, 2**62, -2**62,
               2**63 - 1, -2**63, 2**63 - 2, -2**63 + 1, -2**63 + 100, 12345, -12345]


def case(rng, word):
    """The word in random letter case: keywords are case-insensitive."""
    return bytes(c ^ 0x20 if c >= 0x41 and rng.random() < 0.3 else c for c in word)


def key(rng, with_list):
    if with_list and rng.random() < 0.1:
        return LIST_KEY
    return rng.choice(KEYS)


def offset(rng, far=True):
    r = rng.random()
    if r < 0.06:
        return rng.choice(BAD_OFFSETS)
    if far and r < 0.075:
        return b"%d" % rng.choice(FAR_OFFSETS)
    if r < 0.6:
        return b"%d" % rng.choice(GOOD_OFFSETS)
    return b"%d" % rng.randint(0, 700)


def range_end(rng):
    r = rng.random()
    if r < 0.03:
        return rng.choice(BAD_RANGE_ENDS)
    if r < 0.6:
        return rng.choice(RANGE_ENDS)
    return b"%d" % rng.randint(-80, 80)


def unit(rng):
    return rng.choice(BAD_UNITS) if rng.random() < 0.05 else case(rng, rng.choice(UNITS))


def rand_value(rng):
    """A string value: random bytes, integers (stored int-encoded), empty, long."""
    r = rng.random()
    if r < 0.25:
        return b"%d" % rng.choice([0, 5, 7, 12, 255, -1, 1234567, I64_MAX, I64_MIN])
    if r < 0.35:
        return b""
    if r < 0.45:
        return bytes([rng.choice([0, 0xFF, 0x55, 0xAA, 0x01, 0x80])]) * rng.randint(1, 300)
    return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 80)))


def gen_setbit(rng, wl):
    r = rng.random()
    value = (rng.choice([b"2", b"-1", b"x", b"", b"01", b"1.0", b"10"]) if r < 0.05
             else rng.choice([b"0", b"1"]))
    return [b"SETBIT", key(rng, wl), offset(rng), value]


def gen_getbit(rng, wl):
    return [b"GETBIT", key(rng, wl), offset(rng)]


def gen_bitcount(rng, wl):
    args = [b"BITCOUNT", key(rng, wl)]
    r = rng.random()
    if r < 0.2:
        return args
    if r < 0.25:
        return args + [range_end(rng)]  # start without end: a syntax error
    args += [range_end(rng), range_end(rng)]
    if r < 0.65:
        args.append(unit(rng))
    if rng.random() < 0.03:
        args.append(b"extra")
    return args


def gen_bitpos(rng, wl):
    bit = rng.choice([b"0", b"1"] * 10 + [b"2", b"-1", b"x", b""])
    args = [b"BITPOS", key(rng, wl), bit]
    r = rng.random()
    if r < 0.25:
        return args
    args.append(range_end(rng))
    if r < 0.45:
        return args
    args.append(range_end(rng))
    if r < 0.6:
        return args
    args.append(unit(rng))
    if rng.random() < 0.03:
        args.append(b"extra")
    return args


def gen_bitop(rng, wl):
    op = rng.choice([b"AND", b"OR", b"XOR", b"NOT"] * 6 + [b"NAND", b"", b"ANDX"])
    n = 1 if op == b"NOT" and rng.random() < 0.85 else rng.randint(1, 4)
    return [b"BITOP", case(rng, op), key(rng, wl)] + [key(rng, wl) for _ in range(n)]


def field_type(rng):
    if rng.random() < 0.05:
        return rng.choice(BAD_FIELD_TYPES)
    if rng.random() < 0.3:
        return rng.choice([b"u1", b"i1", b"u8", b"i8", b"u16", b"i16", b"u32", b"i32",
                           b"u63", b"i63", b"i64"])
    return rng.choice(FIELD_TYPES)


def field_offset(rng, ftype):
    r = rng.random()
    if r < 0.04:
        return rng.choice(BAD_OFFSETS + [b"#-1", b"#", b"##1", b"#x", b"#9223372036854775807"])
    if r < 0.35:
        return b"#%d" % rng.randint(0, 20)
    if r < 0.37:
        return b"%d" % rng.choice(FAR_OFFSETS)
    return b"%d" % rng.choice(GOOD_OFFSETS[:18] + [rng.randint(0, 300)])


def field_value(rng):
    r = rng.random()
    if r < 0.03:
        return rng.choice([b"x", b"", b"1.5", b"9223372036854775808"])
    if r < 0.6:
        return b"%d" % rng.choice(EDGE_VALUES)
    return b"%d" % rng.randint(-1000, 1000)


def gen_bitfield(rng, wl, read_only=False):
    args = [b"BITFIELD_RO" if read_only else b"BITFIELD", key(rng, wl)]
    for _ in range(rng.randint(0, 4)):
        r = rng.random()
        if r < 0.2:
            mode = (rng.choice([b"BAD", b"", b"SATURATE"]) if rng.random() < 0.06
                    else case(rng, rng.choice([b"WRAP", b"SAT", b"FAIL"])))
            args += [case(rng, b"OVERFLOW"), mode]
        elif r < 0.45 or (read_only and r < 0.95):
            t = field_type(rng)
            args += [case(rng, b"GET"), t, field_offset(rng, t)]
        elif r < 0.7:
            t = field_type(rng)
            args += [case(rng, b"SET"), t, field_offset(rng, t), field_value(rng)]
        elif r < 0.97:
            t = field_type(rng)
            args += [case(rng, b"INCRBY"), t, field_offset(rng, t), field_value(rng)]
        else:
            args += [rng.choice([b"GET", b"SET", b"INCRBY", b"OVERFLOW", b"FOO"])]  # short
    return args


GENERATORS = [
    (14, gen_setbit),
    (8, gen_getbit),
    (10, gen_bitcount),
    (12, gen_bitpos),
    (8, gen_bitop),
    (14, gen_bitfield),
    (4, lambda rng, wl: gen_bitfield(rng, wl, read_only=True)),
    (4, lambda rng, wl: [b"SET", key(rng, wl), rand_value(rng)]),
    (4, lambda rng, wl: [b"GET", key(rng, wl)]),
    (3, lambda rng, wl: [b"STRLEN", key(rng, wl)]),
    (1, lambda rng, wl: [b"APPEND", key(rng, wl), rand_value(rng)]),
    (1, lambda rng, wl: [b"SETRANGE", key(rng, wl), b"%d" % rng.randint(0, 40), rand_value(rng)]),
    (1, lambda rng, wl: [b"EXPIRE", key(rng, wl), b"1000"]),
    (2, lambda rng, wl: [b"DEL", key(rng, wl)]),
    (1, lambda rng, wl: [b"OBJECT", b"ENCODING", key(rng, wl)]),
]
_WEIGHTED = [g for w, g in GENERATORS for _ in range(w)]

# (command, valid arity: exact n, or -n for at least n)
ARITY = {b"SETBIT": 4, b"GETBIT": 3, b"BITCOUNT": -2, b"BITPOS": -3, b"BITOP": -4,
         b"BITFIELD": -2, b"BITFIELD_RO": -2}


def gen_wrong_arity(rng):
    name = rng.choice(sorted(ARITY))
    a = ARITY[name]
    n = rng.choice([x for x in range(1, 6) if (x != a if a > 0 else x < -a)])
    return [case(rng, name)] + [rng.choice(KEYS + [b"1", b"0"]) for _ in range(n - 1)]


def play_bitmaps(d, rng, types):
    with_list = "list" in types
    if with_list:
        d.check(b"RPUSH", LIST_KEY, b"x", b"y")
    for _ in range(220):
        if rng.random() < 0.03:
            d.check(*gen_wrong_arity(rng))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng, with_list))
    # Final state: every key's value (binary), length, type and TTL.
    for k in KEYS + [LIST_KEY]:
        d.check(b"TYPE", k)
        d.check(b"GET", k)
        d.check(b"STRLEN", k)
        d.check(b"BITCOUNT", k)
        d.check(b"PTTL", k, mode="time")
    d.check(b"DBSIZE")


@test
def test_bitmaps_random(opts):
    harness.run_rounds(opts, "bitmaps", play_bitmaps, rounds=64, budget_s=25.0)


def bits_of(text):
    return [[b"SETBIT", b"k", b"%d" % i, b"1"] for i, c in enumerate(text) if c == "1"]


# Deterministic edge cases, each sent in order to both servers on a fresh database.
EDGE_SEQUENCES = [
    # Offsets at byte and word edges, and the bytes they leave.
    [[b"SETBIT", b"k", b"0", b"1"], [b"SETBIT", b"k", b"7", b"1"], [b"SETBIT", b"k", b"8", b"1"],
     [b"SETBIT", b"k", b"63", b"1"], [b"SETBIT", b"k", b"64", b"1"], [b"GET", b"k"],
     [b"STRLEN", b"k"], [b"BITCOUNT", b"k"], [b"GETBIT", b"k", b"63"], [b"GETBIT", b"k", b"62"],
     [b"GETBIT", b"k", b"65"], [b"GETBIT", b"k", b"99999999"], [b"SETBIT", b"k", b"64", b"0"],
     [b"GET", b"k"], [b"OBJECT", b"ENCODING", b"k"], [b"SETBIT", b"k", b"#1", b"1"],
     [b"SETBIT", b"k", b"-1", b"1"], [b"SETBIT", b"k", b"1", b"2"], [b"GETBIT", b"k", b"-1"],
     [b"SETBIT", b"k", b"4294967296", b"1"], [b"GETBIT", b"k", b"4294967296"]],
    # Integer-encoded values read as their digits; SETBIT makes them raw.
    [[b"SET", b"n", b"5"], [b"GETBIT", b"n", b"2"], [b"BITCOUNT", b"n"], [b"BITPOS", b"n", b"1"],
     [b"BITPOS", b"n", b"0"], [b"BITFIELD_RO", b"n", b"GET", b"u8", b"0"],
     [b"SETBIT", b"n", b"6", b"1"], [b"GET", b"n"], [b"OBJECT", b"ENCODING", b"n"],
     [b"SET", b"m", b"-9223372036854775808"], [b"BITCOUNT", b"m", b"2", b"-2"],
     [b"BITOP", b"NOT", b"d", b"m"], [b"GET", b"d"], [b"OBJECT", b"ENCODING", b"d"]],
    # A value of several MB, and the ranges around its end.
    [[b"SETBIT", b"big", b"40000007", b"1"], [b"STRLEN", b"big"], [b"BITCOUNT", b"big"],
     [b"BITPOS", b"big", b"1"], [b"BITPOS", b"big", b"0"], [b"BITPOS", b"big", b"1", b"-1"],
     [b"BITPOS", b"big", b"1", b"4000000", b"-1", b"BYTE"],
     [b"BITCOUNT", b"big", b"-8", b"-1", b"BIT"], [b"BITCOUNT", b"big", b"-1", b"-1"],
     [b"SETBIT", b"big", b"40000007", b"0"], [b"BITPOS", b"big", b"1"],
     [b"BITOP", b"NOT", b"inv", b"big"], [b"BITPOS", b"inv", b"0"], [b"BITPOS", b"inv", b"1"],
     [b"BITCOUNT", b"inv"], [b"BITOP", b"AND", b"big", b"big", b"inv"], [b"BITCOUNT", b"big"],
     [b"STRLEN", b"big"]],
    # BITCOUNT ranges: negative, reversed, past the end, BIT and BYTE, syntax.
    [[b"SET", b"s", b"foobar"], [b"BITCOUNT", b"s"], [b"BITCOUNT", b"s", b"0", b"0"],
     [b"BITCOUNT", b"s", b"1", b"1"], [b"BITCOUNT", b"s", b"1", b"1", b"BYTE"],
     [b"BITCOUNT", b"s", b"5", b"30", b"BIT"], [b"BITCOUNT", b"s", b"-3", b"-1", b"bit"],
     [b"BITCOUNT", b"s", b"-1", b"-3"], [b"BITCOUNT", b"s", b"-1", b"-3", b"FOO"],
     [b"BITCOUNT", b"s", b"3", b"1"], [b"BITCOUNT", b"s", b"-100", b"100"],
     [b"BITCOUNT", b"s", b"100", b"200"], [b"BITCOUNT", b"s", b"0"],
     [b"BITCOUNT", b"s", b"0", b"1", b"BIT", b"x"], [b"BITCOUNT", b"s", b"a", b"1"],
     [b"BITCOUNT", b"s", b"0", b"1", b"BITS"], [b"BITCOUNT", b"nokey", b"0"],
     [b"BITCOUNT", b"nokey", b"a", b"b", b"c"], [b"SET", b"e", b""], [b"BITCOUNT", b"e"],
     [b"BITCOUNT", b"e", b"0", b"-1"], [b"BITCOUNT", b"e", b"0", b"-1", b"BIT"]],
    # BITPOS: the -1 rules for 0 with and without an end, bits past the string.
    [[b"SET", b"f", b"\xff\xf0\x00"], [b"BITPOS", b"f", b"0"], [b"BITPOS", b"f", b"1", b"2"],
     [b"BITPOS", b"f", b"1", b"2", b"-1", b"BYTE"], [b"BITPOS", b"f", b"0", b"7", b"15", b"BIT"],
     [b"BITPOS", b"f", b"1", b"7", b"15", b"BIT"], [b"BITPOS", b"f", b"0", b"0", b"0"],
     [b"SET", b"ones", b"\xff\xff\xff"], [b"BITPOS", b"ones", b"0"],
     [b"BITPOS", b"ones", b"0", b"1"], [b"BITPOS", b"ones", b"0", b"1", b"-1"],
     [b"BITPOS", b"ones", b"0", b"3", b"20", b"BIT"], [b"BITPOS", b"ones", b"1", b"9", b"9", b"BIT"],
     [b"BITPOS", b"ones", b"0", b"-1"], [b"BITPOS", b"ones", b"0", b"100"],
     [b"SET", b"zeros", b"\x00\x00\x00"], [b"BITPOS", b"zeros", b"1"],
     [b"BITPOS", b"zeros", b"0", b"-2"], [b"BITPOS", b"zeros", b"1", b"0", b"-1", b"BIT"],
     [b"BITPOS", b"nokey", b"0"], [b"BITPOS", b"nokey", b"1"], [b"BITPOS", b"nokey", b"1", b"x"],
     [b"BITPOS", b"f", b"2"], [b"BITPOS", b"f", b"x"], [b"BITPOS", b"f", b"1", b"x"],
     [b"BITPOS", b"f", b"1", b"0", b"x"], [b"BITPOS", b"f", b"1", b"0", b"1", b"BITS"],
     [b"BITPOS", b"f", b"1", b"0", b"1", b"BIT", b"x"], [b"SET", b"e", b""],
     [b"BITPOS", b"e", b"0"], [b"BITPOS", b"e", b"1"]],
    # BITOP: missing keys as zeros, different lengths, NOT's one key, empty results.
    [[b"SET", b"a", b"\xf0\x0f\xff\x00\x12"], [b"SET", b"b", b"\xff"], [b"SET", b"c", b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEF"],
     [b"BITOP", b"AND", b"d", b"a", b"b"], [b"GET", b"d"], [b"BITOP", b"OR", b"d", b"a", b"b", b"c"],
     [b"GET", b"d"], [b"BITOP", b"XOR", b"d", b"c", b"a", b"nokey"], [b"GET", b"d"],
     [b"BITOP", b"AND", b"d", b"c", b"nokey"], [b"GET", b"d"], [b"BITOP", b"NOT", b"d", b"c"],
     [b"GET", b"d"], [b"BITOP", b"NOT", b"d", b"a", b"b"], [b"BITOP", b"NOR", b"d", b"a"],
     [b"BITOP", b"OR", b"d", b"nokey", b"nokey2"], [b"EXISTS", b"d"],
     [b"SET", b"d", b"x", b"EX", b"100"], [b"BITOP", b"OR", b"d", b"a"], [b"TTL", b"d"],
     [b"RPUSH", b"l", b"x"], [b"BITOP", b"OR", b"d", b"a", b"l"], [b"BITOP", b"OR", b"l", b"a"],
     [b"TYPE", b"l"], [b"BITOP", b"XOR", b"a", b"a", b"a"], [b"GET", b"a"],
     [b"OBJECT", b"ENCODING", b"a"], [b"SET", b"e", b""], [b"BITOP", b"OR", b"d", b"e"],
     [b"EXISTS", b"d"]],
    # BITFIELD: every overflow mode at the edges, #offsets, FAIL's null and growth.
    [[b"BITFIELD", b"k", b"SET", b"u8", b"0", b"255", b"GET", b"u8", b"0", b"INCRBY", b"u8", b"0", b"1"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"INCRBY", b"u8", b"0", b"300", b"INCRBY", b"i8", b"8", b"-300"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"FAIL", b"INCRBY", b"u8", b"0", b"1", b"GET", b"u8", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"FAIL", b"SET", b"u8", b"100", b"1000"], [b"STRLEN", b"k"],
     [b"BITFIELD", b"k", b"SET", b"i64", b"#1", b"-9223372036854775808", b"INCRBY", b"i64", b"#1", b"-1"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"INCRBY", b"i64", b"#1", b"-9223372036854775808"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"SET", b"i8", b"0", b"-9223372036854775808", b"GET", b"i8", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"SET", b"i8", b"0", b"-9223372036854775681", b"GET", b"i8", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"SET", b"i8", b"0", b"-9223372036854775680", b"GET", b"i8", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"SAT", b"SET", b"u8", b"0", b"-1", b"GET", b"u8", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"WRAP", b"SET", b"u63", b"3", b"-1", b"GET", b"u63", b"3"],
     [b"BITFIELD", b"k", b"INCRBY", b"u63", b"3", b"9223372036854775807"],
     [b"BITFIELD", b"k", b"GET", b"u64", b"0"], [b"BITFIELD", b"k", b"GET", b"i65", b"0"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"NONE", b"GET", b"u8", b"0"],
     [b"BITFIELD", b"k", b"GET", b"u8", b"#-1"], [b"BITFIELD", b"k", b"GET", b"u8"],
     [b"BITFIELD", b"k", b"GET", b"u8", b"0", b"OVERFLOW"], [b"BITFIELD", b"k"],
     [b"BITFIELD", b"k", b"OVERFLOW", b"FAIL"], [b"BITFIELD_RO", b"k", b"GET", b"i16", b"#3"],
     [b"BITFIELD_RO", b"k", b"INCRBY", b"u8", b"0", b"1"], [b"BITFIELD_RO", b"nokey", b"GET", b"u8", b"0"],
     [b"EXISTS", b"nokey"], [b"GET", b"k"], [b"OBJECT", b"ENCODING", b"k"],
     [b"BITFIELD", b"k", b"GET", b"u8", b"#536870912"], [b"BITFIELD", b"k", b"GET", b"i64", b"#67108864"],
     [b"BITFIELD", b"k", b"GET", b"i64", b"#144115188075855872"],
     [b"RPUSH", b"l", b"x"], [b"BITFIELD", b"l", b"GET", b"u8", b"0"],
     [b"BITFIELD", b"l", b"SET", b"u8", b"0", b"1"], [b"BITFIELD_RO", b"l", b"GET", b"u8", b"0"]],
    # proto-max-bulk-len bounds the offsets.
    [[b"CONFIG", b"SET", b"proto-max-bulk-len", b"1048576"], [b"SETBIT", b"k", b"8388607", b"1"],
     [b"SETBIT", b"k", b"8388608", b"1"], [b"GETBIT", b"k", b"8388608"], [b"STRLEN", b"k"],
     [b"BITFIELD", b"k", b"SET", b"u8", b"8388600", b"1"],
     [b"BITFIELD", b"k", b"SET", b"i64", b"8388607", b"1"], [b"STRLEN", b"k"],
     [b"BITFIELD", b"k", b"SET", b"u8", b"8388608", b"1"],
     [b"CONFIG", b"SET", b"proto-max-bulk-len", b"536870912"]],
    # Wrong arity.
    [[b"SETBIT", b"k", b"1"], [b"GETBIT", b"k"], [b"BITCOUNT"], [b"BITPOS", b"k"],
     [b"BITOP", b"AND", b"d"], [b"BITFIELD"], [b"BITFIELD_RO"], [b"SETBIT", b"k", b"1", b"1", b"1"]],
]


@test
def test_bitmaps_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES, flush=b"FLUSHALL")


if __name__ == "__main__":
    harness.main()
