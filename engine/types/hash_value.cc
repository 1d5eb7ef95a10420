// HashValue (see hash_value.h).
//
// Listpack: the 16-byte header and the records back to back in one allocation sized exactly to
// them, in insertion order. Changing a field's value rewrites its record in place (moving what
// follows when the size changes), so the field keeps its position; deleting closes the gap. This is
// the order Redis's listpack hashes show in HGETALL.
//
// Table: the header, TableExtra, then open addressing with linear probing over a power-of-two
// array of 64-bit slots. A slot
// holds the node pointer in its low 48 bits and the top 16 bits of the field's hash as a tag, so
// most mismatches are rejected without touching the node. A field's home slot is hash & mask.
// The table grows (doubling) past 7/8 full and shrinks below 1/8. Deletion shifts later members
// of the probe run back (no tombstones), which keeps the invariant "no empty slot between a
// field's home and its slot"; the scan relies on it: every field of home h lies in the run of
// occupied slots that starts at h. Per field the table costs one node (the record rounded up to
// the allocator's size class) plus 8 / load-factor bytes of slots.
//
// Sharded table: when a table would grow past kMaxTableSlots slots (at about 57K fields) its
// fields are dealt out to 256 tables by 8 bits of their hash that neither the home slot nor the
// tag uses, and each of those grows and shrinks on its own: a resize then moves a 256th of the
// fields (at 1M fields, about 4K), where one table would move them all in one command. The
// sharded table keeps the totals (size, TTL fields, bytes, earliest TTL) and passes every
// operation to the sub-table of the field.
//
// Memory: a listpack is one allocation (its usable size); a table keeps the sum of its own
// allocation and its nodes in TableExtra::bytes, following every allocation and free.

#include "engine/types/hash_value.h"

#include <cstring>
#include <new>
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

// ---- lifetime ----

HashValue* HashValue::New() {
  void* mem = AllocBytes(sizeof(HashValue));
  CHECK(mem != nullptr);
  return new (mem) HashValue();
}

HashValue* HashValue::NewTable(size_t cap) {
  void* mem = ZallocBytes(TableAllocBytes(cap));
  CHECK(mem != nullptr);
  auto* h = new (mem) HashValue();
  h->enc_ = Enc::kTable;
  h->used_or_cap_ = static_cast<uint32_t>(cap);
  h->extra()->bytes = UsableSize(h);
  h->extra()->next_expire = INT64_MAX;
  return h;
}

void HashValue::Free(HashValue* h) {
  if (h->enc_ == Enc::kSharded) {
    for (size_t i = 0; i < kSubTables; ++i) Free(h->subs()[i]);
  } else if (h->enc_ == Enc::kTable) {
    const uint64_t* sl = h->slots();
    for (size_t i = 0; i < h->used_or_cap_; ++i)
      if (sl[i]) FreeBytes(SlotPtr(sl[i]));
  }
  FreeBytes(h);
}

