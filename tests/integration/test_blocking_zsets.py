#!/usr/bin/env python3
# Blocking sorted-set commands (BZPOPMIN BZPOPMAX BZMPOP): argument errors and immediate replies
# compared with redis-server byte for byte in RESP2 and RESP3; multi-client scenarios (first
# come, first served across keys, a waiter on a key that turns into another type, counts) played
# on both servers and compared; timeouts; and concurrent consumers and producers on 4 loop
# threads where no member may be lost or delivered twice.
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, assert_same, test, wait_blocked  # noqa: E402

DAEMON_ARGS = ["--threads", "4"]


def both_servers(opts, fn):
    return harness.on_both_servers(opts, fn, DAEMON_ARGS)


@test
def test_errors_and_immediate_replies_match_redis(opts):
    cmds = [
        ["BZPOPMIN", "k", "abc"], ["BZPOPMIN", "k", "-1"], ["BZPOPMAX", "k", "nan"],
        ["BZPOPMAX", "k", ""], ["BZPOPMIN", "k", "1e400"],
        ["BZMPOP", "x", "0", "a", "min"], ["BZMPOP", "x", "1", "a", "min"],
        ["BZMPOP", "-1", "1", "a", "min"], ["BZMPOP", "0", "1", "a", "middle"],
        ["BZMPOP", "0", "1", "a", "min", "count", "0"], ["BZMPOP", "0", "3", "a", "min"],
        ["BZMPOP", "0", "1", "a", "min", "count", "1", "count", "2"],
        ["BZPOPMIN", "k"], ["BZPOPMAX"], ["BZMPOP", "0", "1", "a"],
        ["SET", "s", "x"], ["BZPOPMIN", "nokey", "s", "0"], ["BZMPOP", "0", "2", "s", "z", "min"],
        ["ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "d"], ["BZPOPMIN", "z", "s", "0"],
        ["BZPOPMAX", "nokey", "z", "0"], ["BZMPOP", "0", "2", "nokey", "z", "max", "count", "5"],
        ["EXISTS", "z"], ["ZADD", "dup", "1.5", "x"], ["BZPOPMIN", "dup", "dup", "0"],
        ["BZPOPMIN", "none", "0.01"], ["BZPOPMAX", "none", "other", "0.02"],
        ["BZMPOP", "0.01", "1", "none", "min"],
    ]
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        for proto in (2, 3):
            d = harness.Differential(ref.port, dut.port, label=f" RESP{proto}")
            d.check("HELLO", str(proto), mode="type")
            d.check("FLUSHALL")
            for c in cmds:
                d.check(*c)
            d.close()
            assert d.mismatches == 0, f"{d.mismatches} mismatches of {d.commands} (RESP{proto})"


def scenario_serving(port):
    """Clients block on several keys with every command; writes serve them in arrival order."""
    out = []
    for proto in ("2", "3"):
        conns = [RawConn(port) for _ in range(5)]
        try:
            for c in conns:
                c.cmd("HELLO", proto)
            conns[0].send_cmd("BZPOPMIN", "q", "other", "0")
            wait_blocked(port, 1)
            conns[1].send_cmd("BZPOPMAX", "other", "q", "0")
            wait_blocked(port, 2)
            conns[2].send_cmd("BZMPOP", "0", "2", "q", "other", "MAX", "COUNT", "2")
            wait_blocked(port, 3)
            conns[3].send_cmd("BZMPOP", "0", "1", "q", "MIN")
            wait_blocked(port, 4)
            # A waiter whose key becomes a string keeps waiting, and is served by a later zset.
            conns[4].send_cmd("BZPOPMIN", "t", "0")
            wait_blocked(port, 5)
            with RawConn(port) as p:
                p.cmd("HELLO", proto)
                out.append(p.cmd("ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e",
                                 "6", "f", "inf", "g"))
                out += [c.read_reply() for c in conns[:4]]
                out.append(p.cmd("ZRANGE", "q", "0", "-1", "WITHSCORES"))
                out.append(p.cmd("SET", "t", "x"))
                out.append(p.cmd("DEL", "t"))
                out.append(p.cmd("ZADD", "t", "1.5", "only"))
                out.append(conns[4].read_reply())
                out.append(p.cmd("EXISTS", "t"))
                out.append(p.cmd("INFO", "clients").split(b"blocked_clients:")[1]
                           .split(b"\r\n")[0])
        finally:
            for c in conns:
                c.close()
        with RawConn(port) as p:
            p.cmd("FLUSHALL")
    return out


@test
def test_waiters_are_served_in_order_with_redis_replies(opts):
    ref, dut = both_servers(opts, scenario_serving)
    assert_same("serving", ref, dut)
    assert ref[1] == b"*3\r\n$1\r\nq\r\n$1\r\na\r\n$1\r\n1\r\n", ref[1]


@test
def test_timeouts_reply_null_arrays(opts):
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        for proto, null in ((2, b"*-1\r\n"), (3, b"_\r\n")):
            with RawConn(dut.port) as c:
                c.cmd("HELLO", str(proto))
                for cmd in (["BZPOPMIN", "nothing", "0.2"], ["BZPOPMAX", "a", "b", "0.2"],
                            ["BZMPOP", "0.2", "1", "nothing", "MIN", "COUNT", "3"]):
                    start = time.monotonic()
                    assert c.cmd(*cmd) == null, cmd
                    took = time.monotonic() - start
                    assert 0.19 <= took < 0.6, (cmd, took)


@test
def test_concurrent_consumers_lose_nothing_and_get_nothing_twice(opts):
    producers, per_producer, consumers = 4, 500, 6
    received, lock = [], threading.Lock()
    stop = threading.Event()
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        port = dut.port

        def consume(kind):
            with RawConn(port, timeout=30) as c:
                while not stop.is_set():
                    if kind == 0:
                        r = harness.parse_reply(c.cmd("BZPOPMIN", "q1", "q2", "0.1"))
                        got = [] if r is None else [r[1]]
                    else:
                        r = harness.parse_reply(c.cmd("BZMPOP", "0.1", "2", "q2", "q1", "MAX",
                                                      "COUNT", "3"))
                        got = [] if r is None else [m for m, _ in r[1]]
                    with lock:
                        received.extend(got)

        def produce(i):
            with RawConn(port) as c:
                for j in range(per_producer):
                    c.cmd("ZADD", "q%d" % (1 + j % 2), str(j), "p%d-%d" % (i, j))

        cs = [threading.Thread(target=consume, args=(k % 2,)) for k in range(consumers)]
        ps = [threading.Thread(target=produce, args=(i,)) for i in range(producers)]
        for t in cs + ps:
            t.start()
        for t in ps:
            t.join()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                if len(received) >= producers * per_producer:
                    break
            time.sleep(0.05)
        stop.set()
        for t in cs:
            t.join()
        want = {b"p%d-%d" % (i, j) for i in range(producers) for j in range(per_producer)}
        assert len(received) == len(set(received)), "a member was delivered twice"
        assert set(received) == want, (len(received), len(want))


if __name__ == "__main__":
    harness.main()
