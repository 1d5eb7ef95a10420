#!/usr/bin/env python3
# Pub/sub: replies byte for byte against redis-server 7.0 (RESP2 and RESP3), subscriber mode,
# RESET and disconnects, many subscribers spread over loop threads with per-publisher order,
# shard channels, client-output-buffer-limit and a slow subscriber that must not grow the
# daemon's memory.
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import RawConn, assert_same, on_both_servers, start_daemon, test  # noqa: E402


def cmd_all(conn, *args, n=1):
    """Sends one command and reads n replies (a (un)subscribe answers once per channel)."""
    conn.send_cmd(*args)
    return [conn.read_reply() for _ in range(n)]


def field(text, name):
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def client_fields(port, client_name):
    with RawConn(port) as c:
        listing = harness.parse_reply(c.cmd("CLIENT", "LIST")).decode()
    for line in listing.splitlines():
        kv = dict(p.split("=", 1) for p in line.split(" ") if "=" in p)
        if kv.get("name") == client_name:
            return kv
    return None


def scenario_resp2(port):
    out = []
    with RawConn(port) as sub, RawConn(port) as pub:
        sub.cmd("CLIENT", "SETNAME", "subscriber")
        out += cmd_all(sub, "SUBSCRIBE", "a", "b", "a", n=3)
        out += cmd_all(sub, "PSUBSCRIBE", "n*", "news.[ab]*", n=2)
        out.append(pub.cmd("PUBLISH", "a", "hello"))
        out.append(sub.read_reply())
        out.append(pub.cmd("PUBLISH", "news.art", "x\r\ny"))
        # One channel and two patterns match nothing: 0; "news.art" reaches both patterns.
        got = sorted([sub.read_reply(), sub.read_reply()])
        out += got
        out.append(pub.cmd("PUBLISH", "nobody", ""))
        out.append(sub.read_reply())  # "nobody" matches n*
        out.append(pub.cmd("PUBLISH", "zzz", "m"))
        out.append(sub.cmd("PING"))
        out.append(sub.cmd("PING", "hi"))
        out.append(sub.cmd("GET", "x"))
        out.append(sub.cmd("CONFIG", "GET", "maxmemory"))
        out.append(sub.cmd("PUBLISH", "a", "b"))
        kv = client_fields(port, "subscriber")
        out.append((kv["sub"], kv["psub"], kv["ssub"], kv["flags"]))
        listed = harness.parse_reply(pub.cmd("CLIENT", "LIST", "TYPE", "pubsub")).decode()
        out.append([line.split(" name=")[1].split(" ")[0] for line in listed.splitlines()])
        out.append(pub.cmd("PUBSUB", "NUMSUB", "a", "b", "c"))
        out.append(pub.cmd("PUBSUB", "NUMSUB"))
        out.append(pub.cmd("PUBSUB", "NUMPAT"))
        out.append(sorted(harness.parse_reply(pub.cmd("PUBSUB", "CHANNELS"))))
        out.append(pub.cmd("PUBSUB", "CHANNELS", "[a]"))
        info = pub.cmd("INFO", "stats").decode()
        out.append([field(info, k) for k in ("pubsub_channels", "pubsub_patterns",
                                             "pubsubshard_channels")])
        out += cmd_all(sub, "UNSUBSCRIBE", "a", "zz", n=2)
        out += cmd_all(sub, "PUNSUBSCRIBE", "n*", n=1)
        out += cmd_all(sub, "PUNSUBSCRIBE", n=1)
        out += cmd_all(sub, "PUNSUBSCRIBE", n=1)  # none left: the null channel
        out += cmd_all(sub, "UNSUBSCRIBE", n=1)  # b, the last one
        out += cmd_all(sub, "UNSUBSCRIBE", n=1)
        out.append(sub.cmd("GET", "x"))  # out of subscriber mode
        out.append(sub.cmd("PING"))
        # Shard channels: apart from ordinary channels and patterns.
        out += cmd_all(sub, "SSUBSCRIBE", "s1", "s1", n=2)
        out += cmd_all(sub, "PSUBSCRIBE", "*", n=1)
        out += cmd_all(sub, "SSUBSCRIBE", "s2", n=1)
        out.append(pub.cmd("SPUBLISH", "s1", "shard-msg"))
        out.append(sub.read_reply())
        out.append(pub.cmd("PUBLISH", "s1", "plain"))  # only the pattern hears it
        out.append(sub.read_reply())
        out.append(pub.cmd("SPUBLISH", "zz", "m"))
        out.append(sorted(harness.parse_reply(pub.cmd("PUBSUB", "SHARDCHANNELS"))))
        out.append(pub.cmd("PUBSUB", "SHARDCHANNELS", "*2"))
        out.append(pub.cmd("PUBSUB", "SHARDNUMSUB", "s1", "a"))
        out.append(pub.cmd("PUBSUB", "NUMSUB", "s1"))
        kv = client_fields(port, "subscriber")
        out.append((kv["sub"], kv["psub"], kv["ssub"], kv["flags"]))
        out += cmd_all(sub, "SUNSUBSCRIBE", "s2", n=1)
        out += cmd_all(sub, "PUNSUBSCRIBE", n=1)
        out.append(sub.cmd("GET", "x"))  # still in subscriber mode: s1 is left
        out += cmd_all(sub, "SUNSUBSCRIBE", n=1)
        out += cmd_all(sub, "SUNSUBSCRIBE", n=1)
        out.append(sub.cmd("GET", "x"))
        # RESET drops every subscription.
        out += cmd_all(sub, "SUBSCRIBE", "r1", "r2", n=2)
        out += cmd_all(sub, "PSUBSCRIBE", "r*", n=1)
        out += cmd_all(sub, "SSUBSCRIBE", "r3", n=1)
        out.append(sub.cmd("RESET"))
        out.append(sub.cmd("GET", "x"))
        out.append(pub.cmd("PUBLISH", "r1", "m"))
        out.append(pub.cmd("PUBSUB", "NUMPAT"))
        out.append(pub.cmd("PUBSUB", "SHARDNUMSUB", "r3"))
        # Argument errors.
        for args in (("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH", "a"),
                     ("SPUBLISH", "a"), ("PUBSUB",), ("PUBSUB", "CHANNELS", "a", "b"),
                     ("PUBSUB", "SHARDCHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"),
                     ("PUBSUB", "FOO"), ("PUBSUB", "HELP"), ("PUBSUB", "help", "x")):
            out.append(pub.cmd(*args))
        # A client that disconnects loses its subscriptions.
        with RawConn(port) as gone:
            cmd_all(gone, "SUBSCRIBE", "d1", n=1)
            cmd_all(gone, "PSUBSCRIBE", "d*", n=1)
            out.append(pub.cmd("PUBLISH", "d1", "m"))
        deadline = time.monotonic() + 5
        while pub.cmd("PUBLISH", "d1", "m") != b":0\r\n" and time.monotonic() < deadline:
            time.sleep(0.01)
        out.append(pub.cmd("PUBLISH", "d1", "m"))
        out.append(pub.cmd("PUBSUB", "NUMPAT"))
        # CLIENT KILL TYPE pubsub closes subscribers only.
        with RawConn(port) as victim:
            cmd_all(victim, "SUBSCRIBE", "k1", n=1)
            out.append(pub.cmd("CLIENT", "KILL", "TYPE", "pubsub"))
            out.append(victim.is_closed(wait=2.0))
        out.append(pub.cmd("PING"))
    return out


