# Integration-test harness: starts aegisr-daemon (or Debian's redis-server as the oracle), talks raw
# RESP to them, compares replies, and runs @test functions. Standard library only. Single-threaded
# unless a test starts its own threads (each thread must use its own RawConn).
"""Harness for Aegisr integration tests.

Developing tests without the daemon: AEGISR_TEST_AGAINST_REDIS=1 makes start_daemon() start a
redis-server in the daemon's place, so that the tests themselves can be debugged (a differential
test must then report 0 mismatches).
"""

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

AGAINST_REDIS = os.environ.get("AEGISR_TEST_AGAINST_REDIS", "") not in ("", "0")
REDIS_SERVER = os.environ.get("AEGISR_REDIS_SERVER", "/usr/bin/redis-server")
# Lines that start a sanitizer report (AddressSanitizer, LeakSanitizer, UBSan).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


# ---------------------------------------------------------------------------------------------
# Ports and processes


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on now, chosen at random in 7300-7999."""
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(7300, 7999)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        # Nobody may be listening on a wildcard address with SO_REUSEPORT either: try to connect.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                continue
        return port
    raise RuntimeError("no free port in 7300-7999")


class ServerHandle:
    """A started server process. Use as a context manager, or call stop() yourself."""

    def __init__(self, name, argv, port, expect_exit=0):
        self.name = name
        self.argv = argv
        self.port = port
        self.expect_exit = expect_exit
        self._stderr = tempfile.NamedTemporaryFile(prefix=f"aegisr-{name}-", suffix=".log",
                                                   delete=False)
        self.log_path = self._stderr.name
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._stderr,
                                     stderr=subprocess.STDOUT)
        self.exit_code = None

    def log(self):
        """Everything the server wrote to stdout/stderr so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc.poll() is None

    def wait_ready(self, timeout=10.0):
        """Waits until a PING answers +PONG; raises with the server's log if it does not."""
        deadline = time.monotonic() + timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before "
                                   f"answering PING; argv={self.argv}\n--- log ---\n{self.log()}")
            try:
                with RawConn(self.port, timeout=1.0) as c:
                    reply = c.cmd("PING")
                    if reply == b"+PONG\r\n":
                        return
                    last_err = f"PING answered {reply!r}"
            except (OSError, ProtocolError) as e:
                last_err = repr(e)
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"{self.name} did not answer PING within {timeout}s ({last_err}); "
                           f"argv={self.argv}\n--- log ---\n{self.log()}")

    def stop(self, expect_exit=None, timeout=10.0):
        """SIGTERM, wait, and assert the exit code (default: the one given at start, 0)."""
        if expect_exit is None:
            expect_exit = self.expect_exit
        if self.exit_code is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"{self.name} did not exit within {timeout}s of SIGTERM\n"
                                     f"--- log ---\n{self.log()}")
            finally:
                self._stderr.close()
        report = self.sanitizer_report()
        if report:
            raise AssertionError(f"{self.name} reported a sanitizer error: {report}\n"
                                 f"--- log ---\n{self.log()}")
        if expect_exit is not False and self.exit_code != expect_exit:
            raise AssertionError(f"{self.name} exited with {self.exit_code}, expected "
                                 f"{expect_exit}\n--- log ---\n{self.log()}")
        return self.exit_code

    def sanitizer_report(self):
        """The first line of an ASan, LeakSanitizer or UBSan report in the log, or None. Only a
        sanitizer build (-DAEGISR_SANITIZE=ON) writes them; leaks are reported at exit."""
        for line in self.log().splitlines():
            if any(m in line for m in SANITIZER_MARKERS):
                return line.strip()
        return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.exit_code is None:
            self.exit_code = self.proc.returncode
        self._stderr.close()

    def cleanup(self):
        """Removes the log file (call after a successful stop)."""
        try:
            os.unlink(self.log_path)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.stop()
            self.cleanup()
        else:
            # Keep the log for the failure report; do not mask the original error.
            try:
                self.stop(expect_exit=False)
            except AssertionError:
                pass
            # The reference server's log tells nothing; the daemon's tail often does.
            tail = [] if self.name == "redis-server" else self.log().splitlines()[-30:]
            print(f"  ({self.name} exit code {self.exit_code}; log kept at {self.log_path}; "
                  f"last {len(tail)} lines{':' if tail else ''})")
            for line in tail:
                print(f"    | {line}")
        return False


def _redis_argv(port):
    return [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--dir", tempfile.gettempdir(),
            "--dbfilename", f"aegisr-test-{port}.rdb", "--logfile", ""]


