#!/usr/bin/python3
# Integration tests of aegisr-bench --verify / --allow-missing / --preload, against aegisr-daemon
# and against Debian's redis-server as a control: clean runs pass; values overwritten, deleted,
# swapped, corrupted or rolled back behind the bench's back make it fail (exit 1) and name the
# keys; bad flag combinations exit 2. Each bench run is bounded to a couple of seconds.
# Run: /usr/bin/python3 tests/integration/test_bench_verify.py --bindir BUILD_DIR
import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

HEADER_BYTES = 54  # kVerifyHeaderBytes in cmd/bench/verify.h


def bench_path(opts):
    p = os.path.join(opts.bindir, "aegisr-bench")
    if not os.access(p, os.X_OK):
        raise AssertionError(f"{p} is missing or not executable")
    return p


def bench_argv(opts, port, *args):
    return [bench_path(opts), "-p", str(port)] + [str(a) for a in args]


def run_bench(opts, port, *args, timeout=30):
    return subprocess.run(bench_argv(opts, port, *args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def servers(opts):
    """Yields (name, handle) for aegisr-daemon, then redis-server; each is stopped after use."""
    for name, start in (("aegisr", lambda: harness.start_daemon(opts.bindir)),
                        ("redis", harness.start_redis)):
        with start() as h:
            yield name, h


def client(port):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)


def key(n):
    return "key:%010d" % n


@contextlib.contextmanager
def meddling(fn, after=0.4, duration=0.6):
    """Runs fn() over and over in a thread from `after` s to `after + duration` s."""
    stop = threading.Event()
    errors = []

    def loop():
        time.sleep(after)
        end = time.monotonic() + duration
        try:
            while time.monotonic() < end and not stop.is_set():
                fn()
                time.sleep(0.01)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)

    t = threading.Thread(target=loop)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
        assert not errors, errors


def verify_json(r):
    assert r.stdout, (r.returncode, r.stderr)
    out = json.loads(r.stdout)
    return out, out["verify"]


@test
def clean_verify_runs_pass_on_both_servers(opts):
    for name, s in servers(opts):
        r = run_bench(opts, s.port, "--verify", "--preload", "--json", "--threads", 2, "-c", 8,
                      "-P", 8, "--keyspace", 2000, "--dist", "zipf", "--read-pct", 60,
                      "--duration", 1.5, "-d", 100)
        assert r.returncode == 0, (name, r.returncode, r.stderr)
        out, v = verify_json(r)
        assert out["errors"] == 0, (name, out)
        assert v["ok"] is True and v["wrong"] == 0 and v["missing"] == 0, (name, v)
        assert v["verified"] > 1000, (name, v)
        assert v["unwritten"] == 0, (name, v)  # the preload wrote every key
        assert v["examples"] == [], (name, v)
        assert [p["name"] for p in out["phases"]] == ["preload", "mixed"], (name, out)
        assert out["phases"][0]["set"]["requests"] == 2000, (name, out["phases"][0])
        assert out["phases"][1]["verify"]["verified"] == v["verified"], (name, out)
        assert out["config"]["verify"] is True and out["config"]["preload"] is True
        # The stored value: this run's header for the key, at the size asked for.
        c = client(s.port)
        assert c.dbsize() == 2000, name
        val = c.get(key(1999))
        assert len(val) == 100 and val.startswith(b"AV1:0000001999:" + v["run"].encode()), val
        assert val[HEADER_BYTES - 1:HEADER_BYTES] == b"\n", val


