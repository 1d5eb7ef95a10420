// Unit tests for the cross-worker registry of disk-tier reads in flight (net/cold_reads.h).
#include "net/cold_reads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace aegisr {
namespace {

TEST(ColdReadRegistry, ASecondWorkerQueuesBehindTheFirstRead) {
  ColdReadRegistry<std::string> r;
  EXPECT_FALSE(r.JoinOrBegin(7, /*worker=*/0, "reader"));  // worker 0 reads record 7
  EXPECT_TRUE(r.JoinOrBegin(7, 1, "w1-a"));
  EXPECT_TRUE(r.JoinOrBegin(7, 2, "w2"));
  EXPECT_TRUE(r.JoinOrBegin(7, 1, "w1-b"));
  EXPECT_FALSE(r.JoinOrBegin(8, 1, "other record"));  // another record: its own read
  EXPECT_EQ(r.in_flight(), 2u);
  EXPECT_EQ(r.Finish(7), (std::vector<std::string>{"w1-a", "w2", "w1-b"}));
  EXPECT_EQ(r.in_flight(), 1u);
  // Done: the next ask reads again.
  EXPECT_FALSE(r.JoinOrBegin(7, 2, "new reader"));
  EXPECT_TRUE(r.Finish(7).empty());
  EXPECT_TRUE(r.Finish(8).empty());
  EXPECT_TRUE(r.Finish(99).empty());  // unknown: nothing
  EXPECT_EQ(r.in_flight(), 0u);
}

TEST(ColdReadRegistry, TheReadersOwnWorkerNeverQueuesBehindItself) {
  // (A worker coalesces its own asks in its own table; should one reach the registry, it must
  // not wait for a result that only it would deliver.)
  ColdReadRegistry<int> r;
  EXPECT_FALSE(r.JoinOrBegin(1, 3, 0));
  EXPECT_FALSE(r.JoinOrBegin(1, 3, 1));
  EXPECT_TRUE(r.Finish(1).empty());
}

TEST(ColdReadRegistry, EveryWaiterIsHandedOverExactlyOnceUnderContention) {
  ColdReadRegistry<int> r;
  constexpr int kThreads = 4, kAsks = 20000;
  std::atomic<int> reads{0}, handed{0}, joined{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAsks; ++i) {
        uint64_t id = uint64_t(i % 16);
        if (r.JoinOrBegin(id, unsigned(t), 1)) {
          joined.fetch_add(1);
        } else {
          reads.fetch_add(1);
          for (int w : r.Finish(id)) handed.fetch_add(w);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(reads.load() + joined.load(), kThreads * kAsks);
  EXPECT_EQ(handed.load(), joined.load());
  EXPECT_EQ(r.in_flight(), 0u);
}

}  // namespace
}  // namespace aegisr