def _start_ready(make_handle, port, timeout):
    """make_handle(port) started on `port`, or on a free port if None, and answering PING. A
    free port can be taken by a test running in parallel between free_port() and the server's
    bind: then another port is tried (a few times)."""
    attempts = 1 if port is not None else 5
    for attempt in range(attempts):
        h = make_handle(port if port is not None else free_port())
        try:
            h.wait_ready(timeout)
            return h
        except RuntimeError:
            lost_race = not h.alive() and "Address already in use" in h.log()
            if not lost_race or attempt + 1 == attempts:
                raise
            h._stderr.close()


def start_redis(port=None, extra_args=(), timeout=10.0):
    """Starts Debian's redis-server on 127.0.0.1:port (a free one if None), no persistence."""
    return _start_ready(
        lambda p: ServerHandle("redis-server", _redis_argv(p) + list(extra_args), p), port,
        timeout)


def daemon_path(bindir):
    return os.path.join(bindir, "aegisr-daemon")


def start_daemon(bindir, extra_args=(), port=None, timeout=10.0, expect_exit=0):
    """Starts BINDIR/aegisr-daemon -p PORT EXTRA_ARGS and waits for PING.

    With AEGISR_TEST_AGAINST_REDIS=1 a redis-server stands in (daemon-only flags are dropped)."""
    path = daemon_path(bindir)
    if not AGAINST_REDIS and not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing or not executable")

    def make(p):
        if AGAINST_REDIS:
            return ServerHandle("redis-as-daemon", _redis_argv(p), p, expect_exit=expect_exit)
        return ServerHandle("aegisr-daemon", [path, "-p", str(p)] + list(extra_args), p,
                            expect_exit=expect_exit)

    return _start_ready(make, port, timeout)


# ---------------------------------------------------------------------------------------------
# RESP


class ProtocolError(Exception):
    pass


