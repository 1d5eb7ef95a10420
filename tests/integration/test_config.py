#!/usr/bin/python3
# Integration tests of configuration: the real aegisr-daemon with bad config files and flags
# (exit code 2 and a message naming file, line and key), flags overriding the file, JSON files,
# CONFIG GET/SET compared with redis-server, and CONFIG REWRITE surviving a restart.
# Single-threaded. Run: /usr/bin/python3 tests/integration/test_config.py --bindir BUILD_DIR
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402


def write_temp(text, suffix=".toml"):
    fd, path = tempfile.mkstemp(prefix="aegisr-test-config-", suffix=suffix)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def need_real_daemon(opts):
    if harness.AGAINST_REDIS:
        harness.skip("daemon-only flags and files; redis-server cannot stand in")
    path = harness.daemon_path(opts.bindir)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing or not executable")
    return path


def run_daemon_expecting_exit(opts, args, timeout=10):
    """Runs the daemon with args; it must exit by itself. Returns (exit code, stderr text)."""
    daemon = need_real_daemon(opts)
    try:
        p = subprocess.run([daemon] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"aegisr-daemon {args} kept running; expected it to exit")
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def expect_bad_config(opts, text, expected_fragments, suffix=".toml", extra=()):
    path = write_temp(text, suffix)
    try:
        port = harness.free_port()
        code, _, err = run_daemon_expecting_exit(opts, ["-c", path, "-p", str(port)] + list(extra))
        assert code == 2, f"exit code {code}, expected 2; stderr: {err!r}"
        for frag in expected_fragments:
            frag = frag.replace("FILE", path)
            assert frag in err, f"stderr lacks {frag!r}: {err!r}"
    finally:
        os.unlink(path)


def get(conn, name):
    reply = harness.parse_reply(conn.cmd("CONFIG", "GET", name))
    d = reply if isinstance(reply, dict) else dict(zip(reply[::2], reply[1::2]))
    return d.get(name.encode())


@test
def test_unknown_key_names_file_line_and_key(opts):
    expect_bad_config(opts, "port = 7000\n# comment\nportt = 7001\n",
                      ["FILE:3: unknown config key 'portt'"])


@test
def test_wrong_type_and_range_are_explained(opts):
    expect_bad_config(opts, "\nport = \"abc\"\n",
                      ["FILE:2: invalid value for 'port': expected an integer between 0 and "
                       "65535, got \"abc\""])
    expect_bad_config(opts, "maxclients = 0\n",
                      ["FILE:1: invalid value for 'maxclients': expected an integer between 1 "
                       "and 4294967295, got 0"])
    expect_bad_config(opts, "appendonly = \"maybe\"\n",
                      ["FILE:1: invalid value for 'appendonly'", "got \"maybe\""])
    expect_bad_config(opts, "maxmemory-policy = \"lru\"\n",
                      ["FILE:1: invalid value for 'maxmemory-policy'", "noeviction"])


@test
def test_syntax_errors_name_the_line(opts):
    expect_bad_config(opts, "port = 7000\nhz = = 1\n", ["FILE:2: syntax error"])
    expect_bad_config(opts, "{\n\"port\": 7000,\n\"hz\": ,\n}\n", ["FILE:3: syntax error"],
                      suffix=".json")
    expect_bad_config(opts, "{\n\"port\": 7000,\n\"hzz\": 1\n}\n",
                      ["FILE:3: unknown config key 'hzz'"], suffix=".json")


@test
def test_unreadable_file_and_bad_flags_exit_2(opts):
    missing = os.path.join(tempfile.gettempdir(), f"aegisr-no-such-config-{os.getpid()}.toml")
    code, _, err = run_daemon_expecting_exit(opts, ["-c", missing])
    assert code == 2, (code, err)
    assert f"{missing}: cannot read config file: No such file or directory" in err, err
    code, _, err = run_daemon_expecting_exit(opts, ["-p", "notaport"])
    assert code == 2, (code, err)
    assert "invalid value for '-p': expected an integer between 0 and 65535, got \"notaport\"" \
        in err, err
    code, _, err = run_daemon_expecting_exit(opts, ["--no-such-knob", "1"])
    assert code == 2, (code, err)
    assert "unknown option '--no-such-knob'" in err, err


