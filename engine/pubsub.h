#pragma once
// PubSub: the registry of channel, pattern and shard-channel subscriptions, and message fan-out
// (PUBLISH, SPUBLISH, keyspace notifications). Thread-safe: Publish may be called from any
// command handler on any loop thread, also while the caller holds shard locks; it takes no shard
// lock and never blocks on I/O. Messages for a subscriber are handed to a PubSubDelivery (net/
// implements it: per-thread mailboxes drained by the subscriber's own loop thread), in the order
// one publisher published them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace aegisr {

struct ClientState;
// A subscriber connection's socket as other loop threads may write it (net/pubsub_outlet.h);
// opaque here: the registry only carries it from Subscribe to Deliver.
class PubSubOutlet;

// One message for one subscriber. kind: how it is framed on the wire.
enum class PubSubKind : uint8_t { kMessage, kPMessage, kSMessage };

// Where Publish hands messages (net/ implements it). Deliver runs under the registry's shared
// lock: it must only queue (no I/O, no registry calls) and must keep, per subscriber, the order of
// calls. One Deliver call carries every receiver of one published message.
class PubSubDelivery {
 public:
  struct Target {
    uint64_t client_id;
    unsigned thread;
    PubSubKind kind;
    const std::string* pattern;  // kPMessage only; valid during the call
    PubSubOutlet* outlet;        // the subscriber's (nullptr: none); alive during the call
  };
  virtual ~PubSubDelivery() = default;
  virtual void Deliver(const Target* targets, size_t n, std::string_view channel,
                       std::string_view message) = 0;
  // Writes out, now, what was handed to the calling loop thread for its connections (called
  // from a command handler, so that messages published before an unsubscribe reach the client
  // before its confirmation). Must not close connections.
  virtual void DeliverPendingHere() {}
};

// Whether a RESP2 client in subscriber mode may run the command named so (a CommandSpec name):
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
bool AllowedWhileSubscribed(std::string_view name);

class PubSub {
 public:
  // A subscribing client: its id, the loop thread that owns its connection and that
  // connection's outlet (alive while it has a subscription; nullptr: none).
  struct Client {
    uint64_t id;
    unsigned thread;
    PubSubOutlet* outlet = nullptr;
  };

  PubSub() = default;
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  void set_delivery(PubSubDelivery* d) { delivery_ = d; }
  // See PubSubDelivery::DeliverPendingHere. Call with no registry lock held (not from Deliver).
  void DeliverPendingHere() {
    if (delivery_) delivery_->DeliverPendingHere();
  }

  // Sends message to the clients subscribed to channel and to those whose patterns match it;
  // returns how many receivers that is (a client counts once per subscription that matched, as
  // Redis counts).
  // With no subscription at all it returns 0 without taking the registry's lock (keyspace
  // events with nobody listening cost a relaxed load).
  size_t Publish(std::string_view channel, std::string_view message);
  // SPUBLISH: shard channels only (kept apart from ordinary channels).
  size_t SPublish(std::string_view channel, std::string_view message);

  // Whether any client holds a channel or pattern subscription (shard channels apart). A
  // subscription made before the caller learnt of it (its confirmation was read, say) is seen.
  bool has_listeners() const { return listeners_.load(std::memory_order_relaxed) != 0; }

  // Subscription changes. Each returns true when the client was not (Subscribe) / was
  // (Unsubscribe) subscribed before.
  bool Subscribe(const Client& c, std::string_view channel);
  bool Unsubscribe(uint64_t client_id, std::string_view channel);
  bool PSubscribe(const Client& c, std::string_view pattern);
  bool PUnsubscribe(uint64_t client_id, std::string_view pattern);
  bool SSubscribe(const Client& c, std::string_view channel);
  bool SUnsubscribe(uint64_t client_id, std::string_view channel);

  // Introspection (PUBSUB): channels with at least one subscriber, optionally matching a glob.
  std::vector<std::string> Channels(std::string_view pattern, bool has_pattern) const;
  std::vector<std::string> ShardChannels(std::string_view pattern, bool has_pattern) const;
  size_t NumSub(std::string_view channel) const;
  size_t ShardNumSub(std::string_view channel) const;
  size_t NumPat() const;  // distinct patterns with at least one subscriber
  size_t channel_count() const;
  size_t shard_channel_count() const;

  // A client's subscriptions of one kind, for UNSUBSCRIBE, PUNSUBSCRIBE and SUNSUBSCRIBE with
  // no arguments (in no particular order, as Redis's).
  std::vector<std::string> ClientChannels(uint64_t client_id) const;
  std::vector<std::string> ClientPatterns(uint64_t client_id) const;
  std::vector<std::string> ClientShardChannels(uint64_t client_id) const;
  // Drops every subscription of a client (RESET, disconnect).
  void UnsubscribeAll(uint64_t client_id);

 private:
  struct Where {
    unsigned thread;
    PubSubOutlet* outlet;
  };
  using Subs = std::unordered_map<uint64_t, Where>;  // client id -> its connection
  // Name -> subscribers, looked up by string_view without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Names = std::unordered_map<std::string, Subs, NameHash, std::equal_to<>>;
  static bool Add(Names& m, const Client& c, std::string_view k);
  static bool Remove(Names& m, uint64_t id, std::string_view k);
  size_t Fanout(const Names& m, bool patterns, PubSubKind kind, std::string_view channel,
                std::string_view message) const;

  // What one client is subscribed to (the reverse index of the maps above).
  struct ClientSubs {
    std::vector<std::string> channels, patterns, shard_channels;
  };
  static std::vector<std::string> ClientList(const std::unordered_map<uint64_t, ClientSubs>& m,
                                             uint64_t id,
                                             std::vector<std::string> ClientSubs::*which);
  void Track(uint64_t id, std::vector<std::string> ClientSubs::*which, std::string_view k,
             bool add);
  // Brings listeners_ and shard_listeners_ up to date after a change (mu_ held exclusively).
  void Recount();

  mutable std::shared_mutex mu_;
  std::unordered_map<uint64_t, ClientSubs> clients_;
  Names channels_;
  Names patterns_;
  Names shard_channels_;
  // Names in channels_ + patterns_, and in shard_channels_ (each name has a subscriber): read
  // without mu_ so that publishing to nobody takes no lock.
  std::atomic<size_t> listeners_{0};
  std::atomic<size_t> shard_listeners_{0};
  PubSubDelivery* delivery_ = nullptr;
};

// Drops every subscription of c and zeroes its counts (RESET, disconnect). c's own thread.
void DropSubscriptions(PubSub& ps, ClientState& c);

}  // namespace aegisr
