// The string command family: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX
// APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE SUBSTR LCS.
// Handlers run on the connection's loop thread and touch entries only under shard locks.
//
// GET and SET are the server's hottest path: they hash the key once (KeyRef), take one shard
// lock, parse options by comparing argument bytes in place and write the reply while the lock
// is held, so a call allocates nothing beyond the entry itself. Error replies follow Redis's
// order of checks (option syntax, then numbers, then the key's type), which tests pin down.
//
// LCS copies both values out and releases the locks before the quadratic dynamic program,
// then walks the table back from the end to emit the string or the matching ranges, the
// ranges last-to-first as Redis reports them.

#include "engine/string_family.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "base/numbers.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/string_errors.h"

namespace aegisr {
namespace {

// Largest string the string commands may build (proto-max-bulk-len), kept within what a raw
// string's 32-bit length can hold.
size_t MaxStringLen(Engine& engine) {
  int64_t v = engine.config().proto_max_bulk_len.load(std::memory_order_relaxed);
  constexpr int64_t kCap = std::numeric_limits<uint32_t>::max() - 1;
  return static_cast<size_t>(std::clamp<int64_t>(v, 0, kCap));
}

// The generic wire error of an OpStatus; commands with their own texts map those first.
std::string_view ErrorText(OpStatus st) {
  switch (st) {
    case OpStatus::kWrongType:
      return errors::kWrongType;
    case OpStatus::kNotAnInteger:
      return errors::kNotInteger;
    case OpStatus::kNotAFloat:
      return errors::kNotFloat;
    case OpStatus::kOutOfRange:
      return errors::kOverflow;
    case OpStatus::kNoSuchKey:
      return errors::kNoSuchKey;
    case OpStatus::kOutOfMemory:
      return errors::kOom;
    default:
      return errors::kSyntax;
  }
}

// Up to kInline keys without touching the heap (MGET/MSET of a few keys).
class KeyRefs {
 public:
  explicit KeyRefs(size_t n) {
    if (n > kInline) heap_.reserve(n);
  }
  void Add(std::string_view key) {
    if (heap_.capacity() > 0) {
      heap_.emplace_back(key);
    } else {
      new (&inline_[n_ * sizeof(KeyRef)]) KeyRef(key);
    }
    ++n_;
  }
  std::span<const KeyRef> span() const {
    if (heap_.capacity() > 0) return heap_;
    return {reinterpret_cast<const KeyRef*>(inline_), n_};
  }
  const KeyRef& operator[](size_t i) const { return span()[i]; }

