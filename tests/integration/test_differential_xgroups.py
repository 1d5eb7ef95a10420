#!/usr/bin/env python3
# Differential test of the stream consumer-group commands (XGROUP XREADGROUP XACK XPENDING XCLAIM
# XAUTOCLAIM XINFO) interleaved with XADD (explicit IDs), XDEL and XTRIM: the same seeded random
# command sequences go to redis-server 7.0 and to aegisr-daemon, RESP2 and RESP3, and the replies
# must be identical byte for byte, except the fields that depend on the wall clock (idle times,
# delivery and seen times, which the two servers read at slightly different moments): those
# are masked in the parsed reply, and everything else (types, lengths, order, the other fields,
# XINFO STREAM's radix-tree-keys/-nodes included) is compared as sent.
# Time values are checked on their own by test_xgroups_times (IDLE / TIME options give exact
# values). Single-threaded.
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

STREAM_KEYS = [b"s0", b"s1"]
STRING_KEY = b"str"
GROUPS = [b"g0", b"g1", b"g2"]
CONSUMERS = [b"c0", b"c1", b"c2", b"consumer-with-a-long-name"]
ODD_NAMES = [b"g\r\nx", b"n\x00ul", b""]
BAD_IDS = [b"abc", b"5-", b"-5", b"1-2-3", b"", b"18446744073709551616", b"1-x", b"(", b"((1"]
SPECIAL_IDS = [b"-", b"+", b"0", b"0-0", b"$", b">", b"18446744073709551615-18446744073709551615",
               b" 5", b"+5", b"007-1"]
FIELDS = [b"f", b"field", b"", b"x" * 100, b"a\x00b"]
NUMBERS = [b"0", b"1", b"2", b"3", b"5", b"10", b"-1", b"-2", b"abc", b"",
           b"9223372036854775807", b"-9223372036854775808", b"1.5"]
IDLES = [b"0", b"0", b"100000", b"-5", b"abc", b"9223372036854775807"]

MASK = "<masked>"


# ---- reply trees with their RESP types, and masking ----------------------------------------

def parse_tree(raw):
    """A RESP2/RESP3 reply as nested (type char, value): aggregates hold lists of nodes, maps a
    flat list of key and value nodes. Keeps every distinction the bytes make."""
    node, pos = _tree(raw, 0)
    assert pos == len(raw), raw
    return node


def _tree(buf, pos):
    t = chr(buf[pos])
    eol = buf.index(b"\r\n", pos)
    line = bytes(buf[pos + 1:eol])
    pos = eol + 2
    if t in "$=!":
        n = int(line)
        if n < 0:
            return (t, None), pos
        return (t, bytes(buf[pos:pos + n])), pos + n + 2
    if t in "*~>%":
        n = int(line)
        if n < 0:
            return (t, None), pos
        items = []
        for _ in range(n * (2 if t == "%" else 1)):
            v, pos = _tree(buf, pos)
            items.append(v)
        return (t, items), pos
    return (t, line), pos


def _map_items(node):
    """A map's (key bytes, value node) pairs: RESP3 % or RESP2's flat array."""
    t, items = node
    if items is None:
        return []
    return [(items[i][1], items[i + 1]) for i in range(0, len(items) - 1, 2)]


def _mask_at(node, index):
    t, items = node
    if items is not None and index < len(items):
        items[index] = (items[index][0], MASK)


def _mask_map_keys(node, keys):
    t, items = node
    if items is None:
        return
    for i in range(0, len(items) - 1, 2):
        if items[i][1] in keys:
            items[i + 1] = (items[i + 1][0], MASK)


def mask_reply(args, raw):
    """The reply tree with its time-dependent values masked (by command)."""
    node = parse_tree(raw)
    if node[0] in "-!":
        return node
    cmd = args[0].upper()
    sub = args[1].upper() if len(args) > 1 else b""
    if cmd == b"XPENDING" and len(args) >= 6 and node[0] == "*":
        for entry in node[1] or []:
            _mask_at(entry, 2)  # idle ms
    elif cmd == b"XINFO" and sub == b"CONSUMERS" and node[0] == "*":
        for c in node[1] or []:
            _mask_map_keys(c, {b"idle"})
    elif cmd == b"XINFO" and sub == b"STREAM" and node[0] in "*%":
        for k, v in _map_items(node):
            if k != b"groups" or v[0] != "*":
                continue
            for g in v[1] or []:
                for gk, gv in _map_items(g):
                    if gk == b"pending":
                        for p in gv[1] or []:
                            _mask_at(p, 2)  # delivery time
                    elif gk == b"consumers":
                        for c in gv[1] or []:
                            _mask_map_keys(c, {b"seen-time"})
                            for ck, cv in _map_items(c):
                                if ck == b"pending":
                                    for p in cv[1] or []:
                                        _mask_at(p, 1)  # delivery time
    return node


