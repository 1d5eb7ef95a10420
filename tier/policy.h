#pragma once
// Eviction policies for maxmemory: Redis's eight under their Redis names and Aegisr's adaptive
// one. EvictionPolicy is thread-safe (scoring is const; the duel table and the miss sketch are
// lock-free atomics); EvictionPool is not (one per evicting thread, or under the caller's lock).
//
// How the engine uses them (Redis's evict.c loop): for each key to free, sample
// maxmemory-samples keys from random shards, Offer() each to an EvictionPool (the best 16 are
// kept across rounds), PopBest(), look the victim up again (it may be gone or touched since; see
// PopBest), delete it (or move it to disk) and call OnEvict(victim). Every lookup calls
// OnHit(hash) or OnMiss(hash) (the adaptive policy only; the others ignore them).
// *-random policies need no pool: any sampled key will do (uses_pool() is false).
//
// Scores (higher = evict first), from the 32-bit access word of tier/access.h, as Redis does:
//   *-lru:        idle ticks (seconds) since the last access;
//   *-lfu:        255 - the decayed logarithmic counter;
//   volatile-ttl: UINT64_MAX - the absolute expire time (sooner expiry first);
//   volatile-*:   keys without a TTL are refused (no score).
//
// The adaptive policy is LFU with a memory of misses, an admission bias against unproven keys,
// and a recency weight learned from duels between its two experts. Per key it uses only the
// access word:
//  - History: a fixed-size count-min sketch (4 probes into one table of 8-bit cells saturating
//    at 15, conservative update, every cell halved after sketch_period misses per cell, as in
//    TinyLFU, Einziger et al.) counts the lookups of each hash that missed. A key that missed at
//    least twice gets history_weight * log2(misses) extra counter steps: a key that keeps coming
//    back is a frequent key the cache could not hold.
//  - Admission bias: a key with no hit since it was stored (its counter is still LFU_INIT_VAL)
//    ranks fresh_penalty counter steps lower, so one-time keys (scans, one-hit wonders) leave
//    before keys the cache has seen reused. Its miss history still adds (one step per doubling),
//    but does not lift the penalty. This is TinyLFU's admission filter as an eviction order.
//  - The recency expert's view of a key is its idle time, except for a key that was used (its
//    counter is above LFU_INIT_VAL) and has now been idle for a whole lfu-decay-time period (its
//    counter has begun to decay): that one counts as (1 + dead_weight * (counter - 5)) times
//    idler. The more a key was used, the stronger the sign that a long silence means it is dead
//    (a hot set that moved on), where a rarely used key's silence says little.
//  - Score (higher = evict first): rho = log2(1 + the recency view), phi = 2 * log2(1 + counter
//    + history - penalty), score = w * rho + (1 - w) * (16 - phi), w = the recency weight.
//  - Learning w from duels (Belady's rule, one decision at a time): when the pool's victim is
//    the choice of one expert only (LRU: the highest recency view; LFU: the lowest frequency,
//    ties to the idlest), the other expert's choice is the key kept in its place. The evicted key
//    (a ghost) and the kept key are remembered as a pair in a fixed-size table. Whichever of the
//    two is asked for first decides the duel: the evicted one (a ghost hit) means the chooser
//    was wrong and w moves `step` away from it; the kept one means it was right and w moves
//    `step` toward it. Both outcomes count, so the learner compares the experts at the margin
//    rather than counting one expert's mistakes alone, which favours whichever expert evicts
//    less. Theta is bounded (+-2) so that w crosses from one expert to the other within a few
//    dozen duels: when the hot set moves, LRU's order is right for a while and LFU's after.
//  - The engine samples at least min_samples keys per eviction round for it (Redis's
//    maxmemory-samples 10 regime): the frequency order needs the wider choice.
// docs/policy.md has the simulator's measurements of each part.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "tier/access.h"

namespace aegisr::tier {

enum class PolicyKind : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAdaptive,
};

// "noeviction", "allkeys-lru", ..., "volatile-ttl", "adaptive" (ASCII case-insensitive, as
// Redis's config enums); nullopt for anything else.
std::optional<PolicyKind> ParsePolicy(std::string_view name);
std::string_view PolicyName(PolicyKind kind);

