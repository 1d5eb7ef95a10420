#pragma once
// HashValue: the value of a hash key, one allocation in one of two encodings, as Redis's
// listpack and hashtable:
//  - listpack: a 16-byte header, then the records back to back in insertion order (a small
//    hash; lookups are linear);
//  - table: the header, the table's bookkeeping, then an open-addressing array (linear probing)
//    of pointers, each to one allocation holding a record;
//  - sharded table: a big hash (over kMaxTableSlots slots) is 256 tables chosen by hash bits,
//    each growing on its own, so that no single resize moves more than a 256th of the fields.
//    OBJECT ENCODING calls both tables "hashtable".
// A record is [varint flen*2 + has_ttl][field][varint vlen][value][int64 expire_at, if has_ttl],
// the same bytes in both encodings. A field's TTL (HEXPIRE, Redis 7.4) is an absolute Unix time
// in milliseconds; fields without one pay nothing for it.
//
// Because the header and the data share one allocation, every change may move the hash: the
// changing functions return the hash's address after the change (the caller stores it where it
// kept the old one) and the old address is then invalid. Conversion is one way (listpack to
// table), decided by the caller (the family knows the config thresholds).
// Not thread-safe: used under the lock of the shard that holds its key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace/table.h"  // ReverseBits

namespace aegisr {

class HashValue {
 public:
  enum class Enc : uint8_t { kListpack = 0, kTable = 1, kSharded = 2 };
  // A table that would grow past this many slots becomes a sharded table.
  static constexpr size_t kMaxTableSlots = size_t(1) << 16;
  static constexpr size_t kSubTables = 256;

  // One field as stored; views valid until the next change.
  struct Field {
    std::string_view field;
    std::string_view value;
    int64_t expire_at;  // 0: no TTL
  };

