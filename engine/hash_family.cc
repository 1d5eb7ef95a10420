// The hash command family, Redis 7.0 semantics (t_hash.c): HSET HSETNX HMSET HGET HMGET HDEL HLEN
// HSTRLEN HEXISTS HINCRBY HINCRBYFLOAT HGETALL HKEYS HVALS HRANDFIELD HSCAN, and the per-field
// TTL commands of Redis 7.4: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME
// HPEXPIRETIME HPERSIST.
//
// A hash value is a HashValue (engine/types/hash_value.h) owned by its entry: a listpack while it
// has at most hash-max-listpack-entries fields and no field or value longer than
// hash-max-listpack-value bytes, a table after (one way, as Redis converts). The checks follow
// Redis's places: HSET/HSETNX look at the lengths of all their arguments before writing,
// HINCRBY* at the field and the new value, and every write at the field count after it.
//
// Field expiry: a field whose time has passed is never returned. Every command that finds a hash
// with such fields first deletes all of them (inside Shard::Update, so memory accounting stays
// right), and deletes the key if none is left. Actively, the cron visits the hashes given field
// TTLs by HEXPIRE and friends (see "active field expiry" below) and does the same, so an
// untouched hash loses its expired fields, and its key with the last of them.
//
// Empty hashes are never stored. Handlers take the shard lock of their key, check arguments in
// Redis's order, and change a hash only inside Shard::Update after dropping any clean copy on
// disk (MutableObject).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/glob.h"
#include "base/numbers.h"
#include "base/varint.h"
#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/key_errors.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/hash_value.h"

