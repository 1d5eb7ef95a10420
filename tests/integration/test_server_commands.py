#!/usr/bin/python3
# Integration tests of the connection/server commands against a real aegisr-daemon, with
# redis-cli and redis-py as clients and redis-server as the oracle for byte-exact replies.
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RawConn, main, parse_reply, start_daemon, start_redis,  # noqa: E402
                     test)

import redis  # noqa: E402  (Debian python3-redis)


def _cli(port, *args, resp3=False):
    argv = ["redis-cli", "-p", str(port)] + (["-3"] if resp3 else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout


@test
def hello_3_map_and_back(opts):
    with start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        raw = c.cmd("HELLO", "3")
        assert raw.startswith(b"%7\r\n"), raw
        m = parse_reply(raw)
        assert m[b"server"] == b"redis" and m[b"version"] == b"7.0.15", m
        assert m[b"proto"] == 3 and m[b"mode"] == b"standalone" and m[b"role"] == b"master", m
        assert m[b"modules"] == [] and isinstance(m[b"id"], int), m
        assert c.cmd("CLIENT", "GETNAME") == b"_\r\n"  # RESP3 null from now on
        assert c.cmd("HELLO", "2").startswith(b"*14\r\n")
        assert c.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
        assert c.cmd("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"


@test
def replies_match_redis_byte_for_byte(opts):
    """Commands whose replies do not depend on ids, addresses or time."""
    cases = [
        ("PING",), ("PING", "hello"), ("PING", "a", "b"), ("ECHO", "x"), ("HELLO", "x"),
        ("HELLO", "2", "FOO"), ("HELLO", "2", "AUTH", "a"), ("HELLO", "2", "SETNAME", "a b"),
        ("HELLO", "2", "AUTH", "bob", "pw"), ("AUTH", "pw"), ("AUTH", "bob", "pw"),
        ("AUTH", "default", "pw"), ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "nm"),
        ("CLIENT", "GETNAME"), ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "x"),
        ("CLIENT", "KILL", "ID", "999999"), ("CLIENT", "KILL", "TYPE", "bad"),
        ("CLIENT", "KILL", "USER", "nobody"), ("CLIENT", "KILL", "SKIPME", "maybe"),
        ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "FOO"), ("CLIENT", "NOSUCH"),
        ("COMMAND", "INFO", "get", "ping", "client|kill", "nosuch"), ("COMMAND", "INFO", "time"),
        ("COMMAND", "INFO", "mset", "del", "expire", "hello", "info", "echo", "getrange"),
        ("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"), ("COMMAND", "GETKEYS", "ping", "x"),
        ("COMMAND", "GETKEYS", "nosuch", "x"), ("COMMAND", "GETKEYS", "get", "a", "b"),
        ("COMMAND", "GETKEYS", "lcs", "a", "b"), ("COMMAND", "LIST", "x"),
        ("COMMAND", "LIST", "FILTERBY", "MODULE", "m"), ("COMMAND", "FOO"),
        ("INFO", "nosuchsection"), ("SHUTDOWN", "FOO"), ("SHUTDOWN", "ABORT"),
        ("SHUTDOWN", "SAVE", "NOSAVE"), ("RESET",),
    ]
    mismatches = []
    with start_redis() as ref, start_daemon(opts.bindir) as d:
        for proto in ("2", "3"):
            with RawConn(ref.port) as r, RawConn(d.port) as a:
                r.cmd("HELLO", proto)
                a.cmd("HELLO", proto)
                for args in cases:
                    want, got = r.cmd(*args), a.cmd(*args)
                    if want != got:
                        mismatches.append(f"RESP{proto} {args}:\n  redis : {want[:300]!r}\n"
                                          f"  aegisr: {got[:300]!r}")
    assert not mismatches, "\n".join(mismatches)


def _strip_notes(v):
    """Drops key-spec "notes" (Redis prose that Aegisr does not copy) from a parsed reply."""
    if isinstance(v, dict):
        return {k: _strip_notes(x) for k, x in v.items() if k != b"notes"}
    if isinstance(v, list):
        return [_strip_notes(x) for x in v]
    return v


# Commands newer than the reference server (Redis 7.4's hash field expiry): their metadata is
# written by hand in tools/gen_command_meta.py; the reference knows nothing of them.
NEWER_THAN_REFERENCE = {"hexpire", "hexpireat", "hexpiretime", "hpersist", "hpexpire",
                        "hpexpireat", "hpexpiretime", "hpttl", "httl",
                        # RedisBloom's module commands: not in the reference server either
                        "bf.add", "bf.card", "bf.exists", "bf.info", "bf.insert", "bf.madd",
                        "bf.mexists", "bf.reserve"}


