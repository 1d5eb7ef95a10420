// The generic key commands (Redis 7.0 db.c / expire.c / object.c semantics). Handlers run on the
// connection's loop thread and take shard locks through the Keyspace API: one shard for a
// single key, LockKeys for several keys (RENAME/COPY across shards), LockAll for whole-keyspace
// changes (FLUSHDB, FLUSHALL, SWAPDB), one shard at a time for read-only walks (KEYS, SCAN).
//
// Databases: a key stays in its shard in every database (the shard is a function of the key
// only), so MOVE and COPY ... DB n work inside one shard, and SWAPDB swaps the two databases'
// tables inside every shard while holding all shard locks (so no client sees half a swap).
//
// SCAN walks the shards in order, and inside each shard the database's Table with Redis's
// reverse-binary cursor; the reply cursor packs both (see EncodeScanCursor in key_family.h).
// COUNT bounds the work as in Redis: stop once COUNT keys were collected or 10*COUNT buckets
// were visited; empty shards cost nothing. MATCH and TYPE filter after collecting, as Redis
// does, so a call may return fewer keys than COUNT (even none) with a non-zero cursor.
#include "engine/key_family.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "base/glob.h"
#include "base/numbers.h"
#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/key_errors.h"
#include "engine/keyspace/lazy_free.h"
#include "engine/notify.h"
#include "tier/disk_ref.h"

