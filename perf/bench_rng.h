#pragma once
// A small, fast PRNG for the microbenchmarks (xorshift64*), so that choosing a key costs a few
// nanoseconds and does not blur what is measured. Not thread-safe: one per benchmark thread.

#include <cstdint>

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed | 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }

 private:
  uint64_t s_;
};
