// The set command family, Redis 7.0 semantics (t_set.c): SADD SREM SISMEMBER SMISMEMBER SCARD
// SMEMBERS SRANDMEMBER SPOP SMOVE SUNION SINTER SDIFF SUNIONSTORE SINTERSTORE SDIFFSTORE
// SINTERCARD SSCAN. A set value is a SetValue (engine/types/set_value.h: intset, listpack or
// hashtable, converted upward by the set-max-* knobs); an empty set is never stored (the key goes
// with its last member). Handlers check arguments in Redis's order, take the shard locks of their
// keys (several keys: Keyspace::LockKeys, ascending shard order), and change a set only inside
// Shard::Update after dropping any clean copy on disk (MutableObject), so memory accounting and
// the disk tier stay right. The STORE forms replace the destination whatever it held, as Redis's
// setKey, and delete it when the result is empty.

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/glob.h"
#include "base/numbers.h"
#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/key_errors.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/set_value.h"

namespace aegisr {
namespace {

constexpr std::string_view kCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr std::string_view kTooManyKeys = "ERR Number of keys can't be greater than number of args";
constexpr std::string_view kLimitNegative = "ERR LIMIT can't be negative";

const SetValue& SetOf(const Entry* e) { return ObjectOf<SetValue>(e); }

// Runs fn(SetValue*&) on entry e's set for a change (inside Shard::Update), then points the
// entry at the set, which may have moved (engine/types/set_value.h).
template <typename Fn>
void ChangeSet(Entry* e, Fn&& fn) {
  SetValue* set = &MutableObject<SetValue>(e);
  fn(set);
  SetObjectPointer(e, set);
}

bool AddTo(SetValue*& set, std::string_view m, const SetValue::Limits& lim) {
  bool added;
  set = SetValue::Add(set, m, lim, &added);
  return added;
}

bool RemoveFrom(SetValue*& set, std::string_view m) {
  bool removed;
  set = SetValue::Remove(set, m, &removed);
  return removed;
}

// A set owned by a command rather than an entry (a set operation's result).
class OwnedSet {
 public:
  OwnedSet() = default;
  OwnedSet(const OwnedSet&) = delete;
  OwnedSet& operator=(const OwnedSet&) = delete;
  ~OwnedSet() {
    if (set_) SetValue::Free(set_);
  }
  SetValue*& get() { return set_; }
  const SetValue& operator*() const { return *set_; }
  SetValue* release() { return std::exchange(set_, nullptr); }

