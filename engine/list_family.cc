// The list command family, Redis 7.0 semantics (t_list.c): LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP
// LLEN LRANGE LINDEX LSET LTRIM LREM LINSERT LPOS LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP
// BRPOP BLMOVE BRPOPLPUSH BLMPOP (engine/blocking.h). A list value is a
// PackedList (engine/types/packed_list.h) owned by its entry; an empty list is never stored (the
// key goes with its last element). Handlers take the shard lock of their keys, check arguments in
// Redis's order (numbers before the key's type where Redis parses them first), and change a list
// only inside Shard::Update, after dropping any clean copy on disk, so memory accounting and the
// disk tier stay right.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "base/varint.h"
#include "engine/blocking.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/packed_list.h"

namespace aegisr {
namespace {

constexpr std::string_view kIndexOutOfRange = "ERR index out of range";
constexpr std::string_view kRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
constexpr std::string_view kCountNegative = "ERR COUNT can't be negative";
constexpr std::string_view kMaxlenNegative = "ERR MAXLEN can't be negative";

const PackedList& ListOf(const Entry* e) { return ObjectOf<PackedList>(e); }
PackedList& MutableList(Entry* e) { return MutableObject<PackedList>(e); }

// The disk tier's codec for lists: the element count, then each element as its length and
// bytes, lengths as LEB128 varints.
void EncodeList(const void* obj, std::string* out) {
  const auto& l = *static_cast<const PackedList*>(obj);
  AppendVarint(out, l.size());
  if (!l.empty()) {
    l.ForRange(0, l.size() - 1, [&](std::string_view v) {
      AppendVarint(out, v.size());
      out->append(v);
    });
  }
}

void* DecodeList(std::string_view payload) {
  size_t pos = 0;
  uint64_t n;
  if (!ReadVarint(payload, &pos, &n) || n == 0) return nullptr;
  auto list = std::make_unique<PackedList>();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t len;
    if (!ReadVarint(payload, &pos, &len) || len > payload.size() - pos) return nullptr;
    list->PushBack(payload.substr(pos, len));
    pos += len;
  }
  return pos == payload.size() ? list.release() : nullptr;
}

const ObjectOps kListOps = {
    [](void* obj) { delete static_cast<PackedList*>(obj); },
    [](const void* obj) -> void* { return new PackedList(*static_cast<const PackedList*>(obj)); },
    [](const void* obj) {
      return sizeof(PackedList) + static_cast<const PackedList*>(obj)->MemoryBytes();
    },
    EncodeList,
    DecodeList,
    [](const void* obj) { return static_cast<const PackedList*>(obj)->node_count(); },
};

bool ParseLong(std::string_view s, int64_t* v) { return String2ll(s, v); }

// Redis's getPositiveLongFromObjectOrReply: an integer >= 0, else `err`.
bool ParseNonNegative(ReplySink& reply, std::string_view s, int64_t* v, std::string_view err) {
  if (!ParseLong(s, v) || *v < 0) {
    reply.Error(err);
    return false;
  }
  return true;
}

enum class End : uint8_t { kLeft, kRight };

bool ParseEnd(std::string_view s, End* end) {
  if (EqualsIgnoreCase(s, "left")) return *end = End::kLeft, true;
  if (EqualsIgnoreCase(s, "right")) return *end = End::kRight, true;
  return false;
}

// Clamps [start, stop] (negative from the end) to the list, as LRANGE does; false if empty.
bool ClampRange(int64_t start, int64_t stop, size_t len, size_t* first, size_t* last) {
  auto n = static_cast<int64_t>(len);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return false;
  if (stop >= n) stop = n - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(stop);
  return true;
}

// The list entry at k for a write command: nullptr if absent; *wrong set for another type.
Entry** FindList(Shard& s, int db, const KeyRef& k, bool* wrong) {
  Entry** link = s.Find(db, k, Engine::NowMs());
  *wrong = link && (*link)->type != ValueType::kList;
  return *wrong ? nullptr : link;
}

// One list key of a command, found under its shard's lock (engine/family.h).
struct ListKey : TypedKey {
  ListKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kList, read) {}
  const PackedList& list() const { return ListOf(*link); }
};

