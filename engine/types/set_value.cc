// SetValue (set_value.h): the three set encodings and the conversions between them.
//
// Every set is one block: an 8-byte header (member count, encoding, intset width, hashtable
// shift), then the encoding's data. A small set of ten integers is its entry plus one 48-byte
// block, against Redis's dictEntry, robj, key sds and intset.
//
// intset: size_ integers of width_ bytes (2, 4 or 8), ascending, in native byte order. A value
// needing a wider type rewrites the array at the wider width first, from the end down (so the
// block can widen in place); it then goes at one end (it is below or above every stored value).
// Lookups are binary searches; inserts and removals move the tail (O(n), n <=
// set-max-intset-entries) and resize the block.
//
// listpack: members back to back as [varint length][bytes], in insertion order; every operation
// is a linear walk (n <= set-max-listpack-entries, each <= set-max-listpack-value bytes), so the
// bytes used are not stored: a walk finds them (an add walks anyway, to look for the member).
//
// hashtable: a TableHead (the members' allocated bytes, for MEMORY USAGE in O(1); the table
// being resized away from), then cap() slots of 64 bits, cap() a power of two, at most 3/4
// full. A slot is 0 (empty) or a pointer to one allocation [varint length][bytes] in its low 48
// bits (user-space pointers fit in 47) with the low 16 bits of the member's hash in its top 16
// bits, so most mismatches in a probe are rejected without touching the member. A member's home
// slot is the top log2(cap()) bits of its hash; collisions probe linearly, and removal shifts
// the following run back (no tombstones), so a member always lies between its home and the next
// empty slot. Per member that is 8 / load bytes of slot plus one small allocation (a 10-byte
// member: 16 bytes), against Redis's 24-byte dictEntry, sds and 8-16 bytes of bucket.
//
// Homes taken from the top bits keep members in hash order across sizes: doubling splits home b
// into 2b and 2b+1, so a scan cursor that is a position in hash order (home << shift_) stays
// meaningful after any resize, and SSCAN needs no reverse-binary trick.
//
// Resizing (an insert would pass 3/4 full, or a removal leaves it under 1/8) is incremental, as
// Redis's dict: a new block takes over and keeps the old one in its head; every later insert or
// removal first moves the next kMigrateSlots old slots (rehashing their members: hashes are not
// stored), leaving tombstones where members were, so probes of the old table still pass them
// and end at its empty slots. Meanwhile lookups, removals, scans and random draws look at both
// tables; inserts go to the new one; a second resize first finishes the one under way. A set
// that stops changing mid-resize keeps its old slots (not its members) until its next change.

#include "engine/types/set_value.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/logging.h"
#include "base/numbers.h"
#include "base/varint.h"

