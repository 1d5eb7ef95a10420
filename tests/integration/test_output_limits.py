#!/usr/bin/env python3
# client-output-buffer-limit for the normal class (the pubsub class is in test_pubsub.py): a
# client whose replies pass the hard limit, or stay above the soft limit for its seconds, is
# closed without the replies it had not taken, on redis-server 7.0 and on the daemon alike; a
# client under the limits, and every client with the default "normal 0 0 0", is served whole.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, assert_same, on_both_servers, test  # noqa: E402

ELEMENTS = 2000  # of 200 bytes: LRANGE 0 -1 answers about 414 KB


def fill(port, limit):
    with RawConn(port) as c:
        assert c.cmd("CONFIG", "SET", "client-output-buffer-limit", limit) == b"+OK\r\n"
        for i in range(0, ELEMENTS, 500):
            c.cmd("RPUSH", "big", *[b"%05d" % j + b"v" * 195 for j in range(i, i + 500)])
        assert c.cmd("LLEN", "big") == b":%d\r\n" % ELEMENTS


def hard_scenario(port):
    """Under the limit: served. Over it: closed with nothing of the reply sent. Others go on."""
    fill(port, "normal 100kb 0 0")
    out = []
    with RawConn(port) as c:
        out.append(c.cmd("LRANGE", "big", "0", "99"))  # about 21 KB
        c.send_cmd("LRANGE", "big", "0", "-1")
        data, closed = c.read_until_idle(idle=1.0)
        out.append((data[:64], len(data), closed))
    with RawConn(port) as c:
        out.append(c.cmd("LLEN", "big"))  # the server and the data are unharmed
        # The default again: no normal limit, the whole reply arrives.
        assert c.cmd("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0") == b"+OK\r\n"
        reply = c.cmd("LRANGE", "big", "0", "-1")
        out.append((len(reply), reply.startswith(b"*%d\r\n" % ELEMENTS)))
    return out


def soft_scenario(port):
    """The soft limit closes a client whose replies stay above it for its seconds, not one that
    takes its replies (each new reply starts the clock again, as Redis checks as it grows)."""
    fill(port, "normal 0 100kb 1")
    out = []
    with RawConn(port) as c:
        out.append(c.cmd("LRANGE", "big", "0", "-1").startswith(b"*%d\r\n" % ELEMENTS))
        time.sleep(2.5)  # Redis counts whole seconds and closes past them: 2 s is enough
        out.append(c.cmd("LRANGE", "big", "0", "-1").startswith(b"*%d\r\n" % ELEMENTS))
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", port))
    try:
        # Never reading: 20 replies of 414 KB are past what the socket buffers hold, so the
        # server's output stays above the soft limit from the first one on.
        closed = False
        start = time.monotonic()
        while time.monotonic() - start < 6 and not closed:
            try:
                slow.sendall(harness.encode_command("LRANGE", "big", "0", "-1"))
            except OSError:
                closed = True
            time.sleep(0.2)
            with RawConn(port) as probe:
                clients = probe.cmd("CLIENT", "LIST").count(b"cmd=lrange")
            closed = closed or clients == 0
        out.append(closed)
        out.append(time.monotonic() - start > 1.0)  # not before its second
    finally:
        slow.close()
    return out


@test
def test_hard_limit_closes_the_client_as_redis(opts):
    ref, dut = on_both_servers(opts, hard_scenario)
    assert_same("hard limit", ref, dut)
    assert ref[1] == (b"", 0, True), ref[1]  # shows the check can fail: Redis does close it


@test
def test_soft_limit_closes_after_its_seconds_as_redis(opts):
    ref, dut = on_both_servers(opts, soft_scenario)
    assert_same("soft limit", ref, dut)
    assert ref == [True, True, True, True], ref


@test
def test_hard_limit_on_epoll(opts):
    with harness.start_daemon(opts.bindir, ["--io-backend", "epoll"]) as d:
        got = hard_scenario(d.port)
    assert got[1] == (b"", 0, True), got[1]
    assert got[2] == b":%d\r\n" % ELEMENTS


if __name__ == "__main__":
    harness.main()
