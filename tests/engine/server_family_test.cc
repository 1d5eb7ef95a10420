// Unit tests of the connection/server command family and the command metadata, run through
// Engine::Dispatch with a recording reply sink (no sockets). Single-threaded.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/alloc.h"
#include "engine/command_meta.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/server_errors.h"

namespace aegisr {
namespace {

// Records replies as RESP text in the protocol given (RESP2 flattens maps and sets).
class TextSink : public ReplySink {
 public:
  explicit TextSink(int proto) : proto_(proto) {}
  void SimpleString(std::string_view s) override { Line('+', s); }
  void Error(std::string_view m) override { Line('-', m); }
  void Integer(int64_t v) override { Line(':', std::to_string(v)); }
  void Bulk(std::string_view s) override {
    Line('$', std::to_string(s.size()));
    out.append(s);
    out += "\r\n";
  }
  void Null() override { out += proto_ == 3 ? "_\r\n" : "$-1\r\n"; }
  void NullArray() override { out += proto_ == 3 ? "_\r\n" : "*-1\r\n"; }
  void ArrayHeader(size_t n) override { Line('*', std::to_string(n)); }
  void MapHeader(size_t n) override {
    if (proto_ == 3)
      Line('%', std::to_string(n));
    else
      Line('*', std::to_string(2 * n));
  }
  void SetHeader(size_t n) override { Line(proto_ == 3 ? '~' : '*', std::to_string(n)); }
  void PushHeader(size_t n) override { Line(proto_ == 3 ? '>' : '*', std::to_string(n)); }
  void Double(double d) override { Line(',', std::to_string(d)); }
  void Bool(bool b) override {
    out += proto_ == 3 ? (b ? "#t\r\n" : "#f\r\n") : (b ? ":1\r\n" : ":0\r\n");
  }
  void Verbatim(std::string_view fmt, std::string_view text) override {
    if (proto_ == 3) {
      Line('=', std::to_string(text.size() + 4));
      out.append(fmt);
      out += ':';
      out.append(text);
      out += "\r\n";
    } else {
      Bulk(text);
    }
  }
  void Raw(std::string_view resp) override { out.append(resp); }
  int protocol() const override { return proto_; }
  void SetProtocol(int proto) override { proto_ = proto; }

  std::string out;

 private:
  void Line(char t, std::string_view s) {
    out += t;
    out.append(s);
    out += "\r\n";
  }
  int proto_;
};

class FakeControl : public ServerControl {
 public:
  void RequestShutdown() override { ++shutdowns; }
  void KillClient(uint64_t id, unsigned thread) override { killed.push_back(id); }
  void WakeBlocked(uint64_t id, unsigned thread) override { woken.push_back(id); }
  unsigned thread_count() const override { return 1; }
  const char* io_backend() const override { return "epoll"; }
  int tcp_port() const override { return 7777; }
  int shutdowns = 0;
  std::vector<uint64_t> killed;
  std::vector<uint64_t> woken;
};

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

class ServerFamilyTest : public ::testing::Test {
 protected:
  ServerFamilyTest() : engine_(&config_) {
    engine_.set_control(&control_);
    for (int i = 0; i < 2; ++i) {
      auto c = std::make_unique<ClientState>();
      c->id = engine_.clients().NextId();
      c->fd = 10 + i;
      c->addr = "127.0.0.1:" + std::to_string(50000 + i);
      c->laddr = "127.0.0.1:6379";
      c->ctime_ms = Engine::NowMs();
      engine_.clients().Add(c.get());
      clients_.push_back(std::move(c));
    }
  }
  ~ServerFamilyTest() override {
    for (auto& c : clients_) engine_.clients().Remove(c.get());
  }

  // Runs a command as client `who` and returns the reply text.
  std::string Run(std::vector<std::string> argv, int who = 0) {
    ClientState& c = *clients_[size_t(who)];
    TextSink sink(c.resp.load());
    std::vector<std::string_view> args(argv.begin(), argv.end());
    engine_.Dispatch(c, sink, args);
    return sink.out;
  }
  std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }
  ClientState& client(int i) { return *clients_[size_t(i)]; }

