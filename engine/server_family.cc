// Connection and server commands: PING ECHO HELLO AUTH QUIT RESET, CLIENT, COMMAND, INFO, TIME,
// LASTSAVE, SHUTDOWN, DEBUG. Handlers run on the calling connection's loop thread; other
// clients are read through ClientRegistry::ForEach (under its lock) and their atomics.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/alloc.h"
#include "base/glob.h"
#include "base/numbers.h"
#include "engine/command.h"
#include "engine/command_meta.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/key_family.h"
#include "engine/keyspace/lazy_free.h"
#include "engine/multi.h"
#include "engine/notify.h"
#include "engine/server_errors.h"
#include "tier/access.h"
#include "tier/disk_ref.h"

namespace aegisr {
namespace {

// What clients see as the server's identity (HELLO, INFO redis_version): Redis 7.0's, so that
// client libraries enable their 7.0 features. Aegisr's own version is INFO's aegisr_version.
constexpr std::string_view kRedisVersion = "7.0.15";
constexpr std::string_view kAegisrVersion = "0.1.0";

// Strict integer parse (Redis string2ll semantics for the inputs that matter here).
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s[0] == '+' || (s.size() > 1 && s[0] == '0') || (s.size() > 1 && s[0] == '-' && s[1] == '0'))
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Redis's bytesToHuman.
std::string BytesToHuman(uint64_t n) {
  char buf[64];
  double d = double(n);
  if (n < 1024) {
    snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(n));
  } else if (n < (1ull << 20)) {
    snprintf(buf, sizeof buf, "%.2fK", d / 1024);
  } else if (n < (1ull << 30)) {
    snprintf(buf, sizeof buf, "%.2fM", d / (1 << 20));
  } else if (n < (1ull << 40)) {
    snprintf(buf, sizeof buf, "%.2fG", d / (1ull << 30));
  } else if (n < (1ull << 50)) {
    snprintf(buf, sizeof buf, "%.2fT", d / (1ull << 40));
  } else {
    snprintf(buf, sizeof buf, "%.2fP", d / (1ull << 50));
  }
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Authentication (a single "default" user whose password is requirepass; none means nopass).

bool CheckUserPassword(Engine& engine, std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  std::string required = engine.config().Requirepass();
  return required.empty() || pass == required;
}

// Client names: printable ASCII without spaces ('!'..'~'), as Redis's clientSetName.
bool ValidClientName(std::string_view name) {
  for (char c : name)
    if (c < '!' || c > '~') return false;
  return true;
}

// PING [message]
void CmdPing(CommandContext& ctx, ArgList args) {
  if (args.size() > 2) return ctx.reply.Error("ERR wrong number of arguments for 'ping' command");
  if (ctx.client.resp.load(std::memory_order_relaxed) == 2 && InSubscriberMode(ctx.client)) {
    ctx.reply.ArrayHeader(2);  // a subscriber in RESP2 gets it in the shape of a message
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(args.size() == 1 ? std::string_view() : args[1]);
    return;
  }
  if (args.size() == 1)
    ctx.reply.SimpleString("PONG");
  else
    ctx.reply.Bulk(args[1]);
}

// ECHO message
void CmdEcho(CommandContext& ctx, ArgList args) { ctx.reply.Bulk(args[1]); }

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void CmdHello(CommandContext& ctx, ArgList args) {
  int64_t ver = 0;
  if (args.size() >= 2) {
    if (!ParseInt64(args[1], &ver)) return ctx.reply.Error(errors::kProtoVersionNotInteger);
    if (ver < 2 || ver > 3) return ctx.reply.Error(errors::kNoProto);
  }
  const std::string_view* user = nullptr;
  const std::string_view* pass = nullptr;
  const std::string_view* name = nullptr;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "auth") && more >= 2) {
      user = &args[j + 1];
      pass = &args[j + 2];
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "setname") && more >= 1) {
      name = &args[j + 1];
      j += 1;
    } else {
      std::string msg = "ERR Syntax error in HELLO option '";
      msg.append(args[j]);
      msg += "'";
      for (char& c : msg)
        if (c == '\r' || c == '\n') c = ' ';
      return ctx.reply.Error(msg);
    }
  }
  if (user) {
    if (!CheckUserPassword(ctx.engine, *user, *pass)) return ctx.reply.Error(errors::kWrongPass);
    ctx.client.authenticated = true;
  }
  if (!ctx.client.authenticated) return ctx.reply.Error(errors::kHelloNoAuth);
  if (name) {
    if (!ValidClientName(*name)) return ctx.reply.Error(errors::kBadClientName);
    ctx.engine.clients().SetName(&ctx.client, std::string(*name));
  }
  if (ver) {
    ctx.client.resp.store(int(ver), std::memory_order_relaxed);
    ctx.reply.SetProtocol(int(ver));  // the reply already uses the protocol chosen
  }
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(ctx.client.resp.load(std::memory_order_relaxed));
  ctx.reply.Bulk("id");
  ctx.reply.Integer(int64_t(ctx.client.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

// AUTH [username] password
void CmdAuth(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return ctx.reply.Error(errors::kSyntax);
  std::string_view user = "default", pass;
  if (args.size() == 2) {
    if (ctx.engine.config().Requirepass().empty()) return ctx.reply.Error(errors::kAuthNoPassword);
    pass = args[1];
  } else {
    user = args[1];
    pass = args[2];
  }
  if (!CheckUserPassword(ctx.engine, user, pass)) return ctx.reply.Error(errors::kWrongPass);
  ctx.client.authenticated = true;
  ctx.reply.Ok();
}

// QUIT
void CmdQuit(CommandContext& ctx, ArgList) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

// RESET
void CmdReset(CommandContext& ctx, ArgList) {
  MultiReset(ctx.engine, ctx.client);  // DISCARD and UNWATCH
  if (InSubscriberMode(ctx.client)) {
    DropSubscriptions(ctx.engine.pubsub(), ctx.client);
    ctx.engine.pubsub().DeliverPendingHere();  // what was already sent comes before +RESET
  }
  ctx.client.db.store(0, std::memory_order_relaxed);
  ctx.client.resp.store(2, std::memory_order_relaxed);
  ctx.reply.SetProtocol(2);
  ctx.engine.clients().SetName(&ctx.client, std::string());
  ctx.client.authenticated = ctx.engine.config().Requirepass().empty();
  ctx.reply.SimpleString("RESET");
}

// ---------------------------------------------------------------------------------------------
// CLIENT

// CLIENT LIST's flags in Redis's order (P pubsub, x MULTI, b blocked, d a watched key was
// touched: EXEC will fail), or "N" for none.
std::string ClientFlags(const ClientState& c) {
  std::string f;
  if (InSubscriberMode(c)) f += 'P';
  if (c.multi_queued.load(std::memory_order_relaxed) >= 0) f += 'x';
  if (c.is_blocked.load(std::memory_order_relaxed)) f += 'b';
  const WatchFlag* w = c.watch.load(std::memory_order_acquire);
  if (w && w->dirty.load(std::memory_order_relaxed)) f += 'd';
  return f.empty() ? "N" : f;
}

// One CLIENT LIST line (with its trailing newline). Must run under the registry lock (the name),
// or on the client's own thread. `current` names the command running for the calling client.
void AppendClientLine(const ClientState& c, const ClientState& self, std::string_view current,
                      int64_t now_ms, std::string* out) {
  std::string_view cmd = "NULL";
  if (&c == &self) {
    cmd = current;
  } else if (const CommandSpec* last = c.last_cmd.load(std::memory_order_relaxed)) {
    cmd = last->name;
  }
  int64_t last_ms = c.last_interaction_ms.load(std::memory_order_relaxed);
  if (last_ms == 0) last_ms = c.ctime_ms;
  size_t qbuf = c.qbuf.load(std::memory_order_relaxed);
  size_t obuf = c.obuf.load(std::memory_order_relaxed);
  char buf[512];
  snprintf(buf, sizeof buf,
           "id=%llu addr=%s laddr=%s fd=%d name=", static_cast<unsigned long long>(c.id),
           c.addr.c_str(), c.laddr.c_str(), c.fd);
  *out += buf;
  *out += c.name;
  snprintf(buf, sizeof buf,
           " age=%lld idle=%lld flags=%s db=%d sub=%u psub=%u ssub=%u multi=%d qbuf=%zu "
           "qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=%zu oll=0 omem=0 tot-mem=%zu "
           "events=r cmd=",
           static_cast<long long>(std::max<int64_t>(0, (now_ms - c.ctime_ms) / 1000)),
           static_cast<long long>(std::max<int64_t>(0, (now_ms - last_ms) / 1000)),
           ClientFlags(c).c_str(), c.db.load(std::memory_order_relaxed),
           c.subs.load(std::memory_order_relaxed), c.psubs.load(std::memory_order_relaxed),
           c.ssubs.load(std::memory_order_relaxed), c.multi_queued.load(std::memory_order_relaxed),
           qbuf, obuf, qbuf + obuf);
  *out += buf;
  out->append(cmd);
  snprintf(buf, sizeof buf, " user=default redir=-1 resp=%d\n",
           c.resp.load(std::memory_order_relaxed));
  *out += buf;
}

// A client's type: pubsub while it has subscriptions, else normal (no replicas or masters).
int ClientTypeOf(const ClientState& c) { return InSubscriberMode(c) ? 2 : 0; }

// Client types as Redis names them: 0 normal, 1 replica, 2 pubsub, 3 master; -1 unknown.
int ClientTypeByName(std::string_view name) {
  if (EqualsIgnoreCase(name, "normal")) return 0;
  if (EqualsIgnoreCase(name, "slave") || EqualsIgnoreCase(name, "replica")) return 1;
  if (EqualsIgnoreCase(name, "pubsub")) return 2;
  if (EqualsIgnoreCase(name, "master")) return 3;
  return -1;
}

void ReplyUnknownClientType(CommandContext& ctx, std::string_view name) {
  std::string msg = "ERR Unknown client type '";
  msg.append(name);
  msg += "'";
  ctx.reply.Error(msg);
}

// CLIENT ID
void CmdClientId(CommandContext& ctx, ArgList) { ctx.reply.Integer(int64_t(ctx.client.id)); }

// CLIENT SETNAME connection-name
void CmdClientSetName(CommandContext& ctx, ArgList args) {
  if (!ValidClientName(args[2])) return ctx.reply.Error(errors::kBadClientName);
  ctx.engine.clients().SetName(&ctx.client, std::string(args[2]));
  ctx.reply.Ok();
}

// CLIENT GETNAME
void CmdClientGetName(CommandContext& ctx, ArgList) {
  std::string name = ctx.engine.clients().GetName(&ctx.client);
  if (name.empty())
    ctx.reply.Null();
  else
    ctx.reply.Bulk(name);
}

// CLIENT INFO
void CmdClientInfo(CommandContext& ctx, ArgList) {
  // Only this thread writes this client's name, so reading it here needs no lock.
  std::string line;
  AppendClientLine(ctx.client, ctx.client, "client|info", Engine::NowMs(), &line);
  ctx.reply.Verbatim("txt", line);
}

// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]
void CmdClientList(CommandContext& ctx, ArgList args) {
  int type = -1;
  std::vector<uint64_t> ids;
  bool by_id = false;
  if (args.size() == 4 && EqualsIgnoreCase(args[2], "type")) {
    type = ClientTypeByName(args[3]);
    if (type == -1) return ReplyUnknownClientType(ctx, args[3]);
  } else if (args.size() > 3 && EqualsIgnoreCase(args[2], "id")) {
    by_id = true;
    for (size_t j = 3; j < args.size(); ++j) {
      int64_t id;
      if (!ParseInt64(args[j], &id) || id < 1) return ctx.reply.Error(errors::kInvalidClientId);
      ids.push_back(uint64_t(id));
    }
  } else if (args.size() != 2) {
    return ctx.reply.Error(errors::kSyntax);
  }
  int64_t now = Engine::NowMs();
  std::string out;
  if (by_id) {
    std::vector<std::pair<uint64_t, std::string>> lines;
    ctx.engine.clients().ForEach([&](const ClientState& c) {
      if (c.kill_requested.load(std::memory_order_relaxed)) return;  // killed, closing
      if (std::find(ids.begin(), ids.end(), c.id) == ids.end()) return;
      std::string line;
      AppendClientLine(c, ctx.client, "client|list", now, &line);
      lines.emplace_back(c.id, std::move(line));
    });
    for (uint64_t id : ids)
      for (auto& [cid, line] : lines)
        if (cid == id) out += line;
  } else {
    std::vector<std::pair<uint64_t, std::string>> lines;
    ctx.engine.clients().ForEach([&](const ClientState& c) {
      if (c.kill_requested.load(std::memory_order_relaxed)) return;  // killed, closing
      if (type >= 0 && ClientTypeOf(c) != type) return;
      std::string line;
      AppendClientLine(c, ctx.client, "client|list", now, &line);
      lines.emplace_back(c.id, std::move(line));
    });
    std::sort(lines.begin(), lines.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [id, line] : lines) out += line;
  }
  ctx.reply.Verbatim("txt", out);
}

// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends a blocking command's wait as if it timed out,
// or with an UNBLOCKED error. 1 if the client was blocked, else 0. The reason is checked before
// the id, as in Redis.
void CmdClientUnblock(CommandContext& ctx, ArgList args) {
  if (args.size() > 4) {
    return ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                           std::string(args[1]) + "'. Try CLIENT HELP.");
  }
  bool with_error = false;
  if (args.size() == 4) {
    if (EqualsIgnoreCase(args[3], "error")) {
      with_error = true;
    } else if (!EqualsIgnoreCase(args[3], "timeout")) {
      return ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  int64_t id;
  if (!String2ll(args[2], &id)) return ctx.reply.Error(errors::kNotInteger);
  ctx.reply.Integer(ctx.engine.blocking().Unblock(uint64_t(id), with_error) ? 1 : 0);
}

// CLIENT KILL ip:port
// CLIENT KILL [ID client-id] [TYPE NORMAL|MASTER|SLAVE|REPLICA|PUBSUB] [USER username]
//             [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no] ...
void CmdClientKill(CommandContext& ctx, ArgList args) {
  std::string_view addr, laddr;
  bool has_addr = false, has_laddr = false;
  uint64_t id = 0;
  int type = -1;
  bool skipme = true;
  bool old_form = args.size() == 3;
  if (old_form) {
    addr = args[2];
    has_addr = true;
    skipme = false;
  } else {
    for (size_t i = 2; i < args.size(); i += 2) {
      bool more = i + 1 < args.size();
      std::string_view opt = args[i];
      if (EqualsIgnoreCase(opt, "id") && more) {
        int64_t v;
        if (!ParseInt64(args[i + 1], &v) || v < 1)
          return ctx.reply.Error(errors::kClientIdNotPositive);
        id = uint64_t(v);
      } else if (EqualsIgnoreCase(opt, "type") && more) {
        type = ClientTypeByName(args[i + 1]);
        if (type == -1) return ReplyUnknownClientType(ctx, args[i + 1]);
      } else if (EqualsIgnoreCase(opt, "addr") && more) {
        addr = args[i + 1];
        has_addr = true;
      } else if (EqualsIgnoreCase(opt, "laddr") && more) {
        laddr = args[i + 1];
        has_laddr = true;
      } else if (EqualsIgnoreCase(opt, "user") && more) {
        if (args[i + 1] != "default") {
          std::string msg = "ERR No such user '";
          msg.append(args[i + 1]);
          msg += "'";
          return ctx.reply.Error(msg);
        }
      } else if (EqualsIgnoreCase(opt, "skipme") && more) {
        if (EqualsIgnoreCase(args[i + 1], "yes"))
          skipme = true;
        else if (EqualsIgnoreCase(args[i + 1], "no"))
          skipme = false;
        else
          return ctx.reply.Error(errors::kSyntax);
      } else {
        return ctx.reply.Error(errors::kSyntax);
      }
    }
  }
  std::vector<std::pair<uint64_t, unsigned>> victims;
  bool kill_self = false;
  ctx.engine.clients().ForEach([&](ClientState& c) {
    if (has_addr && c.addr != addr) return;
    if (has_laddr && c.laddr != laddr) return;
    if (type >= 0 && ClientTypeOf(c) != type) return;
    if (id != 0 && c.id != id) return;
    if (&c == &ctx.client) {
      if (skipme) return;
      kill_self = true;
      return;
    }
    // A client killed earlier stays registered until its own thread closes it; as in Redis,
    // where CLIENT KILL frees the client at once, it is gone for every later KILL.
    if (c.kill_requested.exchange(true, std::memory_order_relaxed)) return;
    victims.emplace_back(c.id, c.thread);
  });
  if (ServerControl* control = ctx.engine.control())
    for (auto& [vid, thread] : victims) control->KillClient(vid, thread);
  size_t killed = victims.size() + (kill_self ? 1 : 0);
  if (kill_self) ctx.client.close_after_reply = true;
  if (old_form) {
    if (killed == 0) return ctx.reply.Error(errors::kNoSuchClient);
    return ctx.reply.Ok();
  }
  ctx.reply.Integer(int64_t(killed));
}

// ---------------------------------------------------------------------------------------------
// COMMAND

// A registered command or subcommand by its full name ("get", "client|kill").
const CommandSpec* FindByFullName(const CommandRegistry& r, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return r.Find(name);
  const CommandSpec* top = r.Find(name.substr(0, bar));
  std::string_view sub = name.substr(bar + 1);
  if (!top || sub.find('|') != std::string_view::npos) return nullptr;
  return top->FindSubcommand(sub);
}

std::vector<const CommandSpec*> SortedCommands(const CommandRegistry& r) {
  std::vector<const CommandSpec*> all;
  r.ForEach([&](const CommandSpec& s) { all.push_back(&s); });
  std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return all;
}

void ReplyAllCommandInfo(CommandContext& ctx) {
  auto all = SortedCommands(ctx.engine.commands());
  ctx.reply.ArrayHeader(all.size());
  for (const CommandSpec* s : all) WriteCommandInfo(*s, ctx.reply);
}

// COMMAND
void CmdCommand(CommandContext& ctx, ArgList) { ReplyAllCommandInfo(ctx); }

// COMMAND COUNT
void CmdCommandCount(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(int64_t(ctx.engine.commands().size()));
}

// COMMAND INFO [command-name ...]
void CmdCommandInfo(CommandContext& ctx, ArgList args) {
  if (args.size() == 2) return ReplyAllCommandInfo(ctx);
  ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandSpec* s = FindByFullName(ctx.engine.commands(), args[i]);
    if (s)
      WriteCommandInfo(*s, ctx.reply);
    else
      ctx.reply.Null();
  }
}

// COMMAND DOCS [command-name ...]
void CmdCommandDocs(CommandContext& ctx, ArgList args) {
  std::vector<const CommandSpec*> found;
  if (args.size() == 2) {
    found = SortedCommands(ctx.engine.commands());
  } else {
    for (size_t i = 2; i < args.size(); ++i)
      if (const CommandSpec* s = FindByFullName(ctx.engine.commands(), args[i])) found.push_back(s);
  }
  ctx.reply.MapHeader(found.size());
  for (const CommandSpec* s : found) {
    ctx.reply.Bulk(s->name);
    WriteCommandDocs(*s, ctx.reply);
  }
}

// Whether a command is in an ACL category, from its generated COMMAND INFO text.
bool InAclCategory(const CommandSpec& s, std::string_view cat) {
  const CommandMeta* meta = FindCommandMeta(s.name);
  if (!meta) return false;
  std::string needle = "+@";
  AsciiLower(cat, &needle);
  needle.insert(0, "+@");
  needle += "\r\n";
  return meta->info_body.find(needle) != std::string_view::npos;
}

// COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]
void CmdCommandList(CommandContext& ctx, ArgList args) {
  enum { kAll, kModule, kAclCat, kPattern } filter = kAll;
  if (args.size() == 5 && EqualsIgnoreCase(args[2], "filterby")) {
    if (EqualsIgnoreCase(args[3], "module"))
      filter = kModule;
    else if (EqualsIgnoreCase(args[3], "aclcat"))
      filter = kAclCat;
    else if (EqualsIgnoreCase(args[3], "pattern"))
      filter = kPattern;
    else
      return ctx.reply.Error(errors::kSyntax);
  } else if (args.size() != 2) {
    return ctx.reply.Error(errors::kSyntax);
  }
  std::vector<std::string_view> names;
  auto consider = [&](const CommandSpec& s) {
    bool ok = filter == kAll || (filter == kAclCat && InAclCategory(s, args[4])) ||
              (filter == kPattern && GlobMatch(args[4], s.name, true));
    if (ok) names.push_back(s.name);
  };
  if (filter != kModule) {
    for (const CommandSpec* s : SortedCommands(ctx.engine.commands())) {
      consider(*s);
      for (const CommandSpec& sub : s->subcommands) consider(sub);
    }
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view n : names) ctx.reply.Bulk(n);
}

// COMMAND GETKEYS command [arg ...]
void CmdCommandGetKeys(CommandContext& ctx, ArgList args) {
  ArgList line = args.subspan(2);
  const CommandSpec* spec = ctx.engine.commands().Find(line[0]);
  if (spec && !spec->subcommands.empty() && line.size() >= 2) spec = spec->FindSubcommand(line[1]);
  if (!spec) return ctx.reply.Error(errors::kInvalidCommandSpecified);
  const CommandMeta* meta = FindCommandMeta(spec->name);
  bool has_keys = meta ? meta->key_spec_count > 0 : spec->first_key > 0;
  if (!has_keys) return ctx.reply.Error(errors::kCommandHasNoKeys);
  if (!spec->ArityOk(line.size())) return ctx.reply.Error(errors::kInvalidNumberOfArgs);
  std::vector<int> pos;
  bool ok = meta ? GetKeyPositions(*meta, line, &pos) : GetKeyPositionsFromSpec(*spec, line, &pos);
  if (!ok || pos.empty()) return ctx.reply.Error(errors::kInvalidArgsForCommand);
  ctx.reply.ArrayHeader(pos.size());
  for (int p : pos) ctx.reply.Bulk(line[size_t(p)]);
}

// ---------------------------------------------------------------------------------------------
// INFO

std::string RunId() {
  static const std::string id = [] {
    std::random_device rd;
    std::mt19937_64 rng((uint64_t(rd()) << 32) ^ rd());
    const char* hex = "0123456789abcdef";
    std::string s(40, '0');
    for (char& c : s) c = hex[rng() & 15];
    return s;
  }();
  return id;
}

uint64_t RssBytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(f >> size >> resident)) return 0;
  return resident * uint64_t(sysconf(_SC_PAGESIZE));
}