namespace aegisr {
namespace {

constexpr std::string_view kHashNotInteger = "ERR hash value is not an integer";
constexpr std::string_view kHashNotFloat = "ERR hash value is not a float";
constexpr std::string_view kIncrNanOrInf = "ERR value is NaN or Infinity";
constexpr std::string_view kValueOutOfRange = "ERR value is out of range";
constexpr std::string_view kRandCountRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
constexpr std::string_view kFieldsMissing =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
constexpr std::string_view kNumFieldsSet = "ERR Parameter `numFields` should be greater than 0";
constexpr std::string_view kNumFieldsGet = "ERR Number of fields must be a positive integer";
constexpr std::string_view kNumFieldsMismatch =
    "ERR The `numfields` parameter must match the number of arguments";
constexpr std::string_view kExpireNegative = "ERR invalid expire time, must be >= 0";
// Redis 7.4's HFE_MAX_ABS_TIME_MSEC: the largest absolute field expiry, in ms.
constexpr int64_t kMaxFieldExpireMs = int64_t(0xFFFFFFFFFFFFull >> 2);

// Reply codes of the field TTL commands (Redis 7.4).
constexpr int64_t kNoField = -2;
constexpr int64_t kNoTtl = -1;
constexpr int64_t kCondNotMet = 0;
constexpr int64_t kSetOk = 1;
constexpr int64_t kDeletedPast = 2;

const HashValue& HashOf(const Entry* e) { return ObjectOf<HashValue>(e); }

// A hash changes in place and may move (engine/types/hash_value.h): fn(HashValue*&) changes it,
// then the entry is pointed at where it now lives. The clean copy on disk is dropped first.
// Call inside Shard::Update.
template <typename Fn>
void ChangeHash(Entry* e, Fn&& fn) {
  DropCleanCopy(e);
  auto* h = static_cast<HashValue*>(e->object());
  fn(h);
  std::memcpy(e->payload(), &h, sizeof(h));
}

uint64_t RandomU64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// ---- disk tier codec ----
// [encoding byte][varint count] then per field [varint flen][field][varint vlen][value]
// [varint expire_at (0: none)], in the hash's iteration order, so a listpack comes back with its
// order and a table as a table.

void EncodeHash(const void* obj, std::string* out) {
  const auto& h = *static_cast<const HashValue*>(obj);
  out->push_back(h.is_table() ? 1 : 0);  // a sharded table is a table
  AppendVarint(out, h.size());
  h.ForEach([&](const HashValue::Field& f) {
    AppendVarint(out, f.field.size());
    out->append(f.field);
    AppendVarint(out, f.value.size());
    out->append(f.value);
    AppendVarint(out, uint64_t(f.expire_at));
  });
}

void* DecodeHash(std::string_view payload) {
  if (payload.empty()) return nullptr;
  auto enc = static_cast<uint8_t>(payload[0]);
  if (enc > 1) return nullptr;
  size_t pos = 1;
  uint64_t n;
  if (!ReadVarint(payload, &pos, &n) || n == 0) return nullptr;
  HashValue* h = HashValue::New();
  if (enc == uint8_t(HashValue::Enc::kTable)) h = h->ConvertToTable();
  auto refuse = [&]() -> void* {
    HashValue::Free(h);
    return nullptr;
  };
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t flen, vlen, at;
    if (!ReadVarint(payload, &pos, &flen) || flen > payload.size() - pos) return refuse();
    std::string_view field = payload.substr(pos, flen);
    pos += flen;
    if (!ReadVarint(payload, &pos, &vlen) || vlen > payload.size() - pos) return refuse();
    std::string_view value = payload.substr(pos, vlen);
    pos += vlen;
    if (!ReadVarint(payload, &pos, &at) || at > uint64_t(INT64_MAX)) return refuse();
    bool inserted, found;
    h = h->Set(field, value, false, &inserted);
    if (!inserted) return refuse();  // a repeated field: not ours
    if (at) h = h->SetExpire(field, int64_t(at), &found);
  }
  return pos == payload.size() ? h : refuse();
}

void NoteInsertedHash(const Entry* e, int db);

const ObjectOps kHashOps = {
    [](void* obj) { HashValue::Free(static_cast<HashValue*>(obj)); },
    [](const void* obj) -> void* { return HashValue::Clone(static_cast<const HashValue*>(obj)); },
    [](const void* obj) { return static_cast<const HashValue*>(obj)->MemoryBytes(); },
    EncodeHash,
    DecodeHash,
    // A table frees one record per field; a listpack is one allocation.
    [](const void* obj) {
      const auto* h = static_cast<const HashValue*>(obj);
      return h->is_table() ? h->size() + 1 : size_t{1};
    },
    NoteInsertedHash,
};

// SORT's "BY/GET key->field": the field's value unless absent or expired.
bool SortField(const Entry& e, std::string_view field, std::string* out) {
  HashValue::Field f;
  if (!static_cast<const HashValue*>(e.object())->Find(field, &f)) return false;
  if (f.expire_at != 0 && Engine::NowMs() > f.expire_at) return false;
  out->assign(f.value);
  return true;
}

std::string_view EncodingName(const Entry& e) {
  // Callers load a cold value first (OBJECT ENCODING reads values); an entry without its object
  // in RAM still gets a name rather than a read of its disk reference.
  if (e.enc != Encoding::kObject) return "hashtable";
  return HashOf(&e).encoding() == HashValue::Enc::kListpack ? "listpack" : "hashtable";
}

// ---- encoding thresholds ----

struct Limits {
  size_t entries;
  size_t value;
  explicit Limits(const CommandContext& ctx) {
    const Config& c = ctx.engine.config();
    entries = size_t(c.hash_max_listpack_entries.load(std::memory_order_relaxed));
    value = size_t(c.hash_max_listpack_value.load(std::memory_order_relaxed));
  }
};

// Redis's hashTypeTryConversion: any argument longer than the value limit makes a table.
void ConvertForArgs(HashValue*& h, ArgList args, size_t first, size_t last, const Limits& lim) {
  if (h->encoding() != HashValue::Enc::kListpack) return;
  for (size_t i = first; i <= last; ++i) {
    if (args[i].size() > lim.value) {
      h = h->ConvertToTable();
      return;
    }
  }
}

void ConvertForSize(HashValue*& h, const Limits& lim) {
  if (h->encoding() == HashValue::Enc::kListpack && h->size() > lim.entries) {
    h = h->ConvertToTable();
  }
}

// ---- active field expiry ----
//
// Hashes given a field TTL (HEXPIRE and friends) are noted per shard; each loop's cron visits
// the noted hashes of its shards (under the shard's lock, within the expiry budget, resuming
// where it stopped) and deletes their expired fields, and the key when none is left. A note
// outlives its hash harmlessly: a visit that finds no hash, or one without field TTLs, drops it.
// A hash with field TTLs that enters the keyspace otherwise (COPY, RENAME, MOVE) is noted as it
// is inserted (ObjectOps::inserted); one read back from the disk tier kept its note, which
// waits while the value is on disk. Every command that finds a hash with field TTLs notes it
// too.
struct FieldTtlWatch {
  std::set<std::pair<int, std::string>> keys;  // (db, key)
  std::pair<int, std::string> cursor;          // the last visited
};
FieldTtlWatch g_watch[kNumShards];  // [i] guarded by shard i's lock

void WatchFieldTtls(const KeyRef& k, int db) {
  g_watch[k.shard].keys.emplace(db, std::string(k.key));
}

void NoteInsertedHash(const Entry* e, int db) {
  if (ObjectOf<HashValue>(e).ttl_fields() != 0) WatchFieldTtls(KeyRef(e->key()), db);
}

// ---- key access ----

// One hash key of a command, found under its shard's lock, with its expired fields already
// deleted (and the key too if nothing was left). That deletion raises Redis 7.4's events of a
// field expiry (hashTypeExpire): "hexpired" (class h), then "del" (g) if the key went, before
// the command's own.
struct HashKey : TypedKey {
  HashKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kHash, read), now(Engine::NowMs()) {
    if (link && HashOf(*link).HasExpired(now)) {
      bool emptied = false;
      s.Update(db, link, [&](Entry* e) {
        ChangeHash(e, [&](HashValue*& h) {
          h = h->DeleteExpired(now, nullptr);
          emptied = h->empty();
        });
        return e;
      });
      if (emptied) {
        s.Delete(db, link);
        link = nullptr;
      }
      Notify(ctx.engine, kNotifyHash, "hexpired", name, db);
      if (emptied) Notify(ctx.engine, kNotifyGeneric, "del", name, db);
    }
    if (link && HashOf(*link).ttl_fields() != 0) WatchFieldTtls(k, db);
  }
  const HashValue& hash() const { return HashOf(*link); }
  // The link, creating an empty hash first if the key is absent. The caller must leave it
  // non-empty.
  Entry** Create() {
    if (!link) {
      s.Insert(db, NewObjectEntry(k.key, k.hash, ValueType::kHash, HashValue::New()));
      link = s.Find(db, k, now);
    }
    return link;
  }
  // Applies fn(HashValue*&) inside Shard::Update; deletes the key if the hash is left empty.
  // touch_watch as Shard::Update's: false leaves the watchers to the caller (SignalModified).
  template <typename Fn>
  void Change(Fn&& fn, bool touch_watch = true) {
    bool emptied = false;
    s.Update(
        db, link,
        [&](Entry* e) {
          ChangeHash(e, [&](HashValue*& h) {
            fn(h);
            emptied = h->empty();
          });
          return e;
        },
        touch_watch);
    if (emptied) {
      s.Delete(db, link);
      link = nullptr;
    }
  }

