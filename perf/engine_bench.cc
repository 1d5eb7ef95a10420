// Microbenchmarks of the in-process command path: GET, SET, PFADD and PFCOUNT through
// Engine::Dispatch into a RespWriter, and a 16-command RESP pipeline through RespParser + Dispatch
// + RespWriter (the whole server command path without sockets). One thread, 1M keys with 64-byte
// values, keys chosen uniformly at random. Heap allocations per operation are counted by replacing
// global operator new and interposing the mi_malloc family the engine calls. See docs/perf.md.

#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "net/resp_parser.h"
#include "net/resp_writer.h"

// ---- allocation counting (as in keyspace_bench.cc) ----

#include "perf/alloc_hook.h"
#include "perf/bench_rng.h"

using alloc_hook::AllocCount;
using alloc_hook::AllocCounter;

namespace aegisr {
namespace {

constexpr uint64_t kKeys = 1 << 20;
constexpr size_t kKeyLen = 14;  // "key:%010d"
const std::string kValue(64, 'x');

inline void FormatKey(uint64_t i, char* out) {
  std::memcpy(out, "key:", 4);
  for (int p = kKeyLen - 1; p >= 4; --p) {
    out[p] = static_cast<char>('0' + i % 10);
    i /= 10;
  }
}

// One engine holding kKeys keys of 64-byte values, built on first use, shared by the
// benchmarks (SET overwrites values of the same size, so the contents stay equivalent).
struct Fixture {
  Config config;
  Engine engine{&config};
  ClientState client;

