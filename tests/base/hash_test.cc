#include "base/hash.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace aegisr {
namespace {

// Values from the Redis Cluster specification's CRC16 reference ("123456789" -> 0x31C3) and
// from CLUSTER KEYSLOT of redis-server 7.0.
TEST(HashTest, Crc16MatchesTheClusterSpecification) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(Crc16(""), 0);
}

TEST(HashTest, KeyHashSlotMatchesRedis) {
  EXPECT_EQ(KeyHashSlot("foo"), 12182u);
  EXPECT_EQ(KeyHashSlot("bar"), 5061u);
  EXPECT_EQ(KeyHashSlot("key:0000000001"), KeyHashSlot("key:0000000001"));
  // Hash tags: the first non-empty {...} decides; "{}" is not a tag.
  EXPECT_EQ(KeyHashSlot("{user1000}.following"), KeyHashSlot("user1000"));
  EXPECT_EQ(KeyHashSlot("foo{}{bar}"), Crc16("foo{}{bar}") & 16383u);
  EXPECT_EQ(KeyHashSlot("foo{{bar}}zap"), KeyHashSlot("{bar"));
  EXPECT_EQ(KeyHashSlot("foo{bar}{zap}"), KeyHashSlot("bar"));
}

TEST(HashTest, SlicedCrc16EqualsBytewiseForEveryLengthAndRandomBytes) {
  std::mt19937 rng(42);
  for (size_t len = 0; len < 100; ++len) {
    for (int rep = 0; rep < 50; ++rep) {
      std::string s(len, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      ASSERT_EQ(Crc16(s), Crc16Bytewise(s)) << "length " << len;
    }
  }
}

}  // namespace
}  // namespace aegisr
