#pragma once
// The command table: one CommandSpec row per command (name, arity, flags, key positions,
// handler), and the context a handler runs with. Handlers run on the connection's loop thread,
// synchronously, over in-RAM data; they take shard locks through the Keyspace API.

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/reply.h"

namespace aegisr {

class Engine;
struct ClientState;

// args[0] is the command name as the client sent it; args point into the connection's buffer
// and are valid for the duration of the handler call only.
using ArgList = std::span<const std::string_view>;

struct CommandContext {
  Engine& engine;
  ClientState& client;
  ReplySink& reply;
};

using CommandHandler = void (*)(CommandContext& ctx, ArgList args);

// Command flags, named as in Redis's COMMAND INFO.
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubsub = 1u << 4,
  kCmdNoscript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdNoMulti = 1u << 14,
  kCmdMovableKeys = 1u << 15,
  kCmdAllowBusy = 1u << 16,
  kCmdSentinel = 1u << 17,
};

struct CommandSpec {
  std::string name;  // lower case, e.g. "get" or, for a subcommand, "config|get"
  int arity = 0;     // Redis arity: >0 exact, <0 at least -arity
  uint32_t flags = 0;
  int first_key = 0;
  int last_key = 0;
  int key_step = 0;
  // Movable keys counted by an argument (LMPOP, ZMPOP, SINTERCARD, ZUNION, ...): the index of
  // the numkeys argument; the keys follow it. 0: none (first/last/step say it all).
  int numkeys_arg = 0;
  // Keys after a STREAMS argument (XREAD, XREADGROUP): the first half of the arguments that
  // follow the first "STREAMS" (any case) from args[1] on.
  bool streams_keys = false;
  CommandHandler handler = nullptr;
  std::vector<CommandSpec> subcommands;  // CONFIG GET, CLIENT LIST, ...
  uint32_t id = 0;                       // index into per-thread stats, set at registration

  CommandSpec() = default;
  CommandSpec(std::string n, int a, uint32_t f, int fk, int lk, int ks, CommandHandler h)
      : name(std::move(n)),
        arity(a),
        flags(f),
        first_key(fk),
        last_key(lk),
        key_step(ks),
        handler(h) {}
  // A container command (CONFIG, CLIENT, ...) with its subcommands.
  CommandSpec(std::string n, int a, uint32_t f, std::vector<CommandSpec> subs)
      : name(std::move(n)), arity(a), flags(f), subcommands(std::move(subs)) {}

  bool ArityOk(size_t argc) const {
    return arity > 0 ? argc == size_t(arity) : argc >= size_t(-arity);
  }
  const CommandSpec* FindSubcommand(std::string_view sub) const;
  // Calls fn(arg index) for each key argument of args: by first/last/step, or the numkeys keys
  // after args[numkeys_arg] (none if that count is not a positive integer that fits).
  template <typename Fn>
  void ForEachKey(ArgList args, Fn&& fn) const {
    size_t argc = args.size();
    if (numkeys_arg > 0) {
      size_t n = size_t(numkeys_arg);
      int64_t count = n < argc ? NumKeys(args[n]) : 0;
      if (count <= 0 || uint64_t(count) > argc - n - 1) return;
      for (size_t i = n + 1; i <= n + size_t(count); ++i) fn(i);
      return;
    }
    if (streams_keys) {
      for (size_t i = 1; i < argc; ++i) {
        if (!IsStreamsKeyword(args[i])) continue;
        size_t rest = argc - i - 1;
        if (rest == 0 || rest % 2 != 0) return;
        for (size_t j = i + 1; j <= i + rest / 2; ++j) fn(j);
        return;
      }
      return;
    }
    if (first_key <= 0) return;
    int last = last_key >= 0 ? last_key : int(argc) + last_key;
    int step = key_step > 0 ? key_step : 1;
    for (int i = first_key; i <= last && i < int(argc); i += step) fn(size_t(i));
  }
  // "streams" in any case.
  static bool IsStreamsKeyword(std::string_view arg);
  // The numkeys argument's value, or 0 if it is not a canonical integer.
  static int64_t NumKeys(std::string_view arg);
};

// Name -> spec, case-insensitive. Filled once at startup, read-only afterwards (thread-safe).
class CommandRegistry {
 public:
  void Register(CommandSpec spec);
  const CommandSpec* Find(std::string_view name) const;
  size_t size() const { return by_name_.size(); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (auto& [n, s] : by_name_) fn(*s);
  }
  template <typename Fn>
  void ForEachMutable(Fn&& fn) {
    for (auto& [n, s] : by_name_) fn(*s);
  }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<CommandSpec>, NameHash, std::equal_to<>> by_name_;
};

// Lower-cases ASCII into out (reused buffer, no allocation once grown).
void AsciiLower(std::string_view in, std::string* out);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Every command family registers its rows through one function of this shape.
void RegisterStringFamily(CommandRegistry& r);
void RegisterKeyFamily(CommandRegistry& r);
void RegisterListFamily(CommandRegistry& r);
void RegisterSortFamily(CommandRegistry& r);
void RegisterHashFamily(CommandRegistry& r);
void RegisterSetFamily(CommandRegistry& r);
void RegisterZSetFamily(CommandRegistry& r);
void RegisterBitmapFamily(CommandRegistry& r);
void RegisterGeoFamily(CommandRegistry& r);
void RegisterServerFamily(CommandRegistry& r);
void RegisterConfigFamily(CommandRegistry& r);
void RegisterHllFamily(CommandRegistry& r);
void RegisterBloomFamily(CommandRegistry& r);
void RegisterStreamFamily(CommandRegistry& r);
void RegisterStreamGroupFamily(CommandRegistry& r);
void RegisterPubSubFamily(CommandRegistry& r);

}  // namespace aegisr
