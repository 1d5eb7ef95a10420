// aegisr-bench: a pipelined GET/SET load generator for any RESP server, built on UringClient.
// Threading: the main thread parses flags, starts one worker per --threads (each with its own
// ring, connections, histograms and RNG), prints progress, then merges and reports after join.

#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cmd/bench/key_distribution.h"
#include "cmd/bench/latency_histogram.h"
#include "cmd/bench/verify.h"
#include "net/client/uring_client.h"

namespace aegisr::bench {
namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kMixed, kPut, kGet, kPutGet, kCommand, kPreload };
enum class Dist { kUniform, kZipf };
enum Tag : uint8_t { kGet = 0, kSet = 1 };
enum class Output { kText, kCsv, kJson };

constexpr uint64_t kMaxKeyspace = 10000000000ull;  // keys are key:%010d

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 1211;
  int threads = 1;
  int connections = 50;
  int pipeline = 1;
  uint64_t keyspace = 1000000;
  Dist dist = Dist::kUniform;
  double zipf_theta = 0.99;
  size_t value_size = 64;
  int read_pct = 50;
  double duration_s = 0;  // 0: use requests
  uint64_t requests = 0;  // 0: use duration
  Output output = Output::kText;
  bool quiet = false;
  Mode mode = Mode::kMixed;
  uint64_t seed = 1;
  int timeout_s = 10;
  bool verify = false;               // self-checking values, every GET reply checked
  bool allow_missing = false;        // --verify: a nil for an acknowledged key is not a failure
  bool preload = false;              // write every key once before the first phase
  std::vector<std::string> command;  // --command: the words of the one command to send
};

// redis-benchmark's placeholders, kept so that a --command line works with either tool:
// __rand_int__ becomes a 12-digit number below --keyspace, drawn afresh for each occurrence.
constexpr std::string_view kRandInt = "__rand_int__";
// Ours: __data__ becomes a value of -d bytes.
constexpr std::string_view kData = "__data__";

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kMixed:
      return "mixed";
    case Mode::kPut:
      return "put";
    case Mode::kGet:
      return "get";
    case Mode::kPutGet:
      return "putget";
    case Mode::kCommand:
      return "command";
    case Mode::kPreload:
      return "preload";
  }
  return "?";
}

void Usage(FILE* f) {
  std::fprintf(
      f,
      "Usage: aegisr-bench [options]\n"
      "  -h, -H HOST          server host (default 127.0.0.1)\n"
      "  -p PORT              server port (default 1211)\n"
      "  --threads N          worker threads, one io_uring ring each (default 1)\n"
      "  -c N                 connections in total, spread over the threads (default 50)\n"
      "  -P N                 pipeline depth per connection (default 1)\n"
      "  --keyspace N         keys key:0000000000 .. key:N-1 (default 1000000)\n"
      "  --dist uniform|zipf  key popularity (default uniform)\n"
      "  --zipf-theta X       Zipf exponent (default 0.99)\n"
      "  -d BYTES             SET value size (default 64)\n"
      "  --read-pct N         mixed mode: percent of GETs (default 50)\n"
      "  --ratio SET:GET      mixed mode: e.g. 1:10 (same as --read-pct 91)\n"
      "  --duration SECONDS   run for this long (per phase; default 10 when -n is not given)\n"
      "  -n N                 run exactly N requests (per phase)\n"
      "  --mode M             mixed | put (sequential SETs) | get | putget (put, then get the "
      "same\n"
      "                       keys, and print the put/get table row)\n"
      "  --command 'CMD ARGS' send this command instead of GET/SET (e.g. 'LPUSH mylist "
      "__data__'):\n"
      "                       each __rand_int__ becomes a random 12-digit number below\n"
      "                       --keyspace (as in redis-benchmark), __data__ a value of -d bytes;\n"
      "                       words are split at spaces\n"
      "  --seed N             random seed (default 1)\n"
      "  --timeout SECONDS    fail connections silent this long with requests pending (10)\n"
      "  --verify             SET self-checking values (key, version, checksum; -d >= %zu) and\n"
      "                       check every GET reply: wrong, stale or lost values fail the run\n"
      "  --allow-missing      with --verify: a nil for a key that was written is counted, not\n"
      "                       an error (for servers that evict)\n"
      "  --preload            write every key of the keyspace once before the run\n"
      "  --csv | --json       machine-readable results on stdout\n"
      "  --quiet              no progress line (it is shown only when stderr is a terminal)\n"
      "  --help\n"
      "Exit status: 0 ok, 1 errors during the run (error replies, failed connections) or\n"
      "verify failures (wrong values, or missing ones without --allow-missing), 2 bad usage or\n"
      "no connection.\n",
      kVerifyHeaderBytes);
}

bool ParseU64(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0' || *s == '-') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = v;
  return true;
}

