#!/usr/bin/env python3
# Real clients against aegisr-daemon: redis-py (Debian python3-redis), redis-cli one-shot and
# --pipe. Each test starts its own daemon; the concurrency test uses one connection per thread.
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

import redis  # noqa: E402  (Debian's python3-redis; run with /usr/bin/python3)


def client(port, **kw):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, **kw)


@test
def test_basic_strings(opts):
    with harness.start_daemon(opts.bindir) as d:
        r = client(d.port)
        assert r.ping() is True
        assert r.set("greeting", "hello") is True
        assert r.get("greeting") == b"hello"
        assert r.get("missing") is None
        assert r.set("greeting", "other", nx=True) is None
        assert r.set("greeting", "again", xx=True, get=True) == b"hello"
        assert r.append("greeting", "!") == 6
        assert r.strlen("greeting") == 6
        assert r.getrange("greeting", 0, 2) == b"aga"
        assert r.setrange("greeting", 1, "XY") == 6
        assert r.get("greeting") == b"aXYin!"
        assert r.incr("n") == 1
        assert r.incrby("n", 41) == 42
        assert r.decr("n") == 41
        assert r.decrby("n", 50) == -9
        assert r.incrbyfloat("f", 2.5) == 2.5
        assert r.incrbyfloat("f", -0.5) == 2.0
        assert r.mset({"a": "1", "b": "2"}) is True
        assert r.mget("a", "missing", "b") == [b"1", None, b"2"]
        assert r.msetnx({"a": "x", "c": "3"}) is False
        assert r.get("c") is None
        assert r.getset("a", "new") == b"1"
        assert r.getdel("a") == b"new"
        assert r.exists("a") == 0
        assert r.setnx("a", "v") is True
        assert r.setnx("a", "w") is False
        try:
            r.incr("greeting")
        except redis.ResponseError as e:
            assert str(e) == "value is not an integer or out of range", str(e)
        else:
            raise AssertionError("INCR of a non-number succeeded")
        try:
            r.execute_command("GET")
        except redis.ResponseError as e:
            assert "wrong number of arguments for 'get' command" in str(e), str(e)
        else:
            raise AssertionError("GET without a key succeeded")


@test
def test_basic_keys(opts):
    with harness.start_daemon(opts.bindir) as d:
        r = client(d.port)
        r.mset({"k1": "a", "k2": "b", "other": "c"})
        assert sorted(r.keys("k*")) == [b"k1", b"k2"]
        assert sorted(r.scan_iter(match="k*", count=1)) == [b"k1", b"k2"]
        assert r.dbsize() == 3
        assert r.type("k1") == b"string"
        assert r.type("nokey") == b"none"
        assert r.exists("k1", "k2", "nokey", "k1") == 3
        assert r.rename("k1", "k3") is True
        assert r.renamenx("k2", "k3") is False
        assert r.copy("k3", "k4") is True
        assert r.get("k4") == b"a"
        assert r.expire("k3", 100) is True
        assert 98 <= r.ttl("k3") <= 100
        assert 98000 <= r.pttl("k3") <= 100000
        assert r.persist("k3") is True
        assert r.ttl("k3") == -1
        assert r.ttl("nokey") == -2
        assert r.delete("k3", "k4", "nokey") == 2
        assert r.unlink("other") == 1
        assert r.dbsize() == 1
        assert r.move("k2", 1) is True
        r1 = client(d.port, db=1)
        assert r1.get("k2") == b"b"
        assert r.randomkey() is None
        assert r1.randomkey() == b"k2"
        r.flushdb()
        assert r1.dbsize() == 1


@test
def test_pipeline_10k(opts):
    with harness.start_daemon(opts.bindir) as d:
        r = client(d.port)
        n = 10000
        p = r.pipeline(transaction=False)
        for i in range(n):
            p.set(f"p:{i}", f"value-{i}")
        res = p.execute()
        assert res == [True] * n, [x for x in res if x is not True][:5]
        p = r.pipeline(transaction=False)
        for i in range(n):
            p.get(f"p:{i}")
        res = p.execute()
        bad = [(i, v) for i, v in enumerate(res) if v != f"value-{i}".encode()]
        assert not bad, bad[:5]
        p = r.pipeline(transaction=False)
        for i in range(n):
            p.incr("counter")
        assert p.execute() == list(range(1, n + 1))
        assert r.dbsize() == n + 1


@test
def test_binary_safe(opts):
    with harness.start_daemon(opts.bindir) as d:
        r = client(d.port)
        value = bytes(range(256)) * 4
        keys = [b"\x00", b"a\x00b", b"\r\n", b"k\r\n\x00\xff", b" ", b"\xff" * 100]
        for i, k in enumerate(keys):
            assert r.set(k, value[i:]) is True
        for i, k in enumerate(keys):
            assert r.get(k) == value[i:], k
            assert r.strlen(k) == len(value) - i
        assert sorted(r.keys("*")) == sorted(keys)
        assert r.append(b"\x00", b"\r\n\x00") == len(value) + 3
        assert r.get(b"\x00").endswith(value[-1:] + b"\r\n\x00")
        big = os.urandom(1 << 20)
        assert r.set("big", big) is True
        assert r.get("big") == big


