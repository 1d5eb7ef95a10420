// Unit tests of the pub/sub registry (engine/pubsub.h): subscriptions, pattern matching through
// base/glob.h, receiver counts as Redis counts them, and what is handed to the delivery hook.

#include "engine/pubsub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

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
      if (x.client_id == 2) EXPECT_EQ(x.thread, 3u);
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
  EXPECT_EQ(ps.Publish("orders", "x"), 1u);  // only the pattern: shard channels are apart
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

}  // namespace
}  // namespace aegisr
