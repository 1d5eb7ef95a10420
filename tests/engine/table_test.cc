// Unit tests of Table (engine/keyspace/table.h): incremental growth and shrink, lookups during
// a resize, Scan's guarantee across resizes, Random, Replace after an entry reallocation.
// Single-threaded.
#include "engine/keyspace/table.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/hash.h"

namespace aegisr {
namespace {

uint32_t H(std::string_view k) { return static_cast<uint32_t>(HashBytes(k)); }

Entry* Make(std::string_view key, std::string_view value = "v") {
  return NewStringEntry(key, H(key), value);
}

std::string Key(int i) { return "key:" + std::to_string(i); }

std::set<std::string> AllKeys(const Table& t) {
  std::set<std::string> out;
  t.ForEach([&](Entry* e) { out.emplace(e->key()); });
  return out;
}

TEST(TableTest, EmptyTable) {
  Table t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Find("a", H("a")), nullptr);
  EXPECT_EQ(t.Random(123), nullptr);
  EXPECT_EQ(t.Scan(0, [](Entry**) { ADD_FAILURE(); }), 0u);
  EXPECT_FALSE(t.RehashStep(10));
}

TEST(TableTest, GrowsIncrementallyAndFindsKeysMidResize) {
  Table t;
  bool saw_rehash = false;
  for (int i = 0; i < 5000; ++i) {
    t.Insert(Make(Key(i)));
    // An insert never moves more than a couple of buckets: a resize in progress stays visible.
    if (t.rehashing()) {
      saw_rehash = true;
      // Every key inserted so far is found while both bucket arrays are live.
      if (i % 97 == 0) {
        for (int j = 0; j <= i; ++j) {
          ASSERT_NE(t.Find(Key(j), H(Key(j))), nullptr) << j;
        }
      }
    }
  }
  EXPECT_TRUE(saw_rehash);
  EXPECT_EQ(t.size(), 5000u);
  while (t.RehashStep(100)) {
  }
  EXPECT_FALSE(t.rehashing());
  EXPECT_GE(t.bucket_count(), 5000u);  // load factor <= 1 once settled
  for (int j = 0; j < 5000; ++j) ASSERT_NE(t.Find(Key(j), H(Key(j))), nullptr);
  EXPECT_EQ(t.Find("missing", H("missing")), nullptr);
}

TEST(TableTest, ShrinksAfterDeletesWhenMaintained) {
  Table t;
  for (int i = 0; i < 4096; ++i) t.Insert(Make(Key(i)));
  while (t.RehashStep(100)) {
  }
  size_t big = t.bucket_count();
  for (int i = 0; i < 4090; ++i) {
    Entry** l = t.FindLink(Key(i), H(Key(i)));
    ASSERT_NE(l, nullptr);
    FreeEntry(t.Unlink(l));
  }
  EXPECT_EQ(t.size(), 6u);
  EXPECT_EQ(t.bucket_count(), big);  // Unlink never changes the table's shape
  t.RehashFor(1000000);
  while (t.RehashStep(100)) {
  }
  EXPECT_LT(t.bucket_count(), big);
  EXPECT_LE(t.bucket_count(), 16u);
  for (int i = 4090; i < 4096; ++i) EXPECT_NE(t.Find(Key(i), H(Key(i))), nullptr);
}

TEST(TableTest, CollidingHashesChainAndCompareKeys) {
  Table t;
  for (int i = 0; i < 10; ++i) t.Insert(NewStringEntry(Key(i), 42, "v"));  // all in one chain
  for (int i = 0; i < 10; ++i) {
    Entry* e = t.Find(Key(i), 42);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->key(), Key(i));
  }
  EXPECT_EQ(t.Find("other", 42), nullptr);
  EXPECT_EQ(t.Find(Key(1), 43), nullptr);
}

TEST(TableTest, ReplaceAfterReallocationKeepsTheChain) {
  Table t;
  for (int i = 0; i < 8; ++i) t.Insert(NewStringEntry(Key(i), 7, "small"));
  // Reallocate an entry in the middle of the chain (adding a TTL and a long value grows it).
  Entry** link = t.FindLink(Key(3), 7);
  ASSERT_NE(link, nullptr);
  Entry* e = SetExpire(*link, 123456);
  e = SetStringValue(e, std::string(200, 'z'));
  Table::Replace(link, e);
  for (int i = 0; i < 8; ++i) ASSERT_NE(t.Find(Key(i), 7), nullptr) << i;
  Entry* got = t.Find(Key(3), 7);
  char scratch[24];
  EXPECT_EQ(got->str(scratch), std::string(200, 'z'));
  EXPECT_EQ(got->expire_at(), 123456);
  EXPECT_EQ(t.size(), 8u);
}

