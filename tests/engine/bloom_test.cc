// Unit tests of the bloom filter type (engine/types/bloom.h) and of the BF.* family's
// bookkeeping through Engine::Dispatch: RedisBloom's sizing, no false negatives, the measured
// false-positive rate, scaling, the disk-tier codec, memory accounting and COPY. Reply shapes
// and error paths are covered end to end by tests/integration/test_bloom.py. Single-threaded.

#include "engine/types/bloom.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

using bloom::AddResult;
using bloom::BloomChain;
using bloom::ComputeShape;
using bloom::LinkShape;
using bloom::ShapeResult;

std::unique_ptr<BloomChain> NewChain(uint64_t capacity, double error, uint32_t expansion = 2,
                                     bool nonscaling = false) {
  BloomChain::CreateError err;
  auto c = BloomChain::Create(capacity, error, expansion, nonscaling, &err);
  EXPECT_EQ(err, BloomChain::CreateError::kNone);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Sizing

TEST(BloomShapeTest, FollowsRedisBloomsFormulas) {
  // Independent arithmetic: bpe = -ln(e) / ln(2)^2, bits truncated then rounded up to whole
  // 64-bit words, hashes = ceil(ln(2) * bpe).
  for (uint64_t n : {1ull, 7ull, 100ull, 1000ull, 12345ull, 1000000ull}) {
    for (double e : {0.5, 0.1, 0.01, 0.005, 0.001, 1e-6}) {
      LinkShape s;
      ASSERT_EQ(ComputeShape(n, e, &s), ShapeResult::kOk);
      double bpe = -std::log(e) / (std::log(2.0) * std::log(2.0));
      EXPECT_NEAR(s.bpe, bpe, 1e-9);
      uint64_t bits = std::max<uint64_t>(1, uint64_t(double(n) * s.bpe));
      EXPECT_EQ(s.bytes, (bits + 63) / 64 * 8) << n << " " << e;
      EXPECT_EQ(s.bits, s.bytes * 8);
      EXPECT_EQ(s.hashes, uint32_t(std::ceil(0.693147180559945 * s.bpe)));
      EXPECT_EQ(s.entries, n);
    }
  }
}

TEST(BloomShapeTest, KnownShapes) {
  LinkShape s;
  // BF.ADD's default filter: 100 entries at 0.01, tightened to 0.005 for the first link.
  ASSERT_EQ(ComputeShape(100, 0.005, &s), ShapeResult::kOk);
  EXPECT_EQ(s.bytes, 144u);  // 1102 bits -> 18 words
  EXPECT_EQ(s.hashes, 8u);
  ASSERT_EQ(ComputeShape(1000, 0.01, &s), ShapeResult::kOk);
  EXPECT_EQ(s.bytes, 1200u);  // 9585 bits -> 150 words
  EXPECT_EQ(s.hashes, 7u);
  ASSERT_EQ(ComputeShape(1, 0.9, &s), ShapeResult::kOk);  // under one bit: one word
  EXPECT_EQ(s.bytes, 8u);
  EXPECT_EQ(s.hashes, 1u);
}

TEST(BloomShapeTest, RefusesInvalidAndImpossibleShapes) {
  LinkShape s;
  EXPECT_EQ(ComputeShape(0, 0.01, &s), ShapeResult::kInvalid);
  EXPECT_EQ(ComputeShape(10, 0, &s), ShapeResult::kInvalid);
  EXPECT_EQ(ComputeShape(10, 1, &s), ShapeResult::kInvalid);
  EXPECT_EQ(ComputeShape(10, -0.5, &s), ShapeResult::kInvalid);
  EXPECT_EQ(ComputeShape(10, std::numeric_limits<double>::quiet_NaN(), &s), ShapeResult::kInvalid);
  EXPECT_EQ(ComputeShape(uint64_t(1) << 62, 0.001, &s), ShapeResult::kTooLarge);  // > 2^64 bits
  EXPECT_EQ(ComputeShape(uint64_t(1) << 50, 0.01, &s), ShapeResult::kTooLarge);   // > 64 TiB
}

TEST(BloomChainTest, DefaultFilterReportsRedisBloomsSize) {
  auto c = NewChain(100, 0.01);
  // RedisBloom: 32-byte chain + 64-byte link + 144 bytes of bits (its docs show Size 240).
  EXPECT_EQ(c->ReportedBytes(), 240u);
  EXPECT_EQ(c->capacity(), 100u);
  EXPECT_EQ(c->link(0).shape.error, 0.005);
  auto n = NewChain(100, 0.01, 2, /*nonscaling=*/true);
  EXPECT_EQ(n->link(0).shape.error, 0.01);  // a non-scaling chain is not tightened
}

// ---------------------------------------------------------------------------------------------
// Behaviour

TEST(BloomChainTest, NoFalseNegativesWhileGrowing) {
  auto c = NewChain(1000, 0.01);
  for (int i = 0; i < 100000; ++i) {
    AddResult r = c->Add("item:" + std::to_string(i));
    ASSERT_NE(r, AddResult::kFull);
    ASSERT_NE(r, AddResult::kNoLink);
  }
  EXPECT_GT(c->filter_count(), 5u);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(c->Contains("item:" + std::to_string(i))) << i;
}

// Inserts capacity items, asks `probes` others; returns the share answered "present".
double MeasuredFpRate(BloomChain& c, int capacity, int probes) {
  for (int i = 0; i < capacity; ++i) c.Add("in:" + std::to_string(i));
  int fp = 0;
  for (int i = 0; i < probes; ++i) fp += c.Contains("out:" + std::to_string(i));
  return double(fp) / probes;
}

TEST(BloomChainTest, FalsePositiveRateWithinRequestedRate) {
  for (double e : {0.01, 0.001}) {
    auto c = NewChain(10000, e);
    double rate = MeasuredFpRate(*c, 10000, 200000);
    EXPECT_EQ(c->filter_count(), 1u);
    EXPECT_LE(rate, e) << e;
    EXPECT_GT(rate, 0.0) << e;  // the filter does not cheat by being huge
    // A non-scaling filter is not tightened: full, its expected rate is the requested one
    // itself ((1 - exp(-k n / m))^k = 0.000999 for 0.001), so a sample lands on either side.
    auto n = NewChain(10000, e, 2, true);
    EXPECT_LE(MeasuredFpRate(*n, 10000, 200000), e * 1.25) << e;
  }
}

TEST(BloomChainTest, ScaledChainStaysWithinRequestedRate) {
  auto c = NewChain(1000, 0.01);
  double rate = MeasuredFpRate(*c, 8000, 200000);
  EXPECT_EQ(c->filter_count(), 4u);  // 1000 + 2000 + 4000 < 8000 <= + 8000
  EXPECT_LE(rate, 0.01);
}

TEST(BloomChainTest, ScalesByExpansionWithTightenedRates) {
  auto c = NewChain(100, 0.01, 3);
  for (int i = 0; c->size() < 100; ++i) c->Add("a" + std::to_string(i));
  EXPECT_EQ(c->filter_count(), 1u);  // full, but the next link opens only for a new item
  for (int i = 0; c->size() < 101; ++i) c->Add("b" + std::to_string(i));
  ASSERT_EQ(c->filter_count(), 2u);
  EXPECT_EQ(c->link(1).shape.entries, 300u);
  EXPECT_EQ(c->link(1).shape.error, 0.0025);
  EXPECT_EQ(c->link(1).size, 1u);
  EXPECT_EQ(c->capacity(), 400u);
  for (int i = 0; c->size() < 401; ++i) c->Add("c" + std::to_string(i));
  ASSERT_EQ(c->filter_count(), 3u);
  EXPECT_EQ(c->link(2).shape.entries, 900u);
  EXPECT_EQ(c->link(2).shape.error, 0.00125);
}

TEST(BloomChainTest, NonScalingChainRefusesWhenFull) {
  auto c = NewChain(10, 0.01, 2, true);
  int added = 0;
  for (int i = 0; added < 10; ++i) added += c->Add("x" + std::to_string(i)) == AddResult::kAdded;
  EXPECT_EQ(c->Add("one more"), AddResult::kFull);
  EXPECT_EQ(c->size(), 10u);
  EXPECT_EQ(c->filter_count(), 1u);
  EXPECT_EQ(c->Add("x0"), AddResult::kExists);  // present items still answer
}

TEST(BloomChainTest, GrowthThatCannotBeSizedIsRefused) {
  // Expansion 0 (RedisBloom's truncated unsigned growth) asks for a link of 0 entries.
  auto c = NewChain(2, 0.01, 0);
  c->Add("a");
  c->Add("b");
  EXPECT_EQ(c->Add("c"), AddResult::kNoLink);
  EXPECT_EQ(c->filter_count(), 1u);
  EXPECT_EQ(c->size(), 2u);
}

TEST(BloomChainTest, SetsTheSameBitsAsRedisBloom) {
  // The bit array of RedisBloom 2.8's own bloom.c (bloom_init with NOROUND | FORCE64, 100
  // entries at 0.005, bloom_add_h of bloom_calc_hash64) after adding "item:0".."item:2",
  // printed by a harness compiled from its source: the hash, the positions and the layout agree.
  constexpr std::string_view kRedisBloomHex =
      "00100100000000000200000000000100080000000000000000000000000000000020008000000000000000000000"
      "00"
      "04000000004000000000008000000002000000000002000000000020000009000000000000000000000000009000"
      "00"
      "00000000000000000000000000000000000000080040000004040000000000000010000020000000000040000000"
      "00"
      "000000";
  auto c = NewChain(100, 0.01);
  for (int i = 0; i < 3; ++i) c->Add("item:" + std::to_string(i));
  std::string payload;
  c->Encode(&payload);
  ASSERT_EQ(c->link(0).shape.bytes, 144u);
  std::string bits = payload.substr(payload.size() - 144);
  std::string hex;
  for (unsigned char ch : bits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[ch >> 4];
    hex += kDigits[ch & 15];
  }
  EXPECT_EQ(hex, kRedisBloomHex);
}

TEST(BloomChainTest, CopyIsDeep) {
  auto c = NewChain(100, 0.01);
  c->Add("a");
  BloomChain copy(*c);
  c->Add("b");
  EXPECT_TRUE(copy.Contains("a"));
  EXPECT_FALSE(copy.Contains("b"));
  EXPECT_EQ(copy.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Codec

TEST(BloomCodecTest, RoundTripsAndRefusesDamagedPayloads) {
  auto c = NewChain(50, 0.02, 3);
  for (int i = 0; i < 400; ++i) c->Add("k" + std::to_string(i));
  ASSERT_GT(c->filter_count(), 2u);
  std::string payload;
  c->Encode(&payload);
  auto back = BloomChain::Decode(payload);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->size(), c->size());
  EXPECT_EQ(back->filter_count(), c->filter_count());
  EXPECT_EQ(back->capacity(), c->capacity());
  EXPECT_EQ(back->expansion(), 3u);
  std::string again;
  back->Encode(&again);
  EXPECT_EQ(again, payload);
  for (int i = 0; i < 400; ++i) EXPECT_TRUE(back->Contains("k" + std::to_string(i)));

  auto nonscaling = NewChain(10, 0.1, 2, true);
  std::string ns;
  nonscaling->Encode(&ns);
  auto ns_back = BloomChain::Decode(ns);
  ASSERT_NE(ns_back, nullptr);
  EXPECT_TRUE(ns_back->nonscaling());

  std::vector<std::string> bad = {
      "",
      payload.substr(0, payload.size() - 1),           // truncated bits
      payload + "x",                                   // trailing byte
      "\x02" + payload.substr(1),                      // unknown version
      std::string("\x01\x02", 2) + payload.substr(2),  // unknown flag
      std::string("\x01\x00\x02\x00", 4),              // no links
      std::string("\x01\x00\x02\x7f", 4),              // more links than bytes
  };
  // One link of 1 entry at rate 0.5 (8 bytes of bits) holding 2 items: more than its entries.
  std::string one("\x01\x00\x02\x01\x01", 5);
  std::string rate(8, '\0');
  double half = 0.5;
  std::memcpy(rate.data(), &half, 8);
  std::string good = one + rate + std::string("\x01", 1) + std::string(8, '\0');
  ASSERT_NE(BloomChain::Decode(good), nullptr);
  bad.push_back(one + rate + std::string("\x02", 1) + std::string(8, '\0'));
  // A rate of 1 or 0 is no shape at all.
  double one_rate = 1.0;
  std::memcpy(rate.data(), &one_rate, 8);
  bad.push_back(one + rate + std::string("\x01", 1) + std::string(8, '\0'));
  // A huge entry count whose bits are not there must not be allocated.
  bad.push_back(std::string("\x01\x00\x02\x01\xff\xff\xff\xff\x0f", 9) + std::string(8, '\x3f') +
                std::string("\x00", 1) + std::string(64, '\0'));
  for (const std::string& b : bad) EXPECT_EQ(BloomChain::Decode(b), nullptr) << b.size();
}

TEST(BloomCodecTest, DamagedBytesNeverCrashAndRefusedOnesAllocateNothingHuge) {
  auto c = NewChain(20, 0.1, 2);
  for (int i = 0; i < 60; ++i) c->Add("m" + std::to_string(i));
  std::string payload;
  c->Encode(&payload);
  std::mt19937_64 rng(7);
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bad = payload;
    int flips = 1 + int(rng() % 4);
    for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = char(rng());
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    auto back = BloomChain::Decode(bad);
    if (!back) continue;
    ++decoded;  // a damaged bit array still decodes: the shape around it is consistent
    EXPECT_LE(back->size(), back->capacity());
    back->Contains("m1");
    std::string again;
    back->Encode(&again);
    EXPECT_EQ(again, bad);  // whatever decodes, encodes back to the same bytes
  }
  EXPECT_GT(decoded, 0);
}

// ---------------------------------------------------------------------------------------------
// Through the engine

class BloomFamilyTest : public EngineFixture {};

TEST_F(BloomFamilyTest, MemoryAccountingFollowsEveryChange) {
  EXPECT_EQ(Run({"BF.RESERVE", "bf", "0.01", "100"}), "+OK\r\n");
  ExpectBookkeepingExact();
  std::vector<std::string> items;
  for (int i = 0; i < 1000; ++i) items.push_back("item-" + std::to_string(i));
  std::vector<std::string_view> madd = {"BF.MADD", "bf"};
  for (const auto& s : items) madd.push_back(s);
  EXPECT_EQ(Run(madd).substr(0, 7), "*1000\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"BF.INFO", "bf", "FILTERS"}), "*1\r\n:4\r\n");  // 100+200+400+800 >= 1000
  EXPECT_EQ(Run({"BF.ADD", "new", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"BF.INSERT", "ins", "CAPACITY", "10", "ITEMS", "a", "b"}), "*2\r\n:1\r\n:1\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"COPY", "bf", "copy"}), ":1\r\n");
  EXPECT_EQ(Run({"RENAME", "new", "renamed"}), "+OK\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"DEL", "bf", "copy", "renamed", "ins"}), ":4\r\n");
  ExpectBookkeepingExact();
}

TEST_F(BloomFamilyTest, CopyIsDeepAndTypeIsRedisBlooms) {
  Run({"BF.ADD", "src", "a"});
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1\r\n");
  Run({"BF.ADD", "src", "b"});
  EXPECT_EQ(Run({"BF.MEXISTS", "dst", "a", "b"}), "*2\r\n:1\r\n:0\r\n");
  EXPECT_EQ(Run({"BF.CARD", "dst"}), ":1\r\n");
  EXPECT_EQ(Run({"BF.CARD", "src"}), ":2\r\n");
  EXPECT_EQ(Run({"TYPE", "dst"}), "+MBbloom--\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "dst"}), "$3\r\nraw\r\n");
  ExpectBookkeepingExact();
}

TEST_F(BloomFamilyTest, TierCodecIsRegistered) {
  Run({"BF.MADD", "bf", "a", "b", "c"});
  std::string payload;
  WithEntry("bf", [&](const Entry* e) {
    ASSERT_NE(e, nullptr);
    payload = EncodeValue(*e);
  });
  ASSERT_FALSE(payload.empty());
  EXPECT_TRUE(HasEncoder(ValueType::kBloom));
  KeyRef k("bf2");
  Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kBloom), payload);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->type, ValueType::kBloom);
  EXPECT_EQ(EncodeValue(*back), payload);
  FreeEntry(back);
  EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kBloom), payload + "x"), nullptr);
}

}  // namespace
}  // namespace aegisr
