#include "engine/types/zset.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/varint.h"

namespace aegisr {
namespace {

std::atomic<int64_t> g_max_entries{128};
std::atomic<int64_t> g_max_value{64};

size_t RecordSize(std::string_view member) { return 8 + VarintSize(member.size()) + member.size(); }

char* WriteRecord(char* p, std::string_view member, double score) {
  std::memcpy(p, &score, 8);
  p += 8;
  p += PutVarint(p, member.size());
  if (!member.empty()) std::memcpy(p, member.data(), member.size());
  return p + member.size();
}

// (a_score, a_member) < (b_score, b_member) in Redis's order.
bool Less(double as, std::string_view am, double bs, std::string_view bm) {
  return as < bs || (as == bs && am < bm);
}

size_t Hash(std::string_view m) { return size_t(HashBytes(m)); }

}  // namespace

double ZRecScore(const char* rec) {
  double s;
  std::memcpy(&s, rec, 8);
  return s;
}

std::string_view ZRecMember(const char* rec) {
  uint32_t n;
  uint64_t len = GetVarint(rec + 8, &n);
  return {rec + 8 + n, size_t(len)};
}

void ZSet::SetLimits(int64_t max_entries, int64_t max_value) {
  g_max_entries.store(max_entries, std::memory_order_relaxed);
  g_max_value.store(max_value, std::memory_order_relaxed);
}
size_t ZSet::max_entries() { return size_t(g_max_entries.load(std::memory_order_relaxed)); }
size_t ZSet::max_value() { return size_t(g_max_value.load(std::memory_order_relaxed)); }

ZSet::ZSet(size_t size_hint, size_t first_len) {
  if (max_entries() == 0 || first_len > max_value() || size_hint > max_entries()) IndexGrow(8);
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
  IndexGrow(other.index_cap_);
  chunks_.reserve(other.chunks_.size());
  counts_ = other.counts_;
  bytes_ += counts_.capacity() * sizeof(uint16_t);
  for (size_t c = 0; c < other.chunks_.size(); ++c) {
    auto* ch = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    bytes_ += UsableSize(ch);
    for (size_t i = 0; i < counts_[c]; ++i) {
      const char* r = other.chunks_[c]->items[i];
      ch->items[i] = NewRecord(ZRecMember(r), ZRecScore(r));
      IndexInsert(ch->items[i]);
    }
    chunks_.push_back(ch);
  }
  bytes_ += chunks_.capacity() * sizeof(Chunk*);
  size_ = other.size_;
}

ZSet::~ZSet() {
  if (lp_) FreeBytes(lp_);
  for (size_t c = 0; c < chunks_.size(); ++c) {
    for (size_t i = 0; i < counts_[c]; ++i) FreeBytes(chunks_[c]->items[i]);
    FreeBytes(chunks_[c]);
  }
  if (index_) FreeBytes(index_);
}

size_t ZSet::RecountMemoryBytes() const {
  if (is_listpack()) return lp_ ? UsableSize(lp_) : 0;
  size_t n = UsableSize(index_) + chunks_.capacity() * sizeof(Chunk*) +
             counts_.capacity() * sizeof(uint16_t);
  for (size_t c = 0; c < chunks_.size(); ++c) {
    n += UsableSize(chunks_[c]);
    for (size_t i = 0; i < counts_[c]; ++i) n += UsableSize(chunks_[c]->items[i]);
  }
  return n;
}

void ZSet::LpSetBuffer(char* buf, size_t len) {
  if (lp_ && lp_ != buf) FreeBytes(lp_);
  lp_ = buf;
  lp_len_ = len;
  bytes_ = buf ? UsableSize(buf) : 0;
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
  size_t add = RecordSize(member);
  char* buf = static_cast<char*>(ReallocBytes(lp_, lp_len_ + add));
  std::memmove(buf + at + add, buf + at, lp_len_ - at);
  WriteRecord(buf + at, member, score);
  lp_ = nullptr;
  LpSetBuffer(buf, lp_len_ + add);
  ++size_;
}

bool ZSet::Erase(std::string_view member) {
  double score;
  if (!Score(member, &score)) return false;
  size_t r = RankOf(member, score);
  EraseRange(r, r);
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
  while (n > 0) {
    Chunk* ch = chunks_[c];
    size_t take = std::min<size_t>(n, counts_[c] - s);
    for (size_t i = s; i < s + take; ++i) {
      IndexErase(ch->items[i]);
      FreeRecord(ch->items[i]);
    }
    std::memmove(ch->items + s, ch->items + s + take, (counts_[c] - s - take) * sizeof(char*));
    counts_[c] = uint16_t(counts_[c] - take);
    n -= take;
    size_ -= take;
    if (counts_[c] == 0) {
      RemoveChunk(c);
    } else {
      ++c;
    }
    s = 0;
  }
  // Keep chunks reasonably full: merge a small chunk into its neighbour.
  size_t at = std::min(c, chunks_.size());
  for (size_t k : {at, at > 0 ? at - 1 : at}) {
    if (k + 1 < chunks_.size() && counts_[k] + counts_[k + 1] <= kChunkCap / 2) {
      std::memcpy(chunks_[k]->items + counts_[k], chunks_[k + 1]->items,
                  counts_[k + 1] * sizeof(char*));
      counts_[k] = uint16_t(counts_[k] + counts_[k + 1]);
      counts_[k + 1] = 0;
      RemoveChunk(k + 1);
      break;
    }
  }
}

void ZSet::RemoveChunk(size_t c) {
  bytes_ -= UsableSize(chunks_[c]);
  FreeBytes(chunks_[c]);
  chunks_.erase(chunks_.begin() + ptrdiff_t(c));
  counts_.erase(counts_.begin() + ptrdiff_t(c));
}

void ZSet::ConvertToSkiplist() {
  char* old = lp_;
  size_t old_len = lp_len_;
  size_t n = size_;
  lp_ = nullptr;
  lp_len_ = 0;
  bytes_ = 0;
  size_ = 0;
  size_t cap = 8;
  while (cap * 3 < (n + 1) * 4) cap *= 2;
  IndexGrow(cap);
  for (size_t off = 0; off < old_len;) {
    std::string_view m = ZRecMember(old + off);
    double s = ZRecScore(old + off);
    char* rec = NewRecord(m, s);
    SkipInsert(rec);
    IndexInsert(rec);
    ++size_;
    off = size_t(m.data() + m.size() - old);
  }
  if (old) FreeBytes(old);
}

char* ZSet::NewRecord(std::string_view member, double score) {
  auto* rec = static_cast<char*>(AllocBytes(RecordSize(member)));
  WriteRecord(rec, member, score);
  bytes_ += UsableSize(rec);
  return rec;
}

void ZSet::FreeRecord(char* rec) {
  bytes_ -= UsableSize(rec);
  FreeBytes(rec);
}

void ZSet::IndexGrow(size_t cap) {
  char** old = index_;
  size_t old_cap = index_cap_;
  if (old) bytes_ -= UsableSize(old);
  index_ = static_cast<char**>(ZallocBytes(cap * sizeof(char*)));
  index_cap_ = cap;
  bytes_ += UsableSize(index_);
  for (size_t i = 0; i < old_cap; ++i) {
    if (!old[i]) continue;
    size_t j = Hash(ZRecMember(old[i])) & (cap - 1);
    while (index_[j]) j = (j + 1) & (cap - 1);
    index_[j] = old[i];
  }
  if (old) FreeBytes(old);
}

void ZSet::IndexInsert(char* rec) {
  if ((size_ + 1) * 4 > index_cap_ * 3) IndexGrow(index_cap_ * 2);
  size_t mask = index_cap_ - 1;
  size_t j = Hash(ZRecMember(rec)) & mask;
  while (index_[j]) j = (j + 1) & mask;
  index_[j] = rec;
}

char* ZSet::IndexFind(std::string_view member) const {
  size_t mask = index_cap_ - 1;
  for (size_t j = Hash(member) & mask; index_[j]; j = (j + 1) & mask) {
    if (ZRecMember(index_[j]) == member) return index_[j];
  }
  return nullptr;
}

void ZSet::IndexErase(char* rec) {
  size_t mask = index_cap_ - 1;
  size_t i = Hash(ZRecMember(rec)) & mask;
  while (index_[i] != rec) i = (i + 1) & mask;
  // Backward-shift deletion: later entries of the probe run move into the hole when the hole
  // lies between their home slot and where they are.
  for (size_t j = i;;) {
    j = (j + 1) & mask;
    if (!index_[j]) break;
    size_t home = Hash(ZRecMember(index_[j])) & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = nullptr;
}

void ZSet::Locate(size_t r, size_t* chunk, size_t* slot) const {
  size_t c = 0;
  while (r >= counts_[c]) r -= counts_[c++];
  *chunk = c;
  *slot = r;
}

void ZSet::SkipInsert(char* rec) {
  double score = ZRecScore(rec);
  std::string_view member = ZRecMember(rec);
  auto before = [&](const char* x) { return Less(ZRecScore(x), ZRecMember(x), score, member); };
  if (chunks_.empty()) {
    size_t cap_before = chunks_.capacity() * sizeof(Chunk*) + counts_.capacity() * 2;
    auto* ch = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    bytes_ += UsableSize(ch);
    chunks_.push_back(ch);
    counts_.push_back(0);
    bytes_ += chunks_.capacity() * sizeof(Chunk*) + counts_.capacity() * 2 - cap_before;
  }
  // The first chunk whose last element is not before rec (else the last chunk).
  size_t lo = 0, hi = chunks_.size() - 1;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (before(chunks_[mid]->items[counts_[mid] - 1]))
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t c = lo;
  if (counts_[c] == kChunkCap) {
    // Split: the upper half moves to a new chunk after c.
    size_t cap_before = chunks_.capacity() * sizeof(Chunk*) + counts_.capacity() * 2;
    auto* nc = static_cast<Chunk*>(AllocBytes(sizeof(Chunk)));
    bytes_ += UsableSize(nc);
    size_t half = kChunkCap / 2;
    std::memcpy(nc->items, chunks_[c]->items + half, (kChunkCap - half) * sizeof(char*));
    chunks_.insert(chunks_.begin() + ptrdiff_t(c + 1), nc);
    counts_.insert(counts_.begin() + ptrdiff_t(c + 1), uint16_t(kChunkCap - half));
    counts_[c] = uint16_t(half);
    bytes_ += chunks_.capacity() * sizeof(Chunk*) + counts_.capacity() * 2 - cap_before;
    if (before(chunks_[c]->items[half - 1])) ++c;
  }
  Chunk* ch = chunks_[c];
  size_t a = 0, b = counts_[c];
  while (a < b) {
    size_t mid = (a + b) / 2;
    if (before(ch->items[mid]))
      a = mid + 1;
    else
      b = mid;
  }
  std::memmove(ch->items + a + 1, ch->items + a, (counts_[c] - a) * sizeof(char*));
  ch->items[a] = rec;
  ++counts_[c];
}

}  // namespace aegisr
