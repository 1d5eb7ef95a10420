#pragma once
// Keyspace: 16 databases over 256 shards. A key's shard is its Redis Cluster hash slot mod 256,
// so cluster mode can later map slots to nodes without re-hashing. Each shard has one mutex and
// one Table per database.
//
// Concurrency (see docs/architecture.md "Concurrency model"):
//  - A command runs to completion on its connection's loop thread and takes the locks of the
//    shards it touches, always in ascending shard order (ShardLock does this), so lock order is
//    global and deadlock-free.
//  - No lock is held across I/O, a wait, or a reply flush; replies are only appended to the
//    connection's buffer while locks are held.
//  - Every Entry of a shard is read and written only under that shard's lock.

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "engine/keyspace/table.h"
#include "tier/access.h"
#include "tier/policy.h"

namespace aegisr {

inline constexpr int kNumDbs = 16;
inline constexpr unsigned kNumShards = 256;

// A key with its precomputed hashes.
struct KeyRef {
  std::string_view key;
  uint32_t hash;
  unsigned shard;

  explicit KeyRef(std::string_view k)
      : key(k), hash(static_cast<uint32_t>(HashBytes(k))), shard(KeyHashSlot(k) % kNumShards) {}
};

// The process-wide LRU clock in seconds (one per process: it only follows wall time). New
// entries start with it as their access time.
uint32_t LruClock();
void SetLruClock(uint32_t v);  // stored modulo 2^24 (tier::AccessClock)
// lfu-log-factor and lfu-decay-time, process-wide (set from the config).
tier::LfuParams LfuParams();
void SetLfuParams(int64_t log_factor, int64_t decay_time);
// lazyfree-lazy-expire, process-wide: expired values are freed in the background.
void SetLazyFreeExpire(bool lazy);
// The eviction policy's name for a key of db (tier::Candidate::key_hash): well mixed, 64 bits.
inline uint64_t GhostHash(uint32_t key_hash, int db) {
  return ((uint64_t(key_hash) << 8) | uint64_t(db)) * 0x9E3779B97F4A7C15ull;
}
// The policy told about every lookup, hit or miss (the adaptive policy's duels and miss
// history), or nullptr.
void SetAccessListener(tier::EvictionPolicy* policy);

// Called after expiry deleted a key (lazily in Find, by the active cycle, or by eviction's
// sampling), under the key's shard lock: keyspace notifications' "expired" (engine/notify.h).
// Process-wide; nullptr for none.
using ExpiredListener = void (*)(int db, std::string_view key);
void SetExpiredListener(ExpiredListener fn);
// Called by Shard::Insert after a key enters a database (a new key, RENAME, MOVE, COPY), under
// its shard lock: the "new" notification. Same type and rules as the expiry listener.
void SetNewKeyListener(ExpiredListener fn);
// Called by Shard::Lookup on a miss (read commands, Redis's lookupKeyRead): "keymiss".
void SetKeyMissListener(ExpiredListener fn);
// While one lives on this thread, Shard::Insert raises no "new": the key replaces one the same
// command deleted just before (SET over another type, a STORE command's destination), which
// Redis treats as an overwrite (dbOverwrite), not a new key. on=false changes nothing.
class OverwriteScope {
 public:
  explicit OverwriteScope(bool on);
  ~OverwriteScope();
  OverwriteScope(const OverwriteScope&) = delete;
  OverwriteScope& operator=(const OverwriteScope&) = delete;

 private:
  bool prev_;
};

// Keyspace bytes over all shards without taking a lock: this thread's changes exact, other
// threads' to within 16 KiB each. What maxmemory is checked against.
int64_t ApproxUsedBytes();

// Keys this thread created while clients waited for them (Shard::Insert notes them): the
// blocking commands' waiters are served from them after the command (engine/blocking.h).
struct ReadyKey {
  int db;
  std::string key;
};
std::vector<ReadyKey>& ThreadReadyKeys();

// A shard's mutex. EXEC (engine/multi_family.cc) takes the shards of a whole transaction once,
// in ascending order, and marks them as held by its thread (LockHeld); while marked, lock,
// try_lock and unlock called on that thread are no-ops, so the queued commands' handlers run
// unchanged (Keyspace::Lock, LockKeys, LockAll, lock_guard on mu) under the locks EXEC holds.
// Other threads see an ordinary mutex. The mark is written only by the thread that holds the
// mutex, so a thread reads its own token there only while it holds it.
class ShardMutex {
 public:
  void lock();
  bool try_lock() { return HeldHere() || mu_.try_lock(); }
  void unlock() {
    if (!HeldHere()) mu_.unlock();
  }
  // Locks for the calling thread until UnlockHeld (EXEC).
  void LockHeld();
  void UnlockHeld();
  bool HeldHere() const;

