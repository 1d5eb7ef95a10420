#pragma once
// Redis-compatible number parsing and formatting (string2ll, string2d, string2ld, ll2string,
// d2string, ld2string from Redis's util.c, re-implemented). Pure functions, thread-safe.
// Assumes the "C" locale (the daemon never calls setlocale).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aegisr {

// Longest text Redis accepts for a long double (MAX_LONG_DOUBLE_CHARS).
inline constexpr size_t kMaxLongDoubleChars = 5 * 1024;
// Enough room for any int64_t in decimal, with sign (LONG_STR_SIZE).
inline constexpr size_t kLongStrSize = 21;

// Strict integer parse, as Redis's string2ll: optional '-', then "0" alone or a digit 1-9
// followed by digits; no '+', no spaces, no leading zeros, no "-0", at most 20 characters,
// range of int64_t. Returns false (and leaves *v alone) on anything else.
[[nodiscard]] bool String2ll(std::string_view s, int64_t* v);

// Double parse as Redis's string2d / getDoubleFromObject: strtod must consume the whole
// text; rejects empty text, leading whitespace, NaN results and overflow; accepts "inf",
// hex floats and gradual underflow (but not underflow to zero).
[[nodiscard]] bool String2d(std::string_view s, double* v);

// Long double parse as Redis's string2ld (INCRBYFLOAT, HINCRBYFLOAT): like String2d with
// strtold, and text of kMaxLongDoubleChars or more is rejected.
[[nodiscard]] bool String2ld(std::string_view s, long double* v);

// Decimal text of v; buf needs kLongStrSize bytes. Returns the length (no NUL written).
size_t Ll2String(char* buf, int64_t v);
std::string Ll2String(int64_t v);

// Redis's d2string: "nan", "inf", "-inf", "-0", "0", else "%.17g" (integers print plainly).
std::string D2String(double v);

// The text of addReplyDouble: "inf" / "-inf" for infinities, else "%.17g" exactly as glibc
// prints it (a NaN prints as "nan" or "-nan" by its sign bit, as Redis 7.0 does).
// buf needs 32 bytes; returns the length.
size_t FormatDouble(char* buf, double v);
std::string FormatDouble(double v);

// Redis's ld2string modes.
enum class LdMode : uint8_t {
  kAuto,   // "%.17Lg"
  kHuman,  // "%.17Lf" with trailing zeros (and a bare '.') removed, "-0" -> "0" (INCRBYFLOAT)
};
// Infinities print as "inf" / "-inf". Returns "" where the text would not fit in
// kMaxLongDoubleChars, as Redis's ld2string does (it returns length 0 there).
std::string Ld2String(long double v, LdMode mode);

}  // namespace aegisr
