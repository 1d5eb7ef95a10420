// Unit tests of the bitmap commands (engine/bitmap_family.cc) and their bit helpers
// (engine/types/bitmap.h): the helpers against bit-by-bit models over random buffers with ranges
// at word and byte edges, BITFIELD against a model with exact (128-bit) arithmetic for every
// width and overflow mode, and memory accounting after every kind of change. Expected error
// texts are the constants of engine/bitmap_errors.h (checked against redis-server 7.0.15 by
// tests/integration/test_differential_bitmaps.py). Single-threaded.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/bitmap_errors.h"
#include "engine/errors.h"
#include "engine/types/bitmap.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }
std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// The model: bit i of a byte string, bit 0 being the top bit of byte 0.
bool BitAt(const std::vector<uint8_t>& v, uint64_t i) {
  return i / 8 < v.size() && ((v[i / 8] >> (7 - i % 8)) & 1);
}
void SetBitAt(std::vector<uint8_t>& v, uint64_t i, bool on) {
  if (i / 8 >= v.size()) v.resize(i / 8 + 1, 0);
  uint8_t m = uint8_t(0x80 >> (i % 8));
  v[i / 8] = on ? uint8_t(v[i / 8] | m) : uint8_t(v[i / 8] & ~m);
}

std::vector<uint8_t> RandomBytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  // Mix dense, sparse and saturated buffers so that word skipping is exercised both ways.
  int kind = int(rng() % 4);
  for (auto& b : v) {
    uint8_t r = uint8_t(rng());
    b = kind == 0   ? r
        : kind == 1 ? uint8_t(rng() % 64 == 0 ? r : 0)
        : kind == 2 ? uint8_t(rng() % 64 == 0 ? r : 0xFF)
                    : uint8_t(r & uint8_t(rng()));
  }
  return v;
}

// Bit positions worth testing in a buffer of nbits: both ends, byte and word edges, random.
std::vector<uint64_t> EdgePositions(std::mt19937_64& rng, uint64_t nbits) {
  std::vector<uint64_t> out;
  for (uint64_t e : {0ull, 1ull, 7ull, 8ull, 9ull, 63ull, 64ull, 65ull, 127ull, 128ull})
    if (e < nbits) out.push_back(e);
  if (nbits) {
    out.push_back(nbits - 1);
    if (nbits > 8) out.push_back(nbits - 8);
    if (nbits > 64) out.push_back(nbits - 64);
    for (int i = 0; i < 6; ++i) out.push_back(rng() % nbits);
  }
  return out;
}

TEST(BitmapHelpersTest, PopCountMatchesBitByBitCountAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(1);
  for (size_t n : {0ul, 1ul, 7ul, 8ul, 9ul, 31ul, 32ul, 33ul, 63ul, 64ul, 127ul, 128ul, 255ul,
                   256ul, 257ul, 1000ul, 4099ul, 100003ul}) {
    std::vector<uint8_t> v = RandomBytes(rng, n + 8);
    for (size_t shift : {0ul, 1ul, 3ul, 7ul}) {
      uint64_t expect = 0;
      for (size_t i = shift; i < shift + n && i < v.size(); ++i)
        expect += uint64_t(__builtin_popcount(v[i]));
      size_t len = std::min(n, v.size() - shift);
      EXPECT_EQ(PopCount(v.data() + shift, len), expect) << "n " << n << " shift " << shift;
    }
  }
}

TEST(BitmapHelpersTest, CountAndFindOverRangesMatchTheModel) {
  std::mt19937_64 rng(2);
  for (size_t n : {1ul, 2ul, 8ul, 9ul, 16ul, 17ul, 40ul, 300ul, 2051ul}) {
    for (int round = 0; round < 6; ++round) {
      std::vector<uint8_t> v = RandomBytes(rng, n);
      const uint64_t nbits = n * 8;
      std::vector<uint64_t> pos = EdgePositions(rng, nbits);
      for (uint64_t first : pos) {
        for (uint64_t last : pos) {
          if (first > last) {
            EXPECT_EQ(CountBitRange(v.data(), first, last), 0u);
            EXPECT_EQ(FindBitInRange(v.data(), first, last, true), -1);
            continue;
          }
          uint64_t count = 0;
          int64_t first1 = -1, first0 = -1;
          for (uint64_t i = first; i <= last; ++i) {
            bool b = BitAt(v, i);
            count += b;
            if (b && first1 < 0) first1 = int64_t(i);
            if (!b && first0 < 0) first0 = int64_t(i);
          }
          ASSERT_EQ(CountBitRange(v.data(), first, last), count)
              << "n " << n << " [" << first << ", " << last << "]";
          ASSERT_EQ(FindBitInRange(v.data(), first, last, true), first1)
              << "n " << n << " [" << first << ", " << last << "]";
          ASSERT_EQ(FindBitInRange(v.data(), first, last, false), first0)
              << "n " << n << " [" << first << ", " << last << "]";
        }
      }
    }
  }
}

