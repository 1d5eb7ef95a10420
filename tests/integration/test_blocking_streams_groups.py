#!/usr/bin/env python3
# XREADGROUP ... BLOCK: clients of a consumer group blocked on a stream and woken by XADD from
# another connection (on another loop thread: the daemon runs 4), two consumers of one group
# served one entry each in arrival order, NOACK, a group destroyed under a waiter, timeouts, and
# many consumers racing producers where every entry must be delivered exactly once. Scenarios run
# on redis-server and aegisr-daemon and their replies are compared byte for byte (RESP2 and
# RESP3).
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


def scenario_woken_by_xadd(port):
    """One waiter per protocol, woken by an XADD from another connection."""
    out = []
    for proto in ("2", "3"):
        with RawConn(port) as w, RawConn(port) as p:
            w.cmd("HELLO", proto)
            p.cmd("FLUSHALL")
            p.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            w.send_cmd("XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
            wait_blocked(port, 1)
            out.append(p.cmd("XADD", "s", "5-1", "field", "value"))
            out.append(w.read_reply())
            out.append(p.cmd("XPENDING", "s", "g"))
            out.append(p.cmd("XINFO", "GROUPS", "s"))
    return out


@test
def test_blocked_reader_is_woken_by_xadd(opts):
    ref, dut = both_servers(opts, scenario_woken_by_xadd)
    assert_same("woken by XADD", ref, dut)


def scenario_two_consumers(port):
    """Two consumers of one group blocked on the same stream: each new entry goes to one of them,
    the first blocked first; a reader of another group gets every entry."""
    out = []
    with RawConn(port) as a, RawConn(port) as b, RawConn(port) as o, RawConn(port) as p:
        p.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        p.cmd("XGROUP", "CREATE", "s", "other", "$")
        a.send_cmd("XREADGROUP", "GROUP", "g", "a", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(port, 1)
        b.send_cmd("XREADGROUP", "GROUP", "g", "b", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(port, 2)
        o.send_cmd("XREADGROUP", "GROUP", "other", "o", "COUNT", "5", "BLOCK", "0", "STREAMS",
                   "s", ">")
        wait_blocked(port, 3)
        out.append(p.cmd("XADD", "s", "1-0", "n", "1"))
        out.append(a.read_reply())
        out.append(o.read_reply())
        wait_blocked(port, 1)  # b still waits: the entry went to a
        out.append(p.cmd("XADD", "s", "2-0", "n", "2"))
        out.append(b.read_reply())
        wait_blocked(port, 0)
        # XPENDING's idle times are left out (the entries were just delivered: 0 or 1 ms).
        pending = harness.parse_reply(p.cmd("XPENDING", "s", "g", "-", "+", "10"))
        out.append([e[:2] + e[3:] for e in pending])
        out.append(p.cmd("XINFO", "GROUPS", "s"))
    return out


@test
def test_two_consumers_of_one_group_get_one_entry_each(opts):
    ref, dut = both_servers(opts, scenario_two_consumers)
    assert_same("two consumers", ref, dut)


def scenario_noack_destroy_timeout(port):
    out = []
    with RawConn(port) as w, RawConn(port) as p:
        p.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        # NOACK: delivered, not pending.
        w.send_cmd("XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(port, 1)
        out.append(p.cmd("XADD", "s", "1-0", "f", "v"))
        out.append(w.read_reply())
        out.append(p.cmd("XPENDING", "s", "g"))
        # The group destroyed under a waiter: it gets NOGROUP.
        w.send_cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(port, 1)
        out.append(p.cmd("XGROUP", "DESTROY", "s", "g"))
        out.append(w.read_reply())
        # The key deleted, overwritten by another type or flushed under a waiter: UNBLOCKED.
        for end in (("DEL", "s"), ("SET", "s", "x"), ("FLUSHDB",), ("FLUSHALL", "ASYNC")):
            p.cmd("DEL", "s")
            p.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            w.send_cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
            wait_blocked(port, 1)
            out.append(p.cmd(*end))
            out.append(w.read_reply())
        p.cmd("DEL", "s")
        p.cmd("XADD", "s", "1-0", "f", "v")
        # Timeouts, in both protocols; and a read with entries waiting does not block.
        p.cmd("XGROUP", "CREATE", "s", "g", "$")
        start = time.monotonic()
        out.append(w.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "100", "STREAMS", "s", ">"))
        out.append(time.monotonic() - start >= 0.09)
        w.cmd("HELLO", "3")
        out.append(w.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">"))
        p.cmd("XADD", "s", "2-0", "f", "v")
        out.append(w.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"))
        out.append(w.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "x", "STREAMS", "s", ">"))
        out.append(w.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "-1", "STREAMS", "s", ">"))
    return out


@test
def test_noack_destroyed_group_and_timeouts(opts):
    ref, dut = both_servers(opts, scenario_noack_destroy_timeout)
    assert_same("NOACK, destroy, timeout", ref, dut)


def scenario_setid_back(port):
    """XGROUP SETID back under a waiter does not serve it (Redis does not signal the key); the
    next XADD does, from the group's new position."""
    out = []
    with RawConn(port) as w, RawConn(port) as p:
        p.cmd("XADD", "s", "1-0", "f", "v")
        p.cmd("XGROUP", "CREATE", "s", "g", "$")
        w.send_cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(port, 1)
        out.append(p.cmd("XGROUP", "SETID", "s", "g", "0"))
        time.sleep(0.1)
        wait_blocked(port, 1)
        out.append(p.cmd("XADD", "s", "2-0", "f", "v"))
        out.append(w.read_reply())
        out.append(p.cmd("XINFO", "GROUPS", "s"))
    return out


@test
def test_setid_back_waits_for_the_next_xadd(opts):
    ref, dut = both_servers(opts, scenario_setid_back)
    assert_same("SETID under a waiter", ref, dut)


@test
def test_consumers_racing_producers_get_every_entry_once(opts):
    """8 consumers of one group block and re-read while 2 producers add 2000 entries on other
    threads: every entry is delivered once, and the group's PEL holds exactly the unacked ones."""
    n_producers, per_producer, n_consumers = 2, 1000, 8
    with harness.start_daemon(opts.bindir, DAEMON_ARGS) as dut:
        with RawConn(dut.port) as c:
            c.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        got = [[] for _ in range(n_consumers)]
        stop = threading.Event()
        errors = []

        def consume(i):
            try:
                with RawConn(dut.port) as c:
                    while not stop.is_set():
                        r = harness.parse_reply(c.cmd("XREADGROUP", "GROUP", "g", "c%d" % i,
                                                      "COUNT", "7", "BLOCK", "100", "STREAMS",
                                                      "s", ">"))
                        if r is None:
                            continue
                        ids = [e[0] for e in r[0][1]]
                        got[i] += ids
                        if i % 2 == 0 and ids:  # half of them acknowledge
                            c.cmd("XACK", "s", "g", *ids)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        def produce(j):
            with RawConn(dut.port) as c:
                for k in range(per_producer):
                    c.cmd("XADD", "s", "*", "p", str(j), "k", str(k))

        consumers = [threading.Thread(target=consume, args=(i,)) for i in range(n_consumers)]
        for t in consumers:
            t.start()
        producers = [threading.Thread(target=produce, args=(j,)) for j in range(n_producers)]
        for t in producers:
            t.start()
        for t in producers:
            t.join()
        deadline = time.monotonic() + 10
        total = n_producers * per_producer
        while sum(len(g) for g in got) < total and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for t in consumers:
            t.join()
        assert not errors, errors
        all_ids = [x for g in got for x in g]
        assert len(all_ids) == total, f"{len(all_ids)} deliveries for {total} entries"
        assert len(set(all_ids)) == total, "an entry was delivered twice"
        unacked = sum(len(got[i]) for i in range(n_consumers) if i % 2 == 1)
        with RawConn(dut.port) as c:
            summary = harness.parse_reply(c.cmd("XPENDING", "s", "g"))
            assert summary[0] == unacked, (summary, unacked)


if __name__ == "__main__":
    harness.main()