@test
def command_info_matches_redis_for_every_registered_command(opts):
    with start_redis() as ref, start_daemon(opts.bindir) as d:
        with RawConn(ref.port) as r, RawConn(d.port) as a:
            r.cmd("HELLO", "3")
            a.cmd("HELLO", "3")
            names = [n.decode() for n in parse_reply(a.cmd("COMMAND", "LIST"))]
            assert "ping" in names and "client|kill" in names, names
            bad = []
            for n in names:
                want = _strip_notes(parse_reply(r.cmd("COMMAND", "INFO", n)))
                got = parse_reply(a.cmd("COMMAND", "INFO", n))
                if n in NEWER_THAN_REFERENCE:
                    if want != [None] or not got[0] or got[0][0] != n.encode():
                        bad.append(f"{n} (newer than the reference):\n  redis : {want}\n"
                                   f"  aegisr: {got}")
                    continue
                if got[0] and want[0]:
                    # Key specs are a set: the parser orders sets by their text, which for the
                    # reference still held the notes when it was ordered. Order both again.
                    want[0][8] = sorted(want[0][8], key=repr)
                    got[0][8] = sorted(got[0][8], key=repr)
                if n.find("|") < 0 and got[0] and want[0]:
                    # Containers: we list only the subcommands we register.
                    registered = {s[0] for s in got[0][9]}
                    want[0][9] = sorted((s for s in want[0][9] if s[0] in registered),
                                        key=repr)
                    got[0][9] = sorted(got[0][9], key=repr)
                if want != got:
                    bad.append(f"{n}:\n  redis : {want}\n  aegisr: {got}")
            assert not bad, "\n".join(bad[:10])
            count = parse_reply(a.cmd("COMMAND", "COUNT"))
            assert count == len([n for n in names if "|" not in n]), count


@test
def command_docs_structure_matches_redis_except_prose(opts):
    with start_redis() as ref, start_daemon(opts.bindir) as d:
        rc, ac = redis.Redis(port=ref.port), redis.Redis(port=d.port)
        names = ["get", "set", "client", "hello", "command", "info"]
        want = parse_reply(_raw(ref.port, "COMMAND", "DOCS", *names))
        got = parse_reply(_raw(d.port, "COMMAND", "DOCS", *names))
        assert isinstance(got, list) and len(got) == 2 * len(names), got
        w, g = _pairs(want), _pairs(got)
        for name in names:
            wd, gd = _pairs(w[name.encode()]), _pairs(g[name.encode()])
            assert gd[b"group"] == wd[b"group"] and gd[b"since"] == wd[b"since"], name
            assert gd.get(b"arguments") == wd.get(b"arguments"), name
            assert b"complexity" not in gd and b"history" not in gd, name
            assert gd[b"summary"] and gd[b"summary"] != wd[b"summary"], name
        del rc, ac


def _raw(port, *args):
    with RawConn(port) as c:
        return c.cmd(*args)


def _pairs(flat):
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


@test
def redis_cli_uses_command_docs(opts):
    with start_daemon(opts.bindir) as d:
        out = _cli(d.port, "COMMAND", "DOCS", "get")
        assert "summary" in out and "arguments" in out, out
        assert _cli(d.port, "PING").strip() == "PONG"
        assert _cli(d.port, "ECHO", "hi there").strip() == "hi there"
        # Interactive mode fetches COMMAND DOCS for its hints; it must not break the session.
        p = subprocess.run(["redis-cli", "-p", str(d.port)], input="PING\nCLIENT SETNAME cli\n"
                           "CLIENT GETNAME\n", capture_output=True, text=True, timeout=10)
        assert "PONG" in p.stdout and "cli" in p.stdout, (p.stdout, p.stderr)


@test
def client_list_and_kill_across_connections(opts):
    with start_daemon(opts.bindir) as d:
        a = redis.Redis(port=d.port)
        b = redis.Redis(port=d.port, client_name="victim")
        b.ping()
        a.client_setname("admin")
        clients = a.client_list()
        by_name = {c["name"]: c for c in clients}
        assert set(by_name) >= {"admin", "victim"}, clients
        v = by_name["victim"]
        for field in ("id", "addr", "laddr", "fd", "age", "idle", "flags", "db", "qbuf",
                      "obl", "cmd", "user", "resp"):
            assert field in v, (field, v)
        assert v["user"] == "default" and v["flags"] == "N" and v["db"] == "0", v
        assert by_name["admin"]["cmd"] == "client|list", by_name["admin"]
        # The raw line has Redis's field order.
        line = _raw(d.port, "CLIENT", "INFO").split(b"\r\n", 1)[1]
        keys = [kv.split(b"=", 1)[0] for kv in line.strip().split(b" ")]
        assert keys == [b"id", b"addr", b"laddr", b"fd", b"name", b"age", b"idle", b"flags",
                        b"db", b"sub", b"psub", b"ssub", b"multi", b"qbuf", b"qbuf-free",
                        b"argv-mem", b"multi-mem", b"rbs", b"rbp", b"obl", b"oll", b"omem",
                        b"tot-mem", b"events", b"cmd", b"user", b"redir", b"resp"], keys
        assert a.client_kill_filter(_id=int(v["id"])) == 1
        time.sleep(0.2)
        names = {c["name"] for c in a.client_list()}
        assert "victim" not in names, names
        with RawConn(d.port) as raw:
            me = parse_reply(raw.cmd("CLIENT", "ID"))
            addr = [c["addr"] for c in a.client_list() if int(c["id"]) == me][0]
            assert a.execute_command("CLIENT", "KILL", addr) == b"OK"
            assert raw.is_closed(2.0), "killed connection must be closed"
        with RawConn(d.port) as raw:
            assert raw.cmd("CLIENT", "KILL", "1.2.3.4:1") == b"-ERR No such client\r\n"
            assert raw.cmd("CLIENT", "KILL", "ID", "123456") == b":0\r\n"


