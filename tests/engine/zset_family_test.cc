// Unit tests of the sorted-set family's bookkeeping through Engine::Dispatch and of the ZSet type:
// encodings and conversions at the thresholds, memory accounting after every kind of change,
// COPY, and the disk-tier codec. Reply texts are covered differentially against redis-server
// (tests/integration/test_differential_zsets.py). Single-threaded.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "engine/types/zset.h"
#include "net/resp_writer.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

class ZSetFamilyTest : public EngineFixture {
 protected:
  void TearDown() override { ZSet::SetLimits(128, 64); }
  std::string Encoding(std::string_view key) {
    std::string r = Run({"OBJECT", "ENCODING", key});
    return r.substr(r.find('\n') + 1, r.size() - r.find('\n') - 3);
  }
};

TEST_F(ZSetFamilyTest, EncodingConvertsAtTheThresholdsOneWay) {
  std::vector<std::string> owned;
  for (int i = 0; i < 128; ++i) owned.push_back(std::to_string(i));
  std::vector<std::string_view> add = {"ZADD", "z"};
  for (const auto& s : owned) {
    add.push_back(s);
    add.push_back(s);
  }
  EXPECT_EQ(Run(add), ":128\r\n");
  EXPECT_EQ(Encoding("z"), "listpack");
  EXPECT_EQ(Run({"ZADD", "z", "1", "one-more"}), ":1\r\n");
  EXPECT_EQ(Encoding("z"), "skiplist");
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "-3"}), ":127\r\n");
  EXPECT_EQ(Encoding("z"), "skiplist");  // never back
  // Member length: 64 bytes stay, 65 convert, also for a new key.
  EXPECT_EQ(Run({"ZADD", "m", "1", std::string(64, 'a')}), ":1\r\n");
  EXPECT_EQ(Encoding("m"), "listpack");
  EXPECT_EQ(Run({"ZADD", "m", "1", std::string(65, 'a')}), ":1\r\n");
  EXPECT_EQ(Encoding("m"), "skiplist");
  EXPECT_EQ(Run({"ZADD", "n", "1", std::string(65, 'a')}), ":1\r\n");
  EXPECT_EQ(Encoding("n"), "skiplist");
  // The knobs move the thresholds (old names too).
  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-ziplist-entries", "2"}), "+OK\r\n");
  EXPECT_EQ(Run({"ZADD", "k", "1", "a", "2", "b"}), ":2\r\n");
  EXPECT_EQ(Encoding("k"), "listpack");
  EXPECT_EQ(Run({"ZADD", "k", "3", "c"}), ":1\r\n");
  EXPECT_EQ(Encoding("k"), "skiplist");
  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-entries", "128"}), "+OK\r\n");
  ExpectBookkeepingExact();
}

TEST_F(ZSetFamilyTest, MemoryAccountingFollowsEveryChange) {
  for (const char* key : {"small", "large"}) {
    int n = std::string(key) == "small" ? 50 : 3000;
    std::vector<std::string> owned;
    for (int i = 0; i < n; ++i) {
      owned.push_back(std::to_string(i % 17));
      owned.push_back("member-" + std::to_string(i));
    }
    std::vector<std::string_view> add = {"ZADD", key};
    for (const auto& s : owned) add.push_back(s);
    Run(add);
    ExpectBookkeepingExact();
    Run({"ZINCRBY", key, "2.5", "member-3"});
    Run({"ZADD", key, "XX", "CH", "100", "member-4", "-5", "member-5"});
    ExpectBookkeepingExact();
    Run({"ZREM", key, "member-1", "member-2", "nope"});
    ExpectBookkeepingExact();
    Run({"ZREMRANGEBYSCORE", key, "3", "(5"});
    Run({"ZREMRANGEBYRANK", key, "2", "10"});
    ExpectBookkeepingExact();
    Run({"ZADD", "lex", "0", "a", "0", "b", "0", "c"});
    Run({"ZREMRANGEBYLEX", "lex", "[a", "(c"});
    Run({"ZPOPMIN", key, "3"});
    Run({"ZPOPMAX", key});
    Run({"ZMPOP", "1", key, "MAX", "COUNT", "2"});
    ExpectBookkeepingExact();
    Run({"ZRANGESTORE", "dst", key, "0", "20"});
    Run({"ZUNIONSTORE", "u", "2", key, "lex", "WEIGHTS", "2", "1"});
    Run({"ZINTERSTORE", "i", "2", key, "u"});
    Run({"ZDIFFSTORE", "d", "2", key, "dst"});
    ExpectBookkeepingExact();
    Run({"ZPOPMIN", key, "100000"});
    EXPECT_EQ(Run({"EXISTS", key}), ":0\r\n");
    ExpectBookkeepingExact();
  }
}

