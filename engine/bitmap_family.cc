// The bitmap command family: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, Redis 7.0
// semantics. Bitmaps are string values (ValueType::kString); the bit work itself is in
// engine/types/bitmap.h. Handlers run on the connection's loop thread and touch entries only
// under shard locks.
//
// Reading: a value is read where it lies (an integer-encoded value as its decimal text, as
// Redis's getObjectReadOnlyString). Writing (SETBIT, BITFIELD with SET/INCRBY) makes the value a
// raw string of at least the bytes the farthest bit needs, zero-filled (MakeRawString), inside
// Shard::Update so that memory accounting follows, then edits the bytes in place; the raw
// buffer is its own allocation, so its address holds while the lock is held. As in Redis, a
// written value always ends up raw-encoded (OBJECT ENCODING "raw"), and BITFIELD grows the
// string to its farthest write even when OVERFLOW FAIL refuses that write.
//
// Arguments are checked in Redis's order, which the differential tests pin down: BITCOUNT and
// BITPOS answer a missing key before looking at their range arguments, BITFIELD parses every
// operation before it looks at the key, and BITOP builds its result from all sources (missing
// ones as empty strings) before it replaces the destination, which may be one of them.

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "base/numbers.h"
#include "engine/bitmap_errors.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/bitmap.h"

namespace aegisr {
namespace {

// Bytes a bitmap may address: proto-max-bulk-len, kept within what a raw string's 32-bit length
// holds, with room for a BITFIELD write that ends up to 63 bits past its offset.
uint64_t MaxBitmapBytes(Engine& engine) {
  int64_t v = engine.config().proto_max_bulk_len.load(std::memory_order_relaxed);
  constexpr int64_t kCap = int64_t(std::numeric_limits<uint32_t>::max()) - 16;
  return uint64_t(std::clamp<int64_t>(v, 0, kCap));
}

// Redis compares keywords as C strings (strcasecmp): an argument counts up to its first NUL.
std::string_view Word(std::string_view arg) { return arg.substr(0, arg.find('\0')); }

// A bit offset as Redis's getBitOffsetFromArgument: an integer, >= 0, whose byte lies below
// max_bytes. With bits > 0 (BITFIELD) "#n" means n * bits, multiplied as Redis does (wrapping).
bool ParseBitOffset(std::string_view arg, unsigned bits, uint64_t max_bytes, uint64_t* out) {
  const bool hash = bits > 0 && !arg.empty() && arg[0] == '#';
  int64_t v;
  if (!String2ll(arg.substr(hash ? 1 : 0), &v)) return false;
  if (hash) v = int64_t(uint64_t(v) * bits);
  if (v < 0 || uint64_t(v >> 3) >= max_bytes) return false;
  *out = uint64_t(v);
  return true;
}

// A BITFIELD type: 'i' and 1..64 bits, or 'u' and 1..63 bits (lower case only).
bool ParseFieldType(std::string_view arg, bool* is_signed, unsigned* bits) {
  std::string_view w = Word(arg);
  if (w.empty() || (w[0] != 'i' && w[0] != 'u')) return false;
  const bool sign = w[0] == 'i';
  int64_t n;
  if (!String2ll(w.substr(1), &n) || n < 1 || n > (sign ? 64 : 63)) return false;
  *is_signed = sign;
  *bits = unsigned(n);
  return true;
}

const uint8_t* Bytes(std::string_view v) { return reinterpret_cast<const uint8_t*>(v.data()); }

// The string value at *link (nullptr: the key is absent) made writable and at least `need` bytes
// long, zero-filled; an absent key is created. Returns the bytes and sets *len to the value's
// length, *dirty to whether the key was created or grew. As Redis's lookupStringForBitCommand;
// the caller has checked the type. Watchers are not told: the caller calls SignalModified when
// the command changed something (dirty, or a bit written changed), as Redis does.
uint8_t* WritableBits(Shard& s, int db, const KeyRef& k, Entry** link, size_t need, size_t* len,
                      bool* dirty) {
  char* data = nullptr;
  if (!link) {
    Entry* e = MakeRawString(NewStringEntry(k.key, k.hash, {}), need, &data);
    SetRawLength(e, need);
    s.Insert(db, e, /*touch_watch=*/false);
    *len = need;
    *dirty = true;
  } else {
    const size_t n = std::max((*link)->str_len(), need);
    *dirty = n != (*link)->str_len();
    s.Update(
        db, link,
        [&](Entry* e) {
          e = MakeRawString(e, n, &data);
          SetRawLength(e, n);
          return e;
        },
        /*touch_watch=*/false);
    *len = n;
  }
  return reinterpret_cast<uint8_t*>(data);
}

// SETBIT key offset value
void CmdSetBit(CommandContext& ctx, ArgList args) {
  uint64_t offset;
  if (!ParseBitOffset(args[2], 0, MaxBitmapBytes(ctx.engine), &offset)) {
    return ctx.reply.Error(errors::kBitOffset);
  }
  int64_t on;
  if (!String2ll(args[3], &on) || (on & ~int64_t(1))) return ctx.reply.Error(errors::kBitValue);
  TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/false);
  if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
  size_t len;
  bool dirty;
  uint8_t* p = WritableBits(tk.s, tk.db, tk.k, tk.link, size_t(offset >> 3) + 1, &len, &dirty);
  const uint8_t mask = uint8_t(0x80u >> (offset & 7));
  uint8_t& byte = p[offset >> 3];
  const bool was = byte & mask;
  byte = on ? uint8_t(byte | mask) : uint8_t(byte & ~mask);
  // Setting a bit to the value it holds changes nothing (Redis 7.0 neither signals nor notifies).
  if (dirty || was != bool(on)) {
    tk.s.SignalModified(tk.db, args[1]);
    Notify(ctx, kNotifyString, "setbit", args[1]);
  }
  ctx.reply.Integer(was ? 1 : 0);
}

// GETBIT key offset
void CmdGetBit(CommandContext& ctx, ArgList args) {
  uint64_t offset;
  if (!ParseBitOffset(args[2], 0, MaxBitmapBytes(ctx.engine), &offset)) {
    return ctx.reply.Error(errors::kBitOffset);
  }
  TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/true);
  if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!tk.link) return ctx.reply.Integer(0);
  char scratch[kLongStrSize + 3];
  std::string_view v = tk.entry()->str(scratch);
  const uint64_t byte = offset >> 3;
  const bool set = byte < v.size() && (uint8_t(v[byte]) & (0x80u >> (offset & 7)));
  ctx.reply.Integer(set ? 1 : 0);
}

