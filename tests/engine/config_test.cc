// Tests of the config table, the TOML/JSON loaders, the command line, and the CONFIG command
// (its socket-free logic and its handlers through Engine::Dispatch). Expected wire errors were
// recorded from Debian's redis-server 7.0.
#include "engine/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/logging.h"
#include "engine/client.h"
#include "engine/engine.h"

namespace aegisr {
namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

std::string TempPath(const std::string& suffix) {
  static int n = 0;
  return "/tmp/aegisr-config-test-" + std::to_string(getpid()) + "-" + std::to_string(n++) + suffix;
}

// A file removed when the test ends.
class TempFile {
 public:
  TempFile(const std::string& content, const std::string& suffix = ".toml")
      : path_(TempPath(suffix)) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  // The file name as messages show it (the path as given).
  std::string prefix(int line) const { return path_ + ":" + std::to_string(line) + ": "; }

 private:
  std::string path_;
};

Status Load(const std::string& text, Config* cfg, const std::string& name = "aegisr.toml") {
  return LoadConfigText(text, name, cfg);
}

std::string Get(const Config& cfg, std::string_view name) {
  const Knob* k = FindKnob(name);
  EXPECT_NE(k, nullptr) << name;
  return k ? FormatKnob(cfg, *k) : "";
}

Status Set(Config& cfg, std::vector<std::string_view> args) { return ConfigSetPairs(cfg, args); }

Status ParseArgs(std::vector<std::string> args, Config* cfg, bool* help) {
  args.insert(args.begin(), "aegisr-daemon");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data(), cfg, help);
}

// ---------------------------------------------------------------------------------------------
// The table

TEST(ConfigTableTest, FreshConfigHoldsEveryDefault) {
  Config cfg;
  for (const Knob& k : Knobs()) EXPECT_EQ(FormatKnob(cfg, k), FormatKnobDefault(k)) << k.name;
  EXPECT_EQ(cfg.Bind(), "127.0.0.1");
  EXPECT_EQ(cfg.port.load(), 1211);
  EXPECT_EQ(cfg.threads.load(), 0);
  EXPECT_EQ(cfg.IoBackend(), "auto");
  EXPECT_EQ(cfg.maxclients.load(), 10000);
  EXPECT_EQ(cfg.proto_max_bulk_len.load(), 512ll << 20);
  EXPECT_EQ(cfg.client_query_buffer_limit.load(), 1ll << 30);
  EXPECT_EQ(cfg.tcp_backlog.load(), 511);
  EXPECT_EQ(cfg.hz.load(), 10);
  EXPECT_EQ(cfg.databases.load(), 16);
  EXPECT_EQ(cfg.Loglevel(), "notice");
  EXPECT_EQ(cfg.MaxmemoryPolicyName(), "noeviction");
  EXPECT_EQ(cfg.maxmemory_policy_id.load(), int64_t(MaxmemoryPolicy::kNoeviction));
  EXPECT_EQ(cfg.Save(), "");
  EXPECT_FALSE(cfg.appendonly.load());
  EXPECT_EQ(cfg.tcp_keepalive.load(), 300);
  EXPECT_EQ(cfg.maxmemory_samples.load(), 5);
  EXPECT_EQ(cfg.active_expire_effort.load(), 1);
}

TEST(ConfigTableTest, ConstructingAConfigLeavesTheLoggerAlone) {
  LogLevel before = GetLogLevel();
  SetLogLevel(LogLevel::kWarning);
  Config cfg;
  EXPECT_EQ(GetLogLevel(), LogLevel::kWarning);
  SetLogLevel(before);
}

TEST(ConfigTableTest, RowsAreWellFormedAndNamesUnique) {
  std::set<std::string_view> names;
  for (const Knob& k : Knobs()) {
    EXPECT_TRUE(names.insert(k.name).second) << "duplicate " << k.name;
    for (char c : k.name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '-') << k.name;
    EXPECT_FALSE(k.help.empty()) << k.name;
    switch (k.type) {
      case KnobType::kBool:
        EXPECT_NE(k.bool_field, nullptr) << k.name;
        break;
      case KnobType::kInt:
      case KnobType::kMemory:
        EXPECT_NE(k.int_field, nullptr) << k.name;
        EXPECT_LE(k.min, k.max) << k.name;
        break;
      case KnobType::kEnum:
        EXPECT_FALSE(k.enum_values.empty()) << k.name;
        [[fallthrough]];
      case KnobType::kString:
        EXPECT_NE(k.string_field, nullptr) << k.name;
        break;
    }
  }
  for (const char* required : {"maxclients",
                               "proto-max-bulk-len",
                               "client-query-buffer-limit",
                               "tcp-backlog",
                               "hz",
                               "databases",
                               "requirepass",
                               "logfile",
                               "loglevel",
                               "bind",
                               "port",
                               "timeout",
                               "tcp-keepalive",
                               "maxmemory",
                               "maxmemory-policy",
                               "maxmemory-samples",
                               "lazyfree-lazy-eviction",
                               "lazyfree-lazy-expire",
                               "lazyfree-lazy-server-del",
                               "lazyfree-lazy-user-del",
                               "lazyfree-lazy-user-flush",
                               "save",
                               "appendonly",
                               "dir",
                               "active-expire-effort",
                               "hash-max-listpack-entries",
                               "hash-max-listpack-value",
                               "threads",
                               "io-backend"}) {
    EXPECT_NE(FindKnob(required), nullptr) << required;
  }
}

