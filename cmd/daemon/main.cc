// aegisr-daemon: parses flags and the config file, starts the server, and waits for SIGTERM,
// SIGINT or SHUTDOWN. Exit codes: 0 after a clean shutdown, 1 when the server cannot start
// (port in use, io_uring required but missing), 2 for bad configuration.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "base/logging.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "net/server.h"

int main(int argc, char** argv) {
  using namespace aegisr;
  // Large OS pages stay off unless MIMALLOC_LARGE_OS_PAGES=1 (mimalloc reads it): they cut TLB
  // misses (~20% on GET at 1M keys in process), but mimalloc then marks its memory
  // MADV_HUGEPAGE, so growing the keyspace takes one 2 MiB page fault per 2 MiB of new memory
  // on the command path. On a VM whose memory the host has not backed yet each such fault
  // took 5-15 ms, which doubled the GET p99.9 while growing to 10M keys (docs/perf.md).
  Config cfg;
  bool show_help = false;
  Status s = ParseCommandLine(argc, argv, &cfg, &show_help);
  if (show_help) {
    std::fputs(HelpText().c_str(), stdout);
    return s.ok() ? 0 : 2;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "aegisr-daemon: %s\n", s.message().c_str());
    return 2;
  }
  std::string logfile = cfg.Logfile();
  if (!logfile.empty() && !SetLogFile(logfile)) {
    std::fprintf(stderr, "aegisr-daemon: can't open the log file '%s'\n", logfile.c_str());
    return 2;
  }
  std::string level = cfg.Loglevel();
  SetLogLevel(level == "debug" || level == "verbose" ? LogLevel::kDebug
              : level == "warning"                   ? LogLevel::kWarning
                                                     : LogLevel::kInfo);

  // Signals are taken by sigwait on this thread only; workers inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Engine engine(&cfg);
  engine.set_config_file(cfg.config_file);
  Server server(engine);
  if (Status st = server.Start(); !st.ok()) {
    if (!cfg.Logfile().empty()) LOG(Error) << st.message();  // else stderr says it below
    std::fprintf(stderr, "aegisr-daemon: %s\n", st.message().c_str());
    return 1;
  }

  // A helper thread turns a signal into a shutdown request; the main thread waits for the
  // workers, which exit after SHUTDOWN as well.
  std::atomic<bool> exiting{false};
  std::thread signals([&server, &exiting, set] {
    int sig = 0;
    sigwait(&set, &sig);
    if (exiting.load(std::memory_order_acquire)) return;  // main's wake-up below, not a signal
    if (sig == SIGTERM || sig == SIGINT) {
      LOG(Info) << "Received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
                << ", scheduling shutdown...";
      server.RequestShutdown();
    }
  });
  server.Wait();
  LOG(Info) << "Aegisr is now ready to exit, bye bye...";
  // The signal thread may still be in sigwait (shutdown came from SHUTDOWN): wake it, telling
  // it first that this SIGTERM is ours, so that it does not log a signal nobody sent.
  exiting.store(true, std::memory_order_release);
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  return 0;
}
