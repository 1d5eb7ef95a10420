#!/usr/bin/env python3
# Differential test of the geo commands: the same seeded random GEOADD / GEOPOS / GEODIST /
# GEOHASH / GEOSEARCH / GEOSEARCHSTORE / GEORADIUS* sequences go to redis-server 7.0 and to
# aegisr-daemon (RESP2 and RESP3); raw reply bytes must be identical, including the order of
# unsorted results (cell visiting order) and of points at equal distances. Points cluster near
# the poles' limits, the antimeridian, the equator and Sicily; centres, radii and boxes include
# zero, huge and invalid values. Single-threaded.
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import test  # noqa: E402

KEYS = [b"g0", b"g1", b"b\x00\r\ng"]
STRING_KEY = b"str"
LIST_KEY = b"lst"
MEMBERS = [b"a", b"b", b"c", b"d", b"e", b"f", b"", b"a\x00b", b"\r\n", b"1", b"-1",
           b"x" * 70, b"\xff\xfe", b"hello world", b"Palermo", b"Catania"]
UNITS = [b"m", b"km", b"ft", b"mi", b"KM", b"Mi", b"M"]
BAD_UNITS = [b"", b"meters", b"k", b"kmm"]
# Where points gather: near the latitude limits, both sides of the antimeridian, the origin,
# Sicily.
CENTRES = [(0.0, 0.0), (179.95, 10.0), (-179.95, 10.0), (13.36, 38.11), (0.0, 85.0),
           (100.0, -85.0), (-180.0, 0.0), (180.0, -20.0), (45.0, 66.5), (-120.0, -80.5)]
EDGE_COORDS = [(b"180", b"0"), (b"-180", b"0"), (b"0", b"85.05112878"), (b"0", b"-85.05112878"),
               (b"180", b"85.05112878"), (b"-180", b"-85.05112878"), (b"-0", b"-0"),
               (b"179.99999999", b"85.0511287"), (b"1e-300", b"-1e-300"), (b"0x10", b"1.5e1")]
BAD_COORDS = [(b"180.0000001", b"0"), (b"-180.00001", b"0"), (b"0", b"85.05112879"),
              (b"0", b"-85.06"), (b"abc", b"0"), (b"0", b""), (b"inf", b"0"), (b"0", b"-inf"),
              (b"nan", b"0"), (b" 1", b"0"), (b"1e400", b"0"), (b"200", b"x")]


def coord(rng):
    r = rng.random()
    if r < 0.05:
        return rng.choice(EDGE_COORDS)
    if r < 0.065:
        return rng.choice(BAD_COORDS)
    cx, cy = rng.choice(CENTRES)
    spread = rng.choice([0.0, 0.001, 0.05, 1.0, 5.0])
    lon = max(-180.0, min(180.0, cx + rng.uniform(-spread, spread)))
    lat = max(-85.05112878, min(85.05112878, cy + rng.uniform(-spread, spread)))
    f = rng.choice([b"%.6f", b"%.3f", b"%r"])
    if f == b"%r":
        return repr(lon).encode(), repr(lat).encode()
    return f % lon, f % lat


def key(rng):
    r = rng.random()
    if r < 0.04:
        return STRING_KEY
    if r < 0.07:
        return LIST_KEY
    if r < 0.1:
        return b"missing"
    return rng.choice(KEYS)


def member(rng):
    r = rng.random()
    if r < 0.6:
        return rng.choice(MEMBERS)
    if r < 0.75:
        return b"m%d" % rng.randint(0, 40)
    return b"p%d" % rng.randint(0, 60)  # the cluster play_geo may add


def gen_geoadd(rng):
    cmd = [rng.choice([b"GEOADD", b"geoadd"]), key(rng)]
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            cmd.append(rng.choice([b"NX", b"XX", b"CH", b"ch", b"nx", b"CH", b"XX", b"GT"]))
    for _ in range(rng.randint(1, 5)):
        lon, lat = coord(rng)
        cmd += [lon, lat, member(rng)]
    if rng.random() < 0.03:
        cmd.append(b"dangling")
    return cmd