// LPUSH/RPUSH/LPUSHX/RPUSHX key element [element ...]
void Push(CommandContext& ctx, ArgList args, End end, bool only_existing) {
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) {
    if (only_existing) return ctx.reply.Integer(0);
    auto* list = new PackedList();
    s.Insert(db, NewObjectEntry(key.k.key, key.k.hash, ValueType::kList, list));
    link = s.Find(db, key.k, Engine::NowMs());
  }
  size_t len = 0;
  s.Update(db, link, [&](Entry* e) {
    PackedList& l = MutableList(e);
    for (size_t i = 2; i < args.size(); ++i) {
      if (end == End::kLeft)
        l.PushFront(args[i]);
      else
        l.PushBack(args[i]);
    }
    len = l.size();
    return e;
  });
  Notify(ctx, kNotifyList, end == End::kLeft ? "lpush" : "rpush", args[1]);
  ctx.reply.Integer(static_cast<int64_t>(len));
}

void CmdLPush(CommandContext& ctx, ArgList args) { Push(ctx, args, End::kLeft, false); }
void CmdRPush(CommandContext& ctx, ArgList args) { Push(ctx, args, End::kRight, false); }
void CmdLPushX(CommandContext& ctx, ArgList args) { Push(ctx, args, End::kLeft, true); }
void CmdRPushX(CommandContext& ctx, ArgList args) { Push(ctx, args, End::kRight, true); }

// Pops up to n elements from one end of the list at link into out; deletes the key if emptied
// (returns true then). With events, raises lpop/rpop and del as Redis does.
bool PopInto(Shard& s, int db, Entry** link, End end, size_t n, std::vector<std::string>* out,
             Engine* events = nullptr, std::string_view key = {}) {
  bool emptied = false;
  s.Update(db, link, [&](Entry* e) {
    PackedList& l = MutableList(e);
    for (size_t i = 0; i < n && !l.empty(); ++i)
      out->push_back(end == End::kLeft ? l.PopFront() : l.PopBack());
    emptied = l.empty();
    return e;
  });
  if (emptied) s.Delete(db, link);
  if (events) {
    Notify(*events, kNotifyList, end == End::kLeft ? "lpop" : "rpop", key, db);
    if (emptied) Notify(*events, kNotifyGeneric, "del", key, db);
  }
  return emptied;
}

// LPOP/RPOP key [count]
void Pop(CommandContext& ctx, ArgList args, End end) {
  if (args.size() > 3) {
    return ctx.reply.Error("ERR wrong number of arguments for '" +
                           std::string(end == End::kLeft ? "lpop" : "rpop") + "' command");
  }
  bool has_count = args.size() == 3;
  int64_t count = 1;
  if (has_count && !ParseNonNegative(ctx.reply, args[2], &count, errors::kMustBePositive)) return;
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) return has_count ? ctx.reply.NullArray() : ctx.reply.Null();
  if (has_count && count == 0) return ctx.reply.ArrayHeader(0);
  std::vector<std::string> popped;
  PopInto(s, db, link, end, static_cast<size_t>(count), &popped, &ctx.engine, args[1]);
  if (!has_count) return ctx.reply.Bulk(popped[0]);
  ctx.reply.ArrayHeader(popped.size());
  for (const std::string& v : popped) ctx.reply.Bulk(v);
}

void CmdLPop(CommandContext& ctx, ArgList args) { Pop(ctx, args, End::kLeft); }
void CmdRPop(CommandContext& ctx, ArgList args) { Pop(ctx, args, End::kRight); }

// LLEN key
void CmdLLen(CommandContext& ctx, ArgList args) {
  ListKey key(ctx, args[1], true);
  Entry** link = key.link;
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!link) return ctx.reply.Integer(0);
  ctx.reply.Integer(static_cast<int64_t>(ListOf(*link).size()));
}

// LRANGE key start stop: the indices are parsed before the key is looked at, as in Redis.
void CmdLRange(CommandContext& ctx, ArgList args) {
  int64_t start, stop;
  if (!ParseLong(args[2], &start) || !ParseLong(args[3], &stop))
    return ctx.reply.Error(errors::kNotInteger);
  ListKey key(ctx, args[1], true);
  Entry** link = key.link;
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!link) return ctx.reply.ArrayHeader(0);
  const PackedList& l = ListOf(*link);
  size_t first, last;
  if (!ClampRange(start, stop, l.size(), &first, &last)) return ctx.reply.ArrayHeader(0);
  ctx.reply.ArrayHeader(last - first + 1);
  l.ForRange(first, last, [&](std::string_view v) { ctx.reply.Bulk(v); });
}