class InfoWriter {
 public:
  void Section(std::string_view name) {
    if (sections_++) out_ += "\r\n";
    out_ += "# ";
    out_.append(name);
    out_ += "\r\n";
  }
  void Field(std::string_view k, std::string_view v) {
    out_.append(k);
    out_ += ':';
    out_.append(v);
    out_ += "\r\n";
  }
  void Field(std::string_view k, int64_t v) { Field(k, std::to_string(v)); }
  void Fieldf(std::string_view k, const char* fmt, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    Field(k, buf);
  }
  std::string& out() { return out_; }

 private:
  std::string out_;
  int sections_ = 0;
};

struct StatsSum {
  uint64_t commands = 0, connections = 0, rejected_connections = 0, in = 0, out = 0;
  uint64_t errors = 0, pubsub_direct_writes = 0;
  std::vector<uint64_t> calls, usec, rejected, failed;
};

StatsSum SumStats(Engine& engine) {
  StatsSum s;
  size_t n = engine.command_count();
  s.calls.assign(n, 0);
  s.usec.assign(n, 0);
  s.rejected.assign(n, 0);
  s.failed.assign(n, 0);
  for (const auto& t : engine.all_thread_stats()) {
    auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    s.commands += get(t->commands);
    s.connections += get(t->connections);
    s.rejected_connections += get(t->rejected_connections);
    s.in += get(t->net_input_bytes);
    s.out += get(t->net_output_bytes);
    s.pubsub_direct_writes += get(t->pubsub_direct_writes);
    for (size_t i = 0; i < n; ++i) {
      s.calls[i] += get(t->per_command[i].calls);
      s.usec[i] += get(t->per_command[i].usec);
      s.rejected[i] += get(t->per_command[i].rejected);
      s.failed[i] += get(t->per_command[i].failed);
    }
  }
  for (size_t i = 0; i < n; ++i) s.errors += s.rejected[i] + s.failed[i];
  return s;
}