def encode_command(*args):
    """RESP multibulk encoding of one command; str args are UTF-8, ints are formatted."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        elif isinstance(a, float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


# Reply types whose payload is one line / a length-prefixed blob / a counted aggregate.
_LINE_TYPES = b"+-:_,#("
_BLOB_TYPES = b"$=!"
_AGG_TYPES = b"*~>"
_PAIR_TYPES = b"%|"


def scan_reply(buf, pos=0):
    """Returns the end offset of the one complete RESP2/RESP3 reply starting at buf[pos], or None
    if buf holds only part of it. Raises ProtocolError on bytes that are not RESP."""
    pending = 1  # replies still to scan at this level and below
    while pending:
        if pos >= len(buf):
            return None
        t = buf[pos]
        eol = buf.find(b"\r\n", pos + 1)
        if eol < 0:
            return None
        line = buf[pos + 1:eol]
        pos = eol + 2
        pending -= 1
        if t in _LINE_TYPES:
            continue
        try:
            n = int(line)
        except ValueError:
            raise ProtocolError(f"bad length {line!r} for type {chr(t)!r}")
        if t in _BLOB_TYPES:
            if n < 0:
                continue  # $-1 null bulk
            if len(buf) < pos + n + 2:
                return None
            if buf[pos + n:pos + n + 2] != b"\r\n":
                raise ProtocolError("blob not followed by CRLF")
            pos += n + 2
        elif t in _AGG_TYPES:
            if n > 0:
                pending += n
        elif t in _PAIR_TYPES:
            if n > 0:
                pending += 2 * n
            if t == ord("|"):
                pending += 1  # an attribute precedes the reply it describes
        else:
            raise ProtocolError(f"unknown reply type byte {chr(t)!r}")
    return pos


class Error(bytes):
    """An error reply's text (without '-' and CRLF) in parse_reply()'s result."""

    def __repr__(self):
        return f"Error({bytes(self)!r})"


class Push(list):
    pass


def parse_reply(raw):
    """Parses one raw reply into Python values: bytes (simple/bulk/verbatim strings), Error, int,
    float (doubles), None, bool, list, set (as sorted list), dict (maps; attributes dropped)."""
    val, pos = _parse(raw, 0)
    if pos != len(raw):
        raise ProtocolError(f"trailing bytes after reply: {raw[pos:]!r}")
    return val


def _parse(buf, pos):
    t = chr(buf[pos])
    eol = buf.index(b"\r\n", pos)
    line = buf[pos + 1:eol]
    pos = eol + 2
    if t == "+":
        return bytes(line), pos
    if t == "-":
        return Error(line), pos
    if t == ":":
        return int(line), pos
    if t == "(":
        return int(line), pos
    if t == "_":
        return None, pos
    if t == "#":
        return line == b"t", pos
    if t == ",":
        return float(line), pos
    if t in "$=!":
        n = int(line)
        if n < 0:
            return None, pos
        data = buf[pos:pos + n]
        pos += n + 2
        if t == "=":
            data = data[4:]  # "txt:" prefix
        if t == "!":
            return Error(data), pos
        return bytes(data), pos
    if t in "*~>":
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            v, pos = _parse(buf, pos)
            items.append(v)
        if t == "~":
            items = sorted(items, key=repr)
        if t == ">":
            items = Push(items)
        return items, pos
    if t in "%|":
        n = int(line)
        d = {}
        for _ in range(n):
            k, pos = _parse(buf, pos)
            v, pos = _parse(buf, pos)
            d[k if not isinstance(k, list) else tuple(k)] = v
        if t == "|":
            return _parse(buf, pos)  # the attribute is dropped, the reply follows
        return d, pos
    raise ProtocolError(f"unknown type {t!r}")


class RawConn:
    """A raw RESP socket client: send bytes, read exactly one reply as raw bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0, rcvbuf=None):
        """rcvbuf: a receive buffer size set before connecting (a client that reads slowly)."""
        self.timeout = timeout
        if rcvbuf is None:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.port = port

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        self.sock.sendall(data)

    def send_cmd(self, *args):
        self.sock.sendall(encode_command(*args))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for a reply")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError(f"connection closed by server; unread bytes {bytes(self.buf)!r}")
        self.buf += chunk

    def read_reply(self, timeout=None):
        """Exactly one reply, raw bytes incl. CRLFs. Raises socket.timeout / ConnectionError."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            end = scan_reply(self.buf, 0)
            if end is not None:
                reply = bytes(self.buf[:end])
                del self.buf[:end]
                return reply
            self._fill(deadline)

    def cmd(self, *args, timeout=None):
        """Sends one command and returns its raw reply."""
        self.send_cmd(*args)
        return self.read_reply(timeout)

    def pipeline(self, commands, timeout=None):
        """Sends all commands in one write, returns their raw replies in order."""
        self.sock.sendall(b"".join(encode_command(*c) for c in commands))
        return [self.read_reply(timeout) for _ in commands]

    def read_until_idle(self, idle=0.3, total=5.0):
        """Everything the server sends until it closes (closed=True) or is quiet for `idle` s.
        Returns (bytes, closed). A reset counts as closed."""
        data = bytes(self.buf)
        self.buf.clear()
        deadline = time.monotonic() + total
        while time.monotonic() < deadline:
            self.sock.settimeout(idle)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
        return data, False

    def is_closed(self, wait=0.3):
        """True if the server closed the connection (EOF/reset) within `wait` seconds. Data that
        arrives meanwhile stays buffered."""
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if not chunk:
            return True
        self.buf += chunk
        return False


# ---------------------------------------------------------------------------------------------
# Differential comparison


def _is_int_reply(raw):
    return raw.startswith(b":")


class Differential:
    """Sends the same commands to a reference server (redis-server) and to the server under test
    and compares the raw replies. Mismatches are recorded and the first `show` printed."""

    # Commands whose integer reply depends on the wall clock: compared with a tolerance.
    TIME_TOLERANCE = {"TTL": 2, "PTTL": 2000, "EXPIRETIME": 2, "PEXPIRETIME": 2000}

    def __init__(self, ref_port, dut_port, show=20, label=""):
        self.ref = RawConn(ref_port)
        self.dut = RawConn(dut_port)
        self.mismatches = 0
        self.commands = 0
        self.show = show
        self.label = label
        self.context = ""

    def close(self):
        self.ref.close()
        self.dut.close()

    def both(self, *args):
        """Sends to both; returns (ref_raw, dut_raw). A dut failure (timeout/closed) is returned as
        a description string instead of bytes."""
        self.commands += 1
        ref = self.ref.cmd(*args)
        try:
            dut = self.dut.cmd(*args)
        except (OSError, ProtocolError) as e:
            dut = f"<{type(e).__name__}: {e}>"
        return ref, dut

    def _report(self, args, ref, dut, note=""):
        self.mismatches += 1
        if self.mismatches <= self.show:
            shown = " ".join(_show_arg(a) for a in args)
            print(f"  MISMATCH{self.label}{self.context} {note}: {shown}\n"
                  f"    redis : {ref!r}\n    aegisr: {dut!r}")
        elif self.mismatches == self.show + 1 and self.show > 0:
            print("  (further mismatches not shown)")

    def check(self, *args, mode="exact"):
        """mode: exact | sorted (aggregate compared as a sorted list) | type (first byte only) |
        scan (SCAN reply: same cursor, same key set) |
        time (integers within TIME_TOLERANCE of the command). Returns the reference reply."""
        ref, dut = self.both(*args)
        if isinstance(dut, str):
            # Closed, reset or timed out: the stream is out of step, so stop here.
            self._report(args, ref, dut, "(no reply)")
            raise AssertionError(f"server under test gave no reply to {args!r}: {dut}")
        if not same_reply(args, ref, dut, mode, self.TIME_TOLERANCE):
            self._report(args, ref, dut)
        return ref

    def expect_equal(self, what, ref_value, dut_value, args=()):
        """Records a mismatch of two already-derived values (e.g. a full SCAN's key set)."""
        if ref_value != dut_value:
            self._report(args or (what,), ref_value, dut_value, f"({what})")


def same_reply(args, ref, dut, mode, tolerance):
    if ref == dut:
        return True
    if mode == "exact":
        return False
    if mode == "type":
        return ref[:1] == dut[:1]
    if mode == "sorted":
        try:
            a, b = parse_reply(ref), parse_reply(dut)
        except (ProtocolError, ValueError, IndexError):
            return False
        if isinstance(a, list) and isinstance(b, list):
            return sorted(a, key=repr) == sorted(b, key=repr) and ref[:1] == dut[:1]
        return False
    if mode == "scan":
        # [cursor, [keys...]]: the cursor exactly, the keys as a set (their order is the hash
        # table's, which differs between servers and runs).
        try:
            a, b = parse_reply(ref), parse_reply(dut)
        except (ProtocolError, ValueError, IndexError):
            return False
        return (isinstance(a, list) and isinstance(b, list) and len(a) == 2 and len(b) == 2
                and a[0] == b[0] and isinstance(a[1], list) and isinstance(b[1], list)
                and sorted(a[1]) == sorted(b[1]))
    if mode == "time":
        name = (args[0].decode() if isinstance(args[0], bytes) else str(args[0])).upper()
        tol = tolerance.get(name, 0)
        if _is_int_reply(ref) and _is_int_reply(dut):
            a, b = int(ref[1:-2]), int(dut[1:-2])
            if a >= 0 and b >= 0:
                return abs(a - b) <= tol
        return False
    raise ValueError(mode)


def _show_arg(a):
    if isinstance(a, bytes):
        try:
            s = a.decode("ascii")
            if s.isprintable() and " " not in s and s:
                return s
        except UnicodeDecodeError:
            pass
        return repr(a)
    return str(a)


# ---------------------------------------------------------------------------------------------
# Multi-client scenarios (blocking commands)


def wait_blocked(port, n, timeout=5.0):
    """Waits until the server on `port` reports n blocked clients (INFO clients)."""
    deadline = time.monotonic() + timeout
    with RawConn(port) as c:
        while time.monotonic() < deadline:
            info = c.cmd("INFO", "clients").decode()
            for line in info.splitlines():
                if line.startswith("blocked_clients:") and int(line.split(":")[1]) == n:
                    return
            time.sleep(0.01)
    raise AssertionError(f"server on {port} never had {n} blocked clients")


def on_both_servers(opts, fn, daemon_args=()):
    """Runs scenario fn(port) on a fresh redis-server and aegisr-daemon; returns both results."""
    with start_redis() as ref, start_daemon(opts.bindir, daemon_args) as dut:
        return fn(ref.port), fn(dut.port)


def assert_same(what, ref, dut):
    assert ref == dut, f"{what}:\n  redis : {ref!r}\n  aegisr: {dut!r}"


# ---------------------------------------------------------------------------------------------
# Tiny test runner

_TESTS = []


class Options:
    bindir = "build"
    seed = None
    filter = None


OPTS = Options()


def test(fn):
    """Decorator: registers fn(opts) as a test of this script."""
    _TESTS.append(fn)
    return fn


def skip(reason):
    raise SkipTest(reason)


class SkipTest(Exception):
    pass


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--bindir", default="build", help="directory holding aegisr-daemon")
    p.add_argument("--seed", type=int, default=None, help="seed for randomized tests")
    p.add_argument("-k", dest="filter", default=None, help="run tests whose name contains this")
    args = p.parse_args(argv)
    OPTS.bindir = os.path.abspath(args.bindir)
    OPTS.seed = args.seed if args.seed is not None else int(os.environ.get(
        "AEGISR_SEED", random.SystemRandom().randrange(1 << 31)))
    OPTS.filter = args.filter
    if AGAINST_REDIS:
        print("NOTE: AEGISR_TEST_AGAINST_REDIS set: redis-server stands in for aegisr-daemon")
    passed = failed = skipped = 0
    for fn in _TESTS:
        if OPTS.filter and OPTS.filter not in fn.__name__:
            continue
        start = time.monotonic()
        try:
            fn(OPTS)
        except SkipTest as e:
            skipped += 1
            print(f"SKIP {fn.__name__}: {e}", flush=True)
            continue
        except Exception:  # noqa: BLE001 - a test runner reports every failure
            failed += 1
            print(f"FAIL {fn.__name__} ({time.monotonic() - start:.2f}s)", flush=True)
            traceback.print_exc(file=sys.stdout)
            sys.stdout.flush()
            continue
        passed += 1
        print(f"ok   {fn.__name__} ({time.monotonic() - start:.2f}s)", flush=True)
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}")
    sys.exit(1 if failed or passed == 0 else 0)