  // An empty listpack hash; Free releases a hash and everything it owns; Clone deep-copies (same
  // encoding and order).
  static HashValue* New();
  static void Free(HashValue* h);
  static HashValue* Clone(const HashValue* h);
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  Enc encoding() const { return enc_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of records of a listpack (0 for a table).
  size_t listpack_bytes() const { return enc_ == Enc::kListpack ? used_or_cap_ : 0; }
  // Slots of the table, or of all the sub-tables (0 for a listpack).
  size_t table_capacity() const;
  bool is_table() const { return enc_ != Enc::kListpack; }

  // Bytes owned (allocations' usable sizes), O(1); RecountMemoryBytes counts them from scratch
  // (tests compare the two).
  size_t MemoryBytes() const;
  size_t RecountMemoryBytes() const;

  // Looks a field up (expired or not: the caller sweeps first).
  bool Find(std::string_view field, Field* out) const;
  bool Contains(std::string_view field) const { return Find(field, nullptr); }

  // Fields with a TTL; whether any of them has passed (now > expire_at). O(1) for a table and
  // for a hash without TTLs, a scan of the records for a listpack with some.
  size_t ttl_fields() const { return ttl_fields_; }
  bool HasExpired(int64_t now_ms) const;

  // ---- changes: each returns the hash's (maybe new) address ----

  // Sets field to value; *inserted tells whether the field is new. keep_ttl: an existing field
  // keeps its TTL (HINCRBY), else it loses it (HSET). field and value must not point into this
  // hash.
  HashValue* Set(std::string_view field, std::string_view value, bool keep_ttl, bool* inserted);
  // Removes field; *deleted tells whether it was there.
  HashValue* Delete(std::string_view field, bool* deleted);
  // Sets (at_ms > 0) or removes (0) a field's TTL; *found tells whether the field exists.
  HashValue* SetExpire(std::string_view field, int64_t at_ms, bool* found);
  // Removes every field whose TTL has passed (now > expire_at); *count how many (may be null).
  HashValue* DeleteExpired(int64_t now_ms, size_t* count);
  // Listpack to table (no-op for a table or a sharded table).
  HashValue* ConvertToTable();

  // Calls fn(const Field&) for every field: insertion order for a listpack, slot order for a
  // table.
  template <typename Fn>
  void ForEach(Fn&& fn) const;

  // Table scan with Redis's reverse-binary cursor over home slots: calls fn(const Field&) for
  // the fields whose home slot is `cursor` and returns the next cursor (0: done). A field present
  // for a whole scan is returned at least once, across growth and shrinking. A sharded table's
  // cursor holds the sub-table in its low 8 bits and that table's cursor above (fields never
  // change sub-table). Tables only.
  template <typename Fn>
  uint64_t ScanStep(uint64_t cursor, Fn&& fn) const;
  // A uniformly random field (r: a random number). The hash must not be empty.
  Field RandomField(uint64_t r) const;

 private:
  HashValue() = default;  // placed at the start of its allocation by New / NewTable

  // A table's bookkeeping, between the header and the slots.
  struct TableExtra {
    size_t bytes;         // usable sizes of this allocation and of every node
    int64_t next_expire;  // no later than the earliest field TTL (INT64_MAX if none)
  };

  static Field Decode(const char* rec, size_t* rec_len);
  static size_t RecordSize(std::string_view f, std::string_view v, bool ttl);
  static void WriteRecord(char* p, std::string_view f, std::string_view v, int64_t expire_at);
  static uint64_t HashOf(std::string_view field);
  static char* SlotPtr(uint64_t s) { return reinterpret_cast<char*>(s & kPtrMask); }
  static constexpr uint64_t kPtrMask = (uint64_t(1) << 48) - 1;
  static size_t TableAllocBytes(size_t cap) {
    return sizeof(HashValue) + sizeof(TableExtra) + cap * 8;
  }
  static size_t SubIndex(uint64_t h) { return (h >> 40) & (kSubTables - 1); }

  char* records() { return reinterpret_cast<char*>(this + 1); }
  const char* records() const { return reinterpret_cast<const char*>(this + 1); }
  TableExtra* extra() { return reinterpret_cast<TableExtra*>(this + 1); }
  const TableExtra* extra() const { return reinterpret_cast<const TableExtra*>(this + 1); }
  uint64_t* slots() { return reinterpret_cast<uint64_t*>(extra() + 1); }
  const uint64_t* slots() const { return reinterpret_cast<const uint64_t*>(extra() + 1); }
  HashValue** subs() { return reinterpret_cast<HashValue**>(extra() + 1); }
  HashValue* const* subs() const { return reinterpret_cast<HashValue* const*>(extra() + 1); }

  // sharded: its layout is the header, TableExtra, then kSubTables table pointers.
  HashValue* ConvertToSharded();
  // Runs op(HashValue*&) on sub-table i and carries its changes of size, TTLs and bytes over.
  template <typename Op>
  void OnSub(size_t i, Op&& op);

  // listpack: the offset of field's record (and its length), or SIZE_MAX.
  size_t LpFind(std::string_view field, size_t* rec_len) const;
  // Resizes the record at off from old_len to new_len bytes (moving what follows); returns the
  // hash (maybe moved); the record is then at records() + off.
  HashValue* LpResize(size_t off, size_t old_len, size_t new_len);
  // table
  static HashValue* NewTable(size_t cap);
  size_t TableFind(std::string_view field, uint64_t h) const;  // the slot, or SIZE_MAX
  void TablePlace(uint64_t slot_value, uint64_t h);            // into a free slot, no growth
  HashValue* TableResize(size_t new_cap);
  void TableErase(size_t slot);
  char* NewNode(std::string_view f, std::string_view v, int64_t expire_at);
  void FreeNode(char* node);
  void NoteTtl(int64_t old_at, int64_t new_at);

  uint32_t size_ = 0;
  uint32_t used_or_cap_ = 0;  // listpack: record bytes; table: slots (a power of two)
  uint32_t ttl_fields_ = 0;
  Enc enc_ = Enc::kListpack;
  uint8_t reserved_[3] = {};
};
static_assert(sizeof(HashValue) == 16, "the hash header is 16 bytes");

template <typename Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (enc_ == Enc::kListpack) {
    const char* recs = records();
    size_t off = 0;
    while (off < used_or_cap_) {
      size_t len;
      Field f = Decode(recs + off, &len);
      fn(f);
      off += len;
    }
    return;
  }
  if (enc_ == Enc::kSharded) {
    for (size_t i = 0; i < kSubTables; ++i) subs()[i]->ForEach(fn);
    return;
  }
  const uint64_t* sl = slots();
  for (size_t i = 0; i < used_or_cap_; ++i) {
    if (sl[i]) {
      size_t len;
      fn(Decode(SlotPtr(sl[i]), &len));
    }
  }
}

template <typename Fn>
uint64_t HashValue::ScanStep(uint64_t cursor, Fn&& fn) const {
  if (enc_ == Enc::kSharded) {
    size_t i = cursor & (kSubTables - 1);
    uint64_t sub_cursor = cursor >> 8;
    for (;;) {
      uint64_t next = subs()[i]->ScanStep(sub_cursor, fn);
      if (next != 0) return (next << 8) | i;
      if (++i == kSubTables) return 0;  // the last sub-table is done
      sub_cursor = 0;
      if (subs()[i]->size_ != 0) return i;  // the next call starts sub-table i (i > 0)
    }
  }
  if (enc_ != Enc::kTable || size_ == 0) return 0;
  const uint64_t* sl = slots();
  uint64_t mask = used_or_cap_ - 1;
  size_t home = cursor & mask;
  // Every field whose home is `home` sits in the run of occupied slots starting there.
  for (size_t i = home; sl[i]; i = (i + 1) & mask) {
    size_t len;
    Field f = Decode(SlotPtr(sl[i]), &len);
    if ((HashOf(f.field) & mask) == home) fn(f);
    if (((i + 1) & mask) == home) break;
  }
  // Reverse-binary increment over the mask's bits (Redis's dictScan).
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  cursor++;
  cursor = ReverseBits(cursor);
  return cursor;
}

}  // namespace aegisr