def check(d, *args):
    """Sends to both servers; compares the masked reply trees (exact bytes if nothing masked)."""
    ref, dut = d.both(*args)
    if isinstance(dut, str):
        d._report(args, ref, dut, "(no reply)")
        raise AssertionError(f"server under test gave no reply to {args!r}: {dut}")
    if ref == dut:
        return ref
    try:
        same = mask_reply(args, ref) == mask_reply(args, dut)
    except (ValueError, AssertionError, IndexError):
        same = False
    if not same:
        d._report(args, ref, dut)
    return ref


# ---- random commands --------------------------------------------------------------------------

class State:
    """What the generator remembers: per stream key its next ID, and IDs it has used."""

    def __init__(self):
        self.next_ms = {k: 1 for k in STREAM_KEYS}
        self.ids = []

    def new_id(self, rng, key):
        ms = self.next_ms[key]
        seq = rng.choice([0, 0, 0, 1, 2])
        self.next_ms[key] = ms + rng.choice([0, 1, 1, 1, 2, 3]) + (1 if seq == 2 else 0)
        if self.next_ms[key] == ms:
            self.next_ms[key] = ms + 1
        s = b"%d-%d" % (ms, seq)
        self.ids.append(s)
        return s

    def some_id(self, rng):
        r = rng.random()
        if r < 0.65 and self.ids:
            return rng.choice(self.ids[-40:])
        if r < 0.8:
            return b"%d-%d" % (rng.randint(0, 120), rng.randint(0, 2))
        if r < 0.92:
            return rng.choice(SPECIAL_IDS)
        return rng.choice(BAD_IDS)


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.08:
        return b"missing"
    return rng.choice(STREAM_KEYS)


def group(rng):
    r = rng.random()
    if r < 0.03:
        return rng.choice(ODD_NAMES)
    return GROUPS[0] if r < 0.6 else GROUPS[1] if r < 0.9 else GROUPS[2]


def consumer(rng):
    return rng.choice(ODD_NAMES) if rng.random() < 0.03 else rng.choice(CONSUMERS)


def gen_xadd(rng, st):
    k = rng.choice(STREAM_KEYS) if rng.random() < 0.95 else key(rng)
    if k not in st.next_ms:
        return [b"XADD", k, b"1-1", b"f", b"v"]
    cmd = [b"XADD", k]
    if rng.random() < 0.1:
        cmd += [b"MAXLEN", rng.choice([b"5", b"10", b"0"])]
    nid = st.new_id(rng, k) if rng.random() < 0.95 else b"1-0"  # an ID too small: error
    cmd.append(nid)
    for _ in range(rng.randint(1, 2)):
        cmd += [rng.choice(FIELDS), rng.choice(FIELDS)]
    return cmd


def gen_xgroup(rng, st):
    r = rng.random()
    k = key(rng)
    if r < 0.35:
        cmd = [b"XGROUP", rng.choice([b"CREATE", b"create"]), k, group(rng),
               rng.choice([b"$", b"0", st.some_id(rng)])]
        if rng.random() < 0.3:
            cmd.append(b"MKSTREAM")
        if rng.random() < 0.15:
            cmd += [b"ENTRIESREAD", rng.choice([b"0", b"3", b"-1", b"-2", b"abc", b"100"])]
        if rng.random() < 0.03:
            cmd.append(b"BOGUS")
        return cmd
    if r < 0.5:
        cmd = [b"XGROUP", b"SETID", k, group(rng), rng.choice([b"$", b"0", st.some_id(rng)])]
        if rng.random() < 0.25:
            cmd += [b"ENTRIESREAD", rng.choice([b"0", b"2", b"-1", b"-3", b"x"])]
        if rng.random() < 0.03:
            cmd.append(b"MKSTREAM")
        return cmd
    if r < 0.6:
        return [b"XGROUP", b"DESTROY", k, group(rng)]
    if r < 0.75:
        return [b"XGROUP", b"CREATECONSUMER", k, group(rng), consumer(rng)]
    if r < 0.9:
        return [b"XGROUP", b"DELCONSUMER", k, group(rng), consumer(rng)]
    return rng.choice([[b"XGROUP", b"HELP"], [b"XGROUP", b"NOPE", b"k"], [b"XGROUP", b"help", b"x"],
                       [b"XGROUP", b"CREATE", k], [b"XGROUP", b"DESTROY", k, b"g", b"x"],
                       [b"XGROUP", b"CREATE", k, b"g0", b"0", b"MKSTREAM", b"MKSTREAM",
                        b"MKSTREAM", b"MKSTREAM"]])


