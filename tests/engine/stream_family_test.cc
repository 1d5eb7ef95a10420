// Unit tests of the stream family's bookkeeping through Engine::Dispatch: memory accounting after
// every kind of change, COPY, TYPE / OBJECT ENCODING, the disk-tier codec, and the config knobs of
// the node encoding. Reply texts are covered differentially against redis-server
// (tests/integration/test_differential_streams.py). Single-threaded.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "engine/types/stream.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

class StreamFamilyTest : public EngineFixture {
 protected:
  // XADD s <ms>-<seq> with n field/value pairs; returns the reply.
  std::string Add(std::string_view key, std::string id, int n, std::string_view value = "v") {
    std::vector<std::string> fv;
    for (int i = 0; i < n; ++i) {
      fv.push_back("field-" + std::to_string(i));
      fv.emplace_back(value);
    }
    std::vector<std::string_view> args = {"XADD", key, id};
    for (const auto& s : fv) args.push_back(s);
    return Run(args);
  }
};

TEST_F(StreamFamilyTest, MemoryAccountingFollowsEveryChange) {
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_EQ(Add("s", std::to_string(i) + "-1", 1 + i % 3).substr(0, 1), "$");
  }
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"XLEN", "s"}), ":1000\r\n");
  EXPECT_EQ(Run({"XDEL", "s", "5-1", "6-1", "7-1", "999999-1"}), ":3\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "900"}), ":97\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "~", "500"}).substr(0, 1), ":");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "10", "*", "f", "v"}).substr(0, 1), "$");
  EXPECT_EQ(Run({"XLEN", "s"}), ":10\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"XSETID", "s", "99999999999999-5", "ENTRIESADDED", "5000"}), "+OK\r\n");
  ExpectBookkeepingExact();
  // Emptied streams stay, as in Redis.
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "0"}), ":10\r\n");
  EXPECT_EQ(Run({"EXISTS", "s"}), ":1\r\n");
  EXPECT_EQ(Run({"XLEN", "s"}), ":0\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"DEL", "s"}), ":1\r\n");
  ExpectBookkeepingExact();
}

TEST_F(StreamFamilyTest, CopyIsDeepAndTypeAndEncodingAreStream) {
  Add("src", "1-1", 2);
  Add("src", "2-1", 2);
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1\r\n");
  Run({"XDEL", "src", "2-1"});
  Add("src", "3-1", 1);
  EXPECT_EQ(Run({"XLEN", "dst"}), ":2\r\n");
  EXPECT_EQ(
      Run({"XRANGE", "dst", "2", "+"}),
      "*1\r\n*2\r\n$3\r\n2-1\r\n*4\r\n$7\r\nfield-0\r\n$1\r\nv\r\n$7\r\nfield-1\r\n$1\r\nv\r\n");
  EXPECT_EQ(Run({"XLEN", "src"}), ":2\r\n");
  EXPECT_EQ(Run({"TYPE", "dst"}), "+stream\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "dst"}), "$6\r\nstream\r\n");
  // MEMORY USAGE grows with the entries.
  std::string before = Run({"MEMORY", "USAGE", "dst"});
  for (int i = 10; i < 400; ++i) Add("dst", std::to_string(i) + "-0", 3, std::string(30, 'x'));
  std::string after = Run({"MEMORY", "USAGE", "dst"});
  ASSERT_EQ(before[0], ':');
  ASSERT_EQ(after[0], ':');
  EXPECT_GT(std::stoll(after.substr(1)), std::stoll(before.substr(1)) + 390 * 30);
  ExpectBookkeepingExact();
}

TEST_F(StreamFamilyTest, TierCodecRoundTripsAndRejectsBadPayloads) {
  std::string bin("a\0b\r\n", 5);
  Run({"XADD", "s", "1-1", "f", bin, "g", ""});
  Run({"XADD", "s", "2-1", "f", "x", "g", "y"});
  Run({"XADD", "s", "3-1", std::string(300, 'k'), std::string(1000, 'x')});
  Run({"XDEL", "s", "2-1"});
  std::string payload;
  WithEntry("s", [&](const Entry* e) {
    ASSERT_NE(e, nullptr);
    payload = EncodeValue(*e);
  });
  ASSERT_FALSE(payload.empty());
  KeyRef k("s2");
  Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kStream), payload);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->type, ValueType::kStream);
  EXPECT_EQ(EncodeValue(*back), payload);
  const auto& st = *static_cast<const Stream*>(back->object());
  EXPECT_EQ(st.length(), 2u);
  EXPECT_EQ(st.max_deleted_id(), (StreamId{2, 1}));
  FreeEntry(back);
  for (std::string bad : {payload.substr(0, payload.size() - 1), payload + "x", std::string()}) {
    EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kStream), bad), nullptr) << bad.size();
  }
  EXPECT_TRUE(HasEncoder(ValueType::kStream));
}

TEST_F(StreamFamilyTest, NodeKnobsAreConfigurable) {
  EXPECT_EQ(Run({"CONFIG", "GET", "stream-node-max-entries"}),
            "*2\r\n$23\r\nstream-node-max-entries\r\n$3\r\n100\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "stream-node-max-bytes"}),
            "*2\r\n$21\r\nstream-node-max-bytes\r\n$4\r\n4096\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "stream-node-max-entries", "10"}), "+OK\r\n");
  EXPECT_EQ(Stream::node_max_entries(), 10);
  // ~ trims whole nodes only: 25 entries in nodes of 10, MAXLEN ~ 12 drops the first node.
  for (int i = 1; i <= 25; ++i) Add("s", std::to_string(i) + "-0", 1);
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "~", "12"}), ":10\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "stream-node-max-entries", "100"}), "+OK\r\n");
  ExpectBookkeepingExact();
}

}  // namespace
}  // namespace aegisr
