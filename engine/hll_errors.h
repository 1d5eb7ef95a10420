#pragma once
// Wire error texts of the HyperLogLog commands, byte-exact with Redis 7.0 (src/hyperloglog.c).
// Constants only; thread-safe.

#include <string_view>

namespace aegisr::errors {

// A string that is not a HyperLogLog (isHLLObjectOrReply); other types get kWrongType.
inline constexpr std::string_view kHllWrongType =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
// A sparse body whose opcodes do not cover exactly 16384 registers.
inline constexpr std::string_view kHllCorrupt = "INVALIDOBJ Corrupted HLL object detected";
inline constexpr std::string_view kHllNoKey = "ERR The specified key does not exist";
inline constexpr std::string_view kHllNotSparse = "ERR HLL encoding is not sparse";

}  // namespace aegisr::errors
