// Bit-level operations of the bitmap commands (engine/bitmap_family.cc). See bitmap.h.
//
// Counting and searching work on 64-bit words: a word is loaded with memcpy (no alignment
// needed) and, where bit order matters, byte-swapped so that the string's first byte is the
// word's most significant one; then the first wanted bit is a count of leading zeros, and the
// number of set bits the CPU's population count. A range that starts or ends inside a byte masks
// that byte and hands the whole bytes between to the word loops.
//
// PopCount picks its loop once, when the process starts: 64 bytes per step with AVX-512's
// VPOPCNTQ where the CPU has it, 8 bytes per POPCNT instruction otherwise, and a portable SWAR
// count on CPUs without either. The bit search likewise first skips 64-byte blocks that hold
// none of the wanted bit (four blocks per test with AVX-512, one of eight words portably), then
// finds the word and the bit. The build does not assume any of these instructions (no
// -march), hence the per-function target attributes. BITPOS over 125 KB of zeros took 10 us
// with an 8-byte loop, 2 us with the block skip; BITCOUNT over it takes 2 us.
//
// BITFIELD's fields are at most 64 bits at any bit offset, so one spans at most 9 bytes: reads
// load those 9 bytes (zero past the string's end) and shift; writes edit a 72-bit window held in
// a 128-bit integer and store back only the bytes the field touches.

#include "engine/types/bitmap.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace aegisr {
namespace {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// The word at p with p[0] as its most significant byte.
inline uint64_t LoadBigEndian64(const uint8_t* p) { return __builtin_bswap64(Load64(p)); }

// Set bits of a 64-bit word without the POPCNT instruction (the classic SWAR sum).
inline uint64_t Popcount64Portable(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (x * 0x0101010101010101ull) >> 56;
}

uint64_t PopCountPortable(const uint8_t* p, size_t n) {
  uint64_t total = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) total += Popcount64Portable(Load64(p + i));
  for (; i < n; ++i) total += Popcount64Portable(p[i]);
  return total;
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) uint64_t PopCountPopcnt(const uint8_t* p, size_t n) {
  // Four sums, so that consecutive POPCNTs do not wait on one another's addition.
  uint64_t a = 0, b = 0, c = 0, d = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a += uint64_t(__builtin_popcountll(Load64(p + i)));
    b += uint64_t(__builtin_popcountll(Load64(p + i + 8)));
    c += uint64_t(__builtin_popcountll(Load64(p + i + 16)));
    d += uint64_t(__builtin_popcountll(Load64(p + i + 24)));
  }
  for (; i + 8 <= n; i += 8) a += uint64_t(__builtin_popcountll(Load64(p + i)));
  for (; i < n; ++i) b += uint64_t(__builtin_popcount(p[i]));
  return a + b + c + d;
}

__attribute__((target("popcnt,avx512f,avx512vpopcntdq"))) uint64_t PopCountAvx512(const uint8_t* p,
                                                                                  size_t n) {
  __m512i s0 = _mm512_setzero_si512();
  __m512i s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_loadu_si512(p + i)));
    s1 = _mm512_add_epi64(s1, _mm512_popcnt_epi64(_mm512_loadu_si512(p + i + 64)));
  }
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_loadu_si512(p + i)));
  }
  // Summed through memory: GCC 12's _mm512_reduce_add_epi64 trips -Wuninitialized.
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(s0, s1));
  uint64_t total = 0;
  for (uint64_t lane : lanes) total += lane;
  for (; i + 8 <= n; i += 8) total += uint64_t(__builtin_popcountll(Load64(p + i)));
  for (; i < n; ++i) total += uint64_t(__builtin_popcount(p[i]));
  return total;
}
#endif

using PopCountFn = uint64_t (*)(const uint8_t*, size_t);

PopCountFn ChoosePopCount() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
    return PopCountAvx512;
  if (__builtin_cpu_supports("popcnt")) return PopCountPopcnt;
#endif
  return PopCountPortable;
}

const PopCountFn g_popcount = ChoosePopCount();

// Below 256 bytes the wide loop's setup and tail cost more than they save.
uint64_t PopCountBytes(const uint8_t* p, size_t n) {
  return n < 256 ? PopCountPortable(p, n) : g_popcount(p, n);
}

