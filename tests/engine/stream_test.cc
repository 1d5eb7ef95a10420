// Unit tests of the stream value (engine/types/stream.h): entries against a std::map model,
// trimming, groups' copy, and the codec. Single-threaded.

#include "engine/types/stream.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace aegisr {
namespace {

using Model = std::map<StreamId, std::vector<std::string>>;

Model Collect(const Stream& s, StreamId start, StreamId end, bool reverse) {
  Model out;
  Stream::Iterator it(s, start, end, reverse);
  StreamId id, prev;
  std::vector<std::string_view> fv;
  bool first = true;
  while (it.Next(&id, &fv)) {
    if (!first) {
      EXPECT_TRUE(reverse ? id < prev : prev < id);
    }
    first = false;
    prev = id;
    out.emplace(id, std::vector<std::string>(fv.begin(), fv.end()));
  }
  return out;
}

Model Slice(const Model& m, StreamId start, StreamId end) {
  Model out;
  for (const auto& [id, fv] : m)
    if (start <= id && id <= end) out.emplace(id, fv);
  return out;
}

TEST(StreamIdTest, IncrDecrAndText) {
  StreamId id{5, UINT64_MAX};
  ASSERT_TRUE(id.Incr());
  EXPECT_EQ(id, (StreamId{6, 0}));
  ASSERT_TRUE(id.Decr());
  EXPECT_EQ(id, (StreamId{5, UINT64_MAX}));
  StreamId max = StreamId::Max(), min = StreamId::Min();
  EXPECT_FALSE(max.Incr());
  EXPECT_FALSE(min.Decr());
  EXPECT_EQ(StreamId::Max().ToString(), "18446744073709551615-18446744073709551615");
  EXPECT_EQ((StreamId{1526919030474, 55}).ToString(), "1526919030474-55");
}

// Sets the node limits for one test and restores Redis's defaults after it.
struct NodeLimits {
  NodeLimits(int64_t bytes, int64_t entries) { Stream::SetNodeLimits(bytes, entries); }
  ~NodeLimits() { Stream::SetNodeLimits(4096, 100); }
};

void RunModel(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Stream s;
  Model model;
  StreamId next{1, 0};
  for (int round = 0; round < 3000; ++round) {
    int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      next.ms += rng() % 3;
      next.seq = rng() % 4;
      if (!(s.last_id() < next)) next = s.last_id(), next.Incr();
      std::vector<std::string> fv;
      size_t pairs = 1 + rng() % 3;
      for (size_t i = 0; i < 2 * pairs; ++i) fv.push_back(std::string(rng() % 40, 'a' + i % 26));
      std::vector<std::string_view> views(fv.begin(), fv.end());
      s.Append(next, views);
      model.emplace(next, fv);
      EXPECT_EQ(s.last_id(), next);
    } else if (op < 8 && !model.empty()) {
      auto it = model.begin();
      std::advance(it, rng() % model.size());
      EXPECT_TRUE(s.Delete(it->first));
      EXPECT_FALSE(s.Delete(it->first));
      model.erase(it);
    } else if (op == 8) {
      Stream::Trim t;
      t.maxlen = model.size() > 5 ? model.size() - rng() % 5 : model.size();
      uint64_t removed = s.TrimHead(t);
      uint64_t want = 0;
      while (model.size() > t.maxlen) model.erase(model.begin()), ++want;
      EXPECT_EQ(removed, want);
    } else {
      StreamId a{rng() % (next.ms + 2), rng() % 4}, b{rng() % (next.ms + 2), rng() % 4};
      if (b < a) std::swap(a, b);
      EXPECT_EQ(Collect(s, a, b, false), Slice(model, a, b));
      EXPECT_EQ(Collect(s, a, b, true), Slice(model, a, b));
    }
    ASSERT_EQ(s.length(), model.size());
    EXPECT_EQ(s.first_id(), model.empty() ? StreamId{} : model.begin()->first);
  }
  EXPECT_EQ(Collect(s, StreamId::Min(), StreamId::Max(), false), model);
  // The copy and the codec keep it all.
  Stream copy(s);
  EXPECT_EQ(Collect(copy, StreamId::Min(), StreamId::Max(), true), model);
  std::string payload;
  s.Encode(&payload);
  std::unique_ptr<Stream> back(Stream::Decode(payload));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(Collect(*back, StreamId::Min(), StreamId::Max(), false), model);
  EXPECT_EQ(back->length(), s.length());
  EXPECT_LE(back->memory(), s.memory());  // decoded nodes are sized to fit
}

TEST(StreamTest, MatchesModelUnderAppendDeleteTrim) { RunModel(7); }

