#include "engine/pubsub.h"

#include <mutex>

#include "base/glob.h"

namespace aegisr {

bool PubSub::Add(std::unordered_map<std::string, Subs>& m, const Client& c, std::string_view k) {
  auto it = m.find(std::string(k));
  if (it == m.end()) it = m.emplace(std::string(k), Subs{}).first;
  return it->second.emplace(c.id, c.thread).second;
}

bool PubSub::Remove(std::unordered_map<std::string, Subs>& m, uint64_t id, std::string_view k) {
  auto it = m.find(std::string(k));
  if (it == m.end() || it->second.erase(id) == 0) return false;
  if (it->second.empty()) m.erase(it);
  return true;
}

bool PubSub::Subscribe(const Client& c, std::string_view channel) {
  std::unique_lock lk(mu_);
  return Add(channels_, c, channel);
}
bool PubSub::Unsubscribe(uint64_t id, std::string_view channel) {
  std::unique_lock lk(mu_);
  return Remove(channels_, id, channel);
}
bool PubSub::PSubscribe(const Client& c, std::string_view pattern) {
  std::unique_lock lk(mu_);
  return Add(patterns_, c, pattern);
}
bool PubSub::PUnsubscribe(uint64_t id, std::string_view pattern) {
  std::unique_lock lk(mu_);
  return Remove(patterns_, id, pattern);
}
bool PubSub::SSubscribe(const Client& c, std::string_view channel) {
  std::unique_lock lk(mu_);
  return Add(shard_channels_, c, channel);
}
bool PubSub::SUnsubscribe(uint64_t id, std::string_view channel) {
  std::unique_lock lk(mu_);
  return Remove(shard_channels_, id, channel);
}

size_t PubSub::Fanout(const std::unordered_map<std::string, Subs>& m, bool patterns,
                      PubSubKind kind, std::string_view channel, std::string_view message) const {
  std::vector<PubSubDelivery::Target> targets;
  if (!patterns) {
    auto it = m.find(std::string(channel));
    if (it == m.end()) return 0;
    targets.reserve(it->second.size());
    for (auto& [id, thread] : it->second) targets.push_back({id, thread, kind, nullptr});
  } else {
    for (auto& [pat, subs] : m) {
      if (!GlobMatch(pat, channel, false)) continue;
      for (auto& [id, thread] : subs) targets.push_back({id, thread, kind, &pat});
    }
  }
  if (delivery_ && !targets.empty()) {
    delivery_->Deliver(targets.data(), targets.size(), channel, message);
  }
  return targets.size();
}

size_t PubSub::Publish(std::string_view channel, std::string_view message) {
  std::shared_lock lk(mu_);
  size_t n = Fanout(channels_, false, PubSubKind::kMessage, channel, message);
  n += Fanout(patterns_, true, PubSubKind::kPMessage, channel, message);
  return n;
}

size_t PubSub::SPublish(std::string_view channel, std::string_view message) {
  std::shared_lock lk(mu_);
  return Fanout(shard_channels_, false, PubSubKind::kSMessage, channel, message);
}

static std::vector<std::string> Names(const auto& m, std::string_view pattern, bool has_pattern) {
  std::vector<std::string> out;
  for (auto& [name, subs] : m) {
    if (!has_pattern || GlobMatch(pattern, name, false)) out.push_back(name);
  }
  return out;
}

std::vector<std::string> PubSub::Channels(std::string_view pattern, bool has_pattern) const {
  std::shared_lock lk(mu_);
  return Names(channels_, pattern, has_pattern);
}
std::vector<std::string> PubSub::ShardChannels(std::string_view pattern, bool has_pattern) const {
  std::shared_lock lk(mu_);
  return Names(shard_channels_, pattern, has_pattern);
}
size_t PubSub::NumSub(std::string_view channel) const {
  std::shared_lock lk(mu_);
  auto it = channels_.find(std::string(channel));
  return it == channels_.end() ? 0 : it->second.size();
}
size_t PubSub::ShardNumSub(std::string_view channel) const {
  std::shared_lock lk(mu_);
  auto it = shard_channels_.find(std::string(channel));
  return it == shard_channels_.end() ? 0 : it->second.size();
}
size_t PubSub::NumPat() const {
  std::shared_lock lk(mu_);
  return patterns_.size();
}
size_t PubSub::channel_count() const {
  std::shared_lock lk(mu_);
  return channels_.size();
}
size_t PubSub::shard_channel_count() const {
  std::shared_lock lk(mu_);
  return shard_channels_.size();
}

}  // namespace aegisr
