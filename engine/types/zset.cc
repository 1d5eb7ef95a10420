#include "engine/types/zset.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/varint.h"

namespace aegisr {
namespace {

std::atomic<int64_t> g_max_entries{128};
std::atomic<int64_t> g_max_value{64};

// The score as an integer if it is one that a double holds exactly (and not -0).
bool IntScore(double s, int64_t* v) {
  if (!(s >= -9007199254740992.0 && s <= 9007199254740992.0)) return false;
  auto i = static_cast<int64_t>(s);
  if (static_cast<double>(i) != s || (s == 0 && std::signbit(s))) return false;
  *v = i;
  return true;
}

uint64_t ZigZag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t UnZigZag(uint64_t u) { return int64_t(u >> 1) ^ -int64_t(u & 1); }

size_t RecordSize(std::string_view member, double score) {
  int64_t i;
  bool is_int = IntScore(score, &i);
  return VarintSize((uint64_t(member.size()) << 1) | is_int) + member.size() +
         (is_int ? VarintSize(ZigZag(i)) : 8);
}

char* WriteRecord(char* p, std::string_view member, double score) {
  int64_t i;
  bool is_int = IntScore(score, &i);
  p += PutVarint(p, (uint64_t(member.size()) << 1) | is_int);
  if (!member.empty()) std::memcpy(p, member.data(), member.size());
  p += member.size();
  if (is_int) return p + PutVarint(p, ZigZag(i));
  std::memcpy(p, &score, 8);
  return p + 8;
}

// (a_score, a_member) < (b_score, b_member) in Redis's order.
bool Less(double as, std::string_view am, double bs, std::string_view bm) {
  return as < bs || (as == bs && am < bm);
}

}  // namespace

ZRec ZRecDecode(const char* rec) {
  uint32_t n;
  uint64_t h = GetVarint(rec, &n);
  ZRec r;
  r.member = {rec + n, size_t(h >> 1)};
  const char* p = rec + n + (h >> 1);
  if (h & 1) {
    r.score = double(UnZigZag(GetVarint(p, &n)));
    r.end = p + n;
  } else {
    std::memcpy(&r.score, p, 8);
    r.end = p + 8;
  }
  return r;
}

void ZSet::SetLimits(int64_t max_entries, int64_t max_value) {
  g_max_entries.store(max_entries, std::memory_order_relaxed);
  g_max_value.store(max_value, std::memory_order_relaxed);
}
size_t ZSet::max_entries() { return size_t(g_max_entries.load(std::memory_order_relaxed)); }
size_t ZSet::max_value() { return size_t(g_max_value.load(std::memory_order_relaxed)); }

ZSet::ZSet(size_t size_hint, size_t first_len) {
  if (max_entries() == 0 || first_len > max_value() || size_hint > max_entries()) {
    sk_ = new Skip();
    sk_->bytes = sizeof(Skip);
    IndexGrow(8);
  }
}

ZSet::ZSet(const ZSet& other) {
  if (other.is_listpack()) {
    if (other.lp_len_) {
      char* buf = static_cast<char*>(AllocBytes(other.lp_len_));
      std::memcpy(buf, other.lp_, other.lp_len_);
      LpSetBuffer(buf, other.lp_len_);
    }
    size_ = other.size_;
    return;
  }
  sk_ = new Skip();
  sk_->bytes = sizeof(Skip);
  IndexGrow(other.sk_->index_cap);
  sk_->chunks.reserve(other.sk_->chunks.size());
  sk_->counts = other.sk_->counts;
  sk_->bytes += sk_->counts.capacity() * sizeof(uint16_t);
  for (size_t c = 0; c < other.sk_->chunks.size(); ++c) {
    auto* ch = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    sk_->bytes += UsableSize(ch);
    for (size_t i = 0; i < sk_->counts[c]; ++i) {
      const char* r = other.sk_->chunks[c]->items[i];
      ch->items[i] = NewRecord(ZRecMember(r), ZRecScore(r));
      IndexInsert(ch->items[i]);
    }
    sk_->chunks.push_back(ch);
  }
  sk_->bytes += sk_->chunks.capacity() * sizeof(Chunk*);
  size_ = other.size_;
  FenRebuild();
}

ZSet::~ZSet() {
  if (lp_) FreeBytes(lp_);
  if (!sk_) return;
  for (size_t c = 0; c < sk_->chunks.size(); ++c) {
    for (size_t i = 0; i < sk_->counts[c]; ++i) FreeBytes(sk_->chunks[c]->items[i]);
    FreeBytes(sk_->chunks[c]);
  }
  if (sk_->index) FreeBytes(sk_->index);
  delete sk_;
}

size_t ZSet::RecountMemoryBytes() const {
  if (is_listpack()) return lp_ ? UsableSize(lp_) : 0;
  size_t n = sizeof(Skip) + UsableSize(sk_->index) + sk_->chunks.capacity() * sizeof(Chunk*) +
             sk_->fen.capacity() * sizeof(uint32_t) + sk_->counts.capacity() * sizeof(uint16_t);
  for (size_t c = 0; c < sk_->chunks.size(); ++c) {
    n += UsableSize(sk_->chunks[c]);
    for (size_t i = 0; i < sk_->counts[c]; ++i) n += UsableSize(sk_->chunks[c]->items[i]);
  }
  return n;
}

void ZSet::LpSetBuffer(char* buf, size_t len) {
  if (lp_ && lp_ != buf) FreeBytes(lp_);
  lp_ = buf;
  lp_len_ = len;
}

bool ZSet::Score(std::string_view member, double* score) const {
  if (!is_listpack()) {
    const char* rec = IndexFind(member);
    if (rec) *score = ZRecScore(rec);
    return rec != nullptr;
  }
  bool found = false;
  LpWalk([&](size_t, std::string_view m, double s) {
    if (m != member) return true;
    *score = s;
    found = true;
    return false;
  });
  return found;
}

void ZSet::Insert(std::string_view member, double score) {
  if (is_listpack() && (size_ + 1 > max_entries() || member.size() > max_value()))
    ConvertToSkiplist();
  if (!is_listpack()) {
    char* rec = NewRecord(member, score);
    SkipInsert(rec);
    IndexInsert(rec);
    ++size_;
    return;
  }
  // A listpack keeps a zero score as "0" (Redis writes it as the integer 0), so -0 reads back
  // as 0 while it stays in the listpack.
  if (score == 0) score = 0.0;
  size_t at = lp_len_;
  LpWalk([&](size_t off, std::string_view m, double s) {
    if (!Less(s, m, score, member)) {
      at = off;
      return false;
    }
    return true;
  });
  size_t add = RecordSize(member, score);
  char* buf = static_cast<char*>(ReallocBytes(lp_, lp_len_ + add));
  std::memmove(buf + at + add, buf + at, lp_len_ - at);
  WriteRecord(buf + at, member, score);
  lp_ = nullptr;
  LpSetBuffer(buf, lp_len_ + add);
  ++size_;
}

bool ZSet::Erase(std::string_view member) {
  if (is_listpack()) {
    double score;
    if (!Score(member, &score)) return false;
    size_t r = RankOf(member, score);
    EraseRange(r, r);
    return true;
  }
  // Found through the index, then its chunk and slot by binary search: no rank needed.
  char* rec = IndexFind(member);
  if (!rec) return false;
  ZRec self = ZRecDecode(rec);
  auto before = [&](const char* x) {
    ZRec r = ZRecDecode(x);
    return Less(r.score, r.member, self.score, self.member);
  };
  size_t lo = 0, hi = sk_->chunks.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (before(sk_->chunks[mid]->items[sk_->counts[mid] - 1]))
      lo = mid + 1;
    else
      hi = mid;
  }
  const Chunk* ch = sk_->chunks[lo];
  size_t a = 0, b = sk_->counts[lo];
  while (a < b) {
    size_t mid = (a + b) / 2;
    if (before(ch->items[mid]))
      a = mid + 1;
    else
      b = mid;
  }
  RemoveSlots(lo, a, 1);
  return true;
}