void InfoServer(Engine& engine, InfoWriter& w) {
  w.Section("Server");
  w.Field("redis_version", kRedisVersion);
  w.Field("aegisr_version", kAegisrVersion);
  w.Field("redis_git_sha1", "00000000");
  w.Field("redis_git_dirty", 0);
  w.Field("redis_build_id", "0");
  w.Field("redis_mode", "standalone");
  utsname u;
  if (uname(&u) == 0) w.Field("os", std::string(u.sysname) + " " + u.release + " " + u.machine);
  w.Field("arch_bits", int64_t(sizeof(void*) * 8));
  w.Field("monotonic_clock", "POSIX clock_gettime");
  ServerControl* control = engine.control();
  w.Field("multiplexing_api", control ? control->io_backend() : "none");
  w.Field("atomicvar_api", "c11-builtin");
#ifdef __GNUC__
  w.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
#endif
  w.Field("process_id", int64_t(getpid()));
  w.Field("process_supervised", "no");
  w.Field("run_id", RunId());
  w.Field("tcp_port", control ? int64_t(control->tcp_port())
                              : engine.config().port.load(std::memory_order_relaxed));
  int64_t now_us = Engine::NowUs();
  int64_t uptime = (now_us / 1000 - engine.start_time_ms()) / 1000;
  w.Field("server_time_usec", now_us);
  w.Field("uptime_in_seconds", uptime);
  w.Field("uptime_in_days", uptime / 86400);
  int64_t hz = engine.config().hz.load(std::memory_order_relaxed);
  w.Field("hz", hz);
  w.Field("configured_hz", hz);
  w.Field("lru_clock", int64_t(engine.keyspace().lru_clock() & ((1u << 24) - 1)));
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  w.Field("executable", n > 0 ? std::string_view(exe, size_t(n)) : std::string_view());
  w.Field("config_file", engine.config().config_file);
  w.Field("io_threads_active", 0);
  w.Field("aegisr_threads", control ? int64_t(control->thread_count()) : 0);
}

