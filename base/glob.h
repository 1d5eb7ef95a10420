#pragma once
// GlobMatch: Redis-compatible glob matching (the semantics of Redis's stringmatchlen), used by
// CONFIG GET, KEYS, SCAN MATCH and PSUBSCRIBE. Pure function, thread-safe.

#include <string_view>

namespace aegisr {

// Matches str against pattern:
//   *        any run of bytes (also none)        ?      exactly one byte
//   [abc]    one of a, b, c                      [^ab]  one byte that is neither a nor b
//   [a-z]    a range (ends swapped if reversed)  \x     the byte x literally, also inside []
// Everything else matches itself; with nocase, ASCII letters compare case-insensitively
// (except an escaped byte inside [], which Redis compares exactly). Quirks kept from Redis:
// an unterminated class "[abc" acts as "[abc]"; "[]" matches nothing; a trailing "\" matches a
// backslash; and an empty str matches only an empty pattern (so "*" does not match "": KEYS
// and SCAN treat a lone "*" as match-all before calling this, as Redis does).
// Runs in O(|pattern| * |str|) time at worst, no recursion, no allocation.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase);

}  // namespace aegisr