 private:
  static constexpr size_t kInline = 16;
  static_assert(std::is_trivially_destructible_v<KeyRef>);
  alignas(KeyRef) unsigned char inline_[kInline * sizeof(KeyRef)];
  size_t n_ = 0;
  std::vector<KeyRef> heap_;
};

// The string value of k for a read command (hit/miss counted), or kKeyNotFound / kWrongType.
// The view points into the entry (or scratch, >= 24 bytes) and is valid while the lock is
// held and the shard is not mutated.
OpResult<std::string_view> OpGet(Shard& s, int db, const KeyRef& k, char* scratch, int64_t now,
                                 uint32_t lru) {
  Entry** link = s.Lookup(db, k, now, lru);
  if (!link) return OpStatus::kKeyNotFound;
  const Entry* e = *link;
  if (e->type != ValueType::kString) return OpStatus::kWrongType;
  return e->str(scratch);
}

// Replies as GET does. Returns false after a WRONGTYPE error (the caller stops there).
bool ReplyGet(ReplySink& reply, const OpResult<std::string_view>& r) {
  if (r.ok()) {
    reply.Bulk(*r);
    return true;
  }
  if (r.status() == OpStatus::kWrongType) {
    reply.Error(errors::kWrongType);
    return false;
  }
  reply.Null();
  return true;
}

// For the read-then-modify commands (GETDEL, GETEX): the live string entry's link, or nullptr
// after replying null (no such key) or WRONGTYPE.
Entry** LookupStringOrReply(ReplySink& reply, Shard& s, int db, const KeyRef& k, int64_t now,
                            uint32_t lru) {
  Entry** link = s.Lookup(db, k, now, lru);
  if (!link) {
    reply.Null();
    return nullptr;
  }
  if ((*link)->type != ValueType::kString) {
    reply.Error(errors::kWrongType);
    return nullptr;
  }
  return link;
}

// Stores v as the string value of k; `link` is k's live link or nullptr. TTL: expire_at > 0
// sets it, else keep_ttl keeps the current one, else the key ends without one. A value of
// another type is replaced by a fresh entry.
void StoreString(Shard& s, int db, const KeyRef& k, Entry** link, std::string_view v,
                 int64_t expire_at, bool keep_ttl) {
  if (link) {
    if ((*link)->type == ValueType::kString) {
      s.Update(db, link, [&](Entry* e) {
        if (!expire_at && !keep_ttl && e->has_expire()) e = SetExpire(e, 0);
        e = SetStringValue(e, v);
        if (expire_at) e = SetExpire(e, expire_at);
        return e;
      });
      return;
    }
    if (!expire_at && keep_ttl) expire_at = (*link)->expire_at();
    s.Delete(db, link);
  }
  Entry* e = NewStringEntry(k.key, k.hash, v);
  if (expire_at) e = SetExpire(e, expire_at);
  OverwriteScope overwrite(link != nullptr);
  s.Insert(db, e);
}

bool ParseInt(std::string_view s, int64_t* v) { return String2ll(s, v); }

}  // namespace

bool ParseStringOptions(ArgList args, size_t first, OptionsOf of, StringOptions* out) {
  const bool is_set = of == OptionsOf::kSet;
  uint32_t& f = out->flags;
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = args[j];
    const bool has_next = j + 1 < args.size();
    uint32_t expire_flag = 0;
    if (is_set && EqualsIgnoreCase(opt, "nx") && !(f & kStrXx)) {
      f |= kStrNx;
    } else if (is_set && EqualsIgnoreCase(opt, "xx") && !(f & kStrNx)) {
      f |= kStrXx;
    } else if (is_set && EqualsIgnoreCase(opt, "get")) {
      f |= kStrGet;
    } else if (is_set && EqualsIgnoreCase(opt, "keepttl") && !(f & (kStrPersist | kStrAnyExpire))) {
      f |= kStrKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "persist") &&
               !(f & (kStrAnyExpire | kStrKeepTtl))) {
      f |= kStrPersist;
    } else if (EqualsIgnoreCase(opt, "ex")) {
      expire_flag = kStrEx;
    } else if (EqualsIgnoreCase(opt, "px")) {
      expire_flag = kStrPx;
    } else if (EqualsIgnoreCase(opt, "exat")) {
      expire_flag = kStrExat;
    } else if (EqualsIgnoreCase(opt, "pxat")) {
      expire_flag = kStrPxat;
    } else {
      return false;
    }
    if (expire_flag) {
      // The same expire option may repeat (the last value wins); any other conflicts.
      uint32_t conflicts = (kStrAnyExpire & ~expire_flag) | kStrKeepTtl | kStrPersist;
      if ((f & conflicts) || !has_next) return false;
      f |= expire_flag;
      out->expire = args[++j];
    }
  }
  return true;
}

OpResult<int64_t> ExpireAtMs(std::string_view arg, uint32_t flags, int64_t now_ms) {
  int64_t v;
  if (!ParseInt(arg, &v)) return OpStatus::kNotAnInteger;
  const bool seconds = flags & (kStrEx | kStrExat);
  if (v <= 0 || (seconds && v > std::numeric_limits<int64_t>::max() / 1000))
    return OpStatus::kInvalidExpire;
  if (seconds) v *= 1000;
  if (flags & (kStrEx | kStrPx)) {
    if (__builtin_add_overflow(v, now_ms, &v)) return OpStatus::kInvalidExpire;
  }
  if (v <= 0) return OpStatus::kInvalidExpire;
  return v;
}