void InfoClients(Engine& engine, InfoWriter& w) {
  w.Section("Clients");
  w.Field("connected_clients", int64_t(engine.clients().size()));
  w.Field("cluster_connections", 0);
  w.Field("maxclients", engine.config().maxclients.load(std::memory_order_relaxed));
  w.Field("client_recent_max_input_buffer", 0);
  w.Field("client_recent_max_output_buffer", 0);
  w.Field("blocked_clients", int64_t(engine.blocking().blocked_clients()));
  w.Field("tracking_clients", 0);
  w.Field("clients_in_timeout_table", 0);
}

void InfoMemory(Engine& engine, InfoWriter& w) {
  static std::atomic<uint64_t> peak{0};
  uint64_t used = engine.keyspace().UsedBytes();
  uint64_t p = peak.load(std::memory_order_relaxed);
  while (used > p && !peak.compare_exchange_weak(p, used)) {
  }
  p = std::max(p, used);
  uint64_t rss = RssBytes();
  uint64_t total = uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGESIZE));
  int64_t maxmemory = engine.config().maxmemory.load(std::memory_order_relaxed);
  w.Section("Memory");
  w.Field("used_memory", int64_t(used));
  w.Field("used_memory_human", BytesToHuman(used));
  w.Field("used_memory_rss", int64_t(rss));
  w.Field("used_memory_rss_human", BytesToHuman(rss));
  w.Field("used_memory_peak", int64_t(p));
  w.Field("used_memory_peak_human", BytesToHuman(p));
  w.Fieldf("used_memory_peak_perc", "%.2f%%", p ? 100.0 * double(used) / double(p) : 100.0);
  w.Field("used_memory_overhead", 0);
  w.Field("used_memory_startup", 0);
  w.Field("used_memory_dataset", int64_t(used));
  w.Field("used_memory_dataset_perc", "100.00%");
  w.Field("total_system_memory", int64_t(total));
  w.Field("total_system_memory_human", BytesToHuman(total));
  w.Field("maxmemory", maxmemory);
  w.Field("maxmemory_human", BytesToHuman(uint64_t(maxmemory)));
  w.Field("maxmemory_policy", engine.config().MaxmemoryPolicyName());
  w.Fieldf("mem_fragmentation_ratio", "%.2f", used ? double(rss) / double(used) : 0.0);
  w.Field("mem_fragmentation_bytes", int64_t(rss) - int64_t(used));
  w.Field("mem_allocator", kAllocatorName);
  w.Field("lazyfree_pending_objects", int64_t(LazyFreePending()));
  w.Field("lazyfreed_objects", int64_t(LazyFreedObjects()));
}

