#pragma once
// Blocking commands (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, BZPOPMIN BZPOPMAX BZMPOP, XREAD BLOCK;
// XREADGROUP BLOCK plugs in the same way): the clients that wait for keys, and serving them when a
// key they wait for gets data.
//
// Threading. A key's waiters live with its shard (a FIFO queue per db and key) and are read and
// changed only under that shard's lock. A blocked client belongs to its connection's loop
// thread, which alone writes its reply and forgets it; any thread may serve it (pop for it under
// the key's lock), time it out or unblock it, and the first to move its state away from
// kWaiting wins (one compare-and-swap), so a client is served at most once and an element popped
// for it is never also given to anyone else. The winner then asks the server to wake the
// client's thread (ServerControl::WakeBlocked), which writes the reply and runs what the client
// sent after the blocking command.
//
// Serving follows Redis's order: a command that creates a key that clients wait for notes the
// key as ready (Shard::Insert, on this thread); when the command has finished, Engine::Dispatch
// serves the ready keys' waiters first come, first served, for as long as the key has data.
//
// Streams. Reading a stream uses nothing up, so a stream key that gets data (XADD notes it as
// ready even when the key existed) is offered to EVERY client waiting on it, in arrival order,
// not only the first: each stream waiter has a ready() hook that says, under the key's lock,
// whether it is to be served now; those that say no keep waiting. A stream key that goes away
// (deleted, overwritten, renamed, moved, expired: Shard::Take notes it) is offered to its stream
// waiters too, so that XREADGROUP's can end with Redis's "UNBLOCKED the stream key no longer
// exists"; XREAD's ready() says no and keeps waiting, as Redis does.
//
// How another stream command (XREADGROUP ... BLOCK) plugs in: build a BlockedClient with
// type = ValueType::kStream, keys (distinct), deadline_ms, count, params (what serve needs later,
// e.g. group and consumer names), and:
//   ready(engine, bc, key): under key's shard lock, with key holding a stream, a value of
//     another type or nothing (never a value on disk): serve this client now? XREADGROUP: the
//     group's last delivered ID is below the stream's last ID, or the key / group is gone (so
//     that serve can say so). Changes nothing.
//   serve(engine, bc, key): right after ready() said yes, same locks: read into result,
//     consuming as it must (XREADGROUP adds to the PEL and moves the group's last ID, inside
//     Shard::Update) or set error instead ("NOGROUP ...", "UNBLOCKED the stream key no longer
//     exists").
//   reply / timeout_reply as for the others (XREAD and XREADGROUP time out with a null array);
// then call BlockClient with the key locks held. engine/stream_family.cc's CmdXRead is the model.
// A command that changes what stream waiters may get without XADD (XGROUP DESTROY, XGROUP
// SETID) notes the key itself: NoteStreamReady (engine/stream_family.h).

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/keyspace/entry.h"
#include "engine/keyspace/keyspace.h"
#include "engine/reply.h"

namespace aegisr {

class Engine;

enum class BlockState : int {
  kWaiting,
  kServed,          // serve() ran: reply with result (or error)
  kTimedOut,        // the timeout passed, or CLIENT UNBLOCK ... TIMEOUT: the null reply
  kUnblockedError,  // CLIENT UNBLOCK ... ERROR
  kRetry,           // could not be served in place (a value on disk): run the command again
  kCancelled,       // the client went away
};

// A client blocked in a command, with what it waits for and how to serve it. Built by the
// command's handler; owned jointly by the key queues, the index by client id and the client.
struct BlockedClient {
  uint64_t client_id = 0;
  unsigned thread = 0;  // the client's loop thread
  int db = 0;
  ValueType type = ValueType::kList;    // the type of value that serves it
  std::vector<std::string> keys;        // the keys waited on, in the command's order, distinct
  std::vector<std::string> extra_keys;  // other keys serve() touches (BLMOVE's destination)
  std::vector<std::string> args;        // the command as sent (serve's input; kRetry reruns it)
  int64_t deadline_ms = 0;              // 0: no timeout
  // The command's options, parsed when it blocked, for serve (e.g. BLMPOP's end and count).
  int from = 0, to = 0;
  int64_t count = 1;

  // Serves the client from `key` (which holds a non-empty value of `type`; for stream waiters:
  // whatever ready() accepted) with the shard locks of `key` and of every extra key held: pops
  // what the command pops into result, or sets error, or sets state to kRetry and changes
  // nothing.
  void (*serve)(Engine& engine, BlockedClient& bc, const KeyRef& key) = nullptr;
  // Writes the reply of a served client from result (its own thread).
  void (*reply)(const BlockedClient& bc, ReplySink& sink) = nullptr;
  // Writes the reply of a client whose timeout passed (its own thread).
  void (*timeout_reply)(ReplySink& sink) = nullptr;

