// Unit tests for the eviction policies and the eviction pool (tier/policy.h).
#include "tier/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace aegisr::tier {
namespace {

constexpr uint32_t kNow = 100000;

Candidate Key(uint64_t hash, uint32_t last_access, uint8_t counter, int64_t expire_ms = 0) {
  return Candidate{hash, MakeAccess(last_access, counter), expire_ms, kNow};
}

TEST(Policy, NamesRoundTripCaseInsensitively) {
  for (auto k : {PolicyKind::kNoEviction, PolicyKind::kAllKeysLru, PolicyKind::kAllKeysLfu,
                 PolicyKind::kAllKeysRandom, PolicyKind::kVolatileLru, PolicyKind::kVolatileLfu,
                 PolicyKind::kVolatileRandom, PolicyKind::kVolatileTtl, PolicyKind::kAdaptive}) {
    auto parsed = ParsePolicy(PolicyName(k));
    ASSERT_TRUE(parsed.has_value()) << PolicyName(k);
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_EQ(ParsePolicy("AllKeys-LRU"), PolicyKind::kAllKeysLru);
  EXPECT_EQ(PolicyName(PolicyKind::kVolatileTtl), "volatile-ttl");
  EXPECT_FALSE(ParsePolicy("allkeys-lru ").has_value());
  EXPECT_FALSE(ParsePolicy("lru").has_value());
  EXPECT_FALSE(ParsePolicy("").has_value());
}

TEST(Policy, VolatilePoliciesRefuseKeysWithoutTtl) {
  Candidate no_ttl = Key(1, kNow - 50, 5);
  Candidate ttl = Key(2, kNow - 50, 5, 1700000000000);
  for (auto k : {PolicyKind::kVolatileLru, PolicyKind::kVolatileLfu, PolicyKind::kVolatileRandom,
                 PolicyKind::kVolatileTtl}) {
    EvictionPolicy p(k);
    EXPECT_TRUE(p.volatile_only());
    EXPECT_FALSE(p.Score(no_ttl).has_value()) << PolicyName(k);
    EXPECT_TRUE(p.Score(ttl).has_value()) << PolicyName(k);
    EvictionPool pool;
    EXPECT_FALSE(p.Offer(pool, no_ttl));
    EXPECT_TRUE(pool.empty());
  }
  for (auto k : {PolicyKind::kAllKeysLru, PolicyKind::kAllKeysLfu, PolicyKind::kAllKeysRandom,
                 PolicyKind::kAdaptive}) {
    EvictionPolicy p(k);
    EXPECT_FALSE(p.volatile_only());
    EXPECT_TRUE(p.Score(no_ttl).has_value()) << PolicyName(k);
  }
  EvictionPolicy none(PolicyKind::kNoEviction);
  EXPECT_FALSE(none.evicts());
  EXPECT_FALSE(none.Score(ttl).has_value());
  EXPECT_FALSE(none.Score(no_ttl).has_value());
}

TEST(Policy, OnlyRandomAndNoEvictionSkipThePool) {
  EXPECT_FALSE(EvictionPolicy(PolicyKind::kAllKeysRandom).uses_pool());
  EXPECT_FALSE(EvictionPolicy(PolicyKind::kVolatileRandom).uses_pool());
  EXPECT_FALSE(EvictionPolicy(PolicyKind::kNoEviction).uses_pool());
  EXPECT_TRUE(EvictionPolicy(PolicyKind::kVolatileTtl).uses_pool());
  EXPECT_TRUE(EvictionPolicy(PolicyKind::kAdaptive).uses_pool());
}

TEST(Policy, VolatileTtlEvictsSoonerExpiryFirst) {
  EvictionPolicy p(PolicyKind::kVolatileTtl);
  auto soon = p.Score(Key(1, kNow, 200, 1700000001000));
  auto later = p.Score(Key(2, kNow - 1000, 0, 1700000002000));
  ASSERT_TRUE(soon && later);
  EXPECT_GT(*soon, *later);  // expiry decides, not idleness or frequency
}

TEST(Policy, LruEvictsTheLongestIdleFirst) {
  for (auto k : {PolicyKind::kAllKeysLru, PolicyKind::kVolatileLru}) {
    EvictionPolicy p(k);
    auto old_hot = p.Score(Key(1, kNow - 500, 200, 1));
    auto new_cold = p.Score(Key(2, kNow - 5, 0, 1));
    ASSERT_TRUE(old_hot && new_cold);
    EXPECT_GT(*old_hot, *new_cold);
    EXPECT_EQ(*old_hot, 500u);  // the score is the idle time itself, as Redis's pool uses
  }
  // Idle time survives a wrap of the 24-bit clock.
  EvictionPolicy p(PolicyKind::kAllKeysLru);
  EXPECT_EQ(p.Score(Candidate{1, MakeAccess(kClockMask - 9, 5), 0, 10}), 20u);
}

TEST(Policy, LfuEvictsTheLowestDecayedCounterFirst) {
  for (auto k : {PolicyKind::kAllKeysLfu, PolicyKind::kVolatileLfu}) {
    EvictionPolicy p(k);  // decay: one step per minute
    auto frequent = p.Score(Key(1, kNow - 1, 20, 1));
    auto rare = p.Score(Key(2, kNow - 1, 10, 1));
    ASSERT_TRUE(frequent && rare);
    EXPECT_GT(*rare, *frequent);
    EXPECT_EQ(*rare, 255u - 10);
    // Twenty minutes idle decays 20 to 0: now it goes before the recently used 10.
    auto stale = p.Score(Key(3, kNow - 20 * 60, 20, 1));
    ASSERT_TRUE(stale);
    EXPECT_EQ(*stale, 255u);
    EXPECT_GT(*stale, *rare);
  }
}

TEST(EvictionPoolTest, KeepsTheBestAcrossRoundsAndPopsInOrder) {
  EvictionPool pool;
  std::vector<uint64_t> scores;
  uint64_t x = 12345;
  for (uint64_t i = 0; i < 60; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t s = x >> 40;
    scores.push_back(s);
    pool.Offer(Candidate{i, 0, 0, 0}, Scored{s, 0, 0});
  }
  EXPECT_EQ(pool.size(), EvictionPool::kCapacity);
  std::sort(scores.rbegin(), scores.rend());
  for (size_t i = 0; i < EvictionPool::kCapacity; ++i) {
    auto v = pool.PopBest();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->scored.score, scores[i]) << i;
  }
  EXPECT_FALSE(pool.PopBest().has_value());
}

TEST(EvictionPoolTest, ReofferReplacesAndRemoveDrops) {
  EvictionPool pool;
  EXPECT_TRUE(pool.Offer(Candidate{7, 1, 0, 0}, Scored{100, 0, 0}));
  EXPECT_TRUE(pool.Offer(Candidate{8, 1, 0, 0}, Scored{50, 0, 0}));
  EXPECT_TRUE(pool.Offer(Candidate{7, 2, 0, 0}, Scored{10, 0, 0}));  // touched since: lower
  EXPECT_EQ(pool.size(), 2u);
  auto v = pool.PopBest();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->candidate.key_hash, 8u);
  EXPECT_TRUE(pool.Remove(7));
  EXPECT_FALSE(pool.Remove(7));
  EXPECT_TRUE(pool.empty());
  // A full pool refuses a candidate no better than its worst.
  for (uint64_t i = 0; i < EvictionPool::kCapacity; ++i) {
    pool.Offer(Candidate{i, 0, 0, 0}, Scored{100 + i, 0, 0});
  }
  EXPECT_FALSE(pool.Offer(Candidate{99, 0, 0, 0}, Scored{100, 0, 0}));
  EXPECT_TRUE(pool.Offer(Candidate{99, 0, 0, 0}, Scored{101, 0, 0}));
  EXPECT_EQ(pool.size(), EvictionPool::kCapacity);
}

