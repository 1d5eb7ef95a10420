#pragma once
// Engine: the database as the network layer sees it. Owns the config, the keyspace, the command
// table and the client registry, and runs commands (Dispatch). Thread-safe: Dispatch runs on
// many loop threads at once; shared state is behind shard locks, atomics, or registry locks.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/blocking.h"
#include "engine/client.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/evict.h"
#include "engine/keyspace/keyspace.h"
#include "engine/pubsub.h"
#include "engine/reply.h"
#include "engine/tier_store.h"

namespace aegisr {

// What the engine asks of the server around it (implemented by net/). Thread-safe.
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  // Stop accepting, flush pending replies, and exit the loops (SHUTDOWN, SIGTERM).
  virtual void RequestShutdown() = 0;
  // Close the client's connection on its own thread, after pending replies (CLIENT KILL).
  virtual void KillClient(uint64_t client_id, unsigned thread) = 0;
  // A blocked client's wait has ended (served, timed out, unblocked): its thread writes the
  // reply and runs what the client sent after the blocking command (engine/blocking.h).
  virtual void WakeBlocked(uint64_t client_id, unsigned thread) = 0;
  virtual unsigned thread_count() const = 0;
  virtual const char* io_backend() const = 0;  // "io_uring" or "epoll"
  virtual int tcp_port() const = 0;
};

// Background work of a command family on one shard (hash field expiry), run by each loop's cron
// right after the shard's active expiry, with the shard's lock held, within about budget_us.
// index is the shard's index in the keyspace. Added at registration time (before the loops
// start), process-wide as SetObjectOps; at most kMaxShardCronHooks.
using ShardCronHook = void (*)(Shard& s, unsigned index, int64_t now_ms, int64_t budget_us);
inline constexpr size_t kMaxShardCronHooks = 4;
void AddShardCronHook(ShardCronHook hook);

// Counters of one loop thread. Written only by that thread (relaxed load+store, no locked
// instructions), read by INFO from any thread.
struct alignas(64) ThreadStats {
  struct PerCommand {
    std::atomic<uint64_t> calls{0}, usec{0}, rejected{0}, failed{0};
  };
  std::atomic<uint64_t> commands{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  // Socket writes of pub/sub messages for another thread's subscribers (net/pubsub_outlet.h).
  std::atomic<uint64_t> pubsub_direct_writes{0};
  std::unique_ptr<PerCommand[]> per_command;  // indexed by CommandSpec id

  static void Inc(std::atomic<uint64_t>& c, uint64_t by = 1) {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
};

class Engine {
 public:
  explicit Engine(Config* config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  Config& config() { return *config_; }
  const std::string& config_file() const { return config_file_; }
  void set_config_file(std::string path) { config_file_ = std::move(path); }
  Keyspace& keyspace() { return keyspace_; }
  Evictor& evictor() { return evictor_; }
  TierStore& tier() { return tier_; }
  Blocking& blocking() { return blocking_; }
  PubSub& pubsub() { return pubsub_; }
  // The values the command in args needs from the disk tier before it can run (empty: run it
  // now, including when the command is unknown or malformed: Dispatch replies the error).
  std::vector<ColdKey> ColdKeys(ClientState& client, ArgList args);
  // The loop thread index given to AttachThread on this thread, or UINT_MAX.
  static unsigned CurrentThread();
  CommandRegistry& commands() { return commands_; }
  ClientRegistry& clients() { return clients_; }
  ServerControl* control() { return control_; }
  void set_control(ServerControl* c) { control_ = c; }

  // Binds the calling thread to the stats slot of loop thread `index` (call once per loop
  // thread before it dispatches; other threads share a fallback slot).
  void AttachThread(unsigned index);
  ThreadStats& thread_stats();
  // Every thread's stats, for INFO.
  const std::vector<std::unique_ptr<ThreadStats>>& all_thread_stats() const { return stats_; }

  // Runs one command for a client: lookup, arity, authentication, then the handler; counts it.
  void Dispatch(ClientState& client, ReplySink& reply, ArgList args);

  // Periodic work of loop thread `thread` of `nthreads` (called about `hz` times a second):
  // active expiry and table maintenance of the shards that thread looks after.
  void Cron(unsigned thread, unsigned nthreads);

  // Wall-clock milliseconds and microseconds since the epoch. Inside a command they return the
  // instant the command started (read once by Dispatch), so one command sees one time.
  static int64_t NowMs();
  static int64_t NowUs();
  int64_t start_time_ms() const { return start_ms_; }

  size_t command_count() const { return next_command_id_; }

  // Registers every command family. Called by the constructor.
  void RegisterAll();

 private:
  void AssignIds(CommandSpec& spec);

  Config* config_;
  std::string config_file_;
  Keyspace keyspace_;
  TierStore tier_{keyspace_, *config_};
  Evictor evictor_{keyspace_, *config_, tier_};
  Blocking blocking_{*this};
  PubSub pubsub_;
  CommandRegistry commands_;
  ClientRegistry clients_;
  ServerControl* control_ = nullptr;
  std::vector<std::unique_ptr<ThreadStats>> stats_;  // [0..threads) loops, last: fallback
  size_t next_command_id_ = 0;
  int64_t start_ms_;
};

// Formats Redis's unknown-command error for args (sanitized, args truncated as Redis does).
std::string UnknownCommandError(ArgList args);

}  // namespace aegisr
