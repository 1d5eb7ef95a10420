#!/usr/bin/env python3
# WATCH invalidation compared with redis-server 7.0: seeded random (key state, write command)
# cases over every type, many of them writes that change nothing (SADD of a member already there,
# SREM of a missing one, ZADD of the same score, LPUSHX on a missing key, PERSIST without a TTL,
# PFADD of a counted element ...). For each case, on each server: client B builds the state,
# one watcher client per key WATCHes it, B runs the command, each watcher runs MULTI PING EXEC.
# B's reply and, per key, whether EXEC answered null must be the same on both servers (Redis
# signals a watched key only when a command really changed it, and some commands always).
# Also the CLIENT LIST / CLIENT INFO `d` flag (a client in MULTI whose watched key was touched).
import collections
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, assert_same, test  # noqa: E402

DAEMON_ARGS = ["--threads", "2"]
KEYS = ["k", "k2"]
MEMBERS = ["a", "b", "c", "1", "2"]
CASES_PER_RUN = 4000

# ---------------------------------------------------------------------------------------------
# Key states: the commands that build them.


def _pick(rng, pool, lo=1, hi=3):
    return rng.sample(pool, rng.randint(lo, hi))


def _state(rng, kind, key):
    if kind == "none":
        return []
    if kind == "int":
        return [["SET", key, str(rng.choice([0, 1, 10, -5]))]]
    if kind == "str":
        return [["SET", key, rng.choice(["abc", "hello", "a"])]]
    if kind == "strttl":
        return [["SET", key, "abc", "EX", "1000"]]
    if kind == "bits":
        return [["SETBIT", key, str(rng.choice([0, 1, 7, 9])), "1"]]
    if kind == "list":
        return [["RPUSH", key] + [rng.choice(MEMBERS) for _ in range(rng.randint(1, 4))]]
    if kind == "hash":
        out = ["HSET", key]
        for f in _pick(rng, ["f1", "f2", "f3"]):
            out += [f, rng.choice(["1", "a", "2"])]
        return [out]
    if kind == "set":
        pool = rng.choice([["1", "2", "3"], MEMBERS])
        return [["SADD", key] + _pick(rng, pool)]
    if kind == "zset":
        out = ["ZADD", key]
        for m in _pick(rng, MEMBERS):
            out += [str(rng.choice([0, 1, 2, 1.5])), m]
        return [out]
    if kind == "zlex":  # one score: lex ranges are defined only then
        return [["ZADD", key] + [x for mm in _pick(rng, MEMBERS) for x in ("0", mm)]]
    if kind == "geo":
        return [["GEOADD", key, "13.361389", "38.115556", "p1", "15.087269", "37.502669", "p2"]]
    if kind == "stream":
        cmds = [["XADD", key, "1-1", "f", "v"], ["XADD", key, "2-1", "f", "w"]]
        if rng.random() < 0.5:
            cmds.append(["XGROUP", "CREATE", key, "g", "0"])
            if rng.random() < 0.5:
                cmds.append(["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", key, ">"])
        return cmds
    if kind in ("hll", "hlldense"):
        cmds = [["PFADD", key] + _pick(rng, MEMBERS)]
        if kind == "hlldense":
            cmds.append(["PFDEBUG", "TODENSE", key])
        if rng.random() < 0.5:
            cmds.append(["PFCOUNT", key])  # caches the cardinality
        return cmds
    raise ValueError(kind)


KINDS = ["none", "int", "str", "strttl", "bits", "list", "hash", "set", "zset", "zlex", "geo",
         "stream", "hll", "hlldense"]

# ---------------------------------------------------------------------------------------------
# Commands: (kinds the key "k" is usually given, generator(rng) -> argv). k2 gets a random state
# of the same kinds or none.


def m(rng):
    return rng.choice(MEMBERS)


def ms(rng, lo=1, hi=3):
    return [m(rng) for _ in range(rng.randint(lo, hi))]


