// Tests for aegisr-bench's pieces: the RESP reply scanner, UringClient against a scripted local
// server, the latency histogram and the Zipf generator. Single-threaded except the fake server.

#include "net/client/uring_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cmd/bench/key_distribution.h"
#include "cmd/bench/latency_histogram.h"

namespace aegisr {
namespace {

using client::ReplyInfo;
using client::ScanReply;
using client::ScanResult;

// ---- ScanReply ------------------------------------------------------------------------------

struct Case {
  std::string reply;
  bool is_error;
};

const std::vector<Case>& WellFormedReplies() {
  static const std::vector<Case> kCases = {
      {"+OK\r\n", false},
      {"+\r\n", false},
      {"-ERR wrong number of arguments\r\n", true},
      {":0\r\n", false},
      {":-42\r\n", false},
      {"$5\r\nhello\r\n", false},
      {"$0\r\n\r\n", false},
      {"$-1\r\n", false},
      {"$4\r\na\r\nb\r\n", false},  // payload may hold CRLF
      {"*-1\r\n", false},
      {"*0\r\n", false},
      {"*3\r\n:1\r\n$1\r\na\r\n+b\r\n", false},
      {"*2\r\n*2\r\n:1\r\n:2\r\n*1\r\n*1\r\n$0\r\n\r\n", false},
      {"*1\r\n-ERR nested is not top-level\r\n", false},
      {"_\r\n", false},
      {",3.14\r\n", false},
      {",inf\r\n", false},
      {"#t\r\n", false},
      {"#f\r\n", false},
      {"(3492890328409238509324850943850943825024385\r\n", false},
      {"!21\r\nSYNTAX invalid syntax\r\n", true},
      {"=15\r\ntxt:Some string\r\n", false},
      {"%2\r\n+first\r\n:1\r\n+second\r\n*2\r\n:1\r\n:2\r\n", false},
      {"%0\r\n", false},
      {"~3\r\n+a\r\n+b\r\n+c\r\n", false},
      {">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n", false},
      {"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*1\r\n:2039123\r\n", false},
      {"|1\r\n+ttl\r\n:3600\r\n-ERR annotated error\r\n", true},
      {"|0\r\n:7\r\n", false},
      {"*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", false},  // attribute inside an aggregate
      {"$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n", false},
      {"*?\r\n:1\r\n*?\r\n+x\r\n.\r\n$1\r\nz\r\n.\r\n", false},
      {"%?\r\n+a\r\n:1\r\n.\r\n", false},
  };
  return kCases;
}

TEST(ScanReplyTest, EveryWellFormedReplyIsMeasuredExactly) {
  for (const Case& c : WellFormedReplies()) {
    // Followed by the start of the next reply, which must not be consumed.
    const std::string buf = c.reply + "+NEXT\r\n";
    ReplyInfo info;
    ASSERT_EQ(ScanReply(buf, &info), ScanResult::kComplete) << c.reply;
    EXPECT_EQ(info.length, c.reply.size()) << c.reply;
    EXPECT_EQ(info.is_error, c.is_error) << c.reply;
  }
}

TEST(ScanReplyTest, EveryProperPrefixIsIncomplete) {
  for (const Case& c : WellFormedReplies()) {
    for (size_t len = 0; len < c.reply.size(); ++len) {
      ReplyInfo info;
      EXPECT_EQ(ScanReply(std::string_view(c.reply.data(), len), &info), ScanResult::kIncomplete)
          << c.reply << " cut at " << len;
    }
  }
}

TEST(ScanReplyTest, MalformedRepliesAreRejected) {
  const std::vector<std::string> bad = {
      "?what\r\n",
      "$3\r\nabcd\r\n",
      ":12a\r\n",
      ":\r\n",
      "$-2\r\n",
      "*-2\r\n",
      "%-1\r\n",
      "#x\r\n",
      "#tt\r\n",
      "_x\r\n",
      "+a\rb\r\n",
      ".\r\n",
      "*1\r\n.\r\n",
      "$x\r\n",
      "!-1\r\n",
      "|?\r\n",
      "$?\r\nabc\r\n",
      "$?\r\n;-1\r\n",
      "=?\r\n",
      "$5\r\nhello!!",
      "*1\r\n$1\r\nab\r\n",
      "$99999999999999999999\r\n",
  };
  for (const std::string& b : bad) {
    ReplyInfo info;
    EXPECT_EQ(ScanReply(b, &info), ScanResult::kMalformed) << b;
  }
}

TEST(ScanReplyTest, NestingDepthIsBoundedWithoutAllocation) {
  std::string ok, too_deep;
  for (int i = 0; i < client::kMaxScanDepth; ++i) ok += "*1\r\n";
  ok += ":1\r\n";
  ReplyInfo info;
  ASSERT_EQ(ScanReply(ok, &info), ScanResult::kComplete);
  EXPECT_EQ(info.length, ok.size());
  too_deep = "*1\r\n" + ok;
  EXPECT_EQ(ScanReply(too_deep, &info), ScanResult::kMalformed);
}

TEST(ScanReplyTest, HugeBulkIsIncompleteUntilItAllArrives) {
  std::string header = "$1000000\r\n";
  ReplyInfo info;
  EXPECT_EQ(ScanReply(header + std::string(999999, 'v'), &info), ScanResult::kIncomplete);
  EXPECT_EQ(ScanReply(header + std::string(1000000, 'v') + "\r\n", &info), ScanResult::kComplete);
  EXPECT_EQ(info.length, header.size() + 1000002);
}

// ---- UringClient against a scripted server --------------------------------------------------

// Listens on an ephemeral loopback port; each accepted connection runs `serve(fd)` on its own
// thread, which then closes the fd.
class FakeServer {
 public:
  explicit FakeServer(std::function<void(int)> serve) : serve_(std::move(serve)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(listen_fd_, 64), 0);
    socklen_t len = sizeof(a);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] {
      while (true) {
        int fd = accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        handlers_.emplace_back([this, fd] {
          serve_(fd);
          close(fd);
        });
      }
    });
  }
  ~FakeServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    for (auto& t : handlers_) t.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
};

constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

// Reads whole PING requests and answers request k with `reply(k)`, written `chunk` bytes at a
// time. After `limit` requests it closes its sending side (the client sees EOF) and drains
// until the client hangs up; it also returns at EOF.
void ServePings(int fd, std::function<std::string(int)> reply, size_t chunk, int limit) {
  std::string in;
  char buf[4096];
  int k = 0;
  while (true) {
    if (k == limit) {
      shutdown(fd, SHUT_WR);
      while (read(fd, buf, sizeof(buf)) > 0) {
      }
      return;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    in.append(buf, n);
    std::string out;
    while (in.size() >= kPing.size() && k < limit) {
      EXPECT_EQ(in.substr(0, kPing.size()), kPing);
      in.erase(0, kPing.size());
      out += reply(k++);
    }
    for (size_t off = 0; off < out.size(); off += chunk) {
      const size_t len = std::min(chunk, out.size() - off);
      if (write(fd, out.data() + off, len) != static_cast<ssize_t>(len)) return;
    }
  }
}

class CountingSource : public client::RequestSource {
 public:
  explicit CountingSource(int per_conn) : per_conn_(per_conn) {}
  int Next(int conn, std::string& out) override {
    int& sent = sent_[conn];
    if (sent == per_conn_) return -1;
    out.append(kPing);
    return sent++ % 256;
  }
  void OnReply(int conn, uint8_t tag, uint64_t latency_ns, std::string_view reply,
               bool is_error) override {
    int& got = got_[conn];
    EXPECT_EQ(tag, got % 256) << "replies out of order";
    EXPECT_EQ(is_error, got % 3 == 0);
    if (want_) {
      EXPECT_EQ(reply, want_(got)) << "reply " << got;  // the whole reply's bytes
    }
    ++got;
  }
  void OnConnectionError(int conn, const Status& why, int lost) override {
    failures_[conn] = why.message();
    lost_ += lost;
  }
  int per_conn_;
  std::function<std::string(int)> want_;  // the bytes of reply k, when checked
  std::map<int, int> sent_, got_;
  std::map<int, std::string> failures_;
  int lost_ = 0;
};

std::string OkOrErr(int k) { return k % 3 == 0 ? "-ERR k\r\n" : "+OK\r\n"; }

TEST(UringClientTest, PipelinedRepliesArriveInOrderOnEveryConnection) {
  FakeServer server([](int fd) { ServePings(fd, OkOrErr, 1 << 20, 1 << 30); });
  client::UringClientOptions opts;
  opts.port = server.port();
  opts.connections = 3;
  opts.pipeline = 8;
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  CountingSource src(702);  // a multiple of 3, so the server's error pattern lines up again
  src.want_ = OkOrErr;
  ASSERT_TRUE(uc.Run(src).ok());
  for (int c = 0; c < 3; ++c) EXPECT_EQ(src.got_[c], 702);
  EXPECT_TRUE(src.failures_.empty());
  // A second Run reuses the connections.
  CountingSource again(5);
  ASSERT_TRUE(uc.Run(again).ok());
  EXPECT_EQ(again.got_[2], 5);
  EXPECT_EQ(uc.live_connections(), 3);
}

TEST(UringClientTest, RepliesSplitIntoSingleBytesAreReassembled) {
  FakeServer server([](int fd) { ServePings(fd, OkOrErr, 1, 1 << 30); });
  client::UringClientOptions opts;
  opts.port = server.port();
  opts.pipeline = 4;
  opts.recv_buffer_bytes = 1;  // raised to the minimum; grows if a reply needs it
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  CountingSource src(50);
  src.want_ = OkOrErr;
  ASSERT_TRUE(uc.Run(src).ok());
  EXPECT_EQ(src.got_[0], 50);
}

TEST(UringClientTest, ReplyLargerThanTheBufferGrowsIt) {
  const std::string big = "$100000\r\n" + std::string(100000, 'b') + "\r\n";
  FakeServer server([&](int fd) {
    ServePings(
        fd, [&](int k) { return k % 3 == 0 ? std::string("-ERR\r\n") : big; }, 4096, 10);
  });
  client::UringClientOptions opts;
  opts.port = server.port();
  opts.recv_buffer_bytes = 4096;
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  CountingSource src(10);
  src.want_ = [&](int k) { return k % 3 == 0 ? std::string("-ERR\r\n") : big; };
  ASSERT_TRUE(uc.Run(src).ok());
  EXPECT_EQ(src.got_[0], 10);
}

TEST(UringClientTest, ServerClosingMidRunFailsTheConnectionAndCountsLostRequests) {
  FakeServer server([](int fd) { ServePings(fd, OkOrErr, 1 << 20, 10); });
  client::UringClientOptions opts;
  opts.port = server.port();
  opts.connections = 2;
  opts.pipeline = 16;
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  CountingSource src(1000);
  const Status st = uc.Run(src);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("closed"), std::string::npos) << st.message();
  EXPECT_EQ(src.failures_.size(), 2u);
  EXPECT_EQ(src.got_[0], 10);
  EXPECT_GT(src.lost_, 0);
  EXPECT_EQ(uc.live_connections(), 0);
}

