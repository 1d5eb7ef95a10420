#pragma once
// SetValue: the value of a set key, in one of three encodings, as Redis's sets (7.2 naming):
//   intset    every member is an integer that round-trips (String2ll): a sorted array of
//             int16, int32 or int64, widened for the whole array when a wider value arrives;
//   listpack  a few short strings: [varint length][bytes] members back to back, searched
//             linearly;
//   hashtable anything beyond: an open-addressing table of tagged pointers to one allocation
//             per member.
// Add converts upward as the Limits say (intset -> listpack or hashtable, listpack ->
// hashtable); nothing ever converts back down, as in Redis.
//
// A set is ONE allocation: an 8-byte header followed by the encoding's data, so a small set
// costs its entry plus one block. Changing it may therefore move it: the mutators are static,
// take the set and return it (the pointer passed in is dead afterwards), and the owner stores
// the new one (the set family: SetObjectPointer on the entry). Build with New, release with
// Free. Not thread-safe: used under the lock of the shard that holds its key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aegisr {

class SetValue {
 public:
  enum class Kind : uint8_t { kIntset = 0, kListpack = 1, kHashtable = 2 };

  // The conversion thresholds (set-max-intset-entries, set-max-listpack-entries,
  // set-max-listpack-value).
  struct Limits {
    size_t intset_entries = 512;
    size_t listpack_entries = 128;
    size_t listpack_value = 64;
  };

  static SetValue* New();  // an empty intset
  static void Free(SetValue* s);
  static SetValue* Clone(const SetValue* s);  // deep copy, same encoding

  // Adds m (converting the encoding as lim says first); *added: false if it was a member.
  [[nodiscard]] static SetValue* Add(SetValue* s, std::string_view m, const Limits& lim,
                                     bool* added);
  // Removes m; *removed: false if it was not a member. A hashtable shrinks when it falls under
  // 1/8 full.
  [[nodiscard]] static SetValue* Remove(SetValue* s, std::string_view m, bool* removed);

  Kind kind() const { return kind_; }
  std::string_view EncodingName() const;
  size_t size() const { return size_; }  // at most UINT32_MAX members
  bool empty() const { return size_ == 0; }
  bool Contains(std::string_view m) const;

  // A member chosen by r (any random 64-bit value); the set must not be empty. The view is valid
  // until the next change or the next call with the same scratch (kScratch bytes).
  static constexpr size_t kScratch = 24;
  std::string_view RandomMember(uint64_t r, char* scratch) const;

  // Calls fn(std::string_view) for every member; intsets in ascending order. The set must not
  // change meanwhile.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForEachImpl([](void* f, std::string_view m) { (*static_cast<Fn*>(f))(m); }, &fn);
  }

  // One SSCAN step from cursor: calls fn for some members and returns the next cursor (0: done).
  // Intsets and listpacks return everything at once. A hashtable's cursor is a position in
  // hash order (the top bits of the members' hashes), so every member present for a whole scan
  // is returned at least once even if the table grows or shrinks between steps.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const {
    return ScanImpl(
        cursor, count, [](void* f, std::string_view m) { (*static_cast<Fn*>(f))(m); }, &fn);
  }

  // Bytes of the set's allocation and its members' (MEMORY USAGE, used_memory), O(1).
  size_t MemoryBytes() const;
  // The same, counted from the allocations (tests check MemoryBytes against it).
  size_t RecountMemoryBytes() const;

  // Integer width of an intset (2, 4 or 8 bytes); slots of a hashtable, and whether it is moving
  // to new ones. For tests.
  unsigned intset_width() const { return width_; }
  size_t hashtable_slots() const { return kind_ == Kind::kHashtable ? cap() : 0; }
  bool hashtable_resizing() const { return kind_ == Kind::kHashtable && head().old; }

  // The disk tier's codec: [encoding byte][varint count][varint length, bytes]... Decode rebuilds
  // the same encoding, or returns nullptr for a payload that does not parse exactly (unknown
  // encoding, empty set, truncated, trailing bytes, duplicates, a non-integer in an intset).
  void Encode(std::string* out) const;
  static SetValue* Decode(std::string_view payload);

  SetValue() = delete;
  SetValue(const SetValue&) = delete;
  SetValue& operator=(const SetValue&) = delete;

 private:
  using Visit = void (*)(void* fn, std::string_view m);
  void ForEachImpl(Visit visit, void* fn) const;
  uint64_t ScanImpl(uint64_t cursor, size_t count, Visit visit, void* fn) const;

  static SetValue* Alloc(Kind kind, size_t data_bytes);
  // Gives s room for `data_bytes` after the header (a hashtable's too); may move it.
  static SetValue* Resize(SetValue* s, size_t data_bytes);
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  // intset
  int64_t IntAt(size_t i) const;
  void SetIntAt(size_t i, int64_t v);
  bool IntsetFind(int64_t v, size_t* pos) const;
  static SetValue* IntsetAdd(SetValue* s, int64_t v, bool* added);
  // listpack
  // Offset of m, or SIZE_MAX (then *end, if given, is the bytes used).
  size_t ListpackFind(std::string_view m, size_t* end = nullptr) const;
  size_t ListpackEnd() const;  // bytes used (a walk: n <= set-max-listpack-entries)
  static SetValue* ListpackAppend(SetValue* s, std::string_view m, size_t end);
  // hashtable: data() is a TableHead, then cap() slots. While a resize is under way, `old` is
  // the previous block, whose slots below `moved` have been migrated (left as tombstones); every
  // change moves a few more (incremental rehashing), so no one command rehashes a large set.
  struct TableHead {
    uint64_t member_bytes;  // the members' allocations, both tables
    SetValue* old;          // the table being emptied into this one, or nullptr
    uint64_t moved;         // old's slots [0, moved) are migrated
  };
  static SetValue* NewTable(size_t slots);
  TableHead& head() { return *reinterpret_cast<TableHead*>(data()); }
  const TableHead& head() const { return *reinterpret_cast<const TableHead*>(data()); }
  uint64_t* slots() { return reinterpret_cast<uint64_t*>(data() + sizeof(TableHead)); }
  const uint64_t* slots() const {
    return reinterpret_cast<const uint64_t*>(data() + sizeof(TableHead));
  }
  size_t Home(uint64_t h) const { return size_t(h >> shift_); }
  size_t cap() const { return size_t{1} << (64 - shift_); }
  size_t FindIn(std::string_view m, uint64_t h) const;  // slot in this table, or SIZE_MAX
  bool HashContains(std::string_view m, uint64_t h) const;
  void HashPlace(uint64_t slot_value, uint64_t h);  // into this table (no tombstones here)
  void Migrate(size_t n);                           // moves up to n of old's slots
  static SetValue* HashInsertNew(SetValue* s, std::string_view m, uint64_t h);  // m absent
  static SetValue* HashRemove(SetValue* s, std::string_view m, uint64_t h, bool* removed);
  static SetValue* StartResize(SetValue* s, size_t slots);
  template <typename Fn>
  void ForEachSlot(Fn&& fn) const;  // fn(uint64_t slot) for every member, both tables
  // conversions (they free s)
  static SetValue* ToListpack(SetValue* s);
  static SetValue* ToHashtable(SetValue* s, size_t expected);

  uint32_t size_;  // members
  Kind kind_;
  uint8_t width_;  // intset: bytes per integer
  uint8_t shift_;  // hashtable: 64 - log2(slots)
  uint8_t unused_;
};
static_assert(sizeof(SetValue) == 8, "the header every set block starts with");

}  // namespace aegisr