TEST(BitmapHelpersTest, FindSkipsLongRunsOfTheOtherBit) {
  std::vector<uint8_t> zeros(10000, 0), ones(10000, 0xFF);
  zeros[9000] = 0x01;
  ones[9001] = 0xFE;
  EXPECT_EQ(FindBitInRange(zeros.data(), 0, 80000 - 1, true), 9000 * 8 + 7);
  EXPECT_EQ(FindBitInRange(ones.data(), 3, 80000 - 1, false), 9001 * 8 + 7);
  EXPECT_EQ(FindBitInRange(zeros.data(), 9000 * 8 + 8, 80000 - 1, true), -1);
}

TEST(BitmapHelpersTest, RangesResolveAsRedisDoes) {
  // 10 bytes = 80 bits.
  auto r = ResolveBitRange(10, 0, -1, false);
  EXPECT_FALSE(r.empty);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 79u);
  r = ResolveBitRange(10, -3, -2, false);  // bytes 7..8
  EXPECT_EQ(r.first, 56u);
  EXPECT_EQ(r.last, 71u);
  r = ResolveBitRange(10, -100, 100, false);  // clamped to the string
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 79u);
  r = ResolveBitRange(10, 5, -9, true);  // bits 5..71
  EXPECT_EQ(r.first, 5u);
  EXPECT_EQ(r.last, 71u);
  EXPECT_TRUE(ResolveBitRange(10, 5, 4, false).empty);
  EXPECT_TRUE(ResolveBitRange(10, 10, 20, false).empty);  // starts past the end
  EXPECT_TRUE(ResolveBitRange(0, 0, -1, false).empty);    // empty string
  EXPECT_TRUE(ResolveBitRange(0, 0, 0, true).empty);
}

TEST(BitmapHelpersTest, BitPosPadsWithZerosOnlyWithoutAnEnd) {
  std::vector<uint8_t> v = {0xFF, 0xFF, 0xFF};
  auto whole = ResolveBitRange(3, 0, 2, false);
  EXPECT_EQ(BitPos(v.data(), whole, false, /*end_given=*/false), 24);
  EXPECT_EQ(BitPos(v.data(), whole, false, /*end_given=*/true), -1);
  EXPECT_EQ(BitPos(v.data(), whole, true, false), 0);
  std::vector<uint8_t> z = {0, 0, 0};
  EXPECT_EQ(BitPos(z.data(), whole, true, false), -1);
  EXPECT_EQ(BitPos(z.data(), ResolveBitRange(3, 9, 12, true), false, true), 9);
  EXPECT_EQ(BitPos(z.data(), ResolveBitRange(3, 5, 4, false), false, false), -1);
}

