#include "engine/pubsub.h"

#include <mutex>

#include "base/glob.h"
#include "engine/client.h"

namespace aegisr {

bool PubSub::Add(Names& m, const Client& c, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end()) it = m.emplace(std::string(k), Subs{}).first;
  return it->second.emplace(c.id, Where{c.thread, c.outlet}).second;
}

bool PubSub::Remove(Names& m, uint64_t id, std::string_view k) {
  auto it = m.find(k);
  if (it == m.end() || it->second.erase(id) == 0) return false;
  if (it->second.empty()) m.erase(it);
  return true;
}

void PubSub::Recount() {
  listeners_.store(channels_.size() + patterns_.size(), std::memory_order_relaxed);
  shard_listeners_.store(shard_channels_.size(), std::memory_order_relaxed);
}

void PubSub::Track(uint64_t id, std::vector<std::string> ClientSubs::*which, std::string_view k,
                   bool add) {
  Recount();
  if (add) {
    (clients_[id].*which).emplace_back(k);
    return;
  }
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  std::vector<std::string>& v = it->second.*which;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == k) {
      v[i] = std::move(v.back());
      v.pop_back();
      break;
    }
  }
  const ClientSubs& cs = it->second;
  if (cs.channels.empty() && cs.patterns.empty() && cs.shard_channels.empty()) clients_.erase(it);
}

bool PubSub::Subscribe(const Client& c, std::string_view channel) {
  std::unique_lock lk(mu_);
  if (!Add(channels_, c, channel)) return false;
  Track(c.id, &ClientSubs::channels, channel, true);
  return true;
}
bool PubSub::Unsubscribe(uint64_t id, std::string_view channel) {
  std::unique_lock lk(mu_);
  if (!Remove(channels_, id, channel)) return false;
  Track(id, &ClientSubs::channels, channel, false);
  return true;
}
bool PubSub::PSubscribe(const Client& c, std::string_view pattern) {
  std::unique_lock lk(mu_);
  if (!Add(patterns_, c, pattern)) return false;
  Track(c.id, &ClientSubs::patterns, pattern, true);
  return true;
}
bool PubSub::PUnsubscribe(uint64_t id, std::string_view pattern) {
  std::unique_lock lk(mu_);
  if (!Remove(patterns_, id, pattern)) return false;
  Track(id, &ClientSubs::patterns, pattern, false);
  return true;
}
bool PubSub::SSubscribe(const Client& c, std::string_view channel) {
  std::unique_lock lk(mu_);
  if (!Add(shard_channels_, c, channel)) return false;
  Track(c.id, &ClientSubs::shard_channels, channel, true);
  return true;
}
bool PubSub::SUnsubscribe(uint64_t id, std::string_view channel) {
  std::unique_lock lk(mu_);
  if (!Remove(shard_channels_, id, channel)) return false;
  Track(id, &ClientSubs::shard_channels, channel, false);
  return true;
}

// Publish collects every receiver (the channel's subscribers, then each matching pattern's)
// into one list reused by the calling thread, and hands it to the delivery in one call: one
// message per publish for each loop thread to take from its mailbox.
namespace {
thread_local std::vector<PubSubDelivery::Target> t_targets;
}  // namespace

size_t PubSub::Fanout(const Names& m, bool patterns, PubSubKind kind, std::string_view channel,
                      std::string_view) const {
  std::vector<PubSubDelivery::Target>& targets = t_targets;
  size_t before = targets.size();
  if (!patterns) {
    auto it = m.find(channel);
    if (it == m.end()) return 0;
    for (auto& [id, at] : it->second) targets.push_back({id, at.thread, kind, nullptr, at.outlet});
  } else {
    for (auto& [pat, subs] : m) {
      if (!GlobMatch(pat, channel, false)) continue;
      for (auto& [id, at] : subs) targets.push_back({id, at.thread, kind, &pat, at.outlet});
    }
  }
  return targets.size() - before;
}

size_t PubSub::Publish(std::string_view channel, std::string_view message) {
  if (listeners_.load(std::memory_order_relaxed) == 0) return 0;
  std::shared_lock lk(mu_);
  t_targets.clear();
  size_t n = Fanout(channels_, false, PubSubKind::kMessage, channel, message);
  n += Fanout(patterns_, true, PubSubKind::kPMessage, channel, message);
  if (delivery_ && n > 0) delivery_->Deliver(t_targets.data(), n, channel, message);
  return n;
}

size_t PubSub::SPublish(std::string_view channel, std::string_view message) {
  if (shard_listeners_.load(std::memory_order_relaxed) == 0) return 0;
  std::shared_lock lk(mu_);
  t_targets.clear();
  size_t n = Fanout(shard_channels_, false, PubSubKind::kSMessage, channel, message);
  if (delivery_ && n > 0) delivery_->Deliver(t_targets.data(), n, channel, message);
  return n;
}

static std::vector<std::string> MatchingNames(const auto& m, std::string_view pattern,
                                              bool has_pattern) {
  std::vector<std::string> out;
  for (auto& [name, subs] : m) {
    if (!has_pattern || GlobMatch(pattern, name, false)) out.push_back(name);
  }
  return out;
}

std::vector<std::string> PubSub::Channels(std::string_view pattern, bool has_pattern) const {
  std::shared_lock lk(mu_);
  return MatchingNames(channels_, pattern, has_pattern);
}
std::vector<std::string> PubSub::ShardChannels(std::string_view pattern, bool has_pattern) const {
  std::shared_lock lk(mu_);
  return MatchingNames(shard_channels_, pattern, has_pattern);
}
size_t PubSub::NumSub(std::string_view channel) const {
  std::shared_lock lk(mu_);
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}
size_t PubSub::ShardNumSub(std::string_view channel) const {
  std::shared_lock lk(mu_);
  auto it = shard_channels_.find(channel);
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

std::vector<std::string> PubSub::ClientList(const std::unordered_map<uint64_t, ClientSubs>& m,
                                            uint64_t id,
                                            std::vector<std::string> ClientSubs::*which) {
  auto it = m.find(id);
  return it == m.end() ? std::vector<std::string>{} : it->second.*which;
}
std::vector<std::string> PubSub::ClientChannels(uint64_t id) const {
  std::shared_lock lk(mu_);
  return ClientList(clients_, id, &ClientSubs::channels);
}
std::vector<std::string> PubSub::ClientPatterns(uint64_t id) const {
  std::shared_lock lk(mu_);
  return ClientList(clients_, id, &ClientSubs::patterns);
}
std::vector<std::string> PubSub::ClientShardChannels(uint64_t id) const {
  std::shared_lock lk(mu_);
  return ClientList(clients_, id, &ClientSubs::shard_channels);
}

void PubSub::UnsubscribeAll(uint64_t id) {
  std::unique_lock lk(mu_);
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  for (const std::string& k : it->second.channels) Remove(channels_, id, k);
  for (const std::string& k : it->second.patterns) Remove(patterns_, id, k);
  for (const std::string& k : it->second.shard_channels) Remove(shard_channels_, id, k);
  clients_.erase(it);
  Recount();
}

void DropSubscriptions(PubSub& ps, ClientState& c) {
  if (!InSubscriberMode(c)) return;
  ps.UnsubscribeAll(c.id);
  c.subs.store(0, std::memory_order_relaxed);
  c.psubs.store(0, std::memory_order_relaxed);
  c.ssubs.store(0, std::memory_order_relaxed);
}

}  // namespace aegisr
