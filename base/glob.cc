// GlobMatch: Redis-compatible glob matching. Pure function, thread-safe.
//
// Algorithm: the classic two-pointer glob walk. Every token other than '*' consumes exactly one
// byte of the subject, so when a token fails we only need to remember the most recent '*': we
// let it swallow one more byte and retry the tokens after it. An earlier '*' never needs to be
// revisited, because anything it could absorb the later '*' can absorb too. This gives the same
// answers as Redis's recursive stringmatchlen without its exponential worst case.
#include "base/glob.h"

#include <cstddef>

namespace aegisr {
namespace {

inline int Lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// Matches one non-'*' token starting at pattern[p] against byte c. On success sets *next to
// the index just past the token.
bool MatchToken(std::string_view pat, size_t p, char c, bool nocase, size_t* next) {
  const size_t n = pat.size();
  switch (pat[p]) {
    case '?':
      *next = p + 1;
      return true;
    case '[': {
      ++p;
      bool negate = p < n && pat[p] == '^';
      if (negate) ++p;
      bool match = false;
      while (true) {
        if (p >= n) {  // unterminated class: behave as if closed at the end of the pattern
          --p;
          break;
        }
        if (pat[p] == '\\' && n - p >= 2) {
          ++p;
          if (pat[p] == c) match = true;
        } else if (pat[p] == ']') {
          break;
        } else if (n - p >= 3 && pat[p + 1] == '-') {
          int start = pat[p], end = pat[p + 2], x = c;
          if (start > end) {
            int t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = Lower(start);
            end = Lower(end);
            x = Lower(x);
          }
          p += 2;
          if (x >= start && x <= end) match = true;
        } else if (nocase ? Lower(pat[p]) == Lower(c) : pat[p] == c) {
          match = true;
        }
        ++p;
      }
      if (negate) match = !match;
      *next = p + 1;
      return match;
    }
    case '\\':
      if (n - p >= 2) ++p;
      [[fallthrough]];
    default:
      *next = p + 1;
      return nocase ? Lower(pat[p]) == Lower(c) : pat[p] == c;
  }
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view str, bool nocase) {
  if (str.empty()) return pat.empty();
  const size_t n = pat.size();
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t p = 0, s = 0;
  size_t star_p = kNone, star_s = 0;  // token after the last '*', and where it was tried
  while (s < str.size()) {
    if (p < n && pat[p] == '*') {
      while (p < n && pat[p] == '*') ++p;
      if (p == n) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t next;
    if (p < n && MatchToken(pat, p, str[s], nocase, &next)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < n && pat[p] == '*') ++p;
  return p == n;
}

}  // namespace aegisr