  int64_t now;
};

// Visits one noted hash; true when its note can go. Expired fields deleted raise "hexpired"
// (class h) once for the hash, then "del" (g) if it went, as Redis 7.4's hashTypeExpire.
bool VisitWatched(Shard& s, int db, const std::string& name, int64_t now) {
  KeyRef k(name);
  Entry** link = s.Find(db, k, now);
  if (!link || (*link)->type != ValueType::kHash) return true;
  if ((*link)->enc != Encoding::kObject) return false;  // on disk: when it is back
  const HashValue& h = HashOf(*link);
  if (h.ttl_fields() == 0) return true;
  if (!h.HasExpired(now)) return false;
  bool emptied = false, no_ttls = false;
  s.Update(db, link, [&](Entry* e) {
    ChangeHash(e, [&](HashValue*& hv) {
      hv = hv->DeleteExpired(now, nullptr);
      emptied = hv->empty();
      no_ttls = hv->ttl_fields() == 0;
    });
    return e;
  });
  if (emptied) s.Delete(db, link);
  NotifyProcess(kNotifyHash, "hexpired", name, db);
  if (emptied) NotifyProcess(kNotifyGeneric, "del", name, db);
  return emptied || no_ttls;
}

void ActiveFieldExpire(Shard& s, unsigned index, int64_t now, int64_t budget_us) {
  FieldTtlWatch& w = g_watch[index];
  if (w.keys.empty()) return;
  auto start = std::chrono::steady_clock::now();
  auto it = w.keys.upper_bound(w.cursor);
  for (size_t visited = 0, n = w.keys.size(); visited < n && !w.keys.empty(); ++visited) {
    if (it == w.keys.end()) it = w.keys.begin();
    w.cursor = *it;
    it = VisitWatched(s, it->first, it->second, now) ? w.keys.erase(it) : std::next(it);
    if (visited % 16 == 15 &&
        std::chrono::steady_clock::now() - start >= std::chrono::microseconds(budget_us)) {
      break;
    }
  }
}

