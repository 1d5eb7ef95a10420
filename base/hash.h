#pragma once
// Key hashing: xxh3 for hash tables, and Redis Cluster's CRC16 hash slot (with {hash tags}),
// which assigns keys to shards. Pure functions, thread-safe.

#include <cstdint>
#include <string_view>

namespace aegisr {

inline constexpr unsigned kClusterSlots = 16384;

uint64_t HashBytes(std::string_view s);
// CRC16-CCITT (XMODEM), the variant Redis Cluster uses.
uint16_t Crc16(std::string_view s);
// The same, one byte at a time (the reference the fast version is tested against).
uint16_t Crc16Bytewise(std::string_view s);
// The cluster hash slot of a key: CRC16 of the key, or of the first non-empty {tag}, mod 16384.
unsigned KeyHashSlot(std::string_view key);

}  // namespace aegisr
