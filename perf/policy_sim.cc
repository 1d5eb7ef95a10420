// Eviction policy simulator (docs/policy.md): replays synthetic key traces against exact LRU and
// the sampled policies of tier/policy.h and prints hit ratios. Single-threaded.
//
// The sampled policies run the engine's loop: per eviction, sample 5 resident keys (adaptive: 10,
// its SamplesPerRound), offer them to a 16-entry EvictionPool, pop the best that still exists.
// Access metadata is the real tier/access.h word, updated by tier/access.h's Touch with the random
// draw from the simulator's seeded generator so that runs repeat exactly. Candidates carry the
// key's hash, as the engine's do, so the policy's hash-keyed state (duels, miss sketch) sees the
// same hash on every path; every access reports a hit or a miss, as the engine's lookups do.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tier/access.h"
#include "tier/policy.h"

namespace {

using aegisr::tier::AdaptiveParams;
using aegisr::tier::Candidate;
using aegisr::tier::EvictionPolicy;
using aegisr::tier::EvictionPool;
using aegisr::tier::LfuParams;
using aegisr::tier::PolicyKind;

constexpr uint32_t kKeys = 100000;      // the base key space
constexpr size_t kAccesses = 1500000;   // accesses per trace
constexpr int kSamples = 5;             // maxmemory-samples
constexpr uint32_t kTicksDivisor = 32;  // accesses per clock tick = max(1, cache keys / 32)
constexpr uint32_t kClockStart = 1000;

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull | 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t s_;
};

