#pragma once
// Log-linear latency histogram (HDR-style) for aegisr-bench: fixed size, no allocation, one per
// thread per operation, merged at the end. Thread-compatible (one writer; merge after join).
//
// Values are nanoseconds. Below 16 ns each value has its own bucket; above, every power of two
// [2^e, 2^(e+1)) is split into 16 equal sub-buckets, so a bucket is at most 1/16 of its value
// wide and a reported percentile (the bucket's midpoint) is within ~3.2% of the true value.
// Values from 2^40 ns (~18 minutes) up share the last bucket. 38 * 16 counters of 8 bytes: ~5 KB.
// Exact count, sum (for the mean), min and max are kept beside the buckets.

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace aegisr::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kMaxExp = 40;
  static constexpr int kBuckets = (kMaxExp - kSubBits + 2) * kSub;

  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++count_;
    sum_ += ns;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
  }

  void Merge(const LatencyHistogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value at quantile q in [0, 1]: the midpoint of the bucket holding the ceil(q * count)-th
  // smallest value, clamped to [min, max]; the exact min or max for the first or last rank.
  // 0 when empty.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    q = std::clamp(q, 0.0, 1.0);
    uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(count_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, count_);
    if (rank == count_) return max_;  // the extremes are known exactly
    if (rank == 1) return min_;
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(Midpoint(i), min_, max_);
    }
    return max_;
  }

  static int Index(uint64_t v) {
    if (v < kSub) return static_cast<int>(v);
    int e = 63 - std::countl_zero(v);
    if (e > kMaxExp) return kBuckets - 1;
    const int sub = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
    return (e - kSubBits + 1) * kSub + sub;
  }
  static uint64_t LowerBound(int idx) {
    if (idx < kSub) return static_cast<uint64_t>(idx);
    const int e = idx / kSub - 1 + kSubBits;
    const uint64_t sub = idx % kSub;
    return (kSub + sub) << (e - kSubBits);
  }
  static uint64_t Midpoint(int idx) {
    if (idx < kSub) return static_cast<uint64_t>(idx);
    const int e = idx / kSub - 1 + kSubBits;
    return LowerBound(idx) + ((uint64_t{1} << (e - kSubBits)) >> 1);
  }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace aegisr::bench
