#!/usr/bin/python3
# Differential tests of aegisr-cli against Debian's redis-cli 7.0 on one redis-server: same
# arguments, same stdin, same (pseudo-)terminal, and the outputs and exit codes must match.
# Single-threaded. Run: /usr/bin/python3 tests/integration/test_cli.py --bindir BUILD_DIR
import atexit
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

REDIS_CLI = "/usr/bin/redis-cli"
_server = None


def server():
    """One redis-server (DEBUG enabled, for DEBUG PROTOCOL) shared by every test."""
    global _server
    if _server is None:
        _server = harness.start_redis(extra_args=["--enable-debug-command", "yes"])
        atexit.register(_server.stop, expect_exit=False)
    return _server


def cli_path(opts):
    p = os.path.join(opts.bindir, "aegisr-cli")
    if not os.access(p, os.X_OK):
        raise AssertionError(f"{p} is missing or not executable")
    return p


def reset(*setup):
    """FLUSHALL, then run each setup command (a tuple of str/bytes args) on the shared server."""
    with harness.RawConn(server().port) as c:
        assert c.cmd("FLUSHALL") == b"+OK\r\n"
        for cmd in setup:
            r = c.cmd(*cmd)
            assert not r.startswith(b"-"), (cmd, r)


def run(argv, stdin=b"", tty=False, env=None, timeout=20):
    """Runs argv; with tty=True under `script` so stdin/stdout are a terminal.
    Returns (exit code, stdout bytes, stderr bytes)."""
    if tty:
        # script(1) runs the command on a pty; its own stdout carries the pty's output (\r\n).
        argv = ["script", "-qec", shlex.join(argv), "/dev/null"]
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, env=env)
    return p.returncode, p.stdout, p.stderr


class Mismatches:
    def __init__(self):
        self.items = []

    def check(self, what, ref, dut):
        if ref != dut:
            self.items.append(f"{what}:\n    redis-cli : {ref!r}\n    aegisr-cli: {dut!r}")

    def done(self, checked):
        assert checked > 0, "nothing was compared"
        if self.items:
            raise AssertionError(f"{len(self.items)} of {checked} differ:\n" +
                                 "\n".join(self.items[:15]))


def compare(opts, m, args, setup=(), stdin=b"", tty=False, check_stderr=True):
    """Runs redis-cli and aegisr-cli with the same args on the same freshly reset server."""
    results = []
    for binary in (REDIS_CLI, cli_path(opts)):
        reset(*setup)
        rc, out, err = run([binary, "-p", str(server().port)] + args, stdin=stdin, tty=tty)
        err = err.replace(b"Redis", b"Aegisr")
        results.append((rc, out, err))
    (rc1, out1, err1), (rc2, out2, err2) = results
    label = f"{'tty ' if tty else ''}{args} stdin={stdin[:60]!r}"
    m.check(label + " stdout", out1, out2)
    m.check(label + " exit code", rc1, rc2)
    if check_stderr:
        m.check(label + " stderr", err1, err2)
    return results[1]


BIN = b"a\x00b\x01\xff\xfe\r\n\t\x07\x08\"\\' z\x7f"
SETUP = [
    ("SET", "k", "v"),
    ("SET", "num", "10"),
    ("SET", "bin", BIN),
    ("SET", "utf8", "h\xe9llo \u2603"),
    ("SET", "empty", ""),
    ("RPUSH", "list", "a", "b c", "", "d\"e"),
    ("RPUSH", "big", *[str(i) for i in range(1, 1202)]),
    ("HSET", "h", "f1", "v1", "f2", "2"),
    ("SADD", "s", "x"),
    ("ZADD", "z", "1.5", "m1", "2", "m2"),
    ("SET", "large", "x" * 300000),
]

