// Microbenchmarks of the RESP layer: request parsing and reply encoding, with heap
// allocations per iteration counted by replacing the global operator new. Single-threaded.

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "net/resp_parser.h"
#include "net/resp_writer.h"

namespace {
std::atomic<uint64_t> g_allocs{0};
}  // namespace

// noinline: GCC otherwise inlines these and warns that malloc'd memory reaches free through
// operator delete, which is exactly what replacing both means.
[[gnu::noinline]] void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace aegisr {
namespace {

// Reports allocations per iteration, counted between the two calls.
class AllocCounter {
 public:
  explicit AllocCounter(benchmark::State& state) : state_(state), start_(g_allocs.load()) {}
  ~AllocCounter() {
    state_.counters["allocs/iter"] = benchmark::Counter(
        static_cast<double>(g_allocs.load() - start_) / static_cast<double>(state_.iterations()));
  }

 private:
  benchmark::State& state_;
  uint64_t start_;
};

std::string SetCommand(size_t value_len) {
  std::string v(value_len, 'v');
  return "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000001234\r\n$" + std::to_string(value_len) + "\r\n" +
         v + "\r\n";
}

// One SET parsed from a buffer holding exactly it; value size swept.
void BM_ParseSet(benchmark::State& state) {
  const std::string in = SetCommand(static_cast<size_t>(state.range(0)));
  RespParser p;
  size_t consumed;
  benchmark::DoNotOptimize(p.Parse(in, &consumed));  // warm the argument vectors
  AllocCounter allocs(state);
  for (auto _ : state) {
    auto r = p.Parse(in, &consumed);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(p.args().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_ParseSet)->Arg(16)->Arg(512)->Arg(16 << 10);

// 16 pipelined commands (GET and SET alternating) parsed from one buffer.
void BM_ParsePipeline16(benchmark::State& state) {
  std::string in;
  for (int i = 0; i < 8; ++i) {
    in += "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000001234\r\n";
    in += SetCommand(32);
  }
  RespParser p;
  AllocCounter allocs(state);
  for (auto _ : state) {
    std::string_view rest(in);
    size_t consumed;
    int n = 0;
    while (p.Parse(rest, &consumed) == RespParser::ParseResult::kCommand) {
      rest.remove_prefix(consumed);
      ++n;
    }
    if (n != 16) state.SkipWithError("wrong command count");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.size()));
}
BENCHMARK(BM_ParsePipeline16);

// Bulk replies appended and drained, as a connection does after each send.
void BM_WriteBulk(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'x');
  RespWriter w;
  w.Bulk(value);
  w.clear();
  AllocCounter allocs(state);
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) w.Bulk(value);
    benchmark::DoNotOptimize(w.data());
    w.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
}
BENCHMARK(BM_WriteBulk)->Arg(16)->Arg(512)->Arg(16 << 10);

void BM_WriteInteger(benchmark::State& state) {
  RespWriter w;
  int64_t v = 1234567;
  for (int i = 0; i < 16; ++i) w.Integer(v);
  w.clear();
  AllocCounter allocs(state);
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) w.Integer(v + i);
    benchmark::DoNotOptimize(w.data());
    w.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
}
BENCHMARK(BM_WriteInteger);

void BM_WriteDouble(benchmark::State& state) {
  RespWriter w(3);
  w.Double(0.1);
  w.clear();
  AllocCounter allocs(state);
  double d = 0.1;
  for (auto _ : state) {
    for (int i = 0; i < 16; ++i) w.Double(d * i);
    benchmark::DoNotOptimize(w.data());
    w.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 16));
}
BENCHMARK(BM_WriteDouble);

}  // namespace
}  // namespace aegisr

BENCHMARK_MAIN();
