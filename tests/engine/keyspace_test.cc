// Unit tests of Shard and Keyspace (engine/keyspace/keyspace.h): lazy and active expiry, TTL and
// memory bookkeeping, SwapDbs, Flush, shard mapping and ordered locking. Single-threaded except
// the locking test.
#include "engine/keyspace/keyspace.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace aegisr {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Key(int i) { return "k" + std::to_string(i); }

class ShardTest : public ::testing::Test {
 protected:
  void Put(int db, std::string_view key, std::string_view value, int64_t expire_at = 0) {
    KeyRef k(key);
    Entry* e = NewStringEntry(k.key, k.hash, value);
    if (expire_at) e = SetExpire(e, expire_at);
    s_.Insert(db, e);
  }
  Shard s_;
};

TEST_F(ShardTest, LazyExpiryDeletesOnFind) {
  Put(0, "a", "1", kNow + 1000);
  Put(0, "b", "2");
  EXPECT_EQ(s_.volatile_keys(0), 1u);
  EXPECT_NE(s_.Find(0, KeyRef("a"), kNow + 1000), nullptr);  // expired only when now > at
  EXPECT_NE(s_.Find(0, KeyRef("a"), kNow), nullptr);
  EXPECT_EQ(s_.stats().expired, 0u);
  EXPECT_EQ(s_.Find(0, KeyRef("a"), kNow + 1001), nullptr);
  EXPECT_EQ(s_.stats().expired, 1u);
  EXPECT_EQ(s_.size(0), 1u);
  EXPECT_EQ(s_.volatile_keys(0), 0u);
  EXPECT_EQ(s_.table(0).Find("a", KeyRef("a").hash), nullptr);  // really gone
  EXPECT_NE(s_.Find(0, KeyRef("b"), kNow + 10'000'000), nullptr);
}

TEST_F(ShardTest, LookupCountsHitsAndMissesAndTouches) {
  SetLruClock(70);
  Put(0, "a", "1");
  Entry** l = s_.Lookup(0, KeyRef("a"), kNow, 77);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(tier::AccessTime((*l)->access), 77u);
  EXPECT_GE(tier::AccessCounter((*l)->access), tier::kLfuInitValue);  // new keys start at 5
  EXPECT_EQ(s_.Lookup(0, KeyRef("zz"), kNow, 78), nullptr);
  EXPECT_EQ(s_.stats().hits, 1u);
  EXPECT_EQ(s_.stats().misses, 1u);
}

TEST_F(ShardTest, ActiveExpireDeletesOnlyExpiredKeys) {
  for (int i = 0; i < 2000; ++i) Put(i % 3, Key(i), "v", i % 2 ? kNow - 1 : kNow + 100000);
  for (int i = 0; i < 100; ++i) Put(0, "p" + std::to_string(i), "v");  // no TTL
  size_t deleted = 0;
  for (int round = 0; round < 100 && deleted < 1000; ++round)
    deleted += s_.ActiveExpire(kNow, 1'000'000);
  EXPECT_EQ(deleted, 1000u);
  EXPECT_EQ(s_.stats().expired, 1000u);
  for (int i = 0; i < 2000; ++i) {
    Entry* e = s_.table(i % 3).Find(Key(i), KeyRef(Key(i)).hash);
    EXPECT_EQ(e != nullptr, i % 2 == 0) << Key(i);
  }
  for (int i = 0; i < 100; ++i)
    EXPECT_NE(s_.Find(0, KeyRef("p" + std::to_string(i)), kNow), nullptr);
  EXPECT_EQ(s_.volatile_keys(0) + s_.volatile_keys(1) + s_.volatile_keys(2), 1000u);
  EXPECT_EQ(s_.ActiveExpire(kNow, 1'000'000), 0u);  // nothing left to do
}

TEST_F(ShardTest, ActiveExpireWithTinyBudgetMakesProgressAcrossCalls) {
  for (int i = 0; i < 5000; ++i) Put(0, Key(i), "v", kNow - 1);
  size_t total = 0;
  for (int round = 0; round < 100000 && s_.size(0) > 0; ++round) total += s_.ActiveExpire(kNow, 0);
  EXPECT_EQ(total, 5000u);
  EXPECT_EQ(s_.size(0), 0u);
  EXPECT_EQ(s_.volatile_keys(0), 0u);
}

TEST_F(ShardTest, UpdateKeepsMemoryAndTtlBookkeeping) {
  size_t empty = s_.used_bytes();
  Put(0, "a", "1");
  size_t one = s_.used_bytes();
  EXPECT_GT(one, empty);
  Entry** l = s_.Find(0, KeyRef("a"), kNow);
  s_.Update(0, l, [](Entry* e) {
    return SetStringValue(SetExpire(e, kNow + 5), std::string(5000, 'x'));
  });
  EXPECT_EQ(s_.volatile_keys(0), 1u);
  EXPECT_GE(s_.used_bytes(), one + 5000);
  l = s_.Find(0, KeyRef("a"), kNow);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ((*l)->expire_at(), kNow + 5);
  s_.Update(0, l, [](Entry* e) { return SetExpire(e, 0); });
  EXPECT_EQ(s_.volatile_keys(0), 0u);
  s_.Delete(0, s_.Find(0, KeyRef("a"), kNow));
  // Only bucket arrays remain.
  EXPECT_EQ(s_.used_bytes(), s_.table(0).OverheadBytes());
}