TEST(BitmapHelpersTest, BitOpMatchesBytewiseModelWithDifferentLengths) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    size_t nsrc = 1 + rng() % 4;
    std::vector<std::string> bufs(nsrc);
    size_t maxlen = 0;
    for (auto& b : bufs) {
      size_t len = rng() % 3 == 0 ? 0 : rng() % 70;
      auto bytes = RandomBytes(rng, len);
      b.assign(bytes.begin(), bytes.end());
      maxlen = std::max(maxlen, len);
    }
    std::vector<std::string_view> srcs(bufs.begin(), bufs.end());
    for (BitOpKind op : {BitOpKind::kAnd, BitOpKind::kOr, BitOpKind::kXor, BitOpKind::kNot}) {
      if (op == BitOpKind::kNot && nsrc != 1) continue;
      std::vector<uint8_t> out(maxlen + 1, 0xAA);
      BitOp(op, srcs, out.data(), maxlen);
      EXPECT_EQ(out[maxlen], 0xAA) << "wrote past the result";
      for (size_t i = 0; i < maxlen; ++i) {
        auto at = [&](size_t j) { return i < bufs[j].size() ? uint8_t(bufs[j][i]) : uint8_t(0); };
        uint8_t expect = at(0);
        if (op == BitOpKind::kNot) expect = uint8_t(~expect);
        for (size_t j = 1; j < nsrc; ++j) {
          if (op == BitOpKind::kAnd) expect &= at(j);
          if (op == BitOpKind::kOr) expect |= at(j);
          if (op == BitOpKind::kXor) expect ^= at(j);
        }
        ASSERT_EQ(out[i], expect) << "round " << round << " byte " << i;
      }
    }
  }
}

TEST(BitmapHelpersTest, FieldsRoundTripAtEveryWidthAndLeaveNeighboursAlone) {
  std::mt19937_64 rng(4);
  for (unsigned bits = 1; bits <= 64; ++bits) {
    for (int round = 0; round < 40; ++round) {
      std::vector<uint8_t> v = RandomBytes(rng, 24);
      std::vector<uint8_t> model = v;
      uint64_t offset = rng() % (24 * 8 - bits + 1);
      uint64_t value = rng();
      SetField(v.data(), offset, bits, value);
      for (unsigned i = 0; i < bits; ++i)
        SetBitAt(model, offset + i, (value >> (bits - 1 - i)) & 1);
      ASSERT_EQ(v, model) << "bits " << bits << " offset " << offset;
      uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
      EXPECT_EQ(GetUnsignedField(v.data(), v.size(), offset, bits), value & mask);
      int64_t s = int64_t(value & mask);
      if (bits < 64 && ((value >> (bits - 1)) & 1)) s = int64_t((value & mask) | ~mask);
      EXPECT_EQ(GetSignedField(v.data(), v.size(), offset, bits), s);
    }
  }
  // Past the end, reads see zeros.
  std::vector<uint8_t> one = {0xFF};
  EXPECT_EQ(GetUnsignedField(one.data(), 1, 4, 8), 0xF0u);
  EXPECT_EQ(GetUnsignedField(one.data(), 1, 100, 8), 0u);
}

// ---------------------------------------------------------------------------------------------
// Commands

class BitmapFamilyTest : public EngineFixture {
 protected:
  std::string Value(std::string_view key) { return Run({"GET", key}); }
};

TEST_F(BitmapFamilyTest, SetBitGrowsWithZerosAndReturnsTheOldBit) {
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), Int(0));
  EXPECT_EQ(Value("k"), Bulk(std::string("\x01", 1)));
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), Int(1));
  EXPECT_EQ(Run({"SETBIT", "k", "7", "0"}), Int(1));
  EXPECT_EQ(Run({"SETBIT", "k", "8", "1"}), Int(0));
  EXPECT_EQ(Value("k"), Bulk(std::string("\x00\x80", 2)));
  EXPECT_EQ(Run({"GETBIT", "k", "8"}), Int(1));
  EXPECT_EQ(Run({"GETBIT", "k", "9"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "k", "1000000"}), Int(0));
  EXPECT_EQ(Run({"GETBIT", "nokey", "0"}), Int(0));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "k"}), Bulk("raw"));
  EXPECT_EQ(Run({"SETBIT", "big", "40000000", "1"}), Int(0));  // 5 MB
  EXPECT_EQ(Run({"STRLEN", "big"}), Int(5000001));
  EXPECT_EQ(Run({"BITCOUNT", "big"}), Int(1));
  EXPECT_EQ(Run({"BITPOS", "big", "1"}), Int(40000000));
  ExpectBookkeepingExact();
}