// LINDEX key index: the key's type is checked before the index, as in Redis.
void CmdLIndex(CommandContext& ctx, ArgList args) {
  ListKey key(ctx, args[1], true);
  Entry** link = key.link;
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!link) return ctx.reply.Null();
  int64_t index;
  if (!ParseLong(args[2], &index)) return ctx.reply.Error(errors::kNotInteger);
  const PackedList& l = ListOf(*link);
  auto n = static_cast<int64_t>(l.size());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return ctx.reply.Null();
  ctx.reply.Bulk(l.At(static_cast<size_t>(index)));
}

// LSET key index element
void CmdLSet(CommandContext& ctx, ArgList args) {
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) return ctx.reply.Error(errors::kNoSuchKey);
  int64_t index;
  if (!ParseLong(args[2], &index)) return ctx.reply.Error(errors::kNotInteger);
  auto n = static_cast<int64_t>(ListOf(*link).size());
  if (index < 0) index += n;
  if (index < 0 || index >= n) return ctx.reply.Error(kIndexOutOfRange);
  s.Update(db, link, [&](Entry* e) {
    MutableList(e).Rewrite([&](size_t i, std::string_view v, PackedList& out) {
      out.PushBack(i == static_cast<size_t>(index) ? args[3] : v);
    });
    return e;
  });
  Notify(ctx, kNotifyList, "lset", args[1]);
  ctx.reply.Ok();
}

// LTRIM key start stop
void CmdLTrim(CommandContext& ctx, ArgList args) {
  int64_t start, stop;
  if (!ParseLong(args[2], &start) || !ParseLong(args[3], &stop))
    return ctx.reply.Error(errors::kNotInteger);
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) return ctx.reply.Ok();
  size_t first, last;
  if (!ClampRange(start, stop, ListOf(*link).size(), &first, &last)) {
    s.Delete(db, link);  // nothing left
    Notify(ctx, kNotifyList, "ltrim", args[1]);
    Notify(ctx, kNotifyGeneric, "del", args[1]);
    return ctx.reply.Ok();
  }
  s.Update(db, link, [&](Entry* e) {
    PackedList& l = MutableList(e);
    size_t drop_back = l.size() - 1 - last;
    for (size_t i = 0; i < first; ++i) l.PopFront();
    for (size_t i = 0; i < drop_back; ++i) l.PopBack();
    return e;
  });
  Notify(ctx, kNotifyList, "ltrim", args[1]);
  ctx.reply.Ok();
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
void CmdLRem(CommandContext& ctx, ArgList args) {
  int64_t count;
  if (!ParseLong(args[2], &count)) return ctx.reply.Error(errors::kNotInteger);
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) return ctx.reply.Integer(0);
  std::string_view target = args[3];
  const PackedList& l = ListOf(*link);
  // Which indices go: the first |count| matches from the chosen end (all when count is 0).
  std::vector<size_t> matches;
  size_t index = 0;
  l.ForRange(0, l.size() - 1, [&](std::string_view v) {
    if (v == target) matches.push_back(index);
    ++index;
  });
  // |count| without overflow at INT64_MIN.
  uint64_t magnitude = count < 0 ? uint64_t(-(count + 1)) + 1 : uint64_t(count);
  size_t limit = count == 0 ? matches.size() : std::min<uint64_t>(matches.size(), magnitude);
  if (limit == 0) return ctx.reply.Integer(0);
  std::vector<size_t> gone = count < 0
                                 ? std::vector<size_t>(matches.end() - limit, matches.end())
                                 : std::vector<size_t>(matches.begin(), matches.begin() + limit);
  bool emptied = false;
  s.Update(db, link, [&](Entry* e) {
    size_t next = 0;
    PackedList& lst = MutableList(e);
    lst.Rewrite([&](size_t i, std::string_view v, PackedList& out) {
      if (next < gone.size() && gone[next] == i) {
        ++next;
        return;
      }
      out.PushBack(v);
    });
    emptied = lst.empty();
    return e;
  });
  if (emptied) s.Delete(db, link);
  Notify(ctx, kNotifyList, "lrem", args[1]);
  if (emptied) Notify(ctx, kNotifyGeneric, "del", args[1]);
  ctx.reply.Integer(static_cast<int64_t>(limit));
}

// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without key.
void CmdLInsert(CommandContext& ctx, ArgList args) {
  bool after;
  if (EqualsIgnoreCase(args[2], "after"))
    after = true;
  else if (EqualsIgnoreCase(args[2], "before"))
    after = false;
  else
    return ctx.reply.Error(errors::kSyntax);
  ListKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Shard& s = key.s;
  int db = key.db;
  Entry** link = key.link;
  if (!link) return ctx.reply.Integer(0);
  std::string_view pivot = args[3];
  bool found = false;
  ListOf(*link).ForRange(0, ListOf(*link).size() - 1,
                         [&](std::string_view v) { found = found || v == pivot; });
  if (!found) return ctx.reply.Integer(-1);
  size_t len = 0;
  s.Update(db, link, [&](Entry* e) {
    bool done = false;
    PackedList& l = MutableList(e);
    l.Rewrite([&](size_t, std::string_view v, PackedList& out) {
      bool here = !done && v == pivot;
      if (here && !after) out.PushBack(args[4]);
      out.PushBack(v);
      if (here && after) out.PushBack(args[4]);
      done = done || here;
    });
    len = l.size();
    return e;
  });
  Notify(ctx, kNotifyList, "linsert", args[1]);
  ctx.reply.Integer(static_cast<int64_t>(len));
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLPos(CommandContext& ctx, ArgList args) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: not given (reply one position or null)
  for (size_t i = 3; i < args.size(); ++i) {
    bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "rank") && has_value) {
      if (!ParseLong(args[++i], &rank)) return ctx.reply.Error(errors::kNotInteger);
      if (rank == 0) return ctx.reply.Error(kRankZero);
    } else if (EqualsIgnoreCase(args[i], "count") && has_value) {
      if (!ParseNonNegative(ctx.reply, args[++i], &count, kCountNegative)) return;
    } else if (EqualsIgnoreCase(args[i], "maxlen") && has_value) {
      if (!ParseNonNegative(ctx.reply, args[++i], &maxlen, kMaxlenNegative)) return;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  ListKey key(ctx, args[1], true);
  Entry** link = key.link;
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!link) return count >= 0 ? ctx.reply.ArrayHeader(0) : ctx.reply.Null();
  const PackedList& l = ListOf(*link);
  std::string_view target = args[2];
  bool from_tail = rank < 0;
  // Matches to skip before collecting (|rank| - 1); INT64_MIN's magnitude saturates.
  uint64_t skip = from_tail ? uint64_t(-(rank + 1)) : uint64_t(rank - 1);
  uint64_t want = count < 0 ? 1 : count == 0 ? UINT64_MAX : uint64_t(count);
  uint64_t limit = maxlen == 0 ? l.size() : std::min<uint64_t>(l.size(), uint64_t(maxlen));
  std::vector<int64_t> found;
  uint64_t seen = 0, matched = 0;
  auto visit = [&](std::string_view v, size_t index) {
    if (seen >= limit || found.size() >= want) return;
    ++seen;
    if (v == target && matched++ >= skip) found.push_back(static_cast<int64_t>(index));
  };
  if (!l.empty()) {
    if (from_tail) {
      size_t index = l.size();
      l.ForRangeReverse(0, l.size() - 1, [&](std::string_view v) { visit(v, --index); });
    } else {
      size_t index = 0;
      l.ForRange(0, l.size() - 1, [&](std::string_view v) { visit(v, index++); });
    }
  }
  if (count < 0) return found.empty() ? ctx.reply.Null() : ctx.reply.Integer(found[0]);
  ctx.reply.ArrayHeader(found.size());
  for (int64_t p : found) ctx.reply.Integer(p);
}

enum class MoveResult : uint8_t { kMoved, kNoSource, kWrongType };

