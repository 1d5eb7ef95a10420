// Unit tests of stream consumer groups: the PEL and consumer operations against a model (the
// group's PEL and the consumers' PELs must agree after every change, through copy and codec),
// Redis 7.0's entries_read / lag rules, and the group commands' memory bookkeeping (shard
// used_bytes against a recount after every kind of change). Single-threaded.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "engine/types/stream.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

void AppendN(Stream* s, uint64_t from_ms, uint64_t to_ms) {
  std::string_view fv[] = {"f", "v"};
  for (uint64_t ms = from_ms; ms <= to_ms; ++ms) s->Append(StreamId{ms, 0}, fv);
}

// Model: id -> (owner, delivery count).
using PelModel = std::map<StreamId, std::pair<std::string, uint64_t>>;

void ExpectMatches(const StreamGroup& g, const PelModel& model) {
  ASSERT_TRUE(g.CheckPels());
  ASSERT_EQ(g.pel.size(), model.size());
  auto it = model.begin();
  for (const auto& [id, nack] : g.pel) {
    EXPECT_EQ(id, it->first);
    EXPECT_EQ(nack->consumer->name, it->second.first);
    EXPECT_EQ(nack->delivery_count, it->second.second);
    ++it;
  }
}

TEST(StreamGroupTest, PelsAgreeUnderRandomOperations) {
  std::mt19937_64 rng(11);
  StreamGroup g;
  PelModel model;
  std::map<std::string, bool> consumers;
  const char* names[] = {"alice", "bob", "carol", "a-consumer-name-longer-than-sso"};
  for (int round = 0; round < 5000; ++round) {
    std::string name = names[rng() % 4];
    StreamId id{rng() % 50, rng() % 2};
    switch (rng() % 6) {
      case 0:
      case 1: {  // a new delivery (or a redelivery after SETID): owner moves, count resets to 1
        StreamConsumer* c = g.GetOrCreateConsumer(name, round);
        consumers[name] = true;
        g.DeliverNew(id, c, round);
        model[id] = {name, 1};
        break;
      }
      case 2: {  // XACK
        EXPECT_EQ(g.Ack(id), model.erase(id) == 1);
        break;
      }
      case 3: {  // XCLAIM (FORCE when not pending): owner moves, count kept (the caller sets it)
        StreamConsumer* c = g.GetOrCreateConsumer(name, round);
        consumers[name] = true;
        StreamNack* nack = g.Claim(id, c, round);
        auto it = model.find(id);
        uint64_t count = it == model.end() ? 1 : it->second.second;
        EXPECT_EQ(nack->delivery_count, count);
        ++nack->delivery_count;
        model[id] = {name, count + 1};
        break;
      }
      case 4: {  // XGROUP DELCONSUMER: returns its pending count and drops those entries
        size_t owned = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (it->second.first == name) {
            ++owned;
            it = model.erase(it);
          } else {
            ++it;
          }
        }
        EXPECT_EQ(g.DeleteConsumer(name), consumers[name] ? owned : 0);
        consumers[name] = false;
        EXPECT_EQ(g.FindConsumer(name), nullptr);
        break;
      }
      case 5: {  // XGROUP CREATECONSUMER
        bool created = false;
        g.GetOrCreateConsumer(name, round, &created);
        EXPECT_EQ(created, !consumers[name]);
        consumers[name] = true;
        break;
      }
    }
    ExpectMatches(g, model);
  }
  // A deep copy agrees with itself and owns its own nacks.
  auto copy = CloneStreamGroup(g);
  ExpectMatches(*copy, model);
  for (const auto& [id, nack] : copy->pel) EXPECT_NE(nack.get(), g.pel.at(id).get());
}