// HSET key field value [field value ...], HMSET (replies OK)
void SetGeneric(CommandContext& ctx, ArgList args, bool hmset) {
  if (args.size() % 2 == 1) {
    return ctx.reply.Error("ERR wrong number of arguments for '" +
                           std::string(hmset ? "hmset" : "hset") + "' command");
  }
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  Limits lim(ctx);
  key.Create();
  int64_t created = 0;
  key.Change([&](HashValue*& h) {
    ConvertForArgs(h, args, 2, args.size() - 1, lim);
    for (size_t i = 2; i < args.size(); i += 2) {
      bool inserted;
      h = h->Set(args[i], args[i + 1], false, &inserted);
      created += inserted;
    }
    ConvertForSize(h, lim);
  });
  Notify(ctx, kNotifyHash, "hset", args[1]);
  if (hmset) return ctx.reply.Ok();
  ctx.reply.Integer(created);
}

void CmdHSet(CommandContext& ctx, ArgList args) { SetGeneric(ctx, args, false); }
void CmdHMSet(CommandContext& ctx, ArgList args) { SetGeneric(ctx, args, true); }

// HSETNX key field value
void CmdHSetNx(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (key.link && key.hash().Contains(args[2])) return ctx.reply.Integer(0);
  Limits lim(ctx);
  key.Create();
  key.Change([&](HashValue*& h) {
    ConvertForArgs(h, args, 2, 3, lim);
    bool inserted;
    h = h->Set(args[2], args[3], false, &inserted);
    ConvertForSize(h, lim);
  });
  Notify(ctx, kNotifyHash, "hset", args[1]);
  ctx.reply.Integer(1);
}

// Sets one field computed by HINCRBY*: Redis's hashTypeSet checks the field and the new value.
// The field keeps its TTL.
void SetComputed(HashKey& key, std::string_view field, std::string_view value, const Limits& lim) {
  key.Create();
  key.Change([&](HashValue*& h) {
    if (h->encoding() == HashValue::Enc::kListpack &&
        (field.size() > lim.value || value.size() > lim.value)) {
      h = h->ConvertToTable();
    }
    bool inserted;
    h = h->Set(field, value, true, &inserted);
    ConvertForSize(h, lim);
  });
}

// HINCRBY key field increment
void CmdHIncrBy(CommandContext& ctx, ArgList args) {
  int64_t incr;
  if (!String2ll(args[3], &incr)) return ctx.reply.Error(errors::kNotInteger);
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  int64_t value = 0;
  HashValue::Field f;
  if (key.link && key.hash().Find(args[2], &f)) {
    if (!String2ll(f.value, &value)) return ctx.reply.Error(kHashNotInteger);
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return ctx.reply.Error(errors::kOverflow);
  }
  value += incr;
  char buf[kLongStrSize];
  size_t n = Ll2String(buf, value);
  SetComputed(key, args[2], std::string_view(buf, n), Limits(ctx));
  Notify(ctx, kNotifyHash, "hincrby", args[1]);
  ctx.reply.Integer(value);
}

// HINCRBYFLOAT key field increment
void CmdHIncrByFloat(CommandContext& ctx, ArgList args) {
  long double incr;
  if (!String2ld(args[3], &incr)) return ctx.reply.Error(errors::kNotFloat);
  if (std::isnan(incr) || std::isinf(incr)) return ctx.reply.Error(kIncrNanOrInf);
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  long double value = 0;
  HashValue::Field f;
  if (key.link && key.hash().Find(args[2], &f)) {
    if (!String2ld(f.value, &value)) return ctx.reply.Error(kHashNotFloat);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.reply.Error(errors::kNanOrInf);
  std::string text = Ld2String(value, LdMode::kHuman);
  SetComputed(key, args[2], text, Limits(ctx));
  Notify(ctx, kNotifyHash, "hincrbyfloat", args[1]);
  ctx.reply.Bulk(text);
}

// HGET key field
void CmdHGet(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  HashValue::Field f;
  if (!key.link || !key.hash().Find(args[2], &f)) return ctx.reply.Null();
  ctx.reply.Bulk(f.value);
}

// HMGET key field [field ...]
void CmdHMGet(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    HashValue::Field f;
    if (key.link && key.hash().Find(args[i], &f))
      ctx.reply.Bulk(f.value);
    else
      ctx.reply.Null();
  }
}

