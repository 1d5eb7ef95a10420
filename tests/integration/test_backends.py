#!/usr/bin/env python3
# One set of network checks run against each I/O backend (io_uring, epoll) with one and with four
# worker threads: PING, SET/GET, pipelines, large values, many clients, half-close, QUIT, CLIENT
# KILL from another connection (across worker threads), SHUTDOWN; and the log must name the
# backend. Single-threaded unless a check starts its own threads (each with its own RawConn).
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

BACKEND_NAMES = {"uring": "io_uring", "epoll": "epoll"}


def info_field(conn, section, name):
    for line in conn.cmd("INFO", section).decode().split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def wait_log(handle, text, timeout=3.0):
    """True once the server's log holds text (the ready line may follow the first PING)."""
    deadline = time.monotonic() + timeout
    while text not in handle.log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def check_ping_set_get(port):
    with harness.RawConn(port) as c:
        assert c.cmd("PING") == b"+PONG\r\n"
        assert c.cmd("PING", "hi") == b"$2\r\nhi\r\n"
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd("GET", "k") == b"$1\r\nv\r\n"
        assert c.cmd("GET", "missing") == b"$-1\r\n"
        assert c.cmd("NOSUCHCMD").startswith(b"-ERR unknown command")
        c.send(b"PING\r\n")  # inline
        assert c.read_reply() == b"+PONG\r\n"


def check_pipeline(port):
    with harness.RawConn(port) as c:
        cmds = []
        for i in range(5000):
            cmds.append(("SET", f"p:{i}", f"val{i}"))
            cmds.append(("GET", f"p:{i}"))
            cmds.append(("INCR", "pipe-n"))
        replies = c.pipeline(cmds, timeout=30)
        for i in range(5000):
            v = f"val{i}".encode()
            assert replies[3 * i] == b"+OK\r\n"
            assert replies[3 * i + 1] == b"$%d\r\n%s\r\n" % (len(v), v)
            assert replies[3 * i + 2] == b":%d\r\n" % (i + 1)
        # A pipeline split at every byte boundary region still parses the same.
        blob = b"".join(harness.encode_command("ECHO", f"e{i}") for i in range(50))
        for j in range(0, len(blob), 7):
            c.send(blob[j:j + 7])
        for i in range(50):
            e = f"e{i}".encode()
            assert c.read_reply() == b"$%d\r\n%s\r\n" % (len(e), e)