// The bits of a byte from bit `from` to bit `to` (0 = most significant), inclusive.
inline uint8_t ByteMask(unsigned from, unsigned to) {
  return uint8_t((0xFFu >> from) & (0xFFu << (7 - to)));
}

// Index of the first set bit of a non-zero byte (0 = most significant).
inline int FirstSetInByte(uint8_t v) { return __builtin_clz(unsigned(v)) - 24; }

// How many bytes at the start of p[0, n), in whole 64-byte blocks, hold no bit equal to kBit:
// the search for a bit skips them before looking word by word.
template <bool kBit>
size_t SkipBlocksPortable(const uint8_t* p, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    // OR of the words is zero when no 1 is there; AND is all ones when no 0 is.
    uint64_t any = 0, all = ~0ull;
    for (size_t j = 0; j < 64; j += 8) {
      uint64_t w = Load64(p + i + j);
      any |= w;
      all &= w;
    }
    if (kBit ? any != 0 : all != ~0ull) break;
  }
  return i;
}

#if defined(__x86_64__)
template <bool kBit>
__attribute__((target("avx512f"))) size_t SkipBlocksAvx512(const uint8_t* p, size_t n) {
  const __m512i other = kBit ? _mm512_setzero_si512() : _mm512_set1_epi64(-1);
  size_t i = 0;
  for (; i + 256 <= n; i += 256) {
    __m512i a = _mm512_loadu_si512(p + i), b = _mm512_loadu_si512(p + i + 64);
    __m512i c = _mm512_loadu_si512(p + i + 128), d = _mm512_loadu_si512(p + i + 192);
    __m512i x = kBit ? _mm512_or_si512(_mm512_or_si512(a, b), _mm512_or_si512(c, d))
                     : _mm512_and_si512(_mm512_and_si512(a, b), _mm512_and_si512(c, d));
    if (_mm512_cmpneq_epi64_mask(x, other)) break;
  }
  for (; i + 64 <= n; i += 64) {
    if (_mm512_cmpneq_epi64_mask(_mm512_loadu_si512(p + i), other)) break;
  }
  return i;
}
#endif

using SkipFn = size_t (*)(const uint8_t*, size_t);
struct SkipFns {
  SkipFn ones;   // looking for a 1
  SkipFn zeros;  // looking for a 0
};

SkipFns ChooseSkip() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {SkipBlocksAvx512<true>, SkipBlocksAvx512<false>};
#endif
  return {SkipBlocksPortable<true>, SkipBlocksPortable<false>};
}

const SkipFns g_skip = ChooseSkip();

// The first bit equal to `bit` in p[0, n) as an index from p's first bit, or -1.
int64_t FindBitInBytes(const uint8_t* p, size_t n, bool bit) {
  size_t i = n < 256 ? 0 : (bit ? g_skip.ones : g_skip.zeros)(p, n);
  // A word without a wanted bit is zero once flipped when looking for a 0.
  const uint64_t flip = bit ? 0 : ~0ull;
  for (; i + 8 <= n; i += 8) {
    uint64_t w = Load64(p + i) ^ flip;
    if (w) return int64_t(i * 8) + __builtin_clzll(__builtin_bswap64(w));
  }
  for (; i < n; ++i) {
    uint8_t v = uint8_t(p[i] ^ uint8_t(flip));
    if (v) return int64_t(i * 8) + FirstSetInByte(v);
  }
  return -1;
}

// out[i] = op(out[i], s[i]) for i < m, four 64-bit words per step.
template <typename Op>
void Combine(uint8_t* out, const uint8_t* s, size_t m, Op op) {
  size_t i = 0;
  for (; i + 32 <= m; i += 32) {
    uint64_t w[4];
    for (size_t k = 0; k < 4; ++k) w[k] = op(Load64(out + i + 8 * k), Load64(s + i + 8 * k));
    std::memcpy(out + i, w, 32);
  }
  for (; i + 8 <= m; i += 8) {
    uint64_t w = op(Load64(out + i), Load64(s + i));
    std::memcpy(out + i, &w, 8);
  }
  for (; i < m; ++i) out[i] = uint8_t(op(out[i], s[i]));
}

}  // namespace