def gen_xreadgroup(rng, st):
    cmd = [b"XREADGROUP"]
    opts = [[b"GROUP", group(rng), consumer(rng)]]
    if rng.random() < 0.6:
        opts.append([b"COUNT", rng.choice([b"1", b"2", b"3", b"1", b"2", b"3", b"0", b"-1", b"abc",
                                           b"100"])])
    if rng.random() < 0.2:
        opts.append([b"NOACK"])
    if rng.random() < 0.03:
        opts.append([b"BOGUS"])
    if rng.random() < 0.02:
        opts = [o for o in opts if o[0] != b"GROUP"]
    rng.shuffle(opts)
    for o in opts:
        cmd += o
    keys = [key(rng) for _ in range(rng.choice([1, 1, 1, 2]))]
    ids = []
    for _ in keys:
        r = rng.random()
        ids.append(b">" if r < 0.7 else b"0" if r < 0.85 else st.some_id(rng))
    if rng.random() < 0.03:
        ids = ids[:-1]  # unbalanced
    return cmd + [b"STREAMS"] + keys + ids


def gen_xack(rng, st):
    return [b"XACK", key(rng), group(rng)] + [st.some_id(rng) for _ in range(rng.randint(1, 4))]


def gen_xpending(rng, st):
    cmd = [b"XPENDING", key(rng), group(rng)]
    if rng.random() < 0.3:
        return cmd
    if rng.random() < 0.3:
        cmd += [b"IDLE", rng.choice(IDLES)]
    start = rng.choice([b"-", b"0", b"(" + st.some_id(rng), st.some_id(rng)])
    end = rng.choice([b"+", b"+", b"(" + st.some_id(rng), st.some_id(rng)])
    cmd += [start, end, rng.choice([b"10", b"1", b"2", b"0", b"-1", b"abc"])]
    if rng.random() < 0.4:
        cmd.append(consumer(rng))
    if rng.random() < 0.02:
        cmd = cmd[:4]
    return cmd


def gen_xclaim(rng, st):
    cmd = [b"XCLAIM", key(rng), group(rng), consumer(rng),
           b"0" if rng.random() < 0.6 else rng.choice(IDLES)]
    cmd += [st.some_id(rng) for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(0, 3)):
        o = rng.choice([b"IDLE", b"TIME", b"RETRYCOUNT", b"FORCE", b"JUSTID", b"LASTID", b"BOGUS",
                        b"force"])
        if o == b"IDLE":
            cmd += [o, rng.choice([b"200000", b"0", b"-7", b"x"])]
        elif o == b"TIME":
            cmd += [o, rng.choice([b"1000", b"-1", b"5", b"x"])]
        elif o == b"RETRYCOUNT":
            cmd += [o, rng.choice([b"0", b"5", b"-1", b"x"])]
        elif o == b"LASTID":
            cmd += [o, st.some_id(rng)]
        else:
            cmd.append(o)
    return cmd


def gen_xautoclaim(rng, st):
    cmd = [b"XAUTOCLAIM", key(rng), group(rng), consumer(rng), rng.choice(IDLES),
           rng.choice([b"0", b"-", b"0-0", b"(" + st.some_id(rng), st.some_id(rng)])]
    if rng.random() < 0.6:
        cmd += [b"COUNT", rng.choice([b"1", b"2", b"3", b"10", b"0", b"-1", b"x"])]
    if rng.random() < 0.3:
        cmd.append(b"JUSTID")
    if rng.random() < 0.03:
        cmd.append(b"BOGUS")
    return cmd


