// Sampled eviction under maxmemory (see evict.h), following Redis's evict.c loop: sample
// maxmemory-samples keys per round from random shards, keep the best 16 in a per-thread pool
// across rounds (tier::EvictionPool), evict the best one still present, tell the policy.
#include "engine/evict.h"

#include <algorithm>
#include <random>
#include <string>

#include "engine/engine.h"
#include "engine/keyspace/lazy_free.h"
#include "engine/notify.h"
#include "tier/access.h"

namespace aegisr {
namespace {

constexpr int kMaxRounds = 16;    // sampling rounds per eviction before giving up
constexpr size_t kKeyRing = 256;  // recently pooled keys (the pool itself keeps hashes only)

uint64_t Rand() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// A pooled candidate's key, so that the victim can be found again.
struct PooledKey {
  uint64_t key_hash = 0;
  std::string key;
  int db = 0;
  unsigned shard = 0;
};

struct ThreadPool {
  tier::EvictionPool pool;
  const tier::EvictionPolicy* owner = nullptr;  // the pool is reset when the policy changes
  PooledKey keys[kKeyRing];
  size_t next = 0;

  void Remember(uint64_t h, std::string_view key, int db, unsigned shard) {
    for (auto& k : keys)
      if (k.key_hash == h && k.db == db && k.key == key) return;
    keys[next] = {h, std::string(key), db, shard};
    next = (next + 1) % kKeyRing;
  }
  const PooledKey* Find(uint64_t h) const {
    for (const auto& k : keys)
      if (k.key_hash == h && !k.key.empty()) return &k;
    return nullptr;
  }
};

}  // namespace

Evictor::~Evictor() { SetAccessListener(nullptr); }

bool Evictor::Remove(Shard& s, int db, Entry** link, bool offload) {
  if (offload) {
    if (!tier_.Offload(s, db, link)) return false;
    offloaded_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  thread_local std::string key;
  key.assign((*link)->key());
  s.Delete(db, link);
  evicted_.fetch_add(1, std::memory_order_relaxed);
  NotifyProcess(kNotifyEvicted, "evicted", key, db);
  return true;
}

tier::EvictionPolicy* Evictor::Policy() {
  int64_t id = cfg_.maxmemory_policy_id.load(std::memory_order_relaxed);
  tier::LfuParams lfu = LfuParams();
  uint64_t key = uint64_t(id) | (uint64_t(lfu.log_factor & 0xffffff) << 8) |
                 (uint64_t(lfu.decay_time & 0xffffff) << 32);
  std::lock_guard lk(mu_);
  if (key != policy_key_) {
    auto kind =
        tier::ParsePolicy(cfg_.MaxmemoryPolicyName()).value_or(tier::PolicyKind::kNoEviction);
    tier::AdaptiveParams ap;
    if (kind == tier::PolicyKind::kAdaptive) {
      // Ghosts and miss sketch sized for the keys held now (the first eviction comes when the
      // keyspace is full), within 1/64 of maxmemory (tier/policy.h AdaptiveParamsFor).
      uint64_t keys = 0;
      for (int db = 0; db < kNumDbs; ++db) keys += ks_.DbSize(db);
      ap = tier::AdaptiveParamsFor(
          keys,
          uint64_t(std::max<int64_t>(0, cfg_.maxmemory.load(std::memory_order_relaxed))) / 64);
    }
    policies_.push_back(std::make_unique<tier::EvictionPolicy>(kind, lfu, ap));
    policy_key_ = key;
    current_.store(policies_.back().get(), std::memory_order_release);
    // Lookups feed the adaptive policy's duels and miss history.
    SetAccessListener(kind == tier::PolicyKind::kAdaptive ? policies_.back().get() : nullptr);
  }
  return policies_.back().get();
}

bool Evictor::MakeRoom(std::span<const uint64_t> pinned) {
  tier::EvictionPolicy* policy = nullptr;
  bool offload = tier_.accepting() && cfg_.tier_offload.load(std::memory_order_relaxed);
  LazyFreeScope lazy(cfg_.lazyfree_lazy_eviction.load(std::memory_order_relaxed));
  while (OverLimit()) {
    if (!policy) policy = Policy();
    if (offload) {
      if (EvictOne(policy->evicts() ? *policy : offload_order_, true, pinned)) continue;
      offload = false;  // nothing left to move (or the tier refuses): the policy decides
    }
    if (!policy->evicts() || !EvictOne(*policy, false, pinned)) return false;
  }
  return true;
}

double Evictor::recency_weight() {
  tier::EvictionPolicy* p = current_.load(std::memory_order_acquire);
  return p ? p->recency_weight() : 0;
}

uint64_t Evictor::ghost_hits() {
  tier::EvictionPolicy* p = current_.load(std::memory_order_acquire);
  return p ? p->ghost_hits(tier::Expert::kRecency) + p->ghost_hits(tier::Expert::kFrequency) : 0;
}

uint64_t Evictor::kept_hits() {
  tier::EvictionPolicy* p = current_.load(std::memory_order_acquire);
  return p ? p->kept_hits(tier::Expert::kRecency) + p->kept_hits(tier::Expert::kFrequency) : 0;
}

uint64_t Evictor::policy_table_bytes() {
  tier::EvictionPolicy* p = current_.load(std::memory_order_acquire);
  return p ? p->table_bytes() : 0;
}

bool Evictor::EvictOne(tier::EvictionPolicy& policy, bool offload,
                       std::span<const uint64_t> pinned) {
  auto is_pinned = [&](uint64_t h) {
    return std::find(pinned.begin(), pinned.end(), h) != pinned.end();
  };
  thread_local ThreadPool pools[2];  // [offload]: the two never share candidates
  ThreadPool& tp = pools[offload];
  if (tp.owner != &policy) {
    tp.pool.Clear();
    tp.owner = &policy;
  }
  const bool vol = policy.volatile_only();
  const bool adaptive = policy.kind() == tier::PolicyKind::kAdaptive;
  const int samples = policy.SamplesPerRound(cfg_.maxmemory_samples.load());
  const uint32_t clock = LruClock();
  const int64_t now = Engine::NowMs();
  for (int round = 0; round < kMaxRounds; ++round) {
    // Sample: a random shard, and in it each database that has candidates.
    unsigned si = unsigned(Rand() % kNumShards);
    Shard& s = ks_.shard(si);
    {
      std::lock_guard lk(s.mu);
      if (adaptive) {  // the miss history ages in proportion to the keys held (policy.h)
        size_t keys = 0;
        for (int db = 0; db < kNumDbs; ++db) keys += s.size(db);
        policy.SetCacheKeys(uint64_t(keys) * kNumShards);
      }
      for (int db = 0; db < kNumDbs; ++db) {
        if ((vol ? s.volatile_keys(db) : s.size(db)) == 0) continue;
        // A sample that cannot be a victim (no TTL under volatile-*, or already on disk when
        // offloading) is redrawn, a bounded number of times: when most values are on disk,
        // plain sampling would rarely meet one still in RAM.
        auto eligible = [&](const Entry* e) {
          return (!vol || e->has_expire()) && !(offload && e->on_disk());
        };
        for (int i = 0; i < samples; ++i) {
          Entry* e = s.table(db).Random(Rand());
          for (int tries = 0; e && !eligible(e) && tries < 32; ++tries)
            e = s.table(db).Random(Rand());
          if (!e || !eligible(e)) continue;
          uint64_t h = GhostHash(e->hash, db);
          if (is_pinned(h)) continue;
          if (e->has_expire() && now > e->expire_at()) {  // expired already: reclaim it now
            Entry** link = s.table(db).FindLink(e->key(), e->hash);
            s.DeleteExpired(db, link);
            tp.pool.Remove(h);
            return true;
          }
          if (!policy.uses_pool()) {  // *-random: any sampled key will do
            if (Remove(s, db, s.table(db).FindLink(e->key(), e->hash), offload)) return true;
            continue;
          }
          tier::Candidate c{h, e->access, e->has_expire() ? e->expire_at() : 0, clock};
          if (policy.Offer(tp.pool, c)) tp.Remember(h, e->key(), db, si);
        }
      }
    }
    // Evict the best candidate that is still there (the pool outlives the sample, so keys
    // may have been deleted, renamed or, for volatile policies, persisted meanwhile).
    while (auto victim = tp.pool.PopBest()) {
      if (is_pinned(victim->candidate.key_hash)) continue;
      const PooledKey* pk = tp.Find(victim->candidate.key_hash);
      if (!pk) continue;
      Shard& vs = ks_.shard(pk->shard);
      std::lock_guard lk(vs.mu);
      KeyRef k(pk->key);
      Entry** link = vs.table(pk->db).FindLink(k.key, k.hash);
      if (!link || (vol && !(*link)->has_expire()) || (offload && (*link)->on_disk())) continue;
      if (!Remove(vs, pk->db, link, offload)) continue;
      // Offloaded victims start duels too: asking for one again is a RAM miss (a disk read).
      policy.OnEvict(*victim);
      return true;
    }
  }
  return false;
}

}  // namespace aegisr
