// aegisr-cli: the terminal client. Behaves as redis-cli 7.0 (options, one-shot, stdin and
// interactive modes, output rendering) against Aegisr's default port. Single-threaded.

#include <editline/readline.h>
#include <strings.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "cmd/cli/cli_format.h"
#include "net/client/blocking_client.h"

namespace aegisr::cli {
namespace {

using client::BlockingClient;
using client::Reply;
using client::ReplyType;

constexpr const char* kVersion = "0.1.0";
constexpr uint16_t kDefaultPort = 1211;
constexpr auto kConnectTimeout = std::chrono::seconds(10);

enum class OutputMode { kTty, kRaw };

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = kDefaultPort;
  int dbnum = 0;
  std::string password;
  std::string user;
  bool have_password = false;
  bool auth_warning = true;
  int resp = 2;
  OutputMode output = OutputMode::kRaw;
  long repeat = 1;
  double interval_s = 0;
  bool stdin_last_arg = false;
  bool set_errcode = false;
  // Session state shown in the prompt.
  bool in_multi = false;
};

Config g_config;
BlockingClient g_client;

void Usage(FILE* f) {
  std::fprintf(f,
               "aegisr-cli %s\n"
               "\n"
               "Usage: aegisr-cli [OPTIONS] [cmd [arg [arg ...]]]\n"
               "  -h <hostname>      Server hostname (default: 127.0.0.1).\n"
               "  -H <hostname>      Same as -h.\n"
               "  -p <port>          Server port (default: %u).\n"
               "  -a <password>      Password to use when connecting to the server.\n"
               "  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.\n"
               "  --no-auth-warning  Don't show the warning message when using -a.\n"
               "  -n <db>            Database number.\n"
               "  -2                 Start session in RESP2 protocol mode.\n"
               "  -3                 Start session in RESP3 protocol mode.\n"
               "  -r <repeat>        Execute specified command N times (-1: forever).\n"
               "  -i <interval>      When -r is used, waits <interval> seconds per command.\n"
               "  -x                 Read last argument from STDIN.\n"
               "  -e                 Return exit error code when command execution fails.\n"
               "  --raw              Use raw formatting for replies (default when STDOUT is\n"
               "                     not a tty).\n"
               "  --no-raw           Force formatted output even when STDOUT is not a tty.\n"
               "  --help             Output this help and exit.\n"
               "  -v, --version      Output version and exit.\n"
               "\n"
               "Examples:\n"
               "  aegisr-cli incr mycounter\n"
               "  aegisr-cli -n 2 get mykey\n"
               "  printf 'set a 1\\nget a\\n' | aegisr-cli\n"
               "  cat /etc/passwd | aegisr-cli -x set mypasswd\n"
               "  aegisr-cli -r 100 -i 1 info | grep used_memory_human:\n"
               "\n"
               "When no command is given, aegisr-cli starts in interactive mode (or reads\n"
               "commands from STDIN, one per line, when STDIN is not a tty).\n",
               kVersion, kDefaultPort);
}

// Parses options; returns the index of the first command argument. Exits on bad options.
int ParseOptions(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    bool last = i == argc - 1;
    auto need_int = [&](long lo, long hi, long* out) {
      char* end = nullptr;
      long v = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || v < lo || v > hi) {
        std::fprintf(stderr, "Invalid value for %s: '%s'\n", a.c_str(), argv[i]);
        std::exit(1);
      }
      *out = v;
    };
    long v = 0;
    if ((a == "-h" || a == "-H") && !last) {
      g_config.host = argv[++i];
    } else if (a == "-h" && last) {
      Usage(stdout);
      std::exit(0);
    } else if (a == "--help") {
      Usage(stdout);
      std::exit(0);
    } else if (a == "-v" || a == "--version") {
      std::printf("aegisr-cli %s\n", kVersion);
      std::exit(0);
    } else if (a == "-p" && !last) {
      need_int(0, 65535, &v);
      g_config.port = static_cast<uint16_t>(v);
    } else if (a == "-n" && !last) {
      need_int(0, 1 << 30, &v);
      g_config.dbnum = static_cast<int>(v);
    } else if ((a == "-a" || a == "--pass") && !last) {
      g_config.password = argv[++i];
      g_config.have_password = true;
    } else if (a == "--user" && !last) {
      g_config.user = argv[++i];
    } else if (a == "--no-auth-warning") {
      g_config.auth_warning = false;
    } else if (a == "-2") {
      g_config.resp = 2;
    } else if (a == "-3") {
      g_config.resp = 3;
    } else if (a == "--raw") {
      g_config.output = OutputMode::kRaw;
    } else if (a == "--no-raw") {
      g_config.output = OutputMode::kTty;
    } else if (a == "-r" && !last) {
      need_int(-1, 1L << 62, &v);
      g_config.repeat = v;
    } else if (a == "-i" && !last) {
      char* end = nullptr;
      double d = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(d >= 0) || !std::isfinite(d)) {
        std::fprintf(stderr, "Invalid value for -i: '%s'\n", argv[i]);
        std::exit(1);
      }
      g_config.interval_s = d;
    } else if (a == "-x") {
      g_config.stdin_last_arg = true;
    } else if (a == "-e") {
      g_config.set_errcode = true;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "Unrecognized option or bad number of args for: '%s'\n", argv[i]);
      std::exit(1);
    } else {
      break;
    }
  }
  return i;
}