namespace aegisr {
namespace {

// Longest string Redis stores as embstr (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
constexpr size_t kEmbstrSizeLimit = 44;
// Redis's shared integers (OBJ_SHARED_INTEGERS) report this refcount (OBJ_SHARED_REFCOUNT).
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = INT_MAX;

EncodingNamer g_namers[8] = {};

// Number of databases SELECT accepts: the `databases` knob, capped by what the keyspace holds.
int NumDbs(Engine& engine) {
  int64_t n = engine.config().databases.load(std::memory_order_relaxed);
  return int(std::clamp<int64_t>(n, 1, kNumDbs));
}

// Redis's getIntFromObjectOrReply: a strict int64 that also fits an int.
bool ParseInt(std::string_view s, int* out) {
  int64_t v;
  if (!String2ll(s, &v) || v < INT_MIN || v > INT_MAX) return false;
  *out = int(v);
  return true;
}

// Redis's getIntFromObjectOrReply without a custom message: not an integer, or an integer
// outside int's range, each with its own error. Returns false after replying.
bool ParseIntOrReply(ReplySink& reply, std::string_view s, int* out) {
  int64_t v;
  if (!String2ll(s, &v)) {
    reply.Error(errors::kNotInteger);
    return false;
  }
  if (v < INT_MIN || v > INT_MAX) {
    reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  *out = int(v);
  return true;
}

// Redis's addReplyErrorFormat: the text ends at a NUL byte and CR/LF become spaces.
std::string SanitizedArg(std::string_view s) {
  std::string out(s.substr(0, s.find('\0')));
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

bool Expired(const Entry* e, int64_t now_ms) { return e->has_expire() && now_ms > e->expire_at(); }

// Find plus keyspace hit/miss counting, without touching the LRU clock (Redis's
// lookupKeyReadWithFlags(LOOKUP_NOTOUCH): TYPE, EXISTS, TTL, OBJECT).
// keymiss: raise the "keymiss" notification on a miss (OBJECT does not, as Redis's
// LOOKUP_NONOTIFY).
Entry** FindNoTouch(Shard& s, int db, const KeyRef& k, int64_t now_ms, bool keymiss = true) {
  Entry** link = s.Find(db, k, now_ms);
  if (link) {
    ++s.stats().hits;
  } else {
    ++s.stats().misses;
    if (keymiss) NotifyProcess(kNotifyKeyMiss, "keymiss", k.key, db);
  }
  return link;
}

void ReplyOpError(ReplySink& reply, OpStatus st) {
  switch (st) {
    case OpStatus::kNoSuchKey:
    case OpStatus::kKeyNotFound:
      reply.Error(errors::kNoSuchKey);
      break;
    case OpStatus::kWrongType:
      reply.Error(errors::kWrongType);
      break;
    case OpStatus::kNotAnInteger:
      reply.Error(errors::kNotInteger);
      break;
    case OpStatus::kOutOfRange:
      reply.Error(errors::kDbIndexOutOfRange);
      break;
    default:
      reply.Error(errors::kSyntax);
      break;
  }
}

std::vector<KeyRef> MakeRefs(ArgList keys) {
  std::vector<KeyRef> refs;
  refs.reserve(keys.size());
  for (std::string_view k : keys) refs.emplace_back(k);
  return refs;
}

uint64_t RandomU64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// ---------------------------------------------------------------------------------------------
// DEL / UNLINK / EXISTS / TOUCH / TYPE

// DEL key [key ...]   and   UNLINK key [key ...]
void CmdDel(CommandContext& ctx, ArgList args) {
  // UNLINK frees large values in the background; DEL does when lazyfree-lazy-user-del is set.
  LazyFreeScope lazy(EqualsIgnoreCase(args[0], "unlink") ||
                     ctx.engine.config().lazyfree_lazy_user_del.load(std::memory_order_relaxed));
  auto r = OpDel(ctx.engine.keyspace(), Db(ctx), args.subspan(1), Engine::NowMs(), &ctx.engine);
  ctx.reply.Integer(*r);
}

// EXISTS key [key ...]: a key named twice counts twice.
void CmdExists(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  std::vector<KeyRef> refs = MakeRefs(args.subspan(1));
  int64_t n = 0;
  auto guard = ks.LockKeys(refs);
  for (const KeyRef& k : refs)
    if (FindNoTouch(ks.shard(k), db, k, now)) ++n;
  ctx.reply.Integer(n);
}

// TOUCH key [key ...]: updates the access time of the keys that exist; replies their count.
void CmdTouch(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  uint32_t lru = ks.lru_clock();
  std::vector<KeyRef> refs = MakeRefs(args.subspan(1));
  int64_t n = 0;
  auto guard = ks.LockKeys(refs);
  for (const KeyRef& k : refs)
    if (ks.shard(k).Lookup(db, k, now, lru)) ++n;
  ctx.reply.Integer(n);
}

// TYPE key
void CmdType(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  auto lk = ks.Lock(k);
  Entry** link = FindNoTouch(ks.shard(k), Db(ctx), k, Engine::NowMs());
  ctx.reply.SimpleString(link ? TypeName((*link)->type) : std::string_view("none"));
}

// ---------------------------------------------------------------------------------------------
// RENAME / RENAMENX / COPY / MOVE

// RENAME key newkey
void CmdRename(CommandContext& ctx, ArgList args) {
  auto r = OpRename(ctx.engine.keyspace(), Db(ctx), args[1], args[2], false, Engine::NowMs(),
                    &ctx.engine);
  if (!r.ok()) return ReplyOpError(ctx.reply, r.status());
  ctx.reply.Ok();
}

// RENAMENX key newkey
void CmdRenameNx(CommandContext& ctx, ArgList args) {
  auto r = OpRename(ctx.engine.keyspace(), Db(ctx), args[1], args[2], true, Engine::NowMs(),
                    &ctx.engine);
  if (!r.ok()) return ReplyOpError(ctx.reply, r.status());
  ctx.reply.Integer(*r ? 1 : 0);
}

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx, ArgList args) {
  int src_db = Db(ctx);
  int dst_db = src_db;
  bool replace = false;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[i], "db") && i + 1 < args.size()) {
      if (!ParseIntOrReply(ctx.reply, args[i + 1], &dst_db)) return;
      if (dst_db < 0 || dst_db >= NumDbs(ctx.engine))
        return ctx.reply.Error(errors::kDbIndexOutOfRange);
      ++i;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  if (src_db == dst_db && args[1] == args[2]) return ctx.reply.Error(errors::kSameObject);
  auto r = OpCopy(ctx.engine.keyspace(), src_db, dst_db, args[1], args[2], replace, Engine::NowMs(),
                  &ctx.engine);
  if (!r.ok()) return ReplyOpError(ctx.reply, r.status());
  ctx.reply.Integer(*r ? 1 : 0);
}

// MOVE key db
void CmdMove(CommandContext& ctx, ArgList args) {
  int dst_db;
  if (!ParseIntOrReply(ctx.reply, args[2], &dst_db)) return;
  if (dst_db < 0 || dst_db >= NumDbs(ctx.engine))
    return ctx.reply.Error(errors::kDbIndexOutOfRange);
  int src_db = Db(ctx);
  if (src_db == dst_db) return ctx.reply.Error(errors::kSameObject);
  auto r = OpMove(ctx.engine.keyspace(), src_db, dst_db, args[1], Engine::NowMs(), &ctx.engine);
  if (!r.ok()) return ReplyOpError(ctx.reply, r.status());
  ctx.reply.Integer(*r ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// KEYS / SCAN / RANDOMKEY / DBSIZE

// KEYS pattern. Walks one shard at a time (a key that exists for the whole call is listed);
// expired keys are skipped, not deleted, as Redis does.
void CmdKeys(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  std::string_view pattern = args[1];
  bool all = pattern == "*";
  int64_t now = Engine::NowMs();
  std::vector<std::string> keys;
  for (unsigned i = 0; i < kNumShards; ++i) {
    Shard& s = ks.shard(i);
    std::lock_guard lk(s.mu);
    s.table(db).ForEach([&](Entry* e) {
      if (Expired(e, now)) return;
      std::string_view key = e->key();
      if (all || GlobMatch(pattern, key, false)) keys.emplace_back(key);
    });
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void CmdScan(CommandContext& ctx, ArgList args) {
  uint64_t cursor;
  if (!ParseScanCursor(args[1], &cursor)) return ctx.reply.Error(errors::kInvalidCursor);
  ScanOptions opts;
  if (auto err = ParseScanOptions(args, 2, ScanKind::kKeys, &opts); !err.empty())
    return ctx.reply.Error(err);
  int64_t count = opts.count;

  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  unsigned shard = ScanCursorShard(cursor);
  uint64_t tc = ScanCursorTable(cursor);
  // Redis: at most 10*COUNT buckets per call (COUNT is capped so that this cannot overflow).
  int64_t max_iter = std::min<int64_t>(count, int64_t(1) << 40) * 10;
  int64_t iter = 0;
  std::vector<std::string> keys;
  while (shard < kNumShards && iter < max_iter && int64_t(keys.size()) < count) {
    Shard& s = ks.shard(shard);
    {
      std::lock_guard lk(s.mu);
      Table& t = s.table(db);
      if (t.size() == 0) {
        tc = 0;
      } else {
        do {
          tc = t.Scan(tc, [&](Entry** link) {
            Entry* e = *link;
            if (Expired(e, now)) {
              s.Delete(db, link);
              ++s.stats().expired;
              return;
            }
            keys.emplace_back(e->key());
          });
          ++iter;
        } while (tc != 0 && iter < max_iter && int64_t(keys.size()) < count);
      }
    }
    if (tc == 0) ++shard;
  }
  uint64_t next = shard >= kNumShards ? 0 : EncodeScanCursor(shard, tc);

  // Filter after collecting, as Redis does. The TYPE filter needs each key's current type:
  // look it up again (it may have changed or gone since it was collected).
  size_t kept = 0;
  for (auto& key : keys) {
    if (opts.use_pattern && !GlobMatch(opts.pattern, key, false)) continue;
    if (opts.use_type) {
      KeyRef k(key);
      auto lk = ks.Lock(k);
      Entry* e = ks.shard(k).table(db).Find(k.key, k.hash);
      if (!e || !EqualsIgnoreCase(TypeName(e->type), opts.type)) continue;
    }
    if (kept != size_t(&key - keys.data())) keys[kept] = std::move(key);
    ++kept;
  }
  keys.resize(kept);

  char buf[kLongStrSize + 1];
  int n = snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, size_t(n)));
  ctx.reply.ArrayHeader(keys.size());
  for (const auto& k : keys) ctx.reply.Bulk(k);
}

// RANDOMKEY. Picks a shard weighted by its key count, then a random entry in it; an expired
// entry found this way is deleted and the pick retried (as Redis does on a master).
void CmdRandomKey(CommandContext& ctx, ArgList) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  size_t sizes[kNumShards];
  while (true) {
    size_t total = 0;
    for (unsigned i = 0; i < kNumShards; ++i) {
      Shard& s = ks.shard(i);
      std::lock_guard lk(s.mu);
      sizes[i] = s.size(db);
      total += sizes[i];
    }
    if (total == 0) return ctx.reply.Null();
    uint64_t pick = RandomU64() % total;
    unsigned i = 0;
    while (pick >= sizes[i]) pick -= sizes[i++];
    Shard& s = ks.shard(i);
    std::lock_guard lk(s.mu);
    Entry* e = s.table(db).Random(RandomU64());
    if (!e) continue;  // emptied since we counted
    if (Expired(e, now)) {
      KeyRef k(e->key());
      (void)s.Find(db, k, now);  // deletes it and counts it as expired
      continue;
    }
    return ctx.reply.Bulk(e->key());
  }
}

// DBSIZE
void CmdDbSize(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(int64_t(ctx.engine.keyspace().DbSize(Db(ctx))));
}

// ---------------------------------------------------------------------------------------------
// FLUSHDB / FLUSHALL / SELECT / SWAPDB

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: false on a syntax error; *lazy: large values are freed in the
// background (ASYNC, or no modifier with lazyfree-lazy-user-flush set).
bool ParseFlushFlags(CommandContext& ctx, ArgList args, bool* lazy) {
  *lazy = ctx.engine.config().lazyfree_lazy_user_flush.load(std::memory_order_relaxed);
  if (args.size() == 1) return true;
  if (args.size() != 2) return false;
  if (EqualsIgnoreCase(args[1], "async")) return *lazy = true, true;
  if (EqualsIgnoreCase(args[1], "sync")) return *lazy = false, true;
  return false;
}

// FLUSHDB [ASYNC|SYNC]
void CmdFlushDb(CommandContext& ctx, ArgList args) {
  bool lazy;
  if (!ParseFlushFlags(ctx, args, &lazy)) return ctx.reply.Error(errors::kSyntax);
  LazyFreeScope scope(lazy);
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  {
    auto guard = ks.LockAll();
    for (unsigned i = 0; i < kNumShards; ++i) ks.shard(i).Flush(db);
  }
  ctx.engine.blocking().NoteAllReady(db);
  ctx.reply.Ok();
}

// FLUSHALL [ASYNC|SYNC]
void CmdFlushAll(CommandContext& ctx, ArgList args) {
  bool lazy;
  if (!ParseFlushFlags(ctx, args, &lazy)) return ctx.reply.Error(errors::kSyntax);
  LazyFreeScope scope(lazy);
  Keyspace& ks = ctx.engine.keyspace();
  {
    auto guard = ks.LockAll();
    for (unsigned i = 0; i < kNumShards; ++i)
      for (int db = 0; db < kNumDbs; ++db) ks.shard(i).Flush(db);
  }
  ctx.engine.blocking().NoteAllReady(-1);
  ctx.reply.Ok();
}

// SELECT index
void CmdSelect(CommandContext& ctx, ArgList args) {
  int db;
  if (!ParseIntOrReply(ctx.reply, args[1], &db)) return;
  if (db < 0 || db >= NumDbs(ctx.engine)) return ctx.reply.Error(errors::kDbIndexOutOfRange);
  ctx.client.db.store(db, std::memory_order_relaxed);
  ctx.reply.Ok();
}

// SWAPDB index1 index2
void CmdSwapDb(CommandContext& ctx, ArgList args) {
  int a, b;
  if (!ParseInt(args[1], &a)) return ctx.reply.Error(errors::kInvalidFirstDbIndex);
  if (!ParseInt(args[2], &b)) return ctx.reply.Error(errors::kInvalidSecondDbIndex);
  int n = NumDbs(ctx.engine);
  if (a < 0 || a >= n || b < 0 || b >= n) return ctx.reply.Error(errors::kDbIndexOutOfRange);
  if (a != b) {
    {
      Keyspace& ks = ctx.engine.keyspace();
      auto guard = ks.LockAll();
      for (unsigned i = 0; i < kNumShards; ++i) ks.shard(i).SwapDbs(a, b);
    }
    // Clients waiting for keys of either database may find them now (served after this
    // command, as Redis's scanDatabaseForReadyKeys).
    ctx.engine.blocking().NoteAllReady(a);
    ctx.engine.blocking().NoteAllReady(b);
  }
  ctx.reply.Ok();
}

// ---------------------------------------------------------------------------------------------
// EXPIRE family / TTL family / PERSIST

enum ExpireFlag : int { kExpNx = 1, kExpXx = 2, kExpGt = 4, kExpLt = 8 };

// Shared by EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (Redis's expireGenericCommand). basetime_ms is
// now for the relative forms and 0 for the absolute ones. name is the command's lower-case name.
void ExpireGeneric(CommandContext& ctx, ArgList args, int64_t basetime_ms, bool seconds,
                   std::string_view name) {
  int flags = 0;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "nx"))
      flags |= kExpNx;
    else if (EqualsIgnoreCase(args[i], "xx"))
      flags |= kExpXx;
    else if (EqualsIgnoreCase(args[i], "gt"))
      flags |= kExpGt;
    else if (EqualsIgnoreCase(args[i], "lt"))
      flags |= kExpLt;
    else
      return ctx.reply.Error("ERR Unsupported option " + SanitizedArg(args[i]));
  }
  if ((flags & kExpNx) && (flags & (kExpXx | kExpGt | kExpLt)))
    return ctx.reply.Error(errors::kExpireNxAndOthers);
  if ((flags & kExpGt) && (flags & kExpLt)) return ctx.reply.Error(errors::kExpireGtAndLt);

