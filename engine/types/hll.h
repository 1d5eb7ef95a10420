#pragma once
// HyperLogLog values in Redis 7.0's own string format, so that a value written by Redis counts
// the same here and the reverse: the 16-byte header, the dense and sparse register encodings,
// the element hash, the sparse-to-dense promotion and the cardinality estimator. Functions over
// bytes, no shared state: thread-compatible.
//
// Format (all of it is Redis's, byte for byte):
//   header   "HYLL", encoding byte (0 dense, 1 sparse), 3 unused bytes, 8-byte cached
//            cardinality, little endian; its top bit set means "stale, recount".
//   dense    16384 registers of 6 bits, packed from each byte's low bit upward (12288 bytes).
//   sparse   run-length opcodes: ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
//            (1..16384 zero registers), VAL 1vvvvvxx (1..4 registers of value 1..32).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aegisr::hll {

inline constexpr int kP = 14;                     // register index bits
inline constexpr uint32_t kRegisters = 1u << kP;  // 16384
inline constexpr int kQ = 64 - kP;                // hash bits left for the run of zeros
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;  // 12304
inline constexpr uint8_t kDense = 0;
inline constexpr uint8_t kSparse = 1;
inline constexpr uint8_t kSparseMaxValue = 32;  // larger register values force dense

// Redis's MurmurHash64A (64-bit MurmurHash2, little-endian reads on any host).
uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed);

// The register an element updates (*index, 0..16383) and the value it offers: one plus the
// number of zero bits above the index bits of its hash (1..51).
uint8_t PatternLength(std::string_view element, uint32_t* index);

// Redis's checks before it treats a string as a HyperLogLog (isHLLObjectOrReply): at least a
// header, the magic, a known encoding, and exactly kDenseSize bytes when dense. A sparse body
// is checked only as it is read (Count, MergeInto, Set report corruption).
bool LooksValid(std::string_view v);

inline uint8_t EncodingOf(std::string_view v) { return static_cast<uint8_t>(v[4]); }
// The cached cardinality (v must hold a header).
bool CacheValid(std::string_view v);
uint64_t CachedCount(std::string_view v);
void SetCachedCount(char* v, uint64_t n);
void InvalidateCache(char* v);

// The value of a new key: sparse, every register zero (XZERO:16384), cached cardinality 0.
std::string_view EmptySparse();

// One dense register (regs points past the header).
uint8_t DenseGet(const uint8_t* regs, uint32_t i);
void DenseSet(uint8_t* regs, uint32_t i, uint8_t value);

// The estimate for a value that LooksValid; false if its sparse body does not cover exactly
// 16384 registers (Redis's "Corrupted HLL object").
bool Count(std::string_view v, uint64_t* out);
// The estimate for registers held one per byte (PFCOUNT of several keys).
uint64_t CountRegisters(const uint8_t regs[kRegisters]);
// max[i] = max(max[i], register i of v) for a value that LooksValid; false for a corrupt sparse
// body (max may then be partly updated).
bool MergeInto(std::string_view v, uint8_t max[kRegisters]);

// The bytes of a value being changed in place. The HyperLogLog code asks for room before it
// writes past size() and sets the new size when done, so an implementation can keep the bytes
// where they are (the keyspace's raw string) or in a std::string.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  // Room for n bytes (the first size() kept); returns data(), which may have moved.
  virtual char* Reserve(size_t n) = 0;
  // Sets the size; n is at most what was last reserved (or the current size).
  virtual void Resize(size_t n) = 0;
};

// A Buffer over its own std::string (tests, temporaries).
class StringBuffer : public Buffer {
 public:
  explicit StringBuffer(std::string_view init = EmptySparse()) : bytes_(init), size_(init.size()) {}
  char* data() override { return bytes_.data(); }
  size_t size() const override { return size_; }
  char* Reserve(size_t n) override {
    if (bytes_.size() < n) bytes_.resize(n);
    return bytes_.data();
  }
  void Resize(size_t n) override { size_ = n; }
  std::string_view view() const { return {bytes_.data(), size_}; }

 private:
  std::string bytes_;
  size_t size_;
};

// Raises register `index` to `count` if it is lower (Redis's hllDenseSet/hllSparseSet, same
// bytes out): a sparse value is edited in place, and turned dense first when count exceeds 32
// or when the edit would make it longer than sparse_max_bytes. A sparse edit marks the cached
// cardinality stale; a dense one leaves that to the caller, as Redis does. Returns 1 if the
// register changed, 0 if not, -1 if the sparse body is corrupt.
int Set(Buffer& b, uint32_t index, uint8_t count, size_t sparse_max_bytes);
// Set for the register and value of an element.
int Add(Buffer& b, std::string_view element, size_t sparse_max_bytes);
// Rewrites a sparse value as dense (header kept, encoding byte changed). True if it is dense
// now; false, with b unchanged, for a corrupt sparse body.
bool ToDense(Buffer& b);

// PFDEBUG DECODE's text of a sparse body: "Z:16384", "z:3 v:2,1 ...".
std::string DecodeSparse(std::string_view v);

}  // namespace aegisr::hll