// Moves one element from the list at refs[0] to the list at refs[1] (created if absent), with
// both shards locked; the destination's type is checked before anything changes, as Redis does.
// Raises Redis's events in its order: the destination's push, the source's pop, its del.
MoveResult MoveOne(Engine& engine, int db, const KeyRef refs[2], End from, End to,
                   std::string* moved) {
  Keyspace& ks = engine.keyspace();
  Shard& ss = ks.shard(refs[0]);
  bool wrong;
  Entry** src = FindList(ss, db, refs[0], &wrong);
  if (wrong) return MoveResult::kWrongType;
  if (!src) return MoveResult::kNoSource;
  Shard& ds = ks.shard(refs[1]);
  FindList(ds, db, refs[1], &wrong);
  if (wrong) return MoveResult::kWrongType;
  std::vector<std::string> popped;
  if (refs[0].key == refs[1].key) {
    // A rotation: the list never empties, as in Redis (no del, no new key).
    ss.Update(db, src, [&](Entry* e) {
      PackedList& l = MutableList(e);
      std::string v = from == End::kLeft ? l.PopFront() : l.PopBack();
      if (to == End::kLeft)
        l.PushFront(v);
      else
        l.PushBack(v);
      *moved = std::move(v);
      return e;
    });
    Notify(engine, kNotifyList, to == End::kLeft ? "lpush" : "rpush", refs[1].key, db);
    Notify(engine, kNotifyList, from == End::kLeft ? "lpop" : "rpop", refs[0].key, db);
    return MoveResult::kMoved;
  }
  bool emptied = PopInto(ss, db, src, from, 1, &popped);
  // The source may have gone (emptied; or it was the destination): look the destination up again.
  Entry** dst = ds.Find(db, refs[1], Engine::NowMs());
  if (!dst) {
    ds.Insert(db, NewObjectEntry(refs[1].key, refs[1].hash, ValueType::kList, new PackedList()));
    dst = ds.Find(db, refs[1], Engine::NowMs());
  }
  ds.Update(db, dst, [&](Entry* e) {
    PackedList& l = MutableList(e);
    if (to == End::kLeft)
      l.PushFront(popped[0]);
    else
      l.PushBack(popped[0]);
    return e;
  });
  Notify(engine, kNotifyList, to == End::kLeft ? "lpush" : "rpush", refs[1].key, db);
  Notify(engine, kNotifyList, from == End::kLeft ? "lpop" : "rpop", refs[0].key, db);
  if (emptied) Notify(engine, kNotifyGeneric, "del", refs[0].key, db);
  *moved = std::move(popped[0]);
  return MoveResult::kMoved;
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH (RIGHT LEFT).
void Move(CommandContext& ctx, ArgList args, End from, End to) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef refs[2] = {KeyRef(args[1]), KeyRef(args[2])};
  auto guard = ks.LockKeys(refs);
  std::string moved;
  switch (MoveOne(ctx.engine, Db(ctx), refs, from, to, &moved)) {
    case MoveResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case MoveResult::kNoSource:
      return ctx.reply.Null();
    case MoveResult::kMoved:
      return ctx.reply.Bulk(moved);
  }
}

void CmdLMove(CommandContext& ctx, ArgList args) {
  End from, to;
  if (!ParseEnd(args[3], &from) || !ParseEnd(args[4], &to)) return ctx.reply.Error(errors::kSyntax);
  Move(ctx, args, from, to);
}

void CmdRPopLPush(CommandContext& ctx, ArgList args) { Move(ctx, args, End::kRight, End::kLeft); }

// Redis's getRangeLongFromObjectOrReply with a message: an integer >= 1, else `err` (for a
// non-integer too).
bool ParsePositive(ReplySink& reply, std::string_view s, int64_t* v, std::string_view err) {
  if (!ParseLong(s, v) || *v < 1) {
    reply.Error(err);
    return false;
  }
  return true;
}

