// SetValue (set_value.h): the three set encodings and the conversions between them.
//
// intset: data_ holds size_ integers of width_ bytes (2, 4 or 8), ascending, in native byte
// order. A value needing a wider type rewrites the array at the wider width first; it then goes
// at one end (it is below or above every stored value). Lookups are binary searches; inserts and
// removals move the tail (O(n), n <= set-max-intset-entries).
//
// listpack: data_ holds members back to back as [varint length][bytes], in insertion order;
// every operation is a linear walk (n <= set-max-listpack-entries, each <= set-max-listpack-value
// bytes).
//
// hashtable: data_ holds cap_ slots of 64 bits, cap_ a power of two, at most 3/4 full. A slot is
// 0 (empty) or a pointer to one allocation [varint length][bytes] in its low 48 bits (user-space
// pointers fit in 47) with the low 16 bits of the member's hash in its top 16 bits, so most
// mismatches in a probe are rejected without touching the member. A member's home slot is the
// top log2(cap_) bits of its hash; collisions probe linearly, and removal shifts the following
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
    : kind_(o.kind_),
      width_(o.width_),
      shift_(o.shift_),
      size_(o.size_),
      used_(o.used_),
      cap_(o.cap_) {
  if (kind_ == Kind::kHashtable) {
    data_ = static_cast<char*>(ZallocBytes(cap_ * sizeof(uint64_t)));
    bytes_ = UsableSize(data_);
    auto* dst = reinterpret_cast<uint64_t*>(data_);
    auto* src = reinterpret_cast<const uint64_t*>(o.data_);
    for (size_t i = 0; i < cap_; ++i) {
      if (!src[i]) continue;
      dst[i] = NewMember(MemberOf(src[i]), src[i] >> 48, &bytes_);
    }
    return;
  }
  size_t n = kind_ == Kind::kIntset ? size_ * width_ : used_;
  if (n) {
    data_ = static_cast<char*>(AllocBytes(n));
    std::memcpy(data_, o.data_, n);
    bytes_ = UsableSize(data_);
  }
}

SetValue::~SetValue() { Clear(); }

