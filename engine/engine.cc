// Engine: command dispatch (Redis's processCommand order: lookup, arity, auth, call), per-thread
// stats, and the periodic cron.
#include "engine/engine.h"

#include <time.h>

#include <climits>
#include <thread>

#include "base/logging.h"
#include "engine/errors.h"
#include "engine/keyspace/lazy_free.h"
#include "engine/multi.h"
#include "engine/notify.h"

namespace aegisr {
namespace {
thread_local ThreadStats* t_stats = nullptr;
// The time a command started, while it runs (0 otherwise): every NowMs() inside one command
// sees the same instant, as Redis's cached server.mstime, and the clock is read once.
thread_local int64_t t_command_start_us = 0;

int64_t RealNowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Redis formats client input into error texts with %s, which stops at the first NUL byte.
std::string_view UpToNul(std::string_view s) {
  size_t nul = s.find('\0');
  return nul == std::string_view::npos ? s : s.substr(0, nul);
}

// Redis replaces CR and LF with spaces in error texts built from client input.
void Sanitize(std::string* s) {
  for (char& c : *s)
    if (c == '\r' || c == '\n') c = ' ';
}
}  // namespace

std::string UnknownCommandError(ArgList args) {
  std::string msg = "ERR unknown command '";
  msg.append(UpToNul(args[0]).substr(0, 128));
  msg += "', with args beginning with: ";
  std::string tail;
  for (size_t i = 1; i < args.size() && tail.size() < 128; ++i) {
    size_t room = 128 - tail.size();
    tail += '\'';
    tail.append(UpToNul(args[i]).substr(0, room));
    tail += "' ";
  }
  msg += tail;
  Sanitize(&msg);
  return msg;
}

Engine::Engine(Config* config) : config_(config), start_ms_(NowMs()) {
  RegisterAll();
  unsigned n = std::max<unsigned>(1, std::thread::hardware_concurrency());
  unsigned want = static_cast<unsigned>(config_->threads.load());
  if (want > n) n = want;
  for (unsigned i = 0; i <= n; ++i) {
    auto s = std::make_unique<ThreadStats>();
    s->per_command = std::make_unique<ThreadStats::PerCommand[]>(next_command_id_);
    stats_.push_back(std::move(s));
  }
  keyspace_.set_lru_clock(static_cast<uint32_t>(NowMs() / 1000));
  InitNotify(*this);
}

Engine::~Engine() {
  ForgetNotify(*this);
  // A thread attached to this engine (a test's main thread, typically) must not keep pointing
  // at its stats once they are gone.
  for (auto& st : stats_)
    if (t_stats == st.get()) t_stats = nullptr;
}

void Engine::AssignIds(CommandSpec& spec) {
  spec.id = static_cast<uint32_t>(next_command_id_++);
  for (auto& sub : spec.subcommands) AssignIds(sub);
}

void Engine::RegisterAll() {
  RegisterStringFamily(commands_);
  RegisterKeyFamily(commands_);
  RegisterListFamily(commands_);
  RegisterSortFamily(commands_);
  RegisterHashFamily(commands_);
  RegisterSetFamily(commands_);
  RegisterZSetFamily(commands_);
  RegisterBitmapFamily(commands_);
  RegisterGeoFamily(commands_);
  RegisterServerFamily(commands_);
  RegisterConfigFamily(commands_);
  RegisterHllFamily(commands_);
  RegisterBloomFamily(commands_);
  RegisterStreamFamily(commands_);
  RegisterStreamGroupFamily(commands_);
  RegisterMultiFamily(commands_);
  RegisterPubSubFamily(commands_);
  commands_.ForEachMutable([this](CommandSpec& s) { AssignIds(s); });
}

namespace {
thread_local unsigned t_loop_index = UINT_MAX;
}  // namespace

unsigned Engine::CurrentThread() { return t_loop_index; }

std::vector<ColdKey> Engine::ColdKeys(ClientState& client, ArgList args) {
  if (!tier_.enabled() || args.empty()) return {};
  const CommandSpec* cmd = commands_.Find(args[0]);
  if (!cmd) return {};
  if (!cmd->subcommands.empty() && args.size() >= 2) {
    cmd = cmd->FindSubcommand(args[1]);
    if (!cmd) return {};
  }
  if (!cmd->ArityOk(args.size()) || !client.authenticated) return {};
  if (client.multi && client.multi->active) {  // queued now, read back when EXEC runs them
    if (cmd->name != "exec") return {};
    std::vector<uint64_t> pins;
    std::vector<ColdKey> cold = MultiColdKeys(*this, client, &pins);
    if (!pins.empty()) tier_.Pin(t_loop_index, std::move(pins));
    return cold;
  }
  // Pin first: from here until the command has run, no thread may move its keys to disk, so
  // what ColdKeys finds in RAM is still there when the handler reads it.
  std::vector<uint64_t> pins;
  cmd->ForEachKey(args,
                  [&](size_t i) { pins.push_back(GhostHash(KeyRef(args[i]).hash, client.db)); });
  if (!pins.empty()) tier_.Pin(t_loop_index, std::move(pins));
  return tier_.ColdKeys(client, *cmd, args);
}

void Engine::AttachThread(unsigned index) {
  t_loop_index = index;
  t_stats = stats_[std::min<size_t>(index, stats_.size() - 1)].get();
}

ThreadStats& Engine::thread_stats() { return t_stats ? *t_stats : *stats_.back(); }

int64_t Engine::NowMs() { return NowUs() / 1000; }

int64_t Engine::NowUs() { return t_command_start_us ? t_command_start_us : RealNowUs(); }

void Engine::Dispatch(ClientState& client, ReplySink& reply, ArgList args) {
  ThreadStats& st = thread_stats();
  const CommandSpec* cmd = commands_.Find(args[0]);
  if (!cmd) return MultiReject(*this, client, nullptr, reply, UnknownCommandError(args));
  if (!cmd->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = cmd->FindSubcommand(args[1]);
    if (!sub) {
      std::string upper(cmd->name);
      for (char& c : upper) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
      std::string msg = "ERR unknown subcommand '";
      msg.append(UpToNul(args[1]).substr(0, 128));
      msg += "'. Try " + upper + " HELP.";
      Sanitize(&msg);
      return MultiReject(*this, client, cmd, reply, msg);
    }
    cmd = sub;
  }
  ThreadStats::PerCommand& pc = st.per_command[cmd->id];
  if (!cmd->ArityOk(args.size())) {
    ThreadStats::Inc(pc.rejected);
    return MultiReject(*this, client, cmd, reply,
                       "ERR wrong number of arguments for '" + cmd->name + "' command");
  }
  if (!client.authenticated && !(cmd->flags & kCmdNoAuth)) {
    ThreadStats::Inc(pc.rejected);
    return MultiReject(*this, client, cmd, reply, errors::kNoAuth);
  }
  // maxmemory: evict first (any command, as Redis); refuse what may grow memory if that failed.
  if (evictor_.OverLimit()) {
    // The command's own keys stay: the disk tier has just read them back for it.
    std::vector<uint64_t> pinned;
    cmd->ForEachKey(
        args, [&](size_t i) { pinned.push_back(GhostHash(KeyRef(args[i]).hash, client.db)); });
    if (!evictor_.MakeRoom(pinned) &&
        ((cmd->flags & kCmdDenyOom) || MultiDeniedOnOom(client, *cmd))) {
      ThreadStats::Inc(pc.rejected);
      return MultiReject(*this, client, cmd, reply, errors::kOom);
    }
  }
  // A RESP2 client with subscriptions reads only messages: its commands are limited.
  if (client.resp.load(std::memory_order_relaxed) == 2 && InSubscriberMode(client) &&
      !AllowedWhileSubscribed(cmd->name)) {
    ThreadStats::Inc(pc.rejected);
    return MultiReject(*this, client, cmd, reply,
                       "ERR Can't execute '" + cmd->name +
                           "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
                           "allowed in this context");
  }
  // Inside MULTI: queued (QUEUED) or refused, not run now.
  if (client.multi && MultiQueue(client, *cmd, args, reply)) return;
  CommandContext ctx{*this, client, reply};
  int64_t start = RealNowUs();
  t_command_start_us = start;
  uint64_t errors_before = reply.errors_written();
  {
    // Values a command deletes implicitly (overwritten, replaced by a STORE, renamed over) are
    // freed as lazyfree-lazy-server-del says; DEL, UNLINK and FLUSH* choose for themselves.
    LazyFreeScope lazy(config_->lazyfree_lazy_server_del.load(std::memory_order_relaxed));
    cmd->handler(ctx, args);
  }
  if (reply.errors_written() != errors_before) ThreadStats::Inc(pc.failed);
  // The event bus's appends, queued while the command held its locks (engine/notify.h).
  if (EventBusPending()) FlushEventBus(*this);
  // Keys the command created while clients waited for them: serve those clients now, before
  // this client's next command, as Redis does after each command.
  if (!ThreadReadyKeys().empty()) blocking_.ServeReady();
  // Serving waiters pops for them, which raises events too: record those as well.
  if (EventBusPending()) {
    FlushEventBus(*this);
    if (!ThreadReadyKeys().empty()) blocking_.ServeReady();
  }
  t_command_start_us = 0;
  int64_t end = RealNowUs();
  ThreadStats::Inc(pc.calls);
  ThreadStats::Inc(pc.usec, uint64_t(end - start));
  ThreadStats::Inc(st.commands);
  client.last_cmd.store(cmd, std::memory_order_relaxed);
  if (tier_.enabled()) tier_.Unpin(t_loop_index);
  client.last_interaction_ms.store(end / 1000, std::memory_order_relaxed);
}

namespace {
ShardCronHook g_shard_cron_hooks[kMaxShardCronHooks] = {};
}  // namespace

void AddShardCronHook(ShardCronHook hook) {
  for (ShardCronHook& h : g_shard_cron_hooks) {
    if (h == hook) return;  // registered again by another Engine (tests)
    if (!h) {
      h = hook;
      return;
    }
  }
  CHECK(false && "too many shard cron hooks");
}

void Engine::Cron(unsigned thread, unsigned nthreads) {
  if (thread == 0) keyspace_.set_lru_clock(static_cast<uint32_t>(NowMs() / 1000));
  int64_t hz = std::max<int64_t>(1, config_->hz.load(std::memory_order_relaxed));
  // About 25% of one cron period per thread for expiry (as Redis's slow cycle), spread over the
  // shards this thread looks after; a shard found busy (locked) is skipped this round.
  int64_t budget_us = 250000 / hz;
  unsigned mine = 0;
  for (unsigned i = thread; i < kNumShards; i += nthreads) ++mine;
  int64_t per_shard = std::max<int64_t>(50, budget_us / std::max(1u, mine));
  int64_t now = NowMs();
  for (unsigned i = thread; i < kNumShards; i += nthreads) {
    Shard& s = keyspace_.shard(i);
    std::unique_lock lk(s.mu, std::try_to_lock);
    if (!lk.owns_lock()) continue;
    s.ActiveExpire(now, per_shard);
    for (ShardCronHook hook : g_shard_cron_hooks) {
      if (hook) hook(s, i, now, per_shard);
    }
    // Table maintenance (resizes the operations have not finished) gets about 1 ms per tick
    // in all: operations already move a bucket each, and a longer cron pause would show in
    // the latency of this thread's clients while every shard resizes at once.
    s.Maintain(std::max<int64_t>(4, 1000 / std::max(1u, mine)));
  }
  if (EventBusPending()) {
    FlushEventBus(*this);  // "expired" events of the active cycle
    if (!ThreadReadyKeys().empty()) blocking_.ServeReady();  // XREAD BLOCK on the bus
  }
}

}  // namespace aegisr
