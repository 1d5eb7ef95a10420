// Unit tests of the list family's bookkeeping through Engine::Dispatch: memory accounting, COPY
// and the disk-tier codec. Reply texts are covered differentially against redis-server
// (tests/integration/test_differential_lists.py). Single-threaded.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "net/resp_writer.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

class ListFamilyTest : public EngineFixture {};

TEST_F(ListFamilyTest, MemoryAccountingFollowsEveryChange) {
  std::vector<std::string> big;
  for (int i = 0; i < 2000; ++i) big.push_back("element-" + std::to_string(i));
  std::vector<std::string_view> push = {"RPUSH", "l"};
  for (const auto& s : big) push.push_back(s);
  EXPECT_EQ(Run(push), ":2000\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"LPUSH", "l", "head"}), ":2001\r\n");
  EXPECT_EQ(Run({"LSET", "l", "5", "changed"}), "+OK\r\n");
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "changed", "new"}), ":2002\r\n");
  EXPECT_EQ(Run({"LREM", "l", "0", "new"}), ":1\r\n");
  EXPECT_EQ(Run({"LTRIM", "l", "10", "-10"}), "+OK\r\n");
  // The list is now head, element-0 .. element-3, changed, element-5 ..: LTRIM kept index 10 on.
  EXPECT_EQ(Run({"LMOVE", "l", "m", "LEFT", "RIGHT"}), "$9\r\nelement-9\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"LPOP", "l", "5000"}).substr(0, 6), "*1981\r");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0\r\n");  // the last pop deleted the key
  ExpectBookkeepingExact();
}

TEST_F(ListFamilyTest, CopyIsDeepAndEncodingIsQuicklist) {
  Run({"RPUSH", "src", "a", "b", "c"});
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1\r\n");
  Run({"RPOP", "src"});
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(Run({"LRANGE", "src", "0", "-1"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "dst"}), "$9\r\nquicklist\r\n");
  EXPECT_EQ(Run({"TYPE", "dst"}), "+list\r\n");
  ExpectBookkeepingExact();
}

TEST_F(ListFamilyTest, TierCodecRoundTripsAndRejectsBadPayloads) {
  std::string bin("a\0b\r\n", 5);
  Run({"RPUSH", "l", "", bin, std::string(1000, 'x'), "last"});
  std::string payload;
  WithEntry("l", [&](const Entry* e) {
    ASSERT_NE(e, nullptr);
    payload = EncodeValue(*e);
  });
  ASSERT_FALSE(payload.empty());
  KeyRef k("l2");
  Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kList), payload);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->type, ValueType::kList);
  EXPECT_EQ(EncodeValue(*back), payload);
  FreeEntry(back);
  // Truncated, with trailing bytes, an element length past the end, an empty list: refused.
  for (std::string bad : {payload.substr(0, payload.size() - 1), payload + "x",
                          std::string("\x02\x05"
                                      "ab",
                                      4),
                          std::string("\x00", 1), std::string()}) {
    EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kList), bad), nullptr) << bad.size();
  }
  EXPECT_TRUE(HasEncoder(ValueType::kList));
}

}  // namespace
}  // namespace aegisr