  Fixture() {
    engine.AttachThread(0);
    RespWriter w;
    char key[kKeyLen];
    for (uint64_t i = 0; i < kKeys; ++i) {
      FormatKey(i, key);
      std::string_view args[3] = {"SET", std::string_view(key, kKeyLen), kValue};
      engine.Dispatch(client, w, ArgList(args, 3));
      w.clear();
    }
    // Steady state: finish the resizes the fill left under way (the daemon's cron does this).
    for (unsigned s = 0; s < kNumShards; ++s) {
      Shard& shard = engine.keyspace().shard(s);
      std::lock_guard lk(shard.mu);
      while (shard.table(0).RehashStep(1000)) {
      }
    }
  }
};

Fixture& GetFixture() {
  static Fixture* f = new Fixture();  // never destroyed: the process ends after the run
  return *f;
}

// GET of a present key: Dispatch (command lookup, arity, stats), KeyRef, shard lock, Lookup,
// and the bulk reply encoded by RespWriter (cleared after each command). range(0): how many
// of the 1M keys are read (1K: cache-resident, the CPU cost of the path; 1M: every lookup
// misses the caches, the memory-latency cost).
void BM_EngineGet(benchmark::State& state) {
  Fixture& f = GetFixture();
  const uint64_t span = static_cast<uint64_t>(state.range(0));
  RespWriter w;
  w.buffer().reserve(4096);
  Rng rng(42);
  char key[kKeyLen];
  std::string_view args[2] = {"GET", std::string_view(key, kKeyLen)};
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(rng.Below(span), key);
    f.engine.Dispatch(f.client, w, ArgList(args, 2));
    if (w.size() != 64 + 7 || w.data()[0] != '$') {
      state.SkipWithError(("unexpected GET reply: " + std::string(w.view())).c_str());
      break;
    }
    w.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineGet)->Arg(1 << 10)->Arg(kKeys);

// SET overwriting a present key with a new 64-byte value (same size: no reallocation).
// range(0) as for BM_EngineGet.
void BM_EngineSet(benchmark::State& state) {
  Fixture& f = GetFixture();
  const uint64_t span = static_cast<uint64_t>(state.range(0));
  RespWriter w;
  w.buffer().reserve(4096);
  Rng rng(43);
  char key[kKeyLen];
  std::string value = kValue;
  std::string_view args[3] = {"SET", std::string_view(key, kKeyLen), value};
  uint64_t n = 0;
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(rng.Below(span), key);
    value[0] = static_cast<char>('a' + (n++ & 15));
    f.engine.Dispatch(f.client, w, ArgList(args, 3));
    if (w.view() != "+OK\r\n") {
      state.SkipWithError(("unexpected SET reply: " + std::string(w.view())).c_str());
      break;
    }
    w.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EngineSet)->Arg(1 << 10)->Arg(kKeys);

// The price of EXEC's held mode on every ordinary lock: an uncontended lock/unlock pair of a
// ShardMutex against the same pair on the std::mutex under it (LockShardMutex's first try_lock
// takes it). The difference is HeldHere's check, twice.
void BM_ShardMutexLockUnlock(benchmark::State& state) {
  ShardMutex mu;
  for (auto _ : state) {
    mu.lock();
    benchmark::ClobberMemory();
    mu.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ShardMutexLockUnlock);

void BM_StdMutexLockUnlock(benchmark::State& state) {
  std::mutex mu;
  for (auto _ : state) {
    LockShardMutex(mu);
    benchmark::ClobberMemory();
    mu.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StdMutexLockUnlock);

// PFADD of one random element to one dense HyperLogLog (200k elements in it first), the load of
// `compare_redis.sh` CUSTOM "PFADD hll element:__rand_int__"; then PFCOUNT of that key, which
// after the first call returns the cached estimate.
void BM_EnginePfAdd(benchmark::State& state) {
  Fixture& f = GetFixture();
  RespWriter w;
  w.buffer().reserve(4096);
  Rng rng(44);
  char element[kKeyLen];
  std::string_view args[3] = {"PFADD", "hll", std::string_view(element, kKeyLen)};
  for (uint64_t i = 0; i < 200000; ++i) {
    FormatKey(i, element);
    f.engine.Dispatch(f.client, w, ArgList(args, 3));
    w.clear();
  }
  AllocCounter allocs(state);
  for (auto _ : state) {
    FormatKey(rng.Below(1000000), element);
    f.engine.Dispatch(f.client, w, ArgList(args, 3));
    if (w.size() != 4 || w.data()[0] != ':') {
      state.SkipWithError(("unexpected PFADD reply: " + std::string(w.view())).c_str());
      break;
    }
    w.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnginePfAdd);

void BM_EnginePfCount(benchmark::State& state) {
  Fixture& f = GetFixture();
  RespWriter w;
  w.buffer().reserve(4096);
  std::string_view add[3] = {"PFADD", "hll", "x"};
  f.engine.Dispatch(f.client, w, ArgList(add, 3));
  w.clear();
  std::string_view args[2] = {"PFCOUNT", "hll"};
  AllocCounter allocs(state);
  for (auto _ : state) {
    f.engine.Dispatch(f.client, w, ArgList(args, 2));
    if (w.data()[0] != ':') {
      state.SkipWithError(("unexpected PFCOUNT reply: " + std::string(w.view())).c_str());
      break;
    }
    w.clear();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnginePfCount);

// 16 pipelined commands (SET and GET alternating, random keys) as RESP bytes: parsed by
// RespParser, run by Dispatch, replies appended to one RespWriter that is cleared after the
// batch (as a connection does after its send). 1024 different batches are cycled so keys
// vary. Items are commands.
void BM_ParseAndDispatchPipeline(benchmark::State& state) {
  constexpr int kDepth = 16;
  constexpr size_t kBatches = 1024;
  Fixture& f = GetFixture();
  Rng rng(44);
  std::vector<std::string> batches(kBatches);
  char key[kKeyLen];
  for (std::string& b : batches) {
    for (int c = 0; c < kDepth; ++c) {
      FormatKey(rng.Below(kKeys), key);
      std::string_view k(key, kKeyLen);
      if (c % 2 == 0) {
        b += "*3\r\n$3\r\nSET\r\n$14\r\n";
        b.append(k);
        b += "\r\n$64\r\n" + kValue + "\r\n";
      } else {
        b += "*2\r\n$3\r\nGET\r\n$14\r\n";
        b.append(k);
        b += "\r\n";
      }
    }
  }
  RespParser parser;
  RespWriter w;
  w.buffer().reserve(64 << 10);
  size_t next = 0;
  int64_t bytes = 0;
  // Warm the parser's argument vectors so that first-use growth is not counted.
  {
    size_t consumed;
    if (parser.Parse(batches[0], &consumed) != RespParser::ParseResult::kCommand) std::abort();
  }
  AllocCounter allocs(state, kDepth);
  for (auto _ : state) {
    std::string_view rest(batches[next]);
    next = (next + 1) % kBatches;
    bytes += static_cast<int64_t>(rest.size());
    int n = 0;
    size_t consumed;
    while (!rest.empty() && parser.Parse(rest, &consumed) == RespParser::ParseResult::kCommand) {
      f.engine.Dispatch(f.client, w, parser.args());
      rest.remove_prefix(consumed);
      ++n;
    }
    // 8 x "+OK\r\n" and 8 x "$64\r\n<64>\r\n".
    if (n != kDepth || w.size() != 8 * 5 + 8 * (64 + 7)) {
      state.SkipWithError("wrong command count or reply size");
      break;
    }
    w.clear();
  }
  state.SetItemsProcessed(state.iterations() * kDepth);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_ParseAndDispatchPipeline);

}  // namespace
}  // namespace aegisr

BENCHMARK_MAIN();
