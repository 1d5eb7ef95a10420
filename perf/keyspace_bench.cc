// Microbenchmarks of the keyspace core: Table find/insert and Keyspace find/insert (KeyRef +
// shard lock + Shard), swept over 1K..16M keys so cache cliffs show. Single-threaded.
//
// Filled tables are built once per size outside the timed loops and cached (one kind at a time)
// so the sweep stays within a few minutes. Heap allocations are counted per operation: global
// operator new is replaced, and the mi_malloc family that entries and bucket arrays use is
// interposed here (the engine calls libmimalloc.so's symbols, which this executable overrides).
// Keys are "key:%010d"; lookups pick keys uniformly at random. See docs/perf.md.

#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string_view>

#include "base/hash.h"
#include "engine/keyspace/entry.h"
#include "engine/keyspace/keyspace.h"
#include "engine/keyspace/table.h"

// ---- allocation counting (perf/alloc_hook.h) ----

#include "perf/alloc_hook.h"
#include "perf/bench_rng.h"

using alloc_hook::AllocCount;
using alloc_hook::AllocCounter;

namespace aegisr {
namespace {

constexpr size_t kKeyLen = 14;                           // "key:" + 10 digits
constexpr std::string_view kValue = "vvvvvvvvvvvvvvvv";  // 16 bytes, stored kEmbStr

// Writes "key:%010d" of i into out[0..14).
inline void FormatKey(uint64_t i, char* out) {
  std::memcpy(out, "key:", 4);
  for (int p = kKeyLen - 1; p >= 4; --p) {
    out[p] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

inline uint32_t Hash32(std::string_view k) { return static_cast<uint32_t>(HashBytes(k)); }

void FillTable(Table& t, uint64_t n) {
  char key[kKeyLen];
  for (uint64_t i = 0; i < n; ++i) {
    FormatKey(i, key);
    std::string_view k(key, kKeyLen);
    t.Insert(NewStringEntry(k, Hash32(k), kValue));
  }
  while (t.RehashStep(1000)) {
  }
}

void FillKeyspace(Keyspace& ks, uint64_t n) {
  char key[kKeyLen];
  for (uint64_t i = 0; i < n; ++i) {
    FormatKey(i, key);
    KeyRef ref(std::string_view(key, kKeyLen));
    ks.shard(ref).Insert(0, NewStringEntry(ref.key, ref.hash, kValue));
  }
  for (unsigned s = 0; s < kNumShards; ++s)
    while (ks.shard(s).table(0).RehashStep(1000)) {
    }
}

// Filled structures, one per size, of one kind at a time (asking for the other kind frees
// them: 16M keys take about 1.2 GB).
struct Cache {
  std::map<uint64_t, std::unique_ptr<Table>> tables;
  std::map<uint64_t, std::unique_ptr<Keyspace>> keyspaces;
};
Cache& GetCache() {
  static Cache c;
  return c;
}

Table& CachedTable(uint64_t n) {
  Cache& c = GetCache();
  c.keyspaces.clear();
  auto& t = c.tables[n];
  if (!t) {
    t = std::make_unique<Table>();
    FillTable(*t, n);
  }
  return *t;
}

Keyspace& CachedKeyspace(uint64_t n) {
  Cache& c = GetCache();
  c.tables.clear();
  auto& ks = c.keyspaces[n];
  if (!ks) {
    ks = std::make_unique<Keyspace>();
    FillKeyspace(*ks, n);
  }
  return *ks;
}

void FreeCaches() {
  GetCache().tables.clear();
  GetCache().keyspaces.clear();
}

// The per-operation cost common to every benchmark below: a random index, the key's digits
// and its hash. Subtract it to see the table's own share.
void BM_KeyFormatAndHash(benchmark::State& state) {
  Rng rng(42);
  char key[kKeyLen];
  for (auto _ : state) {
    FormatKey(rng.Below(1 << 20), key);
    benchmark::DoNotOptimize(Hash32(std::string_view(key, kKeyLen)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyFormatAndHash);

// Table::Find of a present key, uniformly random, in a table of range(0) keys.
void BM_TableFindHit(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  Table& t = CachedTable(n);
  Rng rng(42);
  char key[kKeyLen];
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(rng.Below(n), key);
    std::string_view k(key, kKeyLen);
    Entry* e = t.Find(k, Hash32(k));
    if (e == nullptr) {
      state.SkipWithError("a present key was not found");
      break;
    }
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableFindHit)->RangeMultiplier(4)->Range(1 << 10, 1 << 24);

// Table::Find of an absent key (same format, index >= size): walks one chain, compares hashes.
void BM_TableFindMiss(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  Table& t = CachedTable(n);
  Rng rng(43);
  char key[kKeyLen];
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(n + rng.Below(n), key);
    std::string_view k(key, kKeyLen);
    Entry* e = t.Find(k, Hash32(k));
    if (e != nullptr) {
      state.SkipWithError("an absent key was found");
      break;
    }
    benchmark::DoNotOptimize(e);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TableFindMiss)->RangeMultiplier(4)->Range(1 << 10, 1 << 24);

// Fills an empty Table with range(0) new keys (entry allocation, insert, every resize and its
// incremental rehash included); time and allocations are per insert. bytes/key: entries'
// usable sizes plus bucket arrays, the same sum as Shard::used_bytes.
void BM_TableInsert(benchmark::State& state) {
  FreeCaches();
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  double bytes_per_key = 0;
  char key[kKeyLen];
  {
    AllocCounter allocs(state, static_cast<double>(n));
    for (auto _ : state) {
      auto t = std::make_unique<Table>();
      for (uint64_t i = 0; i < n; ++i) {
        FormatKey(i, key);
        std::string_view k(key, kKeyLen);
        t->Insert(NewStringEntry(k, Hash32(k), kValue));
      }
      state.PauseTiming();
      if (t->size() != n) state.SkipWithError("wrong table size");
      if (bytes_per_key == 0) {
        size_t bytes = t->OverheadBytes();
        t->ForEach([&](Entry* e) { bytes += e->MemoryUsage(); });
        bytes_per_key = static_cast<double>(bytes) / static_cast<double>(n);
      }
      t.reset();
      state.ResumeTiming();
    }
  }
  state.counters["bytes/key"] = benchmark::Counter(bytes_per_key);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_TableInsert)
    ->RangeMultiplier(4)
    ->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond);

// A read through the keyspace as GET does it: KeyRef (xxh3 + CRC16 slot), the shard's mutex,
// Shard::Lookup (lazy expiry check, hit stats, LRU stamp). range(0) keys in db 0.
void BM_KeyspaceFindHit(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  Keyspace& ks = CachedKeyspace(n);
  const int64_t now = 1700000000000;
  const uint32_t lru = ks.lru_clock();
  Rng rng(42);
  char key[kKeyLen];
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(rng.Below(n), key);
    KeyRef ref(std::string_view(key, kKeyLen));
    auto lk = ks.Lock(ref);
    Entry** link = ks.shard(ref).Lookup(0, ref, now, lru);
    if (link == nullptr) {
      state.SkipWithError("a present key was not found");
      break;
    }
    benchmark::DoNotOptimize(*link);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyspaceFindHit)->RangeMultiplier(4)->Range(1 << 10, 1 << 24);

// Inserts range(0) new keys into an empty Keyspace as SET of a new key does: KeyRef, shard
// lock, Shard::Find (miss), NewStringEntry, Shard::Insert. Time and allocations per insert;
// bytes/key = Keyspace::UsedBytes() / keys (entries + bucket arrays of all shards).
void BM_KeyspaceInsert(benchmark::State& state) {
  FreeCaches();
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  const int64_t now = 1700000000000;
  double bytes_per_key = 0;
  char key[kKeyLen];
  {
    AllocCounter allocs(state, static_cast<double>(n));
    for (auto _ : state) {
      auto ks = std::make_unique<Keyspace>();
      for (uint64_t i = 0; i < n; ++i) {
        FormatKey(i, key);
        KeyRef ref(std::string_view(key, kKeyLen));
        auto lk = ks->Lock(ref);
        Shard& s = ks->shard(ref);
        if (s.Find(0, ref, now) == nullptr) s.Insert(0, NewStringEntry(ref.key, ref.hash, kValue));
      }
      state.PauseTiming();
      if (ks->DbSize(0) != n) state.SkipWithError("wrong key count");
      if (bytes_per_key == 0)
        bytes_per_key = static_cast<double>(ks->UsedBytes()) / static_cast<double>(n);
      ks.reset();
      state.ResumeTiming();
    }
  }
  state.counters["bytes/key"] = benchmark::Counter(bytes_per_key);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_KeyspaceInsert)
    ->RangeMultiplier(4)
    ->Range(1 << 10, 1 << 24)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aegisr

BENCHMARK_MAIN();
