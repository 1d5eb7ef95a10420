// The sorted-set command family, Redis 7.0 semantics (t_zset.c): ZADD ZINCRBY ZREM ZSCORE ZMSCORE
// ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK ZPOPMIN ZPOPMAX ZRANGE ZRANGESTORE ZREVRANGE
// ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX ZREMRANGEBYRANK/BYSCORE/BYLEX ZUNION
// ZINTER ZDIFF (and their STORE forms) ZINTERCARD ZMPOP ZRANDMEMBER ZSCAN, and the blocking
// BZPOPMIN BZPOPMAX BZMPOP (engine/blocking.h). A sorted set is a ZSet
// (engine/types/zset.h) owned by its entry; an empty one is never stored. As in the list family,
// arguments are checked in Redis's order and every change goes through Shard::Update.

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/glob.h"
#include "base/numbers.h"
#include "base/varint.h"
#include "engine/blocking.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/key_errors.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/set_value.h"
#include "engine/types/zset.h"

namespace aegisr {
namespace {

constexpr std::string_view kNotFloatRange = "ERR min or max is not a float";
constexpr std::string_view kNotLexRange = "ERR min or max not valid string range item";
constexpr std::string_view kNan = "ERR resulting score is not a number (NaN)";

const ZSet& ZOf(const Entry* e) { return ObjectOf<ZSet>(e); }
ZSet& MutableZ(Entry* e) { return MutableObject<ZSet>(e); }

// ---- The value type's ObjectOps ----

// Codec: [encoding byte: 0 listpack, 1 skiplist][varint count] then per element [varint
// length][bytes][8-byte score], in order.
void EncodeZSet(const void* obj, std::string* out) {
  const auto& z = *static_cast<const ZSet*>(obj);
  out->push_back(z.is_listpack() ? 0 : 1);
  AppendVarint(out, z.size());
  if (z.empty()) return;
  z.ForRange(0, z.size() - 1, false, [&](std::string_view m, double s) {
    AppendVarint(out, m.size());
    out->append(m);
    out->append(reinterpret_cast<const char*>(&s), 8);
    return true;
  });
}

void* DecodeZSet(std::string_view payload) {
  if (payload.empty() || uint8_t(payload[0]) > 1) return nullptr;
  bool listpack = payload[0] == 0;
  size_t pos = 1;
  uint64_t n;
  if (!ReadVarint(payload, &pos, &n) || n == 0) return nullptr;
  auto z = std::make_unique<ZSet>(listpack ? 0 : SIZE_MAX, 0);
  if (!listpack && z->is_listpack()) return nullptr;
  double prev_s = 0;
  std::string prev_m;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    if (!ReadVarint(payload, &pos, &len) || len > payload.size() - pos ||
        payload.size() - pos - len < 8)
      return nullptr;
    std::string_view m = payload.substr(pos, len);
    double s;
    std::memcpy(&s, payload.data() + pos + len, 8);
    pos += len + 8;
    if (std::isnan(s)) return nullptr;
    // Strictly increasing (score, member): no duplicates, no disorder.
    if (i > 0 && !(prev_s < s || (prev_s == s && prev_m < m))) return nullptr;
    prev_s = s;
    prev_m.assign(m);
    z->Insert(m, s);
  }
  if (pos != payload.size() || (listpack && !z->is_listpack())) return nullptr;
  return z.release();
}

const ObjectOps kZSetOps = {
    [](void* obj) { delete static_cast<ZSet*>(obj); },
    [](const void* obj) -> void* { return new ZSet(*static_cast<const ZSet*>(obj)); },
    [](const void* obj) { return sizeof(ZSet) + static_cast<const ZSet*>(obj)->MemoryBytes(); },
    EncodeZSet,
    DecodeZSet,
    [](const void* obj) { return static_cast<const ZSet*>(obj)->allocations(); },
};

// SORT's input: the members in rank order.
void SortElements(const Entry& e, std::vector<std::string>* out) {
  const ZSet& z = ZOf(&e);
  out->reserve(z.size());
  if (!z.empty()) {
    z.ForRange(0, z.size() - 1, false, [&](std::string_view m, double) {
      out->emplace_back(m);
      return true;
    });
  }
}

std::string_view ZSetEncodingName(const Entry& e) {
  return ZOf(&e).is_listpack() ? "listpack" : "skiplist";
}

// ---- Argument parsing ----

bool ParseLong(std::string_view s, int64_t* v) { return String2ll(s, v); }

// strtod over the whole text, NaN refused: Redis's zslParseRange for one end.
bool ParseStrtod(std::string_view s, double* v) {
  std::string buf(s);
  char* end;
  *v = std::strtod(buf.c_str(), &end);
  return *end == '\0' && !std::isnan(*v) && end - buf.c_str() == ptrdiff_t(buf.size());
}

struct ScoreRange {
  double min, max;
  bool minex = false, maxex = false;
  bool GteMin(double s) const { return minex ? s > min : s >= min; }
  bool LteMax(double s) const { return maxex ? s < max : s <= max; }
};

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  auto one = [](std::string_view s, double* v, bool* ex) {
    if (!s.empty() && s[0] == '(') {
      *ex = true;
      s.remove_prefix(1);
    }
    return ParseStrtod(s, v);
  };
  return one(min, &r->min, &r->minex) && one(max, &r->max, &r->maxex);
}

// A lex range end: kind -1 is "-", +1 is "+", 0 a member (inclusive unless ex).
struct LexEnd {
  int kind = 0;
  bool ex = false;
  std::string_view v;
};
struct LexRange {
  LexEnd min, max;
  static int Cmp(std::string_view m, const LexEnd& e) {  // m against the end
    if (e.kind != 0) return -e.kind;
    return m < e.v ? -1 : m == e.v ? 0 : 1;
  }
  bool GteMin(std::string_view m) const {
    int c = Cmp(m, min);
    return min.ex ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view m) const {
    int c = Cmp(m, max);
    return max.ex ? c < 0 : c <= 0;
  }
};

bool ParseLexEnd(std::string_view s, LexEnd* e) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      if (s.size() != 1) return false;
      e->kind = s[0] == '+' ? 1 : -1;
      e->ex = true;
      return true;
    case '(':
    case '[':
      e->ex = s[0] == '(';
      e->v = s.substr(1);
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexEnd(min, &r->min) && ParseLexEnd(max, &r->max);
}

