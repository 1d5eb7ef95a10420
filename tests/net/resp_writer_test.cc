// Tests for RespWriter: every element in RESP2 and RESP3, byte for byte (expected bytes taken
// from redis-server 7.0 replies), and the buffer operations.

#include "net/resp_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace aegisr {
namespace {

// Writes with `fn` in protocol `proto` and returns the bytes.
template <typename Fn>
std::string Out(int proto, Fn fn) {
  RespWriter w(proto);
  fn(w);
  return std::string(w.view());
}

TEST(RespWriterTest, SameInBothProtocols) {
  for (int proto : {2, 3}) {
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.SimpleString("OK"); }), "+OK\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Error("ERR syntax error"); }),
              "-ERR syntax error\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Integer(0); }), ":0\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Integer(-42); }), ":-42\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
              ":-9223372036854775808\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); }),
              ":9223372036854775807\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Bulk("hello"); }), "$5\r\nhello\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Bulk(std::string_view("a\0\r\n", 4)); }),
              std::string("$4\r\na\0\r\n\r\n", 10));
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.ArrayHeader(3); }), "*3\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Raw("+PONG\r\n"); }), "+PONG\r\n");
    EXPECT_EQ(Out(proto, [](RespWriter& w) { w.Ok(); }), "+OK\r\n");
  }
}

TEST(RespWriterTest, NullsDependOnProtocol) {
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Null(); }), "_\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.NullArray(); }), "_\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.BulkOrNull(nullptr); }), "$-1\r\n");
}

TEST(RespWriterTest, AggregateHeadersDependOnProtocol) {
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.SetHeader(5); }), "*5\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.SetHeader(5); }), "~5\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.PushHeader(3); }), ">3\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.MapHeader(0); }), "%0\r\n");
}

TEST(RespWriterTest, DoubleMatchesAddReplyDouble) {
  // As redis-server 7.0 answers ZSCORE for 0.1, inf and -inf.
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(0.1); }), ",0.10000000000000001\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Double(0.1); }), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(INFINITY); }), ",inf\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(-INFINITY); }), ",-inf\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Double(INFINITY); }), "$3\r\ninf\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Double(-INFINITY); }), "$4\r\n-inf\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(NAN); }), ",nan\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Double(3); }), "$1\r\n3\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(-0.0); }), ",-0\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Double(1e300); }), ",1.0000000000000001e+300\r\n");
}

TEST(RespWriterTest, DoubleTextEqualsPrintfForRandomValues) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (std::isinf(d)) continue;
    char want[64];
    std::snprintf(want, sizeof(want), "%.17g", d);
    const std::string got = Out(3, [d](RespWriter& w) { w.Double(d); });
    ASSERT_EQ(got, std::string(",") + want + "\r\n") << bits;
  }
}

TEST(RespWriterTest, BoolAndVerbatimDependOnProtocol) {
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Bool(true); }), "#t\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Bool(false); }), "#f\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Bool(false); }), ":0\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Verbatim("txt", "Some string"); }),
            "=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Verbatim("txt", "Some string"); }),
            "$11\r\nSome string\r\n");
  EXPECT_EQ(Out(3, [](RespWriter& w) { w.Verbatim("txt", ""); }), "=4\r\ntxt:\r\n");
}

TEST(RespWriterTest, LineBreaksInStatusAndErrorBecomeSpaces) {
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.Error("ERR a\r\nb"); }), "-ERR a  b\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.SimpleString("x\ny"); }), "+x y\r\n");
  EXPECT_EQ(Out(2, [](RespWriter& w) { w.SimpleString(""); }), "+\r\n");
}

TEST(RespWriterTest, ProtocolSwitchAppliesToLaterReplies) {
  RespWriter w;
  EXPECT_EQ(w.protocol(), 2);
  w.Null();
  w.SetProtocol(3);
  EXPECT_EQ(w.protocol(), 3);
  w.Null();
  w.set_protocol(2);
  w.Bool(true);
  EXPECT_EQ(w.view(), "$-1\r\n_\r\n:1\r\n");
}

TEST(RespWriterTest, RepliesAccumulateAndConsumeDropsTheSentPrefix) {
  RespWriter w(3);
  w.MapHeader(1);
  w.Bulk("k");
  w.Integer(7);
  EXPECT_EQ(w.view(), "%1\r\n$1\r\nk\r\n:7\r\n");
  EXPECT_EQ(w.size(), 15u);
  w.consume(4);
  EXPECT_EQ(w.view(), "$1\r\nk\r\n:7\r\n");
  EXPECT_EQ(std::string(w.data(), w.size()), "$1\r\nk\r\n:7\r\n");
  w.consume(w.size());
  EXPECT_TRUE(w.empty());
  w.Integer(1);
  EXPECT_EQ(w.buffer(), ":1\r\n");
  w.clear();
  EXPECT_TRUE(w.empty());
}

TEST(RespWriterTest, ShrinkIfIdleReleasesOnlyWhenEmpty) {
  RespWriter w;
  w.Bulk(std::string(1 << 20, 'x'));
  w.ShrinkIfIdle();
  EXPECT_GT(w.buffer().capacity(), 1u << 20);  // still pending: kept
  w.clear();
  w.ShrinkIfIdle();
  EXPECT_LT(w.buffer().capacity(), 64u * 1024);
}

TEST(RespWriterTest, BufferCanBeSwappedOut) {
  RespWriter w;
  w.Integer(5);
  std::string sending;
  sending.swap(w.buffer());
  EXPECT_EQ(sending, ":5\r\n");
  EXPECT_TRUE(w.empty());
  w.Bulk("a");
  EXPECT_EQ(w.view(), "$1\r\na\r\n");
}

}  // namespace
}  // namespace aegisr
