// The CONFIG command: GET, SET, RESETSTAT, REWRITE, HELP. Handlers run on the caller's loop
// thread; the logic (ConfigGetPairs, ConfigSetPairs, RewriteConfigFile) takes a Config& and is
// safe to run on several threads at once (CONFIG SETs are serialized by a mutex here).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/glob.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"

namespace aegisr {
namespace {

// Serializes CONFIG SET so that concurrent multi-knob SETs do not interleave their writes.
std::mutex g_set_mu;

bool HasGlobChars(std::string_view p) { return p.find_first_of("*?[") != std::string_view::npos; }

std::string SetFailed(std::string_view name, std::string_view reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(reason);
}

// The knob CONFIG GET/SET name: by its name, or by an alias that Redis knows too
// (list-max-ziplist-size); not by our own flag aliases (host).
const Knob* FindConfigKnob(std::string_view name) {
  if (const Knob* k = FindKnob(name)) return k;
  const Knob* k = FindKnobOrAlias(name);
  return k && (k->flags & kKnobRedisAlias) ? k : nullptr;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ConfigGetPairs(
    const Config& cfg, std::span<const std::string_view> patterns) {
  auto knobs = Knobs();
  // The name each matched knob is reported under (empty: not matched).
  std::vector<std::string> shown(knobs.size());
  std::vector<bool> matched(knobs.size(), false);
  std::vector<bool> alias_matched(knobs.size(), false);  // by a pattern, under its old name
  for (std::string_view pat : patterns) {
    if (!HasGlobChars(pat)) {
      const Knob* k = FindConfigKnob(pat);
      if (!k) continue;
      size_t i = static_cast<size_t>(k - knobs.data());
      if (!matched[i]) {
        matched[i] = true;
        shown[i] = std::string(pat);
      }
      continue;
    }
    for (size_t i = 0; i < knobs.size(); ++i) {
      if (!matched[i] && GlobMatch(pat, knobs[i].name, /*nocase=*/true)) {
        matched[i] = true;
        shown[i] = std::string(knobs[i].name);
      }
      // Redis lists an alias (list-max-ziplist-size, ...) as a knob of its own in patterns.
      if ((knobs[i].flags & kKnobRedisAlias) && GlobMatch(pat, knobs[i].alias, /*nocase=*/true))
        alias_matched[i] = true;
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < knobs.size(); ++i) {
    if (matched[i]) out.emplace_back(std::move(shown[i]), FormatKnob(cfg, knobs[i]));
    if (alias_matched[i] && !(matched[i] && out.back().first == knobs[i].alias))
      out.emplace_back(std::string(knobs[i].alias), FormatKnob(cfg, knobs[i]));
  }
  return out;
}

Status ConfigSetPairs(Config& cfg, std::span<const std::string_view> args) {
  if (args.empty() || args.size() % 2 != 0) return Status::Error(std::string(errors::kSyntax));
  const size_t n = args.size() / 2;
  std::vector<const Knob*> knobs(n);
  // Pass 1, as Redis: every name must exist, be settable, and appear once.
  for (size_t i = 0; i < n; ++i) {
    std::string_view name = args[2 * i];
    const Knob* k = FindConfigKnob(name);
    if (!k) {
      return Status::Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                           std::string(name) + "'");
    }
    if (k->flags & kKnobImmutable)
      return Status::Error(SetFailed(name, "can't set immutable config"));
    if (k->flags & kKnobProtected)
      return Status::Error(SetFailed(name, "can't set protected config"));
    for (size_t j = 0; j < i; ++j) {
      if (knobs[j] == k) return Status::Error(SetFailed(name, "duplicate parameter"));
    }
    knobs[i] = k;
  }
  // Pass 2: every value must parse. Nothing has changed yet.
  std::vector<KnobValue> values(n);
  for (size_t i = 0; i < n; ++i) {
    KnobError err = ParseKnobText(*knobs[i], args[2 * i + 1], &values[i]);
    if (err != KnobError::kOk) {
      return Status::Error(SetFailed(args[2 * i], KnobErrorReason(*knobs[i], err)));
    }
  }
  {
    std::lock_guard<std::mutex> lk(g_set_mu);
    for (size_t i = 0; i < n; ++i) AssignKnob(cfg, *knobs[i], values[i]);
  }
  for (size_t i = 0; i < n; ++i) cfg.NotifySubscribers(knobs[i]->name);
  return Status::Ok();
}

Status RewriteConfigFile(const Config& cfg, const std::string& path) {
  if (path.empty()) return Status::Error("ERR The server is running without a config file");
  std::string text =
      "# Aegisr configuration, written by CONFIG REWRITE: the settings that differ from their\n"
      "# defaults. See docs/configuration.md.\n";
  for (const Knob& k : Knobs()) {
    std::string v = FormatKnob(cfg, k);
    if (v == FormatKnobDefault(k)) continue;
    text += std::string(k.name) + " = ";
    switch (k.type) {
      case KnobType::kInt:
      case KnobType::kMemory:
        text += v;
        break;
      case KnobType::kBool:
        text += v == "yes" ? "true" : "false";
        break;
      case KnobType::kEnum:
      case KnobType::kString:
        text += QuoteToml(v);
        break;
    }
    text += "\n";
  }
  std::string tmp = path + ".rewrite-" + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::Error(std::string("ERR Rewriting config file: ") + std::strerror(errno));
  Status st = WriteAll(fd, text);
  if (st.ok() && fsync(fd) != 0) st = Status::Error(std::strerror(errno));
  close(fd);
  if (st.ok() && rename(tmp.c_str(), path.c_str()) != 0) st = Status::Error(std::strerror(errno));
  if (!st.ok()) {
    unlink(tmp.c_str());
    return Status::Error("ERR Rewriting config file: " + st.message());
  }
  return Status::Ok();
}

namespace {

// CONFIG GET parameter [parameter ...]
void CmdConfigGet(CommandContext& ctx, ArgList args) {
  auto pairs = ConfigGetPairs(ctx.engine.config(), args.subspan(2));
  ctx.reply.MapHeader(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(value);
  }
}

// CONFIG SET parameter value [parameter value ...]
void CmdConfigSet(CommandContext& ctx, ArgList args) {
  Status st = ConfigSetPairs(ctx.engine.config(), args.subspan(2));
  if (st.ok()) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(st.message());
  }
}

// CONFIG RESETSTAT
// Zeroes the counters INFO reports. Each thread's counters are written only by that thread, so
// a reset racing with a command in flight may lose that one increment; Redis makes no stronger
// promise about a reset concurrent with traffic.
void CmdConfigResetstat(CommandContext& ctx, ArgList) {
  Engine& e = ctx.engine;
  for (const auto& st : e.all_thread_stats()) {
    for (auto* c : {&st->commands, &st->connections, &st->rejected_connections,
                    &st->net_input_bytes, &st->net_output_bytes, &st->pubsub_direct_writes}) {
      c->store(0, std::memory_order_relaxed);
    }
    for (size_t i = 0; i < e.command_count(); ++i) {
      auto& pc = st->per_command[i];
      for (auto* c : {&pc.calls, &pc.usec, &pc.rejected, &pc.failed}) {
        c->store(0, std::memory_order_relaxed);
      }
    }
  }
  ctx.reply.Ok();
}

// CONFIG REWRITE
void CmdConfigRewrite(CommandContext& ctx, ArgList) {
  const std::string& path =
      ctx.engine.config_file().empty() ? ctx.engine.config().config_file : ctx.engine.config_file();
  Status st = RewriteConfigFile(ctx.engine.config(), path);
  if (st.ok()) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(st.message());
  }
}

// CONFIG HELP
void CmdConfigHelp(CommandContext& ctx, ArgList) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    The settings whose names match <pattern> (a glob), with their values.",
      "SET <directive> <value>",
      "    Change <directive> to <value> at run time (several pairs allowed).",
      "RESETSTAT",
      "    Zero the counters that INFO reports.",
      "REWRITE",
      "    Write the current settings back to the file the server was started with.",
      "HELP",
      "    Show this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view l : kLines) ctx.reply.SimpleString(l);
}

// CONFIG <subcommand>: reached only when the dispatcher did not resolve a subcommand.
void CmdConfig(CommandContext& ctx, ArgList args) {
  std::string msg = "ERR unknown subcommand '";
  if (args.size() > 1) msg.append(args[1].substr(0, 128));
  msg += "'. Try CONFIG HELP.";
  for (char& c : msg) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  ctx.reply.Error(msg);
}

}  // namespace

void RegisterConfigFamily(CommandRegistry& r) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoscript | kCmdLoading | kCmdStale;
  CommandSpec config("config", -2, 0, 0, 0, 0, CmdConfig);
  config.subcommands.emplace_back("config|get", -3, kAdmin, 0, 0, 0, CmdConfigGet);
  config.subcommands.emplace_back("config|set", -4, kAdmin, 0, 0, 0, CmdConfigSet);
  config.subcommands.emplace_back("config|resetstat", 2, kAdmin, 0, 0, 0, CmdConfigResetstat);
  config.subcommands.emplace_back("config|rewrite", 2, kAdmin, 0, 0, 0, CmdConfigRewrite);
  config.subcommands.emplace_back("config|help", 2, kCmdLoading | kCmdStale, 0, 0, 0,
                                  CmdConfigHelp);
  r.Register(std::move(config));
}

}  // namespace aegisr