HashValue* HashValue::Clone(const HashValue* from) {
  if (from->enc_ == Enc::kSharded) {
    size_t n = TableAllocBytes(kSubTables);
    auto* h = static_cast<HashValue*>(AllocBytes(n));
    CHECK(h != nullptr);
    std::memcpy(static_cast<void*>(h), from, n);
    for (size_t i = 0; i < kSubTables; ++i) h->subs()[i] = Clone(from->subs()[i]);
    return h;  // the same sizes: bytes, counts and earliest TTL carry over as copied
  }
  if (from->enc_ == Enc::kListpack) {
    size_t n = sizeof(HashValue) + from->used_or_cap_;
    auto* h = static_cast<HashValue*>(AllocBytes(n));
    CHECK(h != nullptr);
    std::memcpy(static_cast<void*>(h), from, n);
    return h;
  }
  size_t cap = from->used_or_cap_;
  HashValue* h = NewTable(cap);
  h->size_ = from->size_;
  h->ttl_fields_ = from->ttl_fields_;
  h->extra()->next_expire = from->extra()->next_expire;
  const uint64_t* src = from->slots();
  uint64_t* dst = h->slots();
  for (size_t i = 0; i < cap; ++i) {
    if (!src[i]) continue;
    size_t len;
    Decode(SlotPtr(src[i]), &len);
    auto* node = static_cast<char*>(AllocBytes(len));
    CHECK(node != nullptr);
    std::memcpy(node, SlotPtr(src[i]), len);
    h->extra()->bytes += UsableSize(node);
    dst[i] = (src[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
  }
  return h;
}

size_t HashValue::MemoryBytes() const {
  return enc_ == Enc::kListpack ? UsableSize(this) : extra()->bytes;
}

size_t HashValue::table_capacity() const {
  if (enc_ == Enc::kTable) return used_or_cap_;
  if (enc_ != Enc::kSharded) return 0;
  size_t n = 0;
  for (size_t i = 0; i < kSubTables; ++i) n += subs()[i]->used_or_cap_;
  return n;
}

size_t HashValue::RecountMemoryBytes() const {
  size_t n = UsableSize(this);
  if (enc_ == Enc::kSharded) {
    for (size_t i = 0; i < kSubTables; ++i) n += subs()[i]->RecountMemoryBytes();
  } else if (enc_ == Enc::kTable) {
    const uint64_t* sl = slots();
    for (size_t i = 0; i < used_or_cap_; ++i)
      if (sl[i]) n += UsableSize(SlotPtr(sl[i]));
  }
  return n;
}

// ---- TTL bookkeeping ----

void HashValue::NoteTtl(int64_t old_at, int64_t new_at) {
  if (old_at && !new_at) --ttl_fields_;
  if (!old_at && new_at) ++ttl_fields_;
  if (enc_ != Enc::kTable) return;  // a listpack finds its earliest TTL by scanning
  int64_t& next = extra()->next_expire;
  if (ttl_fields_ == 0) {
    next = INT64_MAX;
  } else if (new_at && new_at < next) {
    next = new_at;
  }
}

bool HashValue::HasExpired(int64_t now_ms) const {
  if (ttl_fields_ == 0) return false;
  if (enc_ != Enc::kListpack) return now_ms > extra()->next_expire;
  bool any = false;
  ForEach([&](const Field& f) { any = any || (f.expire_at && now_ms > f.expire_at); });
  return any;
}

// ---- listpack ----

size_t HashValue::LpFind(std::string_view field, size_t* rec_len) const {
  const char* recs = records();
  size_t off = 0;
  while (off < used_or_cap_) {
    Field f = Decode(recs + off, rec_len);
    if (f.field == field) return off;
    off += *rec_len;
  }
  return SIZE_MAX;
}

HashValue* HashValue::LpResize(size_t off, size_t old_len, size_t new_len) {
  size_t used = used_or_cap_;
  size_t new_used = used - old_len + new_len;
  size_t tail = used - off - old_len;
  HashValue* h = this;
  if (new_len < old_len) std::memmove(records() + off + new_len, records() + off + old_len, tail);
  if (new_used != used) {
    h = static_cast<HashValue*>(ReallocBytes(this, sizeof(HashValue) + new_used));
    CHECK(h != nullptr);
    h->used_or_cap_ = static_cast<uint32_t>(new_used);
  }
  if (new_len > old_len) {
    std::memmove(h->records() + off + new_len, h->records() + off + old_len, tail);
  }
  return h;
}

// ---- table ----

char* HashValue::NewNode(std::string_view f, std::string_view v, int64_t expire_at) {
  size_t len = RecordSize(f, v, expire_at != 0);
  auto* node = static_cast<char*>(AllocBytes(len));
  CHECK(node != nullptr && (reinterpret_cast<uint64_t>(node) & ~kPtrMask) == 0);
  WriteRecord(node, f, v, expire_at);
  extra()->bytes += UsableSize(node);
  return node;
}

void HashValue::FreeNode(char* node) {
  extra()->bytes -= UsableSize(node);
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

HashValue* HashValue::TableResize(size_t new_cap) {
  HashValue* n = NewTable(new_cap);
  n->size_ = size_;
  n->ttl_fields_ = ttl_fields_;
  n->extra()->next_expire = extra()->next_expire;
  n->extra()->bytes += extra()->bytes - UsableSize(this);  // the nodes move over
  // Each field's hash is recomputed from its node: the nodes are read in slot order, which is
  // random in memory, so the ones a few slots ahead are fetched early.
  const uint64_t* old = slots();
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < used_or_cap_; ++i) {
    if (i + kAhead < used_or_cap_ && old[i + kAhead]) __builtin_prefetch(SlotPtr(old[i + kAhead]));
    if (!old[i]) continue;
    size_t len;
    n->TablePlace(old[i], HashOf(Decode(SlotPtr(old[i]), &len).field));
  }
  FreeBytes(this);
  return n;
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

HashValue* HashValue::ConvertToTable() {
  if (enc_ != Enc::kListpack) return this;
  size_t cap = 8;
  while (size_t(size_) * 8 > cap * 7) cap *= 2;
  HashValue* t = NewTable(cap);
  t->size_ = size_;
  t->ttl_fields_ = ttl_fields_;
  ForEach([&](const Field& f) {
    uint64_t h = HashOf(f.field);
    char* node = t->NewNode(f.field, f.value, f.expire_at);
    t->TablePlace((h & ~kPtrMask) | reinterpret_cast<uint64_t>(node), h);
    if (f.expire_at && f.expire_at < t->extra()->next_expire) t->extra()->next_expire = f.expire_at;
  });
  FreeBytes(this);
  return t;
}

// ---- sharded table ----

HashValue* HashValue::ConvertToSharded() {
  void* mem = AllocBytes(TableAllocBytes(kSubTables));
  CHECK(mem != nullptr);
  auto* n = new (mem) HashValue();
  n->enc_ = Enc::kSharded;
  n->size_ = size_;
  n->ttl_fields_ = ttl_fields_;
  n->extra()->next_expire = extra()->next_expire;
  // Size each sub-table for its share first, then move the nodes (not copies) into them.
  std::vector<uint64_t> hashes(used_or_cap_, 0);
  size_t counts[kSubTables] = {};
  const uint64_t* sl = slots();
  for (size_t i = 0; i < used_or_cap_; ++i) {
    if (!sl[i]) continue;
    size_t len;
    hashes[i] = HashOf(Decode(SlotPtr(sl[i]), &len).field);
    ++counts[SubIndex(hashes[i])];
  }
  for (size_t j = 0; j < kSubTables; ++j) {
    size_t cap = 8;
    while ((counts[j] + 1) * 8 > cap * 7) cap *= 2;
    n->subs()[j] = NewTable(cap);
  }
  for (size_t i = 0; i < used_or_cap_; ++i) {
    if (!sl[i]) continue;
    HashValue* sub = n->subs()[SubIndex(hashes[i])];
    sub->TablePlace(sl[i], hashes[i]);
    ++sub->size_;
    size_t len;
    int64_t at = Decode(SlotPtr(sl[i]), &len).expire_at;
    if (at) {
      ++sub->ttl_fields_;
      if (at < sub->extra()->next_expire) sub->extra()->next_expire = at;
    }
    sub->extra()->bytes += UsableSize(SlotPtr(sl[i]));
  }
  n->extra()->bytes = UsableSize(n);
  for (size_t j = 0; j < kSubTables; ++j) n->extra()->bytes += n->subs()[j]->extra()->bytes;
  FreeBytes(this);  // the slots only: the nodes now belong to the sub-tables
  return n;
}

template <typename Op>
void HashValue::OnSub(size_t i, Op&& op) {
  HashValue*& sub = subs()[i];
  size_t bytes = sub->extra()->bytes, size = sub->size_, ttls = sub->ttl_fields_;
  op(sub);
  extra()->bytes += sub->extra()->bytes - bytes;
  size_ = size_ + sub->size_ - size;
  ttl_fields_ = ttl_fields_ + sub->ttl_fields_ - ttls;
  if (ttl_fields_ == 0) {
    extra()->next_expire = INT64_MAX;
  } else if (sub->extra()->next_expire < extra()->next_expire) {
    extra()->next_expire = sub->extra()->next_expire;
  }
}

// ---- operations ----

bool HashValue::Find(std::string_view field, Field* out) const {
  size_t len;
  if (enc_ == Enc::kListpack) {
    size_t off = LpFind(field, &len);
    if (off == SIZE_MAX) return false;
    if (out) *out = Decode(records() + off, &len);
    return true;
  }
  if (size_ == 0) return false;
  uint64_t hash = HashOf(field);
  if (enc_ == Enc::kSharded) return subs()[SubIndex(hash)]->Find(field, out);
  size_t i = TableFind(field, hash);
  if (i == SIZE_MAX) return false;
  if (out) *out = Decode(SlotPtr(slots()[i]), &len);
  return true;
}

HashValue* HashValue::Set(std::string_view field, std::string_view value, bool keep_ttl,
                          bool* inserted) {
  if (enc_ == Enc::kListpack) {
    size_t old_len = 0;
    size_t off = LpFind(field, &old_len);
    int64_t old_at = off == SIZE_MAX ? 0 : Decode(records() + off, &old_len).expire_at;
    int64_t at = keep_ttl ? old_at : 0;
    size_t len = RecordSize(field, value, at != 0);
    // A listpack's lengths are 32-bit: a huge one becomes a table (Redis: lpSafeToAdd).
    if (size_t(used_or_cap_) + len > (size_t(1) << 30)) {
      return ConvertToTable()->Set(field, value, keep_ttl, inserted);
    }
    *inserted = off == SIZE_MAX;
    if (*inserted) {
      off = used_or_cap_;
      old_len = 0;
      ++size_;
    }
    HashValue* h = LpResize(off, old_len, len);
    WriteRecord(h->records() + off, field, value, at);
    h->NoteTtl(old_at, at);
    return h;
  }
  uint64_t hash = HashOf(field);
  if (enc_ == Enc::kSharded) {
    OnSub(SubIndex(hash),
          [&](HashValue*& sub) { sub = sub->Set(field, value, keep_ttl, inserted); });
    return this;
  }
  size_t i = size_ ? TableFind(field, hash) : SIZE_MAX;
  *inserted = i == SIZE_MAX;
  if (!*inserted) {
    uint64_t* sl = slots();
    char* old = SlotPtr(sl[i]);
    size_t old_len;
    int64_t old_at = Decode(old, &old_len).expire_at;
    int64_t at = keep_ttl ? old_at : 0;
    char* node = NewNode(field, value, at);
    sl[i] = (sl[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
    FreeNode(old);
    NoteTtl(old_at, at);
    return this;
  }
  HashValue* h = this;
  if ((size_t(size_) + 1) * 8 > size_t(used_or_cap_) * 7) {
    if (size_t(used_or_cap_) * 2 > kMaxTableSlots) {
      return ConvertToSharded()->Set(field, value, keep_ttl, inserted);
    }
    h = TableResize(used_or_cap_ * 2);
  }
  char* node = h->NewNode(field, value, 0);
  h->TablePlace((hash & ~kPtrMask) | reinterpret_cast<uint64_t>(node), hash);
  ++h->size_;
  return h;
}

HashValue* HashValue::Delete(std::string_view field, bool* deleted) {
  size_t len;
  *deleted = false;
  if (enc_ == Enc::kListpack) {
    size_t off = LpFind(field, &len);
    if (off == SIZE_MAX) return this;
    NoteTtl(Decode(records() + off, &len).expire_at, 0);
    --size_;
    *deleted = true;
    return LpResize(off, len, 0);
  }
  if (size_ == 0) return this;
  uint64_t hash = HashOf(field);
  if (enc_ == Enc::kSharded) {
    OnSub(SubIndex(hash), [&](HashValue*& sub) { sub = sub->Delete(field, deleted); });
    return this;
  }
  size_t i = TableFind(field, hash);
  if (i == SIZE_MAX) return this;
  char* node = SlotPtr(slots()[i]);
  NoteTtl(Decode(node, &len).expire_at, 0);
  TableErase(i);
  FreeNode(node);
  --size_;
  *deleted = true;
  if (used_or_cap_ > 8 && size_t(size_) * 8 < used_or_cap_) {
    size_t cap = 8;
    while (size_t(size_) * 2 > cap) cap *= 2;
    return TableResize(cap);
  }
  return this;
}

HashValue* HashValue::SetExpire(std::string_view field, int64_t at_ms, bool* found) {
  if (enc_ == Enc::kSharded) {
    *found = false;
    if (size_ == 0) return this;
    OnSub(SubIndex(HashOf(field)),
          [&](HashValue*& sub) { sub = sub->SetExpire(field, at_ms, found); });
    return this;
  }
  Field f;
  *found = Find(field, &f);
  if (!*found || f.expire_at == at_ms) return this;
  if ((f.expire_at != 0) == (at_ms != 0)) {
    // Same record size: patch the 8 bytes in place.
    size_t len;
    char* rec = enc_ == Enc::kListpack ? records() + LpFind(field, &len)
                                       : SlotPtr(slots()[TableFind(field, HashOf(field))]);
    Decode(rec, &len);
    std::memcpy(rec + len - 8, &at_ms, 8);
    NoteTtl(f.expire_at, at_ms);
    return this;
  }
  std::string name(field), value(f.value);  // f points into the record about to move
  HashValue* h = this;
  if (enc_ == Enc::kListpack) {
    size_t len;
    size_t off = LpFind(name, &len);
    h = LpResize(off, len, RecordSize(name, value, at_ms != 0));
    WriteRecord(h->records() + off, name, value, at_ms);
  } else {
    uint64_t* sl = slots();
    size_t i = TableFind(name, HashOf(name));
    char* old = SlotPtr(sl[i]);
    char* node = NewNode(name, value, at_ms);
    sl[i] = (sl[i] & ~kPtrMask) | reinterpret_cast<uint64_t>(node);
    FreeNode(old);
  }
  h->NoteTtl(f.expire_at, at_ms);
  return h;
}

HashValue* HashValue::DeleteExpired(int64_t now_ms, size_t* count) {
  if (count) *count = 0;
  if (!HasExpired(now_ms)) return this;
  if (enc_ == Enc::kSharded) {
    size_t before = size_;
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < kSubTables; ++i) {
      if (subs()[i]->HasExpired(now_ms)) {
        OnSub(i, [&](HashValue*& sub) { sub = sub->DeleteExpired(now_ms, nullptr); });
      }
      if (subs()[i]->ttl_fields_ && subs()[i]->extra()->next_expire < next) {
        next = subs()[i]->extra()->next_expire;
      }
    }
    extra()->next_expire = ttl_fields_ ? next : INT64_MAX;
    if (count) *count = before - size_;
    return this;
  }
  std::vector<std::string> gone;
  int64_t next = INT64_MAX;
  ForEach([&](const Field& f) {
    if (!f.expire_at) return;
    if (now_ms > f.expire_at)
      gone.emplace_back(f.field);
    else if (f.expire_at < next)
      next = f.expire_at;
  });
  HashValue* h = this;
  for (const std::string& f : gone) {
    bool deleted;
    h = h->Delete(f, &deleted);
  }
  if (h->enc_ != Enc::kListpack) h->extra()->next_expire = h->ttl_fields_ ? next : INT64_MAX;
  if (count) *count = gone.size();
  return h;
}

HashValue::Field HashValue::RandomField(uint64_t r) const {
  size_t len;
  if (enc_ == Enc::kListpack) {
    size_t index = r % size_, off = 0;
    const char* recs = records();
    for (size_t i = 0; i < index; ++i) {
      Decode(recs + off, &len);
      off += len;
    }
    return Decode(recs + off, &len);
  }
  if (enc_ == Enc::kSharded) {
    // The field of rank r % size in sub-table order: uniform over all fields.
    size_t rank = r % size_;
    for (size_t i = 0;; ++i) {
      if (rank < subs()[i]->size_) return subs()[i]->RandomField(r * 0x9E3779B97F4A7C15ull + i);
      rank -= subs()[i]->size_;
    }
  }
  // Each field occupies one slot, so a random occupied slot is a uniform pick.
  const uint64_t* sl = slots();
  for (;;) {
    size_t i = (r >> 7) & (used_or_cap_ - 1);
    if (sl[i]) return Decode(SlotPtr(sl[i]), &len);
    r = r * 6364136223846793005ull + 1442695040888963407ull;
  }
}

}  // namespace aegisr