void InfoPersistence(Engine& engine, InfoWriter& w) {
  w.Section("Persistence");
  w.Field("loading", 0);
  w.Field("async_loading", 0);
  w.Field("rdb_changes_since_last_save", 0);
  w.Field("rdb_bgsave_in_progress", 0);
  w.Field("rdb_last_save_time", engine.start_time_ms() / 1000);
  w.Field("rdb_last_bgsave_status", "ok");
  w.Field("aof_enabled", 0);
  w.Field("aof_rewrite_in_progress", 0);
  w.Field("aof_last_write_status", "ok");
}

void InfoStats(Engine& engine, const StatsSum& s, InfoWriter& w) {
  ShardStats ks = engine.keyspace().Stats();
  w.Section("Stats");
  w.Field("total_connections_received", int64_t(s.connections));
  w.Field("total_commands_processed", int64_t(s.commands));
  w.Field("instantaneous_ops_per_sec", 0);
  w.Field("total_net_input_bytes", int64_t(s.in));
  w.Field("total_net_output_bytes", int64_t(s.out));
  w.Field("instantaneous_input_kbps", "0.00");
  w.Field("instantaneous_output_kbps", "0.00");
  w.Field("rejected_connections", int64_t(s.rejected_connections));
  w.Field("expired_keys", int64_t(ks.expired));
  w.Field("evicted_keys", int64_t(engine.evictor().evicted_keys()));
  // Aegisr's adaptive policy: its recency weight (0 = LFU .. 1 = LRU), the duels that tuned it
  // (decided by a ghost hit or by a hit on the key kept), and the bytes of its duel table and
  // miss sketch.
  w.Field("tier_offloaded_keys", int64_t(engine.evictor().offloaded_keys()));
  w.Fieldf("evict_recency_weight", "%.3f", engine.evictor().recency_weight());
  w.Field("evict_ghost_hits", int64_t(engine.evictor().ghost_hits()));
  w.Field("evict_kept_hits", int64_t(engine.evictor().kept_hits()));
  w.Field("evict_policy_table_bytes", int64_t(engine.evictor().policy_table_bytes()));
  w.Field("keyspace_hits", int64_t(ks.hits));
  w.Field("keyspace_misses", int64_t(ks.misses));
  w.Field("pubsub_channels", int64_t(engine.pubsub().channel_count()));
  w.Field("pubsub_patterns", int64_t(engine.pubsub().NumPat()));
  w.Field("pubsubshard_channels", int64_t(engine.pubsub().shard_channel_count()));
  // Aegisr's event bus (event-bus-stream): events and messages it had to drop, because its
  // stream's value was on disk or the key held another type (engine/notify.h EventBusDropped).
  w.Field("event_bus_dropped", int64_t(EventBusDropped()));
  // Aegisr: writes of pub/sub messages made by the publisher's loop thread straight to a
  // subscriber owned by another thread (net/pubsub_outlet.h), saving that thread a wake-up.
  w.Field("pubsub_direct_writes", int64_t(s.pubsub_direct_writes));
  w.Field("total_error_replies", int64_t(s.errors));
}