  Config config_;
  Engine engine_;
  FakeControl control_;
  std::vector<std::unique_ptr<ClientState>> clients_;
};

// ---------------------------------------------------------------------------------------------
// Metadata agrees with the command table

TEST(CommandMetaTest, EveryRegisteredCommandHasMatchingMetadata) {
  Config config;
  Engine engine(&config);
  std::vector<std::string> problems;
  auto check = [&](const CommandSpec& s) {
    const CommandMeta* m = FindCommandMeta(s.name);
    if (!m) {
      problems.push_back(s.name + ": no metadata (add it to tools/gen_command_meta.py)");
      return;
    }
    if (m->arity != s.arity)
      problems.push_back(s.name + ": arity " + std::to_string(s.arity) + ", Redis " +
                         std::to_string(m->arity));
    if (m->first_key != s.first_key || m->last_key != s.last_key || m->key_step != s.key_step)
      problems.push_back(s.name + ": keys " + std::to_string(s.first_key) + "," +
                         std::to_string(s.last_key) + "," + std::to_string(s.key_step) +
                         ", Redis " + std::to_string(m->first_key) + "," +
                         std::to_string(m->last_key) + "," + std::to_string(m->key_step));
    // Containers carry no flags of their own in Redis; movablekeys is derived by Redis.
    uint32_t mask = ~uint32_t(kCmdMovableKeys);
    if ((m->flags & mask) != (s.flags & mask))
      problems.push_back(s.name + ": flags differ from Redis's");
  };
  engine.commands().ForEach([&](const CommandSpec& s) {
    check(s);
    for (const CommandSpec& sub : s.subcommands) check(sub);
  });
  std::string all;
  for (auto& p : problems) all += p + "\n";
  EXPECT_TRUE(problems.empty()) << all;
}

TEST(CommandMetaTest, LookupIsCaseInsensitiveAndKnowsSubcommands) {
  ASSERT_NE(FindCommandMeta("GET"), nullptr);
  EXPECT_EQ(FindCommandMeta("GET")->arity, 2);
  ASSERT_NE(FindCommandMeta("Client|Kill"), nullptr);
  EXPECT_EQ(FindCommandMeta("client|kill")->arity, -3);
  EXPECT_EQ(FindCommandMeta("nosuchcommand"), nullptr);
  EXPECT_EQ(FindCommandMeta("client|nosuch"), nullptr);
}

TEST(CommandMetaTest, DocsCarryOurSummariesAndNoRedisProse) {
  for (const CommandMeta& m : AllCommandMetas()) {
    EXPECT_EQ(m.docs_body.find("complexity"), std::string_view::npos) << m.name;
    EXPECT_EQ(m.docs_body.find("history"), std::string_view::npos) << m.name;
    EXPECT_EQ(m.info_body.find("notes"), std::string_view::npos) << m.name;
  }
  EXPECT_NE(FindCommandMeta("get")->docs_body.find("Returns a string value"),
            std::string_view::npos);
}

TEST(CommandMetaTest, ReplayRejectsMalformedText) {
  TextSink s(3);
  EXPECT_TRUE(ReplayResp3("*2\r\n:1\r\n$1\r\na\r\n", s));
  EXPECT_EQ(s.out, "*2\r\n:1\r\n$1\r\na\r\n");
  TextSink bad(3);
  EXPECT_FALSE(ReplayResp3("$5\r\nab\r\n", bad));
  EXPECT_FALSE(ReplayResp3("?x\r\n", bad));
  EXPECT_FALSE(ReplayResp3(":12", bad));
}

std::vector<int> Keys(std::string_view cmd, std::vector<std::string_view> args, bool* ok) {
  std::vector<int> pos;
  *ok = GetKeyPositions(*FindCommandMeta(cmd), args, &pos);
  return pos;
}

TEST(CommandMetaTest, KeyPositionsFollowKeySpecs) {
  bool ok;
  EXPECT_EQ(Keys("get", {"get", "k"}, &ok), std::vector<int>({1}));
  EXPECT_TRUE(ok);
  EXPECT_EQ(Keys("mset", {"mset", "a", "1", "b", "2"}, &ok), std::vector<int>({1, 3}));
  EXPECT_EQ(Keys("del", {"del", "a", "b", "c"}, &ok), std::vector<int>({1, 2, 3}));
  EXPECT_EQ(Keys("lcs", {"lcs", "a", "b", "LEN"}, &ok), std::vector<int>({1, 2}));
  EXPECT_EQ(Keys("migrate", {"migrate", "h", "1", "", "0", "5", "KEYS", "x", "y"}, &ok),
            std::vector<int>({7, 8}));
  EXPECT_EQ(Keys("sort", {"sort", "l", "LIMIT", "0", "1", "STORE", "dst"}, &ok),
            std::vector<int>({1, 6}));
  EXPECT_EQ(Keys("object|encoding", {"object", "encoding", "k"}, &ok), std::vector<int>({2}));
  EXPECT_EQ(Keys("migrate", {"migrate", "h", "1", "k", "0", "5", "COPY"}, &ok),
            std::vector<int>({3}));
  Keys("lcs", {"lcs", "a"}, &ok);
  EXPECT_FALSE(ok);
}

// ---------------------------------------------------------------------------------------------
// Connection commands

TEST_F(ServerFamilyTest, PingAndEcho) {
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"ping", "hi"}), Bulk("hi"));
  EXPECT_EQ(Run({"PING", "a", "b"}), Err("ERR wrong number of arguments for 'ping' command"));
  EXPECT_EQ(Run({"ECHO", "x y"}), Bulk("x y"));
}

