// Unit tests of the pub/sub registry (engine/pubsub.h): subscriptions, pattern matching through
// base/glob.h, receiver counts as Redis counts them, and what is handed to the delivery hook.

#include "engine/pubsub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

struct Delivered {
  uint64_t client_id;
  unsigned thread;
  PubSubKind kind;
  std::string pattern, channel, message;
};

class RecordingDelivery : public PubSubDelivery {
 public:
  void Deliver(const Target* t, size_t n, std::string_view channel,
               std::string_view message) override {
    for (size_t i = 0; i < n; ++i)
      got.push_back({t[i].client_id, t[i].thread, t[i].kind, t[i].pattern ? *t[i].pattern : "",
                     std::string(channel), std::string(message)});
  }
  std::vector<Delivered> got;
};

TEST(PubSubTest, PublishWithoutSubscribersReachesNobody) {
  PubSub ps;
  EXPECT_EQ(ps.Publish("news", "hello"), 0u);
  EXPECT_EQ(ps.channel_count(), 0u);
  EXPECT_EQ(ps.NumPat(), 0u);
}

TEST(PubSubTest, SubscribeIsIdempotentAndUnsubscribeForgetsEmptyChannels) {
  PubSub ps;
  EXPECT_TRUE(ps.Subscribe({1, 0}, "a"));
  EXPECT_FALSE(ps.Subscribe({1, 0}, "a"));
  EXPECT_TRUE(ps.Subscribe({2, 1}, "a"));
  EXPECT_EQ(ps.NumSub("a"), 2u);
  EXPECT_EQ(ps.channel_count(), 1u);
  EXPECT_TRUE(ps.Unsubscribe(1, "a"));
  EXPECT_FALSE(ps.Unsubscribe(1, "a"));
  EXPECT_FALSE(ps.Unsubscribe(1, "never"));
  EXPECT_TRUE(ps.Unsubscribe(2, "a"));
  EXPECT_EQ(ps.NumSub("a"), 0u);
  EXPECT_EQ(ps.channel_count(), 0u);
  EXPECT_TRUE(ps.Channels("", false).empty());
}

TEST(PubSubTest, ReceiversCountEachMatchingSubscription) {
  PubSub ps;
  RecordingDelivery d;
  ps.set_delivery(&d);
  ps.Subscribe({1, 0}, "news.art");
  ps.PSubscribe({1, 0}, "news.*");
  ps.PSubscribe({1, 0}, "n*");
  ps.PSubscribe({2, 3}, "news.[ab]rt");
  ps.PSubscribe({3, 2}, "sport.*");
  // Client 1 counts three times (one channel, two patterns), as Redis counts.
  EXPECT_EQ(ps.Publish("news.art", "m1"), 4u);
  ASSERT_EQ(d.got.size(), 4u);
  size_t plain = 0, pmsg = 0;
  for (const Delivered& x : d.got) {
    EXPECT_EQ(x.channel, "news.art");
    EXPECT_EQ(x.message, "m1");
    if (x.kind == PubSubKind::kMessage) {
      ++plain;
      EXPECT_EQ(x.client_id, 1u);
      EXPECT_EQ(x.pattern, "");
    } else {
      ++pmsg;
      EXPECT_EQ(x.kind, PubSubKind::kPMessage);
      EXPECT_TRUE(x.pattern == "news.*" || x.pattern == "n*" || x.pattern == "news.[ab]rt");
      if (x.client_id == 2) {
        EXPECT_EQ(x.thread, 3u);
      }
    }
  }
  EXPECT_EQ(plain, 1u);
  EXPECT_EQ(pmsg, 3u);
  EXPECT_EQ(ps.NumPat(), 4u);
  EXPECT_EQ(ps.Publish("sport.golf", "m2"), 1u);
  EXPECT_EQ(ps.Publish("other", "m3"), 0u);
  // Pattern matching is case-sensitive, as Redis's.
  EXPECT_EQ(ps.Publish("NEWS.art", "m4"), 0u);
}

TEST(PubSubTest, ShardChannelsAreKeptApartFromChannels) {
  PubSub ps;
  RecordingDelivery d;
  ps.set_delivery(&d);
  ps.SSubscribe({7, 1}, "orders");
  ps.PSubscribe({8, 0}, "*");
  EXPECT_EQ(ps.Publish("orders", "x"), 1u);   // only the pattern: shard channels are apart
  EXPECT_EQ(ps.SPublish("orders", "y"), 1u);  // only the shard subscriber: no patterns
  ASSERT_EQ(d.got.size(), 2u);
  EXPECT_EQ(d.got[1].kind, PubSubKind::kSMessage);
  EXPECT_EQ(d.got[1].client_id, 7u);
  EXPECT_EQ(ps.channel_count(), 0u);
  EXPECT_EQ(ps.shard_channel_count(), 1u);
  EXPECT_EQ(ps.ShardNumSub("orders"), 1u);
  EXPECT_EQ(ps.NumSub("orders"), 0u);
  EXPECT_TRUE(ps.SUnsubscribe(7, "orders"));
  EXPECT_EQ(ps.SPublish("orders", "z"), 0u);
}

