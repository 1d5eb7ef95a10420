// Microbenchmarks of the bitmap helpers (engine/types/bitmap.h) over a size sweep, so that the
// cache levels show: BITCOUNT's population count, BITPOS's search through a run of the other bit
// (the wanted bit is the last one), BITOP AND of two sources, and a BITFIELD field read and
// write. Reports bytes per second. One thread.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "engine/types/bitmap.h"

namespace aegisr {
namespace {

std::vector<uint8_t> RandomBuffer(size_t n) {
  std::mt19937_64 rng(42);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

void BM_PopCount(benchmark::State& state) {
  auto v = RandomBuffer(size_t(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(PopCount(v.data(), v.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_PopCount)->RangeMultiplier(8)->Range(64, 64 << 20);

// Looking for a 1 in zeros (bit 1) or for a 0 in ones (bit 0), found at the very end.
void BM_FindBit(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  const bool bit = state.range(1) != 0;
  std::vector<uint8_t> v(n, bit ? 0x00 : 0xFF);
  v[n - 1] = bit ? 0x01 : 0xFE;
  for (auto _ : state) benchmark::DoNotOptimize(FindBitInRange(v.data(), 0, n * 8 - 1, bit));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_FindBit)->ArgsProduct({benchmark::CreateRange(64, 64 << 20, 8), {0, 1}});

void BM_BitOpAnd(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  auto a = RandomBuffer(n), b = RandomBuffer(n);
  std::vector<uint8_t> out(n);
  std::string_view srcs[2] = {{reinterpret_cast<const char*>(a.data()), n},
                              {reinterpret_cast<const char*>(b.data()), n}};
  for (auto _ : state) {
    BitOp(BitOpKind::kAnd, srcs, out.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_BitOpAnd)->RangeMultiplier(8)->Range(64, 64 << 20);

// One i13 field at an unaligned offset: read, then write back plus one.
void BM_FieldIncr(benchmark::State& state) {
  auto v = RandomBuffer(4096);
  uint64_t offset = 3;
  for (auto _ : state) {
    int64_t x = GetSignedField(v.data(), v.size(), offset, 13);
    SetField(v.data(), offset, 13, uint64_t(x + 1));
    offset = (offset + 61) % (4096 * 8 - 64);
  }
}
BENCHMARK(BM_FieldIncr);

}  // namespace
}  // namespace aegisr

BENCHMARK_MAIN();