// BIT or BYTE (case-insensitive); false on anything else.
bool ParseUnit(std::string_view arg, bool* bit_unit) {
  std::string_view w = Word(arg);
  if (EqualsIgnoreCase(w, "bit")) {
    *bit_unit = true;
  } else if (EqualsIgnoreCase(w, "byte")) {
    *bit_unit = false;
  } else {
    return false;
  }
  return true;
}

// BITCOUNT key [start end [BYTE | BIT]]
void CmdBitCount(CommandContext& ctx, ArgList args) {
  TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/true);
  if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!tk.link) return ctx.reply.Integer(0);  // before the range is even parsed, as Redis
  char scratch[kLongStrSize + 3];
  std::string_view v = tk.entry()->str(scratch);
  if (args.size() == 2) return ctx.reply.Integer(int64_t(PopCount(Bytes(v), v.size())));
  if (args.size() != 4 && args.size() != 5) return ctx.reply.Error(errors::kSyntax);
  int64_t start, end;
  if (!String2ll(args[2], &start) || !String2ll(args[3], &end)) {
    return ctx.reply.Error(errors::kNotInteger);
  }
  // Both negative and in the wrong order: empty, whatever follows (Redis checks this first).
  if (start < 0 && end < 0 && start > end) return ctx.reply.Integer(0);
  bool bit_unit = false;
  if (args.size() == 5 && !ParseUnit(args[4], &bit_unit)) {
    return ctx.reply.Error(errors::kSyntax);
  }
  BitRange r = ResolveBitRange(v.size(), start, end, bit_unit);
  ctx.reply.Integer(r.empty ? 0 : int64_t(CountBitRange(Bytes(v), r.first, r.last)));
}

