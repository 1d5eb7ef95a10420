// Eviction policy scoring, the eviction pool and the adaptive policy's duels (the algorithm is
// described in policy.h). Thread-safe as policy.h states: the duel table, the sketch and theta
// are relaxed atomics; a lost race costs one duel or one step, never a torn value.
#include "tier/policy.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace aegisr::tier {
namespace {

constexpr double kThetaOne = 1 << 16;  // theta fixed point
constexpr double kWeightOne = 1u << 30;
constexpr double kScoreOne = double(1ull << 32);  // adaptive score fixed point
constexpr double kMaxRho = 34.0;  // log2(1 + 2^24 idle ticks * 501, the default dead_weight's top)
constexpr double kMaxPhi = 16.0;  // 2 * log2(1 + 255)

struct NameRow {
  PolicyKind kind;
  std::string_view name;
};
constexpr NameRow kNames[] = {
    {PolicyKind::kNoEviction, "noeviction"},
    {PolicyKind::kAllKeysLru, "allkeys-lru"},
    {PolicyKind::kAllKeysLfu, "allkeys-lfu"},
    {PolicyKind::kAllKeysRandom, "allkeys-random"},
    {PolicyKind::kVolatileLru, "volatile-lru"},
    {PolicyKind::kVolatileLfu, "volatile-lfu"},
    {PolicyKind::kVolatileRandom, "volatile-random"},
    {PolicyKind::kVolatileTtl, "volatile-ttl"},
    {PolicyKind::kAdaptive, "adaptive"},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// w = sigmoid(theta) stretched so that the theta bounds give exactly 0 and 1: at a bound the
// policy is pure LFU (or LRU) with no tie-break by the other expert.
uint32_t WeightFixed(int32_t theta_fixed, double max_theta) {
  double lo = Sigmoid(-max_theta), hi = Sigmoid(max_theta);
  double w = (Sigmoid(theta_fixed / kThetaOne) - lo) / (hi - lo);
  return static_cast<uint32_t>(std::clamp(w, 0.0, 1.0) * kWeightOne);
}

// Duel slot fields (policy.h). The slot index comes from Fibonacci hashing of the key hash, so a
// weak hash still spreads; the fingerprint takes the hash's high half.
constexpr uint64_t kEvictedBit = 1ull << 31;
constexpr uint64_t kRecencyBit = 1ull << 30;
constexpr uint64_t kPartnerMask = (1ull << 30) - 1;
uint64_t DuelFingerprint(uint64_t h) {
  uint64_t fp = h >> 32;
  return (fp == 0 ? 1 : fp) << 32;
}

}  // namespace

std::optional<PolicyKind> ParsePolicy(std::string_view name) {
  for (const auto& row : kNames) {
    if (EqualsIgnoreCase(name, row.name)) return row.kind;
  }
  return std::nullopt;
}

std::string_view PolicyName(PolicyKind kind) {
  for (const auto& row : kNames) {
    if (row.kind == kind) return row.name;
  }
  return "unknown";
}

// --- EvictionPool ----------------------------------------------------------------------------

bool EvictionPool::Offer(const Candidate& c, const Scored& s) {
  for (size_t i = 0; i < size_; ++i) {
    if (entries_[i].candidate.key_hash == c.key_hash) {
      entries_[i] = {c, s};
      return true;
    }
  }
  if (size_ < kCapacity) {
    entries_[size_++] = {c, s};
    return true;
  }
  // Full: replace the worst entry if c beats it. On equal scores the older entry stays, as in
  // Redis's pool (a tie does not displace).
  size_t worst = 0;
  for (size_t i = 1; i < size_; ++i) {
    if (entries_[i].scored.score < entries_[worst].scored.score) worst = i;
  }
  if (s.score <= entries_[worst].scored.score) return false;
  entries_[worst] = {c, s};
  return true;
}

std::optional<Victim> EvictionPool::PopBest() {
  if (size_ == 0) return std::nullopt;
  size_t best = 0;
  for (size_t i = 1; i < size_; ++i) {
    if (entries_[i].scored.score > entries_[best].scored.score) best = i;
  }
  const Entry& v = entries_[best];
  // Each expert's own choice: LRU the highest recency view (ties: the less frequent), LFU the
  // lowest frequency (ties: the idler). When the victim is one expert's choice and not the
  // other's, the other's choice is the key kept in its place: the two make a duel.
  size_t r = 0, f = 0;
  for (size_t i = 1; i < size_; ++i) {
    const Scored& o = entries_[i].scored;
    const Scored& sr = entries_[r].scored;
    const Scored& sf = entries_[f].scored;
    if (o.recency > sr.recency || (o.recency == sr.recency && o.frequency < sr.frequency)) r = i;
    if (o.frequency < sf.frequency || (o.frequency == sf.frequency && o.recency > sf.recency))
      f = i;
  }
  Victim out{v.candidate, v.scored, Expert::kNone, 0};
  if (best == r && best != f) {
    out.chooser = Expert::kRecency;
    out.kept_hash = entries_[f].candidate.key_hash;
  } else if (best == f && best != r) {
    out.chooser = Expert::kFrequency;
    out.kept_hash = entries_[r].candidate.key_hash;
  }
  entries_[best] = entries_[--size_];
  return out;
}

bool EvictionPool::Remove(uint64_t key_hash) {
  for (size_t i = 0; i < size_; ++i) {
    if (entries_[i].candidate.key_hash == key_hash) {
      entries_[i] = entries_[--size_];
      return true;
    }
  }
  return false;
}

// --- EvictionPolicy --------------------------------------------------------------------------

AdaptiveParams AdaptiveParamsFor(uint64_t keys, uint64_t budget_bytes) {
  constexpr uint64_t kMinSlots = 4096, kMaxSlots = 1u << 17, kMinCells = 1 << 16, kMax = 1u << 30;
  // Powers of two, as the policy rounds them, so that the budget check is exact.
  uint64_t slots = std::bit_ceil(std::clamp<uint64_t>(keys * 4, kMinSlots, kMaxSlots));
  uint64_t cells = std::bit_ceil(std::clamp<uint64_t>(keys * 8, kMinCells, kMax));
  while (slots * 8 + cells > budget_bytes && (slots > kMinSlots || cells > kMinCells)) {
    slots = std::max(kMinSlots, slots / 2);
    cells = std::max(kMinCells, cells / 2);
  }
  AdaptiveParams ap;
  ap.duel_slots = static_cast<uint32_t>(slots);
  ap.sketch_entries = static_cast<uint32_t>(cells);
  return ap;
}

EvictionPolicy::EvictionPolicy(PolicyKind kind, LfuParams lfu, AdaptiveParams adaptive)
    : kind_(kind), lfu_(lfu), adaptive_(adaptive) {
  if (kind_ == PolicyKind::kAdaptive) {
    uint32_t n = 16;
    while (n < adaptive_.duel_slots && n < (1u << 30)) n <<= 1;
    duel_mask_ = n - 1;
    duel_shift_ = 64 - static_cast<uint32_t>(std::countr_zero(n));
    duels_ = std::make_unique<std::atomic<uint64_t>[]>(n);
    for (uint32_t i = 0; i < n; ++i) duels_[i].store(0, std::memory_order_relaxed);
    uint32_t m = 64;
    while (m < adaptive_.sketch_entries && m < (1u << 30)) m <<= 1;
    sketch_mask_ = m - 1;
    sketch_max_period_ = static_cast<uint32_t>(
        std::clamp(adaptive_.sketch_period * m, 64.0, static_cast<double>(1u << 31)));
    sketch_period_.store(sketch_max_period_, std::memory_order_relaxed);
    sketch_ = std::make_unique<std::atomic<uint8_t>[]>(m);
    for (uint32_t i = 0; i < m; ++i) sketch_[i].store(0, std::memory_order_relaxed);
  }
  AdjustTheta(adaptive_.initial_theta);
}

bool EvictionPolicy::volatile_only() const {
  switch (kind_) {
    case PolicyKind::kVolatileLru:
    case PolicyKind::kVolatileLfu:
    case PolicyKind::kVolatileRandom:
    case PolicyKind::kVolatileTtl:
      return true;
    default:
      return false;
  }
}

int EvictionPolicy::SamplesPerRound(int64_t maxmemory_samples) const {
  int64_t n = std::max<int64_t>(1, maxmemory_samples);
  if (kind_ == PolicyKind::kAdaptive) n = std::max<int64_t>(n, adaptive_.min_samples);
  return static_cast<int>(std::min<int64_t>(n, 64));
}

bool EvictionPolicy::uses_pool() const {
  switch (kind_) {
    case PolicyKind::kNoEviction:
    case PolicyKind::kAllKeysRandom:
    case PolicyKind::kVolatileRandom:
      return false;
    default:
      return true;
  }
}

std::optional<Scored> EvictionPolicy::Evaluate(const Candidate& c) const {
  if (kind_ == PolicyKind::kNoEviction) return std::nullopt;
  if (volatile_only() && c.expire_ms == 0) return std::nullopt;
  Scored s;
  s.idle = IdleTicks(c.access, c.now);
  s.counter = DecayedCounter(c.access, c.now, lfu_);
  s.frequency = s.counter;
  s.recency = static_cast<float>(s.idle);
  switch (kind_) {
    case PolicyKind::kAllKeysLru:
    case PolicyKind::kVolatileLru:
      s.score = s.idle;
      break;
    case PolicyKind::kAllKeysLfu:
    case PolicyKind::kVolatileLfu:
      s.score = 255u - s.counter;
      break;
    case PolicyKind::kVolatileTtl:
      s.score = std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(c.expire_ms);
      break;
    case PolicyKind::kAdaptive: {
      double w = weight_fixed_.load(std::memory_order_relaxed) / kWeightOne;
      // A used key idle for a whole decay period (its counter has begun to decay) looks dead:
      // the recency expert counts it (1 + dead_weight * its steps above LFU_INIT_VAL) times idler.
      uint8_t stored = AccessCounter(c.access);
      double recency = s.idle;
      if (s.counter < stored && stored > kLfuInitValue)
        recency *= 1.0 + adaptive_.dead_weight * (stored - kLfuInitValue);
      s.recency = static_cast<float>(recency);
      double rho = std::log2(1.0 + recency);
      uint32_t m = SketchEstimate(c.key_hash);
      double ceff = s.counter;
      // No hit since it came in: the penalty whatever the miss history (which still adds below),
      // so a key that only ever missed ranks under one the cache has seen reused.
      if (AccessCounter(c.access) == kLfuInitValue) ceff -= adaptive_.fresh_penalty;
      if (m >= 2) ceff += adaptive_.history_weight * std::log2(static_cast<double>(m));
      s.frequency = static_cast<float>(ceff);
      double phi = 2.0 * std::log2(1.0 + std::max(0.0, ceff));
      double v = w * rho + (1.0 - w) * (kMaxPhi - phi);
      s.score = static_cast<uint64_t>(std::clamp(v, 0.0, kMaxRho + kMaxPhi) * kScoreOne);
      break;
    }
    default:  // *-random: every key alike
      s.score = 0;
      break;
  }
  return s;
}

bool EvictionPolicy::Offer(EvictionPool& pool, const Candidate& c) const {
  auto s = Evaluate(c);
  if (!s) return false;
  return pool.Offer(c, *s);
}

uint32_t EvictionPolicy::DuelSlot(uint64_t key_hash) const {
  return static_cast<uint32_t>((key_hash * 0x9E3779B97F4A7C15ull) >> duel_shift_) & duel_mask_;
}

void EvictionPolicy::OnEvict(const Victim& v) {
  if (!duels_ || v.chooser == Expert::kNone) return;
  uint32_t e = DuelSlot(v.candidate.key_hash), k = DuelSlot(v.kept_hash);
  if (e == k) return;  // both keys map to one slot: no room for the pair
  uint64_t chooser = v.chooser == Expert::kRecency ? kRecencyBit : 0;
  duels_[e].store(DuelFingerprint(v.candidate.key_hash) | kEvictedBit | chooser | k,
                  std::memory_order_relaxed);
  duels_[k].store(DuelFingerprint(v.kept_hash) | chooser | e, std::memory_order_relaxed);
}

Expert EvictionPolicy::Decide(uint64_t key_hash) {
  uint32_t i = DuelSlot(key_hash);
  uint64_t mine = duels_[i].load(std::memory_order_relaxed);
  if (mine == 0 || (mine & ~uint64_t{0xFFFFFFFF}) != DuelFingerprint(key_hash))
    return Expert::kNone;
  if (!duels_[i].compare_exchange_strong(mine, 0, std::memory_order_relaxed)) return Expert::kNone;
  // The partner must still be this duel's: a later duel may have overwritten its slot, and then
  // the duel is void (the partner may have been asked for meanwhile, unseen).
  auto j = static_cast<uint32_t>(mine & kPartnerMask);
  uint64_t other = duels_[j].load(std::memory_order_relaxed);
  if (other == 0 || (other & kPartnerMask) != i || ((other ^ mine) & kEvictedBit) == 0 ||
      ((other ^ mine) & kRecencyBit) != 0 ||
      !duels_[j].compare_exchange_strong(other, 0, std::memory_order_relaxed)) {
    return Expert::kNone;
  }
  Expert chooser = (mine & kRecencyBit) ? Expert::kRecency : Expert::kFrequency;
  bool ghost_hit = (mine & kEvictedBit) != 0;  // the evicted key came back first: chooser wrong
  // Toward recency when recency was right or frequency wrong; toward frequency otherwise.
  bool toward_recency = (chooser == Expert::kRecency) != ghost_hit;
  AdjustTheta(toward_recency ? adaptive_.step : -adaptive_.step);
  auto& counter = ghost_hit ? ghost_hits_ : kept_hits_;
  counter[static_cast<size_t>(chooser)].fetch_add(1, std::memory_order_relaxed);
  return ghost_hit ? chooser : Expert::kNone;
}

namespace {
uint32_t SketchIndex(uint64_t h, int row, uint32_t mask) {
  static constexpr uint64_t kMul[4] = {0x9E3779B97F4A7C15ull, 0xC2B2AE3D27D4EB4Full,
                                       0x165667B19E3779F9ull, 0xD6E8FEB86659FD93ull};
  return static_cast<uint32_t>(((h ^ (h >> 29)) * kMul[row]) >> 40) & mask;
}
}  // namespace

uint32_t EvictionPolicy::SketchEstimate(uint64_t key_hash) const {
  uint32_t m = 255;
  for (int r = 0; r < 4; ++r) {
    m = std::min<uint32_t>(
        m, sketch_[SketchIndex(key_hash, r, sketch_mask_)].load(std::memory_order_relaxed));
  }
  return m;
}

void EvictionPolicy::SketchAdd(uint64_t key_hash) {
  uint32_t m = SketchEstimate(key_hash);
  if (m < 15) {
    for (int r = 0; r < 4; ++r) {
      auto& cell = sketch_[SketchIndex(key_hash, r, sketch_mask_)];
      uint8_t v = cell.load(std::memory_order_relaxed);
      if (v == m) cell.store(static_cast<uint8_t>(m + 1), std::memory_order_relaxed);
    }
  }
  // Whoever moves the add count back by half a period ages the table (one thread wins the CAS;
  // the others see a count below the period again, or retry on their next add).
  uint32_t period = sketch_period_.load(std::memory_order_relaxed);
  uint32_t adds = sketch_adds_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (adds >= period &&
      sketch_adds_.compare_exchange_strong(adds, adds - period / 2, std::memory_order_relaxed)) {
    for (uint32_t i = 0; i <= sketch_mask_; ++i) {
      sketch_[i].store(sketch_[i].load(std::memory_order_relaxed) / 2, std::memory_order_relaxed);
    }
  }
}

void EvictionPolicy::SetCacheKeys(uint64_t n) {
  if (!sketch_) return;
  double want = std::clamp(adaptive_.history_period * static_cast<double>(n), 64.0,
                           static_cast<double>(sketch_max_period_));
  auto period = static_cast<uint32_t>(want);
  // Only a change of more than 1/8 is published (the engine calls this on every eviction round).
  uint32_t cur = sketch_period_.load(std::memory_order_relaxed);
  if (period > cur + cur / 8 || period < cur - cur / 8)
    sketch_period_.store(period, std::memory_order_relaxed);
}

Expert EvictionPolicy::OnMiss(uint64_t key_hash) {
  if (kind_ != PolicyKind::kAdaptive) return Expert::kNone;
  SketchAdd(key_hash);
  return Decide(key_hash);
}

Expert EvictionPolicy::OnHit(uint64_t key_hash) {
  if (kind_ != PolicyKind::kAdaptive) return Expert::kNone;
  return Decide(key_hash);
}

void EvictionPolicy::AdjustTheta(double delta) {
  int32_t limit = static_cast<int32_t>(adaptive_.max_theta * kThetaOne);
  int32_t d = static_cast<int32_t>(delta * kThetaOne);
  int32_t cur = theta_fixed_.load(std::memory_order_relaxed);
  int32_t next;
  do {
    next = std::clamp(cur + d, -limit, limit);
  } while (!theta_fixed_.compare_exchange_weak(cur, next, std::memory_order_relaxed));
  // Theta and w may be published out of order by racing updaters; both stay in range and the next
  // decided duel republishes w.
  weight_fixed_.store(WeightFixed(next, adaptive_.max_theta), std::memory_order_relaxed);
}

double EvictionPolicy::recency_weight() const {
  switch (kind_) {
    case PolicyKind::kAllKeysLru:
    case PolicyKind::kVolatileLru:
      return 1.0;
    case PolicyKind::kAdaptive:
      return weight_fixed_.load(std::memory_order_relaxed) / kWeightOne;
    default:
      return 0.0;
  }
}

uint64_t EvictionPolicy::ghost_hits(Expert e) const {
  return ghost_hits_[static_cast<size_t>(e)].load(std::memory_order_relaxed);
}

uint64_t EvictionPolicy::kept_hits(Expert e) const {
  return kept_hits_[static_cast<size_t>(e)].load(std::memory_order_relaxed);
}

size_t EvictionPolicy::duel_slots_used() const {
  if (!duels_) return 0;
  size_t n = 0;
  for (uint32_t i = 0; i <= duel_mask_; ++i) n += duels_[i].load(std::memory_order_relaxed) != 0;
  return n;
}

}  // namespace aegisr::tier