// What the engine knows of one sampled key.
struct Candidate {
  uint64_t key_hash = 0;  // the keyspace hash of the key (well mixed)
  uint32_t access = 0;    // the entry's access word (tier/access.h)
  int64_t expire_ms = 0;  // absolute expire time in ms since the epoch; 0 = no TTL
  uint32_t now = 0;       // the current access clock (AccessClock)
};

// Which expert chose a victim (the adaptive policy's duels).
enum class Expert : uint8_t { kNone = 0, kRecency = 1, kFrequency = 2 };

// A candidate with its score and the two experts' views of it (the adaptive policy's duels).
struct Scored {
  uint64_t score = 0;   // higher = evict first
  uint32_t idle = 0;    // idle ticks
  uint8_t counter = 0;  // decayed LFU counter
  float frequency = 0;  // the frequency expert's view: the counter, for adaptive with its history
                        // and admission terms
  float recency = 0;    // the recency expert's view: idle ticks, for adaptive scaled up for keys
                        // that look dead (see the file comment)
};

struct Victim {
  Candidate candidate;
  Scored scored;
  // The expert whose choice this is, when the other expert would have chosen another pooled
  // key: kept_hash (kNone: both agree, or neither chose it).
  Expert chooser = Expert::kNone;
  uint64_t kept_hash = 0;
};

// The best candidates seen across sampling rounds, like Redis's eviction pool. Not thread-safe.
class EvictionPool {
 public:
  static constexpr size_t kCapacity = 16;

  // Keeps c if the pool has room or c scores above the pool's worst (which is then dropped). A
  // key already in the pool has its entry replaced (fresh access word and score). Returns
  // whether c is in the pool afterwards.
  bool Offer(const Candidate& c, const Scored& s);
  // Removes and returns the highest-scoring entry, with the expert that chose it and the key the
  // other expert would have evicted instead (see the file comment). Entries are snapshots: the
  // caller must check that the key still exists, and may compare its access word with
  // candidate.access to see whether it was touched since.
  std::optional<Victim> PopBest();
  // Drops the entry of a key (deleted, or found touched); returns whether there was one.
  bool Remove(uint64_t key_hash);
  void Clear() { size_ = 0; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Entry {
    Candidate candidate;
    Scored scored;
  };
  Entry entries_[kCapacity];
  size_t size_ = 0;
};

struct AdaptiveParams {
  uint32_t duel_slots = 1 << 16;      // duel table slots, two per duel (rounded up to 2^n)
  double step = 0.1;                  // theta step per decided duel (0: w stays put)
  double dead_weight = 2.0;           // the recency view's scale per counter step of a dead key
  double max_theta = 2.0;             // |theta| bound (w is stretched to 0 and 1 at the bounds)
  double initial_theta = -2.0;        // w = 0: start as LFU
  uint32_t sketch_entries = 1 << 16;  // miss sketch counters (rounded up to a power of two)
  double sketch_period = 10.0;        // misses per sketch counter between two halvings, at most
  double history_period = 10.0;       // misses per cached key between two halvings (SetCacheKeys)
  double history_weight = 1.0;        // counter steps credited per doubling of the miss count
  double fresh_penalty = 2.0;         // counter steps an unproven key ranks lower
  int min_samples = 10;               // keys sampled per eviction round, at least
};

// The adaptive policy's table sizes for a cache of `keys` keys: four duel slots per key (at least
// 4096, at most 2^17: every hit probes the table, so it stays small enough for the CPU's caches;
// a duel's two slots are overwritten by later duels at random, so four slots per key keep a
// duel about as long as the cache takes to evict as many keys as it holds) and 8 miss-sketch
// cells per key (at least 65536), each rounded up to a power of two, then halved together until
// they fit budget_bytes (8 bytes per slot, 1 per cell; never below the minimums). The engine
// passes maxmemory / 64; the simulator runs without a budget, so both run the same tables for the
// same cache.
AdaptiveParams AdaptiveParamsFor(uint64_t keys, uint64_t budget_bytes);

// One configured maxmemory-policy. Thread-safe: every method may be called concurrently.
class EvictionPolicy {
 public:
  explicit EvictionPolicy(PolicyKind kind, LfuParams lfu = {}, AdaptiveParams adaptive = {});
  EvictionPolicy(const EvictionPolicy&) = delete;
  EvictionPolicy& operator=(const EvictionPolicy&) = delete;