 private:
  SetValue* set_ = SetValue::New();
};

const ObjectOps kSetOps = {
    [](void* obj) { SetValue::Free(static_cast<SetValue*>(obj)); },
    [](const void* obj) -> void* { return SetValue::Clone(static_cast<const SetValue*>(obj)); },
    [](const void* obj) { return static_cast<const SetValue*>(obj)->MemoryBytes(); },
    [](const void* obj, std::string* out) { static_cast<const SetValue*>(obj)->Encode(out); },
    [](std::string_view payload) -> void* { return SetValue::Decode(payload); },
    // A hashtable frees one allocation per member; intsets and listpacks are one block.
    [](const void* obj) {
      const auto* s = static_cast<const SetValue*>(obj);
      return s->kind() == SetValue::Kind::kHashtable ? s->size() + 1 : size_t{1};
    },
};

// SORT's input: the members, in the set's own order.
void SortElements(const Entry& e, std::vector<std::string>* out) {
  out->reserve(SetOf(&e).size());
  SetOf(&e).ForEach([&](std::string_view m) { out->emplace_back(m); });
}

std::string_view SetEncodingName(const Entry& e) {
  if (e.enc != Encoding::kObject) return "hashtable";
  return SetOf(&e).EncodingName();
}

SetValue::Limits LimitsOf(const CommandContext& ctx) {
  const Config& c = ctx.engine.config();
  SetValue::Limits l;
  l.intset_entries = size_t(c.set_max_intset_entries.load(std::memory_order_relaxed));
  l.listpack_entries = size_t(c.set_max_listpack_entries.load(std::memory_order_relaxed));
  l.listpack_value = size_t(c.set_max_listpack_value.load(std::memory_order_relaxed));
  return l;
}

// A per-thread random source for SPOP and SRANDMEMBER (splitmix64).
uint64_t NextRandom() {
  thread_local uint64_t state = [] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }();
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// One set key of a command, found under its shard's lock (engine/family.h).
struct SetKey : TypedKey {
  SetKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kSet, read) {}
  const SetValue& set() const { return SetOf(*link); }
};

// Inserts an empty set at k (absent) and returns its link.
Entry** CreateSet(Shard& s, int db, const KeyRef& k) {
  s.Insert(db, NewObjectEntry(k.key, k.hash, ValueType::kSet, SetValue::New()));
  return s.Find(db, k, Engine::NowMs());
}

// SADD key member [member ...]
void CmdSAdd(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Entry** link = key.link ? key.link : CreateSet(key.s, key.db, key.k);
  SetValue::Limits lim = LimitsOf(ctx);
  int64_t added = 0;
  key.s.Update(
      key.db, link,
      [&](Entry* e) {
        ChangeSet(e, [&](SetValue*& set) {
          for (size_t i = 2; i < args.size(); ++i) added += AddTo(set, args[i], lim) ? 1 : 0;
        });
        return e;
      },
      /*touch_watch=*/false);
  if (added) key.s.SignalModified(key.db, args[1]);
  if (added) Notify(ctx, kNotifySet, "sadd", args[1]);
  ctx.reply.Integer(added);
}

// SREM key member [member ...]
void CmdSRem(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  int64_t removed = 0;
  bool emptied = false;
  key.s.Update(
      key.db, key.link,
      [&](Entry* e) {
        ChangeSet(e, [&](SetValue*& set) {
          for (size_t i = 2; i < args.size() && !set->empty(); ++i)
            removed += RemoveFrom(set, args[i]) ? 1 : 0;
          emptied = set->empty();
        });
        return e;
      },
      /*touch_watch=*/false);
  if (removed) key.s.SignalModified(key.db, args[1]);
  if (emptied) key.s.Delete(key.db, key.link);
  if (removed) Notify(ctx, kNotifySet, "srem", args[1]);
  if (emptied) Notify(ctx, kNotifyGeneric, "del", args[1]);
  ctx.reply.Integer(removed);
}

// SISMEMBER key member
void CmdSIsMember(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link && key.set().Contains(args[2]) ? 1 : 0);
}

// SMISMEMBER key member [member ...]
void CmdSMIsMember(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i)
    ctx.reply.Integer(key.link && key.set().Contains(args[i]) ? 1 : 0);
}

// SCARD key
void CmdSCard(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link ? int64_t(key.set().size()) : 0);
}

void ReplyMembers(ReplySink& reply, const SetValue& set) {
  reply.SetHeader(set.size());
  set.ForEach([&](std::string_view m) { reply.Bulk(m); });
}

// SMEMBERS key
void CmdSMembers(CommandContext& ctx, ArgList args) {
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.SetHeader(0);
  ReplyMembers(ctx.reply, key.set());
}

