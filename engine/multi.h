#pragma once
// Transactions: MULTI EXEC DISCARD WATCH UNWATCH (Redis 7.0 semantics). A client's MultiState
// belongs to its connection's loop thread; the watch flags it shares with the shards are set by
// any thread under the key's shard lock (engine/keyspace/keyspace.h Shard::Watch).
//
// EXEC runs the queued commands atomically with respect to every other client: it takes the
// shard locks of all their keys (and of the watched keys) once, in ascending order, marked as
// held by its thread (Keyspace::HoldShards), then runs each handler as usual; their own locking
// of those shards is then a no-op. A queued command whose keys are not known from its arguments
// (no key positions, or movable keys: KEYS, SCAN, FLUSHALL, SORT, ZUNIONSTORE...) makes EXEC
// take every shard.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/client.h"
#include "engine/command.h"
#include "engine/keyspace/keyspace.h"
#include "engine/tier_store.h"

namespace aegisr {

class Engine;

struct QueuedCommand {
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
};

struct MultiState {
  bool active = false;     // between MULTI and EXEC/DISCARD
  bool flagged = false;    // a command was refused while queueing: EXEC answers EXECABORT
  bool executing = false;  // EXEC is running the queued commands (blocking ones do not block)
  uint32_t cmd_flags = 0;  // the queued commands' flags, or-ed
  std::vector<QueuedCommand> queued;
  // WATCH: the flag the shards set, and the keys (db, key) registered with it.
  std::shared_ptr<WatchFlag> watch = std::make_shared<WatchFlag>();
  std::vector<std::pair<int, std::string>> watched;
};

// Dispatch's hooks, in Redis's processCommand order.
// A command refused before it ran (unknown, arity, auth, OOM, ...): inside MULTI the
// transaction is flagged; EXEC itself is answered "EXECABORT Transaction discarded because of:
// <error>" and the transaction discarded. Writes the error.
void MultiReject(Engine& engine, ClientState& client, const CommandSpec* cmd, ReplySink& reply,
                 std::string_view error);
// Inside MULTI, queues cmd (QUEUED) or refuses it (no-multi commands) and returns true; false
// when the client is not in MULTI or cmd is one that runs at once (EXEC DISCARD MULTI WATCH
// QUIT RESET).
bool MultiQueue(ClientState& client, const CommandSpec& cmd, ArgList args, ReplySink& reply);
// Whether maxmemory refuses cmd for this client: inside MULTI every queued command; EXEC when
// a queued command is denyoom.
bool MultiDeniedOnOom(const ClientState& client, const CommandSpec& cmd);
// True while the client's EXEC runs its commands (blocking commands answer as if timed out).
bool InExec(const ClientState& client);
// Inside MULTI, the values EXEC's queued commands need from the disk tier (appending their
// keys' pins to *pins); nothing for a command that is only queued. Engine::ColdKeys.
std::vector<ColdKey> MultiColdKeys(Engine& engine, ClientState& client,
                                   std::vector<uint64_t>* pins);
// Forgets the client's transaction and watches (RESET, disconnect). Takes shard locks.
void MultiReset(Engine& engine, ClientState& client);

void RegisterMultiFamily(CommandRegistry& r);

}  // namespace aegisr