def idx(rng):
    return str(rng.choice([0, 1, -1, 2, 5, -5]))


def score(rng):
    return str(rng.choice([0, 1, 2, 1.5, -1]))


def fv(rng):
    out = []
    for _ in range(rng.randint(1, 2)):
        out += [rng.choice(["f1", "f2", "f3"]), rng.choice(["1", "a", "2"])]
    return out


STR = ["int", "str", "strttl", "bits", "none"]
LIST = ["list", "none"]
HASH = ["hash", "none"]
SET = ["set", "none"]
ZSET = ["zset", "none"]
STREAM = ["stream", "none"]
HLL = ["hll", "hlldense", "none"]
GEO = ["geo", "none"]
ANY = KINDS

GENERATORS = [
    # Strings.
    (STR, lambda r: ["SET", "k", r.choice(["abc", "10", "a"])] + r.choice(
        [[], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", "100"], ["XX", "GET"]])),
    (STR, lambda r: ["SETNX", "k", "abc"]),
    (STR, lambda r: ["SETEX", "k", "100", "abc"]),
    (STR, lambda r: ["GETSET", "k", r.choice(["abc", "10"])]),
    (STR, lambda r: ["GETDEL", "k"]),
    (STR, lambda r: ["GETEX", "k"] + r.choice([[], ["PERSIST"], ["EX", "100"], ["PX", "5000"]])),
    (STR, lambda r: ["APPEND", "k", r.choice(["", "x"])]),
    (STR, lambda r: ["SETRANGE", "k", r.choice(["0", "1", "5"]), r.choice(["", "b", "xyz"])]),
    (STR, lambda r: [r.choice(["INCR", "DECR"]), "k"]),
    (STR, lambda r: ["INCRBY", "k", r.choice(["0", "1", "-3"])]),
    (STR, lambda r: ["INCRBYFLOAT", "k", r.choice(["0", "1.5"])]),
    (STR, lambda r: ["MSET", "k", "1", "k2", r.choice(["1", "x"])]),
    (STR, lambda r: ["MSETNX", "k", "1", "k2", "2"]),
    (STR, lambda r: ["GET", "k"]),
    (STR, lambda r: ["STRLEN", "k"]),
    # Bitmaps.
    (STR, lambda r: ["SETBIT", "k", r.choice(["0", "1", "7", "9", "20"]), r.choice(["0", "1"])]),
    (STR, lambda r: ["BITFIELD", "k"] + r.choice([
        ["GET", "u4", "0"], ["SET", "u4", "0", r.choice(["0", "1", "15"])],
        ["INCRBY", "u4", "0", r.choice(["0", "1"])],
        ["OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"], ["SET", "i8", "100", "0"]])),
    (STR, lambda r: ["BITFIELD_RO", "k", "GET", "u4", "0"]),
    (STR, lambda r: ["BITOP", r.choice(["AND", "OR", "XOR"]), "k", "k2"]),
    (STR, lambda r: ["BITOP", "AND", "k", "nosuchkey"]),
    (STR, lambda r: ["BITOP", "NOT", "k2", "k"]),
    (STR, lambda r: ["BITCOUNT", "k"]),
    # Lists.
    (LIST, lambda r: [r.choice(["LPUSH", "RPUSH"]), "k"] + ms(r)),
    (LIST, lambda r: [r.choice(["LPUSHX", "RPUSHX"]), "k"] + ms(r)),
    (LIST, lambda r: [r.choice(["LPOP", "RPOP"]), "k"] + r.choice([[], ["0"], ["1"], ["10"]])),
    (LIST, lambda r: ["LINSERT", "k", r.choice(["BEFORE", "AFTER"]), m(r), "x"]),
    (LIST, lambda r: ["LSET", "k", idx(r), r.choice(["a", "x"])]),
    (LIST, lambda r: ["LREM", "k", r.choice(["0", "1", "-1"]), m(r)]),
    (LIST, lambda r: ["LTRIM", "k", idx(r), idx(r)]),
    (LIST, lambda r: ["LMOVE", "k", r.choice(["k", "k2"]), r.choice(["LEFT", "RIGHT"]),
                      r.choice(["LEFT", "RIGHT"])]),
    (LIST, lambda r: ["RPOPLPUSH", "k", "k2"]),
    (LIST, lambda r: ["LMPOP", "2", "k", "k2", r.choice(["LEFT", "RIGHT"])]),
    (LIST, lambda r: ["BLPOP", "k", "k2", "0.01"]),
    (LIST, lambda r: ["LRANGE", "k", "0", "-1"]),
    # Hashes.
    (HASH, lambda r: [r.choice(["HSET", "HMSET"]), "k"] + fv(r)),
    (HASH, lambda r: ["HSETNX", "k", r.choice(["f1", "f2", "f9"]), "a"]),
    (HASH, lambda r: ["HDEL", "k"] + _pick(r, ["f1", "f2", "f9"])),
    (HASH, lambda r: ["HINCRBY", "k", r.choice(["f1", "f9"]), r.choice(["0", "1"])]),
    (HASH, lambda r: ["HINCRBYFLOAT", "k", r.choice(["f1", "f9"]), r.choice(["0", "1.5"])]),
    (HASH, lambda r: ["HGET", "k", "f1"]),
    # Sets.
    (SET, lambda r: ["SADD", "k"] + ms(r)),
    (SET, lambda r: ["SREM", "k"] + ms(r)),
    (SET, lambda r: ["SMOVE", "k", r.choice(["k", "k2"]), m(r)]),
    (SET, lambda r: ["SPOP", "k"] + r.choice([[], ["0"], ["1"], ["10"]])),
    (SET, lambda r: [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), "k2", "k",
                     r.choice(["k", "k2", "nosuch"])]),
    (SET, lambda r: ["SINTERSTORE", "k", "nosuch"]),
    (SET, lambda r: ["SISMEMBER", "k", m(r)]),
    # Sorted sets.
    (ZSET, lambda r: ["ZADD", "k"] + r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"]])
     + [score(r), m(r)]),
    (ZSET, lambda r: ["ZADD", "k", "INCR", score(r), m(r)]),
    (ZSET, lambda r: ["ZINCRBY", "k", r.choice(["0", "1"]), m(r)]),
    (ZSET, lambda r: ["ZREM", "k"] + ms(r)),
    (ZSET, lambda r: ["ZREMRANGEBYRANK", "k", idx(r), idx(r)]),
    (ZSET, lambda r: ["ZREMRANGEBYSCORE", "k", score(r), score(r)]),
    (["zlex", "none"], lambda r: ["ZREMRANGEBYLEX", "k", "[" + m(r), "[" + m(r)]),
    (ZSET, lambda r: [r.choice(["ZPOPMIN", "ZPOPMAX"]), "k"] + r.choice([[], ["0"], ["2"]])),
    (ZSET, lambda r: ["ZMPOP", "2", "k", "k2", r.choice(["MIN", "MAX"])]),
    (ZSET, lambda r: [r.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), "k2", "2", "k",
                      r.choice(["k", "nosuch"])]),
    (ZSET, lambda r: ["ZRANGESTORE", "k2", "k", idx(r), idx(r)]),
    (ZSET, lambda r: ["ZSCORE", "k", m(r)]),
    # Geo.
    (GEO, lambda r: ["GEOADD", "k"] + r.choice([[], ["NX"], ["XX"], ["CH"]]) + r.choice(
        [["13.361389", "38.115556", "p1"], ["15.087269", "37.502669", "p2"], ["1", "1", "p3"]])),
    (GEO, lambda r: ["GEOSEARCHSTORE", "k2", "k", "FROMLONLAT", "15", "37", "BYRADIUS",
                     r.choice(["1", "200"]), "km"]),
    (GEO, lambda r: ["GEORADIUS", "k", "15", "37", r.choice(["1", "200"]), "km", "STORE", "k2"]),
    # HyperLogLogs.
    (HLL, lambda r: ["PFADD", "k"] + ms(r, 0, 3)),
    (HLL, lambda r: ["PFCOUNT", "k"]),
    (HLL, lambda r: ["PFCOUNT", "k", "k2"]),
    (HLL, lambda r: ["PFMERGE", r.choice(["k", "k2"]), "k"]),
    (HLL, lambda r: ["PFMERGE", "k"]),
    # Streams.
    (STREAM, lambda r: ["XADD", "k"] + r.choice([[], ["NOMKSTREAM"], ["MAXLEN", "1"]])
     + [r.choice(["3-1", "1-1", "0-1"]), "f", "v"]),
    (STREAM, lambda r: ["XDEL", "k", r.choice(["1-1", "2-1", "9-9"])]),
    (STREAM, lambda r: ["XTRIM", "k", "MAXLEN", r.choice(["0", "1", "5"])]),
    (STREAM, lambda r: ["XGROUP", "CREATE", "k", r.choice(["g", "h"]), "0"]
     + r.choice([[], ["MKSTREAM"]])),
    (STREAM, lambda r: ["XGROUP", "DESTROY", "k", r.choice(["g", "h"])]),
    (STREAM, lambda r: ["XGROUP", "SETID", "k", "g", r.choice(["0", "$"])]),
    (STREAM, lambda r: ["XGROUP", "CREATECONSUMER", "k", "g", r.choice(["c1", "c2"])]),
    (STREAM, lambda r: ["XGROUP", "DELCONSUMER", "k", "g", r.choice(["c1", "c2"])]),
    (STREAM, lambda r: ["XACK", "k", "g", r.choice(["1-1", "2-1"])]),
    (STREAM, lambda r: ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "k", r.choice([">", "0"])]),
    (STREAM, lambda r: ["XSETID", "k", r.choice(["2-1", "5-0"])]),
    (STREAM, lambda r: ["XLEN", "k"]),
    # Generic.
    (ANY, lambda r: [r.choice(["DEL", "UNLINK"]), "k"] + r.choice([[], ["k2"]])),
    (ANY, lambda r: [r.choice(["EXPIRE", "PEXPIRE"]), "k", r.choice(["100", "0", "-1"])]
     + r.choice([[], ["NX"], ["XX"], ["GT"], ["LT"]])),
    (ANY, lambda r: ["EXPIREAT", "k", r.choice(["1", "99999999999"])]),
    (ANY, lambda r: ["PERSIST", "k"]),
    (ANY, lambda r: [r.choice(["RENAME", "RENAMENX"]), "k", r.choice(["k", "k2"])]),
    (ANY, lambda r: ["COPY", "k", "k2"] + r.choice([[], ["REPLACE"]])),
    (ANY, lambda r: ["MOVE", "k", "1"]),
    (ANY, lambda r: ["TOUCH", "k"]),
    (ANY, lambda r: ["TYPE", "k"]),
    (ANY, lambda r: ["EXISTS", "k", "k2"]),
    (LIST + SET + ZSET, lambda r: ["SORT", "k", "ALPHA", "STORE", "k2"]),
    (LIST + SET + ZSET, lambda r: ["SORT", "k", "BY", "nosort", "ALPHA", "LIMIT", "0",
                                   r.choice(["0", "2"]), "STORE", "k2"]),
    (ANY, lambda r: ["COPY", "k", "k2", "DB", r.choice(["0", "1"])]),
    (ANY, lambda r: ["OBJECT", "ENCODING", "k"]),
    (ANY, lambda r: ["EXPIRETIME", "k"]),
    # More strings, lists, hashes, sets, sorted sets, geo and streams: reads that must never
    # signal, blocking forms, and the rarer writes.
    (STR, lambda r: ["DECRBY", "k", r.choice(["0", "2"])]),
    (STR, lambda r: ["PSETEX", "k", "100000", r.choice(["abc", "10"])]),
    (STR, lambda r: ["GETRANGE", "k", "0", "-1"]),
    (STR, lambda r: ["SET", "k", "v", "GET", "NX"]),
    (STR, lambda r: ["LCS", "k", "k2"]),
    (LIST, lambda r: ["LPOS", "k", m(r)]),
    (LIST, lambda r: ["LINDEX", "k", idx(r)]),
    (LIST, lambda r: ["BLMOVE", "k", "k2", "LEFT", "RIGHT", "0.01"]),
    (LIST, lambda r: ["BRPOPLPUSH", "k", "k", "0.01"]),
    (LIST, lambda r: ["LMPOP", "1", "k", "LEFT", "COUNT", r.choice(["1", "10"])]),
    (LIST, lambda r: ["BLMPOP", "0.01", "2", "k", "k2", "RIGHT"]),
    (LIST, lambda r: ["LSET", "k", "9", "x"]),
    (HASH, lambda r: ["HSTRLEN", "k", "f1"]),
    (HASH, lambda r: ["HRANDFIELD", "k", "-2"]),
    (HASH, lambda r: ["HGETALL", "k"]),
    (HASH, lambda r: ["HDEL", "k", "f1", "f2", "f3"]),
    (HASH, lambda r: ["HINCRBY", "k", "f1", "x"]),
    (SET, lambda r: ["SRANDMEMBER", "k", "-3"]),
    (SET, lambda r: ["SMISMEMBER", "k", m(r), m(r)]),
    (SET, lambda r: ["SINTERCARD", "2", "k", "k2"]),
    (SET, lambda r: ["SADD", "k"] + ms(r, 3, 8)),
    (SET, lambda r: ["SMOVE", "k2", "k", m(r)]),
    (ZSET, lambda r: [r.choice(["BZPOPMIN", "BZPOPMAX"]), "k", "k2", "0.01"]),
    (ZSET, lambda r: ["BZMPOP", "0.01", "1", "k", "MIN", "COUNT", "2"]),
    (ZSET, lambda r: ["ZINTERCARD", "2", "k", "k2"]),
    (ZSET, lambda r: ["ZRANGESTORE", "k2", "k", score(r), score(r), "BYSCORE"]),
    (ZSET, lambda r: ["ZRANGESTORE", "k", "k2", "0", "-1"]),
    (ZSET, lambda r: ["ZRANDMEMBER", "k", "-2"]),
    (ZSET, lambda r: ["ZADD", "k", "GT", "CH", score(r), m(r), score(r), m(r)]),
    (ZSET, lambda r: ["ZADD", "k", "XX", "INCR", "0", m(r)]),
    (GEO, lambda r: ["GEORADIUSBYMEMBER", "k", "p1", r.choice(["1", "300"]), "km", "STORE",
                     r.choice(["k", "k2"])]),
    (GEO, lambda r: ["GEOSEARCHSTORE", "k2", "k", "FROMMEMBER", "p2", "BYBOX", "400", "400", "km",
                     "STOREDIST"]),
    (GEO, lambda r: ["GEOSEARCH", "k", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"]),
    (GEO, lambda r: ["GEOPOS", "k", "p1"]),
    (STREAM, lambda r: ["XCLAIM", "k", "g", "c2", "0", r.choice(["1-1", "2-1", "9-9"])]
     + r.choice([[], ["JUSTID"]])),
    (STREAM, lambda r: ["XAUTOCLAIM", "k", "g", "c2", "0", "0-0"]),
    (STREAM, lambda r: ["XPENDING", "k", "g"]),
    (STREAM, lambda r: ["XINFO", "GROUPS", "k"]),
    (STREAM, lambda r: ["XTRIM", "k", "MINID", r.choice(["0", "2-0", "9-0"])]),
    (STREAM, lambda r: ["XDEL", "k", "1-1", "2-1"]),
    (STREAM, lambda r: ["XREAD", "COUNT", "1", "STREAMS", "k", "0"]),
    (HLL, lambda r: ["PFADD", "k"] + ms(r, 2, 5)),
    (HLL, lambda r: ["PFDEBUG", "ENCODING", "k"]),
]

# Commands whose reply is random, or (OBJECT ENCODING) differs by design (small string sets are
# listpacks here, as in Redis 7.2): only the reply's type is compared.
RANDOM_REPLY = {"SPOP", "SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "OBJECT"}


def gen_case(rng):
    kinds, gen = rng.choice(GENERATORS)
    kind = rng.choice(kinds) if rng.random() < 0.85 else rng.choice(KINDS)
    kind2 = rng.choice(kinds + ["none", "none"]) if rng.random() < 0.85 else rng.choice(KINDS)
    if kinds[0] == "zlex":  # lex ranges over mixed scores are unspecified: one score only
        kind, kind2 = ("zlex" if x == "zset" else x for x in (kind, kind2))
    setup = _state(rng, kind, "k") + _state(rng, kind2, "k2")
    return setup, gen(rng)


def play(conns, setup, cmd):
    """conns: (b, watcher per key). Returns (B's reply, EXEC replies of the watchers)."""
    b, watchers = conns
    b.pipeline([["FLUSHALL"]] + setup)
    for w, key in zip(watchers, KEYS):
        w.cmd("WATCH", key)
    reply = b.cmd(*cmd)
    execs = [w.pipeline([["MULTI"], ["PING"], ["EXEC"]])[2] for w in watchers]
    return reply, execs


def aborted(exec_reply):
    return exec_reply in (b"*-1\r\n", b"_\r\n")


def run_fuzz(opts, cases, label):
    seed = opts.seed
    print(f"  {label}: seed {seed} (rerun with --seed {seed}), {cases} cases", flush=True)
    rng = random.Random(seed)
    plan = [gen_case(rng) for _ in range(cases)]
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        sides = []
        for port in (ref.port, dut.port):
            b = RawConn(port)
            sides.append((b, [RawConn(port) for _ in KEYS]))
        mismatches = collections.Counter()
        shown = 0
        outcomes = collections.Counter()
        try:
            for i, (setup, cmd) in enumerate(plan):
                if i % 4 == 3:  # B speaks RESP3 now and then
                    for b, _ in sides:
                        b.cmd("HELLO", "3")
                r_reply, r_exec = play(sides[0], setup, cmd)
                d_reply, d_exec = play(sides[1], setup, cmd)
                if i % 4 == 3:
                    for b, _ in sides:
                        b.cmd("HELLO", "2")
                name = cmd[0].upper()
                if name in RANDOM_REPLY:
                    same = r_reply[:1] == d_reply[:1]
                else:
                    same = r_reply == d_reply
                r_ab = [aborted(x) for x in r_exec]
                d_ab = [aborted(x) for x in d_exec]
                outcomes[tuple(r_ab)] += 1
                if not same or r_ab != d_ab:
                    mismatches[name] += 1
                    if shown < 30:
                        shown += 1
                        print(f"  MISMATCH case {i}: setup {setup} cmd {cmd}\n"
                              f"    redis : {r_reply!r} aborted {r_ab}\n"
                              f"    aegisr: {d_reply!r} aborted {d_ab}")
        finally:
            for b, ws in sides:
                b.close()
                for w in ws:
                    w.close()
    print(f"  {label}: outcomes (k aborted, k2 aborted) in redis: {dict(outcomes)}")
    if mismatches:
        print(f"  {label}: mismatches by command: {dict(mismatches.most_common())}")
    # The cases must exercise both outcomes for both keys.
    assert outcomes[(True, False)] and outcomes[(False, False)] and outcomes[(True, True)]
    assert not mismatches, f"{sum(mismatches.values())} of {cases} cases differed"


@test
def test_watch_invalidation_fuzz(opts):
    run_fuzz(opts, int(os.environ.get("AEGISR_WATCH_CASES", CASES_PER_RUN)), "watch fuzz")


# ---------------------------------------------------------------------------------------------
# CLIENT LIST / CLIENT INFO flags of a client in MULTI whose watched key is touched.


def dirty_flag_scenario(port):
    with RawConn(port) as a, RawConn(port) as b:
        a.cmd("CLIENT", "SETNAME", "txn")

        def flags_of_a():
            listing = b.cmd("CLIENT", "LIST").decode().split("\r\n", 1)[1]
            me = [ln for ln in listing.split("\n") if " name=txn " in ln][0]
            return [f for f in me.split() if f.startswith("flags=")]

        def own_flags():
            info = a.cmd("CLIENT", "INFO").decode().split("\r\n", 1)[1]
            return [f for f in info.split() if f.startswith("flags=")]

        out = [b.cmd("SET", "w", "1"), a.cmd("WATCH", "w"), flags_of_a(), own_flags()]
        out.append(a.cmd("MULTI"))
        out += [flags_of_a(), b.cmd("SADD", "x", "1"), flags_of_a()]
        out += [b.cmd("SET", "w", "2"), flags_of_a(), a.cmd("PING"), own_flags()]
        out.append(a.cmd("EXEC"))
        out.append(flags_of_a())
        # Touched before MULTI: the flag shows once MULTI starts.
        out += [a.cmd("WATCH", "w"), b.cmd("DEL", "w"), flags_of_a(), own_flags(),
                a.cmd("MULTI"), flags_of_a(), own_flags(), a.cmd("DISCARD"), flags_of_a()]
        # A no-op write leaves it clear.
        out += [b.cmd("SADD", "s", "m"), a.cmd("WATCH", "s"), a.cmd("MULTI"),
                b.cmd("SADD", "s", "m"), flags_of_a(), a.cmd("EXEC")]
        # UNWATCH and RESET clear it.
        out += [a.cmd("WATCH", "s"), b.cmd("SREM", "s", "m"), flags_of_a(), a.cmd("UNWATCH"),
                flags_of_a(), a.cmd("WATCH", "s"), b.cmd("SADD", "s", "m"), flags_of_a(),
                a.cmd("RESET"), a.cmd("CLIENT", "SETNAME", "txn"), flags_of_a()]
        return out


@test
def test_client_list_dirty_flag_matches_redis(opts):
    ref, dut = harness.on_both_servers(opts, dirty_flag_scenario, DAEMON_ARGS)
    assert_same("CLIENT LIST / CLIENT INFO flags", ref, dut)
    assert any("flags=d" in str(x) or "flags=xd" in str(x) for x in ref), ref


# SETBIT and BITFIELD raise their keyspace event under the same condition as they signal
# watchers: only when a bit changed or the string was created or grew.
def bit_events_scenario(port):
    with RawConn(port) as a, RawConn(port) as sub:
        a.cmd("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub.cmd("PSUBSCRIBE", "__keyevent@0__:*")
        for c in [["SET", "k", "a"], ["SETBIT", "k", "1", "1"], ["SETBIT", "k", "1", "0"],
                  ["BITFIELD", "k", "SET", "u8", "0", "61"],
                  ["BITFIELD", "k", "SET", "u8", "0", "61"],
                  ["BITFIELD", "k", "INCRBY", "u8", "0", "0"],
                  ["BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"],
                  ["SETBIT", "k", "100", "0"], ["SETBIT", "k", "100", "0"]]:
            a.cmd(*c)
        a.cmd("PUBLISH", "end", "x")
        return sub.read_until_idle(0.3, 2)[0]


@test
def test_bit_writes_notify_only_changes_as_redis(opts):
    ref, dut = harness.on_both_servers(opts, bit_events_scenario, DAEMON_ARGS)
    assert_same("keyspace events of SETBIT and BITFIELD", ref, dut)
    assert ref.count(b"__keyevent@0__:setbit") == 3, ref


if __name__ == "__main__":
    harness.main()