# Commands whose output must be identical, in RESP2 and with -3.
COMMANDS = [
    ["PING"], ["PING", "hello world"], ["SET", "k2", "v2"], ["GET", "k"], ["GET", "missing"],
    ["GET", "bin"], ["GET", "utf8"], ["GET", "empty"], ["INCR", "num"], ["INCRBYFLOAT", "num", "0.5"],
    ["INCR", "k"], ["LRANGE", "list", "0", "-1"], ["LRANGE", "missing", "0", "-1"],
    ["LRANGE", "big", "0", "-1"], ["HGETALL", "h"], ["HGETALL", "missing"], ["SMEMBERS", "s"],
    ["SMEMBERS", "missing"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"], ["ZSCORE", "z", "m1"],
    ["EXISTS", "k", "missing"], ["TYPE", "h"], ["NOSUCHCOMMAND", "x"], ["GET"],
    ["MGET", "k", "missing", "bin"], ["GET", "large"],
    ["EVAL", "return {1,{2,{'a','b'},{}},'x',{1,2,3,4,5,6,7,8,9,10,11},{err='boom'}}", "0"],
    ["EVAL", "return {}", "0"], ["EVAL", "return redis.error_reply('MY custom')", "0"],
    ["EVAL", "return {false, true, 3.7}", "0"],
    ["DEBUG", "PROTOCOL", "string"], ["DEBUG", "PROTOCOL", "integer"],
    ["DEBUG", "PROTOCOL", "double"], ["DEBUG", "PROTOCOL", "null"],
    ["DEBUG", "PROTOCOL", "array"], ["DEBUG", "PROTOCOL", "set"], ["DEBUG", "PROTOCOL", "map"],
    ["DEBUG", "PROTOCOL", "true"], ["DEBUG", "PROTOCOL", "false"],
    ["DEBUG", "PROTOCOL", "verbatim"], ["DEBUG", "PROTOCOL", "push"],
    ["CONFIG", "GET", "maxmemory*"], ["OBJECT", "ENCODING", "list"],
]


@test
def one_shot_raw_output_matches_redis_cli(opts):
    m = Mismatches()
    n = 0
    for proto in ([], ["-3"]):
        for cmd in COMMANDS:
            compare(opts, m, proto + cmd, setup=SETUP)
            n += 1
    m.done(n)


@test
def one_shot_tty_output_matches_redis_cli(opts):
    m = Mismatches()
    n = 0
    for proto in ([], ["-3"]):
        for cmd in COMMANDS:
            if cmd == ["GET", "large"]:
                continue  # fine, but slow through a pty
            rc, out, _ = compare(opts, m, proto + cmd, setup=SETUP, tty=True,
                                 check_stderr=False)
            n += 1
    # The tty rendering really is the tty one (guards against both falling back to raw).
    rc, out, _ = run([cli_path(opts), "-p", str(server().port), "INCR", "k"], tty=True)
    assert out.startswith(b"(error) ERR value is not an integer"), out
    rc, out, _ = run([cli_path(opts), "-p", str(server().port), "GET", "bin"], tty=True)
    assert out == b'"a\\x00b\\x01\\xff\\xfe\\r\\n\\t\\a\\b\\"\\\\\' z\\x7f"\r\n', out
    m.done(n)


@test
def raw_and_no_raw_flags_override_the_terminal_check(opts):
    m = Mismatches()
    cases = [["--no-raw", "GET", "bin"], ["--no-raw", "LRANGE", "list", "0", "-1"],
             ["--no-raw", "INCR", "k"], ["--no-raw", "-3", "HGETALL", "h"],
             ["--no-raw", "EVAL", "return {1,{2,{'a'}}}", "0"], ["--no-raw", "GET", "missing"]]
    for c in cases:
        compare(opts, m, c, setup=SETUP)
    tty_cases = [["--raw", "GET", "bin"], ["--raw", "LRANGE", "list", "0", "-1"],
                 ["--raw", "INCR", "k"]]
    for c in tty_cases:
        compare(opts, m, c, setup=SETUP, tty=True, check_stderr=False)
    reset()
    rc, out, _ = run([cli_path(opts), "-p", str(server().port), "--no-raw", "INCR", "num"])
    assert out == b"(integer) 1\n", out
    m.done(len(cases) + len(tty_cases))


@test
def stdin_mode_runs_one_command_per_line(opts):
    m = Mismatches()
    scripts = [
        b"set a 1\nget a\nincr a\nincr k\n",
        b'set "my key" "hello world"\nget "my key"\nstrlen "my key"\n',
        b"set q \"a\\x41\\n\\t\\\\\"\nget q\necho 'it\\'s'\n",
        b'set a "unterminated\nping\nset b "x"y\nping\n',
        b"\n   \n3 incr c\n0 ping\n-2 ping\n2 nosuch\n",
        b"set x 1\nquit\nset y 2\n",
        b"select 2\nset z 1\ndbsize\nselect 0\ndbsize\n",
        b"lrange list 0 -1\nhgetall h\nget bin\ncommand count extra\n",
        b"set nl foo\r\nget nl\r\n",
        b"multi\nincr m\nincr m\nexec\n",
    ]
    for s in scripts:
        compare(opts, m, [], setup=SETUP, stdin=s)
        compare(opts, m, ["-3"], setup=SETUP, stdin=s)
        compare(opts, m, ["--no-raw"], setup=SETUP, stdin=s)
    # The `quit` script must not have run `set y 2`.
    reset()
    run([cli_path(opts), "-p", str(server().port)], stdin=b"set x 1\nquit\nset y 2\n")
    rc, out, _ = run([cli_path(opts), "-p", str(server().port), "EXISTS", "x", "y"])
    assert out == b"1\n", out
    m.done(len(scripts) * 3)


@test
def db_select_auth_and_stdin_argument_options(opts):
    m = Mismatches()
    cases = [
        (["-n", "2", "SET", "dbkey", "1"], b""),
        (["-n", "2", "DBSIZE"], b""),
        (["-n", "99", "PING"], b""),           # SELECT fails: message on stderr, goes on
        (["-a", "secret", "PING"], b""),       # AUTH fails (no password set): goes on
        (["-x", "SET", "fromstdin"], b"line1\nline2\n\x00\xff"),
        (["-x", "ECHO"], b"only arg"),
        (["-r", "3", "INCR", "ctr"], b""),
        (["-r", "2", "-i", "0.05", "PING"], b""),
        (["-e", "INCR", "k"], b""),            # -e: error reply -> stderr and exit 1
        (["-e", "GET", "k"], b""),
        (["-e", "--no-raw", "INCR", "k"], b""),
    ]
    for args, stdin in cases:
        compare(opts, m, args, setup=SETUP, stdin=stdin)
    # -x really stored stdin byte for byte, and -n really selected db 2.
    reset()
    subprocess.run([cli_path(opts), "-p", str(server().port), "-x", "SET", "xk"],
                   input=b"a\x00b\n", check=True, stdout=subprocess.DEVNULL)
    with harness.RawConn(server().port) as c:
        assert c.cmd("GET", "xk") == b"$4\r\na\x00b\n\r\n"
    subprocess.run([cli_path(opts), "-p", str(server().port), "-n", "3", "SET", "in3", "v"],
                   check=True, stdout=subprocess.DEVNULL)
    with harness.RawConn(server().port) as c:
        assert c.cmd("EXISTS", "in3") == b":0\r\n"
        c.cmd("SELECT", "3")
        assert c.cmd("EXISTS", "in3") == b":1\r\n"
    m.done(len(cases))


@test
def error_reply_exit_codes_match_redis_cli(opts):
    port = str(server().port)
    reset(("SET", "k", "v"))
    rc, out, err = run([cli_path(opts), "-p", port, "INCR", "k"])
    assert (rc, out, err) == (0, b"ERR value is not an integer or out of range\n\n", b""), \
        (rc, out, err)
    rc, out, err = run([cli_path(opts), "-p", port, "-e", "INCR", "k"])
    assert (rc, out) == (1, b""), (rc, out)
    assert err == b"ERR value is not an integer or out of range\n", err
    rc, out, err = run([REDIS_CLI, "-p", port, "-e", "INCR", "k"])
    assert rc == 1


def unused_port():
    for _ in range(50):
        port = harness.free_port()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise AssertionError("no unused port")


@test
def connection_refused_message_and_exit_code(opts):
    port = unused_port()
    rc, out, err = run([cli_path(opts), "-p", str(port), "PING"])
    assert rc == 1, rc
    assert out == b"", out
    assert err == f"Could not connect to Aegisr at 127.0.0.1:{port}: Connection refused\n".encode(), err
    ref = run([REDIS_CLI, "-p", str(port), "PING"])
    assert ref[0] == rc and ref[2].replace(b"Redis", b"Aegisr") == err, ref
    # Host given with -h, and -H as an alias.
    for flag in ("-h", "-H"):
        rc, _, err = run([cli_path(opts), flag, "localhost", "-p", str(port), "PING"])
        assert rc == 1 and err == \
            f"Could not connect to Aegisr at localhost:{port}: Connection refused\n".encode(), err
    # Stdin mode: redis-cli reports once at start and once per command, and exits 0.
    m = Mismatches()
    for stdin in (b"ping\nping\n", b""):
        res = []
        for b in (REDIS_CLI, cli_path(opts)):
            rc, out, err = run([b, "-p", str(port)], stdin=stdin)
            res.append((rc, out, err.replace(b"Redis", b"Aegisr")))
        m.check(f"stdin {stdin!r} without server", res[0], res[1])
    # Default port is 1211: check the message when nothing listens there.
    with socket.socket() as s:
        busy = s.connect_ex(("127.0.0.1", 1211)) == 0
    if not busy:
        rc, _, err = run([cli_path(opts), "PING"])
        assert rc == 1 and err == \
            b"Could not connect to Aegisr at 127.0.0.1:1211: Connection refused\n", err
    rc, _, err = run([cli_path(opts), "-h", "no-such-host.invalid", "-p", "1", "PING"])
    assert rc == 1 and err.startswith(b"Could not connect to Aegisr at no-such-host.invalid:1: "), err
    m.done(2)


@test
def shutdown_closing_the_connection_is_success_like_redis_cli(opts):
    # SHUTDOWN gets no reply: the server closes the connection. redis-cli prints nothing and
    # exits 0; so must aegisr-cli (against a redis-server and against the daemon).
    results = []
    for b in (REDIS_CLI, cli_path(opts)):
        with harness.start_redis() as r:
            results.append(run([b, "-p", str(r.port), "SHUTDOWN", "NOSAVE"]))
            r.proc.wait(timeout=10)
            r.exit_code = r.proc.returncode
    assert results[0] == (0, b"", b""), results[0]
    assert results[1] == results[0], results
    with harness.start_daemon(opts.bindir) as d:
        assert run([cli_path(opts), "-p", str(d.port), "SHUTDOWN"]) == (0, b"", b"")
        assert d.proc.wait(timeout=10) == 0


@test
def command_line_errors_version_and_help(opts):
    rc, out, err = run([cli_path(opts), "--bogus-flag"])
    assert rc == 1 and err == b"Unrecognized option or bad number of args for: '--bogus-flag'\n", \
        (rc, err)
    rc, out, _ = run([cli_path(opts), "-v"])
    assert rc == 0 and out.startswith(b"aegisr-cli ") and out.endswith(b"\n"), out
    rc2, out2, _ = run([cli_path(opts), "--version"])
    assert (rc2, out2) == (rc, out)
    rc, out, _ = run([cli_path(opts), "--help"])
    assert rc == 0 and b"Usage: aegisr-cli" in out and b"-n <db>" in out, out
    rc, _, err = run([cli_path(opts), "-p", "notaport", "PING"])
    assert rc == 1 and b"notaport" in err, err


@test
def large_replies_are_read_whole(opts):
    big = os.urandom(3 << 20)
    reset(("SET", "blob", big), ("RPUSH", "many", *[str(i) for i in range(20000)]))
    rc, out, err = run([cli_path(opts), "-p", str(server().port), "GET", "blob"])
    assert rc == 0 and out == big + b"\n", (rc, len(out), err)
    rc, out, _ = run([cli_path(opts), "-p", str(server().port), "LRANGE", "many", "0", "-1"])
    assert out == ("\n".join(str(i) for i in range(20000)) + "\n").encode()


@test
def interactive_prompt_history_and_quit(opts):
    port = server().port
    reset(("SET", "k", "v"))
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home, TERM="dumb")
        argv = ["script", "-qec", shlex.join([cli_path(opts), "-p", str(port)]), "/dev/null"]
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        # Feed lines slowly so the line editor sees them one at a time.
        for line in (b"get k\n", b"select 2\n", b"incr n\n", b"auth nope\n", b"quit\n"):
            p.stdin.write(line)
            p.stdin.flush()
            time.sleep(0.3)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("aegisr-cli did not quit")
        assert p.returncode == 0, (p.returncode, out, err)
        text = out.replace(b"\r", b"")
        assert f"127.0.0.1:{port}> ".encode() in text, text
        assert f"127.0.0.1:{port}[2]> ".encode() in text, text
        assert b'"v"\n' in text and b"(integer) 1\n" in text, text
        # libedit writes spaces as \040.
        hist = open(os.path.join(home, ".aegisr_cli_history"), "rb").read().replace(b"\\040", b" ")
        assert b"get k" in hist and b"select 2" in hist, hist
        assert b"nope" not in hist, hist  # AUTH lines are not saved
    with harness.RawConn(port) as c:
        c.cmd("SELECT", "2")
        assert c.cmd("GET", "n") == b"$1\r\n1\r\n"


if __name__ == "__main__":
    harness.main()