def scenario_resp3(port):
    out = []
    with RawConn(port) as sub, RawConn(port) as pub:
        sub.cmd("HELLO", "3")  # the reply names the server: not compared
        out += cmd_all(sub, "SUBSCRIBE", "a", n=1)
        out += cmd_all(sub, "PSUBSCRIBE", "a*", n=1)
        out += cmd_all(sub, "SSUBSCRIBE", "s", n=1)
        out.append(pub.cmd("PUBLISH", "a", "hello"))
        out += sorted([sub.read_reply(), sub.read_reply()])
        out.append(pub.cmd("SPUBLISH", "s", "x"))
        out.append(sub.read_reply())
        # RESP3: every command is allowed, PING answers as usual.
        out.append(sub.cmd("PING"))
        out.append(sub.cmd("SET", "k", "v"))
        out.append(sub.cmd("GET", "k"))
        out.append(sub.cmd("PUBSUB", "NUMSUB", "a"))
        out.append(sub.cmd("PUBLISH", "a", "self"))  # the subscriber hears its own message
        out += sorted([sub.read_reply(), sub.read_reply()])
        out += cmd_all(sub, "UNSUBSCRIBE", n=1)
        out += cmd_all(sub, "UNSUBSCRIBE", n=1)
        out += cmd_all(sub, "PUNSUBSCRIBE", "a*", "b*", n=2)
        out += cmd_all(sub, "SUNSUBSCRIBE", n=1)
        out += cmd_all(sub, "SUNSUBSCRIBE", n=1)
        out.append(sub.cmd("DEL", "k"))
        # Back to RESP2 while subscribed: subscriber mode applies again.
        out += cmd_all(sub, "SUBSCRIBE", "a", n=1)
        out.append(sub.cmd("HELLO", "2")[:1])
        out.append(sub.cmd("HELLO", "2"))
        out.append(sub.cmd("RESET"))
    return out