Scored Views(uint64_t score, uint32_t idle, float frequency) {
  Scored s{score, idle, 0, frequency};
  s.recency = static_cast<float>(idle);
  return s;
}

TEST(EvictionPoolTest, PairsTheVictimWithTheKeyTheOtherExpertWouldHaveEvicted) {
  EvictionPool pool;
  // 1: the idlest but frequent (LRU's choice); 2: rare but recent (LFU's); 3: middling on both.
  pool.Offer(Candidate{1, 0, 0, 0}, Views(30, 900, 40));
  pool.Offer(Candidate{2, 0, 0, 0}, Views(20, 10, 1));
  pool.Offer(Candidate{3, 0, 0, 0}, Views(10, 100, 10));
  auto v = pool.PopBest();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->candidate.key_hash, 1u);
  EXPECT_EQ(v->chooser, Expert::kRecency);
  EXPECT_EQ(v->kept_hash, 2u);  // LFU would have evicted 2
  v = pool.PopBest();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->candidate.key_hash, 2u);
  EXPECT_EQ(v->chooser, Expert::kFrequency);
  EXPECT_EQ(v->kept_hash, 3u);  // LRU would have evicted 3, the idler of the two left
  v = pool.PopBest();           // alone: both experts agree, nothing to learn
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->chooser, Expert::kNone);
  EXPECT_EQ(v->kept_hash, 0u);
}