// All members, copied (their views do not outlive a change, nor an intset's next member).
std::vector<std::string> CopyMembers(const SetValue& set) {
  std::vector<std::string> out;
  out.reserve(set.size());
  set.ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

// `count` distinct members at random (count < size).
std::vector<std::string> DistinctRandom(const SetValue& set, size_t count) {
  std::vector<std::string> out;
  if (count * 3 >= set.size()) {
    // Many of them: a partial shuffle of all members.
    out = CopyMembers(set);
    for (size_t i = 0; i < count; ++i) std::swap(out[i], out[i + NextRandom() % (out.size() - i)]);
    out.resize(count);
    return out;
  }
  std::unordered_set<std::string> seen;
  char scratch[SetValue::kScratch];
  while (out.size() < count) {
    std::string m(set.RandomMember(NextRandom(), scratch));
    if (seen.insert(m).second) out.push_back(std::move(m));
  }
  return out;
}

// SRANDMEMBER key [count]: count >= 0 distinct members (all if count >= size); count < 0: |count|
// members, repeats allowed. The count is parsed before the key is looked at, as in Redis.
void CmdSRandMember(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  bool has_count = args.size() == 3;
  int64_t count = 0;
  if (has_count) {
    if (!String2ll(args[2], &count)) return ctx.reply.Error(errors::kNotInteger);
    if (count == INT64_MIN) return ctx.reply.Error(kCountRange);
  }
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  char scratch[SetValue::kScratch];
  if (!has_count) {
    if (!key.link) return ctx.reply.Null();
    return ctx.reply.Bulk(key.set().RandomMember(NextRandom(), scratch));
  }
  if (!key.link || count == 0) return ctx.reply.ArrayHeader(0);
  const SetValue& set = key.set();
  if (count < 0) {
    auto n = uint64_t(-count);
    ctx.reply.ArrayHeader(n);
    for (uint64_t i = 0; i < n; ++i) ctx.reply.Bulk(set.RandomMember(NextRandom(), scratch));
    return;
  }
  if (uint64_t(count) >= set.size()) {
    ctx.reply.ArrayHeader(set.size());
    set.ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  std::vector<std::string> picked = DistinctRandom(set, size_t(count));
  ctx.reply.ArrayHeader(picked.size());
  for (const std::string& m : picked) ctx.reply.Bulk(m);
}

// SPOP key [count]
void CmdSPop(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  bool has_count = args.size() == 3;
  int64_t count = 1;
  if (has_count && (!String2ll(args[2], &count) || count < 0))
    return ctx.reply.Error(errors::kMustBePositive);
  SetKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return has_count ? ctx.reply.SetHeader(0) : ctx.reply.Null();
  if (count == 0) return ctx.reply.SetHeader(0);
  std::vector<std::string> popped;
  const SetValue& cur = key.set();
  Notify(ctx, kNotifySet, "spop", args[1]);
  if (uint64_t(count) >= cur.size()) {
    // Everything: reply with the members and delete the key.
    if (has_count)
      ReplyMembers(ctx.reply, cur);
    else
      cur.ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
    key.s.Delete(key.db, key.link);
    Notify(ctx, kNotifyGeneric, "del", args[1]);
    return;
  }
  key.s.Update(key.db, key.link, [&](Entry* e) {
    ChangeSet(e, [&](SetValue*& set) {
      char scratch[SetValue::kScratch];
      for (int64_t i = 0; i < count; ++i) {
        popped.emplace_back(set->RandomMember(NextRandom(), scratch));
        RemoveFrom(set, popped.back());
      }
      // When at most a fifth as many members stay as go, Redis 7.0 builds the rest into a new set
      // (SPOP_MOVE_STRATEGY_MUL), which starts over at the smallest encoding that fits: so does
      // this, for the same OBJECT ENCODING afterwards (and the memory back).
      if (set->size() * 5 <= uint64_t(count)) {
        OwnedSet fresh;
        SetValue::Limits lim = LimitsOf(ctx);
        set->ForEach([&](std::string_view m) { AddTo(fresh.get(), m, lim); });
        SetValue::Free(std::exchange(set, fresh.release()));
      }
    });
    return e;
  });
  if (!has_count) return ctx.reply.Bulk(popped[0]);
  ctx.reply.SetHeader(popped.size());
  for (const std::string& m : popped) ctx.reply.Bulk(m);
}

// SMOVE source destination member
void CmdSMove(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef refs[2] = {KeyRef(args[1]), KeyRef(args[2])};
  int db = Db(ctx);
  auto guard = ks.LockKeys(refs);
  Shard& ss = ks.shard(refs[0]);
  Shard& ds = ks.shard(refs[1]);
  // The destination first: a lookup may move links of its shard (expiry, rehash steps), so the
  // source's link is taken last; entries themselves stay put.
  Entry** dst = ds.Find(db, refs[1], Engine::NowMs());
  const Entry* dst_entry = dst ? *dst : nullptr;
  Entry** src = ss.Find(db, refs[0], Engine::NowMs());
  // As Redis: a missing source answers 0 before the types are checked.
  if (!src) return ctx.reply.Integer(0);
  if ((*src)->type != ValueType::kSet || (dst_entry && dst_entry->type != ValueType::kSet))
    return ctx.reply.Error(errors::kWrongType);
  std::string_view member = args[3];
  if (*src == dst_entry) return ctx.reply.Integer(SetOf(*src).Contains(member));
  if (!SetOf(*src).Contains(member)) return ctx.reply.Integer(0);
  bool emptied = false;
  ss.Update(db, src, [&](Entry* e) {
    ChangeSet(e, [&](SetValue*& set) {
      RemoveFrom(set, member);
      emptied = set->empty();
    });
    return e;
  });
  if (emptied) ss.Delete(db, src);
  Notify(ctx, kNotifySet, "srem", args[1]);
  if (emptied) Notify(ctx, kNotifyGeneric, "del", args[1]);
  // Links of the destination's shard may have moved: find it again.
  dst = ds.Find(db, refs[1], Engine::NowMs());
  if (!dst) dst = CreateSet(ds, db, refs[1]);
  SetValue::Limits lim = LimitsOf(ctx);
  bool added = false;
  ds.Update(
      db, dst,
      [&](Entry* e) {
        ChangeSet(e, [&](SetValue*& set) { added = AddTo(set, member, lim); });
        return e;
      },
      /*touch_watch=*/false);
  if (added) ds.SignalModified(db, args[2]);
  if (added) Notify(ctx, kNotifySet, "sadd", args[2]);
  ctx.reply.Integer(1);
}

enum class SetOp : uint8_t { kUnion, kInter, kDiff };

// The sets named by args[first..last]: nullptr for a missing key. False (and the WRONGTYPE
// reply) if one holds another type; Redis checks every key's type before answering.
bool CollectSets(CommandContext& ctx, ArgList args, size_t first, size_t last, bool read,
                 std::vector<const SetValue*>* sets) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  for (size_t i = first; i <= last; ++i) {
    KeyRef k(args[i]);
    Shard& s = ks.shard(k);
    Entry** link =
        read ? s.Lookup(db, k, Engine::NowMs(), ks.lru_clock()) : s.Find(db, k, Engine::NowMs());
    if (link && (*link)->type != ValueType::kSet) {
      ctx.reply.Error(errors::kWrongType);
      return false;
    }
    sets->push_back(link ? &SetOf(*link) : nullptr);
  }
  return true;
}

// Members of every set in `sets` (none missing), smallest set first, up to limit (0: all);
// calls fn(member) for each.
template <typename Fn>
void Intersect(std::vector<const SetValue*> sets, size_t limit, Fn&& fn) {
  std::sort(sets.begin(), sets.end(),
            [](const SetValue* a, const SetValue* b) { return a->size() < b->size(); });
  size_t found = 0;
  // ForEach cannot stop early; a found count at the limit makes the rest cheap.
  sets[0]->ForEach([&](std::string_view m) {
    if (limit && found >= limit) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (!sets[j]->Contains(m)) return;
    }
    ++found;
    fn(m);
  });
}