def check_large_values(port):
    with harness.RawConn(port, timeout=30) as c:
        for size in (16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 1 << 20, 20 << 20):
            value = (b"0123456789abcdef" * (size // 16 + 1))[:size]
            assert c.cmd("SET", "large", value) == b"+OK\r\n", size
            reply = c.cmd("GET", "large", timeout=30)
            assert reply == b"$%d\r\n%s\r\n" % (size, value), f"GET of {size} bytes differs"
        # Several big replies queued behind one another while the client is not reading.
        c.send(b"".join(harness.encode_command("GET", "large") for _ in range(5)))
        time.sleep(0.3)
        for _ in range(5):
            assert len(c.read_reply(timeout=30)) == len(value) + len(b"$%d\r\n\r\n" % size)


def check_many_clients(port, threads):
    n_clients = 200
    errors = []

    def worker(first):
        try:
            conns = [harness.RawConn(port, timeout=20) for _ in range(n_clients // 10)]
            for i, c in enumerate(conns):
                c.send(harness.encode_command("INCR", "many") +
                       harness.encode_command("SET", f"m:{first + i}", first + i) +
                       harness.encode_command("GET", f"m:{first + i}"))
            for i, c in enumerate(conns):
                assert c.read_reply().startswith(b":")
                assert c.read_reply() == b"+OK\r\n"
                v = b"%d" % (first + i)
                assert c.read_reply() == b"$%d\r\n%s\r\n" % (len(v), v)
                c.close()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(repr(e))

    ts = [threading.Thread(target=worker, args=(k * (n_clients // 10),)) for k in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors[:3]
    with harness.RawConn(port) as c:
        assert c.cmd("GET", "many") == b"$3\r\n200\r\n"
        assert info_field(c, "server", "aegisr_threads") in (None, str(threads))


def check_half_close(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"".join(harness.encode_command("ECHO", f"h{i}") for i in range(2000)))
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        got += chunk
    s.close()
    want = b"".join(b"$%d\r\nh%d\r\n" % (len(b"h%d" % i), i) for i in range(2000))
    assert got == want, f"half-closed client got {len(got)} of {len(want)} bytes"


def check_quit(port):
    with harness.RawConn(port) as c:
        assert c.cmd("SET", "q", "1") == b"+OK\r\n"
        c.send(harness.encode_command("QUIT") + harness.encode_command("SET", "q", "2"))
        got, closed = c.read_until_idle(idle=1.0)
        assert (got, closed) == (b"+OK\r\n", True), (got, closed)
    with harness.RawConn(port) as c:
        assert c.cmd("GET", "q") == b"$1\r\n1\r\n"  # nothing after QUIT ran


def check_client_kill(port):
    with harness.RawConn(port) as killer:
        probe = killer.cmd("CLIENT", "ID")
        if not probe.startswith(b":"):
            print(f"    (CLIENT KILL not checked: CLIENT ID answered {probe!r})")
            return False
        assert killer.cmd("CLIENT", "KILL", "ID", "999999999") == b":0\r\n"
        assert killer.cmd("CLIENT", "KILL", "ID", "abc").startswith(b"-ERR")
        # Enough victims that, with several workers, some live on other threads than the killer.
        victims = [harness.RawConn(port) for _ in range(12)]
        ids = []
        for v in victims:
            r = v.cmd("CLIENT", "ID")
            assert r.startswith(b":"), r
            ids.append(int(r[1:-2]))
        # One victim has megabytes of replies queued that it does not read.
        assert killer.cmd("SET", "kbig", b"z" * (4 << 20)) == b"+OK\r\n"
        victims[0].send(b"".join(harness.encode_command("GET", "kbig") for _ in range(8)))
        time.sleep(0.2)
        for v, cid in zip(victims, ids):
            assert killer.cmd("CLIENT", "KILL", "ID", cid) == b":1\r\n", cid
        # Killed clients are gone at once for later KILLs and for CLIENT LIST, as in Redis (which
        # frees them inside the command), even while their own threads are still closing them.
        assert killer.cmd("CLIENT", "KILL", "ID", ids[2]) == b":0\r\n"
        listed = killer.cmd("CLIENT", "LIST")
        for cid in ids:
            assert f"id={cid} ".encode() not in listed, (cid, listed)
        for v, cid in zip(victims, ids):
            deadline = time.monotonic() + 3
            closed = False
            while time.monotonic() < deadline and not closed:
                try:
                    closed = v.is_closed(wait=0.2)
                except OSError:
                    closed = True
                v.buf.clear()  # victim 0's unread replies
            assert closed, f"client {cid} still open after CLIENT KILL"
            v.close()
        assert killer.cmd("CLIENT", "KILL", "ID", ids[1]) == b":0\r\n"  # already gone
        assert killer.cmd("PING") == b"+PONG\r\n"
        # As in Redis, a filter skips the caller (SKIPME yes) unless told otherwise; then the
        # reply is sent and the connection closes.
        me = int(killer.cmd("CLIENT", "ID")[1:-2])
        assert killer.cmd("CLIENT", "KILL", "ID", me) == b":0\r\n"
        assert killer.cmd("PING") == b"+PONG\r\n"
        killer.send_cmd("CLIENT", "KILL", "ID", me, "SKIPME", "no")
        got, closed = killer.read_until_idle(idle=1.0)
        assert (got, closed) == (b":1\r\n", True), (got, closed)
    return True


def check_shutdown(handle, port):
    others = [harness.RawConn(port) for _ in range(8)]
    for c in others:
        assert c.cmd("PING") == b"+PONG\r\n"
    p = subprocess.run(["redis-cli", "-p", str(port), "SHUTDOWN"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=10)
    try:
        code = handle.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running 5s after SHUTDOWN\n{handle.log()}")
    handle.exit_code = code
    assert code == 0, f"exit code {code} after SHUTDOWN"
    assert p.stdout.strip() == b"", p.stdout
    for c in others:
        assert c.is_closed(wait=2), "a connection outlived SHUTDOWN"
        c.close()


def run_backend(opts, backend, threads, extra=()):
    args = ["--io-backend", backend, "--threads", str(threads), *extra]
    with harness.start_daemon(opts.bindir, args) as d:
        want = f"({threads} threads, {BACKEND_NAMES[backend]})"
        assert wait_log(d, want), f"log does not say {want!r}:\n{d.log()}"
        with harness.RawConn(d.port) as c:
            assert info_field(c, "server", "multiplexing_api") == BACKEND_NAMES[backend]
        check_ping_set_get(d.port)
        check_pipeline(d.port)
        check_large_values(d.port)
        check_many_clients(d.port, threads)
        check_half_close(d.port)
        check_quit(d.port)
        killed = check_client_kill(d.port)
        check_shutdown(d, d.port)
    if not killed:
        harness.skip("CLIENT is an unknown command here: CLIENT KILL not checked (rest passed)")


@test
def test_uring_one_thread(opts):
    run_backend(opts, "uring", 1)


@test
def test_uring_four_threads(opts):
    run_backend(opts, "uring", 4)


@test
def test_uring_without_idle_poll(opts):
    run_backend(opts, "uring", 2, ["--idle-poll-us", "0"])


@test
def test_uring_long_idle_poll(opts):
    # One worker, so that on a multi-core machine a core is left over and the worker polls.
    run_backend(opts, "uring", 1, ["--idle-poll-us", "5000"])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@test
def test_idle_poll_stops_when_traffic_stops(opts):
    # Polling is for the gap between requests: an idle daemon must go back to sleep. With a
    # 5 ms window and the 100 Hz timer, a poll that never ended would use most of a second.
    args = ["--threads", "1", "--idle-poll-us", "5000", "--hz", "100"]  # 1 worker: it may poll
    with harness.start_daemon(opts.bindir, args) as d:
        with harness.RawConn(d.port) as c:
            for i in range(100):
                assert c.cmd("SET", f"k{i}", "v") == b"+OK\r\n"
            time.sleep(0.2)
            before = cpu_seconds(d.proc.pid)
            time.sleep(2)
            used = cpu_seconds(d.proc.pid) - before
            assert used < 0.5, f"idle daemon used {used:.2f} s of CPU in 2 s"
            assert c.cmd("CONFIG", "SET", "idle-poll-us", "0") == b"+OK\r\n"
            assert c.cmd("GET", "k7") == b"$1\r\nv\r\n"
            assert c.cmd("CONFIG", "SET", "idle-poll-us", "-1").startswith(b"-ERR")


@test
def test_epoll_one_thread(opts):
    run_backend(opts, "epoll", 1)


@test
def test_epoll_four_threads(opts):
    run_backend(opts, "epoll", 4)


def shutdown_latency(opts, backend):
    """Seconds from SHUTDOWN (sent on one worker) to the exit of a 4-thread daemon whose cron runs
    once a second, so that only a real wake-up, not the timer, stops the other workers."""
    args = ["--io-backend", backend, "--threads", "4", "--hz", "1"]
    with harness.start_daemon(opts.bindir, args) as d:
        conns = [harness.RawConn(d.port) for _ in range(8)]  # idle clients on several workers
        time.sleep(0.2)
        with harness.RawConn(d.port) as c:
            t0 = time.monotonic()
            c.send_cmd("SHUTDOWN")
            try:
                code = d.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"still running 10s after SHUTDOWN\n{d.log()}")
            elapsed = time.monotonic() - t0
        d.exit_code = code
        assert code == 0
        for k in conns:
            k.close()
    return elapsed


@test
def test_shutdown_wakes_every_worker_at_once(opts):
    # The timer would end each worker's wait within a second anyway; three tries so that a
    # lost wake-up cannot pass by luck (each worker's timer phase is random).
    for backend in ("uring", "epoll"):
        times = [shutdown_latency(opts, backend) for _ in range(3)]
        assert min(times) < 0.5, f"{backend}: SHUTDOWN took {times} s: workers not woken"


@test
def test_auto_backend_logs_its_choice(opts):
    with harness.start_daemon(opts.bindir, ["--threads", "2"]) as d:
        assert wait_log(d, "(2 threads, "), d.log()
        log = d.log()
        assert "(2 threads, io_uring)" in log or "(2 threads, epoll)" in log, log
        if "epoll" in log:  # auto fell back: it must say why
            assert "io_uring is not available" in log, log


if __name__ == "__main__":
    harness.main()