uint64_t PopCount(const uint8_t* p, size_t n) { return PopCountBytes(p, n); }

uint64_t CountBitRange(const uint8_t* p, uint64_t first, uint64_t last) {
  if (first > last) return 0;
  const uint64_t fb = first >> 3, lb = last >> 3;
  const unsigned fbit = unsigned(first & 7), lbit = unsigned(last & 7);
  if (fb == lb) return uint64_t(__builtin_popcount(p[fb] & ByteMask(fbit, lbit)));
  uint64_t n = uint64_t(__builtin_popcount(p[fb] & ByteMask(fbit, 7)));
  n += PopCountBytes(p + fb + 1, size_t(lb - fb - 1));
  n += uint64_t(__builtin_popcount(p[lb] & ByteMask(0, lbit)));
  return n;
}

int64_t FindBitInRange(const uint8_t* p, uint64_t first, uint64_t last, bool bit) {
  if (first > last) return -1;
  const uint64_t fb = first >> 3, lb = last >> 3;
  const unsigned fbit = unsigned(first & 7), lbit = unsigned(last & 7);
  auto wanted = [&](uint64_t i, uint8_t mask) -> uint8_t {
    return uint8_t((bit ? p[i] : uint8_t(~p[i])) & mask);
  };
  if (fb == lb) {
    uint8_t v = wanted(fb, ByteMask(fbit, lbit));
    return v ? int64_t(fb * 8) + FirstSetInByte(v) : -1;
  }
  if (uint8_t v = wanted(fb, ByteMask(fbit, 7))) return int64_t(fb * 8) + FirstSetInByte(v);
  int64_t mid = FindBitInBytes(p + fb + 1, size_t(lb - fb - 1), bit);
  if (mid >= 0) return int64_t((fb + 1) * 8) + mid;
  if (uint8_t v = wanted(lb, ByteMask(0, lbit))) return int64_t(lb * 8) + FirstSetInByte(v);
  return -1;
}

BitRange ResolveBitRange(size_t len, int64_t start, int64_t end, bool bit_unit) {
  // len is at most a few GiB, so neither the total nor the sums below overflow.
  const int64_t total = bit_unit ? int64_t(len) * 8 : int64_t(len);
  if (start < 0) start += total;
  if (end < 0) end += total;
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  if (end >= total) end = total - 1;
  BitRange r;
  if (start > end) return r;  // also every range of an empty string (end is then -1)
  r.empty = false;
  r.first = bit_unit ? uint64_t(start) : uint64_t(start) * 8;
  r.last = bit_unit ? uint64_t(end) : uint64_t(end) * 8 + 7;
  return r;
}

int64_t BitPos(const uint8_t* p, const BitRange& r, bool bit, bool end_given) {
  if (r.empty) return -1;
  int64_t pos = FindBitInRange(p, r.first, r.last, bit);
  if (pos >= 0 || bit || end_given) return pos;
  return int64_t(r.last + 1);  // a 0 past the end of the string
}

void BitOp(BitOpKind op, std::span<const std::string_view> srcs, uint8_t* out, size_t out_len) {
  auto src = [&](size_t j) { return reinterpret_cast<const uint8_t*>(srcs[j].data()); };
  const size_t n0 = std::min(srcs[0].size(), out_len);
  if (n0) std::memcpy(out, src(0), n0);
  std::memset(out + n0, 0, out_len - n0);
  if (op == BitOpKind::kNot) {
    size_t i = 0;
    for (; i + 8 <= out_len; i += 8) {
      uint64_t w = ~Load64(out + i);
      std::memcpy(out + i, &w, 8);
    }
    for (; i < out_len; ++i) out[i] = uint8_t(~out[i]);
    return;
  }
  for (size_t j = 1; j < srcs.size(); ++j) {
    const uint8_t* s = src(j);
    const size_t m = std::min(srcs[j].size(), out_len);
    // Past this source's end it reads as zeros, which clears the result for AND and leaves it
    // alone for OR and XOR.
    switch (op) {
      case BitOpKind::kAnd:
        Combine(out, s, m, [](uint64_t x, uint64_t y) { return x & y; });
        std::memset(out + m, 0, out_len - m);
        break;
      case BitOpKind::kOr:
        Combine(out, s, m, [](uint64_t x, uint64_t y) { return x | y; });
        break;
      case BitOpKind::kXor:
        Combine(out, s, m, [](uint64_t x, uint64_t y) { return x ^ y; });
        break;
      case BitOpKind::kNot:
        break;
    }
  }
}