TEST_F(ServerFamilyTest, HelloSwitchesProtocolAndRepliesInIt) {
  std::string r = Run({"HELLO", "3"});
  EXPECT_EQ(client(0).resp.load(), 3);
  std::string id = std::to_string(client(0).id);
  EXPECT_EQ(r, "%7\r\n" + Bulk("server") + Bulk("redis") + Bulk("version") + Bulk("7.0.15") +
                   Bulk("proto") + ":3\r\n" + Bulk("id") + ":" + id + "\r\n" + Bulk("mode") +
                   Bulk("standalone") + Bulk("role") + Bulk("master") + Bulk("modules") + "*0\r\n");
  r = Run({"HELLO", "2"});
  EXPECT_EQ(client(0).resp.load(), 2);
  EXPECT_EQ(r.substr(0, 5), "*14\r\n");
  r = Run({"HELLO"});
  EXPECT_EQ(r.substr(0, 5), "*14\r\n");
  EXPECT_NE(r.find(":2\r\n"), std::string::npos);
}

TEST_F(ServerFamilyTest, HelloErrors) {
  EXPECT_EQ(Run({"HELLO", "4"}), Err(errors::kNoProto));
  EXPECT_EQ(Run({"HELLO", "1"}), Err(errors::kNoProto));
  EXPECT_EQ(Run({"HELLO", "x"}), Err(errors::kProtoVersionNotInteger));
  EXPECT_EQ(Run({"HELLO", "3", "FOO"}), Err("ERR Syntax error in HELLO option 'FOO'"));
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "a"}), Err("ERR Syntax error in HELLO option 'AUTH'"));
  EXPECT_EQ(Run({"HELLO", "3", "SETNAME", "a b"}), Err(errors::kBadClientName));
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "bob", "x"}), Err(errors::kWrongPass));
  EXPECT_EQ(client(0).resp.load(), 2) << "a failed HELLO must not switch protocol";
}

TEST_F(ServerFamilyTest, HelloSetnameNamesTheClient) {
  Run({"HELLO", "2", "SETNAME", "worker"});
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), Bulk("worker"));
}

