// RecvBufferPool: warm buffers are reused first, the target grows on a shortage and shrinks
// when quiet, and only free buffers that were offered are released, least recently used first.

#include "net/recv_buffer_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace aegisr {
namespace {

std::vector<unsigned> Refill(RecvBufferPool& p) {
  std::vector<unsigned> given;
  p.Refill([&](unsigned bid) { given.push_back(bid); });
  return given;
}

std::vector<unsigned> Tick(RecvBufferPool& p) {
  std::vector<unsigned> released;
  p.Tick([&](unsigned bid) { released.push_back(bid); });
  return released;
}

TEST(RecvBufferPoolTest, OffersTheMinimumAndReusesTheSameWarmBuffers) {
  RecvBufferPool p(256, 8);
  EXPECT_EQ(Refill(p), (std::vector<unsigned>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(p.given(), 8u);
  // The kernel fills buffers in ring order; each comes back and is offered again at once.
  std::set<unsigned> used;
  std::vector<unsigned> ring = {0, 1, 2, 3, 4, 5, 6, 7};
  for (int round = 0; round < 1000; ++round) {
    const unsigned bid = ring.front();
    ring.erase(ring.begin());
    used.insert(bid);
    p.Returned(bid);
    for (unsigned b : Refill(p)) ring.push_back(b);
  }
  EXPECT_EQ(used.size(), 8u) << "light traffic must not touch more buffers than the target";
  EXPECT_EQ(p.written(), 8u);
  EXPECT_EQ(p.target(), 8u);
}

TEST(RecvBufferPoolTest, OneStarvedConnectionIsFlowControlNotAShortage) {
  RecvBufferPool p(64, 4);
  Refill(p);
  for (int i = 0; i < 10; ++i) {
    for (unsigned bid = 0; bid < 4; ++bid) p.Returned(bid);
    p.NoteStarved();
    EXPECT_EQ(Refill(p).size(), 4u);
  }
  EXPECT_EQ(p.target(), 4u);
  EXPECT_EQ(p.starved_iterations(), 10u);
}

TEST(RecvBufferPoolTest, ShortageForSeveralConnectionsDoublesUpToEveryBuffer) {
  RecvBufferPool p(32, 4);
  Refill(p);
  unsigned expect = 4;
  for (int i = 0; i < 5; ++i) {
    // Every offered buffer was filled, and two connections found none.
    const unsigned given = p.given();
    for (unsigned k = 0; k < given; ++k) p.Returned(k);
    p.NoteStarved();
    p.NoteStarved();
    expect = std::min(32u, expect * 2);
    EXPECT_EQ(Refill(p).size(), expect);
    EXPECT_EQ(p.target(), expect);
  }
  EXPECT_EQ(p.target(), 32u);
}

TEST(RecvBufferPoolTest, QuietTicksHalveTheTargetAndReleaseColdFreeBuffersOnly) {
  RecvBufferPool p(64, 4);
  Refill(p);
  for (int i = 0; i < 4; ++i) {  // grow to 64
    const unsigned given = p.given();
    std::vector<unsigned> all;
    for (unsigned k = 0; k < 64 && all.size() < given; ++k) all.push_back(k);
    for (unsigned k : all) p.Returned(k);
    p.NoteStarved();
    p.NoteStarved();
    Refill(p);
  }
  ASSERT_EQ(p.target(), 64u);
  ASSERT_EQ(p.given(), 64u);
  EXPECT_TRUE(Tick(p).empty()) << "a tick right after a shortage keeps everything";
  EXPECT_EQ(p.target(), 64u);

  // The kernel fills 40 of the 64 (ids 0..39) and they come back; 24 stay with the kernel.
  for (unsigned k = 0; k < 40; ++k) p.Returned(k);
  const std::vector<unsigned> released = Tick(p);  // target 32: 32 warm free ones stay
  EXPECT_EQ(p.target(), 32u);
  EXPECT_EQ(released, (std::vector<unsigned>{0, 1, 2, 3, 4, 5, 6, 7}))
      << "the least recently returned free buffers go, never those the kernel holds";
  EXPECT_EQ(p.written(), 56u);
  EXPECT_EQ(Refill(p), (std::vector<unsigned>{39, 38, 37, 36, 35, 34, 33, 32}))
      << "back up to the target with the warmest";
  EXPECT_EQ(p.given(), 32u);

  // More quiet ticks: down to the minimum; each free buffer beyond it is released once.
  EXPECT_EQ(Tick(p), (std::vector<unsigned>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(p.target(), 16u);
  EXPECT_EQ(Tick(p).size(), 8u);
  EXPECT_EQ(Tick(p).size(), 4u);
  EXPECT_EQ(p.target(), 4u);
  EXPECT_TRUE(Tick(p).empty());
  EXPECT_EQ(p.written(), 32u + 4u);  // the kernel's 32, and 4 warm free ones (28..31)

  // Everything comes back: only the target's worth is offered again, the warmest first.
  for (unsigned k = 32; k < 64; ++k) p.Returned(k);
  EXPECT_EQ(Refill(p), (std::vector<unsigned>{63, 62, 61, 60}));
  EXPECT_EQ(p.given(), 4u);
}

}  // namespace
}  // namespace aegisr
