#pragma once
// SetValue: the value of a set key, in one of three encodings, as Redis's sets (7.2 naming):
//   intset    every member is an integer that round-trips (String2ll): a sorted array of
//             int16, int32 or int64, widened for the whole array when a wider value arrives;
//   listpack  a few short strings: one buffer of [varint length][bytes] members, searched
//             linearly;
//   hashtable anything beyond: an open-addressing table of tagged pointers to one allocation
//             per member.
// Add converts upward as the Limits say (intset -> listpack or hashtable, listpack ->
// hashtable); nothing ever converts back down, as in Redis. Not thread-safe: used under the lock
// of the shard that holds its key.

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

  SetValue() = default;             // an empty intset
  SetValue(const SetValue& other);  // deep copy, same encoding
  SetValue& operator=(const SetValue&) = delete;
  SetValue(SetValue&& other) noexcept;  // leaves other empty
  SetValue& operator=(SetValue&& other) noexcept;
  ~SetValue();

  Kind kind() const { return kind_; }
  std::string_view EncodingName() const;
  size_t size() const { return size_; }  // at most UINT32_MAX members
  bool empty() const { return size_ == 0; }

  bool Contains(std::string_view m) const;
  // Adds m (converting the encoding as lim says first); false if it was already a member.
  bool Add(std::string_view m, const Limits& lim);
  // Removes m; false if it was not a member. A hashtable shrinks when it falls under 1/8 full.
  bool Remove(std::string_view m);

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

  // Bytes this value owns beyond sizeof(SetValue) (buffers, slots, members), O(1).
  size_t MemoryBytes() const;
  // The same, counted from the allocations (tests check MemoryBytes against it).
  size_t RecountMemoryBytes() const;

  // Integer width of an intset (2, 4 or 8 bytes); slots of a hashtable. For tests.
  unsigned intset_width() const { return width_; }
  size_t hashtable_slots() const { return kind_ == Kind::kHashtable ? cap() : 0; }

  // The disk tier's codec: [encoding byte][varint count][varint length, bytes]... Decode rebuilds
  // the same encoding, or returns nullptr for a payload that does not parse exactly (unknown
  // encoding, empty set, truncated, trailing bytes, duplicates, a non-integer in an intset).
  void Encode(std::string* out) const;
  static SetValue* Decode(std::string_view payload);

 private:
  using Visit = void (*)(void* fn, std::string_view m);
  void ForEachImpl(Visit visit, void* fn) const;
  uint64_t ScanImpl(uint64_t cursor, size_t count, Visit visit, void* fn) const;
  void Clear();

  // intset
  int64_t IntAt(size_t i) const;
  void SetIntAt(size_t i, int64_t v);
  bool IntsetFind(int64_t v, size_t* pos) const;
  bool IntsetAdd(int64_t v);
  bool IntsetRemove(int64_t v);
  // listpack
  // Offset of m, or SIZE_MAX (then *end, if given, is the bytes used).
  size_t ListpackFind(std::string_view m, size_t* end = nullptr) const;
  void ListpackAppend(std::string_view m, size_t end);  // end: ListpackEnd()
  size_t ListpackEnd() const;                            // bytes used (a walk: n <= 128)
  // hashtable
  size_t HashFind(std::string_view m, uint64_t h) const;  // slot, or SIZE_MAX
  void HashInsertNew(std::string_view m, uint64_t h);     // m must be absent
  void HashPlace(uint64_t slot_value, uint64_t h);
  void HashRemoveAt(size_t slot);
  void HashResize(size_t cap);
  size_t Home(uint64_t h) const { return size_t(h >> shift_); }
  size_t cap() const { return size_t{1} << (64 - shift_); }
  uint64_t* slots() const { return reinterpret_cast<uint64_t*>(data_ + sizeof(uint64_t)); }
  uint64_t& member_bytes() const { return *reinterpret_cast<uint64_t*>(data_); }
  // conversions
  void ToListpack();
  void ToHashtable(size_t expected);
  void ResizeBuffer(size_t bytes);  // data_ (intset, listpack) to hold `bytes`

  // 16 bytes, since every small set pays for them: what the encodings need beyond that lives in
  // data_ (a listpack's length is found by walking it; a hashtable's member bytes sit in front
  // of its slots).
  char* data_ = nullptr;  // intset / listpack buffer; hashtable: [member bytes][slots]
  uint32_t size_ = 0;     // members
  Kind kind_ = Kind::kIntset;
  uint8_t width_ = 2;  // intset: bytes per integer
  uint8_t shift_ = 0;  // hashtable: 64 - log2(slots)
  uint8_t unused_ = 0;
};
static_assert(sizeof(SetValue) == 16, "a set's header is paid by every set key");

}  // namespace aegisr