TEST_F(BitmapFamilyTest, IntegerValuesAreReadAsTheirDigits) {
  Run({"SET", "n", "5"});  // '5' = 0x35 = 00110101
  EXPECT_EQ(Run({"GETBIT", "n", "2"}), Int(1));
  EXPECT_EQ(Run({"BITCOUNT", "n"}), Int(4));
  EXPECT_EQ(Run({"BITPOS", "n", "1"}), Int(2));
  EXPECT_EQ(Run({"BITFIELD_RO", "n", "GET", "u8", "0"}), "*1\r\n:53\r\n");
  EXPECT_EQ(Run({"SETBIT", "n", "6", "1"}), Int(0));  // 0x37 = '7'
  EXPECT_EQ(Value("n"), Bulk("7"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n"}), Bulk("raw"));
  ExpectBookkeepingExact();
}

TEST_F(BitmapFamilyTest, BadArgumentsGetRedisErrorsAndChangeNothing) {
  Run({"SET", "k", "abc"});
  Run({"RPUSH", "list", "x"});
  EXPECT_EQ(Run({"SETBIT", "k", "-1", "1"}), Err(errors::kBitOffset));
  EXPECT_EQ(Run({"SETBIT", "k", "x", "1"}), Err(errors::kBitOffset));
  EXPECT_EQ(Run({"SETBIT", "k", "#1", "1"}), Err(errors::kBitOffset));
  EXPECT_EQ(Run({"SETBIT", "k", "4294967296", "1"}), Err(errors::kBitOffset));  // 512 MB
  EXPECT_EQ(Run({"SETBIT", "k", "1", "2"}), Err(errors::kBitValue));
  EXPECT_EQ(Run({"SETBIT", "k", "1", "-1"}), Err(errors::kBitValue));
  EXPECT_EQ(Run({"SETBIT", "list", "1", "1"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"GETBIT", "list", "1"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITCOUNT", "nokey", "0"}), Int(0));  // missing key: range never parsed
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITCOUNT", "k", "0", "1", "BITS"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITCOUNT", "k", "-1", "-2", "BITS"}), Int(0));  // Redis checks order first
  EXPECT_EQ(Run({"BITPOS", "k", "2"}), Err(errors::kBitArgument));
  EXPECT_EQ(Run({"BITPOS", "k", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITPOS", "nokey", "0", "x"}), Int(0));
  EXPECT_EQ(Run({"BITPOS", "nokey", "1"}), Int(-1));
  EXPECT_EQ(Run({"BITPOS", "k", "1", "0", "1", "BIT", "x"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITOP", "NAND", "d", "k"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "k", "k"}), Err(errors::kBitopNotOneKey));
  EXPECT_EQ(Run({"BITOP", "AND", "d", "k", "list"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u64", "0"}), Err(errors::kBitfieldType));
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "i65", "0"}), Err(errors::kBitfieldType));
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "I8", "0"}), Err(errors::kBitfieldType));
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u0", "0"}), Err(errors::kBitfieldType));
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW", "SATURATE"}), Err(errors::kBitfieldOverflow));
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "0", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "-8", "1"}), Err(errors::kBitOffset));
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "0", "1", "GET", "x8", "0"}),
            Err(errors::kBitfieldType));
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "SET", "u8", "0", "1"}), Err(errors::kBitfieldReadOnly));
  EXPECT_EQ(Run({"BITFIELD", "list", "SET", "u8", "0", "1"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"BITFIELD_RO", "list", "GET", "u8", "0"}), Err(errors::kWrongType));
  EXPECT_EQ(Value("k"), Bulk("abc"));
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
  EXPECT_EQ(Run({"LRANGE", "list", "0", "-1"}), "*1\r\n" + Bulk("x"));
  ExpectBookkeepingExact();
}