TEST(TableTest, ScanVisitsEachKeyOnceWithoutResize) {
  Table t;
  for (int i = 0; i < 1000; ++i) t.Insert(Make(Key(i)));
  while (t.RehashStep(100)) {
  }
  std::multiset<std::string> seen;
  uint64_t c = 0;
  do c = t.Scan(c, [&](Entry** l) { seen.emplace((*l)->key()); });
  while (c != 0);
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), AllKeys(t));
}

// Keys present for the whole scan are returned at least once, whatever resizes happen between
// calls: growth (with a rehash under way at various points) and shrink.
TEST(TableTest, ScanReturnsStableKeysWhileTableGrows) {
  Table t;
  for (int i = 0; i < 100; ++i) t.Insert(Make(Key(i)));
  std::set<std::string> seen;
  uint64_t c = 0;
  int next = 100000;
  do {
    c = t.Scan(c, [&](Entry** l) { seen.emplace((*l)->key()); });
    for (int j = 0; j < 7; ++j) t.Insert(Make(Key(next++)));
  } while (c != 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count(Key(i))) << Key(i);
}

TEST(TableTest, ScanReturnsStableKeysWhileTableShrinks) {
  Table t;
  for (int i = 0; i < 4000; ++i) t.Insert(Make(Key(i)));
  while (t.RehashStep(100)) {
  }
  std::set<std::string> seen;
  uint64_t c = 0;
  int victim = 100;  // keys 0..99 stay for the whole scan; the rest are deleted as we go
  do {
    c = t.Scan(c, [&](Entry** l) { seen.emplace((*l)->key()); });
    for (int j = 0; j < 200 && victim < 4000; ++j, ++victim) {
      Entry** l = t.FindLink(Key(victim), H(Key(victim)));
      if (l) FreeEntry(t.Unlink(l));
    }
    t.RehashFor(5);  // lets the cron-style maintenance start and advance a shrink
  } while (c != 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count(Key(i))) << Key(i);
}

TEST(TableTest, ScanCallbackMayUnlinkEntries) {
  Table t;
  for (int i = 0; i < 500; ++i) t.Insert(Make(Key(i)));
  uint64_t c = 0;
  size_t visited = 0;
  do
    c = t.Scan(c, [&](Entry** l) {
      ++visited;
      if ((*l)->key().back() % 2 == 0) FreeEntry(t.Unlink(l));
    });
  while (c != 0);
  EXPECT_EQ(visited, 500u);
  EXPECT_EQ(t.size(), 250u);
  for (const auto& k : AllKeys(t)) EXPECT_EQ(k.back() % 2, 1);
}

TEST(TableTest, ScanToleratesGarbageCursors) {
  Table t;
  for (int i = 0; i < 50; ++i) t.Insert(Make(Key(i)));
  for (uint64_t c : {uint64_t(1) << 60, ~uint64_t(0), uint64_t(12345)}) {
    int calls = 0;
    do c = t.Scan(c, [](Entry**) {});
    while (c != 0 && ++calls < 1000);
    EXPECT_LT(calls, 1000);
  }
}

TEST(TableTest, RandomReachesEveryEntry) {
  Table t;
  for (int i = 0; i < 20; ++i) t.Insert(Make(Key(i)));
  std::map<std::string, int> hits;
  for (uint64_t r = 0; r < 20000; ++r) {
    Entry* e = t.Random(r * 0x9E3779B97F4A7C15ull + 17);
    ASSERT_NE(e, nullptr);
    ++hits[std::string(e->key())];
  }
  EXPECT_EQ(hits.size(), 20u);
}

TEST(TableTest, RandomDuringRehash) {
  Table t;
  for (int i = 0; i < 5; ++i) t.Insert(Make(Key(i)));
  ASSERT_TRUE(t.rehashing());
  for (uint64_t r = 0; r < 100; ++r) {
    Entry* e = t.Random(r * 7919);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(AllKeys(t).count(std::string(e->key())));
  }
}

TEST(TableTest, ClearAndSwap) {
  Table a, b;
  for (int i = 0; i < 100; ++i) a.Insert(Make(Key(i)));
  b.Insert(Make("only"));
  a.Swap(b);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 100u);
  EXPECT_NE(a.Find("only", H("only")), nullptr);
  EXPECT_NE(b.Find(Key(5), H(Key(5))), nullptr);
  b.Clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.OverheadBytes(), 0u);
  EXPECT_EQ(b.Find(Key(5), H(Key(5))), nullptr);
  b.Insert(Make("again"));  // usable after Clear
  EXPECT_NE(b.Find("again", H("again")), nullptr);
}

}  // namespace
}  // namespace aegisr