TEST_F(ZSetFamilyTest, CopyIsDeep) {
  for (int big : {0, 1}) {
    Run({"DEL", "src", "dst"});
    Run({"ZADD", "src", "1", "a", "2", "b", "3", "c"});
    if (big) Run({"ZADD", "src", "4", std::string(100, 'x')});
    EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1\r\n");
    Run({"ZPOPMIN", "src"});
    Run({"ZINCRBY", "src", "10", "b"});
    EXPECT_EQ(Run({"ZRANGE", "dst", "0", "2", "WITHSCORES"}),
              "*6\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n");
    EXPECT_EQ(Encoding("dst"), big ? "skiplist" : "listpack");
    EXPECT_EQ(Run({"TYPE", "dst"}), "+zset\r\n");
    ExpectBookkeepingExact();
  }
}

TEST_F(ZSetFamilyTest, TierCodecRoundTripsAndRejectsBadPayloads) {
  std::string bin("a\0b\r\n", 5);
  for (int big : {0, 1}) {
    Run({"DEL", "z"});
    Run({"ZADD", "z", "1", "", "-inf", bin, "2.5", "b", "inf", "c"});
    if (big) Run({"ZADD", "z", "0", std::string(1000, 'x')});
    std::string payload;
    WithEntry("z", [&](const Entry* e) {
      ASSERT_NE(e, nullptr);
      payload = EncodeValue(*e);
    });
    ASSERT_FALSE(payload.empty());
    KeyRef k("z2");
    Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kZset), payload);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->type, ValueType::kZset);
    EXPECT_EQ(EncodeValue(*back), payload);
    EXPECT_EQ(static_cast<const ZSet*>(back->object())->is_listpack(), !big);
    FreeEntry(back);
    std::string dup = payload;  // the second element's member made equal to the first's
    std::vector<std::string> bads = {payload.substr(0, payload.size() - 1), payload + "x",
                                     std::string("\x00\x00", 2), std::string("\x02\x01", 2),
                                     std::string()};
    // Out of order: two elements swapped by their scores.
    bads.push_back(std::string("\x00\x02", 2) + "\x01" + "a" +
                   std::string("\0\0\0\0\0\0\0\x40", 8) + "\x01" + "b" +
                   std::string("\0\0\0\0\0\0\xf0\x3f", 8));
    // A duplicate member.
    bads.push_back(std::string("\x00\x02", 2) + "\x01" + "a" +
                   std::string("\0\0\0\0\0\0\xf0\x3f", 8) + "\x01" + "a" +
                   std::string("\0\0\0\0\0\0\xf0\x3f", 8));
    // A NaN score.
    bads.push_back(std::string("\x00\x01", 2) + "\x01" + "a" +
                   std::string("\0\0\0\0\0\0\xf8\x7f", 8));
    for (const std::string& bad : bads) {
      EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kZset), bad), nullptr) << bad.size();
    }
    // The same two elements in order decode.
    std::string good = std::string("\x00\x02", 2) + "\x01" + "a" +
                       std::string("\0\0\0\0\0\0\xf0\x3f", 8) + "\x01" + "b" +
                       std::string("\0\0\0\0\0\0\0\x40", 8);
    Entry* ok = DecodeValue(k.key, k.hash, uint8_t(ValueType::kZset), good);
    ASSERT_NE(ok, nullptr);
    FreeEntry(ok);
  }
  EXPECT_TRUE(HasEncoder(ValueType::kZset));
}

