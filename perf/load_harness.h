#pragma once
// load_harness.h: what the perf/ load programs (multi_load, xgroup_load, pubsub_load) share
// besides the RESP client (resp_client.h): "--name value" flags, and client threads that start
// their timed work together and are timed as one run.
// Header-only, libc and the STL only, like resp_client.h (the scripts build each program with a
// plain `g++ -O2 -std=c++20 -pthread perf/x_load.cc`).
// Threading: ParseFlags runs on the main thread; RunClients starts the client threads, which
// share only the StartGate (an atomic).

#include <errno.h>  // program_invocation_short_name

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace load {

// One "--name value" flag and the variable its value goes to (atoi, strtoull or atof of it).
struct Flag {
  std::string_view name;
  std::variant<int*, uint64_t*, double*> target;
};

// Sets the flags' variables from argv's "--name value" pairs. An unknown name, or a name
// without its value, prints the usage line (every flag) and exits with status 2.
inline void ParseFlags(int argc, char** argv, std::initializer_list<Flag> flags) {
  for (int i = 1; i < argc; i += 2) {
    const Flag* flag = nullptr;
    for (const Flag& f : flags)
      if (f.name == argv[i]) flag = &f;
    if (flag == nullptr || i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s %s\nusage: %s", program_invocation_short_name,
                   flag == nullptr ? "unknown option" : "no value for", argv[i],
                   program_invocation_short_name);
      for (const Flag& f : flags)
        std::fprintf(stderr, " [%.*s N]", static_cast<int>(f.name.size()), f.name.data());
      std::fprintf(stderr, "\n");
      std::exit(2);
    }
    const char* v = argv[i + 1];
    if (auto* p = std::get_if<int*>(&flag->target)) **p = std::atoi(v);
    if (auto* p = std::get_if<uint64_t*>(&flag->target)) **p = std::strtoull(v, nullptr, 10);
    if (auto* p = std::get_if<double*>(&flag->target)) **p = std::atof(v);
  }
}

// Holds client threads after their setup (connecting) until every one has been started, so
// that the timed work begins for all of them at once.
class StartGate {
 public:
  void Wait() const {
    while (!open_.load(std::memory_order_acquire)) std::this_thread::yield();
  }
  void Open() { open_.store(true, std::memory_order_release); }

 private:
  std::atomic<bool> open_{false};
};

struct ClientsRun {
  double seconds = 0;  // from the opening of the gate to the end of the last thread
  uint64_t total = 0;  // the sum of what the threads returned
};

// Runs fn(i, gate) on n threads, i = 0 .. n-1: fn sets up, calls gate.Wait(), does its timed
// work and returns what it counted. The gate opens as soon as the threads are started.
template <class Fn>
ClientsRun RunClients(int n, Fn fn) {
  StartGate gate;
  std::vector<uint64_t> counts(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] { counts[static_cast<size_t>(i)] = fn(i, gate); });
  auto start = std::chrono::steady_clock::now();
  gate.Open();
  for (std::thread& t : threads) t.join();
  ClientsRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (uint64_t c : counts) run.total += c;
  return run;
}

}  // namespace load