// BITPOS key bit [start [end [BYTE | BIT]]]
void CmdBitPos(CommandContext& ctx, ArgList args) {
  int64_t bit;
  if (!String2ll(args[2], &bit)) return ctx.reply.Error(errors::kNotInteger);
  if (bit != 0 && bit != 1) return ctx.reply.Error(errors::kBitArgument);
  TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/true);
  if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
  // A missing key is an endless run of zeros.
  if (!tk.link) return ctx.reply.Integer(bit ? -1 : 0);
  char scratch[kLongStrSize + 3];
  std::string_view v = tk.entry()->str(scratch);
  const int64_t len = int64_t(v.size());
  int64_t start = 0, end = len - 1;
  bool bit_unit = false, end_given = false;
  if (args.size() >= 4 && args.size() <= 6) {
    if (!String2ll(args[3], &start)) return ctx.reply.Error(errors::kNotInteger);
    if (args.size() == 6 && !ParseUnit(args[5], &bit_unit)) {
      return ctx.reply.Error(errors::kSyntax);
    }
    if (args.size() >= 5) {
      if (!String2ll(args[4], &end)) return ctx.reply.Error(errors::kNotInteger);
      end_given = true;
    }
  } else if (args.size() != 3) {
    return ctx.reply.Error(errors::kSyntax);
  }
  BitRange r = ResolveBitRange(v.size(), start, end, bit_unit);
  ctx.reply.Integer(BitPos(Bytes(v), r, bit == 1, end_given));
}

// BITOP AND | OR | XOR | NOT destkey key [key ...]
void CmdBitOp(CommandContext& ctx, ArgList args) {
  std::string_view name = Word(args[1]);
  BitOpKind op;
  if (EqualsIgnoreCase(name, "and")) {
    op = BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = BitOpKind::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = BitOpKind::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = BitOpKind::kNot;
  } else {
    return ctx.reply.Error(errors::kSyntax);
  }
  if (op == BitOpKind::kNot && args.size() != 4) return ctx.reply.Error(errors::kBitopNotOneKey);

  Keyspace& ks = ctx.engine.keyspace();
  const int db = Db(ctx);
  const int64_t now = Engine::NowMs();
  const uint32_t lru = ks.lru_clock();
  std::vector<KeyRef> refs;  // [0] the destination, then the sources
  refs.reserve(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) refs.emplace_back(args[i]);
  auto guard = ks.LockKeys(refs);

  const size_t nsrc = refs.size() - 1;
  std::vector<std::string_view> srcs(nsrc);
  // Integer-encoded sources are read as their decimal text, each in its own scratch.
  std::vector<char> scratch(nsrc * (kLongStrSize + 3));
  size_t maxlen = 0;
  for (size_t j = 0; j < nsrc; ++j) {
    const KeyRef& k = refs[j + 1];
    Entry** link = ks.shard(k).Lookup(db, k, now, lru);
    if (!link) continue;  // a missing key reads as an empty string
    if ((*link)->type != ValueType::kString) return ctx.reply.Error(errors::kWrongType);
    srcs[j] = (*link)->str(scratch.data() + j * (kLongStrSize + 3));
    maxlen = std::max(maxlen, srcs[j].size());
  }

  const KeyRef& dst = refs[0];
  Shard& s = ks.shard(dst);
  if (maxlen == 0) {
    // Every source empty or missing: the destination goes, as Redis deletes it.
    if (Entry** link = s.Find(db, dst, now)) {
      s.Delete(db, link);
      Notify(ctx, kNotifyGeneric, "del", args[2]);
    }
    return ctx.reply.Integer(0);
  }
  // The result is built in a new entry while the sources (the destination among them, maybe)
  // are intact, and replaces the destination whole: type, value and TTL.
  char* data;
  Entry* e = MakeRawString(NewStringEntry(dst.key, dst.hash, {}), maxlen, &data);
  BitOp(op, srcs, reinterpret_cast<uint8_t*>(data), maxlen);
  SetRawLength(e, maxlen);
  bool existed = false;
  if (Entry** link = s.Find(db, dst, now)) {
    s.Delete(db, link);
    existed = true;
  }
  OverwriteScope overwrite(existed);
  s.Insert(db, e);
  Notify(ctx, kNotifyString, "set", args[2]);
  ctx.reply.Integer(int64_t(maxlen));
}