size_t ZSet::RankOf(std::string_view member, double score) const {
  return Count([&](std::string_view m, double s) { return Less(s, m, score, member); });
}

void ZSet::EraseRange(size_t first, size_t last) {
  size_t n = last - first + 1;
  if (is_listpack()) {
    size_t from = 0, to = lp_len_, i = 0;
    LpWalk([&](size_t off, std::string_view, double) {
      if (i == first) from = off;
      if (i == last + 1) {
        to = off;
        return false;
      }
      ++i;
      return true;
    });
    std::memmove(lp_ + from, lp_ + to, lp_len_ - to);
    size_t len = lp_len_ - (to - from);
    char* buf = len ? static_cast<char*>(ReallocBytes(lp_, len)) : nullptr;
    if (!buf) FreeBytes(lp_);
    lp_ = nullptr;
    LpSetBuffer(buf, len);
    size_ -= n;
    return;
  }
  size_t c, s;
  Locate(first, &c, &s);
  RemoveSlots(c, s, n);
}

void ZSet::RemoveSlots(size_t c, size_t s, size_t n) {
  bool reshaped = false;  // chunks removed or merged: the tree is rebuilt
  while (n > 0) {
    Chunk* ch = sk_->chunks[c];
    size_t take = std::min<size_t>(n, sk_->counts[c] - s);
    for (size_t i = s; i < s + take; ++i) {
      IndexErase(ch->items[i]);
      FreeRecord(ch->items[i]);
    }
    std::memmove(ch->items + s, ch->items + s + take, (sk_->counts[c] - s - take) * sizeof(char*));
    sk_->counts[c] = uint16_t(sk_->counts[c] - take);
    n -= take;
    size_ -= take;
    if (sk_->counts[c] == 0) {
      RemoveChunk(c);
      reshaped = true;
    } else {
      if (!reshaped) FenAdd(c, -int64_t(take));
      ++c;
    }
    s = 0;
  }
  // Keep chunks reasonably full: merge a small chunk into its neighbour.
  size_t at = std::min(c, sk_->chunks.size());
  for (size_t k : {at, at > 0 ? at - 1 : at}) {
    if (k + 1 < sk_->chunks.size() && sk_->counts[k] + sk_->counts[k + 1] <= kChunkCap / 2) {
      std::memcpy(sk_->chunks[k]->items + sk_->counts[k], sk_->chunks[k + 1]->items,
                  sk_->counts[k + 1] * sizeof(char*));
      sk_->counts[k] = uint16_t(sk_->counts[k] + sk_->counts[k + 1]);
      sk_->counts[k + 1] = 0;
      RemoveChunk(k + 1);
      reshaped = true;
      break;
    }
  }
  if (reshaped) FenRebuild();
}