  int64_t when;
  if (!String2ll(args[2], &when)) return ctx.reply.Error(errors::kNotInteger);
  std::string invalid = "ERR invalid expire time in '" + std::string(name) + "' command";
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return ctx.reply.Error(invalid);
    when *= 1000;
  }
  if (when > INT64_MAX - basetime_ms) return ctx.reply.Error(invalid);
  when += basetime_ms;

  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  KeyRef k(args[1]);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Find(db, k, now);
  if (!link) return ctx.reply.Integer(0);
  Entry* e = *link;
  int64_t current = e->has_expire() ? e->expire_at() : -1;
  if ((flags & kExpNx) && current != -1) return ctx.reply.Integer(0);
  if ((flags & kExpXx) && current == -1) return ctx.reply.Integer(0);
  // GT: no TTL counts as infinite, so GT never beats it. LT: anything beats no TTL.
  if ((flags & kExpGt) && (current == -1 || when <= current)) return ctx.reply.Integer(0);
  if ((flags & kExpLt) && current != -1 && when >= current) return ctx.reply.Integer(0);
  if (when <= now) {
    s.Delete(db, link);  // a time in the past deletes the key (Redis's checkAlreadyExpired)
    Notify(ctx, kNotifyGeneric, "del", args[1]);
  } else {
    s.Update(db, link, [&](Entry* x) { return SetExpire(x, when); });
    Notify(ctx, kNotifyGeneric, "expire", args[1]);
  }
  ctx.reply.Integer(1);
}