void SetValue::Clear() {
  if (kind_ == Kind::kHashtable && data_) {
    auto* slots = reinterpret_cast<uint64_t*>(data_);
    for (size_t i = 0; i < cap_; ++i) {
      if (slots[i]) FreeBytes(const_cast<char*>(MemberPtr(slots[i])));
    }
  }
  if (data_) FreeBytes(data_);
  data_ = nullptr;
  bytes_ = 0;
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

size_t SetValue::ResizeBuffer(size_t bytes) {
  size_t have = data_ ? UsableSize(data_) : 0;
  if (bytes <= have && bytes * 2 + 64 >= have) return have;
  if (bytes == 0) {
    FreeBytes(data_);
    data_ = nullptr;
    bytes_ = 0;
    return 0;
  }
  data_ = static_cast<char*>(ReallocBytes(data_, bytes));
  bytes_ = UsableSize(data_);
  return bytes_;
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

size_t SetValue::ListpackFind(std::string_view m) const {
  size_t off = 0;
  while (off < used_) {
    uint32_t n;
    uint64_t len = GetVarint(data_ + off, &n);
    if (len == m.size() && std::memcmp(data_ + off + n, m.data(), m.size()) == 0) return off;
    off += n + len;
  }
  return kNpos;
}

void SetValue::ListpackAppend(std::string_view m) {
  size_t need = VarintSize(m.size()) + m.size();
  ResizeBuffer(used_ + need);
  size_t n = PutVarint(data_ + used_, m.size());
  if (!m.empty()) std::memcpy(data_ + used_ + n, m.data(), m.size());
  used_ += need;
  ++size_;
}

// ---- hashtable

size_t SetValue::HashFind(std::string_view m, uint64_t h) const {
  const auto* slots = reinterpret_cast<const uint64_t*>(data_);
  uint64_t tag = h & 0xffff;
  for (size_t i = Home(h);; i = (i + 1) & (cap_ - 1)) {
    uint64_t s = slots[i];
    if (!s) return kNpos;
    if ((s >> 48) == tag && MemberOf(s) == m) return i;
  }
}

void SetValue::HashPlace(uint64_t slot_value, uint64_t h) {
  auto* slots = reinterpret_cast<uint64_t*>(data_);
  size_t i = Home(h);
  while (slots[i]) i = (i + 1) & (cap_ - 1);
  slots[i] = slot_value;
}

void SetValue::HashInsertNew(std::string_view m, uint64_t h) {
  if ((size_ + 1) * 4 > cap_ * 3) HashResize(cap_ * 2);
  HashPlace(NewMember(m, h & 0xffff, &bytes_), h);
  ++size_;
}

void SetValue::HashRemoveAt(size_t i) {
  auto* slots = reinterpret_cast<uint64_t*>(data_);
  char* p = const_cast<char*>(MemberPtr(slots[i]));
  bytes_ -= UsableSize(p);
  FreeBytes(p);
  slots[i] = 0;
  --size_;
  // Shift back the members after the hole that may live there: those whose home is not in the
  // cyclic range (i, j].
  size_t mask = cap_ - 1;
  for (size_t j = (i + 1) & mask; slots[j]; j = (j + 1) & mask) {
    size_t k = Home(HashBytes(MemberOf(slots[j])));
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    slots[i] = slots[j];
    slots[j] = 0;
    i = j;
  }
  if (cap_ > kMinSlots && size_ * 8 < cap_) HashResize(std::max(kMinSlots, SlotsFor(size_ * 2)));
}

void SetValue::HashResize(size_t cap) {
  char* old = data_;
  size_t old_cap = cap_;
  if (old) bytes_ -= UsableSize(old);
  data_ = static_cast<char*>(ZallocBytes(cap * sizeof(uint64_t)));
  bytes_ += UsableSize(data_);
  cap_ = cap;
  shift_ = uint8_t(64 - Log2(cap));
  if (!old) return;
  const auto* slots = reinterpret_cast<const uint64_t*>(old);
  for (size_t i = 0; i < old_cap; ++i) {
    if (slots[i]) HashPlace(slots[i], HashBytes(MemberOf(slots[i])));
  }
  FreeBytes(old);
}

// ---- conversions

void SetValue::ToListpack() {
  DCHECK(kind_ == Kind::kIntset);
  SetValue t;
  t.kind_ = Kind::kListpack;
  ForEach([&](std::string_view m) { t.ListpackAppend(m); });
  std::swap(*this, t);
}

void SetValue::ToHashtable(size_t expected) {
  SetValue t;
  t.kind_ = Kind::kHashtable;
  t.HashResize(SlotsFor(std::max(expected, size_)));
  ForEach([&](std::string_view m) { t.HashInsertNew(m, HashBytes(m)); });
  std::swap(*this, t);
}

// std::swap needs these; they move the fields and leave `o` empty.
SetValue::SetValue(SetValue&& o) noexcept
    : kind_(o.kind_),
      width_(o.width_),
      shift_(o.shift_),
      size_(o.size_),
      used_(o.used_),
      cap_(o.cap_),
      data_(std::exchange(o.data_, nullptr)),
      bytes_(std::exchange(o.bytes_, 0)) {
  o.size_ = 0;
}

SetValue& SetValue::operator=(SetValue&& o) noexcept {
  if (this != &o) {
    Clear();
    kind_ = o.kind_;
    width_ = o.width_;
    shift_ = o.shift_;
    size_ = std::exchange(o.size_, 0);
    used_ = o.used_;
    cap_ = o.cap_;
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
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
    if (ListpackFind(m) != kNpos) return false;
    if (size_ < lim.listpack_entries && m.size() <= lim.listpack_value) {
      ListpackAppend(m);
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
      size_t len = VarintSize(m.size()) + m.size();
      std::memmove(data_ + off, data_ + off + len, used_ - off - len);
      used_ -= len;
      --size_;
      ResizeBuffer(used_);
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
      const auto* slots = reinterpret_cast<const uint64_t*>(data_);
      size_t i = r & (cap_ - 1);
      while (!slots[i]) i = (i + 1) & (cap_ - 1);
      return MemberOf(slots[i]);
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
      for (size_t off = 0; off < used_;) {
        uint32_t n;
        uint64_t len = GetVarint(data_ + off, &n);
        visit(fn, {data_ + off + n, size_t(len)});
        off += n + len;
      }
      return;
    case Kind::kHashtable: {
      const auto* slots = reinterpret_cast<const uint64_t*>(data_);
      for (size_t i = 0; i < cap_; ++i) {
        if (slots[i]) visit(fn, MemberOf(slots[i]));
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
  const auto* slots = reinterpret_cast<const uint64_t*>(data_);
  size_t mask = cap_ - 1;
  size_t home = Home(cursor);
  size_t emitted = 0;
  uint64_t budget = count < UINT64_MAX / 10 ? count * 10 : UINT64_MAX;
  while (home < cap_) {
    for (size_t j = home; slots[j]; j = (j + 1) & mask) {
      std::string_view m = MemberOf(slots[j]);
      if (Home(HashBytes(m)) == home) {
        visit(fn, m);
        ++emitted;
      }
    }
    ++home;
    if (emitted >= count || --budget == 0) break;
  }
  return home >= cap_ ? 0 : uint64_t(home) << shift_;
}

size_t SetValue::RecountMemoryBytes() const {
  if (!data_) return 0;
  size_t n = UsableSize(data_);
  if (kind_ == Kind::kHashtable) {
    const auto* slots = reinterpret_cast<const uint64_t*>(data_);
    for (size_t i = 0; i < cap_; ++i) {
      if (slots[i]) n += UsableSize(MemberPtr(slots[i]));
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
      case Kind::kListpack:
        ok = set->ListpackFind(m) == kNpos;
        if (ok) set->ListpackAppend(m);
        break;
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
