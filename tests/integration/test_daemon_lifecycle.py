#!/usr/bin/env python3
# aegisr-daemon's life cycle over the network: start-up (default address, port in use, --help, bad
# flags), shutdown (SIGTERM, SIGINT, SHUTDOWN) with replies in flight, admission (maxclients), and
# clients that misbehave (disconnect mid-pipeline, half-close, huge pipelines, huge values, query
# buffer over the limit). redis-server 7.0 is the oracle where behaviour is protocol-visible.
# Single-threaded unless a test starts its own threads (each with its own RawConn).
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"


def run_daemon_expecting_exit(opts, args, timeout=10.0):
    """Runs aegisr-daemon ARGS to completion; returns (exit code, stdout+stderr text)."""
    p = subprocess.run([harness.daemon_path(opts.bindir)] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_exit(handle, timeout):
    """Waits for the process to exit by itself; returns its exit code (fails after timeout)."""
    try:
        code = handle.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        handle.kill()
        raise AssertionError(f"daemon still running {timeout}s later\n--- log ---\n{handle.log()}")
    handle.exit_code = code
    return code


def recv_exact(sock, n, timeout=30.0):
    """Reads exactly n bytes (or fails with what it got)."""
    sock.settimeout(timeout)
    parts = []
    got = 0
    while got < n:
        chunk = sock.recv(min(1 << 20, n - got))
        if not chunk:
            raise ConnectionError(f"closed after {got} of {n} bytes")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def read_bulk(conn, timeout=30.0):
    """Reads one bulk reply ($len\\r\\n...\\r\\n) from a RawConn, efficiently for big values."""
    deadline = time.monotonic() + timeout
    while b"\r\n" not in conn.buf:
        conn._fill(deadline)
    eol = conn.buf.index(b"\r\n")
    header = bytes(conn.buf[:eol])
    assert header.startswith(b"$"), f"not a bulk reply: {bytes(conn.buf[:80])!r}"
    n = int(header[1:])
    del conn.buf[:eol + 2]
    have = bytes(conn.buf[:n + 2])
    del conn.buf[:n + 2]
    rest = recv_exact(conn.sock, n + 2 - len(have), timeout) if len(have) < n + 2 else b""
    data = have + rest
    assert data[-2:] == b"\r\n", "bulk not followed by CRLF"
    return data[:-2]


def rst_close(sock):
    """Closes with a reset (SO_LINGER 0), as a crashed client would."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def connected_clients(conn):
    # Asked on a connection the test already holds: a fresh one per call would race with the
    # server reaping the previous call's (closed, but maybe not yet noticed) connection.
    info = conn.cmd("INFO", "clients").decode()
    for line in info.split("\r\n"):
        if line.startswith("connected_clients:"):
            return int(line.split(":")[1])
    raise AssertionError(f"no connected_clients in {info!r}")


def settled_connected_clients(conn, want, timeout=30):
    """connected_clients once it equals `want`, or its value at the deadline. A client that
    closed a moment ago stays counted until the server reaps its socket, and on a loaded 2-core
    machine that can take seconds; the point is that it goes, not how fast."""
    deadline = time.monotonic() + timeout
    n = connected_clients(conn)
    while n != want and time.monotonic() < deadline:
        time.sleep(0.05)
        n = connected_clients(conn)
    return n


# ---------------------------------------------------------------------------------------------
# Start-up


@test
def test_default_address_is_127_0_0_1_port_1211(opts):
    if not port_is_free(1211):
        harness.skip("127.0.0.1:1211 is in use on this machine; default-port case not run")
    h = harness.ServerHandle("aegisr-daemon", [harness.daemon_path(opts.bindir), "--threads", "1"],
                             1211)
    with h:
        h.wait_ready()
        with harness.RawConn(1211) as c:
            assert c.cmd("CONFIG", "GET", "port") == b"*2\r\n$4\r\nport\r\n$4\r\n1211\r\n"
            assert c.cmd("SET", "k", "v") == b"+OK\r\n"
            assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
        deadline = time.monotonic() + 3  # the ready line may follow the first PING
        while "port 1211" not in h.log() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "port 1211" in h.log(), h.log()


def check_port_in_use(opts, port, holder):
    code, out = run_daemon_expecting_exit(opts, ["-p", str(port), "--threads", "2"])
    assert code != 0, f"daemon exited 0 although {holder} holds port {port}: {out}"
    assert code == 1, f"exit code {code}, expected 1: {out}"
    assert f"127.0.0.1:{port}" in out, f"message does not name the address: {out!r}"
    assert "in use" in out, f"message does not say the address is in use: {out!r}"


@test
def test_port_in_use_by_redis_server_is_reported(opts):
    with harness.start_redis() as ref:
        check_port_in_use(opts, ref.port, "redis-server")
        with harness.RawConn(ref.port) as c:  # and the holder was not disturbed
            assert c.cmd("PING") == b"+PONG\r\n"


@test
def test_port_in_use_by_another_daemon_is_reported(opts):
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as first:
        check_port_in_use(opts, first.port, "aegisr-daemon")
        # SO_REUSEPORT must not have let the second daemon take a share of the connections.
        for _ in range(20):
            with harness.RawConn(first.port) as c:
                assert c.cmd("SET", "owner", "first") == b"+OK\r\n"
                assert c.cmd("GET", "owner") == b"$5\r\nfirst\r\n"


@test
def test_help_exits_0_and_lists_knobs(opts):
    code, out = run_daemon_expecting_exit(opts, ["--help"])
    assert code == 0, (code, out)
    for knob in ("--port", "--bind", "--threads", "--io-backend", "--maxclients",
                 "--client-query-buffer-limit", "--proto-max-bulk-len"):
        assert knob in out, f"--help does not list {knob}"


@test
def test_bad_flag_exits_2(opts):
    for args in (["--no-such-knob", "1"], ["--maxclients", "lots"], ["--io-backend", "kqueue"]):
        code, out = run_daemon_expecting_exit(opts, args)
        assert code == 2, f"{args}: exit {code}: {out}"
        assert out.strip(), f"{args}: no message"


# ---------------------------------------------------------------------------------------------
# Shutdown


def shutdown_by_signal_with_big_reply_in_flight(opts, sig):
    size = 48 << 20
    value = os.urandom(size // 16) * 16
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        with harness.RawConn(d.port, timeout=30) as w:
            w.send_cmd("SET", "big", value)
            assert w.read_reply(timeout=30) == b"+OK\r\n"
        idle = [harness.RawConn(d.port) for _ in range(5)]
        for c in idle:
            assert c.cmd("PING") == b"+PONG\r\n"
        partial = harness.RawConn(d.port)
        partial.send(b"*2\r\n$3\r\nGET\r\n$3\r\nbi")  # an unfinished command
        reader = harness.RawConn(d.port, timeout=30)
        reader.send_cmd("GET", "big")
        time.sleep(0.5)  # the reply is produced and partly stuck in the socket buffers
        d.proc.send_signal(sig)
        t0 = time.monotonic()
        got = read_bulk(reader, timeout=30)
        assert len(got) == size, f"reply cut short: {len(got)} of {size} bytes"
        assert got == value, "reply bytes differ"
        code = wait_exit(d, 5)
        assert code == 0, f"exit code {code} after {sig.name}\n{d.log()}"
        assert time.monotonic() - t0 < 5
        for c in idle + [partial, reader]:
            assert c.is_closed(wait=2), "connection left open after shutdown"
            c.close()
        name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
        assert f"Received {name}" in d.log(), d.log()


@test
def test_sigterm_with_big_reply_in_flight_exits_0_after_sending_it(opts):
    shutdown_by_signal_with_big_reply_in_flight(opts, signal.SIGTERM)


@test
def test_sigint_with_big_reply_in_flight_exits_0_after_sending_it(opts):
    shutdown_by_signal_with_big_reply_in_flight(opts, signal.SIGINT)


@test
def test_shutdown_from_redis_cli_exits_0(opts):
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        other = harness.RawConn(d.port)
        assert other.cmd("PING") == b"+PONG\r\n"
        p = subprocess.run(["redis-cli", "-p", str(d.port), "SHUTDOWN"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=10)
        assert wait_exit(d, 5) == 0, d.log()
        # redis-cli prints nothing when the server closes the connection on SHUTDOWN.
        assert p.stdout.strip() == b"", p.stdout
        assert other.is_closed(wait=2)
        other.close()
        # A plain shutdown is not a signal: the log must not claim one arrived.
        assert "Received SIGTERM" not in d.log(), d.log()


@test
def test_quit_replies_ok_and_closes_like_redis(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as d:
        results = []
        for port in (ref.port, d.port):
            with harness.RawConn(port) as c:
                c.send(harness.encode_command("QUIT") + harness.encode_command("PING"))
                results.append(c.read_until_idle(idle=1.0))
        assert results[0] == (b"+OK\r\n", True), results[0]
        assert results[1] == results[0], f"redis {results[0]!r}, aegisr {results[1]!r}"


# ---------------------------------------------------------------------------------------------
# Admission


def fill_to_maxclients(port, n):
    """Opens n connections that each answered PING (retrying while the harness's own probe
    connection is still being closed by the server)."""
    conns = []
    deadline = time.monotonic() + 5
    while len(conns) < n:
        c = harness.RawConn(port)
        reply = c.cmd("PING")
        if reply == b"+PONG\r\n":
            conns.append(c)
            continue
        c.close()
        assert reply == MAXCLIENTS_ERR and time.monotonic() < deadline, reply
        time.sleep(0.05)
    return conns


def sixth_connection(port):
    c = harness.RawConn(port)
    try:
        c.send(harness.encode_command("PING"))
    except OSError:
        pass
    got = c.read_until_idle(idle=1.0)
    c.close()
    return got


@test
def test_maxclients_refuses_the_sixth_connection(opts):
    with harness.start_redis(extra_args=["--maxclients", "5"]) as ref, \
            harness.start_daemon(opts.bindir, ["--maxclients", "5", "--threads", "2"]) as d:
        ref_conns = fill_to_maxclients(ref.port, 5)
        ref_got = sixth_connection(ref.port)
        conns = fill_to_maxclients(d.port, 5)
        got = sixth_connection(d.port)
        assert ref_got == (MAXCLIENTS_ERR, True), f"oracle changed: {ref_got!r}"
        assert got == ref_got, f"redis {ref_got!r}, aegisr {got!r}"
        for i, c in enumerate(conns):  # the first five keep working
            assert c.cmd("SET", f"k{i}", i) == b"+OK\r\n"
            assert c.cmd("GET", f"k{i}") == b"$1\r\n%d\r\n" % i
        # A freed slot is given to the next client.
        conns.pop().close()
        again = fill_to_maxclients(d.port, 1)
        assert again[0].cmd("DBSIZE") == b":5\r\n"
        for c in conns + again + ref_conns:
            c.close()


# ---------------------------------------------------------------------------------------------
# Misbehaving and demanding clients


@test
def test_client_disconnecting_mid_pipeline_does_not_disturb_others(opts):
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        with harness.RawConn(d.port) as w:
            assert w.cmd("SET", "big", b"x" * (1 << 20)) == b"+OK\r\n"
        watcher = harness.RawConn(d.port)
        for round_ in range(10):
            # One that resets mid-command, one that resets with megabytes of replies unsent.
            a = harness.RawConn(d.port)
            a.send(b"".join(harness.encode_command("INCR", "n") for _ in range(5000)) +
                   b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
            b = harness.RawConn(d.port)
            b.send(b"".join(harness.encode_command("GET", "big") for _ in range(50)))
            rst_close(a.sock)
            rst_close(b.sock)
            r = watcher.cmd("INCR", "w")
            assert r == b":%d\r\n" % (round_ + 1), r
            r = watcher.cmd("EXISTS", "k")
            assert r == b":0\r\n", r  # the unfinished SET never ran
        # Each round makes the server build 50 MB of replies for a reset peer.
        n = settled_connected_clients(watcher, 1)
        assert n == 1, f"{n} clients connected"  # only the watcher
        watcher.close()


@test
def test_half_closed_client_gets_every_reply_like_redis(opts):
    # A client that sends a pipeline and then shuts its write side (`... | nc -N`) gets every
    # reply before the server closes. Sizes: one command, and exactly 128 KiB (whole multiples
    # of a read buffer, so the EOF arrives in the same batch of reads as the data), sent while
    # another client keeps the (single) worker busy so that data and EOF are queued together.
    def run(port, total):
        busy = harness.RawConn(port, timeout=10)
        busy.send(b"DEBUG SLEEP 0.3\r\n")
        time.sleep(0.1)
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        n = total // 6
        data = b"PING\r\n" * n
        data += b"\n" * (total - len(data))  # blank lines are skipped by both servers
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        s.close()
        assert busy.read_reply() == b"+OK\r\n"
        busy.close()
        return n, got

    with harness.start_redis(extra_args=["--enable-debug-command", "yes"]) as ref, \
            harness.start_daemon(opts.bindir, ["--threads", "1"]) as d:
        for total in (6, 131072):
            n, ref_got = run(ref.port, total)
            assert ref_got == b"+PONG\r\n" * n, f"oracle changed ({total})"
            n, got = run(d.port, total)
            assert got.count(b"+PONG\r\n") == n and got == ref_got, \
                f"{total} bytes: {got.count(b'+PONG')} of {n} replies"


@test
def test_thousand_concurrent_connections(opts):
    n = 1000
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        conns = [harness.RawConn(d.port, timeout=20) for _ in range(n)]
        for i, c in enumerate(conns):
            c.send(harness.encode_command("SET", f"key:{i}", f"v{i}") +
                   harness.encode_command("INCR", "counter") +
                   harness.encode_command("GET", f"key:{i}") +
                   harness.encode_command("CLIENT", "ID"))
        ids = set()
        for i, c in enumerate(conns):
            assert c.read_reply() == b"+OK\r\n"
            assert c.read_reply().startswith(b":")
            v = f"v{i}".encode()
            assert c.read_reply() == b"$%d\r\n%s\r\n" % (len(v), v)
            r = c.read_reply()
            if r.startswith(b":"):
                ids.add(r)
        with harness.RawConn(d.port) as c:
            assert c.cmd("GET", "counter") == b"$4\r\n1000\r\n"
            assert c.cmd("DBSIZE") == b":1001\r\n"
        assert len(ids) in (0, n), "client ids are not unique"
        assert settled_connected_clients(conns[0], n) == n
        for c in conns:
            assert c.cmd("EXISTS", "counter") == b":1\r\n"
            c.close()


@test
def test_huge_pipeline_with_slow_reader_gets_every_reply_in_order(opts):
    n = 100_000
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        c = harness.RawConn(d.port, timeout=60)
        parts = []
        for i in range(n):
            parts.append(harness.encode_command("INCR", "seq") if i % 2 else
                         harness.encode_command("ECHO", f"m{i}"))
        blob = b"".join(parts)
        sender = threading.Thread(target=c.sock.sendall, args=(blob,))
        sender.start()  # one write of several MB while nobody reads the replies yet
        time.sleep(0.5)
        expected = []
        for i in range(n):
            if i % 2:
                v = b"%d" % ((i + 1) // 2)
                expected.append(b":" + v + b"\r\n")
            else:
                m = b"m%d" % i
                expected.append(b"$%d\r\n%s\r\n" % (len(m), m))
        want = b"".join(expected)
        got = bytearray()
        c.sock.settimeout(60)
        reads = 0
        while len(got) < len(want):
            chunk = c.sock.recv(4096 if reads < 300 else 1 << 16)
            assert chunk, f"closed after {len(got)} bytes"
            got += chunk
            reads += 1
            if reads < 300:
                time.sleep(0.002)  # a slow reader at first
        sender.join(30)
        assert not sender.is_alive()
        assert bytes(got) == want, "replies differ or are out of order"
        assert c.cmd("GET", "seq") == b"$5\r\n50000\r\n"
        c.close()


@test
def test_100mb_value_set_and_get_intact(opts):
    size = 100 << 20
    value = os.urandom(1 << 20) * 100
    digest = hashlib.sha256(value).digest()
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        c = harness.RawConn(d.port, timeout=60)
        c.send_cmd("SET", "huge", value)
        assert c.read_reply(timeout=60) == b"+OK\r\n"
        assert c.cmd("STRLEN", "huge") == b":%d\r\n" % size
        c.send_cmd("GET", "huge")
        got = read_bulk(c, timeout=60)
        assert len(got) == size and hashlib.sha256(got).digest() == digest
        assert c.cmd("PING") == b"+PONG\r\n"  # the connection is still in step
        c.close()


@test
def test_client_query_buffer_limit_closes_only_that_client(opts):
    limit_args = ["--client-query-buffer-limit", "1mb"]
    head = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n"

    def over_limit(port):
        c = harness.RawConn(port)
        try:
            c.send(head + b"a" * (1536 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = c.read_until_idle(idle=1.0)
        c.close()
        return got

    with harness.start_redis(extra_args=limit_args) as ref, \
            harness.start_daemon(opts.bindir, limit_args + ["--threads", "2"]) as d:
        ref_got = over_limit(ref.port)
        assert ref_got == (b"", True), f"oracle changed: {ref_got!r}"
        other = harness.RawConn(d.port)
        assert other.cmd("SET", "other", "1") == b"+OK\r\n"
        got = over_limit(d.port)
        assert got == ref_got, f"redis {ref_got!r}, aegisr {got!r}"
        assert other.cmd("GET", "other") == b"$1\r\n1\r\n"
        assert other.cmd("EXISTS", "k") == b":0\r\n"
        # Under the limit, a complete value bigger than half of it is fine.
        assert other.cmd("SET", "k", b"b" * (900 * 1024)) == b"+OK\r\n"
        assert other.cmd("STRLEN", "k") == b":921600\r\n"
        other.close()


def idle_timeout_outcome(port):
    """With `timeout` 1 set by CONFIG SET: (idle client's bytes and closed, busy client alive,
    slow sender alive) after 4 s in which the busy client sends PINGs and the slow sender
    dribbles an unfinished bulk (reading its bytes counts as interaction, as in Redis)."""
    with harness.RawConn(port) as c:
        assert c.cmd("CONFIG", "SET", "timeout", "1") == b"+OK\r\n"
    idle = harness.RawConn(port)
    assert idle.cmd("PING") == b"+PONG\r\n"
    busy = harness.RawConn(port)
    slow = harness.RawConn(port)
    slow.send(b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$100\r\n")
    end = time.monotonic() + 4
    while time.monotonic() < end:
        assert busy.cmd("PING") == b"+PONG\r\n"
        slow.send(b"s")
        time.sleep(0.3)
    idle_got = idle.read_until_idle(idle=0.5, total=2)
    busy_ok = busy.cmd("PING") == b"+PONG\r\n"
    slow.send(b"s" * 60 + b"\r\n")
    slow_ok = not slow.is_closed(wait=0.3)
    for c in (idle, busy, slow):
        c.close()
    return idle_got, busy_ok, slow_ok


@test
def test_timeout_closes_idle_clients_like_redis(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        ref_got = idle_timeout_outcome(ref.port)
        assert ref_got == ((b"", True), True, True), f"oracle changed: {ref_got!r}"
        got = idle_timeout_outcome(d.port)
        assert got == ref_got, f"redis {ref_got!r}, aegisr {got!r}"


def keepalive_timers(port):
    """The keepalive timer seconds of the server side of established connections on port."""
    out = subprocess.run(["ss", "-tnoH", "state", "established", f"( sport = :{port} )"],
                         stdout=subprocess.PIPE, text=True, timeout=10).stdout
    timers = []
    for line in out.splitlines():
        if "timer:(keepalive," in line:
            t = line.split("timer:(keepalive,")[1].split(",")[0]
            mins = int(t.split("min")[0]) if "min" in t else 0
            secs = int(t.split("min")[-1].split("sec")[0]) if "sec" in t else 0
            timers.append(mins * 60 + secs)
        else:
            timers.append(None)
    return timers


@test
def test_tcp_keepalive_is_set_on_client_sockets(opts):
    if subprocess.run(["which", "ss"], stdout=subprocess.DEVNULL).returncode != 0:
        harness.skip("ss (iproute2) is not installed")
    with harness.start_daemon(opts.bindir, ["--threads", "1", "--tcp-keepalive", "60"]) as d:
        c = harness.RawConn(d.port)
        assert c.cmd("PING") == b"+PONG\r\n"
        timers = keepalive_timers(d.port)
        assert timers and all(t is not None and 50 <= t <= 60 for t in timers), timers
        with harness.RawConn(d.port) as k:
            assert k.cmd("CONFIG", "SET", "tcp-keepalive", "0") == b"+OK\r\n"
        c.close()
        c = harness.RawConn(d.port)  # accepted after keepalive was turned off
        assert c.cmd("PING") == b"+PONG\r\n"
        assert keepalive_timers(d.port) == [None], keepalive_timers(d.port)
        c.close()


if __name__ == "__main__":
    harness.main()
