#!/usr/bin/env python3
# Transactions (MULTI EXEC DISCARD WATCH UNWATCH): replies compared with redis-server byte for
# byte in RESP2 and RESP3 (queue-time errors and EXECABORT, runtime errors inside EXEC, nesting,
# blocking commands inside MULTI, WATCH invalidated by other clients' writes, expiry, FLUSHDB,
# FLUSHALL, SWAPDB); and, on 4 loop threads, concurrency tests: optimistic WATCH increments
# lose no update, and MULTI transfers between keys in many shards are never seen half done.
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, assert_same, test  # noqa: E402

DAEMON_ARGS = ["--threads", "4"]

SEQUENCES = [
    # Nesting and the control commands outside MULTI.
    [["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["WATCH", "x"], ["EXEC"]],
    [["MULTI"], ["DISCARD"], ["DISCARD"], ["EXEC"], ["UNWATCH"], ["UNWATCH"]],
    # Queue-time errors flag the transaction: unknown command, arity, unknown subcommand,
    # commands not allowed in MULTI.
    [["MULTI"], ["SET", "a", "1"], ["NOSUCHCMD", "x"], ["INCR", "a"], ["EXEC"], ["GET", "a"]],
    [["MULTI"], ["GET"], ["EXEC"], ["EXISTS", "a"]],
    [["MULTI"], ["CONFIG", "NOSUCH"], ["SET", "a", "1"], ["EXEC"], ["EXISTS", "a"]],
    [["MULTI"], ["SET", "a", "1"], ["SHUTDOWN"], ["EXEC"], ["EXISTS", "a"]],
    [["MULTI"], ["EXEC", "extra"], ["EXEC"]],
    [["MULTI"], ["SET", "a", "1"], ["DISCARD", "x"], ["EXEC"], ["EXISTS", "a"]],
    # Runtime errors are returned in the array and roll nothing back.
    [["MULTI"], ["SET", "a", "x"], ["INCR", "a"], ["LPUSH", "a", "1"], ["SET", "b", "2"],
     ["INCRBY", "b", "3"], ["EXEC"], ["MGET", "a", "b"]],
    [["MULTI"], ["RPUSH", "l", "1", "2"], ["LPOP", "l"], ["HSET", "h", "f", "v"],
     ["HGETALL", "h"], ["ZADD", "z", "1", "m"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
     ["EXEC"]],
    # Empty transaction; DISCARD drops what was queued.
    [["MULTI"], ["EXEC"], ["MULTI"], ["SET", "d", "1"], ["DISCARD"], ["EXISTS", "d"]],
    # Blocking commands inside MULTI do not block.
    [["MULTI"], ["BLPOP", "nolist", "0"], ["BRPOP", "nolist", "1"],
     ["BLMOVE", "nolist", "x", "LEFT", "LEFT", "0"], ["BZPOPMIN", "noz", "0"],
     ["BLMPOP", "0", "1", "nolist", "LEFT"], ["XREAD", "BLOCK", "0", "STREAMS", "nos", "$"],
     ["EXEC"]],
    [["RPUSH", "full", "a", "b"], ["MULTI"], ["BLPOP", "full", "0"], ["BRPOP", "full", "0"],
     ["BLPOP", "full", "0"], ["EXEC"]],
    # Commands with keys not known up front, SELECT, keyless commands.
    [["MSET", "k1", "1", "k2", "2", "k3", "3"], ["MULTI"], ["KEYS", "k1*"], ["DBSIZE"],
     ["SELECT", "1"], ["SET", "k1", "other"], ["SELECT", "0"], ["PING"], ["ECHO", "e"],
     ["EXEC"], ["GET", "k1"]],
    [["MULTI"], ["SET", "s1", "1"], ["FLUSHDB"], ["SET", "s2", "2"], ["EXEC"], ["KEYS", "*"]],
    [["RPUSH", "srt", "3", "1", "2"], ["MSET", "w_1", "9", "w_2", "8", "w_3", "7"], ["MULTI"],
     ["SORT_RO", "srt", "BY", "w_*"], ["SORT", "srt", "STORE", "o"],
     ["ZUNIONSTORE", "zu", "1", "z"], ["LRANGE", "o", "0", "-1"], ["EXEC"]],
    # WATCH on the client's own changes, UNWATCH, and watching twice.
    [["SET", "w", "1"], ["WATCH", "w"], ["SET", "w", "2"], ["MULTI"], ["GET", "w"], ["EXEC"]],
    [["SET", "w", "1"], ["WATCH", "w"], ["UNWATCH"], ["SET", "w", "2"], ["MULTI"], ["GET", "w"],
     ["EXEC"]],
    [["WATCH", "w", "w", "v"], ["WATCH", "w"], ["MULTI"], ["INCR", "w"], ["EXEC"],
     ["MULTI"], ["INCR", "w"], ["EXEC"]],
    [["WATCH", "w"], ["GET", "w"], ["EXISTS", "w"], ["MULTI"], ["PING"], ["EXEC"]],
    # A watched key that does not exist and stays so; FLUSHDB of other keys.
    [["WATCH", "nokey"], ["SET", "other", "1"], ["FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"]],
    [["SET", "fk", "1"], ["WATCH", "fk"], ["FLUSHDB"], ["MULTI"], ["PING"], ["EXEC"]],
    [["SET", "fk", "1"], ["WATCH", "fk"], ["FLUSHALL"], ["MULTI"], ["PING"], ["EXEC"]],
    [["SELECT", "1"], ["SET", "sw", "1"], ["SELECT", "0"], ["WATCH", "sw"], ["SWAPDB", "0", "1"],
     ["MULTI"], ["PING"], ["EXEC"], ["SWAPDB", "0", "1"], ["FLUSHALL"]],
    [["WATCH", "nokey2"], ["SWAPDB", "0", "2"], ["MULTI"], ["PING"], ["EXEC"]],
    # WATCH inside MULTI, then EXEC still runs.
    [["MULTI"], ["WATCH", "x"], ["SET", "x", "1"], ["EXEC"]],
    # RESET inside MULTI discards.
    [["MULTI"], ["SET", "r", "1"], ["RESET"], ["EXEC"], ["EXISTS", "r"]],
]


@test
def test_transactions_match_redis(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        for proto in (2, 3):
            d = harness.Differential(ref.port, dut.port, label=f" RESP{proto}")
            d.check("HELLO", str(proto), mode="type")
            for seq in SEQUENCES:
                d.check("FLUSHALL")
                for c in seq:
                    d.check(*c)
                d.check("RESET", mode="type")
                d.check("HELLO", str(proto), mode="type")
            d.close()
            assert d.mismatches == 0, f"{d.mismatches} mismatches of {d.commands} (RESP{proto})"


def watch_scenario(port, setup, change, proto=2):
    """Client A watches w (after setup); client B runs change; A's EXEC reply and w's value."""
    with RawConn(port) as a, RawConn(port) as b:
        a.cmd("HELLO", str(proto))
        a.cmd("FLUSHALL")
        for c in setup:
            a.cmd(*c)
        out = [a.cmd("WATCH", "w", "other")]
        for c in change:
            if c[0] == "SLEEP":
                time.sleep(float(c[1]))
            else:
                out.append(b.cmd(*c))
        out += [a.cmd("MULTI"), a.cmd("SET", "w", "from-a"), a.cmd("EXEC")]
        out.append(a.cmd("GET", "w"))
        return out


# Writes that change nothing (SADD of a member already there, SREM of a missing one, ZADD of the
# same score, SETBIT to the bit it holds) leave the watch alone, as in Redis; a few here, and
# every type in test_watch_differential.py's fuzz.
WATCH_CASES = [
    ("sadd of a member already there", [["SADD", "w", "a"]], [["SADD", "w", "a"]]),
    ("srem of a missing member", [["SADD", "w", "a"]], [["SREM", "w", "b"]]),
    ("zadd of the same score", [["ZADD", "w", "1", "a"]], [["ZADD", "w", "1", "a"]]),
    ("setbit to the bit it holds", [["SET", "w", "a"]], [["SETBIT", "w", "1", "1"]]),
    ("lpushx of a missing key", [], [["LPUSHX", "w", "a"]]),
    ("set by another client", [["SET", "w", "1"]], [["SET", "w", "2"]]),
    ("same value set again", [["SET", "w", "1"]], [["SET", "w", "1"]]),
    ("deleted", [["SET", "w", "1"]], [["DEL", "w"]]),
    ("delete of a missing key", [], [["DEL", "w"]]),
    ("created", [], [["SET", "w", "new"]]),
    ("expire set", [["SET", "w", "1"]], [["EXPIRE", "w", "100"]]),
    ("other key changed", [["SET", "w", "1"]], [["SET", "x", "2"], ["DEL", "y"]]),
    ("changed in another db", [["SET", "w", "1"]], [["SELECT", "1"], ["SET", "w", "2"]]),
    ("expired meanwhile", [["PSETEX", "w", "100", "1"]], [["SLEEP", "0.25"]]),
    ("expired and read", [["PSETEX", "w", "100", "1"]], [["SLEEP", "0.25"], ["GET", "w"]]),
    ("flushdb", [["SET", "w", "1"]], [["FLUSHDB"]]),
    ("flushall", [["SET", "w", "1"]], [["FLUSHALL"]]),
    ("flushdb, key missing", [], [["SET", "z", "1"], ["FLUSHDB"]]),
    ("swapdb, key only in the other db", [], [["SELECT", "1"], ["SET", "w", "9"],
                                              ["SWAPDB", "0", "1"]]),
    ("swapdb of other dbs", [["SET", "w", "1"]], [["SWAPDB", "2", "3"]]),
    ("list push", [["RPUSH", "w", "a"]], [["RPUSH", "w", "b"]]),
    ("rename onto it", [["SET", "w", "1"], ["SET", "src", "2"]], [["RENAME", "src", "w"]]),
    ("renamed away", [["SET", "w", "1"]], [["RENAME", "w", "dst"]]),
    ("incr of another", [["SET", "w", "1"]], [["INCR", "w2"]]),
    ("incr in place", [["SET", "w", "1"]], [["INCR", "w"]]),
    ("incrby in place", [["SET", "w", "10"]], [["INCRBY", "w", "5"], ["DECR", "w"]]),
    ("incrbyfloat", [["SET", "w", "10"]], [["INCRBYFLOAT", "w", "0.5"]]),
    ("append", [["SET", "w", "a"]], [["APPEND", "w", "b"]]),
    ("setrange", [["SET", "w", "abc"]], [["SETRANGE", "w", "1", "x"]]),
    ("hash field", [["HSET", "w", "f", "1"]], [["HINCRBY", "w", "f", "1"]]),
    ("set member", [["SADD", "w", "a"]], [["SADD", "w", "b"]]),
    ("zset score", [["ZADD", "w", "1", "a"]], [["ZINCRBY", "w", "1", "a"]]),
    ("stream", [["XADD", "w", "1-1", "f", "v"]], [["XADD", "w", "2-1", "f", "v"]]),
    ("persist", [["SET", "w", "1", "EX", "100"]], [["PERSIST", "w"]]),
    ("setbit", [["SET", "w", "a"]], [["SETBIT", "w", "0", "1"]]),
    ("pfadd", [["PFADD", "w", "a"]], [["PFADD", "w", "b"]]),
    ("lset", [["RPUSH", "w", "a"]], [["LSET", "w", "0", "b"]]),
]


@test
def test_watch_invalidation_matches_redis(opts):
    def run(port):
        out = []
        for proto in (2, 3):
            for name, setup, change in WATCH_CASES:
                got = watch_scenario(port, setup, change, proto)
                out.append((name, proto, got))
        return out

    ref, dut = harness.on_both_servers(opts, run, DAEMON_ARGS)
    for (name, proto, r), (_, _, d) in zip(ref, dut):
        assert_same(f"WATCH case '{name}' RESP{proto}", r, d)
    # The scenarios must exercise both outcomes.
    execs = [r[-2] for _, _, r in ref]
    assert b"*-1\r\n" in execs and b"_\r\n" in execs and b"*1\r\n+OK\r\n" in execs


def client_list_scenario(port):
    with RawConn(port) as a, RawConn(port) as b:
        out = [a.cmd("CLIENT", "SETNAME", "txn")]

        def fields():
            line = b.cmd("CLIENT", "LIST").decode().split("\r\n", 1)[1]
            me = [ln for ln in line.split("\n") if " name=txn " in ln][0]
            return [f for f in me.split() if f.startswith(("flags=", "multi="))]

        out.append(fields())
        a.cmd("MULTI")
        out.append(fields())
        a.cmd("SET", "x", "1")
        a.cmd("GET", "x")
        out.append(fields())
        out.append(a.cmd("EXEC"))
        out.append(fields())
        return out


@test
def test_client_list_shows_multi(opts):
    ref, dut = harness.on_both_servers(opts, client_list_scenario, DAEMON_ARGS)
    assert_same("CLIENT LIST flags and multi=", ref, dut)


def run_threads(targets):
    errors = []

    def wrap(fn):
        def go():
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - reported to the main thread
                errors.append(repr(e))
        return go

    ts = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors[:3]


def run_writers_then_readers(writer, n_writers, reader, n_readers, stop):
    """Runs writer(i) and reader(i) threads; once every writer is done, sets stop so the readers
    (which loop until stop) finish. The first error in any thread sets stop too, and is raised
    here."""
    errors = []

    def guarded(fn, i):
        try:
            fn(i)
        except Exception as e:  # noqa: BLE001 - reported to the main thread
            errors.append(repr(e))
            stop.set()

    ws = [threading.Thread(target=guarded, args=(writer, i)) for i in range(n_writers)]
    rs = [threading.Thread(target=guarded, args=(reader, i)) for i in range(n_readers)]
    for t in ws + rs:
        t.start()
    for t in ws:
        t.join()
    stop.set()
    for t in rs:
        t.join()
    assert not errors, errors[:3]


@test
def test_watch_increments_lose_no_update(opts):
    # Keys spread over shards; 8 clients each do optimistic increments (WATCH, GET, MULTI, SET,
    # EXEC) on random keys and count the EXECs that succeeded. Every success must show.
    keys = [f"counter:{i}" for i in range(6)]
    per_client = 300
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        successes = [dict.fromkeys(keys, 0) for _ in range(8)]
        aborted = [0]

        def client(i):
            rng = random.Random(opts.seed + i)
            with RawConn(dut.port) as c:
                for _ in range(per_client):
                    k = rng.choice(keys)
                    c.cmd("WATCH", k)
                    raw = c.cmd("GET", k)
                    v = 0 if raw == b"$-1\r\n" else int(raw.split(b"\r\n")[1])
                    replies = c.pipeline([["MULTI"], ["SET", k, str(v + 1)], ["EXEC"]])
                    if replies[2] == b"*1\r\n+OK\r\n":
                        successes[i][k] += 1
                    else:
                        assert replies[2] == b"*-1\r\n", replies
                        aborted[0] += 1

        run_threads([lambda i=i: client(i) for i in range(8)])
        with RawConn(dut.port) as c:
            for k in keys:
                raw = c.cmd("GET", k)
                got = 0 if raw == b"$-1\r\n" else int(raw.split(b"\r\n")[1])
                want = sum(s[k] for s in successes)
                assert got == want, f"{k}: value {got}, successful EXECs {want}"
        assert aborted[0] > 0, "no EXEC was ever aborted: the test did not race"


@test
def test_multi_transfers_are_never_seen_half_done(opts):
    # 16 accounts in different shards, sum 16000. Writers move random amounts between random
    # pairs inside MULTI; readers check the sum with MGET and with a MULTI of GETs.
    accounts = [f"acct:{i}" for i in range(16)]
    total = 1000 * len(accounts)
    stop = threading.Event()
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        with RawConn(dut.port) as c:
            args = ["MSET"]
            for a in accounts:
                args += [a, "1000"]
            c.cmd(*args)
        checks = [0]

        def writer(i):
            rng = random.Random(opts.seed * 7 + i)
            with RawConn(dut.port) as c:
                for _ in range(150):
                    # 20 moves per transaction: a long enough window for a reader to fall in,
                    # were the transaction not atomic.
                    cmds = [["MULTI"]]
                    for _ in range(20):
                        a, b = rng.sample(accounts, 2)
                        n = str(rng.randint(1, 50))
                        cmds += [["DECRBY", a, n], ["INCRBY", b, n]]
                    r = c.pipeline(cmds + [["EXEC"]])
                    assert r[-1].startswith(b"*40\r\n:"), r[-1]

        def parse_ints(raw):
            return [int(x[1:]) if x.startswith(b":") else int(x)
                    for x in raw.split(b"\r\n")[1:] if x and not x.startswith((b"$", b"*"))]

        def reader(i):
            with RawConn(dut.port) as c:
                while not stop.is_set():
                    s = sum(parse_ints(c.cmd("MGET", *accounts)))
                    assert s == total, f"MGET saw sum {s}"
                    r = c.pipeline([["MULTI"]] + [["GET", a] for a in accounts] + [["EXEC"]])
                    s = sum(parse_ints(r[-1]))
                    assert s == total, f"MULTI saw sum {s}"
                    checks[0] += 2

        run_writers_then_readers(writer, 6, reader, 3, stop)
        assert checks[0] > 20, f"readers checked only {checks[0]} times"
        with RawConn(dut.port) as c:
            assert sum(parse_ints(c.cmd("MGET", *accounts))) == total


def scenario_exec_serves_waiters(port):
    """A client blocked in BLPOP is served by a push inside another client's EXEC, after the
    transaction, as Redis serves it."""
    with RawConn(port) as w, RawConn(port) as p:
        w.send_cmd("BLPOP", "q", "0")
        harness.wait_blocked(port, 1)
        out = p.pipeline([["MULTI"], ["RPUSH", "q", "a", "b"], ["LLEN", "q"], ["EXEC"]])
        out.append(w.read_reply())
        out.append(p.cmd("LRANGE", "q", "0", "-1"))
        return out


@test
def test_exec_serves_blocked_clients_afterwards(opts):
    ref, dut = harness.on_both_servers(opts, scenario_exec_serves_waiters, DAEMON_ARGS)
    assert_same("BLPOP served by a push inside EXEC", ref, dut)
    assert ref[3] == b"*2\r\n:2\r\n:2\r\n", ref


@test
def test_exec_reads_values_back_from_the_disk_tier(opts):
    # Values offloaded under maxmemory come back for the queued commands, byte-exact, and a
    # WATCH of a key on disk is not invalidated by reading it back.
    import shutil
    import tempfile

    from values import fill, value_of
    import redis  # Debian's python3-redis

    n = 40000
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, DAEMON_ARGS + ["--maxmemory", "16mb",
                                                              "--tier-dir", td]) as d:
            r = redis.Redis(host="127.0.0.1", port=d.port, socket_timeout=30)
            fill(r, 0, n)
            assert r.info("tier")["tier_disk_keys"] > n // 4
            rng = random.Random(opts.seed)
            with RawConn(d.port) as c:
                for _ in range(20):
                    ids = rng.sample(range(n), 8)
                    c.cmd("WATCH", "key:%d" % ids[0])
                    c.cmd("GET", "key:%d" % ids[0])
                    cmds = [["MULTI"]] + [["GET", "key:%d" % i] for i in ids] + [["EXEC"]]
                    got = harness.parse_reply(c.pipeline(cmds)[-1])
                    assert got == [value_of(i) for i in ids], "EXEC of GETs: wrong values"
            assert r.info("tier")["tier_cold_reads"] > 0
    finally:
        shutil.rmtree(td, ignore_errors=True)


@test
def test_transactions_with_every_shard_stay_atomic(opts):
    # Transactions that take every shard (KEYS, DBSIZE) run beside transfers between keys:
    # the sum read by a MULTI of KEYS + MGET never changes.
    accounts = [f"bal:{i}" for i in range(12)]
    stop = threading.Event()
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        with RawConn(dut.port) as c:
            c.cmd("MSET", *[x for a in accounts for x in (a, "100")])

        def writer(i):
            rng = random.Random(opts.seed * 13 + i)
            with RawConn(dut.port) as c:
                for _ in range(150):
                    cmds = [["MULTI"], ["DBSIZE"]]
                    for _ in range(20):
                        a, b = rng.sample(accounts, 2)
                        cmds += [["DECRBY", a, "3"], ["INCRBY", b, "3"]]
                    r = c.pipeline(cmds + [["EXEC"]])
                    assert r[-1].startswith(b"*41\r\n"), r[-1]

        def reader(i):
            with RawConn(dut.port) as c:
                while not stop.is_set():
                    r = c.pipeline([["MULTI"], ["KEYS", "bal:*"], ["MGET", *accounts], ["EXEC"]])
                    got = harness.parse_reply(r[-1])
                    assert len(got[0]) == len(accounts), got
                    assert sum(int(v) for v in got[1]) == 100 * len(accounts), got[1]

        run_writers_then_readers(writer, 4, reader, 2, stop)


@test
def test_eviction_of_a_watched_key_aborts_exec(opts):
    args = DAEMON_ARGS + ["--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru"]
    with harness.start_daemon(opts.bindir, args) as d, RawConn(d.port) as a, \
            RawConn(d.port) as b:
        a.cmd("SET", "w", "x" * 100)
        a.cmd("WATCH", "w")
        value = "v" * 1000
        for start in range(0, 200000, 500):
            b.pipeline([["SET", f"fill:{i}", value] for i in range(start, start + 500)])
            if b.cmd("EXISTS", "w") == b":0\r\n":
                break
        assert b.cmd("EXISTS", "w") == b":0\r\n", "w was never evicted"
        assert a.pipeline([["MULTI"], ["PING"], ["EXEC"]])[-1] == b"*-1\r\n"


@test
def test_redis_py_transactions(opts):
    # redis-py's own MULTI/EXEC pipelines and its optimistic-locking helper (WATCH, retry on
    # WatchError) against the daemon, with a rival client changing the key on the first try.
    import redis  # Debian's python3-redis

    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as d:
        r = redis.Redis(host="127.0.0.1", port=d.port)
        rival = redis.Redis(host="127.0.0.1", port=d.port)
        p = r.pipeline(transaction=True)
        p.set("a", 1).incr("a").lpush("l", "x").get("a")
        assert p.execute() == [True, 2, 1, b"2"]
        r.set("acct", 10)
        tries = []

        def move(pipe):
            v = int(pipe.get("acct"))
            tries.append(v)
            if len(tries) == 1:
                rival.incrby("acct", 5)  # invalidates the first try
            pipe.multi()
            pipe.set("acct", v * 2)

        r.transaction(move, "acct")
        assert tries == [10, 15], tries
        assert r.get("acct") == b"30"


def scenario_quit_inside_multi(port):
    with RawConn(port) as a, RawConn(port) as b:
        out = [a.cmd("WATCH", "k"), a.cmd("MULTI"), a.cmd("SET", "k", "1"), a.cmd("QUIT")]
        out.append(a.is_closed(wait=1.0))
        out.append(b.cmd("EXISTS", "k"))
        return out


@test
def test_quit_inside_multi_drops_the_transaction(opts):
    ref, dut = harness.on_both_servers(opts, scenario_quit_inside_multi, DAEMON_ARGS)
    assert_same("QUIT inside MULTI", ref, dut)
    assert ref[4] is True


if __name__ == "__main__":
    harness.main()
