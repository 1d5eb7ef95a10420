// Unit tests for PackedList (engine/types/packed_list.h), against std::deque as the model.
#include "engine/types/packed_list.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

namespace aegisr {
namespace {

std::vector<std::string> All(const PackedList& l) {
  std::vector<std::string> out;
  if (!l.empty()) l.ForRange(0, l.size() - 1, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

std::vector<std::string> AllReverse(const PackedList& l) {
  std::vector<std::string> out;
  if (!l.empty())
    l.ForRangeReverse(0, l.size() - 1, [&](std::string_view v) { out.emplace_back(v); });
  return out;
}

TEST(PackedList, PushPopBothEnds) {
  PackedList l;
  EXPECT_TRUE(l.empty());
  l.PushBack("b");
  l.PushFront("a");
  l.PushBack("");
  l.PushBack(std::string("x\0y", 3));
  EXPECT_EQ(l.size(), 4u);
  EXPECT_EQ(All(l), (std::vector<std::string>{"a", "b", "", std::string("x\0y", 3)}));
  EXPECT_EQ(l.At(1), "b");
  EXPECT_EQ(l.At(2), "");
  EXPECT_EQ(l.PopBack(), std::string("x\0y", 3));
  EXPECT_EQ(l.PopFront(), "a");
  EXPECT_EQ(l.PopFront(), "b");
  EXPECT_EQ(l.PopFront(), "");
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.node_count(), 0u);
}

TEST(PackedList, SmallListsAreOneCompactNode) {
  PackedList l;
  for (int i = 0; i < 100; ++i) l.PushBack("value" + std::to_string(i));
  EXPECT_EQ(l.node_count(), 1u);
  // Each element costs its bytes plus a length byte and a back-length byte, and the node grows
  // by half at a time: well under 32 bytes an element for these 6-7 byte values.
  EXPECT_LT(l.MemoryBytes(), 100u * 16);
}

TEST(PackedList, NodesSplitAtTheByteLimitAndLargeElementsGetTheirOwn) {
  PackedList l;
  std::string big(PackedList::kNodeBytes * 2, 'z');
  for (int i = 0; i < 3000; ++i) l.PushBack(std::string(20, char('a' + i % 26)));
  size_t nodes = l.node_count();
  EXPECT_GT(nodes, 5u);
  l.PushBack(big);
  l.PushFront(big);
  EXPECT_EQ(l.node_count(), nodes + 2);
  EXPECT_EQ(l.At(0), big);
  EXPECT_EQ(l.At(l.size() - 1), big);
  EXPECT_EQ(l.At(1), std::string(20, 'a'));
  EXPECT_EQ(l.PopFront(), big);
  EXPECT_EQ(l.PopBack(), big);
  EXPECT_EQ(l.node_count(), nodes);
}

TEST(PackedList, MatchesADequeUnderRandomOperations) {
  std::mt19937_64 rng(7);
  PackedList l;
  std::deque<std::string> model;
  auto value = [&] {
    size_t len = rng() % 4 == 0 ? rng() % 300 : rng() % 12;  // some lengths need 2-byte varints
    std::string v(len, '\0');
    for (char& c : v) c = static_cast<char>(rng());
    return v;
  };
  for (int step = 0; step < 20000; ++step) {
    switch (rng() % 6) {
      case 0:
      case 1: {
        std::string v = value();
        l.PushBack(v);
        model.push_back(v);
        break;
      }
      case 2: {
        std::string v = value();
        l.PushFront(v);
        model.push_front(v);
        break;
      }
      case 3:
        if (!model.empty()) {
          ASSERT_EQ(l.PopFront(), model.front());
          model.pop_front();
        }
        break;
      case 4:
        if (!model.empty()) {
          ASSERT_EQ(l.PopBack(), model.back());
          model.pop_back();
        }
        break;
      case 5:
        if (!model.empty()) {
          size_t i = rng() % model.size();
          ASSERT_EQ(l.At(i), model[i]) << i;
        }
        break;
    }
    ASSERT_EQ(l.size(), model.size());
    if (step % 97 == 0) {
      ASSERT_EQ(l.MemoryBytes(), l.RecountMemoryBytes()) << step;
    }
  }
  EXPECT_EQ(l.MemoryBytes(), l.RecountMemoryBytes());
  std::vector<std::string> expect(model.begin(), model.end());
  EXPECT_EQ(All(l), expect);
  std::vector<std::string> reversed(model.rbegin(), model.rend());
  EXPECT_EQ(AllReverse(l), reversed);
  // Sub-ranges, both directions.
  if (model.size() > 10) {
    std::vector<std::string> got;
    l.ForRange(3, 9, [&](std::string_view v) { got.emplace_back(v); });
    EXPECT_EQ(got, std::vector<std::string>(model.begin() + 3, model.begin() + 10));
    got.clear();
    l.ForRangeReverse(3, 9, [&](std::string_view v) { got.emplace_back(v); });
    EXPECT_EQ(got, std::vector<std::string>(model.rbegin() + (model.size() - 10),
                                            model.rbegin() + (model.size() - 3)));
  }
}

// Nodes keep free room at the end that takes pushes: runs of pushes and pops at one end, then
// the other, must keep every element in order and the memory count exact.
TEST(PackedList, RunsAtEitherEndKeepOrderAndMemoryCount) {
  std::mt19937_64 rng(11);
  PackedList l;
  std::deque<std::string> model;
  for (int run = 0; run < 400; ++run) {
    const int op = static_cast<int>(rng() % 4);
    const size_t len = rng() % 8 == 0 ? rng() % 9000 : rng() % 70;  // some take a node alone
    for (size_t k = 0, n = rng() % 300; k < n; ++k) {
      std::string v(len, static_cast<char>('a' + k % 26));
      switch (op) {
        case 0:
          l.PushFront(v);
          model.push_front(v);
          break;
        case 1:
          l.PushBack(v);
          model.push_back(v);
          break;
        case 2:
          if (!model.empty()) {
            ASSERT_EQ(l.PopFront(), model.front());
            model.pop_front();
          }
          break;
        default:
          if (!model.empty()) {
            ASSERT_EQ(l.PopBack(), model.back());
            model.pop_back();
          }
          break;
      }
    }
    ASSERT_EQ(l.size(), model.size());
    ASSERT_EQ(l.MemoryBytes(), l.RecountMemoryBytes()) << "run " << run;
    if (!model.empty()) {
      ASSERT_EQ(l.At(0), model.front());
      ASSERT_EQ(l.At(model.size() / 2), model[model.size() / 2]);
      ASSERT_EQ(l.At(model.size() - 1), model.back());
    }
  }
  EXPECT_EQ(All(l), std::vector<std::string>(model.begin(), model.end()));
  std::vector<std::string> rev(model.rbegin(), model.rend());
  EXPECT_EQ(AllReverse(l), rev);
}

// A list built by pushes at the front packs as tightly as one built at the back.
TEST(PackedList, PushFrontFillsNodesAsTightlyAsPushBack) {
  PackedList front, back;
  for (int i = 0; i < 20000; ++i) {
    const std::string v = "element:" + std::to_string(i);
    front.PushFront(v);
    back.PushBack(v);
  }
  EXPECT_EQ(front.node_count(), back.node_count());
  EXPECT_LE(front.MemoryBytes(), back.MemoryBytes() + PackedList::kNodeBytes);
  EXPECT_EQ(front.At(0), "element:19999");
  EXPECT_EQ(front.At(19999), "element:0");
  PackedList copy(front);
  EXPECT_EQ(All(copy), All(front));
}

TEST(PackedList, RewriteAndCopy) {
  PackedList l;
  for (int i = 0; i < 2000; ++i) l.PushBack(std::to_string(i));
  // Drop the odd ones, double every tenth.
  l.Rewrite([](size_t i, std::string_view v, PackedList& out) {
    if (i % 2) return;
    out.PushBack(v);
    if (i % 10 == 0) out.PushBack(v);
  });
  EXPECT_EQ(l.size(), 1000u + 200u);
  EXPECT_EQ(l.At(0), "0");
  EXPECT_EQ(l.At(1), "0");
  EXPECT_EQ(l.At(2), "2");
  EXPECT_EQ(l.MemoryBytes(), l.RecountMemoryBytes());
  PackedList c(l);
  EXPECT_EQ(All(c), All(l));
  EXPECT_EQ(c.MemoryBytes(), c.RecountMemoryBytes());
  c.PopFront();
  EXPECT_EQ(l.size(), 1200u);
  PackedList m(std::move(c));
  EXPECT_EQ(m.size(), 1199u);
  EXPECT_EQ(c.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST(PackedListFill, NodesFollowListMaxListpackSize) {
  auto fill = [](int64_t f, size_t n, size_t len) {
    PackedList::SetFill(f);
    PackedList l;
    std::string v(len, 'x');
    for (size_t i = 0; i < n; ++i) l.PushBack(v);
    PackedList::SetFill(-2);
    EXPECT_EQ(l.size(), n);
    return l.node_count();
  };
  EXPECT_EQ(fill(5, 20, 10), 4u);   // five elements a node
  EXPECT_EQ(fill(1, 20, 10), 20u);  // one element a node
  EXPECT_EQ(fill(0, 20, 10), 20u);  // 0 acts as 1
  // A positive count is also bounded by 8 KB (Redis's safety limit): 100-byte elements take
  // about 102 bytes each, so 80 of them fit a node whatever the count allows.
  EXPECT_EQ(fill(1000, 800, 100), 10u);
  // Negative sizes: -1 is 4 KB, -2 8 KB, -5 64 KB (and anything lower too).
  size_t n4 = fill(-1, 2000, 100), n8 = fill(-2, 2000, 100), n64 = fill(-5, 2000, 100);
  EXPECT_GT(n4, n8);
  EXPECT_GT(n8, n64);
  EXPECT_EQ(fill(-100, 2000, 100), n64);
  EXPECT_LE(n64, 4u);
  // An element larger than a node still fits in one of its own.
  EXPECT_EQ(fill(-1, 3, 10000), 3u);
}

}  // namespace
}  // namespace aegisr