def gen_xinfo(rng, st):
    r = rng.random()
    k = key(rng)
    if r < 0.3:
        return [b"XINFO", b"GROUPS", k]
    if r < 0.55:
        return [b"XINFO", b"CONSUMERS", k, group(rng)]
    if r < 0.9:
        cmd = [b"XINFO", b"STREAM", k]
        if rng.random() < 0.5:
            cmd.append(b"FULL")
            if rng.random() < 0.5:
                cmd += [b"COUNT", rng.choice([b"0", b"1", b"2", b"-1", b"x"])]
        elif rng.random() < 0.1:
            cmd.append(b"BOGUS")
        return cmd
    return rng.choice([[b"XINFO", b"HELP"], [b"XINFO", b"NOPE", k], [b"XINFO", b"GROUPS"],
                       [b"XINFO", b"STREAM", k, b"FULL", b"COUNT"],
                       [b"XINFO", b"CONSUMERS", k]])


def gen_xdel(rng, st):
    return [b"XDEL", key(rng)] + [st.some_id(rng) for _ in range(rng.randint(1, 3))]


def gen_xtrim(rng, st):
    if rng.random() < 0.5:
        return [b"XTRIM", key(rng), b"MAXLEN", rng.choice([b"0", b"2", b"5", b"8"])]
    return [b"XTRIM", key(rng), b"MINID", st.some_id(rng)]