@test
def test_help_lists_knobs(opts):
    code, out, err = run_daemon_expecting_exit(opts, ["--help"])
    assert code == 0, (code, err)
    for name in ("--maxclients", "--maxmemory-policy", "--io-backend", "--threads", "-c, --config"):
        assert name in out, f"--help lacks {name}: {out}"


@test
def test_flags_override_file_whatever_the_order(opts):
    need_real_daemon(opts)
    file_port = harness.free_port()
    path = write_temp(f"port = {file_port}\nmaxclients = 77\nhz = 20\n")
    try:
        for order in ("flags-last", "flags-first"):
            port = harness.free_port()
            args = ["-c", path, "--hz", "30"]
            if order == "flags-first":
                args = ["--hz", "30", "-c", path]
            # start_daemon puts -p PORT first, i.e. before -c: the flag must still win.
            with harness.start_daemon(opts.bindir, extra_args=args, port=port) as d:
                with harness.RawConn(d.port) as c:
                    assert get(c, "port") == str(port).encode(), order
                    assert get(c, "maxclients") == b"77", order
                    assert get(c, "hz") == b"30", order
                    assert get(c, "bind") == b"127.0.0.1", order
    finally:
        os.unlink(path)


@test
def test_json_file_with_host_alias(opts):
    need_real_daemon(opts)
    port = harness.free_port()
    path = write_temp(f'{{"host": "127.0.0.1", "port": {port}, "timeout": 12}}', ".json")
    try:
        daemon = harness.daemon_path(opts.bindir)
        h = harness.ServerHandle("aegisr-daemon", [daemon, "-c", path], port)
        h.wait_ready()
        with h:
            with harness.RawConn(port) as c:
                assert get(c, "timeout") == b"12"
                assert get(c, "bind") == b"127.0.0.1"
    finally:
        os.unlink(path)


# CONFIG SET/GET exchanges whose replies must be byte-identical to redis-server's.
DIFF_COMMANDS = [
    ("CONFIG", "SET", "databases", "5"),
    ("CONFIG", "SET", "nosuchknob", "1"),
    ("CONFIG", "SET", "hz", "10", "HZ", "11"),
    ("CONFIG", "SET", "hz", "abc", "nosuchknob", "1"),
    ("CONFIG", "SET", "hz", "10", "timeout"),
    ("CONFIG", "SET", "maxclients", "abc"),
    ("CONFIG", "SET", "maxclients", "0"),
    ("CONFIG", "SET", "timeout", "05"),
    ("CONFIG", "SET", "timeout", "-1"),
    ("CONFIG", "SET", "maxmemory", "1.5gb"),
    ("CONFIG", "SET", "maxmemory", "-1"),
    ("CONFIG", "SET", "maxmemory", "10k"),
    ("CONFIG", "GET", "maxmemory"),
    ("CONFIG", "SET", "maxmemory", "5Mb"),
    ("CONFIG", "GET", "maxmemory"),
    ("CONFIG", "SET", "maxmemory", "0"),
    ("CONFIG", "SET", "proto-max-bulk-len", "1000"),
    ("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU"),
    ("CONFIG", "GET", "maxmemory-policy"),
    ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
    ("CONFIG", "SET", "appendonly", "maybe"),
    ("CONFIG", "SET", "loglevel", "loud"),
    ("CONFIG", "SET", "active-expire-effort", "11"),
    ("CONFIG", "SET", "maxmemory-samples", "0"),
    ("CONFIG", "SET", "hz", "0"),
    ("CONFIG", "GET", "hz"),
    ("CONFIG", "SET", "hz", "1000"),
    ("CONFIG", "GET", "hz"),
    ("CONFIG", "SET", "hz", "10"),
    ("CONFIG", "SET", "maxclients", "100", "timeout", "abc"),
    ("CONFIG", "SET", "dir", "/"),
    ("CONFIG", "GET", "save"),
    ("CONFIG", "GET", "appendonly"),
    ("CONFIG", "GET", "HZ"),
    ("CONFIG", "GET", "hz", "hz"),
    ("CONFIG", "GET", "lazyfree-lazy-user-del"),
    ("CONFIG", "GET", "nosuchknob*"),
    ("CONFIG", "GET", "timeout"),
    ("CONFIG", "GET", "tcp-keepalive"),
    ("CONFIG", "GET", "proto-max-bulk-len"),
    ("CONFIG", "GET", "client-query-buffer-limit"),
    ("CONFIG", "GET", "databases"),
    ("CONFIG", "GET", "requirepass"),
    ("CONFIG", "GET", "active-expire-effort"),
    ("CONFIG", "NOSUCH"),
    ("CONFIG", "GET"),
    ("CONFIG", "SET", "hz"),
    ("CONFIG", "RESETSTAT"),  # (CONFIG HELP's text is our own: checked on its own below)
    ("CONFIG", "REWRITE"),
]