@test
def quit_replies_ok_then_closes(opts):
    with start_daemon(opts.bindir) as d, RawConn(d.port) as c:
        assert c.cmd("QUIT") == b"+OK\r\n"
        assert c.is_closed(2.0)


@test
def info_sections_parse_with_redis_py(opts):
    with start_daemon(opts.bindir) as d:
        r = redis.Redis(port=d.port)
        r.execute_command("PING")
        info = r.info()
        for key in ("redis_version", "aegisr_version", "uptime_in_seconds", "connected_clients",
                    "used_memory", "total_commands_processed", "keyspace_hits", "role"):
            assert key in info, (key, sorted(info))
        assert info["redis_version"] == "7.0.15" and info["role"] == "master"
        assert info["tcp_port"] == d.port, info["tcp_port"]
        clients = r.info("clients")
        assert "connected_clients" in clients and "redis_version" not in clients
        stats = r.info("commandstats")
        assert stats["cmdstat_ping"]["calls"] >= 1, stats
        assert set(stats["cmdstat_ping"]) == {"calls", "usec", "usec_per_call",
                                              "rejected_calls", "failed_calls"}
        everything = r.info("everything")
        assert "cmdstat_info" in everything and "used_memory" in everything
        both = _raw(d.port, "INFO", "server", "clients")
        assert b"# Server" in both and b"# Clients" in both and b"# Memory" not in both
        assert r.info("nosuch") == {}


@test
def info_keyspace_counts_keys(opts):
    with start_daemon(opts.bindir) as d:
        r = redis.Redis(port=d.port)
        if _raw(d.port, "COMMAND", "INFO", "set") == b"*1\r\n$-1\r\n":
            raise AssertionError("SET is not registered")
        r.set("a", 1)
        r.set("b", 2, ex=100)
        info = r.info("keyspace")
        assert info["db0"] == {"keys": 2, "expires": 1, "avg_ttl": 0}, info


@test
def auth_with_requirepass(opts):
    with start_daemon(opts.bindir) as d:
        assert _raw(d.port, "CONFIG", "SET", "requirepass", "s3cret") == b"+OK\r\n"
        c = RawConn(d.port)  # a new connection: it must authenticate
        assert c.cmd("GET", "x") == b"-NOAUTH Authentication required.\r\n"
        assert c.cmd("AUTH", "nope") == (b"-WRONGPASS invalid username-password pair or user "
                                         b"is disabled.\r\n")
        assert c.cmd("HELLO", "3", "AUTH", "default", "s3cret").startswith(b"%7\r\n")
        assert c.cmd("PING") == b"+PONG\r\n"
        r = redis.Redis(port=d.port, password="s3cret")
        assert r.ping()
        c.close()


@test
def time_and_lastsave(opts):
    with start_daemon(opts.bindir) as d:
        r = redis.Redis(port=d.port)
        secs, usec = r.time()
        assert abs(secs - time.time()) < 5 and 0 <= usec < 1000000
        assert abs(r.lastsave().timestamp() - time.time()) < 60


@test
def debug_sleep_blocks_only_that_connection(opts):
    with start_daemon(opts.bindir, ["--threads", "2"]) as d, RawConn(d.port) as a:
        start = time.monotonic()
        assert a.cmd("DEBUG", "SLEEP", "0.3") == b"+OK\r\n"
        assert time.monotonic() - start >= 0.3


@test
def shutdown_exits_zero_without_reply(opts):
    d = start_daemon(opts.bindir)
    try:
        with RawConn(d.port) as c:
            c.send_cmd("SHUTDOWN", "NOSAVE")
            data, closed = c.read_until_idle(idle=3.0, total=10.0)
            assert closed and data == b"", (data, closed)
        d.proc.wait(timeout=10)
        assert d.proc.returncode == 0, d.proc.returncode
    finally:
        d.stop(expect_exit=False)
    d.cleanup()


if __name__ == "__main__":
    main()
