#!/usr/bin/env python3
# Blocking list commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP): argument errors and immediate
# replies compared with redis-server byte for byte; multi-client scenarios (first come, first
# served; chains of BLMOVE; wrong destination types; SWAPDB; pipelined commands behind a blocked
# one) played on both servers and their observations compared; timeouts, CLIENT UNBLOCK and
# disconnects; and a concurrency test with consumers and producers spread over 4 loop threads
# where no element may be lost or delivered twice.
import os
import sys
import tempfile
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
        # Timeouts: not a float, negative, out of range (Redis 7.0 calls those negative), spaces.
        ["BLPOP", "k", "abc"], ["BLPOP", "k", "-1"], ["BLPOP", "k", "inf"], ["BLPOP", "k", "nan"],
        ["BLPOP", "k", ""], ["BLPOP", "k", " 1"], ["BLPOP", "k", "1e400"],
        ["BLPOP", "k", "99999999999999999"], ["BRPOP", "k", "-0.5"],
        ["BLMOVE", "a", "b", "middle", "left", "0"], ["BLMOVE", "a", "b", "left", "left", "-1"],
        ["BRPOPLPUSH", "a", "b", "x"], ["BLMPOP", "0", "0", "a", "left"],
        ["BLMPOP", "abc", "1", "a", "left"], ["BLMPOP", "0", "1", "a", "middle"],
        ["BLMPOP", "0", "1", "a", "left", "count", "0"], ["BLMPOP", "0", "3", "a", "left"],
        ["BLMPOP", "0", "1", "a", "left", "count", "1", "count", "2"],
        # Arity.
        ["BLPOP", "k"], ["BRPOP"], ["BLMOVE", "a", "b", "left", "left"], ["BRPOPLPUSH", "a", "b"],
        ["BLMPOP", "0", "1", "a"],
        # Wrong types, in the order Redis checks the keys.
        ["SET", "s", "x"], ["BLPOP", "nokey", "s", "0"], ["BLMOVE", "s", "b", "left", "left", "0"],
        ["RPUSH", "l", "1", "2", "3"], ["BLPOP", "l", "s", "0"], ["BLMOVE", "l", "s", "left",
                                                                  "left", "0"],
        ["LRANGE", "l", "0", "-1"], ["BLMPOP", "0", "2", "s", "l", "left"],
        # Data present: served at once.
        ["BRPOP", "nokey", "l", "0"], ["BLMOVE", "l", "m", "left", "right", "0"],
        ["BRPOPLPUSH", "m", "m", "0"], ["BLMPOP", "0", "2", "nokey", "m", "right", "count", "5"],
        ["RPUSH", "dup", "x"], ["BLPOP", "dup", "dup", "0"],
        # Short timeouts: the null replies (array for the pops, bulk for the moves).
        ["BLPOP", "none", "0.01"], ["BRPOP", "none", "other", "0.02"],
        ["BLMOVE", "none", "x", "left", "left", "0.01"], ["BRPOPLPUSH", "none", "x", "0.01"],
        ["BLMPOP", "0.01", "1", "none", "left"],
        ["CLIENT", "UNBLOCK", "5", "foo"], ["CLIENT", "UNBLOCK", "abc"],
        ["CLIENT", "UNBLOCK", "99999"], ["CLIENT", "UNBLOCK", "99999", "ERROR"],
        ["CLIENT", "UNBLOCK", "1", "TIMEOUT", "x"],
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


def scenario_fifo(port):
    """Five clients block on one key in turn; one RPUSH of five elements serves them in order."""
    conns = [RawConn(port) for _ in range(5)]
    out = []
    try:
        for i, c in enumerate(conns):
            c.send_cmd("BLPOP", "q", "other", "0")
            wait_blocked(port, i + 1)
        with RawConn(port) as p:
            out.append(p.cmd("RPUSH", "q", "e1", "e2", "e3", "e4", "e5", "e6"))
            out += [c.read_reply() for c in conns]
            out.append(p.cmd("LRANGE", "q", "0", "-1"))
            out.append(p.cmd("INFO", "clients").split(b"blocked_clients:")[1].split(b"\r\n")[0])
    finally:
        for c in conns:
            c.close()
    return out