TEST_F(ServerFamilyTest, AuthWithoutRequirepass) {
  EXPECT_EQ(Run({"AUTH", "x"}), Err(errors::kAuthNoPassword));
  EXPECT_EQ(Run({"AUTH", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(Run({"AUTH", "bob", "x"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run({"AUTH", "a", "b", "c"}), Err(errors::kSyntax));
}

TEST_F(ServerFamilyTest, AuthWithRequirepass) {
  config_.requirepass = "secret";
  client(0).authenticated = false;
  EXPECT_EQ(Run({"PING"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run({"HELLO", "3"}), Err(errors::kHelloNoAuth));
  EXPECT_EQ(Run({"AUTH", "wrong"}), Err(errors::kWrongPass));
  EXPECT_FALSE(client(0).authenticated);
  EXPECT_EQ(Run({"AUTH", "secret"}), "+OK\r\n");
  EXPECT_TRUE(client(0).authenticated);
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(Run({"RESET"}), "+RESET\r\n");
  EXPECT_FALSE(client(0).authenticated) << "RESET signs the client out";
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "default", "nope"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "default", "secret"}).substr(0, 4), "%7\r\n");
  EXPECT_TRUE(client(0).authenticated);
}

TEST_F(ServerFamilyTest, QuitRepliesThenCloses) {
  EXPECT_FALSE(client(0).close_after_reply);
  EXPECT_EQ(Run({"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(client(0).close_after_reply);
}

TEST_F(ServerFamilyTest, ResetRestoresDefaults) {
  Run({"HELLO", "3", "SETNAME", "n"});
  client(0).db.store(5);
  EXPECT_EQ(Run({"RESET"}), "+RESET\r\n");
  EXPECT_EQ(client(0).resp.load(), 2);
  EXPECT_EQ(client(0).db.load(), 0);
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
}

// ---------------------------------------------------------------------------------------------
// CLIENT

TEST_F(ServerFamilyTest, ClientIdNameAndErrors) {
  EXPECT_EQ(Run({"CLIENT", "ID"}), ":" + std::to_string(client(0).id) + "\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "a\nb"}), Err(errors::kBadClientName));
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "app-1"}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), Bulk("app-1"));
  EXPECT_EQ(Run({"CLIENT", "SETNAME", ""}), "+OK\r\n");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "$-1\r\n");
  EXPECT_EQ(Run({"CLIENT", "NOSUCH"}), Err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."));
  EXPECT_EQ(Run({"CLIENT"}), Err("ERR wrong number of arguments for 'client' command"));
}

TEST_F(ServerFamilyTest, ClientListShowsEveryClientInRedisFormat) {
  Run({"CLIENT", "SETNAME", "other"}, 1);
  Run({"PING"}, 1);
  std::string r = Run({"CLIENT", "LIST"});
  std::string line0 = "id=" + std::to_string(client(0).id) +
                      " addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=10 name= age=0 idle=0 "
                      "flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 "
                      "multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r "
                      "cmd=client|list user=default redir=-1 resp=2\n";
  EXPECT_NE(r.find(line0), std::string::npos) << r;
  EXPECT_NE(r.find("name=other "), std::string::npos) << r;
  EXPECT_NE(r.find(" cmd=ping "), std::string::npos) << r;
  EXPECT_LT(r.find("fd=10"), r.find("fd=11")) << "listed in id order";

  r = Run({"CLIENT", "LIST", "ID", std::to_string(client(1).id)});
  EXPECT_EQ(r.find("fd=10"), std::string::npos);
  EXPECT_NE(r.find("fd=11"), std::string::npos);
  EXPECT_EQ(Run({"CLIENT", "LIST", "ID", "999999"}), "$0\r\n\r\n");
  EXPECT_EQ(Run({"CLIENT", "LIST", "TYPE", "pubsub"}), "$0\r\n\r\n");
  EXPECT_NE(Run({"CLIENT", "LIST", "TYPE", "normal"}).find("fd=11"), std::string::npos);
  EXPECT_EQ(Run({"CLIENT", "LIST", "TYPE", "bad"}), Err("ERR Unknown client type 'bad'"));
  EXPECT_EQ(Run({"CLIENT", "LIST", "ID", "x"}), Err(errors::kInvalidClientId));
  EXPECT_EQ(Run({"CLIENT", "LIST", "ID", "0"}), Err(errors::kInvalidClientId));
  EXPECT_EQ(Run({"CLIENT", "LIST", "FOO"}), Err(errors::kSyntax));
}

TEST_F(ServerFamilyTest, ClientInfoIsVerbatimInResp3) {
  Run({"HELLO", "3"});
  std::string r = Run({"CLIENT", "INFO"});
  EXPECT_EQ(r.substr(0, 1), "=");
  EXPECT_NE(r.find("txt:id=" + std::to_string(client(0).id) + " "), std::string::npos);
  EXPECT_NE(r.find("cmd=client|info user=default redir=-1 resp=3\n\r\n"), std::string::npos) << r;
}

TEST_F(ServerFamilyTest, ClientKillById) {
  std::string id1 = std::to_string(client(1).id);
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", id1}), ":1\r\n");
  EXPECT_TRUE(client(1).kill_requested.load());
  EXPECT_EQ(control_.killed, std::vector<uint64_t>({client(1).id}));
  EXPECT_FALSE(client(0).kill_requested.load());
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "999999"}), ":0\r\n");
}

TEST_F(ServerFamilyTest, ClientKillOldFormByAddress) {
  EXPECT_EQ(Run({"CLIENT", "KILL", "1.2.3.4:5"}), Err(errors::kNoSuchClient));
  EXPECT_EQ(Run({"CLIENT", "KILL", "127.0.0.1:50001"}), "+OK\r\n");
  EXPECT_TRUE(client(1).kill_requested.load());
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID"}), Err(errors::kNoSuchClient)) << "3 args: old form";
}

TEST_F(ServerFamilyTest, ClientKillFiltersSkipSelfByDefault) {
  EXPECT_EQ(Run({"CLIENT", "KILL", "LADDR", "127.0.0.1:6379"}), ":1\r\n");
  EXPECT_FALSE(client(0).close_after_reply);
  EXPECT_TRUE(client(1).kill_requested.load());
  EXPECT_EQ(Run({"CLIENT", "KILL", "ADDR", "127.0.0.1:50000", "SKIPME", "no"}), ":1\r\n");
  EXPECT_TRUE(client(0).close_after_reply) << "killing oneself closes after the reply";
  EXPECT_FALSE(client(0).kill_requested.load());
}

TEST_F(ServerFamilyTest, ClientKillErrors) {
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "x"}), Err(errors::kClientIdNotPositive));
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "-1"}), Err(errors::kClientIdNotPositive));
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "bad"}), Err("ERR Unknown client type 'bad'"));
  EXPECT_EQ(Run({"CLIENT", "KILL", "USER", "bob"}), Err("ERR No such user 'bob'"));
  EXPECT_EQ(Run({"CLIENT", "KILL", "SKIPME", "maybe"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"CLIENT", "KILL", "FOO", "x"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "1", "TYPE"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "pubsub"}), ":0\r\n");
  EXPECT_TRUE(control_.killed.empty());
}

