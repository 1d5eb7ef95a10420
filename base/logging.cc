// Logging implementation: timestamped lines in Redis's log style, one write(2) per line.
#include "base/logging.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <ctime>

namespace aegisr {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_fd{2};
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

bool SetLogFile(const std::string& path) {
  if (path.empty()) {
    g_fd.store(2);
    return true;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  g_fd.store(fd);
  return true;
}

namespace detail {
LogLine::LogLine(LogLevel level, const char* file, int line, bool fatal)
    : level_(level), fatal_(fatal) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm t;
  localtime_r(&tv.tv_sec, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%d %b %Y %H:%M:%S", &t);
  snprintf(buf + n, sizeof(buf) - n, ".%03d", static_cast<int>(tv.tv_usec / 1000));
  static const char kMarks[] = {'.', '-', '#', '!'};
  os_ << getpid() << ":M " << buf << ' ' << kMarks[static_cast<int>(level)] << ' ';
  if (level == LogLevel::kDebug || fatal) {
    const char* base = strrchr(file, '/');
    os_ << (base ? base + 1 : file) << ':' << line << ' ';
  }
}

LogLine::~LogLine() {
  os_ << '\n';
  std::string s = os_.str();
  ssize_t r = ::write(g_fd.load(std::memory_order_relaxed), s.data(), s.size());
  (void)r;
  if (fatal_) abort();
}
}  // namespace detail
}  // namespace aegisr