void InfoReplication(InfoWriter& w) {
  w.Section("Replication");
  w.Field("role", "master");
  w.Field("connected_slaves", 0);
  w.Field("master_repl_offset", 0);
}

void InfoCpu(InfoWriter& w) {
  auto tv = [](const timeval& t) {
    char buf[48];
    snprintf(buf, sizeof buf, "%ld.%06ld", long(t.tv_sec), long(t.tv_usec));
    return std::string(buf);
  };
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  w.Section("CPU");
  w.Field("used_cpu_sys", tv(self.ru_stime));
  w.Field("used_cpu_user", tv(self.ru_utime));
  w.Field("used_cpu_sys_children", tv(children.ru_stime));
  w.Field("used_cpu_user_children", tv(children.ru_utime));
}

void InfoCommandStats(Engine& engine, const StatsSum& s, InfoWriter& w) {
  w.Section("Commandstats");
  std::vector<const CommandSpec*> specs;
  for (const CommandSpec* top : SortedCommands(engine.commands())) {
    specs.push_back(top);
    for (const CommandSpec& sub : top->subcommands) specs.push_back(&sub);
  }
  for (const CommandSpec* c : specs) {
    size_t i = c->id;
    if (i >= s.calls.size()) continue;
    if (!s.calls[i] && !s.rejected[i] && !s.failed[i]) continue;
    char buf[256];
    snprintf(buf, sizeof buf,
             "calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
             static_cast<unsigned long long>(s.calls[i]),
             static_cast<unsigned long long>(s.usec[i]),
             s.calls[i] ? double(s.usec[i]) / double(s.calls[i]) : 0.0,
             static_cast<unsigned long long>(s.rejected[i]),
             static_cast<unsigned long long>(s.failed[i]));
    w.Field("cmdstat_" + c->name, buf);
  }
}

void InfoKeyspace(Engine& engine, InfoWriter& w) {
  w.Section("Keyspace");
  Keyspace& ks = engine.keyspace();
  for (int db = 0; db < kNumDbs; ++db) {
    size_t keys = ks.DbSize(db);
    if (!keys) continue;
    char buf[128];
    snprintf(buf, sizeof buf, "keys=%zu,expires=%zu,avg_ttl=0", keys, ks.VolatileKeys(db));
    w.Field("db" + std::to_string(db), buf);
  }
}

