#pragma once
// ZSet: the value of a sorted-set key, members ordered by (score, member bytes) as Redis orders
// them. Two encodings, as Redis's (OBJECT ENCODING names them alike):
//
//   listpack  one allocation of consecutive elements (ZRec below) in order: a few bytes of overhead
//   per element. Lookups scan it, so it is used only
//             while the set is small (zset-max-listpack-entries / zset-max-listpack-value).
//   skiplist  each element is one record (ZRec); an ordered chunk list
//             (arrays of up to kChunkCap record pointers, with a count per chunk) gives order and
//             rank, and an open-addressing hash table of record pointers finds a member. About
//             2 + length bytes per record (integer scores) plus ~24 bytes of pointers, where Redis
//             spends a dict entry, an sds and a skiplist node (~100 bytes) per element.
//
// Conversion goes one way, listpack to skiplist, when an insertion passes a limit (as in Redis);
// only Build (store commands) picks the encoding of a new set from its final size.
//
// Positions are ranks (0 = lowest score). Not thread-safe: used under its key's shard lock.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/alloc.h"
#include "base/hash.h"

namespace aegisr {

class ZSet {
 public:
  static constexpr size_t kChunkCap = 128;

  // zset-max-listpack-entries / zset-max-listpack-value, process-wide. Thread-safe.
  static void SetLimits(int64_t max_entries, int64_t max_value);
  static size_t max_entries();
  static size_t max_value();

  // A new empty set: listpack, unless the limits say a set holding an element of first_len bytes
  // (or of size_hint elements) should start as a skiplist (as Redis's zsetTypeCreate).
  explicit ZSet(size_t size_hint = 0, size_t first_len = 0);
  ZSet(const ZSet& other);
  ZSet& operator=(const ZSet&) = delete;
  ~ZSet();