def radius(rng):
    r = rng.random()
    if r < 0.05:
        return rng.choice([b"0", b"-1", b"abc", b"", b"inf", b"1e400", b"-0", b"nan"])
    return rng.choice([b"0.5", b"1", b"10", b"100", b"1000", b"5000", b"20000", b"1e5",
                       b"%.3f" % rng.uniform(0, 3000)])


def unit(rng):
    return rng.choice(BAD_UNITS) if rng.random() < 0.03 else rng.choice(UNITS)


def options(rng, store_ok, searchstore=False):
    opts = []
    w = 0.03 if searchstore else 0.35  # WITH* options are an error with a store
    if rng.random() < w:
        opts.append([rng.choice([b"WITHDIST", b"withdist"])])
    if rng.random() < w:
        opts.append([b"WITHHASH"])
    if rng.random() < w:
        opts.append([b"WITHCOORD"])
    if rng.random() < 0.5:
        opts.append([rng.choice([b"ASC", b"DESC", b"asc"])])
    if rng.random() < 0.4:
        bad = [b"0", b"-1", b"abc"] if rng.random() < 0.1 else []
        c = [b"COUNT", rng.choice(bad or [b"1", b"2", b"3", b"5", b"100"])]
        if rng.random() < 0.4:
            c.append(b"ANY")
        opts.append(c)
    elif rng.random() < 0.03:
        opts.append([b"ANY"])
    if store_ok and rng.random() < 0.25:
        opts = [o for o in opts if not o[0].upper().startswith(b"WITH") or rng.random() < 0.1]
        opts.append([rng.choice([b"STORE", b"STOREDIST"]), rng.choice(KEYS + [b"dst", STRING_KEY])])
    if searchstore and rng.random() < 0.4:
        opts.append([b"STOREDIST"])
    if rng.random() < 0.03:
        opts.append([rng.choice([b"BOGUS", b"COUNT", b"STORE", b"STOREDIST"])])
    if rng.random() < 0.5:
        rng.shuffle(opts)
    return [a for o in opts for a in o]


def gen_reads(rng):
    r = rng.random()
    k = key(rng)
    if r < 0.35:
        return [b"GEOPOS", k] + [member(rng) for _ in range(rng.randint(1, 4))]
    if r < 0.6:
        return [b"GEOHASH", k] + [member(rng) for _ in range(rng.randint(0, 4))]
    cmd = [b"GEODIST", k, member(rng), member(rng)]
    if rng.random() < 0.6:
        cmd.append(unit(rng))
    if rng.random() < 0.03:
        cmd.append(b"extra")
    return cmd


def from_part(rng):
    r = rng.random()
    if r < 0.45:
        return [b"FROMMEMBER", member(rng)]
    if r < 0.95:
        lon, lat = coord(rng)
        return [b"FROMLONLAT", lon, lat]
    return []


def by_part(rng):
    r = rng.random()
    if r < 0.5:
        return [b"BYRADIUS", radius(rng), unit(rng)]
    if r < 0.95:
        w = radius(rng) if rng.random() < 0.2 else b"%.2f" % rng.uniform(0, 4000)
        h = radius(rng) if rng.random() < 0.2 else b"%.2f" % rng.uniform(0, 4000)
        return [b"BYBOX", w, h, unit(rng)]
    return []


def gen_search(rng):
    r = rng.random()
    if r < 0.3:
        parts = [from_part(rng), by_part(rng)]
        if rng.random() < 0.1:
            parts.append(rng.choice([from_part(rng), by_part(rng)]))
        rng.shuffle(parts)
        return [b"GEOSEARCH", key(rng)] + [a for p in parts for a in p] + options(rng, False)
    if r < 0.45:
        parts = [from_part(rng), by_part(rng)]
        rng.shuffle(parts)
        return ([b"GEOSEARCHSTORE", rng.choice(KEYS + [b"dst", STRING_KEY]), key(rng)] +
                [a for p in parts for a in p] + options(rng, False, searchstore=True))
    if r < 0.75:
        lon, lat = coord(rng)
        name = rng.choice([b"GEORADIUS", b"GEORADIUS_RO", b"georadius"])
        return [name, key(rng), lon, lat, radius(rng), unit(rng)] + options(
            rng, name != b"GEORADIUS_RO")
    name = rng.choice([b"GEORADIUSBYMEMBER", b"GEORADIUSBYMEMBER_RO"])
    return [name, key(rng), member(rng), radius(rng), unit(rng)] + options(
        rng, name == b"GEORADIUSBYMEMBER")


