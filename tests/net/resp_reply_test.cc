// Tests of the client-side RESP2/RESP3 reply parser: every type, partial input at every split
// point, and malformed input (an error, never a crash). Single-threaded.

#include "net/client/resp_reply.h"

#include <gtest/gtest.h>

#include <string>

namespace aegisr::client {
namespace {

struct Parsed {
  ParseStatus status;
  Reply reply;
  size_t consumed = 0;
  std::string error;
};

Parsed Parse(std::string_view in) {
  Parsed p;
  p.status = ReplyParser().Parse(in, &p.consumed, &p.reply, &p.error);
  return p;
}

Reply ParseOk(std::string_view in) {
  Parsed p = Parse(in);
  EXPECT_EQ(p.status, ParseStatus::kOk) << in << " error: " << p.error;
  EXPECT_EQ(p.consumed, in.size()) << in;
  return p.reply;
}

TEST(RespReplyTest, SimpleStringErrorAndInteger) {
  Reply r = ParseOk("+OK\r\n");
  EXPECT_EQ(r.type, ReplyType::kSimpleString);
  EXPECT_EQ(r.str, "OK");
  r = ParseOk("-ERR bad thing\r\n");
  EXPECT_EQ(r.type, ReplyType::kError);
  EXPECT_EQ(r.str, "ERR bad thing");
  r = ParseOk(":-9223372036854775808\r\n");
  EXPECT_EQ(r.type, ReplyType::kInteger);
  EXPECT_EQ(r.integer, INT64_MIN);
  r = ParseOk(":9223372036854775807\r\n");
  EXPECT_EQ(r.integer, INT64_MAX);
}

TEST(RespReplyTest, BulkStringsKeepBinaryBytes) {
  std::string body("a\0b\r\nc", 6);
  Reply r = ParseOk("$6\r\n" + body + "\r\n");
  EXPECT_EQ(r.type, ReplyType::kBulk);
  EXPECT_EQ(r.str, body);
  r = ParseOk("$0\r\n\r\n");
  EXPECT_EQ(r.type, ReplyType::kBulk);
  EXPECT_EQ(r.str, "");
}

TEST(RespReplyTest, NullsOfBothProtocolsAreNull) {
  EXPECT_EQ(ParseOk("$-1\r\n").type, ReplyType::kNull);
  EXPECT_EQ(ParseOk("*-1\r\n").type, ReplyType::kNull);
  EXPECT_EQ(ParseOk("_\r\n").type, ReplyType::kNull);
}

TEST(RespReplyTest, NestedArraysKeepOrder) {
  Reply r = ParseOk("*3\r\n:1\r\n*2\r\n$1\r\na\r\n*0\r\n$-1\r\n");
  ASSERT_EQ(r.type, ReplyType::kArray);
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].integer, 1);
  ASSERT_EQ(r.elements[1].type, ReplyType::kArray);
  ASSERT_EQ(r.elements[1].elements.size(), 2u);
  EXPECT_EQ(r.elements[1].elements[0].str, "a");
  EXPECT_EQ(r.elements[1].elements[1].type, ReplyType::kArray);
  EXPECT_TRUE(r.elements[1].elements[1].elements.empty());
  EXPECT_EQ(r.elements[2].type, ReplyType::kNull);
}

TEST(RespReplyTest, Resp3AggregatesMapSetPush) {
  Reply m = ParseOk("%2\r\n+a\r\n:1\r\n+b\r\n#f\r\n");
  ASSERT_EQ(m.type, ReplyType::kMap);
  ASSERT_EQ(m.elements.size(), 4u);  // flattened pairs
  EXPECT_EQ(m.elements[0].str, "a");
  EXPECT_EQ(m.elements[1].integer, 1);
  EXPECT_EQ(m.elements[3].type, ReplyType::kBool);
  EXPECT_EQ(m.elements[3].integer, 0);
  Reply s = ParseOk("~2\r\n+x\r\n+y\r\n");
  EXPECT_EQ(s.type, ReplyType::kSet);
  EXPECT_EQ(s.elements.size(), 2u);
  Reply p = ParseOk(">2\r\n$7\r\nmessage\r\n:42\r\n");
  EXPECT_EQ(p.type, ReplyType::kPush);
  EXPECT_EQ(p.elements[0].str, "message");
  EXPECT_EQ(ParseOk("%0\r\n").elements.size(), 0u);
}