@test
def test_replies_match_redis_resp2(opts):
    ref, dut = on_both_servers(opts, scenario_resp2)
    for i, (r, d) in enumerate(zip(ref, dut)):
        assert_same(f"step {i}", r, d)
    assert_same("step count", len(ref), len(dut))


@test
def test_replies_match_redis_resp3(opts):
    ref, dut = on_both_servers(opts, scenario_resp3)
    for i, (r, d) in enumerate(zip(ref, dut)):
        assert_same(f"step {i}", r, d)
    assert_same("step count", len(ref), len(dut))


def scenario_config(port):
    out = []
    with RawConn(port) as c:
        out.append(c.cmd("CONFIG", "GET", "client-output-buffer-limit"))
        out.append(c.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 10"))
        out.append(c.cmd("CONFIG", "GET", "client-output-buffer-limit"))
        for bad in ("pubsub 1mb 512kb", "foo 1 2 3", "pubsub x 2 3", "pubsub 1 2 -3", ""):
            out.append(c.cmd("CONFIG", "SET", "client-output-buffer-limit", bad))
        out.append(c.cmd("CONFIG", "GET", "client-output-buffer-limit"))
        out.append(c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                         "normal 0 0 0 replica 4 5 6"))
        out.append(c.cmd("CONFIG", "GET", "client-output-buffer-limit"))
    return out


def scenario_redis_py(port):
    import redis  # noqa: PLC0415 - redis-py, as an application would use it
    r = redis.Redis(port=port)
    out = []
    p = r.pubsub()
    p.subscribe("news", "sport")
    p.psubscribe("n*")
    out.append([p.get_message(timeout=2) for _ in range(3)])
    out.append(r.publish("news", "hello"))
    out.append(sorted((m["type"], m["pattern"], m["channel"], m["data"])
                      for m in (p.get_message(timeout=2) for _ in range(2))))
    out.append(r.pubsub_numsub("news", "sport", "none"))
    out.append(r.pubsub_numpat())
    out.append(sorted(r.pubsub_channels()))
    p.unsubscribe("sport")
    out.append(p.get_message(timeout=2))
    out.append(r.publish("sport", "x"))
    p.close()
    deadline = time.monotonic() + 5
    while r.pubsub_numpat() != 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    out.append(r.pubsub_numpat())
    r.close()
    return out


@test
def test_redis_py_client_sees_what_it_sees_with_redis(opts):
    ref, dut = on_both_servers(opts, scenario_redis_py)
    for i, (r, d) in enumerate(zip(ref, dut)):
        assert_same(f"step {i}", r, d)


@test
def test_output_buffer_limit_config_matches_redis(opts):
    ref, dut = on_both_servers(opts, scenario_config)
    for i, (r, d) in enumerate(zip(ref, dut)):
        assert_same(f"step {i}", r, d)


