// Unit tests for the per-key access metadata (tier/access.h).
#include "tier/access.h"

#include <gtest/gtest.h>

namespace aegisr::tier {
namespace {

TEST(Access, PacksTimeAndCounter) {
  uint32_t m = MakeAccess(0xABCDEF, 42);
  EXPECT_EQ(AccessTime(m), 0xABCDEFu);
  EXPECT_EQ(AccessCounter(m), 42);
  EXPECT_EQ(AccessTime(MakeAccess(0x1ABCDEF, 0)), 0xABCDEFu);  // the clock is 24 bits
  EXPECT_EQ(AccessCounter(NewAccess(7)), kLfuInitValue);
}

TEST(Access, ClockIsSecondsModulo24Bits) {
  EXPECT_EQ(AccessClock(5999), 5u);
  EXPECT_EQ(AccessClock(int64_t(kClockMask + 1) * 1000 + 3000), 3u);
}

TEST(Access, IdleTicksSurvivesOneWrap) {
  EXPECT_EQ(IdleTicks(MakeAccess(100, 0), 160), 60u);
  EXPECT_EQ(IdleTicks(MakeAccess(kClockMask - 9, 0), 5), 15u);
  EXPECT_EQ(IdleTicks(MakeAccess(100, 0), 100), 0u);
}

TEST(Access, CounterDecaysOnePerPeriod) {
  LfuParams p;  // one step per minute
  uint32_t m = MakeAccess(1000, 10);
  EXPECT_EQ(DecayedCounter(m, 1000 + 59, p), 10);
  EXPECT_EQ(DecayedCounter(m, 1000 + 60, p), 9);
  EXPECT_EQ(DecayedCounter(m, 1000 + 60 * 4, p), 6);
  EXPECT_EQ(DecayedCounter(m, 1000 + 60 * 100, p), 0);  // never below zero
  p.decay_time = 0;
  EXPECT_EQ(DecayedCounter(m, 1000 + 60 * 100, p), 10);
  p.decay_time = 2;
  EXPECT_EQ(DecayedCounter(m, 1000 + 60 * 4, p), 8);
}

TEST(Access, LogIncrementFollowsRedisProbabilities) {
  LfuParams p;                                                          // log factor 10
  EXPECT_EQ(LogIncrement(kLfuInitValue, 0.999, p), kLfuInitValue + 1);  // p = 1 at the start
  EXPECT_EQ(LogIncrement(15, 0.0089, p), 16);                           // p = 1/(10*10+1) ~ 0.0099
  EXPECT_EQ(LogIncrement(15, 0.0100, p), 15);
  EXPECT_EQ(LogIncrement(255, 0.0, p), 255);  // saturates
  EXPECT_EQ(LogIncrement(0, 0.999, p), 1);    // below the initial value: always
}

TEST(Access, TouchRecordsTimeAndCountsLogarithmically) {
  LfuParams p;
  uint32_t m = 0;  // never set: starts from the initial value
  for (int i = 0; i < 1000; ++i) m = Touch(m, 500, p);
  EXPECT_EQ(AccessTime(m), 500u);
  // With log factor 10, a thousand hits land around 18-20 (Redis's table: 100 hits -> 10ish,
  // 1000 -> 18ish); a linear counter would saturate.
  EXPECT_GT(AccessCounter(m), 12);
  EXPECT_LT(AccessCounter(m), 30);
  // Idle for three minutes: three steps lost before the next access counts.
  uint8_t before = AccessCounter(m);
  uint32_t later = Touch(m, 500 + 180, p);
  EXPECT_GE(AccessCounter(later), before - 3);
  EXPECT_LE(AccessCounter(later), before - 2);
}

TEST(Access, TouchWithAnExplicitDrawDecaysThenIncrementsOnlyBelowTheProbability) {
  LfuParams p;
  EXPECT_EQ(Touch(0, 7, p, 0.999), MakeAccess(7, kLfuInitValue + 1));  // new: p = 1
  uint32_t m = MakeAccess(100, 15);
  // Two minutes idle: 15 decays to 13, then p = 1/(8*10+1) ~ 0.0123.
  EXPECT_EQ(Touch(m, 220, p, 0.0120), MakeAccess(220, 14));
  EXPECT_EQ(Touch(m, 220, p, 0.0125), MakeAccess(220, 13));
}

}  // namespace
}  // namespace aegisr::tier
