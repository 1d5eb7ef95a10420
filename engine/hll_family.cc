// The HyperLogLog command family: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST, Redis 7.0
// semantics.
// Handlers run on the connection's loop thread and touch entries only under shard locks.
//
// A HyperLogLog is a string value in Redis's format (engine/types/hll.h), so GET, SET, COPY,
// the disk tier and everything else that handles strings handle it unchanged. The commands edit
// the value in place: its entry is turned into a raw string (as Redis unshares an embedded
// string before changing it), and the edits write into that buffer, growing it a few bytes at
// a time while sparse, all inside Shard::Update so that memory stays counted. PFADD on a dense
// value therefore changes one or two bytes and allocates nothing.
//
// What Redis does and so do we: PFCOUNT of one key stores the estimate in the header's cache
// (a change of the value, though the command is read-only); PFCOUNT of several keys merges them
// into registers on the stack and caches nothing; PFMERGE reads the destination as a source
// too, turns it dense if any source is dense, raises its registers one by one in index order
// (so a sparse destination gets Redis's opcode stream) and always marks its cache stale.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "base/logging.h"
#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/hll_errors.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/types/hll.h"

namespace aegisr {
namespace {

size_t SparseMaxBytes(Engine& engine) {
  int64_t v = engine.config().hll_sparse_max_bytes.load(std::memory_order_relaxed);
  return static_cast<size_t>(std::max<int64_t>(v, 0));
}

// The bytes of a string entry as an hll::Buffer: the entry becomes a raw string (the clean copy
// on disk, if any, is dropped) and edits write into its buffer. Use inside Shard::Update and
// hand entry() back: the entry may have moved.
class EntryBuffer final : public hll::Buffer {
 public:
  explicit EntryBuffer(Entry* e) : size_(e->str_len()) { e_ = MakeRawString(e, size_, &data_); }
  char* data() override { return data_; }
  size_t size() const override { return size_; }
  char* Reserve(size_t n) override {
    if (n > size_) e_ = MakeRawString(e_, n, &data_);
    return data_;
  }
  void Resize(size_t n) override {
    size_ = n;
    SetRawLength(e_, n);
  }
  Entry* entry() const { return e_; }