@test
def test_resp3(opts):
    """redis-py 4.3 has no protocol=3: RESP3 is checked over a raw connection."""
    with harness.start_daemon(opts.bindir) as d, harness.RawConn(d.port) as c:
        hello = harness.parse_reply(c.cmd("HELLO", "3"))
        assert isinstance(hello, dict), hello
        assert hello[b"proto"] == 3, hello
        assert c.cmd("GET", "missing") == b"_\r\n"
        assert c.cmd("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd("MGET", "k", "missing") == b"*2\r\n$1\r\nv\r\n_\r\n"
        assert c.cmd("SET", "k", "w", "NX", "GET") == b"$1\r\nv\r\n"
        assert c.cmd("HELLO", "4").startswith(b"-NOPROTO")
        hello2 = harness.parse_reply(c.cmd("HELLO", "2"))
        assert hello2[hello2.index(b"proto") + 1] == 2, hello2
        assert c.cmd("GET", "missing") == b"$-1\r\n"
        # redis-py keeps working on another connection meanwhile.
        assert client(d.port).get("k") == b"v"


@test
def test_concurrent_incr(opts):
    threads, per_thread, keys = 16, 2000, ["c0", "c1", "c2", "c3"]
    with harness.start_daemon(opts.bindir) as d:
        errors = []
        start = threading.Barrier(threads)

        def work(t):
            try:
                r = client(d.port)
                start.wait()
                for i in range(per_thread):
                    r.incr(keys[(t + i) % len(keys)])
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append(repr(e))

        ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        assert not errors, errors[:3]
        r = client(d.port)
        values = [int(v) for v in r.mget(keys)]
        assert sum(values) == threads * per_thread, values
        assert values == [threads * per_thread // len(keys)] * len(keys), values


@test
def test_active_expiry(opts):
    """50k keys with PX 300 vanish from DBSIZE within 3 s without being touched."""
    n = 50000
    with harness.start_daemon(opts.bindir) as d:
        r = client(d.port)
        r.set("keeper", "stays")
        p = r.pipeline(transaction=False)
        for i in range(n):
            p.set(f"e:{i}", "x", px=300)
        assert all(p.execute())
        loaded = time.monotonic()
        size = r.dbsize()
        assert size <= n + 1, size
        while True:
            size = r.dbsize()
            if size == 1:
                break
            assert time.monotonic() - loaded < 3.0, f"DBSIZE still {size} after 3 s"
            time.sleep(0.1)
        assert r.get("keeper") == b"stays"
        assert r.exists("e:0", f"e:{n - 1}") == 0


def redis_cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args], input=stdin,
                          capture_output=True, timeout=60)


@test
def test_redis_cli_one_shot(opts):
    with harness.start_daemon(opts.bindir) as d:
        out = redis_cli(d.port, "SET", "cli", "hello world")
        assert out.returncode == 0 and out.stdout == b"OK\n", out
        out = redis_cli(d.port, "GET", "cli")
        assert out.stdout == b"hello world\n", out
        out = redis_cli(d.port, "--no-raw", "INCR", "cli")
        assert out.stdout == b"(error) ERR value is not an integer or out of range\n", out
        out = redis_cli(d.port, "--no-raw", "MGET", "cli", "none")
        assert out.stdout == b'1) "hello world"\n2) (nil)\n', out
        out = redis_cli(d.port, "--no-raw", "DBSIZE")
        assert out.stdout == b"(integer) 1\n", out


@test
def test_redis_cli_pipe(opts):
    n = 10000
    with harness.start_daemon(opts.bindir) as d:
        data = b"".join(harness.encode_command("SET", f"pipe:{i}", f"v{i}") for i in range(n))
        out = redis_cli(d.port, "--pipe", stdin=data)
        assert out.returncode == 0, out
        assert b"errors: 0, replies: %d" % n in out.stdout, out.stdout
        r = client(d.port)
        assert r.dbsize() == n
        assert r.get(f"pipe:{n - 1}") == f"v{n - 1}".encode()
        # A failing command is counted as an error, and redis-cli exits non-zero.
        bad = harness.encode_command("INCR", "pipe:0") + harness.encode_command("SET", "x", "y")
        out = redis_cli(d.port, "--pipe", stdin=bad)
        assert b"errors: 1, replies: 2" in out.stdout, out.stdout
        assert out.returncode != 0, out


if __name__ == "__main__":
    harness.main()
