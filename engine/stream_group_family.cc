// Stream consumer groups, Redis 7.0 semantics (t_stream.c): XGROUP (CREATE SETID DESTROY
// CREATECONSUMER DELCONSUMER HELP), XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO
// (STREAM GROUPS CONSUMERS HELP). The groups live in the stream value (engine/types/stream.h);
// their PEL and consumer operations are StreamGroup's (engine/types/stream_group.cc).
//
// Handlers check arguments in Redis's order (some parse numbers before looking at the key, some
// after), and change a stream only inside Shard::Update through MutableStream, so memory
// accounting and the disk tier's clean copy stay right. A stream may be empty (MKSTREAM, or all
// entries deleted): unlike the other collections it stays stored.
//
// Times: delivery times and consumers' seen times are the command's start time
// (Engine::NowMs), as Redis's mstime() during a command.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"
#include "engine/stream_family.h"
#include "engine/types/stream.h"

namespace aegisr {
namespace {

constexpr std::string_view kBusyGroup = "BUSYGROUP Consumer Group name already exists";
constexpr std::string_view kKeyMustExist =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";
constexpr std::string_view kEntriesReadRange = "ERR value for ENTRIESREAD must be positive or -1";
constexpr std::string_view kDollarInGroup =
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of "
    "this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID "
    "would just return an empty result set.";
constexpr std::string_view kUnbalanced =
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
constexpr std::string_view kMissingGroup = "ERR Missing GROUP option for XREADGROUP";
constexpr std::string_view kTimeoutNotInteger = "ERR timeout is not an integer or out of range";
constexpr std::string_view kAutoclaimCount = "ERR COUNT must be > 0";
constexpr std::string_view kAutoclaimNoMemory =
    "ERR Insufficient memory, failed allocating transient memory, COUNT too high.";

// ---- argument helpers ----

// Redis formats client input into error texts with %s (stopping at a NUL byte) and replaces CR
// and LF with spaces.
void AppendArg(std::string* out, std::string_view arg) {
  size_t nul = arg.find('\0');
  if (nul != std::string_view::npos) arg = arg.substr(0, nul);
  for (char c : arg) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
}

std::string ErrorWith(std::string_view a, std::string_view x, std::string_view b,
                      std::string_view y = {}, std::string_view c = {}) {
  std::string s(a);
  AppendArg(&s, x);
  s.append(b);
  AppendArg(&s, y);
  s.append(c);
  return s;
}

// A stream ID (engine/stream_family.h's ParseStreamId), or the error reply.
bool ParseIdOrReply(ReplySink& reply, std::string_view arg, uint64_t missing_seq, bool strict,
                    StreamId* id) {
  if (ParseStreamId(arg, id, missing_seq, strict)) return true;
  reply.Error(stream_errors::kInvalidId);
  return false;
}

// An interval end of XPENDING/XAUTOCLAIM: "(id" is exclusive (and then strict).
bool ParseIntervalId(ReplySink& reply, std::string_view arg, uint64_t missing_seq, StreamId* id,
                     bool* exclusive) {
  if (ParseIntervalStreamId(arg, id, exclusive, missing_seq)) return true;
  reply.Error(stream_errors::kInvalidId);
  return false;
}

bool ParseLongLong(ReplySink& reply, std::string_view arg, int64_t* v,
                   std::string_view err = errors::kNotInteger) {
  if (String2ll(arg, v)) return true;
  reply.Error(err);
  return false;
}

// Redis's addReplySubcommandSyntaxError.
void SubcommandSyntaxError(ReplySink& reply, ArgList args) {
  std::string cmd(args[0]);
  for (char& c : cmd) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  std::string msg = "ERR unknown subcommand or wrong number of arguments for '";
  AppendArg(&msg, args[1].substr(0, 128));
  msg += "'. Try " + cmd + " HELP.";
  for (char& c : msg)
    if (c == '\r' || c == '\n') c = ' ';
  reply.Error(msg);
}

// Redis's addReplyHelp: the header, the lines, and HELP's own line.
void ReplyHelp(ReplySink& reply, std::string_view cmd_arg,
               std::span<const std::string_view> lines) {
  std::string cmd(cmd_arg);
  for (char& c : cmd) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  reply.ArrayHeader(lines.size() + 3);
  reply.SimpleString(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view l : lines) reply.SimpleString(l);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

// ---- replies ----

// The entry id of s (which exists) as [id, [fields]].
void ReplyExistingEntry(ReplySink& reply, const Stream& s, StreamId id) {
  std::vector<std::string_view> fv;
  s.Get(id, &fv);
  ReplyStreamEntry(reply, id, fv);
}

// ---- keys ----

// A stream key (engine/stream_family.h) with its groups, and changes made in Shard::Update.
struct GroupKey : StreamKey {
  GroupKey(CommandContext& ctx, std::string_view name, bool read) : StreamKey(ctx, name, read) {}
  const StreamGroup* group(std::string_view name) const {
    auto it = stream().groups().find(name);
    return it == stream().groups().end() ? nullptr : it->second.get();
  }
  // Runs fn(Stream&) as a change of the value (Shard::Update; the clean copy on disk is dropped).
  // Group changes tell no watcher: Redis 7.0 signals a stream's key only for XADD, XDEL, XTRIM
  // and the stream XGROUP CREATE MKSTREAM creates, so consumer-group state is no change for
  // WATCH (the same holds for XREADGROUP below).
  template <typename Fn>
  void Change(Fn&& fn) {
    s.Update(
        db, link,
        [&](Entry* e) {
          fn(MutableStream(e));
          return e;
        },
        /*touch_watch=*/false);
  }
};

StreamGroup& GroupOf(Stream& s, std::string_view name) { return *s.groups().find(name)->second; }

bool EntryExists(const Stream& s, StreamId id) {
  std::vector<std::string_view> fv;
  return s.Get(id, &fv);
}

// ---- XGROUP ----

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n], XGROUP SETID key group id|$
// [ENTRIESREAD n], XGROUP DESTROY key group, XGROUP CREATECONSUMER key group consumer,
// XGROUP DELCONSUMER key group consumer. One handler, as Redis's xgroupCommand, because the
// checks run in one order for all: options, key type, key and group existence, then the
// subcommand's own arity.
void CmdXGroup(CommandContext& ctx, ArgList args) {
  std::string_view sub = args[1];
  bool create = EqualsIgnoreCase(sub, "create");
  bool setid = EqualsIgnoreCase(sub, "setid");
  bool mkstream = false;
  int64_t entries_read = -1;
  for (size_t i = 5; i < args.size();) {
    if (create && EqualsIgnoreCase(args[i], "mkstream")) {
      mkstream = true;
      ++i;
    } else if ((create || setid) && EqualsIgnoreCase(args[i], "entriesread") &&
               i + 1 < args.size()) {
      if (!ParseLongLong(ctx.reply, args[i + 1], &entries_read)) return;
      if (entries_read < 0 && entries_read != -1) return ctx.reply.Error(kEntriesReadRange);
      i += 2;
    } else {
      return SubcommandSyntaxError(ctx.reply, args);
    }
  }
  GroupKey key(ctx, args[2], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  std::string_view gname = args[3];
  const StreamGroup* g = key.link ? key.group(gname) : nullptr;
  if (!mkstream) {
    if (!key.link) return ctx.reply.Error(kKeyMustExist);
    if (!g && (setid || EqualsIgnoreCase(sub, "createconsumer") ||
               EqualsIgnoreCase(sub, "delconsumer"))) {
      return ctx.reply.Error(
          ErrorWith("NOGROUP No such consumer group '", gname, "' for key name '", args[2], "'"));
    }
  }
  if (create && args.size() <= 8) {
    StreamId id;
    if (args[4] == "$") {
      id = key.link ? key.stream().last_id() : StreamId{};
    } else if (!ParseIdOrReply(ctx.reply, args[4], 0, true, &id)) {
      return;
    }
    if (!key.link) {
      key.s.Insert(key.db, NewObjectEntry(key.k.key, key.k.hash, ValueType::kStream, new Stream()));
      key.link = key.s.Find(key.db, key.k, Engine::NowMs());
    } else if (g) {
      return ctx.reply.Error(kBusyGroup);
    }
    key.Change([&](Stream& s) {
      auto ng = std::make_unique<StreamGroup>();
      ng->last_id = id;
      ng->entries_read = entries_read;
      s.groups().emplace(std::string(gname), std::move(ng));
    });
    Notify(ctx, kNotifyStream, "xgroup-create", args[2]);
    return ctx.reply.Ok();
  }
  if (setid && (args.size() == 5 || args.size() == 7)) {
    StreamId id;
    if (args[4] == "$") {
      id = key.stream().last_id();
    } else if (!ParseIdOrReply(ctx.reply, args[4], 0, false, &id)) {
      return;
    }
    key.Change([&](Stream& s) {
      StreamGroup& mg = GroupOf(s, gname);
      mg.last_id = id;
      mg.entries_read = entries_read;
    });
    Notify(ctx, kNotifyStream, "xgroup-setid", args[2]);
    return ctx.reply.Ok();
  }
  if (EqualsIgnoreCase(sub, "destroy") && args.size() == 4) {
    if (!g) return ctx.reply.Integer(0);
    key.Change([&](Stream& s) { s.groups().erase(s.groups().find(gname)); });
    // Clients blocked reading this group are told it is gone (ReadGroupReady), as Redis does.
    NoteStreamReady(key.s, key.db, key.k.key);
    Notify(ctx, kNotifyStream, "xgroup-destroy", args[2]);
    return ctx.reply.Integer(1);
  }
  if (EqualsIgnoreCase(sub, "createconsumer") && args.size() == 5) {
    if (g->FindConsumer(args[4])) return ctx.reply.Integer(0);
    key.Change([&](Stream& s) { GroupOf(s, gname).GetOrCreateConsumer(args[4], Engine::NowMs()); });
    Notify(ctx, kNotifyStream, "xgroup-createconsumer", args[2]);
    return ctx.reply.Integer(1);
  }
  if (EqualsIgnoreCase(sub, "delconsumer") && args.size() == 5) {
    if (!g->FindConsumer(args[4])) return ctx.reply.Integer(0);
    size_t pending = 0;
    key.Change([&](Stream& s) { pending = GroupOf(s, gname).DeleteConsumer(args[4]); });
    Notify(ctx, kNotifyStream, "xgroup-delconsumer", args[2]);
    return ctx.reply.Integer(static_cast<int64_t>(pending));
  }
  SubcommandSyntaxError(ctx.reply, args);
}

// XGROUP HELP
void CmdXGroupHelp(CommandContext& ctx, ArgList args) {
  static constexpr std::string_view kLines[] = {
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
  };
  ReplyHelp(ctx.reply, args[0], kLines);
}

// XGROUP / XINFO themselves: the dispatcher resolves the subcommand (and answers an unknown one
// and a missing one), so this is not reached; it answers as Redis would for safety.
void CmdContainer(CommandContext& ctx, ArgList args) {
  if (args.size() < 2) return ctx.reply.Error(errors::kSyntax);
  SubcommandSyntaxError(ctx.reply, args);
}

// ---- XREADGROUP ----

struct ReadGroupArgs {
  int64_t count = 0;  // 0: no limit
  bool block = false;
  int64_t deadline_ms = 0;  // with block: 0 waits forever
  bool noack = false;
  std::string_view group, consumer;
  size_t streams_at = 0, nstreams = 0;
};

// Options as Redis's xreadCommand reads them for XREADGROUP; false after replying an error.
bool ParseReadGroup(ReplySink& reply, ArgList args, ReadGroupArgs* a) {
  bool has_group = false;
  for (size_t i = 1; i < args.size(); ++i) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (EqualsIgnoreCase(o, "block") && more) {
      int64_t ms;
      if (!ParseLongLong(reply, args[++i], &ms, kTimeoutNotInteger)) return false;
      if (ms < 0) {
        reply.Error(errors::kTimeoutNegative);
        return false;
      }
      a->block = true;
      a->deadline_ms = ms > 0 ? Engine::NowMs() + ms : 0;
    } else if (EqualsIgnoreCase(o, "count") && more) {
      if (!ParseLongLong(reply, args[++i], &a->count)) return false;
      if (a->count < 0) a->count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more) {
      a->streams_at = i + 1;
      size_t n = args.size() - a->streams_at;
      if (n % 2 != 0) {
        reply.Error(kUnbalanced);
        return false;
      }
      a->nstreams = n / 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      a->group = args[i + 1];
      a->consumer = args[i + 2];
      has_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      a->noack = true;
    } else {
      reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (a->streams_at == 0) {
    reply.Error(errors::kSyntax);
    return false;
  }
  if (!has_group) {
    reply.Error(kMissingGroup);
    return false;
  }
  return true;
}

// ">" reads new entries. The greatest ID, given as a history ID, means the same (as in Redis,
// which marks ">" with it).
constexpr StreamId kNewEntries = StreamId::Max();

// One read of consumer `consumer` (created if missing, and seen now; *created, when given, says
// whether it was) of group g in s, into out (views into s, which the group's changes leave
// valid):
//   after == kNewEntries: the entries after the group's last delivered ID, at most count (0: no
//     limit); the group moves past them and, unless noack, they join the consumer's PEL;
//   else: the consumer's pending entries after `after`, each delivered once more; an entry
//     deleted since is returned with no fields (fv empty: a real entry always has some).
void ReadGroup(Stream& s, StreamGroup& g, std::string_view consumer, StreamId after, size_t count,
               bool noack, int64_t now, std::vector<StreamEntryView>* out,
               bool* created = nullptr) {
  StreamConsumer* c = g.GetOrCreateConsumer(consumer, now, created);
  c->seen_time_ms = now;
  size_t limit = count > 0 ? count : SIZE_MAX;
  if (after != kNewEntries) {
    StreamId start = after;
    start.Incr();
    for (auto it = c->pel.lower_bound(start); it != c->pel.end() && out->size() < limit; ++it) {
      StreamEntryView e{it->first, {}};
      if (s.Get(it->first, &e.fv)) {
        it->second->delivery_time_ms = now;
        ++it->second->delivery_count;
      }
      out->push_back(std::move(e));
    }
    return;
  }
  StreamId start = g.last_id;
  if (!start.Incr()) return;
  size_t first = out->size();
  CollectStreamRange(s, start, StreamId::Max(), count, false, out);
  for (size_t i = first; i < out->size(); ++i) {
    StreamId id = (*out)[i].id;
    g.AdvanceTo(s, id);
    if (!noack) g.DeliverNew(id, c, now);
  }
}

// A read's entries as an array: [id, [field, value, ...]], or [id, nil] for a deleted one.
void ReplyGroupEntries(ReplySink& reply, std::span<const StreamEntryView> entries) {
  reply.ArrayHeader(entries.size());
  for (const StreamEntryView& e : entries) {
    if (!e.fv.empty()) {
      ReplyStreamEntry(reply, e.id, e.fv);
    } else {
      reply.ArrayHeader(2);
      ReplyStreamId(reply, e.id);
      reply.NullArray();
    }
  }
}

// The reply's outer level, for n streams: RESP2 an array of [key, entries], RESP3 a map.
// Blocked XREADGROUP (engine/blocking.h): bc.params = group, consumer, "noack" or "". As in
// Redis, a waiter is offered a stream once its last ID passes the group's last delivered ID (so
// each new entry goes to one waiter of a group, the first in line), when the group is gone (it
// then gets NOGROUP), or when the key is gone or holds another type (UNBLOCKED). bc.result: the
// key, then per entry its ID, the number of strings and the strings.
constexpr std::string_view kGroupGone =
    "NOGROUP the consumer group this client was blocked on no longer exists";
constexpr std::string_view kKeyGone = "UNBLOCKED the stream key no longer exists";

Entry* BlockedStreamEntry(Engine& engine, const BlockedClient& bc, const KeyRef& k) {
  Entry** link = engine.keyspace().shard(k).Find(bc.db, k, Engine::NowMs());
  return link ? *link : nullptr;
}

bool ReadGroupReady(Engine& engine, const BlockedClient& bc, const KeyRef& k) {
  Entry* e = BlockedStreamEntry(engine, bc, k);
  if (!e || e->type != ValueType::kStream) return true;  // serve says UNBLOCKED
  const Stream& s = StreamOf(e);
  auto it = s.groups().find(bc.params[0]);
  return it == s.groups().end() || it->second->last_id < s.last_id();
}

void ServeReadGroup(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  Shard& shard = engine.keyspace().shard(k);
  Entry** link = shard.Find(bc.db, k, Engine::NowMs());
  if (!link || (*link)->type != ValueType::kStream) {
    bc.error = kKeyGone;
    return;
  }
  if (!StreamOf(*link).groups().count(bc.params[0])) {
    bc.error = kGroupGone;
    return;
  }
  bc.result.emplace_back(k.key);
  bool created = false;
  shard.Update(
      bc.db, link,
      [&](Entry* e) {
        Stream& s = MutableStream(e);
        std::vector<StreamEntryView> entries;
        ReadGroup(s, GroupOf(s, bc.params[0]), bc.params[1], kNewEntries, size_t(bc.count),
                  !bc.params[2].empty(), Engine::NowMs(), &entries, &created);
        AppendBlockedStreamEntries(entries, &bc.result);
        return e;
      },
      /*touch_watch=*/false);  // group state: no change for WATCH (GroupKey::Change)
  // As Redis 7.0's serveClientsBlockedOnStreamKey: a consumer created to serve the waiter is
  // announced (after the event of the command that fed the stream).
  if (created) Notify(engine, kNotifyStream, "xgroup-createconsumer", k.key, bc.db);
}

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id
// [id ...]
void CmdXReadGroup(CommandContext& ctx, ArgList args) {
  ReadGroupArgs a;
  if (!ParseReadGroup(ctx.reply, args, &a)) return;
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  std::vector<KeyRef> keys;
  keys.reserve(a.nstreams);
  for (size_t i = 0; i < a.nstreams; ++i) keys.emplace_back(args[a.streams_at + i]);
  auto guard = ks.LockKeys(keys);
  int64_t now = Engine::NowMs();
  uint32_t lru = ks.lru_clock();
  // Each key's type and group, then its ID, in order.
  std::vector<StreamId> after(a.nstreams);
  for (size_t i = 0; i < a.nstreams; ++i) {
    Entry** link = ks.shard(keys[i]).Lookup(db, keys[i], now, lru);
    if (link && (*link)->type != ValueType::kStream) return ctx.reply.Error(errors::kWrongType);
    if (!link || !StreamOf(*link).groups().count(a.group)) {
      return ctx.reply.Error(ErrorWith("NOGROUP No such key '", keys[i].key,
                                       "' or consumer group '", a.group,
                                       "' in XREADGROUP with GROUP option"));
    }
    std::string_view id = args[a.streams_at + a.nstreams + i];
    if (id == "$") return ctx.reply.Error(kDollarInGroup);
    if (id == ">") {
      after[i] = kNewEntries;
    } else if (!ParseIdOrReply(ctx.reply, id, 0, true, &after[i])) {
      return;
    }
  }
  // A history read is always served; a read of new entries when the stream holds one after the
  // group's last delivered ID (a key named twice sees what the first read left).
  std::vector<std::vector<StreamEntryView>> results(a.nstreams);
  std::vector<bool> served(a.nstreams);
  size_t nserved = 0;
  for (size_t i = 0; i < a.nstreams; ++i) {
    Shard& s = ks.shard(keys[i]);
    Entry** link = s.Find(db, keys[i], now);
    const Stream& st = StreamOf(*link);
    if (after[i] == kNewEntries &&
        !(st.length() > 0 && st.last_entry_id() > st.groups().find(a.group)->second->last_id)) {
      continue;
    }
    served[i] = true;
    ++nserved;
    bool created = false;
    s.Update(
        db, link,
        [&](Entry* e) {
          Stream& ms = MutableStream(e);
          ReadGroup(ms, GroupOf(ms, a.group), a.consumer, after[i], size_t(a.count), a.noack, now,
                    &results[i], &created);
          return e;
        },
        /*touch_watch=*/false);  // group state: no change for WATCH (GroupKey::Change)
    // Redis 7.0 creates the consumer (with its event, NOACK or not) only for a stream it serves.
    if (created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", keys[i].key);
  }
  if (nserved > 0) {
    ReplyStreamsHeader(ctx.reply, nserved);
    for (size_t i = 0; i < a.nstreams; ++i) {
      if (!served[i]) continue;
      ReplyStreamKey(ctx.reply, keys[i].key);
      ReplyGroupEntries(ctx.reply, results[i]);
    }
    return;
  }
  if (!a.block) return ctx.reply.NullArray();
  auto bc = std::make_shared<BlockedClient>();
  bc->type = ValueType::kStream;
  for (const KeyRef& k : keys) {
    if (std::find(bc->keys.begin(), bc->keys.end(), k.key) == bc->keys.end())
      bc->keys.emplace_back(k.key);
  }
  bc->params = {std::string(a.group), std::string(a.consumer), a.noack ? "noack" : ""};
  // Without COUNT a blocked read is served at most 1000 entries (Redis's
  // XREAD_BLOCKED_DEFAULT_COUNT).
  bc->count = a.count ? a.count : 1000;
  bc->deadline_ms = a.deadline_ms;
  bc->serve = ServeReadGroup;
  bc->reply = ReplyBlockedStreamRead;
  bc->timeout_reply = ReplyNullArray;
  bc->ready = ReadGroupReady;
  BlockClient(ctx, args, std::move(bc));
}

// ---- XACK ----

// XACK key group id [id ...]
void CmdXAck(CommandContext& ctx, ArgList args) {
  GroupKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  const StreamGroup* g = key.link ? key.group(args[2]) : nullptr;
  if (!g) return ctx.reply.Integer(0);
  std::vector<StreamId> ids(args.size() - 3);
  for (size_t i = 3; i < args.size(); ++i) {
    if (!ParseIdOrReply(ctx.reply, args[i], 0, true, &ids[i - 3])) return;
  }
  bool any = std::any_of(ids.begin(), ids.end(), [&](StreamId id) { return g->pel.count(id); });
  int64_t acked = 0;
  if (any) {
    key.Change([&](Stream& s) {
      StreamGroup& mg = *s.groups().find(args[2])->second;
      for (StreamId id : ids) acked += mg.Ack(id);
    });
  }
  ctx.reply.Integer(acked);
}

// ---- XPENDING ----

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void CmdXPending(CommandContext& ctx, ArgList args) {
  bool summary = args.size() == 3;
  if (!summary && (args.size() < 6 || args.size() > 9)) return ctx.reply.Error(errors::kSyntax);
  int64_t minidle = 0, count = 0;
  StreamId start, end;
  std::string_view consumer;
  bool has_consumer = false;
  if (!summary) {
    size_t at = 3;
    if (EqualsIgnoreCase(args[3], "idle")) {
      if (!ParseLongLong(ctx.reply, args[4], &minidle)) return;
      if (args.size() < 8) return ctx.reply.Error(errors::kSyntax);
      at += 2;
    }
    if (!ParseLongLong(ctx.reply, args[at + 2], &count)) return;
    if (count < 0) count = 0;
    bool ex = false;
    if (!ParseIntervalId(ctx.reply, args[at], 0, &start, &ex)) return;
    if (ex && !start.Incr()) return ctx.reply.Error(stream_errors::kInvalidStartInterval);
    if (!ParseIntervalId(ctx.reply, args[at + 1], UINT64_MAX, &end, &ex)) return;
    if (ex && !end.Decr()) return ctx.reply.Error(stream_errors::kInvalidEndInterval);
    if (at + 3 < args.size()) {
      consumer = args[at + 3];
      has_consumer = true;
    }
  }
  GroupKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  const StreamGroup* g = key.link ? key.group(args[2]) : nullptr;
  if (!g) {
    return ctx.reply.Error(
        ErrorWith("NOGROUP No such key '", args[1], "' or consumer group '", args[2], "'"));
  }
  if (summary) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ReplyStreamId(ctx.reply, g->pel.begin()->first);
    ReplyStreamId(ctx.reply, g->pel.rbegin()->first);
    size_t n = 0;
    for (const auto& [name, c] : g->consumers) n += !c->pel.empty();
    ctx.reply.ArrayHeader(n);
    for (const auto& [name, c] : g->consumers) {
      if (c->pel.empty()) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(Ll2String(static_cast<int64_t>(c->pel.size())));
    }
    return;
  }
  int64_t now = Engine::NowMs();
  auto emit = [&](const auto& pel) {
    std::vector<std::pair<StreamId, const StreamNack*>> out;
    for (auto it = pel.lower_bound(start); count > 0 && it != pel.end() && it->first <= end; ++it) {
      const StreamNack* nack = &*it->second;
      if (minidle && now - nack->delivery_time_ms < minidle) continue;
      out.emplace_back(it->first, nack);
      --count;
    }
    ctx.reply.ArrayHeader(out.size());
    for (auto& [id, nack] : out) {
      ctx.reply.ArrayHeader(4);
      ReplyStreamId(ctx.reply, id);
      ctx.reply.Bulk(nack->consumer->name);
      ctx.reply.Integer(std::max<int64_t>(0, now - nack->delivery_time_ms));
      ctx.reply.Integer(static_cast<int64_t>(nack->delivery_count));
    }
  };
  if (has_consumer) {
    StreamConsumer* c = g->FindConsumer(consumer);
    if (!c) return ctx.reply.ArrayHeader(0);
    emit(c->pel);
  } else {
    emit(g->pel);
  }
}

// ---- XCLAIM / XAUTOCLAIM ----

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-ms] [RETRYCOUNT n]
// [FORCE] [JUSTID] [LASTID id]
void CmdXClaim(CommandContext& ctx, ArgList args) {
  GroupKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  const StreamGroup* g = key.link ? key.group(args[2]) : nullptr;
  if (!g) {
    return ctx.reply.Error(
        ErrorWith("NOGROUP No such key '", args[1], "' or consumer group '", args[2], "'"));
  }
  int64_t minidle;
  if (!ParseLongLong(ctx.reply, args[4], &minidle,
                     "ERR Invalid min-idle-time argument for XCLAIM")) {
    return;
  }
  if (minidle < 0) minidle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (StreamId id; j < args.size() && ParseStreamId(args[j], &id, 0, true); ++j) ids.push_back(id);
  int64_t now = Engine::NowMs();
  int64_t retrycount = -1, deliverytime = -1;
  bool force = false, justid = false;
  StreamId lastid;
  for (; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    std::string_view o = args[j];
    if (EqualsIgnoreCase(o, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(o, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(o, "idle") && more) {
      int64_t idle;
      if (!ParseLongLong(ctx.reply, args[++j], &idle,
                         "ERR Invalid IDLE option argument for XCLAIM"))
        return;
      deliverytime = static_cast<int64_t>(static_cast<uint64_t>(now) - static_cast<uint64_t>(idle));
    } else if (EqualsIgnoreCase(o, "time") && more) {
      if (!ParseLongLong(ctx.reply, args[++j], &deliverytime,
                         "ERR Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(o, "retrycount") && more) {
      if (!ParseLongLong(ctx.reply, args[++j], &retrycount,
                         "ERR Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(o, "lastid") && more) {
      if (!ParseIdOrReply(ctx.reply, args[++j], 0, true, &lastid)) return;
    } else {
      return ctx.reply.Error(ErrorWith("ERR Unrecognized XCLAIM option '", o, "'"));
    }
  }
  if (deliverytime != -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else {
    deliverytime = now;
  }
  std::string_view gname = args[2];
  std::vector<std::pair<StreamId, bool>> claimed;  // id, and whether to reply it
  bool created = false;
  key.Change([&](Stream& s) {
    StreamGroup& mg = GroupOf(s, gname);
    if (lastid > mg.last_id) mg.last_id = lastid;
    StreamConsumer* c = nullptr;
    for (StreamId id : ids) {
      auto it = mg.pel.find(id);
      StreamNack* nack = it == mg.pel.end() ? nullptr : it->second.get();
      if (!EntryExists(s, id)) {
        if (nack) mg.Ack(id);
        continue;
      }
      if (!nack && !force) continue;
      if (nack && minidle && now - nack->delivery_time_ms < minidle) continue;
      if (!c) {
        c = mg.GetOrCreateConsumer(args[3], now, &created);
        c->seen_time_ms = now;
      }
      nack = mg.Claim(id, c, now);
      nack->delivery_time_ms = deliverytime;
      if (retrycount >= 0) {
        nack->delivery_count = static_cast<uint64_t>(retrycount);
      } else if (!justid) {
        ++nack->delivery_count;
      }
      claimed.emplace_back(id, true);
    }
  });
  // The consumer is created (and announced) at the first entry it claims, as in Redis 7.0.
  if (created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", args[1]);
  ctx.reply.ArrayHeader(claimed.size());
  for (auto& [id, _] : claimed) {
    if (justid)
      ReplyStreamId(ctx.reply, id);
    else
      ReplyExistingEntry(ctx.reply, key.stream(), id);
  }
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CommandContext& ctx, ArgList args) {
  int64_t minidle;
  if (!ParseLongLong(ctx.reply, args[4], &minidle,
                     "ERR Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (minidle < 0) minidle = 0;
  StreamId start;
  bool ex = false;
  if (!ParseIntervalId(ctx.reply, args[5], 0, &start, &ex)) return;
  if (ex && !start.Incr()) return ctx.reply.Error(stream_errors::kInvalidStartInterval);
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "count") && more) {
      constexpr int64_t kMaxCount = INT64_MAX / 16;  // LONG_MAX / max(sizeof(streamID), 10)
      if (!String2ll(args[j + 1], &count) || count < 1 || count > kMaxCount)
        return ctx.reply.Error(kAutoclaimCount);
      ++j;
    } else if (EqualsIgnoreCase(args[j], "justid")) {
      justid = true;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  GroupKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  const StreamGroup* g = key.link ? key.group(args[2]) : nullptr;
  if (!g) {
    return ctx.reply.Error(
        ErrorWith("NOGROUP No such key '", args[1], "' or consumer group '", args[2], "'"));
  }
  // Redis allocates count IDs for the deleted ones up front and refuses a count it cannot.
  if (count > (int64_t(1) << 36)) return ctx.reply.Error(kAutoclaimNoMemory);
  int64_t now = Engine::NowMs();
  std::vector<StreamId> claimed, deleted;
  StreamId cursor;
  std::string_view gname = args[2];
  bool created = false;
  key.Change([&](Stream& s) {
    StreamGroup& mg = GroupOf(s, gname);
    StreamConsumer* c = nullptr;
    int64_t attempts = count * kAttemptsFactor;
    auto it = mg.pel.lower_bound(start);
    while (attempts-- > 0 && count > 0 && it != mg.pel.end()) {
      StreamId id = it->first;
      StreamNack* nack = it->second.get();
      ++it;
      if (!EntryExists(s, id)) {
        mg.Ack(id);
        deleted.push_back(id);
        --count;
        continue;
      }
      if (minidle && now - nack->delivery_time_ms < minidle) continue;
      if (!c) {
        c = mg.GetOrCreateConsumer(args[3], now, &created);
        c->seen_time_ms = now;
      }
      mg.Claim(id, c, now);
      nack->delivery_time_ms = now;
      if (!justid) ++nack->delivery_count;
      claimed.push_back(id);
      --count;
    }
    cursor = it == mg.pel.end() ? StreamId{} : it->first;
  });
  if (created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", args[1]);
  ctx.reply.ArrayHeader(3);
  ReplyStreamId(ctx.reply, cursor);
  ctx.reply.ArrayHeader(claimed.size());
  for (StreamId id : claimed) {
    if (justid)
      ReplyStreamId(ctx.reply, id);
    else
      ReplyExistingEntry(ctx.reply, key.stream(), id);
  }
  ctx.reply.ArrayHeader(deleted.size());
  for (StreamId id : deleted) ReplyStreamId(ctx.reply, id);
}

// ---- XINFO ----

// The lag of a group as XINFO replies it: an integer, or null where it cannot be known.
void ReplyLag(ReplySink& reply, const Stream& s, const StreamGroup& g) {
  int64_t lag;
  if (g.Lag(s, &lag))
    reply.Integer(lag);
  else
    reply.Null();
}

void ReplyEntriesRead(ReplySink& reply, const StreamGroup& g) {
  if (g.entries_read == -1)
    reply.Null();
  else
    reply.Integer(g.entries_read);
}

// XINFO STREAM key [FULL [COUNT count]]
void ReplyStreamInfo(CommandContext& ctx, ArgList args, const Stream& s) {
  bool full = args.size() > 3;
  int64_t count = 10;
  if (full) {
    if (args.size() != 4 && args.size() != 6) return SubcommandSyntaxError(ctx.reply, args);
    if (!EqualsIgnoreCase(args[3], "full")) return SubcommandSyntaxError(ctx.reply, args);
    if (args.size() == 6) {
      if (!EqualsIgnoreCase(args[4], "count")) return SubcommandSyntaxError(ctx.reply, args);
      if (!ParseLongLong(ctx.reply, args[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  ReplySink& r = ctx.reply;
  r.MapHeader(full ? 9 : 10);
  r.Bulk("length");
  r.Integer(static_cast<int64_t>(s.length()));
  // radix-tree-keys / -nodes describe Redis's radix tree of listpacks. Aegisr's storage nodes
  // close by Redis's rule, so their count is radix-tree-keys, and Stream::rax_nodes computes the
  // tree Redis would build over them.
  r.Bulk("radix-tree-keys");
  r.Integer(static_cast<int64_t>(s.node_count()));
  r.Bulk("radix-tree-nodes");
  r.Integer(static_cast<int64_t>(s.rax_nodes()));
  r.Bulk("last-generated-id");
  ReplyStreamId(r, s.last_id());
  r.Bulk("max-deleted-entry-id");
  ReplyStreamId(r, s.max_deleted_id());
  r.Bulk("entries-added");
  r.Integer(static_cast<int64_t>(s.entries_added()));
  r.Bulk("recorded-first-entry-id");
  ReplyStreamId(r, s.first_id());
  if (!full) {
    r.Bulk("groups");
    r.Integer(static_cast<int64_t>(s.groups().size()));
    StreamId id;
    std::vector<std::string_view> fv;
    r.Bulk("first-entry");
    {
      Stream::Iterator it(s, StreamId::Min(), StreamId::Max(), false);
      if (it.Next(&id, &fv))
        ReplyStreamEntry(r, id, fv);
      else
        r.Null();
    }
    r.Bulk("last-entry");
    {
      Stream::Iterator it(s, StreamId::Min(), StreamId::Max(), true);
      if (it.Next(&id, &fv))
        ReplyStreamEntry(r, id, fv);
      else
        r.Null();
    }
    return;
  }
  size_t limit = count > 0 ? static_cast<size_t>(count) : SIZE_MAX;
  r.Bulk("entries");
  {
    std::vector<StreamEntryView> entries;
    CollectStreamRange(s, StreamId::Min(), StreamId::Max(), size_t(count), false, &entries);
    ReplyStreamEntries(r, entries);
  }
  r.Bulk("groups");
  r.ArrayHeader(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    r.MapHeader(7);
    r.Bulk("name");
    r.Bulk(name);
    r.Bulk("last-delivered-id");
    ReplyStreamId(r, g->last_id);
    r.Bulk("entries-read");
    ReplyEntriesRead(r, *g);
    r.Bulk("lag");
    ReplyLag(r, s, *g);
    r.Bulk("pel-count");
    r.Integer(static_cast<int64_t>(g->pel.size()));
    r.Bulk("pending");
    size_t np = std::min(limit, g->pel.size());
    r.ArrayHeader(np);
    size_t i = 0;
    for (auto it = g->pel.begin(); i < np; ++it, ++i) {
      r.ArrayHeader(4);
      ReplyStreamId(r, it->first);
      r.Bulk(it->second->consumer->name);
      r.Integer(it->second->delivery_time_ms);
      r.Integer(static_cast<int64_t>(it->second->delivery_count));
    }
    r.Bulk("consumers");
    r.ArrayHeader(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      r.MapHeader(4);
      r.Bulk("name");
      r.Bulk(cname);
      r.Bulk("seen-time");
      r.Integer(c->seen_time_ms);
      r.Bulk("pel-count");
      r.Integer(static_cast<int64_t>(c->pel.size()));
      r.Bulk("pending");
      size_t nc = std::min(limit, c->pel.size());
      r.ArrayHeader(nc);
      size_t k = 0;
      for (auto it = c->pel.begin(); k < nc; ++it, ++k) {
        r.ArrayHeader(3);
        ReplyStreamId(r, it->first);
        r.Integer(it->second->delivery_time_ms);
        r.Integer(static_cast<int64_t>(it->second->delivery_count));
      }
    }
  }
}

// XINFO STREAM|GROUPS|CONSUMERS key ...: the key first (no such key, wrong type), then the
// subcommand's own checks.
void CmdXInfoKeyed(CommandContext& ctx, ArgList args) {
  GroupKey key(ctx, args[2], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Error(errors::kNoSuchKey);
  const Stream& s = key.stream();
  std::string_view sub = args[1];
  if (EqualsIgnoreCase(sub, "consumers") && args.size() == 4) {
    const StreamGroup* g = key.group(args[3]);
    if (!g) {
      return ctx.reply.Error(
          ErrorWith("NOGROUP No such consumer group '", args[3], "' for key name '", args[2], "'"));
    }
    int64_t now = Engine::NowMs();
    ctx.reply.ArrayHeader(g->consumers.size());
    for (const auto& [name, c] : g->consumers) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(name);
      ctx.reply.Bulk("pending");
      ctx.reply.Integer(static_cast<int64_t>(c->pel.size()));
      ctx.reply.Bulk("idle");
      ctx.reply.Integer(std::max<int64_t>(0, now - c->seen_time_ms));
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "groups") && args.size() == 3) {
    ctx.reply.ArrayHeader(s.groups().size());
    for (const auto& [name, g] : s.groups()) {
      ctx.reply.MapHeader(6);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(name);
      ctx.reply.Bulk("consumers");
      ctx.reply.Integer(static_cast<int64_t>(g->consumers.size()));
      ctx.reply.Bulk("pending");
      ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
      ctx.reply.Bulk("last-delivered-id");
      ReplyStreamId(ctx.reply, g->last_id);
      ctx.reply.Bulk("entries-read");
      ReplyEntriesRead(ctx.reply, *g);
      ctx.reply.Bulk("lag");
      ReplyLag(ctx.reply, s, *g);
    }
    return;
  }
  if (EqualsIgnoreCase(sub, "stream")) return ReplyStreamInfo(ctx, args, s);
  SubcommandSyntaxError(ctx.reply, args);
}

// XINFO HELP
void CmdXInfoHelp(CommandContext& ctx, ArgList args) {
  static constexpr std::string_view kLines[] = {
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
  };
  ReplyHelp(ctx.reply, args[0], kLines);
}

}  // namespace

void RegisterStreamGroupFamily(CommandRegistry& r) {
  constexpr uint32_t kW = kCmdWrite | kCmdDenyOom;
  CommandSpec xgroup("xgroup", -2, 0, 0, 0, 0, CmdContainer);
  xgroup.subcommands.emplace_back("xgroup|create", -5, kW, 2, 2, 1, CmdXGroup);
  xgroup.subcommands.emplace_back("xgroup|setid", -5, kCmdWrite, 2, 2, 1, CmdXGroup);
  xgroup.subcommands.emplace_back("xgroup|destroy", 4, kCmdWrite, 2, 2, 1, CmdXGroup);
  xgroup.subcommands.emplace_back("xgroup|createconsumer", 5, kW, 2, 2, 1, CmdXGroup);
  xgroup.subcommands.emplace_back("xgroup|delconsumer", 5, kCmdWrite, 2, 2, 1, CmdXGroup);
  xgroup.subcommands.emplace_back("xgroup|help", 2, kCmdLoading | kCmdStale, 0, 0, 0,
                                  CmdXGroupHelp);
  r.Register(std::move(xgroup));

  // Its keys follow STREAMS (CommandSpec::streams_keys), so the disk tier reads them back first.
  CommandSpec xreadgroup("xreadgroup", -7, kCmdWrite | kCmdBlocking | kCmdMovableKeys, 0, 0, 0,
                         CmdXReadGroup);
  xreadgroup.streams_keys = true;
  r.Register(std::move(xreadgroup));
  r.Register({"xack", -4, kCmdWrite | kCmdFast, 1, 1, 1, CmdXAck});
  r.Register({"xpending", -3, kCmdReadonly, 1, 1, 1, CmdXPending});
  r.Register({"xclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, CmdXClaim});
  r.Register({"xautoclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, CmdXAutoClaim});

  CommandSpec xinfo("xinfo", -2, 0, 0, 0, 0, CmdContainer);
  xinfo.subcommands.emplace_back("xinfo|consumers", 4, kCmdReadonly, 2, 2, 1, CmdXInfoKeyed);
  xinfo.subcommands.emplace_back("xinfo|groups", 3, kCmdReadonly, 2, 2, 1, CmdXInfoKeyed);
  xinfo.subcommands.emplace_back("xinfo|stream", -3, kCmdReadonly, 2, 2, 1, CmdXInfoKeyed);
  xinfo.subcommands.emplace_back("xinfo|help", 2, kCmdLoading | kCmdStale, 0, 0, 0, CmdXInfoHelp);
  r.Register(std::move(xinfo));
}

}  // namespace aegisr