@test
def test_many_subscribers_over_threads_keep_each_publishers_order(opts):
    many_subscribers_in_order(opts, [])


@test
def test_many_subscribers_in_order_epoll(opts):
    many_subscribers_in_order(opts, ["--io-backend", "epoll"])


def many_subscribers_in_order(opts, backend):
    nsubs, npubs, nmsgs = 24, 3, 400
    with start_daemon(opts.bindir, ["--threads", "4"] + backend) as d:
        subs = []
        for i in range(nsubs):
            c = RawConn(d.port)
            cmd_all(c, "SUBSCRIBE", "ordered", n=1)
            cmd_all(c, "PSUBSCRIBE", "ord*", n=1)
            subs.append(c)
        with RawConn(d.port) as probe:
            assert probe.cmd("PUBSUB", "NUMSUB", "ordered") == (
                b"*2\r\n$7\r\nordered\r\n:%d\r\n" % nsubs)
            ids = set()
            for line in harness.parse_reply(probe.cmd("CLIENT", "LIST")).decode().splitlines():
                if " sub=1 " in line:
                    ids.add(line.split(" ")[0])
            assert len(ids) == nsubs, ids
        errors = []

        def publish(p):
            try:
                with RawConn(d.port) as c:
                    for i in range(nmsgs):
                        r = c.cmd("PUBLISH", "ordered", f"{p}:{i}")
                        if r != b":%d\r\n" % (2 * nsubs):
                            errors.append(f"publisher {p} message {i}: {r!r}")
                            return
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=publish, args=(p,)) for p in range(npubs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:5]
        for s in subs:
            next_plain = [0] * npubs
            next_pattern = [0] * npubs
            for _ in range(2 * npubs * nmsgs):
                m = harness.parse_reply(s.read_reply(timeout=10))
                if m[0] == b"message":
                    assert m[1] == b"ordered", m
                    p, i = map(int, m[2].split(b":"))
                    assert i == next_plain[p], (p, i, next_plain[p])
                    next_plain[p] += 1
                else:
                    assert m[0] == b"pmessage" and m[1] == b"ord*" and m[2] == b"ordered", m
                    p, i = map(int, m[3].split(b":"))
                    assert i == next_pattern[p], (p, i, next_pattern[p])
                    next_pattern[p] += 1
            assert next_plain == [nmsgs] * npubs and next_pattern == [nmsgs] * npubs
            s.close()


@test
def test_no_message_after_the_last_unsubscribe_confirmation(opts):
    # Messages counted before an UNSUBSCRIBE must reach the client before its confirmation: in
    # RESP2 a message after the last one would be taken for the next command's reply.
    with start_daemon(opts.bindir, ["--threads", "4"]) as d:
        stop = threading.Event()

        def flood():
            with RawConn(d.port) as c:
                while not stop.is_set():
                    c.pipeline([("PUBLISH", "race", "m")] * 20)

        subs = [RawConn(d.port) for _ in range(4)]
        t = threading.Thread(target=flood)
        t.start()
        try:
            for _ in range(30):
                for s in subs:
                    r = cmd_all(s, "SUBSCRIBE", "race", n=1)[0]
                    assert r.startswith(b"*3\r\n$9\r\nsubscribe"), f"late message: {r!r}"
                for s in subs:
                    s.send(harness.encode_command("UNSUBSCRIBE") + harness.encode_command("PING"))
                for s in subs:
                    while True:
                        r = s.read_reply()
                        if r.startswith(b"*3\r\n$11\r\nunsubscribe"):
                            break
                        assert r.startswith(b"*3\r\n$7\r\nmessage"), r
                    assert s.read_reply() == b"+PONG\r\n"
        finally:
            stop.set()
            t.join()
            for s in subs:
                s.close()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@test
def test_slow_subscriber_is_disconnected_and_memory_stays_bounded(opts):
    slow_subscriber(opts, [])


@test
def test_slow_subscriber_epoll(opts):
    slow_subscriber(opts, ["--io-backend", "epoll"])