TEST_F(BitmapFamilyTest, BitOpPadsMissingKeysAndReplacesTheDestination) {
  Run({"SET", "a", std::string("\xF0\x0F\xFF", 3)});
  Run({"SET", "b", std::string("\xFF", 1)});
  Run({"SET", "d", "old", "EX", "100"});
  EXPECT_EQ(Run({"BITOP", "AND", "d", "a", "b", "missing"}), Int(3));
  EXPECT_EQ(Value("d"), Bulk(std::string("\0\0\0", 3)));
  EXPECT_EQ(Run({"TTL", "d"}), Int(-1));
  EXPECT_EQ(Run({"BITOP", "OR", "d", "a", "b"}), Int(3));
  EXPECT_EQ(Value("d"), Bulk(std::string("\xFF\x0F\xFF", 3)));
  EXPECT_EQ(Run({"BITOP", "XOR", "a", "a", "b"}), Int(3));  // destination is a source
  EXPECT_EQ(Value("a"), Bulk(std::string("\x0F\x0F\xFF", 3)));
  EXPECT_EQ(Run({"BITOP", "NOT", "a", "a"}), Int(3));
  EXPECT_EQ(Value("a"), Bulk(std::string("\xF0\xF0\x00", 3)));
  Run({"RPUSH", "l", "x"});
  EXPECT_EQ(Run({"BITOP", "OR", "l", "b"}), Int(1));  // any type is overwritten
  EXPECT_EQ(Run({"TYPE", "l"}), "+string\r\n");
  EXPECT_EQ(Run({"BITOP", "OR", "d", "missing", "missing2"}), Int(0));  // deletes d
  EXPECT_EQ(Run({"EXISTS", "d"}), Int(0));
  ExpectBookkeepingExact();
}

TEST_F(BitmapFamilyTest, BitfieldWritesGrowTheStringEvenWhenFailRefusesThem) {
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "100", "1000"}),
            "*1\r\n$-1\r\n");
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(14));  // bits 100..107 live in byte 13
  EXPECT_EQ(Run({"BITCOUNT", "k"}), Int(0));
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "i8", "#2", "-1", "GET", "u4", "16", "GET", "u8", "#2"}),
            "*3\r\n:0\r\n:15\r\n:255\r\n");
  EXPECT_EQ(Run({"BITFIELD", "k"}), "*0\r\n");
  EXPECT_EQ(Run({"BITFIELD", "nokey", "GET", "i64", "0"}), "*1\r\n:0\r\n");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), Int(0));
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808"}),
            "*1\r\n:0\r\n");
  // Redis's range test wraps for a value this far below i8's minimum: SAT stores the maximum.
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "i8", "0"}), "*1\r\n:127\r\n");
  ExpectBookkeepingExact();
}

// The model of one BITFIELD SET/INCRBY: exact arithmetic in 128 bits.
struct FieldModelResult {
  bool refused;
  int64_t reply;
  uint64_t stored;  // the field's bits after the operation
};
FieldModelResult ModelFieldWrite(bool is_signed, unsigned bits, FieldOverflow mode, bool incr,
                                 uint64_t old_bits, int64_t arg) {
  using i128 = __int128;
  const i128 span = i128(1) << bits;
  const i128 lo = is_signed ? -(span / 2) : 0;
  const i128 hi = is_signed ? span / 2 - 1 : span - 1;
  i128 old = i128(old_bits);
  if (is_signed && bits < 64 && ((old_bits >> (bits - 1)) & 1)) old -= span;
  if (is_signed && bits == 64) old = i128(int64_t(old_bits));
  // An unsigned SET takes its value as a 64-bit unsigned number (-1 is 2^64-1).
  i128 want = incr ? old + arg : (is_signed ? i128(arg) : i128(uint64_t(arg)));
  i128 result = want;
  if (want < lo || want > hi) {
    if (mode == FieldOverflow::kFail) return {true, 0, old_bits};
    if (mode == FieldOverflow::kSat) {
      result = want > hi ? hi : lo;
      // Redis tests a signed SET value through max - value in 64 bits, which wraps for values
      // within max of INT64_MIN: those count as overflow, so SAT stores the maximum.
      if (is_signed && !incr && want <= i128(hi) + i128(INT64_MIN)) result = hi;
    } else {
      result = ((want - lo) % span + span) % span + lo;
    }
  }
  const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
  i128 reply = incr ? result : old;
  return {false, int64_t(reply), uint64_t(result) & mask};
}

