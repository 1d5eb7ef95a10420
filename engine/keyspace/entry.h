#pragma once
// Entry: one key and its value cell in a single mimalloc allocation. Not thread-safe: an entry
// is read and written only under the lock of the shard whose table holds it.
//
// Layout (packed, see docs/architecture.md "Value cells"):
//   [header 24 B][expire_at_ms 8 B, only if kHasExpire][key bytes][value payload]
// The value payload depends on the encoding:
//   kInt     int64, the value of a string that is a canonical integer ("integers as integers")
//   kEmbStr  uint32 length + bytes: short strings live inline
//   kRawStr  {char* data; uint32 len; uint32 cap}: long strings in their own allocation
//   kObject  void*: a collection, owned through its type's ObjectOps (lists: PackedList)
//   kDiskRef 16 B packed disk reference (tier state kOnDisk)
// A value in RAM that also has a clean copy on disk (tier state kInRamAndDisk, after a cold read)
// carries that copy's 16-byte reference right after its payload, and its writer in flags bits
// 7..1 as kDiskRef does. Every function here that changes the value drops the copy (releases
// it) first, so the reference can never outlive the value it was written from; code that
// changes a collection (kObject) in place must call DropCleanCopy(e) before it does.
// Changing a value's encoding or adding/removing the TTL may reallocate the entry: every
// function that can do so returns the new pointer, and the caller re-links it (Table::Replace).

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aegisr {

enum class ValueType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kStream = 5,
  kBloom = 6,  // a RedisBloom-style scalable bloom filter (engine/types/bloom.h)
};

enum class Encoding : uint8_t { kInt = 0, kEmbStr = 1, kRawStr = 2, kObject = 3, kDiskRef = 4 };

// Where the value lives (docs/tier.md "Value states").
enum class TierState : uint8_t {
  kInRam = 0,         // value in RAM only
  kInRamAndDisk = 1,  // value in RAM with a clean copy on disk (dropping the RAM copy is free)
  kOffloading = 2,    // reserved: an offloaded value is kOnDisk at once, its record served from
                      // the write buffer until written (tier/segment_log.h)
  kOnDisk = 3,        // value on disk only (payload is a disk reference)
};

inline constexpr uint8_t kEntryHasExpire = 1 << 0;
// With enc == kDiskRef or tier == kInRamAndDisk, flags bits 7..1 hold the index of the writer
// whose segment log holds the record (tier/segment_log.h: one log per loop thread).
inline constexpr int kEntryWriterShift = 1;
inline constexpr unsigned kMaxTierWriters = 127;

struct Entry {
  Entry* next;    // hash chain
  uint32_t hash;  // low 32 bits of the key's xxh3 hash: bucket index and fast compare
  uint32_t key_len;
  ValueType type;
  Encoding enc;
  TierState tier;
  uint8_t flags;
  uint32_t access;  // access metadata for eviction: LRU clock (seconds)

  bool has_expire() const { return flags & kEntryHasExpire; }
  int64_t expire_at() const {
    if (!has_expire()) return 0;
    int64_t v;
    std::memcpy(&v, tail(), 8);
    return v;
  }
  void set_expire_at(int64_t ms) {  // requires has_expire()
    std::memcpy(tail(), &ms, 8);
  }
  std::string_view key() const { return {tail() + (has_expire() ? 8 : 0), key_len}; }
  char* payload() { return tail() + (has_expire() ? 8 : 0) + key_len; }
  const char* payload() const { return tail() + (has_expire() ? 8 : 0) + key_len; }

  // String accessors; type must be kString.
  bool is_int() const { return enc == Encoding::kInt; }
  int64_t int_value() const {
    int64_t v;
    std::memcpy(&v, payload(), 8);
    return v;
  }
  // The string value's bytes. For kInt the digits are formatted into scratch (>= 24 bytes).
  std::string_view str(char* scratch) const;
  size_t str_len() const;

  // Collections (enc == kObject): the type's object (engine/types/), owned by the entry.
  void* object() const {
    void* p;
    std::memcpy(&p, payload(), sizeof(p));
    return p;
  }

  // Disk tier (enc == kDiskRef): the 16-byte reference and the writer that holds it.
  bool on_disk() const { return enc == Encoding::kDiskRef; }
  unsigned disk_writer() const { return flags >> kEntryWriterShift; }
  const char* disk_ref() const { return payload(); }
  // A value in RAM with a clean copy on disk: the copy's reference (writer: disk_writer()).
  bool has_clean_copy() const { return tier == TierState::kInRamAndDisk; }
  const char* clean_ref() const;
  char* clean_ref();
  // The reference this entry holds to a record, clean copy or disk-only value; nullptr if none.
  const char* any_disk_ref() const {
    return on_disk() ? disk_ref() : has_clean_copy() ? clean_ref() : nullptr;
  }

  // Bytes of this entry and anything it owns (MEMORY USAGE, used_memory accounting).
  size_t MemoryUsage() const;

  char* tail() { return reinterpret_cast<char*>(this + 1); }
  const char* tail() const { return reinterpret_cast<const char*>(this + 1); }
};
static_assert(sizeof(Entry) == 24, "entry header must stay 24 bytes");