def slow_subscriber(opts, backend):
    with start_daemon(opts.bindir, ["--threads", "2"] + backend) as d:
        with RawConn(d.port) as c:
            assert c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                         "pubsub 4mb 1mb 1") == b"+OK\r\n"
        # The subscriber never reads: a small receive buffer, so the server's side fills fast.
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", d.port))
        slow.sendall(harness.encode_command("CLIENT", "SETNAME", "slow") +
                     harness.encode_command("SUBSCRIBE", "flood"))
        with RawConn(d.port) as pub:
            deadline = time.monotonic() + 5
            while pub.cmd("PUBSUB", "NUMSUB", "flood") != b"*2\r\n$5\r\nflood\r\n:1\r\n":
                assert time.monotonic() < deadline, "the subscriber never subscribed"
                time.sleep(0.01)
            rss_before = rss_kb(d.proc.pid)
            payload = b"x" * 65536
            published = 0
            receivers_seen = 0
            peak = rss_before
            # 400 MiB offered to a client that reads nothing: it must be cut off long before.
            for _ in range(64):
                replies = pub.pipeline([("PUBLISH", "flood", payload)] * 100)
                published += 100
                receivers_seen += sum(int(r[1:-2]) for r in replies)
                peak = max(peak, rss_kb(d.proc.pid))
                if replies[-1] == b":0\r\n":
                    break
            assert pub.cmd("PUBSUB", "NUMSUB", "flood") == b"*2\r\n$5\r\nflood\r\n:0\r\n"
            info = pub.cmd("INFO", "stats").decode()
            assert field(info, "pubsub_channels") == "0", info
            deadline = time.monotonic() + 5
            while client_fields(d.port, "slow") is not None:
                assert time.monotonic() < deadline, "the slow subscriber is still listed"
                time.sleep(0.02)
            # Deliveries stopped once the hard limit (4 MiB, 64 messages) was passed.
            assert receivers_seen < published, (receivers_seen, published)
            assert receivers_seen * len(payload) < 64 * 1024 * 1024, receivers_seen
            growth_mb = (peak - rss_before) / 1024
            print(f"  slow subscriber: {published} x 64 KiB published, {receivers_seen} counted it;"
                  f" RSS {rss_before // 1024} MiB before, peak {peak // 1024} MiB")
            assert growth_mb < 64, f"RSS grew by {growth_mb:.1f} MiB"
        slow.close()


@test
def test_soft_limit_disconnects_after_its_seconds(opts):
    with start_daemon(opts.bindir, ["--threads", "2"]) as d:
        with RawConn(d.port) as c:
            assert c.cmd("CONFIG", "SET", "client-output-buffer-limit",
                         "pubsub 0 256kb 1") == b"+OK\r\n"
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", d.port))
        slow.sendall(harness.encode_command("SUBSCRIBE", "soft"))
        with RawConn(d.port) as pub:
            deadline = time.monotonic() + 5
            while pub.cmd("PUBLISH", "soft", "") != b":1\r\n":
                assert time.monotonic() < deadline
                time.sleep(0.01)
            # Over the soft limit, under no hard limit: still connected for the first second.
            pub.pipeline([("PUBLISH", "soft", b"y" * 65536)] * 160)  # past the socket buffers
            assert pub.cmd("PUBLISH", "soft", "") == b":1\r\n"
            start = time.monotonic()
            while pub.cmd("PUBLISH", "soft", "") == b":1\r\n":
                assert time.monotonic() - start < 5, "never disconnected"
                time.sleep(0.05)
            assert time.monotonic() - start >= 0.5
        slow.close()


@test
def test_publishers_thread_writes_other_threads_subscribers_in_order(opts):
    publishers_thread_writes(opts, [])


@test
def test_publishers_thread_writes_epoll(opts):
    publishers_thread_writes(opts, ["--io-backend", "epoll"])