// The result of op over sets (nullptr: a missing key) into out, built as Redis builds it (from
// an empty intset, member by member), so that its encoding is Redis's too.
void Combine(SetOp op, const std::vector<const SetValue*>& sets, const SetValue::Limits& lim,
             OwnedSet* result) {
  SetValue*& out = result->get();
  switch (op) {
    case SetOp::kUnion:
      for (const SetValue* s : sets) {
        if (s) s->ForEach([&](std::string_view m) { AddTo(out, m, lim); });
      }
      break;
    case SetOp::kInter:
      if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) break;
      Intersect(sets, 0, [&](std::string_view m) { AddTo(out, m, lim); });
      break;
    case SetOp::kDiff: {
      if (!sets[0]) break;
      // Redis picks one of two algorithms by the work each would do, and the choice shows in
      // the result's encoding (conversions are one-way): filtering the first set's members
      // adds only survivors; copying the first set and removing the others' members may pass a
      // threshold on the way. Both are done here as Redis decides.
      uint64_t filter_work = 0, remove_work = 0;
      for (const SetValue* s : sets) {
        if (!s) continue;
        filter_work += sets[0]->size();
        remove_work += s->size();
      }
      if (filter_work / 2 <= remove_work) {
        sets[0]->ForEach([&](std::string_view m) {
          for (size_t j = 1; j < sets.size(); ++j) {
            if (sets[j] && sets[j]->Contains(m)) return;
          }
          AddTo(out, m, lim);
        });
        break;
      }
      sets[0]->ForEach([&](std::string_view m) { AddTo(out, m, lim); });
      for (size_t j = 1; j < sets.size() && !out->empty(); ++j) {
        if (!sets[j]) continue;
        std::vector<std::string> gone = CopyMembers(*sets[j]);
        for (const std::string& m : gone) RemoveFrom(out, m);
      }
      break;
    }
  }
}

