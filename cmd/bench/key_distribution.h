#pragma once
// Seedable random numbers and key choosers (uniform, Zipf) for aegisr-bench. Each object is
// thread-compatible: give every worker thread its own.
//
// Zipf uses rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to generate
// variates from monotone discrete distributions", 1996): constant-time setup (no O(n) zeta sum,
// so a keyspace of 10^10 costs nothing) and a few floating-point operations per sample, with an
// acceptance rate close to 1. Rank r in [1, n] has probability proportional to 1 / r^theta. The
// method inverts H(x), the integral of h(x) = x^-theta, over [1.5 - 1, n + 0.5]; a candidate x
// rounds to k and is accepted when it falls under the histogram of h (the "squeeze" test first).

#include <cmath>
#include <cstdint>

namespace aegisr::bench {

// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n), n >= 1 (Lemire's multiply-shift; bias below 2^-32 for n < 2^32).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

class ZipfGenerator {
 public:
  // n >= 1 items, theta > 0 (0.99 is YCSB's default).
  ZipfGenerator(uint64_t n, double theta) : n_(static_cast<double>(n)), s_(theta) {
    h_integral_x1_ = HIntegral(1.5) - 1.0;
    h_integral_n_ = HIntegral(n_ + 0.5);
    squeeze_ = 2.0 - HIntegralInverse(HIntegral(2.5) - H(2.0));
  }

  // A rank in [0, n): 0 is the most frequent.
  uint64_t Next(Rng& rng) {
    while (true) {
      const double u = h_integral_n_ + rng.Unit() * (h_integral_x1_ - h_integral_n_);
      const double x = HIntegralInverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1.0) k = 1.0;
      if (k > n_) k = n_;
      if (k - x <= squeeze_ || u >= HIntegral(k + 0.5) - H(k)) {
        return static_cast<uint64_t>(k) - 1;
      }
    }
  }

 private:
  double H(double x) const { return std::exp(-s_ * std::log(x)); }
  // H(x) = ((x^(1-s)) - 1) / (1 - s), written to stay exact as s -> 1 (where it is log x).
  double HIntegral(double x) const {
    const double lx = std::log(x);
    return Helper2((1.0 - s_) * lx) * lx;
  }
  double HIntegralInverse(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;  // rounding can push it past the pole
    return std::exp(Helper1(t) * x);
  }
  // log1p(x) / x, and its limit 1 at 0.
  static double Helper1(double x) {
    if (std::fabs(x) > 1e-8) return std::log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  // expm1(x) / x, and its limit 1 at 0.
  static double Helper2(double x) {
    if (std::fabs(x) > 1e-8) return std::expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
  }

  double n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double squeeze_;
};

}  // namespace aegisr::bench