TEST(UringClientTest, MalformedReplyFailsTheConnection) {
  FakeServer server([](int fd) {
    ServePings(
        fd, [](int k) { return k == 2 ? std::string("?bogus\r\n") : "+OK\r\n"; }, 64, 1 << 30);
  });
  client::UringClientOptions opts;
  opts.port = server.port();
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  struct AllOk : CountingSource {
    using CountingSource::CountingSource;
    void OnReply(int conn, uint8_t, uint64_t, std::string_view, bool) override { ++got_[conn]; }
  } src(10);
  const Status st = uc.Run(src);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("malformed"), std::string::npos) << st.message();
  EXPECT_EQ(src.got_[0], 2);
}

TEST(UringClientTest, SilentServerHitsTheIdleTimeout) {
  FakeServer server([](int fd) {
    char buf[256];
    while (read(fd, buf, sizeof(buf)) > 0) {
    }
  });
  client::UringClientOptions opts;
  opts.port = server.port();
  opts.idle_timeout_ms = 300;
  client::UringClient uc(opts);
  ASSERT_TRUE(uc.Connect().ok());
  CountingSource src(3);
  const Status st = uc.Run(src);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("timed out"), std::string::npos) << st.message();
  EXPECT_EQ(src.lost_, 1);
}

TEST(UringClientTest, ConnectToAClosedPortFails) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  client::UringClientOptions opts;
  opts.port = ntohs(a.sin_port);  // bound, never listening: refused
  client::UringClient uc(opts);
  const Status st = uc.Connect();
  close(fd);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("refused"), std::string::npos) << st.message();
}