// INFO [section [section ...]]
void CmdInfo(CommandContext& ctx, ArgList args) {
  // Which sections: Redis's names; "default" when none is given.
  enum : uint32_t {
    kServer = 1,
    kClients = 2,
    kMemory = 4,
    kPersistence = 8,
    kStats = 16,
    kReplication = 32,
    kCpu = 64,
    kModules = 128,
    kCommandStats = 256,
    kErrorStats = 512,
    kLatencyStats = 1024,
    kCluster = 2048,
    kKeyspace = 4096,
    kTier = 8192,  // Aegisr's disk tier
  };
  const uint32_t kDefault = kServer | kClients | kMemory | kPersistence | kStats | kReplication |
                            kCpu | kModules | kErrorStats | kCluster | kKeyspace;
  const uint32_t kAllSections = kDefault | kCommandStats | kLatencyStats | kTier;
  static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
      {"server", kServer},
      {"clients", kClients},
      {"memory", kMemory},
      {"persistence", kPersistence},
      {"stats", kStats},
      {"replication", kReplication},
      {"cpu", kCpu},
      {"modules", kModules},
      {"commandstats", kCommandStats},
      {"errorstats", kErrorStats},
      {"latencystats", kLatencyStats},
      {"cluster", kCluster},
      {"keyspace", kKeyspace},
      {"tier", kTier},
  };
  uint32_t want =
      args.size() == 1 ? kDefault | (ctx.engine.tier().enabled() ? uint32_t(kTier) : 0u) : 0;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "default"))
      want |= kDefault | (ctx.engine.tier().enabled() ? uint32_t(kTier) : 0u);
    if (EqualsIgnoreCase(args[i], "all") || EqualsIgnoreCase(args[i], "everything"))
      want |= kAllSections;
    for (auto& [n, bit] : kNames)
      if (EqualsIgnoreCase(args[i], n)) want |= bit;
  }
  Engine& e = ctx.engine;
  InfoWriter w;
  StatsSum sums;
  if (want & (kStats | kCommandStats)) sums = SumStats(e);
  if (want & kServer) InfoServer(e, w);
  if (want & kClients) InfoClients(e, w);
  if (want & kMemory) InfoMemory(e, w);
  if (want & kPersistence) InfoPersistence(e, w);
  if (want & kStats) InfoStats(e, sums, w);
  if (want & kReplication) InfoReplication(w);
  if (want & kCpu) InfoCpu(w);
  if (want & kModules) w.Section("Modules");
  if (want & kCommandStats) InfoCommandStats(e, sums, w);
  if (want & kErrorStats) w.Section("Errorstats");
  if (want & kLatencyStats) w.Section("Latencystats");
  if (want & kCluster) {
    w.Section("Cluster");
    w.Field("cluster_enabled", 0);
  }
  if (want & kTier) {
    w.Section("Tier");
    w.out() += e.tier().Info();
  }
  if (want & kKeyspace) InfoKeyspace(e, w);
  ctx.reply.Verbatim("txt", w.out());
}

// ---------------------------------------------------------------------------------------------
// TIME, LASTSAVE, SHUTDOWN, DEBUG

// TIME
void CmdTime(CommandContext& ctx, ArgList) {
  int64_t us = Engine::NowUs();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

// LASTSAVE (nothing is saved: the start time)
void CmdLastSave(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(ctx.engine.start_time_ms() / 1000);
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]
void CmdShutdown(CommandContext& ctx, ArgList args) {
  bool nosave = false, save = false, other = false, abort = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "nosave"))
      nosave = true;
    else if (EqualsIgnoreCase(args[i], "save"))
      save = true;
    else if (EqualsIgnoreCase(args[i], "now") || EqualsIgnoreCase(args[i], "force"))
      other = true;
    else if (EqualsIgnoreCase(args[i], "abort"))
      abort = true;
    else
      return ctx.reply.Error(errors::kSyntax);
  }
  if ((abort && (nosave || save || other)) || (nosave && save))
    return ctx.reply.Error(errors::kSyntax);
  if (abort) return ctx.reply.Error(errors::kNoShutdownInProgress);
  // As Redis: no reply; the connection closes as the server exits.
  ctx.client.close_after_reply = true;
  if (ServerControl* control = ctx.engine.control()) control->RequestShutdown();
}

// DEBUG SLEEP seconds | DEBUG HELP | DEBUG CHANGE-REPL-ID
// DEBUG OBJECT key: Redis's line (address, refcount, encoding, serialized length, LRU clock and
// idle seconds) plus Aegisr's "tier:ram", "tier:ram+disk" (in RAM with a clean copy on disk)
// or "tier:disk", which says where the value lives. It never reads the disk: a value there shows
// encoding "disk" and its record's length.
void DebugObject(CommandContext& ctx, std::string_view key) {
  Keyspace& ks = ctx.engine.keyspace();
  KeyRef k(key);
  int db = ctx.client.db.load(std::memory_order_relaxed);
  char line[320];
  {
    auto lk = ks.Lock(k);
    Entry** link = ks.shard(k).Find(db, k, Engine::NowMs());
    if (!link) return ctx.reply.Error("ERR no such key");
    const Entry* e = *link;
    bool disk = e->on_disk();
    std::string_view enc = disk ? std::string_view("disk") : ObjectEncodingName(*e);
    size_t length = disk                            ? tier::LoadDiskRef(e->disk_ref()).length
                    : e->type == ValueType::kString ? e->str_len()
                                                    : e->MemoryUsage();
    snprintf(line, sizeof line,
             "Value at:%p refcount:1 encoding:%.*s serializedlength:%zu lru:%u "
             "lru_seconds_idle:%u tier:%s",
             static_cast<const void*>(e), int(enc.size()), enc.data(), length,
             tier::AccessTime(e->access), tier::IdleTicks(e->access, ks.lru_clock()),
             disk                  ? "disk"
             : e->has_clean_copy() ? "ram+disk"
                                   : "ram");
  }
  ctx.reply.SimpleString(line);
}

