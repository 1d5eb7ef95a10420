#pragma once
// Per-key access metadata: the 32 bits every keyspace entry carries for the eviction and offload
// policies (Entry::access). Pure functions on values; the caller holds whatever lock guards the
// word it passes in.
//
// Layout: bits 31..8 hold the last access time in clock ticks (seconds, wrapping after 2^24 s,
// about 194 days, like Redis's 24-bit LRU clock); bits 7..0 hold a logarithmic access counter
// with Redis's LFU rules (starts at 5; an access increments it with probability
// 1 / ((counter - 5) * lfu-log-factor + 1); it loses one per lfu-decay-time minutes idle). Both
// are kept whatever the policy, so recency and frequency are always known; 0 means "never set"
// (the keyspace fills it on first access).

#include <cstdint>

namespace aegisr::tier {

inline constexpr uint32_t kClockBits = 24;
inline constexpr uint32_t kClockMask = (1u << kClockBits) - 1;
inline constexpr uint8_t kLfuInitValue = 5;

struct LfuParams {
  int64_t log_factor = 10;  // lfu-log-factor
  int64_t decay_time = 1;   // lfu-decay-time, minutes per counter step lost (0: never decays)
};

// The access clock at now_ms (milliseconds since the epoch).
inline uint32_t AccessClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000) & kClockMask;
}

inline uint32_t MakeAccess(uint32_t clock, uint8_t counter) {
  return ((clock & kClockMask) << 8) | counter;
}
inline uint32_t AccessTime(uint32_t meta) { return meta >> 8; }
inline uint8_t AccessCounter(uint32_t meta) { return static_cast<uint8_t>(meta & 0xff); }

// Metadata of a key created at clock `now`.
inline uint32_t NewAccess(uint32_t now) { return MakeAccess(now, kLfuInitValue); }

// Ticks since the last access, allowing for one wrap of the clock.
inline uint32_t IdleTicks(uint32_t meta, uint32_t now) {
  uint32_t t = AccessTime(meta);
  now &= kClockMask;
  return now >= t ? now - t : (kClockMask - t) + now + 1;
}

// The counter after decay for the idle time (what OBJECT FREQ reports).
uint8_t DecayedCounter(uint32_t meta, uint32_t now, const LfuParams& p);

// One access at clock `now`: decays the counter, maybe increments it (draws from a thread-local
// generator) and records the time.
uint32_t Touch(uint32_t meta, uint32_t now, const LfuParams& p);
// The same with an explicit random draw r in [0, 1) (tests, simulator: repeatable runs).
uint32_t Touch(uint32_t meta, uint32_t now, const LfuParams& p, double r);

// The logarithmic increment alone, with an explicit random draw r in [0, 1) (tests, simulator).
uint8_t LogIncrement(uint8_t counter, double r, const LfuParams& p);

}  // namespace aegisr::tier
