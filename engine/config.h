#pragma once
// PLACEHOLDER, to be replaced by the declarative config table (see docs/architecture.md).
// Config: the daemon's settings. Numeric knobs are atomics so CONFIG SET on one thread and
// readers on others do not race; string knobs are read through accessors under mu_.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace aegisr {

struct Config {
  std::string bind = "127.0.0.1";
  std::atomic<int64_t> port{1211};
  std::atomic<int64_t> threads{0};  // 0: number of online CPUs
  std::string io_backend = "auto";  // auto | uring | epoll
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> proto_max_bulk_len{512ll << 20};
  std::atomic<int64_t> client_query_buffer_limit{1ll << 30};
  std::atomic<int64_t> tcp_backlog{511};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> databases{16};
  std::string requirepass;
  std::string logfile;
  std::string loglevel = "notice";
  mutable std::mutex mu;
};

}  // namespace aegisr