TEST(StreamGroupTest, CodecRoundTripKeepsPels) {
  Stream s;
  AppendN(&s, 1, 20);
  auto& groups = s.groups();
  groups.emplace("g1", std::make_unique<StreamGroup>());
  groups.emplace("g2", std::make_unique<StreamGroup>());
  StreamGroup& g1 = *groups["g1"];
  g1.entries_read = 7;
  g1.last_id = {7, 0};
  StreamConsumer* a = g1.GetOrCreateConsumer("a", 100);
  StreamConsumer* b = g1.GetOrCreateConsumer("b", 200);
  g1.GetOrCreateConsumer("idle", 300);
  for (uint64_t ms = 1; ms <= 7; ++ms) g1.DeliverNew({ms, 0}, ms % 2 ? a : b, 1000 + ms);
  g1.Claim({3, 0}, b, 0)->delivery_count = 9;
  std::string payload;
  s.Encode(&payload);
  std::unique_ptr<Stream> back(Stream::Decode(payload));
  ASSERT_NE(back, nullptr);
  const StreamGroup& d1 = *back->groups().at("g1");
  EXPECT_TRUE(d1.CheckPels());
  EXPECT_EQ(d1.entries_read, 7);
  EXPECT_EQ(d1.last_id, (StreamId{7, 0}));
  EXPECT_EQ(d1.consumers.size(), 3u);
  EXPECT_EQ(d1.FindConsumer("b")->pel.size(), 4u);
  EXPECT_EQ(d1.pel.at({3, 0})->delivery_count, 9u);
  EXPECT_EQ(d1.pel.at({5, 0})->delivery_time_ms, 1005);
  EXPECT_EQ(d1.FindConsumer("idle")->seen_time_ms, 300);
  EXPECT_EQ(back->groups().at("g2")->entries_read, -1);
  EXPECT_EQ(StreamGroupMemory(d1), StreamGroupMemory(g1));
  // Every truncation is refused.
  for (size_t n = 0; n < payload.size(); ++n) {
    std::unique_ptr<Stream> bad(Stream::Decode(std::string_view(payload).substr(0, n)));
    EXPECT_EQ(bad, nullptr) << "prefix " << n;
  }
}

TEST(StreamGroupTest, DeliverNewAfterSetIdMovesTheEntry) {
  StreamGroup g;
  StreamConsumer* a = g.GetOrCreateConsumer("a", 0);
  StreamConsumer* b = g.GetOrCreateConsumer("b", 0);
  g.DeliverNew({1, 0}, a, 10);
  g.Claim({1, 0}, a, 0)->delivery_count = 5;
  g.DeliverNew({1, 0}, b, 20);
  EXPECT_TRUE(g.CheckPels());
  EXPECT_TRUE(a->pel.empty());
  ASSERT_EQ(b->pel.size(), 1u);
  EXPECT_EQ(b->pel.begin()->second->delivery_count, 1u);
  EXPECT_EQ(b->pel.begin()->second->delivery_time_ms, 20);
}

// entries_read and lag follow Redis 7.0 (values checked against redis-server 7.0.15 with the
// same XADD / XDEL / XREADGROUP sequence).
TEST(StreamGroupTest, EntriesReadAndLagFollowRedis) {
  Stream s;
  StreamGroup g;
  int64_t lag = 0;
  EXPECT_TRUE(g.Lag(s, &lag) && lag == 0);  // nothing ever added
  AppendN(&s, 1, 5);
  EXPECT_TRUE(g.Lag(s, &lag) && lag == 5);  // estimated from the first entry: 5 - (5 - 5)
  g.AdvanceTo(s, {1, 0});
  EXPECT_EQ(g.entries_read, 1);  // the first entry's exact counter
  g.AdvanceTo(s, {2, 0});
  EXPECT_EQ(g.entries_read, 2);
  EXPECT_TRUE(g.Lag(s, &lag) && lag == 3);
  ASSERT_TRUE(s.Delete({3, 0}));
  EXPECT_FALSE(g.Lag(s, &lag));  // a tombstone ahead of the group: unknown
  g.AdvanceTo(s, {4, 0});
  EXPECT_EQ(g.entries_read, 3);  // counted on: the tombstone is behind now
  EXPECT_TRUE(g.Lag(s, &lag) && lag == 2);
  g.AdvanceTo(s, {5, 0});
  EXPECT_TRUE(g.Lag(s, &lag) && lag == 1);  // Redis's counter does not see the deleted entry

  // A group created at an arbitrary ID in the middle with a tombstone: unknown until the end.
  StreamGroup h;
  h.last_id = {2, 0};
  EXPECT_FALSE(h.Lag(s, &lag));
  h.AdvanceTo(s, {4, 0});
  EXPECT_EQ(h.entries_read, -1);
  h.AdvanceTo(s, {5, 0});
  EXPECT_EQ(h.entries_read, 5);  // the last entry's counter is entries_added
  EXPECT_TRUE(h.Lag(s, &lag) && lag == 0);

  // Tombstones before the first entry do not matter.
  Stream t;
  AppendN(&t, 1, 6);
  ASSERT_TRUE(t.Delete({1, 0}));
  ASSERT_TRUE(t.Delete({2, 0}));
  EXPECT_FALSE(StreamRangeHasTombstones(t, StreamId::Min(), StreamId::Max()));
  EXPECT_EQ(StreamEstimateDistance(t, {0, 5}), 2);   // before the first: added - length
  EXPECT_EQ(StreamEstimateDistance(t, {3, 0}), 3);   // the first
  EXPECT_EQ(StreamEstimateDistance(t, {4, 0}), -1);  // in the middle
  EXPECT_EQ(StreamEstimateDistance(t, {6, 0}), 6);   // the last
  EXPECT_EQ(StreamEstimateDistance(t, {7, 0}), -1);  // the future
}