# ---------------------------------------------------------------------------------------------
# Randomized differential rounds

# Container types the server under test may or may not support yet: name -> creating command.
CONTAINER_PROBES = {
    "list": ("RPUSH", "__probe__", "a"),
    "set": ("SADD", "__probe__", "a"),
    "hash": ("HSET", "__probe__", "f", "v"),
    "zset": ("ZADD", "__probe__", "1", "a"),
}


def probe_types(port):
    """Which container types (CONTAINER_PROBES keys) the server on `port` supports."""
    supported = set()
    with RawConn(port) as c:
        for name, cmd in CONTAINER_PROBES.items():
            c.cmd("DEL", "__probe__")
            if c.cmd(*cmd).startswith(b":"):
                supported.add(name)
        c.cmd("DEL", "__probe__")
    return supported


def _reset(d):
    """Empties every database of both servers (FLUSHALL, or FLUSHDB per DB where the server under
    test lacks FLUSHALL)."""
    for conn in (d.ref, d.dut):
        if conn.cmd("FLUSHALL") != b"+OK\r\n":
            for db in range(16):
                conn.cmd("SELECT", db)
                conn.cmd("FLUSHDB")
            conn.cmd("SELECT", 0)


def run_edge_sequences(opts, sequences, flush=b"FLUSHALL", mode_of=lambda args: "exact"):
    """Plays each fixed command sequence on a fresh redis-server and aegisr-daemon, in RESP2
    and then RESP3, flushing both before each sequence; fails on any differing reply."""
    with start_redis() as ref, start_daemon(opts.bindir) as dut:
        for proto in (b"2", b"3"):
            d = Differential(ref.port, dut.port)
            d.context = f" [RESP{proto.decode()}]"
            if proto == b"3":
                d.check(b"HELLO", b"3", mode="type")
            for seq in sequences:
                d.ref.cmd(flush)
                d.dut.cmd(flush)
                for args in seq:
                    d.check(*args, mode=mode_of(args))
            mismatches = d.mismatches
            d.close()
            assert mismatches == 0, f"{mismatches} replies differed from redis-server"