TEST(EvictionPoolTest, NoDuelWhenTheExpertsAgreeOrNeitherChoseTheVictim) {
  // A loop over a little more than the cache leaves every key at the same counter: LFU's tie
  // goes to the idlest, which is LRU's choice too, so there is nothing to compare.
  EvictionPool tie;
  for (uint64_t i = 1; i <= 4; ++i) tie.Offer(Candidate{i, 0, 0, 0}, Views(i, i * 100, 5));
  auto v = tie.PopBest();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->candidate.key_hash, 4u);
  EXPECT_EQ(v->chooser, Expert::kNone);
  // A compromise victim (the blended score's choice, neither expert's own) starts no duel.
  EvictionPool mid;
  mid.Offer(Candidate{1, 0, 0, 0}, Views(10, 900, 40));
  mid.Offer(Candidate{2, 0, 0, 0}, Views(20, 10, 1));
  mid.Offer(Candidate{3, 0, 0, 0}, Views(30, 500, 5));
  v = mid.PopBest();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->candidate.key_hash, 3u);
  EXPECT_EQ(v->chooser, Expert::kNone);
}

uint64_t Mix(uint64_t i) {
  uint64_t z = i * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  return z ^ (z >> 29);
}

// Starts at w = 0.5 with a step small enough for a few hundred duels to show.
AdaptiveParams Midway() {
  AdaptiveParams ap;
  ap.initial_theta = 0;
  ap.step = 0.02;
  return ap;
}

// Duels i = first .. first + n - 1: key Mix(i) evicted by `chooser`, key Mix(i + kKept) kept.
constexpr uint64_t kKept = 1000000;
void Duel(EvictionPolicy& p, uint64_t first, uint64_t n, Expert chooser) {
  for (uint64_t i = first; i < first + n; ++i) {
    p.OnEvict(Victim{Candidate{Mix(i), 0, 0, kNow}, Scored{}, chooser, Mix(i + kKept)});
  }
}

TEST(AdaptivePolicy, GhostHitsMoveTheWeightAwayFromTheExpertThatChose) {
  EvictionPolicy p(PolicyKind::kAdaptive, {}, Midway());
  const double start = p.recency_weight();
  EXPECT_NEAR(start, 0.5, 0.01);
  Duel(p, 0, 200, Expert::kRecency);
  EXPECT_EQ(p.OnMiss(Mix(100000)), Expert::kNone);  // in no duel: no change
  EXPECT_DOUBLE_EQ(p.recency_weight(), start);
  size_t blamed = 0;
  for (uint64_t i = 0; i < 200; ++i) blamed += p.OnMiss(Mix(i)) == Expert::kRecency;
  EXPECT_GT(blamed, 150u);  // a few pairs collide in the table and are void
  EXPECT_EQ(p.ghost_hits(Expert::kRecency), blamed);
  const double after = p.recency_weight();
  EXPECT_LT(after, start - 0.1);
  // A duel is decided once: asking for either key again teaches nothing more.
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(p.OnMiss(Mix(i)), Expert::kNone);
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(p.OnHit(Mix(i + kKept)), Expert::kNone);
  EXPECT_DOUBLE_EQ(p.recency_weight(), after);
  // With weight on frequency, the rarely used key goes first even though it is more recent.
  auto rare_recent = p.Score(Key(1, kNow - 60, 6));
  auto frequent_old = p.Score(Key(2, kNow - 600, 60));
  ASSERT_TRUE(rare_recent && frequent_old);
  EXPECT_GT(*rare_recent, *frequent_old);
}

