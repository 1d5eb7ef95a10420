#pragma once
// Table: a chained hash table of Entry, keyed by the key bytes, that grows and shrinks by
// incremental rehashing: while a resize is under way both bucket arrays are live and every
// operation moves a few buckets, so no single call ever rehashes the whole table (no
// stop-the-world pause at 10M keys). Not thread-safe: guarded by the owning shard's lock.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/keyspace/entry.h"

namespace aegisr {

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  void Swap(Table& other);

  // The link (pointer to the pointer) that holds the entry for key, or nullptr. The link stays
  // valid until the next mutating call.
  Entry** FindLink(std::string_view key, uint32_t hash);
  Entry* Find(std::string_view key, uint32_t hash) {
    Entry** l = FindLink(key, hash);
    return l ? *l : nullptr;
  }
  // Inserts an entry whose key is not in the table.
  void Insert(Entry* e);
  // Removes the entry at link from the table and returns it (not freed).
  Entry* Unlink(Entry** link);
  // Puts replacement where the entry at link was (after an entry reallocation).
  // The replacement must carry the old entry's `next` (ReallocBytes copies it).
  static void Replace(Entry** link, Entry* replacement) { *link = replacement; }

  size_t size() const { return size_; }
  bool rehashing() const { return rehash_idx_ >= 0; }
  size_t bucket_count() const { return t_[0].mask + 1 + (t_[1].buckets ? t_[1].mask + 1 : 0); }

  // Moves up to n buckets of an ongoing resize. Returns false when no resize is under way.
  bool RehashStep(int n);
  // Rehashes for roughly `us` microseconds (the shard's cron gives idle tables time).
  void RehashFor(int64_t us);

  // Visits the entries of one logical bucket group and returns the next cursor, 0 when done.
  // Redis's reverse-binary cursor: every entry present for the whole scan is returned at least
  // once, even when the table is resized between calls. fn(Entry**) may unlink the entry.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn);

  // Visits every entry; fn(Entry* e) must not modify the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const;

  // A random entry, or nullptr when empty. r is a random 64-bit value.
  Entry* Random(uint64_t r);

  // Removes and frees every entry.
  void Clear();

  // Bytes held by bucket arrays (for memory accounting).
  size_t OverheadBytes() const {
    return ((t_[0].buckets ? t_[0].mask + 1 : 0) + (t_[1].buckets ? t_[1].mask + 1 : 0)) *
           sizeof(Entry*);
  }

 private:
  struct Buckets {
    Entry** buckets = nullptr;
    uint64_t mask = 0;
  };
  void MaybeResize();
  void StartResize(uint64_t new_size);
  void FinishResizeIfDone();
  static void FreeBuckets(Buckets& b);

  Buckets t_[2];
  int64_t rehash_idx_ = -1;  // next bucket of t_[0] to move, -1 when not resizing
  size_t size_ = 0;
};

// ---- templates ----

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
  v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((v & 0x0F0F0F0F0F0F0F0Full) << 4);
  return __builtin_bswap64(v);
}

template <typename Fn>
uint64_t Table::Scan(uint64_t v, Fn&& fn) {
  if (size_ == 0 || !t_[0].buckets) return 0;
  auto visit = [&](Buckets& b, uint64_t idx) {
    Entry** link = &b.buckets[idx & b.mask];
    while (*link) {
      Entry* e = *link;
      fn(link);
      if (*link == e) link = &e->next;  // not unlinked: advance
    }
  };
  if (!rehashing()) {
    uint64_t m0 = t_[0].mask;
    visit(t_[0], v);
    v |= ~m0;
    v = ReverseBits(v);
    v++;
    v = ReverseBits(v);
  } else {
    Buckets* small = &t_[0];
    Buckets* large = &t_[1];
    if (small->mask > large->mask) std::swap(small, large);
    uint64_t m0 = small->mask, m1 = large->mask;
    visit(*small, v);
    do {
      visit(*large, v);
      v |= ~m1;
      v = ReverseBits(v);
      v++;
      v = ReverseBits(v);
    } while (v & (m0 ^ m1));
  }
  return v;
}

template <typename Fn>
void Table::ForEach(Fn&& fn) const {
  for (int t = 0; t < 2; ++t) {
    if (!t_[t].buckets) continue;
    for (uint64_t i = 0; i <= t_[t].mask; ++i)
      for (Entry* e = t_[t].buckets[i]; e; e = e->next) fn(e);
  }
}

}  // namespace aegisr
