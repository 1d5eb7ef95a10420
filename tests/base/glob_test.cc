// Tests of GlobMatch: Redis's glob semantics, checked against answers recorded from Debian's
// redis-server 7.0 (KEYS pattern over a fixed key set), plus nocase and a randomized comparison
// with a naive recursive matcher.
#include "base/glob.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace aegisr {
namespace {

// The keys that were stored in redis-server, and for each pattern the keys its KEYS returned.
// (Redis's KEYS answers a lone "*" without matching; for these non-empty keys that is the same.)
const std::vector<std::string> kSubjects = {
    "a", "b", "ab", "abc", "aXc", "hello", "hallo", "hxllo", "heeeello", "hllo",    "A",   "-",
    "]", "^", "\\", "*",   "?",   "[",     "a*c",   "a?c",   "x[y",      "foo.bar", "FOO", "z"};

struct RecordedCase {
  std::string pattern;
  std::set<std::string> matches;
};

const std::vector<RecordedCase> kRecorded = {
    {"h?llo", {"hallo", "hello", "hxllo"}},
    {"h*llo", {"hallo", "heeeello", "hello", "hllo", "hxllo"}},
    {"h[ae]llo", {"hallo", "hello"}},
    {"h[^e]llo", {"hallo", "hxllo"}},
    {"h[a-b]llo", {"hallo"}},
    {"a*", {"a", "a*c", "a?c", "aXc", "ab", "abc"}},
    {"*c", {"a*c", "a?c", "aXc", "abc"}},
    {"*", {"*",       "-",     "?",        "A",     "FOO",  "[",     "\\",  "]",
           "^",       "a",     "a*c",      "a?c",   "aXc",  "ab",    "abc", "b",
           "foo.bar", "hallo", "heeeello", "hello", "hllo", "hxllo", "x[y", "z"}},
    {"**", {"*",       "-",     "?",        "A",     "FOO",  "[",     "\\",  "]",
            "^",       "a",     "a*c",      "a?c",   "aXc",  "ab",    "abc", "b",
            "foo.bar", "hallo", "heeeello", "hello", "hllo", "hxllo", "x[y", "z"}},
    {"?", {"*", "-", "?", "A", "[", "\\", "]", "^", "a", "b", "z"}},
    {"??", {"ab"}},
    {"[a-c]", {"a", "b"}},
    {"[c-a]", {"a", "b"}},
    {"[^a-c]", {"*", "-", "?", "A", "[", "\\", "]", "^", "z"}},
    {"[]", {}},
    {"[]]", {}},
    {"[^]", {"*", "-", "?", "A", "[", "\\", "]", "^", "a", "b", "z"}},
    {"[a-]", {"]", "^", "a"}},
    {"[a-", {"-", "a"}},
    {"[", {}},
    {"[^", {"*", "-", "?", "A", "[", "\\", "]", "^", "a", "b", "z"}},
    {"\\*", {"*"}},
    {"\\?", {"?"}},
    {"\\[", {"["}},
    {"\\", {"\\"}},
    {"a\\*c", {"a*c"}},
    {"a[\\*]c", {"a*c"}},
    {"[\\]]", {"]"}},
    {"[\\-]", {"-"}},
    {"[-]", {"-"}},
    {"[!a]", {"a"}},
    {"*o*", {"foo.bar", "hallo", "heeeello", "hello", "hllo", "hxllo"}},
    {"*.*", {"foo.bar"}},
    {"f*o*o*", {"foo.bar"}},
    {"a*b*c", {"abc"}},
    {"*a*b*c*", {"abc"}},
    {"[A-Z]", {"A"}},
    {"[a-z]", {"a", "b", "z"}},
    {"x[[]y", {"x[y"}},
    {"?*", {"*",       "-",     "?",        "A",     "FOO",  "[",     "\\",  "]",
            "^",       "a",     "a*c",      "a?c",   "aXc",  "ab",    "abc", "b",
            "foo.bar", "hallo", "heeeello", "hello", "hllo", "hxllo", "x[y", "z"}},
    {"*?", {"*",       "-",     "?",        "A",     "FOO",  "[",     "\\",  "]",
            "^",       "a",     "a*c",      "a?c",   "aXc",  "ab",    "abc", "b",
            "foo.bar", "hallo", "heeeello", "hello", "hllo", "hxllo", "x[y", "z"}},
    {"h*l*o", {"hallo", "heeeello", "hello", "hllo", "hxllo"}},
    {"[^\\\\]", {"*", "-", "?", "A", "[", "]", "^", "a", "b", "z"}},
    {"he*ello", {"heeeello"}},
};

TEST(GlobMatchTest, AgreesWithRedisKeysOnRecordedCases) {
  for (const RecordedCase& c : kRecorded) {
    for (const std::string& s : kSubjects) {
      EXPECT_EQ(GlobMatch(c.pattern, s, false), c.matches.count(s) == 1)
          << "pattern '" << c.pattern << "' subject '" << s << "'";
    }
  }
}

TEST(GlobMatchTest, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(GlobMatch("a*", "a", false));
  EXPECT_TRUE(GlobMatch("a*b", "ab", false));
  EXPECT_TRUE(GlobMatch("a*b", "axxxb", false));
  EXPECT_FALSE(GlobMatch("a*b", "axxxbc", false));
  EXPECT_TRUE(GlobMatch("*", "anything at all", false));
  EXPECT_TRUE(GlobMatch("***x", "x", false));
}

TEST(GlobMatchTest, EmptySubjectMatchesOnlyEmptyPattern) {
  EXPECT_TRUE(GlobMatch("", "", false));
  EXPECT_FALSE(GlobMatch("*", "", false));  // as stringmatchlen; KEYS special-cases "*"
  EXPECT_FALSE(GlobMatch("**", "", false));
  EXPECT_FALSE(GlobMatch("?", "", false));
  EXPECT_FALSE(GlobMatch("", "a", false));
}

TEST(GlobMatchTest, QuestionMarkIsExactlyOneByte) {
  EXPECT_TRUE(GlobMatch("?", "x", false));
  EXPECT_FALSE(GlobMatch("?", "xy", false));
  EXPECT_TRUE(GlobMatch("a?c", std::string("a\0c", 3), false));
}

TEST(GlobMatchTest, ClassesRangesAndNegation) {
  EXPECT_TRUE(GlobMatch("[abc]", "b", false));
  EXPECT_FALSE(GlobMatch("[abc]", "d", false));
  EXPECT_TRUE(GlobMatch("[^abc]", "d", false));
  EXPECT_FALSE(GlobMatch("[^abc]", "a", false));
  EXPECT_TRUE(GlobMatch("[a-z]x", "qx", false));
  EXPECT_FALSE(GlobMatch("[a-z]x", "Qx", false));
  EXPECT_TRUE(GlobMatch("[z-a]", "m", false));  // reversed range
  EXPECT_TRUE(GlobMatch("[0-9][0-9]", "42", false));
  EXPECT_FALSE(GlobMatch("[0-9][0-9]", "4a", false));
}

TEST(GlobMatchTest, BackslashEscapes) {
  EXPECT_TRUE(GlobMatch("\\*", "*", false));
  EXPECT_FALSE(GlobMatch("\\*", "a", false));
  EXPECT_TRUE(GlobMatch("\\?x", "?x", false));
  EXPECT_FALSE(GlobMatch("\\?x", "ax", false));
  EXPECT_TRUE(GlobMatch("\\a", "a", false));
  EXPECT_TRUE(GlobMatch("[\\^]", "^", false));
  EXPECT_TRUE(GlobMatch("x\\", "x\\", false));  // trailing backslash is literal
}

TEST(GlobMatchTest, NocaseFoldsAsciiLettersEverywhereButEscapesInClasses) {
  EXPECT_TRUE(GlobMatch("MAXMEMORY*", "maxmemory-policy", true));
  EXPECT_FALSE(GlobMatch("MAXMEMORY*", "maxmemory-policy", false));
  EXPECT_TRUE(GlobMatch("h[A-Z]llo", "hello", true));
  EXPECT_TRUE(GlobMatch("h[a-z]llo", "HELLO", true));
  EXPECT_TRUE(GlobMatch("[X]", "x", true));
  EXPECT_TRUE(GlobMatch("\\X", "x", true));     // escaped outside a class: folded
  EXPECT_FALSE(GlobMatch("[\\X]", "x", true));  // escaped inside a class: exact, as Redis
  EXPECT_FALSE(GlobMatch("[^X]", "x", true));
}

TEST(GlobMatchTest, ManyStarsDoNotTakeExponentialTime) {
  std::string pat;
  for (int i = 0; i < 30; ++i) pat += "*a";
  pat += "b";
  std::string s(5000, 'a');
  EXPECT_FALSE(GlobMatch(pat, s, false));  // returns promptly (the test's timeout would catch it)
  s += 'b';
  EXPECT_TRUE(GlobMatch(pat, s, false));
}

// A direct, recursive reading of the rules, slow but obviously faithful; used as a reference.
bool NaiveClass(const std::string& p, size_t& i, char c, bool nocase) {
  auto low = [](int x) { return (x >= 'A' && x <= 'Z') ? x + 32 : x; };
  ++i;
  bool neg = i < p.size() && p[i] == '^';
  if (neg) ++i;
  bool m = false;
  for (;;) {
    if (i >= p.size()) {
      --i;
      break;
    }
    if (p[i] == '\\' && i + 1 < p.size()) {
      ++i;
      m |= p[i] == c;
    } else if (p[i] == ']') {
      break;
    } else if (i + 2 < p.size() && p[i + 1] == '-') {
      int a = p[i], b = p[i + 2], x = c;
      if (a > b) std::swap(a, b);
      if (nocase) a = low(a), b = low(b), x = low(x);
      m |= x >= a && x <= b;
      i += 2;
    } else {
      m |= nocase ? low(p[i]) == low(c) : p[i] == c;
    }
    ++i;
  }
  return neg ? !m : m;
}

bool Naive(const std::string& p, size_t i, const std::string& s, size_t j, bool nocase) {
  auto low = [](int x) { return (x >= 'A' && x <= 'Z') ? x + 32 : x; };
  if (s.empty() && j == 0) return p.empty();
  if (i == p.size()) return j == s.size();
  if (p[i] == '*') {
    for (size_t k = j; k <= s.size(); ++k) {
      if (Naive(p, i + 1, s, k, nocase)) return true;
    }
    return false;
  }
  if (j == s.size()) return false;
  size_t ni = i;
  bool ok;
  if (p[i] == '?') {
    ok = true;
  } else if (p[i] == '[') {
    ok = NaiveClass(p, ni, s[j], nocase);
  } else {
    if (p[i] == '\\' && i + 1 < p.size()) ++ni;
    ok = nocase ? low(p[ni]) == low(s[j]) : p[ni] == s[j];
  }
  return ok && Naive(p, ni + 1, s, j + 1, nocase);
}

TEST(GlobMatchTest, AgreesWithNaiveMatcherOnRandomInputs) {
  std::mt19937 rng(12345);
  const std::string pat_alpha = "ab*?[]^-\\A";
  const std::string str_alpha = "abAB-]^\\";
  for (int iter = 0; iter < 200000; ++iter) {
    std::string p, s;
    for (size_t n = rng() % 8; n > 0; --n) p += pat_alpha[rng() % pat_alpha.size()];
    for (size_t n = 1 + rng() % 6; n > 0; --n) s += str_alpha[rng() % str_alpha.size()];
    bool nocase = rng() % 2;
    ASSERT_EQ(GlobMatch(p, s, nocase), Naive(p, 0, s, 0, nocase))
        << "pattern '" << p << "' subject '" << s << "' nocase " << nocase;
  }
}

}  // namespace
}  // namespace aegisr
