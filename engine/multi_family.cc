// MULTI EXEC DISCARD WATCH UNWATCH.
//
// Queueing. Engine::Dispatch checks a command as Redis's processCommand does (lookup, arity,
// auth, maxmemory); a refusal inside MULTI flags the transaction (MultiReject), and a command
// that passes is copied into the client's queue (MultiQueue) instead of running.
//
// EXEC. The queued commands run one after the other on the client's thread, with every shard
// they touch locked for the whole transaction, so no other client on any thread sees a state
// in between:
//  1. The cold-read path has already run for EXEC (Engine::ColdKeys -> MultiColdKeys): every
//     value a queued command reads is in RAM and pinned there until EXEC finishes.
//  2. The shards of the union of the queued commands' keys (CommandSpec::ForEachKey) and of
//     the watched keys are locked once, in ascending order, and marked held by this thread
//     (Keyspace::HoldShards). A command whose keys cannot be known from its arguments (no key
//     positions, or movable keys) makes it every shard.
//  3. With the locks held, the watches are checked: a watched key that has expired by now is
//     deleted (as Redis's EXEC treats it as changed), which sets the flag like any change.
//  4. The handlers run unchanged: their own Lock/LockKeys/LockAll of held shards are no-ops.
//
// WATCH. Each shard keeps its watched keys with the watchers' flags (Shard::Watch); every path
// that changes or removes a key (Insert, Update, Take, so also expiry and eviction; Flush;
// SwapDbs) sets the flags and forgets that key's watchers. The client's flag is read by EXEC
// under the watched keys' shard locks.
#include <bitset>

#include "engine/engine.h"
#include "engine/family.h"
#include "engine/multi.h"

