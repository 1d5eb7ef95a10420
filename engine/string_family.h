#pragma once
// The string command family (GET, SET, INCR, APPEND, SETRANGE, LCS, ...), Redis 7.0 semantics.
// Op functions do the data work on one shard and must be called with that shard's lock held;
// the Cmd handlers (in string_family.cc) parse arguments, take locks and write replies.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "engine/command.h"
#include "engine/keyspace/keyspace.h"

namespace aegisr {

// Options of SET and GETEX, as bits.
enum StringOption : uint32_t {
  kStrNx = 1u << 0,
  kStrXx = 1u << 1,
  kStrGet = 1u << 2,
  kStrKeepTtl = 1u << 3,
  kStrEx = 1u << 4,
  kStrPx = 1u << 5,
  kStrExat = 1u << 6,
  kStrPxat = 1u << 7,
  kStrPersist = 1u << 8,
};
inline constexpr uint32_t kStrAnyExpire = kStrEx | kStrPx | kStrExat | kStrPxat;

struct StringOptions {
  uint32_t flags = 0;
  std::string_view expire;  // argument of the last EX/PX/EXAT/PXAT (valid if flags has one)
};

enum class OptionsOf : uint8_t { kSet, kGetex };

// Parses args[first..] as SET options (NX XX GET KEEPTTL EX PX EXAT PXAT) or GETEX options
// (PERSIST EX PX EXAT PXAT) with Redis's conflict rules; the numbers are not parsed here.
// Returns false on a syntax error. Does not allocate.
[[nodiscard]] bool ParseStringOptions(ArgList args, size_t first, OptionsOf of, StringOptions* out);

// The absolute expiry time in ms for an EX/PX/EXAT/PXAT argument (unit and relativity from the
// flag in `flags`). kNotAnInteger if arg is not an integer; kInvalidExpire if it is not
// positive or the result overflows (Redis's "invalid expire time" cases).
OpResult<int64_t> ExpireAtMs(std::string_view arg, uint32_t flags, int64_t now_ms);

// INCRBY on key k: the new value. kWrongType, kNotAnInteger (stored value), kOutOfRange
// (overflow). An integer-encoded value is updated in place; the TTL is kept.
OpResult<int64_t> OpIncrBy(Shard& s, int db, const KeyRef& k, int64_t incr, int64_t now_ms);

// APPEND: the new length. kWrongType; kOutOfRange if the result would exceed max_len.
OpResult<size_t> OpAppend(Shard& s, int db, const KeyRef& k, std::string_view v, size_t max_len,
                          int64_t now_ms);

// SETRANGE (offset >= 0): the new length. kWrongType; kOutOfRange if offset + v.size() would
// exceed max_len.
OpResult<size_t> OpSetRange(Shard& s, int db, const KeyRef& k, int64_t offset, std::string_view v,
                            size_t max_len, int64_t now_ms);

}  // namespace aegisr