// has_listeners lets Publish (and keyspace events) skip the registry's lock when nobody
// subscribes: it must follow every way a subscription comes and goes, and shard channels,
// which Publish never reaches, must not count.
TEST(PubSubTest, ListenersFollowSubscriptionsAndIgnoreShardChannels) {
  PubSub ps;
  RecordingDelivery d;
  ps.set_delivery(&d);
  EXPECT_FALSE(ps.has_listeners());
  ps.SSubscribe({1, 0}, "s");
  EXPECT_FALSE(ps.has_listeners());
  EXPECT_EQ(ps.SPublish("s", "x"), 1u);
  ps.Subscribe({1, 0}, "a");
  EXPECT_TRUE(ps.has_listeners());
  EXPECT_EQ(ps.Publish("a", "x"), 1u);
  ps.Unsubscribe(1, "a");
  EXPECT_FALSE(ps.has_listeners());
  ps.PSubscribe({2, 0}, "a*");
  EXPECT_TRUE(ps.has_listeners());
  EXPECT_EQ(ps.Publish("ab", "x"), 1u);
  ps.PUnsubscribe(2, "a*");
  EXPECT_FALSE(ps.has_listeners());
  EXPECT_EQ(ps.Publish("ab", "x"), 0u);
  ps.Subscribe({3, 0}, "b");
  ps.PSubscribe({3, 0}, "c*");
  ps.UnsubscribeAll(3);
  EXPECT_FALSE(ps.has_listeners());
  ps.UnsubscribeAll(1);
  EXPECT_EQ(ps.SPublish("s", "x"), 0u);
  EXPECT_EQ(d.got.size(), 3u);
}

TEST(PubSubTest, ChannelsFilterByGlob) {
  PubSub ps;
  ps.Subscribe({1, 0}, "foo");
  ps.Subscribe({1, 0}, "foobar");
  ps.Subscribe({2, 0}, "bar");
  std::vector<std::string> all = ps.Channels("", false);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"bar", "foo", "foobar"}));
  std::vector<std::string> f = ps.Channels("foo*", true);
  std::sort(f.begin(), f.end());
  EXPECT_EQ(f, (std::vector<std::string>{"foo", "foobar"}));
  EXPECT_TRUE(ps.Channels("x?", true).empty());
}

TEST(PubSubTest, ClientIndexListsAndDropsEverySubscription) {
  PubSub ps;
  ps.Subscribe({1, 0}, "a");
  ps.Subscribe({1, 0}, "b");
  ps.PSubscribe({1, 0}, "p*");
  ps.SSubscribe({1, 0}, "s");
  ps.Subscribe({2, 0}, "a");
  std::vector<std::string> ch = ps.ClientChannels(1);
  std::sort(ch.begin(), ch.end());
  EXPECT_EQ(ch, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ps.ClientPatterns(1), (std::vector<std::string>{"p*"}));
  EXPECT_EQ(ps.ClientShardChannels(1), (std::vector<std::string>{"s"}));
  ps.Unsubscribe(1, "a");
  EXPECT_EQ(ps.ClientChannels(1), (std::vector<std::string>{"b"}));
  ps.UnsubscribeAll(1);
  EXPECT_TRUE(ps.ClientChannels(1).empty());
  EXPECT_TRUE(ps.ClientPatterns(1).empty());
  EXPECT_EQ(ps.NumPat(), 0u);
  EXPECT_EQ(ps.shard_channel_count(), 0u);
  EXPECT_EQ(ps.NumSub("a"), 1u);  // client 2 keeps its subscription
  EXPECT_EQ(ps.Publish("a", "x"), 1u);
  EXPECT_EQ(ps.Publish("b", "x"), 0u);
}