  // Stream waiters only (see "Streams" above): whether to serve this client from `key` now.
  // Called with the key's shard lock held (and those of extra_keys); key may hold a stream,
  // another type or nothing, never a value on disk. False leaves the client waiting. Must not
  // change anything.
  bool (*ready)(Engine& engine, const BlockedClient& bc, const KeyRef& key) = nullptr;
  // Command-specific state kept from when it blocked, for ready() and serve(): XREAD's ID per
  // key ("ms-seq", in keys' order, "$" already resolved), XREADGROUP's group and consumer.
  std::vector<std::string> params;

  std::atomic<BlockState> state{BlockState::kWaiting};
  std::vector<std::string> result;  // what serve popped, for reply
  std::string error;                // set by serve instead of result

  // Moves the state from kWaiting to s; false if another thread got there first.
  bool Claim(BlockState s) {
    BlockState expected = BlockState::kWaiting;
    return state.compare_exchange_strong(expected, s, std::memory_order_acq_rel);
  }
};

// The timeout_reply of the commands that time out with a null array (BLPOP and family,
// BZPOPMIN and family, XREAD, XREADGROUP).
void ReplyNullArray(ReplySink& sink);

// Blocks the client of ctx as bc describes: fills in the client's id, thread and database and
// the command's arguments, queues bc (Blocking::Block) and marks the client blocked, so that its
// connection sends nothing more until the wait ends. The caller holds the shard locks of
// bc->keys, which must be distinct.
struct CommandContext;
void BlockClient(CommandContext& ctx, std::span<const std::string_view> args,
                 std::shared_ptr<BlockedClient> bc);

class Blocking {
 public:
  explicit Blocking(Engine& engine) : engine_(engine) {}
  Blocking(const Blocking&) = delete;
  Blocking& operator=(const Blocking&) = delete;

  // Queues bc on each of its keys and indexes it by client id. The caller holds the shard locks
  // of all bc->keys: the same locks under which it found them without data, so that no push
  // can slip in between.
  void Block(std::shared_ptr<BlockedClient> bc);
  // Removes bc from its keys' queues and from the index (takes the shard locks itself: call
  // with none held). Safe to call more than once.
  void Forget(const std::shared_ptr<BlockedClient>& bc);
  // Serves the waiters of the keys this thread noted as ready (ThreadReadyKeys), and of the
  // keys made ready while doing so. Call with no shard lock held.
  void ServeReady();
  // Notes every key of db (db < 0: of every database) that clients wait for as ready: SWAPDB
  // (each database now holds what the other held), FLUSHDB and FLUSHALL (XREADGROUP waiters of a
  // stream that went are told so, as Redis's scanDatabaseForDeletedStreams does). Call with no
  // shard lock held.
  void NoteAllReady(int db);
  // CLIENT UNBLOCK: ends the wait of client `id` as a timeout, or with an UNBLOCKED error.
  // False if that client is not blocked.
  bool Unblock(uint64_t id, bool with_error);
  // Clients blocked now (INFO blocked_clients).
  size_t blocked_clients() const;

  // Redis's timeout argument of the blocking commands: seconds as a non-negative decimal
  // (fractions allowed), 0 for none. Sets *deadline_ms (0: none) or returns the error to reply.
  static std::string_view ParseTimeout(std::string_view arg, int64_t now_ms, int64_t* deadline_ms);

 private:
  enum class Outcome { kServed, kSkipped, kNotReady };
  void ServeKey(int db, const std::string& key);
  // The pop commands' waiters of a key: first come, first served while it has data.
  void ServeFirstComers(int db, const KeyRef& k, const std::string& qkey);
  // A key's stream waiters: every one whose ready() says yes, in arrival order.
  void ServeStreamKey(int db, const KeyRef& k, const std::string& qkey);
  // The first waiting client of queue `qkey` in `shard`, dropping entries that are no longer
  // waiting; with type, the first that waits for a value of that type. nullptr if none.
  // Requires the shard's lock.
  std::shared_ptr<BlockedClient> Front(unsigned shard, const std::string& qkey,
                                       const ValueType* type = nullptr);
  Outcome TryServe(const std::shared_ptr<BlockedClient>& bc, const KeyRef& k, int db,
                   const std::string& qkey);
  void Wake(const BlockedClient& bc);

  using Queue = std::deque<std::shared_ptr<BlockedClient>>;
  // Per shard, guarded by that shard's mutex: db byte + key -> waiters in arrival order.
  struct ShardWaiters {
    std::unordered_map<std::string, Queue> queues;
  };

  Engine& engine_;
  ShardWaiters shards_[kNumShards];
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<BlockedClient>> by_id_;  // guarded by mu_
};

}  // namespace aegisr
