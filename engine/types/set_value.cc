// SetValue (set_value.h): the three set encodings and the conversions between them.
//
// intset: data_ holds size_ integers of width_ bytes (2, 4 or 8), ascending, in native byte
// order. A value needing a wider type rewrites the array at the wider width first; it then goes
// at one end (it is below or above every stored value). Lookups are binary searches; inserts and
// removals move the tail (O(n), n <= set-max-intset-entries).
//
// listpack: data_ holds members back to back as [varint length][bytes], in insertion order;
// every operation is a linear walk (n <= set-max-listpack-entries, each <= set-max-listpack-value
// bytes), so the bytes used are not stored: a walk finds them (an add walks anyway, to look for
// the member).
//
// hashtable: data_ holds the members' allocated bytes (for MEMORY USAGE in O(1)), then cap()
// slots of 64 bits, cap() a power of two, at most 3/4 full. A slot is
// 0 (empty) or a pointer to one allocation [varint length][bytes] in its low 48 bits (user-space
// pointers fit in 47) with the low 16 bits of the member's hash in its top 16 bits, so most
// mismatches in a probe are rejected without touching the member. A member's home slot is the
// top log2(cap()) bits of its hash; collisions probe linearly, and removal shifts the following
// run back (no tombstones), so a member always lies between its home and the next empty slot.
// Per member that is 8 / load bytes of slot plus one small allocation (a 10-byte member: 16
// bytes), against Redis's 24-byte dictEntry, sds header and 8-16 bytes of bucket.
//
// Homes taken from the top bits keep members in hash order across sizes: doubling splits home b
// into 2b and 2b+1, so a scan cursor that is a position in hash order (home << shift_) stays
// meaningful after any resize, and SSCAN needs no reverse-binary trick. Resizes rehash the
// members (hashes are not stored); they happen when an insert would pass 3/4 or a removal leaves
// the table under 1/8 full.

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

unsigned WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

std::string_view MemberOf(uint64_t slot) {
  const char* p = reinterpret_cast<const char*>(slot & kPtrMask);
  uint32_t n;
  uint64_t len = GetVarint(p, &n);
  return {p + n, size_t(len)};
}

const char* MemberPtr(uint64_t slot) { return reinterpret_cast<const char*>(slot & kPtrMask); }

uint64_t NewMember(std::string_view m, uint64_t h, size_t* bytes) {
  auto* p = static_cast<char*>(AllocBytes(VarintSize(m.size()) + m.size()));
  size_t n = PutVarint(p, m.size());
  if (!m.empty()) std::memcpy(p + n, m.data(), m.size());
  *bytes += UsableSize(p);
  auto addr = reinterpret_cast<uint64_t>(p);
  CHECK((addr & ~kPtrMask) == 0);
  return addr | (h << 48);
}

// Slots for n members at most 3/4 full.
size_t SlotsFor(size_t n) {
  size_t cap = kMinSlots;
  while (cap * 3 < n * 4) cap *= 2;
  return cap;
}

unsigned Log2(size_t pow2) { return unsigned(__builtin_ctzll(pow2)); }

}  // namespace

SetValue::SetValue(const SetValue& o)
    : size_(o.size_), kind_(o.kind_), width_(o.width_), shift_(o.shift_) {
  if (kind_ == Kind::kHashtable) {
    data_ = static_cast<char*>(ZallocBytes((cap() + 1) * sizeof(uint64_t)));
    uint64_t* dst = slots();
    const uint64_t* src = o.slots();
    size_t bytes = 0;
    for (size_t i = 0; i < cap(); ++i) {
      if (src[i]) dst[i] = NewMember(MemberOf(src[i]), src[i] >> 48, &bytes);
    }
    member_bytes() = bytes;
    return;
  }
  size_t n = kind_ == Kind::kIntset ? size_ * width_ : o.ListpackEnd();
  if (n) {
    data_ = static_cast<char*>(AllocBytes(n));
    std::memcpy(data_, o.data_, n);
  }
}

SetValue::~SetValue() { Clear(); }

