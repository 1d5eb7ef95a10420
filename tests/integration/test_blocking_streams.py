#!/usr/bin/env python3
# XREAD BLOCK: multi-client scenarios played on redis-server 7.0 and aegisr-daemon (4 loop threads,
# so waiters and writers land on different threads) and compared byte for byte in RESP2 and
# RESP3: "$", several waiters on one key all served (reading consumes nothing), several keys, IDs
# above the new entry keep waiting, an XADD whose MAXLEN trims the new entry away, a key that
# changes type; CLIENT UNBLOCK; timeouts; and concurrent producers and readers where every reader
# must see every entry once, in order.
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


def scenario_serving(port):
    out = []
    for proto in ("2", "3"):
        conns = [RawConn(port) for _ in range(5)]
        try:
            for c in conns:
                c.cmd("HELLO", proto)
            with RawConn(port) as p:
                p.cmd("HELLO", proto)
                # Three waiters on one (missing) key, one of them on two keys: one XADD serves all.
                conns[0].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 1)
                conns[1].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "other", "s", "0", "0")
                wait_blocked(port, 2)
                conns[2].send_cmd("XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 3)
                out.append(p.cmd("XADD", "s", "1-1", "f", "v", "g", "w"))
                out += [c.read_reply() for c in conns[:3]]
                # "$" on an existing stream is its last ID when the client blocks.
                conns[0].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 1)
                # An ID above what comes next keeps waiting.
                conns[1].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "5-0")
                wait_blocked(port, 2)
                out.append(p.cmd("XADD", "s", "2-0", "f", "x"))
                out.append(conns[0].read_reply())
                # No reply yet (is_closed keeps what arrives in buf).
                out.append(conns[1].is_closed(wait=0.2) or conns[1].buf != b"")
                out.append(p.cmd("XADD", "s", "6-0", "f", "y"))
                out.append(conns[1].read_reply())
                # An XADD whose MAXLEN trims the new entry away still wakes the waiter.
                conns[2].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 1)
                out.append(p.cmd("XADD", "s", "MAXLEN", "0", "7-0", "f", "z"))
                out.append(conns[2].read_reply())
                # A waiter whose key becomes a string keeps waiting; a stream there serves it.
                conns[3].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "t", "0-0")
                wait_blocked(port, 1)
                out.append(p.cmd("SET", "t", "x"))
                out.append(p.cmd("DEL", "t"))
                out.append(p.cmd("XADD", "t", "3-0", "k", "v"))
                out.append(conns[3].read_reply())
                # XDEL and XTRIM do not wake anyone.
                conns[4].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 1)
                out.append(p.cmd("XDEL", "s", "6-0"))
                out.append(p.cmd("XTRIM", "s", "MAXLEN", "0"))
                out.append(p.cmd("XADD", "s", "8-0", "a", "b"))
                out.append(conns[4].read_reply())
                # The stream it waits on deleted and overwritten: an XREAD waits on.
                conns[0].send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
                wait_blocked(port, 1)
                out.append(p.cmd("DEL", "s"))
                out.append(p.cmd("SET", "s", "x"))
                out.append(p.cmd("DEL", "s"))
                out.append(p.cmd("XADD", "s", "8-0", "a", "b"))  # not after its "$" (8-0)
                out.append(conns[0].is_closed(wait=0.2) or conns[0].buf != b"")
                out.append(p.cmd("XADD", "s", "9-0", "c", "d"))
                out.append(conns[0].read_reply())
                out.append(p.cmd("INFO", "clients").split(b"blocked_clients:")[1]
                           .split(b"\r\n")[0])
                out.append(p.cmd("FLUSHALL"))
        finally:
            for c in conns:
                c.close()
    return out


@test
def test_waiters_are_all_served_with_redis_replies(opts):
    ref, dut = both_servers(opts, scenario_serving)
    assert_same("serving", ref, dut)
    # All three waiters got the entry (not only the first).
    assert ref[1] == ref[2] == b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*4\r\n" \
        b"$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n", ref[:4]


