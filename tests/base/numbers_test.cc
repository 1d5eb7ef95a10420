// Tests for base/numbers: Redis-compatible parsing and formatting. Expected values are
// what redis-server 7.0 accepts and prints (INCRBY, INCRBYFLOAT, ZSCORE).

#include "base/numbers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

namespace aegisr {
namespace {

using namespace std::string_view_literals;

TEST(String2llTest, AcceptsCanonicalIntegers) {
  int64_t v = 99;
  ASSERT_TRUE(String2ll("0", &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(String2ll("-17", &v));
  EXPECT_EQ(v, -17);
  ASSERT_TRUE(String2ll("9223372036854775807", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(String2ll("-9223372036854775808", &v));
  EXPECT_EQ(v, std::numeric_limits<int64_t>::min());
}

TEST(String2llTest, RejectsWhatRedisRejects) {
  int64_t v = 99;
  for (std::string_view bad : {""sv, "-"sv, "+1"sv, " 1"sv, "1 "sv, "01"sv, "-0"sv, "00"sv, "1a"sv,
                               "0x10"sv, "1.0"sv, "9223372036854775808"sv, "-9223372036854775809"sv,
                               "18446744073709551616"sv, "123456789012345678901"sv, "1\0"sv}) {
    EXPECT_FALSE(String2ll(bad, &v)) << bad;
  }
  EXPECT_EQ(v, 99);  // untouched on failure
}

TEST(String2llTest, RoundTripsWithLl2String) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const int64_t x = static_cast<int64_t>(rng()) >> (rng() % 64);
    int64_t y;
    ASSERT_TRUE(String2ll(Ll2String(x), &y)) << x;
    EXPECT_EQ(x, y);
    EXPECT_EQ(Ll2String(x), std::to_string(x));
  }
}

TEST(String2dTest, AcceptsAndRejectsAsRedis) {
  double d = 0;
  ASSERT_TRUE(String2d("1.5", &d));
  EXPECT_EQ(d, 1.5);
  ASSERT_TRUE(String2d("+1.5", &d));
  EXPECT_EQ(d, 1.5);
  ASSERT_TRUE(String2d("inf", &d));
  EXPECT_TRUE(std::isinf(d));
  ASSERT_TRUE(String2d("-inf", &d));
  EXPECT_LT(d, 0);
  ASSERT_TRUE(String2d("0x10", &d));
  EXPECT_EQ(d, 16);
  ASSERT_TRUE(String2d("1e-310", &d));  // gradual underflow is fine
  EXPECT_GT(d, 0);
  for (std::string_view bad : {""sv, " 1"sv, "1 "sv, "nan"sv, "abc"sv, "1e400"sv, "-1e400"sv,
                               "1e-400"sv, "1.5\0"sv, "\t2"sv}) {
    EXPECT_FALSE(String2d(bad, &d)) << bad;
  }
  // A long valid text goes through the heap copy.
  std::string long_text = "1." + std::string(300, '0');
  ASSERT_TRUE(String2d(long_text, &d));
  EXPECT_EQ(d, 1.0);
}

TEST(String2ldTest, AcceptsAndRejectsAsRedis) {
  long double d = 0;
  ASSERT_TRUE(String2ld("1e4000", &d));  // fine for a long double
  ASSERT_TRUE(String2ld("1e-4940", &d));
  ASSERT_TRUE(String2ld("0x10", &d));
  EXPECT_EQ(d, 16);
  ASSERT_TRUE(String2ld("+1.5", &d));
  EXPECT_EQ(d, 1.5L);
  for (std::string_view bad : {""sv, " 1"sv, "1 "sv, "nan"sv, "1e-5000"sv, "1e5000"sv}) {
    EXPECT_FALSE(String2ld(bad, &d)) << bad;
  }
  EXPECT_TRUE(String2ld(std::string(kMaxLongDoubleChars - 1, '1').substr(0, 20), &d));
  EXPECT_FALSE(String2ld(std::string(kMaxLongDoubleChars, '1'), &d));
}

TEST(D2StringTest, MatchesRedis) {
  EXPECT_EQ(D2String(0.1), "0.10000000000000001");
  EXPECT_EQ(D2String(3), "3");
  EXPECT_EQ(D2String(-0.0), "-0");
  EXPECT_EQ(D2String(0.0), "0");
  EXPECT_EQ(D2String(INFINITY), "inf");
  EXPECT_EQ(D2String(-INFINITY), "-inf");
  EXPECT_EQ(D2String(-NAN), "nan");  // d2string checks isnan first
  EXPECT_EQ(D2String(1e17), "1e+17");
  EXPECT_EQ(FormatDouble(-NAN), "-nan");  // addReplyDouble prints %.17g as glibc does
}

TEST(Ld2StringTest, HumanModeAsIncrbyfloat) {
  EXPECT_EQ(Ld2String(1e20L, LdMode::kHuman), "100000000000000000000");
  EXPECT_EQ(Ld2String(0.1L + 0.2L, LdMode::kHuman), "0.3");
  EXPECT_EQ(Ld2String(10.5L, LdMode::kHuman), "10.5");
  EXPECT_EQ(Ld2String(3.0L, LdMode::kHuman), "3");
  EXPECT_EQ(Ld2String(1e-20L, LdMode::kHuman), "0");
  EXPECT_EQ(Ld2String(-1e-30L, LdMode::kHuman), "0");  // "-0" becomes "0"
  EXPECT_EQ(Ld2String(-2.5L, LdMode::kHuman), "-2.5");
  EXPECT_EQ(Ld2String(INFINITY, LdMode::kHuman), "inf");
  EXPECT_EQ(Ld2String(-INFINITY, LdMode::kHuman), "-inf");
  // As redis-server prints INCRBYFLOAT 0 1e4000: 4000 digits, "99999...".
  const std::string big = Ld2String(1e4000L, LdMode::kHuman);
  EXPECT_EQ(big.size(), 4000u);
  EXPECT_EQ(big.substr(0, 5), "99999");
  // The largest long double still fits Redis's 5 KB buffer (4933 digits).
  EXPECT_EQ(Ld2String(std::numeric_limits<long double>::max(), LdMode::kHuman).size(), 4933u);
}

TEST(Ld2StringTest, AutoModeIsPercent17Lg) {
  EXPECT_EQ(Ld2String(1e20L, LdMode::kAuto), "1e+20");
  EXPECT_EQ(Ld2String(0.5L, LdMode::kAuto), "0.5");
}

}  // namespace
}  // namespace aegisr
