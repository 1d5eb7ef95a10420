#!/usr/bin/python3
# Integration tests of aegisr-bench against Debian's redis-server: output fields and their sanity,
# exact request counts (checked with DBSIZE), key distributions, and the error paths (error
# replies, server hanging up, nothing listening, bad flags). Single-threaded.
# Run: /usr/bin/python3 tests/integration/test_bench.py --bindir BUILD_DIR
import atexit
import csv
import io
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

_server = None


def server():
    """One redis-server shared by the tests that do not need their own."""
    global _server
    if _server is None:
        _server = harness.start_redis()
        atexit.register(_server.stop, expect_exit=False)
    return _server


def bench_path(opts):
    p = os.path.join(opts.bindir, "aegisr-bench")
    if not os.access(p, os.X_OK):
        raise AssertionError(f"{p} is missing or not executable")
    return p


def run_bench(opts, *args, port=None, timeout=60):
    """Runs aegisr-bench against the shared server (or `port`); returns the CompletedProcess."""
    if port is None:
        port = server().port
    argv = [bench_path(opts), "-p", str(port)] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def cmd(*args, port=None):
    with harness.RawConn(port or server().port) as c:
        return c.cmd(*args)


def flush():
    assert cmd("FLUSHALL") == b"+OK\r\n"


def dbsize(port=None):
    reply = cmd("DBSIZE", port=port)
    assert reply.startswith(b":"), reply
    return int(reply[1:].strip())


def check_stats(where, s, expect_requests=None):
    for field in ("requests", "ops_per_sec", "avg_us", "p50_us", "p99_us", "p999_us", "max_us",
                  "errors"):
        assert field in s, f"{where}: no {field} in {s}"
    if expect_requests is not None:
        assert s["requests"] == expect_requests, f"{where}: {s['requests']} != {expect_requests}"
    if s["requests"] > 0:
        assert s["ops_per_sec"] > 0, f"{where}: {s}"
        assert 0 < s["p50_us"] <= s["p99_us"] <= s["p999_us"] <= s["max_us"], f"{where}: {s}"
        assert s["avg_us"] <= s["max_us"], f"{where}: {s}"
    assert s["errors"] == 0, f"{where}: {s}"


def run_json(opts, *args, **kw):
    r = run_bench(opts, "--json", *args, **kw)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:{r.stdout}\nstderr:{r.stderr}"
    assert r.stderr == "", f"no progress output expected when stderr is not a tty: {r.stderr!r}"
    return json.loads(r.stdout)


@test
def json_output_for_each_mode_is_complete_and_sane(opts):
    n = 3000
    cases = [("mixed", ["--read-pct", "50"]), ("put", []), ("get", []), ("putget", [])]
    for mode, extra in cases:
        flush()
        out = run_json(opts, "--mode", mode, "-n", n, "-c", 8, "-P", 4, *extra)
        assert out["errors"] == 0, out
        assert out["config"]["mode"] == mode and out["config"]["pipeline"] == 4, out["config"]
        names = [p["name"] for p in out["phases"]]
        assert names == (["put", "get"] if mode == "putget" else [mode]), names
        for p in out["phases"]:
            where = f"{mode}/{p['name']}"
            assert p["requests"] == n, f"{where}: {p['requests']}"
            assert p["seconds"] > 0 and p["errors"] == 0, p
            check_stats(where + "/all", p["all"], n)
            check_stats(where + "/get", p["get"])
            check_stats(where + "/set", p["set"])
            assert p["get"]["requests"] + p["set"]["requests"] == n, p
            if p["name"] == "put":
                assert p["set"]["requests"] == n and p["get"]["requests"] == 0, p
            if p["name"] == "get":
                assert p["get"]["requests"] == n and p["set"]["requests"] == 0, p
            if p["name"] == "mixed":
                # 50% reads, binomial: 1500 +- 5 sigma (~137).
                assert 1300 < p["get"]["requests"] < 1700, p
        if mode == "putget":
            t = out["table"]
            assert t["put_ops_per_sec"] > 0 and t["get_ops_per_sec"] > 0, t
            assert t["put_avg_us"] > 0 and t["get_avg_us"] > 0, t


