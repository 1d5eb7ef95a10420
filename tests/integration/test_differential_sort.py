#!/usr/bin/env python3
# Differential test of SORT and SORT_RO against redis-server 7.0: random lists, sets and sorted
# sets (the types the server under test supports), sorted numerically and ALPHA, ASC/DESC, with
# LIMIT, BY patterns over string keys and hash fields, GET patterns (# and key->field), STORE;
# plus edge sequences (errors, WRONGTYPE, missing keys, BY without '*', non-numeric values).
# Replies compared byte for byte, except where Redis's own order is arbitrary (a set that is not
# sorted; ALPHA ties under BY): there as multisets.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

# Redis compares ALPHA with strcoll in its locale: the C locale is what Aegisr does.
os.environ["LC_ALL"] = "C"

NUMBERS = [b"1", b"2", b"3", b"10", b"-1", b"0", b"2.5", b"1e3", b"-0.5", b"007", b"42",
           b"3.14", b"100", b"9", b"11"]
WORDS = [b"apple", b"Banana", b"cherry", b"date", b"apple2", b"b", b"a", b"zeta", b"Zulu",
         b"mango", b"10", b"2"]


def setup(d, rng, types, numeric):
    """Fills src (list), s (set), z (zset) with distinct values, and weight_/data_ strings and
    h_ hashes for the patterns."""
    pool = NUMBERS if numeric else WORDS
    vals = rng.sample(pool, rng.randint(0, len(pool)))
    if vals:
        d.check(b"RPUSH", b"src", *vals)
        if "set" in types:
            d.check(b"SADD", b"s", *vals)
        if "zset" in types:
            z = []
            for i, v in enumerate(vals):
                z += [b"%d" % rng.randint(0, 5), v]
            d.check(b"ZADD", b"z", *z)
    weights = rng.sample(range(1000), len(pool))  # distinct: no ties under BY
    for v, w in zip(pool, weights):
        if rng.random() < 0.8:
            d.check(b"SET", b"weight_" + v, b"%d" % w)
        d.check(b"SET", b"data_" + v, b"data-of-" + v)
        if "hash" in types and rng.random() < 0.8:
            d.check(b"HSET", b"h_" + v, b"w", b"%d" % w, b"name", b"n-" + v)
    return vals


def gen_sort(rng, key, numeric, types):
    cmd = [rng.choice([b"SORT", b"SORT_RO", b"sort"]), key]
    alpha = not numeric or rng.random() < 0.3
    by = None
    if rng.random() < 0.4:
        by = rng.choice([b"weight_*", b"nosort", b"missing_*"] +
                        ([b"h_*->w"] if "hash" in types else []))
        cmd += [b"BY", by]
    # ALPHA by a pattern that some elements lack gives equal keys, left in qsort's order by
    # Redis: compared as a multiset, so without LIMIT (which would cut at an arbitrary place).
    alpha_by_pattern = alpha and by is not None and b"*" in by
    set_unsorted = key == b"s" and by == b"nosort"  # the set's own order: arbitrary
    if rng.random() < 0.4 and not alpha_by_pattern and not set_unsorted:
        cmd += [b"LIMIT", rng.choice([b"0", b"1", b"3", b"-1", b"100"]),
                rng.choice([b"0", b"1", b"2", b"5", b"-1", b"-5"])]
    for _ in range(rng.choice([0, 0, 1, 2])):
        cmd += [b"GET", rng.choice([b"#", b"data_*", b"nokey_*", b"weight_*"] +
                                   ([b"h_*->name", b"h_*->nofield"] if "hash" in types else []))]
    if rng.random() < 0.5:
        cmd.append(rng.choice([b"ASC", b"DESC", b"desc"]))
    if alpha:
        cmd.append(b"ALPHA")
    store = cmd[0] != b"SORT_RO" and rng.random() < 0.3
    if store:
        cmd += [b"STORE", b"dst"]
    # Orders Redis leaves arbitrary: a set not sorted (BY without '*', not stored); ALPHA by a
    # pattern that is missing for several elements (equal keys, qsort's order).
    unsorted = (key == b"s" and by == b"nosort" and not store) or alpha_by_pattern
    return cmd, store, unsorted