TEST_F(ShardTest, ByteBookkeepingMatchesARecountThroughGrowthShrinkAndFlush) {
  int64_t global_before = ApproxUsedBytes();  // this thread's changes are exact in it
  for (int i = 0; i < 20000; ++i)
    Put(i % 3, Key(i), std::string(i % 300, 'v'), i % 5 ? 0 : kNow + 9);
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
  for (int i = 0; i < 20000; i += 2) s_.Delete(i % 3, s_.Find(i % 3, KeyRef(Key(i)), kNow));
  for (int i = 1; i < 20000; i += 4) {
    Entry** l = s_.Find(i % 3, KeyRef(Key(i)), kNow);
    s_.Update(i % 3, l, [](Entry* e) { return SetStringValue(e, std::string(700, 'w')); });
  }
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
  for (int round = 0; round < 200; ++round) s_.Maintain(1000);  // shrinks tables
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
  EXPECT_EQ(ApproxUsedBytes() - global_before, int64_t(s_.used_bytes()));
  s_.SwapDbs(0, 2);
  s_.Flush(1);
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
  s_.Flush(0);
  s_.Flush(2);
  EXPECT_EQ(s_.used_bytes(), 0u);
  EXPECT_EQ(ApproxUsedBytes(), global_before);
}

TEST_F(ShardTest, TakeAndInsertMoveAnEntryBetweenDbs) {
  Put(0, "a", "1", kNow + 100);
  Entry* e = s_.Take(0, s_.Find(0, KeyRef("a"), kNow));
  EXPECT_EQ(s_.volatile_keys(0), 0u);
  s_.Insert(5, e);
  EXPECT_EQ(s_.volatile_keys(5), 1u);
  EXPECT_EQ(s_.Find(0, KeyRef("a"), kNow), nullptr);
  EXPECT_NE(s_.Find(5, KeyRef("a"), kNow), nullptr);
}

TEST_F(ShardTest, SwapDbsExchangesContentsAndCounts) {
  for (int i = 0; i < 100; ++i) Put(0, Key(i), "zero");
  Put(1, "one", "1", kNow + 100);
  s_.SwapDbs(0, 1);
  EXPECT_EQ(s_.size(0), 1u);
  EXPECT_EQ(s_.size(1), 100u);
  EXPECT_EQ(s_.volatile_keys(0), 1u);
  EXPECT_EQ(s_.volatile_keys(1), 0u);
  EXPECT_NE(s_.Find(0, KeyRef("one"), kNow), nullptr);
  EXPECT_NE(s_.Find(1, KeyRef(Key(42)), kNow), nullptr);
  EXPECT_EQ(s_.Find(0, KeyRef("one"), kNow + 101), nullptr);  // TTL came along
}

TEST_F(ShardTest, FlushEmptiesOneDbOnly) {
  for (int i = 0; i < 300; ++i) Put(i % 2, Key(i), std::string(i, 'x'), i % 3 ? 0 : kNow + 9);
  s_.Flush(0);
  EXPECT_EQ(s_.size(0), 0u);
  EXPECT_EQ(s_.volatile_keys(0), 0u);
  EXPECT_EQ(s_.size(1), 150u);
  EXPECT_EQ(s_.volatile_keys(1), 50u);
  s_.Flush(1);
  EXPECT_EQ(s_.used_bytes(), 0u);  // entries and bucket arrays all freed
  Put(0, "again", "v");
  EXPECT_NE(s_.Find(0, KeyRef("again"), kNow), nullptr);
}

TEST(KeyspaceTest, HashTagsShareAShardAndDbSizeSums) {
  EXPECT_EQ(KeyRef("{user1}.a").shard, KeyRef("{user1}.b").shard);
  EXPECT_EQ(KeyRef("{user1}.a").shard, KeyRef("user1").shard);
  auto ks = std::make_unique<Keyspace>();
  std::vector<bool> used(kNumShards);
  for (int i = 0; i < 1000; ++i) {
    std::string name = Key(i);  // KeyRef only views its key: keep the string alive
    KeyRef k(name);
    used[k.shard] = true;
    std::lock_guard lk(ks->shard(k).mu);
    ks->shard(k).Insert(3, NewStringEntry(k.key, k.hash, "v"));
  }
  int shards_used = 0;
  for (bool u : used) shards_used += u;
  EXPECT_GT(shards_used, 200);  // keys spread over the shards
  EXPECT_EQ(ks->DbSize(3), 1000u);
  EXPECT_EQ(ks->DbSize(0), 0u);
}

TEST(KeyspaceTest, LockKeysIsDeadlockFreeAcrossThreads) {
  auto ks = std::make_unique<Keyspace>();
  // Two threads lock overlapping key sets given in opposite orders, many times.
  static const std::string names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  std::vector<KeyRef> x, y;
  for (const auto& n : names) x.emplace_back(n);
  for (int i = 7; i >= 0; --i) y.emplace_back(names[i]);
  int counter = 0;
  auto work = [&](const std::vector<KeyRef>& keys) {
    for (int i = 0; i < 20000; ++i) {
      auto g = ks->LockKeys(keys);
      ++counter;  // guarded by the shard of "a", which both sets hold
    }
  };
  std::thread t1(work, std::cref(x)), t2(work, std::cref(y));
  t1.join();
  t2.join();
  EXPECT_EQ(counter, 40000);
  auto all = ks->LockAll();  // and LockAll works with nothing else held
}

}  // namespace
}  // namespace aegisr