// EXPIRE key seconds [NX|XX|GT|LT]
void CmdExpire(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, Engine::NowMs(), true, "expire");
}
// PEXPIRE key milliseconds [NX|XX|GT|LT]
void CmdPExpire(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, Engine::NowMs(), false, "pexpire");
}
// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
void CmdExpireAt(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, 0, true, "expireat");
}
// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
void CmdPExpireAt(CommandContext& ctx, ArgList args) {
  ExpireGeneric(ctx, args, 0, false, "pexpireat");
}

// Milliseconds to seconds, rounded to nearest as Redis's (ms+500)/1000 (without its overflow).
int64_t RoundMsToSeconds(int64_t ms) { return ms / 1000 + (ms % 1000 >= 500 ? 1 : 0); }

// TTL, PTTL (absolute=false) and EXPIRETIME, PEXPIRETIME (absolute=true).
void TtlGeneric(CommandContext& ctx, ArgList args, bool ms, bool absolute) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int64_t now = Engine::NowMs();
  auto lk = ks.Lock(k);
  Entry** link = FindNoTouch(ks.shard(k), Db(ctx), k, now);
  if (!link) return ctx.reply.Integer(-2);
  if (!(*link)->has_expire()) return ctx.reply.Integer(-1);
  int64_t at = (*link)->expire_at();
  int64_t v = absolute ? at : std::max<int64_t>(0, at - now);
  ctx.reply.Integer(ms ? v : RoundMsToSeconds(v));
}

