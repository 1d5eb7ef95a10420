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
// Standalone (POSIX sockets, no project libraries), so that the client is the same program for
// both servers:
//   g++ -O2 -std=c++20 -pthread perf/pubsub_load.cc -o build/pubsub_load
//   build/pubsub_load --port 6379 --subscribers 100 --messages 20000 --window 32
// Threading: the publisher runs on the main thread; T reader threads own S/T subscribers each.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

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

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(2);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  *out += '*';
  *out += std::to_string(args.size());
  *out += "\r\n";
  for (std::string_view a : args) {
    *out += '$';
    *out += std::to_string(a.size());
    *out += "\r\n";
    out->append(a);
    *out += "\r\n";
  }
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) < 0) Die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("send");
    }
    data.remove_prefix(size_t(n));
  }
}

// Reads one line "<prefix><integer>\r\n" at *pos of buf; false if incomplete.
bool ReadLineInt(const std::string& buf, size_t* pos, char prefix, int64_t* v) {
  size_t end = buf.find("\r\n", *pos);
  if (end == std::string::npos) return false;
  if (buf[*pos] != prefix) {
    std::fprintf(stderr, "unexpected reply byte '%c' (wanted '%c')\n", buf[*pos], prefix);
    std::exit(3);
  }
  *v = std::strtoll(buf.c_str() + *pos + 1, nullptr, 10);
  *pos = end + 2;
  return true;
}

// A bulk string at *pos: sets *s; false if incomplete.
bool ReadBulk(const std::string& buf, size_t* pos, std::string_view* s) {
  size_t p = *pos;
  int64_t len;
  if (!ReadLineInt(buf, &p, '$', &len)) return false;
  if (buf.size() < p + size_t(len) + 2) return false;
  *s = std::string_view(buf).substr(p, size_t(len));
  *pos = p + size_t(len) + 2;
  return true;
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
  int fd = -1;
  std::string buf;
  size_t pos = 0;
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
  while (true) {
    size_t p = s.pos;
    int64_t n;
    if (p >= s.buf.size()) break;
    char t = s.buf[p];
    if (t != '*' && t != '>') {
      std::fprintf(stderr, "unexpected message type '%c'\n", t);
      return false;
    }
    s.buf[p] = '*';  // RESP2 and RESP3 frames alike
    if (!ReadLineInt(s.buf, &p, '*', &n)) {
      s.buf[s.pos] = t;
      break;
    }
    s.buf[s.pos] = t;
    std::string_view kind, ch, msg;
    if (n != 3 || !ReadBulk(s.buf, &p, &kind) || !ReadBulk(s.buf, &p, &ch) ||
        !ReadBulk(s.buf, &p, &msg)) {
      if (n != 3) {
        std::fprintf(stderr, "message of %lld elements\n", static_cast<long long>(n));
        return false;
      }
      break;  // incomplete
    }
    int64_t now = NowNs();
    if (kind != "message" || ch != o.channel || msg.size() != size_t(o.payload)) {
      std::fprintf(stderr, "malformed message\n");
      return false;
    }
    int64_t sent = std::strtoll(std::string(msg.substr(0, 20)).c_str(), nullptr, 10);
    uint64_t seq = std::strtoull(std::string(msg.substr(20, 20)).c_str(), nullptr, 10);
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
    s.pos = p;
  }
  if (s.pos > 0 && s.pos == s.buf.size()) {
    s.buf.clear();
    s.pos = 0;
  } else if (s.pos > (1 << 20)) {
    s.buf.erase(0, s.pos);
    s.pos = 0;
  }
  return true;
}

void RunReader(const Options& o, Reader& r, uint64_t expected) {
  int ep = epoll_create1(0);
  for (size_t i = 0; i < r.subs.size(); ++i) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, r.subs[i]->fd, &e);
  }
  std::vector<epoll_event> events(256);
  char chunk[1 << 16];
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
      ssize_t got = recv(s.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
      if (got <= 0) {
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        std::fprintf(stderr, "subscriber connection closed\n");
        r.failed = true;
        close(ep);
        return;
      }
      s.buf.append(chunk, size_t(got));
      if (!Consume(o, s, r)) {
        r.failed = true;
        close(ep);
        return;
      }
    }
  }
  close(ep);
}

void Usage() {
  std::fprintf(stderr,
               "usage: pubsub_load [--port P] [--subscribers S] [--messages M] [--window W] "
               "[--payload BYTES] [--threads T] [--rate PUBLISH_PER_SEC]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) Usage();
    const char* v = argv[++i];
    if (a == "--port")
      o.port = std::atoi(v);
    else if (a == "--subscribers")
      o.subscribers = std::atoi(v);
    else if (a == "--messages")
      o.messages = std::strtoull(v, nullptr, 10);
    else if (a == "--window")
      o.window = std::atoi(v);
    else if (a == "--payload")
      o.payload = std::max(40, std::atoi(v));
    else if (a == "--threads")
      o.threads = std::max(1, std::atoi(v));
    else if (a == "--rate")
      o.rate = std::atof(v);
    else
      Usage();
  }
  o.threads = std::min(o.threads, o.subscribers);
  // Subscribe everyone and wait for each confirmation before publishing.
  std::vector<Subscriber> subs(size_t(o.subscribers));
  std::string cmd;
  AppendCommand(&cmd, {"SUBSCRIBE", o.channel});
  for (Subscriber& s : subs) {
    s.fd = Connect(o.port);
    SendAll(s.fd, cmd);
  }
  for (Subscriber& s : subs) {
    char c[256];
    std::string got;
    while (got.find(":1\r\n") == std::string::npos) {
      ssize_t n = recv(s.fd, c, sizeof(c), 0);
      if (n <= 0) Die("subscribe");
      got.append(c, size_t(n));
    }
  }
  std::vector<Reader> readers(size_t(o.threads));
  for (size_t i = 0; i < subs.size(); ++i) readers[i % readers.size()].subs.push_back(&subs[i]);
  std::vector<std::thread> threads;
  for (Reader& r : readers) {
    uint64_t expected = r.subs.size() * o.messages;
    threads.emplace_back([&o, &r, expected] { RunReader(o, r, expected); });
  }

  int pub = Connect(o.port);
  std::string out, in;
  char chunk[1 << 16];
  uint64_t sent = 0, acked = 0;
  bool bad_count = false;
  size_t in_pos = 0;
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
      AppendCommand(&out, {"PUBLISH", o.channel, payload});
      ++sent;
    }
    if (!out.empty()) SendAll(pub, out);
    ssize_t n = recv(pub, chunk, sizeof(chunk), 0);
    if (n <= 0) Die("publisher recv");
    in.append(chunk, size_t(n));
    int64_t v;
    while (in_pos < in.size() && ReadLineInt(in, &in_pos, ':', &v)) {
      if (v != o.subscribers) bad_count = true;
      ++acked;
    }
    if (in_pos == in.size()) {
      in.clear();
      in_pos = 0;
    }
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
  for (Subscriber& s : subs) close(s.fd);
  close(pub);
  return 0;
}