def publishers_thread_writes(opts, backend):
    # One receiver per message: the publisher's loop thread writes to a subscriber on the other
    # thread itself (net/pubsub_outlet.h) while that subscriber's own loop has nothing to send.
    # Each publisher's order must hold across every switch between that path and the owner's
    # mailbox: a subscriber that PINGs now and then (its loop takes the socket back), one that
    # reads nothing until the end (its socket fills: the publisher hands the rest to the
    # owner), RESP2 and RESP3 framing, and a subscriber that disconnects mid-flood.
    nsubs, npubs, nmsgs = 8, 4, 250
    # The slow subscriber's messages are large: 16 MB in all, past what the sockets hold.
    pads = ["q" * 16000] + ["p" * 1500] * (nsubs - 1)
    with start_daemon(opts.bindir, ["--threads", "2"] + backend) as d:
        with RawConn(d.port) as c:
            assert c.cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 0 0") == b"+OK\r\n"
        subs = []
        for i in range(nsubs):
            c = RawConn(d.port, rcvbuf=4096 if i == 0 else None)
            if i % 2:
                assert c.cmd("HELLO", "3").startswith(b"%")
            assert cmd_all(c, "SUBSCRIBE", f"direct:{i}")[0].startswith(
                b">3\r\n$9\r\nsubscribe" if i % 2 else b"*3\r\n$9\r\nsubscribe")
            subs.append(c)
        gone = RawConn(d.port)
        cmd_all(gone, "SUBSCRIBE", "direct:gone")
        errors = []

        def publish(p):
            try:
                with RawConn(d.port) as c:
                    for i in range(0, nmsgs, 10):
                        batch = [("PUBLISH", f"direct:{k}", f"{p}:{j}:{pads[k]}")
                                 for j in range(i, i + 10) for k in range(nsubs)]
                        batch.append(("PUBLISH", "direct:gone", "x"))
                        replies = c.pipeline(batch)
                        if replies[:-1] != [b":1\r\n"] * (len(batch) - 1) or \
                                replies[-1] not in (b":0\r\n", b":1\r\n"):
                            errors.append(f"publisher {p} at {i}: {replies[:3]!r}")
                            return
            except Exception as e:  # noqa: BLE001
                errors.append(f"publisher {p}: {e!r}")

        def check(k, msg, seen):
            if k % 2:
                assert msg[:1] == b">", msg[:40]
            m = harness.parse_reply(msg)
            assert m[0] == b"message" and m[1] == b"direct:%d" % k, m[:2]
            p, i, body = m[2].split(b":", 2)
            p, i = int(p), int(i)
            assert i == seen[p] and body == pads[k].encode(), (k, p, i, seen[p])
            seen[p] += 1

        def subscriber(k):
            try:
                s, seen, pongs = subs[k], [0] * npubs, 0
                for n in range(npubs * nmsgs):
                    if k == 1 and n % 97 == 0:
                        s.send_cmd("PING")
                        pongs += 1
                    r = s.read_reply()
                    while r == b"+PONG\r\n":
                        pongs -= 1
                        r = s.read_reply()
                    check(k, r, seen)
                while pongs:
                    assert s.read_reply() == b"+PONG\r\n"
                    pongs -= 1
                assert seen == [nmsgs] * npubs, seen
            except Exception as e:  # noqa: BLE001
                errors.append(f"subscriber {k}: {e!r}")

        readers = [threading.Thread(target=subscriber, args=(k,)) for k in range(1, nsubs)]
        pubs = [threading.Thread(target=publish, args=(p,)) for p in range(npubs)]
        for t in readers + pubs:
            t.start()
        time.sleep(0.05)
        gone.close()  # while messages for it may sit in its outlet
        for t in pubs:
            t.join()
        # The slow subscriber read nothing so far; everything is still on its way, in order.
        subscriber(0)
        for t in readers:
            t.join()
        assert not errors, errors[:5]
        with RawConn(d.port) as c:
            info = c.cmd("INFO", "stats").decode()
            api = field(c.cmd("INFO", "server").decode(), "multiplexing_api")
            assert c.cmd("PUBLISH", "direct:gone", "x") == b":0\r\n"
        writes = int(field(info, "pubsub_direct_writes"))
        print(f"  {writes} direct writes ({api})")
        # With 13 connections on 2 threads, some publisher and subscriber are on different
        # threads but once in 4096 runs.
        assert writes > 0, "no message was written from the publisher's thread"
        for s in subs:
            s.close()


if __name__ == "__main__":
    harness.main()