// The type against a simple model, through random inserts, erases and range erases in both
// encodings, with MemoryBytes checked against a recount.
TEST(ZSetTypeTest, MatchesAModel) {
  std::mt19937 rng(7);
  for (size_t limit : {size_t(128), size_t(0)}) {
    ZSet::SetLimits(int64_t(limit), 64);
    ZSet z;
    std::map<std::pair<double, std::string>, int> order;
    std::map<std::string, double> by_member;
    for (int step = 0; step < 20000; ++step) {
      int op = int(rng() % 10);
      std::string m = "m" + std::to_string(rng() % 2000);
      double s = double(rng() % 50);
      if (op < 6) {
        if (!by_member.count(m)) {
          z.Insert(m, s);
          by_member[m] = s;
          order[{s, m}] = 1;
        }
      } else if (op < 9) {
        bool had = by_member.count(m);
        EXPECT_EQ(z.Erase(m), had);
        if (had) {
          order.erase({by_member[m], m});
          by_member.erase(m);
        }
      } else if (!order.empty()) {
        size_t a = rng() % order.size(), b = std::min(order.size() - 1, a + rng() % 40);
        z.EraseRange(a, b);
        auto it = std::next(order.begin(), ptrdiff_t(a));
        for (size_t i = a; i <= b; ++i) {
          by_member.erase(it->first.second);
          it = order.erase(it);
        }
      }
      ASSERT_EQ(z.size(), order.size());
      if (step % 500 == 0) {
        EXPECT_EQ(z.MemoryBytes(), z.RecountMemoryBytes());
        size_t i = 0;
        auto it = order.begin();
        if (!z.empty()) {
          z.ForRange(0, z.size() - 1, false, [&](std::string_view mm, double ss) {
            EXPECT_EQ(mm, it->first.second);
            EXPECT_EQ(ss, it->first.first);
            EXPECT_EQ(z.RankOf(mm, ss), i);
            ++it;
            ++i;
            return true;
          });
        }
        for (auto& [mm, ss] : by_member) {
          double got;
          ASSERT_TRUE(z.Score(mm, &got));
          EXPECT_EQ(got, ss);
        }
        // A window from a random rank, both directions.
        if (!z.empty()) {
          size_t a = rng() % z.size(), b = std::min(z.size() - 1, a + rng() % 300);
          std::vector<std::string> fwd, rev;
          z.ForRange(a, b, false, [&](std::string_view mm, double) {
            fwd.emplace_back(mm);
            return true;
          });
          z.ForRange(a, b, true, [&](std::string_view mm, double) {
            rev.emplace_back(mm);
            return true;
          });
          auto it2 = std::next(order.begin(), ptrdiff_t(a));
          ASSERT_EQ(fwd.size(), b - a + 1);
          for (size_t k = 0; k < fwd.size(); ++k, ++it2) EXPECT_EQ(fwd[k], it2->first.second);
          std::reverse(rev.begin(), rev.end());
          EXPECT_EQ(fwd, rev);
        }
        ZSet copy(z);
        EXPECT_EQ(copy.size(), z.size());
        EXPECT_EQ(copy.MemoryBytes(), copy.RecountMemoryBytes());
      }
    }
    EXPECT_EQ(z.is_listpack(), limit != 0 && z.size() <= limit);
  }
  ZSet::SetLimits(128, 64);
}

// ZSCAN's walk of a skiplist set: every member present from the first step to the last comes
// back, with its current score, although members are added (growing the index many times),
// removed and rescored between steps; each step returns about COUNT members.
TEST(ZSetTypeTest, ScanReturnsEveryMemberPresentThroughoutAsTheIndexGrows) {
  ZSet::SetLimits(0, 64);  // a skiplist from the first element
  ZSet z;
  for (int i = 0; i < 200; ++i) z.Insert("keep" + std::to_string(i), 7);  // one score for all
  std::set<std::string> seen;
  std::mt19937 rng(3);
  uint64_t cursor = 0;
  int steps = 0, added = 0;
  do {
    size_t got = 0;
    cursor = z.Scan(cursor, 10, [&](std::string_view m, double sc) {
      ++got;
      seen.emplace(m);
      double want;
      ASSERT_TRUE(z.Score(m, &want));
      EXPECT_EQ(sc, want);
    });
    EXPECT_LT(got, 60u) << "a step returns about COUNT members";
    ++steps;
    for (int k = 0; k < 40; ++k) z.Insert("new" + std::to_string(added++), double(rng() % 100));
    const std::string victim = "new" + std::to_string(rng() % added);
    z.Erase(victim);
    const std::string rescore = "keep" + std::to_string(rng() % 200);
    double old;
    ASSERT_TRUE(z.Score(rescore, &old));
    z.Erase(rescore);
    z.Insert(rescore, old - 1000);  // moves before everything in rank order
  } while (cursor != 0);
  for (int i = 0; i < 200; ++i) EXPECT_TRUE(seen.count("keep" + std::to_string(i))) << i;
  EXPECT_GT(steps, 15);
  EXPECT_GT(z.size(), 1000u) << "the index grew several times during the scan";
  // A listpack comes back whole.
  ZSet::SetLimits(128, 64);
  ZSet small;
  small.Insert("a", 1);
  small.Insert("b", 2);
  size_t n = 0;
  EXPECT_EQ(small.Scan(0, 1, [&](std::string_view, double) { ++n; }), 0u);
  EXPECT_EQ(n, 2u);
}

}  // namespace
}  // namespace aegisr