// Ranks [*first, *end) of the elements in a score range.
void ScoreRanks(const ZSet& z, const ScoreRange& r, size_t* first, size_t* end) {
  *first = z.Count([&](std::string_view, double s) { return !r.GteMin(s); });
  *end = z.Count([&](std::string_view, double s) { return !r.GteMin(s) || r.LteMax(s); });
  if (*end < *first) *end = *first;
}

void LexRanks(const ZSet& z, const LexRange& r, size_t* first, size_t* end) {
  *first = z.Count([&](std::string_view m, double) { return !r.GteMin(m); });
  *end = z.Count([&](std::string_view m, double) { return !r.GteMin(m) || r.LteMax(m); });
  if (*end < *first) *end = *first;
}

// Clamps [start, stop] (negative from the end) to len; false if empty.
bool ClampRange(int64_t start, int64_t stop, size_t len, size_t* first, size_t* last) {
  auto n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *first = size_t(start);
  *last = size_t(stop);
  return true;
}

// One sorted-set key of a command, found under its shard's lock.
struct ZKey : TypedKey {
  ZKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kZset, read) {}
  const ZSet& z() const { return ZOf(*link); }
};

struct Member {
  std::string member;
  double score;
};

// Writes pairs as Redis's range replies do: RESP2 a flat array (scores as bulk strings), RESP3
// an array of [member, score] arrays; without scores, an array of members.
void ReplyMembers(ReplySink& reply, const std::vector<Member>& v, bool withscores) {
  bool nested = withscores && reply.protocol() > 2;
  reply.ArrayHeader(withscores && !nested ? v.size() * 2 : v.size());
  for (const Member& m : v) {
    if (nested) reply.ArrayHeader(2);
    reply.Bulk(m.member);
    if (withscores) reply.Double(m.score);
  }
}

// Creates the sorted set at key.link if absent (Insert + Find), returning the link.
Entry** CreateZ(Shard& s, int db, const KeyRef& k, ZSet* z) {
  s.Insert(db, NewObjectEntry(k.key, k.hash, ValueType::kZset, z));
  return s.Find(db, k, Engine::NowMs());
}

// Replaces whatever is at k by a new sorted set of `members` (deletes k if empty): the STORE
// commands' destination.
// size_hint picks the starting encoding as ZSet's constructor does; later inserts may convert.
// Raises `event` on k (or "del" when an existing k is removed by an empty result).
void StoreZ(CommandContext& ctx, int db, const KeyRef& k, const std::vector<Member>& members,
            size_t size_hint, std::string_view event) {
  Shard& s = ctx.engine.keyspace().shard(k);
  bool existed = false;
  if (Entry** link = s.Find(db, k, Engine::NowMs())) {
    s.Delete(db, link);
    existed = true;
  }
  if (members.empty()) {
    if (existed) Notify(ctx, kNotifyGeneric, "del", k.key);
    return;
  }
  auto* z = new ZSet(size_hint, 0);
  for (const Member& m : members) z->Insert(m.member, m.score);
  OverwriteScope overwrite(existed);
  CreateZ(s, db, k, z);
  Notify(ctx, kNotifyZset, event, k.key);
}

// ---- ZADD / ZINCRBY ----

enum ZAddFlag : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8, kCh = 16, kIncr = 32 };

void ZAddGeneric(CommandContext& ctx, ArgList args, unsigned flags) {
  size_t idx = 2;
  for (; idx < args.size(); ++idx) {
    std::string_view o = args[idx];
    if (EqualsIgnoreCase(o, "nx"))
      flags |= kNx;
    else if (EqualsIgnoreCase(o, "xx"))
      flags |= kXx;
    else if (EqualsIgnoreCase(o, "ch"))
      flags |= kCh;
    else if (EqualsIgnoreCase(o, "incr"))
      flags |= kIncr;
    else if (EqualsIgnoreCase(o, "gt"))
      flags |= kGt;
    else if (EqualsIgnoreCase(o, "lt"))
      flags |= kLt;
    else
      break;
  }
  size_t elements = args.size() - idx;
  if (elements % 2 || elements == 0) return ctx.reply.Error(errors::kSyntax);
  elements /= 2;
  bool nx = flags & kNx, xx = flags & kXx, gt = flags & kGt, lt = flags & kLt, incr = flags & kIncr;
  if (nx && xx) return ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt))
    return ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  if (incr && elements > 1)
    return ctx.reply.Error("ERR INCR option supports a single increment-element pair");
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    if (!String2d(args[idx + j * 2], &scores[j])) return ctx.reply.Error(errors::kNotFloat);
  }
  ZKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Entry** link = key.link;
  double score = 0;
  int64_t added = 0, updated = 0, processed = 0;
  bool nan = false;
  if (!link) {
    if (xx) return incr ? ctx.reply.Null() : ctx.reply.Integer(0);
    link = CreateZ(key.s, key.db, key.k, new ZSet(0, args[idx + 1].size()));
  }
  key.s.Update(
      key.db, link,
      [&](Entry* e) {
        ZSet& z = MutableZ(e);
        for (size_t j = 0; j < elements; ++j) {
          std::string_view m = args[idx + j * 2 + 1];
          score = scores[j];
          double cur;
          if (z.Score(m, &cur)) {
            if (nx) continue;
            if (incr) {
              score += cur;
              if (std::isnan(score)) {
                nan = true;
                break;
              }
            }
            if ((lt && score >= cur) || (gt && score <= cur)) continue;
            ++processed;
            if (score != cur) {
              z.Erase(m);
              z.Insert(m, score);
              ++updated;
            }
          } else if (!xx) {
            z.Insert(m, score);
            ++added;
            ++processed;
          }
        }
        return e;
      },
      /*touch_watch=*/false);
  if (added || updated) key.s.SignalModified(key.db, args[1]);
  if (ZOf(*link).empty()) key.s.Delete(key.db, link);
  if (added || updated) Notify(ctx, kNotifyZset, incr ? "zincr" : "zadd", args[1]);
  if (nan) return ctx.reply.Error(kNan);
  if (incr) return processed ? ctx.reply.Double(score) : ctx.reply.Null();
  ctx.reply.Integer(flags & kCh ? added + updated : added);
}

