#!/usr/bin/python3
# Memory per key: RSS (VmRSS) of redis-server and aegisr-daemon before and after inserting N keys
# key:%010d with V-byte values over raw pipelined RESP; prints bytes/key and the ratio. With
# --list-len L each key is a list of L V-byte elements (RPUSH) and the figure is bytes/element;
# with --hash-fields F a hash of F fields (bytes/field); with --set-size M a set of M distinct
# members (--set-members strings: V-byte strings, ints: integers; bytes/member); with
# --zset-len L a sorted set of L distinct V-byte members with integer scores (bytes/element);
# with --stream-len L a stream of L entries added by XADD key * (bytes/entry), each entry with
# --stream-fields F fields f0..f<F-1> (the same names in every entry) of V-byte values.
# Hashes, sets and sorted sets also report MEMORY USAGE (SAMPLES 0) of a sample of keys per item.
# Single-threaded. Usage: /usr/bin/python3 perf/memory_compare.py BUILD_DIR [--keys N]
#   [--value-size V] [--list-len L | --hash-fields F | --set-size M [--set-members strings|ints]
#   | --zset-len L | --stream-len L [--stream-fields F]]
"""Compare the memory each server spends per small string key.

AEGISR_COMPARE_AGAINST_REDIS=1 runs a second redis-server in the daemon's place (to try the
script before the daemon exists; the ratio is then ~1.0)."""

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
AGAINST_REDIS = os.environ.get("AEGISR_COMPARE_AGAINST_REDIS", "") not in ("", "0")


def free_port(taken=()):
    rng = random.Random()
    for _ in range(200):
        port = rng.randint(7300, 7999)
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                continue
        return port
    raise RuntimeError("no free port in 7300-7999")


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def simple(self, *args):
        """Sends one command whose reply is a single line (+, -, :); returns that line."""
        self.sock.sendall(encode(*args))
        return self._line()

    def expect_ok(self, count):
        """Reads `count` replies that must each be +OK (fast path over whole chunks)."""
        want = b"+OK\r\n" * count
        while len(self.buf) < len(want):
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
            if not want.startswith(self.buf[:len(want)]):
                break
        if self.buf[:len(want)] != want:
            raise RuntimeError(f"unexpected reply: {self.buf[:200]!r}")
        self.buf = self.buf[len(want):]

    def expect_bulks(self, count):
        """Reads `count` bulk-string replies ($N then N bytes); anything else is an error."""
        for _ in range(count):
            line = self._line()
            if not line.startswith(b"$"):
                raise RuntimeError(f"unexpected reply: {line[:200]!r}")
            self._line()

    def expect_integers(self, count):
        """Reads `count` integer replies (:N); anything else is an error."""
        for _ in range(count):
            line = self._line()
            if not line.startswith(b":"):
                raise RuntimeError(f"unexpected reply: {line[:200]!r}")


def wait_ready(proc, port, name, log):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}; log:\n{read(log)}")
        try:
            c = Conn(port)
            try:
                if c.simple("PING") == b"+PONG":
                    return
            finally:
                c.close()
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not answer PING on {port}; log:\n{read(log)}")


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def load_hashes(c, keys, fields, value, batch):
    """HSET up to 1000 fields a command, about `batch` fields in flight."""
    per_cmd = min(fields, 1000)
    cmds = []
    for i in range(keys):
        for first in range(0, fields, per_cmd):
            n = min(per_cmd, fields - first)
            pairs = []
            for j in range(first, first + n):
                pairs += [b"f%d" % j, value]
            cmds.append(encode(b"HSET", b"key:%010d" % i, *pairs))
            if len(cmds) * per_cmd >= batch:
                c.sock.sendall(b"".join(cmds))
                c.expect_integers(len(cmds))
                cmds = []
    if cmds:
        c.sock.sendall(b"".join(cmds))
        c.expect_integers(len(cmds))