void ZSet::RemoveChunk(size_t c) {
  sk_->bytes -= UsableSize(sk_->chunks[c]);
  FreeBytes(sk_->chunks[c]);
  sk_->chunks.erase(sk_->chunks.begin() + ptrdiff_t(c));
  sk_->counts.erase(sk_->counts.begin() + ptrdiff_t(c));
}

void ZSet::ConvertToSkiplist() {
  char* old = lp_;
  size_t old_len = lp_len_;
  size_t n = size_;
  lp_ = nullptr;
  lp_len_ = 0;
  sk_ = new Skip();
  sk_->bytes = sizeof(Skip);
  size_ = 0;
  size_t cap = 8;
  while (cap * 3 < (n + 1) * 4) cap *= 2;
  IndexGrow(cap);
  for (size_t off = 0; off < old_len;) {
    ZRec r = ZRecDecode(old + off);
    char* rec = NewRecord(r.member, r.score);
    SkipInsert(rec);
    IndexInsert(rec);
    ++size_;
    off = size_t(r.end - old);
  }
  if (old) FreeBytes(old);
}

char* ZSet::NewRecord(std::string_view member, double score) {
  auto* rec = static_cast<char*>(AllocBytes(RecordSize(member, score)));
  WriteRecord(rec, member, score);
  sk_->bytes += UsableSize(rec);
  return rec;
}

void ZSet::FreeRecord(char* rec) {
  sk_->bytes -= UsableSize(rec);
  FreeBytes(rec);
}

void ZSet::IndexGrow(size_t cap) {
  char** old = sk_->index;
  size_t old_cap = sk_->index_cap;
  if (old) sk_->bytes -= UsableSize(old);
  sk_->index = static_cast<char**>(ZallocBytes(cap * sizeof(char*)));
  sk_->index_cap = cap;
  sk_->index_shift = 64 - static_cast<unsigned>(std::countr_zero(cap));
  sk_->bytes += UsableSize(sk_->index);
  for (size_t i = 0; i < old_cap; ++i) {
    if (!old[i]) continue;
    size_t j = Home(HashBytes(ZRecMember(old[i])));
    while (sk_->index[j]) j = (j + 1) & (cap - 1);
    sk_->index[j] = old[i];
  }
  if (old) FreeBytes(old);
}

void ZSet::IndexInsert(char* rec) {
  if ((size_ + 1) * 4 > sk_->index_cap * 3) IndexGrow(sk_->index_cap * 2);
  size_t mask = sk_->index_cap - 1;
  size_t j = Home(HashBytes(ZRecMember(rec)));
  while (sk_->index[j]) j = (j + 1) & mask;
  sk_->index[j] = rec;
}

char* ZSet::IndexFind(std::string_view member) const {
  size_t mask = sk_->index_cap - 1;
  for (size_t j = Home(HashBytes(member)); sk_->index[j]; j = (j + 1) & mask) {
    if (ZRecMember(sk_->index[j]) == member) return sk_->index[j];
  }
  return nullptr;
}