// TTL key
void CmdTtl(CommandContext& ctx, ArgList args) { TtlGeneric(ctx, args, false, false); }
// PTTL key
void CmdPTtl(CommandContext& ctx, ArgList args) { TtlGeneric(ctx, args, true, false); }
// EXPIRETIME key
void CmdExpireTime(CommandContext& ctx, ArgList args) { TtlGeneric(ctx, args, false, true); }
// PEXPIRETIME key
void CmdPExpireTime(CommandContext& ctx, ArgList args) { TtlGeneric(ctx, args, true, true); }

// PERSIST key
void CmdPersist(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Find(db, k, Engine::NowMs());
  if (!link || !(*link)->has_expire()) return ctx.reply.Integer(0);
  s.Update(db, link, [](Entry* e) { return SetExpire(e, 0); });
  Notify(ctx, kNotifyGeneric, "persist", args[1]);
  ctx.reply.Integer(1);
}

// ---------------------------------------------------------------------------------------------
// OBJECT

bool LfuPolicy(Engine& engine) {
  auto p = MaxmemoryPolicy(engine.config().maxmemory_policy_id.load(std::memory_order_relaxed));
  return p == MaxmemoryPolicy::kVolatileLfu || p == MaxmemoryPolicy::kAllkeysLfu;
}

bool AdaptivePolicy(Engine& engine) {
  return MaxmemoryPolicy(engine.config().maxmemory_policy_id.load(std::memory_order_relaxed)) ==
         MaxmemoryPolicy::kAdaptive;
}