void CmdZAdd(CommandContext& ctx, ArgList args) { ZAddGeneric(ctx, args, 0); }
void CmdZIncrBy(CommandContext& ctx, ArgList args) { ZAddGeneric(ctx, args, kIncr); }

// ZREM key member [member ...]
void CmdZRem(CommandContext& ctx, ArgList args) {
  ZKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  int64_t deleted = 0;
  key.s.Update(
      key.db, key.link,
      [&](Entry* e) {
        ZSet& z = MutableZ(e);
        for (size_t i = 2; i < args.size() && !z.empty(); ++i) deleted += z.Erase(args[i]);
        return e;
      },
      /*touch_watch=*/false);
  if (deleted) key.s.SignalModified(key.db, args[1]);
  bool emptied = ZOf(*key.link).empty();
  if (emptied) key.s.Delete(key.db, key.link);
  if (deleted) Notify(ctx, kNotifyZset, "zrem", args[1]);
  if (emptied) Notify(ctx, kNotifyGeneric, "del", args[1]);
  ctx.reply.Integer(deleted);
}

// ---- Reads of one key ----

void CmdZCard(CommandContext& ctx, ArgList args) {
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link ? int64_t(key.z().size()) : 0);
}

void CmdZScore(CommandContext& ctx, ArgList args) {
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  double s;
  if (!key.link || !key.z().Score(args[2], &s)) return ctx.reply.Null();
  ctx.reply.Double(s);
}

void CmdZMScore(CommandContext& ctx, ArgList args) {
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    double s;
    if (key.link && key.z().Score(args[i], &s))
      ctx.reply.Double(s);
    else
      ctx.reply.Null();
  }
}

void Rank(CommandContext& ctx, ArgList args, bool reverse) {
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  double s;
  if (!key.link || !key.z().Score(args[2], &s)) return ctx.reply.Null();
  size_t r = key.z().RankOf(args[2], s);
  ctx.reply.Integer(int64_t(reverse ? key.z().size() - 1 - r : r));
}
void CmdZRank(CommandContext& ctx, ArgList args) { Rank(ctx, args, false); }
void CmdZRevRank(CommandContext& ctx, ArgList args) { Rank(ctx, args, true); }

void CmdZCount(CommandContext& ctx, ArgList args) {
  ScoreRange r;
  if (!ParseScoreRange(args[2], args[3], &r)) return ctx.reply.Error(kNotFloatRange);
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  size_t first, end;
  ScoreRanks(key.z(), r, &first, &end);
  ctx.reply.Integer(int64_t(end - first));
}

void CmdZLexCount(CommandContext& ctx, ArgList args) {
  LexRange r;
  if (!ParseLexRange(args[2], args[3], &r)) return ctx.reply.Error(kNotLexRange);
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  size_t first, end;
  LexRanks(key.z(), r, &first, &end);
  ctx.reply.Integer(int64_t(end - first));
}

// ---- ZRANGE and its forms ----

enum class RangeType : uint8_t { kAuto, kRank, kScore, kLex };
enum class Dir : uint8_t { kAuto, kForward, kReverse };

// The elements a range selects, in reply order. Returns false after replying an error.
struct RangeQuery {
  RangeType type = RangeType::kAuto;
  Dir dir = Dir::kAuto;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  int64_t start = 0, stop = 0;
  ScoreRange score;
  LexRange lex;
};

std::vector<Member> RunRange(const ZSet& z, const RangeQuery& q) {
  std::vector<Member> out;
  bool rev = q.dir == Dir::kReverse;
  size_t first, last;
  if (q.type == RangeType::kRank) {
    if (!ClampRange(q.start, q.stop, z.size(), &first, &last)) return out;
    if (rev) {  // ranks counted from the top
      size_t f = z.size() - 1 - last, l = z.size() - 1 - first;
      first = f;
      last = l;
    }
  } else {
    if (q.offset > 0 && uint64_t(q.offset) >= z.size()) return out;
    if (q.offset < 0) return out;
    size_t end;
    if (q.type == RangeType::kScore)
      ScoreRanks(z, q.score, &first, &end);
    else
      LexRanks(z, q.lex, &first, &end);
    if (end <= first) return out;
    last = end - 1;
    size_t n = last - first + 1;
    if (uint64_t(q.offset) >= n) return out;
    n -= size_t(q.offset);
    if (q.limit >= 0) n = std::min<uint64_t>(n, uint64_t(q.limit));
    if (n == 0) return out;
    if (rev) {
      last -= size_t(q.offset);
      first = last + 1 - n;
    } else {
      first += size_t(q.offset);
      last = first + n - 1;
    }
  }
  out.reserve(last - first + 1);
  z.ForRange(first, last, rev, [&](std::string_view m, double s) {
    out.push_back({std::string(m), s});
    return true;
  });
  return out;
}