TEST(AdaptivePolicy, HitsOnKeptKeysMoveTheWeightTowardTheExpertThatChose) {
  EvictionPolicy p(PolicyKind::kAdaptive, {}, Midway());
  const double start = p.recency_weight();
  Duel(p, 0, 200, Expert::kRecency);
  // The kept keys are asked for first (a hit, or a miss if they went since): recency was right.
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(p.OnHit(Mix(i + kKept)), Expert::kNone);
  for (uint64_t i = 100; i < 200; ++i) EXPECT_EQ(p.OnMiss(Mix(i + kKept)), Expert::kNone);
  EXPECT_GT(p.kept_hits(Expert::kRecency), 150u);
  EXPECT_EQ(p.ghost_hits(Expert::kRecency), 0u);
  EXPECT_GT(p.recency_weight(), start + 0.1);
  // The evicted keys' duels are over.
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(p.OnMiss(Mix(i)), Expert::kNone);
  auto rare_recent = p.Score(Key(1, kNow - 60, 6));
  auto frequent_old = p.Score(Key(2, kNow - 6000, 60));
  ASSERT_TRUE(rare_recent && frequent_old);
  EXPECT_GT(*frequent_old, *rare_recent);
}

TEST(AdaptivePolicy, GhostHitsOnFrequencyVictimsMoveTheWeightTowardRecency) {
  EvictionPolicy p(PolicyKind::kAdaptive, {}, Midway());
  const double start = p.recency_weight();
  Duel(p, 0, 200, Expert::kFrequency);
  size_t blamed = 0;
  for (uint64_t i = 0; i < 200; ++i) blamed += p.OnHit(Mix(i)) == Expert::kFrequency;
  EXPECT_GT(blamed, 150u);  // an offloaded victim asked for again is a hit, and a ghost hit
  EXPECT_GT(p.recency_weight(), start + 0.1);
}

TEST(AdaptivePolicy, EqualOutcomesCancel) {
  EvictionPolicy p(PolicyKind::kAdaptive, {}, Midway());
  const double start = p.recency_weight();
  Duel(p, 0, 400, Expert::kFrequency);
  for (uint64_t i = 0; i < 400; ++i) {
    if (i % 2)
      p.OnMiss(Mix(i));  // frequency wrong
    else
      p.OnHit(Mix(i + kKept));  // frequency right
  }
  EXPECT_NEAR(p.recency_weight(), start, 0.03);
  EXPECT_GT(p.ghost_hits(Expert::kFrequency), 150u);
  EXPECT_GT(p.kept_hits(Expert::kFrequency), 150u);
}

TEST(AdaptivePolicy, VictimsBothExpertsAgreeOnStartNoDuel) {
  EvictionPolicy p(PolicyKind::kAdaptive);
  Duel(p, 0, 100, Expert::kNone);
  EXPECT_EQ(p.duel_slots_used(), 0u);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(p.OnMiss(Mix(i)), Expert::kNone);
}

TEST(AdaptivePolicy, DuelTableIsBoundedAndOldDuelsAgeOut) {
  AdaptiveParams ap;
  ap.duel_slots = 4000;
  EvictionPolicy p(PolicyKind::kAdaptive, {}, ap);
  EXPECT_EQ(p.duel_capacity(), 4096u);  // rounded up to a power of two
  Duel(p, 0, 50000, Expert::kRecency);
  EXPECT_LE(p.duel_slots_used(), p.duel_capacity());
  EXPECT_GT(p.duel_slots_used(), p.duel_capacity() / 2);
  // The oldest duels were overwritten: few of the first 1000 evicted keys still decide one.
  size_t remembered = 0;
  for (uint64_t i = 0; i < 1000; ++i) remembered += p.OnMiss(Mix(i)) != Expert::kNone;
  EXPECT_LT(remembered, 50u);
  // The newest mostly do.
  size_t recent = 0;
  for (uint64_t i = 49900; i < 50000; ++i) recent += p.OnMiss(Mix(i)) != Expert::kNone;
  EXPECT_GT(recent, 80u);
}