def run_rounds(opts, label, play_round, rounds=20, budget_s=10.0, resp3_every=4):
    """Starts redis-server and the daemon, then for each round: fresh connections, both servers
    emptied, RESP3 on every `resp3_every`-th round, and play_round(d, rng, types) with a seeded rng.
    Prints the seed; fails if any reply differed."""
    seed = opts.seed
    print(f"  {label}: seed {seed} (rerun with --seed {seed})", flush=True)
    with start_redis() as ref, start_daemon(opts.bindir) as dut:
        types = probe_types(dut.port)
        print(f"  container types supported by the server under test: "
              f"{sorted(types) or 'none'}")
        mismatches = commands = played = 0
        start = time.monotonic()
        for r in range(rounds):
            if time.monotonic() - start > budget_s:
                break
            d = Differential(ref.port, dut.port, show=max(0, 20 - mismatches))
            d.context = f" [seed {seed} round {r}]"
            _reset(d)
            if resp3_every and r % resp3_every == resp3_every - 1:
                d.context += " [RESP3]"
                d.check("HELLO", "3", mode="type")
            rng = random.Random(seed * 1000003 + r)
            try:
                play_round(d, rng, types)
            finally:
                d.close()
                mismatches += d.mismatches
                commands += d.commands
            played += 1
        print(f"  {label}: {commands} commands in {played} rounds, "
              f"{mismatches} mismatches ({time.monotonic() - start:.1f}s)")
        assert played > 0, "no round played"
        assert mismatches == 0, f"{mismatches} replies differed from redis-server"