// The arguments of LMPOP and BLMPOP from the numkeys argument at args[first]: numkeys key
// [key ...] LEFT|RIGHT [COUNT count]. Replies the error and returns false if they are wrong.
struct MPopArgs {
  std::vector<KeyRef> keys;
  End end = End::kLeft;
  int64_t count = 1;
};
bool ParseMPop(ReplySink& reply, ArgList args, size_t first, MPopArgs* out) {
  int64_t numkeys;
  if (!ParsePositive(reply, args[first], &numkeys, errors::kNumkeys)) return false;
  if (uint64_t(numkeys) >= args.size() - first - 1) {
    reply.Error(errors::kSyntax);
    return false;
  }
  size_t where_at = first + 1 + size_t(numkeys);
  if (!ParseEnd(args[where_at], &out->end)) {
    reply.Error(errors::kSyntax);
    return false;
  }
  bool has_count = false;
  for (size_t i = where_at + 1; i < args.size(); ++i) {
    if (!has_count && EqualsIgnoreCase(args[i], "count") && i + 1 < args.size()) {
      if (!ParsePositive(reply, args[++i], &out->count, errors::kCountPositive)) return false;
      has_count = true;
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  for (size_t i = first + 1; i < where_at; ++i) out->keys.emplace_back(args[i]);
  return true;
}

// LMPOP and BLMPOP's reply: [key, [elements]].
void ReplyKeyElements(ReplySink& reply, std::string_view key, const std::vector<std::string>& v,
                      size_t first) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  reply.ArrayHeader(v.size() - first);
  for (size_t i = first; i < v.size(); ++i) reply.Bulk(v[i]);
}

// Pops up to count elements from the first of keys that holds a list (PopFromFirstKey).
FirstResult PopFirst(Engine& engine, int db, std::span<const KeyRef> keys, End end, size_t count,
                     const KeyRef** from, std::vector<std::string>* out) {
  return PopFromFirstKey(engine.keyspace(), db, keys, ValueType::kList,
                         [&](Shard& s, Entry** link, const KeyRef& k) {
                           PopInto(s, db, link, end, count, out, &engine, k.key);
                           *from = &k;
                         });
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops up to count elements from the first
// non-empty list of the keys; replies [key, [elements]], or a null array if all are empty.
void CmdLMPop(CommandContext& ctx, ArgList args) {
  MPopArgs a;
  if (!ParseMPop(ctx.reply, args, 1, &a)) return;
  Keyspace& ks = ctx.engine.keyspace();
  auto guard = ks.LockKeys(a.keys);
  const KeyRef* from = nullptr;
  std::vector<std::string> popped;
  switch (PopFirst(ctx.engine, Db(ctx), a.keys, a.end, size_t(a.count), &from, &popped)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kAllEmpty:
      return ctx.reply.NullArray();
    case FirstResult::kPopped:
      return ReplyKeyElements(ctx.reply, from->key, popped, 0);
  }
}

// ---- Blocking commands (engine/blocking.h) ----
//
// Each checks its arguments and keys as its non-blocking form does; when there is nothing to
// pop it blocks on its keys while still holding their locks, so no push can come in between.
// A blocked client is served later by the thread whose command created one of its keys: the
// Serve functions below run there, with the key's shard locked (BLMOVE's destination too), and
// put what they popped in bc.result; the Reply functions write it on the client's own thread.

// BLPOP/BRPOP: [key, element].
void ServeBPop(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  Shard& s = engine.keyspace().shard(k);
  Entry** link = s.Find(bc.db, k, Engine::NowMs());
  bc.result.emplace_back(k.key);
  PopInto(s, bc.db, link, End(bc.from), 1, &bc.result, &engine, k.key);
}
void ReplyBPop(const BlockedClient& bc, ReplySink& reply) {
  reply.ArrayHeader(2);
  reply.Bulk(bc.result[0]);
  reply.Bulk(bc.result[1]);
}
// Every blocking list command times out with a null array, BLMOVE too (Redis 7.0's
// replyToBlockedClientTimedOut).
// BLMPOP: [key, [elements]].
void ServeBMPop(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  Shard& s = engine.keyspace().shard(k);
  Entry** link = s.Find(bc.db, k, Engine::NowMs());
  bc.result.emplace_back(k.key);
  PopInto(s, bc.db, link, End(bc.from), size_t(bc.count), &bc.result, &engine, k.key);
}
void ReplyBMPop(const BlockedClient& bc, ReplySink& reply) {
  ReplyKeyElements(reply, bc.result[0], bc.result, 1);
}

// BLMOVE/BRPOPLPUSH: the element moved. A destination of another type ends the wait with
// WRONGTYPE and leaves the source as it was (Redis does the same); a destination whose value is
// on disk cannot be changed here, so the client runs its command again (after reading it back).
void ServeBMove(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  Keyspace& ks = engine.keyspace();
  KeyRef refs[2] = {k, KeyRef(bc.extra_keys[0])};
  if (Entry** dst = ks.shard(refs[1]).Find(bc.db, refs[1], Engine::NowMs());
      dst && (*dst)->type == ValueType::kList && (*dst)->on_disk()) {
    bc.state.store(BlockState::kRetry, std::memory_order_release);
    return;
  }
  std::string moved;
  if (MoveOne(engine, bc.db, refs, End(bc.from), End(bc.to), &moved) == MoveResult::kWrongType) {
    bc.error = errors::kWrongType;
  } else {
    bc.result.push_back(std::move(moved));
  }
}
void ReplyBMove(const BlockedClient& bc, ReplySink& reply) { reply.Bulk(bc.result[0]); }

// Blocks the client on `keys` (their shard locks held by the caller).
void BlockOn(CommandContext& ctx, ArgList args, std::span<const KeyRef> keys, int64_t deadline_ms,
             std::shared_ptr<BlockedClient> bc) {
  bc->type = ValueType::kList;
  for (const KeyRef& k : keys) {
    if (std::find(bc->keys.begin(), bc->keys.end(), k.key) == bc->keys.end())
      bc->keys.emplace_back(k.key);
  }
  bc->deadline_ms = deadline_ms;
  BlockClient(ctx, args, std::move(bc));
}

// BLPOP/BRPOP key [key ...] timeout
void BlockingPop(CommandContext& ctx, ArgList args) {
  int64_t deadline;
  if (auto err = Blocking::ParseTimeout(args.back(), Engine::NowMs(), &deadline); !err.empty())
    return ctx.reply.Error(err);
  Keyspace& ks = ctx.engine.keyspace();
  std::vector<KeyRef> keys;
  for (size_t i = 1; i + 1 < args.size(); ++i) keys.emplace_back(args[i]);
  auto guard = ks.LockKeys(keys);
  const KeyRef* from = nullptr;
  std::vector<std::string> popped;
  End end = EqualsIgnoreCase(args[0], "blpop") ? End::kLeft : End::kRight;
  switch (PopFirst(ctx.engine, Db(ctx), keys, end, 1, &from, &popped)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kPopped:
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(from->key);
      return ctx.reply.Bulk(popped[0]);
    case FirstResult::kAllEmpty:
      break;
  }
  auto bc = std::make_shared<BlockedClient>();
  bc->from = int(end);
  bc->serve = ServeBPop;
  bc->reply = ReplyBPop;
  bc->timeout_reply = ReplyNullArray;
  BlockOn(ctx, args, keys, deadline, std::move(bc));
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void CmdBLMPop(CommandContext& ctx, ArgList args) {
  int64_t deadline;
  if (auto err = Blocking::ParseTimeout(args[1], Engine::NowMs(), &deadline); !err.empty())
    return ctx.reply.Error(err);
  MPopArgs a;
  if (!ParseMPop(ctx.reply, args, 2, &a)) return;
  Keyspace& ks = ctx.engine.keyspace();
  auto guard = ks.LockKeys(a.keys);
  const KeyRef* from = nullptr;
  std::vector<std::string> popped;
  switch (PopFirst(ctx.engine, Db(ctx), a.keys, a.end, size_t(a.count), &from, &popped)) {
    case FirstResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case FirstResult::kPopped:
      return ReplyKeyElements(ctx.reply, from->key, popped, 0);
    case FirstResult::kAllEmpty:
      break;
  }
  auto bc = std::make_shared<BlockedClient>();
  bc->from = int(a.end);
  bc->count = a.count;
  bc->serve = ServeBMPop;
  bc->reply = ReplyBMPop;
  bc->timeout_reply = ReplyNullArray;
  BlockOn(ctx, args, a.keys, deadline, std::move(bc));
}

// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout, BRPOPLPUSH source destination timeout
void BlockingMove(CommandContext& ctx, ArgList args, End from, End to) {
  int64_t deadline;
  if (auto err = Blocking::ParseTimeout(args.back(), Engine::NowMs(), &deadline); !err.empty())
    return ctx.reply.Error(err);
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef refs[2] = {KeyRef(args[1]), KeyRef(args[2])};
  auto guard = ks.LockKeys(refs);
  std::string moved;
  switch (MoveOne(ctx.engine, Db(ctx), refs, from, to, &moved)) {
    case MoveResult::kWrongType:
      return ctx.reply.Error(errors::kWrongType);
    case MoveResult::kMoved:
      return ctx.reply.Bulk(moved);
    case MoveResult::kNoSource:
      break;
  }
  auto bc = std::make_shared<BlockedClient>();
  bc->extra_keys.emplace_back(refs[1].key);
  bc->from = int(from);
  bc->to = int(to);
  bc->serve = ServeBMove;
  bc->reply = ReplyBMove;
  bc->timeout_reply = ReplyNullArray;
  BlockOn(ctx, args, std::span<const KeyRef>(refs, 1), deadline, std::move(bc));
}

void CmdBLPop(CommandContext& ctx, ArgList args) { BlockingPop(ctx, args); }
void CmdBRPop(CommandContext& ctx, ArgList args) { BlockingPop(ctx, args); }

void CmdBLMove(CommandContext& ctx, ArgList args) {
  End from, to;
  if (!ParseEnd(args[3], &from) || !ParseEnd(args[4], &to)) return ctx.reply.Error(errors::kSyntax);
  BlockingMove(ctx, args, from, to);
}

void CmdBRPopLPush(CommandContext& ctx, ArgList args) {
  BlockingMove(ctx, args, End::kRight, End::kLeft);
}

}  // namespace

void RegisterListFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kList, &kListOps);
  constexpr uint32_t kW = kCmdWrite, kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly,
                     kF = kCmdFast;
  r.Register(CommandSpec("lpush", -3, kWD | kF, 1, 1, 1, CmdLPush));
  r.Register(CommandSpec("rpush", -3, kWD | kF, 1, 1, 1, CmdRPush));
  r.Register(CommandSpec("lpushx", -3, kWD | kF, 1, 1, 1, CmdLPushX));
  r.Register(CommandSpec("rpushx", -3, kWD | kF, 1, 1, 1, CmdRPushX));
  r.Register(CommandSpec("lpop", -2, kW | kF, 1, 1, 1, CmdLPop));
  r.Register(CommandSpec("rpop", -2, kW | kF, 1, 1, 1, CmdRPop));
  r.Register(CommandSpec("llen", 2, kRO | kF, 1, 1, 1, CmdLLen));
  r.Register(CommandSpec("lrange", 4, kRO, 1, 1, 1, CmdLRange));
  r.Register(CommandSpec("lindex", 3, kRO, 1, 1, 1, CmdLIndex));
  r.Register(CommandSpec("lset", 4, kWD, 1, 1, 1, CmdLSet));
  r.Register(CommandSpec("ltrim", 4, kW, 1, 1, 1, CmdLTrim));
  r.Register(CommandSpec("lrem", 4, kW, 1, 1, 1, CmdLRem));
  r.Register(CommandSpec("linsert", 5, kWD, 1, 1, 1, CmdLInsert));
  r.Register(CommandSpec("lpos", -3, kRO, 1, 1, 1, CmdLPos));
  r.Register(CommandSpec("lmove", 5, kWD, 1, 2, 1, CmdLMove));
  r.Register(CommandSpec("rpoplpush", 3, kWD, 1, 2, 1, CmdRPopLPush));
  CommandSpec lmpop("lmpop", -4, kW | kCmdMovableKeys, 0, 0, 0, CmdLMPop);
  lmpop.numkeys_arg = 1;
  r.Register(std::move(lmpop));
  constexpr uint32_t kB = kCmdNoscript | kCmdBlocking;
  r.Register(CommandSpec("blpop", -3, kW | kB, 1, -2, 1, CmdBLPop));
  r.Register(CommandSpec("brpop", -3, kW | kB, 1, -2, 1, CmdBRPop));
  r.Register(CommandSpec("brpoplpush", 4, kWD | kB, 1, 2, 1, CmdBRPopLPush));
  r.Register(CommandSpec("blmove", 6, kWD | kB, 1, 2, 1, CmdBLMove));
  CommandSpec blmpop("blmpop", -5, kW | kCmdBlocking | kCmdMovableKeys, 0, 0, 0, CmdBLMPop);
  blmpop.numkeys_arg = 2;
  r.Register(std::move(blmpop));
}

}  // namespace aegisr
