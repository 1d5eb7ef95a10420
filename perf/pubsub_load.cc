// pubsub_load: PUBLISH fan-out against any RESP server (Aegisr or Redis), for
// perf/pubsub_compare.sh. S subscriber connections SUBSCRIBE one channel; one publisher
// connection sends M pipelined "PUBLISH ch <payload>" (a window of P in flight) whose payload
// starts with the send time (steady clock, ns) and a sequence number. Subscriber threads read
// their connections with epoll and check every message: the channel, the sequence (each
// subscriber must see 0, 1, 2, ... in order) and the payload length; the delivery latency is
// receive time minus the embedded send time. With --rate R the publisher paces itself to R
// PUBLISH per second (latency at a load both servers sustain, rather than queueing at saturation).
// Reports deliveries per second (S*M over the time from the first PUBLISH to the last delivery) and
// p50/p99 delivery latency; exits non-zero if a message was lost, reordered, malformed, or PUBLISH
// reported another receiver count.
//
// Standalone (POSIX sockets and the headers beside it, resp_client.h and load_harness.h; no project
// libraries), so that the client is the same program for both servers:
//   g++ -O2 -std=c++20 -pthread perf/pubsub_load.cc -o build/pubsub_load
//   build/pubsub_load --port 6379 --subscribers 100 --messages 20000 --window 32
// Threading: the publisher runs on the main thread; T reader threads own S/T subscribers each.

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "load_harness.h"
#include "resp_client.h"

namespace {

struct Options {
  int port = 6379;
  int subscribers = 1;
  uint64_t messages = 100000;
  int window = 32;
  int payload = 64;  // bytes, at least 40 (the header)
  int threads = 2;
  double rate = 0;  // PUBLISH per second, paced; 0: as fast as the window allows
  std::string channel = "psl:ch";
};

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Latency histogram: 1 us buckets to 10 ms, 100 us buckets to 10 s, then one overflow bucket.
constexpr size_t kFine = 10000;
constexpr size_t kBuckets = kFine + 99900 + 1;
size_t BucketOf(int64_t us) {
  if (us < 0) return 0;
  if (us < int64_t(kFine)) return size_t(us);
  return std::min(kBuckets - 1, kFine + size_t(us - int64_t(kFine)) / 100);
}
double BucketUs(size_t b) { return b < kFine ? double(b) : double(kFine + (b - kFine) * 100); }

struct Subscriber {
  explicit Subscriber(int port) : conn(port) {}
  resp::Conn conn;
  uint64_t next_seq = 0;
};

struct Reader {
  std::vector<Subscriber*> subs;
  std::vector<uint64_t> hist = std::vector<uint64_t>(kBuckets, 0);
  uint64_t received = 0;
  int64_t last_ns = 0;
  bool failed = false;
};

// Parses every complete message in s's buffer. Returns false on a malformed or out-of-order one.
bool Consume(const Options& o, Subscriber& s, Reader& r) {
  resp::RecvBuffer& in = s.conn.in();
  while (true) {
    std::string_view data = in.unread();
    if (data.empty()) break;
    if (data[0] != '*' && data[0] != '>') {  // RESP2 and RESP3 frames alike
      std::fprintf(stderr, "unexpected message type '%c'\n", data[0]);
      return false;
    }
    size_t p = 0;
    char type;
    int64_t n;
    if (!resp::ParseHeader(data, &p, &type, &n)) break;
    if (n != 3) {
      std::fprintf(stderr, "message of %lld elements\n", static_cast<long long>(n));
      return false;
    }
    std::string_view kind, ch, msg;
    if (!resp::ParseBulk(data, &p, &kind) || !resp::ParseBulk(data, &p, &ch) ||
        !resp::ParseBulk(data, &p, &msg)) {
      break;  // incomplete
    }
    int64_t now = NowNs();
    if (kind != "message" || ch != o.channel || msg.size() != size_t(o.payload)) {
      std::fprintf(stderr, "malformed message\n");
      return false;
    }
    int64_t sent = 0;  // the header: send time and sequence, 20 digits each
    uint64_t seq = 0;
    std::from_chars(msg.data(), msg.data() + 20, sent);
    std::from_chars(msg.data() + 20, msg.data() + 40, seq);
    if (seq != s.next_seq) {
      std::fprintf(stderr, "out of order: got %llu, expected %llu\n",
                   static_cast<unsigned long long>(seq),
                   static_cast<unsigned long long>(s.next_seq));
      return false;
    }
    ++s.next_seq;
    int64_t us = (now - sent) / 1000;
    r.hist[BucketOf(us)]++;
    ++r.received;
    r.last_ns = now;
    in.Skip(p);
  }
  return true;
}

void RunReader(const Options& o, Reader& r, uint64_t expected) {
  int ep = epoll_create1(0);
  for (size_t i = 0; i < r.subs.size(); ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, r.subs[i]->conn.fd(), &e);
  }
  std::vector<epoll_event> events(256);
  int64_t idle_since = NowNs();
  while (r.received < expected) {
    int n = epoll_wait(ep, events.data(), int(events.size()), 100);
    if (n <= 0) {
      if (NowNs() - idle_since > 10'000'000'000LL) {  // 10 s without a message: lost
        std::fprintf(stderr, "reader: %llu of %llu messages after 10 s idle\n",
                     static_cast<unsigned long long>(r.received),
                     static_cast<unsigned long long>(expected));
        r.failed = true;
        break;
      }
      continue;
    }
    idle_since = NowNs();
    for (int i = 0; i < n; ++i) {
      Subscriber& s = *r.subs[events[i].data.u64];
      ssize_t got = s.conn.in().Receive(s.conn.fd(), MSG_DONTWAIT);
      if (got <= 0) {
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        std::fprintf(stderr, "subscriber connection closed\n");
        r.failed = true;
        close(ep);
        return;
      }
      if (!Consume(o, s, r)) {
        r.failed = true;
        close(ep);
        return;
      }
    }
  }
  close(ep);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  load::ParseFlags(argc, argv,
                   {{"--port", &o.port},
                    {"--subscribers", &o.subscribers},
                    {"--messages", &o.messages},
                    {"--window", &o.window},
                    {"--payload", &o.payload},
                    {"--threads", &o.threads},
                    {"--rate", &o.rate}});
  o.payload = std::max(40, o.payload);
  o.threads = std::max(1, o.threads);
  o.threads = std::min(o.threads, o.subscribers);
  // Subscribe everyone and wait for each confirmation before publishing.
  std::vector<Subscriber> subs;
  subs.reserve(size_t(o.subscribers));
  std::string cmd;
  resp::AppendCommand(&cmd, {"SUBSCRIBE", o.channel});
  for (int i = 0; i < o.subscribers; ++i) {
    subs.emplace_back(o.port);
    subs.back().conn.Send(cmd);
  }
  for (Subscriber& s : subs) {
    resp::Reply r = s.conn.Read();
    resp::Expect(r.type == '*' && r.items.size() == 3 && r.items[2].text == "1", "SUBSCRIBE", r);
  }
  std::vector<Reader> readers(size_t(o.threads));
  for (size_t i = 0; i < subs.size(); ++i) readers[i % readers.size()].subs.push_back(&subs[i]);
  std::vector<std::thread> threads;
  for (Reader& r : readers) {
    uint64_t expected = r.subs.size() * o.messages;
    threads.emplace_back([&o, &r, expected] { RunReader(o, r, expected); });
  }

