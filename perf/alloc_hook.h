#pragma once
// Allocation counting for the microbenchmarks (include it in exactly one .cc of a benchmark
// executable): global operator new is replaced, and the mi_malloc family that the engine uses
// for entries and bucket arrays is interposed (the engine calls libmimalloc.so's symbols, which
// the executable overrides). AllocCount() reads the total. Single-threaded benchmarks: a
// relaxed load+store (no locked instruction) keeps the hook cheap enough not to distort timings.

#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace alloc_hook {
inline std::atomic<uint64_t> g_allocs{0};
inline void CountAlloc() {
  g_allocs.store(g_allocs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}
inline uint64_t AllocCount() { return g_allocs.load(std::memory_order_relaxed); }
template <typename Fn>
Fn RealMi(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) std::abort();
  return reinterpret_cast<Fn>(f);
}

// Reports allocations per operation (ops = iterations * ops_per_iter) as the "allocs/op"
// counter, counted from construction to destruction.
class AllocCounter {
 public:
  explicit AllocCounter(benchmark::State& state, double ops_per_iter = 1)
      : state_(state), per_iter_(ops_per_iter), start_(AllocCount()) {}
  ~AllocCounter() {
    double ops = static_cast<double>(state_.iterations()) * per_iter_;
    state_.counters["allocs/op"] =
        benchmark::Counter(ops > 0 ? static_cast<double>(AllocCount() - start_) / ops : 0);
  }

 private:
  benchmark::State& state_;
  double per_iter_;
  uint64_t start_;
};
}  // namespace alloc_hook

// noinline: GCC otherwise inlines these and warns that malloc'd memory reaches free through
// operator delete, which is exactly what replacing both means.
[[gnu::noinline]] void* operator new(size_t n) {
  alloc_hook::CountAlloc();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept { std::free(p); }

extern "C" {
void* mi_malloc(size_t n) noexcept {
  static auto real = alloc_hook::RealMi<void* (*)(size_t)>("mi_malloc");
  alloc_hook::CountAlloc();
  return real(n);
}
void* mi_zalloc(size_t n) noexcept {
  static auto real = alloc_hook::RealMi<void* (*)(size_t)>("mi_zalloc");
  alloc_hook::CountAlloc();
  return real(n);
}
void* mi_realloc(void* p, size_t n) noexcept {
  static auto real = alloc_hook::RealMi<void* (*)(void*, size_t)>("mi_realloc");
  alloc_hook::CountAlloc();
  return real(p, n);
}
}