// ---------------------------------------------------------------------------------------------
// COMMAND

TEST_F(ServerFamilyTest, CommandCountIsTheRegistrySize) {
  EXPECT_EQ(Run({"COMMAND", "COUNT"}), ":" + std::to_string(engine_.commands().size()) + "\r\n");
  std::string all = Run({"COMMAND"});
  EXPECT_EQ(all.substr(0, all.find("\r\n")), "*" + std::to_string(engine_.commands().size()));
}

TEST_F(ServerFamilyTest, CommandInfoInBothProtocols) {
  std::string r2 = Run({"COMMAND", "INFO", "echo", "nosuch"});
  EXPECT_EQ(r2.rfind("*2\r\n*10\r\n$4\r\necho\r\n:2\r\n*3\r\n+loading\r\n+stale\r\n", 0), 0u) << r2;
  EXPECT_EQ(r2.substr(r2.size() - 5), "$-1\r\n");
  Run({"HELLO", "3"});
  std::string r3 = Run({"COMMAND", "INFO", "echo"});
  EXPECT_EQ(r3.rfind("*1\r\n*10\r\n$4\r\necho\r\n:2\r\n~3\r\n+loading\r\n", 0), 0u) << r3;
  EXPECT_EQ(Run({"COMMAND", "INFO", "nosuch"}), "*1\r\n_\r\n");
}