def gen_zset_ops(rng):
    # Scores that are not geohashes: Redis decodes them anyway (negative, fractional, past 52
    # bits, past 2^64).
    r = rng.random()
    if r < 0.6:
        score = rng.choice([b"-1", b"0", b"1.5", b"4503599627370496", b"4503599627370495",
                            b"9007199254740993", b"1e19", b"1e20", b"-1e20", b"inf", b"-inf",
                            b"18446744073709551615", b"-9223372036854775808",
                            b"%d" % rng.randint(0, 1 << 52)])
        return [b"ZADD", key(rng), score, member(rng)]
    if r < 0.8:
        return [b"ZREM", key(rng), member(rng)]
    return [b"ZRANGE", key(rng), b"0", b"-1", b"WITHSCORES"]


def gen_wrong_arity(rng):
    return rng.choice([[b"GEOADD", b"g0", b"1", b"2"], [b"GEOPOS"], [b"GEODIST", b"g0", b"a"],
                       [b"GEOHASH"], [b"GEORADIUS", b"g0", b"1", b"2", b"3"],
                       [b"GEORADIUSBYMEMBER", b"g0", b"a", b"1"],
                       [b"GEOSEARCH", b"g0", b"FROMMEMBER", b"a", b"BYRADIUS", b"1"],
                       [b"GEOSEARCHSTORE", b"d", b"g0", b"FROMMEMBER", b"a", b"BYRADIUS", b"1"]])


_WEIGHTED = ([gen_geoadd] * 6 + [gen_reads] * 4 + [gen_search] * 8 + [gen_zset_ops])


def play_geo(d, rng, types):
    d.check(b"CONFIG", b"SET", b"zset-max-listpack-entries",
            rng.choice([b"128", b"128", b"0", b"2", b"8"]))
    d.check(b"CONFIG", b"SET", b"zset-max-listpack-value", rng.choice([b"64", b"64", b"0", b"2"]))
    d.check(b"SET", STRING_KEY, b"v")
    d.check(b"RPUSH", LIST_KEY, b"v")
    if rng.random() < 0.4:
        # Many points around one place (a skiplist past 128), some at identical positions.
        cmd = [b"GEOADD", rng.choice(KEYS)]
        cx, cy = rng.choice(CENTRES)
        for i in range(rng.randint(50, 300)):
            if i % 7 == 0:
                lon, lat = b"%.6f" % cx, b"%.6f" % cy
            else:
                lon = b"%.6f" % max(-180.0, min(180.0, cx + rng.uniform(-2, 2)))
                lat = b"%.6f" % max(-85.05, min(85.05, cy + rng.uniform(-2, 2)))
            cmd += [lon, lat, b"p%d" % i]
        d.check(*cmd)
    for _ in range(200):
        if rng.random() < 0.03:
            d.check(*gen_wrong_arity(rng))
        else:
            d.check(*rng.choice(_WEIGHTED)(rng))
    for k in KEYS + [b"dst", STRING_KEY, b"missing"]:
        d.check(b"TYPE", k)
        d.check(b"ZRANGE", k, b"0", b"-1", b"WITHSCORES")
        d.check(b"OBJECT", b"ENCODING", k)
    d.check(b"DBSIZE")


@test
def test_geo_random(opts):
    harness.run_rounds(opts, "geo", play_geo, rounds=300, budget_s=40.0, resp3_every=2)