@test
def test_config_help_lists_every_subcommand(opts):
    with harness.start_daemon(opts.bindir) as dut:
        with harness.RawConn(dut.port) as c:
            reply = c.cmd("CONFIG", "HELP").decode()
    assert reply.startswith("*11\r\n+CONFIG <subcommand>"), reply
    for sub in ("GET <pattern>", "SET <directive> <value>", "RESETSTAT", "REWRITE", "HELP"):
        assert "+" + sub + "\r\n" in reply, (sub, reply)


@test
def test_config_get_set_match_redis(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        d = harness.Differential(ref.port, dut.port)
        for args in DIFF_COMMANDS:
            d.check(*args)
        # Aegisr has one more policy, and its error lists it: Redis's reply plus ", adaptive".
        ref_reply, dut_reply = d.both("CONFIG", "SET", "maxmemory-policy", "bogus")
        assert ref_reply.endswith(b"allkeys-random, noeviction\r\n"), ref_reply
        assert dut_reply == ref_reply[:-2] + b", adaptive\r\n", dut_reply
        mismatches = d.mismatches
        d.close()
        assert mismatches == 0, f"{mismatches} replies differed from redis-server"


@test
def test_config_set_takes_effect_and_is_all_or_nothing(opts):
    with harness.start_daemon(opts.bindir) as d, harness.RawConn(d.port) as c:
        assert c.cmd("CONFIG", "SET", "maxclients", "123", "timeout", "7") == b"+OK\r\n"
        assert get(c, "maxclients") == b"123"
        assert get(c, "timeout") == b"7"
        r = c.cmd("CONFIG", "SET", "maxclients", "50", "timeout", "x")
        assert r.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'timeout')"), r
        assert get(c, "maxclients") == b"123"
        assert get(c, "timeout") == b"7"


@test
def test_rewrite_persists_across_restart(opts):
    need_real_daemon(opts)
    port = harness.free_port()
    path = write_temp(f"port = {port}\nhz = 25\n")
    try:
        with harness.start_daemon(opts.bindir, extra_args=["-c", path], port=port) as d:
            with harness.RawConn(d.port) as c:
                assert c.cmd("CONFIG", "SET", "timeout", "31", "maxmemory", "2mb") == b"+OK\r\n"
                assert c.cmd("CONFIG", "REWRITE") == b"+OK\r\n"
        with open(path) as f:
            text = f.read()
        assert "timeout = 31\n" in text, text
        assert "hz = 25\n" in text, text
        port2 = harness.free_port()
        with harness.start_daemon(opts.bindir, extra_args=["-c", path], port=port2) as d:
            with harness.RawConn(d.port) as c:
                assert get(c, "timeout") == b"31"
                assert get(c, "maxmemory") == str(2 << 20).encode()
                assert get(c, "hz") == b"25"
    finally:
        os.unlink(path)


if __name__ == "__main__":
    harness.main()