TEST(AdaptivePolicy, NonAdaptivePoliciesKeepNoDuels) {
  EvictionPolicy p(PolicyKind::kAllKeysLru);
  Duel(p, 0, 100, Expert::kRecency);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(p.OnMiss(Mix(i)), Expert::kNone);
  for (uint64_t i = 0; i < 100; ++i) EXPECT_EQ(p.OnHit(Mix(i)), Expert::kNone);
  EXPECT_EQ(p.recency_weight(), 1.0);
  EXPECT_EQ(p.duel_capacity(), 0u);
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAllKeysLfu).recency_weight(), 0.0);
}

TEST(AdaptivePolicy, UsedKeysIdleForADecayPeriodLookDeadToTheRecencyExpert) {
  AdaptiveParams lru;  // w = 1: the recency expert alone
  lru.initial_theta = lru.max_theta;
  EvictionPolicy p(PolicyKind::kAdaptive, {}, lru);
  EXPECT_EQ(p.recency_weight(), 1.0);
  // Idle 100 ticks (past one decay period of 60): the once-hot key (counter 9) ranks as
  // 1 + 2 * 4 = 9 times idler than an unused key idle as long, and idler than one idle 500.
  auto hot = p.Evaluate(Key(1, kNow - 100, 9));
  auto unused = p.Evaluate(Key(2, kNow - 100, kLfuInitValue));
  auto older = p.Evaluate(Key(3, kNow - 500, kLfuInitValue));
  ASSERT_TRUE(hot && unused && older);
  EXPECT_FLOAT_EQ(hot->recency, 900.0f);
  EXPECT_FLOAT_EQ(unused->recency, 100.0f);
  EXPECT_GT(hot->score, older->score);
  EXPECT_GT(older->score, unused->score);
  // Within the decay period, idle time alone: the hot key is kept over the older unused one.
  auto recent_hot = p.Evaluate(Key(1, kNow - 50, 9));
  ASSERT_TRUE(recent_hot);
  EXPECT_FLOAT_EQ(recent_hot->recency, 50.0f);
  EXPECT_LT(recent_hot->score, older->score);
  // dead_weight 0 turns it off; Redis's LRU never does it.
  AdaptiveParams plain = lru;
  plain.dead_weight = 0;
  EXPECT_FLOAT_EQ(
      EvictionPolicy(PolicyKind::kAdaptive, {}, plain).Evaluate(Key(1, kNow - 100, 9))->recency,
      100.0f);
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAllKeysLru).Score(Key(1, kNow - 100, 9)), 100u);
}

TEST(AdaptivePolicy, KeysThatMissedBeforeAreKeptOverFirstTimers) {
  EvictionPolicy p(PolicyKind::kAdaptive);  // w = 0: LFU order plus the miss history
  EXPECT_EQ(p.recency_weight(), 0.0);
  const uint64_t returning = Mix(1), first_timer = Mix(2);
  for (int i = 0; i < 4; ++i) p.OnMiss(returning);
  p.OnMiss(first_timer);
  EXPECT_EQ(p.miss_history(returning), 4u);
  EXPECT_EQ(p.miss_history(first_timer), 1u);
  EXPECT_EQ(p.miss_history(Mix(3)), 0u);
  // Same access word: the key with a history of misses scores lower (evicted later).
  auto r = p.Score(Key(returning, kNow - 10, 5));
  auto f = p.Score(Key(first_timer, kNow - 10, 5));
  ASSERT_TRUE(r && f);
  EXPECT_LT(*r, *f);
  // Two misses are worth one counter step (history_weight 1 per doubling), and a key with no hit
  // since it came in still pays the fresh penalty (2): 5 + 1 - 2 ties with a key hit since whose
  // counter decayed to 4.
  EvictionPolicy q(PolicyKind::kAdaptive);
  q.OnMiss(returning);
  q.OnMiss(returning);
  EXPECT_EQ(q.Score(Key(returning, kNow - 10, 5)), q.Score(Key(first_timer, kNow - 10, 4)));
  // Other policies keep no history.
  EvictionPolicy lfu(PolicyKind::kAllKeysLfu);
  lfu.OnMiss(returning);
  EXPECT_EQ(lfu.miss_history(returning), 0u);
}