  bool is_listpack() const { return sk_ == nullptr; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The member's score; false if absent.
  bool Score(std::string_view member, double* score) const;
  // Adds a member that is absent (converting to a skiplist if a limit is passed).
  void Insert(std::string_view member, double score);
  // Removes a member; false if absent.
  bool Erase(std::string_view member);
  // The rank of a present member with its score.
  size_t RankOf(std::string_view member, double score) const;

  // How many elements come before the first element for which before(member, score) is false;
  // `before` must be true on a prefix of the order.
  template <typename Fn>
  size_t Count(Fn&& before) const;

  // Calls fn(member, score) for ranks first..last inclusive (last < size()), ascending, or
  // descending from last to first. fn returns false to stop. Views are valid during the call.
  template <typename Fn>
  void ForRange(size_t first, size_t last, bool reverse, Fn&& fn) const;
  // Removes ranks first..last inclusive.
  void EraseRange(size_t first, size_t last);

  // One ZSCAN step from cursor: calls fn(member, score) for some elements and returns the next
  // cursor (0: done). A listpack returns everything at once. A skiplist walks its hash index in
  // hash order (a cursor is a position in it, the top bits of the members' hashes), so an element
  // present for the whole scan is returned at least once whatever else is added, removed or
  // rescored meanwhile, and the index may grow between steps; a step looks at no more than
  // 10 * count homes (Redis's bound on one SCAN call's work).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  // Bytes this set owns beyond sizeof(ZSet). O(1).
  size_t MemoryBytes() const { return sk_ ? sk_->bytes : lp_ ? UsableSize(lp_) : 0; }
  size_t RecountMemoryBytes() const;
  // Allocations freeing it releases.
  size_t allocations() const { return is_listpack() ? 1 : size_ + sk_->chunks.size() + 4; }

 private:
  // Listpack helpers.
  template <typename Fn>
  void LpWalk(Fn&& fn) const;  // fn(offset, member, score) -> bool continue
  void LpSetBuffer(char* buf, size_t len);
  void ConvertToSkiplist();

  // Skiplist helpers.
  struct Chunk;
  char* NewRecord(std::string_view member, double score);
  void FreeRecord(char* rec);
  void IndexInsert(char* rec);
  void IndexErase(char* rec);
  char* IndexFind(std::string_view member) const;
  void IndexGrow(size_t cap);
  // Chunk and slot of rank r.
  void Locate(size_t r, size_t* chunk, size_t* slot) const;
  void SkipInsert(char* rec);
  void RemoveChunk(size_t c);
  // Removes n elements from slot s of chunk c on (records, index entries, emptied chunks).
  void RemoveSlots(size_t c, size_t s, size_t n);

  size_t size_ = 0;
  // listpack
  char* lp_ = nullptr;
  size_t lp_len_ = 0;
  // skiplist: null while a listpack (keeps a small set's object at 32 bytes)
  struct Skip {
    size_t bytes = 0;  // what MemoryBytes reports
    std::vector<Chunk*> chunks;
    std::vector<uint16_t> counts;
    char** index = nullptr;
    size_t index_cap = 0;  // power of two
    // A member's home slot is the top bits of its hash (hash >> index_shift), so slots are in
    // hash order and a ZSCAN cursor keeps its meaning when the index grows.
    unsigned index_shift = 64;
    // A Fenwick tree over counts (1-based): rank <-> chunk in O(log chunks).
    std::vector<uint32_t> fen;
  };
  void FenRebuild();
  void FenAdd(size_t c, int64_t delta);
  size_t FenPrefix(size_t c) const {  // elements in chunks [0, c)
    size_t n = 0;
    for (size_t i = c; i > 0; i -= i & (~i + 1)) n += sk_->fen[i];
    return n;
  }
  size_t Home(uint64_t hash) const { return size_t(hash >> sk_->index_shift); }
  Skip* sk_ = nullptr;
};

// A record (a skiplist element, or one element of a listpack):
//   [varint: member length << 1 | 1 if the score is an integer][member bytes]
//   [score: a zigzag varint if an integer (|v| <= 2^53, not -0), else the 8-byte double]
// so a small integer score costs one byte.
struct ZRec {
  std::string_view member;
  double score;
  const char* end;  // just past the record
};
ZRec ZRecDecode(const char* rec);
inline double ZRecScore(const char* rec) { return ZRecDecode(rec).score; }
inline std::string_view ZRecMember(const char* rec) { return ZRecDecode(rec).member; }

template <typename Fn>
void ZSet::LpWalk(Fn&& fn) const {
  size_t off = 0;
  while (off < lp_len_) {
    ZRec r = ZRecDecode(lp_ + off);
    if (!fn(off, r.member, r.score)) return;
    off = size_t(r.end - lp_);
  }
}

struct ZSet::Chunk {
  char* items[kChunkCap];
};

template <typename Fn>
size_t ZSet::Count(Fn&& before) const {
  if (is_listpack()) {
    size_t n = 0;
    LpWalk([&](size_t, std::string_view m, double s) {
      if (!before(m, s)) return false;
      ++n;
      return true;
    });
    return n;
  }
  // Binary search over chunks by their last element, then within the chunk.
  size_t lo = 0, hi = sk_->chunks.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    ZRec last = ZRecDecode(sk_->chunks[mid]->items[sk_->counts[mid] - 1]);
    if (before(last.member, last.score))
      lo = mid + 1;
    else
      hi = mid;
  }
  size_t rank = FenPrefix(lo);
  if (lo == sk_->chunks.size()) return rank;
  const Chunk* ch = sk_->chunks[lo];
  size_t a = 0, b = sk_->counts[lo];
  while (a < b) {
    size_t mid = (a + b) / 2;
    ZRec r = ZRecDecode(ch->items[mid]);
    if (before(r.member, r.score))
      a = mid + 1;
    else
      b = mid;
  }
  return rank + a;
}

template <typename Fn>
void ZSet::ForRange(size_t first, size_t last, bool reverse, Fn&& fn) const {
  if (is_listpack()) {
    if (!reverse) {
      size_t i = 0;
      LpWalk([&](size_t, std::string_view m, double s) {
        if (i > last) return false;
        bool go = i < first || fn(m, s);
        ++i;
        return go;
      });
      return;
    }
    std::vector<uint32_t> offs;
    offs.reserve(last + 1);
    size_t i = 0;
    LpWalk([&](size_t off, std::string_view, double) {
      if (i++ > last) return false;
      offs.push_back(uint32_t(off));
      return true;
    });
    for (size_t r = last + 1; r-- > first;) {
      ZRec rec = ZRecDecode(lp_ + offs[r]);
      if (!fn(rec.member, rec.score)) return;
    }
    return;
  }
  size_t c, s;
  Locate(reverse ? last : first, &c, &s);
  for (size_t n = last - first + 1; n > 0; --n) {
    ZRec rec = ZRecDecode(sk_->chunks[c]->items[s]);
    if (!fn(rec.member, rec.score)) return;
    if (reverse) {
      if (s == 0) {
        if (c == 0) return;
        --c;
        s = sk_->counts[c];
      }
      --s;
    } else if (++s == sk_->counts[c]) {
      ++c;
      s = 0;
    }
  }
}

template <typename Fn>
uint64_t ZSet::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (is_listpack()) {
    LpWalk([&](size_t, std::string_view m, double sc) {
      fn(m, sc);
      return true;
    });
    return 0;
  }
  const size_t cap = sk_->index_cap, mask = cap - 1;
  size_t home = Home(cursor), emitted = 0;
  uint64_t budget = count < UINT64_MAX / 10 ? count * 10 : UINT64_MAX;
  while (home < cap) {
    // The home's members lie in the probe run that starts there (linear probing), among
    // members displaced from earlier homes.
    for (size_t j = home; sk_->index[j]; j = (j + 1) & mask) {
      const ZRec r = ZRecDecode(sk_->index[j]);
      if (Home(HashBytes(r.member)) != home) continue;
      fn(r.member, r.score);
      ++emitted;
    }
    ++home;
    if (emitted >= count || --budget == 0) break;
  }
  return home >= cap ? 0 : uint64_t(home) << sk_->index_shift;
}

}  // namespace aegisr