TEST_F(ServerFamilyTest, CommandInfoOfAContainerListsOnlyRegisteredSubcommands) {
  Run({"HELLO", "3"});
  std::string r = Run({"COMMAND", "INFO", "client"});
  EXPECT_NE(r.find("client|kill"), std::string::npos);
  EXPECT_EQ(r.find("client|pause"), std::string::npos);
  EXPECT_NE(Run({"COMMAND", "INFO", "client|kill"}).find("$11\r\nclient|kill\r\n:-3\r\n"),
            std::string::npos);
}

TEST_F(ServerFamilyTest, CommandDocs) {
  Run({"HELLO", "3"});
  std::string r = Run({"COMMAND", "DOCS", "echo", "nosuch"});
  EXPECT_EQ(r.substr(0, 15), "%1\r\n$4\r\necho\r\n%");
  EXPECT_NE(r.find("summary"), std::string::npos);
  EXPECT_NE(r.find("arguments"), std::string::npos);
  EXPECT_EQ(Run({"COMMAND", "DOCS", "nosuch"}), "%0\r\n");
  std::string c = Run({"COMMAND", "DOCS", "client"});
  EXPECT_NE(c.find("$11\r\nsubcommands\r\n"), std::string::npos);
  EXPECT_NE(c.find("$14\r\nclient|setname\r\n"), std::string::npos);
}

TEST_F(ServerFamilyTest, CommandList) {
  std::string all = Run({"COMMAND", "LIST"});
  EXPECT_NE(all.find(Bulk("client|kill")), std::string::npos);
  EXPECT_NE(all.find(Bulk("ping")), std::string::npos);
  std::string pat = Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT|*"});
  EXPECT_EQ(pat.find(Bulk("ping")), std::string::npos);
  EXPECT_NE(pat.find(Bulk("client|id")), std::string::npos);
  std::string cat = Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"});
  EXPECT_NE(cat.find(Bulk("hello")), std::string::npos);
  EXPECT_EQ(cat.find(Bulk("info")), std::string::npos);
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), "*0\r\n");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "x", "y"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"COMMAND", "LIST", "x"}), Err(errors::kSyntax));
}

TEST_F(ServerFamilyTest, CommandGetKeys) {
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "nosuch", "a"}), Err(errors::kInvalidCommandSpecified));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ping", "x"}), Err(errors::kCommandHasNoKeys));
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "client", "nosuch"}), Err(errors::kInvalidCommandSpecified));
  if (engine_.commands().Find("mset")) {
    EXPECT_EQ(Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}),
              "*2\r\n" + Bulk("a") + Bulk("b"));
    EXPECT_EQ(Run({"COMMAND", "GETKEYS", "mset", "a"}), Err(errors::kInvalidNumberOfArgs));
  }
}

// ---------------------------------------------------------------------------------------------
// INFO

TEST_F(ServerFamilyTest, InfoDefaultSectionsInRedisOrder) {
  std::string r = Run({"INFO"});
  size_t prev = 0;
  for (const char* s : {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                        "# Replication", "# CPU", "# Keyspace"}) {
    size_t at = r.find(s);
    ASSERT_NE(at, std::string::npos) << s;
    EXPECT_GT(at, prev) << s;
    prev = at;
  }
  EXPECT_EQ(r.find("# Commandstats"), std::string::npos);
  EXPECT_NE(r.find("redis_version:7.0.15\r\n"), std::string::npos);
  EXPECT_NE(r.find("aegisr_version:"), std::string::npos);
  EXPECT_NE(r.find("connected_clients:2\r\n"), std::string::npos);
  EXPECT_NE(r.find("tcp_port:7777\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\n# Clients\r\n"), std::string::npos)
      << "sections separated by a blank line";
}

TEST_F(ServerFamilyTest, InfoSelectedSectionsOnly) {
  std::string r = Run({"INFO", "CLIENTS", "keyspace", "bogus"});
  EXPECT_EQ(r.find("# Server"), std::string::npos);
  EXPECT_NE(r.find("# Clients"), std::string::npos);
  EXPECT_NE(r.find("# Keyspace"), std::string::npos);
  EXPECT_EQ(Run({"INFO", "bogus"}), "$0\r\n\r\n");
  std::string all = Run({"INFO", "everything"});
  EXPECT_NE(all.find("# Commandstats"), std::string::npos);
  EXPECT_NE(all.find("# Server"), std::string::npos);
}