// HDEL key field [field ...]
void CmdHDel(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  // Nothing to delete: no change (and the clean copy on disk stays good).
  bool any = false;
  for (size_t i = 2; i < args.size() && !any; ++i) any = key.hash().Contains(args[i]);
  if (!any) return ctx.reply.Integer(0);
  int64_t deleted = 0;
  key.Change([&](HashValue*& h) {
    for (size_t i = 2; i < args.size() && !h->empty(); ++i) {
      bool gone;
      h = h->Delete(args[i], &gone);
      deleted += gone;
    }
  });
  Notify(ctx, kNotifyHash, "hdel", args[1]);
  if (!key.link) Notify(ctx, kNotifyGeneric, "del", args[1]);
  ctx.reply.Integer(deleted);
}

// HLEN key
void CmdHLen(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link ? int64_t(key.hash().size()) : 0);
}

// HSTRLEN key field
void CmdHStrLen(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  HashValue::Field f;
  if (!key.link || !key.hash().Find(args[2], &f)) return ctx.reply.Integer(0);
  ctx.reply.Integer(int64_t(f.value.size()));
}

// HEXISTS key field
void CmdHExists(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link && key.hash().Contains(args[2]) ? 1 : 0);
}

enum class Part : uint8_t { kFields, kValues, kBoth };

// HGETALL / HKEYS / HVALS key
void GetAll(CommandContext& ctx, ArgList args, Part part) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  size_t n = key.link ? key.hash().size() : 0;
  if (part == Part::kBoth)
    ctx.reply.MapHeader(n);
  else
    ctx.reply.ArrayHeader(n);
  if (!key.link) return;
  key.hash().ForEach([&](const HashValue::Field& f) {
    if (part != Part::kValues) ctx.reply.Bulk(f.field);
    if (part != Part::kFields) ctx.reply.Bulk(f.value);
  });
}

void CmdHGetAll(CommandContext& ctx, ArgList args) { GetAll(ctx, args, Part::kBoth); }
void CmdHKeys(CommandContext& ctx, ArgList args) { GetAll(ctx, args, Part::kFields); }
void CmdHVals(CommandContext& ctx, ArgList args) { GetAll(ctx, args, Part::kValues); }

// HRANDFIELD key [count [WITHVALUES]]
void CmdHRandField(CommandContext& ctx, ArgList args) {
  if (args.size() == 2) {
    HashKey key(ctx, args[1], true);
    if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
    if (!key.link) return ctx.reply.Null();
    return ctx.reply.Bulk(key.hash().RandomField(RandomU64()).field);
  }
  int64_t l;
  if (!String2ll(args[2], &l)) return ctx.reply.Error(errors::kNotInteger);
  if (l == INT64_MIN) return ctx.reply.Error(kRandCountRange);
  bool withvalues = false;
  if (args.size() > 4 || (args.size() == 4 && !EqualsIgnoreCase(args[3], "withvalues")))
    return ctx.reply.Error(errors::kSyntax);
  if (args.size() == 4) {
    withvalues = true;
    if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) return ctx.reply.Error(kValueOutOfRange);
  }
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.ArrayHeader(0);
  const HashValue& h = key.hash();
  bool resp3 = ctx.reply.protocol() >= 3;
  auto emit = [&](const HashValue::Field& f) {
    if (withvalues && resp3) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(f.field);
    if (withvalues) ctx.reply.Bulk(f.value);
  };
  auto header = [&](uint64_t n) { ctx.reply.ArrayHeader(withvalues && !resp3 ? n * 2 : n); };
  if (l == 0) return ctx.reply.ArrayHeader(0);
  size_t size = h.size();
  if (l < 0 || l == 1) {
    // With repetitions (or a single pick).
    uint64_t count = l < 0 ? uint64_t(-l) : 1;
    header(count);
    if (h.encoding() == HashValue::Enc::kListpack) {
      std::vector<HashValue::Field> all;
      all.reserve(size);
      h.ForEach([&](const HashValue::Field& f) { all.push_back(f); });
      for (uint64_t i = 0; i < count; ++i) emit(all[RandomU64() % size]);
    } else {
      for (uint64_t i = 0; i < count; ++i) emit(h.RandomField(RandomU64()));
    }
    return;
  }
  auto count = uint64_t(l);
  if (count >= size) {
    header(size);
    h.ForEach(emit);
    return;
  }
  header(count);
  if (count * 3 > size || h.encoding() == HashValue::Enc::kListpack) {
    // Pick count distinct positions of all fields (partial Fisher-Yates).
    std::vector<HashValue::Field> all;
    all.reserve(size);
    h.ForEach([&](const HashValue::Field& f) { all.push_back(f); });
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t j = i + RandomU64() % (size - i);
      std::swap(all[i], all[j]);
      emit(all[i]);
    }
    return;
  }
  // Few of many: random picks until count distinct fields.
  std::unordered_set<const char*> seen;
  while (seen.size() < count) {
    HashValue::Field f = h.RandomField(RandomU64());
    if (seen.insert(f.field.data()).second) emit(f);
  }
}

