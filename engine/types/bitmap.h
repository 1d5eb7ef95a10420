#pragma once
// Bit-level operations over string values, as Redis's bitmap commands see them: bit 0 is the most
// significant bit of byte 0, bit 8 the most significant bit of byte 1, and so on. Pure functions
// over memory the caller owns; thread-safe.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace aegisr {

// Set bits in p[0, n). Counts 64-bit words with the CPU's population count (AVX-512 VPOPCNTQ or
// POPCNT where the CPU has them, chosen once at startup; a portable fallback otherwise).
uint64_t PopCount(const uint8_t* p, size_t n);

// Set bits among bits [first, last] of p (inclusive; last < 8 * p's size).
uint64_t CountBitRange(const uint8_t* p, uint64_t first, uint64_t last);

// The position of the first bit equal to `bit` among bits [first, last] of p (inclusive), or -1
// if there is none. Skips 64-byte blocks holding only the other value (AVX-512 where present).
int64_t FindBitInRange(const uint8_t* p, uint64_t first, uint64_t last, bool bit);

// A BITCOUNT/BITPOS range resolved against a string of len bytes as Redis 7.0 does: negative
// indexes count from the end (in bytes, or in bits with BIT), then both ends are clamped into the
// string. empty: nothing is left (start past end, or an empty string); else [first, last] in bits.
struct BitRange {
  bool empty = true;
  uint64_t first = 0;
  uint64_t last = 0;
};
BitRange ResolveBitRange(size_t len, int64_t start, int64_t end, bool bit_unit);

// BITPOS's answer for a resolved range: the first bit equal to `bit`; when there is none, -1,
// except that a search for 0 without an explicit end sees the string as padded with zeros on the
// right and answers the first bit past it (Redis's rule). An empty range answers -1.
int64_t BitPos(const uint8_t* p, const BitRange& r, bool bit, bool end_given);

// BITOP: the operation over sources, the shorter ones padded with zero bytes, into out[0, out_len)
// where out_len is the longest source's length. NOT takes exactly one source. out must not
// overlap a source.
enum class BitOpKind : uint8_t { kAnd, kOr, kXor, kNot };
void BitOp(BitOpKind op, std::span<const std::string_view> srcs, uint8_t* out, size_t out_len);

// BITFIELD's fields: `bits` (1..64) bits starting at bit `offset`, big-endian as SETBIT numbers
// them. Reads see the string as padded with zeros past len; writes need the field's bytes inside
// the buffer ((offset + bits + 7) / 8 <= its size) and leave the bits around the field alone.
uint64_t GetUnsignedField(const uint8_t* p, size_t len, uint64_t offset, unsigned bits);
int64_t GetSignedField(const uint8_t* p, size_t len, uint64_t offset, unsigned bits);
void SetField(uint8_t* p, uint64_t offset, unsigned bits, uint64_t value);

// BITFIELD's OVERFLOW modes.
enum class FieldOverflow : uint8_t { kWrap, kSat, kFail };

// Whether value + incr fits a field of `bits` bits (unsigned: 1..63, signed: 1..64), with Redis
// 7.0's exact tests: 0 when it fits, 1 on overflow, -1 on underflow. When it does not fit and
// the mode is kWrap or kSat, *limit gets what to store instead: the sum wrapped into the field's
// width (two's complement for signed fields), or the bound crossed. SET checks its value with
// incr 0; note that Redis compares a signed value against the field's range through 64-bit
// differences that wrap, so a SET value within `max` of INT64_MIN reports overflow (1), not
// underflow, and OVERFLOW SAT stores the maximum for it.
int UnsignedFieldOverflow(uint64_t value, int64_t incr, unsigned bits, FieldOverflow mode,
                          uint64_t* limit);
int SignedFieldOverflow(int64_t value, int64_t incr, unsigned bits, FieldOverflow mode,
                        int64_t* limit);

}  // namespace aegisr