bool LruOrLfuPolicy(Engine& engine) {
  auto p = MaxmemoryPolicy(engine.config().maxmemory_policy_id.load(std::memory_order_relaxed));
  return LfuPolicy(engine) || p == MaxmemoryPolicy::kAdaptive ||
         p == MaxmemoryPolicy::kVolatileLru || p == MaxmemoryPolicy::kAllkeysLru;
}

enum class ObjectField { kEncoding, kFreq, kIdletime, kRefcount };

// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key: a null reply for a missing key.
void ObjectGeneric(CommandContext& ctx, ArgList args, ObjectField field) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[2]);
  auto lk = ks.Lock(k);
  Entry** link = FindNoTouch(ks.shard(k), Db(ctx), k, Engine::NowMs(), /*keymiss=*/false);
  if (!link) return ctx.reply.Null();
  const Entry* e = *link;
  switch (field) {
    case ObjectField::kEncoding:
      return ctx.reply.Bulk(ObjectEncodingName(*e));
    case ObjectField::kFreq:
      // Both are tracked whatever the policy (tier/access.h); the errors are Redis's, which
      // tracks only one at a time.
      if (!LfuPolicy(ctx.engine) && !AdaptivePolicy(ctx.engine))
        return ctx.reply.Error(errors::kLfuNotSelected);
      return ctx.reply.Integer(tier::DecayedCounter(e->access, ks.lru_clock(), LfuParams()));
    case ObjectField::kIdletime:
      if (LfuPolicy(ctx.engine)) return ctx.reply.Error(errors::kLfuSelected);
      return ctx.reply.Integer(e->access ? tier::IdleTicks(e->access, ks.lru_clock()) : 0);
    case ObjectField::kRefcount: {
      // Redis shares the objects of the integers 0..9999 unless maxmemory evicts by LRU/LFU.
      bool shared = e->type == ValueType::kString && e->is_int() && e->int_value() >= 0 &&
                    e->int_value() < kSharedIntegers &&
                    (ctx.engine.config().maxmemory.load(std::memory_order_relaxed) == 0 ||
                     !LruOrLfuPolicy(ctx.engine));
      return ctx.reply.Integer(shared ? kSharedRefcount : 1);
    }
  }
}

// OBJECT ENCODING key
void CmdObjectEncoding(CommandContext& ctx, ArgList args) {
  ObjectGeneric(ctx, args, ObjectField::kEncoding);
}
// OBJECT FREQ key
void CmdObjectFreq(CommandContext& ctx, ArgList args) {
  ObjectGeneric(ctx, args, ObjectField::kFreq);
}
// OBJECT IDLETIME key
void CmdObjectIdletime(CommandContext& ctx, ArgList args) {
  ObjectGeneric(ctx, args, ObjectField::kIdletime);
}
// OBJECT REFCOUNT key
void CmdObjectRefcount(CommandContext& ctx, ArgList args) {
  ObjectGeneric(ctx, args, ObjectField::kRefcount);
}

// OBJECT HELP
void CmdObjectHelp(CommandContext& ctx, ArgList) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    How the value of <key> is stored (int, embstr, raw, ...).",
      "FREQ <key>",
      "    The logarithmic access counter of <key> (LFU maxmemory policies only).",
      "IDLETIME <key>",
      "    Seconds since <key> was last read or written (approximate).",
      "REFCOUNT <key>",
      "    How many references the value of <key> has.",
      "HELP",
      "    Show this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Exported helpers and Op functions

bool ParseScanCursor(std::string_view s, uint64_t* out) {
  std::string text(s);  // NUL-terminated: strtoull stops at an embedded NUL, as Redis's does
  if (!text.empty() && std::isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *out = v;
  return true;
}

std::string_view TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZset:
      return "zset";
    case ValueType::kHash:
      return "hash";
    case ValueType::kStream:
      return "stream";
    case ValueType::kBloom:
      return "MBbloom--";  // RedisBloom's module type name
  }
  return "none";
}

void SetEncodingNamer(ValueType t, EncodingNamer fn) { g_namers[size_t(t) & 7] = fn; }

std::string_view ObjectEncodingName(const Entry& e) {
  if (e.type == ValueType::kString) {
    switch (e.enc) {
      case Encoding::kInt:
        return "int";
      case Encoding::kEmbStr:
        return e.str_len() <= kEmbstrSizeLimit ? "embstr" : "raw";
      default:
        return "raw";  // kRawStr: long, or modified in place (APPEND/SETRANGE), as in Redis
    }
  }
  if (EncodingNamer fn = g_namers[size_t(e.type) & 7]) return fn(e);
  switch (e.type) {  // defaults until the family registers its namer
    case ValueType::kList:
      return "quicklist";
    case ValueType::kSet:
    case ValueType::kHash:
      return "hashtable";
    case ValueType::kZset:
      return "skiplist";
    case ValueType::kStream:
      return "stream";
    default:
      return "unknown";
  }
}