// ZRANGE-family parsing from args[src] (key, min, max, options), as zrangeGenericCommand.
bool ParseRange(ReplySink& reply, ArgList args, size_t src, bool store, RangeQuery* q) {
  for (size_t j = src + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    if (!store && EqualsIgnoreCase(args[j], "withscores")) {
      q->withscores = true;
    } else if (EqualsIgnoreCase(args[j], "limit") && left >= 2) {
      if (!ParseLong(args[j + 1], &q->offset) || !ParseLong(args[j + 2], &q->limit)) {
        reply.Error(errors::kNotInteger);
        return false;
      }
      j += 2;
    } else if (q->dir == Dir::kAuto && EqualsIgnoreCase(args[j], "rev")) {
      q->dir = Dir::kReverse;
    } else if (q->type == RangeType::kAuto && EqualsIgnoreCase(args[j], "bylex")) {
      q->type = RangeType::kLex;
    } else if (q->type == RangeType::kAuto && EqualsIgnoreCase(args[j], "byscore")) {
      q->type = RangeType::kScore;
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (q->dir == Dir::kAuto) q->dir = Dir::kForward;
  if (q->type == RangeType::kAuto) q->type = RangeType::kRank;
  if (q->limit != -1 && q->type == RangeType::kRank) {
    reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (q->withscores && q->type == RangeType::kLex) {
    reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  std::string_view min = args[src + 1], max = args[src + 2];
  if (q->dir == Dir::kReverse && q->type != RangeType::kRank) std::swap(min, max);
  switch (q->type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!ParseLong(min, &q->start) || !ParseLong(max, &q->stop)) {
        reply.Error(errors::kNotInteger);
        return false;
      }
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(min, max, &q->score)) {
        reply.Error(kNotFloatRange);
        return false;
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(min, max, &q->lex)) {
        reply.Error(kNotLexRange);
        return false;
      }
      break;
  }
  return true;
}

void RangeCommand(CommandContext& ctx, ArgList args, RangeType type, Dir dir) {
  RangeQuery q;
  q.type = type;
  q.dir = dir;
  if (!ParseRange(ctx.reply, args, 1, false, &q)) return;
  ZKey key(ctx, args[1], true);
  if (!key.link && !key.wrong_type) return ctx.reply.ArrayHeader(0);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ReplyMembers(ctx.reply, RunRange(key.z(), q), q.withscores);
}

void CmdZRange(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kAuto, Dir::kAuto);
}
void CmdZRevRange(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kRank, Dir::kReverse);
}
void CmdZRangeByScore(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kScore, Dir::kForward);
}
void CmdZRevRangeByScore(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kScore, Dir::kReverse);
}
void CmdZRangeByLex(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kLex, Dir::kForward);
}
void CmdZRevRangeByLex(CommandContext& ctx, ArgList args) {
  RangeCommand(ctx, args, RangeType::kLex, Dir::kReverse);
}

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
void CmdZRangeStore(CommandContext& ctx, ArgList args) {
  RangeQuery q;
  if (!ParseRange(ctx.reply, args, 2, true, &q)) return;
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef refs[2] = {KeyRef(args[1]), KeyRef(args[2])};
  auto guard = ks.LockKeys(refs);
  int db = Db(ctx);
  Shard& ss = ks.shard(refs[1]);
  Entry** src = ss.Lookup(db, refs[1], Engine::NowMs(), ks.lru_clock());
  if (src && (*src)->type != ValueType::kZset) return ctx.reply.Error(errors::kWrongType);
  std::vector<Member> v;
  if (src) v = RunRange(ZOf(*src), q);
  // As Redis: a rank range of known length picks the encoding up front; a score or lex range
  // starts as a listpack and converts as it grows.
  StoreZ(ctx, db, refs[0], v, q.type == RangeType::kRank ? v.size() : 0, "zrangestore");
  ctx.reply.Integer(int64_t(v.size()));
}

// ---- Removals by range ----

void RemRange(CommandContext& ctx, ArgList args, RangeType type) {
  int64_t start = 0, stop = 0;
  ScoreRange sr;
  LexRange lr;
  if (type == RangeType::kRank) {
    if (!ParseLong(args[2], &start) || !ParseLong(args[3], &stop))
      return ctx.reply.Error(errors::kNotInteger);
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRange(args[2], args[3], &sr)) return ctx.reply.Error(kNotFloatRange);
  } else if (!ParseLexRange(args[2], args[3], &lr)) {
    return ctx.reply.Error(kNotLexRange);
  }
  ZKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  const ZSet& z = key.z();
  size_t first, end;
  if (type == RangeType::kRank) {
    size_t last;
    if (!ClampRange(start, stop, z.size(), &first, &last)) return ctx.reply.Integer(0);
    end = last + 1;
  } else if (type == RangeType::kScore) {
    ScoreRanks(z, sr, &first, &end);
  } else {
    LexRanks(z, lr, &first, &end);
  }
  if (end <= first) return ctx.reply.Integer(0);
  key.s.Update(key.db, key.link, [&](Entry* e) {
    MutableZ(e).EraseRange(first, end - 1);
    return e;
  });
  bool emptied = ZOf(*key.link).empty();
  if (emptied) key.s.Delete(key.db, key.link);
  Notify(ctx, kNotifyZset,
         type == RangeType::kRank    ? "zremrangebyrank"
         : type == RangeType::kScore ? "zremrangebyscore"
                                     : "zremrangebylex",
         args[1]);
  if (emptied) Notify(ctx, kNotifyGeneric, "del", args[1]);
  ctx.reply.Integer(int64_t(end - first));
}

void CmdZRemRangeByRank(CommandContext& ctx, ArgList args) {
  RemRange(ctx, args, RangeType::kRank);
}
void CmdZRemRangeByScore(CommandContext& ctx, ArgList args) {
  RemRange(ctx, args, RangeType::kScore);
}
void CmdZRemRangeByLex(CommandContext& ctx, ArgList args) { RemRange(ctx, args, RangeType::kLex); }

// ---- Pops ----

// Pops up to count elements from the low (max=false) or high end; deletes the key if emptied.
// Raises zpopmin/zpopmax and del on key as Redis does.
std::vector<Member> PopFrom(Engine& engine, std::string_view key, Shard& s, int db, Entry** link,
                            bool max, size_t count) {
  std::vector<Member> out;
  s.Update(db, link, [&](Entry* e) {
    ZSet& z = MutableZ(e);
    size_t n = std::min(count, z.size());
    size_t first = max ? z.size() - n : 0, last = max ? z.size() - 1 : n - 1;
    z.ForRange(first, last, max, [&](std::string_view m, double sc) {
      out.push_back({std::string(m), sc});
      return true;
    });
    z.EraseRange(first, last);
    return e;
  });
  bool emptied = ZOf(*link).empty();
  if (emptied) s.Delete(db, link);
  Notify(engine, kNotifyZset, max ? "zpopmax" : "zpopmin", key, db);
  if (emptied) Notify(engine, kNotifyGeneric, "del", key, db);
  return out;
}