std::string Prompt() {
  if (!g_client.connected()) return "not connected> ";
  std::string p = g_config.host + ":" + std::to_string(g_config.port);
  if (g_config.dbnum != 0) p += "[" + std::to_string(g_config.dbnum) + "]";
  if (g_config.in_multi) p += "(TX)";
  return p + "> ";
}

// Runs a session-setup command (AUTH, SELECT, HELLO); false on an error reply or I/O error.
bool SetupCommand(std::vector<std::string> args, const char* what) {
  Reply r;
  Status s = g_client.Call(args, &r);
  if (!s.ok()) {
    std::fprintf(stderr, "Error: %s\n", s.message().c_str());
    return false;
  }
  if (r.type == ReplyType::kError) {
    std::fprintf(stderr, "%s failed: %s\n", what, r.str.c_str());
    return false;
  }
  return true;
}

// Connects and sets up the session. On failure prints redis-cli's message (naming Aegisr).
bool Connect() {
  Status s = g_client.Connect(g_config.host, g_config.port, kConnectTimeout);
  if (!s.ok()) {
    std::fprintf(stderr, "Could not connect to Aegisr at %s:%u: %s\n", g_config.host.c_str(),
                 g_config.port, s.message().c_str());
    return false;
  }
  if (g_config.have_password) {
    std::vector<std::string> auth = {"AUTH"};
    if (!g_config.user.empty()) auth.push_back(g_config.user);
    auth.push_back(g_config.password);
    SetupCommand(auth, "AUTH");
  }
  if (g_config.dbnum != 0 && g_client.connected()) {
    if (!SetupCommand({"SELECT", std::to_string(g_config.dbnum)},
                      ("SELECT " + std::to_string(g_config.dbnum)).c_str())) {
      g_config.dbnum = 0;
    }
  }
  if (g_config.resp == 3 && g_client.connected()) SetupCommand({"HELLO", "3"}, "HELLO 3");
  g_config.in_multi = false;
  return g_client.connected();
}

void PrintReply(const Reply& r, bool raw_always) {
  if (g_config.set_errcode && r.type == ReplyType::kError) {
    // With -e an error reply goes to stderr, bare, whatever the output mode.
    std::fprintf(stderr, "%s\n", r.str.c_str());
    return;
  }
  std::string out;
  if (raw_always) {
    out = FormatRaw(r);
  } else if (g_config.output == OutputMode::kTty) {
    out = FormatTty(r);
  } else {
    out = FormatRaw(r) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

bool IsCommand(const std::vector<std::string>& argv, const char* name) {
  return !argv.empty() && strcasecmp(argv[0].c_str(), name) == 0;
}

// Sends one command and prints its reply (and any push messages before it). Returns 0, or 1
// on an I/O error or (with -e) an error reply.
int IssueCommand(const std::vector<std::string>& argv) {
  if (!g_client.connected() && !Connect()) return 1;
  Status s = g_client.Send(argv);
  const bool raw_always = PrintsRawAlways(argv);
  const bool streaming = IsCommand(argv, "subscribe") || IsCommand(argv, "psubscribe") ||
                         IsCommand(argv, "ssubscribe") || IsCommand(argv, "monitor");
  if (streaming && s.ok() && g_config.output == OutputMode::kTty) {
    std::printf("Reading messages... (press Ctrl-C to quit)\n");
  }
  for (;;) {
    Reply r;
    if (s.ok()) s = g_client.ReadReply(&r);
    if (!s.ok() && IsCommand(argv, "shutdown") && !g_client.connected()) {
      // A server that shut down closes the connection without replying: that is success,
      // as redis-cli treats it (no output, exit 0).
      return 0;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "Error: %s\n", s.message().c_str());
      return 1;
    }
    if (r.type == ReplyType::kPush && !streaming) {
      // Out-of-band message (e.g. client tracking): redis-cli shows it on a terminal only.
      if (g_config.output == OutputMode::kTty) PrintReply(r, false);
      continue;
    }
    PrintReply(r, raw_always);
    if (streaming) continue;  // print messages until the connection ends
    if (r.type == ReplyType::kError) return g_config.set_errcode ? 1 : 0;
    if (IsCommand(argv, "select") && argv.size() == 2) {
      g_config.dbnum = std::atoi(argv[1].c_str());
    } else if (IsCommand(argv, "multi")) {
      g_config.in_multi = true;
    } else if (IsCommand(argv, "exec") || IsCommand(argv, "discard")) {
      g_config.in_multi = false;
    } else if (IsCommand(argv, "hello") && argv.size() >= 2) {
      g_config.resp = std::atoi(argv[1].c_str()) == 3 ? 3 : 2;
    }
    return 0;
  }
}

int OneShot(std::vector<std::string> args) {
  if (g_config.stdin_last_arg) {
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    args.push_back(std::move(all));
  }
  if (!Connect()) return 1;
  int rc = 0;
  for (long n = 0; g_config.repeat < 0 || n < g_config.repeat; ++n) {
    if (n > 0 && g_config.interval_s > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(g_config.interval_s));
    }
    rc = IssueCommand(args);
    if (rc != 0 && !g_client.connected()) break;
  }
  return rc;
}

