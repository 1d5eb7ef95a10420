#pragma once
// Wire error texts of the bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD
// BITFIELD_RO) that engine/errors.h does not hold, byte-exact with Redis 7.0 (src/bitops.c).
// Constants only; thread-safe.

#include <string_view>

namespace aegisr::errors {

// An offset that is not an integer, is negative, or addresses a byte at or past
// proto-max-bulk-len (SETBIT, GETBIT, BITFIELD).
inline constexpr std::string_view kBitOffset = "ERR bit offset is not an integer or out of range";
// SETBIT's value other than 0 or 1.
inline constexpr std::string_view kBitValue = "ERR bit is not an integer or out of range";
// BITPOS's bit argument other than 0 or 1.
inline constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitopNotOneKey =
    "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kBitfieldOverflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldReadOnly =
    "ERR BITFIELD_RO only supports the GET subcommand";

}  // namespace aegisr::errors