 private:
  std::mutex mu_;
  std::atomic<uint32_t> owner_{0};  // the holding thread's token while held by LockHeld, or 0
};

// A client's WATCH state as the shards see it: set when a key it watches changes.
struct WatchFlag {
  std::atomic<bool> dirty{false};
};

struct ShardStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t expired = 0;
};

class Shard {
 public:
  ShardMutex mu;

  // All members below require mu.

  // The live entry's link, or nullptr. An entry whose TTL has passed is deleted here (lazy
  // expiry) and counted as expired. Does not count hits/misses (see Lookup).
  Entry** Find(int db, const KeyRef& k, int64_t now_ms);
  // Find plus keyspace hit/miss accounting and an access (tier::Touch at clock lru), for read
  // commands.
  Entry** Lookup(int db, const KeyRef& k, int64_t now_ms, uint32_t lru);
  // Inserts a new entry (the key must not be live; an expired one must have been removed).
  // An entry whose access time is 0 gets the current LRU clock. While clients wait for keys of
  // this shard, the key is noted as ready (ThreadReadyKeys). touch_watch as for Update: false
  // only where Redis creates a key without signalling it (BITFIELD whose every write failed).
  void Insert(int db, Entry* e, bool touch_watch = true);
  // Unlinks and frees.
  void Delete(int db, Entry** link);
  // Delete for a key whose TTL has passed: counts it as expired and tells the ExpiredListener.
  void DeleteExpired(int db, Entry** link);
  // Unlinks without freeing (RENAME, MOVE); bookkeeping as for Delete. While clients wait for
  // keys of this shard, a stream's key is noted as ready (its XREADGROUP waiters learn it went).
  Entry* Take(int db, Entry** link);
  // Applies fn(Entry*) -> Entry* (which may reallocate the entry) and keeps the table link,
  // memory and TTL bookkeeping right. Returns the entry after fn.
  //
  // The watch rule (WATCH, engine/multi.h), Redis 7.0's signalModifiedKey: a key's watchers are
  // told when a command really changed the key, and only then (some commands count as a change
  // even when the value stays the same: SET, HSET, LSET, APPEND, INCRBY 0, as Redis signals
  // them). Delete, Take, Flush and SwapDbs always tell them. Update (and Insert) tell them by
  // default (touch_watch true), for a change that is certain. touch_watch false: they leave the
  // watchers alone and the caller calls SignalModified afterwards if and only if its command
  // changed the key; that is for writes that learn only inside fn whether they changed anything
  // (SADD of a member already there, ZADD of the same score, SETBIT to the bit it holds). A write
  // that finds beforehand that it changes nothing skips Update. The disk tier's offload and
  // read-back pass false and never signal: where a value lives is no change.
  template <typename Fn>
  Entry* Update(int db, Entry** link, Fn&& fn, bool touch_watch = true) {
    Entry* e = *link;
    if (touch_watch && !watches_.empty()) TouchWatched(db, e->key());
    size_t before = e->MemoryUsage();
    bool had_ttl = e->has_expire();
    Entry* n = fn(e);
    if (n != e) Table::Replace(link, n);
    AddUsed(db, int64_t(n->MemoryUsage()) - int64_t(before));
    if (had_ttl != n->has_expire()) volatile_[db] += n->has_expire() ? 1 : -1;
    return n;
  }

  Table& table(int db) { return tables_[db]; }
  size_t size(int db) const { return tables_[db].size(); }
  size_t volatile_keys(int db) const { return volatile_[db]; }
  // Entries plus bucket arrays, kept up to date by every change.
  size_t used_bytes() const;
  // The same, counted from scratch (tests check the bookkeeping against it).
  size_t RecountBytes() const;
  ShardStats& stats() { return stats_; }
  // Blocked clients queued on keys of this shard (engine/blocking.h keeps the queues).
  size_t waiters = 0;

  // Adds delta to db's entry bytes in this shard and to the process-wide figure.
  void AddUsed(int db, int64_t delta);
  // Brings the process-wide figure up to date with db's bucket arrays.
  void SyncOverhead(int db);

