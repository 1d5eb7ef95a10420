// multi_load: MULTI / SET / INCR / EXEC transactions against any RESP server (Aegisr or Redis),
// for perf/multi_compare.sh. C client threads each send P transactions per write ("MULTI",
// "SET mk:<r> <value>", "INCR mc:<r>", "EXEC", r random below --keyspace, so a transaction's
// two keys usually live in different shards), read the 4*P replies, and go on until the run's
// transactions are done. Reports transactions per second (wall time from the first write to the
// last reply), and checks at the end that the counters add up to the number of transactions.
//
// Standalone (POSIX sockets, no project libraries), so that the client is the same program for
// both servers:
//   g++ -O2 -std=c++20 -pthread perf/multi_load.cc -o build/multi_load
//   build/multi_load --port 6379 --transactions 200000 --clients 4 --pipeline 8
// Threading: one blocking connection per client thread; the main thread checks.

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
  uint64_t transactions = 200000;  // per run, all clients together
  int clients = 4;
  int pipeline = 8;  // transactions per write
  int keyspace = 10000;
  int value_bytes = 16;
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
  std::fprintf(stderr, "multi_load: unexpected reply to %s: type %c '%s'\n", what, r.type,
               r.text.c_str());
  std::exit(1);
}

uint64_t Run(const Options& o, int index, uint64_t count, std::atomic<bool>* go) {
  Conn c(o.port);
  std::string value(static_cast<size_t>(o.value_bytes), 'v');
  uint64_t rng = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(index + 1);
  std::string out;
  while (!go->load(std::memory_order_acquire)) std::this_thread::yield();
  uint64_t done = 0;
  while (done < count) {
    uint64_t batch = std::min<uint64_t>(static_cast<uint64_t>(o.pipeline), count - done);
    out.clear();
    for (uint64_t i = 0; i < batch; ++i) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      std::string a = "mk:" + std::to_string(rng % static_cast<uint64_t>(o.keyspace));
      std::string b = "mc:" + std::to_string((rng >> 20) % static_cast<uint64_t>(o.keyspace));
      AppendCommand(&out, {"MULTI"});
      AppendCommand(&out, {"SET", a, value});
      AppendCommand(&out, {"INCR", b});
      AppendCommand(&out, {"EXEC"});
    }
    c.Send(out);
    for (uint64_t i = 0; i < batch; ++i) {
      Conn::Reply r = c.Read();
      Expect(r.type == '+', "MULTI", r);
      r = c.Read();
      Expect(r.type == '+', "SET (queued)", r);
      r = c.Read();
      Expect(r.type == '+', "INCR (queued)", r);
      r = c.Read();
      Expect(r.type == '*' && r.items.size() == 2 && r.items[1].type == ':', "EXEC", r);
    }
    done += batch;
  }
  return done;
}

// The sum of the counters: every EXEC's INCR must be there.
uint64_t CounterSum(const Options& o) {
  Conn c(o.port);
  uint64_t sum = 0;
  const int kBatch = 1000;
  for (int i = 0; i < o.keyspace; i += kBatch) {
    std::vector<std::string> keys;
    for (int j = i; j < std::min(o.keyspace, i + kBatch); ++j)
      keys.push_back("mc:" + std::to_string(j));
    std::vector<std::string_view> args = {"MGET"};
    for (const auto& k : keys) args.push_back(k);
    std::string cmd;
    AppendCommand(&cmd, args);
    c.Send(cmd);
    Conn::Reply r = c.Read();
    Expect(r.type == '*', "MGET", r);
    for (const auto& v : r.items)
      if (!v.null) sum += std::strtoull(v.text.c_str(), nullptr, 10);
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--port")
      o.port = std::atoi(v);
    else if (a == "--transactions")
      o.transactions = std::strtoull(v, nullptr, 10);
    else if (a == "--clients")
      o.clients = std::atoi(v);
    else if (a == "--pipeline")
      o.pipeline = std::atoi(v);
    else if (a == "--keyspace")
      o.keyspace = std::atoi(v);
    else if (a == "--value-bytes")
      o.value_bytes = std::atoi(v);
    else {
      std::fprintf(stderr, "multi_load: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  uint64_t before = CounterSum(o);
  std::atomic<bool> go{false};
  std::vector<uint64_t> done(static_cast<size_t>(o.clients));
  std::vector<std::thread> threads;
  uint64_t per = o.transactions / static_cast<uint64_t>(o.clients);
  for (int i = 0; i < o.clients; ++i)
    threads.emplace_back([&, i] { done[static_cast<size_t>(i)] = Run(o, i, per, &go); });
  auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t total = 0;
  for (uint64_t n : done) total += n;
  uint64_t after = CounterSum(o);
  if (after - before != total) {
    std::fprintf(stderr, "multi_load: counters grew by %llu, %llu transactions ran\n",
                 static_cast<unsigned long long>(after - before),
                 static_cast<unsigned long long>(total));
    return 1;
  }
  std::printf("transactions=%llu clients=%d pipeline=%d seconds=%.3f tx_per_sec=%.0f\n",
              static_cast<unsigned long long>(total), o.clients, o.pipeline, secs,
              static_cast<double>(total) / secs);
  return 0;
}
