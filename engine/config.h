#pragma once
// Config: the daemon's settings, and the one declarative table of knobs (Knobs()) that the
// TOML/JSON loader, the command line, --help and CONFIG GET/SET/REWRITE all read.
// Threading: numeric and bool knobs are atomics (read them with relaxed loads from any thread);
// string knobs are guarded by Config::mu (read them through the accessors, which return copies).

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace aegisr {

// maxmemory-policy, in the order Redis lists them. Config::maxmemory_policy_id holds one.
enum class MaxmemoryPolicy : int64_t {
  kVolatileLru = 0,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllkeysLru,
  kAllkeysLfu,
  kAllkeysRandom,
  kNoeviction,
  kAdaptive,  // Aegisr's own (tier/policy.h): recency against frequency, tuned by duels
};

struct Config {
  // Fills every knob with its default from the table.
  Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  // --- knobs (see Knobs() in config.cc for names, bounds, defaults and help) ---
  std::string bind;  // guarded by mu
  std::atomic<int64_t> port{0};
  std::atomic<int64_t> threads{0};  // 0: number of online CPUs
  std::string io_backend;           // auto | uring | epoll; guarded by mu
  std::atomic<int64_t> idle_poll_us{0};
  std::atomic<int64_t> maxclients{0};
  std::atomic<int64_t> proto_max_bulk_len{0};
  std::atomic<int64_t> client_query_buffer_limit{0};
  std::atomic<int64_t> tcp_backlog{0};
  std::atomic<int64_t> hz{0};
  std::atomic<int64_t> databases{0};
  std::string requirepass;  // guarded by mu
  std::string logfile;      // guarded by mu
  std::string loglevel;     // debug | verbose | notice | warning; guarded by mu
  std::atomic<int64_t> timeout{0};
  std::atomic<int64_t> tcp_keepalive{0};
  std::atomic<int64_t> maxmemory{0};
  std::string maxmemory_policy;                 // guarded by mu; the name
  std::atomic<int64_t> maxmemory_policy_id{0};  // the same, as a MaxmemoryPolicy
  std::atomic<int64_t> maxmemory_samples{0};
  std::atomic<int64_t> lfu_log_factor{0};
  std::string tier_dir;  // guarded by mu
  std::atomic<int64_t> tier_max_size{0};
  std::atomic<int64_t> tier_segment_size{0};
  std::atomic<int64_t> tier_min_value_size{0};
  std::atomic<bool> tier_offload{false};
  std::atomic<int64_t> lfu_decay_time{0};
  std::atomic<int64_t> list_max_listpack_size{-2};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  std::atomic<int64_t> stream_node_max_bytes{4096};
  std::atomic<int64_t> stream_node_max_entries{100};
  std::atomic<bool> lazyfree_lazy_eviction{false};
  std::atomic<bool> lazyfree_lazy_expire{false};
  std::atomic<bool> lazyfree_lazy_server_del{false};
  std::atomic<bool> lazyfree_lazy_user_del{false};
  std::atomic<bool> lazyfree_lazy_user_flush{false};
  std::string save;  // accepted and reported only: persistence is not built; guarded by mu
  std::atomic<bool> appendonly{false};
  std::string dir;  // guarded by mu
  std::atomic<int64_t> active_expire_effort{0};
  std::atomic<int64_t> hash_max_listpack_entries{0};
  std::atomic<int64_t> hash_max_listpack_value{0};
  std::atomic<int64_t> set_max_intset_entries{0};
  std::atomic<int64_t> set_max_listpack_entries{0};
  std::atomic<int64_t> set_max_listpack_value{0};
  std::atomic<int64_t> hll_sparse_max_bytes{0};
  std::string notify_keyspace_events;  // canonical flag string (CONFIG GET); guarded by mu
  std::atomic<int64_t> notify_keyspace_events_flags{0};  // the same as NotifyFlag bits
  std::string event_bus_stream;                // stream key in db 0 ("": no bus); guarded by mu
  std::atomic<bool> event_bus_enabled{false};  // event_bus_stream is not empty
  std::atomic<int64_t> event_bus_maxlen{0};
  std::string event_bus_channels;  // space-separated glob patterns; guarded by mu
  // client-output-buffer-limit, in Redis's syntax ("<class> <hard> <soft> <soft seconds>" for
  // normal, slave (replica) and pubsub); guarded by mu. Its on_change hook parses it into the
  // atomics below (always the whole table, "normal 0 0 0 slave 268435456 ..." as Redis shows it).
  std::string client_output_buffer_limit;
  std::atomic<int64_t> obl_normal_hard{0}, obl_normal_soft{0}, obl_normal_soft_seconds{0};
  std::atomic<int64_t> obl_replica_hard{268435456}, obl_replica_soft{67108864},
      obl_replica_soft_seconds{60};
  std::atomic<int64_t> obl_pubsub_hard{33554432}, obl_pubsub_soft{8388608},
      obl_pubsub_soft_seconds{60};

  // Not a knob: the absolute path of the file loaded by ParseCommandLine (-c), empty if none.
  // Written once at startup before threads start; read-only afterwards.
  std::string config_file;

  mutable std::mutex mu;

  // Copies of string knobs, taken under mu.
  std::string Bind() const { return Read(&Config::bind); }
  std::string IoBackend() const { return Read(&Config::io_backend); }
  std::string Requirepass() const { return Read(&Config::requirepass); }
  std::string Logfile() const { return Read(&Config::logfile); }
  std::string Loglevel() const { return Read(&Config::loglevel); }
  std::string MaxmemoryPolicyName() const { return Read(&Config::maxmemory_policy); }
  std::string Save() const { return Read(&Config::save); }
  std::string Dir() const { return Read(&Config::dir); }
  std::string Read(std::string Config::*field) const {
    std::lock_guard<std::mutex> lk(mu);
    return this->*field;
  }

  // Registers fn to run after knob `name` (canonical name) changes through CONFIG SET, on the
  // thread that ran CONFIG SET, with no lock of Config held. For other layers (net, tier) that
  // must react; per-knob hooks internal to the engine live in the table (Knob::on_change).
  void Subscribe(std::string name, std::function<void(Config&)> fn);
  void NotifySubscribers(std::string_view name);

 private:
  std::mutex subscribers_mu_;
  std::vector<std::pair<std::string, std::function<void(Config&)>>> subscribers_;
};

enum class KnobType : uint8_t { kBool, kInt, kMemory, kEnum, kString };

enum KnobFlag : uint32_t {
  kKnobImmutable = 1u << 0,  // only from the file and the command line
  kKnobProtected = 1u << 1,  // CONFIG SET refuses it as Redis does with enable-protected-configs no
  kKnobRedisAlias = 1u << 2,  // the alias is a Redis name too: CONFIG GET patterns list it
};

// One row of the knob table. Exactly one of int_field, bool_field, string_field is set
// (kInt/kMemory: int_field; kBool: bool_field; kEnum/kString: string_field).
struct Knob {
  std::string_view name;   // as in redis.conf, kebab-case
  std::string_view alias;  // another name accepted in files and flags ("" if none)
  KnobType type;
  uint32_t flags;
  std::string_view default_value;  // in the text form CONFIG SET accepts
  int64_t min;                     // kInt/kMemory bounds, inclusive
  int64_t max;
  std::span<const std::string_view> enum_values;  // kEnum: accepted values, lower case
  std::atomic<int64_t> Config::*int_field;
  std::atomic<bool> Config::*bool_field;
  std::string Config::*string_field;
  std::atomic<int64_t> Config::*enum_index_field;  // kEnum, optional: index into enum_values
  void (*on_change)(Config&);                      // optional, runs after every assignment
  std::string_view help;
  // kString, optional: the value is a set of flags (notify-keyspace-events). parse_flags
  // refuses bad text (CONFIG SET's reason: invalid_reason); the flags go to enum_index_field
  // and the string field keeps format_flags' canonical form.
  bool (*parse_flags)(std::string_view text, int64_t* flags) = nullptr;
  std::string (*format_flags)(int64_t flags) = nullptr;
  std::string_view invalid_reason;

  bool mutable_at_runtime() const { return !(flags & (kKnobImmutable | kKnobProtected)); }
};

// The table, in a fixed order (CONFIG GET and --help use it).
std::span<const Knob> Knobs();
// Case-insensitive lookup by canonical name (CONFIG GET/SET).
const Knob* FindKnob(std::string_view name);
// Same, also accepting aliases (files, command line).
const Knob* FindKnobOrAlias(std::string_view name);

// A parsed, validated value, ready to assign.
struct KnobValue {
  int64_t i = 0;  // kInt, kMemory, kBool (0/1), kEnum (index)
  std::string s;  // kString, kEnum (canonical name)
};

// Why a text value was refused. Formatted two ways: the CONFIG SET reason (Redis's wording)
// and the loader's "expected ..., got ..." sentence.
enum class KnobError : uint8_t {
  kOk,
  kNotInteger,
  kOutOfRange,
  kNotMemory,
  kNotBool,
  kNotEnum,
  kInvalid,  // Knob::invalid_reason
  // client-output-buffer-limit's own checks (Redis's three reasons).
  kBufferLimitArity,
  kBufferLimitClass,
  kBufferLimitValue,
};

// Parses `text` as CONFIG SET and the command line do (Redis rules: integers strict, memory
// sizes with k/kb/m/mb/g/gb, bool yes/no, enums case-insensitive). Hz-style clamping is done
// by on_change, not here.
KnobError ParseKnobText(const Knob& k, std::string_view text, KnobValue* out);
// Redis's CONFIG SET reason for err, e.g. "argument must be between 1 and 10 inclusive".
std::string KnobErrorReason(const Knob& k, KnobError err);
// The loader's description of what k accepts, e.g. "an integer between 0 and 65535".
std::string KnobExpectation(const Knob& k);

// Stores v into cfg and runs k.on_change. Does not notify subscribers.
void AssignKnob(Config& cfg, const Knob& k, const KnobValue& v);
// The value as CONFIG GET shows it ("yes", "16", "536870912", "noeviction").
std::string FormatKnob(const Config& cfg, const Knob& k);
// The default, formatted as FormatKnob would show it.
std::string FormatKnobDefault(const Knob& k);

// Loads a TOML file, or a JSON object if the first non-blank byte is '{'. Errors name the
// file, the line where known, and the key: "aegisr.toml:3: unknown config key 'portt'".
Status LoadConfigFile(const std::string& path, Config* cfg);
// Same, from text; `name` is used in messages.
Status LoadConfigText(std::string_view text, const std::string& name, Config* cfg);

// -H/--host, -p/--port, -c/--config FILE, --help, and --<knob> VALUE (or --<knob>=VALUE) for
// every knob. The file is loaded first and flags override it whatever their order. Sets
// cfg->config_file to the file's absolute path. *show_help is set when --help was given (the
// rest is still parsed).
Status ParseCommandLine(int argc, char** argv, Config* cfg, bool* show_help);
// s as a TOML basic string, quotes included (also valid JSON for ASCII): messages, --help and
// CONFIG REWRITE use it.
std::string QuoteToml(std::string_view s);
// Usage text generated from the table.
std::string HelpText();

// --- CONFIG command logic, socket-free (engine/config_family.cc) ---

// CONFIG GET: knobs matching any pattern (Redis glob, case-insensitive), each once, in table
// order. A pattern without glob characters is an exact lookup and is echoed as given.
std::vector<std::pair<std::string, std::string>> ConfigGetPairs(
    const Config& cfg, std::span<const std::string_view> patterns);
// CONFIG SET name value [name value ...]: all or nothing. On error returns the full wire error
// text (e.g. "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable
// config") and changes nothing.
Status ConfigSetPairs(Config& cfg, std::span<const std::string_view> args);
// CONFIG REWRITE: writes the non-default knobs to path as TOML (via a temp file and rename).
// Error text is the wire error ("ERR Rewriting config file: ...").
Status RewriteConfigFile(const Config& cfg, const std::string& path);

}  // namespace aegisr