// ZPOPMIN/ZPOPMAX key [count]
void Pop(CommandContext& ctx, ArgList args, bool max) {
  if (args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  int64_t count = -1;
  if (args.size() == 3 && (!ParseLong(args[2], &count) || count < 0))
    return ctx.reply.Error(errors::kMustBePositive);
  ZKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link || count == 0) return ctx.reply.ArrayHeader(0);
  bool nested = ctx.reply.protocol() > 2 && count != -1;
  auto v =
      PopFrom(ctx.engine, args[1], key.s, key.db, key.link, max, count == -1 ? 1 : size_t(count));
  if (nested) return ReplyMembers(ctx.reply, v, true);
  ctx.reply.ArrayHeader(v.size() * 2);
  for (const Member& m : v) {
    ctx.reply.Bulk(m.member);
    ctx.reply.Double(m.score);
  }
}
void CmdZPopMin(CommandContext& ctx, ArgList args) { Pop(ctx, args, false); }
void CmdZPopMax(CommandContext& ctx, ArgList args) { Pop(ctx, args, true); }

// The arguments of ZMPOP and BZMPOP from the numkeys argument at args[first]: numkeys key
// [key ...] MIN|MAX [COUNT count]. Replies the error and returns false if they are wrong.
struct MPopArgs {
  std::vector<KeyRef> keys;
  bool max = false;
  int64_t count = 1;
};
bool ParseMPop(ReplySink& reply, ArgList args, size_t first, MPopArgs* out) {
  int64_t numkeys;
  if (!ParseLong(args[first], &numkeys) || numkeys < 1) {
    reply.Error(errors::kNumkeys);
    return false;
  }
  if (uint64_t(numkeys) + first + 1 >= args.size()) {
    reply.Error(errors::kSyntax);
    return false;
  }
  size_t where_at = first + 1 + size_t(numkeys);
  if (EqualsIgnoreCase(args[where_at], "min")) {
    out->max = false;
  } else if (EqualsIgnoreCase(args[where_at], "max")) {
    out->max = true;
  } else {
    reply.Error(errors::kSyntax);
    return false;
  }
  int64_t count = -1;
  for (size_t j = where_at + 1; j < args.size(); ++j) {
    if (count == -1 && EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      if (!ParseLong(args[++j], &count) || count < 1) {
        reply.Error(errors::kCountPositive);
        return false;
      }
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  out->count = count == -1 ? 1 : count;
  for (size_t i = first + 1; i < where_at; ++i) out->keys.emplace_back(args[i]);
  return true;
}

// ZMPOP and BZMPOP's reply: [key, [[member, score], ...]].
void ReplyKeyMembers(ReplySink& reply, std::string_view key, const std::vector<Member>& v) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  reply.ArrayHeader(v.size());
  for (const Member& m : v) {
    reply.ArrayHeader(2);
    reply.Bulk(m.member);
    reply.Double(m.score);
  }
}

// Pops up to count elements from the first of keys that holds a sorted set (PopFromFirstKey).
FirstResult PopFirst(Engine& engine, int db, std::span<const KeyRef> keys, bool max, size_t count,
                     const KeyRef** from, std::vector<Member>* out) {
  return PopFromFirstKey(engine.keyspace(), db, keys, ValueType::kZset,
                         [&](Shard& s, Entry** link, const KeyRef& k) {
                           *out = PopFrom(engine, k.key, s, db, link, max, count);
                           *from = &k;
                         });
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
void CmdZMPop(CommandContext& ctx, ArgList args) {
  MPopArgs a;
  if (!ParseMPop(ctx.reply, args, 1, &a)) return;
  Keyspace& ks = ctx.engine.keyspace();
  auto guard = ks.LockKeys(a.keys);
  const KeyRef* from = nullptr;
  std::vector<Member> v;
  switch (PopFirst(ctx.engine, Db(ctx), a.keys, a.max, size_t(a.count), &from, &v)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kAllEmpty:
      return ctx.reply.NullArray();
    case FirstResult::kPopped:
      return ReplyKeyMembers(ctx.reply, from->key, v);
  }
}

// ---- Blocking pops (engine/blocking.h), as the list family's BLPOP and BLMPOP ----
//
// A served client's result is [key, member, score bytes, member, score bytes, ...], the scores
// as their 8 raw bytes.

void ServeBZPop(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  Shard& s = engine.keyspace().shard(k);
  Entry** link = s.Find(bc.db, k, Engine::NowMs());
  bc.result.emplace_back(k.key);
  for (const Member& m : PopFrom(engine, k.key, s, bc.db, link, bc.from != 0, size_t(bc.count))) {
    bc.result.push_back(m.member);
    bc.result.emplace_back(reinterpret_cast<const char*>(&m.score), 8);
  }
}

std::vector<Member> ResultMembers(const BlockedClient& bc) {
  std::vector<Member> v;
  for (size_t i = 1; i + 1 < bc.result.size(); i += 2) {
    double sc;
    std::memcpy(&sc, bc.result[i + 1].data(), 8);
    v.push_back({bc.result[i], sc});
  }
  return v;
}

// BZPOPMIN/BZPOPMAX: [key, member, score].
void ReplyBZPop(const BlockedClient& bc, ReplySink& reply) {
  auto v = ResultMembers(bc);
  reply.ArrayHeader(3);
  reply.Bulk(bc.result[0]);
  reply.Bulk(v[0].member);
  reply.Double(v[0].score);
}
void ReplyBZMPop(const BlockedClient& bc, ReplySink& reply) {
  ReplyKeyMembers(reply, bc.result[0], ResultMembers(bc));
}
// Both time out with a null array (Redis 7.0's replyToBlockedClientTimedOut).
void BlockOn(CommandContext& ctx, ArgList args, std::span<const KeyRef> keys, int64_t deadline_ms,
             std::shared_ptr<BlockedClient> bc) {
  bc->type = ValueType::kZset;
  for (const KeyRef& k : keys) {
    if (std::find(bc->keys.begin(), bc->keys.end(), k.key) == bc->keys.end())
      bc->keys.emplace_back(k.key);
  }
  bc->deadline_ms = deadline_ms;
  BlockClient(ctx, args, std::move(bc));
}

// BZPOPMIN/BZPOPMAX key [key ...] timeout
void BlockingPop(CommandContext& ctx, ArgList args, bool max) {
  int64_t deadline;
  if (auto err = Blocking::ParseTimeout(args.back(), Engine::NowMs(), &deadline); !err.empty())
    return ctx.reply.Error(err);
  Keyspace& ks = ctx.engine.keyspace();
  std::vector<KeyRef> keys;
  for (size_t i = 1; i + 1 < args.size(); ++i) keys.emplace_back(args[i]);
  auto guard = ks.LockKeys(keys);
  const KeyRef* from = nullptr;
  std::vector<Member> v;
  switch (PopFirst(ctx.engine, Db(ctx), keys, max, 1, &from, &v)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kPopped:
      ctx.reply.ArrayHeader(3);
      ctx.reply.Bulk(from->key);
      ctx.reply.Bulk(v[0].member);
      return ctx.reply.Double(v[0].score);
    case FirstResult::kAllEmpty:
      break;
  }
  auto bc = std::make_shared<BlockedClient>();
  bc->from = max ? 1 : 0;
  bc->count = 1;
  bc->serve = ServeBZPop;
  bc->reply = ReplyBZPop;
  bc->timeout_reply = ReplyNullArray;
  BlockOn(ctx, args, keys, deadline, std::move(bc));
}
void CmdBZPopMin(CommandContext& ctx, ArgList args) { BlockingPop(ctx, args, false); }
void CmdBZPopMax(CommandContext& ctx, ArgList args) { BlockingPop(ctx, args, true); }

// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the timeout is checked after the
// other arguments, as in Redis.
void CmdBZMPop(CommandContext& ctx, ArgList args) {
  MPopArgs a;
  if (!ParseMPop(ctx.reply, args, 2, &a)) return;
  int64_t deadline;
  if (auto err = Blocking::ParseTimeout(args[1], Engine::NowMs(), &deadline); !err.empty())
    return ctx.reply.Error(err);
  Keyspace& ks = ctx.engine.keyspace();
  auto guard = ks.LockKeys(a.keys);
  const KeyRef* from = nullptr;
  std::vector<Member> v;
  switch (PopFirst(ctx.engine, Db(ctx), a.keys, a.max, size_t(a.count), &from, &v)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kPopped:
      return ReplyKeyMembers(ctx.reply, from->key, v);
    case FirstResult::kAllEmpty:
      break;
  }
  auto bc = std::make_shared<BlockedClient>();
  bc->from = a.max ? 1 : 0;
  bc->count = a.count;
  bc->serve = ServeBZPop;
  bc->reply = ReplyBZMPop;
  bc->timeout_reply = ReplyNullArray;
  BlockOn(ctx, args, a.keys, deadline, std::move(bc));
}

// ---- ZRANDMEMBER ----

void CmdZRandMember(CommandContext& ctx, ArgList args) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (args.size() == 2) {
    ZKey key(ctx, args[1], true);
    if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
    if (!key.link) return ctx.reply.Null();
    size_t r = rng() % key.z().size();
    return key.z().ForRange(r, r, false, [&](std::string_view m, double) {
      ctx.reply.Bulk(m);
      return false;
    });
  }
  int64_t l;
  if (!ParseLong(args[2], &l)) return ctx.reply.Error(errors::kNotInteger);
  if (l == INT64_MIN)
    return ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  bool withscores = false;
  if (args.size() > 4 || (args.size() == 4 && !EqualsIgnoreCase(args[3], "withscores")))
    return ctx.reply.Error(errors::kSyntax);
  if (args.size() == 4) {
    withscores = true;
    if (l < -INT64_MAX / 2 || l > INT64_MAX / 2)
      return ctx.reply.Error("ERR value is out of range");
  }
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link || l == 0) return ctx.reply.ArrayHeader(0);
  const ZSet& z = key.z();
  std::vector<Member> v;
  // The members at the chosen ranks, in the order chosen: one lookup each when they are few, else
  // one ordered pass over the set (a rank lookup in a skiplist set walks its chunk counts).
  auto emit = [&](const std::vector<size_t>& ranks) {
    if (ranks.size() <= 64 || z.is_listpack()) {
      for (size_t r : ranks) {
        z.ForRange(r, r, false, [&](std::string_view m, double sc) {
          v.push_back({std::string(m), sc});
          return false;
        });
      }
      return;
    }
    std::vector<size_t> order(ranks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranks[a] < ranks[b]; });
    v.resize(ranks.size());
    size_t next = 0, rank = ranks[order[0]];
    z.ForRange(rank, ranks[order.back()], false, [&](std::string_view m, double sc) {
      while (next < order.size() && ranks[order[next]] == rank)
        v[order[next++]] = {std::string(m), sc};
      ++rank;
      return next < order.size();
    });
  };
  std::vector<size_t> ranks;
  if (l < 0) {
    ranks.resize(size_t(-l));
    for (size_t& r : ranks) r = rng() % z.size();
    emit(ranks);
  } else if (uint64_t(l) >= z.size()) {
    z.ForRange(0, z.size() - 1, false, [&](std::string_view m, double sc) {
      v.push_back({std::string(m), sc});
      return true;
    });
  } else {
    // Distinct ranks: a partial Fisher-Yates over [0, size).
    std::unordered_map<size_t, size_t> swapped;
    auto get = [&](size_t i) {
      auto it = swapped.find(i);
      return it == swapped.end() ? i : it->second;
    };
    for (size_t i = 0; i < size_t(l); ++i) {
      size_t j = i + rng() % (z.size() - i);
      size_t vi = get(i), vj = get(j);
      swapped[i] = vj;
      swapped[j] = vi;
      ranks.push_back(vj);
    }
    emit(ranks);
  }
  ReplyMembers(ctx.reply, v, withscores);
}