// Nodes of at most 3 entries or a few hundred bytes: boundaries everywhere.
TEST(StreamTest, MatchesModelWithSmallNodes) {
  NodeLimits limits(200, 3);
  RunModel(8);
  NodeLimits one(0, 1);
  RunModel(9);
}

std::vector<std::string_view> Fv(std::string_view f, std::string_view v) { return {f, v}; }

// Entry IDs ms-0 for ms in [first, last].
void AppendRange(Stream* s, uint64_t first, uint64_t last, std::string_view value = "v") {
  for (uint64_t ms = first; ms <= last; ++ms) s->Append({ms, 0}, Fv("f", value));
}

TEST(StreamTest, ApproxTrimRemovesWholeNodesByEntryCount) {
  NodeLimits limits(4096, 10);
  Stream s;
  AppendRange(&s, 1, 25);  // nodes 1-10, 11-20, 21-25
  Stream::Trim t;
  t.approx = true;
  t.maxlen = 12;
  EXPECT_EQ(s.TrimHead(t), 10u);  // 25 - 10 >= 12; 15 - 10 < 12
  EXPECT_EQ(s.length(), 15u);
  EXPECT_EQ(s.first_id(), (StreamId{11, 0}));
  t.maxlen = 5;
  EXPECT_EQ(s.TrimHead(t), 10u);
  EXPECT_EQ(s.first_id(), (StreamId{21, 0}));
  EXPECT_EQ(s.TrimHead(t), 0u);  // the last node would leave 0 < 5
  // LIMIT: no whole node fits under 3 removals.
  AppendRange(&s, 26, 60);
  t.maxlen = 0;
  t.limit = 3;
  EXPECT_EQ(s.TrimHead(t), 0u);
  t.limit = 15;  // 21-25 and 26-30 share a node (10 entries); the next would pass 15
  EXPECT_EQ(s.TrimHead(t), 10u);
  EXPECT_EQ(s.first_id(), (StreamId{31, 0}));
  // MINID ~: nodes whose last entry is below it.
  t = {};
  t.by_minid = true;
  t.approx = true;
  t.minid = {45, 0};
  EXPECT_EQ(s.TrimHead(t), 10u);  // 31-40 goes, 41-50 holds 45
  t.approx = false;
  EXPECT_EQ(s.TrimHead(t), 4u);  // exact: 41-44 flagged inside their node
  EXPECT_EQ(s.first_id(), (StreamId{45, 0}));
  EXPECT_EQ(s.length(), 16u);
  EXPECT_EQ(s.max_deleted_id(), StreamId{});  // trimming does not move it (Redis 7.0)
}

TEST(StreamTest, NodesCloseAtRedisListpackBytes) {
  // Redis's listpack for one field "f" and 40-byte values: the master entry and the first entry
  // take 68 bytes, each later entry 50; a node closes when its bytes plus the new entry's 41
  // field and value bytes reach stream-node-max-bytes. With 120 bytes that is 2 entries a node.
  NodeLimits limits(120, 100);
  Stream s;
  std::string v(40, 'x');
  AppendRange(&s, 1, 10, v);
  Stream::Trim t;
  t.approx = true;
  t.maxlen = 5;
  EXPECT_EQ(s.TrimHead(t), 4u);  // 10 -> 8 -> 6, then 6 - 2 < 5
  // 100 bytes: one entry a node (68 + 41 >= 100).
  Stream::SetNodeLimits(100, 100);
  Stream one;
  AppendRange(&one, 1, 10, v);
  EXPECT_EQ(one.TrimHead(t), 5u);
}