// HSCAN key cursor [MATCH pattern] [COUNT count]
void CmdHScan(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseScanCursor(args[2], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    return ctx.reply.ArrayHeader(0);
  }
  ScanOptions opts;
  if (auto err = ParseScanOptions(args, 3, ScanKind::kHash, &opts); !err.empty())
    return ctx.reply.Error(err);
  const HashValue& h = key.hash();
  std::vector<HashValue::Field> out;
  int64_t visited = 0;  // pairs seen, matching or not (Redis filters after collecting)
  auto take = [&](const HashValue::Field& f) {
    ++visited;
    if (!opts.use_pattern || GlobMatch(opts.pattern, f.field, false)) out.push_back(f);
  };
  if (h.encoding() == HashValue::Enc::kListpack) {
    // A small hash is returned whole, as Redis does.
    h.ForEach(take);
    cursor = 0;
  } else {
    // Redis: at most 10*COUNT buckets per call.
    int64_t count = std::min<int64_t>(opts.count, int64_t(1) << 40);
    int64_t max_iter = count * 10;
    do {
      cursor = h.ScanStep(cursor, take);
    } while (cursor != 0 && --max_iter > 0 && visited < count);
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(out.size() * (opts.no_values ? 1 : 2));
  for (const HashValue::Field& f : out) {
    ctx.reply.Bulk(f.field);
    if (!opts.no_values) ctx.reply.Bulk(f.value);
  }
}

// ---- field TTLs (Redis 7.4) ----

// The "FIELDS numfields field..." tail starting at args[at] ("FIELDS"): checks it as Redis 7.4
// does and sets *first to the first field's index. numfields_err: the command's message for a
// count that is not a positive integer.
bool ParseFields(CommandContext& ctx, ArgList args, size_t at, std::string_view numfields_err,
                 size_t* first) {
  if (at >= args.size() || !EqualsIgnoreCase(args[at], "fields")) {
    ctx.reply.Error(kFieldsMissing);
    return false;
  }
  int64_t n;
  if (at + 1 >= args.size() || !String2ll(args[at + 1], &n) || n < 1) {
    ctx.reply.Error(numfields_err);
    return false;
  }
  if (uint64_t(n) != args.size() - at - 2) {
    ctx.reply.Error(kNumFieldsMismatch);
    return false;
  }
  *first = at + 2;
  return true;
}

enum class Cond : uint8_t { kNone, kNx, kXx, kGt, kLt };

// HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT key time [NX|XX|GT|LT] FIELDS numfields field...
void ExpireGeneric(CommandContext& ctx, ArgList args, bool seconds, bool relative,
                   std::string_view name) {
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  int64_t t;
  if (!String2ll(args[2], &t)) return ctx.reply.Error(errors::kNotInteger);
  if (t < 0) return ctx.reply.Error(kExpireNegative);
  std::string bad_time = "ERR invalid expire time in '" + std::string(name) + "' command";
  if (seconds) {
    if (t > kMaxFieldExpireMs / 1000) return ctx.reply.Error(bad_time);
    t *= 1000;
  }
  int64_t base = relative ? key.now : 0;
  if (t > kMaxFieldExpireMs - base) return ctx.reply.Error(bad_time);
  int64_t at = t + base;
  Cond cond = Cond::kNone;
  size_t fields_at = 3;
  if (EqualsIgnoreCase(args[3], "nx"))
    cond = Cond::kNx;
  else if (EqualsIgnoreCase(args[3], "xx"))
    cond = Cond::kXx;
  else if (EqualsIgnoreCase(args[3], "gt"))
    cond = Cond::kGt;
  else if (EqualsIgnoreCase(args[3], "lt"))
    cond = Cond::kLt;
  if (cond != Cond::kNone) ++fields_at;
  size_t first;
  if (!ParseFields(ctx, args, fields_at, kNumFieldsSet, &first)) return;
  ctx.reply.ArrayHeader(args.size() - first);
  if (!key.link) {
    for (size_t i = first; i < args.size(); ++i) ctx.reply.Integer(kNoField);
    return;
  }
  std::vector<int64_t> codes;
  // What each field gets, decided on the hash as each earlier field left it.
  key.Change(
      [&](HashValue*& h) {
        for (size_t i = first; i < args.size(); ++i) {
          HashValue::Field f;
          if (!h->Find(args[i], &f)) {
            codes.push_back(kNoField);
            continue;
          }
          int64_t prev = f.expire_at;
          bool met = true;
          if (prev == 0) {
            met = cond != Cond::kXx && cond != Cond::kGt;
          } else {
            met = !(cond == Cond::kNx || (cond == Cond::kGt && prev >= at) ||
                    (cond == Cond::kLt && prev <= at));
          }
          if (!met) {
            codes.push_back(kCondNotMet);
            continue;
          }
          bool done;
          if (at <= key.now) {
            h = h->Delete(args[i], &done);
            codes.push_back(kDeletedPast);
            continue;
          }
          h = h->SetExpire(args[i], at, &done);
          codes.push_back(kSetOk);
        }
      },
      /*touch_watch=*/false);
  const bool updated = std::find(codes.begin(), codes.end(), kSetOk) != codes.end();
  const bool deleted = std::find(codes.begin(), codes.end(), kDeletedPast) != codes.end();
  // Watchers are told when a field's TTL was set or a field deleted (Redis 7.4); a key left
  // empty was deleted, which told them.
  if (key.link && (updated || deleted)) key.s.SignalModified(key.db, args[1]);
  if (updated) WatchFieldTtls(key.k, key.db);
  // Events as Redis 7.4's hashTypeSetExDone: one per command that changed a field: "hexpire"
  // when fields got the TTL, "hdel" when the time was past and they went (Redis checks the
  // deletions first), then "del" if that emptied the hash.
  if (deleted && !key.link) {
    Notify(ctx, kNotifyHash, "hdel", args[1]);
    Notify(ctx, kNotifyGeneric, "del", args[1]);
  } else if (deleted || updated) {
    Notify(ctx, kNotifyHash, deleted ? "hdel" : "hexpire", args[1]);
  }
  for (int64_t c : codes) ctx.reply.Integer(c);
}

void CmdHExpire(CommandContext& ctx, ArgList a) { ExpireGeneric(ctx, a, true, true, "hexpire"); }
void CmdHPExpire(CommandContext& ctx, ArgList a) { ExpireGeneric(ctx, a, false, true, "hpexpire"); }
void CmdHExpireAt(CommandContext& ctx, ArgList a) {
  ExpireGeneric(ctx, a, true, false, "hexpireat");
}
void CmdHPExpireAt(CommandContext& ctx, ArgList a) {
  ExpireGeneric(ctx, a, false, false, "hpexpireat");
}

enum class TtlForm : uint8_t { kTtl, kPTtl, kExpireTime, kPExpireTime };

// HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME key FIELDS numfields field...
void TtlGeneric(CommandContext& ctx, ArgList args, TtlForm form) {
  HashKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  size_t first;
  if (!ParseFields(ctx, args, 2, kNumFieldsGet, &first)) return;
  ctx.reply.ArrayHeader(args.size() - first);
  for (size_t i = first; i < args.size(); ++i) {
    HashValue::Field f;
    if (!key.link || !key.hash().Find(args[i], &f)) {
      ctx.reply.Integer(kNoField);
      continue;
    }
    if (f.expire_at == 0) {
      ctx.reply.Integer(kNoTtl);
      continue;
    }
    int64_t base = form == TtlForm::kTtl || form == TtlForm::kPTtl ? key.now : 0;
    bool secs = form == TtlForm::kTtl || form == TtlForm::kExpireTime;
    ctx.reply.Integer(secs ? (f.expire_at + 999 - base) / 1000 : f.expire_at - base);
  }
}

void CmdHTtl(CommandContext& ctx, ArgList a) { TtlGeneric(ctx, a, TtlForm::kTtl); }
void CmdHPTtl(CommandContext& ctx, ArgList a) { TtlGeneric(ctx, a, TtlForm::kPTtl); }
void CmdHExpireTime(CommandContext& ctx, ArgList a) { TtlGeneric(ctx, a, TtlForm::kExpireTime); }
void CmdHPExpireTime(CommandContext& ctx, ArgList a) { TtlGeneric(ctx, a, TtlForm::kPExpireTime); }

// HPERSIST key FIELDS numfields field...
void CmdHPersist(CommandContext& ctx, ArgList args) {
  HashKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  size_t first;
  if (!ParseFields(ctx, args, 2, kNumFieldsGet, &first)) return;
  ctx.reply.ArrayHeader(args.size() - first);
  if (!key.link) {
    for (size_t i = first; i < args.size(); ++i) ctx.reply.Integer(kNoField);
    return;
  }
  // Fields are handled in order: a field named twice is persisted once, then has no TTL.
  std::vector<int64_t> codes;
  std::vector<std::string_view> persisted;
  for (size_t i = first; i < args.size(); ++i) {
    HashValue::Field f;
    if (!key.hash().Find(args[i], &f)) {
      codes.push_back(kNoField);
    } else if (f.expire_at == 0 ||
               std::find(persisted.begin(), persisted.end(), args[i]) != persisted.end()) {
      codes.push_back(kNoTtl);
    } else {
      codes.push_back(kSetOk);
      persisted.push_back(args[i]);
    }
  }
  // Nothing to change (and the clean copy on disk stays) when no named field has a TTL.
  if (!persisted.empty()) {
    key.Change([&](HashValue*& h) {
      bool found;
      for (std::string_view field : persisted) h = h->SetExpire(field, 0, &found);
    });
    // One "hpersist" when any TTL went, as Redis 7.4's hpersistCommand.
    Notify(ctx, kNotifyHash, "hpersist", args[1]);
  }
  for (int64_t c : codes) ctx.reply.Integer(c);
}

}  // namespace

void RegisterHashFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kHash, &kHashOps);
  SetHashFieldGetter(SortField);
  SetEncodingNamer(ValueType::kHash, EncodingName);
  AddShardCronHook(ActiveFieldExpire);
  constexpr uint32_t kW = kCmdWrite, kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly,
                     kF = kCmdFast;
  r.Register(CommandSpec("hset", -4, kWD | kF, 1, 1, 1, CmdHSet));
  r.Register(CommandSpec("hmset", -4, kWD | kF, 1, 1, 1, CmdHMSet));
  r.Register(CommandSpec("hsetnx", 4, kWD | kF, 1, 1, 1, CmdHSetNx));
  r.Register(CommandSpec("hget", 3, kRO | kF, 1, 1, 1, CmdHGet));
  r.Register(CommandSpec("hmget", -3, kRO | kF, 1, 1, 1, CmdHMGet));
  r.Register(CommandSpec("hdel", -3, kW | kF, 1, 1, 1, CmdHDel));
  r.Register(CommandSpec("hlen", 2, kRO | kF, 1, 1, 1, CmdHLen));
  r.Register(CommandSpec("hstrlen", 3, kRO | kF, 1, 1, 1, CmdHStrLen));
  r.Register(CommandSpec("hexists", 3, kRO | kF, 1, 1, 1, CmdHExists));
  r.Register(CommandSpec("hincrby", 4, kWD | kF, 1, 1, 1, CmdHIncrBy));
  r.Register(CommandSpec("hincrbyfloat", 4, kWD | kF, 1, 1, 1, CmdHIncrByFloat));
  r.Register(CommandSpec("hgetall", 2, kRO, 1, 1, 1, CmdHGetAll));
  r.Register(CommandSpec("hkeys", 2, kRO, 1, 1, 1, CmdHKeys));
  r.Register(CommandSpec("hvals", 2, kRO, 1, 1, 1, CmdHVals));
  r.Register(CommandSpec("hrandfield", -2, kRO, 1, 1, 1, CmdHRandField));
  r.Register(CommandSpec("hscan", -3, kRO, 1, 1, 1, CmdHScan));
  r.Register(CommandSpec("hexpire", -6, kWD | kF, 1, 1, 1, CmdHExpire));
  r.Register(CommandSpec("hpexpire", -6, kWD | kF, 1, 1, 1, CmdHPExpire));
  r.Register(CommandSpec("hexpireat", -6, kWD | kF, 1, 1, 1, CmdHExpireAt));
  r.Register(CommandSpec("hpexpireat", -6, kWD | kF, 1, 1, 1, CmdHPExpireAt));
  r.Register(CommandSpec("httl", -5, kRO | kF, 1, 1, 1, CmdHTtl));
  r.Register(CommandSpec("hpttl", -5, kRO | kF, 1, 1, 1, CmdHPTtl));
  r.Register(CommandSpec("hexpiretime", -5, kRO | kF, 1, 1, 1, CmdHExpireTime));
  r.Register(CommandSpec("hpexpiretime", -5, kRO | kF, 1, 1, 1, CmdHPExpireTime));
  r.Register(CommandSpec("hpersist", -5, kW | kF, 1, 1, 1, CmdHPersist));
}

}  // namespace aegisr