// ---- ZUNION / ZINTER / ZDIFF ----

enum class SetOp : uint8_t { kUnion, kInter, kDiff };
enum class Agg : uint8_t { kSum, kMin, kMax };

double Aggregate(Agg a, double x, double y) {
  switch (a) {
    case Agg::kSum: {
      double r = x + y;
      return std::isnan(r) ? 0.0 : r;  // inf + -inf is 0, as in Redis
    }
    case Agg::kMin:
      return std::min(x, y);
    case Agg::kMax:
      return std::max(x, y);
  }
  return x;
}

// numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES] | [LIMIT n]
// from args[numkeys_at]. dst: the STORE destination (empty view if none).
void SetOpGeneric(CommandContext& ctx, ArgList args, size_t numkeys_at, SetOp op, bool store,
                  bool cardinality) {
  int64_t numkeys;
  if (!ParseLong(args[numkeys_at], &numkeys)) return ctx.reply.Error(errors::kNotInteger);
  if (numkeys < 1) {
    std::string cmd(args[0]);
    for (char& c : cmd) c = char(std::tolower(static_cast<unsigned char>(c)));
    return ctx.reply.Error("ERR at least 1 input key is needed for '" + cmd + "' command");
  }
  if (uint64_t(numkeys) > args.size() - numkeys_at - 1) return ctx.reply.Error(errors::kSyntax);
  size_t first = numkeys_at + 1, n = size_t(numkeys);
  // The inputs are looked up (and their types checked) before the options are parsed.
  std::vector<KeyRef> refs;
  if (store) refs.emplace_back(args[1]);
  for (size_t i = 0; i < n; ++i) refs.emplace_back(args[first + i]);
  Keyspace& ks = ctx.engine.keyspace();
  auto guard = ks.LockKeys(refs);
  int db = Db(ctx);
  std::vector<const ZSet*> inputs(n, nullptr);
  std::vector<std::unique_ptr<ZSet>> from_sets;  // plain sets as inputs: every score is 1
  for (size_t i = 0; i < n; ++i) {
    const KeyRef& k = refs[i + (store ? 1 : 0)];
    Shard& s = ks.shard(k);
    Entry** link = s.Lookup(db, k, Engine::NowMs(), ks.lru_clock());
    if (!link) continue;
    if ((*link)->type == ValueType::kSet) {
      const auto& set = ObjectOf<SetValue>(*link);
      auto z = std::make_unique<ZSet>(set.size());
      set.ForEach([&](std::string_view m) { z->Insert(m, 1.0); });
      inputs[i] = z.get();
      from_sets.push_back(std::move(z));
      continue;
    }
    if ((*link)->type != ValueType::kZset) return ctx.reply.Error(errors::kWrongType);
    inputs[i] = &ZOf(*link);
  }
  std::vector<double> weights(n, 1.0);
  Agg agg = Agg::kSum;
  bool withscores = false;
  int64_t limit = 0;
  for (size_t j = first + n; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    if (op != SetOp::kDiff && !cardinality && left >= n && EqualsIgnoreCase(args[j], "weights")) {
      for (size_t i = 0; i < n; ++i) {
        if (!String2d(args[j + 1 + i], &weights[i]))
          return ctx.reply.Error("ERR weight value is not a float");
      }
      j += n;
    } else if (op != SetOp::kDiff && !cardinality && left >= 1 &&
               EqualsIgnoreCase(args[j], "aggregate")) {
      std::string_view a = args[++j];
      if (EqualsIgnoreCase(a, "sum"))
        agg = Agg::kSum;
      else if (EqualsIgnoreCase(a, "min"))
        agg = Agg::kMin;
      else if (EqualsIgnoreCase(a, "max"))
        agg = Agg::kMax;
      else
        return ctx.reply.Error(errors::kSyntax);
    } else if (!store && !cardinality && EqualsIgnoreCase(args[j], "withscores")) {
      withscores = true;
    } else if (cardinality && left >= 1 && EqualsIgnoreCase(args[j], "limit")) {
      if (!ParseLong(args[++j], &limit) || limit < 0)
        return ctx.reply.Error("ERR LIMIT can't be negative");
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  // Inputs by cardinality, smallest first (Redis aggregates in this order).
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  if (op != SetOp::kDiff) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      size_t sa = inputs[a] ? inputs[a]->size() : 0, sb = inputs[b] ? inputs[b]->size() : 0;
      return sa < sb;
    });
  }
  std::vector<Member> result;
  auto all = [](const ZSet& z, auto&& fn) {
    if (!z.empty()) z.ForRange(0, z.size() - 1, false, fn);
  };
  auto weighted = [&](double s, size_t i) {
    double r = s * weights[i];
    return std::isnan(r) ? 0.0 : r;
  };
  if (op == SetOp::kUnion) {
    std::unordered_map<std::string, double> acc;
    for (size_t i : order) {
      if (!inputs[i]) continue;
      all(*inputs[i], [&](std::string_view m, double s) {
        double w = weighted(s, i);
        auto [it, fresh] = acc.try_emplace(std::string(m), w);
        if (!fresh) it->second = Aggregate(agg, it->second, w);
        return true;
      });
    }
    for (auto& [m, s] : acc) result.push_back({m, s});
  } else if (op == SetOp::kInter) {
    // The smallest input drives; a missing input empties the result.
    size_t smallest = order[0];
    if (inputs[smallest]) {
      all(*inputs[smallest], [&](std::string_view m, double s) {
        double score = weighted(s, smallest);
        for (size_t k = 1; k < n; ++k) {
          size_t i = order[k];
          double o;
          if (!inputs[i]->Score(m, &o)) return true;
          double w = o * weights[i];
          score = Aggregate(agg, score, w);
        }
        if (cardinality) {
          result.push_back({std::string(), 0});
          return limit == 0 || result.size() < size_t(limit);
        }
        result.push_back({std::string(m), score});
        return true;
      });
    }
  } else if (inputs[0]) {
    all(*inputs[0], [&](std::string_view m, double s) {
      for (size_t i = 1; i < n; ++i) {
        double o;
        if (inputs[i] && inputs[i]->Score(m, &o)) return true;
      }
      result.push_back({std::string(m), s});
      return true;
    });
  }
  if (cardinality) return ctx.reply.Integer(int64_t(result.size()));
  std::sort(result.begin(), result.end(), [](const Member& a, const Member& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  if (store) {
    // Built as a skiplist, then made a listpack if it fits (Redis's zsetConvertToListpackIfNeeded).
    size_t longest = 0;
    for (const Member& m : result) longest = std::max(longest, m.member.size());
    bool fits = result.size() <= ZSet::max_entries() && longest <= ZSet::max_value();
    StoreZ(ctx, db, refs[0], result, fits ? 0 : SIZE_MAX,
           op == SetOp::kUnion   ? "zunionstore"
           : op == SetOp::kInter ? "zinterstore"
                                 : "zdiffstore");
    return ctx.reply.Integer(int64_t(result.size()));
  }
  ReplyMembers(ctx.reply, result, withscores);
}

void CmdZUnion(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 1, SetOp::kUnion, false, false);
}
void CmdZInter(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 1, SetOp::kInter, false, false);
}
void CmdZDiff(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 1, SetOp::kDiff, false, false);
}
void CmdZUnionStore(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 2, SetOp::kUnion, true, false);
}
void CmdZInterStore(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 2, SetOp::kInter, true, false);
}
void CmdZDiffStore(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 2, SetOp::kDiff, true, false);
}
void CmdZInterCard(CommandContext& ctx, ArgList args) {
  SetOpGeneric(ctx, args, 1, SetOp::kInter, false, true);
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is parsed first, then the key, the
// options only for an existing set, as in Redis. A listpack set comes back whole with cursor 0; a
// skiplist set is walked in hash order (ZSet::Scan), as Redis walks its dict.
void CmdZScan(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  ZKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  std::vector<Member> v;
  uint64_t next = 0;
  if (key.link) {  // a missing key answers an empty scan before the options are looked at
    ScanOptions opts;
    if (auto err = ParseScanOptions(args, 3, ScanKind::kMembers, &opts); !err.empty())
      return ctx.reply.Error(err);
    next = key.z().Scan(cursor, size_t(opts.count), [&](std::string_view m, double sc) {
      if (!opts.use_pattern || GlobMatch(opts.pattern, m, false)) v.push_back({std::string(m), sc});
    });
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(v.size() * 2);
  for (const Member& m : v) {
    ctx.reply.Bulk(m.member);
    ctx.reply.Bulk(D2String(m.score));
  }
}

}  // namespace

void RegisterZSetFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kZset, &kZSetOps);
  SetSortElements(ValueType::kZset, SortElements);
  SetEncodingNamer(ValueType::kZset, ZSetEncodingName);
  constexpr uint32_t kW = kCmdWrite, kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly,
                     kF = kCmdFast, kMK = kCmdMovableKeys;
  r.Register(CommandSpec("zadd", -4, kWD | kF, 1, 1, 1, CmdZAdd));
  r.Register(CommandSpec("zincrby", 4, kWD | kF, 1, 1, 1, CmdZIncrBy));
  r.Register(CommandSpec("zrem", -3, kW | kF, 1, 1, 1, CmdZRem));
  r.Register(CommandSpec("zcard", 2, kRO | kF, 1, 1, 1, CmdZCard));
  r.Register(CommandSpec("zscore", 3, kRO | kF, 1, 1, 1, CmdZScore));
  r.Register(CommandSpec("zmscore", -3, kRO | kF, 1, 1, 1, CmdZMScore));
  r.Register(CommandSpec("zrank", 3, kRO | kF, 1, 1, 1, CmdZRank));
  r.Register(CommandSpec("zrevrank", 3, kRO | kF, 1, 1, 1, CmdZRevRank));
  r.Register(CommandSpec("zcount", 4, kRO | kF, 1, 1, 1, CmdZCount));
  r.Register(CommandSpec("zlexcount", 4, kRO | kF, 1, 1, 1, CmdZLexCount));
  r.Register(CommandSpec("zrange", -4, kRO, 1, 1, 1, CmdZRange));
  r.Register(CommandSpec("zrevrange", -4, kRO, 1, 1, 1, CmdZRevRange));
  r.Register(CommandSpec("zrangebyscore", -4, kRO, 1, 1, 1, CmdZRangeByScore));
  r.Register(CommandSpec("zrevrangebyscore", -4, kRO, 1, 1, 1, CmdZRevRangeByScore));
  r.Register(CommandSpec("zrangebylex", -4, kRO, 1, 1, 1, CmdZRangeByLex));
  r.Register(CommandSpec("zrevrangebylex", -4, kRO, 1, 1, 1, CmdZRevRangeByLex));
  r.Register(CommandSpec("zrangestore", -5, kWD, 1, 2, 1, CmdZRangeStore));
  r.Register(CommandSpec("zremrangebyrank", 4, kW, 1, 1, 1, CmdZRemRangeByRank));
  r.Register(CommandSpec("zremrangebyscore", 4, kW, 1, 1, 1, CmdZRemRangeByScore));
  r.Register(CommandSpec("zremrangebylex", 4, kW, 1, 1, 1, CmdZRemRangeByLex));
  r.Register(CommandSpec("zpopmin", -2, kW | kF, 1, 1, 1, CmdZPopMin));
  r.Register(CommandSpec("zpopmax", -2, kW | kF, 1, 1, 1, CmdZPopMax));
  r.Register(CommandSpec("zrandmember", -2, kRO, 1, 1, 1, CmdZRandMember));
  r.Register(CommandSpec("zscan", -3, kRO, 1, 1, 1, CmdZScan));
  auto numkeys = [&](const char* name, int arity, uint32_t flags, int at, CommandHandler h,
                     int first_key) {
    CommandSpec spec(name, arity, flags | kMK, first_key, first_key, first_key, h);
    spec.numkeys_arg = at;
    r.Register(std::move(spec));
  };
  numkeys("zunion", -3, kRO, 1, CmdZUnion, 0);
  numkeys("zinter", -3, kRO, 1, CmdZInter, 0);
  numkeys("zdiff", -3, kRO, 1, CmdZDiff, 0);
  numkeys("zintercard", -3, kRO, 1, CmdZInterCard, 0);
  numkeys("zunionstore", -4, kWD, 2, CmdZUnionStore, 1);
  numkeys("zinterstore", -4, kWD, 2, CmdZInterStore, 1);
  numkeys("zdiffstore", -4, kWD, 2, CmdZDiffStore, 1);
  numkeys("zmpop", -4, kW, 1, CmdZMPop, 0);
  constexpr uint32_t kB = kCmdNoscript | kCmdBlocking;
  r.Register(CommandSpec("bzpopmin", -3, kW | kF | kB, 1, -2, 1, CmdBZPopMin));
  r.Register(CommandSpec("bzpopmax", -3, kW | kF | kB, 1, -2, 1, CmdBZPopMax));
  numkeys("bzmpop", -5, kW | kCmdBlocking, 2, CmdBZMPop, 0);
}

}  // namespace aegisr
