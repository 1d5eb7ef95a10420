// Keyspace notifications and the replayable event bus.
//
// Notify() formats the two Redis channels into thread-local buffers (no allocation once they
// have grown) and publishes them. The event bus cannot append while the command holds its
// shard locks: the bus stream lives in its own shard, and taking that lock inside another
// would break the ascending lock order (engine/keyspace/keyspace.h). So events are queued per
// thread and FlushEventBus appends them after the command, before its reply is sent, as Redis
// applies its "also propagate" list after a command. The append runs the XADD handler itself
// (so IDs, MAXLEN trimming, new-stream creation and XREAD waiters behave as for any XADD) with
// notifications suppressed on this thread, so the bus never feeds itself.
#include "engine/notify.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "base/glob.h"
#include "engine/client.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "engine/keyspace/keyspace.h"
#include "engine/pubsub.h"

namespace aegisr {
namespace {

struct FlagLetter {
  char c;
  uint32_t flag;
};
// Class letters in the order CONFIG GET prints them.
constexpr FlagLetter kClassLetters[] = {
    {'g', kNotifyGeneric}, {'$', kNotifyString}, {'l', kNotifyList},    {'s', kNotifySet},
    {'h', kNotifyHash},    {'z', kNotifyZset},   {'x', kNotifyExpired}, {'e', kNotifyEvicted},
    {'t', kNotifyStream},  {'d', kNotifyModule}, {'n', kNotifyNew},
};

std::atomic<Engine*> g_engine{nullptr};
std::atomic<NotifyObserver> g_observer{nullptr};

// The bus's queued appends of this thread.
struct BusItem {
  bool message;  // PUBLISHed message (channel, text) or keyspace event
  uint32_t type;
  int db;
  std::string a, b;  // event, key / channel, message
};
thread_local std::vector<BusItem> t_bus;
thread_local bool t_in_bus_flush = false;
// Appends FlushEventBus could not make (EventBusDropped()).
std::atomic<uint64_t> g_bus_dropped{0};

std::string_view TypeName(uint32_t type) {
  switch (type) {
    case kNotifyGeneric:
      return "generic";
    case kNotifyString:
      return "string";
    case kNotifyList:
      return "list";
    case kNotifySet:
      return "set";
    case kNotifyHash:
      return "hash";
    case kNotifyZset:
      return "zset";
    case kNotifyExpired:
      return "expired";
    case kNotifyEvicted:
      return "evicted";
    case kNotifyStream:
      return "stream";
    case kNotifyKeyMiss:
      return "keymiss";
    case kNotifyNew:
      return "new";
    default:
      return "module";
  }
}

void Emit(Engine& engine, std::string_view channel, std::string_view message) {
  if (NotifyObserver obs = g_observer.load(std::memory_order_acquire)) obs(channel, message);
  engine.pubsub().Publish(channel, message);
}

void OnExpired(int db, std::string_view key) { NotifyProcess(kNotifyExpired, "expired", key, db); }
void OnNewKey(int db, std::string_view key) { NotifyProcess(kNotifyNew, "new", key, db); }
void OnKeyMiss(int db, std::string_view key) { NotifyProcess(kNotifyKeyMiss, "keymiss", key, db); }

// A reply sink that drops everything (the bus's XADD has no client to answer).
class NullSink final : public ReplySink {
 public:
  void SimpleString(std::string_view) override {}
  void Error(std::string_view) override { ++errors_written_; }
  void Integer(int64_t) override {}
  void Bulk(std::string_view) override {}
  void Null() override {}
  void NullArray() override {}
  void ArrayHeader(size_t) override {}
  void MapHeader(size_t) override {}
  void SetHeader(size_t) override {}
  void PushHeader(size_t) override {}
  void Double(double) override {}
  void Bool(bool) override {}
  void Verbatim(std::string_view, std::string_view) override {}
  void Raw(std::string_view) override {}
  int protocol() const override { return 2; }
  void SetProtocol(int) override {}
};

}  // namespace

bool ParseNotifyFlags(std::string_view s, uint32_t* flags) {
  uint32_t f = 0;
  for (char c : s) {
    switch (c) {
      case 'A':
        f |= kNotifyAll;
        break;
      case 'K':
        f |= kNotifyKeyspace;
        break;
      case 'E':
        f |= kNotifyKeyevent;
        break;
      case 'm':
        f |= kNotifyKeyMiss;
        break;
      default: {
        bool found = false;
        for (const FlagLetter& l : kClassLetters) {
          if (l.c == c) {
            f |= l.flag;
            found = true;
          }
        }
        if (!found) return false;
      }
    }
  }
  *flags = f;
  return true;
}

std::string FormatNotifyFlags(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    for (const FlagLetter& l : kClassLetters)
      if (flags & l.flag) out += l.c;
  }
  if (flags & kNotifyKeyspace) out += 'K';
  if (flags & kNotifyKeyevent) out += 'E';
  if (flags & kNotifyKeyMiss) out += 'm';
  return out;
}