TEST_F(BitmapFamilyTest, BitfieldMatchesExactArithmeticForEveryWidthAndOverflowMode) {
  std::mt19937_64 rng(5);
  const char* mode_names[] = {"WRAP", "SAT", "FAIL"};
  const FieldOverflow modes[] = {FieldOverflow::kWrap, FieldOverflow::kSat, FieldOverflow::kFail};
  for (int sign = 0; sign < 2; ++sign) {
    for (unsigned bits = 1; bits <= (sign ? 64u : 63u); ++bits) {
      for (int m = 0; m < 3; ++m) {
        Run({"DEL", "f"});
        std::vector<uint8_t> model;
        const std::string type = (sign ? "i" : "u") + std::to_string(bits);
        for (int step = 0; step < 12; ++step) {
          const bool incr = rng() % 2;
          // Half of the offsets in "#n" form (n fields of this width).
          const bool hash = rng() % 2;
          const uint64_t index = rng() % 4;
          const uint64_t offset = hash ? index * bits : rng() % 80;
          // Values near the field's bounds, in range and out of it, and anywhere in int64.
          int64_t arg;
          switch (rng() % 4) {
            case 0:
              arg = int64_t(rng() % 5) - 2;
              break;
            case 1:
              arg = int64_t(bits >= 63 ? (rng() >> 1) : (1ull << (bits - 1)) + rng() % 3 - 1);
              break;
            case 2:
              arg = -int64_t(bits >= 63 ? (rng() >> 1) : (1ull << bits) + rng() % 3 - 1);
              break;
            default:
              arg = int64_t(rng());
          }
          uint64_t old_bits = 0;
          for (unsigned i = 0; i < bits; ++i)
            old_bits = (old_bits << 1) | uint64_t(BitAt(model, offset + i));
          FieldModelResult want = ModelFieldWrite(sign, bits, modes[m], incr, old_bits, arg);
          if (model.size() < (offset + bits + 7) / 8) model.resize((offset + bits + 7) / 8, 0);
          if (!want.refused) {
            for (unsigned i = 0; i < bits; ++i)
              SetBitAt(model, offset + i, (want.stored >> (bits - 1 - i)) & 1);
          }
          const std::string off = hash ? "#" + std::to_string(index) : std::to_string(offset);
          const std::string val = std::to_string(arg);
          std::string reply = Run({"BITFIELD", "f", "OVERFLOW", mode_names[m],
                                   incr ? "INCRBY" : "SET", type, off, val, "GET", type, off});
          uint64_t now_bits = 0;
          for (unsigned i = 0; i < bits; ++i)
            now_bits = (now_bits << 1) | uint64_t(BitAt(model, offset + i));
          const uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
          int64_t get = int64_t(now_bits);
          if (sign && bits < 64 && ((now_bits >> (bits - 1)) & 1)) get = int64_t(now_bits | ~mask);
          std::string expect =
              "*2\r\n" + (want.refused ? std::string("$-1\r\n") : Int(want.reply)) + Int(get);
          ASSERT_EQ(reply, expect) << type << " " << mode_names[m] << (incr ? " INCRBY " : " SET ")
                                   << offset << " " << arg;
          std::string value(model.begin(), model.end());
          ASSERT_EQ(Value("f"), Bulk(value)) << type << " offset " << offset;
        }
      }
    }
  }
  ExpectBookkeepingExact();
}

TEST_F(BitmapFamilyTest, MemoryAccountingFollowsEveryChange) {
  Run({"SET", "s", "12"});
  Run({"SETBIT", "s", "3", "1"});  // int -> raw
  Run({"SET", "e", "short"});
  Run({"SETBIT", "e", "100000", "1"});  // embstr -> raw, grown
  for (int i = 0; i < 2000; ++i) Run({"SETBIT", "g", std::to_string(i * 97), "1"});
  Run({"BITFIELD", "g", "INCRBY", "u63", "1000000", "5"});
  Run({"SETBIT", "big", "33554432", "1"});  // 4 MB
  Run({"BITOP", "OR", "dst", "g", "e", "big"});
  Run({"BITOP", "NOT", "dst", "s"});
  Run({"BITOP", "AND", "s", "nokey"});  // deletes s
  Run({"SET", "t", "x", "EX", "100"});
  Run({"SETBIT", "t", "1", "1"});  // keeps its TTL
  EXPECT_NE(Run({"TTL", "t"}), Int(-1));
  EXPECT_NE(Run({"TTL", "t"}), Int(-2));
  ExpectBookkeepingExact();
  Run({"FLUSHALL"});
  ExpectBookkeepingExact();
}

}  // namespace
}  // namespace aegisr