def scenario_unblock(port):
    out = []
    for proto in ("2", "3"):
        with RawConn(port) as c, RawConn(port) as p:
            c.cmd("HELLO", proto)
            cid = c.cmd("CLIENT", "ID")[1:-2]
            c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
            wait_blocked(port, 1)
            out.append(p.cmd("CLIENT", "UNBLOCK", cid))
            out.append(c.read_reply())
            c.send_cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "q", "$", "$")
            wait_blocked(port, 1)
            out.append(p.cmd("CLIENT", "UNBLOCK", cid, "ERROR"))
            out.append(c.read_reply())
            out.append(p.cmd("CLIENT", "UNBLOCK", cid))
            out.append(c.cmd("XADD", "s", "1-0", "f", "v"))
            out.append(c.cmd("XREAD", "BLOCK", "0", "STREAMS", "s", "0"))  # served at once
            out.append(p.cmd("FLUSHALL"))
    return out


@test
def test_client_unblock_matches_redis(opts):
    ref, dut = both_servers(opts, scenario_unblock)
    assert_same("unblock", ref, dut)


@test
def test_timeouts_reply_null(opts):
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        for proto, null in ((2, b"*-1\r\n"), (3, b"_\r\n")):
            with RawConn(dut.port) as c:
                c.cmd("HELLO", str(proto))
                c.cmd("XADD", "s", "5-0", "f", "v")
                for cmd in (["XREAD", "BLOCK", "200", "STREAMS", "nothing", "0"],
                            ["XREAD", "BLOCK", "200", "STREAMS", "s", "$"],
                            ["XREAD", "COUNT", "3", "BLOCK", "200", "STREAMS", "s", "a", "5-0",
                             "$"]):
                    start = time.monotonic()
                    assert c.cmd(*cmd) == null, cmd
                    took = time.monotonic() - start
                    assert 0.19 <= took < 0.6, (cmd, took)
                c.cmd("FLUSHALL")


@test
def test_concurrent_readers_see_every_entry_once_in_order(opts):
    producers, per_producer, readers = 4, 300, 4
    total = producers * per_producer
    seen = [[] for _ in range(readers)]
    errors = []
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        port = dut.port

        def read(i):
            try:
                with RawConn(port, timeout=20.0) as c:
                    last = b"0-0"
                    while len(seen[i]) < total:
                        raw = c.cmd("XREAD", "COUNT", "50", "BLOCK", "0", "STREAMS", "s", last,
                                    timeout=20.0)
                        reply = harness.parse_reply(raw)
                        for entry_id, fv in reply[0][1]:
                            seen[i].append((entry_id, fv[1]))
                            last = entry_id
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append(repr(e))

        def produce(j):
            try:
                with RawConn(port) as c:
                    for n in range(per_producer):
                        c.cmd("XADD", "s", "*", "v", f"{j}:{n}")
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        rs = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
        for t in rs:
            t.start()
        wait_blocked(port, readers)
        ps = [threading.Thread(target=produce, args=(j,)) for j in range(producers)]
        for t in ps:
            t.start()
        for t in ps + rs:
            t.join(timeout=60)
        assert not errors, errors
        with RawConn(port) as c:
            everything = harness.parse_reply(c.cmd("XRANGE", "s", "-", "+"))
        want = [(e[0], e[1][1]) for e in everything]
        assert len(want) == total, len(want)
        for i in range(readers):
            assert seen[i] == want, f"reader {i}: {len(seen[i])} entries, differ from XRANGE"
        # Each producer's values arrive in its own order.
        for j in range(producers):
            mine = [v for _, v in want if v.startswith(b"%d:" % j)]
            assert mine == [b"%d:%d" % (j, n) for n in range(per_producer)]


if __name__ == "__main__":
    harness.main()