@test
def command_sends_that_command_with_fresh_random_numbers(opts):
    flush()
    out = run_json(opts, "--command", "RPUSH mylist __data__", "-n", 3000, "-c", 8, "-P", 4,
                   "-d", 10)
    p = out["phases"][0]
    assert out["config"]["command"] == ["RPUSH", "mylist", "__data__"], out["config"]
    assert p["name"] == "command" and "get" not in p and "set" not in p, p
    check_stats("command", p["command"], 3000)
    check_stats("all", p["all"], 3000)
    assert cmd("LLEN", "mylist") == b":3000\r\n"
    assert cmd("LINDEX", "mylist", "0") == b"$10\r\nxxxxxxxxxx\r\n"
    # Each placeholder draws its own number: member and score differ, within the keyspace.
    run_json(opts, "--command", "ZADD z __rand_int__ m:__rand_int__", "-n", 500,
             "--keyspace", 1000)
    pairs = harness.parse_reply(cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"))
    members, scores = pairs[0::2], [float(x) for x in pairs[1::2]]
    assert 300 < len(members) <= 500, len(members)
    assert all(len(m) == 14 and m.startswith(b"m:") and int(m[2:]) < 1000 for m in members)
    assert all(0 <= s < 1000 for s in scores)
    assert sum(int(m[2:]) == s for m, s in zip(members, scores)) < len(members) // 2
    # Error replies are counted against the command, and the exit status says so.
    r = run_bench(opts, "--json", "--command", "INCR mylist", "-n", 20)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert json.loads(r.stdout)["phases"][0]["command"]["errors"] == 20, r.stdout
    r = run_bench(opts, "--csv", "--command", "PING", "-n", 100)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["op"], x["requests"]) for x in rows] == [("PING", "100"), ("ALL", "100")], rows


@test
def n_stops_at_the_count_even_when_it_does_not_divide_evenly(opts):
    for n, c, threads, pipeline in [(3000, 10, 1, 16), (2999, 7, 3, 5), (5, 50, 2, 16)]:
        flush()
        out = run_json(opts, "--mode", "put", "-n", n, "-c", c, "--threads", threads,
                       "-P", pipeline)
        assert out["phases"][0]["set"]["requests"] == n, out["phases"][0]
        assert dbsize() == n, f"-n {n} -c {c} --threads {threads}: DBSIZE {dbsize()}"


@test
def putget_reads_back_the_keys_it_wrote_with_the_value_size_asked(opts):
    flush()
    out = run_json(opts, "--mode", "putget", "-n", 2000, "-d", 100, "--keyspace", 10**9)
    assert out["phases"][1]["get"]["requests"] == 2000
    assert dbsize() == 2000
    assert cmd("STRLEN", "key:0000000000") == b":100\r\n"
    assert cmd("STRLEN", "key:0000001999") == b":100\r\n"
    assert cmd("EXISTS", "key:0000002000") == b":0\r\n"


@test
def csv_output_has_a_header_and_sane_rows(opts):
    flush()
    r = run_bench(opts, "--csv", "--mode", "putget", "-n", 2000, "-P", 8)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["phase"], x["op"]) for x in rows] == [
        ("put", "GET"), ("put", "SET"), ("put", "ALL"),
        ("get", "GET"), ("get", "SET"), ("get", "ALL")], rows
    for x in rows:
        s = {k: float(v) for k, v in x.items() if k not in ("phase", "op")}
        if x["op"] == "ALL":
            assert s["requests"] == 2000, x
        check_stats(f"{x['phase']}/{x['op']}", s)


@test
def text_output_prints_the_put_get_table_row(opts):
    flush()
    r = run_bench(opts, "--mode", "putget", "-n", 2000)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    i = next(i for i, l in enumerate(lines) if "put ops/s" in l and "get avg(us)" in l)
    cells = lines[i + 1].split()
    assert len(cells) == 4 and all(float(c) > 0 for c in cells), lines[i + 1]


@test
def duration_stops_by_itself(opts):
    start = time.monotonic()
    out = run_json(opts, "--duration", "1", "-c", 4, "-P", 2)
    took = time.monotonic() - start
    assert 0.9 < took < 5, took
    p = out["phases"][0]
    assert 0.9 < p["seconds"] < 3, p
    assert p["requests"] > 0