TEST(ConfigTableTest, LookupIsCaseInsensitiveAndAliasesOnlyWhereAsked) {
  ASSERT_NE(FindKnob("MaxClients"), nullptr);
  EXPECT_EQ(FindKnob("MaxClients")->name, "maxclients");
  EXPECT_EQ(FindKnob("host"), nullptr);
  ASSERT_NE(FindKnobOrAlias("host"), nullptr);
  EXPECT_EQ(FindKnobOrAlias("host")->name, "bind");
  EXPECT_EQ(FindKnobOrAlias("portt"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Value parsing (the CONFIG SET and command-line syntax)

KnobError ParseAs(std::string_view knob, std::string_view text, int64_t* out = nullptr) {
  KnobValue v;
  KnobError e = ParseKnobText(*FindKnob(knob), text, &v);
  if (out) *out = v.i;
  return e;
}

TEST(KnobParseTest, IntegersAreStrictAsRedis) {
  int64_t v = -1;
  EXPECT_EQ(ParseAs("timeout", "0", &v), KnobError::kOk);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(ParseAs("timeout", "2147483647", &v), KnobError::kOk);
  EXPECT_EQ(v, 2147483647);
  for (const char* bad :
       {"05", "+5", " 5", "5 ", "-0", "5.0", "abc", "", "0x10", "99999999999999999999"}) {
    EXPECT_EQ(ParseAs("timeout", bad), KnobError::kNotInteger) << "'" << bad << "'";
  }
  EXPECT_EQ(ParseAs("timeout", "-1"), KnobError::kOutOfRange);
  EXPECT_EQ(ParseAs("timeout", "2147483648"), KnobError::kOutOfRange);
  EXPECT_EQ(ParseAs("maxclients", "4294967295"), KnobError::kOk);
  EXPECT_EQ(ParseAs("maxclients", "4294967296"), KnobError::kOutOfRange);
  EXPECT_EQ(ParseAs("port", "65536"), KnobError::kOutOfRange);
}

TEST(KnobParseTest, MemorySizesFollowRedisUnits) {
  struct {
    const char* text;
    int64_t bytes;
  } ok[] = {{"1GB", 1ll << 30},
            {"5Mb", 5ll << 20},
            {"5mb", 5ll << 20},
            {"5m", 5000000},
            {"5g", 5000000000},
            {"10k", 10000},
            {"5kb", 5120},
            {"5KB", 5120},
            {"1b", 1},
            {"05", 5},
            {"", 0},
            {"123", 123}};
  for (auto& c : ok) {
    int64_t v = -1;
    EXPECT_EQ(ParseAs("maxmemory", c.text, &v), KnobError::kOk) << c.text;
    EXPECT_EQ(v, c.bytes) << c.text;
  }
  for (const char* bad : {"1.5gb", "-1", "+5", " 5", "5 mb", "0x10", "5tb", "5kbb", "abc"}) {
    EXPECT_EQ(ParseAs("maxmemory", bad), KnobError::kNotMemory) << bad;
  }
  EXPECT_EQ(ParseAs("proto-max-bulk-len", "1000"), KnobError::kOutOfRange);
  EXPECT_EQ(ParseAs("proto-max-bulk-len", "1mb"), KnobError::kOk);
  EXPECT_EQ(ParseAs("maxmemory", "99999999999999999999"), KnobError::kOutOfRange);
}

TEST(KnobParseTest, BoolsAndEnumsAreCaseInsensitive) {
  int64_t v = -1;
  EXPECT_EQ(ParseAs("appendonly", "YES", &v), KnobError::kOk);
  EXPECT_EQ(v, 1);
  EXPECT_EQ(ParseAs("appendonly", "no", &v), KnobError::kOk);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(ParseAs("appendonly", "true"), KnobError::kNotBool);
  EXPECT_EQ(ParseAs("appendonly", "1"), KnobError::kNotBool);
  KnobValue ev;
  EXPECT_EQ(ParseKnobText(*FindKnob("maxmemory-policy"), "ALLKEYS-LRU", &ev), KnobError::kOk);
  EXPECT_EQ(ev.s, "allkeys-lru");
  EXPECT_EQ(ev.i, int64_t(MaxmemoryPolicy::kAllkeysLru));
  EXPECT_EQ(ParseAs("io-backend", "kqueue"), KnobError::kNotEnum);
}

TEST(KnobParseTest, ReasonsAreRedisWording) {
  EXPECT_EQ(KnobErrorReason(*FindKnob("active-expire-effort"), KnobError::kOutOfRange),
            "argument must be between 1 and 10 inclusive");
  EXPECT_EQ(KnobErrorReason(*FindKnob("maxclients"), KnobError::kOutOfRange),
            "argument must be between 1 and 4294967295 inclusive");
  EXPECT_EQ(KnobErrorReason(*FindKnob("maxmemory-policy"), KnobError::kNotEnum),
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
            "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction, "
            "adaptive");
  EXPECT_EQ(KnobErrorReason(*FindKnob("loglevel"), KnobError::kNotEnum),
            "argument(s) must be one of the following: debug, verbose, notice, warning");
}

// ---------------------------------------------------------------------------------------------
// CONFIG SET logic

TEST(ConfigSetTest, SetsSeveralKnobsAtOnce) {
  Config cfg;
  ASSERT_TRUE(Set(cfg, {"maxclients", "100", "maxmemory", "64mb", "appendonly", "yes",
                        "maxmemory-policy", "allkeys-lfu", "requirepass", "s3cret"})
                  .ok());
  EXPECT_EQ(cfg.maxclients.load(), 100);
  EXPECT_EQ(cfg.maxmemory.load(), 64ll << 20);
  EXPECT_TRUE(cfg.appendonly.load());
  EXPECT_EQ(cfg.MaxmemoryPolicyName(), "allkeys-lfu");
  EXPECT_EQ(cfg.maxmemory_policy_id.load(), int64_t(MaxmemoryPolicy::kAllkeysLfu));
  EXPECT_EQ(cfg.Requirepass(), "s3cret");
}

TEST(ConfigSetTest, ImmutableAndProtectedKnobsAreRefusedAsRedis) {
  Config cfg;
  EXPECT_EQ(Set(cfg, {"port", "7000"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  EXPECT_EQ(Set(cfg, {"databases", "5"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config");
  EXPECT_EQ(Set(cfg, {"dir", "/nonexistent"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config");
  EXPECT_EQ(cfg.port.load(), 1211);
}

TEST(ConfigSetTest, UnknownDuplicateAndOddArgumentsAreRefused) {
  Config cfg;
  EXPECT_EQ(Set(cfg, {"foo", "1"}).message(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_EQ(Set(cfg, {"hz", "10", "HZ", "11"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter");
  EXPECT_EQ(Set(cfg, {"hz", "10", "maxclients"}).message(), "ERR syntax error");
  // Names are all checked before any value: the unknown name wins over the earlier bad value.
  EXPECT_EQ(Set(cfg, {"hz", "abc", "foo", "1"}).message(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  EXPECT_EQ(Set(cfg, {"hz", "abc", "databases", "1"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config");
}

TEST(ConfigSetTest, BadValuesAreReportedWithRedisReasons) {
  Config cfg;
  EXPECT_EQ(Set(cfg, {"maxclients", "abc"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer");
  EXPECT_EQ(Set(cfg, {"maxclients", "-5"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
  EXPECT_EQ(Set(cfg, {"maxmemory", "10xb"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must "
            "be a memory value");
  EXPECT_EQ(Set(cfg, {"appendonly", "maybe"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must "
            "be 'yes' or 'no'");
  EXPECT_EQ(Set(cfg, {"proto-max-bulk-len", "1000"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be between 1048576 and 9223372036854775807 inclusive");
  EXPECT_EQ(Set(cfg, {"Timeout", "-1"}).message(),
            "ERR CONFIG SET failed (possibly related to argument 'Timeout') - argument must be "
            "between 0 and 2147483647 inclusive");
}

TEST(ConfigSetTest, IsAllOrNothing) {
  Config cfg;
  Status st = Set(cfg, {"maxclients", "100", "timeout", "5", "hz", "abc"});
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(cfg.maxclients.load(), 10000);
  EXPECT_EQ(cfg.timeout.load(), 0);
  EXPECT_EQ(cfg.hz.load(), 10);
}

TEST(ConfigSetTest, HzIsClampedAsRedis) {
  Config cfg;
  ASSERT_TRUE(Set(cfg, {"hz", "0"}).ok());
  EXPECT_EQ(cfg.hz.load(), 1);
  ASSERT_TRUE(Set(cfg, {"hz", "1000"}).ok());
  EXPECT_EQ(cfg.hz.load(), 500);
  ASSERT_TRUE(Set(cfg, {"hz", "42"}).ok());
  EXPECT_EQ(cfg.hz.load(), 42);
}

TEST(ConfigSetTest, LoglevelHookReachesTheLogger) {
  Config cfg;
  LogLevel before = GetLogLevel();
  ASSERT_TRUE(Set(cfg, {"loglevel", "warning"}).ok());
  EXPECT_EQ(GetLogLevel(), LogLevel::kWarning);
  ASSERT_TRUE(Set(cfg, {"loglevel", "DEBUG"}).ok());
  EXPECT_EQ(GetLogLevel(), LogLevel::kDebug);
  EXPECT_EQ(cfg.Loglevel(), "debug");
  SetLogLevel(before);
}

TEST(ConfigSetTest, SubscribersHearOnlyTheirKnobAndOnlyOnSuccess) {
  Config cfg;
  int maxclients_calls = 0, timeout_calls = 0;
  int64_t seen = 0;
  cfg.Subscribe("maxclients", [&](Config& c) {
    ++maxclients_calls;
    seen = c.maxclients.load();
  });
  cfg.Subscribe("timeout", [&](Config&) { ++timeout_calls; });
  ASSERT_TRUE(Set(cfg, {"MAXCLIENTS", "77"}).ok());
  EXPECT_EQ(maxclients_calls, 1);
  EXPECT_EQ(seen, 77);
  EXPECT_EQ(timeout_calls, 0);
  EXPECT_FALSE(Set(cfg, {"maxclients", "5", "timeout", "x"}).ok());
  EXPECT_EQ(maxclients_calls, 1);
  EXPECT_EQ(timeout_calls, 0);
}

// ---------------------------------------------------------------------------------------------
// CONFIG GET logic

std::vector<std::string> Names(const std::vector<std::pair<std::string, std::string>>& pairs) {
  std::vector<std::string> out;
  for (auto& p : pairs) out.push_back(p.first);
  return out;
}

TEST(ConfigGetTest, GlobPatternsMatchCaseInsensitively) {
  Config cfg;
  std::vector<std::string_view> pats = {"MAXMEMORY*"};
  EXPECT_EQ(Names(ConfigGetPairs(cfg, pats)),
            (std::vector<std::string>{"maxmemory", "maxmemory-policy", "maxmemory-samples"}));
  pats = {"lazyfree-lazy-user-*"};
  EXPECT_EQ(Names(ConfigGetPairs(cfg, pats)),
            (std::vector<std::string>{"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"}));
  pats = {"h?"};
  auto hz = ConfigGetPairs(cfg, pats);
  ASSERT_EQ(hz.size(), 1u);
  EXPECT_EQ(hz[0], (std::pair<std::string, std::string>{"hz", "10"}));
  pats = {"*"};
  size_t redis_aliases = 0;
  for (const Knob& k : Knobs()) redis_aliases += (k.flags & kKnobRedisAlias) ? 1 : 0;
  EXPECT_GE(redis_aliases, 1u);
  EXPECT_EQ(ConfigGetPairs(cfg, pats).size(), Knobs().size() + redis_aliases);
  pats = {"list-max-*"};
  EXPECT_EQ(Names(ConfigGetPairs(cfg, pats)),
            (std::vector<std::string>{"list-max-listpack-size", "list-max-ziplist-size"}));
  pats = {"[st]*"};
  auto st = Names(ConfigGetPairs(cfg, pats));
  EXPECT_EQ(std::set<std::string>(st.begin(), st.end()),
            (std::set<std::string>{"threads", "timeout", "tcp-keepalive", "tcp-backlog", "save",
                                   "tier-dir", "tier-max-size", "tier-min-value-size",
                                   "tier-offload", "tier-segment-size", "set-max-intset-entries",
                                   "set-max-listpack-entries", "set-max-listpack-value",
                                   "stream-node-max-bytes", "stream-node-max-entries"}));
}

TEST(ConfigGetTest, ExactNamesAreEchoedAsGivenAndEachKnobAppearsOnce) {
  Config cfg;
  std::vector<std::string_view> pats = {"HZ", "hz", "hz*", "save", "appendonly", "nosuchknob"};
  auto got = ConfigGetPairs(cfg, pats);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<std::string, std::string>{"HZ", "10"}));
  EXPECT_EQ(got[1], (std::pair<std::string, std::string>{"save", ""}));
  EXPECT_EQ(got[2], (std::pair<std::string, std::string>{"appendonly", "no"}));
  pats = {"nothing*"};
  EXPECT_TRUE(ConfigGetPairs(cfg, pats).empty());
}

TEST(ConfigGetTest, ShowsValuesInRedisForm) {
  Config cfg;
  ASSERT_TRUE(Set(cfg, {"maxmemory", "1gb", "lazyfree-lazy-expire", "yes"}).ok());
  EXPECT_EQ(Get(cfg, "maxmemory"), "1073741824");
  EXPECT_EQ(Get(cfg, "lazyfree-lazy-expire"), "yes");
  EXPECT_EQ(Get(cfg, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(Get(cfg, "client-query-buffer-limit"), "1073741824");
}

// ---------------------------------------------------------------------------------------------
// Loaders

TEST(LoadConfigTest, TomlSetsEveryKindOfValue) {
  Config cfg;
  Status st = Load(R"(# a comment
host = "0.0.0.0"
port = 9000
maxmemory = "64mb"
proto-max-bulk-len = 2097152
appendonly = true
lazyfree-lazy-user-del = "yes"
maxmemory-policy = "allkeys-lru"
io-backend = "EPOLL"
requirepass = "pw"
hz = 1000
)",
                   &cfg);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(cfg.Bind(), "0.0.0.0");
  EXPECT_EQ(cfg.port.load(), 9000);
  EXPECT_EQ(cfg.maxmemory.load(), 64ll << 20);
  EXPECT_EQ(cfg.proto_max_bulk_len.load(), 2097152);
  EXPECT_TRUE(cfg.appendonly.load());
  EXPECT_TRUE(cfg.lazyfree_lazy_user_del.load());
  EXPECT_EQ(cfg.MaxmemoryPolicyName(), "allkeys-lru");
  EXPECT_EQ(cfg.IoBackend(), "epoll");
  EXPECT_EQ(cfg.Requirepass(), "pw");
  EXPECT_EQ(cfg.hz.load(), 500);  // clamped by the hook, as CONFIG SET does
}

TEST(LoadConfigTest, JsonObjectIsDetectedByLeadingBrace) {
  Config cfg;
  Status st = Load(
      "  \n{\"host\": \"0.0.0.0\", \"port\": 9000, \"appendonly\": false,\n"
      " \"maxmemory\": \"1kb\", \"loglevel\": \"warning\"}\n",
      &cfg, "aegisr.json");
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(cfg.Bind(), "0.0.0.0");
  EXPECT_EQ(cfg.port.load(), 9000);
  EXPECT_EQ(cfg.maxmemory.load(), 1024);
  EXPECT_EQ(cfg.Loglevel(), "warning");
  SetLogLevel(LogLevel::kInfo);
}

TEST(LoadConfigTest, UnknownTomlKeyNamesFileLineAndKey) {
  Config cfg;
  EXPECT_EQ(Load("port = 9000\n\nportt = 9001\n", &cfg).message(),
            "aegisr.toml:3: unknown config key 'portt'");
  EXPECT_EQ(cfg.port.load(), 1211);  // nothing applied from a bad file
}

TEST(LoadConfigTest, WrongTypesAndRangesAreExplained) {
  Config cfg;
  EXPECT_EQ(Load("\n\nport = \"abc\"\n", &cfg).message(),
            "aegisr.toml:3: invalid value for 'port': expected an integer between 0 and 65535, "
            "got \"abc\"");
  EXPECT_EQ(Load("port = 70000\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'port': expected an integer between 0 and 65535, "
            "got 70000");
  EXPECT_EQ(Load("port = 9.5\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'port': expected an integer between 0 and 65535, "
            "got 9.5");
  EXPECT_EQ(Load("appendonly = 1\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'appendonly': expected yes or no (or true/false), "
            "got 1");
  EXPECT_EQ(Load("requirepass = 1234\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'requirepass': expected a string, got 1234");
  EXPECT_EQ(Load("io-backend = \"kqueue\"\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'io-backend': expected one of auto, uring, epoll, "
            "got \"kqueue\"");
  EXPECT_EQ(Load("maxmemory = \"1.5gb\"\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'maxmemory': expected a memory size between 0 and "
            "9223372036854775807 bytes (an integer, or a string with a unit k, kb, m, mb, g, "
            "gb), got \"1.5gb\"");
  EXPECT_EQ(Load("maxmemory = -1\n", &cfg).message().substr(0, 44),
            "aegisr.toml:1: invalid value for 'maxmemory'");
  EXPECT_EQ(Load("bind = [\"a\", \"b\"]\n", &cfg).message(),
            "aegisr.toml:1: invalid value for 'bind': expected a string, got an array");
}

TEST(LoadConfigTest, TomlTablesAreUnknownKeys) {
  Config cfg;
  EXPECT_EQ(Load("port = 1\n[server]\nport = 2\n", &cfg).message(),
            "aegisr.toml:2: unknown config key 'server'");
}

TEST(LoadConfigTest, TomlSyntaxErrorNamesTheLine) {
  Config cfg;
  std::string msg = Load("port = 9000\nhz = = 3\n", &cfg).message();
  EXPECT_EQ(msg.rfind("aegisr.toml:2: syntax error: ", 0), 0u) << msg;
  msg = Load("port = 1\nport = 2\n", &cfg).message();  // TOML forbids redefinition
  EXPECT_EQ(msg.rfind("aegisr.toml:2: syntax error: ", 0), 0u) << msg;
}

TEST(LoadConfigTest, JsonErrorsNameLineWhenKnown) {
  Config cfg;
  EXPECT_EQ(Load("{\n  \"port\": 9000,\n  \"portt\": 1\n}\n", &cfg, "a.json").message(),
            "a.json:3: unknown config key 'portt'");
  EXPECT_EQ(Load("{\"port\": \"abc\"}", &cfg, "a.json").message(),
            "a.json:1: invalid value for 'port': expected an integer between 0 and 65535, got "
            "\"abc\"");
  EXPECT_EQ(Load("{\"port\": 1.5}", &cfg, "a.json").message(),
            "a.json:1: invalid value for 'port': expected an integer between 0 and 65535, got "
            "1.5");
  EXPECT_EQ(Load("{\"port\": null}", &cfg, "a.json").message(),
            "a.json:1: invalid value for 'port': expected an integer between 0 and 65535, got "
            "null");
  EXPECT_EQ(Load("{\"port\": 18446744073709551615}", &cfg, "a.json").message(),
            "a.json:1: invalid value for 'port': expected an integer between 0 and 65535, got "
            "18446744073709551615");
  EXPECT_EQ(Load("{\"bind\": {\"a\": 1}}", &cfg, "a.json").message(),
            "a.json:1: invalid value for 'bind': expected a string, got an object");
  std::string msg = Load("{\n\"port\": 9000,\n\"hz\": ,\n}", &cfg, "a.json").message();
  EXPECT_EQ(msg.rfind("a.json:3: syntax error: ", 0), 0u) << msg;
  EXPECT_EQ(cfg.port.load(), 1211);
}

TEST(LoadConfigFileTest, ReadsTheFileAndNamesItInErrors) {
  TempFile good("port = 7001\n");
  Config cfg;
  ASSERT_TRUE(LoadConfigFile(good.path(), &cfg).ok());
  EXPECT_EQ(cfg.port.load(), 7001);
  TempFile bad("port = 7001\nnope = 1\n");
  EXPECT_EQ(LoadConfigFile(bad.path(), &cfg).message(),
            bad.prefix(2) + "unknown config key 'nope'");
}

TEST(LoadConfigFileTest, UnreadableFileIsAnError) {
  Config cfg;
  std::string missing = TempPath(".toml");
  EXPECT_EQ(LoadConfigFile(missing, &cfg).message(),
            missing + ": cannot read config file: No such file or directory");
  EXPECT_EQ(LoadConfigFile("/", &cfg).message().rfind("/: cannot read config file: ", 0), 0u);
}

// ---------------------------------------------------------------------------------------------
// Command line

TEST(CommandLineTest, FlagsOverrideTheFileWhateverTheirOrder) {
  TempFile f("port = 9000\nhost = \"0.0.0.0\"\nmaxclients = 50\n");
  for (auto order : {std::vector<std::string>{"-p", "7000", "-c", f.path()},
                     std::vector<std::string>{"-c", f.path(), "-p", "7000"}}) {
    Config cfg;
    bool help = true;
    Status st = ParseArgs(order, &cfg, &help);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_FALSE(help);
    EXPECT_EQ(cfg.port.load(), 7000);
    EXPECT_EQ(cfg.Bind(), "0.0.0.0");
    EXPECT_EQ(cfg.maxclients.load(), 50);
    EXPECT_EQ(cfg.config_file, f.path());  // already absolute
  }
}

TEST(CommandLineTest, EveryKnobIsAFlagInBothSpellings) {
  Config cfg;
  bool help = false;
  Status st = ParseArgs(
      {"--maxmemory", "2mb", "--maxmemory-policy=allkeys-random", "-H", "::1", "--appendonly",
       "yes", "--threads", "3", "--io-backend", "epoll", "--save", "", "--requirepass=a=b"},
      &cfg, &help);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(cfg.maxmemory.load(), 2ll << 20);
  EXPECT_EQ(cfg.MaxmemoryPolicyName(), "allkeys-random");
  EXPECT_EQ(cfg.Bind(), "::1");
  EXPECT_TRUE(cfg.appendonly.load());
  EXPECT_EQ(cfg.threads.load(), 3);
  EXPECT_EQ(cfg.IoBackend(), "epoll");
  EXPECT_EQ(cfg.Requirepass(), "a=b");
  EXPECT_TRUE(cfg.config_file.empty());
  ASSERT_TRUE(ParseArgs({"--host", "10.0.0.1", "--port=1"}, &cfg, &help).ok());
  EXPECT_EQ(cfg.Bind(), "10.0.0.1");
  EXPECT_EQ(cfg.port.load(), 1);
}

TEST(CommandLineTest, HelpIsReported) {
  Config cfg;
  bool help = false;
  ASSERT_TRUE(ParseArgs({"--help"}, &cfg, &help).ok());
  EXPECT_TRUE(help);
}

TEST(CommandLineTest, ErrorsNameTheOption) {
  Config cfg;
  bool help = false;
  EXPECT_EQ(ParseArgs({"-p", "abc"}, &cfg, &help).message(),
            "command line: invalid value for '-p': expected an integer between 0 and 65535, got "
            "\"abc\"");
  EXPECT_EQ(ParseArgs({"--port=99999"}, &cfg, &help).message(),
            "command line: invalid value for '--port': expected an integer between 0 and 65535, "
            "got \"99999\"");
  EXPECT_EQ(ParseArgs({"--portt", "1"}, &cfg, &help).message(),
            "command line: unknown option '--portt' (see --help)");
  EXPECT_EQ(ParseArgs({"--port"}, &cfg, &help).message(),
            "command line: option '--port' needs a value");
  EXPECT_EQ(ParseArgs({"-c"}, &cfg, &help).message(), "command line: option '-c' needs a value");
  EXPECT_EQ(ParseArgs({"aegisr.toml"}, &cfg, &help).message(),
            "command line: unexpected argument 'aegisr.toml' (see --help)");
  EXPECT_EQ(cfg.port.load(), 1211);
}

TEST(CommandLineTest, BadFileErrorsComeThrough) {
  Config cfg;
  bool help = false;
  TempFile f("port = \"x\"\n");
  EXPECT_EQ(
      ParseArgs({"-c", f.path(), "-p", "7000"}, &cfg, &help).message(),
      f.prefix(1) + "invalid value for 'port': expected an integer between 0 and 65535, got \"x\"");
  std::string missing = TempPath(".toml");
  EXPECT_EQ(ParseArgs({"--config", missing}, &cfg, &help).message(),
            missing + ": cannot read config file: No such file or directory");
}

TEST(CommandLineTest, RelativeConfigPathIsRecordedAbsolute) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir("/tmp"), 0);
  std::string name = "aegisr-config-test-rel-" + std::to_string(getpid()) + ".toml";
  std::ofstream(name) << "hz = 20\n";
  Config cfg;
  bool help = false;
  Status st = ParseArgs({"-c", name}, &cfg, &help);
  unlink(name.c_str());
  ASSERT_EQ(chdir(cwd), 0);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(cfg.config_file, "/tmp/" + name);
  EXPECT_EQ(cfg.hz.load(), 20);
}

TEST(HelpTextTest, ListsEveryKnobWithTypeAndDefault) {
  std::string help = HelpText();
  for (const Knob& k : Knobs()) {
    EXPECT_NE(help.find("--" + std::string(k.name) + " <"), std::string::npos) << k.name;
    EXPECT_NE(help.find(std::string(k.help)), std::string::npos) << k.name;
  }
  EXPECT_NE(help.find("--port <integer>  (default 1211)"), std::string::npos) << help;
  EXPECT_NE(help.find("--maxclients <integer>  (default 10000, runtime)"), std::string::npos);
  EXPECT_NE(help.find("--io-backend <auto|uring|epoll>  (default \"auto\")"), std::string::npos);
  EXPECT_NE(help.find("-c, --config FILE"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// CONFIG REWRITE logic

TEST(RewriteTest, WritesNonDefaultsAsTomlThatLoadsBack) {
  Config cfg;
  ASSERT_TRUE(Set(cfg, {"maxclients", "123", "requirepass", "q\"uo\\te\n", "appendonly", "yes",
                        "maxmemory-policy", "allkeys-lru", "maxmemory", "1mb"})
                  .ok());
  std::string path = TempPath(".toml");
  ASSERT_TRUE(RewriteConfigFile(cfg, path).ok());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("maxclients = 123\n"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("appendonly = true\n"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("port"), std::string::npos) << "defaults are not written";
  Config back;
  Status st = LoadConfigFile(path, &back);
  unlink(path.c_str());
  ASSERT_TRUE(st.ok()) << st.message();
  for (const Knob& k : Knobs()) EXPECT_EQ(FormatKnob(back, k), FormatKnob(cfg, k)) << k.name;
}

TEST(RewriteTest, WithoutFileOrWithUnwritableFileFails) {
  Config cfg;
  EXPECT_EQ(RewriteConfigFile(cfg, "").message(),
            "ERR The server is running without a config file");
  EXPECT_EQ(RewriteConfigFile(cfg, "/nonexistent-dir/x.toml").message(),
            "ERR Rewriting config file: No such file or directory");
}

// ---------------------------------------------------------------------------------------------
// The CONFIG command through Engine::Dispatch

// Records replies in RESP, enough of it for CONFIG.
class RecordingSink final : public ReplySink {
 public:
  explicit RecordingSink(int proto) : proto_(proto) {}
  void SimpleString(std::string_view s) override { out += "+" + std::string(s) + "\r\n"; }
  void Error(std::string_view m) override { out += "-" + std::string(m) + "\r\n"; }
  void Integer(int64_t v) override { out += ":" + std::to_string(v) + "\r\n"; }
  void Bulk(std::string_view s) override {
    out += "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
  void Null() override { out += proto_ == 3 ? "_\r\n" : "$-1\r\n"; }
  void NullArray() override { out += proto_ == 3 ? "_\r\n" : "*-1\r\n"; }
  void ArrayHeader(size_t n) override { out += "*" + std::to_string(n) + "\r\n"; }
  void MapHeader(size_t n) override {
    out += proto_ == 3 ? "%" + std::to_string(n) + "\r\n" : "*" + std::to_string(2 * n) + "\r\n";
  }
  void SetHeader(size_t n) override {
    out += (proto_ == 3 ? "~" : "*") + std::to_string(n) + "\r\n";
  }
  void PushHeader(size_t n) override {
    out += (proto_ == 3 ? ">" : "*") + std::to_string(n) + "\r\n";
  }
  void Double(double d) override { Bulk(std::to_string(d)); }
  void Bool(bool b) override { Integer(b); }
  void Verbatim(std::string_view, std::string_view t) override { Bulk(t); }
  void Raw(std::string_view r) override { out += r; }
  void SetProtocol(int p) override { proto_ = p; }
  int protocol() const override { return proto_; }
  std::string out;

 private:
  int proto_;
};

class ConfigCommandTest : public ::testing::Test {
 protected:
  ConfigCommandTest() : engine_(&cfg_) {}

  std::string Run(std::vector<std::string_view> args, int proto = 2) {
    RecordingSink sink(proto);
    client_.resp.store(proto);
    engine_.Dispatch(client_, sink, args);
    return sink.out;
  }

  Config cfg_;
  Engine engine_;
  ClientState client_;
};

TEST_F(ConfigCommandTest, GetRepliesFlatArrayInResp2AndMapInResp3) {
  EXPECT_EQ(Run({"CONFIG", "GET", "hz"}), "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n");
  EXPECT_EQ(Run({"config", "get", "hz", "appendonly"}, 3),
            "%2\r\n$2\r\nhz\r\n$2\r\n10\r\n$10\r\nappendonly\r\n$2\r\nno\r\n");
  EXPECT_EQ(Run({"config", "get", "nothing"}, 3), "%0\r\n");
}

TEST_F(ConfigCommandTest, SetThenGetSeesTheNewValue) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxclients", "42", "save", "3600 1"}), "+OK\r\n");
  EXPECT_EQ(cfg_.maxclients.load(), 42);
  EXPECT_EQ(Run({"CONFIG", "GET", "save"}), "*2\r\n$4\r\nsave\r\n$6\r\n3600 1\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "port", "1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "1", "x"}), "-ERR syntax error\r\n");
}

TEST_F(ConfigCommandTest, SubcommandErrorsAndArity) {
  EXPECT_EQ(Run({"CONFIG", "foo"}), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET"}), "-ERR wrong number of arguments for 'config|get' command\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "hz"}),
            "-ERR wrong number of arguments for 'config|set' command\r\n");
}

TEST_F(ConfigCommandTest, RewriteWithoutFileAndWithFile) {
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "-ERR The server is running without a config file\r\n");
  std::string path = TempPath(".toml");
  std::ofstream(path) << "hz = 20\n";
  engine_.set_config_file(path);
  EXPECT_EQ(Run({"CONFIG", "SET", "timeout", "30"}), "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "+OK\r\n");
  Config back;
  Status st = LoadConfigFile(path, &back);
  unlink(path.c_str());
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(back.timeout.load(), 30);
  EXPECT_EQ(back.hz.load(), 10);  // this Config never loaded the file: its hz is the default
}

TEST_F(ConfigCommandTest, HelpAndResetstat) {
  std::string help = Run({"CONFIG", "HELP"});
  EXPECT_EQ(
      help.rfind("*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n", 0),
      0u)
      << help;
  EXPECT_NE(help.find("+RESETSTAT\r\n"), std::string::npos);
  Run({"CONFIG", "GET", "hz"});
  const ThreadStats& st = engine_.thread_stats();
  EXPECT_GT(st.commands.load(), 0u);
  EXPECT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK\r\n");
  // RESETSTAT itself is counted after its handler ran.
  EXPECT_EQ(st.commands.load(), 1u);
}

}  // namespace
}  // namespace aegisr
