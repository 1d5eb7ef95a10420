#!/usr/bin/env python3
# Malformed and unusual RESP input: each case is sent to redis-server 7.0 and to aegisr-daemon on a
# fresh connection; the bytes sent back and whether the connection was closed must match. Another
# connection must keep answering meanwhile. Single-threaded.
import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

BIG = 70 * 1024  # more than the 64 KB limit on an inline request or a count line

# (name, bytes sent). Cases where the request is incomplete expect no reply and an open connection.
CASES = [
    ("multibulk length not a number", b"*abc\r\n"),
    ("multibulk length with sign", b"*+1\r\n$4\r\nPING\r\n"),
    ("multibulk length with space", b"* 1\r\n$4\r\nPING\r\n"),
    ("multibulk length empty", b"*\r\n"),
    ("multibulk length over INT_MAX", b"*2147483648\r\n"),
    ("multibulk length large but legal, then nothing", b"*1048577\r\n"),
    ("multibulk length -1 is ignored", b"*-1\r\nPING\r\n"),
    ("multibulk length -5 is ignored", b"*-5\r\nPING\r\n"),
    ("multibulk length 0 is ignored", b"*0\r\nPING\r\n"),
    ("bulk length not a number", b"*1\r\n$abc\r\n"),
    ("bulk length -1", b"*1\r\n$-1\r\n"),
    ("bulk length with sign", b"*1\r\n$+4\r\nPING\r\n"),
    ("bulk length with leading zero", b"*1\r\n$04\r\nPING\r\n"),
    ("bulk length empty", b"*1\r\n$\r\n"),
    ("bulk length over proto-max-bulk-len", b"*1\r\n$536870913\r\n"),
    ("bulk length at proto-max-bulk-len, then nothing", b"*1\r\n$536870912\r\n"),
    ("'$' missing", b"*1\r\nGET\r\n"),
    ("'$' missing after a CR only", b"*1\r$4\r\nPING\r\n"),
    ("'$' missing in second argument", b"*2\r\n$3\r\nGET\r\n:1\r\n"),
    ("bulk not followed by CRLF", b"*1\r\n$4\r\nPINGxx"),
    ("incomplete bulk", b"*2\r\n$3\r\nGET\r\n$5\r\nab"),
    ("unbalanced double quote", b'SET "a b\r\n'),
    ("unbalanced single quote", b"SET 'a b\r\n"),
    ("closing quote followed by a character", b'SET "a"b c\r\n'),
    ("inline escapes", b'SET a "x\\r\\ny\\x00\\t"\r\nGET a\r\n'),
    ("inline single-quoted", b"SET a 'it\\'s'\r\nGET a\r\n"),
    ("inline LF only", b"PING\n"),
    ("empty lines are skipped", b"\r\n\r\n\nPING\r\n"),
    ("inline unknown command", b"FOO bar\r\n"),
    ("inline wrong arity", b"GET\r\n"),
    ("inline line of 70 KB without CRLF", b"A" * BIG),
    ("multibulk count of 70 KB without CRLF", b"*" + b"1" * BIG),
    ("bulk count of 70 KB without CRLF", b"*1\r\n$" + b"1" * BIG),
    ("inline command of 70 KB with CRLF", b"ECHO " + b"x" * BIG + b"\r\n"),
    ("valid after garbage-free pipelining", b"*1\r\n$4\r\nPING\r\n" * 100),
    ("binary key with NUL and CRLF",
     harness.encode_command(b"SET", b"k\x00\r\n", b"v\r\n\x00") +
     harness.encode_command(b"GET", b"k\x00\r\n") +
     harness.encode_command(b"STRLEN", b"k\x00\r\n") + harness.encode_command(b"GET", b"k")),
    ("command name with NUL", harness.encode_command(b"GE\x00T", b"a")),
    ("empty command name", harness.encode_command(b"")),
]