// Strings up to this many bytes are stored inside the entry.
inline constexpr size_t kEmbedMax = 256;

// What the keyspace needs to own a collection of one type: set once at startup by the type's
// family (RegisterListFamily, ...) before any entry of that type exists.
struct ObjectOps {
  void (*free)(void* obj);
  void* (*clone)(const void* obj);
  size_t (*memory)(const void* obj);  // bytes the object owns, its own allocation included
  // The disk tier's codec (engine/tier_store.cc): encode appends the object's bytes; decode
  // builds an object from them, or returns nullptr for a payload that does not parse exactly
  // (the tier counts it as a read error). A type without them is never offloaded.
  void (*encode)(const void* obj, std::string* out);
  void* (*decode)(std::string_view payload);
  // How many allocations freeing the object releases (engine/keyspace/lazy_free.h decides from
  // it whether to free a large value in the background); nullptr: one per 8 KiB it owns.
  size_t (*free_effort)(const void* obj) = nullptr;
  // Called by Shard::Insert, under the shard's lock, when an entry of this type enters database
  // db (a new key, COPY, RENAME, MOVE); nullptr: nothing to do.
  void (*inserted)(const Entry* e, int db) = nullptr;
};
void SetObjectOps(ValueType t, const ObjectOps* ops);
const ObjectOps* GetObjectOps(ValueType t);

// Creates an entry of collection type t that owns obj (t's ObjectOps must be set).
Entry* NewObjectEntry(std::string_view key, uint32_t hash, ValueType t, void* obj);
// Points a collection entry (enc == kObject) at its object's new address, for types whose object
// moves when it changes (a set is one block that grows by realloc). Call inside Shard::Update,
// after MutableObject (which dropped the clean copy); the old pointer is no longer owned.
void SetObjectPointer(Entry* e, void* obj);

// Creates a string entry. A value that is a canonical integer (as Redis's string2ll accepts
// and round-trips) is stored as kInt unless allow_int is false (INCRBYFLOAT's result stays a
// string, as in Redis).
Entry* NewStringEntry(std::string_view key, uint32_t hash, std::string_view value,
                      bool allow_int = true);
Entry* NewIntEntry(std::string_view key, uint32_t hash, int64_t value);
// Frees the entry and what it owns. A disk-tier entry's reference is handed to the release hook.
void FreeEntry(Entry* e);

// Replaces e's value by a disk reference (the value now lives in writer's segment log): frees
// the in-RAM payload, keeps key, TTL, type and access word. Returns the entry (maybe moved).
Entry* SetDiskRef(Entry* e, unsigned writer, const char ref16[16]);
// Called with every record reference an entry lets go of (the key deleted or its value changed;
// clean_copy tells a kInRamAndDisk copy from a disk-only value), so the segment log stops
// counting its bytes as live. Set once at startup.
using DiskRefReleaseHook = void (*)(unsigned writer, const char ref16[16], bool clean_copy);
void SetDiskRefReleaseHook(DiskRefReleaseHook hook);

// A value read back from disk: fresh (a new RAM entry with the decoded value) takes disk_entry's
// TTL, access word and hash-chain link, and keeps disk_entry's record as its clean copy; then
// disk_entry is freed without releasing the record. Returns fresh (maybe moved).
Entry* PromoteFromDisk(Entry* disk_entry, Entry* fresh);
// Drops the RAM value of an entry with a clean copy, which becomes its disk reference (no
// write; the record is not released). Returns the entry (maybe moved).
Entry* OffloadToCleanCopy(Entry* e);
// Lets go of the clean copy (released through the hook); the value stays in RAM.
void DropCleanCopy(Entry* e);

// Replaces the string value; may reallocate: returns the entry to link in place of e.
Entry* SetStringValue(Entry* e, std::string_view value, bool allow_int = true);
Entry* SetIntValue(Entry* e, int64_t value);
// Adds, changes or removes (ms == 0) the TTL; may reallocate.
Entry* SetExpire(Entry* e, int64_t ms);
// Gives the entry a writable raw string buffer of at least `len` bytes holding the current
// value (zero-filled past the old end), for APPEND and SETRANGE. Returns the entry (maybe moved)
// and sets *data/*cur_len. The caller then calls SetRawLength to fix the length.
Entry* MakeRawString(Entry* e, size_t min_len, char** data);
void SetRawLength(Entry* e, size_t len);

// Moves an entry's value, TTL and access time to a new entry under another key and frees the
// old one (RENAME): the value is not copied.
Entry* RekeyEntry(Entry* e, std::string_view new_key, uint32_t new_hash);
// Copies an entry under a new key (COPY).
Entry* CloneEntry(const Entry* e, std::string_view new_key, uint32_t new_hash);

// True if s is a canonical int64 ("-12", not "012", "+1", " 1", "-0"): Redis's string2ll
// (base/numbers.h), the rule for storing a string as an integer.
bool ParseCanonicalInt(std::string_view s, int64_t* out);

}  // namespace aegisr
