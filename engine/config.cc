// The knob table, value parsing and formatting, the TOML/JSON loaders, the command line and
// --help. Threading: loaders and ParseCommandLine run at startup on one thread; the table is
// immutable; AssignKnob may run on any thread (atomics, strings under Config::mu).
//
// Every knob is one row of kTable below. A row names the knob as redis.conf does, its type,
// bounds, default (as text, parsed by the same code CONFIG SET uses, so the default and the
// accepted syntax cannot drift apart), whether CONFIG SET may change it, the Config field it
// sets, an optional on_change hook, and its help line. Nothing else in Aegisr lists knobs.
#include "engine/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <sstream>

#include "base/logging.h"
#include "base/numbers.h"
#include "engine/notify.h"
#include "engine/types/packed_list.h"
#include "engine/types/stream.h"
#include "engine/types/zset.h"

// toml++ and nlohmann/json report errors with exceptions; they are caught in this file only.
#include <toml++/toml.h>

#include <nlohmann/json.hpp>

namespace aegisr {
namespace {

constexpr int64_t kIntMin = INT_MIN;
constexpr int64_t kIntMax = INT_MAX;
constexpr int64_t kI64Max = INT64_MAX;

constexpr std::string_view kLoglevels[] = {"debug", "verbose", "notice", "warning"};
constexpr std::string_view kIoBackends[] = {"auto", "uring", "epoll"};
constexpr std::string_view kPolicies[] = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                          "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                          "allkeys-random", "noeviction",   "adaptive"};

void StoreKnob(Config& cfg, const Knob& k, const KnobValue& v);

// --- on_change hooks ---

void OnLoglevel(Config& cfg) {
  std::string v = cfg.Loglevel();
  LogLevel l = LogLevel::kInfo;
  if (v == "debug" || v == "verbose") l = LogLevel::kDebug;
  if (v == "warning") l = LogLevel::kWarning;
  SetLogLevel(l);
}

bool IsAsciiSpace(char c);
bool ParseMemory(std::string_view s, uint64_t* out);

// client-output-buffer-limit text: "<class> <hard> <soft> <soft seconds>" repeated, classes
// normal, slave (or replica) and pubsub. Fills parsed[class] and set[class] for the classes
// named; returns why the text is refused, or kOk.
KnobError ParseBufferLimits(std::string_view text, int64_t parsed[3][3], bool set[3]) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsAsciiSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsAsciiSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  if (words.size() % 4 != 0) return KnobError::kBufferLimitArity;  // none: nothing changes
  for (size_t w = 0; w < words.size(); w += 4) {
    std::string name(words[w]);
    for (char& c : name) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
    int cls = name == "normal"                         ? 0
              : (name == "slave" || name == "replica") ? 1
              : name == "pubsub"                       ? 2
                                                       : -1;
    if (cls < 0) return KnobError::kBufferLimitClass;
    uint64_t hard, soft;
    int64_t secs;
    if (!ParseMemory(words[w + 1], &hard) || !ParseMemory(words[w + 2], &soft) ||
        !String2ll(words[w + 3], &secs) || secs < 0 || hard > uint64_t(INT64_MAX) ||
        soft > uint64_t(INT64_MAX))
      return KnobError::kBufferLimitValue;
    parsed[cls][0] = int64_t(hard);
    parsed[cls][1] = int64_t(soft);
    parsed[cls][2] = secs;
    set[cls] = true;
  }
  return KnobError::kOk;
}

// client-output-buffer-limit changed (text ParseKnobText accepted): the classes named in it
// take its values, the others keep theirs, and the knob is rewritten as the whole table (as
// Redis shows it). Text that does not parse (a file's, say) leaves every class as it was.
void OnClientOutputBufferLimit(Config& cfg) {
  std::atomic<int64_t>* classes[3][3] = {
      {&cfg.obl_normal_hard, &cfg.obl_normal_soft, &cfg.obl_normal_soft_seconds},
      {&cfg.obl_replica_hard, &cfg.obl_replica_soft, &cfg.obl_replica_soft_seconds},
      {&cfg.obl_pubsub_hard, &cfg.obl_pubsub_soft, &cfg.obl_pubsub_soft_seconds}};
  int64_t parsed[3][3];
  bool set[3] = {false, false, false};
  if (ParseBufferLimits(cfg.Read(&Config::client_output_buffer_limit), parsed, set) ==
      KnobError::kOk) {
    for (int c = 0; c < 3; ++c)
      if (set[c])
        for (int f = 0; f < 3; ++f) classes[c][f]->store(parsed[c][f], std::memory_order_relaxed);
  }
  static const char* const kNames[3] = {"normal", "slave", "pubsub"};
  std::string table;
  for (int c = 0; c < 3; ++c) {
    if (c) table += ' ';
    table += kNames[c];
    for (int f = 0; f < 3; ++f)
      table += ' ' + std::to_string(classes[c][f]->load(std::memory_order_relaxed));
  }
  std::lock_guard lk(cfg.mu);
  cfg.client_output_buffer_limit = std::move(table);
}

// Redis accepts any non-negative hz and silently clamps it to [1, 500].
void OnHz(Config& cfg) {
  int64_t hz = cfg.hz.load(std::memory_order_relaxed);
  cfg.hz.store(std::clamp<int64_t>(hz, 1, 500), std::memory_order_relaxed);
}

}  // namespace
// engine/keyspace/keyspace.h (not included: its Table would clash with this file's Table()).
void SetLfuParams(int64_t log_factor, int64_t decay_time);
void SetLazyFreeExpire(bool lazy);
namespace {

void OnLazyExpire(Config& cfg) {
  SetLazyFreeExpire(cfg.lazyfree_lazy_expire.load(std::memory_order_relaxed));
}

// New list nodes follow list-max-listpack-size (engine/types/packed_list.h).
void OnListFill(Config& cfg) {
  PackedList::SetFill(cfg.list_max_listpack_size.load(std::memory_order_relaxed));
}

// Sorted sets convert to a skiplist past these (engine/types/zset.h).
void OnZSetLimits(Config& cfg) {
  ZSet::SetLimits(cfg.zset_max_listpack_entries.load(std::memory_order_relaxed),
                  cfg.zset_max_listpack_value.load(std::memory_order_relaxed));
}

// New stream nodes close past these (engine/types/stream.h).
void OnStreamNodeLimits(Config& cfg) {
  Stream::SetNodeLimits(cfg.stream_node_max_bytes.load(std::memory_order_relaxed),
                        cfg.stream_node_max_entries.load(std::memory_order_relaxed));
}

// The keyspace's LFU counters follow these two (tier/access.h).
void OnLfu(Config& cfg) {
  SetLfuParams(cfg.lfu_log_factor.load(std::memory_order_relaxed),
               cfg.lfu_decay_time.load(std::memory_order_relaxed));
}

// --- row builders ---

Knob Int(std::string_view name, std::atomic<int64_t> Config::*f, int64_t min, int64_t max,
         std::string_view def, uint32_t flags, std::string_view help,
         void (*on_change)(Config&) = nullptr) {
  return Knob{name,    "",      KnobType::kInt, flags,     def,  min,     max,     {}, f,
              nullptr, nullptr, nullptr,        on_change, help, nullptr, nullptr, {}};
}

Knob Mem(std::string_view name, std::atomic<int64_t> Config::*f, int64_t min, int64_t max,
         std::string_view def, uint32_t flags, std::string_view help,
         void (*on_change)(Config&) = nullptr) {
  return Knob{name,    "",      KnobType::kMemory, flags,     def,  min,     max,     {}, f,
              nullptr, nullptr, nullptr,           on_change, help, nullptr, nullptr, {}};
}

Knob Bool(std::string_view name, std::atomic<bool> Config::*f, std::string_view def, uint32_t flags,
          std::string_view help, void (*on_change)(Config&) = nullptr) {
  return Knob{name, "",      KnobType::kBool, flags,     def,  0,       1,       {}, nullptr,
              f,    nullptr, nullptr,         on_change, help, nullptr, nullptr, {}};
}

Knob Enum(std::string_view name, std::string Config::*f, std::span<const std::string_view> values,
          std::string_view def, uint32_t flags, std::string_view help,
          std::atomic<int64_t> Config::*index = nullptr, void (*on_change)(Config&) = nullptr) {
  return Knob{name,    "", KnobType::kEnum, flags,     def,  0,       0,       values, nullptr,
              nullptr, f,  index,           on_change, help, nullptr, nullptr, {}};
}

Knob Str(std::string_view name, std::string Config::*f, std::string_view def, uint32_t flags,
         std::string_view help, std::string_view alias = "") {
  return Knob{name,    alias, KnobType::kString, flags,   def,  0,       0,       {}, nullptr,
              nullptr, f,     nullptr,           nullptr, help, nullptr, nullptr, {}};
}

// A flag-set knob stored as its canonical string plus the flags (notify-keyspace-events).
Knob Flags(std::string_view name, std::string Config::*f, std::atomic<int64_t> Config::*flags,
           bool (*parse)(std::string_view, int64_t*), std::string (*format)(int64_t),
           std::string_view invalid_reason, std::string_view help) {
  Knob k = Str(name, f, "", 0, help);
  k.enum_index_field = flags;
  k.parse_flags = parse;
  k.format_flags = format;
  k.invalid_reason = invalid_reason;
  return k;
}

bool ParseNotifyKnob(std::string_view text, int64_t* flags) {
  uint32_t f = 0;
  if (!ParseNotifyFlags(text, &f)) return false;
  *flags = f;
  return true;
}
std::string FormatNotifyKnob(int64_t flags) { return FormatNotifyFlags(uint32_t(flags)); }

void OnEventBus(Config& cfg) {
  cfg.event_bus_enabled.store(!cfg.Read(&Config::event_bus_stream).empty(),
                              std::memory_order_relaxed);
}

Knob WithHook(Knob k, void (*on_change)(Config&)) {
  k.on_change = on_change;
  return k;
}

// A knob also known by the name Redis had for it before 7.0 (hash-max-ziplist-entries, ...):
// accepted everywhere, and listed by CONFIG GET patterns as Redis does.
Knob Aliased(Knob k, std::string_view alias) {
  k.alias = alias;
  k.flags |= kKnobRedisAlias;
  return k;
}

const std::vector<Knob>& Table() {
  static const std::vector<Knob> kTable = {
      Str("bind", &Config::bind, "127.0.0.1", kKnobImmutable,
          "Address to listen on (IPv4 or IPv6 literal, or a host name).", "host"),
      Int("port", &Config::port, 0, 65535, "1211", kKnobImmutable, "TCP port to listen on."),
      Int("threads", &Config::threads, 0, 1024, "0", kKnobImmutable,
          "Worker (I/O loop) threads; 0 means one per online CPU."),
      Enum("io-backend", &Config::io_backend, kIoBackends, "auto", kKnobImmutable,
           "Event loop backend: auto probes io_uring and falls back to epoll."),
      Int("idle-poll-us", &Config::idle_poll_us, 0, 100000, "50", 0,
          "After a loop iteration finds no work, poll this long for more before sleeping, "
          "yielding the CPU to any other runnable thread (0: sleep at once; io_uring only)."),
      Int("maxclients", &Config::maxclients, 1, UINT32_MAX, "10000", 0,
          "Maximum number of connected clients; more are refused with an error."),
      Int("timeout", &Config::timeout, 0, kIntMax, "0", 0,
          "Close a client idle for this many seconds (0: never)."),
      Int("tcp-keepalive", &Config::tcp_keepalive, 0, kIntMax, "300", 0,
          "SO_KEEPALIVE interval for client sockets in seconds (0: off)."),
      Int("tcp-backlog", &Config::tcp_backlog, 0, kIntMax, "511", kKnobImmutable,
          "listen(2) backlog."),
      Mem("proto-max-bulk-len", &Config::proto_max_bulk_len, 1 << 20, kI64Max, "512mb", 0,
          "Largest bulk string a client may send."),
      Mem("client-query-buffer-limit", &Config::client_query_buffer_limit, 1 << 20, kI64Max, "1gb",
          0, "Largest query buffer of one client; a client exceeding it is closed."),
      Int("hz", &Config::hz, 0, kIntMax, "10", 0,
          "Background task frequency per second (clamped to 1..500).", OnHz),
      Int("databases", &Config::databases, 1, kIntMax, "16", kKnobImmutable,
          "Number of logical databases (SELECT 0..databases-1)."),
      Str("requirepass", &Config::requirepass, "", 0,
          "Password clients must give with AUTH (empty: no password)."),
      Str("logfile", &Config::logfile, "", kKnobImmutable, "Log file path (empty: stderr)."),
      Enum("loglevel", &Config::loglevel, kLoglevels, "notice", 0, "Log verbosity.", nullptr,
           OnLoglevel),
      Mem("maxmemory", &Config::maxmemory, 0, kI64Max, "0", 0,
          "Memory limit for data in RAM (0: no limit)."),
      Enum("maxmemory-policy", &Config::maxmemory_policy, kPolicies, "noeviction", 0,
           "What to do when maxmemory is reached.", &Config::maxmemory_policy_id),
      Int("maxmemory-samples", &Config::maxmemory_samples, 1, kIntMax, "5", 0,
          "Keys sampled per eviction decision."),
      Str("tier-dir", &Config::tier_dir, "", kKnobImmutable,
          "Directory of the disk tier's segment files (empty: no disk tier). Files of an "
          "earlier run are removed at start."),
      Mem("tier-max-size", &Config::tier_max_size, 0, kI64Max, "0", kKnobImmutable,
          "Disk space the tier may use (0: no limit)."),
      Mem("tier-segment-size", &Config::tier_segment_size, 64 << 10, (int64_t{1} << 32) - 1, "64mb",
          kKnobImmutable,
          "Size of one segment file of the disk tier; compaction rewrites whole segments."),
      Mem("tier-min-value-size", &Config::tier_min_value_size, 0, kI64Max, "64", 0,
          "Values smaller than this stay in RAM (evicted, not offloaded)."),
      Bool("tier-offload", &Config::tier_offload, "yes", 0,
           "Over maxmemory, move cold values to the disk tier (yes) or evict as "
           "maxmemory-policy says (no). Only with tier-dir."),
      Int("lfu-log-factor", &Config::lfu_log_factor, 0, kIntMax, "10", 0,
          "How slowly the logarithmic access counter grows (LFU policies).", OnLfu),
      Int("lfu-decay-time", &Config::lfu_decay_time, 0, kIntMax, "1", 0,
          "Minutes of idleness that cost the access counter one step (0: never decays).", OnLfu),
      Aliased(
          Int("list-max-listpack-size", &Config::list_max_listpack_size, kIntMin, kIntMax, "-2", 0,
              "List node size: -1..-5 for 4..64 KB, or a positive number of elements.", OnListFill),
          "list-max-ziplist-size"),
      Aliased(
          Int("zset-max-listpack-entries", &Config::zset_max_listpack_entries, 0, kI64Max, "128", 0,
              "Sorted sets with more elements than this use the skiplist encoding.", OnZSetLimits),
          "zset-max-ziplist-entries"),
      Aliased(Mem("zset-max-listpack-value", &Config::zset_max_listpack_value, 0, kI64Max, "64", 0,
                  "Sorted sets with a member longer than this (bytes) use the skiplist encoding.",
                  OnZSetLimits),
              "zset-max-ziplist-value"),
      Mem("stream-node-max-bytes", &Config::stream_node_max_bytes, 0, kI64Max, "4096", 0,
          "Bytes of entries a stream node holds at most before a new one starts (0: no limit).",
          OnStreamNodeLimits),
      Int("stream-node-max-entries", &Config::stream_node_max_entries, 0, kI64Max, "100", 0,
          "Entries a stream node holds at most before a new one starts (0: no limit).",
          OnStreamNodeLimits),
      Bool("lazyfree-lazy-eviction", &Config::lazyfree_lazy_eviction, "no", 0,
           "Free evicted values in the background."),
      Bool("lazyfree-lazy-expire", &Config::lazyfree_lazy_expire, "no", 0,
           "Free expired values in the background.", OnLazyExpire),
      Bool("lazyfree-lazy-server-del", &Config::lazyfree_lazy_server_del, "no", 0,
           "Free values deleted implicitly (e.g. overwritten by SET) in the background."),
      Bool("lazyfree-lazy-user-del", &Config::lazyfree_lazy_user_del, "no", 0,
           "Make DEL behave as UNLINK."),
      Bool("lazyfree-lazy-user-flush", &Config::lazyfree_lazy_user_flush, "no", 0,
           "Make FLUSHDB/FLUSHALL without a modifier asynchronous."),
      WithHook(Str("client-output-buffer-limit", &Config::client_output_buffer_limit,
                   "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", 0,
                   "Output buffer limits per client class: <class> <hard> <soft> <soft "
                   "seconds> ... (pubsub: enforced on subscribers)."),
               OnClientOutputBufferLimit),
      Str("save", &Config::save, "", 0,
          "Accepted for compatibility; snapshots are not implemented."),
      Bool("appendonly", &Config::appendonly, "no", 0,
           "Accepted for compatibility; the append-only file is not implemented."),
      Str("dir", &Config::dir, "./", kKnobProtected, "Working directory for files."),
      Int("active-expire-effort", &Config::active_expire_effort, 1, 10, "1", 0,
          "Effort of the background expiry cycle (1..10)."),
      Aliased(Int("hash-max-listpack-entries", &Config::hash_max_listpack_entries, 0, kI64Max,
                  "512", 0, "A hash with more fields than this leaves the listpack encoding."),
              "hash-max-ziplist-entries"),
      Aliased(Mem("hash-max-listpack-value", &Config::hash_max_listpack_value, 0, kI64Max, "64", 0,
                  "A hash with a field or value longer than this leaves the listpack encoding."),
              "hash-max-ziplist-value"),
      Int("set-max-intset-entries", &Config::set_max_intset_entries, 0, kI64Max, "512", 0,
          "Sets of integers up to this many members use the compact intset encoding."),
      Int("set-max-listpack-entries", &Config::set_max_listpack_entries, 0, kI64Max, "128", 0,
          "Sets of strings up to this many members use the compact listpack encoding."),
      Mem("set-max-listpack-value", &Config::set_max_listpack_value, 0, kI64Max, "64", 0,
          "Longest member (bytes) a set in the listpack encoding may hold."),
      Mem("hll-sparse-max-bytes", &Config::hll_sparse_max_bytes, 0, kI64Max, "3000", 0,
          "A sparse HyperLogLog that would grow beyond this many bytes turns dense."),
      Flags("notify-keyspace-events", &Config::notify_keyspace_events,
            &Config::notify_keyspace_events_flags, ParseNotifyKnob, FormatNotifyKnob,
            kNotifyFlagsInvalid,
            "Keyspace notifications to publish, as Redis's flag letters (K E g $ l s h z x e t "
            "m d n A; empty: none)."),
      WithHook(Str("event-bus-stream", &Config::event_bus_stream, "", 0,
                   "Stream key (db 0) that also records every keyspace event published and the "
                   "messages of event-bus-channels, for replay with XREAD (empty: no bus)."),
               OnEventBus),
      Int("event-bus-maxlen", &Config::event_bus_maxlen, 1, kI64Max, "100000", 0,
          "The event bus stream is trimmed to about this many entries (XADD MAXLEN ~)."),
      Str("event-bus-channels", &Config::event_bus_channels, "", 0,
          "Space-separated channel glob patterns whose PUBLISHed messages the event bus also "
          "records."),
  };
  return kTable;
}

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, no overflow.
bool ParseStrictInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i >= s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = uint64_t(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > uint64_t(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > uint64_t(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// Redis's memtoull: decimal digits (possibly none, meaning 0) and an optional unit among
// b, k, kb, m, mb, g, gb (case-insensitive; k = 1000, kb = 1024). Saturates on overflow.
bool ParseMemory(std::string_view s, uint64_t* out) {
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  std::string unit(s.substr(i));
  for (char& c : unit) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  uint64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000ull * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  uint64_t v = 0;
  for (size_t j = 0; j < i; ++j) {
    uint64_t d = uint64_t(s[j] - '0');
    v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
  }
  *out = (v != 0 && mul > UINT64_MAX / v) ? UINT64_MAX : v * mul;
  return true;
}

std::string JoinEnum(const Knob& k, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < k.enum_values.size(); ++i) {
    if (i) out += sep;
    out += k.enum_values[i];
  }
  return out;
}

// A value read from a file, before it is checked against its knob.
struct FileValue {
  enum Kind { kInt, kBool, kString, kOther } kind = kOther;
  int64_t i = 0;
  bool int_overflow = false;  // an integer that does not fit int64 (JSON)
  std::string s;              // kString: the text; kOther and overflow: how to show it
};

std::string ShowFileValue(const FileValue& v) {
  switch (v.kind) {
    case FileValue::kInt:
      return v.int_overflow ? v.s : std::to_string(v.i);
    case FileValue::kBool:
      return v.i ? "true" : "false";
    case FileValue::kString:
      return QuoteToml(v.s);
    case FileValue::kOther:
      return v.s;
  }
  return v.s;
}

// Converts a file value for knob k. On failure returns false and sets *why.
bool ConvertFileValue(const Knob& k, const FileValue& fv, KnobValue* out, std::string* why) {
  bool ok = false;
  switch (fv.kind) {
    case FileValue::kString:
      ok = ParseKnobText(k, fv.s, out) == KnobError::kOk;
      break;
    case FileValue::kInt:
      if ((k.type == KnobType::kInt || k.type == KnobType::kMemory) && !fv.int_overflow &&
          fv.i >= k.min && fv.i <= k.max) {
        out->i = fv.i;
        ok = true;
      }
      break;
    case FileValue::kBool:
      if (k.type == KnobType::kBool) {
        out->i = fv.i;
        ok = true;
      }
      break;
    case FileValue::kOther:
      break;
  }
  if (!ok) *why = "expected " + KnobExpectation(k) + ", got " + ShowFileValue(fv);
  return ok;
}

struct Pending {
  const Knob* knob;
  KnobValue value;
};

std::string Where(const std::string& name, int64_t line) {
  return line > 0 ? name + ":" + std::to_string(line) + ": " : name + ": ";
}

// Looks up key and converts its value, appending to *out; on failure returns the error.
Status Collect(const std::string& where, std::string_view key, const FileValue& fv,
               std::vector<Pending>* out) {
  const Knob* k = FindKnobOrAlias(key);
  if (!k) return Status::Error(where + "unknown config key '" + std::string(key) + "'");
  Pending p{k, {}};
  std::string why;
  if (!ConvertFileValue(*k, fv, &p.value, &why)) {
    return Status::Error(where + "invalid value for '" + std::string(key) + "': " + why);
  }
  out->push_back(std::move(p));
  return Status::Ok();
}

Status LoadToml(std::string_view text, const std::string& name, std::vector<Pending>* out) {
  toml::table tbl;
#if TOML_EXCEPTIONS
  try {
    tbl = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return Status::Error(Where(name, e.source().begin.line) +
                         "syntax error: " + std::string(e.description()));
  }
#else
  toml::parse_result res = toml::parse(text, name);
  if (!res) {
    return Status::Error(Where(name, res.error().source().begin.line) +
                         "syntax error: " + std::string(res.error().description()));
  }
  tbl = std::move(res).table();
#endif
  for (auto&& [key, node] : tbl) {
    int64_t line = key.source().begin.line;
    if (line == 0) line = node.source().begin.line;
    FileValue fv;
    if (auto v = node.as_integer()) {
      fv.kind = FileValue::kInt;
      fv.i = v->get();
    } else if (auto b = node.as_boolean()) {
      fv.kind = FileValue::kBool;
      fv.i = b->get() ? 1 : 0;
    } else if (auto s = node.as_string()) {
      fv.kind = FileValue::kString;
      fv.s = s->get();
    } else if (node.is_table()) {
      fv.s = "a table";
    } else if (node.is_array()) {
      fv.s = "an array";
    } else if (auto f = node.as_floating_point()) {
      std::ostringstream os;
      os << f->get();
      fv.s = os.str();
    } else {
      fv.s = "a date/time";
    }
    Status st = Collect(Where(name, line), key.str(), fv, out);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

int64_t LineOfOffset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(offset), '\n');
}

// Best effort: the line of `"key"` followed by ':' in a JSON text, or 0.
int64_t JsonKeyLine(std::string_view text, const std::string& key) {
  std::string needle = "\"" + key + "\"";
  for (size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + 1)) {
    size_t after = pos + needle.size();
    while (after < text.size() && IsAsciiSpace(text[after])) ++after;
    if (after < text.size() && text[after] == ':') return LineOfOffset(text, pos);
  }
  return 0;
}

Status LoadJson(std::string_view text, const std::string& name, std::vector<Pending>* out) {
  using nlohmann::json;
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    size_t col = what.find("column ");
    if (col != std::string::npos) {
      size_t colon = what.find(": ", col);
      if (colon != std::string::npos) what = what.substr(colon + 2);
    }
    int64_t line = e.byte > 0 ? LineOfOffset(text, e.byte - 1) : 0;
    return Status::Error(Where(name, line) + "syntax error: " + what);
  } catch (const json::exception& e) {
    return Status::Error(Where(name, 0) + "syntax error: " + e.what());
  }
  if (!doc.is_object()) return Status::Error(Where(name, 1) + "expected a JSON object");
  for (auto& [key, v] : doc.items()) {
    FileValue fv;
    if (v.is_boolean()) {
      fv.kind = FileValue::kBool;
      fv.i = v.get<bool>() ? 1 : 0;
    } else if (v.is_number_unsigned()) {
      fv.kind = FileValue::kInt;
      uint64_t u = v.get<uint64_t>();
      if (u > uint64_t(INT64_MAX)) {
        fv.int_overflow = true;
        fv.s = std::to_string(u);
      } else {
        fv.i = static_cast<int64_t>(u);
      }
    } else if (v.is_number_integer()) {
      fv.kind = FileValue::kInt;
      fv.i = v.get<int64_t>();
    } else if (v.is_string()) {
      fv.kind = FileValue::kString;
      fv.s = v.get<std::string>();
    } else if (v.is_object()) {
      fv.s = "an object";
    } else if (v.is_array()) {
      fv.s = "an array";
    } else {
      fv.s = v.dump();  // floats, null
    }
    Status st = Collect(Where(name, JsonKeyLine(text, key)), key, fv, out);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

std::string AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return path;
  return std::string(buf) + "/" + path;
}

std::string TypeName(const Knob& k) {
  switch (k.type) {
    case KnobType::kBool:
      return "yes|no";
    case KnobType::kInt:
      return "integer";
    case KnobType::kMemory:
      return "bytes";
    case KnobType::kEnum:
      return JoinEnum(k, "|");
    case KnobType::kString:
      return "string";
  }
  return "";
}

}  // namespace

// Quotes s as a TOML basic string (also valid JSON for ASCII).
std::string QuoteToml(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

Config::Config() {
  for (const Knob& k : Knobs()) {
    KnobValue v;
    KnobError err = ParseKnobText(k, k.default_value, &v);
    CHECK(err == KnobError::kOk) << "bad default for " << k.name;
    StoreKnob(*this, k, v);  // no hooks: constructing a Config must not touch global state
  }
}

void Config::Subscribe(std::string name, std::function<void(Config&)> fn) {
  std::lock_guard<std::mutex> lk(subscribers_mu_);
  subscribers_.emplace_back(std::move(name), std::move(fn));
}

void Config::NotifySubscribers(std::string_view name) {
  std::vector<std::function<void(Config&)>> fns;
  {
    std::lock_guard<std::mutex> lk(subscribers_mu_);
    for (auto& [n, fn] : subscribers_) {
      if (n == name) fns.push_back(fn);
    }
  }
  for (auto& fn : fns) fn(*this);
}

std::span<const Knob> Knobs() { return Table(); }

const Knob* FindKnob(std::string_view name) {
  for (const Knob& k : Knobs()) {
    if (name.size() == k.name.size() &&
        std::equal(name.begin(), name.end(), k.name.begin(),
                   [](char a, char b) { return tolower(static_cast<unsigned char>(a)) == b; })) {
      return &k;
    }
  }
  return nullptr;
}

const Knob* FindKnobOrAlias(std::string_view name) {
  if (const Knob* k = FindKnob(name)) return k;
  for (const Knob& k : Knobs()) {
    if (!k.alias.empty() && name.size() == k.alias.size() &&
        std::equal(name.begin(), name.end(), k.alias.begin(),
                   [](char a, char b) { return tolower(static_cast<unsigned char>(a)) == b; })) {
      return &k;
    }
  }
  return nullptr;
}

KnobError ParseKnobText(const Knob& k, std::string_view text, KnobValue* out) {
  switch (k.type) {
    case KnobType::kBool: {
      std::string l(text);
      for (char& c : l) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
      if (l == "yes") {
        out->i = 1;
      } else if (l == "no") {
        out->i = 0;
      } else {
        return KnobError::kNotBool;
      }
      return KnobError::kOk;
    }
    case KnobType::kInt: {
      int64_t v;
      if (!ParseStrictInt(text, &v)) return KnobError::kNotInteger;
      if (v < k.min || v > k.max) return KnobError::kOutOfRange;
      out->i = v;
      return KnobError::kOk;
    }
    case KnobType::kMemory: {
      uint64_t v;
      if (!ParseMemory(text, &v)) return KnobError::kNotMemory;
      if (v > uint64_t(INT64_MAX) || int64_t(v) < k.min || int64_t(v) > k.max) {
        return KnobError::kOutOfRange;
      }
      out->i = static_cast<int64_t>(v);
      return KnobError::kOk;
    }
    case KnobType::kEnum:
      for (size_t i = 0; i < k.enum_values.size(); ++i) {
        std::string_view e = k.enum_values[i];
        if (text.size() == e.size() &&
            std::equal(text.begin(), text.end(), e.begin(), [](char a, char b) {
              return tolower(static_cast<unsigned char>(a)) == b;
            })) {
          out->i = static_cast<int64_t>(i);
          out->s = std::string(e);
          return KnobError::kOk;
        }
      }
      return KnobError::kNotEnum;
    case KnobType::kString:
      if (k.parse_flags) {
        if (!k.parse_flags(text, &out->i)) return KnobError::kInvalid;
        out->s = k.format_flags(out->i);
        return KnobError::kOk;
      }
      if (k.on_change == OnClientOutputBufferLimit) {
        int64_t parsed[3][3];
        bool set[3] = {false, false, false};
        if (KnobError e = ParseBufferLimits(text, parsed, set); e != KnobError::kOk) return e;
      }
      out->s = std::string(text);
      return KnobError::kOk;
  }
  return KnobError::kNotInteger;
}

std::string KnobErrorReason(const Knob& k, KnobError err) {
  switch (err) {
    case KnobError::kOk:
      return "";
    case KnobError::kNotInteger:
      return "argument couldn't be parsed into an integer";
    case KnobError::kOutOfRange:
      return "argument must be between " + std::to_string(k.min) + " and " + std::to_string(k.max) +
             " inclusive";
    case KnobError::kNotMemory:
      return "argument must be a memory value";
    case KnobError::kNotBool:
      return "argument must be 'yes' or 'no'";
    case KnobError::kNotEnum:
      return "argument(s) must be one of the following: " + JoinEnum(k, ", ");
    case KnobError::kInvalid:
      return std::string(k.invalid_reason);
    case KnobError::kBufferLimitArity:
      return "Wrong number of arguments in buffer limit configuration.";
    case KnobError::kBufferLimitClass:
      return "Invalid client class specified in buffer limit configuration.";
    case KnobError::kBufferLimitValue:
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
  }
  return "";
}

std::string KnobExpectation(const Knob& k) {
  switch (k.type) {
    case KnobType::kBool:
      return "yes or no (or true/false)";
    case KnobType::kInt:
      return "an integer between " + std::to_string(k.min) + " and " + std::to_string(k.max);
    case KnobType::kMemory:
      return "a memory size between " + std::to_string(k.min) + " and " + std::to_string(k.max) +
             " bytes (an integer, or a string with a unit k, kb, m, mb, g, gb)";
    case KnobType::kEnum:
      return "one of " + JoinEnum(k, ", ");
    case KnobType::kString:
      return "a string";
  }
  return "";
}

namespace {

// Stores v into cfg without running hooks.
void StoreKnob(Config& cfg, const Knob& k, const KnobValue& v) {
  switch (k.type) {
    case KnobType::kBool:
      (cfg.*k.bool_field).store(v.i != 0, std::memory_order_relaxed);
      break;
    case KnobType::kInt:
    case KnobType::kMemory:
      (cfg.*k.int_field).store(v.i, std::memory_order_relaxed);
      break;
    case KnobType::kEnum:
    case KnobType::kString: {
      std::lock_guard<std::mutex> lk(cfg.mu);
      cfg.*k.string_field = v.s;
      if (k.enum_index_field) (cfg.*k.enum_index_field).store(v.i, std::memory_order_relaxed);
      break;
    }
  }
}

}  // namespace

void AssignKnob(Config& cfg, const Knob& k, const KnobValue& v) {
  StoreKnob(cfg, k, v);
  if (k.on_change) k.on_change(cfg);  // after mu is released: hooks may read string knobs
}

std::string FormatKnob(const Config& cfg, const Knob& k) {
  switch (k.type) {
    case KnobType::kBool:
      return (cfg.*k.bool_field).load(std::memory_order_relaxed) ? "yes" : "no";
    case KnobType::kInt:
    case KnobType::kMemory:
      return std::to_string((cfg.*k.int_field).load(std::memory_order_relaxed));
    case KnobType::kEnum:
    case KnobType::kString:
      return cfg.Read(k.string_field);
  }
  return "";
}

std::string FormatKnobDefault(const Knob& k) {
  KnobValue v;
  if (ParseKnobText(k, k.default_value, &v) != KnobError::kOk) return std::string(k.default_value);
  switch (k.type) {
    case KnobType::kBool:
      return v.i ? "yes" : "no";
    case KnobType::kInt:
    case KnobType::kMemory:
      return std::to_string(v.i);
    case KnobType::kEnum:
    case KnobType::kString:
      return v.s;
  }
  return "";
}

Status LoadConfigText(std::string_view text, const std::string& name, Config* cfg) {
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
  while (i < text.size() && IsAsciiSpace(text[i])) ++i;
  std::vector<Pending> pending;
  Status st = (i < text.size() && text[i] == '{') ? LoadJson(text, name, &pending)
                                                  : LoadToml(text, name, &pending);
  if (!st.ok()) return st;
  for (const Pending& p : pending) AssignKnob(*cfg, *p.knob, p.value);
  return Status::Ok();
}

Status LoadConfigFile(const std::string& path, Config* cfg) {
  auto fail = [&](int e) {
    return Status::Error(path + ": cannot read config file: " + std::strerror(e));
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno);
  std::string text;
  char buf[1 << 14];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;  // EISDIR for a directory
      close(fd);
      return fail(e);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return LoadConfigText(text, path, cfg);
}

Status ParseCommandLine(int argc, char** argv, Config* cfg, bool* show_help) {
  *show_help = false;
  struct Flag {
    const Knob* knob;
    std::string spelling;
    std::string value;
  };
  std::vector<Flag> flags;
  std::string file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      *show_help = true;
      continue;
    }
    std::string name, value;
    bool has_value = false;
    if (arg == "-c" || arg == "-H" || arg == "-p") {
      name = arg == "-c" ? "config" : arg == "-H" ? "bind" : "port";
    } else if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') {
      name = arg.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
    } else {
      return Status::Error("command line: unexpected argument '" + arg + "' (see --help)");
    }
    const Knob* k = nullptr;
    if (name != "config") {
      k = FindKnobOrAlias(name);
      if (!k) return Status::Error("command line: unknown option '" + arg + "' (see --help)");
    }
    if (!has_value) {
      if (i + 1 >= argc) return Status::Error("command line: option '" + arg + "' needs a value");
      value = argv[++i];
    }
    if (!k) {
      file = value;
    } else {
      std::string spelling = arg.substr(0, arg.find('='));
      flags.push_back({k, spelling, value});
    }
  }
  if (!file.empty()) {
    Status st = LoadConfigFile(file, cfg);
    if (!st.ok()) return st;
    cfg->config_file = AbsolutePath(file);
  }
  std::vector<Pending> pending;
  for (const Flag& f : flags) {
    KnobValue v;
    KnobError err = ParseKnobText(*f.knob, f.value, &v);
    if (err != KnobError::kOk) {
      return Status::Error("command line: invalid value for '" + f.spelling + "': expected " +
                           KnobExpectation(*f.knob) + ", got " + QuoteToml(f.value));
    }
    pending.push_back({f.knob, std::move(v)});
  }
  for (const Pending& p : pending) AssignKnob(*cfg, *p.knob, p.value);
  return Status::Ok();
}

std::string HelpText() {
  std::string out =
      "Usage: aegisr-daemon [-c FILE] [-H HOST] [-p PORT] [--NAME VALUE ...]\n"
      "\n"
      "  -c, --config FILE   load settings from FILE (TOML, or JSON if it starts with '{');\n"
      "                      flags given on the command line override it\n"
      "  -H, --host HOST     same as --bind HOST\n"
      "  -p, --port PORT     same as --port PORT\n"
      "      --help          print this help and exit\n"
      "\n"
      "Settings (--NAME VALUE or --NAME=VALUE; the same names in the config file;\n"
      "those marked 'runtime' can also be changed with CONFIG SET):\n";
  for (const Knob& k : Knobs()) {
    std::string line = "  --" + std::string(k.name) + " <" + TypeName(k) + ">";
    out += line;
    std::string def = FormatKnobDefault(k);
    if (k.type == KnobType::kString || k.type == KnobType::kEnum) def = QuoteToml(def);
    out += "  (default " + def + (k.mutable_at_runtime() ? ", runtime)" : ")");
    if (!k.alias.empty()) out += "  [alias --" + std::string(k.alias) + "]";
    out += "\n      " + std::string(k.help) + "\n";
  }
  return out;
}

}  // namespace aegisr