def gen_xsetid(rng, st):
    """XSETID moves the counters that entries-read and lag are estimated from. Its ID stays above
    every ID the key was given (a last ID set below a deleted entry's is a case of the core's
    own tests)."""
    k = rng.choice(STREAM_KEYS)
    ms = st.next_ms[k] + rng.choice([0, 0, 1, 5])
    st.next_ms[k] = ms + 1
    cmd = [b"XSETID", k, b"%d-0" % ms]
    if rng.random() < 0.5:
        cmd += [b"ENTRIESADDED", rng.choice([b"0", b"10", b"50", b"200"])]
    if rng.random() < 0.5:
        cmd += [b"MAXDELETEDID", rng.choice([b"0-0", b"3-0", b"%d-0" % (ms // 2)])]
    return cmd


def gen_wrong_arity(rng, st):
    return rng.choice([[b"XREADGROUP", b"GROUP", b"g0", b"c0", b"STREAMS", b"s0"],
                       [b"XACK", b"s0", b"g0"], [b"XPENDING", b"s0"],
                       [b"XCLAIM", b"s0", b"g0", b"c0", b"0"],
                       [b"XAUTOCLAIM", b"s0", b"g0", b"c0", b"0"], [b"XGROUP"], [b"XINFO"],
                       [b"XPENDING", b"s0", b"g0", b"-", b"+"],
                       [b"XPENDING", b"s0", b"g0", b"IDLE", b"5", b"-", b"+"]])


_WEIGHTED = ([gen_xadd] * 8 + [gen_xgroup] * 4 + [gen_xreadgroup] * 7 + [gen_xack] * 3 +
             [gen_xpending] * 3 + [gen_xclaim] * 3 + [gen_xautoclaim] * 3 + [gen_xinfo] * 3 +
             [gen_xdel] * 2 + [gen_xtrim, gen_xsetid])


def final_state(d):
    for k in STREAM_KEYS + [STRING_KEY, b"missing"]:
        check(d, b"TYPE", k)
        check(d, b"XINFO", b"STREAM", k, b"FULL", b"COUNT", b"0")
        check(d, b"XINFO", b"GROUPS", k)
        for g in GROUPS:
            check(d, b"XPENDING", k, g)
            check(d, b"XPENDING", k, g, b"-", b"+", b"1000")
            check(d, b"XINFO", b"CONSUMERS", k, g)


def play_xgroups(d, rng, types):
    st = State()
    check(d, b"SET", STRING_KEY, b"v")
    # Start with entries and a group or two, so that most commands find something.
    for k in STREAM_KEYS:
        for _ in range(rng.randint(0, 6)):
            check(d, b"XADD", k, st.new_id(rng, k), b"f", b"v")
        for g in GROUPS[:2]:
            if rng.random() < 0.8:
                check(d, b"XGROUP", b"CREATE", k, g, b"0", b"MKSTREAM")
    for _ in range(300):
        if rng.random() < 0.02:
            check(d, *gen_wrong_arity(rng, st))
        else:
            check(d, *rng.choice(_WEIGHTED)(rng, st))
    final_state(d)


@test
def test_xgroups_random(opts):
    harness.run_rounds(opts, "xgroups", play_xgroups, rounds=60, budget_s=25.0)


# ---- fixed sequences --------------------------------------------------------------------------

def fill(key, n, start=1):
    return [[b"XADD", key, b"%d-0" % i, b"f", b"%d" % i] for i in range(start, start + n)]


EDGE_SEQUENCES = [
    # Groups on a missing key, MKSTREAM, BUSYGROUP, $ on an empty and a full stream.
    [[b"XGROUP", b"CREATE", b"s", b"g", b"$"], [b"XGROUP", b"CREATE", b"s", b"g", b"$",
                                                  b"MKSTREAM"],
     [b"TYPE", b"s"], [b"XLEN", b"s"], [b"XGROUP", b"CREATE", b"s", b"g", b"0"],
     [b"XINFO", b"GROUPS", b"s"], [b"XADD", b"s", b"5-1", b"a", b"b"],
     [b"XGROUP", b"CREATE", b"s", b"h", b"$", b"ENTRIESREAD", b"1"], [b"XINFO", b"GROUPS", b"s"],
     [b"XGROUP", b"SETID", b"s", b"h", b"0", b"ENTRIESREAD", b"-2"],
     [b"XGROUP", b"SETID", b"s", b"h", b"-"], [b"XINFO", b"GROUPS", b"s"],
     [b"XGROUP", b"SETID", b"s", b"nope", b"0"], [b"XGROUP", b"DESTROY", b"s", b"h"],
     [b"XGROUP", b"DESTROY", b"s", b"h"], [b"XGROUP", b"HELP"], [b"XINFO", b"HELP"]],
    # Reading new entries and history; deleted entries come back as [id, nil] in the history.
    fill(b"s", 5) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"COUNT", b"2", b"STREAMS", b"s", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"b", b"STREAMS", b"s", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"b", b"STREAMS", b"s", b">"],
        [b"XDEL", b"s", b"4-0"],
        [b"XREADGROUP", b"GROUP", b"g", b"b", b"STREAMS", b"s", b"0"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"COUNT", b"1", b"STREAMS", b"s", b"1-0"],
        [b"XPENDING", b"s", b"g"], [b"XPENDING", b"s", b"g", b"-", b"+", b"10", b"b"],
        [b"XACK", b"s", b"g", b"1-0", b"1-0", b"9-0"], [b"XACK", b"s", b"g", b"2-0", b"bad"],
        [b"XPENDING", b"s", b"g"], [b"XGROUP", b"DELCONSUMER", b"s", b"g", b"b"],
        [b"XPENDING", b"s", b"g"], [b"XINFO", b"CONSUMERS", b"s", b"g"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"NOACK", b"STREAMS", b"s", b">"]],
    # The same key twice in one XREADGROUP, and two keys where one has nothing new.
    fill(b"s", 4) + fill(b"t", 1) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"], [b"XGROUP", b"CREATE", b"t", b"g", b"$"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"COUNT", b"1", b"STREAMS", b"s", b"s", b">", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"COUNT", b"3", b"STREAMS", b"s", b"s", b">", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"t", b"s", b">", b"0"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"t", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"t", b"$"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"nokey", b">"],
        [b"XREADGROUP", b"GROUP", b"g\r\n", b"c", b"STREAMS", b"t", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"t", b"s", b">"]],
    # XCLAIM: FORCE, JUSTID, RETRYCOUNT, LASTID, deleted entries leave the PEL, options errors.
    fill(b"s", 6) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"COUNT", b"3", b"STREAMS", b"s", b">"],
        [b"XCLAIM", b"s", b"g", b"b", b"0", b"1-0", b"2-0", b"JUSTID"],
        [b"XCLAIM", b"s", b"g", b"b", b"0", b"1-0", b"RETRYCOUNT", b"7"],
        [b"XCLAIM", b"s", b"g", b"b", b"100000", b"3-0"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"5-0", b"FORCE", b"JUSTID"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"6-0", b"FORCE"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"99-0", b"FORCE", b"LASTID", b"50-0"],
        [b"XINFO", b"GROUPS", b"s"], [b"XDEL", b"s", b"2-0"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"2-0", b"1-0"], [b"XPENDING", b"s", b"g"],
        [b"XPENDING", b"s", b"g", b"-", b"+", b"10"],
        [b"XCLAIM", b"s", b"g", b"c", b"x", b"1-0"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"IDLE"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"IDLE", b"x"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"TIME", b"x"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"RETRYCOUNT", b"x"],
        [b"XCLAIM", b"s", b"g", b"c", b"0", b"1-0", b"LASTID", b"x"],
        [b"XCLAIM", b"s", b"nog", b"c", b"x", b"1-0"],
        [b"XCLAIM", b"nokey", b"g", b"c", b"0", b"1-0"]],
    # XAUTOCLAIM: the cursor, COUNT, deleted IDs, the attempts limit, JUSTID, errors.
    fill(b"s", 30) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"STREAMS", b"s", b">"],
        [b"XDEL", b"s", b"3-0", b"4-0", b"20-0"],
        [b"XAUTOCLAIM", b"s", b"g", b"b", b"0", b"0", b"COUNT", b"2"],
        [b"XAUTOCLAIM", b"s", b"g", b"b", b"0", b"(2-0", b"COUNT", b"2", b"JUSTID"],
        [b"XAUTOCLAIM", b"s", b"g", b"b", b"100000", b"0", b"COUNT", b"1"],
        [b"XAUTOCLAIM", b"s", b"g", b"b", b"100000", b"0", b"COUNT", b"2"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"15-0"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"0", b"COUNT", b"0"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"0", b"COUNT", b"922337203685477581"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"x", b"0"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"x"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"(18446744073709551615-18446744073709551615"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"0", b"BOGUS"],
        [b"XAUTOCLAIM", b"s", b"nog", b"c", b"0", b"0"], [b"XPENDING", b"s", b"g"]],
    # XPENDING forms and their argument errors.
    fill(b"s", 3) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"], [b"XPENDING", b"s", b"g"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"STREAMS", b"s", b">"],
        [b"XPENDING", b"s", b"g", b"(1-0", b"(3-0", b"5"],
        [b"XPENDING", b"s", b"g", b"IDLE", b"100000", b"-", b"+", b"5"],
        [b"XPENDING", b"s", b"g", b"-", b"+", b"5", b"zz"],
        [b"XPENDING", b"s", b"g", b"-", b"+", b"5", b"a", b"extra"],
        [b"XPENDING", b"s", b"g", b"-", b"+"], [b"XPENDING", b"s", b"g", b"-", b"+", b"x"],
        [b"XPENDING", b"s", b"g", b"x", b"+", b"5"],
        [b"XPENDING", b"s", b"g", b"(0-0", b"(0-0", b"5"],
        [b"XPENDING", b"s", b"g", b"IDLE", b"x", b"-", b"+", b"5"],
        [b"XPENDING", b"s", b"nog"], [b"XPENDING", b"nokey", b"g", b"-", b"+", b"1"]],
    # WRONGTYPE everywhere, and XINFO on a missing key.
    [[b"SET", b"str", b"v"], [b"XGROUP", b"CREATE", b"str", b"g", b"$", b"MKSTREAM"],
     [b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", b"str", b">"],
     [b"XACK", b"str", b"g", b"1-0"], [b"XPENDING", b"str", b"g"],
     [b"XCLAIM", b"str", b"g", b"c", b"0", b"1-0"],
     [b"XAUTOCLAIM", b"str", b"g", b"c", b"0", b"0"], [b"XINFO", b"STREAM", b"str"],
     [b"XINFO", b"GROUPS", b"str"], [b"XINFO", b"CONSUMERS", b"str", b"g"],
     [b"XINFO", b"STREAM", b"nokey"], [b"XACK", b"nokey", b"g", b"bad"]],
    # A stream of several storage nodes (radix-tree-keys), FULL with COUNT, reads across nodes.
    fill(b"s", 250) + [
        [b"XGROUP", b"CREATE", b"s", b"g", b"0"], [b"XINFO", b"STREAM", b"s"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"COUNT", b"120", b"STREAMS", b"s", b">"],
        [b"XDEL", b"s", b"100-0", b"101-0", b"250-0"], [b"XINFO", b"STREAM", b"s"],
        [b"XINFO", b"STREAM", b"s", b"FULL", b"COUNT", b"3"], [b"XINFO", b"GROUPS", b"s"],
        [b"XREADGROUP", b"GROUP", b"g", b"b", b"STREAMS", b"s", b">"],
        [b"XREADGROUP", b"GROUP", b"g", b"a", b"COUNT", b"4", b"STREAMS", b"s", b"98"],
        [b"XTRIM", b"s", b"MAXLEN", b"50"], [b"XINFO", b"STREAM", b"s"],
        [b"XAUTOCLAIM", b"s", b"g", b"c", b"0", b"0", b"COUNT", b"25", b"JUSTID"],
        [b"XINFO", b"GROUPS", b"s"], [b"XINFO", b"CONSUMERS", b"s", b"g"]],
    # entries-read and lag across deletions and trimming (Redis 7.0's estimates).
    fill(b"s", 10) + [
        [b"XGROUP", b"CREATE", b"s", b"a", b"0"], [b"XGROUP", b"CREATE", b"s", b"b", b"3-0"],
        [b"XGROUP", b"CREATE", b"s", b"c", b"$"], [b"XINFO", b"GROUPS", b"s"],
        [b"XREADGROUP", b"GROUP", b"a", b"x", b"COUNT", b"2", b"STREAMS", b"s", b">"],
        [b"XDEL", b"s", b"5-0"], [b"XINFO", b"GROUPS", b"s"],
        [b"XREADGROUP", b"GROUP", b"a", b"x", b"COUNT", b"4", b"STREAMS", b"s", b">"],
        [b"XREADGROUP", b"GROUP", b"b", b"x", b"COUNT", b"1", b"STREAMS", b"s", b">"],
        [b"XINFO", b"GROUPS", b"s"], [b"XTRIM", b"s", b"MAXLEN", b"3"], [b"XINFO", b"GROUPS", b"s"],
        [b"XADD", b"s", b"20-0", b"f", b"v"], [b"XINFO", b"GROUPS", b"s"],
        [b"XINFO", b"STREAM", b"s"]],
]