def memory_usage_per_item(c, keys, items_per_key):
    """MEMORY USAGE key SAMPLES 0 averaged over up to 100 keys, per item."""
    step = max(1, keys // 100)
    picked = list(range(0, keys, step))[:100]
    total = 0
    for i in picked:
        line = c.simple("MEMORY", "USAGE", b"key:%010d" % i, "SAMPLES", "0")
        if not line.startswith(b":"):
            raise RuntimeError(f"MEMORY USAGE: {line!r}")
        total += int(line[1:])
    return total / len(picked) / items_per_key


def set_members(i, set_size, members, value_size):
    """The members of set i: distinct strings of value_size bytes, or integers."""
    if members == "ints":
        return [b"%d" % (j * 1000003 + i) for j in range(set_size)]
    width = max(value_size - 1, 1)
    return [b"m%0*d" % (width, j) for j in range(set_size)]


def load_sets(c, keys, set_size, members, value_size, batch):
    """SADD up to 1000 members a command, about `batch` members in flight."""
    per_cmd = min(set_size, 1000)
    cmds = []
    for i in range(keys):
        all_members = set_members(i, set_size, members, value_size)
        for first in range(0, set_size, per_cmd):
            cmds.append(encode(b"SADD", b"key:%010d" % i, *all_members[first:first + per_cmd]))
            if len(cmds) * per_cmd >= batch:
                c.sock.sendall(b"".join(cmds))
                c.expect_integers(len(cmds))
                cmds = []
    if cmds:
        c.sock.sendall(b"".join(cmds))
        c.expect_integers(len(cmds))


def zset_member(j, size):
    m = b"%d:" % j
    return m + b"m" * max(0, size - len(m))


def load_zsets(c, keys, zset_len, size, batch):
    """ZADD up to 1000 members a command (score j for member j), about `batch` in flight."""
    per_cmd = min(zset_len, 1000)
    cmds, inflight = [], 0
    for i in range(keys):
        for first in range(0, zset_len, per_cmd):
            args = [b"ZADD", b"key:%010d" % i]
            for j in range(first, min(zset_len, first + per_cmd)):
                args += [b"%d" % j, zset_member(j, size)]
            cmds.append(encode(*args))
            inflight += (len(args) - 2) // 2
            if inflight >= batch:
                c.sock.sendall(b"".join(cmds))
                c.expect_integers(len(cmds))
                cmds, inflight = [], 0
    if cmds:
        c.sock.sendall(b"".join(cmds))
        c.expect_integers(len(cmds))


def load_streams(c, keys, stream_len, stream_fields, value, batch):
    """XADD key * f0 value [f1 value ...], `batch` entries in flight."""
    fields = []
    for j in range(stream_fields):
        fields += [b"f%d" % j, value]
    cmds = []
    for i in range(keys):
        cmd = encode(b"XADD", b"key:%010d" % i, b"*", *fields)
        for _ in range(stream_len):
            cmds.append(cmd)
            if len(cmds) >= batch:
                c.sock.sendall(b"".join(cmds))
                c.expect_bulks(len(cmds))
                cmds = []
    if cmds:
        c.sock.sendall(b"".join(cmds))
        c.expect_bulks(len(cmds))


def measure(name, port, pid, keys, value, batch, list_len=0, hash_fields=0, set_size=0,
            members="strings", zset_len=0, stream_len=0, stream_fields=1):
    c = Conn(port)
    try:
        dbsize = c.simple("DBSIZE")
        if dbsize != b":0":
            raise RuntimeError(f"{name}: not empty at start (DBSIZE {dbsize!r})")
        time.sleep(0.2)
        before = rss_bytes(pid)
        if list_len:  # RPUSH up to 1000 elements a command, `batch` elements in flight
            per_cmd = min(list_len, 1000)
            cmds = []
            for i in range(keys):
                for first in range(0, list_len, per_cmd):
                    n = min(per_cmd, list_len - first)
                    cmds.append(encode(b"RPUSH", b"key:%010d" % i, *([value] * n)))
                    if len(cmds) * per_cmd >= batch:
                        c.sock.sendall(b"".join(cmds))
                        c.expect_integers(len(cmds))
                        cmds = []
            if cmds:
                c.sock.sendall(b"".join(cmds))
                c.expect_integers(len(cmds))
        if hash_fields:
            load_hashes(c, keys, hash_fields, value, batch)
        if set_size:
            load_sets(c, keys, set_size, members, len(value), batch)
        if zset_len:
            load_zsets(c, keys, zset_len, len(value), batch)
        if stream_len:
            load_streams(c, keys, stream_len, stream_fields, value, batch)
        for start in range(0, keys if not (list_len or hash_fields or set_size or zset_len or
                                           stream_len) else 0,
                           batch):
            end = min(keys, start + batch)
            c.sock.sendall(b"".join(encode(b"SET", b"key:%010d" % i, value)
                                    for i in range(start, end)))
            c.expect_ok(end - start)
        time.sleep(0.5)
        after = rss_bytes(pid)
        dbsize = c.simple("DBSIZE")
        if dbsize != b":%d" % keys:
            raise RuntimeError(f"{name}: DBSIZE {dbsize!r} after inserting {keys} keys")
        per_item = hash_fields or set_size or zset_len or stream_len
        usage = memory_usage_per_item(c, keys, per_item) if per_item else None
        if hash_fields:
            enc = c.simple("TYPE", b"key:%010d" % 0)  # a cheap check that the keys are hashes
            if enc != b"+hash":
                raise RuntimeError(f"{name}: TYPE {enc!r}")
        return before, after, usage
    finally:
        c.close()


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bindir", help="build directory holding aegisr-daemon")
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value-size", type=int, default=16)
    p.add_argument("--batch", type=int, default=10000, help="commands per pipelined batch")
    p.add_argument("--list-len", type=int, default=0,
                   help="make each key a list of this many elements (0: strings)")
    p.add_argument("--hash-fields", type=int, default=0,
                   help="make each key a hash of this many fields (0: strings)")
    p.add_argument("--set-size", type=int, default=0,
                   help="make each key a set of this many members (0: strings)")
    p.add_argument("--set-members", choices=("strings", "ints"), default="strings",
                   help="set members: --value-size-byte strings, or integers")
    p.add_argument("--zset-len", type=int, default=0,
                   help="make each key a sorted set of this many members (0: strings)")
    p.add_argument("--stream-len", type=int, default=0,
                   help="make each key a stream of this many entries (0: strings)")
    p.add_argument("--stream-fields", type=int, default=1,
                   help="fields per stream entry (same names in every entry)")
    args = p.parse_args()
    if args.stream_len < 0 or args.stream_fields < 1:
        p.error("--stream-len must be >= 0 and --stream-fields >= 1")
    if args.zset_len < 0:
        p.error("--zset-len must be >= 0")
    if args.set_size < 0 or (args.set_size and args.set_members == "strings" and
                             args.value_size < 2):
        p.error("--set-size must be >= 0; string members need --value-size >= 2")
    if (args.keys < 1 or args.value_size < 0 or args.batch < 1 or args.list_len < 0
            or args.hash_fields < 0):
        p.error("--keys and --batch must be >= 1, --value-size, --list-len and --hash-fields "
                ">= 0")
    if sum(1 for x in (args.list_len, args.hash_fields, args.set_size, args.zset_len,
                       args.stream_len) if x) > 1:
        p.error("--list-len, --hash-fields, --set-size, --zset-len and --stream-len exclude "
                "each other")
    daemon = os.path.join(args.bindir, "aegisr-daemon")
    if not AGAINST_REDIS and not os.access(daemon, os.X_OK):
        print(f"{sys.argv[0]}: {daemon} is missing (build it, or set "
              "AEGISR_COMPARE_AGAINST_REDIS=1)", file=sys.stderr)
        return 2

    work = tempfile.mkdtemp(prefix="aegisr-memory-")
    procs = []
    try:
        ports = []
        servers = []
        for name in ("redis", "aegisr"):
            port = free_port(ports)
            ports.append(port)
            log = os.path.join(work, name + ".log")
            if name == "redis" or AGAINST_REDIS:
                argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--daemonize", "no", "--dir", work,
                        "--logfile", ""]
            else:
                argv = [daemon, "-p", str(port)]
            with open(log, "wb") as logf:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT)
            procs.append(proc)
            wait_ready(proc, port, name, log)
            servers.append((name, port, proc))
        if AGAINST_REDIS:
            print("NOTE: AEGISR_COMPARE_AGAINST_REDIS set: a second redis-server stands in "
                  "for aegisr", file=sys.stderr)

        value = b"v" * args.value_size
        per_key = {}
        unit = ("element" if args.list_len or args.zset_len else "field" if args.hash_fields else
                "member" if args.set_size else "entry" if args.stream_len else "key")
        items = args.keys * (args.list_len or args.hash_fields or args.set_size or args.zset_len
                             or args.stream_len or 1)
        per_item = args.hash_fields or args.set_size or args.zset_len or args.stream_len
        if args.stream_len:
            print(f"{args.keys} streams key:%010d of {args.stream_len} entries (XADD *), "
                  f"{args.stream_fields} field(s) f0.. of {args.value_size}-byte values each")
        elif args.zset_len:
            print(f"{args.keys} sorted sets key:%010d of {args.zset_len} {args.value_size}-byte "
                  "members, integer scores")
        elif args.set_size:
            kind = (f"{args.value_size}-byte strings" if args.set_members == "strings"
                    else "integers")
            print(f"{args.keys} sets key:%010d of {args.set_size} members ({kind})")
        elif args.hash_fields:
            print(f"{args.keys} hashes key:%010d of {args.hash_fields} fields f%d, "
                  f"{args.value_size}-byte values")
        elif args.list_len:
            print(f"{args.keys} lists key:%010d of {args.list_len} {args.value_size}-byte elements")
        else:
            print(f"{args.keys} keys key:%010d, {args.value_size}-byte values")
        usage_col = f" {'MEMORY USAGE/' + unit:>18}" if per_item else ""
        print(f"{'server':<8} {'RSS before MiB':>15} {'RSS after MiB':>14} "
              f"{'bytes/' + unit:>12}{usage_col}")
        usage = {}
        for name, port, proc in servers:
            before, after, usage[name] = measure(name, port, proc.pid, args.keys, value,
                                                 args.batch, args.list_len, args.hash_fields,
                                                 args.set_size, args.set_members,
                                                 args.zset_len, args.stream_len,
                                                 args.stream_fields)
            per_key[name] = (after - before) / items
            extra = f" {usage[name]:>18.1f}" if per_item else ""
            print(f"{name:<8} {before / 2**20:>15.1f} {after / 2**20:>14.1f} "
                  f"{per_key[name]:>12.1f}{extra}")
        if per_key["redis"] > 0:
            print(f"ratio aegisr/redis: {per_key['aegisr'] / per_key['redis']:.2f}")
        if per_item and usage["redis"]:
            print(f"ratio aegisr/redis (MEMORY USAGE): {usage['aegisr'] / usage['redis']:.2f}")
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


if __name__ == "__main__":
    sys.exit(main())