// SUNION/SINTER/SDIFF key [key ...], and the STORE forms: destination key [key ...].
void SetOperation(CommandContext& ctx, ArgList args, SetOp op, bool store) {
  Keyspace& ks = ctx.engine.keyspace();
  std::vector<KeyRef> refs;
  for (size_t i = 1; i < args.size(); ++i) refs.emplace_back(args[i]);
  auto guard = ks.LockKeys(refs);
  std::vector<const SetValue*> sets;
  if (!CollectSets(ctx, args, store ? 2 : 1, args.size() - 1, !store, &sets)) return;
  if (store && op == SetOp::kInter) {
    // SINTERSTORE reads its sources as Redis's lookupKeyRead does, up to the first missing one.
    for (size_t i = 0; i < sets.size(); ++i) {
      if (sets[i]) continue;
      Notify(ctx, kNotifyKeyMiss, "keymiss", args[2 + i]);
      break;
    }
  }
  OwnedSet result;
  Combine(op, sets, LimitsOf(ctx), &result);
  if (!store) return ReplyMembers(ctx.reply, *result);
  int db = Db(ctx);
  Shard& ds = ks.shard(refs[0]);
  bool existed = false;
  if (Entry** old = ds.Find(db, refs[0], Engine::NowMs())) {
    ds.Delete(db, old);
    existed = true;
  }
  size_t n = (*result).size();
  if (n > 0) {
    OverwriteScope overwrite(existed);
    ds.Insert(db, NewObjectEntry(refs[0].key, refs[0].hash, ValueType::kSet, result.release()));
    Notify(ctx, kNotifySet,
           op == SetOp::kUnion   ? "sunionstore"
           : op == SetOp::kInter ? "sinterstore"
                                 : "sdiffstore",
           args[1]);
  } else if (existed) {
    Notify(ctx, kNotifyGeneric, "del", args[1]);
  }
  ctx.reply.Integer(int64_t(n));
}