 private:
  Entry* e_;
  char* data_ = nullptr;
  size_t size_;
};

// The value of a string entry; scratch holds >= 24 bytes for an integer-encoded one.
std::string_view ValueOf(const Entry* e, char* scratch) { return e->str(scratch); }

// Replies with the error for a key that is not a HyperLogLog and returns false; true if e is a
// string that looks like one (Redis's isHLLObjectOrReply).
bool CheckHll(ReplySink& reply, const Entry* e) {
  if (e->type != ValueType::kString) {
    reply.Error(errors::kWrongType);
    return false;
  }
  char scratch[24];
  if (!hll::LooksValid(ValueOf(e, scratch))) {
    reply.Error(errors::kHllWrongType);
    return false;
  }
  return true;
}

// Creates key k (absent) holding the empty sparse HyperLogLog as a raw string; returns its link.
Entry** InsertEmpty(Shard& s, int db, const KeyRef& k) {
  s.Insert(db, NewStringEntry(k.key, k.hash, hll::EmptySparse(), /*allow_int=*/false));
  Entry** link = s.Find(db, k, Engine::NowMs());
  s.Update(db, link, [](Entry* e) { return EntryBuffer(e).entry(); });
  return link;
}

// PFADD key [element ...]
void CmdPfAdd(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[1]);
  const int db = Db(ctx);
  const size_t sparse_max = SparseMaxBytes(ctx.engine);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Find(db, k, Engine::NowMs());
  int updated = 0;
  if (!link) {
    link = InsertEmpty(s, db, k);
    updated = 1;
  } else if (!CheckHll(ctx.reply, *link)) {
    return;
  }
  Entry* e = *link;
  char scratch[24];
  if (e->enc == Encoding::kRawStr && hll::EncodingOf(ValueOf(e, scratch)) == hll::kDense) {
    // The hot path: a dense value keeps its length, so its registers change in place and memory
    // stays as counted, without Shard::Update. The buffer becomes writable (and a clean copy on
    // disk is dropped) only when a register grows; MakeRawString never moves a raw string's
    // entry nor its buffer when it is long enough.
    const auto* regs = reinterpret_cast<const uint8_t*>(ValueOf(e, scratch).data());
    char* data = nullptr;
    for (size_t j = 2; j < args.size(); ++j) {
      uint32_t index;
      const uint8_t count = hll::PatternLength(args[j], &index);
      if (count <= hll::DenseGet(regs + hll::kHeaderSize, index)) continue;
      if (!data) {
        Entry* same = MakeRawString(e, hll::kDenseSize, &data);
        DCHECK(same == e);
        DCHECK(reinterpret_cast<const uint8_t*>(data) == regs);
      }
      hll::DenseSet(reinterpret_cast<uint8_t*>(data) + hll::kHeaderSize, index, count);
      ++updated;
    }
    if (updated) {
      hll::InvalidateCache(data);
      s.SignalModified(db, args[1]);
      Notify(ctx, kNotifyString, "pfadd", args[1]);
    }
    ctx.reply.Integer(updated ? 1 : 0);
    return;
  }
  bool corrupt = false;
  // Watchers are told only when a register grew (or the key was created), as Redis; not after
  // a corrupt value's error, even if earlier elements changed it.
  s.Update(
      db, link,
      [&](Entry* e) {
        EntryBuffer buf(e);
        for (size_t j = 2; j < args.size(); ++j) {
          int r = hll::Add(buf, args[j], sparse_max);
          if (r < 0) {
            corrupt = true;  // as in Redis, what the earlier elements changed stays
            return buf.entry();
          }
          updated += r;
        }
        if (updated) hll::InvalidateCache(buf.data());
        return buf.entry();
      },
      /*touch_watch=*/false);
  if (corrupt) {
    ctx.reply.Error(errors::kHllCorrupt);
    return;
  }
  if (updated) s.SignalModified(db, args[1]);
  if (updated) Notify(ctx, kNotifyString, "pfadd", args[1]);
  ctx.reply.Integer(updated ? 1 : 0);
}

// PFCOUNT of one key: the cached estimate, or a new one stored in the cache.
void PfCountOne(CommandContext& ctx, std::string_view key) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(key);
  const int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Lookup(db, k, Engine::NowMs(), ks.lru_clock());
  if (!link) {
    ctx.reply.Integer(0);
    return;
  }
  if (!CheckHll(ctx.reply, *link)) return;
  char scratch[24];
  std::string_view v = ValueOf(*link, scratch);
  if ((*link)->enc == Encoding::kRawStr && hll::CacheValid(v)) {
    ctx.reply.Integer(static_cast<int64_t>(hll::CachedCount(v)));  // nothing to change
    return;
  }
  uint64_t card = 0;
  bool corrupt = false, cached = false;
  // Storing the estimate in the cache is a change for watchers (Redis signals it).
  s.Update(
      db, link,
      [&](Entry* e) {
        EntryBuffer buf(e);
        std::string_view bytes(buf.data(), buf.size());
        if (hll::CacheValid(bytes)) {
          card = hll::CachedCount(bytes);
        } else if (hll::Count(bytes, &card)) {
          hll::SetCachedCount(buf.data(), card);
          cached = true;
        } else {
          corrupt = true;
        }
        return buf.entry();
      },
      /*touch_watch=*/false);
  if (cached) s.SignalModified(db, key);
  if (corrupt) {
    ctx.reply.Error(errors::kHllCorrupt);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(card));
}

// Merges the HyperLogLogs at keys (all locked, looked up as reads) into max[], in order.
// Missing keys count as empty. Replies with the error and returns false at the first key that
// is not a HyperLogLog or is corrupt. *any_dense: some key was dense.
bool MergeKeys(CommandContext& ctx, std::span<const KeyRef> keys, uint8_t* max, bool* any_dense) {
  Keyspace& ks = ctx.engine.keyspace();
  const int db = Db(ctx);
  const int64_t now = Engine::NowMs();
  const uint32_t lru = ks.lru_clock();
  for (const KeyRef& k : keys) {
    Entry** link = ks.shard(k).Lookup(db, k, now, lru);
    if (!link) continue;
    if (!CheckHll(ctx.reply, *link)) return false;
    char scratch[24];
    std::string_view v = ValueOf(*link, scratch);
    if (hll::EncodingOf(v) == hll::kDense) *any_dense = true;
    if (!hll::MergeInto(v, max)) {
      ctx.reply.Error(errors::kHllCorrupt);
      return false;
    }
  }
  return true;
}