OpResult<int64_t> OpDel(Keyspace& ks, int db, ArgList keys, int64_t now_ms, Engine* events) {
  std::vector<KeyRef> refs = MakeRefs(keys);
  int64_t n = 0;
  auto guard = ks.LockKeys(refs);
  for (const KeyRef& k : refs) {
    Shard& s = ks.shard(k);
    if (Entry** link = s.Find(db, k, now_ms)) {
      s.Delete(db, link);
      ++n;
      if (events) Notify(*events, kNotifyGeneric, "del", k.key, db);
    }
  }
  return n;
}

OpResult<bool> OpRename(Keyspace& ks, int db, std::string_view src, std::string_view dst, bool nx,
                        int64_t now_ms, Engine* events) {
  KeyRef refs[2] = {KeyRef(src), KeyRef(dst)};
  const KeyRef& a = refs[0];
  const KeyRef& b = refs[1];
  auto guard = ks.LockKeys(refs);
  Shard& sa = ks.shard(a);
  Shard& sb = ks.shard(b);
  if (!sa.Find(db, a, now_ms)) return OpStatus::kNoSuchKey;
  if (src == dst) return !nx;
  if (Entry** dlink = sb.Find(db, b, now_ms)) {
    if (nx) return false;
    sb.Delete(db, dlink);
  }
  // Re-find: the lookups above may have moved buckets of the shared table.
  Entry** link = sa.Find(db, a, now_ms);
  Entry* e = sa.Take(db, link);
  Entry* moved = RekeyEntry(e, dst, b.hash);  // keeps the value, TTL and access time
  sb.Insert(db, moved);
  if (events) {
    Notify(*events, kNotifyGeneric, "rename_from", src, db);
    Notify(*events, kNotifyGeneric, "rename_to", dst, db);
  }
  return true;
}

OpResult<bool> OpCopy(Keyspace& ks, int src_db, int dst_db, std::string_view src,
                      std::string_view dst, bool replace, int64_t now_ms, Engine* events) {
  KeyRef refs[2] = {KeyRef(src), KeyRef(dst)};
  const KeyRef& a = refs[0];
  const KeyRef& b = refs[1];
  auto guard = ks.LockKeys(refs);
  Shard& sa = ks.shard(a);
  Shard& sb = ks.shard(b);
  Entry** link = sa.Lookup(src_db, a, now_ms, ks.lru_clock());
  if (!link) return false;
  Entry* e = *link;  // stays valid: nothing below frees or reallocates it
  if (Entry** dlink = sb.Find(dst_db, b, now_ms)) {
    if (!replace) return false;
    sb.Delete(dst_db, dlink);
  }
  sb.Insert(dst_db, CloneEntry(e, dst, b.hash));
  if (events) Notify(*events, kNotifyGeneric, "copy_to", dst, dst_db);
  return true;
}

OpResult<bool> OpMove(Keyspace& ks, int src_db, int dst_db, std::string_view key, int64_t now_ms,
                      Engine* events) {
  KeyRef k(key);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  if (!s.Find(src_db, k, now_ms)) return false;
  if (s.Find(dst_db, k, now_ms)) return false;
  Entry** link = s.Find(src_db, k, now_ms);  // re-find after the other lookup
  s.Insert(dst_db, s.Take(src_db, link));
  if (events) {
    Notify(*events, kNotifyGeneric, "move_from", key, src_db);
    Notify(*events, kNotifyGeneric, "move_to", key, dst_db);
  }
  return true;
}

