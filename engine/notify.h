#pragma once
// Keyspace notifications (Redis's notify-keyspace-events): the event classes, the flag string
// as CONFIG SET parses it and CONFIG GET prints it, and Notify(), which command handlers call
// right after a change, while they still hold their shard locks. Thread-safe: Notify reads the
// flags with a relaxed load and publishes through the engine's PubSub, which takes no shard
// lock; the replayable event bus (notify-bus: below) is appended to after the command.

#include <cstdint>
#include <string>
#include <string_view>

namespace aegisr {

class Engine;
struct CommandContext;
struct Config;

// Event classes and delivery flags, one bit each (the letters of notify-keyspace-events).
enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1u << 0,  // K: __keyspace@<db>__:<key> with the event as message
  kNotifyKeyevent = 1u << 1,  // E: __keyevent@<db>__:<event> with the key as message
  kNotifyGeneric = 1u << 2,   // g: del, expire, rename_from, ...
  kNotifyString = 1u << 3,    // $
  kNotifyList = 1u << 4,      // l
  kNotifySet = 1u << 5,       // s
  kNotifyHash = 1u << 6,      // h
  kNotifyZset = 1u << 7,      // z
  kNotifyExpired = 1u << 8,   // x
  kNotifyEvicted = 1u << 9,   // e
  kNotifyStream = 1u << 10,   // t
  kNotifyKeyMiss = 1u << 11,  // m (not part of A)
  kNotifyLoaded = 1u << 12,   // module key loaded (no letter)
  kNotifyModule = 1u << 13,   // d
  kNotifyNew = 1u << 14,      // n (not part of A)
  // A: every class but m and n.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

// Parses a notify-keyspace-events string as Redis does (any order, repeats allowed). False on a
// character that is no flag (CONFIG SET replies kNotifyFlagsInvalid).
bool ParseNotifyFlags(std::string_view s, uint32_t* flags);
// The canonical form CONFIG GET shows: "A" or the class letters g$lshzxetdn in that order, then
// K, E, m. As in Redis, n is not shown next to A (it stays set).
std::string FormatNotifyFlags(uint32_t flags);
inline constexpr std::string_view kNotifyFlagsInvalid =
    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

// Publishes the event for key in db if notify-keyspace-events enables its class (type is one
// class flag): first "__keyspace@<db>__:<key>" with message event (flag K), then
// "__keyevent@<db>__:<event>" with message key (flag E); and queues it for the event bus when
// one is configured. Call after the change, from the command (any locks may be held).
void Notify(Engine& engine, uint32_t type, std::string_view event, std::string_view key, int db);
// The same for the client's current database.
void Notify(CommandContext& ctx, uint32_t type, std::string_view event, std::string_view key);
// The same, from code that has no engine at hand (eviction, expiry): uses the engine given to
// InitNotify last (one engine per process; tests that build several get the latest).
void NotifyProcess(uint32_t type, std::string_view event, std::string_view key, int db);

// Registers engine as the process's engine for NotifyProcess and installs the keyspace's expiry
// listener. Called by the Engine constructor.
void InitNotify(Engine& engine);
// Forgets engine if it is the process's engine (the Engine destructor calls it).
void ForgetNotify(Engine& engine);

// Tests: fn sees every (channel, message) Notify publishes, in order, on the publishing thread.
using NotifyObserver = void (*)(std::string_view channel, std::string_view message);
void SetNotifyObserver(NotifyObserver fn);

// ---- the replayable event bus (Aegisr's own) ----
// With event-bus-stream naming a key, every event Notify publishes (whatever K and E say) is
// also appended to that stream in db 0 as an entry {type, event, key, db}, and every message
// PUBLISHed to a channel matching one of event-bus-channels' glob patterns as {type "message",
// channel, message}; the stream is capped at about event-bus-maxlen entries (XADD MAXLEN ~).
// Appends are queued per thread while the command holds its locks and applied by
// FlushEventBus right after it (before its reply leaves), so the bus's shard lock is never
// taken inside another shard lock, and appending raises no event of its own.

// Queues a PUBLISHed message for the bus if its channel is chosen (the pubsub layer calls it).
void NoteBusMessage(Engine& engine, std::string_view channel, std::string_view message);
// Applies this thread's queued bus appends (Dispatch after each command, Cron after expiry).
void FlushEventBus(Engine& engine);
// Whether this thread has bus appends queued (cheap; Dispatch checks it).
bool EventBusPending();
// Bus appends dropped since the process started (INFO stats event_bus_dropped): one per queued
// event or message that FlushEventBus could not append, because the bus stream's value was on
// disk or because the XADD failed (event-bus-stream names a key holding another type). Thread-
// safe.
uint64_t EventBusDropped();

}  // namespace aegisr