uint64_t GetUnsignedField(const uint8_t* p, size_t len, uint64_t offset, unsigned bits) {
  const uint64_t byte = offset >> 3;
  const unsigned shift = unsigned(offset & 7);
  uint8_t buf[9] = {};
  if (byte < len) std::memcpy(buf, p + byte, std::min<uint64_t>(9, len - byte));
  uint64_t v = LoadBigEndian64(buf) << shift;
  if (shift) v |= uint64_t(buf[8]) >> (8 - shift);
  return bits >= 64 ? v : v >> (64 - bits);
}

int64_t GetSignedField(const uint8_t* p, size_t len, uint64_t offset, unsigned bits) {
  uint64_t u = GetUnsignedField(p, len, offset, bits);
  if (bits < 64 && ((u >> (bits - 1)) & 1)) u |= ~0ull << bits;  // extend the sign
  return int64_t(u);
}

void SetField(uint8_t* p, uint64_t offset, unsigned bits, uint64_t value) {
  const uint64_t byte = offset >> 3;
  const unsigned shift = unsigned(offset & 7);
  const size_t nbytes = (shift + bits + 7) >> 3;
  uint8_t buf[9] = {};
  std::memcpy(buf, p + byte, nbytes);
  // The 72-bit window buf[0..8], buf[0]'s top bit being window bit 71.
  unsigned __int128 w = 0;
  for (uint8_t b : buf) w = (w << 8) | b;
  const unsigned low = 72 - shift - bits;  // the field's lowest bit in the window
  const uint64_t field_mask = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  const unsigned __int128 mask = static_cast<unsigned __int128>(field_mask) << low;
  w = (w & ~mask) | (static_cast<unsigned __int128>(value & field_mask) << low);
  for (int i = 8; i >= 0; --i) {
    buf[i] = uint8_t(w);
    w >>= 8;
  }
  std::memcpy(p + byte, buf, nbytes);
}

int UnsignedFieldOverflow(uint64_t value, int64_t incr, unsigned bits, FieldOverflow mode,
                          uint64_t* limit) {
  const uint64_t max = bits >= 64 ? ~0ull : (1ull << bits) - 1;
  // Redis's headroom in each direction, as signed 64-bit numbers.
  const int64_t up = int64_t(max - value);
  const int64_t down = int64_t(0 - value);
  int r;
  if (value > max || (incr > 0 && incr > up))
    r = 1;
  else if (incr < 0 && incr < down)
    r = -1;
  else
    return 0;
  if (mode == FieldOverflow::kWrap)
    *limit = (value + uint64_t(incr)) & max;
  else if (mode == FieldOverflow::kSat)
    *limit = r > 0 ? max : 0;
  return r;
}

int SignedFieldOverflow(int64_t value, int64_t incr, unsigned bits, FieldOverflow mode,
                        int64_t* limit) {
  const int64_t max = bits >= 64 ? INT64_MAX : (int64_t(1) << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // Headroom computed in 64 bits with wrap-around, exactly as Redis does (see bitmap.h).
  const int64_t up = int64_t(uint64_t(max) - uint64_t(value));
  const int64_t down = int64_t(uint64_t(min) - uint64_t(value));
  const bool narrow = bits < 64;
  int r;
  if (value > max || (narrow && incr > up) || (value >= 0 && incr > 0 && incr > up))
    r = 1;
  else if (value < min || (narrow && incr < down) || (value < 0 && incr < 0 && incr < down))
    r = -1;
  else
    return 0;
  if (mode == FieldOverflow::kWrap) {
    uint64_t c = uint64_t(value) + uint64_t(incr);
    if (narrow) {
      const uint64_t high = ~0ull << bits;
      c = (c >> (bits - 1)) & 1 ? c | high : c & ~high;
    }
    *limit = int64_t(c);
  } else if (mode == FieldOverflow::kSat) {
    *limit = r > 0 ? max : min;
  }
  return r;
}

}  // namespace aegisr
