// HashValue (see hash_value.h).
//
// Listpack: the records sit back to back in one allocation sized exactly to them, in insertion
// order. Changing a field's value rewrites its record in place (moving what follows when the
// size changes), so the field keeps its position; deleting closes the gap. This is the order
// Redis's listpack hashes show in HGETALL.
//
// Table: open addressing with linear probing over a power-of-two array of 64-bit slots. A slot
// holds the node pointer in its low 48 bits and the top 16 bits of the field's hash as a tag, so
// most mismatches are rejected without touching the node. A field's home slot is hash & mask.
// The table grows (doubling) past 7/8 full and shrinks below 1/8. Deletion shifts later members
// of the probe run back (no tombstones), which keeps the invariant "no empty slot between a
// field's home and its slot"; the scan relies on it: every field of home h lies in the run of
// occupied slots that starts at h. Per field the table costs one node (the record rounded up to
// the allocator's size class) plus 8 / load-factor bytes of slots.
//
// Memory: bytes_ follows every allocation and free by its usable size.

#include "engine/types/hash_value.h"

#include <cstring>
#include <string>
#include <vector>

#include "base/alloc.h"
#include "base/hash.h"
#include "base/logging.h"
#include "base/varint.h"

namespace aegisr {

static_assert(sizeof(void*) == 8, "the table packs a 48-bit pointer and a 16-bit tag");

uint64_t HashValue::HashOf(std::string_view field) { return HashBytes(field); }

HashValue::Field HashValue::Decode(const char* p, size_t* rec_len) {
  uint32_t n;
  uint64_t h = GetVarint(p, &n);
  size_t off = n;
  Field f;
  f.field = {p + off, size_t(h >> 1)};
  off += h >> 1;
  uint64_t vlen = GetVarint(p + off, &n);
  off += n;
  f.value = {p + off, size_t(vlen)};
  off += vlen;
  f.expire_at = 0;
  if (h & 1) {
    std::memcpy(&f.expire_at, p + off, 8);
    off += 8;
  }
  *rec_len = off;
  return f;
}

size_t HashValue::RecordSize(std::string_view f, std::string_view v, bool ttl) {
  return VarintSize(f.size() * 2 + 1) + f.size() + VarintSize(v.size()) + v.size() + (ttl ? 8 : 0);
}

void HashValue::WriteRecord(char* p, std::string_view f, std::string_view v, int64_t expire_at) {
  p += PutVarint(p, f.size() * 2 + (expire_at ? 1 : 0));
  if (!f.empty()) std::memcpy(p, f.data(), f.size());
  p += f.size();
  p += PutVarint(p, v.size());
  if (!v.empty()) std::memcpy(p, v.data(), v.size());
  p += v.size();
  if (expire_at) std::memcpy(p, &expire_at, 8);
}

HashValue::HashValue(const HashValue& other)
    : size_(other.size_),
      next_expire_(other.next_expire_),
      ttl_fields_(other.ttl_fields_),
      enc_(other.enc_) {
  if (enc_ == Enc::kListpack) {
    if (other.used_or_cap_) {
      data_ = static_cast<char*>(AllocBytes(other.used_or_cap_));
      std::memcpy(data_, other.data_, other.used_or_cap_);
      used_or_cap_ = other.used_or_cap_;
      bytes_ += UsableSize(data_);
    }
    return;
  }
  size_t cap = other.used_or_cap_;
  auto* sl = static_cast<uint64_t*>(ZallocBytes(cap * 8));
  SetTableData(sl, cap);
  const uint64_t* from = other.slots();
  for (size_t i = 0; i < cap; ++i) {
    if (!from[i]) continue;
    size_t len;
    Decode(SlotPtr(from[i]), &len);
    auto* node = static_cast<char*>(AllocBytes(len));
    std::memcpy(node, SlotPtr(from[i]), len);
    bytes_ += UsableSize(node);
    sl[i] = (from[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
  }
}

HashValue::~HashValue() {
  if (enc_ == Enc::kTable) {
    for (size_t i = 0; i < used_or_cap_; ++i)
      if (slots()[i]) FreeBytes(SlotPtr(slots()[i]));
  }
  if (data_) FreeBytes(data_);
}

size_t HashValue::RecountMemoryBytes() const {
  size_t n = sizeof(HashValue);
  if (data_) n += UsableSize(data_);
  if (enc_ == Enc::kTable) {
    for (size_t i = 0; i < used_or_cap_; ++i)
      if (slots()[i]) n += UsableSize(SlotPtr(slots()[i]));
  }
  return n;
}

void HashValue::NoteTtl(int64_t old_at, int64_t new_at) {
  if (old_at && !new_at) --ttl_fields_;
  if (!old_at && new_at) ++ttl_fields_;
  if (ttl_fields_ == 0) {
    next_expire_ = INT64_MAX;
  } else if (new_at && new_at < next_expire_) {
    next_expire_ = new_at;
  }
}

// ---- listpack ----

size_t HashValue::LpFind(std::string_view field, size_t* rec_len) const {
  size_t off = 0;
  while (off < used_or_cap_) {
    Field f = Decode(data_ + off, rec_len);
    if (f.field == field) return off;
    off += *rec_len;
  }
  return SIZE_MAX;
}

char* HashValue::LpResize(size_t off, size_t old_len, size_t new_len) {
  size_t used = used_or_cap_;
  size_t new_used = used - old_len + new_len;
  size_t tail = used - off - old_len;
  if (new_len < old_len) std::memmove(data_ + off + new_len, data_ + off + old_len, tail);
  if (new_used != used) {
    if (data_) bytes_ -= UsableSize(data_);
    if (new_used == 0) {
      FreeBytes(data_);
      data_ = nullptr;
    } else {
      data_ = static_cast<char*>(ReallocBytes(data_, new_used));
      CHECK(data_ != nullptr);
      bytes_ += UsableSize(data_);
    }
    used_or_cap_ = static_cast<uint32_t>(new_used);
  }
  if (new_len > old_len) std::memmove(data_ + off + new_len, data_ + off + old_len, tail);
  return data_ + off;
}

// ---- table ----

void HashValue::SetTableData(uint64_t* sl, size_t cap) {
  data_ = reinterpret_cast<char*>(sl);
  used_or_cap_ = static_cast<uint32_t>(cap);
  bytes_ += UsableSize(sl);
}

char* HashValue::NewNode(std::string_view f, std::string_view v, int64_t expire_at) {
  size_t len = RecordSize(f, v, expire_at != 0);
  auto* node = static_cast<char*>(AllocBytes(len));
  CHECK(node != nullptr && (reinterpret_cast<uint64_t>(node) & ~kPtrMask) == 0);
  WriteRecord(node, f, v, expire_at);
  bytes_ += UsableSize(node);
  return node;
}

void HashValue::FreeNode(char* node) {
  bytes_ -= UsableSize(node);
  FreeBytes(node);
}

size_t HashValue::TableFind(std::string_view field, uint64_t h) const {
  const uint64_t* sl = slots();
  uint64_t mask = used_or_cap_ - 1;
  uint64_t tag = h & ~kPtrMask;
  for (size_t i = h & mask; sl[i]; i = (i + 1) & mask) {
    if ((sl[i] & ~kPtrMask) != tag) continue;
    size_t len;
    if (Decode(SlotPtr(sl[i]), &len).field == field) return i;
  }
  return SIZE_MAX;
}

void HashValue::TablePlace(uint64_t slot_value, uint64_t h) {
  uint64_t* sl = slots();
  uint64_t mask = used_or_cap_ - 1;
  size_t i = h & mask;
  while (sl[i]) i = (i + 1) & mask;
  sl[i] = slot_value;
}

void HashValue::TableResize(size_t new_cap) {
  uint64_t* old = slots();
  size_t old_cap = used_or_cap_;
  if (old) bytes_ -= UsableSize(old);
  auto* sl = static_cast<uint64_t*>(ZallocBytes(new_cap * 8));
  CHECK(sl != nullptr);
  SetTableData(sl, new_cap);
  for (size_t i = 0; i < old_cap; ++i) {
    if (!old[i]) continue;
    size_t len;
    TablePlace(old[i], HashOf(Decode(SlotPtr(old[i]), &len).field));
  }
  if (old) FreeBytes(old);
}

void HashValue::TableErase(size_t i) {
  uint64_t* sl = slots();
  uint64_t mask = used_or_cap_ - 1;
  size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!sl[j]) break;
    size_t len;
    size_t k = HashOf(Decode(SlotPtr(sl[j]), &len).field) & mask;
    // The member at j may move to the hole at i only if its home k is not in (i, j].
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    sl[i] = sl[j];
    i = j;
  }
  sl[i] = 0;
}

void HashValue::ConvertToTable() {
  if (enc_ == Enc::kTable) return;
  char* lp = data_;
  size_t used = used_or_cap_;
  size_t cap = 8;
  while (size_t(size_) * 8 > cap * 7) cap *= 2;
  if (lp) bytes_ -= UsableSize(lp);
  enc_ = Enc::kTable;
  auto* sl = static_cast<uint64_t*>(ZallocBytes(cap * 8));
  CHECK(sl != nullptr);
  SetTableData(sl, cap);
  size_t off = 0;
  while (off < used) {
    size_t len;
    Field f = Decode(lp + off, &len);
    uint64_t h = HashOf(f.field);
    char* node = NewNode(f.field, f.value, f.expire_at);
    TablePlace((h & ~kPtrMask) | reinterpret_cast<uint64_t>(node), h);
    off += len;
  }
  if (lp) FreeBytes(lp);
}

// ---- operations ----

bool HashValue::Find(std::string_view field, Field* out) const {
  size_t len;
  if (enc_ == Enc::kListpack) {
    size_t off = LpFind(field, &len);
    if (off == SIZE_MAX) return false;
    if (out) *out = Decode(data_ + off, &len);
    return true;
  }
  if (size_ == 0) return false;
  size_t i = TableFind(field, HashOf(field));
  if (i == SIZE_MAX) return false;
  if (out) *out = Decode(SlotPtr(slots()[i]), &len);
  return true;
}

bool HashValue::Set(std::string_view field, std::string_view value, bool keep_ttl) {
  if (enc_ == Enc::kListpack) {
    size_t old_len = 0;
    size_t off = LpFind(field, &old_len);
    int64_t old_at = off == SIZE_MAX ? 0 : Decode(data_ + off, &old_len).expire_at;
    int64_t at = keep_ttl ? old_at : 0;
    size_t len = RecordSize(field, value, at != 0);
    // A listpack's offsets are 32-bit: a huge one becomes a table (Redis: lpSafeToAdd).
    if (size_t(used_or_cap_) + len > (size_t(1) << 30)) {
      ConvertToTable();
      return Set(field, value, keep_ttl);
    }
    bool inserted = off == SIZE_MAX;
    if (inserted) {
      off = used_or_cap_;
      old_len = 0;
      ++size_;
    }
    WriteRecord(LpResize(off, old_len, len), field, value, at);
    NoteTtl(old_at, at);
    return inserted;
  }
  uint64_t h = HashOf(field);
  size_t i = size_ ? TableFind(field, h) : SIZE_MAX;
  if (i != SIZE_MAX) {
    char* old = SlotPtr(slots()[i]);
    size_t old_len;
    int64_t old_at = Decode(old, &old_len).expire_at;
    int64_t at = keep_ttl ? old_at : 0;
    char* node = NewNode(field, value, at);
    slots()[i] = (slots()[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
    FreeNode(old);
    NoteTtl(old_at, at);
    return false;
  }
  if ((size_t(size_) + 1) * 8 > size_t(used_or_cap_) * 7) TableResize(used_or_cap_ * 2);
  char* node = NewNode(field, value, 0);
  TablePlace((h & ~kPtrMask) | reinterpret_cast<uint64_t>(node), h);
  ++size_;
  return true;
}

bool HashValue::Delete(std::string_view field) {
  size_t len;
  if (enc_ == Enc::kListpack) {
    size_t off = LpFind(field, &len);
    if (off == SIZE_MAX) return false;
    NoteTtl(Decode(data_ + off, &len).expire_at, 0);
    LpResize(off, len, 0);
    --size_;
    return true;
  }
  if (size_ == 0) return false;
  size_t i = TableFind(field, HashOf(field));
  if (i == SIZE_MAX) return false;
  char* node = SlotPtr(slots()[i]);
  NoteTtl(Decode(node, &len).expire_at, 0);
  TableErase(i);
  FreeNode(node);
  --size_;
  if (used_or_cap_ > 8 && size_t(size_) * 8 < used_or_cap_) {
    size_t cap = 8;
    while (size_t(size_) * 2 > cap) cap *= 2;
    TableResize(cap);
  }
  return true;
}

bool HashValue::SetExpire(std::string_view field, int64_t at_ms) {
  Field f;
  if (!Find(field, &f)) return false;
  if (f.expire_at == at_ms) return true;
  if ((f.expire_at != 0) == (at_ms != 0)) {
    // Same record size: patch the 8 bytes in place.
    size_t len;
    char* rec;
    if (enc_ == Enc::kListpack) {
      rec = data_ + LpFind(field, &len);
    } else {
      rec = SlotPtr(slots()[TableFind(field, HashOf(field))]);
    }
    Decode(rec, &len);
    std::memcpy(rec + len - 8, &at_ms, 8);
    NoteTtl(f.expire_at, at_ms);
    return true;
  }
  std::string value(f.value);
  if (enc_ == Enc::kListpack) {
    size_t len;
    size_t off = LpFind(field, &len);
    std::string name(field);
    WriteRecord(LpResize(off, len, RecordSize(name, value, at_ms != 0)), name, value, at_ms);
  } else {
    size_t i = TableFind(field, HashOf(field));
    char* old = SlotPtr(slots()[i]);
    char* node = NewNode(field, value, at_ms);
    slots()[i] = (slots()[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
    FreeNode(old);
  }
  NoteTtl(f.expire_at, at_ms);
  return true;
}

size_t HashValue::DeleteExpired(int64_t now_ms) {
  if (!HasExpired(now_ms)) return 0;
  std::vector<std::string> gone;
  int64_t next = INT64_MAX;
  ForEach([&](const Field& f) {
    if (!f.expire_at) return;
    if (now_ms > f.expire_at)
      gone.emplace_back(f.field);
    else if (f.expire_at < next)
      next = f.expire_at;
  });
  for (const std::string& f : gone) Delete(f);
  next_expire_ = ttl_fields_ ? next : INT64_MAX;
  return gone.size();
}

HashValue::Field HashValue::RandomField(uint64_t r) const {
  size_t len;
  if (enc_ == Enc::kListpack) {
    size_t index = r % size_, off = 0;
    for (size_t i = 0; i < index; ++i) {
      Decode(data_ + off, &len);
      off += len;
    }
    return Decode(data_ + off, &len);
  }
  // Each field occupies one slot, so a random occupied slot is a uniform pick.
  const uint64_t* sl = slots();
  for (;;) {
    size_t i = r & (used_or_cap_ - 1);
    if (sl[i]) return Decode(SlotPtr(sl[i]), &len);
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    r ^= r >> 29;
  }
}

}  // namespace aegisr