def run_case(port, data, idle=0.25):
    """Sends data on a new connection; returns (conn, bytes received, closed). The caller closes."""
    c = harness.RawConn(port)
    try:
        c.send(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server closed before reading everything; what it sent is still read below
    out, closed = c.read_until_idle(idle=idle)
    return c, out, closed


def _short(b):
    return repr(b if len(b) < 200 else b[:200] + b"...")


@test
def test_malformed_requests_match_redis(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        watcher = harness.RawConn(dut.port)
        assert watcher.cmd("SELECT", "9") == b"+OK\r\n"  # out of reach of the FLUSHDBs below
        assert watcher.cmd("SET", "watch", "still here") == b"+OK\r\n"
        mismatches = []
        for name, data in CASES:
            for conn in (harness.RawConn(ref.port), harness.RawConn(dut.port)):
                conn.cmd("FLUSHDB")
                conn.close()
            # Both at once: each waits for its server to go quiet.
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                rf = pool.submit(run_case, ref.port, data)
                df = pool.submit(run_case, dut.port, data)
                rc, rout, rclosed = rf.result()
                dc, dout, dclosed = df.result()
            try:
                if (rout, rclosed) != (dout, dclosed):
                    mismatches.append(name)
                    print(f"  MISMATCH {name}: sent {_short(data)}\n"
                          f"    redis : {_short(rout)} closed={rclosed}\n"
                          f"    aegisr: {_short(dout)} closed={dclosed}")
                # Another client is unaffected, even while the bad connection is still open.
                assert watcher.cmd("PING") == b"+PONG\r\n", f"watcher after {name}"
                assert watcher.cmd("GET", "watch") == b"$10\r\nstill here\r\n", name
                assert dut.alive(), f"daemon died on {name}"
            finally:
                rc.close()
                dc.close()
        watcher.close()
        assert not mismatches, f"{len(mismatches)} cases differ: {mismatches}"


@test
def test_split_writes_byte_by_byte(opts):
    """A request that arrives one byte at a time is parsed exactly like one in a single write."""
    with harness.start_daemon(opts.bindir) as d, harness.RawConn(d.port) as c:
        req = (harness.encode_command("SET", "k\r\n", "a\x00b" * 10) +
               harness.encode_command("GET", "k\r\n") + b"PING\r\n")
        for i in range(len(req)):
            c.send(req[i:i + 1])
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b"$30\r\n" + b"a\x00b" * 10 + b"\r\n"
        assert c.read_reply() == b"+PONG\r\n"


@test
def test_large_value_in_pieces(opts):
    """An 8 MB bulk argument sent in 64 KB pieces arrives intact."""
    with harness.start_daemon(opts.bindir) as d, harness.RawConn(d.port, timeout=20) as c:
        value = os.urandom(8 << 20)
        req = harness.encode_command(b"SET", b"big", value)
        for i in range(0, len(req), 65536):
            c.send(req[i:i + 65536])
        assert c.read_reply() == b"+OK\r\n"
        assert c.cmd("STRLEN", "big") == b":%d\r\n" % len(value)
        assert c.cmd("GET", "big") == b"$%d\r\n%s\r\n" % (len(value), value)


@test
def test_protocol_error_closes_only_that_connection(opts):
    with harness.start_daemon(opts.bindir) as d:
        others = [harness.RawConn(d.port) for _ in range(8)]
        for i, o in enumerate(others):
            assert o.cmd("SET", f"o{i}", str(i)) == b"+OK\r\n"
        bad = harness.RawConn(d.port)
        bad.send(b"*1\r\n$abc\r\n")
        out, closed = bad.read_until_idle()
        assert out == b"-ERR Protocol error: invalid bulk length\r\n", out
        assert closed, "connection left open after a protocol error"
        bad.close()
        for i, o in enumerate(others):
            assert o.cmd("GET", f"o{i}") == b"$1\r\n%d\r\n" % i
            o.close()


if __name__ == "__main__":
    harness.main()