  resp::Conn pub(o.port);
  std::string out;
  uint64_t sent = 0, acked = 0;
  bool bad_count = false;
  std::string payload(size_t(o.payload), 'p');
  int64_t start = NowNs();
  while (acked < o.messages) {
    out.clear();
    while (sent < o.messages && sent - acked < uint64_t(o.window)) {
      if (o.rate > 0) {  // paced: message i leaves at start + i / rate
        int64_t due = start + int64_t(double(sent) * 1e9 / o.rate);
        if (NowNs() < due) {
          if (!out.empty()) break;  // send what is due, then wait
          std::this_thread::sleep_for(std::chrono::nanoseconds(due - NowNs()));
        }
      }
      std::snprintf(payload.data(), 41, "%020lld%020llu", static_cast<long long>(NowNs()),
                    static_cast<unsigned long long>(sent));
      if (payload.size() > 40) payload[40] = 'p';  // snprintf's NUL (the terminator if 40)
      resp::AppendCommand(&out, {"PUBLISH", o.channel, payload});
      ++sent;
    }
    if (!out.empty()) pub.Send(out);
    pub.Receive("publisher recv");
    std::string_view in = pub.in().unread();
    size_t in_pos = 0;
    int64_t v;
    while (resp::ParseInt(in, &in_pos, ':', &v)) {
      if (v != o.subscribers) bad_count = true;
      ++acked;
    }
    pub.in().Skip(in_pos);
  }
  for (std::thread& t : threads) t.join();
  int64_t end = start;
  uint64_t received = 0;
  std::vector<uint64_t> hist(kBuckets, 0);
  bool failed = false;
  for (Reader& r : readers) {
    end = std::max(end, r.last_ns);
    received += r.received;
    failed |= r.failed;
    for (size_t i = 0; i < kBuckets; ++i) hist[i] += r.hist[i];
  }
  auto percentile = [&](double q) {
    uint64_t want = uint64_t(q * double(received)), seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += hist[i];
      if (seen > want) return BucketUs(i);
    }
    return BucketUs(kBuckets - 1);
  };
  double secs = double(end - start) / 1e9;
  std::printf(
      "subscribers=%d messages=%llu deliveries=%llu seconds=%.3f deliveries_per_sec=%.0f "
      "p50_us=%.0f p99_us=%.0f\n",
      o.subscribers, static_cast<unsigned long long>(o.messages),
      static_cast<unsigned long long>(received), secs, double(received) / secs, percentile(0.5),
      percentile(0.99));
  if (bad_count)
    std::fprintf(stderr, "PUBLISH reported a receiver count other than %d\n", o.subscribers);
  if (failed || bad_count || received != uint64_t(o.subscribers) * o.messages) return 1;
  return 0;
}