TEST(AdaptivePolicy, UnprovenKeysLeaveBeforeKeysWithEvidenceOfReuse) {
  EvictionPolicy p(PolicyKind::kAdaptive);
  const uint64_t unproven = Mix(1), proven = Mix(2), returning = Mix(3);
  p.OnMiss(unproven);  // the miss that brought it in; no hit since (counter LFU_INIT_VAL)
  p.OnMiss(proven);
  p.OnMiss(returning);
  p.OnMiss(returning);
  // Hit since it came in (counter 6), then decayed to 4 by long idleness: still kept over the
  // newcomer (fresh_penalty 2: the newcomer ranks as counter 3).
  auto u = p.Score(Key(unproven, kNow - 5, kLfuInitValue));
  auto d = p.Score(Key(proven, kNow - 5, 4));
  auto r = p.Score(Key(returning, kNow - 5, kLfuInitValue));   // missed twice, no hit either
  auto h = p.Score(Key(proven, kNow - 5, kLfuInitValue + 1));  // hit once since it came in
  ASSERT_TRUE(u && d && r && h);
  EXPECT_GT(*u, *d);
  EXPECT_GT(*u, *r);  // the second miss is evidence of reuse...
  EXPECT_GT(*r, *h);  // ...but weaker than a hit: the penalty stays until one
  AdaptiveParams none;
  none.fresh_penalty = 0;
  EvictionPolicy q(PolicyKind::kAdaptive, {}, none);
  q.OnMiss(unproven);
  q.OnMiss(proven);
  EXPECT_LT(q.Score(Key(unproven, kNow - 5, kLfuInitValue)), q.Score(Key(proven, kNow - 5, 4)));
}

TEST(AdaptivePolicy, TablesAreSizedForTheKeysWithinTheBudget) {
  // Small caches get the minimums: 4096 duel slots, 65536 sketch cells.
  AdaptiveParams small = AdaptiveParamsFor(500, UINT64_MAX);
  EXPECT_EQ(small.duel_slots, 4096u);
  EXPECT_EQ(small.sketch_entries, 65536u);
  // Four slots and 8 cells per key, rounded up to powers of two.
  AdaptiveParams mid = AdaptiveParamsFor(20000, UINT64_MAX);
  EXPECT_EQ(mid.duel_slots, 1u << 17);
  EXPECT_EQ(mid.sketch_entries, 1u << 18);
  // The duel table stops at 2^17 slots (1 MiB), the sketch does not.
  AdaptiveParams big = AdaptiveParamsFor(1000000, UINT64_MAX);
  EXPECT_EQ(big.duel_slots, 1u << 17);
  EXPECT_EQ(big.sketch_entries, 1u << 23);
  // A budget halves both until they fit: 1 MiB of slots + 8 MiB of cells -> 128 KiB + 1 MiB.
  AdaptiveParams fit = AdaptiveParamsFor(1000000, 1200u << 10);
  EXPECT_EQ(fit.duel_slots, 1u << 14);
  EXPECT_EQ(fit.sketch_entries, 1u << 20);
  EXPECT_LE(uint64_t{fit.duel_slots} * 8 + fit.sketch_entries, 1200u << 10);
  // Never under the minimums, however small the budget.
  AdaptiveParams tiny = AdaptiveParamsFor(1000000, 0);
  EXPECT_EQ(tiny.duel_slots, 4096u);
  EXPECT_EQ(tiny.sketch_entries, 65536u);
  // The policy builds exactly these tables and reports their bytes.
  EvictionPolicy p(PolicyKind::kAdaptive, {}, fit);
  EXPECT_EQ(p.duel_capacity(), 1u << 14);
  EXPECT_EQ(p.sketch_capacity(), 1u << 20);
  EXPECT_EQ(p.table_bytes(), (size_t{1} << 17) + (size_t{1} << 20));
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAllKeysLru).table_bytes(), 0u);
}

TEST(AdaptivePolicy, SamplesAtLeastMinSamplesPerRound) {
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAdaptive).SamplesPerRound(5), 10);
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAdaptive).SamplesPerRound(20), 20);
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAllKeysLru).SamplesPerRound(5), 5);
  EXPECT_EQ(EvictionPolicy(PolicyKind::kAllKeysLfu).SamplesPerRound(0), 1);
}

