// Redis-compatible number parsing and formatting. Pure functions, thread-safe.
//
// These follow the behaviour of Redis 7.0's util.c, checked against redis-server 7.0:
//  - String2ll is a hand-written strict parser (no strtoll: it would accept "+1", " 1", "01").
//  - String2d/String2ld call strtod/strtold on a NUL-terminated copy (a string_view is not
//    terminated; an embedded NUL stops strto* early and so fails the "consumed all" check,
//    as it does in Redis), then apply Redis's rejections.
//  - Floating formatting uses std::to_chars with precision 17 in general format, which the
//    standard defines as printf's "%.17g"; the unit tests compare it with snprintf.

#include "base/numbers.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace aegisr {

bool String2ll(std::string_view s, int64_t* v) {
  const size_t n = s.size();
  if (n == 0 || n >= kLongStrSize) return false;
  if (n == 1 && s[0] == '0') {
    *v = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (i == n) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t acc = static_cast<uint64_t>(s[i] - '0');
  for (++i; i < n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (acc > std::numeric_limits<uint64_t>::max() / 10) return false;
    acc *= 10;
    if (acc > std::numeric_limits<uint64_t>::max() - d) return false;
    acc += d;
  }
  if (negative) {
    constexpr uint64_t kMinMagnitude =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
    if (acc > kMinMagnitude) return false;
    *v = acc == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(acc);
  } else {
    if (acc > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

namespace {

// Runs parse(cstr, &end) on a NUL-terminated copy of s and applies Redis's checks.
template <typename T, typename Fn>
bool ParseFloating(std::string_view s, T* out, Fn parse) {
  if (s.empty()) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  char stack_buf[128];
  std::string heap;
  const char* buf = stack_buf;
  if (s.size() < sizeof(stack_buf)) {
    std::memcpy(stack_buf, s.data(), s.size());
    stack_buf[s.size()] = '\0';
  } else {
    heap.assign(s);
    buf = heap.c_str();
  }
  char* end = nullptr;
  errno = 0;
  const T value = parse(buf, &end);
  const int err = errno;
  if (static_cast<size_t>(end - buf) != s.size()) return false;
  if (err == ERANGE && (std::isinf(value) || value == 0)) return false;
  if (err == EINVAL || std::isnan(value)) return false;
  *out = value;
  return true;
}

}  // namespace

bool String2d(std::string_view s, double* v) {
  return ParseFloating<double>(s, v, [](const char* p, char** e) { return std::strtod(p, e); });
}

bool String2ld(std::string_view s, long double* v) {
  if (s.size() >= kMaxLongDoubleChars) return false;
  return ParseFloating<long double>(s, v,
                                    [](const char* p, char** e) { return std::strtold(p, e); });
}

size_t Ll2String(char* buf, int64_t v) {
  auto r = std::to_chars(buf, buf + kLongStrSize, v);
  return static_cast<size_t>(r.ptr - buf);
}

std::string Ll2String(int64_t v) {
  char buf[kLongStrSize];
  return std::string(buf, Ll2String(buf, v));
}

std::string D2String(double v) {
  if (std::isnan(v)) return "nan";
  return FormatDouble(v);
}

size_t FormatDouble(char* buf, double v) {
  if (std::isinf(v)) {
    if (v > 0) {
      std::memcpy(buf, "inf", 3);
      return 3;
    }
    std::memcpy(buf, "-inf", 4);
    return 4;
  }
  // %.17g never needs more than 24 characters ("-1.2345678901234567e-308").
  auto r = std::to_chars(buf, buf + 32, v, std::chars_format::general, 17);
  return static_cast<size_t>(r.ptr - buf);
}

std::string FormatDouble(double v) {
  char buf[32];
  return std::string(buf, FormatDouble(buf, v));
}

std::string Ld2String(long double v, LdMode mode) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[kMaxLongDoubleChars];
  int n = std::snprintf(buf, sizeof(buf), mode == LdMode::kHuman ? "%.17Lf" : "%.17Lg", v);
  if (n < 0 || static_cast<size_t>(n) + 1 > sizeof(buf)) return std::string();
  size_t len = static_cast<size_t>(n);
  if (mode == LdMode::kHuman) {
    if (std::memchr(buf, '.', len) != nullptr) {
      while (len > 0 && buf[len - 1] == '0') --len;
      if (len > 0 && buf[len - 1] == '.') --len;
    }
    if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  }
  return std::string(buf, len);
}

}  // namespace aegisr
