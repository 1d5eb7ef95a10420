// The geo command family, Redis 7.0 semantics (geo.c): GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH
// GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER and the _RO forms. A geo set is a sorted set
// (engine/types/zset.h) whose scores are 52-bit geohashes (engine/types/geohash.h), so every Z*
// command works on it and no value type of its own is needed.
//
// A search visits the nine cells geo::CellsFor picks, in its order; each cell is one score range
// of the sorted set, walked in (score, member) order, and each point is kept if its true
// distance (or its box test) says so. Unsorted replies come in that visiting order; sorted ones
// are ordered by distance, ties as Redis's sorts leave them (MergeSort, PartialSort below).
// Arguments are checked in Redis's order: the source key's type first, then the centre and radius,
// then the options left to right (each option's value checked as it comes), then the combinations.

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/geohash.h"
#include "engine/types/zset.h"

namespace aegisr {
namespace {

constexpr std::string_view kBadUnit = "ERR unsupported unit provided. please use M, KM, FT, MI";
constexpr std::string_view kNeedRadius = "ERR need numeric radius";
constexpr std::string_view kNegativeRadius = "ERR radius cannot be negative";
constexpr std::string_view kNeedWidth = "ERR need numeric width";
constexpr std::string_view kNeedHeight = "ERR need numeric height";
constexpr std::string_view kNegativeBox = "ERR height or width cannot be negative";
constexpr std::string_view kCountNotPositive = "ERR COUNT must be > 0";
constexpr std::string_view kNoMember = "ERR could not decode requested zset member";
constexpr std::string_view kAnyWithoutCount = "ERR the ANY argument requires COUNT argument";

const ZSet& ZOf(const Entry* e) { return ObjectOf<ZSet>(e); }

// "ERR invalid longitude,latitude pair %f,%f".
std::string BadPairError(double lon, double lat) {
  char buf[700];  // %f of 1e308 is 309 digits and 7 more
  std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", lon, lat);
  return buf;
}

// Longitude and latitude from two arguments: both parsed first, then the limits checked.
bool ParseLonLat(ReplySink& reply, std::string_view lon_arg, std::string_view lat_arg, double* lon,
                 double* lat) {
  if (!String2d(lon_arg, lon) || !String2d(lat_arg, lat)) {
    reply.Error(errors::kNotFloat);
    return false;
  }
  if (*lon < geo::kLonMin || *lon > geo::kLonMax || *lat < geo::kLatMin || *lat > geo::kLatMax) {
    reply.Error(BadPairError(*lon, *lat));
    return false;
  }
  return true;
}

// Meters per unit; 0 for an unknown unit (the error is replied).
double ParseUnit(ReplySink& reply, std::string_view u) {
  if (EqualsIgnoreCase(u, "m")) return 1;
  if (EqualsIgnoreCase(u, "km")) return 1000;
  if (EqualsIgnoreCase(u, "ft")) return 0.3048;
  if (EqualsIgnoreCase(u, "mi")) return 1609.34;
  reply.Error(kBadUnit);
  return 0;
}

// radius unit
bool ParseRadius(ReplySink& reply, ArgList args, size_t at, geo::Shape* shape) {
  double r;
  if (!String2d(args[at], &r)) {
    reply.Error(kNeedRadius);
    return false;
  }
  if (r < 0) {
    reply.Error(kNegativeRadius);
    return false;
  }
  double to_m = ParseUnit(reply, args[at + 1]);
  if (to_m == 0) return false;
  shape->box = false;
  shape->radius = r;
  shape->to_meters = to_m;
  return true;
}

// width height unit
bool ParseBox(ReplySink& reply, ArgList args, size_t at, geo::Shape* shape) {
  double w, h;
  if (!String2d(args[at], &w)) {
    reply.Error(kNeedWidth);
    return false;
  }
  if (!String2d(args[at + 1], &h)) {
    reply.Error(kNeedHeight);
    return false;
  }
  if (h < 0 || w < 0) {
    reply.Error(kNegativeBox);
    return false;
  }
  double to_m = ParseUnit(reply, args[at + 2]);
  if (to_m == 0) return false;
  shape->box = true;
  shape->width = w;
  shape->height = h;
  shape->to_meters = to_m;
  return true;
}

// A distance as Redis prints it: rounded (half to even) to four decimals, "%.4f"-like.
std::string DistanceText(double d) {
  if (d == 0) return "0.0000";
  long long units = std::llrint(d * 10000.0);
  bool negative = units < 0;
  unsigned long long v =
      negative ? (units == LLONG_MIN ? 1ULL << 63 : (unsigned long long)(-units)) : units;
  char buf[48];
  int n =
      std::snprintf(buf, sizeof(buf), "%s%llu.%04llu", negative ? "-" : "", v / 10000, v % 10000);
  return std::string(buf, size_t(n));
}

// A coordinate as Redis's addReplyHumanLongDouble writes it: "%.17Lf" with trailing zeros
// trimmed, a bulk string in RESP2 and a double in RESP3.
void ReplyCoordinate(ReplySink& reply, double v) {
  std::string s = Ld2String(static_cast<long double>(v), LdMode::kHuman);
  if (reply.protocol() == 2) return reply.Bulk(s);
  s.insert(s.begin(), ',');
  s += "\r\n";
  reply.Raw(s);
}

void ReplyPosition(ReplySink& reply, double lon, double lat) {
  reply.ArrayHeader(2);
  ReplyCoordinate(reply, lon);
  ReplyCoordinate(reply, lat);
}

// ---- GEOADD ----

// GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]
void CmdGeoAdd(CommandContext& ctx, ArgList args) {
  bool nx = false, xx = false, ch = false;
  size_t idx = 2;
  for (; idx < args.size(); ++idx) {
    if (EqualsIgnoreCase(args[idx], "nx"))
      nx = true;
    else if (EqualsIgnoreCase(args[idx], "xx"))
      xx = true;
    else if (EqualsIgnoreCase(args[idx], "ch"))
      ch = true;
    else
      break;
  }
  // Redis answers NX with XX by the syntax error, as it does a broken triple.
  if ((args.size() - idx) % 3 || (nx && xx)) return ctx.reply.Error(errors::kSyntax);
  size_t n = (args.size() - idx) / 3;
  double one_score;
  std::vector<double> many;
  if (n > 1) many.resize(n);
  double* scores = n > 1 ? many.data() : &one_score;
  for (size_t i = 0; i < n; ++i) {
    double lon, lat;
    if (!ParseLonLat(ctx.reply, args[idx + 3 * i], args[idx + 3 * i + 1], &lon, &lat)) return;
    scores[i] = double(geo::ScoreOf(lon, lat));
  }
  if (n == 0) return ctx.reply.Error(errors::kSyntax);  // ZADD with no pairs
  TypedKey key(ctx, args[1], ValueType::kZset, false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Entry** link = key.link;
  if (!link) {
    if (xx) return ctx.reply.Integer(0);
    key.s.Insert(key.db, NewObjectEntry(key.k.key, key.k.hash, ValueType::kZset,
                                        new ZSet(0, args[idx + 2].size())));
    link = key.s.Find(key.db, key.k, Engine::NowMs());
  }
  int64_t added = 0, changed = 0;
  key.s.Update(
      key.db, link,
      [&](Entry* e) {
        ZSet& z = MutableObject<ZSet>(e);
        for (size_t i = 0; i < n; ++i) {
          std::string_view m = args[idx + 3 * i + 2];
          double cur;
          if (z.Score(m, &cur)) {
            if (nx || cur == scores[i]) continue;
            z.Erase(m);
            z.Insert(m, scores[i]);
            ++changed;
          } else if (!xx) {
            z.Insert(m, scores[i]);
            ++added;
          }
        }
        return e;
      },
      /*touch_watch=*/false);
  if (added || changed) key.s.SignalModified(key.db, args[1]);
  if (ZOf(*link).empty()) key.s.Delete(key.db, link);
  if (added || changed) Notify(ctx, kNotifyZset, "zadd", args[1]);
  ctx.reply.Integer(ch ? added + changed : added);
}

// ---- Reads of members' positions ----

// GEOPOS key member [member ...]
void CmdGeoPos(CommandContext& ctx, ArgList args) {
  TypedKey key(ctx, args[1], ValueType::kZset, true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    double score, lon, lat;
    if (!key.link || !ZOf(key.entry()).Score(args[i], &score)) {
      ctx.reply.NullArray();
      continue;
    }
    geo::DecodeScore(score, &lon, &lat);
    ReplyPosition(ctx.reply, lon, lat);
  }
}

// GEOHASH key [member ...]
void CmdGeoHash(CommandContext& ctx, ArgList args) {
  TypedKey key(ctx, args[1], ValueType::kZset, true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    double score;
    if (!key.link || !ZOf(key.entry()).Score(args[i], &score))
      ctx.reply.Null();
    else
      ctx.reply.Bulk(geo::HashString(score));
  }
}

// GEODIST key member1 member2 [M|KM|FT|MI]
void CmdGeoDist(CommandContext& ctx, ArgList args) {
  double to_m = 1;
  if (args.size() == 5) {
    to_m = ParseUnit(ctx.reply, args[4]);
    if (to_m == 0) return;
  } else if (args.size() > 5) {
    return ctx.reply.Error(errors::kSyntax);
  }
  TypedKey key(ctx, args[1], ValueType::kZset, true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  double s1, s2;
  if (!key.link || !ZOf(key.entry()).Score(args[2], &s1) || !ZOf(key.entry()).Score(args[3], &s2))
    return ctx.reply.Null();
  double lon1, lat1, lon2, lat2;
  geo::DecodeScore(s1, &lon1, &lat1);
  geo::DecodeScore(s2, &lon2, &lat2);
  ctx.reply.Bulk(DistanceText(geo::Distance(lon1, lat1, lon2, lat2) / to_m));
}

// ---- The searches ----

enum SearchFlag : unsigned {
  kFromCoords = 1,   // GEORADIUS: key longitude latitude radius unit
  kFromMember = 2,   // GEORADIUSBYMEMBER: key member radius unit
  kNoStore = 4,      // the _RO forms: no STORE / STOREDIST
  kSearch = 8,       // GEOSEARCH: FROMMEMBER|FROMLONLAT, BYRADIUS|BYBOX
  kSearchStore = 16  // GEOSEARCHSTORE: destination first, STOREDIST takes no key
};

// One option of a search, with the index of its first value. The options are read in two passes:
// this one only tells them apart (which keyword, how many values follow), so that the store key
// is known and locked before anything is looked up; the second pass checks the values in order.
struct SearchOpt {
  enum Kind : uint8_t {
    kWithDist,
    kWithHash,
    kWithCoord,
    kAny,
    kAsc,
    kDesc,
    kCount,
    kStore,      // STORE key / STOREDIST key (GEORADIUS)
    kStoreDist,  // STOREDIST (GEOSEARCHSTORE)
    kFromMember,
    kFromLonLat,
    kByRadius,
    kByBox,
    kSyntax,  // not an option here: the syntax error, and nothing after it matters
  } kind;
  bool dist = false;  // kStore: STOREDIST
  size_t at = 0;
};

// The options from args[base] on, as georadiusGeneric reads them (an option's availability
// depends on the command and on the options before it); stops at the first syntax error.
std::vector<SearchOpt> ReadSearchOptions(ArgList args, size_t base, unsigned flags) {
  std::vector<SearchOpt> out;
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
  const bool search = flags & kSearch, can_store = !(flags & (kNoStore | kSearch));
  for (size_t i = base; i < args.size(); ++i) {
    std::string_view a = args[i];
    size_t left = args.size() - i - 1;  // values that could follow
    auto is = [&](const char* name) { return EqualsIgnoreCase(a, name); };
    SearchOpt o{SearchOpt::kSyntax, false, i + 1};
    if (is("withdist")) {
      o.kind = SearchOpt::kWithDist;
    } else if (is("withhash")) {
      o.kind = SearchOpt::kWithHash;
    } else if (is("withcoord")) {
      o.kind = SearchOpt::kWithCoord;
    } else if (is("any")) {
      o.kind = SearchOpt::kAny;
    } else if (is("asc")) {
      o.kind = SearchOpt::kAsc;
    } else if (is("desc")) {
      o.kind = SearchOpt::kDesc;
    } else if (is("count") && left >= 1) {
      o.kind = SearchOpt::kCount;
      i += 1;
    } else if ((is("store") || is("storedist")) && left >= 1 && can_store) {
      o.kind = SearchOpt::kStore;
      o.dist = is("storedist");
      i += 1;
    } else if (is("storedist") && (flags & kSearchStore)) {
      o.kind = SearchOpt::kStoreDist;
    } else if (is("frommember") && left >= 1 && search && !from_lonlat) {
      o.kind = SearchOpt::kFromMember;
      from_member = true;
      i += 1;
    } else if (is("fromlonlat") && left >= 2 && search && !from_member) {
      o.kind = SearchOpt::kFromLonLat;
      from_lonlat = true;
      i += 2;
    } else if (is("byradius") && left >= 2 && search && !by_box) {
      o.kind = SearchOpt::kByRadius;
      by_radius = true;
      i += 2;
    } else if (is("bybox") && left >= 3 && search && !by_radius) {
      o.kind = SearchOpt::kByBox;
      by_box = true;
      i += 3;
    }
    out.push_back(o);
    if (o.kind == SearchOpt::kSyntax) break;
  }
  return out;
}

// A point found, its member viewing the sorted set's bytes (valid while its key stays locked and
// unchanged).
struct GeoPoint {
  double lon, lat, dist, score;
  std::string_view member;
};

// Appends the points of one cell that lie in the shape, in (score, member) order, stopping once
// `limit` points (0: no limit) are held.
void CollectCell(const ZSet& z, geo::Cell cell, const geo::ShapeFilter& within, size_t limit,
                 std::vector<GeoPoint>* out) {
  double min, max;
  geo::ScoreRangeOf(cell, &min, &max);
  size_t first = z.Count([&](std::string_view, double s) { return s < min; });
  if (first >= z.size()) return;
  z.ForRange(first, z.size() - 1, false, [&](std::string_view m, double s) {
    if (!(s < max)) return false;
    GeoPoint p{};
    if (within(s, &p.lon, &p.lat, &p.dist)) {
      p.score = s;
      p.member = m;
      out->push_back(p);
    }
    return !(limit && out->size() >= limit);
  });
}

// The points of the shape, cell after cell in CellsFor's order. A cell equal to the one visited
// just before it is skipped (huge radii make neighbours coincide), though, as in Redis, the
// comparison starts only after the first neighbour has been visited.
std::vector<GeoPoint> PointsInShape(const ZSet& z, const geo::Shape& shape, size_t limit) {
  geo::SearchCells cells = geo::CellsFor(shape);
  geo::ShapeFilter within(shape);
  std::vector<GeoPoint> out;
  size_t last = 0;
  for (size_t i = 0; i < 9; ++i) {
    const geo::Cell& c = cells.cells[i];
    if (c.none()) continue;
    if (last != 0 && c == cells.cells[last]) continue;
    if (limit && out.size() >= limit) break;
    CollectCell(z, c, within, limit, &out);
    last = i;
  }
  return out;
}

enum class Order : uint8_t { kNone, kAsc, kDesc };

// ---- Ordering by distance, tie for tie as Redis orders ----
//
// Points at equal distances (the same position) come out in the order Redis's sorts leave them,
// so the replies match byte for byte: all of them sorted, Redis calls glibc's qsort, a stable
// top-down merge sort (MergeSort); only the first COUNT wanted, it calls its pqsort, a
// Bentley-McIlroy quicksort that skips the partitions outside the wanted ranks (PartialSort).
// Both use Redis's comparator: -1, 0 or 1 by distance, a NaN comparing as smaller both ways.

int CompareAsc(const GeoPoint& a, const GeoPoint& b) {
  return a.dist > b.dist ? 1 : a.dist == b.dist ? 0 : -1;
}
int CompareDesc(const GeoPoint& a, const GeoPoint& b) { return -CompareAsc(a, b); }
using Compare = int (*)(const GeoPoint&, const GeoPoint&);

void MergeSort(GeoPoint* p, size_t n, GeoPoint* tmp, Compare cmp) {
  if (n <= 1) return;
  size_t n1 = n / 2;
  MergeSort(p, n1, tmp, cmp);
  MergeSort(p + n1, n - n1, tmp, cmp);
  size_t i = 0, j = n1, k = 0;
  while (i < n1 && j < n) tmp[k++] = std::move(cmp(p[i], p[j]) <= 0 ? p[i++] : p[j++]);
  while (i < n1) tmp[k++] = std::move(p[i++]);
  for (size_t x = 0; x < k; ++x) p[x] = std::move(tmp[x]);  // the rest of p[n1..) is in place
}

// Sorts v so that ranks keep_lo..keep_hi hold what a full sort puts there; the partitions that
// hold none of those ranks are left unsorted.
void PartialSort(std::vector<GeoPoint>& v, size_t a, size_t n, size_t keep_lo, size_t keep_hi,
                 Compare cmp) {
  using std::swap;
  auto wanted = [&](size_t start, size_t len) {
    size_t end = start + len;
    return !((keep_lo < start && keep_hi < start) || (keep_lo >= end && keep_hi >= end));
  };
  auto med3 = [&](size_t x, size_t y, size_t z) {
    return cmp(v[x], v[y]) < 0 ? (cmp(v[y], v[z]) < 0 ? y : (cmp(v[x], v[z]) < 0 ? z : x))
                               : (cmp(v[y], v[z]) > 0 ? y : (cmp(v[x], v[z]) < 0 ? x : z));
  };
  auto swap_runs = [&](size_t x, size_t y, size_t len) {
    for (size_t k = 0; k < len; ++k) swap(v[x + k], v[y + k]);
  };
  for (;;) {
    if (n < 7) {  // insertion sort
      for (size_t m = a + 1; m < a + n; ++m)
        for (size_t l = m; l > a && cmp(v[l - 1], v[l]) > 0; --l) swap(v[l], v[l - 1]);
      return;
    }
    // The pivot: the middle, or the median of three (of three medians of three past 40).
    size_t pm = a + n / 2;
    if (n > 7) {
      size_t pl = a, pn = a + n - 1;
      if (n > 40) {
        size_t d = n / 8;
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(v[a], v[pm]);
    // Three-way partition: equal keys gather at both ends ([a, pa) and (pd, end)), then move to
    // the middle.
    size_t pa = a + 1, pb = a + 1, pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      int c;
      while (pb <= pc && (c = cmp(v[pb], v[a])) <= 0) {
        if (c == 0) swap(v[pa++], v[pb]);
        ++pb;
      }
      while (pb <= pc && (c = cmp(v[pc], v[a])) >= 0) {
        if (c == 0) swap(v[pc], v[pd--]);
        --pc;
      }
      if (pb > pc) break;
      swap(v[pb++], v[pc--]);
    }
    size_t end = a + n;
    size_t r = std::min(pa - a, pb - pa);
    swap_runs(a, pb - r, r);
    r = std::min(pd - pc, end - pd - 1);
    swap_runs(pb, end - r, r);
    if ((r = pb - pa) > 1 && wanted(a, r)) PartialSort(v, a, r, keep_lo, keep_hi, cmp);
    if ((r = pd - pc) <= 1) return;
    a = end - r;
    n = r;
    if (!wanted(a, r)) return;
  }
}

void SearchGeneric(CommandContext& ctx, ArgList args, size_t src_at, unsigned flags) {
  size_t base = flags & kFromCoords ? 6 : flags & kFromMember ? 5 : flags & kSearchStore ? 3 : 2;
  std::vector<SearchOpt> opts = ReadSearchOptions(args, base, flags);
  // The destination: GEOSEARCHSTORE's first key, or the last STORE/STOREDIST of GEORADIUS.
  std::string_view dst;
  bool has_dst = false, store_dist = false;
  if (flags & kSearchStore) {
    dst = args[1];
    has_dst = true;
  }
  for (const SearchOpt& o : opts) {
    if (o.kind == SearchOpt::kStore) {
      dst = args[o.at];
      has_dst = true;
    }
  }

  Keyspace& ks = ctx.engine.keyspace();
  KeyRef refs[2] = {KeyRef(args[src_at]), KeyRef(has_dst ? dst : args[src_at])};
  auto guard = ks.LockKeys(std::span<const KeyRef>(refs, has_dst ? 2 : 1));
  const int db = Db(ctx);
  Shard& ss = ks.shard(refs[0]);
  Entry** src = ss.Lookup(db, refs[0], Engine::NowMs(), ks.lru_clock());
  if (src && (*src)->type != ValueType::kZset) return ctx.reply.Error(errors::kWrongType);
  const ZSet* z = src ? &ZOf(*src) : nullptr;
  ReplySink& reply = ctx.reply;

  geo::Shape shape;
  auto member_position = [&](std::string_view member) {
    double score;
    if (!z->Score(member, &score)) {
      reply.Error(kNoMember);
      return false;
    }
    geo::DecodeScore(score, &shape.lon, &shape.lat);
    return true;
  };
  if (flags & kFromCoords) {
    if (!ParseLonLat(reply, args[2], args[3], &shape.lon, &shape.lat)) return;
    if (!ParseRadius(reply, args, 4, &shape)) return;
  } else if ((flags & kFromMember) && z) {
    // Without the key Redis reads neither the member nor the radius.
    if (!member_position(args[2])) return;
    if (!ParseRadius(reply, args, 3, &shape)) return;
  }

  bool withdist = false, withhash = false, withcoord = false, any = false;
  bool from = false, by = false;
  Order order = Order::kNone;
  int64_t count = 0;
  for (const SearchOpt& o : opts) {
    switch (o.kind) {
      case SearchOpt::kWithDist:
        withdist = true;
        break;
      case SearchOpt::kWithHash:
        withhash = true;
        break;
      case SearchOpt::kWithCoord:
        withcoord = true;
        break;
      case SearchOpt::kAny:
        any = true;
        break;
      case SearchOpt::kAsc:
        order = Order::kAsc;
        break;
      case SearchOpt::kDesc:
        order = Order::kDesc;
        break;
      case SearchOpt::kCount:
        if (!String2ll(args[o.at], &count)) return reply.Error(errors::kNotInteger);
        if (count <= 0) return reply.Error(kCountNotPositive);
        break;
      case SearchOpt::kStore:
        store_dist = o.dist;
        break;
      case SearchOpt::kStoreDist:
        store_dist = true;
        break;
      case SearchOpt::kFromMember:
        if (z && !member_position(args[o.at])) return;
        from = true;
        break;
      case SearchOpt::kFromLonLat:
        if (!ParseLonLat(reply, args[o.at], args[o.at + 1], &shape.lon, &shape.lat)) return;
        from = true;
        break;
      case SearchOpt::kByRadius:
        if (!ParseRadius(reply, args, o.at, &shape)) return;
        by = true;
        break;
      case SearchOpt::kByBox:
        if (!ParseBox(reply, args, o.at, &shape)) return;
        by = true;
        break;
      case SearchOpt::kSyntax:
        return reply.Error(errors::kSyntax);
    }
  }
  if (has_dst && (withdist || withhash || withcoord)) {
    return reply.Error(flags & kSearchStore
                           ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and "
                             "WITHCOORD options"
                           : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, "
                             "WITHHASH and WITHCOORD options");
  }
  if ((flags & kSearch) && !from) {
    return reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                       std::string(args[0]));
  }
  if ((flags & kSearch) && !by) {
    return reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                       std::string(args[0]));
  }
  if (any && count == 0) return reply.Error(kAnyWithoutCount);

  Shard& ds = ks.shard(refs[1]);
  auto delete_dst = [&] {
    if (Entry** d = ds.Find(db, refs[1], Engine::NowMs())) {
      ds.Delete(db, d);
      return true;
    }
    return false;
  };
  if (!z) {
    if (!has_dst) return reply.ArrayHeader(0);
    if (delete_dst()) Notify(ctx, kNotifyGeneric, "del", refs[1].key);
    return reply.Integer(0);
  }

  // COUNT without an order means the nearest ones (unless ANY: the first ones found).
  if (count != 0 && order == Order::kNone && !any) order = Order::kAsc;
  std::vector<GeoPoint> points = PointsInShape(*z, shape, any ? size_t(count) : 0);
  size_t n = points.size();
  if (count != 0 && uint64_t(count) < n) n = size_t(count);
  if (order != Order::kNone && !points.empty()) {
    Compare cmp = order == Order::kAsc ? CompareAsc : CompareDesc;
    if (n == points.size()) {
      std::vector<GeoPoint> tmp(points.size());
      MergeSort(points.data(), points.size(), tmp.data(), cmp);
    } else {
      PartialSort(points, 0, points.size(), 0, n - 1, cmp);
    }
  }

  if (!has_dst) {
    size_t extra = size_t(withdist) + size_t(withhash) + size_t(withcoord);
    reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      const GeoPoint& p = points[i];
      if (extra) reply.ArrayHeader(extra + 1);
      reply.Bulk(p.member);
      if (withdist) reply.Bulk(DistanceText(p.dist / shape.to_meters));
      if (withhash) reply.Integer(geo::ScoreAsInt(p.score));
      if (withcoord) ReplyPosition(reply, p.lon, p.lat);
    }
    return;
  }

  // Stored as a new sorted set (replacing whatever dst held), a listpack if it fits. It is built
  // first: the points view the source, which may be the destination.
  ZSet* out = nullptr;
  if (n > 0) {
    size_t longest = 0;
    for (size_t i = 0; i < n; ++i) longest = std::max(longest, points[i].member.size());
    bool fits = n <= ZSet::max_entries() && longest <= ZSet::max_value();
    out = new ZSet(fits ? 0 : SIZE_MAX, 0);
    for (size_t i = 0; i < n; ++i) {
      const GeoPoint& p = points[i];
      double unused;
      if (out->Score(p.member, &unused)) continue;  // a member seen in two cells: once
      out->Insert(p.member, store_dist ? p.dist / shape.to_meters : p.score);
    }
  }
  bool deleted = delete_dst();
  if (out) {
    OverwriteScope overwrite(deleted);
    ds.Insert(db, NewObjectEntry(refs[1].key, refs[1].hash, ValueType::kZset, out));
    Notify(ctx, kNotifyZset, flags & kSearchStore ? "geosearchstore" : "georadiusstore",
           refs[1].key);
  } else if (deleted) {
    Notify(ctx, kNotifyGeneric, "del", refs[1].key);
  }
  reply.Integer(int64_t(n));
}

// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
//   [COUNT count [ANY]] [ASC|DESC] [STORE key|STOREDIST key]
void CmdGeoRadius(CommandContext& ctx, ArgList args) { SearchGeneric(ctx, args, 1, kFromCoords); }
void CmdGeoRadiusRo(CommandContext& ctx, ArgList args) {
  SearchGeneric(ctx, args, 1, kFromCoords | kNoStore);
}
// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
void CmdGeoRadiusByMember(CommandContext& ctx, ArgList args) {
  SearchGeneric(ctx, args, 1, kFromMember);
}
void CmdGeoRadiusByMemberRo(CommandContext& ctx, ArgList args) {
  SearchGeneric(ctx, args, 1, kFromMember | kNoStore);
}
// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude
//   BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
//   [WITHCOORD] [WITHDIST] [WITHHASH]
void CmdGeoSearch(CommandContext& ctx, ArgList args) { SearchGeneric(ctx, args, 1, kSearch); }
// GEOSEARCHSTORE destination source FROMMEMBER ...|FROMLONLAT ... BYRADIUS ...|BYBOX ...
//   [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
void CmdGeoSearchStore(CommandContext& ctx, ArgList args) {
  SearchGeneric(ctx, args, 2, kSearch | kSearchStore);
}

}  // namespace

void RegisterGeoFamily(CommandRegistry& r) {
  constexpr uint32_t kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly, kMK = kCmdMovableKeys;
  r.Register(CommandSpec("geoadd", -5, kWD, 1, 1, 1, CmdGeoAdd));
  r.Register(CommandSpec("geopos", -2, kRO, 1, 1, 1, CmdGeoPos));
  r.Register(CommandSpec("geohash", -2, kRO, 1, 1, 1, CmdGeoHash));
  r.Register(CommandSpec("geodist", -4, kRO, 1, 1, 1, CmdGeoDist));
  // GEORADIUS's STORE key is found by the handler (Redis's getkeys procedure); pinning and cold
  // reads need only the source, since a destination is overwritten unread.
  r.Register(CommandSpec("georadius", -6, kWD | kMK, 1, 1, 1, CmdGeoRadius));
  r.Register(CommandSpec("georadius_ro", -6, kRO, 1, 1, 1, CmdGeoRadiusRo));
  r.Register(CommandSpec("georadiusbymember", -5, kWD | kMK, 1, 1, 1, CmdGeoRadiusByMember));
  r.Register(CommandSpec("georadiusbymember_ro", -5, kRO, 1, 1, 1, CmdGeoRadiusByMemberRo));
  r.Register(CommandSpec("geosearch", -7, kRO, 1, 1, 1, CmdGeoSearch));
  r.Register(CommandSpec("geosearchstore", -8, kWD, 1, 2, 1, CmdGeoSearchStore));
}

}  // namespace aegisr