// MEMORY USAGE key [SAMPLES count] [WHERE]: the entry's bytes (with what it owns) plus its share
// of the table's bucket array. Like Redis, looks the key up without expiring it; null when
// missing. Aegisr's WHERE (not in Redis, so the plain reply stays Redis's integer) answers a map
// instead: ram_bytes (that integer), tier ("ram", "ram+disk": in RAM with a clean copy on disk,
// or "disk") and disk_bytes (the record on disk, 0 if none). It never reads the disk.
void CmdMemoryUsage(CommandContext& ctx, ArgList args) {
  bool where = false;
  for (size_t i = 3; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "samples") && i + 1 < args.size()) {
      int64_t samples;
      if (!String2ll(args[i + 1], &samples)) return ctx.reply.Error(errors::kNotInteger);
      if (samples < 0) return ctx.reply.Error(errors::kSyntax);
      ++i;  // every value is measured exactly; the sample count changes nothing
    } else if (EqualsIgnoreCase(args[i], "where")) {
      where = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[2]);
  auto lk = ks.Lock(k);
  Table& t = ks.shard(k).table(Db(ctx));
  Entry* e = t.Find(k.key, k.hash);
  if (!e) return ctx.reply.Null();
  size_t share = t.OverheadBytes() / std::max<size_t>(1, t.size());
  const int64_t ram = int64_t(e->MemoryUsage() + share);
  if (!where) return ctx.reply.Integer(ram);
  const char* ref = e->any_disk_ref();
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("ram_bytes");
  ctx.reply.Integer(ram);
  ctx.reply.Bulk("tier");
  ctx.reply.Bulk(e->on_disk() ? "disk" : e->has_clean_copy() ? "ram+disk" : "ram");
  ctx.reply.Bulk("disk_bytes");
  ctx.reply.Integer(ref ? int64_t(tier::LoadDiskRef(ref).length) : 0);
}

void RegisterKeyFamily(CommandRegistry& r) {
  r.Register(CommandSpec("del", -2, kCmdWrite, 1, -1, 1, CmdDel));
  r.Register(CommandSpec("unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, CmdDel));
  r.Register(CommandSpec("exists", -2, kCmdReadonly | kCmdFast, 1, -1, 1, CmdExists));
  r.Register(CommandSpec("touch", -2, kCmdReadonly | kCmdFast, 1, -1, 1, CmdTouch));
  r.Register(CommandSpec("type", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdType));
  r.Register(CommandSpec("rename", 3, kCmdWrite, 1, 2, 1, CmdRename));
  r.Register(CommandSpec("renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, CmdRenameNx));
  r.Register(CommandSpec("copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, CmdCopy));
  r.Register(CommandSpec("move", 3, kCmdWrite | kCmdFast, 1, 1, 1, CmdMove));
  r.Register(CommandSpec("keys", 2, kCmdReadonly, 0, 0, 0, CmdKeys));
  r.Register(CommandSpec("scan", -2, kCmdReadonly, 0, 0, 0, CmdScan));
  r.Register(CommandSpec("randomkey", 1, kCmdReadonly, 0, 0, 0, CmdRandomKey));
  r.Register(CommandSpec("dbsize", 1, kCmdReadonly | kCmdFast, 0, 0, 0, CmdDbSize));
  r.Register(CommandSpec("expire", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdExpire));
  r.Register(CommandSpec("pexpire", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdPExpire));
  r.Register(CommandSpec("expireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdExpireAt));
  r.Register(CommandSpec("pexpireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, CmdPExpireAt));
  r.Register(CommandSpec("ttl", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdTtl));
  r.Register(CommandSpec("pttl", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdPTtl));
  r.Register(CommandSpec("expiretime", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdExpireTime));
  r.Register(CommandSpec("pexpiretime", 2, kCmdReadonly | kCmdFast, 1, 1, 1, CmdPExpireTime));
  r.Register(CommandSpec("persist", 2, kCmdWrite | kCmdFast, 1, 1, 1, CmdPersist));
  r.Register(CommandSpec("flushdb", -1, kCmdWrite, 0, 0, 0, CmdFlushDb));
  r.Register(CommandSpec("flushall", -1, kCmdWrite, 0, 0, 0, CmdFlushAll));
  r.Register(CommandSpec("select", 2, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, CmdSelect));
  r.Register(CommandSpec("swapdb", 3, kCmdWrite | kCmdFast, 0, 0, 0, CmdSwapDb));
  r.Register(CommandSpec(
      "object", -2, 0,
      {CommandSpec("object|encoding", 3, kCmdReadonly, 2, 2, 1, CmdObjectEncoding),
       CommandSpec("object|freq", 3, kCmdReadonly, 2, 2, 1, CmdObjectFreq),
       CommandSpec("object|idletime", 3, kCmdReadonly, 2, 2, 1, CmdObjectIdletime),
       CommandSpec("object|refcount", 3, kCmdReadonly, 2, 2, 1, CmdObjectRefcount),
       CommandSpec("object|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdObjectHelp)}));
  // MEMORY is a container with more subcommands (STATS, DOCTOR, ...) that the server family
  // may own; it can reuse CmdMemoryUsage. Registered here so MEMORY USAGE works meanwhile.
  if (!r.Find("memory"))
    r.Register(CommandSpec(
        "memory", -2, 0, {CommandSpec("memory|usage", -3, kCmdReadonly, 2, 2, 1, CmdMemoryUsage)}));
}

}  // namespace aegisr