@test
def zipf_concentrates_keys_and_the_seed_makes_runs_repeatable(opts):
    def distinct(*args):
        flush()
        run_json(opts, "--mode", "mixed", "--read-pct", 0, "-n", 5000, "-c", 1,
                 "--keyspace", 10**6, *args)
        keys = cmd("KEYS", "*")
        return dbsize(), keys

    uniform, _ = distinct("--dist", "uniform")
    zipf, keys_a = distinct("--dist", "zipf", "--zipf-theta", 0.99, "--seed", 3)
    _, keys_b = distinct("--dist", "zipf", "--zipf-theta", 0.99, "--seed", 3)
    _, keys_c = distinct("--dist", "zipf", "--zipf-theta", 0.99, "--seed", 4)
    assert uniform > 4900, uniform  # 5000 draws from 10^6 keys barely repeat
    assert zipf < 0.8 * uniform, (zipf, uniform)
    assert cmd("EXISTS", "key:0000000000") == b":1\r\n"  # rank 0 is the hottest key

    def keyset(raw):
        return sorted(harness.parse_reply(raw))

    assert keyset(keys_a) == keyset(keys_b)
    assert keyset(keys_a) != keyset(keys_c)


@test
def ratio_and_read_pct_set_the_mix(opts):
    flush()
    out = run_json(opts, "--ratio", "1:3", "-n", 4000)
    gets = out["phases"][0]["get"]["requests"]
    assert out["config"]["read_pct"] == 75, out["config"]
    assert 2800 < gets < 3200, gets
    out = run_json(opts, "--read-pct", 100, "-n", 1000)
    assert out["phases"][0]["set"]["requests"] == 0


@test
def error_replies_are_counted_and_exit_non_zero(opts):
    # maxmemory of 1 byte with noeviction: every SET is refused with -OOM, GETs still work.
    with harness.start_redis(extra_args=["--maxmemory", "1",
                                         "--maxmemory-policy", "noeviction"]) as full:
        r = run_bench(opts, "--json", "--mode", "put", "-n", 500, "-c", 5, "-P", 4,
                      port=full.port)
        assert r.returncode == 1, (r.returncode, r.stderr)
        out = json.loads(r.stdout)
        p = out["phases"][0]
        assert p["error_replies"] == 500 and p["errors"] == 500, p
        assert p["set"]["errors"] == 500 and p["set"]["requests"] == 500, p
        assert p["failed_connections"] == 0, p
        assert "500 errors" in r.stderr, r.stderr
        r = run_bench(opts, "--json", "--mode", "get", "-n", 500, port=full.port)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["errors"] == 0


@test
def server_killing_connections_is_reported_and_exits_non_zero(opts):
    with harness.start_redis() as victim:
        proc = subprocess.Popen(
            [bench_path(opts), "-p", str(victim.port), "--json", "--duration", "30", "-c", "8",
             "-P", "4"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.7)
        killed = cmd("CLIENT", "KILL", "TYPE", "normal", port=victim.port)
        assert killed.startswith(b":") and int(killed[1:]) >= 8, killed
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("aegisr-bench kept running after its connections were killed")
        assert proc.returncode == 1, (proc.returncode, err)
        p = json.loads(out)["phases"][0]
        assert p["failed_connections"] == 8, p
        assert p["errors"] > 0, p
        assert "connection closed by server" in err or "reset" in err, err


@test
def nothing_listening_exits_2_with_a_message(opts):
    port = harness.free_port()
    r = run_bench(opts, "-n", 10, port=port)
    assert r.returncode == 2, r
    assert "refused" in r.stderr.lower(), r.stderr
    assert r.stdout == "", r.stdout


@test
def bad_flags_exit_2_and_help_exits_0(opts):
    for args in (["--dist", "pareto"], ["-n", "10", "--duration", "1"], ["--csv", "--json"],
                 ["--mode", "scan"], ["-P", "0"], ["--keyspace", "0"], ["--ratio", "3"],
                 ["--read-pct", "101"], ["--bogus"], ["-n"], ["--zipf-theta", "-1"],
                 ["--command", " "], ["--command", "GET k", "--mode", "get"],
                 ["--command", "GET k", "--verify"]):
        r = run_bench(opts, *args)
        assert r.returncode == 2, (args, r.returncode, r.stdout)
        assert r.stderr.startswith("aegisr-bench:"), (args, r.stderr)
    r = subprocess.run([bench_path(opts), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--keyspace" in r.stdout, r


if __name__ == "__main__":
    harness.main()