TEST(AdaptivePolicy, MissHistoryAgesWithTheNumberOfKeysHeld) {
  // 100 keys held, history_period 10: the sketch halves every 1000 misses.
  EvictionPolicy p(PolicyKind::kAdaptive);
  EvictionPolicy unsized(PolicyKind::kAdaptive);  // 10 misses per counter: 655360
  p.SetCacheKeys(100);
  const uint64_t hot = Mix(7);
  for (int i = 0; i < 12; ++i) p.OnMiss(hot), unsized.OnMiss(hot);
  EXPECT_EQ(p.miss_history(hot), 12u);
  for (uint64_t i = 100; i < 1100; ++i) p.OnMiss(Mix(i)), unsized.OnMiss(Mix(i));
  EXPECT_EQ(p.miss_history(hot), 6u);
  EXPECT_EQ(unsized.miss_history(hot), 12u);
  // A bigger cache lengthens the period again.
  p.SetCacheKeys(1000000);
  for (uint64_t i = 2000; i < 4000; ++i) p.OnMiss(Mix(i));
  EXPECT_EQ(p.miss_history(hot), 6u);
}

TEST(AdaptivePolicy, MissHistoryIsBoundedAndAges) {
  AdaptiveParams ap;
  ap.sketch_entries = 16384;
  ap.sketch_period = 0.25;  // halve after 4096 misses
  EvictionPolicy p(PolicyKind::kAdaptive, {}, ap);
  const uint64_t hot = Mix(7);
  for (int i = 0; i < 40; ++i) p.OnMiss(hot);
  EXPECT_EQ(p.miss_history(hot), 15u);  // saturates
  // 4000 single misses of other keys cross one halving period.
  for (uint64_t i = 100; i < 4200; ++i) p.OnMiss(Mix(i));
  EXPECT_GE(p.miss_history(hot), 7u);
  EXPECT_LE(p.miss_history(hot), 8u);
  // Most one-off keys read 0 or 1 after the halving (collisions in a small sketch aside).
  size_t low = 0;
  for (uint64_t i = 100; i < 1100; ++i) low += p.miss_history(Mix(i)) <= 1;
  EXPECT_GT(low, 900u);
}

TEST(AdaptivePolicy, ConcurrentCallsAreSafe) {
  AdaptiveParams ap = Midway();
  ap.duel_slots = 256;  // small, so threads collide on slots
  EvictionPolicy p(PolicyKind::kAdaptive, {}, ap);
  constexpr int kThreads = 4;
  constexpr uint64_t kOps = 20000;
  std::atomic<uint64_t> blamed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EvictionPool pool;  // one per thread, as the engine would
      for (uint64_t i = 0; i < kOps; ++i) {
        uint64_t key = i % 512;
        Candidate c = Key(Mix(key), kNow - static_cast<uint32_t>(i % 1000), uint8_t(i % 50));
        p.Offer(pool, c);
        if (pool.size() == EvictionPool::kCapacity) {
          auto v = pool.PopBest();
          if (v) {
            v->chooser = (i + t) % 2 ? Expert::kRecency : Expert::kFrequency;
            v->kept_hash = Mix((i * 13 + t) % 512);
            p.OnEvict(*v);
          }
        }
        if (p.OnMiss(Mix((i * 7 + t) % 512)) != Expert::kNone) blamed.fetch_add(1);
        if (p.OnHit(Mix((i * 11 + t) % 512)) != Expert::kNone) blamed.fetch_add(1);
        ASSERT_LE(p.miss_history(Mix(i % 512)), 15u);
        double w = p.recency_weight();
        ASSERT_GE(w, 0.0);
        ASSERT_LE(w, 1.0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(p.ghost_hits(Expert::kRecency) + p.ghost_hits(Expert::kFrequency), blamed.load());
  EXPECT_GT(blamed.load(), 0u);
  EXPECT_GT(p.kept_hits(Expert::kRecency) + p.kept_hits(Expert::kFrequency), 0u);
  EXPECT_LE(p.duel_slots_used(), p.duel_capacity());
}

}  // namespace
}  // namespace aegisr::tier