void SetValue::Clear() {
  if (kind_ == Kind::kHashtable && data_) {
    uint64_t* s = slots();
    for (size_t i = 0; i < cap(); ++i) {
      if (s[i]) FreeBytes(const_cast<char*>(MemberPtr(s[i])));
    }
  }
  if (data_) FreeBytes(data_);
  data_ = nullptr;
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

void SetValue::ResizeBuffer(size_t bytes) {
  size_t have = data_ ? UsableSize(data_) : 0;
  if (bytes <= have && bytes * 2 + 64 >= have) return;  // fits, and not mostly empty
  if (bytes == 0) {
    FreeBytes(data_);
    data_ = nullptr;
    return;
  }
  data_ = static_cast<char*>(ReallocBytes(data_, bytes));
}

size_t SetValue::MemoryBytes() const {
  if (!data_) return 0;
  return UsableSize(data_) + (kind_ == Kind::kHashtable ? member_bytes() : 0);
}

// ---- intset

int64_t SetValue::IntAt(size_t i) const {
  const char* p = data_ + i * width_;
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
  char* p = data_ + i * width_;
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

bool SetValue::IntsetAdd(int64_t v) {
  unsigned w = WidthFor(v);
  if (w > width_) {
    // v is outside the old width's range: below or above every member. Rewrite wider, from the
    // last element down, so the buffer can be widened in place.
    unsigned old = width_;
    size_t n = size_;
    ResizeBuffer((n + 1) * w);
    bool front = v < 0;
    for (size_t i = n; i-- > 0;) {
      width_ = uint8_t(old);
      int64_t x = IntAt(i);
      width_ = uint8_t(w);
      SetIntAt(i + (front ? 1 : 0), x);
    }
    width_ = uint8_t(w);
    SetIntAt(front ? 0 : n, v);
    ++size_;
    return true;
  }
  size_t pos;
  if (IntsetFind(v, &pos)) return false;
  ResizeBuffer((size_ + 1) * width_);
  std::memmove(data_ + (pos + 1) * width_, data_ + pos * width_, (size_ - pos) * width_);
  SetIntAt(pos, v);
  ++size_;
  return true;
}

bool SetValue::IntsetRemove(int64_t v) {
  size_t pos;
  if (WidthFor(v) > width_ || !IntsetFind(v, &pos)) return false;
  std::memmove(data_ + pos * width_, data_ + (pos + 1) * width_, (size_ - pos - 1) * width_);
  --size_;
  ResizeBuffer(size_ * width_);
  return true;
}

// ---- listpack

size_t SetValue::ListpackFind(std::string_view m, size_t* end) const {
  size_t off = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    uint32_t n;
    uint64_t len = GetVarint(data_ + off, &n);
    if (len == m.size() && std::memcmp(data_ + off + n, m.data(), m.size()) == 0) return off;
    off += n + len;
  }
  if (end) *end = off;
  return kNpos;
}

size_t SetValue::ListpackEnd() const {
  size_t off = 0;
  for (uint32_t i = 0; i < size_; ++i) {
    uint32_t n;
    uint64_t len = GetVarint(data_ + off, &n);
    off += n + len;
  }
  return off;
}

void SetValue::ListpackAppend(std::string_view m, size_t end) {
  size_t need = VarintSize(m.size()) + m.size();
  ResizeBuffer(end + need);
  size_t n = PutVarint(data_ + end, m.size());
  if (!m.empty()) std::memcpy(data_ + end + n, m.data(), m.size());
  ++size_;
}

// ---- hashtable

size_t SetValue::HashFind(std::string_view m, uint64_t h) const {
  const uint64_t* s = slots();
  uint64_t tag = h & 0xffff;
  size_t mask = cap() - 1;
  for (size_t i = Home(h);; i = (i + 1) & mask) {
    uint64_t v = s[i];
    if (!v) return kNpos;
    if ((v >> 48) == tag && MemberOf(v) == m) return i;
  }
}

void SetValue::HashPlace(uint64_t slot_value, uint64_t h) {
  uint64_t* s = slots();
  size_t mask = cap() - 1;
  size_t i = Home(h);
  while (s[i]) i = (i + 1) & mask;
  s[i] = slot_value;
}

void SetValue::HashInsertNew(std::string_view m, uint64_t h) {
  if ((size_t{size_} + 1) * 4 > cap() * 3) HashResize(cap() * 2);
  size_t bytes = member_bytes();
  HashPlace(NewMember(m, h & 0xffff, &bytes), h);
  member_bytes() = bytes;
  ++size_;
}

void SetValue::HashRemoveAt(size_t i) {
  uint64_t* s = slots();
  char* p = const_cast<char*>(MemberPtr(s[i]));
  member_bytes() -= UsableSize(p);
  FreeBytes(p);
  s[i] = 0;
  --size_;
  // Shift back the members after the hole that may live there: those whose home is not in the
  // cyclic range (i, j].
  size_t mask = cap() - 1;
  for (size_t j = (i + 1) & mask; s[j]; j = (j + 1) & mask) {
    size_t k = Home(HashBytes(MemberOf(s[j])));
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    s[i] = s[j];
    s[j] = 0;
    i = j;
  }
  if (cap() > kMinSlots && size_t{size_} * 8 < cap())
    HashResize(std::max(kMinSlots, SlotsFor(size_t{size_} * 2)));
}

// Moves the members to a table of `slots` slots (a new, empty one when there is none yet).
void SetValue::HashResize(size_t slots_wanted) {
  char* old = data_;
  size_t old_cap = old ? cap() : 0;
  data_ = static_cast<char*>(ZallocBytes((slots_wanted + 1) * sizeof(uint64_t)));
  shift_ = uint8_t(64 - Log2(slots_wanted));
  if (!old) return;
  member_bytes() = *reinterpret_cast<const uint64_t*>(old);
  const uint64_t* from = reinterpret_cast<const uint64_t*>(old) + 1;
  for (size_t i = 0; i < old_cap; ++i) {
    if (from[i]) HashPlace(from[i], HashBytes(MemberOf(from[i])));
  }
  FreeBytes(old);
}

// ---- conversions

void SetValue::ToListpack() {
  DCHECK(kind_ == Kind::kIntset);
  SetValue t;
  t.kind_ = Kind::kListpack;
  size_t end = 0;
  ForEach([&](std::string_view m) {
    t.ListpackAppend(m, end);
    end += VarintSize(m.size()) + m.size();
  });
  std::swap(*this, t);
}

void SetValue::ToHashtable(size_t expected) {
  SetValue t;
  t.kind_ = Kind::kHashtable;
  t.HashResize(SlotsFor(std::max(expected, size_t{size_})));
  ForEach([&](std::string_view m) { t.HashInsertNew(m, HashBytes(m)); });
  std::swap(*this, t);
}

// std::swap needs these; they move the fields and leave `o` empty.
SetValue::SetValue(SetValue&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      kind_(o.kind_),
      width_(o.width_),
      shift_(o.shift_) {}

SetValue& SetValue::operator=(SetValue&& o) noexcept {
  if (this != &o) {
    Clear();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    kind_ = o.kind_;
    width_ = o.width_;
    shift_ = o.shift_;
  }
  return *this;
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
      return HashFind(m, HashBytes(m)) != kNpos;
  }
  return false;
}

bool SetValue::Add(std::string_view m, const Limits& lim) {
  if (kind_ == Kind::kIntset) {
    int64_t v;
    if (String2ll(m, &v)) {
      if (!IntsetAdd(v)) return false;
      if (size_ > lim.intset_entries) ToHashtable(size_);
      return true;
    }
    // A string joins: a listpack if it and every integer (as text) stay within the limits.
    size_t longest = 0;
    char buf[kLongStrSize];
    if (size_ > 0) longest = std::max(Ll2String(buf, IntAt(0)), Ll2String(buf, IntAt(size_ - 1)));
    if (size_ < lim.listpack_entries && m.size() <= lim.listpack_value &&
        longest <= lim.listpack_value) {
      ToListpack();
    } else {
      ToHashtable(size_ + 1);
    }
  }
  if (kind_ == Kind::kListpack) {
    size_t end;
    if (ListpackFind(m, &end) != kNpos) return false;
    if (size_ < lim.listpack_entries && m.size() <= lim.listpack_value) {
      ListpackAppend(m, end);
      return true;
    }
    ToHashtable(size_ + 1);
  }
  uint64_t h = HashBytes(m);
  if (HashFind(m, h) != kNpos) return false;
  HashInsertNew(m, h);
  return true;
}

bool SetValue::Remove(std::string_view m) {
  switch (kind_) {
    case Kind::kIntset: {
      int64_t v;
      return String2ll(m, &v) && IntsetRemove(v);
    }
    case Kind::kListpack: {
      size_t off = ListpackFind(m);
      if (off == kNpos) return false;
      size_t used = ListpackEnd();
      size_t len = VarintSize(m.size()) + m.size();
      std::memmove(data_ + off, data_ + off + len, used - off - len);
      --size_;
      ResizeBuffer(used - len);
      return true;
    }
    case Kind::kHashtable: {
      size_t i = HashFind(m, HashBytes(m));
      if (i == kNpos) return false;
      HashRemoveAt(i);
      return true;
    }
  }
  return false;
}

std::string_view SetValue::RandomMember(uint64_t r, char* scratch) const {
  DCHECK(size_ > 0);
  switch (kind_) {
    case Kind::kIntset:
      return {scratch, Ll2String(scratch, IntAt(r % size_))};
    case Kind::kListpack: {
      size_t skip = r % size_, off = 0;
      for (;;) {
        uint32_t n;
        uint64_t len = GetVarint(data_ + off, &n);
        if (skip-- == 0) return {data_ + off + n, size_t(len)};
        off += n + len;
      }
    }
    case Kind::kHashtable: {
      const uint64_t* s = slots();
      size_t mask = cap() - 1;
      size_t i = r & mask;
      while (!s[i]) i = (i + 1) & mask;
      return MemberOf(s[i]);
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
    case Kind::kListpack:
      for (size_t off = 0, i = 0; i < size_; ++i) {
        uint32_t n;
        uint64_t len = GetVarint(data_ + off, &n);
        visit(fn, {data_ + off + n, size_t(len)});
        off += n + len;
      }
      return;
    case Kind::kHashtable: {
      const uint64_t* s = slots();
      for (size_t i = 0; i < cap(); ++i) {
        if (s[i]) visit(fn, MemberOf(s[i]));
      }
      return;
    }
  }
}

uint64_t SetValue::ScanImpl(uint64_t cursor, size_t count, Visit visit, void* fn) const {
  if (kind_ != Kind::kHashtable) {
    ForEachImpl(visit, fn);
    return 0;
  }
  // Visit homes from the cursor's on, each home's members (between it and the next empty
  // slot), until `count` members were returned or 10 * count homes were looked at (Redis's
  // bound on one SCAN call's work).
  const uint64_t* s = slots();
  size_t n_slots = cap();
  size_t mask = n_slots - 1;
  size_t home = Home(cursor);
  size_t emitted = 0;
  uint64_t budget = count < UINT64_MAX / 10 ? count * 10 : UINT64_MAX;
  while (home < n_slots) {
    for (size_t j = home; s[j]; j = (j + 1) & mask) {
      std::string_view m = MemberOf(s[j]);
      if (Home(HashBytes(m)) == home) {
        visit(fn, m);
        ++emitted;
      }
    }
    ++home;
    if (emitted >= count || --budget == 0) break;
  }
  return home >= n_slots ? 0 : uint64_t(home) << shift_;
}

size_t SetValue::RecountMemoryBytes() const {
  if (!data_) return 0;
  size_t n = UsableSize(data_);
  if (kind_ == Kind::kHashtable) {
    const uint64_t* s = slots();
    for (size_t i = 0; i < cap(); ++i) {
      if (s[i]) n += UsableSize(MemberPtr(s[i]));
    }
  }
  return n;
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
  auto* set = new SetValue();
  set->kind_ = kind;
  if (kind == Kind::kHashtable) set->HashResize(SlotsFor(n));
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
        ok = String2ll(m, &v) && set->IntsetAdd(v);
        break;
      }
      case Kind::kListpack: {
        size_t end;
        ok = set->ListpackFind(m, &end) == kNpos;
        if (ok) set->ListpackAppend(m, end);
        break;
      }
      case Kind::kHashtable: {
        uint64_t h = HashBytes(m);
        ok = set->HashFind(m, h) == kNpos;
        if (ok) set->HashInsertNew(m, h);
        break;
      }
    }
  }
  if (!ok || pos != payload.size()) {
    delete set;
    return nullptr;
  }
  return set;
}

}  // namespace aegisr