void PrintHelp() {
  std::printf(
      "aegisr-cli %s\n"
      "To get help about Aegisr commands type:\n"
      "      \"help\" to show this text\n"
      "      \"quit\" or \"exit\" to leave\n"
      "      \"connect <host> <port>\" to connect to another server\n"
      "      \"clear\" to clear the screen\n"
      "Prefix a command with a number N to run it N times.\n",
      kVersion);
}

// Handles one line in the REPL. Returns false to leave the loop.
bool HandleLine(const std::string& line) {
  std::optional<std::vector<std::string>> parsed = SplitArgs(line);
  if (!parsed) {
    std::printf("Invalid argument(s)\n");
    std::fflush(stdout);
    return true;
  }
  std::vector<std::string> argv = std::move(*parsed);
  if (argv.empty()) return true;
  if (IsCommand(argv, "quit") || IsCommand(argv, "exit")) return false;
  if (argv.size() == 1 && (IsCommand(argv, "help") || argv[0] == "?")) {
    PrintHelp();
    return true;
  }
  if (argv.size() == 1 && IsCommand(argv, "clear")) {
    std::printf("\x1b[H\x1b[2J");
    std::fflush(stdout);
    return true;
  }
  if (IsCommand(argv, "connect") && argv.size() >= 2 && argv.size() <= 3) {
    g_config.host = argv[1];
    if (argv.size() == 3) g_config.port = static_cast<uint16_t>(std::atoi(argv[2].c_str()));
    g_config.dbnum = 0;
    g_client.Close();
    Connect();
    return true;
  }
  long repeat = 1;
  if (argv.size() > 1) {
    char* end = nullptr;
    long v = std::strtol(argv[0].c_str(), &end, 10);
    if (!argv[0].empty() && *end == '\0') {
      if (v <= 0) {
        std::printf("Invalid redis-cli repeat command option value.\n");
        std::fflush(stdout);
        return true;
      }
      repeat = v;
      argv.erase(argv.begin());
    }
  }
  for (long i = 0; i < repeat; ++i) {
    IssueCommand(argv);
  }
  return true;
}

std::string HistoryPath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/.aegisr_cli_history";
}

int Repl() {
  Connect();
  const bool tty = isatty(STDIN_FILENO);
  if (!tty) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!HandleLine(line)) break;
    }
    return 0;
  }
  std::string history = HistoryPath();
  using_history();
  if (!history.empty()) read_history(history.c_str());
  for (;;) {
    std::string prompt = Prompt();
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) break;
    std::string line = raw;
    std::free(raw);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::optional<std::vector<std::string>> peek = SplitArgs(line);
    // Do not keep passwords in the history file.
    bool secret = peek && !peek->empty() &&
                  (strcasecmp((*peek)[0].c_str(), "auth") == 0 ||
                   strcasecmp((*peek)[0].c_str(), "hello") == 0);
    if (!secret) {
      add_history(line.c_str());
      if (!history.empty()) write_history(history.c_str());
    }
    if (!HandleLine(line)) break;
  }
  return 0;
}

}  // namespace
}  // namespace aegisr::cli

int main(int argc, char** argv) {
  using namespace aegisr::cli;
  g_config.output = isatty(STDOUT_FILENO) ? OutputMode::kTty : OutputMode::kRaw;
  int first = ParseOptions(argc, argv);
  if (g_config.have_password && g_config.auth_warning) {
    std::fprintf(stderr,
                 "Warning: Using a password with '-a' or '-u' option on the command line "
                 "interface may not be safe.\n");
  }
  std::vector<std::string> args(argv + first, argv + argc);
  if (args.empty() && !g_config.stdin_last_arg) return Repl();
  return OneShot(std::move(args));
}
