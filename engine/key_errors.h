#pragma once
// Wire error texts of the generic key commands that engine/errors.h does not hold, byte-exact
// with Redis 7.0 (src/db.c, src/expire.c, src/object.c). Constants only; thread-safe.

#include <string_view>

namespace aegisr::errors {

inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kExpireNxAndOthers =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtAndLt =
    "ERR GT and LT options at the same time are not compatible";
// "ERR Unsupported option <arg>" and "ERR invalid expire time in '<cmd>' command" are formatted
// where they are raised.
inline constexpr std::string_view kInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kInvalidSecondDbIndex = "ERR invalid second DB index";
inline constexpr std::string_view kLfuNotSelected =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
    "that when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust.";
inline constexpr std::string_view kLfuSelected =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

}  // namespace aegisr::errors