namespace aegisr {
namespace {

constexpr std::string_view kMultiNested = "ERR MULTI calls can not be nested";
constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
constexpr std::string_view kWatchInMulti = "ERR WATCH inside MULTI is not allowed";
constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
constexpr std::string_view kNotInMulti = "ERR Command not allowed inside a transaction";

MultiState& StateOf(ClientState& c) {
  if (!c.multi) {
    c.multi = std::make_shared<MultiState>();
    c.watch.store(c.multi->watch.get(), std::memory_order_release);
  }
  return *c.multi;
}

bool InMulti(const ClientState& c) { return c.multi && c.multi->active; }

// The commands that run at once inside MULTI instead of being queued (Redis's processCommand).
bool RunsInMulti(const CommandSpec& cmd) {
  const std::string& n = cmd.name;
  return n == "exec" || n == "discard" || n == "multi" || n == "watch" || n == "quit" ||
         n == "reset";
}

void EndTransaction(ClientState& c) {
  MultiState& m = *c.multi;
  m.active = false;
  m.flagged = false;
  m.cmd_flags = 0;
  m.queued.clear();
  c.multi_queued.store(-1, std::memory_order_relaxed);
}

void UnwatchAll(Engine& engine, ClientState& c) {
  if (!c.multi) return;
  MultiState& m = *c.multi;
  if (m.watched.empty()) return;
  Keyspace& ks = engine.keyspace();
  for (const auto& [db, key] : m.watched) {
    KeyRef k(key);
    auto lk = ks.Lock(k);
    ks.shard(k).Unwatch(db, key, m.watch.get());
  }
  m.watched.clear();
  // No shard refers to the flag any more: it can be reused.
  m.watch->dirty.store(false, std::memory_order_relaxed);
}

// Whether a command's keys are all named by its arguments.
// SORT_RO's BY and GET patterns read keys its row does not name (its key spec is incomplete in
// Redis too), as SORT's do.
bool KeysKnown(const CommandSpec& spec) {
  if (spec.flags & kCmdMovableKeys) return false;
  if (spec.name == "sort_ro") return false;
  return spec.first_key > 0 || spec.numkeys_arg > 0 || spec.streams_keys;
}

std::vector<std::string_view> Views(const std::vector<std::string>& args) {
  return std::vector<std::string_view>(args.begin(), args.end());
}

// MULTI
void CmdMulti(CommandContext& ctx, ArgList) {
  MultiState& m = StateOf(ctx.client);
  if (m.active) return ctx.reply.Error(kMultiNested);
  m.active = true;
  m.flagged = false;
  ctx.client.multi_queued.store(0, std::memory_order_relaxed);
  ctx.reply.Ok();
}

// DISCARD
void CmdDiscard(CommandContext& ctx, ArgList) {
  if (!InMulti(ctx.client)) return ctx.reply.Error(kDiscardWithoutMulti);
  EndTransaction(ctx.client);
  UnwatchAll(ctx.engine, ctx.client);
  ctx.reply.Ok();
}

// WATCH key [key ...]
void CmdWatch(CommandContext& ctx, ArgList args) {
  if (InMulti(ctx.client)) return ctx.reply.Error(kWatchInMulti);
  MultiState& m = StateOf(ctx.client);
  // Already invalidated: watching more changes nothing (as Redis).
  if (m.watch->dirty.load(std::memory_order_relaxed)) return ctx.reply.Ok();
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  int64_t now = Engine::NowMs();
  for (size_t i = 1; i < args.size(); ++i) {
    bool dup = false;
    for (const auto& [wdb, wkey] : m.watched) dup |= wdb == db && wkey == args[i];
    if (dup) continue;
    KeyRef k(args[i]);
    auto lk = ks.Lock(k);
    Shard& s = ks.shard(k);
    // A key already past its TTL is removed first: it does not exist for this watch, so its
    // deletion is no change (Redis 7.0 keeps such a watch clean too).
    (void)s.Find(db, k, now);
    s.Watch(db, args[i], m.watch);
    m.watched.emplace_back(db, std::string(args[i]));
  }
  ctx.reply.Ok();
}

// UNWATCH
void CmdUnwatch(CommandContext& ctx, ArgList) {
  UnwatchAll(ctx.engine, ctx.client);
  ctx.reply.Ok();
}

// EXEC
void CmdExec(CommandContext& ctx, ArgList) {
  ClientState& c = ctx.client;
  if (!InMulti(c)) return ctx.reply.Error(kExecWithoutMulti);
  MultiState& m = *c.multi;
  if (m.flagged) {
    EndTransaction(c);
    UnwatchAll(ctx.engine, c);
    return ctx.reply.Error(kExecAbort);
  }
  Keyspace& ks = ctx.engine.keyspace();
  std::bitset<kNumShards> shards;
  for (const auto& [db, key] : m.watched) shards.set(KeyRef(key).shard);
  std::vector<std::string_view> views;
  for (const QueuedCommand& q : m.queued) {
    if (!KeysKnown(*q.spec)) {
      shards.set();
      break;
    }
    views = Views(q.args);
    q.spec->ForEachKey(views, [&](size_t i) { shards.set(KeyRef(views[i]).shard); });
  }
  std::vector<QueuedCommand> queued;
  queued.swap(m.queued);
  EndTransaction(c);
  {
    ShardLock held = ks.HoldShards(shards);
    bool dirty = m.watch->dirty.load(std::memory_order_relaxed);
    if (!dirty && !m.watched.empty()) {
      int64_t now = Engine::NowMs();
      for (const auto& [db, key] : m.watched) {
        KeyRef k(key);
        (void)ks.shard(k).Find(db, k, now);  // an expired watched key goes, setting the flag
      }
      dirty = m.watch->dirty.load(std::memory_order_relaxed);
    }
    UnwatchAll(ctx.engine, c);
    if (dirty) return ctx.reply.NullArray();
    ctx.reply.ArrayHeader(queued.size());
    // CLIENT LIST shows the transaction (flag x, multi=N) while it runs, as Redis does.
    c.multi_queued.store(int(queued.size()), std::memory_order_relaxed);
    m.executing = true;
    ThreadStats& st = ctx.engine.thread_stats();
    for (const QueuedCommand& q : queued) {
      views = Views(q.args);
      uint64_t errors_before = ctx.reply.errors_written();
      q.spec->handler(ctx, views);
      // INFO commandstats counts the commands EXEC ran (not their queueing), as Redis does.
      ThreadStats::PerCommand& pc = st.per_command[q.spec->id];
      ThreadStats::Inc(pc.calls);
      if (ctx.reply.errors_written() != errors_before) ThreadStats::Inc(pc.failed);
      ThreadStats::Inc(st.commands);
    }
    m.executing = false;
    c.multi_queued.store(-1, std::memory_order_relaxed);
  }
  queued.clear();  // keeps its capacity for the next transaction
  if (m.queued.empty()) m.queued.swap(queued);
}

}  // namespace

bool InExec(const ClientState& client) { return client.multi && client.multi->executing; }

void MultiReject(Engine& engine, ClientState& client, const CommandSpec* cmd, ReplySink& reply,
                 std::string_view error) {
  if (!InMulti(client)) return reply.Error(error);
  if (cmd && cmd->name == "exec") {
    EndTransaction(client);
    UnwatchAll(engine, client);
    // Redis gives the error without its ERR prefix here (other codes, as OOM, stay).
    if (error.substr(0, 4) == "ERR ") error.remove_prefix(4);
    std::string msg = "EXECABORT Transaction discarded because of: ";
    msg.append(error);
    return reply.Error(msg);
  }
  client.multi->flagged = true;
  reply.Error(error);
}

bool MultiQueue(ClientState& client, const CommandSpec& cmd, ArgList args, ReplySink& reply) {
  if (!InMulti(client) || RunsInMulti(cmd)) return false;
  MultiState& m = *client.multi;
  if (cmd.flags & kCmdNoMulti) {
    m.flagged = true;
    reply.Error(kNotInMulti);
    return true;
  }
  QueuedCommand q;
  q.spec = &cmd;
  q.args.assign(args.begin(), args.end());
  m.queued.push_back(std::move(q));
  m.cmd_flags |= cmd.flags;
  client.multi_queued.store(int(m.queued.size()), std::memory_order_relaxed);
  reply.SimpleString("QUEUED");
  return true;
}

bool MultiDeniedOnOom(const ClientState& client, const CommandSpec& cmd) {
  if (!InMulti(client)) return false;
  if (cmd.name == "exec") return (client.multi->cmd_flags & kCmdDenyOom) != 0;
  return !(cmd.name == "discard" || cmd.name == "quit" || cmd.name == "reset");
}

std::vector<ColdKey> MultiColdKeys(Engine& engine, ClientState& client,
                                   std::vector<uint64_t>* pins) {
  std::vector<ColdKey> out;
  if (!InMulti(client)) return out;
  int db = client.db.load(std::memory_order_relaxed);
  for (const QueuedCommand& q : client.multi->queued) {
    std::vector<std::string_view> views = Views(q.args);
    q.spec->ForEachKey(views,
                       [&](size_t i) { pins->push_back(GhostHash(KeyRef(views[i]).hash, db)); });
    for (ColdKey& k : engine.tier().ColdKeys(client, *q.spec, views)) {
      bool dup = false;
      for (const ColdKey& o : out) dup |= o.key == k.key && o.db == k.db;
      if (!dup) out.push_back(std::move(k));
    }
  }
  return out;
}

void MultiReset(Engine& engine, ClientState& client) {
  if (!client.multi) return;
  if (client.multi->active) EndTransaction(client);
  UnwatchAll(engine, client);
}

void RegisterMultiFamily(CommandRegistry& r) {
  constexpr uint32_t kBase = kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kFastBusy = kBase | kCmdFast | kCmdAllowBusy;
  r.Register(CommandSpec("multi", 1, kFastBusy, 0, 0, 0, CmdMulti));
  r.Register(CommandSpec("exec", 1, kBase | kCmdSkipSlowlog, 0, 0, 0, CmdExec));
  r.Register(CommandSpec("discard", 1, kFastBusy, 0, 0, 0, CmdDiscard));
  r.Register(CommandSpec("watch", -2, kFastBusy, 1, -1, 1, CmdWatch));
  r.Register(CommandSpec("unwatch", 1, kFastBusy, 0, 0, 0, CmdUnwatch));
}

}  // namespace aegisr
