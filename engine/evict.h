#pragma once
// Evictor: keeps the keyspace under maxmemory by evicting keys as maxmemory-policy says, with
// the policies of tier/policy.h. Thread-safe: any loop thread calls MakeRoom before a command;
// each thread keeps its own candidate pool, and every eviction re-finds its key under the shard
// lock.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/config.h"
#include "engine/keyspace/keyspace.h"
#include "engine/tier_store.h"
#include "tier/policy.h"

namespace aegisr {

class Evictor {
 public:
  Evictor(Keyspace& ks, Config& cfg, TierStore& tier) : ks_(ks), cfg_(cfg), tier_(tier) {}
  ~Evictor();

  // True when maxmemory is set and the keyspace is over it.
  bool OverLimit() const {
    int64_t max = cfg_.maxmemory.load(std::memory_order_relaxed);
    return max > 0 && ApproxUsedBytes() > max;
  }
  // Frees memory until the keyspace is under maxmemory: with the disk tier on (tier-dir,
  // tier-offload yes), the policy's victims move to disk; otherwise, or when that fails
  // (small values, tier full), they are evicted. Returns false if it is still over (the
  // policy is noeviction and nothing could be offloaded, or no key qualifies, e.g. volatile-*
  // with no TTL keys): then commands that may grow memory get the OOM error.
  // pinned: GhostHash of keys that must stay in RAM meanwhile (the command about to run).
  bool MakeRoom(std::span<const uint64_t> pinned = {});

  uint64_t evicted_keys() const { return evicted_.load(std::memory_order_relaxed); }
  uint64_t offloaded_keys() const { return offloaded_.load(std::memory_order_relaxed); }
  // The adaptive policy's recency weight (0 = LFU .. 1 = LRU) and its duels decided, for INFO:
  // by a ghost hit (the evicted key asked for first) or by a hit on the key kept instead.
  double recency_weight();
  uint64_t ghost_hits();
  uint64_t kept_hits();
  // Bytes of the adaptive policy's duel table and miss sketch (0 under other policies).
  uint64_t policy_table_bytes();

 private:
  // The policy object for the configured maxmemory-policy and LFU parameters, rebuilt when they
  // change. Retired objects live until the Evictor goes: lookups may still hold them.
  tier::EvictionPolicy* Policy();
  // Samples keys into this thread's pool and evicts the best candidate. False if none found.
  // Offloads (false if the tier refuses it) or deletes the entry at link; counts it.
  bool Remove(Shard& s, int db, Entry** link, bool offload);
  // With offload, the victim goes to disk (keys already there are not candidates).
  bool EvictOne(tier::EvictionPolicy& policy, bool offload, std::span<const uint64_t> pinned);

  Keyspace& ks_;
  Config& cfg_;
  TierStore& tier_;
  // Chooses what to offload under noeviction (which has no order of its own): LRU.
  tier::EvictionPolicy offload_order_{tier::PolicyKind::kAllKeysLru};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> offloaded_{0};
  std::mutex mu_;                                                // guards policies_ and policy_key_
  std::vector<std::unique_ptr<tier::EvictionPolicy>> policies_;  // the last one is current
  std::atomic<tier::EvictionPolicy*> current_{nullptr};
  uint64_t policy_key_ = ~0ull;  // (policy id, lfu params) that current_ was built for
};

}  // namespace aegisr