uint64_t KeyHash(uint32_t key) {  // splitmix64 finalizer, as a stand-in for xxh3 of the key
  uint64_t z = key + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Zipf {
 public:
  Zipf(uint32_t n, double s) : cdf_(n) {
    double sum = 0;
    for (uint32_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(i + 1.0, s);
    for (auto& c : cdf_) c /= sum;
  }
  uint32_t Rank(Rng& rng) const {
    double u = rng.Unit();
    auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<uint32_t>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

std::vector<uint32_t> Permutation(uint32_t n, Rng& rng) {
  std::vector<uint32_t> p(n);
  for (uint32_t i = 0; i < n; ++i) p[i] = i;
  for (uint32_t i = n - 1; i > 0; --i) std::swap(p[i], p[rng.Below(i + 1)]);
  return p;
}

struct Trace {
  std::vector<uint32_t> keys;
  uint32_t universe = 0;  // keys are < universe
  uint32_t distinct = 0;
};

uint32_t CountDistinct(const std::vector<uint32_t>& keys, uint32_t universe) {
  std::vector<bool> seen(universe);
  uint32_t n = 0;
  for (uint32_t k : keys) {
    if (!seen[k]) ++n, seen[k] = true;
  }
  return n;
}

Trace ZipfTrace(double s, uint64_t seed) {
  Rng rng(seed);
  Zipf z(kKeys, s);
  auto perm = Permutation(kKeys, rng);
  Trace t;
  t.universe = kKeys;
  t.keys.reserve(kAccesses);
  for (size_t i = 0; i < kAccesses; ++i) t.keys.push_back(perm[z.Rank(rng)]);
  return t;
}

// Zipf 0.99 with a scan of 10k fresh sequential keys after every 140k accesses.
Trace ScanTrace(uint64_t seed) {
  constexpr uint32_t kScan = 10000, kBetween = 140000;
  Rng rng(seed);
  Zipf z(kKeys, 0.99);
  auto perm = Permutation(kKeys, rng);
  Trace t;
  uint32_t next_scan_key = kKeys;
  while (t.keys.size() < kAccesses) {
    for (uint32_t i = 0; i < kBetween && t.keys.size() < kAccesses; ++i) {
      t.keys.push_back(perm[z.Rank(rng)]);
    }
    for (uint32_t i = 0; i < kScan && t.keys.size() < kAccesses; ++i) {
      t.keys.push_back(next_scan_key++);
    }
  }
  t.universe = next_scan_key;
  return t;
}

// A loop over `len` keys.
Trace LoopTrace(uint32_t len) {
  Trace t;
  t.universe = len;
  t.keys.reserve(kAccesses);
  for (size_t i = 0; i < kAccesses; ++i) t.keys.push_back(static_cast<uint32_t>(i % len));
  return t;
}

// 90% of accesses go to a hot set of 5k keys (zipf 0.9 inside it), 10% uniform over all keys; the
// hot set moves to other keys every 150k accesses.
Trace ShiftTrace(uint64_t seed) {
  constexpr uint32_t kHot = 5000, kPhase = 150000;
  Rng rng(seed);
  Zipf z(kHot, 0.9);
  auto perm = Permutation(kKeys, rng);
  Trace t;
  t.universe = kKeys;
  t.keys.reserve(kAccesses);
  for (size_t i = 0; i < kAccesses; ++i) {
    uint32_t phase = static_cast<uint32_t>(i / kPhase);
    if (rng.Below(10) == 0) {
      t.keys.push_back(static_cast<uint32_t>(rng.Below(kKeys)));
    } else {
      t.keys.push_back(perm[(phase * kHot + z.Rank(rng)) % kKeys]);
    }
  }
  return t;
}

// A sliding working set: the newest key advances one step per 10 accesses and each access goes
// back from it by an exponentially distributed distance (mean 2000 keys). Recency is everything
// here; it is not among the traces, and shows what the learned recency weight is for.
Trace SlideTrace(uint64_t seed) {
  constexpr double kMeanBack = 2000;
  constexpr uint32_t kFront0 = 50000;
  Rng rng(seed);
  Trace t;
  t.keys.reserve(kAccesses);
  for (size_t i = 0; i < kAccesses; ++i) {
    uint32_t front = kFront0 + static_cast<uint32_t>(i / 10);
    double back = -kMeanBack * std::log(1.0 - rng.Unit());
    t.keys.push_back(front - static_cast<uint32_t>(std::min(back, static_cast<double>(front))));
  }
  t.universe = kFront0 + static_cast<uint32_t>(kAccesses / 10) + 1;
  return t;
}

// Exact LRU: a doubly linked list over key ids.
double RunExactLru(const Trace& t, uint32_t cache) {
  constexpr uint32_t kNil = UINT32_MAX;
  std::vector<uint32_t> prev(t.universe, kNil), next(t.universe, kNil);
  std::vector<bool> in(t.universe);
  uint32_t head = kNil, tail = kNil, size = 0;  // head = most recent
  auto unlink = [&](uint32_t k) {
    (prev[k] == kNil ? head : next[prev[k]]) = next[k];
    (next[k] == kNil ? tail : prev[next[k]]) = prev[k];
  };
  auto push_front = [&](uint32_t k) {
    prev[k] = kNil;
    next[k] = head;
    (head == kNil ? tail : prev[head]) = k;
    head = k;
  };
  size_t hits = 0;
  for (uint32_t k : t.keys) {
    if (in[k]) {
      ++hits;
      unlink(k);
    } else {
      if (size == cache) {
        uint32_t v = tail;
        unlink(v);
        in[v] = false;
        --size;
      }
      in[k] = true;
      ++size;
    }
    push_front(k);
  }
  return 100.0 * static_cast<double>(hits) / static_cast<double>(t.keys.size());
}

double sketch_per_key = 0;  // --param sketch=N: N miss sketch cells per cache key (experiments)

struct SampledResult {
  double hit_pct = 0;
  double final_weight = 0;
};

// The engine's eviction loop over a sampled, pooled policy.
SampledResult RunSampled(const Trace& t, uint32_t cache, PolicyKind kind, uint64_t seed,
                         AdaptiveParams ap) {
  constexpr uint32_t kAbsent = UINT32_MAX;
  LfuParams lfu;  // lfu-log-factor 10, lfu-decay-time 1
  // The engine's table sizes for this many keys (no memory budget here).
  const AdaptiveParams sized = aegisr::tier::AdaptiveParamsFor(cache, UINT64_MAX);
  ap.duel_slots = sized.duel_slots;
  ap.sketch_entries = sketch_per_key > 0
                          ? std::max(1u << 16, static_cast<uint32_t>(sketch_per_key * cache))
                          : sized.sketch_entries;
  EvictionPolicy policy(kind, lfu, ap);
  policy.SetCacheKeys(cache);
  std::unordered_map<uint64_t, uint32_t> key_of;  // hash -> key id, for the pool's re-find
  key_of.reserve(t.universe);
  for (uint32_t k = 0; k < t.universe; ++k) key_of.emplace(KeyHash(k), k);
  EvictionPool pool;
  Rng rng(seed);
  std::vector<uint32_t> meta(t.universe), pos(t.universe, kAbsent);
  std::vector<uint32_t> resident;
  resident.reserve(cache);
  const uint32_t per_tick = std::max(1u, cache / kTicksDivisor);
  size_t hits = 0;
  for (size_t i = 0; i < t.keys.size(); ++i) {
    uint32_t k = t.keys[i];
    uint32_t now = (kClockStart + static_cast<uint32_t>(i / per_tick)) & aegisr::tier::kClockMask;
    if (pos[k] != kAbsent) {
      ++hits;
      policy.OnHit(KeyHash(k));
      meta[k] = aegisr::tier::Touch(meta[k], now, lfu, rng.Unit());
      continue;
    }
    policy.OnMiss(KeyHash(k));
    if (resident.size() == cache) {
      std::optional<uint32_t> victim;
      while (!victim) {
        for (int s = 0, n = policy.SamplesPerRound(kSamples); s < n; ++s) {
          uint32_t x = resident[rng.Below(resident.size())];
          policy.Offer(pool, Candidate{KeyHash(x), meta[x], 0, now});
        }
        while (auto v = pool.PopBest()) {
          uint32_t x = key_of.at(v->candidate.key_hash);
          if (pos[x] == kAbsent) continue;  // evicted since it was pooled
          policy.OnEvict(*v);
          victim = x;
          break;
        }
      }
      uint32_t x = *victim;
      resident[pos[x]] = resident.back();
      pos[resident.back()] = pos[x];
      resident.pop_back();
      pos[x] = kAbsent;
    }
    pos[k] = static_cast<uint32_t>(resident.size());
    resident.push_back(k);
    meta[k] = aegisr::tier::NewAccess(now);
  }
  return {100.0 * static_cast<double>(hits) / static_cast<double>(t.keys.size()),
          policy.recency_weight()};
}

struct Options {
  std::string trace;  // empty: all
  int size = 0;       // 0: 1, 10, 30
  uint64_t seed = 42;
  bool csv = false;
  AdaptiveParams adaptive;  // --param NAME=VALUE overrides (experiments)
};

// Sets one AdaptiveParams field by name; false if the name is unknown.
bool SetParam(AdaptiveParams& ap, const std::string& nv) {
  auto eq = nv.find('=');
  if (eq == std::string::npos) return false;
  std::string n = nv.substr(0, eq);
  double v = std::atof(nv.c_str() + eq + 1);
  if (n == "step") return ap.step = v, true;
  if (n == "max_theta") return ap.max_theta = v, true;
  if (n == "initial_theta") return ap.initial_theta = v, true;
  if (n == "sketch") return sketch_per_key = v, true;
  if (n == "sketch_period") return ap.sketch_period = v, true;
  if (n == "history_weight") return ap.history_weight = v, true;
  if (n == "history_period") return ap.history_period = v, true;
  if (n == "fresh_penalty") return ap.fresh_penalty = v, true;
  if (n == "dead_weight") return ap.dead_weight = v, true;
  if (n == "min_samples") return ap.min_samples = static_cast<int>(v), true;
  return false;
}

int Usage() {
  std::fprintf(stderr,
               "usage: policy_sim [--trace zipf-0.7|zipf-0.99|zipf-1.2|scan|loop|shift|slide] "
               "[--size PCT] [--seed N] [--csv]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--trace" && has_value) {
      o.trace = argv[++i];
    } else if (a == "--size" && has_value) {
      o.size = std::atoi(argv[++i]);
      if (o.size <= 0 || o.size > 100) return Usage();
    } else if (a == "--seed" && has_value) {
      o.seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--param" && has_value) {
      if (!SetParam(o.adaptive, argv[++i])) return Usage();
    } else if (a == "--csv") {
      o.csv = true;
    } else {
      return Usage();
    }
  }
  const char* names[] = {"zipf-0.7", "zipf-0.99", "zipf-1.2", "scan", "loop", "shift", "slide"};
  if (!o.trace.empty() && std::none_of(std::begin(names), std::end(names),
                                       [&](const char* n) { return o.trace == n; })) {
    return Usage();
  }
  std::vector<int> sizes = o.size ? std::vector<int>{o.size} : std::vector<int>{1, 10, 30};

  if (o.csv) {
    std::printf(
        "trace,size_pct,cache_keys,distinct_keys,accesses_per_tick,exact_lru,sampled_lru,"
        "sampled_lfu,adaptive,adaptive_minus_best,adaptive_recency_weight\n");
  } else {
    std::printf(
        "# %zu accesses per trace, seed %llu. Sampled policies: maxmemory-samples %d, "
        "eviction pool %zu,\n# lfu-log-factor 10, lfu-decay-time 1 (60 ticks). Clock: one "
        "tick (the engine's second) per\n# max(1, cache_keys/%u) accesses. Adaptive: %d samples, "
        "tables as the engine sizes them\n# (AdaptiveParamsFor: 4 duel slots per cache key within "
        "[4096, 2^17]; %g sketch cells per key,\n# at least 65536).\n",
        kAccesses, static_cast<unsigned long long>(o.seed), kSamples, EvictionPool::kCapacity,
        kTicksDivisor, std::max(kSamples, o.adaptive.min_samples),
        sketch_per_key > 0 ? sketch_per_key : 8.0);
    std::printf("%-10s %5s %7s %8s %5s | %8s %8s %8s %8s | %7s %5s\n", "trace", "size", "keys",
                "distinct", "a/tk", "LRU", "s-LRU", "s-LFU", "adaptive", "a-best", "w");
  }
  uint64_t trace_seed = o.seed;
  for (const char* name : names) {
    ++trace_seed;
    if (!o.trace.empty() && o.trace != name) continue;
    std::string n = name;
    Trace shared;
    if (n == "zipf-0.7") shared = ZipfTrace(0.7, trace_seed);
    if (n == "zipf-0.99") shared = ZipfTrace(0.99, trace_seed);
    if (n == "zipf-1.2") shared = ZipfTrace(1.2, trace_seed);
    if (n == "scan") shared = ScanTrace(trace_seed);
    if (n == "shift") shared = ShiftTrace(trace_seed);
    if (n == "slide") shared = SlideTrace(trace_seed);
    if (n != "loop") shared.distinct = CountDistinct(shared.keys, shared.universe);
    for (int pct : sizes) {
      Trace loop;
      uint32_t cache;
      if (n == "loop") {  // the cache is pct% of the base key space; the loop 10% larger
        cache = std::max(1u, kKeys / 100 * static_cast<uint32_t>(pct));
        loop = LoopTrace(cache + std::max(1u, cache / 10));
        loop.distinct = loop.universe;
      } else {
        cache = std::max(1u, static_cast<uint32_t>(uint64_t{shared.distinct} * pct / 100));
      }
      const Trace& t = n == "loop" ? loop : shared;
      double lru = RunExactLru(t, cache);
      auto slru = RunSampled(t, cache, PolicyKind::kAllKeysLru, o.seed, o.adaptive);
      auto slfu = RunSampled(t, cache, PolicyKind::kAllKeysLfu, o.seed, o.adaptive);
      auto ad = RunSampled(t, cache, PolicyKind::kAdaptive, o.seed, o.adaptive);
      double best = std::max({lru, slru.hit_pct, slfu.hit_pct});
      uint32_t per_tick = std::max(1u, cache / kTicksDivisor);
      if (o.csv) {
        std::printf("%s,%d,%u,%u,%u,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f\n", name, pct, cache, t.distinct,
                    per_tick, lru, slru.hit_pct, slfu.hit_pct, ad.hit_pct, ad.hit_pct - best,
                    ad.final_weight);
      } else {
        std::printf("%-10s %4d%% %7u %8u %5u | %8.2f %8.2f %8.2f %8.2f | %+7.2f %5.3f\n", name, pct,
                    cache, t.distinct, per_tick, lru, slru.hit_pct, slfu.hit_pct, ad.hit_pct,
                    ad.hit_pct - best, ad.final_weight);
      }
      std::fflush(stdout);
    }
  }
  return 0;
}
