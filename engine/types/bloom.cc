// Scalable bloom filters as RedisBloom 2.x builds them (deps/bloom/bloom.c, src/sb.c; facts
// only, our own code).
//
// A link is a plain bloom filter: for an error rate e it spends bpe = -ln(e) / ln(2)^2 bits per
// entry and sets k = ceil(ln(2) * bpe) bits per item, the optimum for that many bits. The bit
// count entries * bpe is truncated and rounded up to whole 64-bit words; RedisBloom creates
// its filters with NOROUND, so it is not rounded to a power of two and positions are taken
// modulo the bit count. An item's k positions come from two 64-bit hashes (Kirsch-Mitzenmacher
// double hashing): (a + i * b) mod bits, i = 0..k-1, with a = MurmurHash64A(item, fixed seed)
// and b = MurmurHash64A(item, a).
//
// Scaling (Almeida et al., "Scalable Bloom Filters"): links are filled one after the other; the
// newest is full when it holds `entries` items, and the next new item opens a link of
// entries * expansion entries at half the error rate. With the first link at e/2 the rates
// form e/2 + e/4 + ... < e, so the whole chain stays under the requested rate. A lookup asks
// the links newest first. Items found anywhere are not added again, so `size` counts distinct
// items (up to false positives).

#include "engine/types/bloom.h"

#include <sys/mman.h>

#include <bit>
#include <cmath>
#include <cstring>

#include "base/alloc.h"
#include "base/logging.h"
#include "base/varint.h"
#include "engine/types/hll.h"

