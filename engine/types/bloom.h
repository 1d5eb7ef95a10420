#pragma once
// BloomChain: the value of a bloom filter key (BF.* commands, RedisBloom 2.x semantics). A
// scalable bloom filter: a chain of sub-filters ("links"), each a plain bloom filter sized for a
// number of entries at an error rate; when the newest link holds as many items as it was sized
// for, the next item opens a new link `expansion` times larger with half the error rate, so the
// chain's total false-positive rate stays under the requested one however far it grows. A
// non-scaling chain refuses new items instead.
//
// The sizing, the hash and the bit positions are RedisBloom's (deps/bloom/bloom.c with the
// NOROUND and FORCE64 options, src/sb.c), so a filter here holds the same bits as RedisBloom's
// for the same commands. Not thread-safe: used under the lock of the shard that holds its key.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr::bloom {

// RedisBloom's tightening of the error rate per link (ERROR_TIGHTENING_RATIO): a scaling chain's
// first link already gets half the requested rate, each further link half of the one before.
inline constexpr double kTighteningRatio = 0.5;

// The two 64-bit hashes of an item: bit i of a link is (a + i * b) mod bits.
struct Hash {
  uint64_t a;
  uint64_t b;
};
// RedisBloom's 64-bit item hash: MurmurHash64A with seed 0xc6a4a7935bd1e995, then again with the
// first hash as the seed.
Hash HashItem(std::string_view item);

// The shape of one link, as RedisBloom's bloom_init computes it without rounding to a power of
// two: bits per entry -ln(error) / ln(2)^2, bits = entries * bpe truncated (at least 1) and
// rounded up to a multiple of 64, hashes = ceil(ln(2) * bpe).
struct LinkShape {
  uint64_t entries = 0;  // items the link is sized for ("capacity")
  double error = 0;      // the link's own error rate
  double bpe = 0;        // bits per entry
  uint32_t hashes = 0;   // bits set per item
  uint64_t bits = 0;     // bytes * 8
  uint64_t bytes = 0;    // size of the bit array
};
enum class ShapeResult : uint8_t { kOk, kInvalid, kTooLarge };
// kInvalid: entries < 1 or error outside (0, 1). kTooLarge: the bit array would not fit in
// memory at all (more than kMaxLinkBytes).
ShapeResult ComputeShape(uint64_t entries, double error, LinkShape* out);
inline constexpr uint64_t kMaxLinkBytes = uint64_t(1) << 46;  // 64 TiB: no machine has it

// What adding an item did.
enum class AddResult : uint8_t {
  kAdded,   // new: its bits were set (BF.ADD replies 1)
  kExists,  // all its bits were already set in some link (replies 0), nothing changed
  kFull,    // non-scaling chain at capacity ("ERR non scaling filter is full")
  kNoLink,  // a new link could not be made: its shape is invalid (the error rate halved to 0,
            // entries * expansion overflowed) or memory ran out ("ERR problem inserting ...")
};

class BloomChain {
 public:
  enum class CreateError : uint8_t { kNone, kInvalid, kNoMemory };
  // A chain with one empty link of `capacity` entries; error is the requested rate (tightened
  // here unless non-scaling, as RedisBloom does). expansion is RedisBloom's unsigned growth.
  // Returns nullptr and sets *err when the shape is invalid or memory runs out.
  static std::unique_ptr<BloomChain> Create(uint64_t capacity, double error, uint32_t expansion,
                                            bool nonscaling, CreateError* err);

  BloomChain(const BloomChain& other);  // deep copy (COPY)
  BloomChain& operator=(const BloomChain&) = delete;
  ~BloomChain();

  // True if every bit of h is set in some link (a false positive is possible, a false negative
  // never).
  bool Contains(const Hash& h) const;
  bool Contains(std::string_view item) const { return Contains(HashItem(item)); }
  // Adds an item known not to be in the chain (Contains(h) was false): grows the chain first
  // if the newest link is full. Never returns kExists.
  AddResult AddNew(const Hash& h);
  // Contains, then AddNew.
  AddResult Add(std::string_view item);

  uint64_t size() const { return size_; }  // items added (BF.CARD, "Number of items inserted")
  size_t filter_count() const { return links_.size(); }
  uint64_t capacity() const;  // sum of the links' entries (BF.INFO "Capacity")
  uint32_t expansion() const { return expansion_; }
  bool nonscaling() const { return nonscaling_; }
  // BF.INFO "Size": the bytes RedisBloom reports for the same chain (its 32-byte chain struct,
  // 64 bytes per link struct, and the bit arrays).
  uint64_t ReportedBytes() const;
  // Bytes this object owns, its own allocation included (MEMORY USAGE, used_memory).
  size_t MemoryBytes() const;

  struct LinkView {
    const LinkShape& shape;
    uint64_t size;  // items added to this link
  };
  LinkView link(size_t i) const { return {links_[i].shape, links_[i].size}; }

  // The disk tier's codec: version byte 1, varint flags (bit 0: non-scaling), varint expansion,
  // varint link count, then per link varint entries, the error rate as 8 little-endian bytes,
  // varint items, and the bit array (its length follows from entries and error). Decode
  // returns nullptr for anything that does not parse exactly or is inconsistent.
  void Encode(std::string* out) const;
  static std::unique_ptr<BloomChain> Decode(std::string_view payload);

 private:
  struct Link {
    LinkShape shape;
    uint64_t size = 0;
    uint8_t* bits = nullptr;  // shape.bytes bytes from base/alloc.h, owned
  };
  BloomChain(uint32_t expansion, bool nonscaling)
      : expansion_(expansion), nonscaling_(nonscaling) {}
  // Appends an empty link; kInvalid / kTooLarge / allocation failure leave the chain unchanged.
  CreateError AddLink(uint64_t entries, double error);

  std::vector<Link> links_;
  uint64_t size_ = 0;
  uint32_t expansion_ = 2;
  bool nonscaling_ = false;
};

}  // namespace aegisr::bloom
