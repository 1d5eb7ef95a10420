// Table: chained hashing with incremental rehash (the scheme of Redis's dict: two bucket arrays
// during a resize, a cursor over the old one, a few buckets moved per operation).
//
// Invariants:
//  - Not resizing: t_[1].buckets == nullptr, rehash_idx_ == -1.
//  - Resizing: buckets of t_[0] below rehash_idx_ are empty; new entries go into t_[1].
//  - Bucket arrays are powers of two; an entry's bucket is (hash & mask).
//  - Growth starts at load factor 1 (doubling), shrink at 1/8 (to the smallest power of two
//    at least twice the size) (so a resize never starts while
//    the previous one is still running: MaybeResize only looks when not rehashing).
#include "engine/keyspace/table.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "base/alloc.h"

namespace aegisr {
namespace {
constexpr uint64_t kMinBuckets = 4;

uint64_t NextPow2(uint64_t v) {
  uint64_t p = kMinBuckets;
  while (p < v) p <<= 1;
  return p;
}
}  // namespace

Table::~Table() { Clear(); }

void Table::Swap(Table& o) {
  std::swap(t_, o.t_);
  std::swap(rehash_idx_, o.rehash_idx_);
  std::swap(size_, o.size_);
}

void Table::FreeBuckets(Buckets& b) {
  FreeBytes(b.buckets);
  b.buckets = nullptr;
  b.mask = 0;
}

Entry** Table::FindLink(std::string_view key, uint32_t hash) {
  if (rehashing()) RehashStep(1);
  for (int t = 0; t < 2; ++t) {
    Buckets& b = t_[t];
    if (!b.buckets) break;
    Entry** link = &b.buckets[hash & b.mask];
    for (Entry* e = *link; e; link = &e->next, e = *link) {
      if (e->hash == hash && e->key_len == key.size() &&
          std::memcmp(e->key().data(), key.data(), key.size()) == 0)
        return link;
    }
    if (!rehashing()) break;
  }
  return nullptr;
}

void Table::Insert(Entry* e) {
  if (!t_[0].buckets) {
    t_[0].buckets = static_cast<Entry**>(ZallocBytes(kMinBuckets * sizeof(Entry*)));
    t_[0].mask = kMinBuckets - 1;
  }
  if (rehashing()) RehashStep(1);
  Buckets& b = rehashing() ? t_[1] : t_[0];
  Entry** head = &b.buckets[e->hash & b.mask];
  e->next = *head;
  *head = e;
  ++size_;
  MaybeResize();
}

Entry* Table::Unlink(Entry** link) {
  Entry* e = *link;
  *link = e->next;
  e->next = nullptr;
  --size_;
  // Shrinking is decided by the shard's cron (MaybeResize through RehashFor), not here: Unlink
  // is called from inside Scan callbacks, which must not see the table change shape.
  return e;
}

void Table::MaybeResize() {
  if (rehashing() || !t_[0].buckets) return;
  uint64_t buckets = t_[0].mask + 1;
  if (size_ > buckets) {
    StartResize(buckets * 2);  // load 1 -> 0.5: 8-16 bytes of bucket array per key
  } else if (buckets > kMinBuckets && size_ * 8 < buckets) {
    StartResize(NextPow2(std::max<uint64_t>(size_ * 2, kMinBuckets)));
  }
}

void Table::StartResize(uint64_t n) {
  if (n == t_[0].mask + 1) return;
  t_[1].buckets = static_cast<Entry**>(ZallocBytes(n * sizeof(Entry*)));
  t_[1].mask = n - 1;
  rehash_idx_ = 0;
}

bool Table::RehashStep(int n) {
  if (!rehashing()) return false;
  int empty_visits = n * 10;
  while (n-- > 0 && rehash_idx_ <= int64_t(t_[0].mask)) {
    while (!t_[0].buckets[rehash_idx_]) {
      ++rehash_idx_;
      if (rehash_idx_ > int64_t(t_[0].mask) || --empty_visits == 0) {
        FinishResizeIfDone();
        return rehashing();
      }
    }
    Entry* e = t_[0].buckets[rehash_idx_];
    while (e) {
      Entry* next = e->next;
      Entry** head = &t_[1].buckets[e->hash & t_[1].mask];
      e->next = *head;
      *head = e;
      e = next;
    }
    t_[0].buckets[rehash_idx_] = nullptr;
    ++rehash_idx_;
  }
  FinishResizeIfDone();
  return rehashing();
}

void Table::FinishResizeIfDone() {
  if (rehash_idx_ <= int64_t(t_[0].mask)) return;
  FreeBuckets(t_[0]);
  t_[0] = t_[1];
  t_[1] = Buckets{};
  rehash_idx_ = -1;
}

void Table::RehashFor(int64_t us) {
  MaybeResize();
  if (!rehashing()) return;
  auto start = std::chrono::steady_clock::now();
  while (RehashStep(100)) {
    auto el = std::chrono::steady_clock::now() - start;
    if (std::chrono::duration_cast<std::chrono::microseconds>(el).count() >= us) break;
  }
}

Entry* Table::Random(uint64_t r) {
  if (size_ == 0) return nullptr;
  if (rehashing()) RehashStep(1);
  for (int tries = 0; tries < 1 << 20; ++tries) {
    uint64_t x = r + uint64_t(tries) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    Entry* head;
    if (rehashing()) {
      uint64_t total = (t_[0].mask + 1) + (t_[1].mask + 1);
      uint64_t i = x % total;
      head = i <= t_[0].mask ? t_[0].buckets[i] : t_[1].buckets[i - t_[0].mask - 1];
    } else {
      head = t_[0].buckets[x & t_[0].mask];
    }
    if (!head) continue;
    size_t len = 0;
    for (Entry* e = head; e; e = e->next) ++len;
    size_t pick = (x >> 32) % len;
    while (pick--) head = head->next;
    return head;
  }
  // Pathological: fall back to a linear walk.
  for (int t = 0; t < 2; ++t)
    if (t_[t].buckets)
      for (uint64_t i = 0; i <= t_[t].mask; ++i)
        if (t_[t].buckets[i]) return t_[t].buckets[i];
  return nullptr;
}

void Table::Clear() {
  for (int t = 0; t < 2; ++t) {
    if (!t_[t].buckets) continue;
    for (uint64_t i = 0; i <= t_[t].mask; ++i) {
      Entry* e = t_[t].buckets[i];
      while (e) {
        Entry* next = e->next;
        FreeEntry(e);
        e = next;
      }
    }
    FreeBuckets(t_[t]);
  }
  rehash_idx_ = -1;
  size_ = 0;
}

}  // namespace aegisr