namespace aegisr::bloom {
namespace {

constexpr uint64_t kSeed = 0xc6a4a7935bd1e995ULL;
// RedisBloom's constants, to the digit: ln(2)^2 in calc_bpe, and its truncated ln(2).
constexpr double kLn2Squared = 0.480453013918201;
constexpr double kLn2 = 0.693147180559945;

// sizeof(SBChain) and sizeof(SBLink) in RedisBloom on 64-bit hosts, for BF.INFO's Size.
constexpr uint64_t kReportedChainBytes = 32;
constexpr uint64_t kReportedLinkBytes = 64;

constexpr uint8_t kCodecVersion = 1;
constexpr uint64_t kFlagNonScaling = 1;

// Bit arrays of kMapBytes and more get their own anonymous mapping instead of a heap block:
// mimalloc (2.0) rounds a large block up by as much as half (137,848 bytes took 196,608), all of
// it counted in used_memory, where a mapping wastes less than a page, costs nothing to zero
// (fresh pages read as zeros) and goes back to the system whole when the filter is freed.
constexpr uint64_t kMapBytes = 128 * 1024;
constexpr uint64_t kPageBytes = 4096;

uint8_t* AllocBits(uint64_t bytes) {
  if (bytes < kMapBytes) return static_cast<uint8_t*>(ZallocBytes(bytes));
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

void FreeBits(uint8_t* bits, uint64_t bytes) {
  if (!bits) return;
  if (bytes < kMapBytes) return FreeBytes(bits);
  munmap(bits, bytes);
}

size_t BitsFootprint(const uint8_t* bits, uint64_t bytes) {
  if (bytes < kMapBytes) return UsableSize(bits);
  return (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
}

bool TestBit(const uint8_t* bits, uint64_t x) { return bits[x >> 3] & (1u << (x & 7)); }
void SetBit(uint8_t* bits, uint64_t x) { bits[x >> 3] |= uint8_t(1u << (x & 7)); }

bool LinkHas(const LinkShape& s, const uint8_t* bits, const Hash& h) {
  for (uint64_t i = 0; i < s.hashes; ++i) {
    if (!TestBit(bits, (h.a + i * h.b) % s.bits)) return false;
  }
  return true;
}

void PutDouble(std::string* out, double d) {
  uint64_t v = std::bit_cast<uint64_t>(d);
  for (int i = 0; i < 8; ++i) out->push_back(char(v >> (8 * i)));
}

bool ReadDouble(std::string_view in, size_t* pos, double* d) {
  if (in.size() - *pos < 8) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | uint8_t(in[*pos + size_t(i)]);
  *pos += 8;
  *d = std::bit_cast<double>(v);
  return true;
}

}  // namespace

Hash HashItem(std::string_view item) {
  uint64_t a = hll::MurmurHash64A(item.data(), item.size(), kSeed);
  return {a, hll::MurmurHash64A(item.data(), item.size(), a)};
}

ShapeResult ComputeShape(uint64_t entries, double error, LinkShape* out) {
  // The negated comparisons also refuse a NaN rate.
  if (entries < 1 || !(error > 0) || !(error < 1)) return ShapeResult::kInvalid;
  LinkShape s;
  s.entries = entries;
  s.error = error;
  s.bpe = std::fabs(std::log(error) / kLn2Squared);
  double want = double(entries) * s.bpe;
  // 2^64 bits and more cannot be counted, let alone allocated.
  if (!(want < 18446744073709551616.0)) return ShapeResult::kTooLarge;
  uint64_t bits = uint64_t(want);
  if (bits == 0) bits = 1;
  s.bytes = bits % 64 ? (bits / 64 + 1) * 8 : bits / 8;
  if (s.bytes > kMaxLinkBytes) return ShapeResult::kTooLarge;
  s.bits = s.bytes * 8;
  s.hashes = uint32_t(std::ceil(kLn2 * s.bpe));
  *out = s;
  return ShapeResult::kOk;
}

std::unique_ptr<BloomChain> BloomChain::Create(uint64_t capacity, double error, uint32_t expansion,
                                               bool nonscaling, CreateError* err) {
  std::unique_ptr<BloomChain> c(new BloomChain(expansion, nonscaling));
  *err = c->AddLink(capacity, nonscaling ? error : error * kTighteningRatio);
  if (*err != CreateError::kNone) return nullptr;
  return c;
}

BloomChain::BloomChain(const BloomChain& other)
    : size_(other.size_), expansion_(other.expansion_), nonscaling_(other.nonscaling_) {
  links_.reserve(other.links_.size());
  for (const Link& l : other.links_) {
    Link copy{l.shape, l.size, AllocBits(l.shape.bytes)};
    CHECK(copy.bits != nullptr);  // as any other value's copy, COPY has no way to fail
    std::memcpy(copy.bits, l.bits, l.shape.bytes);
    links_.push_back(copy);
  }
}

BloomChain::~BloomChain() {
  for (Link& l : links_) FreeBits(l.bits, l.shape.bytes);
}

BloomChain::CreateError BloomChain::AddLink(uint64_t entries, double error) {
  LinkShape shape;
  switch (ComputeShape(entries, error, &shape)) {
    case ShapeResult::kOk:
      break;
    case ShapeResult::kInvalid:
      return CreateError::kInvalid;
    case ShapeResult::kTooLarge:
      return CreateError::kNoMemory;
  }
  uint8_t* bits = AllocBits(shape.bytes);
  if (!bits) return CreateError::kNoMemory;
  links_.push_back(Link{shape, 0, bits});
  return CreateError::kNone;
}

bool BloomChain::Contains(const Hash& h) const {
  for (size_t i = links_.size(); i-- > 0;) {
    if (LinkHas(links_[i].shape, links_[i].bits, h)) return true;
  }
  return false;
}

AddResult BloomChain::AddNew(const Hash& h) {
  Link* cur = &links_.back();
  if (cur->size >= cur->shape.entries) {
    if (nonscaling_) return AddResult::kFull;
    // size_t arithmetic as RedisBloom's: an overflowing product wraps (and usually ends in an
    // invalid or impossible shape).
    if (AddLink(cur->shape.entries * uint64_t(expansion_), cur->shape.error * kTighteningRatio) !=
        CreateError::kNone) {
      return AddResult::kNoLink;
    }
    cur = &links_.back();
  }
  for (uint64_t i = 0; i < cur->shape.hashes; ++i)
    SetBit(cur->bits, (h.a + i * h.b) % cur->shape.bits);
  ++cur->size;
  ++size_;
  return AddResult::kAdded;
}

AddResult BloomChain::Add(std::string_view item) {
  Hash h = HashItem(item);
  if (Contains(h)) return AddResult::kExists;
  return AddNew(h);
}

uint64_t BloomChain::capacity() const {
  uint64_t total = 0;
  for (const Link& l : links_) total += l.shape.entries;
  return total;
}

uint64_t BloomChain::ReportedBytes() const {
  uint64_t total = kReportedChainBytes;
  for (const Link& l : links_) total += kReportedLinkBytes + l.shape.bytes;
  return total;
}

size_t BloomChain::MemoryBytes() const {
  size_t total = sizeof(BloomChain) + links_.capacity() * sizeof(Link);
  for (const Link& l : links_) total += BitsFootprint(l.bits, l.shape.bytes);
  return total;
}

void BloomChain::Encode(std::string* out) const {
  size_t bytes = 0;
  for (const Link& l : links_) bytes += l.shape.bytes + 32;
  out->reserve(out->size() + bytes + 16);
  out->push_back(char(kCodecVersion));
  AppendVarint(out, nonscaling_ ? kFlagNonScaling : 0);
  AppendVarint(out, expansion_);
  AppendVarint(out, links_.size());
  for (const Link& l : links_) {
    AppendVarint(out, l.shape.entries);
    PutDouble(out, l.shape.error);
    AppendVarint(out, l.size);
    out->append(reinterpret_cast<const char*>(l.bits), l.shape.bytes);
  }
}

std::unique_ptr<BloomChain> BloomChain::Decode(std::string_view in) {
  size_t pos = 0;
  uint64_t flags, expansion, nlinks;
  if (in.empty() || uint8_t(in[0]) != kCodecVersion) return nullptr;
  pos = 1;
  if (!ReadVarint(in, &pos, &flags) || (flags & ~kFlagNonScaling) != 0) return nullptr;
  if (!ReadVarint(in, &pos, &expansion) || expansion > UINT32_MAX) return nullptr;
  if (!ReadVarint(in, &pos, &nlinks) || nlinks == 0) return nullptr;
  // Each link takes at least 18 bytes (two varints, the rate, one 64-bit word of bits): a
  // count beyond that cannot be honest, and must not size an allocation.
  if (nlinks > (in.size() - pos) / 18) return nullptr;
  std::unique_ptr<BloomChain> c(new BloomChain(uint32_t(expansion), flags & kFlagNonScaling));
  c->links_.reserve(nlinks);
  for (uint64_t i = 0; i < nlinks; ++i) {
    uint64_t entries, size;
    double error;
    LinkShape shape;
    if (!ReadVarint(in, &pos, &entries) || !ReadDouble(in, &pos, &error) ||
        !ReadVarint(in, &pos, &size)) {
      return nullptr;
    }
    // The shape must be valid and its bits present before anything is allocated for it.
    if (ComputeShape(entries, error, &shape) != ShapeResult::kOk || size > entries ||
        shape.bytes > in.size() - pos) {
      return nullptr;
    }
    uint8_t* bits = AllocBits(shape.bytes);
    if (!bits) return nullptr;
    std::memcpy(bits, in.data() + pos, shape.bytes);
    pos += shape.bytes;
    c->links_.push_back(Link{shape, size, bits});
    c->size_ += size;
  }
  if (pos != in.size()) return nullptr;
  return c;
}

}  // namespace aegisr::bloom