def _ring(n, lon, lat, step):
    cmd = [b"GEOADD", b"ring"]
    for i in range(n):
        cmd += [b"%.6f" % (lon + (i % 10) * step), b"%.6f" % (lat + (i // 10) * step),
                b"r%d" % i]
    return cmd


EDGE_SEQUENCES = [
    # Redis's documented examples.
    [[b"GEOADD", b"Sicily", b"13.361389", b"38.115556", b"Palermo", b"15.087269", b"37.502669",
      b"Catania"],
     [b"GEODIST", b"Sicily", b"Palermo", b"Catania"], [b"GEODIST", b"Sicily", b"Palermo",
                                                       b"Catania", b"km"],
     [b"GEORADIUS", b"Sicily", b"15", b"37", b"100", b"km"],
     [b"GEORADIUS", b"Sicily", b"15", b"37", b"200", b"km", b"WITHDIST", b"WITHCOORD",
      b"WITHHASH"],
     [b"GEOHASH", b"Sicily", b"Palermo", b"Catania", b"nope"],
     [b"GEOPOS", b"Sicily", b"Palermo", b"Catania", b"NonExisting"],
     [b"GEOADD", b"Sicily", b"13.583333", b"37.316667", b"Agrigento"],
     [b"GEORADIUSBYMEMBER", b"Sicily", b"Agrigento", b"100", b"km"],
     [b"GEOSEARCH", b"Sicily", b"FROMLONLAT", b"15", b"37", b"BYRADIUS", b"200", b"km", b"ASC"],
     [b"GEOSEARCH", b"Sicily", b"FROMLONLAT", b"15", b"37", b"BYBOX", b"400", b"400", b"km",
      b"ASC", b"WITHCOORD", b"WITHDIST", b"WITHHASH"],
     [b"GEOSEARCHSTORE", b"out", b"Sicily", b"FROMMEMBER", b"Palermo", b"BYRADIUS", b"300",
      b"km", b"STOREDIST"], [b"ZRANGE", b"out", b"0", b"-1", b"WITHSCORES"],
     [b"GEORADIUS", b"Sicily", b"15", b"37", b"200", b"km", b"STORE", b"out2", b"COUNT", b"1"],
     [b"ZRANGE", b"out2", b"0", b"-1", b"WITHSCORES"]],
    # GEOADD flags and errors; nothing of a refused command is added.
    [[b"GEOADD", b"g", b"1", b"2", b"a"], [b"GEOADD", b"g", b"NX", b"XX", b"1", b"2", b"a"],
     [b"GEOADD", b"g", b"XX", b"NX", b"1", b"2", b"a"], [b"GEOADD", b"g", b"XX", b"3", b"4", b"a",
                                                         b"5", b"6", b"b"],
     [b"GEOADD", b"g", b"CH", b"3", b"4", b"a", b"5", b"6", b"b"],
     [b"GEOADD", b"g", b"NX", b"CH", b"1", b"1", b"a", b"7", b"7", b"c"],
     [b"GEOADD", b"g", b"CH", b"XX", b"1", b"1", b"a", b"7", b"7", b"c"],
     [b"GEOADD", b"g", b"1", b"2", b"d", b"200", b"2", b"e"],
     [b"GEOADD", b"g", b"1", b"2", b"d", b"x", b"2", b"e"], [b"GEOADD", b"g", b"GT", b"1", b"2",
                                                             b"d"],
     [b"GEOADD", b"g", b"1", b"2", b"d", b"3"], [b"GEOADD", b"g", b"CH", b"NX", b"XX"],
     [b"GEOADD", b"g", b"CH", b"NX", b"XX", b"1"], [b"GEOADD", b"g", b"nx", b"ch", b"xx"],
     [b"GEOADD", b"new", b"XX", b"1", b"1", b"a"], [b"EXISTS", b"new"],
     [b"GEOADD", b"g", b"1", b"1", b"dup", b"2", b"2", b"dup"], [b"GEOPOS", b"g", b"dup"],
     [b"ZRANGE", b"g", b"0", b"-1", b"WITHSCORES"], [b"SET", b"s", b"x"],
     [b"GEOADD", b"s", b"1", b"2", b"a"], [b"GEOADD", b"s", b"1000", b"2", b"a"],
     [b"GEOADD", b"g", b"-180", b"-85.05112878", b"sw", b"180", b"85.05112878", b"ne"],
     [b"GEOPOS", b"g", b"sw", b"ne"], [b"GEOHASH", b"g", b"sw", b"ne"],
     [b"GEODIST", b"g", b"sw", b"ne"], [b"GEODIST", b"g", b"sw", b"ne", b"ft"],
     [b"GEOADD", b"g", b"180", b"0", b"am1", b"-180", b"0", b"am2"],
     [b"GEODIST", b"g", b"am1", b"am2"], [b"GEOSEARCH", b"g", b"FROMMEMBER", b"am1",
                                          b"BYRADIUS", b"1", b"m", b"WITHCOORD"]],
    # Search errors, in Redis's order.
    [[b"GEOADD", b"g", b"1", b"2", b"a", b"1.001", b"2.001", b"b"], [b"SET", b"s", b"x"],
     [b"GEORADIUS", b"s", b"1000", b"0", b"x", b"km"], [b"GEORADIUS", b"g", b"1000", b"0", b"x",
                                                        b"km"],
     [b"GEORADIUS", b"g", b"1", b"0", b"x", b"km"], [b"GEORADIUS", b"g", b"1", b"0", b"-1", b"km"],
     [b"GEORADIUS", b"g", b"1", b"0", b"1", b"parsec"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"COUNT", b"0"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"COUNT", b"x"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"COUNT"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"ANY"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"STORE"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"STORE", b"d", b"WITHHASH"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"STOREDIST", b"d", b"WITHCOORD"],
     [b"GEORADIUS", b"g", b"1", b"2", b"10", b"km", b"FROMMEMBER", b"a"],
     [b"GEORADIUS_RO", b"g", b"1", b"2", b"10", b"km", b"STORE", b"d"],
     [b"GEORADIUSBYMEMBER", b"g", b"zz", b"x", b"km"],
     [b"GEORADIUSBYMEMBER", b"g", b"a", b"x", b"km"],
     [b"GEORADIUSBYMEMBER", b"nokey", b"zz", b"x", b"furlong"],
     [b"GEORADIUSBYMEMBER", b"nokey", b"zz", b"x", b"km", b"STORE", b"g2"],
     [b"GEORADIUSBYMEMBER", b"nokey", b"zz", b"x", b"km", b"BOGUS"],
     [b"GEORADIUSBYMEMBER_RO", b"g", b"a", b"100", b"km", b"ASC", b"COUNT", b"1", b"WITHDIST"],
     [b"GEOSEARCH", b"g", b"BYRADIUS", b"10", b"km", b"ASC"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"a", b"ASC", b"COUNT", b"1"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"a", b"FROMLONLAT", b"1", b"2", b"BYRADIUS", b"1",
      b"km"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"2", b"FROMMEMBER", b"a", b"BYRADIUS", b"1",
      b"km"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"a", b"FROMMEMBER", b"b", b"BYRADIUS", b"1", b"km"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"a", b"BYRADIUS", b"1", b"km", b"BYBOX", b"1", b"1",
      b"km"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"a", b"BYBOX", b"1", b"1", b"km", b"BYRADIUS", b"1",
      b"km"],
     [b"GEOSEARCH", b"g", b"FROMMEMBER", b"zz", b"BYRADIUS", b"1", b"km", b"BOGUS"],
     [b"GEOSEARCH", b"g", b"BOGUS", b"FROMMEMBER", b"zz", b"BYRADIUS", b"1", b"km"],
     [b"GEOSEARCH", b"nokey", b"FROMMEMBER", b"zz", b"BYRADIUS", b"1", b"km"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"181", b"0", b"BYRADIUS", b"1", b"km", b"BOGUS"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYBOX", b"x", b"1", b"km"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYBOX", b"1", b"x", b"km"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYBOX", b"-1", b"1", b"km"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYBOX", b"1", b"1", b"yd"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYBOX", b"1", b"1"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYRADIUS", b"1", b"km", b"STORE", b"d"],
     [b"GEOSEARCH", b"g", b"FROMLONLAT", b"1", b"0", b"BYRADIUS", b"1", b"km", b"STOREDIST"],
     [b"geosearch", b"g", b"FROMLONLAT", b"1", b"0", b"ASC", b"WITHDIST"],
     [b"GEOSEARCHSTORE", b"d", b"g", b"FROMLONLAT", b"1", b"2", b"BYRADIUS", b"1", b"km",
      b"WITHDIST"],
     [b"GEOSEARCHSTORE", b"d", b"g", b"FROMLONLAT", b"1", b"2", b"BYRADIUS", b"1000", b"km",
      b"STOREDIST", b"STOREDIST"], [b"ZRANGE", b"d", b"0", b"-1", b"WITHSCORES"],
     [b"GEOSEARCHSTORE", b"s", b"g", b"FROMLONLAT", b"1", b"2", b"BYRADIUS", b"1000", b"km"],
     [b"TYPE", b"s"], [b"GEOSEARCHSTORE", b"d", b"nokey", b"FROMMEMBER", b"a", b"BYRADIUS", b"1",
                       b"km"], [b"EXISTS", b"d"],
     [b"GEOSEARCHSTORE", b"g", b"g", b"FROMMEMBER", b"a", b"BYRADIUS", b"1", b"m", b"STOREDIST"],
     [b"ZRANGE", b"g", b"0", b"-1", b"WITHSCORES"], [b"SET", b"s", b"x"],
     [b"GEORADIUS", b"g", b"0", b"0", b"1", b"m", b"STORE", b"s"], [b"GET", b"s"]],
    # Zero radius, huge radius, poles, antimeridian, identical positions (ties: the order Redis's
    # sorts leave them in), COUNT n ANY.
    [_ring(100, 179.5, 84.0, 0.1),
     [b"GEOADD", b"ring", b"-179.95", b"84.5", b"west", b"0", b"-85", b"south",
      b"179.5", b"84.0", b"twin1", b"179.5", b"84.0", b"twin2", b"179.5", b"84.0", b"twin0"],
     [b"GEORADIUS", b"ring", b"179.5", b"84", b"0", b"m"],
     [b"GEORADIUS", b"ring", b"179.5", b"84", b"0", b"m", b"ASC"],
     [b"GEORADIUS", b"ring", b"179.5", b"84", b"0", b"m", b"DESC", b"COUNT", b"2"],
     [b"GEORADIUS", b"ring", b"179.9", b"84.5", b"50", b"km", b"ASC", b"WITHDIST"],
     [b"GEORADIUS", b"ring", b"-179.9", b"84.5", b"50", b"km", b"DESC", b"WITHDIST"],
     [b"GEORADIUS", b"ring", b"179.9", b"84.5", b"50", b"km", b"COUNT", b"3"],
     [b"GEORADIUS", b"ring", b"179.9", b"84.5", b"50", b"km", b"COUNT", b"3", b"ANY"],
     [b"GEORADIUS", b"ring", b"179.9", b"84.5", b"50", b"km", b"COUNT", b"3", b"ANY", b"DESC"],
     [b"GEORADIUS", b"ring", b"0", b"0", b"20000", b"km", b"COUNT", b"7"],
     [b"GEORADIUS", b"ring", b"0", b"0", b"20000", b"km", b"DESC", b"COUNT", b"50"],
     [b"GEORADIUS", b"ring", b"0", b"0", b"inf", b"km", b"COUNT", b"5", b"WITHDIST"],
     [b"GEORADIUS", b"ring", b"0", b"0", b"1e308", b"km", b"WITHHASH"],
     [b"GEOSEARCH", b"ring", b"FROMLONLAT", b"0", b"85.05112878", b"BYBOX", b"40000", b"100",
      b"km", b"WITHCOORD"],
     [b"GEOSEARCH", b"ring", b"FROMLONLAT", b"180", b"84", b"BYBOX", b"100", b"100", b"km",
      b"ASC", b"WITHDIST"],
     [b"GEOSEARCH", b"ring", b"FROMLONLAT", b"-180", b"84", b"BYBOX", b"0", b"0", b"km"],
     [b"GEOSEARCH", b"ring", b"FROMMEMBER", b"twin1", b"BYRADIUS", b"1", b"m"],
     [b"GEOSEARCH", b"ring", b"FROMMEMBER", b"south", b"BYRADIUS", b"3000", b"mi", b"ASC"],
     [b"GEOSEARCHSTORE", b"st", b"ring", b"FROMMEMBER", b"twin1", b"BYRADIUS", b"30", b"km",
      b"COUNT", b"4"], [b"ZRANGE", b"st", b"0", b"-1", b"WITHSCORES"],
     [b"OBJECT", b"ENCODING", b"st"]],
    # Scores that are not geohashes.
    [[b"ZADD", b"z", b"-1", b"neg", b"1.5", b"frac", b"4503599627370496", b"p52",
      b"1e19", b"big", b"1e20", b"huge", b"inf", b"inf", b"-inf", b"ninf", b"-1e20", b"nbig"],
     [b"GEOPOS", b"z", b"neg", b"frac", b"p52", b"big", b"huge", b"inf", b"ninf", b"nbig"],
     [b"GEOHASH", b"z", b"neg", b"frac", b"p52", b"big", b"huge", b"inf", b"ninf", b"nbig"],
     [b"GEODIST", b"z", b"neg", b"huge"], [b"GEODIST", b"z", b"frac", b"ninf", b"mi"],
     [b"GEORADIUS", b"z", b"0", b"0", b"30000", b"km", b"WITHHASH", b"WITHCOORD", b"WITHDIST"],
     [b"GEOSEARCH", b"z", b"FROMMEMBER", b"frac", b"BYRADIUS", b"1", b"km", b"WITHHASH"]],
]


@test
def test_geo_edge_sequences(opts):
    harness.run_edge_sequences(opts, EDGE_SEQUENCES)


@test
def test_geo_sets_on_disk_answer_as_redis(opts):
    # Geo sets are sorted sets, offloaded whole by the sorted-set codec: under maxmemory with a
    # disk tier, searches, positions and stores on cold keys (GEORADIUS's STORE key is found by
    # the handler, not the key table) must answer as redis-server holding the same data does.
    import shutil
    import tempfile
    rng = random.Random(21)
    td = tempfile.mkdtemp(prefix="aegisr-tier-")
    try:
        with harness.start_redis() as ref, harness.start_daemon(
                opts.bindir, ["--maxmemory", "4mb", "--tier-dir", td]) as dut:
            d = harness.Differential(ref.port, dut.port)
            keys = [b"geo:%d" % i for i in range(12000)]
            for conn in (d.ref, d.dut):
                cmds = []
                for i, k in enumerate(keys):
                    krng = random.Random(i)
                    n = krng.randint(1, 12) if i % 10 else krng.randint(129, 160)
                    cmd = [b"GEOADD", k]
                    for j in range(n):
                        cmd += [b"%.6f" % krng.uniform(12, 16), b"%.6f" % krng.uniform(36, 40),
                                b"m%d" % j]
                    cmds.append(cmd)
                for at in range(0, len(cmds), 500):
                    conn.pipeline(cmds[at:at + 500])
            with harness.RawConn(dut.port) as c:
                info = c.cmd(b"INFO", b"tier").decode()
            disk = int(info.split("tier_disk_keys:")[1].split("\r\n")[0])
            assert disk > 2000, info
            for k in rng.sample(keys, 300):
                d.check(b"GEOPOS", k, b"m0", b"m1", b"nope")
                d.check(b"GEOSEARCH", k, b"FROMLONLAT", b"14", b"38", b"BYRADIUS", b"150", b"km",
                        b"ASC", b"WITHDIST", b"WITHCOORD")
                d.check(b"GEORADIUS", k, b"14", b"38", b"100", b"km", b"STORE", k + b":near")
                d.check(b"ZRANGE", k + b":near", b"0", b"-1", b"WITHSCORES")
                d.check(b"GEOSEARCHSTORE", k + b":d", k, b"FROMMEMBER", b"m0", b"BYBOX", b"200",
                        b"200", b"km", b"STOREDIST")
                d.check(b"ZRANGE", k + b":d", b"0", b"-1", b"WITHSCORES")
                d.check(b"GEODIST", k, b"m0", b"m1", b"km")
            d.close()
            assert d.mismatches == 0, f"{d.mismatches} replies differed from redis-server"
            with harness.RawConn(dut.port) as c:
                info = c.cmd(b"INFO", b"tier").decode()
            reads = int(info.split("tier_cold_reads:")[1].split("\r\n")[0])
            assert reads > 100, info
    finally:
        shutil.rmtree(td, ignore_errors=True)


@test
def test_geo_differential_can_fail(opts):
    # The comparison is not vacuous: a changed position is caught.
    with harness.start_redis() as a, harness.start_redis() as b:
        d = harness.Differential(a.port, b.port, show=0)
        d.ref.cmd(b"GEOADD", b"g", b"13.361389", b"38.115556", b"p")
        d.dut.cmd(b"GEOADD", b"g", b"13.3614", b"38.115556", b"p")
        d.check(b"GEOPOS", b"g", b"p")
        d.check(b"GEODIST", b"g", b"p", b"p")
        d.close()
        assert d.mismatches == 1, d.mismatches


if __name__ == "__main__":
    harness.main()