TEST(StreamTest, DeletesInsideNodesAndEmptyNodesGo) {
  NodeLimits limits(4096, 10);
  Stream s;
  AppendRange(&s, 1, 30);
  size_t full = s.memory();
  for (uint64_t ms = 11; ms <= 20; ++ms) EXPECT_TRUE(s.Delete({ms, 0}));
  EXPECT_LT(s.memory(), full);  // the middle node went
  EXPECT_FALSE(s.Delete({15, 0}));
  EXPECT_TRUE(s.Delete({1, 0}));
  EXPECT_TRUE(s.Delete({30, 0}));
  std::vector<std::string_view> fv;
  EXPECT_FALSE(s.Get({1, 0}, &fv));
  ASSERT_TRUE(s.Get({2, 0}, &fv));
  EXPECT_EQ(fv, Fv("f", "v"));
  EXPECT_EQ(s.first_id(), (StreamId{2, 0}));
  EXPECT_EQ(s.last_entry_id(), (StreamId{29, 0}));
  EXPECT_EQ(s.last_id(), (StreamId{30, 0}));
  EXPECT_EQ(s.max_deleted_id(), (StreamId{30, 0}));
  EXPECT_EQ(s.length(), 18u);
  // Reverse and forward walks skip the deleted entries and the gap.
  Model all = Collect(s, StreamId::Min(), StreamId::Max(), true);
  EXPECT_EQ(all.size(), 18u);
  EXPECT_EQ(all.count({11, 0}), 0u);
  EXPECT_EQ(Collect(s, {9, 0}, {22, 0}, false).size(), 4u);  // 9, 10, 21, 22
  // ~ counts a node's live entries: 9 in the first node.
  Stream::Trim t;
  t.approx = true;
  t.maxlen = 9;
  EXPECT_EQ(s.TrimHead(t), 9u);
  EXPECT_EQ(s.first_id(), (StreamId{21, 0}));
  // The tail node closes by entries live and deleted (10), so the next entry starts a node.
  s.Append({31, 0}, Fv("f", "v"));
  t.maxlen = 1;
  EXPECT_EQ(s.TrimHead(t), 9u);
  EXPECT_EQ(s.length(), 1u);
  // Deleting the last entry of the stream frees its node; the stream stays usable.
  EXPECT_TRUE(s.Delete({31, 0}));
  EXPECT_EQ(s.length(), 0u);
  EXPECT_EQ(s.first_id(), StreamId{});
  s.Append({32, 0}, Fv("g", "w"));
  EXPECT_EQ(Collect(s, StreamId::Min(), StreamId::Max(), false).size(), 1u);
}

TEST(StreamTest, SameFieldsAreStoredOnceAndOthersKeepTheirs) {
  NodeLimits limits(0, 100);  // nodes close by entries only: both first nodes hold 100
  Stream a, b;
  std::vector<std::string_view> five = {"name",  "alice", "age",   "30",   "city",
                                        "paris", "zip",   "75001", "lang", "fr"};
  std::vector<std::string_view> other = {"x", "1"};
  for (uint64_t ms = 1; ms <= 101; ++ms) a.Append({ms, 0}, five);
  for (uint64_t ms = 1; ms <= 101; ++ms) b.Append({ms, 0}, ms == 1 ? other : five);
  // b's master fields are "x": its entries carry their own names, so it takes more room.
  EXPECT_LT(a.memory() + 99 * 20, b.memory());
  std::vector<std::string_view> fv;
  ASSERT_TRUE(a.Get({50, 0}, &fv));
  EXPECT_EQ(fv, five);
  ASSERT_TRUE(b.Get({1, 0}, &fv));
  EXPECT_EQ(fv, other);
  ASSERT_TRUE(b.Get({2, 0}, &fv));
  EXPECT_EQ(fv, five);
}

// XINFO STREAM's radix-tree-keys and radix-tree-nodes as redis-server 7.0.15 reports them for
// the same entries (stream-node-max-entries 1: one node per entry).
TEST(StreamTest, RaxNodeCountsMatchRedis) {
  NodeLimits limits(4096, 1);
  auto count = [](std::vector<StreamId> ids) {
    Stream s;
    for (StreamId id : ids) s.Append(id, Fv("f", "v"));
    return std::pair<size_t, size_t>(s.node_count(), s.rax_nodes());
  };
  EXPECT_EQ(count({{1, 0}}), (std::pair<size_t, size_t>(1, 2)));
  EXPECT_EQ(count({{1, 0}, {2, 0}}), (std::pair<size_t, size_t>(2, 6)));
  EXPECT_EQ(count({{5, 0}, {5, 1}, {5, 2}}), (std::pair<size_t, size_t>(3, 5)));
  std::vector<StreamId> range, clock;
  for (uint64_t i = 1; i <= 300; ++i) range.push_back({i, 0});
  for (uint64_t i = 0; i < 100; ++i) clock.push_back({1700000000000 + i * 7, i % 3});
  EXPECT_EQ(count(range), (std::pair<size_t, size_t>(300, 604)));
  EXPECT_EQ(count(clock), (std::pair<size_t, size_t>(100, 205)));
  Stream s;
  s.Append({1, 0}, Fv("f", "v"));
  ASSERT_TRUE(s.Delete({1, 0}));
  EXPECT_EQ(s.node_count(), 0u);
  EXPECT_EQ(s.rax_nodes(), 1u);
}