def play_sort(d, rng, types):
    numeric = rng.random() < 0.6
    setup(d, rng, types, numeric)
    keys = [b"src", b"missing"] + ([b"s"] if "set" in types else []) + \
        ([b"z"] if "zset" in types else [])
    for _ in range(40):
        cmd, store, unsorted = gen_sort(rng, rng.choice(keys), numeric, types)
        if unsorted and store:
            continue
        d.check(*cmd, mode="sorted" if unsorted else "exact")
        if store:
            d.check(b"LRANGE", b"dst", b"0", b"-1")
            d.check(b"EXISTS", b"dst")


@test
def test_sort_random(opts):
    harness.run_rounds(opts, "sort", play_sort, rounds=60, budget_s=20.0)


EDGE_SEQUENCES = [
    # Errors: syntax, LIMIT numbers, STORE in SORT_RO, wrong type, non-numeric values.
    [[b"RPUSH", b"l", b"3", b"1", b"2"], [b"SORT", b"l", b"LIMIT", b"0"],
     [b"SORT", b"l", b"LIMIT", b"a", b"1"], [b"SORT", b"l", b"BOGUS"],
     [b"SORT_RO", b"l", b"STORE", b"d"], [b"SORT", b"l", b"BY"], [b"SORT", b"l", b"GET"],
     [b"SET", b"str", b"x"], [b"SORT", b"str"], [b"SORT", b"missing"],
     [b"SORT", b"missing", b"STORE", b"d"], [b"EXISTS", b"d"],
     [b"RPUSH", b"w", b"1", b"x", b"2"], [b"SORT", b"w"], [b"SORT", b"w", b"ALPHA"],
     [b"SORT", b"w", b"STORE", b"d"], [b"EXISTS", b"d"], [b"SORT"]],
    # Numbers: ties broken by the element, "" and spaces, inf, big values.
    [[b"RPUSH", b"n", b"2", b"02", b"2.0", b" 3", b"inf", b"-inf", b"1e308", b"-0", b"0"],
     [b"SORT", b"n"], [b"SORT", b"n", b"DESC"], [b"SORT", b"n", b"LIMIT", b"2", b"3"],
     [b"RPUSH", b"e", b""], [b"SORT", b"e"], [b"RPUSH", b"bad", b"1", b"nan"], [b"SORT", b"bad"],
     [b"RPUSH", b"big", b"1e400"], [b"SORT", b"big"]],
    # BY without '*' keeps the list order (DESC reverses it), LIMIT slices it; STORE replaces
    # the destination whatever its type and deletes it when empty.
    [[b"RPUSH", b"l", b"c", b"a", b"b"], [b"SORT", b"l", b"BY", b"nosort"],
     [b"SORT", b"l", b"BY", b"nosort", b"DESC", b"LIMIT", b"1", b"5"],
     [b"SET", b"d", b"string"], [b"SORT", b"l", b"ALPHA", b"STORE", b"d"], [b"TYPE", b"d"],
     [b"LRANGE", b"d", b"0", b"-1"], [b"SORT", b"l", b"LIMIT", b"5", b"1", b"STORE", b"d"],
     [b"EXISTS", b"d"], [b"SORT", b"l", b"ALPHA", b"GET", b"#", b"GET", b"v_*", b"STORE", b"d"],
     [b"LRANGE", b"d", b"0", b"-1"], [b"SORT", b"l", b"STORE", b"l", b"ALPHA"],
     [b"LRANGE", b"l", b"0", b"-1"]],
    # Patterns: a value of another type does not count, '#' alone, the element in the middle.
    [[b"RPUSH", b"l", b"1", b"2", b"3"], [b"SET", b"w_1", b"30"], [b"RPUSH", b"w_2", b"x"],
     [b"SET", b"w_3", b"10"], [b"SET", b"k1x", b"one"], [b"SORT", b"l", b"BY", b"w_*"],
     [b"SORT", b"l", b"BY", b"w_*", b"GET", b"k*x", b"GET", b"#", b"GET", b"##"],
     [b"SORT", b"l", b"BY", b"w_*", b"LIMIT", b"-5", b"2"], [b"SORT", b"l", b"GET", b"w_*"]],
]


@test
def test_sort_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


if __name__ == "__main__":
    harness.main()