  PolicyKind kind() const { return kind_; }
  bool evicts() const { return kind_ != PolicyKind::kNoEviction; }
  // volatile-*: only keys with a TTL may be evicted (the engine samples the expires table).
  bool volatile_only() const;
  // false for noeviction and the *-random policies (evict any sampled key).
  bool uses_pool() const;
  // Keys to sample per eviction round given maxmemory-samples (the adaptive policy wants more).
  int SamplesPerRound(int64_t maxmemory_samples) const;

  // The score of c, or nullopt if this policy never evicts c (noeviction; volatile-* and no TTL).
  std::optional<Scored> Evaluate(const Candidate& c) const;
  std::optional<uint64_t> Score(const Candidate& c) const {
    auto s = Evaluate(c);
    return s ? std::optional<uint64_t>(s->score) : std::nullopt;
  }
  // Evaluate and offer to the pool; returns whether c is in the pool afterwards.
  bool Offer(EvictionPool& pool, const Candidate& c) const;

  // A victim was deleted or moved to disk (the adaptive policy starts its duel).
  void OnEvict(const Victim& v);
  // A lookup of key_hash missed (OnMiss) or found the key (OnHit). Either may decide a duel; both
  // return the expert blamed if key_hash was a duel's evicted key asked for first (a ghost hit),
  // else kNone. Only the adaptive policy listens.
  Expert OnMiss(uint64_t key_hash);
  Expert OnHit(uint64_t key_hash);

  // The number of keys the cache holds now (the adaptive policy ages its miss history every
  // history_period * n misses, as TinyLFU's sample is 10 times the cache; bounded by the
  // sketch's size). Until called, the period is sketch_period misses per sketch counter.
  void SetCacheKeys(uint64_t n);

  // The adaptive policy's current recency weight w in [0, 1] (1 for LRU kinds, 0 for LFU kinds).
  double recency_weight() const;
  // Duels decided against the expert that chose the victim (its ghost was asked for first), and
  // for it (the kept key was).
  uint64_t ghost_hits(Expert e) const;
  uint64_t kept_hits(Expert e) const;
  uint32_t duel_capacity() const { return duels_ ? duel_mask_ + 1 : 0; }  // slots
  uint32_t sketch_capacity() const { return sketch_ ? sketch_mask_ + 1 : 0; }
  // Bytes of the duel table and the miss sketch (0 for other kinds).
  size_t table_bytes() const { return size_t{duel_capacity()} * 8 + sketch_capacity(); }
  // Duel slots in use (a scan; for tests).
  size_t duel_slots_used() const;
  // The adaptive policy's estimate of how many recent lookups of key_hash missed (0..15; the miss
  // sketch; 0 for other kinds).
  uint32_t miss_history(uint64_t key_hash) const { return sketch_ ? SketchEstimate(key_hash) : 0; }

 private:
  void AdjustTheta(double delta);
  uint32_t DuelSlot(uint64_t key_hash) const;
  Expert Decide(uint64_t key_hash);
  uint32_t SketchEstimate(uint64_t key_hash) const;
  void SketchAdd(uint64_t key_hash);

  const PolicyKind kind_;
  const LfuParams lfu_;
  const AdaptiveParams adaptive_;
  uint32_t duel_mask_ = 0;
  uint32_t duel_shift_ = 0;
  // Duel slots, one per key of a pending duel, at the slot its hash maps to (direct-mapped: a
  // later duel overwrites, which is how old duels age out). Bits 63..32: the key's fingerprint
  // (never 0, so 0 = empty); bit 31: this is the evicted key; bit 30: the chooser was recency;
  // bits 29..0: the partner's slot. A duel whose partner slot no longer points back is void.
  std::unique_ptr<std::atomic<uint64_t>[]> duels_;
  std::atomic<int32_t> theta_fixed_{0};       // theta * kThetaOne
  std::atomic<uint32_t> weight_fixed_{0};     // w * kWeightOne, derived from theta
  std::atomic<uint64_t> ghost_hits_[3] = {};  // by Expert
  std::atomic<uint64_t> kept_hits_[3] = {};   // by Expert
  uint32_t sketch_mask_ = 0;
  uint32_t sketch_max_period_ = 0;
  std::atomic<uint32_t> sketch_period_{0};
  std::unique_ptr<std::atomic<uint8_t>[]> sketch_;
  std::atomic<uint32_t> sketch_adds_{0};
};

}  // namespace aegisr::tier