OpResult<int64_t> OpIncrBy(Shard& s, int db, const KeyRef& k, int64_t incr, int64_t now_ms) {
  Entry** link = s.Find(db, k, now_ms);
  if (!link) {
    s.Insert(db, NewIntEntry(k.key, k.hash, incr));
    return incr;
  }
  Entry* e = *link;
  if (e->type != ValueType::kString) return OpStatus::kWrongType;
  int64_t old;
  if (e->is_int()) {
    old = e->int_value();
  } else {
    char scratch[24];
    if (!ParseInt(e->str(scratch), &old)) return OpStatus::kNotAnInteger;
  }
  int64_t result;
  if (__builtin_add_overflow(old, incr, &result)) return OpStatus::kOutOfRange;
  if (e->is_int()) {
    // Fast path: the cell already holds an int64; overwrite it, no reformatting or realloc.
    std::memcpy(e->payload(), &result, sizeof(result));
    s.SignalModified(db, k.key);
  } else {
    s.Update(db, link, [&](Entry* x) { return SetIntValue(x, result); });
  }
  return result;
}

OpResult<size_t> OpAppend(Shard& s, int db, const KeyRef& k, std::string_view v, size_t max_len,
                          int64_t now_ms) {
  Entry** link = s.Find(db, k, now_ms);
  if (!link) {
    s.Insert(db, NewStringEntry(k.key, k.hash, v));
    return v.size();
  }
  Entry* e = *link;
  if (e->type != ValueType::kString) return OpStatus::kWrongType;
  size_t old_len = e->str_len();
  size_t total = old_len + v.size();
  if (total > max_len) return OpStatus::kOutOfRange;
  // Even an empty append turns the value into a raw string, as Redis's OBJECT ENCODING shows.
  s.Update(db, link, [&](Entry* x) {
    char* data;
    x = MakeRawString(x, total, &data);
    std::memcpy(data + old_len, v.data(), v.size());
    SetRawLength(x, total);
    return x;
  });
  return total;
}

OpResult<size_t> OpSetRange(Shard& s, int db, const KeyRef& k, int64_t offset, std::string_view v,
                            size_t max_len, int64_t now_ms) {
  Entry** link = s.Find(db, k, now_ms);
  size_t old_len = 0;
  if (link) {
    if ((*link)->type != ValueType::kString) return OpStatus::kWrongType;
    old_len = (*link)->str_len();
  }
  if (v.empty()) return old_len;  // nothing to write: an absent key stays absent
  uint64_t end;
  if (__builtin_add_overflow(static_cast<uint64_t>(offset), v.size(), &end) || end > max_len)
    return OpStatus::kOutOfRange;
  size_t new_len = std::max<size_t>(old_len, end);
  auto write = [&](Entry* x) {
    char* data;
    x = MakeRawString(x, new_len, &data);  // zero-fills any gap past the old end
    std::memcpy(data + offset, v.data(), v.size());
    SetRawLength(x, new_len);
    return x;
  };
  if (link) {
    s.Update(db, link, write);
  } else {
    s.Insert(db, write(NewStringEntry(k.key, k.hash, {})));
  }
  return new_len;
}