std::vector<KeyRef> KeysOf(ArgList args, size_t first) {
  std::vector<KeyRef> keys;
  keys.reserve(args.size() - first);
  for (size_t i = first; i < args.size(); ++i) keys.emplace_back(args[i]);
  return keys;
}

// PFCOUNT key [key ...]
void CmdPfCount(CommandContext& ctx, ArgList args) {
  if (args.size() == 2) {
    PfCountOne(ctx, args[1]);
    return;
  }
  std::vector<KeyRef> keys = KeysOf(args, 1);
  auto guard = ctx.engine.keyspace().LockKeys(keys);
  uint8_t max[hll::kRegisters] = {};
  bool any_dense = false;
  if (!MergeKeys(ctx, keys, max, &any_dense)) return;
  ctx.reply.Integer(static_cast<int64_t>(hll::CountRegisters(max)));
}

// PFMERGE destkey [sourcekey ...]
void CmdPfMerge(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  const int db = Db(ctx);
  const size_t sparse_max = SparseMaxBytes(ctx.engine);
  std::vector<KeyRef> keys = KeysOf(args, 1);  // the destination is read as a source too
  auto guard = ks.LockKeys(keys);
  uint8_t max[hll::kRegisters] = {};
  bool use_dense = false;
  if (!MergeKeys(ctx, keys, max, &use_dense)) return;

  const KeyRef& dest = keys[0];
  Shard& s = ks.shard(dest);
  Entry** link = s.Find(db, dest, Engine::NowMs());
  if (!link) link = InsertEmpty(s, db, dest);
  bool corrupt = false;
  s.Update(db, link, [&](Entry* e) {
    EntryBuffer buf(e);
    if (use_dense && !hll::ToDense(buf)) {
      corrupt = true;
      return buf.entry();
    }
    for (uint32_t j = 0; j < hll::kRegisters; ++j) {
      if (max[j]) (void)hll::Set(buf, j, max[j], sparse_max);
    }
    hll::InvalidateCache(buf.data());
    return buf.entry();
  });
  if (corrupt) {
    ctx.reply.Error(errors::kHllCorrupt);
    return;
  }
  Notify(ctx, kNotifyString, "pfadd", args[1]);
  ctx.reply.Ok();
}

// Redis's addReplyErrorFormat turns CR and LF inside the text into spaces.
std::string OneLine(std::string_view s) {
  std::string out(s);
  std::replace_if(
      out.begin(), out.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return out;
}

// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
void CmdPfDebug(CommandContext& ctx, ArgList args) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(args[2]);
  const int db = Db(ctx);
  auto lk = ks.Lock(k);
  Shard& s = ks.shard(k);
  Entry** link = s.Find(db, k, Engine::NowMs());
  if (!link) {
    ctx.reply.Error(errors::kHllNoKey);
    return;
  }
  if (!CheckHll(ctx.reply, *link)) return;
  // Redis unshares the value (a raw string) before it looks at the subcommand. PFDEBUG tells
  // no watcher, even when it converts the encoding (as Redis).
  s.Update(
      db, link, [](Entry* e) { return EntryBuffer(e).entry(); }, /*touch_watch=*/false);
  // Redis compares and prints the subcommand as a C string: up to its first NUL byte.
  const std::string_view sub = args[1].substr(0, args[1].find('\0'));
  char scratch[24];
  if (EqualsIgnoreCase(sub, "getreg") || EqualsIgnoreCase(sub, "todense")) {
    bool converted = false, corrupt = false;
    if (hll::EncodingOf(ValueOf(*link, scratch)) == hll::kSparse) {
      s.Update(
          db, link,
          [&](Entry* e) {
            EntryBuffer buf(e);
            converted = hll::ToDense(buf);
            corrupt = !converted;
            return buf.entry();
          },
          /*touch_watch=*/false);
    }
    if (corrupt) {
      ctx.reply.Error(errors::kHllCorrupt);
      return;
    }
    if (EqualsIgnoreCase(sub, "todense")) {
      ctx.reply.Integer(converted ? 1 : 0);
      return;
    }
    const auto* regs =
        reinterpret_cast<const uint8_t*>(ValueOf(*link, scratch).data()) + hll::kHeaderSize;
    ctx.reply.ArrayHeader(hll::kRegisters);
    for (uint32_t j = 0; j < hll::kRegisters; ++j) ctx.reply.Integer(hll::DenseGet(regs, j));
  } else if (EqualsIgnoreCase(sub, "decode")) {
    std::string_view v = ValueOf(*link, scratch);
    if (hll::EncodingOf(v) != hll::kSparse) {
      ctx.reply.Error(errors::kHllNotSparse);
      return;
    }
    ctx.reply.Bulk(hll::DecodeSparse(v));
  } else if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.SimpleString(hll::EncodingOf(ValueOf(*link, scratch)) == hll::kDense ? "dense"
                                                                                   : "sparse");
  } else {
    ctx.reply.Error("ERR Unknown PFDEBUG subcommand '" + OneLine(sub) + "'");
  }
}

