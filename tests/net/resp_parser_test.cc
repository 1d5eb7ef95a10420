// Tests for RespParser: pipelines, every split point, limits, inline quoting, each error path.
// Expected behaviour was taken from redis-server 7.0 (see docs/protocol.md).

#include "net/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/errors.h"

namespace aegisr {
namespace {

using namespace std::string_view_literals;
using Cmd = std::vector<std::string>;
using PR = RespParser::ParseResult;

// Feeds `input` to a parser the way a connection does, `chunk` bytes at a time (0 = all at
// once): append, parse until kNeedMore, drop consumed bytes. Returns the commands; *error gets
// the error text if parsing failed.
struct FeedResult {
  std::vector<Cmd> cmds;
  std::string error;
  size_t left = 0;  // bytes still buffered at the end
};

FeedResult Feed(std::string_view input, size_t chunk = 0, RespParser::Limits limits = {},
                bool auth_required = false) {
  RespParser parser(limits);
  parser.set_auth_required(auth_required);
  FeedResult out;
  std::string buf;
  size_t fed = 0;
  if (chunk == 0) chunk = input.size();
  while (fed < input.size()) {
    const size_t n = std::min(chunk, input.size() - fed);
    buf.append(input.substr(fed, n));
    fed += n;
    // Force the buffer to move, to catch stored pointers.
    buf.shrink_to_fit();
    for (;;) {
      size_t consumed = 12345;
      const PR r = parser.Parse(buf, &consumed);
      EXPECT_LE(consumed, buf.size());
      if (r == PR::kError) {
        out.error = std::string(parser.error());
        out.left = buf.size();
        return out;
      }
      if (r == PR::kNeedMore) {
        buf.erase(0, consumed);
        break;
      }
      EXPECT_GT(consumed, 0u);
      Cmd cmd;
      for (std::string_view a : parser.args()) {
        // Zero-copy: multibulk args point into buf.
        cmd.emplace_back(a);
      }
      EXPECT_FALSE(cmd.empty());
      out.cmds.push_back(std::move(cmd));
      buf.erase(0, consumed);
    }
  }
  out.left = buf.size();
  return out;
}

std::string Multibulk(const Cmd& cmd) {
  std::string s = "*" + std::to_string(cmd.size()) + "\r\n";
  for (const auto& a : cmd) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(RespParserTest, ParsesOneMultibulkCommand) {
  RespParser p;
  size_t consumed = 0;
  const std::string in = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
  ASSERT_EQ(p.Parse(in, &consumed), PR::kCommand);
  EXPECT_EQ(consumed, in.size());
  ASSERT_EQ(p.args().size(), 3u);
  EXPECT_EQ(p.args()[0], "SET");
  EXPECT_EQ(p.args()[1], "k");
  EXPECT_EQ(p.args()[2], "value");
  // Zero-copy: the arguments are slices of the input.
  EXPECT_EQ(p.args()[2].data(), in.data() + in.size() - 7);
}

TEST(RespParserTest, PipelineIsParsedOneCommandAtATime) {
  const std::string a = Multibulk({"GET", "a"});
  const std::string b = Multibulk({"SET", "b", std::string("x\0y\r\nz", 6)});
  const std::string in = a + b + "PING\r\n";
  RespParser p;
  size_t consumed = 0;
  ASSERT_EQ(p.Parse(in, &consumed), PR::kCommand);
  EXPECT_EQ(consumed, a.size());
  std::string_view rest(in);
  rest.remove_prefix(consumed);
  ASSERT_EQ(p.Parse(rest, &consumed), PR::kCommand);
  EXPECT_EQ(consumed, b.size());
  EXPECT_EQ(p.args()[2], std::string_view("x\0y\r\nz", 6));
  rest.remove_prefix(consumed);
  ASSERT_EQ(p.Parse(rest, &consumed), PR::kCommand);
  EXPECT_EQ(p.args()[0], "PING");
  rest.remove_prefix(consumed);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(p.Parse(rest, &consumed), PR::kNeedMore);
  EXPECT_EQ(consumed, 0u);
}

TEST(RespParserTest, EverySplitPointGivesTheSameCommands) {
  const std::string in = Multibulk({"SET", "key", "value"}) + "*0\r\n" +
                         Multibulk({"MSET", "a", "", "b", std::string(300, 'v')}) +
                         "INCR \"co\\x41nt\" 'it\\'s'\r\n" + "\r\n" + "*-1\r\n" +
                         Multibulk({"PING"}) + "ECHO hi\n";
  const std::vector<Cmd> want = {{"SET", "key", "value"},
                                 {"MSET", "a", "", "b", std::string(300, 'v')},
                                 {"INCR", "coAnt", "it's"},
                                 {"PING"},
                                 {"ECHO", "hi"}};
  // Byte by byte, and with two pieces split at every position.
  auto r = Feed(in, 1);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.cmds, want);
  EXPECT_EQ(r.left, 0u);
  for (size_t split = 0; split <= in.size(); ++split) {
    RespParser p;
    std::string buf = in.substr(0, split);
    std::vector<Cmd> got;
    size_t consumed;
    auto drain = [&] {
      for (;;) {
        PR res = p.Parse(buf, &consumed);
        ASSERT_NE(res, PR::kError) << "split " << split;
        if (res == PR::kNeedMore) {
          buf.erase(0, consumed);
          return;
        }
        got.emplace_back(p.args().begin(), p.args().end());
        buf.erase(0, consumed);
      }
    };
    drain();
    buf += in.substr(split);
    drain();
    EXPECT_EQ(got, want) << "split " << split;
  }
}

TEST(RespParserTest, ClosingQuoteMustBeFollowedBySpace) {
  EXPECT_EQ(Feed("ECHO \"ab\"c\r\n").error, errors::kProtoUnbalancedQuotes);
  EXPECT_EQ(Feed("ECHO 'ab'c\r\n").error, errors::kProtoUnbalancedQuotes);
  EXPECT_EQ(Feed("ECHO \"a\"\t\r\n").cmds, (std::vector<Cmd>{{"ECHO", "a"}}));
}

TEST(RespParserTest, EmptyCommandsAreSkippedWithoutReply) {
  auto r = Feed("*0\r\n*-1\r\n*-5\r\n\r\n\n  \t\r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.cmds, (std::vector<Cmd>{{"PING"}}));
}

TEST(RespParserTest, OnlyEmptyCommandsAreReportedConsumed) {
  RespParser p;
  size_t consumed = 99;
  EXPECT_EQ(p.Parse("*0\r\n\r\n", &consumed), PR::kNeedMore);
  EXPECT_EQ(consumed, 6u);
  // Not dropping them is fine too: they are skipped again.
  EXPECT_EQ(p.Parse("*0\r\n\r\nPING\r\n", &consumed), PR::kCommand);
  EXPECT_EQ(consumed, 12u);
  EXPECT_EQ(p.args()[0], "PING");
  // A partial command after empties: nothing may be dropped yet.
  EXPECT_EQ(p.Parse("*0\r\n*1\r\n$4\r\nPI", &consumed), PR::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(p.Parse("*0\r\n*1\r\n$4\r\nPING\r\n", &consumed), PR::kCommand);
  EXPECT_EQ(consumed, 18u);
}

TEST(RespParserTest, BareNewlineEndsInlineCommand) {
  EXPECT_EQ(Feed("PING\nPING\r\n").cmds, (std::vector<Cmd>{{"PING"}, {"PING"}}));
  // "\r\r\n": only one CR is stripped; the other is a separator.
  EXPECT_EQ(Feed("ECHO a\r\r\n").cmds, (std::vector<Cmd>{{"ECHO", "a"}}));
}

TEST(RespParserTest, InlineQuotingFollowsSdssplitargs) {
  auto one = [](std::string_view line) {
    auto r = Feed(line);
    EXPECT_EQ(r.error, "") << line;
    return r.cmds.size() == 1 ? r.cmds[0] : Cmd{};
  };
  EXPECT_EQ(one("SET k \"a b\\x41\\n\"\r\n"), (Cmd{"SET", "k", "a bA\n"}));
  EXPECT_EQ(one("ECHO 'c\\'d'\r\n"), (Cmd{"ECHO", "c'd"}));
  EXPECT_EQ(one("ECHO 'a\\nb'\r\n"), (Cmd{"ECHO", "a\\nb"}));
  EXPECT_EQ(one("ECHO \"\\x4g\"\r\n"), (Cmd{"ECHO", "x4g"}));
  EXPECT_EQ(one("ECHO \"\\q\\\\\"\r\n"), (Cmd{"ECHO", "q\\"}));
  EXPECT_EQ(one("ECHO ''\r\n"), (Cmd{"ECHO", ""}));
  EXPECT_EQ(one("ECHO a\"b c\"\r\n"), (Cmd{"ECHO", "ab c"}));
  EXPECT_EQ(one("ECHO a\\\r\n"), (Cmd{"ECHO", "a\\"}));
  // \v is a blank between tokens but not a token terminator.
  EXPECT_EQ(one("\vECHO\v x\r\n"), (Cmd{"ECHO\v", "x"}));
  EXPECT_EQ(one("  GET   k  \r\n"), (Cmd{"GET", "k"}));
  EXPECT_EQ(one("ECHO \"\\r\\t\\b\\a\"\r\n"), (Cmd{"ECHO", "\r\t\b\a"}));
}

TEST(RespParserTest, UnbalancedQuotesIsAnError) {
  EXPECT_EQ(Feed("ECHO \"abc\r\n").error, errors::kProtoUnbalancedQuotes);
  EXPECT_EQ(Feed("ECHO 'abc\r\n").error, errors::kProtoUnbalancedQuotes);
  EXPECT_EQ(Feed("ECHO \"a\\\"\r\n").error, errors::kProtoUnbalancedQuotes);
  EXPECT_EQ(Feed("ECHO \"\"x\r\n").error, errors::kProtoUnbalancedQuotes);
}

TEST(RespParserTest, MultibulkCountLimits) {
  // INT_MAX is accepted (and waits for the arguments), INT_MAX + 1 is not.
  auto r = Feed("*2147483647\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_TRUE(r.cmds.empty());
  EXPECT_EQ(Feed("*2147483648\r\n").error, errors::kProtoInvalidMultibulk);
  for (const char* bad : {"*abc\r\n", "*+1\r\n", "*01\r\n", "*-0\r\n", "*\r\n", "* 1\r\n",
                          "*1 \r\n", "*99999999999999999999\r\n"}) {
    EXPECT_EQ(Feed(bad).error, errors::kProtoInvalidMultibulk) << bad;
  }
}

TEST(RespParserTest, BulkLengthLimits) {
  RespParser::Limits lim;
  auto at_limit = Feed("*1\r\n$536870912\r\n", 0, lim);
  EXPECT_EQ(at_limit.error, "");
  EXPECT_EQ(Feed("*1\r\n$536870913\r\n", 0, lim).error, errors::kProtoInvalidBulk);
  EXPECT_EQ(Feed("*1\r\n$-1\r\n").error, errors::kProtoInvalidBulk);
  EXPECT_EQ(Feed("*1\r\n$abc\r\n").error, errors::kProtoInvalidBulk);
  EXPECT_EQ(Feed("*1\r\n$\r\n").error, errors::kProtoInvalidBulk);
  EXPECT_EQ(Feed("*1\r\n$01\r\nx\r\n").error, errors::kProtoInvalidBulk);
  lim.max_bulk_len = 4;
  EXPECT_EQ(Feed("*1\r\n$4\r\nPING\r\n", 0, lim).cmds.size(), 1u);
  EXPECT_EQ(Feed("*1\r\n$5\r\nPINGS\r\n", 0, lim).error, errors::kProtoInvalidBulk);
}

TEST(RespParserTest, ExpectedDollarErrorNamesTheByte) {
  EXPECT_EQ(Feed("*1\r\nx4\r\nPING\r\n").error, "ERR Protocol error: expected '$', got 'x'");
  // CR and LF are shown as spaces, as Redis's addReplyErrorFormat does.
  EXPECT_EQ(Feed("*1\r\n\r\nx").error, "ERR Protocol error: expected '$', got ' '");
  EXPECT_EQ(Feed("*1\r\n\n\rx").error, "ERR Protocol error: expected '$', got ' '");
  EXPECT_EQ(Feed("*1\r\n\x01\rx").error, "ERR Protocol error: expected '$', got '\x01'");
  // No error before the line is complete.
  EXPECT_EQ(Feed("*1\r\nx4").error, "");
}

TEST(RespParserTest, TooLongLinesWithoutEndFail) {
  const std::string k64(64 * 1024, 'a');
  EXPECT_EQ(Feed(k64).error, "");
  EXPECT_EQ(Feed(k64 + "a").error, errors::kProtoBigInline);
  EXPECT_EQ(Feed(k64 + "a", 1000).error, errors::kProtoBigInline);
  const std::string d64(64 * 1024 - 1, '1');
  EXPECT_EQ(Feed("*" + d64).error, "");
  EXPECT_EQ(Feed("*" + d64 + "1").error, errors::kProtoBigMbulk);
  EXPECT_EQ(Feed("*1\r\n$" + d64).error, "");
  EXPECT_EQ(Feed("*1\r\n$" + d64 + "1", 777).error, errors::kProtoBigBulk);
  // A long line that does end is parsed normally.
  auto r = Feed("ECHO " + k64 + k64 + "\r\n");
  EXPECT_EQ(r.error, "");
  ASSERT_EQ(r.cmds.size(), 1u);
  EXPECT_EQ(r.cmds[0][1].size(), 2 * k64.size());
}

TEST(RespParserTest, NulBeforeLineEndHidesTheLine) {
  // Redis searches lines with strchr: the line never completes.
  for (std::string_view in :
       {"ECHO a\0b\r\n"sv, "*1\0\r\n$4\r\nPING\r\n"sv, "*1\r\n$4\0\r\nPING\r\n"sv,
        "*1\r\n\0$4\r\nPING\r\n"sv, "\0\r\nPING\r\n"sv}) {
    auto r = Feed(in);
    EXPECT_EQ(r.error, "");
    EXPECT_TRUE(r.cmds.empty());
    EXPECT_EQ(r.left, in.size());
  }
  // ...and turns into "too big" past 64 KB.
  std::string big = std::string("ECHO a\0b\r\n", 10) + std::string(64 * 1024, 'x');
  EXPECT_EQ(Feed(big).error, errors::kProtoBigInline);
  // NUL inside a bulk is plain data.
  auto r = Feed(std::string("*1\r\n$3\r\na\0b\r\n", 13));
  ASSERT_EQ(r.cmds.size(), 1u);
  EXPECT_EQ(r.cmds[0][0], std::string_view("a\0b", 3));
}

TEST(RespParserTest, BytesAfterCrAndAfterBulkAreNotChecked) {
  // Redis skips the byte after '\r' and the two bytes after bulk data without looking.
  EXPECT_EQ(Feed("*1\rX$4\r\nPING\r\n").cmds, (std::vector<Cmd>{{"PING"}}));
  EXPECT_EQ(Feed("*1\r\n$4\rXPING\r\n").cmds, (std::vector<Cmd>{{"PING"}}));
  EXPECT_EQ(Feed("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n").cmds,
            (std::vector<Cmd>{{"PING"}, {"PING"}}));
}

TEST(RespParserTest, UnauthenticatedClientsHaveSmallLimits) {
  EXPECT_EQ(Feed("*10\r\n", 0, {}, true).error, "");
  EXPECT_EQ(Feed("*11\r\n", 0, {}, true).error,
            "ERR Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(Feed("*1\r\n$16384\r\n", 0, {}, true).error, "");
  EXPECT_EQ(Feed("*1\r\n$16385\r\n", 0, {}, true).error,
            "ERR Protocol error: unauthenticated bulk length");
  // Inline commands are not limited.
  EXPECT_EQ(Feed("a b c d e f g h i j k l m n\r\n", 0, {}, true).cmds[0].size(), 14u);
}

TEST(RespParserTest, ErrorIsSticky) {
  RespParser p;
  size_t consumed;
  EXPECT_EQ(p.Parse("*x\r\n", &consumed), PR::kError);
  EXPECT_EQ(p.Parse("PING\r\n", &consumed), PR::kError);
  p.Reset();
  EXPECT_EQ(p.Parse("PING\r\n", &consumed), PR::kCommand);
}

TEST(RespParserTest, BigBulkInPiecesHintsAndIsLinear) {
  const size_t len = 8 << 20;
  std::string head = "*2\r\n$3\r\nSET\r\n$" + std::to_string(len) + "\r\n";
  RespParser p;
  std::string buf = head;
  size_t consumed;
  ASSERT_EQ(p.Parse(buf, &consumed), PR::kNeedMore);
  EXPECT_EQ(p.bytes_needed_hint(), len + 2);
  buf.append(len / 2, 'v');
  ASSERT_EQ(p.Parse(buf, &consumed), PR::kNeedMore);
  EXPECT_EQ(p.bytes_needed_hint(), len / 2 + 2);
  // 16 KB pieces: each call resumes, so this loop is fast.
  while (buf.size() < head.size() + len) {
    buf.append(16 * 1024, 'v');
    ASSERT_EQ(p.Parse(buf, &consumed), PR::kNeedMore);
  }
  buf.append("\r\n");
  ASSERT_EQ(p.Parse(buf, &consumed), PR::kCommand);
  EXPECT_EQ(consumed, buf.size());
  EXPECT_EQ(p.args()[1].size(), len);
}

TEST(RespParserTest, MillionArgumentsArriveInPieces) {
  const size_t n = 1'000'000;
  std::string in = "*" + std::to_string(n) + "\r\n";
  for (size_t i = 0; i < n; ++i) in += "$1\r\nx\r\n";
  RespParser p;
  std::string buf;
  size_t consumed;
  for (size_t off = 0; off < in.size(); off += 16 * 1024) {
    buf.append(in, off, 16 * 1024);
    PR r = p.Parse(buf, &consumed);
    if (buf.size() < in.size()) {
      ASSERT_EQ(r, PR::kNeedMore);
    } else {
      ASSERT_EQ(r, PR::kCommand);
    }
  }
  EXPECT_EQ(p.args().size(), n);
  EXPECT_EQ(consumed, in.size());
}

TEST(RespParserTest, OverLimitCountsBytesPastLastParsedElement) {
  RespParser::Limits lim;
  lim.max_query_buffer = 100;
  RespParser p(lim);
  EXPECT_FALSE(p.OverLimit(100));
  EXPECT_TRUE(p.OverLimit(101));
  std::string buf = "*2\r\n$2\r\nab\r\n$500\r\n";
  size_t consumed;
  ASSERT_EQ(p.Parse(buf, &consumed), PR::kNeedMore);
  // The parsed prefix no longer counts, as in Redis where it left the query buffer.
  EXPECT_FALSE(p.OverLimit(buf.size() + 100));
  EXPECT_TRUE(p.OverLimit(buf.size() + 101));
}

TEST(RespParserTest, ArgumentsSurviveBufferMove) {
  RespParser p;
  std::string buf = "*2\r\n$4\r\nECHO\r\n$5\r\nhel";
  size_t consumed;
  ASSERT_EQ(p.Parse(buf, &consumed), PR::kNeedMore);
  std::string moved = buf + "lo\r\n";  // a different allocation
  buf.assign(buf.size(), '#');         // scribble over the old one
  ASSERT_EQ(p.Parse(moved, &consumed), PR::kCommand);
  EXPECT_EQ(p.args()[1], "hello");
  EXPECT_EQ(p.args()[1].data(), moved.data() + moved.size() - 7);
}

}  // namespace
}  // namespace aegisr