namespace aegisr {
namespace {

constexpr size_t kNpos = SIZE_MAX;
constexpr size_t kMinSlots = 8;
constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
// A migrated (or removed) slot of a table being emptied by a resize: occupied for probing.
constexpr uint64_t kTomb = 1;
// Slots an insert or removal migrates while a resize is under way: enough that a table doubling
// from 3/4 full is emptied long before the new one fills (C/16 changes against 3C/4 inserts).
constexpr size_t kMigrateSlots = 16;

bool IsMember(uint64_t slot) { return slot > kTomb; }

unsigned WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

const char* MemberPtr(uint64_t slot) { return reinterpret_cast<const char*>(slot & kPtrMask); }

std::string_view MemberOf(uint64_t slot) {
  const char* p = MemberPtr(slot);
  uint32_t n;
  uint64_t len = GetVarint(p, &n);
  return {p + n, size_t(len)};
}

// A member's allocation, as a slot value with `tag` (16 bits of its hash); *bytes grows by its
// allocated size.
uint64_t NewMember(std::string_view m, uint64_t tag, uint64_t* bytes) {
  auto* p = static_cast<char*>(AllocBytes(VarintSize(m.size()) + m.size()));
  size_t n = PutVarint(p, m.size());
  if (!m.empty()) std::memcpy(p + n, m.data(), m.size());
  *bytes += UsableSize(p);
  auto addr = reinterpret_cast<uint64_t>(p);
  CHECK((addr & ~kPtrMask) == 0);
  return addr | (tag << 48);
}

// Slots for n members at most 3/4 full.
size_t SlotsFor(size_t n) {
  size_t cap = kMinSlots;
  while (cap * 3 < n * 4) cap *= 2;
  return cap;
}

unsigned Log2(size_t pow2) { return unsigned(__builtin_ctzll(pow2)); }

}  // namespace

// ---- blocks

SetValue* SetValue::Alloc(Kind kind, size_t data_bytes) {
  auto* s = static_cast<SetValue*>(AllocBytes(sizeof(SetValue) + data_bytes));
  s->size_ = 0;
  s->kind_ = kind;
  s->width_ = 2;
  s->shift_ = 0;
  s->unused_ = 0;
  return s;
}

SetValue* SetValue::Resize(SetValue* s, size_t data_bytes) {
  size_t need = sizeof(SetValue) + data_bytes;
  size_t have = UsableSize(s);
  if (need <= have && need * 2 + 64 >= have) return s;  // fits, and not mostly empty
  return static_cast<SetValue*>(ReallocBytes(s, need));
}

SetValue* SetValue::New() { return Alloc(Kind::kIntset, 0); }

void SetValue::Free(SetValue* s) {
  if (s->kind_ == Kind::kHashtable) {
    s->ForEachSlot([](uint64_t v) { FreeBytes(const_cast<char*>(MemberPtr(v))); });
    if (s->head().old) FreeBytes(s->head().old);
  }
  FreeBytes(s);
}

SetValue* SetValue::Clone(const SetValue* s) {
  if (s->kind_ == Kind::kHashtable) {
    // One table (a resize in progress is not copied): rehashed, as the members are anyway.
    SetValue* t = NewTable(SlotsFor(s->size_));
    uint64_t bytes = 0;
    s->ForEachSlot([&](uint64_t v) {
      std::string_view m = MemberOf(v);
      uint64_t h = HashBytes(m);
      t->HashPlace(NewMember(m, h & 0xffff, &bytes), h);
    });
    t->head().member_bytes = bytes;
    t->size_ = s->size_;
    return t;
  }
  size_t n = sizeof(SetValue) +
             (s->kind_ == Kind::kIntset ? size_t{s->size_} * s->width_ : s->ListpackEnd());
  auto* t = static_cast<SetValue*>(AllocBytes(n));
  std::memcpy(static_cast<void*>(t), s, n);
  return t;
}

std::string_view SetValue::EncodingName() const {
  switch (kind_) {
    case Kind::kIntset:
      return "intset";
    case Kind::kListpack:
      return "listpack";
    case Kind::kHashtable:
      return "hashtable";
  }
  return "hashtable";
}

size_t SetValue::MemoryBytes() const {
  if (kind_ != Kind::kHashtable) return UsableSize(this);
  const TableHead& hd = head();
  return UsableSize(this) + hd.member_bytes + (hd.old ? UsableSize(hd.old) : 0);
}

size_t SetValue::RecountMemoryBytes() const {
  size_t n = UsableSize(this);
  if (kind_ == Kind::kHashtable) {
    ForEachSlot([&](uint64_t v) { n += UsableSize(MemberPtr(v)); });
    if (head().old) n += UsableSize(head().old);
  }
  return n;
}

// ---- intset

int64_t SetValue::IntAt(size_t i) const {
  const char* p = data() + i * width_;
  if (width_ == 2) {
    int16_t v;
    std::memcpy(&v, p, 2);
    return v;
  }
  if (width_ == 4) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  int64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void SetValue::SetIntAt(size_t i, int64_t v) {
  char* p = data() + i * width_;
  if (width_ == 2) {
    auto x = int16_t(v);
    std::memcpy(p, &x, 2);
  } else if (width_ == 4) {
    auto x = int32_t(v);
    std::memcpy(p, &x, 4);
  } else {
    std::memcpy(p, &v, 8);
  }
}

bool SetValue::IntsetFind(int64_t v, size_t* pos) const {
  size_t lo = 0, hi = size_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int64_t x = IntAt(mid);
    if (x == v) {
      *pos = mid;
      return true;
    }
    if (x < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  *pos = lo;
  return false;
}

SetValue* SetValue::IntsetAdd(SetValue* s, int64_t v, bool* added) {
  unsigned w = WidthFor(v);
  size_t n = s->size_;
  if (w > s->width_) {
    // v is outside the old width's range: below or above every member.
    unsigned old = s->width_;
    s = Resize(s, (n + 1) * w);
    bool front = v < 0;
    for (size_t i = n; i-- > 0;) {
      s->width_ = uint8_t(old);
      int64_t x = s->IntAt(i);
      s->width_ = uint8_t(w);
      s->SetIntAt(i + (front ? 1 : 0), x);
    }
    s->width_ = uint8_t(w);
    s->SetIntAt(front ? 0 : n, v);
    ++s->size_;
    *added = true;
    return s;
  }
  size_t pos;
  if (s->IntsetFind(v, &pos)) {
    *added = false;
    return s;
  }
  size_t wd = s->width_;
  s = Resize(s, (n + 1) * wd);
  std::memmove(s->data() + (pos + 1) * wd, s->data() + pos * wd, (n - pos) * wd);
  s->SetIntAt(pos, v);
  ++s->size_;
  *added = true;
  return s;
}

// ---- listpack

size_t SetValue::ListpackFind(std::string_view m, size_t* end) const {
  const char* d = data();
  size_t off = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    uint32_t n;
    uint64_t len = GetVarint(d + off, &n);
    if (len == m.size() && std::memcmp(d + off + n, m.data(), m.size()) == 0) return off;
    off += n + len;
  }
  if (end) *end = off;
  return kNpos;
}

size_t SetValue::ListpackEnd() const {
  const char* d = data();
  size_t off = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    uint32_t n;
    uint64_t len = GetVarint(d + off, &n);
    off += n + len;
  }
  return off;
}

SetValue* SetValue::ListpackAppend(SetValue* s, std::string_view m, size_t end) {
  size_t need = VarintSize(m.size()) + m.size();
  s = Resize(s, end + need);
  size_t n = PutVarint(s->data() + end, m.size());
  if (!m.empty()) std::memcpy(s->data() + end + n, m.data(), m.size());
  ++s->size_;
  return s;
}

// ---- hashtable

SetValue* SetValue::NewTable(size_t slots) {
  auto* s = static_cast<SetValue*>(
      ZallocBytes(sizeof(SetValue) + sizeof(TableHead) + slots * sizeof(uint64_t)));
  s->kind_ = Kind::kHashtable;
  s->width_ = 0;
  s->shift_ = uint8_t(64 - Log2(slots));
  return s;  // size_, the head and every slot are zero
}

template <typename Fn>
void SetValue::ForEachSlot(Fn&& fn) const {
  const uint64_t* sl = slots();
  for (size_t i = 0; i < cap(); ++i) {
    if (sl[i]) fn(sl[i]);
  }
  if (const SetValue* old = head().old) {
    const uint64_t* os = old->slots();
    for (size_t i = head().moved; i < old->cap(); ++i) {
      if (IsMember(os[i])) fn(os[i]);
    }
  }
}

size_t SetValue::FindIn(std::string_view m, uint64_t h) const {
  const uint64_t* sl = slots();
  uint64_t tag = h & 0xffff;
  size_t mask = cap() - 1;
  for (size_t i = Home(h);; i = (i + 1) & mask) {
    uint64_t v = sl[i];
    if (!v) return kNpos;
    if (IsMember(v) && (v >> 48) == tag && MemberOf(v) == m) return i;
  }
}

bool SetValue::HashContains(std::string_view m, uint64_t h) const {
  return FindIn(m, h) != kNpos || (head().old && head().old->FindIn(m, h) != kNpos);
}

void SetValue::HashPlace(uint64_t slot_value, uint64_t h) {
  uint64_t* sl = slots();
  size_t mask = cap() - 1;
  size_t i = Home(h);
  while (sl[i]) i = (i + 1) & mask;
  sl[i] = slot_value;
}

// Moves up to n slots of the old table into this one, in slot order, leaving tombstones where
// members were (so probes in the old table still pass them); frees the old block when done.
void SetValue::Migrate(size_t n) {
  TableHead& hd = head();
  if (!hd.old) return;
  uint64_t* os = hd.old->slots();
  size_t old_cap = hd.old->cap();
  // Up to n members, and up to 8n slots looked at: a sparse table (a shrink starts under 1/8
  // full) is crossed about as fast as a dense one is.
  size_t visits = n > SIZE_MAX / 8 ? SIZE_MAX : n * 8;
  for (; n > 0 && visits > 0 && hd.moved < old_cap; --visits, ++hd.moved) {
    uint64_t v = os[hd.moved];
    if (!IsMember(v)) continue;  // empty slots stay empty: probes of the old table end there
    HashPlace(v, HashBytes(MemberOf(v)));
    os[hd.moved] = kTomb;
    --n;
  }
  if (hd.moved == old_cap) {
    FreeBytes(hd.old);  // its members now live here
    hd.old = nullptr;
    hd.moved = 0;
  }
}

// Starts moving s into a new table of `slots` slots (finishing any resize under way first):
// the new block takes the members' bytes and count, and s becomes its old table.
SetValue* SetValue::StartResize(SetValue* s, size_t slots) {
  s->Migrate(SIZE_MAX);
  SetValue* t = NewTable(slots);
  t->size_ = s->size_;
  t->head().member_bytes = s->head().member_bytes;
  t->head().old = s;
  t->Migrate(kMigrateSlots);
  return t;
}

SetValue* SetValue::HashInsertNew(SetValue* s, std::string_view m, uint64_t h) {
  s->Migrate(kMigrateSlots);
  if ((size_t{s->size_} + 1) * 4 > s->cap() * 3) s = StartResize(s, s->cap() * 2);
  uint64_t bytes = s->head().member_bytes;
  s->HashPlace(NewMember(m, h & 0xffff, &bytes), h);
  s->head().member_bytes = bytes;
  ++s->size_;
  return s;
}

SetValue* SetValue::HashRemove(SetValue* s, std::string_view m, uint64_t h, bool* removed) {
  s->Migrate(kMigrateSlots);
  size_t i = s->FindIn(m, h);
  SetValue* in_old = nullptr;
  if (i == kNpos && s->head().old) {
    in_old = s->head().old;
    i = in_old->FindIn(m, h);
  }
  *removed = i != kNpos;
  if (!*removed) return s;
  uint64_t* sl = in_old ? in_old->slots() : s->slots();
  char* p = const_cast<char*>(MemberPtr(sl[i]));
  s->head().member_bytes -= UsableSize(p);
  FreeBytes(p);
  --s->size_;
  if (in_old) {
    sl[i] = kTomb;  // the old table only empties; its tombstones go with it
    return s;
  }
  sl[i] = 0;
  // Shift back the members after the hole that may live there: those whose home is not in the
  // cyclic range (i, j].
  size_t mask = s->cap() - 1;
  for (size_t j = (i + 1) & mask; sl[j]; j = (j + 1) & mask) {
    size_t k = s->Home(HashBytes(MemberOf(sl[j])));
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    sl[i] = sl[j];
    sl[j] = 0;
    i = j;
  }
  if (!s->head().old && s->cap() > kMinSlots && size_t{s->size_} * 8 < s->cap())
    s = StartResize(s, std::max(kMinSlots, SlotsFor(size_t{s->size_} * 2)));
  return s;
}

// ---- conversions

SetValue* SetValue::ToListpack(SetValue* s) {
  DCHECK(s->kind_ == Kind::kIntset);
  SetValue* t = Alloc(Kind::kListpack, 0);
  size_t end = 0;
  s->ForEach([&](std::string_view m) {
    t = ListpackAppend(t, m, end);
    end += VarintSize(m.size()) + m.size();
  });
  FreeBytes(s);
  return t;
}

SetValue* SetValue::ToHashtable(SetValue* s, size_t expected) {
  DCHECK(s->kind_ != Kind::kHashtable);
  SetValue* t = NewTable(SlotsFor(std::max(expected, size_t{s->size_})));
  s->ForEach([&](std::string_view m) { t = HashInsertNew(t, m, HashBytes(m)); });
  FreeBytes(s);
  return t;
}

// ---- the public operations

bool SetValue::Contains(std::string_view m) const {
  switch (kind_) {
    case Kind::kIntset: {
      int64_t v;
      size_t pos;
      return String2ll(m, &v) && WidthFor(v) <= width_ && IntsetFind(v, &pos);
    }
    case Kind::kListpack:
      return ListpackFind(m) != kNpos;
    case Kind::kHashtable:
      return HashContains(m, HashBytes(m));
  }
  return false;
}

SetValue* SetValue::Add(SetValue* s, std::string_view m, const Limits& lim, bool* added) {
  if (s->kind_ == Kind::kIntset) {
    int64_t v;
    if (String2ll(m, &v)) {
      s = IntsetAdd(s, v, added);
      if (*added && s->size_ > lim.intset_entries) s = ToHashtable(s, s->size_);
      return s;
    }
    // A string joins: a listpack if it and every integer (as text) stay within the limits.
    size_t longest = 0;
    char buf[kLongStrSize];
    if (s->size_ > 0)
      longest = std::max(Ll2String(buf, s->IntAt(0)), Ll2String(buf, s->IntAt(s->size_ - 1)));
    if (s->size_ < lim.listpack_entries && m.size() <= lim.listpack_value &&
        longest <= lim.listpack_value) {
      s = ToListpack(s);
    } else {
      s = ToHashtable(s, size_t{s->size_} + 1);
    }
  }
  if (s->kind_ == Kind::kListpack) {
    size_t end;
    if (s->ListpackFind(m, &end) != kNpos) {
      *added = false;
      return s;
    }
    *added = true;
    if (s->size_ < lim.listpack_entries && m.size() <= lim.listpack_value)
      return ListpackAppend(s, m, end);
    s = ToHashtable(s, size_t{s->size_} + 1);
  }
  uint64_t h = HashBytes(m);
  *added = !s->HashContains(m, h);
  return *added ? HashInsertNew(s, m, h) : s;
}

SetValue* SetValue::Remove(SetValue* s, std::string_view m, bool* removed) {
  *removed = false;
  switch (s->kind_) {
    case Kind::kIntset: {
      int64_t v;
      size_t pos;
      if (!String2ll(m, &v) || WidthFor(v) > s->width_ || !s->IntsetFind(v, &pos)) return s;
      size_t wd = s->width_;
      std::memmove(s->data() + pos * wd, s->data() + (pos + 1) * wd, (s->size_ - pos - 1) * wd);
      --s->size_;
      *removed = true;
      return Resize(s, size_t{s->size_} * wd);
    }
    case Kind::kListpack: {
      size_t off = s->ListpackFind(m);
      if (off == kNpos) return s;
      size_t used = s->ListpackEnd();
      size_t len = VarintSize(m.size()) + m.size();
      std::memmove(s->data() + off, s->data() + off + len, used - off - len);
      --s->size_;
      *removed = true;
      return Resize(s, used - len);
    }
    case Kind::kHashtable:
      return HashRemove(s, m, HashBytes(m), removed);
  }
  return s;
}

std::string_view SetValue::RandomMember(uint64_t r, char* scratch) const {
  DCHECK(size_ > 0);
  switch (kind_) {
    case Kind::kIntset:
      return {scratch, Ll2String(scratch, IntAt(r % size_))};
    case Kind::kListpack: {
      const char* d = data();
      size_t skip = r % size_, off = 0;
      for (;;) {
        uint32_t n;
        uint64_t len = GetVarint(d + off, &n);
        if (skip-- == 0) return {d + off + n, size_t(len)};
        off += n + len;
      }
    }
    case Kind::kHashtable: {
      // Random positions over the new table's slots and the old one's not yet migrated (the
      // migrated ones are all tombstones) until one holds a member, as Redis's dictGetRandomKey:
      // every member equally likely, a few tries at the loads kept (over 1/8 but early in a
      // resize, whose new table fills gradually). After 64 misses, the next member from there.
      const SetValue* old = head().old;
      size_t moved = old ? head().moved : 0;
      size_t n_new = cap(), n_all = n_new + (old ? old->cap() - moved : 0);
      auto at = [&](size_t i) {
        return i < n_new ? slots()[i] : old->slots()[moved + (i - n_new)];
      };
      size_t i = 0;
      for (int tries = 0; tries < 64; ++tries) {
        r += 0x9e3779b97f4a7c15ull;  // splitmix64: a fresh position from the same seed
        uint64_t z = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        i = size_t((z ^ (z >> 31)) % n_all);
        if (IsMember(at(i))) return MemberOf(at(i));
      }
      for (;; i = (i + 1) % n_all) {
        if (IsMember(at(i))) return MemberOf(at(i));
      }
    }
  }
  return {};
}

void SetValue::ForEachImpl(Visit visit, void* fn) const {
  switch (kind_) {
    case Kind::kIntset: {
      char buf[kLongStrSize];
      for (size_t i = 0; i < size_; ++i) visit(fn, {buf, Ll2String(buf, IntAt(i))});
      return;
    }
    case Kind::kListpack: {
      const char* d = data();
      for (size_t off = 0, i = 0; i < size_; ++i) {
        uint32_t n;
        uint64_t len = GetVarint(d + off, &n);
        visit(fn, {d + off + n, size_t(len)});
        off += n + len;
      }
      return;
    }
    case Kind::kHashtable:
      ForEachSlot([&](uint64_t v) { visit(fn, MemberOf(v)); });
      return;
  }
}

uint64_t SetValue::ScanImpl(uint64_t cursor, size_t count, Visit visit, void* fn) const {
  if (kind_ != Kind::kHashtable) {
    ForEachImpl(visit, fn);
    return 0;
  }
  // Visit homes from the cursor's on, each home's members (between it and the next empty
  // slot), until `count` members were returned or 10 * count homes were looked at (Redis's
  // bound on one SCAN call's work). During a resize, the members of the old table whose hash
  // falls in the same range are returned with them: a range of the hash order is covered by
  // whole homes of either table.
  const uint64_t* sl = slots();
  size_t n_slots = cap(), mask = n_slots - 1;
  const SetValue* old = head().old;
  size_t home = Home(cursor), emitted = 0;
  uint64_t budget = count < UINT64_MAX / 10 ? count * 10 : UINT64_MAX;
  while (home < n_slots) {
    for (size_t j = home; sl[j]; j = (j + 1) & mask) {
      std::string_view m = MemberOf(sl[j]);
      if (Home(HashBytes(m)) == home) {
        visit(fn, m);
        ++emitted;
      }
    }
    if (old) {
      // The old table's homes inside this one: [first, last], each walked for its own members.
      uint64_t lo = uint64_t(home) << shift_;
      uint64_t hi = lo + ((uint64_t{1} << shift_) - 1);
      const uint64_t* os = old->slots();
      size_t omask = old->cap() - 1;
      for (size_t oh = old->Home(lo); oh <= old->Home(hi); ++oh) {
        for (size_t j = oh; os[j]; j = (j + 1) & omask) {
          if (!IsMember(os[j])) continue;
          std::string_view m = MemberOf(os[j]);
          uint64_t h = HashBytes(m);
          if (old->Home(h) == oh && Home(h) == home) {
            visit(fn, m);
            ++emitted;
          }
        }
      }
    }
    ++home;
    if (emitted >= count || --budget == 0) break;
  }
  return home >= n_slots ? 0 : uint64_t(home) << shift_;
}

void SetValue::Encode(std::string* out) const {
  out->push_back(char(kind_));
  AppendVarint(out, size_);
  ForEach([&](std::string_view m) {
    AppendVarint(out, m.size());
    out->append(m);
  });
}

SetValue* SetValue::Decode(std::string_view payload) {
  if (payload.empty() || uint8_t(payload[0]) > uint8_t(Kind::kHashtable)) return nullptr;
  auto kind = Kind(payload[0]);
  size_t pos = 1;
  uint64_t n;
  // Each member takes at least one byte, which bounds the count before anything is allocated.
  if (!ReadVarint(payload, &pos, &n) || n == 0 || n > payload.size() - pos) return nullptr;
  SetValue* s = kind == Kind::kHashtable ? NewTable(SlotsFor(n)) : Alloc(kind, 0);
  bool ok = true;
  for (uint64_t i = 0; ok && i < n; ++i) {
    uint64_t len;
    if (!ReadVarint(payload, &pos, &len) || len > payload.size() - pos) {
      ok = false;
      break;
    }
    std::string_view m = payload.substr(pos, len);
    pos += len;
    switch (kind) {
      case Kind::kIntset: {
        int64_t v;
        ok = String2ll(m, &v);
        if (ok) s = IntsetAdd(s, v, &ok);
        break;
      }
      case Kind::kListpack: {
        size_t end;
        ok = s->ListpackFind(m, &end) == kNpos;
        if (ok) s = ListpackAppend(s, m, end);
        break;
      }
      case Kind::kHashtable: {
        uint64_t h = HashBytes(m);
        ok = !s->HashContains(m, h);
        if (ok) s = HashInsertNew(s, m, h);
        break;
      }
    }
  }
  if (!ok || pos != payload.size()) {
    Free(s);
    return nullptr;
  }
  return s;
}

}  // namespace aegisr