void CmdSUnion(CommandContext& ctx, ArgList args) { SetOperation(ctx, args, SetOp::kUnion, false); }
void CmdSInter(CommandContext& ctx, ArgList args) { SetOperation(ctx, args, SetOp::kInter, false); }
void CmdSDiff(CommandContext& ctx, ArgList args) { SetOperation(ctx, args, SetOp::kDiff, false); }
void CmdSUnionStore(CommandContext& ctx, ArgList args) {
  SetOperation(ctx, args, SetOp::kUnion, true);
}
void CmdSInterStore(CommandContext& ctx, ArgList args) {
  SetOperation(ctx, args, SetOp::kInter, true);
}
void CmdSDiffStore(CommandContext& ctx, ArgList args) {
  SetOperation(ctx, args, SetOp::kDiff, true);
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdSInterCard(CommandContext& ctx, ArgList args) {
  int64_t numkeys;
  if (!String2ll(args[1], &numkeys) || numkeys < 1) return ctx.reply.Error(errors::kNumkeys);
  if (uint64_t(numkeys) > args.size() - 2) return ctx.reply.Error(kTooManyKeys);
  size_t opts = 2 + size_t(numkeys);
  int64_t limit = 0;
  for (size_t i = opts; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "limit") && i + 1 < args.size()) {
      if (!String2ll(args[++i], &limit) || limit < 0) return ctx.reply.Error(kLimitNegative);
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  Keyspace& ks = ctx.engine.keyspace();
  std::vector<KeyRef> refs;
  for (size_t i = 2; i < opts; ++i) refs.emplace_back(args[i]);
  auto guard = ks.LockKeys(refs);
  std::vector<const SetValue*> sets;
  if (!CollectSets(ctx, args, 2, opts - 1, true, &sets)) return;
  if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return ctx.reply.Integer(0);
  int64_t n = 0;
  Intersect(sets, size_t(limit), [&](std::string_view) { ++n; });
  ctx.reply.Integer(n);
}

// SSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is parsed first, then the key; the
// options only for an existing set, as in Redis.
void CmdSScan(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  SetKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    return ctx.reply.ArrayHeader(0);
  }
  ScanOptions opts;
  if (auto err = ParseScanOptions(args, 3, ScanKind::kMembers, &opts); !err.empty())
    return ctx.reply.Error(err);
  std::vector<std::string> found;
  uint64_t next = key.set().Scan(cursor, size_t(opts.count), [&](std::string_view m) {
    if (!opts.use_pattern || GlobMatch(opts.pattern, m, false)) found.emplace_back(m);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(Ll2String(int64_t(next)));
  ctx.reply.ArrayHeader(found.size());
  for (const std::string& m : found) ctx.reply.Bulk(m);
}

}  // namespace

void RegisterSetFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kSet, &kSetOps);
  SetSortElements(ValueType::kSet, SortElements);
  SetEncodingNamer(ValueType::kSet, SetEncodingName);
  constexpr uint32_t kW = kCmdWrite, kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly,
                     kF = kCmdFast;
  r.Register(CommandSpec("sadd", -3, kWD | kF, 1, 1, 1, CmdSAdd));
  r.Register(CommandSpec("srem", -3, kW | kF, 1, 1, 1, CmdSRem));
  r.Register(CommandSpec("sismember", 3, kRO | kF, 1, 1, 1, CmdSIsMember));
  r.Register(CommandSpec("smismember", -3, kRO | kF, 1, 1, 1, CmdSMIsMember));
  r.Register(CommandSpec("scard", 2, kRO | kF, 1, 1, 1, CmdSCard));
  r.Register(CommandSpec("smembers", 2, kRO, 1, 1, 1, CmdSMembers));
  r.Register(CommandSpec("srandmember", -2, kRO, 1, 1, 1, CmdSRandMember));
  r.Register(CommandSpec("spop", -2, kW | kF, 1, 1, 1, CmdSPop));
  r.Register(CommandSpec("smove", 4, kW | kF, 1, 2, 1, CmdSMove));
  r.Register(CommandSpec("sunion", -2, kRO, 1, -1, 1, CmdSUnion));
  r.Register(CommandSpec("sinter", -2, kRO, 1, -1, 1, CmdSInter));
  r.Register(CommandSpec("sdiff", -2, kRO, 1, -1, 1, CmdSDiff));
  r.Register(CommandSpec("sunionstore", -3, kWD, 1, -1, 1, CmdSUnionStore));
  r.Register(CommandSpec("sinterstore", -3, kWD, 1, -1, 1, CmdSInterStore));
  r.Register(CommandSpec("sdiffstore", -3, kWD, 1, -1, 1, CmdSDiffStore));
  CommandSpec sintercard("sintercard", -3, kRO | kCmdMovableKeys, 0, 0, 0, CmdSInterCard);
  sintercard.numkeys_arg = 1;
  r.Register(std::move(sintercard));
  r.Register(CommandSpec("sscan", -3, kRO, 1, 1, 1, CmdSScan));
}

}  // namespace aegisr