void CmdDebug(CommandContext& ctx, ArgList args) {
  if (EqualsIgnoreCase(args[1], "sleep") && args.size() == 3) {
    std::string s(args[2]);
    double secs = strtod(s.c_str(), nullptr);  // unchecked, as Redis
    // Redis converts to microseconds unchecked, so on x86 a time out of int64's range (1e300,
    // inf) does not sleep at all; the same here, without that undefined conversion.
    double us = secs * 1e6;
    if (secs > 0 && us < 9.2e18) {
      std::this_thread::sleep_for(std::chrono::microseconds(int64_t(us)));
    }
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(args[1], "change-repl-id") && args.size() == 2) return ctx.reply.Ok();
  if (EqualsIgnoreCase(args[1], "object") && args.size() == 3) return DebugObject(ctx, args[2]);
  if (EqualsIgnoreCase(args[1], "offload") && args.size() == 3) {
    // Moves one key's value to the disk tier now (what eviction does under maxmemory), so that
    // tests and operators can put a chosen value on disk.
    if (!ctx.engine.tier().enabled()) return ctx.reply.Error("ERR the disk tier is off (tier-dir)");
    Keyspace& ks = ctx.engine.keyspace();
    KeyRef k(args[2]);
    auto lk = ks.Lock(k);
    Shard& s = ks.shard(k);
    int db = ctx.client.db.load(std::memory_order_relaxed);
    Entry** link = s.Find(db, k, Engine::NowMs());
    if (!link) return ctx.reply.Error(errors::kNoSuchKey);
    if ((*link)->on_disk()) return ctx.reply.Ok();
    if (!ctx.engine.tier().Offload(s, db, link))
      return ctx.reply.Error(
          "ERR the value stays in RAM (too small for tier-min-value-size, "
          "no codec for its type, or the tier refuses writes)");
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(args[1], "help") && args.size() == 2) {
    static constexpr std::string_view kHelp[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "SLEEP <seconds>",
        "    Block this connection's thread for <seconds> (may be fractional).",
        "CHANGE-REPL-ID",
        "    Accepted and ignored (no replication).",
        "OBJECT <key>",
        "    Show low-level information about the key, and whether its value is in RAM, in RAM",
        "    with a clean copy on disk, or on disk only (tier:ram|ram+disk|disk).",
        "OFFLOAD <key>",
        "    Move the key's value to the disk tier now, as eviction would.",
        "HELP",
        "    Print this help.",
    };
    ctx.reply.ArrayHeader(std::size(kHelp));
    for (std::string_view l : kHelp) ctx.reply.SimpleString(l);
    return;
  }
  std::string msg = "ERR unknown subcommand or wrong number of arguments for '";
  msg.append(args[1].substr(0, 128));
  msg += "'. Try DEBUG HELP.";
  for (char& c : msg)
    if (c == '\r' || c == '\n') c = ' ';
  ctx.reply.Error(msg);
}

}  // namespace

void RegisterServerFamily(CommandRegistry& r) {
  constexpr uint32_t kConn = kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kAnyState = kConn | kCmdFast | kCmdNoAuth | kCmdAllowBusy;
  r.Register(CommandSpec("ping", -1, kCmdFast, 0, 0, 0, CmdPing));
  r.Register(CommandSpec("echo", 2, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, CmdEcho));
  r.Register(CommandSpec("hello", -1, kAnyState, 0, 0, 0, CmdHello));
  r.Register(CommandSpec("auth", -2, kAnyState, 0, 0, 0, CmdAuth));
  r.Register(CommandSpec("quit", -1, kAnyState, 0, 0, 0, CmdQuit));
  r.Register(CommandSpec("reset", 1, kAnyState, 0, 0, 0, CmdReset));

  r.Register(CommandSpec(
      "client", -2, 0,
      {
          CommandSpec("client|getname", 2, kConn, 0, 0, 0, CmdClientGetName),
          CommandSpec("client|id", 2, kConn, 0, 0, 0, CmdClientId),
          CommandSpec("client|info", 2, kConn, 0, 0, 0, CmdClientInfo),
          CommandSpec("client|kill", -3, kCmdAdmin | kConn, 0, 0, 0, CmdClientKill),
          CommandSpec("client|list", -2, kCmdAdmin | kConn, 0, 0, 0, CmdClientList),
          CommandSpec("client|setname", 3, kConn, 0, 0, 0, CmdClientSetName),
          CommandSpec("client|unblock", -3, kCmdAdmin | kConn, 0, 0, 0, CmdClientUnblock),
      }));

  constexpr uint32_t kLS = kCmdLoading | kCmdStale;
  CommandSpec command("command", -1, kLS,
                      {
                          CommandSpec("command|count", 2, kLS, 0, 0, 0, CmdCommandCount),
                          CommandSpec("command|docs", -2, kLS, 0, 0, 0, CmdCommandDocs),
                          CommandSpec("command|getkeys", -4, kLS, 0, 0, 0, CmdCommandGetKeys),
                          CommandSpec("command|info", -2, kLS, 0, 0, 0, CmdCommandInfo),
                          CommandSpec("command|list", -2, kLS, 0, 0, 0, CmdCommandList),
                      });
  command.handler = CmdCommand;  // bare COMMAND
  r.Register(std::move(command));

  r.Register(CommandSpec("info", -1, kLS, 0, 0, 0, CmdInfo));
  r.Register(CommandSpec("time", 1, kLS | kCmdFast, 0, 0, 0, CmdTime));
  r.Register(CommandSpec("lastsave", 1, kLS | kCmdFast, 0, 0, 0, CmdLastSave));
  r.Register(CommandSpec("shutdown", -1, kCmdAdmin | kConn | kCmdNoMulti | kCmdAllowBusy, 0, 0, 0,
                         CmdShutdown));
  r.Register(CommandSpec("debug", -2, kCmdAdmin | kConn, 0, 0, 0, CmdDebug));
}

}  // namespace aegisr