@test
def verify_passes_with_four_times_maxmemory_on_the_disk_tier(opts):
    # 16k 1 KB values under maxmemory 4mb on 4 loop threads: reads bring values back (clean
    # copies), 10% SETs change them (the copies are let go) while other loops push them out
    # again; every read must be this run's latest acknowledged value.
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td,
                                                "--threads", "4"]) as d:
            r = run_bench(opts, d.port, "--verify", "--preload", "--json", "--threads", 2, "-c",
                          16, "--keyspace", 16384, "--dist", "zipf", "--read-pct", 90,
                          "--duration", 3, "-d", 1024, timeout=60)
            assert r.returncode == 0, (r.returncode, r.stderr)
            out, v = verify_json(r)
            assert out["errors"] == 0, out
            assert v["ok"] is True and v["wrong"] == 0 and v["missing"] == 0, v
            assert v["verified"] > 5000, v
            t = client(d.port).info("tier")
            assert t["tier_cold_reads"] > 1000 and t["tier_clean_offloads"] > 0, t
            assert t["tier_read_errors"] == 0 and t["tier_checksum_errors"] == 0, t
    finally:
        shutil.rmtree(td, ignore_errors=True)


@test
def putget_verifies_every_read_exactly_and_csv_has_the_counts(opts):
    for name, s in servers(opts):
        r = run_bench(opts, s.port, "--verify", "--mode", "putget", "-n", 3000, "--keyspace",
                      3000, "-c", 6, "-P", 4, "--csv")
        assert r.returncode == 0, (name, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        get = [x for x in rows if x["phase"] == "get" and x["op"] == "GET"][0]
        assert get["requests"] == "3000" and get["verified"] == "3000", (name, get)
        assert (get["wrong"], get["missing"], get["unwritten"]) == ("0", "0", "0"), (name, get)
        put_set = [x for x in rows if x["phase"] == "put" and x["op"] == "SET"][0]
        assert put_set["requests"] == "3000" and put_set["verified"] == "0", (name, put_set)


@test
def junk_written_behind_the_bench_fails_the_run_and_names_the_keys(opts):
    for name, s in servers(opts):
        c = client(s.port)
        victims = [3, 7]

        def junk():
            for k in victims:
                c.set(key(k), b"junk")

        with meddling(junk):
            r = run_bench(opts, s.port, "--verify", "--preload", "--json", "--keyspace", 20,
                          "-c", 4, "-P", 4, "--read-pct", 90, "--duration", 1.5)
        assert r.returncode == 1, (name, r.returncode, r.stderr)
        out, v = verify_json(r)
        assert v["ok"] is False and v["wrong"] > 0, (name, v)
        assert out["errors"] == 0, (name, out)  # the server did nothing wrong on the wire
        assert {e["key"] for e in v["examples"]} <= set(victims), (name, v)
        assert v["examples"] and all("junk" in e["got"] for e in v["examples"]), (name, v)
        assert "verify FAILED" in r.stderr and key(v["examples"][0]["key"]) in r.stderr, r.stderr


@test
def deleted_keys_fail_as_missing_unless_allowed(opts):
    for name, s in servers(opts):
        c = client(s.port)
        for allow in (False, True):
            args = ["--verify", "--preload", "--json", "--keyspace", 20, "-c", 4, "-P", 4,
                    "--read-pct", 100, "--duration", 1.2] + (["--allow-missing"] if allow else [])
            with meddling(lambda: c.delete(key(5), key(6)), duration=0.1):
                r = run_bench(opts, s.port, *args)
            out, v = verify_json(r)
            assert v["missing"] > 0 and v["wrong"] == 0, (name, allow, v)
            assert out["config"]["allow_missing"] is allow
            if allow:
                assert r.returncode == 0 and v["ok"] is True, (name, r.stderr)
            else:
                assert r.returncode == 1 and v["ok"] is False, (name, r.stderr)
                assert "missing" in r.stderr and "--allow-missing" in r.stderr, r.stderr


@test
def an_old_value_put_back_is_reported_as_stale(opts):
    for name, s in servers(opts):
        c = client(s.port)
        old = {}

        def roll_back():
            if not old:
                old["v"] = c.get(key(0))  # a version of this run, soon overwritten
                return
            c.set(key(0), old["v"])

        with meddling(roll_back, after=0.3, duration=1.0):
            r = run_bench(opts, s.port, "--verify", "--preload", "--json", "--keyspace", 4,
                          "-c", 4, "-P", 2, "--read-pct", 70, "--duration", 1.8)
        assert r.returncode == 1, (name, r.returncode, r.stderr)
        out, v = verify_json(r)
        assert old["v"].startswith(b"AV1:0000000000:" + v["run"].encode()), old
        assert v["wrong"] > 0, (name, v)
        e = v["examples"][0]
        assert e["key"] == 0 and "stale" in e["got"], (name, v)
        assert e["min_version"] > int(old["v"][24:36], 16), (name, e, old)


@test
def swapped_and_corrupted_values_fail_while_untouched_ones_verify(opts):
    for name, s in servers(opts):
        r = run_bench(opts, s.port, "--verify", "--mode", "put", "-n", 50, "--keyspace", 50,
                      "-c", 2, "-d", 80)
        assert r.returncode == 0, (name, r.stderr)
        c = client(s.port)
        c.set(key(1), c.get(key(2)))  # another key's intact value
        bad = bytearray(c.get(key(3)))
        bad[70] = ord("A")  # padding is lowercase: one flipped byte
        c.set(key(3), bytes(bad))
        c.delete(key(4))  # nil before this run wrote it: not an error
        r = run_bench(opts, s.port, "--verify", "--mode", "get", "-n", 2000, "--keyspace", 50,
                      "-c", 2, "--json")
        assert r.returncode == 1, (name, r.stderr)
        out, v = verify_json(r)
        got = {e["key"]: e["got"] for e in v["examples"]}
        assert set(got) == {1, 3}, (name, v)
        assert "the value of key:0000000002" in got[1], got
        assert "checksum mismatch" in got[3], got
        assert v["unwritten"] > 0 and v["missing"] == 0, (name, v)
        # Values of an earlier run count as verified until this run writes the key.
        assert v["verified"] + v["wrong"] + v["unwritten"] == 2000, (name, v)


@test
def killed_connections_fail_a_verify_run(opts):
    with harness.start_redis() as victim:
        proc = subprocess.Popen(
            [bench_path(opts), "-p", str(victim.port), "--verify", "--json", "--duration", "20",
             "-c", "6", "-P", "4", "--keyspace", "100"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.6)
        client(victim.port).client_kill_filter(_type="normal", skipme=True)
        try:
            out, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError("aegisr-bench --verify kept running after its connections died")
        assert proc.returncode == 1, (proc.returncode, err)
        p = json.loads(out)["phases"][0]
        assert p["failed_connections"] == 6 and p["errors"] > 0, p
        assert "connection closed by server" in err or "reset" in err, err


@test
def bad_verify_flags_exit_2_with_a_message(opts):
    port = harness.free_port()  # nothing listens: usage errors come before connecting
    cases = [
        (["--verify", "-d", HEADER_BYTES - 1], "-d >= 54"),
        (["--verify", "-d", 0], "-d >= 54"),
        (["--allow-missing"], "--allow-missing needs --verify"),
        (["--verify", "--keyspace", 300000000], "--keyspace is limited"),
    ]
    for args, msg in cases:
        r = run_bench(opts, port, *args, "-n", 10)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert r.stderr.startswith("aegisr-bench:") and msg in r.stderr, (args, r.stderr)
        assert r.stdout == "", (args, r.stdout)
    r = run_bench(opts, port, "--verify", "-n", 10)
    assert r.returncode == 2 and "refused" in r.stderr.lower(), r.stderr
    r = subprocess.run([bench_path(opts), "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and "--verify" in r.stdout and "--allow-missing" in r.stdout, r
    # The smallest value size is accepted and round-trips.
    with harness.start_redis() as s:
        r = run_bench(opts, s.port, "--verify", "--mode", "putget", "-n", 100, "--keyspace", 100,
                      "-d", HEADER_BYTES, "--json")
        assert r.returncode == 0, r.stderr
        _, v = verify_json(r)
        assert v["verified"] == 100, v
        assert len(client(s.port).get(key(0))) == HEADER_BYTES


if __name__ == "__main__":
    harness.main()
