// xgroup_load: the XREADGROUP + XACK consumer workload against any RESP server (Aegisr or
// Redis), for perf/xgroup_compare.sh. Fills a stream with N entries, creates a group at 0, then
// C client threads (consumer c<i> each) loop: P pipelined "XREADGROUP GROUP g c<i> COUNT k
// STREAMS s >", then, in the same write as the next P reads, one "XACK s g id..." per reply
// with the IDs it returned, until the stream is exhausted. Reports the entries consumed and
// acknowledged per second (N / wall time from the first read to the last ack), and checks at
// the end that the group read all N and has nothing pending.
//
// Standalone (POSIX sockets, no project libraries), so that the client is the same program for
// both servers:
//   g++ -O2 -std=c++20 -pthread perf/xgroup_load.cc -o build/xgroup_load
//   build/xgroup_load --port 6379 --entries 1000000 --clients 4 --pipeline 8 --count 10
// Threading: one blocking connection per client thread; the main thread fills and checks.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

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
  uint64_t entries = 1000000;
  int clients = 4;
  int pipeline = 8;
  int count = 10;
  int value_bytes = 16;
  std::string key = "xgl:stream";
};

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(2);
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

// One blocking connection with a receive buffer and a minimal RESP reader.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) Die("socket");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) Die("connect");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Conn() { close(fd_); }

  void Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fd_, data.data() + off, data.size() - off);
      if (n <= 0) Die("write");
      off += static_cast<size_t>(n);
    }
  }

  // A parsed reply: type byte, the line or bulk text, and the children of an aggregate.
  struct Reply {
    char type = 0;
    std::string text;
    bool null = false;
    std::vector<Reply> items;
  };

  Reply Read() {
    Reply r;
    std::string line = ReadLine();
    r.type = line[0];
    std::string_view rest(line.data() + 1, line.size() - 1);
    if (r.type == '$') {
      long n = std::strtol(std::string(rest).c_str(), nullptr, 10);
      if (n < 0) {
        r.null = true;
        return r;
      }
      r.text = ReadBytes(static_cast<size_t>(n) + 2);
      r.text.resize(static_cast<size_t>(n));
    } else if (r.type == '*') {
      long n = std::strtol(std::string(rest).c_str(), nullptr, 10);
      if (n < 0) {
        r.null = true;
        return r;
      }
      r.items.reserve(static_cast<size_t>(n));
      for (long i = 0; i < n; ++i) r.items.push_back(Read());
    } else {
      r.text = std::string(rest);
    }
    return r;
  }

 private:
  void Fill() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    char tmp[1 << 16];
    ssize_t n = read(fd_, tmp, sizeof(tmp));
    if (n <= 0) Die("read");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  std::string ReadLine() {
    for (;;) {
      size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        std::string line = buf_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return line;
      }
      Fill();
    }
  }
  std::string ReadBytes(size_t n) {
    while (buf_.size() - pos_ < n) Fill();
    std::string s = buf_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

void Expect(bool ok, const char* what, const Conn::Reply& r) {
  if (ok) return;
  std::fprintf(stderr, "xgroup_load: unexpected reply to %s: type %c '%s'\n", what, r.type,
               r.text.c_str());
  std::exit(1);
}

void Fill(const Options& o) {
  Conn c(o.port);
  std::string cmd;
  AppendCommand(&cmd, {"DEL", o.key});
  c.Send(cmd);
  c.Read();
  std::string value(static_cast<size_t>(o.value_bytes), 'v');
  const uint64_t kBatch = 1000;
  for (uint64_t i = 0; i < o.entries; i += kBatch) {
    cmd.clear();
    uint64_t n = std::min(kBatch, o.entries - i);
    for (uint64_t j = 0; j < n; ++j) {
      std::string id = std::to_string(i + j + 1) + "-0";
      AppendCommand(&cmd, {"XADD", o.key, id, "field", value});
    }
    c.Send(cmd);
    for (uint64_t j = 0; j < n; ++j) {
      Conn::Reply r = c.Read();
      Expect(r.type == '$', "XADD", r);
    }
  }
  cmd.clear();
  AppendCommand(&cmd, {"XGROUP", "CREATE", o.key, "g", "0"});
  c.Send(cmd);
  Conn::Reply r = c.Read();
  Expect(r.type == '+', "XGROUP CREATE", r);
}

// One consumer: returns the entries it read and acknowledged.
uint64_t Consume(const Options& o, int index, std::atomic<bool>* go) {
  Conn c(o.port);
  std::string consumer = "c" + std::to_string(index);
  std::string count = std::to_string(o.count);
  std::string read;
  AppendCommand(&read,
                {"XREADGROUP", "GROUP", "g", consumer, "COUNT", count, "STREAMS", o.key, ">"});
  while (!go->load(std::memory_order_acquire)) std::this_thread::yield();
  uint64_t consumed = 0;
  size_t acks_in_flight = 0;
  std::string out;
  for (int i = 0; i < o.pipeline; ++i) out += read;
  for (;;) {
    c.Send(out);
    out.clear();
    for (size_t i = 0; i < acks_in_flight; ++i) {
      Conn::Reply r = c.Read();
      Expect(r.type == ':', "XACK", r);
    }
    acks_in_flight = 0;
    bool exhausted = false;
    for (int i = 0; i < o.pipeline; ++i) {
      Conn::Reply r = c.Read();
      if (r.null) {
        exhausted = true;
        continue;
      }
      Expect(r.type == '*' && r.items.size() == 1, "XREADGROUP", r);
      const Conn::Reply& entries = r.items[0].items[1];
      if (entries.items.empty()) {
        exhausted = true;
        continue;
      }
      std::vector<std::string_view> ack = {"XACK", o.key, "g"};
      for (const Conn::Reply& e : entries.items) ack.push_back(e.items[0].text);
      AppendCommand(&out, ack);
      ++acks_in_flight;
      consumed += entries.items.size();
    }
    if (exhausted) {
      if (acks_in_flight > 0) {
        c.Send(out);
        for (size_t i = 0; i < acks_in_flight; ++i) c.Read();
      }
      return consumed;
    }
    for (int i = 0; i < o.pipeline; ++i) out += read;
  }
}

void Check(const Options& o) {
  Conn c(o.port);
  std::string cmd;
  AppendCommand(&cmd, {"XPENDING", o.key, "g"});
  c.Send(cmd);
  Conn::Reply r = c.Read();
  Expect(r.type == '*' && !r.items.empty() && r.items[0].text == "0", "XPENDING (pending left)", r);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--port")
      o.port = std::atoi(v);
    else if (a == "--entries")
      o.entries = std::strtoull(v, nullptr, 10);
    else if (a == "--clients")
      o.clients = std::atoi(v);
    else if (a == "--pipeline")
      o.pipeline = std::atoi(v);
    else if (a == "--count")
      o.count = std::atoi(v);
    else if (a == "--value-bytes")
      o.value_bytes = std::atoi(v);
    else {
      std::fprintf(stderr, "xgroup_load: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  Fill(o);
  std::atomic<bool> go{false};
  std::vector<uint64_t> consumed(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  for (int i = 0; i < o.clients; ++i)
    threads.emplace_back([&, i] { consumed[static_cast<size_t>(i)] = Consume(o, i, &go); });
  auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t total = 0;
  for (uint64_t n : consumed) total += n;
  Check(o);
  if (total != o.entries) {
    std::fprintf(stderr, "xgroup_load: consumed %llu of %llu entries\n",
                 static_cast<unsigned long long>(total),
                 static_cast<unsigned long long>(o.entries));
    return 1;
  }
  std::printf("entries=%llu clients=%d pipeline=%d count=%d seconds=%.3f entries_per_sec=%.0f\n",
              static_cast<unsigned long long>(total), o.clients, o.pipeline, o.count, secs,
              static_cast<double>(total) / secs);
  return 0;
}