TEST_F(ServerFamilyTest, InfoKeyspaceCountsKeysAndExpires) {
  Keyspace& ks = engine_.keyspace();
  for (std::string k : {"a", "b", "c"}) {
    KeyRef ref(k);
    auto lk = ks.Lock(ref);
    Entry* e = NewStringEntry(ref.key, ref.hash, "v");
    if (k == "c") e = SetExpire(e, Engine::NowMs() + 100000);
    ks.shard(ref).Insert(k == "b" ? 3 : 0, e);
  }
  std::string r = Run({"INFO", "keyspace"});
  EXPECT_EQ(
      r,
      Bulk("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"));
}

TEST_F(ServerFamilyTest, InfoCommandStatsSumsCallsAndRejections) {
  Run({"PING"});
  Run({"PING"}, 1);
  Run({"ECHO"});
  Run({"CLIENT", "ID"});
  std::string r = Run({"INFO", "commandstats"});
  EXPECT_NE(r.find("cmdstat_ping:calls=2,usec="), std::string::npos) << r;
  EXPECT_NE(
      r.find("cmdstat_echo:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n"),
      std::string::npos)
      << r;
  EXPECT_NE(r.find("cmdstat_client|id:calls=1,"), std::string::npos) << r;
  EXPECT_EQ(r.find("cmdstat_time"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// TIME, LASTSAVE, SHUTDOWN, DEBUG

TEST_F(ServerFamilyTest, TimeIsNow) {
  std::string r = Run({"TIME"});
  ASSERT_EQ(r.substr(0, 4), "*2\r\n");
  size_t p = r.find("\r\n", 4);
  size_t q = r.find("\r\n", p + 2);
  int64_t secs = std::stoll(r.substr(p + 2, q - p - 2));
  EXPECT_LE(std::abs(secs - Engine::NowMs() / 1000), 2);
  EXPECT_EQ(Run({"LASTSAVE"}), ":" + std::to_string(engine_.start_time_ms() / 1000) + "\r\n");
}

TEST_F(ServerFamilyTest, ShutdownRequestsExitWithoutReply) {
  EXPECT_EQ(Run({"SHUTDOWN", "FOO"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SHUTDOWN", "SAVE", "NOSAVE"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SHUTDOWN", "ABORT", "NOW"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SHUTDOWN", "ABORT"}), Err(errors::kNoShutdownInProgress));
  EXPECT_EQ(control_.shutdowns, 0);
  EXPECT_EQ(Run({"SHUTDOWN", "NOSAVE", "NOW", "FORCE"}), "");
  EXPECT_EQ(control_.shutdowns, 1);
  EXPECT_TRUE(client(0).close_after_reply);
}

TEST_F(ServerFamilyTest, DebugSleepBlocks) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "0.1"}), "+OK\r\n");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "0"}), "+OK\r\n");
  EXPECT_EQ(Run({"DEBUG", "NOPE"}),
            Err("ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP."));
}

TEST_F(ServerFamilyTest, InfoNamesTheAllocatorOfThisBuild) {
  // mimalloc normally; libc in the sanitizer build (base/alloc.h).
  std::string info = Run({"INFO", "memory"});
  EXPECT_NE(info.find("\r\nmem_allocator:" + std::string(kAllocatorName) + "\r\n"),
            std::string::npos)
      << info;
}

TEST_F(ServerFamilyTest, DebugSleepOutOfRangeReturnsAtOnce) {
  // Seconds whose microseconds do not fit an int64 (undefined to convert) do not sleep, as in
  // Redis on x86; neither do NaN and negative times.
  auto start = std::chrono::steady_clock::now();
  for (const char* secs : {"1e300", "inf", "9.3e12", "nan", "-inf", "-1e300"}) {
    EXPECT_EQ(Run({"DEBUG", "SLEEP", secs}), "+OK\r\n") << secs;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
}  // namespace aegisr