@test
def test_waiters_are_served_first_come_first_served(opts):
    ref, dut = both_servers(opts, scenario_fifo)
    assert_same("FIFO serving", ref, dut)
    assert ref[1] == b"*2\r\n$1\r\nq\r\n$2\r\ne1\r\n"


def scenario_move_chain(port):
    """BLMOVE a->b and BLMOVE b->c wait; a push to a travels through both (Redis serves keys
    made ready while serving); then a wrong-type destination ends a wait with WRONGTYPE."""
    x, y, z = RawConn(port), RawConn(port), RawConn(port)
    out = []
    try:
        x.send_cmd("BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
        wait_blocked(port, 1)
        y.send_cmd("BRPOPLPUSH", "b", "c", "0")
        wait_blocked(port, 2)
        with RawConn(port) as p:
            out.append(p.cmd("LPUSH", "a", "v"))
            out += [x.read_reply(), y.read_reply()]
            out += [p.cmd("EXISTS", "a", "b"), p.cmd("LRANGE", "c", "0", "-1")]
            z.send_cmd("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
            wait_blocked(port, 1)
            out.append(p.cmd("SET", "dst", "string"))
            out.append(p.cmd("RPUSH", "src", "1", "2"))
            out.append(z.read_reply())
            out.append(p.cmd("LRANGE", "src", "0", "-1"))
            # BLMPOP with a count takes what is there, up to the count.
            z.send_cmd("BLMPOP", "0", "2", "m1", "m2", "RIGHT", "COUNT", "3")
            wait_blocked(port, 1)
            out.append(p.cmd("RPUSH", "m2", "a", "b", "c", "d"))
            out += [z.read_reply(), p.cmd("LRANGE", "m2", "0", "-1")]
    finally:
        for c in (x, y, z):
            c.close()
    return out


@test
def test_blmove_chains_and_wrong_destination(opts):
    ref, dut = both_servers(opts, scenario_move_chain)
    assert_same("BLMOVE chain", ref, dut)


def scenario_swapdb_and_pipeline(port):
    """A client waiting in db 0 is served when SWAPDB brings a list in; commands pipelined
    behind a blocked one run after it, in order; a string key does not serve a list waiter."""
    w = RawConn(port)
    out = []
    try:
        w.send(harness.encode_command("BLPOP", "k", "0") + harness.encode_command("PING") +
               harness.encode_command("LLEN", "k"))
        wait_blocked(port, 1)
        with RawConn(port) as p:
            out.append(p.cmd("SET", "k", "str"))  # another type: the client keeps waiting
            time.sleep(0.05)
            out.append(p.cmd("DEL", "k"))
            out.append(p.cmd("SELECT", "1"))
            out.append(p.cmd("RPUSH", "k", "from1", "more"))
            out.append(p.cmd("SWAPDB", "0", "1"))
            out += [w.read_reply(), w.read_reply(), w.read_reply()]
    finally:
        w.close()
    return out


@test
def test_swapdb_serves_waiters_and_pipelined_commands_follow(opts):
    ref, dut = both_servers(opts, scenario_swapdb_and_pipeline)
    assert_same("SWAPDB / pipeline", ref, dut)
    assert ref[-3] == b"*2\r\n$1\r\nk\r\n$5\r\nfrom1\r\n", ref


@test
def test_epoll_backend_serves_and_times_out(opts):
    # The epoll loop wakes for a blocked client's deadline and for a wake-up from another thread.
    with harness.start_daemon(opts.bindir, DAEMON_ARGS + ["--io-backend", "epoll"]) as dut, \
            RawConn(dut.port) as c:
        start = time.monotonic()
        assert c.cmd("BRPOP", "nothing", "0.2") == b"*-1\r\n"
        assert 0.19 <= time.monotonic() - start < 0.6
        assert scenario_fifo(dut.port)[1] == b"*2\r\n$1\r\nq\r\n$2\r\ne1\r\n"


@test
def test_timeouts_unblock_and_disconnect(opts):
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        port = dut.port
        # A fractional timeout ends the wait with the null reply, not much later than asked.
        for proto, null in ((2, b"*-1\r\n"), (3, b"_\r\n")):
            with RawConn(port) as c:
                c.cmd("HELLO", str(proto))
                start = time.monotonic()
                assert c.cmd("BLPOP", "nothing", "0.25") == null
                took = time.monotonic() - start
                assert 0.24 <= took < 0.6, took
                start = time.monotonic()
                assert c.cmd("BLMOVE", "nothing", "d", "LEFT", "LEFT", "0.1") == null
                assert 0.09 <= time.monotonic() - start < 0.5
        # CLIENT UNBLOCK: TIMEOUT gives the null reply, ERROR the UNBLOCKED error; 0 if the
        # client is not blocked.
        with RawConn(port) as w, RawConn(port) as admin:
            wid = int(w.cmd("CLIENT", "ID")[1:-2])
            assert admin.cmd("CLIENT", "UNBLOCK", str(wid)) == b":0\r\n"
            w.send_cmd("BLPOP", "k", "0")
            wait_blocked(port, 1)
            assert b"flags=b" in admin.cmd("CLIENT", "LIST", "ID", str(wid))
            assert admin.cmd("CLIENT", "UNBLOCK", str(wid), "TIMEOUT") == b":1\r\n"
            assert w.read_reply() == b"*-1\r\n"
            w.send_cmd("BRPOPLPUSH", "k", "d", "0")
            wait_blocked(port, 1)
            assert admin.cmd("CLIENT", "UNBLOCK", str(wid), "ERROR") == b":1\r\n"
            assert w.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
            assert admin.cmd("CLIENT", "UNBLOCK", str(wid), "ERROR") == b":0\r\n"
            # The client works normally afterwards.
            assert w.cmd("PING") == b"+PONG\r\n"
            # A client that disconnects while blocked is forgotten: the element stays.
            gone = RawConn(port)
            gone.send_cmd("BLPOP", "k", "0")
            wait_blocked(port, 1)
            gone.close()
            wait_blocked(port, 0)
            assert admin.cmd("RPUSH", "k", "kept") == b":1\r\n"
            assert admin.cmd("LRANGE", "k", "0", "-1") == b"*1\r\n$4\r\nkept\r\n"
            # The idle `timeout` does not close a blocked client.
            admin.cmd("CONFIG", "SET", "timeout", "1")
            w.send_cmd("BLPOP", "empty", "2.5")
            start = time.monotonic()
            assert w.read_reply(timeout=5) == b"*-1\r\n"
            assert time.monotonic() - start >= 2.4
        with RawConn(port) as admin:
            admin.cmd("CONFIG", "SET", "timeout", "0")


@test
def test_blmove_to_a_destination_on_disk(opts):
    # The destination's value is on disk when a push serves the waiter: it cannot be changed in
    # place, so the waiter's command runs again after the value is read back.
    with tempfile.TemporaryDirectory(prefix="aegisr-blk-tier-") as tier_dir, \
            harness.start_daemon(opts.bindir, DAEMON_ARGS + ["--tier-dir", tier_dir,
                                                             "--tier-min-value-size", "0"]) as dut, \
            RawConn(dut.port) as p, RawConn(dut.port) as w:
        assert p.cmd("RPUSH", "dst", "old1", "old2") == b":2\r\n"
        w.send_cmd("BLMOVE", "src", "dst", "LEFT", "RIGHT", "0")
        w.send_cmd("LRANGE", "dst", "0", "-1")  # pipelined behind the blocked command
        wait_blocked(dut.port, 1)
        assert p.cmd("DEBUG", "OFFLOAD", "dst") == b"+OK\r\n"
        assert b"tier:disk" in p.cmd("DEBUG", "OBJECT", "dst")
        assert p.cmd("LPUSH", "src", "v") == b":1\r\n"
        assert w.read_reply() == b"$1\r\nv\r\n"
        assert w.read_reply() == b"*3\r\n$4\r\nold1\r\n$4\r\nold2\r\n$1\r\nv\r\n"
        assert p.cmd("EXISTS", "src") == b":0\r\n"
        assert p.cmd("DEBUG", "OFFLOAD", "missing") == b"-ERR no such key\r\n"


def consume(port, count_box, lock, received, stop, kind):
    with RawConn(port, timeout=30) as c:
        while not stop.is_set():
            if kind == "blpop":
                r = harness.parse_reply(c.cmd("BLPOP", "work1", "work2", "0.2"))
                if r is None:
                    continue
                value = r[1]
            elif kind == "blmpop":
                r = harness.parse_reply(c.cmd("BLMPOP", "0.2", "2", "work2", "work1", "LEFT",
                                              "COUNT", "3"))
                if r is None:
                    continue
                for value in r[1][:-1]:
                    with lock:
                        received.append(value)
                value = r[1][-1]
            else:  # blmove: the element goes through a second list, taken by a plain LPOP
                r = harness.parse_reply(c.cmd("BLMOVE", "work1", "moved", "RIGHT", "LEFT", "0.2"))
                if r is None:
                    continue
                value = harness.parse_reply(c.cmd("RPOP", "moved"))
                if value is None:  # another consumer popped it from "moved": it counts there
                    continue
            with lock:
                received.append(value)


@test
def test_concurrent_consumers_lose_nothing_and_get_nothing_twice(opts):
    producers, per_producer = 4, 600
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        port = dut.port
        lock = threading.Lock()
        received = []
        stop = threading.Event()
        kinds = ["blpop"] * 6 + ["blmpop"] * 3 + ["blmove"] * 3
        consumers = [threading.Thread(target=consume, args=(port, None, lock, received, stop, k))
                     for k in kinds]
        for t in consumers:
            t.start()
        wait_blocked(port, len(consumers))

        def produce(p):
            with RawConn(port) as c:
                for i in range(per_producer):
                    key = "work1" if i % 3 else "work2"
                    # Mostly one element per push; some pushes carry several (served in turn).
                    if i % 10 == 0:
                        c.cmd("RPUSH", key, f"p{p}-{i}a", f"p{p}-{i}b")
                    else:
                        c.cmd("LPUSH", key, f"p{p}-{i}")

        prods = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
        for t in prods:
            t.start()
        for t in prods:
            t.join()
        expected = set()
        for p in range(producers):
            for i in range(per_producer):
                expected |= ({f"p{p}-{i}a".encode(), f"p{p}-{i}b".encode()} if i % 10 == 0
                             else {f"p{p}-{i}".encode()})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with lock:
                if len(received) >= len(expected):
                    break
            time.sleep(0.05)
        stop.set()
        for t in consumers:
            t.join()
        with RawConn(port) as c:
            left = [harness.parse_reply(c.cmd("LRANGE", k, "0", "-1")) for k in
                    ("work1", "work2", "moved")]
            info = c.cmd("INFO", "clients")
        leftover = [v for lst in left for v in lst]
        got = received + leftover
        dups = len(got) - len(set(got))
        assert dups == 0, f"{dups} elements delivered twice"
        missing = expected - set(got)
        assert not missing, f"{len(missing)} elements lost, e.g. {sorted(missing)[:5]}"
        assert set(got) == expected
        assert b"blocked_clients:0" in info


if __name__ == "__main__":
    harness.main()
