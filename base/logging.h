#pragma once
// Minimal leveled logging to stderr, and CHECK/DCHECK for invariants (never for client input).
// Thread-safe: each line is formatted into one buffer and written with one write(2).

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace aegisr {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Redirect logging to a file (appending). An empty path means stderr.
bool SetLogFile(const std::string& path);

namespace detail {
class LogLine {
 public:
  LogLine(LogLevel level, const char* file, int line, bool fatal = false);
  ~LogLine();
  std::ostream& stream() { return os_; }

 private:
  [[maybe_unused]] LogLevel level_;
  bool fatal_;
  std::ostringstream os_;
};
struct Voidify {
  void operator&(std::ostream&) {}
};
}  // namespace detail

}  // namespace aegisr

#define AEGISR_LOG(level)                                    \
  !(::aegisr::LogLevel::k##level >= ::aegisr::GetLogLevel()) \
      ? (void)0                                              \
      : ::aegisr::detail::Voidify() &                        \
            ::aegisr::detail::LogLine(::aegisr::LogLevel::k##level, __FILE__, __LINE__).stream()

#define LOG(level) AEGISR_LOG(level)

#define CHECK(cond)                                                                            \
  (cond) ? (void)0                                                                             \
         : ::aegisr::detail::Voidify() &                                                       \
               ::aegisr::detail::LogLine(::aegisr::LogLevel::kError, __FILE__, __LINE__, true) \
                       .stream()                                                               \
                   << "Check failed: " #cond " "

#ifdef NDEBUG
#define DCHECK(cond) \
  while (false) CHECK(cond)
#else
#define DCHECK(cond) CHECK(cond)
#endif