TEST(PubSubTest, ConcurrentPublishersAndSubscribersAreSafe) {
  PubSub ps;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t) {
    threads.emplace_back([&ps, t] {
      for (uint64_t i = 0; i < 2000; ++i) {
        uint64_t id = t * 100000 + i;
        std::string ch = "c" + std::to_string(i % 16);
        ps.Subscribe({id, t}, ch);
        ps.Publish(ch, "m");
        ps.Unsubscribe(id, ch);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ps.channel_count(), 0u);
}

// The commands through Engine::Dispatch (one client, no network: nothing is delivered).
class PubSubFamilyTest : public EngineFixture {
 protected:
  PubSubFamilyTest() { client_.id = 42; }
};

TEST_F(PubSubFamilyTest, SubscribeCountsChannelsAndPatternsTogether) {
  EXPECT_EQ(Run({"SUBSCRIBE", "a", "b", "a"}),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
            "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n");
  EXPECT_EQ(Run({"PSUBSCRIBE", "x*"}), "*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:3\r\n");
  // Shard channels count apart.
  EXPECT_EQ(Run({"SSUBSCRIBE", "s"}), "*3\r\n$10\r\nssubscribe\r\n$1\r\ns\r\n:1\r\n");
  EXPECT_EQ(client_.subs.load(), 2u);
  EXPECT_EQ(client_.psubs.load(), 1u);
  EXPECT_EQ(client_.ssubs.load(), 1u);
  EXPECT_EQ(engine_.pubsub().Publish("a", "m"), 1u);
  EXPECT_EQ(engine_.pubsub().Publish("xa", "m"), 1u);
  EXPECT_EQ(engine_.pubsub().SPublish("s", "m"), 1u);
}

TEST_F(PubSubFamilyTest, Resp2SubscriberModeAllowsOnlyItsCommands) {
  Run({"SUBSCRIBE", "a"});
  EXPECT_EQ(Run({"GET", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "x"}).substr(0, 31), "-ERR Can't execute 'config|get'");
  EXPECT_EQ(Run({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(Run({"PING", "hi"}), "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  EXPECT_EQ(Run({"UNSUBSCRIBE"}), "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n");
  EXPECT_EQ(Run({"UNSUBSCRIBE"}), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
}

TEST_F(PubSubFamilyTest, Resp3SubscribersMayRunAnything) {
  client_.resp = 3;
  EXPECT_EQ(Run({"SUBSCRIBE", "a"}, 3), ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
  EXPECT_EQ(Run({"GET", "k"}, 3), "_\r\n");
  EXPECT_EQ(Run({"PING"}, 3), "+PONG\r\n");
  EXPECT_EQ(Run({"PUNSUBSCRIBE"}, 3), ">3\r\n$12\r\npunsubscribe\r\n_\r\n:1\r\n");
}

TEST_F(PubSubFamilyTest, ResetDropsEverySubscription) {
  Run({"SUBSCRIBE", "a"});
  Run({"PSUBSCRIBE", "*"});
  Run({"SSUBSCRIBE", "s"});
  EXPECT_EQ(Run({"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(InSubscriberMode(client_));
  EXPECT_EQ(engine_.pubsub().Publish("a", "m"), 0u);
  EXPECT_EQ(engine_.pubsub().SPublish("s", "m"), 0u);
  EXPECT_EQ(engine_.pubsub().NumPat(), 0u);
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
}

TEST_F(PubSubFamilyTest, PubsubIntrospection) {
  Run({"SUBSCRIBE", "a", "b"});
  Run({"PSUBSCRIBE", "p1", "p2"});
  client_.resp = 3;  // out of RESP2 subscriber mode, to run PUBSUB and PUBLISH
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "a", "zz"}, 3), "*4\r\n$1\r\na\r\n:1\r\n$2\r\nzz\r\n:0\r\n");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}, 3), ":2\r\n");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "b*"}, 3), "*1\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "a", "b"}, 3),
            "-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
            "HELP.\r\n");
  EXPECT_EQ(Run({"PUBLISH", "a", "m"}, 3), ":1\r\n");
  EXPECT_EQ(Run({"PUBLISH", "p1", "m"}, 3), ":1\r\n");
}

TEST(PubSubConfigTest, OutputBufferLimitKeepsUnnamedClassesAndRefusesBadText) {
  Config cfg;
  const Knob* k = FindKnob("client-output-buffer-limit");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(FormatKnob(cfg, *k),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  KnobValue v;
  ASSERT_EQ(ParseKnobText(*k, "pubsub 1mb 512kb 10", &v), KnobError::kOk);
  AssignKnob(cfg, *k, v);
  EXPECT_EQ(FormatKnob(cfg, *k),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10");
  EXPECT_EQ(cfg.obl_pubsub_hard.load(), 1048576);
  EXPECT_EQ(cfg.obl_pubsub_soft_seconds.load(), 10);
  EXPECT_EQ(ParseKnobText(*k, "pubsub 1 2", &v), KnobError::kBufferLimitArity);
  EXPECT_EQ(ParseKnobText(*k, "", &v), KnobError::kOk);  // as Redis: changes nothing
  EXPECT_EQ(ParseKnobText(*k, "foo 1 2 3", &v), KnobError::kBufferLimitClass);
  EXPECT_EQ(ParseKnobText(*k, "pubsub x 2 3", &v), KnobError::kBufferLimitValue);
  EXPECT_EQ(ParseKnobText(*k, "pubsub 1 2 -3", &v), KnobError::kBufferLimitValue);
  EXPECT_EQ(KnobErrorReason(*k, KnobError::kBufferLimitClass),
            "Invalid client class specified in buffer limit configuration.");
  // Text that reaches the hook without ParseKnobText (nothing should) changes nothing.
  v.s = "pubsub 1 2";
  AssignKnob(cfg, *k, v);
  EXPECT_EQ(FormatKnob(cfg, *k),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 10");
  ASSERT_EQ(ParseKnobText(*k, "replica 1kb 2 3 PUBSUB 0 0 0", &v), KnobError::kOk);
  AssignKnob(cfg, *k, v);
  EXPECT_EQ(FormatKnob(cfg, *k), "normal 0 0 0 slave 1024 2 3 pubsub 0 0 0");
}

}  // namespace
}  // namespace aegisr