void Notify(Engine& engine, uint32_t type, std::string_view event, std::string_view key, int db) {
  if (t_in_bus_flush) return;
  Config& cfg = engine.config();
  uint32_t flags = uint32_t(cfg.notify_keyspace_events_flags.load(std::memory_order_relaxed));
  if (!(flags & type)) return;
  // With nobody subscribed (and no test observer) the channel names are not even built.
  if ((flags & (kNotifyKeyspace | kNotifyKeyevent)) &&
      (engine.pubsub().has_listeners() || g_observer.load(std::memory_order_relaxed))) {
    thread_local std::string channel;
    char dbs[16];
    int n = snprintf(dbs, sizeof dbs, "%d", db);
    if (flags & kNotifyKeyspace) {
      channel.assign("__keyspace@");
      channel.append(dbs, size_t(n));
      channel.append("__:");
      channel.append(key);
      Emit(engine, channel, event);
    }
    if (flags & kNotifyKeyevent) {
      channel.assign("__keyevent@");
      channel.append(dbs, size_t(n));
      channel.append("__:");
      channel.append(event);
      Emit(engine, channel, key);
    }
  }
  if (cfg.event_bus_enabled.load(std::memory_order_relaxed)) {
    t_bus.push_back(BusItem{false, type, db, std::string(event), std::string(key)});
  }
}

void Notify(CommandContext& ctx, uint32_t type, std::string_view event, std::string_view key) {
  Notify(ctx.engine, type, event, key, ctx.client.db.load(std::memory_order_relaxed));
}

void NotifyProcess(uint32_t type, std::string_view event, std::string_view key, int db) {
  if (Engine* e = g_engine.load(std::memory_order_acquire)) Notify(*e, type, event, key, db);
}

void InitNotify(Engine& engine) {
  g_engine.store(&engine, std::memory_order_release);
  SetExpiredListener(&OnExpired);
  SetNewKeyListener(&OnNewKey);
  SetKeyMissListener(&OnKeyMiss);
}

void ForgetNotify(Engine& engine) {
  Engine* expected = &engine;
  g_engine.compare_exchange_strong(expected, nullptr, std::memory_order_acq_rel);
}

void SetNotifyObserver(NotifyObserver fn) { g_observer.store(fn, std::memory_order_release); }

void NoteBusMessage(Engine& engine, std::string_view channel, std::string_view message) {
  if (t_in_bus_flush) return;
  Config& cfg = engine.config();
  if (!cfg.event_bus_enabled.load(std::memory_order_relaxed)) return;
  std::string patterns = cfg.Read(&Config::event_bus_channels);
  bool chosen = false;
  size_t i = 0;
  while (i < patterns.size() && !chosen) {
    size_t j = patterns.find(' ', i);
    if (j == std::string::npos) j = patterns.size();
    std::string_view p(patterns.data() + i, j - i);
    if (!p.empty() && GlobMatch(p, channel, false)) chosen = true;
    i = j + 1;
  }
  if (!chosen) return;
  t_bus.push_back(BusItem{true, 0, 0, std::string(channel), std::string(message)});
}

bool EventBusPending() { return !t_bus.empty(); }

uint64_t EventBusDropped() { return g_bus_dropped.load(std::memory_order_relaxed); }

void FlushEventBus(Engine& engine) {
  if (t_bus.empty() || t_in_bus_flush) return;
  std::vector<BusItem> items;
  items.swap(t_bus);
  Config& cfg = engine.config();
  std::string stream = cfg.Read(&Config::event_bus_stream);
  if (stream.empty()) return;
  std::string maxlen = std::to_string(cfg.event_bus_maxlen.load(std::memory_order_relaxed));
  const CommandSpec* xadd = engine.commands().Find("xadd");
  if (!xadd) return;
  {
    // A bus stream offloaded before the bus was configured cannot be read back here (the tier
    // keeps it in RAM from then on): its appends are dropped, and counted.
    KeyRef k(stream);
    Keyspace& ks = engine.keyspace();
    auto lk = ks.Lock(k);
    Entry** link = ks.shard(k).Find(0, k, Engine::NowMs());
    if (link && (*link)->on_disk()) {
      g_bus_dropped.fetch_add(items.size(), std::memory_order_relaxed);
      return;
    }
  }
  ClientState bus_client;  // db 0, authenticated
  NullSink sink;
  CommandContext ctx{engine, bus_client, sink};
  t_in_bus_flush = true;
  std::string dbs;
  for (const BusItem& it : items) {
    std::vector<std::string_view> args = {"XADD", stream, "MAXLEN", "~", maxlen, "*"};
    if (it.message) {
      args.insert(args.end(), {"type", "message", "channel", it.a, "message", it.b});
    } else {
      dbs = std::to_string(it.db);
      args.insert(args.end(), {"type", TypeName(it.type), "event", it.a, "key", it.b, "db", dbs});
    }
    // An XADD that fails (the key holds another type) appends nothing: count it as dropped.
    uint64_t errors = sink.errors_written();
    xadd->handler(ctx, args);
    if (sink.errors_written() != errors) g_bus_dropped.fetch_add(1, std::memory_order_relaxed);
  }
  t_in_bus_flush = false;
}

}  // namespace aegisr
