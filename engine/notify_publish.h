#pragma once
// The one call keyspace notifications make into pub/sub: publish message on channel to every
// subscriber (thread-safe, takes no shard lock, never blocks). Until the pubsub branch's
// engine/pubsub.h is merged this is a stub (engine/notify_publish_stub.cc) that delivers to
// nobody; at the merge it becomes engine.pubsub().Publish(channel, message).

#include <cstddef>
#include <string_view>

namespace aegisr {

class Engine;
size_t PublishNotification(Engine& engine, std::string_view channel, std::string_view message);

}  // namespace aegisr