@test
def test_xgroups_edge_sequences(opts):
    with harness.start_redis() as ref, harness.start_daemon(opts.bindir) as dut:
        for proto in (b"2", b"3"):
            d = harness.Differential(ref.port, dut.port)
            d.context = f" [RESP{proto.decode()}]"
            if proto == b"3":
                d.check(b"HELLO", b"3", mode="type")
            for seq in EDGE_SEQUENCES:
                d.ref.cmd(b"FLUSHALL")
                d.dut.cmd(b"FLUSHALL")
                for args in seq:
                    check(d, *args)
            mismatches = d.mismatches
            d.close()
            assert mismatches == 0, f"{mismatches} replies differed from redis-server"


@test
def test_xgroups_mask_hides_only_time_fields(opts):
    """The masking is narrow: a reply that differs in anything but a masked field is caught."""
    a = (b"*1\r\n*4\r\n$3\r\n1-0\r\n$1\r\nc\r\n:5\r\n:1\r\n")
    b = (b"*1\r\n*4\r\n$3\r\n1-0\r\n$1\r\nc\r\n:7\r\n:1\r\n")
    c = (b"*1\r\n*4\r\n$3\r\n1-0\r\n$1\r\nc\r\n:5\r\n:2\r\n")
    args = (b"XPENDING", b"s", b"g", b"-", b"+", b"10")
    assert mask_reply(args, a) == mask_reply(args, b)
    assert mask_reply(args, a) != mask_reply(args, c)
    assert mask_reply((b"XPENDING", b"s", b"g"), a) != mask_reply((b"XPENDING", b"s", b"g"), b)


