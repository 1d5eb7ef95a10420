// Unit tests of the stream value (engine/types/stream.h): entries against a std::map model,
// trimming, groups' copy, and the codec. Single-threaded.

#include "engine/types/stream.h"

#include <gtest/gtest.h>

#include <map>
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

TEST(StreamTest, MatchesModelUnderAppendDeleteTrim) {
  std::mt19937_64 rng(7);
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