namespace {

// GET key
void CmdGet(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  auto lk = ks.Lock(k);
  char scratch[24];
  ReplyGet(ctx.reply, OpGet(ks.shard(k), Db(ctx), k, scratch, Engine::NowMs(), ks.lru_clock()));
}

// The shared body of SET, SETNX, SETEX, PSETEX. `expire_error` is the command's "invalid
// expire time" text. With GET the old value is the reply; else ok/abort replies are written by
// the caller's choice: SETNX answers :1/:0, the others +OK / null.
enum class SetReply : uint8_t { kOkOrNull, kOneOrZero };

void SetGeneric(CommandContext& ctx, std::string_view key, std::string_view value,
                const StringOptions& opt, std::string_view expire_error, SetReply kind) {
  int64_t now = Engine::NowMs();
  int64_t expire_at = 0;
  if (opt.flags & kStrAnyExpire) {
    OpResult<int64_t> r = ExpireAtMs(opt.expire, opt.flags, now);
    if (!r.ok()) {
      ctx.reply.Error(r.status() == OpStatus::kInvalidExpire ? expire_error
                                                             : ErrorText(r.status()));
      return;
    }
    expire_at = *r;
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(key);
  int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link;
  if (opt.flags & kStrGet) {
    link = s.Lookup(db, k, now, ks.lru_clock());
    if (link && (*link)->type != ValueType::kString) {
      ctx.reply.Error(errors::kWrongType);
      return;
    }
    char scratch[24];
    if (link)
      ctx.reply.Bulk((*link)->str(scratch));
    else
      ctx.reply.Null();
  } else {
    link = s.Find(db, k, now);
  }
  const bool found = link != nullptr;
  if (((opt.flags & kStrNx) && found) || ((opt.flags & kStrXx) && !found)) {
    if (!(opt.flags & kStrGet)) {
      if (kind == SetReply::kOneOrZero)
        ctx.reply.Integer(0);
      else
        ctx.reply.Null();
    }
    return;
  }
  StoreString(s, db, k, link, value, expire_at, opt.flags & kStrKeepTtl);
  Notify(ctx, kNotifyString, "set", key);
  if (expire_at) Notify(ctx, kNotifyGeneric, "expire", key);
  if (!(opt.flags & kStrGet)) {
    if (kind == SetReply::kOneOrZero)
      ctx.reply.Integer(1);
    else
      ctx.reply.Ok();
  }
}

// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | KEEPTTL]
void CmdSet(CommandContext& ctx, ArgList args) {
  StringOptions opt;
  if (!ParseStringOptions(args, 3, OptionsOf::kSet, &opt)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  SetGeneric(ctx, args[1], args[2], opt, errors::kInvalidExpireSet, SetReply::kOkOrNull);
}

// SETNX key value
void CmdSetNx(CommandContext& ctx, ArgList args) {
  StringOptions opt;
  opt.flags = kStrNx;
  SetGeneric(ctx, args[1], args[2], opt, errors::kInvalidExpireSet, SetReply::kOneOrZero);
}

// SETEX key seconds value
void CmdSetEx(CommandContext& ctx, ArgList args) {
  StringOptions opt{kStrEx, args[2]};
  SetGeneric(ctx, args[1], args[3], opt, errors::kInvalidExpireSetex, SetReply::kOkOrNull);
}

// PSETEX key milliseconds value
void CmdPSetEx(CommandContext& ctx, ArgList args) {
  StringOptions opt{kStrPx, args[2]};
  SetGeneric(ctx, args[1], args[3], opt, errors::kInvalidExpirePsetex, SetReply::kOkOrNull);
}

// GETSET key value
void CmdGetSet(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  char scratch[24];
  int64_t now = Engine::NowMs();
  if (!ReplyGet(ctx.reply, OpGet(s, db, k, scratch, now, ks.lru_clock()))) return;
  // Re-find: the lookup above may have expired the key. The TTL is dropped, as SET does.
  StoreString(s, db, k, s.Find(db, k, now), args[2], 0, false);
  Notify(ctx, kNotifyString, "set", args[1]);
}

// GETDEL key
void CmdGetDel(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = LookupStringOrReply(ctx.reply, s, db, k, Engine::NowMs(), ks.lru_clock());
  if (!link) return;
  char scratch[24];
  ctx.reply.Bulk((*link)->str(scratch));
  s.Delete(db, link);
  Notify(ctx, kNotifyGeneric, "del", args[1]);
}

// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
//     PXAT unix-time-milliseconds | PERSIST]
void CmdGetEx(CommandContext& ctx, ArgList args) {
  StringOptions opt;
  if (!ParseStringOptions(args, 2, OptionsOf::kGetex, &opt)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = LookupStringOrReply(ctx.reply, s, db, k, now, ks.lru_clock());
  if (!link) return;
  int64_t expire_at = 0;
  if (opt.flags & kStrAnyExpire) {
    OpResult<int64_t> r = ExpireAtMs(opt.expire, opt.flags, now);
    if (!r.ok()) {
      ctx.reply.Error(r.status() == OpStatus::kInvalidExpire ? errors::kInvalidExpireGetex
                                                             : ErrorText(r.status()));
      return;
    }
    expire_at = *r;
  }
  char scratch[24];
  ctx.reply.Bulk((*link)->str(scratch));
  if ((opt.flags & (kStrExat | kStrPxat)) && expire_at <= now) {
    s.Delete(db, link);  // an absolute time already past deletes the key
    Notify(ctx, kNotifyGeneric, "del", args[1]);
  } else if (expire_at) {
    s.Update(db, link, [&](Entry* e) { return SetExpire(e, expire_at); });
    Notify(ctx, kNotifyGeneric, "expire", args[1]);
  } else if (opt.flags & kStrPersist) {
    if ((*link)->has_expire()) {
      s.Update(db, link, [](Entry* e) { return SetExpire(e, 0); });
      Notify(ctx, kNotifyGeneric, "persist", args[1]);
    }
  }
}

// MGET key [key ...]
void CmdMGet(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRefs refs(args.size() - 1);
  for (size_t i = 1; i < args.size(); ++i) refs.Add(args[i]);
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  uint32_t lru = ks.lru_clock();
  auto guard = ks.LockKeys(refs.span());
  ctx.reply.ArrayHeader(args.size() - 1);
  char scratch[24];
  for (const KeyRef& k : refs.span()) {
    OpResult<std::string_view> r = OpGet(ks.shard(k), db, k, scratch, now, lru);
    if (r.ok())
      ctx.reply.Bulk(*r);
    else
      ctx.reply.Null();  // missing and non-string keys alike
  }
}

// MSET key value [key value ...] / MSETNX key value [key value ...]
void MSetGeneric(CommandContext& ctx, ArgList args, bool nx) {
  if (args.size() % 2 == 0) {
    std::string msg = "ERR wrong number of arguments for '";
    msg += nx ? "msetnx" : "mset";
    msg += "' command";
    ctx.reply.Error(msg);
    return;
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRefs refs(args.size() / 2);
  for (size_t i = 1; i < args.size(); i += 2) refs.Add(args[i]);
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  auto guard = ks.LockKeys(refs.span());
  if (nx) {
    for (const KeyRef& k : refs.span()) {
      if (ks.shard(k).Find(db, k, now)) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t i = 0; i < args.size() / 2; ++i) {
    const KeyRef& k = refs[i];
    Shard& s = ks.shard(k);
    StoreString(s, db, k, s.Find(db, k, now), args[2 * i + 2], 0, false);
    Notify(ctx, kNotifyString, "set", k.key);
  }
  if (nx)
    ctx.reply.Integer(1);
  else
    ctx.reply.Ok();
}

void CmdMSet(CommandContext& ctx, ArgList args) { MSetGeneric(ctx, args, false); }
void CmdMSetNx(CommandContext& ctx, ArgList args) { MSetGeneric(ctx, args, true); }

// APPEND key value
void CmdAppend(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  size_t max_len = MaxStringLen(ctx.engine);
  auto lk = ks.Lock(k);
  OpResult<size_t> r = OpAppend(ks.shard(k), Db(ctx), k, args[2], max_len, Engine::NowMs());
  if (r.ok()) Notify(ctx, kNotifyString, "append", args[1]);
  if (r.ok())
    ctx.reply.Integer(static_cast<int64_t>(*r));
  else if (r.status() == OpStatus::kOutOfRange)
    ctx.reply.Error(errors::kStringTooLong);
  else
    ctx.reply.Error(ErrorText(r.status()));
}

// STRLEN key
void CmdStrLen(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  auto lk = ks.Lock(k);
  char scratch[24];
  OpResult<std::string_view> r =
      OpGet(ks.shard(k), Db(ctx), k, scratch, Engine::NowMs(), ks.lru_clock());
  if (r.ok())
    ctx.reply.Integer(static_cast<int64_t>(r->size()));
  else if (r.status() == OpStatus::kKeyNotFound)
    ctx.reply.Integer(0);
  else
    ctx.reply.Error(ErrorText(r.status()));
}

void IncrByGeneric(CommandContext& ctx, std::string_view key, int64_t incr) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(key);
  auto lk = ks.Lock(k);
  OpResult<int64_t> r = OpIncrBy(ks.shard(k), Db(ctx), k, incr, Engine::NowMs());
  if (r.ok()) Notify(ctx, kNotifyString, "incrby", key);
  if (r.ok())
    ctx.reply.Integer(*r);
  else
    ctx.reply.Error(ErrorText(r.status()));
}

// INCR key
void CmdIncr(CommandContext& ctx, ArgList args) { IncrByGeneric(ctx, args[1], 1); }

// DECR key
void CmdDecr(CommandContext& ctx, ArgList args) { IncrByGeneric(ctx, args[1], -1); }

// INCRBY key increment
void CmdIncrBy(CommandContext& ctx, ArgList args) {
  int64_t incr;
  if (!ParseInt(args[2], &incr)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  IncrByGeneric(ctx, args[1], incr);
}

// DECRBY key decrement
void CmdDecrBy(CommandContext& ctx, ArgList args) {
  int64_t decr;
  if (!ParseInt(args[2], &decr)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (decr == std::numeric_limits<int64_t>::min()) {
    ctx.reply.Error(errors::kDecrementOverflow);
    return;
  }
  IncrByGeneric(ctx, args[1], -decr);
}

// INCRBYFLOAT key increment
void CmdIncrByFloat(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Find(db, k, Engine::NowMs());
  long double value = 0;
  if (link) {
    if ((*link)->type != ValueType::kString) {
      ctx.reply.Error(errors::kWrongType);
      return;
    }
    char scratch[24];
    if ((*link)->is_int()) {
      value = static_cast<long double>((*link)->int_value());
    } else if (!String2ld((*link)->str(scratch), &value)) {
      ctx.reply.Error(errors::kNotFloat);
      return;
    }
  }
  long double incr;
  if (!String2ld(args[2], &incr)) {
    ctx.reply.Error(errors::kNotFloat);
    return;
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.Error(errors::kNanOrInf);
    return;
  }
  std::string text = Ld2String(value, LdMode::kHuman);
  // The TTL is kept (Redis replaces the value in place).
  if (link) {
    s.Update(db, link, [&](Entry* e) { return SetStringValue(e, text, /*allow_int=*/false); });
  } else {
    s.Insert(db, NewStringEntry(k.key, k.hash, text, /*allow_int=*/false));
  }
  Notify(ctx, kNotifyString, "incrbyfloat", args[1]);
  ctx.reply.Bulk(text);
}

// GETRANGE key start end (SUBSTR key start end)
void CmdGetRange(CommandContext& ctx, ArgList args) {
  int64_t start, end;
  if (!ParseInt(args[2], &start) || !ParseInt(args[3], &end)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  auto lk = ks.Lock(k);
  char scratch[24];
  OpResult<std::string_view> r =
      OpGet(ks.shard(k), Db(ctx), k, scratch, Engine::NowMs(), ks.lru_clock());
  if (!r.ok()) {
    if (r.status() == OpStatus::kKeyNotFound)
      ctx.reply.Bulk({});
    else
      ctx.reply.Error(ErrorText(r.status()));
    return;
  }
  std::string_view str = *r;
  const int64_t len = static_cast<int64_t>(str.size());
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk({});
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) {
    ctx.reply.Bulk({});
    return;
  }
  ctx.reply.Bulk(str.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value
void CmdSetRange(CommandContext& ctx, ArgList args) {
  int64_t offset;
  if (!ParseInt(args[2], &offset)) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.reply.Error(errors::kOffsetOutOfRange);
    return;
  }
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  size_t max_len = MaxStringLen(ctx.engine);
  auto lk = ks.Lock(k);
  OpResult<size_t> r =
      OpSetRange(ks.shard(k), Db(ctx), k, offset, args[3], max_len, Engine::NowMs());
  if (r.ok() && !args[3].empty()) Notify(ctx, kNotifyString, "setrange", args[1]);
  if (r.ok())
    ctx.reply.Integer(static_cast<int64_t>(*r));
  else if (r.status() == OpStatus::kOutOfRange)
    ctx.reply.Error(errors::kStringTooLong);
  else
    ctx.reply.Error(ErrorText(r.status()));
}

// One matching range of LCS ... IDX: [a_start, a_end] in the first string, [b_start, b_end] in
// the second, inclusive.
struct LcsRange {
  uint32_t a_start, a_end, b_start, b_end;
};

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
void CmdLcs(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  std::string a, b;
  {
    KeyRef refs[2] = {KeyRef(args[1]), KeyRef(args[2])};
    int64_t now = Engine::NowMs();
    uint32_t lru = ks.lru_clock();
    auto guard = ks.LockKeys(refs);
    bool wrong_type = false;
    std::string* out[2] = {&a, &b};
    for (int i = 0; i < 2; ++i) {
      char scratch[24];
      OpResult<std::string_view> r = OpGet(ks.shard(refs[i]), db, refs[i], scratch, now, lru);
      if (r.ok())
        out[i]->assign(*r);
      else if (r.status() == OpStatus::kWrongType)
        wrong_type = true;
    }
    if (wrong_type) {
      ctx.reply.Error(errors::kLcsWrongType);
      return;
    }
  }
  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "idx")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && j + 1 < args.size()) {
      if (!ParseInt(args[++j], &min_match_len)) {
        ctx.reply.Error(errors::kNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if (get_len && get_idx) {
    ctx.reply.Error(errors::kLcsLenAndIdx);
    return;
  }
  constexpr size_t kMaxLcsInput = std::numeric_limits<uint32_t>::max() - 1;
  if (a.size() >= kMaxLcsInput || b.size() >= kMaxLcsInput) {
    ctx.reply.Error(errors::kLcsTooLong);
    return;
  }
  const uint32_t alen = static_cast<uint32_t>(a.size());
  const uint32_t blen = static_cast<uint32_t>(b.size());
  const uint64_t cells = uint64_t(alen + 1ull) * (blen + 1ull);
  const uint64_t bytes = cells * sizeof(uint32_t);
  if (bytes / sizeof(uint32_t) != cells ||
      bytes > uint64_t(ctx.engine.config().proto_max_bulk_len.load(std::memory_order_relaxed))) {
    ctx.reply.Error(errors::kLcsTooMuchMemory);
    return;
  }
  auto* table = static_cast<uint32_t*>(std::malloc(bytes));
  if (!table) {
    ctx.reply.Error(errors::kLcsAllocFailed);
    return;
  }
  // table[i][j]: length of the LCS of a[0..i) and b[0..j).
  const uint64_t row = blen + 1ull;
  auto at = [&](uint32_t i, uint32_t j) -> uint32_t& { return table[i * row + j]; };
  for (uint32_t j = 0; j <= blen; ++j) at(0, j) = 0;
  for (uint32_t i = 1; i <= alen; ++i) {
    at(i, 0) = 0;
    for (uint32_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t total = at(alen, blen);
  if (get_len) {
    std::free(table);
    ctx.reply.Integer(total);
    return;
  }
  // Walk back from (alen, blen): a match extends the current run of contiguous matches
  // backwards; a step without a match (or reaching the start of either string) closes it.
  std::string result(total, '\0');
  std::vector<LcsRange> ranges;
  uint32_t fill = total;
  uint32_t i = alen, j = blen;
  bool open = false;
  LcsRange cur{};
  auto close = [&] {
    uint64_t len = uint64_t(cur.a_end) - cur.a_start + 1;
    if (get_idx && (min_match_len == 0 || len >= uint64_t(min_match_len))) ranges.push_back(cur);
    open = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      result[--fill] = a[i - 1];
      if (open) {
        cur.a_start = i - 1;
        cur.b_start = j - 1;
      } else {
        cur = {i - 1, i - 1, j - 1, j - 1};
        open = true;
      }
      --i;
      --j;
      if (cur.a_start == 0 || cur.b_start == 0) close();
    } else {
      if (at(i - 1, j) > at(i, j - 1))
        --i;
      else
        --j;
      if (open) close();
    }
  }
  std::free(table);
  if (!get_idx) {
    ctx.reply.Bulk(result);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(ranges.size());
  for (const LcsRange& r : ranges) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.a_start);
    ctx.reply.Integer(r.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.b_start);
    ctx.reply.Integer(r.b_end);
    if (with_match_len) ctx.reply.Integer(int64_t(r.a_end) - r.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

}  // namespace

void RegisterStringFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite;
  constexpr uint32_t kWD = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kRO = kCmdReadonly;
  constexpr uint32_t kF = kCmdFast;
  r.Register(CommandSpec("get", 2, kRO | kF, 1, 1, 1, CmdGet));
  r.Register(CommandSpec("set", -3, kWD, 1, 1, 1, CmdSet));
  r.Register(CommandSpec("setnx", 3, kWD | kF, 1, 1, 1, CmdSetNx));
  r.Register(CommandSpec("setex", 4, kWD, 1, 1, 1, CmdSetEx));
  r.Register(CommandSpec("psetex", 4, kWD, 1, 1, 1, CmdPSetEx));
  r.Register(CommandSpec("getset", 3, kWD | kF, 1, 1, 1, CmdGetSet));
  r.Register(CommandSpec("getdel", 2, kW | kF, 1, 1, 1, CmdGetDel));
  r.Register(CommandSpec("getex", -2, kW | kF, 1, 1, 1, CmdGetEx));
  r.Register(CommandSpec("mget", -2, kRO | kF, 1, -1, 1, CmdMGet));
  r.Register(CommandSpec("mset", -3, kWD, 1, -1, 2, CmdMSet));
  r.Register(CommandSpec("msetnx", -3, kWD, 1, -1, 2, CmdMSetNx));
  r.Register(CommandSpec("append", 3, kWD | kF, 1, 1, 1, CmdAppend));
  r.Register(CommandSpec("strlen", 2, kRO | kF, 1, 1, 1, CmdStrLen));
  r.Register(CommandSpec("incr", 2, kWD | kF, 1, 1, 1, CmdIncr));
  r.Register(CommandSpec("decr", 2, kWD | kF, 1, 1, 1, CmdDecr));
  r.Register(CommandSpec("incrby", 3, kWD | kF, 1, 1, 1, CmdIncrBy));
  r.Register(CommandSpec("decrby", 3, kWD | kF, 1, 1, 1, CmdDecrBy));
  r.Register(CommandSpec("incrbyfloat", 3, kWD | kF, 1, 1, 1, CmdIncrByFloat));
  r.Register(CommandSpec("getrange", 4, kRO, 1, 1, 1, CmdGetRange));
  r.Register(CommandSpec("substr", 4, kRO, 1, 1, 1, CmdGetRange));
  r.Register(CommandSpec("setrange", 4, kWD, 1, 1, 1, CmdSetRange));
  r.Register(CommandSpec("lcs", -3, kRO, 1, 2, 1, CmdLcs));
}

}  // namespace aegisr