TEST(RespReplyTest, Resp3Scalars) {
  Reply d = ParseOk(",3.141\r\n");
  EXPECT_EQ(d.type, ReplyType::kDouble);
  EXPECT_EQ(d.str, "3.141");
  EXPECT_EQ(ParseOk(",-inf\r\n").str, "-inf");
  Reply t = ParseOk("#t\r\n");
  EXPECT_EQ(t.type, ReplyType::kBool);
  EXPECT_EQ(t.integer, 1);
  Reply b = ParseOk("(-3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(b.type, ReplyType::kBigNumber);
  EXPECT_EQ(b.str, "-3492890328409238509324850943850943825024385");
  Reply v = ParseOk("=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(v.type, ReplyType::kVerbatim);
  EXPECT_EQ(v.format, "txt");
  EXPECT_EQ(v.str, "Some string");
  Reply e = ParseOk("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_EQ(e.type, ReplyType::kError);
  EXPECT_EQ(e.str, "SYNTAX invalid syntax");
}

TEST(RespReplyTest, AttributeAnnotatesTheFollowingReply) {
  Reply r = ParseOk("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2\r\n");
  ASSERT_EQ(r.type, ReplyType::kArray);
  ASSERT_EQ(r.elements.size(), 1u);
  EXPECT_EQ(r.elements[0].integer, 2);
  ASSERT_NE(r.attribute, nullptr);
  EXPECT_EQ(r.attribute->type, ReplyType::kAttribute);
  ASSERT_EQ(r.attribute->elements.size(), 2u);
  EXPECT_EQ(r.attribute->elements[0].str, "key-popularity");
  EXPECT_EQ(r.attribute->elements[1].type, ReplyType::kMap);
  // Inside an aggregate too.
  Reply nested = ParseOk("*2\r\n|1\r\n+a\r\n+b\r\n:5\r\n:6\r\n");
  ASSERT_EQ(nested.elements.size(), 2u);
  EXPECT_EQ(nested.elements[0].integer, 5);
  ASSERT_NE(nested.elements[0].attribute, nullptr);
  EXPECT_EQ(nested.elements[1].attribute, nullptr);
}

TEST(RespReplyTest, ConsumesExactlyOneReplyOfAPipeline) {
  Parsed p = Parse("+OK\r\n:5\r\n");
  ASSERT_EQ(p.status, ParseStatus::kOk);
  EXPECT_EQ(p.consumed, 5u);
  EXPECT_EQ(p.reply.str, "OK");
}

TEST(RespReplyTest, EveryStrictPrefixIsIncomplete) {
  const std::string inputs[] = {
      "+OK\r\n",
      "$5\r\nhello\r\n",
      "*3\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n%1\r\n+k\r\n,1.5\r\n",
      "|1\r\n+a\r\n+b\r\n~1\r\n#t\r\n",
      "=8\r\ntxt:abcd\r\n",
      ">1\r\n(123\r\n",
      "!3\r\nERR\r\n",
  };
  for (const std::string& in : inputs) {
    for (size_t n = 0; n < in.size(); ++n) {
      Parsed p = Parse(std::string_view(in).substr(0, n));
      EXPECT_EQ(p.status, ParseStatus::kIncomplete) << "prefix " << n << " of " << in;
    }
    EXPECT_EQ(Parse(in).status, ParseStatus::kOk) << in;
  }
}

TEST(RespReplyTest, MalformedInputIsAnErrorNotACrash) {
  const char* bad[] = {
      "?what\r\n",                  // unknown type byte
      ":12a\r\n",                   // bad integer
      ":\r\n",                      // empty integer
      ":99999999999999999999\r\n",  // overflow
      "$abc\r\n",                   // bad length
      "$-2\r\n",                    // negative length
      "$3\r\nabcd\r\n",             // body longer than declared
      "*-5\r\n",                    // negative count
      "%-1\r\n",                    // RESP3 maps have no null form
      "#x\r\n",                     // bad bool
      "_x\r\n",                     // bad null
      "=2\r\nab\r\n",               // verbatim without a format
      "=6\r\ntxtabc\r\n",           // verbatim without the colon
      "(12x\r\n",                   // bad big number
      ",\r\n",                      // empty double
      "*2\r\n:1\r\n?\r\n",          // bad element inside an aggregate
      "$99999999999999999999\r\n",
  };
  for (const char* in : bad) {
    Parsed p = Parse(in);
    EXPECT_EQ(p.status, ParseStatus::kError) << in;
    EXPECT_FALSE(p.error.empty()) << in;
  }
  EXPECT_EQ(Parse("!\r\n").status, ParseStatus::kError);
  EXPECT_EQ(Parse("?").error, "Protocol error, got \"?\" as reply type byte");
}

TEST(RespReplyTest, LengthLineWithoutCrlfFailsFast) {
  EXPECT_EQ(Parse("$" + std::string(40, '1')).status, ParseStatus::kError);
  EXPECT_EQ(Parse("*" + std::string(40, '9')).status, ParseStatus::kError);
  // A long simple string is legitimately still arriving.
  EXPECT_EQ(Parse("+" + std::string(1000, 'x')).status, ParseStatus::kIncomplete);
}

TEST(RespReplyTest, HugeDeclaredCountDoesNotAllocateOrCrash) {
  EXPECT_EQ(Parse("*4000000000\r\n:1\r\n").status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse("$4000000000\r\nabc").status, ParseStatus::kIncomplete);
  EXPECT_EQ(Parse("$9000000000\r\n").status, ParseStatus::kError);  // over the bulk limit
}

TEST(RespReplyTest, DeepNestingIsRejected) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  Parsed p = Parse(deep);
  EXPECT_EQ(p.status, ParseStatus::kError);
  // Within the limit is fine.
  std::string ok;
  for (int i = 0; i < 100; ++i) ok += "*1\r\n";
  ok += ":1\r\n";
  EXPECT_EQ(Parse(ok).status, ParseStatus::kOk);
}

}  // namespace
}  // namespace aegisr::client