bool ParseDouble(const char* s, double* out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

// Returns nullopt and prints why on bad usage.
std::optional<Config> ParseFlags(int argc, char** argv, bool* help) {
  enum {
    kThreads = 256,
    kKeyspace,
    kDist,
    kTheta,
    kReadPct,
    kRatio,
    kDuration,
    kCsv,
    kJson,
    kQuiet,
    kMode,
    kSeed,
    kTimeout,
    kVerify,
    kAllowMissing,
    kPreload,
    kCommand,
    kHelp
  };
  static const option kLong[] = {
      {"threads", required_argument, nullptr, kThreads},
      {"keyspace", required_argument, nullptr, kKeyspace},
      {"dist", required_argument, nullptr, kDist},
      {"zipf-theta", required_argument, nullptr, kTheta},
      {"read-pct", required_argument, nullptr, kReadPct},
      {"ratio", required_argument, nullptr, kRatio},
      {"duration", required_argument, nullptr, kDuration},
      {"csv", no_argument, nullptr, kCsv},
      {"json", no_argument, nullptr, kJson},
      {"quiet", no_argument, nullptr, kQuiet},
      {"mode", required_argument, nullptr, kMode},
      {"seed", required_argument, nullptr, kSeed},
      {"timeout", required_argument, nullptr, kTimeout},
      {"verify", no_argument, nullptr, kVerify},
      {"allow-missing", no_argument, nullptr, kAllowMissing},
      {"preload", no_argument, nullptr, kPreload},
      {"command", required_argument, nullptr, kCommand},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  Config cfg;
  bool csv = false, json = false;
  bool mode_given = false;
  auto bad = [](const char* what, const char* arg) {
    std::fprintf(stderr, "aegisr-bench: invalid %s '%s' (see --help)\n", what, arg ? arg : "");
    return std::nullopt;
  };
  opterr = 0;
  int opt;
  uint64_t u;
  while ((opt = getopt_long(argc, argv, ":h:H:p:c:P:d:n:q", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'h':
      case 'H':
        cfg.host = optarg;
        break;
      case 'p':
        if (!ParseU64(optarg, &u) || u == 0 || u > 65535) return bad("port", optarg);
        cfg.port = static_cast<uint16_t>(u);
        break;
      case 'c':
        if (!ParseU64(optarg, &u) || u == 0 || u > 100000) return bad("connection count", optarg);
        cfg.connections = static_cast<int>(u);
        break;
      case 'P':
        if (!ParseU64(optarg, &u) || u == 0 || u > 100000) return bad("pipeline depth", optarg);
        cfg.pipeline = static_cast<int>(u);
        break;
      case 'd':
        if (!ParseU64(optarg, &u) || u > (512u << 20)) return bad("value size", optarg);
        cfg.value_size = u;
        break;
      case 'n':
        if (!ParseU64(optarg, &u) || u == 0) return bad("request count", optarg);
        cfg.requests = u;
        break;
      case 'q':
      case kQuiet:
        cfg.quiet = true;
        break;
      case kThreads:
        if (!ParseU64(optarg, &u) || u == 0 || u > 1024) return bad("thread count", optarg);
        cfg.threads = static_cast<int>(u);
        break;
      case kKeyspace:
        if (!ParseU64(optarg, &u) || u == 0 || u > kMaxKeyspace) return bad("keyspace", optarg);
        cfg.keyspace = u;
        break;
      case kDist:
        if (std::strcmp(optarg, "uniform") == 0) {
          cfg.dist = Dist::kUniform;
        } else if (std::strcmp(optarg, "zipf") == 0) {
          cfg.dist = Dist::kZipf;
        } else {
          return bad("distribution", optarg);
        }
        break;
      case kTheta:
        if (!ParseDouble(optarg, &cfg.zipf_theta) || cfg.zipf_theta <= 0 || cfg.zipf_theta > 10) {
          return bad("zipf theta", optarg);
        }
        break;
      case kReadPct:
        if (!ParseU64(optarg, &u) || u > 100) return bad("read percentage", optarg);
        cfg.read_pct = static_cast<int>(u);
        break;
      case kRatio: {
        const char* colon = std::strchr(optarg, ':');
        uint64_t sets, gets;
        if (colon == nullptr ||
            !ParseU64(std::string(optarg, static_cast<size_t>(colon - optarg)).c_str(), &sets) ||
            !ParseU64(colon + 1, &gets) || sets + gets == 0 || sets > 1000000 || gets > 1000000) {
          return bad("ratio (want SET:GET, e.g. 1:10)", optarg);
        }
        cfg.read_pct = static_cast<int>((gets * 100 + (sets + gets) / 2) / (sets + gets));
        break;
      }
      case kDuration:
        if (!ParseDouble(optarg, &cfg.duration_s) || cfg.duration_s <= 0 ||
            cfg.duration_s > 86400 * 7) {
          return bad("duration", optarg);
        }
        break;
      case kCsv:
        csv = true;
        break;
      case kJson:
        json = true;
        break;
      case kMode:
        mode_given = true;
        if (std::strcmp(optarg, "mixed") == 0) {
          cfg.mode = Mode::kMixed;
        } else if (std::strcmp(optarg, "put") == 0) {
          cfg.mode = Mode::kPut;
        } else if (std::strcmp(optarg, "get") == 0) {
          cfg.mode = Mode::kGet;
        } else if (std::strcmp(optarg, "putget") == 0) {
          cfg.mode = Mode::kPutGet;
        } else {
          return bad("mode", optarg);
        }
        break;
      case kSeed:
        if (!ParseU64(optarg, &cfg.seed)) return bad("seed", optarg);
        break;
      case kTimeout:
        if (!ParseU64(optarg, &u) || u == 0 || u > 3600) return bad("timeout", optarg);
        cfg.timeout_s = static_cast<int>(u);
        break;
      case kVerify:
        cfg.verify = true;
        break;
      case kAllowMissing:
        cfg.allow_missing = true;
        break;
      case kPreload:
        cfg.preload = true;
        break;
      case kCommand: {
        cfg.command.clear();
        const std::string_view line(optarg);
        for (size_t i = 0; i < line.size();) {
          const size_t end = std::min(line.find(' ', i), line.size());
          if (end > i) cfg.command.emplace_back(line.substr(i, end - i));
          i = end + 1;
        }
        if (cfg.command.empty()) return bad("command", optarg);
        cfg.mode = Mode::kCommand;
        break;
      }
      case kHelp:
        *help = true;
        return cfg;
      case ':':
        std::fprintf(stderr, "aegisr-bench: option %s needs a value\n", argv[optind - 1]);
        return std::nullopt;
      default:
        std::fprintf(stderr, "aegisr-bench: unknown option %s (see --help)\n", argv[optind - 1]);
        return std::nullopt;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "aegisr-bench: unexpected argument '%s'\n", argv[optind]);
    return std::nullopt;
  }
  if (csv && json) {
    std::fprintf(stderr, "aegisr-bench: --csv and --json are exclusive\n");
    return std::nullopt;
  }
  if (cfg.requests > 0 && cfg.duration_s > 0) {
    std::fprintf(stderr, "aegisr-bench: give either -n or --duration, not both\n");
    return std::nullopt;
  }
  if (cfg.allow_missing && !cfg.verify) {
    std::fprintf(stderr, "aegisr-bench: --allow-missing needs --verify\n");
    return std::nullopt;
  }
  if (cfg.verify && cfg.value_size < kVerifyHeaderBytes) {
    std::fprintf(stderr,
                 "aegisr-bench: --verify needs -d >= %zu (the value header: key, run, version and "
                 "checksum), got -d %zu\n",
                 kVerifyHeaderBytes, cfg.value_size);
    return std::nullopt;
  }
  if (cfg.verify && cfg.keyspace > kMaxVerifyKeyspace) {
    std::fprintf(stderr,
                 "aegisr-bench: --verify keeps 16 bytes per key: --keyspace is limited to %" PRIu64
                 "\n",
                 kMaxVerifyKeyspace);
    return std::nullopt;
  }
  if (!cfg.command.empty() && (mode_given || cfg.verify || cfg.preload)) {
    std::fprintf(stderr, "aegisr-bench: --command goes without --mode, --verify and --preload\n");
    return std::nullopt;
  }
  if (cfg.requests == 0 && cfg.duration_s == 0) cfg.duration_s = 10;
  cfg.output = json ? Output::kJson : csv ? Output::kCsv : Output::kText;
  cfg.threads = std::min(cfg.threads, cfg.connections);
  return cfg;
}

// ---- One phase on one thread ----------------------------------------------------------------

struct alignas(64) Progress {
  std::atomic<uint64_t> done{0};
};

struct ThreadResult {
  LatencyHistogram hist[2];
  uint64_t error_replies[2] = {0, 0};
  uint64_t failed_connections = 0;
  uint64_t lost_requests = 0;
  std::string first_error;
  VerifyCounts verify;
  Clock::time_point end;
};

// What --verify shares between the threads of a run.
struct VerifyContext {
  KeyVersions* keys;
  uint32_t run;  // written into every value, tells this run's values from older ones
};

// Makes the requests of one thread and records their replies. With --verify it writes
// self-checking values and checks every GET reply's bytes; it remembers, per connection and in
// request order, each request's key and its version (SET) or floor (GET).
class BenchSource : public client::RequestSource {
 public:
  BenchSource(const Config& cfg, Mode phase, uint64_t budget, uint64_t seq_start, uint64_t keyspace,
              uint64_t seed, int conns, const VerifyContext* verify, const std::atomic<bool>* stop,
              Progress* progress, ThreadResult* result)
      : phase_(phase),
        read_pct_(cfg.read_pct),
        value_size_(cfg.value_size),
        remaining_(budget),
        unlimited_(cfg.requests == 0),
        seq_(seq_start),
        keyspace_(keyspace),
        rng_(seed),
        verify_(verify),
        stop_(stop),
        progress_(progress),
        result_(result) {
    if (cfg.dist == Dist::kZipf) zipf_.emplace(keyspace, cfg.zipf_theta);
    set_prefix_ = "\r\n$" + std::to_string(cfg.value_size) + "\r\n";
    set_suffix_ = set_prefix_ + std::string(cfg.value_size, 'x') + "\r\n";
    if (phase == Mode::kCommand) BuildCommandTemplate(cfg);
    if (verify_ != nullptr) {
      inflight_.resize(conns);
      for (InFlightRing& r : inflight_) r.items.resize(cfg.pipeline);
    }
  }

  int Next(int conn, std::string& out) override {
    if (stop_->load(std::memory_order_relaxed)) return -1;
    if (!unlimited_) {
      if (remaining_ == 0) return -1;
      --remaining_;
    }
    if (phase_ == Mode::kCommand) {
      const size_t at = out.size();
      out.append(command_);
      for (size_t pos : rand_at_) {
        const uint64_t n = zipf_ ? zipf_->Next(rng_) : rng_.Below(keyspace_);
        WriteDigits(out.data() + at + pos, kRandInt.size(), n);
      }
      return kGet;  // the one histogram a command run uses
    }
    uint64_t key;
    bool is_get;
    if (phase_ == Mode::kPut || phase_ == Mode::kPreload) {
      key = seq_++ % keyspace_;
      is_get = false;
    } else {
      key = zipf_ ? zipf_->Next(rng_) : rng_.Below(keyspace_);
      is_get = phase_ == Mode::kGet || static_cast<int>(rng_.Below(100)) < read_pct_;
    }
    uint64_t version_or_floor = 0;
    if (verify_ != nullptr) {
      if (!is_get) {
        version_or_floor = verify_->keys->BeginSet(key);
        if (version_or_floor == 0) {  // a SET of this key is in flight: read it instead
          ++result_->verify.set_busy;
          is_get = true;
        }
      }
      if (is_get) version_or_floor = verify_->keys->Acked(key);
      inflight_[conn].Push(InFlight{key, version_or_floor, !is_get});
    }
    out.append(is_get ? "*2\r\n$3\r\nGET\r\n$14\r\nkey:" : "*3\r\n$3\r\nSET\r\n$14\r\nkey:");
    const size_t at = out.size();
    out.append(10, '0');
    WriteDigits(out.data() + at, 10, key);
    if (is_get) {
      out.append("\r\n");
      return kGet;
    }
    if (verify_ != nullptr) {
      out.append(set_prefix_);
      AppendVerifyValue(out, key, verify_->run, version_or_floor, value_size_);
      out.append("\r\n");
    } else {
      out.append(set_suffix_);
    }
    return kSet;
  }

  void OnReply(int conn, uint8_t tag, uint64_t latency_ns, std::string_view reply,
               bool is_error) override {
    result_->hist[tag].Record(latency_ns);
    if (is_error) ++result_->error_replies[tag];
    progress_->done.store(progress_->done.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
    if (verify_ == nullptr) return;
    const InFlight f = inflight_[conn].Pop();
    if (tag == kSet) {
      verify_->keys->EndSet(f.key, f.version_or_floor, !is_error && reply == "+OK\r\n");
    } else {
      CheckGetReply(reply, f.key, verify_->run, f.version_or_floor, verify_->keys->Issued(f.key),
                    &result_->verify);
    }
  }

  void OnConnectionError(int conn, const Status& why, int lost) override {
    ++result_->failed_connections;
    result_->lost_requests += lost;
    if (result_->first_error.empty()) result_->first_error = why.message();
    if (verify_ == nullptr) return;
    // Unacknowledged SETs free their keys; their versions stay issued (they may have landed).
    InFlightRing& r = inflight_[conn];
    while (r.count > 0) {
      const InFlight f = r.Pop();
      if (f.is_set) verify_->keys->EndSet(f.key, f.version_or_floor, false);
    }
  }

 private:
  // Writes n zero-padded into the `width` bytes at `p` (n fits: keyspaces are below 10^10).
  static void WriteDigits(char* p, size_t width, uint64_t n) {
    for (size_t i = width; i > 0; n /= 10) p[--i] = static_cast<char>('0' + n % 10);
  }

  // The --command request as RESP, with the byte offsets of its __rand_int__ placeholders (a
  // 12-digit number has the placeholder's length, so each request is the template with digits
  // written over them).
  void BuildCommandTemplate(const Config& cfg) {
    command_ = "*" + std::to_string(cfg.command.size()) + "\r\n";
    for (const std::string& word : cfg.command) {
      std::string arg = word == kData ? std::string(cfg.value_size, 'x') : word;
      command_ += "$" + std::to_string(arg.size()) + "\r\n";
      for (size_t p = arg.find(kRandInt); p != std::string::npos;
           p = arg.find(kRandInt, p + kRandInt.size())) {
        rand_at_.push_back(command_.size() + p);
      }
      command_ += arg + "\r\n";
    }
  }

  struct InFlight {
    uint64_t key;
    uint64_t version_or_floor;
    bool is_set;
  };
  // The requests in flight on one connection, oldest first; never more than the pipeline depth.
  struct InFlightRing {
    std::vector<InFlight> items;
    size_t head = 0;
    size_t count = 0;
    void Push(InFlight f) {
      items[(head + count) % items.size()] = f;
      ++count;
    }
    InFlight Pop() {
      const InFlight f = items[head];
      head = (head + 1) % items.size();
      --count;
      return f;
    }
  };

  Mode phase_;
  int read_pct_;
  size_t value_size_;
  uint64_t remaining_;
  bool unlimited_;
  uint64_t seq_;
  uint64_t keyspace_;
  Rng rng_;
  std::optional<ZipfGenerator> zipf_;
  std::string set_prefix_;       // \r\n$<size>\r\n
  std::string set_suffix_;       // set_prefix_, the plain value, \r\n
  std::string command_;          // --command: the request template
  std::vector<size_t> rand_at_;  // offsets of its __rand_int__ placeholders
  const VerifyContext* verify_;
  std::vector<InFlightRing> inflight_;
  const std::atomic<bool>* stop_;
  Progress* progress_;
  ThreadResult* result_;
};

struct PhaseResult {
  std::string name;
  double seconds = 0;
  LatencyHistogram hist[2];
  LatencyHistogram all;
  uint64_t error_replies[2] = {0, 0};
  uint64_t failed_connections = 0;
  uint64_t lost_requests = 0;
  std::string first_error;
  VerifyCounts verify;
  uint64_t errors() const {
    return error_replies[0] + error_replies[1] + lost_requests + failed_connections;
  }
};

// Runs one phase on all threads (with --verify, `verify` is non-null). Returns false (with a
// message on stderr) when the connections could not be opened.
bool RunPhase(const Config& cfg, Mode phase, uint64_t keyspace, const VerifyContext* verify,
              PhaseResult* out) {
  const int threads = cfg.threads;
  std::vector<ThreadResult> results(threads);
  std::vector<Progress> progress(threads);
  std::atomic<bool> stop{false};
  std::atomic<bool> abort{false};
  std::atomic<int> connect_failures{0};
  std::vector<std::string> connect_errors(threads);
  std::barrier ready(threads + 1);
  std::barrier go(threads + 1);
  std::vector<std::thread> workers;
  uint64_t seq_start = 0;
  for (int t = 0; t < threads; ++t) {
    const int conns = cfg.connections / threads + (t < cfg.connections % threads ? 1 : 0);
    uint64_t budget = 0;
    if (cfg.requests > 0) {
      budget = cfg.requests / threads + (static_cast<uint64_t>(t) < cfg.requests % threads);
    }
    const uint64_t start = cfg.requests > 0 ? seq_start : keyspace / threads * t;
    seq_start += budget;
    workers.emplace_back([&, t, conns, budget, start] {
      client::UringClientOptions opts;
      opts.host = cfg.host;
      opts.port = cfg.port;
      opts.connections = conns;
      opts.pipeline = cfg.pipeline;
      opts.recv_buffer_bytes = std::max<size_t>(64 << 10, cfg.value_size * 2 + 64);
      opts.idle_timeout_ms = cfg.timeout_s * 1000;
      client::UringClient uc(opts);
      Status st = uc.Connect();
      if (!st.ok()) {
        connect_errors[t] = st.message();
        connect_failures.fetch_add(1);
      }
      ready.arrive_and_wait();
      go.arrive_and_wait();
      if (st.ok() && connect_failures.load() == 0) {
        BenchSource src(cfg, phase, budget, start, keyspace,
                        cfg.seed * 0x9e3779b97f4a7c15ull + t * 7919 + static_cast<int>(phase),
                        conns, verify, &stop, &progress[t], &results[t]);
        // Failures are counted through OnConnectionError.
        (void)uc.Run(src, &abort);
      }
      results[t].end = Clock::now();
    });
  }
  ready.arrive_and_wait();
  const Clock::time_point start = Clock::now();
  go.arrive_and_wait();
  if (connect_failures.load() > 0) {
    for (auto& w : workers) w.join();
    for (const std::string& e : connect_errors) {
      if (!e.empty()) {
        std::fprintf(stderr, "aegisr-bench: %s\n", e.c_str());
        break;
      }
    }
    return false;
  }

  const bool show_progress = !cfg.quiet && isatty(STDERR_FILENO);
  const bool timed = cfg.duration_s > 0;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(cfg.duration_s));
  const auto hard_deadline = deadline + std::chrono::seconds(cfg.timeout_s);
  std::atomic<int> finished{0};
  std::thread joiner([&] {
    for (auto& w : workers) w.join();
    finished.store(1);
  });
  auto next_tick = start + std::chrono::seconds(1);
  uint64_t last_done = 0;
  while (finished.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = Clock::now();
    if (timed && now >= deadline) stop.store(true);
    if (timed && now >= hard_deadline) abort.store(true);
    if (show_progress && now >= next_tick) {
      uint64_t done = 0;
      for (const Progress& p : progress) done += p.done.load(std::memory_order_relaxed);
      const double secs = std::chrono::duration<double>(now - start).count();
      if (phase == Mode::kPreload) {
        std::fprintf(stderr, "\r\033[Kpreload: %.0fs  %" PRIu64 " / %" PRIu64 " keys  %.0f ops/s",
                     secs, done, keyspace, static_cast<double>(done - last_done));
      } else {
        std::fprintf(stderr, "\r\033[K%s: %.0fs  %" PRIu64 " requests  %.0f ops/s", ModeName(phase),
                     secs, done, static_cast<double>(done - last_done));
      }
      last_done = done;
      next_tick += std::chrono::seconds(1);
    }
  }
  joiner.join();
  if (show_progress) std::fprintf(stderr, "\r\033[K");

  out->name = ModeName(phase);
  Clock::time_point end = start;
  for (const ThreadResult& r : results) {
    end = std::max(end, r.end);
    for (int i = 0; i < 2; ++i) {
      out->hist[i].Merge(r.hist[i]);
      out->all.Merge(r.hist[i]);
      out->error_replies[i] += r.error_replies[i];
    }
    out->failed_connections += r.failed_connections;
    out->lost_requests += r.lost_requests;
    out->verify.Merge(r.verify);
    if (out->first_error.empty()) out->first_error = r.first_error;
  }
  out->seconds = std::chrono::duration<double>(end - start).count();
  return true;
}

// ---- Reporting ------------------------------------------------------------------------------

struct OpStats {
  uint64_t requests;
  double ops;
  double avg_us, p50_us, p99_us, p999_us, max_us;
  uint64_t errors;
};

OpStats Stats(const LatencyHistogram& h, double seconds, uint64_t errors) {
  auto us = [](uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return OpStats{h.count(),
                 seconds > 0 ? static_cast<double>(h.count()) / seconds : 0.0,
                 h.mean() / 1000.0,
                 us(h.Percentile(0.50)),
                 us(h.Percentile(0.99)),
                 us(h.Percentile(0.999)),
                 us(h.max()),
                 errors};
}

nlohmann::json ToJson(const OpStats& s) {
  return {{"requests", s.requests}, {"ops_per_sec", s.ops}, {"avg_us", s.avg_us},
          {"p50_us", s.p50_us},     {"p99_us", s.p99_us},   {"p999_us", s.p999_us},
          {"max_us", s.max_us},     {"errors", s.errors}};
}

bool VerifyFailed(const Config& cfg, const VerifyCounts& v) {
  return v.wrong > 0 || (v.missing > 0 && !cfg.allow_missing);
}

std::string DescribeWrong(const WrongValue& w) {
  char buf[96];
  std::snprintf(buf, sizeof(buf),
                "key:%010" PRIu64 " expected version in [%" PRIu64 ", %" PRIu64 "], got ", w.key,
                w.lo, w.hi);
  return buf + w.got;
}

nlohmann::json ToJson(const VerifyCounts& v) {
  nlohmann::json examples = nlohmann::json::array();
  for (const WrongValue& w : v.examples) {
    examples.push_back(
        {{"key", w.key}, {"min_version", w.lo}, {"max_version", w.hi}, {"got", w.got}});
  }
  return {{"verified", v.verified},   {"wrong", v.wrong},       {"missing", v.missing},
          {"unwritten", v.unwritten}, {"set_busy", v.set_busy}, {"examples", examples}};
}

void Report(const Config& cfg, const std::vector<PhaseResult>& phases, uint32_t run,
            const VerifyCounts& vtotal) {
  struct Row {
    const char* op;
    OpStats s;
  };
  // A --command run records under the GET tag; its row is named by the command.
  std::string command_name = cfg.command.empty() ? "GET" : cfg.command[0];
  for (char& c : command_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const bool command_run = !cfg.command.empty();
  auto rows = [&command_name, command_run](const PhaseResult& p) {
    std::vector<Row> r{
        {command_name.c_str(), Stats(p.hist[kGet], p.seconds, p.error_replies[kGet])},
        {"SET", Stats(p.hist[kSet], p.seconds, p.error_replies[kSet])},
        {"ALL", Stats(p.all, p.seconds, p.errors())},
    };
    if (command_run) r.erase(r.begin() + 1);
    return r;
  };
  const PhaseResult* put = nullptr;
  const PhaseResult* get = nullptr;
  for (const PhaseResult& p : phases) {
    if (p.name == "put") put = &p;
    if (p.name == "get") get = &p;
  }
  if (cfg.output == Output::kJson) {
    nlohmann::json j;
    j["config"] = {{"host", cfg.host},
                   {"port", cfg.port},
                   {"threads", cfg.threads},
                   {"connections", cfg.connections},
                   {"pipeline", cfg.pipeline},
                   {"keyspace", cfg.keyspace},
                   {"dist", cfg.dist == Dist::kZipf ? "zipf" : "uniform"},
                   {"zipf_theta", cfg.zipf_theta},
                   {"value_size", cfg.value_size},
                   {"read_pct", cfg.read_pct},
                   {"duration_s", cfg.duration_s},
                   {"requests", cfg.requests},
                   {"mode", ModeName(cfg.mode)},
                   {"seed", cfg.seed},
                   {"verify", cfg.verify},
                   {"allow_missing", cfg.allow_missing},
                   {"preload", cfg.preload}};
    if (!cfg.command.empty()) j["config"]["command"] = cfg.command;
    uint64_t errors = 0;
    j["phases"] = nlohmann::json::array();
    for (const PhaseResult& p : phases) {
      const auto r = rows(p);
      const OpStats& all = r.back().s;
      errors += p.errors();
      j["phases"].push_back({{"name", p.name},
                             {"seconds", p.seconds},
                             {"requests", all.requests},
                             {"ops_per_sec", all.ops},
                             {"errors", p.errors()},
                             {"error_replies", p.error_replies[0] + p.error_replies[1]},
                             {"failed_connections", p.failed_connections},
                             {"lost_requests", p.lost_requests},
                             {"all", ToJson(all)}});
      if (command_run) {
        j["phases"].back()["command"] = ToJson(r[0].s);
      } else {
        j["phases"].back()["get"] = ToJson(r[0].s);
        j["phases"].back()["set"] = ToJson(r[1].s);
      }
      if (cfg.verify) j["phases"].back()["verify"] = ToJson(p.verify);
    }
    if (put != nullptr || get != nullptr) {
      nlohmann::json t;
      if (put) t["put_ops_per_sec"] = rows(*put)[1].s.ops, t["put_avg_us"] = rows(*put)[1].s.avg_us;
      if (get) t["get_ops_per_sec"] = rows(*get)[0].s.ops, t["get_avg_us"] = rows(*get)[0].s.avg_us;
      j["table"] = t;
    }
    j["errors"] = errors;
    if (cfg.verify) {
      j["verify"] = ToJson(vtotal);
      char hex[16];
      std::snprintf(hex, sizeof(hex), "%08" PRIx32, run);
      j["verify"]["run"] = hex;
      j["verify"]["ok"] = !VerifyFailed(cfg, vtotal);
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  if (cfg.output == Output::kCsv) {
    // With --verify four columns more; the GET and ALL rows carry the phase's counts.
    std::printf("phase,op,requests,ops_per_sec,avg_us,p50_us,p99_us,p999_us,max_us,errors%s\n",
                cfg.verify ? ",verified,wrong,missing,unwritten" : "");
    for (const PhaseResult& p : phases) {
      for (const Row& r : rows(p)) {
        std::printf("%s,%s,%" PRIu64 ",%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%" PRIu64, p.name.c_str(),
                    r.op, r.s.requests, r.s.ops, r.s.avg_us, r.s.p50_us, r.s.p99_us, r.s.p999_us,
                    r.s.max_us, r.s.errors);
        if (cfg.verify) {
          const bool has = std::strcmp(r.op, "SET") != 0;
          const VerifyCounts& v = p.verify;
          std::printf(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, has ? v.verified : 0,
                      has ? v.wrong : 0, has ? v.missing : 0, has ? v.unwritten : 0);
        }
        std::printf("\n");
      }
    }
    return;
  }
  std::printf(
      "aegisr-bench %s:%u  threads %d  connections %d  pipeline %d  value %zu B  "
      "keyspace %" PRIu64 " (%s)",
      cfg.host.c_str(), cfg.port, cfg.threads, cfg.connections, cfg.pipeline, cfg.value_size,
      cfg.keyspace, cfg.dist == Dist::kZipf ? "zipf" : "uniform");
  if (cfg.verify) std::printf("  verify (run %08" PRIx32 ")", run);
  std::printf("\n");
  for (const PhaseResult& p : phases) {
    std::printf("\n== %s: %" PRIu64 " requests in %.2f s, %" PRIu64 " errors\n", p.name.c_str(),
                p.all.count(), p.seconds, p.errors());
    std::printf("%-7s %12s %12s %9s %9s %9s %9s %10s %8s\n", "op", "requests", "ops/s", "avg_us",
                "p50_us", "p99_us", "p99.9_us", "max_us", "errors");
    for (const Row& r : rows(p)) {
      if (r.s.requests == 0 && r.s.errors == 0) continue;
      std::printf("%-7s %12" PRIu64 " %12.0f %9.1f %9.1f %9.1f %9.1f %10.1f %8" PRIu64 "\n", r.op,
                  r.s.requests, r.s.ops, r.s.avg_us, r.s.p50_us, r.s.p99_us, r.s.p999_us,
                  r.s.max_us, r.s.errors);
    }
    if (p.failed_connections > 0) {
      std::printf("%" PRIu64 " connection(s) failed, %" PRIu64 " requests lost: %s\n",
                  p.failed_connections, p.lost_requests, p.first_error.c_str());
    }
    if (cfg.verify && (p.hist[kGet].count() > 0 || p.verify.set_busy > 0)) {
      const VerifyCounts& v = p.verify;
      std::printf("verify: %" PRIu64 " reads verified, %" PRIu64 " wrong, %" PRIu64
                  " missing%s, %" PRIu64 " unwritten, %" PRIu64 " SETs read instead (key busy)\n",
                  v.verified, v.wrong, v.missing,
                  v.missing > 0 ? (cfg.allow_missing ? " (allowed)" : " (not allowed)") : "",
                  v.unwritten, v.set_busy);
      for (const WrongValue& w : v.examples) std::printf("  wrong: %s\n", DescribeWrong(w).c_str());
    }
  }
  if (put != nullptr || get != nullptr) {
    auto cell = [](const PhaseResult* p, int tag, bool ops) {
      if (p == nullptr) return std::string("-");
      const LatencyHistogram& h = p->hist[tag];
      char buf[32];
      if (ops) {
        std::snprintf(buf, sizeof(buf), "%.0f", p->seconds > 0 ? h.count() / p->seconds : 0.0);
      } else {
        std::snprintf(buf, sizeof(buf), "%.1f", h.mean() / 1000.0);
      }
      return std::string(buf);
    };
    std::printf("\n%12s %14s %12s %14s\n", "put ops/s", "put avg(us)", "get ops/s", "get avg(us)");
    std::printf("%12s %14s %12s %14s\n", cell(put, kSet, true).c_str(),
                cell(put, kSet, false).c_str(), cell(get, kGet, true).c_str(),
                cell(get, kGet, false).c_str());
  }
}

int Main(int argc, char** argv) {
  bool help = false;
  std::optional<Config> cfg = ParseFlags(argc, argv, &help);
  if (!cfg) return 2;
  if (help) {
    Usage(stdout);
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  std::vector<Mode> plan;
  switch (cfg->mode) {
    case Mode::kMixed:
      plan = {Mode::kMixed};
      break;
    case Mode::kPut:
      plan = {Mode::kPut};
      break;
    case Mode::kGet:
      plan = {Mode::kGet};
      break;
    case Mode::kPutGet:
      plan = {Mode::kPut, Mode::kGet};
      break;
    case Mode::kCommand:
      plan = {Mode::kCommand};
      break;
    case Mode::kPreload:  // not a --mode value
      break;
  }
  if (cfg->preload) plan.insert(plan.begin(), Mode::kPreload);
  std::unique_ptr<KeyVersions> keys;
  std::optional<VerifyContext> verify;
  if (cfg->verify) {
    keys = std::make_unique<KeyVersions>(cfg->keyspace);
    std::random_device rd;
    verify.emplace(VerifyContext{keys.get(), static_cast<uint32_t>(rd())});
  }
  std::vector<PhaseResult> phases;
  for (Mode m : plan) {
    // putget with -n: the get phase reads only the keys that the put phase wrote.
    uint64_t keyspace = cfg->keyspace;
    if (cfg->mode == Mode::kPutGet && m == Mode::kGet && cfg->requests > 0) {
      keyspace = std::min(keyspace, cfg->requests);
    }
    PhaseResult r;
    if (m == Mode::kPreload) {
      // Exactly one SET per key, spread over the threads as in put mode with -n.
      Config pre = *cfg;
      pre.requests = cfg->keyspace;
      pre.duration_s = 0;
      if (!RunPhase(pre, m, keyspace, verify ? &*verify : nullptr, &r)) return 2;
    } else if (!RunPhase(*cfg, m, keyspace, verify ? &*verify : nullptr, &r)) {
      return 2;
    }
    phases.push_back(std::move(r));
    if (phases.back().failed_connections > 0) break;  // the server went away: stop here
  }
  VerifyCounts vtotal;
  for (const PhaseResult& p : phases) vtotal.Merge(p.verify);
  Report(*cfg, phases, verify ? verify->run : 0, vtotal);
  uint64_t errors = 0;
  for (const PhaseResult& p : phases) errors += p.errors();
  const bool verify_failed = VerifyFailed(*cfg, vtotal);
  if (verify_failed) {
    std::fprintf(stderr, "aegisr-bench: verify FAILED: %" PRIu64 " wrong, %" PRIu64 " missing%s\n",
                 vtotal.wrong, vtotal.missing,
                 vtotal.missing > 0 && !cfg->allow_missing
                     ? " (a nil for an acknowledged key; --allow-missing if the server evicts)"
                     : "");
    for (const WrongValue& w : vtotal.examples) {
      std::fprintf(stderr, "  %s\n", DescribeWrong(w).c_str());
    }
  }
  if (errors > 0) {
    const PhaseResult& last = phases.back();
    std::fprintf(
        stderr, "aegisr-bench: %" PRIu64 " errors%s%s\n", errors,
        last.first_error.empty() ? "" : "; first connection failure: ", last.first_error.c_str());
    return 1;
  }
  return verify_failed ? 1 : 0;
}

}  // namespace
}  // namespace aegisr::bench

int main(int argc, char** argv) { return aegisr::bench::Main(argc, argv); }