// ---- LatencyHistogram -----------------------------------------------------------------------

using bench::LatencyHistogram;

TEST(LatencyHistogramTest, BucketsTileTheValueRange) {
  for (uint64_t v = 0; v < (uint64_t{1} << 41); v = v < 1000 ? v + 1 : v + v / 7 + 1) {
    const int i = LatencyHistogram::Index(v);
    ASSERT_LE(LatencyHistogram::LowerBound(i), v);
    if (i + 1 < LatencyHistogram::kBuckets) {
      ASSERT_LT(v, LatencyHistogram::LowerBound(i + 1));
    }
  }
}

TEST(LatencyHistogramTest, PercentilesAreWithinBucketPrecision) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_NEAR(h.mean(), 50000500.0, 1.0);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double truth = q * 1e8;
    EXPECT_NEAR(static_cast<double>(h.Percentile(q)), truth, truth * 0.032) << q;
  }
  EXPECT_LE(h.Percentile(0.5), h.Percentile(0.99));
  EXPECT_LE(h.Percentile(0.99), h.Percentile(0.999));
  EXPECT_LE(h.Percentile(0.999), h.max());
  EXPECT_EQ(h.Percentile(1.0), h.max());
}

TEST(LatencyHistogramTest, EmptyReportsZeroAndOutliersKeepTheirMax) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0u);
  EXPECT_EQ(h.max(), 0u);
  h.Record(uint64_t{1} << 50);  // beyond the last bucket
  EXPECT_EQ(h.max(), uint64_t{1} << 50);
  EXPECT_EQ(h.Percentile(0.5), uint64_t{1} << 50);
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  bench::Rng rng(7);
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng.Below(10000000);
    (i % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.min(), all.min());
  for (double q : {0.1, 0.5, 0.99}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
}

// ---- ZipfGenerator --------------------------------------------------------------------------

TEST(ZipfGeneratorTest, FrequenciesFollowThePowerLaw) {
  for (double theta : {0.5, 0.99, 1.0, 1.5}) {
    const uint64_t n = 1000;
    bench::ZipfGenerator zipf(n, theta);
    bench::Rng rng(42);
    std::vector<uint64_t> counts(n);
    const int samples = 400000;
    for (int i = 0; i < samples; ++i) {
      const uint64_t r = zipf.Next(rng);
      ASSERT_LT(r, n);
      ++counts[r];
    }
    double norm = 0;
    for (uint64_t k = 1; k <= n; ++k) norm += std::pow(static_cast<double>(k), -theta);
    for (uint64_t k : {1, 2, 10}) {
      const double expected = samples * std::pow(static_cast<double>(k), -theta) / norm;
      EXPECT_NEAR(counts[k - 1], expected, 5 * std::sqrt(expected) + 0.01 * expected)
          << "theta " << theta << " rank " << k;
    }
  }
}

TEST(ZipfGeneratorTest, SameSeedSameSequenceAndOneItemIsAlwaysZero) {
  bench::ZipfGenerator zipf(uint64_t{10000000000}, 0.99);
  bench::Rng a(5), b(5), c(6);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = zipf.Next(a);
    ASSERT_EQ(x, zipf.Next(b));
    ASSERT_LT(x, uint64_t{10000000000});
    differs |= x != zipf.Next(c);
  }
  EXPECT_TRUE(differs);
  bench::ZipfGenerator one(1, 0.99);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(one.Next(a), 0u);
}

}  // namespace
}  // namespace aegisr