void ZSet::IndexErase(char* rec) {
  size_t mask = sk_->index_cap - 1;
  size_t i = Home(HashBytes(ZRecMember(rec)));
  while (sk_->index[i] != rec) i = (i + 1) & mask;
  // Backward-shift deletion: later entries of the probe run move into the hole when the hole
  // lies between their home slot and where they are.
  for (size_t j = i;;) {
    j = (j + 1) & mask;
    if (!sk_->index[j]) break;
    size_t home = Home(HashBytes(ZRecMember(sk_->index[j])));
    if (((j - home) & mask) >= ((j - i) & mask)) {
      sk_->index[i] = sk_->index[j];
      i = j;
    }
  }
  sk_->index[i] = nullptr;
}

void ZSet::Locate(size_t r, size_t* chunk, size_t* slot) const {
  size_t n = sk_->chunks.size(), pos = 0, step = 1;
  while (step * 2 <= n) step *= 2;
  for (; step > 0; step /= 2) {
    if (pos + step <= n && sk_->fen[pos + step] <= r) {
      pos += step;
      r -= sk_->fen[pos];
    }
  }
  *chunk = pos;
  *slot = r;
}

void ZSet::FenRebuild() {
  size_t cap_before = sk_->fen.capacity();
  size_t n = sk_->chunks.size();
  sk_->fen.assign(n + 1, 0);
  for (size_t i = 1; i <= n; ++i) {
    sk_->fen[i] += sk_->counts[i - 1];
    size_t j = i + (i & (~i + 1));
    if (j <= n) sk_->fen[j] += sk_->fen[i];
  }
  sk_->bytes += (sk_->fen.capacity() - cap_before) * sizeof(uint32_t);
}

void ZSet::FenAdd(size_t c, int64_t delta) {
  for (size_t i = c + 1; i < sk_->fen.size(); i += i & (~i + 1))
    sk_->fen[i] = uint32_t(int64_t(sk_->fen[i]) + delta);
}

void ZSet::SkipInsert(char* rec) {
  ZRec self = ZRecDecode(rec);
  auto before = [&](const char* x) {
    ZRec r = ZRecDecode(x);
    return Less(r.score, r.member, self.score, self.member);
  };
  if (sk_->chunks.empty()) {
    size_t cap_before = sk_->chunks.capacity() * sizeof(Chunk*) + sk_->counts.capacity() * 2;
    auto* ch = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    sk_->bytes += UsableSize(ch);
    sk_->chunks.push_back(ch);
    sk_->counts.push_back(0);
    sk_->bytes += sk_->chunks.capacity() * sizeof(Chunk*) + sk_->counts.capacity() * 2 - cap_before;
    FenRebuild();
  }
  // The first chunk whose last element is not before rec (else the last chunk).
  size_t lo = 0, hi = sk_->chunks.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (before(sk_->chunks[mid]->items[sk_->counts[mid] - 1]))
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t c = lo;
  if (sk_->counts[c] == kChunkCap) {
    // Full: past the last element of the last chunk (or before the first of the first), start
    // a new chunk there, so ascending (or descending) loads fill chunks completely; else split,
    // the upper half moving to a new chunk after c.
    bool append = c + 1 == sk_->chunks.size() && before(sk_->chunks[c]->items[kChunkCap - 1]);
    bool prepend = c == 0 && !before(sk_->chunks[0]->items[0]);
    size_t cap_before = sk_->chunks.capacity() * sizeof(Chunk*) + sk_->counts.capacity() * 2;
    auto* nc = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    sk_->bytes += UsableSize(nc);
    if (append || prepend) {
      size_t at = append ? c + 1 : 0;
      sk_->chunks.insert(sk_->chunks.begin() + ptrdiff_t(at), nc);
      sk_->counts.insert(sk_->counts.begin() + ptrdiff_t(at), uint16_t(0));
      c = at;
    } else {
      size_t half = kChunkCap / 2;
      std::memcpy(nc->items, sk_->chunks[c]->items + half, (kChunkCap - half) * sizeof(char*));
      sk_->chunks.insert(sk_->chunks.begin() + ptrdiff_t(c + 1), nc);
      sk_->counts.insert(sk_->counts.begin() + ptrdiff_t(c + 1), uint16_t(kChunkCap - half));
      sk_->counts[c] = uint16_t(half);
      if (before(sk_->chunks[c]->items[half - 1])) ++c;
    }
    sk_->bytes += sk_->chunks.capacity() * sizeof(Chunk*) + sk_->counts.capacity() * 2 - cap_before;
    FenRebuild();
  }
  Chunk* ch = sk_->chunks[c];
  size_t a = 0, b = sk_->counts[c];
  while (a < b) {
    size_t mid = (a + b) / 2;
    if (before(ch->items[mid]))
      a = mid + 1;
    else
      b = mid;
  }
  std::memmove(ch->items + a + 1, ch->items + a, (sk_->counts[c] - a) * sizeof(char*));
  ch->items[a] = rec;
  ++sk_->counts[c];
  FenAdd(c, 1);
}

}  // namespace aegisr
