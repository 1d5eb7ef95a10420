#pragma once
// What the command families share: the client's database, one typed key found under its shard
// lock (TypedKey), a collection's object for reading or changing (ObjectOf, MutableObject), and
// the options of the collection scans (HSCAN, SSCAN, ZSCAN; SCAN itself adds TYPE).

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "engine/keyspace/keyspace.h"

namespace aegisr {

inline int Db(const CommandContext& ctx) { return ctx.client.db.load(std::memory_order_relaxed); }

// A collection's object, for reading.
template <typename T>
const T& ObjectOf(const Entry* e) {
  return *static_cast<const T*>(e->object());
}

// A collection's object for a change in place: its clean copy on disk (if any) no longer
// matches after it, so it is dropped first. Call inside Shard::Update.
template <typename T>
T& MutableObject(Entry* e) {
  DropCleanCopy(e);
  return *static_cast<T*>(e->object());
}

// One key of a command, of value type `type`, found under its shard's lock, which is held while
// this lives. `read` commands count a keyspace hit or miss and touch the key (Shard::Lookup);
// write commands do neither, as Redis's lookupKeyWrite. wrong_type: the key holds another type
// (link is then null).
struct TypedKey {
  TypedKey(CommandContext& ctx, std::string_view name, ValueType type, bool read)
      : ks(ctx.engine.keyspace()), k(name), db(Db(ctx)), lock(ks.Lock(k)), s(ks.shard(k)) {
    link = read ? s.Lookup(db, k, Engine::NowMs(), ks.lru_clock()) : s.Find(db, k, Engine::NowMs());
    wrong_type = link && (*link)->type != type;
    if (wrong_type) link = nullptr;
  }
  Entry* entry() const { return *link; }

  Keyspace& ks;
  KeyRef k;
  int db;
  std::unique_lock<ShardMutex> lock;
  Shard& s;
  Entry** link = nullptr;
  bool wrong_type = false;
};

// The walk of the MPOP commands and their one-key blocking forms (LMPOP, BLPOP, BLMPOP, ZMPOP,
// BZPOPMIN, BZMPOP): the first of keys (all locked by the caller) that holds a value gets
// pop(shard, link, key) and the walk ends; a value of another type ends it as kWrongType, as
// Redis checks the keys in order.
enum class FirstResult : uint8_t { kPopped, kAllEmpty, kWrongType };
template <typename Pop>
FirstResult PopFromFirstKey(Keyspace& ks, int db, std::span<const KeyRef> keys, ValueType type,
                            Pop&& pop) {
  for (const KeyRef& k : keys) {
    Shard& s = ks.shard(k);
    Entry** link = s.Find(db, k, Engine::NowMs());
    if (!link) continue;
    if ((*link)->type != type) return FirstResult::kWrongType;
    pop(s, link, k);
    return FirstResult::kPopped;
  }
  return FirstResult::kAllEmpty;
}

// The options after a scan's cursor, as Redis's scanGenericCommand parses them: COUNT n (an
// integer >= 1), MATCH pattern ("*" matches all and is dropped), and TYPE name where allowed
// (SCAN only). Returns the error to reply with, or an empty view.
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;  // empty: no pattern
  bool use_pattern = false;
  std::string_view type;
  bool use_type = false;
  bool no_values = false;  // HSCAN ... NOVALUES (Redis 7.4): fields only
};
// Who parses: SCAN also takes TYPE, HSCAN also NOVALUES; the others COUNT and MATCH only.
enum class ScanKind { kKeys, kHash, kMembers };
std::string_view ParseScanOptions(ArgList args, size_t first, ScanKind kind, ScanOptions* out);

// What SORT (engine/sort_family.cc) reads from the collections, registered by their families at
// startup: a collection's elements in its own order (a list's index order, a sorted set's rank
// order, any order for a set), and a hash's field (false if absent), for "BY/GET key->field".
using ElementsFn = void (*)(const Entry& e, std::vector<std::string>* out);
using HashFieldFn = bool (*)(const Entry& e, std::string_view field, std::string* out);
void SetSortElements(ValueType t, ElementsFn fn);
void SetHashFieldGetter(HashFieldFn fn);

}  // namespace aegisr