// ---- the commands, through the engine ----

class StreamGroupCommandTest : public EngineFixture {
 protected:
  // The groups of stream `key` agree with their consumers (CheckPels), and every shard's
  // used_bytes equals a recount.
  void ExpectConsistent(std::string_view key) {
    WithEntry(key, [&](Entry* e) {
      ASSERT_NE(e, nullptr);
      const auto& s = *static_cast<const Stream*>(e->object());
      for (const auto& [name, g] : s.groups()) EXPECT_TRUE(g->CheckPels()) << name;
    });
    ExpectBookkeepingExact();
  }
};

TEST_F(StreamGroupCommandTest, EveryKindOfChangeKeepsBookkeepingExact) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK\r\n");
  ExpectConsistent("s");
  for (int i = 1; i <= 40; ++i) {
    std::string id = std::to_string(i) + "-0";
    std::string value(i * 3, 'v');
    Run({"XADD", "s", id, "field", value});
  }
  ExpectConsistent("s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "other-group-with-a-long-name", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "a-consumer-with-a-long-name"}), ":1\r\n");
  ExpectConsistent("s");
  Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "10", "STREAMS", "s", ">"});
  Run({"XREADGROUP", "GROUP", "g", "bob", "COUNT", "10", "STREAMS", "s", ">"});
  Run({"XREADGROUP", "GROUP", "g", "carol", "COUNT", "5", "NOACK", "STREAMS", "s", ">"});
  ExpectConsistent("s");
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"});  // history
  ExpectConsistent("s");
  EXPECT_EQ(Run({"XACK", "s", "g", "1-0", "2-0", "3-0", "99-0"}), ":3\r\n");
  ExpectConsistent("s");
  Run({"XCLAIM", "s", "g", "dave", "0", "4-0", "11-0", "30-0", "FORCE"});
  ExpectConsistent("s");
  Run({"XDEL", "s", "12-0"});
  // Claims 4-0 .. 15-0 but the deleted 12-0, which leaves the PEL.
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "12", "JUSTID"}).substr(0, 19),
            "*3\r\n$4\r\n16-0\r\n*11\r\n");
  ExpectConsistent("s");
  // bob keeps 16-0 .. 20-0 (values checked against redis-server 7.0.15).
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "bob"}), ":5\r\n");
  ExpectConsistent("s");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"}), "+OK\r\n");
  Run({"XREADGROUP", "GROUP", "g", "frank", "COUNT", "8", "STREAMS", "s", ">"});  // re-deliver
  ExpectConsistent("s");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), ":1\r\n");
  ExpectConsistent("s");
  Run({"XTRIM", "s", "MAXLEN", "0"});
  ExpectConsistent("s");
  EXPECT_EQ(Run({"DEL", "s"}), ":1\r\n");
  ExpectBookkeepingExact();
}

TEST_F(StreamGroupCommandTest, CopyIsDeepAndBadInputChangesNothing) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Run({"XADD", "s", "2-0", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  EXPECT_EQ(Run({"COPY", "s", "t"}), ":1\r\n");
  EXPECT_EQ(Run({"XACK", "t", "g", "1-0"}), ":1\r\n");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}),
            "*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n2\r\n");
  ExpectConsistent("t");
  // An invalid ID among valid ones: nothing is acknowledged; an unknown XCLAIM option: nothing
  // is claimed.
  EXPECT_EQ(Run({"XACK", "s", "g", "1-0", "bad"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "d", "0", "1-0", "BOGUS"}),
            "-ERR Unrecognized XCLAIM option 'BOGUS'\r\n");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "c"}).substr(0, 4), "*2\r\n");
  ExpectConsistent("s");
}

}  // namespace
}  // namespace aegisr
