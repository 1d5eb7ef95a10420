// Access metadata arithmetic (see access.h). Thread-safe: pure, with a thread-local generator.
#include "tier/access.h"

#include <algorithm>

namespace aegisr::tier {
namespace {

// xorshift64*: cheap and good enough for a coin flip per access.
double NextUnit() {
  thread_local uint64_t s = 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(&s);
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return static_cast<double>((s * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
}

}  // namespace

uint8_t DecayedCounter(uint32_t meta, uint32_t now, const LfuParams& p) {
  uint8_t c = AccessCounter(meta);
  if (p.decay_time <= 0) return c;
  uint64_t periods = IdleTicks(meta, now) / 60 / static_cast<uint64_t>(p.decay_time);
  return periods >= c ? 0 : static_cast<uint8_t>(c - periods);
}

uint8_t LogIncrement(uint8_t counter, double r, const LfuParams& p) {
  if (counter == 255) return counter;
  double base = std::max(0, int(counter) - int(kLfuInitValue));
  double prob = 1.0 / (base * static_cast<double>(std::max<int64_t>(p.log_factor, 0)) + 1.0);
  return r < prob ? static_cast<uint8_t>(counter + 1) : counter;
}

uint32_t Touch(uint32_t meta, uint32_t now, const LfuParams& p, double r) {
  uint8_t c = meta == 0 ? kLfuInitValue : DecayedCounter(meta, now, p);
  return MakeAccess(now, LogIncrement(c, r, p));
}

uint32_t Touch(uint32_t meta, uint32_t now, const LfuParams& p) {
  return Touch(meta, now, p, NextUnit());
}

}  // namespace aegisr::tier