TEST(StreamTest, CodecKeepsNodeBoundariesAndRefusesBadNodes) {
  NodeLimits limits(4096, 10);
  Stream s;
  AppendRange(&s, 1, 35);
  ASSERT_TRUE(s.Delete({12, 0}));
  std::string payload;
  s.Encode(&payload);
  Stream::SetNodeLimits(4096, 100);  // decoding keeps the stored boundaries, not today's knobs
  std::unique_ptr<Stream> back(Stream::Decode(payload));
  ASSERT_NE(back, nullptr);
  Stream::Trim t;
  t.approx = true;
  t.maxlen = 20;
  EXPECT_EQ(back->TrimHead(t), 10u);  // nodes of 10: 34 -> 24, then 24 - 9 < 20
  // Flipping any byte either fails to decode or decodes to a self-consistent stream.
  for (size_t i = 0; i < payload.size(); ++i) {
    std::string bad = payload;
    bad[i] = char(bad[i] ^ 0x41);
    std::unique_ptr<Stream> x(Stream::Decode(bad));
    if (x) {
      EXPECT_EQ(Collect(*x, StreamId::Min(), StreamId::Max(), false).size(), x->length());
    }
  }
}

TEST(StreamTest, CopyAndCodecKeepEntriesGroupsAndCounters) {
  Stream s;
  std::vector<std::string_view> fv = {"field", "value", "f2", std::string_view("v\0x", 3)};
  for (uint64_t i = 1; i <= 50; ++i) s.Append({i, i % 3}, fv);
  ASSERT_TRUE(s.Delete({10, 1}));
  auto g = std::make_unique<StreamGroup>();
  g->last_id = {20, 2};
  g->entries_read = 20;
  for (const char* name : {"alice", "bob"}) {
    auto c = std::make_unique<StreamConsumer>();
    c->name = name;
    c->seen_time_ms = 1000;
    g->consumers.emplace(name, std::move(c));
  }
  for (uint64_t i = 11; i <= 20; ++i) {
    auto n = std::make_unique<StreamNack>();
    n->delivery_time_ms = 5000 + i;
    n->delivery_count = i;
    n->consumer = g->consumers.at(i % 2 ? "alice" : "bob").get();
    n->consumer->pel.emplace(StreamId{i, i % 3}, n.get());
    g->pel.emplace(StreamId{i, i % 3}, std::move(n));
  }
  s.groups().emplace("grp", std::move(g));

  auto check = [&](const Stream& t) {
    EXPECT_EQ(Collect(t, StreamId::Min(), StreamId::Max(), false),
              Collect(s, StreamId::Min(), StreamId::Max(), false));
    EXPECT_EQ(t.last_id(), s.last_id());
    EXPECT_EQ(t.max_deleted_id(), (StreamId{10, 1}));
    EXPECT_EQ(t.entries_added(), 50u);
    const StreamGroup& tg = *t.groups().at("grp");
    EXPECT_EQ(tg.last_id, (StreamId{20, 2}));
    EXPECT_EQ(tg.entries_read, 20);
    ASSERT_EQ(tg.pel.size(), 10u);
    EXPECT_EQ(tg.consumers.at("alice")->pel.size(), 5u);
    for (const auto& [id, n] : tg.pel) {
      EXPECT_EQ(n->consumer->pel.at(id), n.get());
      EXPECT_EQ(n->delivery_count, id.ms);
    }
  };
  Stream copy(s);
  check(copy);
  std::string payload;
  s.Encode(&payload);
  std::unique_ptr<Stream> decoded(Stream::Decode(payload));
  ASSERT_NE(decoded, nullptr);
  check(*decoded);
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    std::unique_ptr<Stream> bad(Stream::Decode(std::string_view(payload).substr(0, cut)));
    EXPECT_EQ(bad, nullptr) << cut;
  }
  EXPECT_EQ(std::unique_ptr<Stream>(Stream::Decode(payload + "x")), nullptr);
}

}  // namespace
}  // namespace aegisr

namespace aegisr {
namespace {

// XSETID may lower the top ID below a deleted entry; entries appended after it sort below that
// entry in the same node, and lookups must skip the deleted one (as Redis's iterator does).
TEST(StreamTest, LookupsSkipDeletedEntriesAboveLaterOnes) {
  Stream s;
  std::vector<std::string_view> fv = {"f", "v"};
  s.Append({4, 0}, fv);
  s.Append({12, 0}, fv);
  s.Append({25, 1}, fv);
  ASSERT_TRUE(s.Delete({25, 1}));
  s.set_last_id({14, 0});
  s.Append({15, 0}, fv);
  s.Append({17, 1}, fv);
  std::vector<std::string_view> got;
  ASSERT_TRUE(s.Get({15, 0}, &got));
  EXPECT_EQ(got, fv);
  EXPECT_EQ(Collect(s, {15, 0}, {15, 0}, false).size(), 1u);
  EXPECT_EQ(Collect(s, {15, 0}, {15, 0}, true).size(), 1u);
  EXPECT_TRUE(s.Delete({15, 0}));
  EXPECT_FALSE(s.Get({15, 0}, &got));
  EXPECT_EQ(s.length(), 3u);
}

}  // namespace
}  // namespace aegisr