  // Removes and frees every entry of db. Inside a lazy LazyFreeScope, a table of many keys is
  // detached whole and freed on the background thread (FLUSHALL/FLUSHDB ASYNC), so the flush
  // costs the caller O(1) whatever the number of keys.
  void Flush(int db);
  // Exchanges the contents of two databases (SWAPDB).
  void SwapDbs(int a, int b);

  // WATCH (engine/multi.h): flag is set when db's key changes or goes (see Update's watch rule;
  // Insert, Take, Flush, SwapDbs: so also expiry and eviction); the watch is then forgotten.
  void Watch(int db, std::string_view key, std::shared_ptr<WatchFlag> flag);
  void Unwatch(int db, std::string_view key, const WatchFlag* flag);
  size_t watched_keys() const { return watches_.size(); }
  // Sets and forgets the flags of db's key's watchers.
  void TouchWatched(int db, std::string_view key);
  // Tells the key's watchers that the command changed it (see Update's watch rule): after an
  // Update with touch_watch false that did change the key, or a change made in place outside
  // Update (INCR's fast path, PFADD on a dense HyperLogLog).
  void SignalModified(int db, std::string_view key) {
    if (!watches_.empty()) TouchWatched(db, key);
  }

  // Active expiry: scans db tables that hold keys with a TTL from a saved cursor, deleting
  // expired keys, for at most budget_us. Returns the number deleted.
  size_t ActiveExpire(int64_t now_ms, int64_t budget_us);
  // Background rehash and shrink for at most budget_us.
  void Maintain(int64_t budget_us);

 private:
  Table tables_[kNumDbs];
  size_t volatile_[kNumDbs] = {};
  uint64_t expire_cursor_[kNumDbs] = {};
  int64_t used_[kNumDbs] = {};          // entry bytes per db (bucket arrays: OverheadBytes())
  size_t overhead_seen_[kNumDbs] = {};  // bucket array bytes last added to ApproxUsedBytes
  ShardStats stats_;
  // WATCHed keys: db byte + key -> the watchers' flags. Empty: every change path skips it with
  // one compare.
  std::unordered_map<std::string, std::vector<std::shared_ptr<WatchFlag>>> watches_;
};

// Takes a shard's mutex, spinning briefly first: shard locks are held for microseconds, so a
// thread that finds one taken (a key every client hits) is better off waiting a moment than
// sleeping in the kernel and being woken again.
void LockShardMutex(std::mutex& mu);
inline void LockShardMutex(ShardMutex& mu) { mu.lock(); }

// Locks a set of shards in ascending order; unlocks in the destructor.
class ShardLock {
 public:
  ShardLock(const ShardLock&) = delete;
  ShardLock& operator=(const ShardLock&) = delete;
  ~ShardLock();

 private:
  friend class Keyspace;
  ShardLock(class Keyspace& ks, const std::bitset<kNumShards>& set, bool held = false);
  class Keyspace& ks_;
  std::bitset<kNumShards> set_;
  bool held_;
};

class Keyspace {
 public:
  Keyspace() = default;
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  Shard& shard(unsigned i) { return shards_[i]; }
  Shard& shard(const KeyRef& k) { return shards_[k.shard]; }

  // Lock one key's shard / the shards of several keys / every shard.
  [[nodiscard]] std::unique_lock<ShardMutex> Lock(const KeyRef& k) {
    return std::unique_lock<ShardMutex>(shards_[k.shard].mu);
  }
  [[nodiscard]] ShardLock LockKeys(std::span<const KeyRef> keys);
  [[nodiscard]] ShardLock LockAll();
  // EXEC: locks the shards of set in ascending order and marks them held by this thread (see
  // ShardMutex) until the ShardLock goes: every lock of them on this thread meanwhile is a no-op.
  [[nodiscard]] ShardLock HoldShards(const std::bitset<kNumShards>& set);

  // Sums over shards, taking each shard's lock in turn.
  size_t DbSize(int db);
  size_t VolatileKeys(int db);
  size_t UsedBytes();
  ShardStats Stats();

  // The LRU clock (seconds), advanced by the engine's cron.
  uint32_t lru_clock() const { return LruClock(); }
  void set_lru_clock(uint32_t v) { SetLruClock(v); }

 private:
  friend class ShardLock;
  Shard shards_[kNumShards];
};

}  // namespace aegisr