# ---- time values, checked on their own --------------------------------------------------------

def _times(port):
    """XCLAIM's IDLE and TIME set exact delivery times: XINFO STREAM FULL shows TIME's value as
    sent, XPENDING's idle is IDLE's value plus the few ms that pass, and XINFO CONSUMERS' idle is
    small after the consumer acted."""
    out = {}
    with harness.RawConn(port) as c:
        c.cmd("FLUSHALL")
        c.cmd("XADD", "s", "1-0", "f", "v")
        c.cmd("XADD", "s", "2-0", "f", "v")
        c.cmd("XGROUP", "CREATE", "s", "g", "0")
        c.cmd("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
        c.cmd("XCLAIM", "s", "g", "b", "0", "1-0", "TIME", "123456789")
        c.cmd("XCLAIM", "s", "g", "b", "0", "2-0", "IDLE", "500000")
        full = harness.parse_reply(c.cmd("XINFO", "STREAM", "s", "FULL"))
        if isinstance(full, list):
            full = dict(zip(full[::2], full[1::2]))
        g = full[b"groups"][0]
        if isinstance(g, list):
            g = dict(zip(g[::2], g[1::2]))
        out["time"] = g[b"pending"][0][2]
        pend = harness.parse_reply(c.cmd("XPENDING", "s", "g", "-", "+", "10"))
        out["idle_time"] = pend[0][2]
        out["idle_idle"] = pend[1][2]
        now_ms = int(time.time() * 1000)
        out["time_idle_ok"] = abs(pend[0][2] - (now_ms - 123456789)) < 5000
        cons = harness.parse_reply(c.cmd("XINFO", "CONSUMERS", "s", "g"))
        out["consumer_idle"] = [x[5] if isinstance(x, list) else x[b"idle"] for x in cons]
        # XPENDING IDLE filters on that time; XAUTOCLAIM's min-idle too.
        out["idle_filter"] = len(harness.parse_reply(
            c.cmd("XPENDING", "s", "g", "IDLE", "400000", "-", "+", "10")))
        claimed = harness.parse_reply(c.cmd("XAUTOCLAIM", "s", "g", "z", "400000", "0", "JUSTID"))
        out["autoclaimed"] = claimed[1]
    return out


@test
def test_xgroups_times(opts):
    ref, dut = harness.on_both_servers(opts, _times)
    for name, r in (("redis", ref), ("aegisr", dut)):
        assert r["time"] == 123456789, (name, r)
        assert r["time_idle_ok"], (name, r)
        assert 500000 <= r["idle_idle"] < 505000, (name, r)
        assert all(0 <= i < 5000 for i in r["consumer_idle"]), (name, r)
    assert ref["idle_filter"] == dut["idle_filter"] == 2
    assert ref["autoclaimed"] == dut["autoclaimed"] == [b"1-0", b"2-0"]


# ---- the disk tier ----------------------------------------------------------------------------

@test
def test_xgroups_go_to_disk_and_come_back_whole(opts):
    """Streams with groups, consumers and PELs are offloaded under maxmemory and read back whole
    (XINFO STREAM FULL shows the same groups, PELs, times and counters), by the group commands
    too: XREADGROUP names its keys after STREAMS, and they are read back before it runs."""
    import shutil
    import tempfile
    import redis  # Debian's python3-redis; run with /usr/bin/python3
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_daemon(opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as d:
            r = redis.Redis(host="127.0.0.1", port=d.port, socket_timeout=30)
            n = 3000
            p = r.pipeline(transaction=False)
            for i in range(n):
                k = b"st:%d" % i
                for j in range(1, 6):
                    p.xadd(k, {b"f": b"x" * 200, b"n": b"%d" % j}, id=b"%d-0" % j)
                p.xgroup_create(k, "g", id="0")
                p.xreadgroup("g", "c%d" % (i % 3), {k: ">"}, count=3)
                p.xack(k, "g", b"1-0")
            p.execute()
            full = {}
            for i in range(n):
                full[b"st:%d" % i] = r.execute_command("XINFO", "STREAM", b"st:%d" % i, "FULL")
            p = r.pipeline(transaction=False)
            for i in range(3000):
                p.set(b"filler:%d" % i, b"x" * 1000)
            p.execute()
            info = r.info("tier")
            assert info["tier_disk_keys"] > 1000, info
            cold = [k for k in full if r.memory_usage(k) < 200]
            assert len(cold) > 500, len(cold)
            for k in cold[:200]:
                assert r.execute_command("XINFO", "STREAM", k, "FULL") == full[k], k
            for k in cold[200:400]:
                got = r.xreadgroup("g", "late", {k: ">"})
                assert [e[0] for e in got[0][1]] == [b"4-0", b"5-0"], (k, got)
                assert r.xpending(k, "g")["pending"] == 4, k
            for k in cold[400:500]:
                assert r.xack(k, "g", b"2-0", b"3-0") == 2, k
            info = r.info("tier")
            assert info["tier_read_errors"] == 0 and info["tier_checksum_errors"] == 0, info
    finally:
        shutil.rmtree(td, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