// PFSELFTEST: Redis's self-test of the register code and the estimator. 1000 rounds of random
// values written to every dense register and read back; then 10M distinct elements added to a
// dense and a sparse value at once, which must agree at every power of ten (the sparse one
// still sparse below half of hll-sparse-max-bytes elements) and stay within six standard
// errors of the truth.
void CmdPfSelfTest(CommandContext& ctx, ArgList) {
  std::mt19937_64 rng(std::random_device{}());
  std::vector<uint8_t> regs(hll::kDenseSize - hll::kHeaderSize);
  std::vector<uint8_t> want(hll::kRegisters);
  for (int cycle = 0; cycle < 1000; ++cycle) {
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      want[i] = uint8_t(rng() & 63);
      hll::DenseSet(regs.data(), i, want[i]);
    }
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      uint8_t got = hll::DenseGet(regs.data(), i);
      if (got != want[i]) {
        ctx.reply.Error("TESTFAILED Register " + std::to_string(i) + " should be " +
                        std::to_string(want[i]) + " but is " + std::to_string(got));
        return;
      }
    }
  }
  const size_t sparse_max = SparseMaxBytes(ctx.engine);
  hll::StringBuffer dense, sparse;
  (void)hll::ToDense(dense);
  const double rel_err = 1.04 / std::sqrt(double(hll::kRegisters));
  const uint64_t seed = rng();
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 10000000; ++j) {
    const uint64_t ele = j ^ seed;
    std::string_view e(reinterpret_cast<const char*>(&ele), sizeof(ele));
    (void)hll::Add(dense, e, sparse_max);
    (void)hll::Add(sparse, e, sparse_max);
    if (j != checkpoint) continue;
    if (j < sparse_max / 2 && hll::EncodingOf(sparse.view()) != hll::kSparse) {
      ctx.reply.Error("TESTFAILED sparse encoding not used");
      return;
    }
    uint64_t d = 0, s = 0;
    (void)hll::Count(dense.view(), &d);
    (void)hll::Count(sparse.view(), &s);
    if (d != s) {
      ctx.reply.Error("TESTFAILED dense/sparse disagree");
      return;
    }
    uint64_t abs_err = d > checkpoint ? d - checkpoint : checkpoint - d;
    uint64_t max_err = j == 10 ? 1 : uint64_t(std::ceil(rel_err * 6 * double(checkpoint)));
    if (abs_err > max_err) {
      ctx.reply.Error("TESTFAILED Too big error. card:" + std::to_string(checkpoint) +
                      " abserr:" + std::to_string(abs_err));
      return;
    }
    checkpoint *= 10;
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterHllFamily(CommandRegistry& r) {
  r.Register(CommandSpec("pfadd", -2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, CmdPfAdd));
  // Read-only as Redis flags it, though a single-key count may store its estimate in the value.
  r.Register(CommandSpec("pfcount", -2, kCmdReadonly, 1, -1, 1, CmdPfCount));
  r.Register(CommandSpec("pfmerge", -2, kCmdWrite | kCmdDenyOom, 1, -1, 1, CmdPfMerge));
  r.Register(CommandSpec("pfdebug", 3, kCmdWrite | kCmdDenyOom | kCmdAdmin, 2, 2, 1, CmdPfDebug));
  r.Register(CommandSpec("pfselftest", 1, kCmdAdmin, 0, 0, 0, CmdPfSelfTest));
}

}  // namespace aegisr