// One operation of BITFIELD, parsed.
struct FieldOp {
  enum Kind : uint8_t { kGet, kSet, kIncrBy };
  uint64_t offset;
  int64_t value;  // SET's value or INCRBY's increment
  Kind kind;
  FieldOverflow overflow;
  uint8_t bits;
  bool is_signed;
};

// Applies a SET or INCRBY to the field and writes its reply: the old value for SET, the new one
// for INCRBY, or null when OVERFLOW FAIL refuses it (nothing written then).
// Returns false when OVERFLOW FAIL refused the write.
// Applies one SET or INCRBY and writes its reply. Returns -1 when OVERFLOW FAIL refused it, 0
// when it wrote the value the field held, 1 when it changed the field.
int ApplyFieldWrite(ReplySink& reply, const FieldOp& op, uint8_t* p, size_t len) {
  const bool incr = op.kind == FieldOp::kIncrBy;
  if (op.is_signed) {
    const int64_t old = GetSignedField(p, len, op.offset, op.bits);
    int64_t limit = 0;
    int64_t val = incr ? int64_t(uint64_t(old) + uint64_t(op.value)) : op.value;
    const int of = SignedFieldOverflow(incr ? old : op.value, incr ? op.value : 0, op.bits,
                                       op.overflow, &limit);
    if (of && op.overflow == FieldOverflow::kFail) {
      reply.Null();
      return -1;
    }
    if (of) val = limit;
    reply.Integer(incr ? val : old);
    SetField(p, op.offset, op.bits, uint64_t(val));
    return val != old ? 1 : 0;
  } else {
    const uint64_t old = GetUnsignedField(p, len, op.offset, op.bits);
    uint64_t limit = 0;
    uint64_t val = incr ? old + uint64_t(op.value) : uint64_t(op.value);
    const int of = UnsignedFieldOverflow(incr ? old : uint64_t(op.value), incr ? op.value : 0,
                                         op.bits, op.overflow, &limit);
    if (of && op.overflow == FieldOverflow::kFail) {
      reply.Null();
      return -1;
    }
    if (of) val = limit;
    reply.Integer(int64_t(incr ? val : old));
    SetField(p, op.offset, op.bits, val);
    return val != old ? 1 : 0;
  }
}

void ReplyFieldGet(ReplySink& reply, const FieldOp& op, const uint8_t* p, size_t len) {
  if (op.is_signed)
    reply.Integer(GetSignedField(p, len, op.offset, op.bits));
  else
    reply.Integer(int64_t(GetUnsignedField(p, len, op.offset, op.bits)));
}

// BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL] SET type offset value |
//     [OVERFLOW WRAP | SAT | FAIL] INCRBY type offset increment] ...
// BITFIELD_RO key [GET type offset ...] (read_only)
void BitFieldGeneric(CommandContext& ctx, ArgList args, bool read_only) {
  const uint64_t max_bytes = MaxBitmapBytes(ctx.engine);
  std::vector<FieldOp> ops;
  FieldOverflow overflow = FieldOverflow::kWrap;
  bool writes = false;
  uint64_t highest_bit = 0;  // the farthest bit a SET or INCRBY reaches
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t rest = args.size() - j - 1;
    std::string_view sub = Word(args[j]);
    FieldOp op{};
    if (EqualsIgnoreCase(sub, "get") && rest >= 2) {
      op.kind = FieldOp::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && rest >= 3) {
      op.kind = FieldOp::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && rest >= 3) {
      op.kind = FieldOp::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && rest >= 1) {
      std::string_view mode = Word(args[++j]);
      if (EqualsIgnoreCase(mode, "wrap")) {
        overflow = FieldOverflow::kWrap;
      } else if (EqualsIgnoreCase(mode, "sat")) {
        overflow = FieldOverflow::kSat;
      } else if (EqualsIgnoreCase(mode, "fail")) {
        overflow = FieldOverflow::kFail;
      } else {
        return ctx.reply.Error(errors::kBitfieldOverflow);
      }
      continue;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
    unsigned bits;
    if (!ParseFieldType(args[j + 1], &op.is_signed, &bits)) {
      return ctx.reply.Error(errors::kBitfieldType);
    }
    op.bits = uint8_t(bits);
    if (!ParseBitOffset(args[j + 2], bits, max_bytes, &op.offset)) {
      return ctx.reply.Error(errors::kBitOffset);
    }
    if (op.kind != FieldOp::kGet) {
      writes = true;
      highest_bit = std::max(highest_bit, op.offset + bits - 1);
      if (!String2ll(args[j + 3], &op.value)) return ctx.reply.Error(errors::kNotInteger);
    }
    op.overflow = overflow;
    ops.push_back(op);
    j += op.kind == FieldOp::kGet ? 2 : 3;
  }

  if (!writes) {
    TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/true);
    if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
    char scratch[kLongStrSize + 3];
    std::string_view v = tk.link ? tk.entry()->str(scratch) : std::string_view();
    ctx.reply.ArrayHeader(ops.size());
    for (const FieldOp& op : ops) ReplyFieldGet(ctx.reply, op, Bytes(v), v.size());
    return;
  }
  if (read_only) return ctx.reply.Error(errors::kBitfieldReadOnly);
  TypedKey tk(ctx, args[1], ValueType::kString, /*read=*/false);
  if (tk.wrong_type) return ctx.reply.Error(errors::kWrongType);
  size_t len;
  bool dirty;
  uint8_t* p = WritableBits(tk.s, tk.db, tk.k, tk.link, size_t(highest_bit >> 3) + 1, &len, &dirty);
  ctx.reply.ArrayHeader(ops.size());
  // As Redis: a write counts as a change when it changed its field, or when the key was created
  // or grew; refused writes (OVERFLOW FAIL) never do, even though the key was created or grew.
  bool changed = false;
  for (const FieldOp& op : ops) {
    if (op.kind == FieldOp::kGet) {
      ReplyFieldGet(ctx.reply, op, p, len);
    } else {
      const int r = ApplyFieldWrite(ctx.reply, op, p, len);
      changed = changed || r > 0 || (r == 0 && dirty);
    }
  }
  if (changed) {
    tk.s.SignalModified(tk.db, args[1]);
    Notify(ctx, kNotifyString, "setbit", args[1]);
  }
}

void CmdBitField(CommandContext& ctx, ArgList args) { BitFieldGeneric(ctx, args, false); }
void CmdBitFieldRo(CommandContext& ctx, ArgList args) { BitFieldGeneric(ctx, args, true); }

}  // namespace

void RegisterBitmapFamily(CommandRegistry& r) {
  constexpr uint32_t kWD = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kRO = kCmdReadonly;
  constexpr uint32_t kF = kCmdFast;
  r.Register(CommandSpec("setbit", 4, kWD, 1, 1, 1, CmdSetBit));
  r.Register(CommandSpec("getbit", 3, kRO | kF, 1, 1, 1, CmdGetBit));
  r.Register(CommandSpec("bitcount", -2, kRO, 1, 1, 1, CmdBitCount));
  r.Register(CommandSpec("bitpos", -3, kRO, 1, 1, 1, CmdBitPos));
  r.Register(CommandSpec("bitop", -4, kWD, 2, -1, 1, CmdBitOp));
  r.Register(CommandSpec("bitfield", -2, kWD, 1, 1, 1, CmdBitField));
  r.Register(CommandSpec("bitfield_ro", -2, kRO | kF, 1, 1, 1, CmdBitFieldRo));
}

}  // namespace aegisr
