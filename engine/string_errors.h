#pragma once
// Wire error texts of the string commands that engine/errors.h does not hold, byte-exact with
// Redis 7.0 (src/t_string.c). Constants only; thread-safe.

#include <string_view>

namespace aegisr::errors {

// addReplyErrorExpireTime: "invalid expire time in '<command fullname>' command".
inline constexpr std::string_view kInvalidExpireSet = "ERR invalid expire time in 'set' command";
inline constexpr std::string_view kInvalidExpireSetex =
    "ERR invalid expire time in 'setex' command";
inline constexpr std::string_view kInvalidExpirePsetex =
    "ERR invalid expire time in 'psetex' command";
inline constexpr std::string_view kInvalidExpireGetex =
    "ERR invalid expire time in 'getex' command";
// DECRBY with -9223372036854775808 (negating it would overflow).
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kLcsWrongType =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsLenAndIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsTooMuchMemory =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kLcsAllocFailed =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

}  // namespace aegisr::errors
