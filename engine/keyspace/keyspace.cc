// Shard bookkeeping (TTL counts, memory), lazy and active expiry, and ordered shard locking.
#include "engine/keyspace/keyspace.h"

#include <chrono>
#include <cstdlib>

#include "base/logging.h"
#include "engine/keyspace/lazy_free.h"
#include "tier/access.h"

namespace aegisr {
namespace {
std::atomic<uint32_t> g_lru_clock{0};
std::atomic<int64_t> g_lfu_log_factor{10};
std::atomic<tier::EvictionPolicy*> g_access_listener{nullptr};
std::atomic<ExpiredListener> g_miss_listener{nullptr};  // keymiss notifications
std::atomic<int64_t> g_lfu_decay_time{1};
std::atomic<bool> g_lazy_expire{false};

// Keyspace bytes, process-wide: each thread adds its changes to a thread-local delta and
// publishes it once it exceeds kUsedSlack, so the hot path touches no shared cache line and
// the global figure is off by at most kUsedSlack per other thread.
constexpr int64_t kUsedSlack = 16 * 1024;
std::atomic<int64_t> g_used_bytes{0};
thread_local int64_t t_used_delta = 0;

inline void NoteUsed(int64_t delta) {
  t_used_delta += delta;
  if (t_used_delta > kUsedSlack || t_used_delta < -kUsedSlack) {
    g_used_bytes.fetch_add(t_used_delta, std::memory_order_relaxed);
    t_used_delta = 0;
  }
}
}  // namespace

uint32_t LruClock() { return g_lru_clock.load(std::memory_order_relaxed); }
void SetLruClock(uint32_t v) { g_lru_clock.store(v & tier::kClockMask, std::memory_order_relaxed); }

void SetAccessListener(tier::EvictionPolicy* policy) {
  g_access_listener.store(policy, std::memory_order_release);
}

tier::LfuParams LfuParams() {
  return {g_lfu_log_factor.load(std::memory_order_relaxed),
          g_lfu_decay_time.load(std::memory_order_relaxed)};
}
void SetLfuParams(int64_t log_factor, int64_t decay_time) {
  g_lfu_log_factor.store(log_factor, std::memory_order_relaxed);
  g_lfu_decay_time.store(decay_time, std::memory_order_relaxed);
}

void SetLazyFreeExpire(bool lazy) { g_lazy_expire.store(lazy, std::memory_order_relaxed); }

int64_t ApproxUsedBytes() {
  if (t_used_delta != 0) {  // our own changes are exact; other threads' are within the slack
    g_used_bytes.fetch_add(t_used_delta, std::memory_order_relaxed);
    t_used_delta = 0;
  }
  return std::max<int64_t>(0, g_used_bytes.load(std::memory_order_relaxed));
}

void Shard::AddUsed(int db, int64_t delta) {
  used_[db] += delta;
  NoteUsed(delta);
}

// Bucket arrays change size inside the table (growth on insert, the end of a rehash on any
// access, shrinking in Maintain): the process-wide figure follows them here.
void Shard::SyncOverhead(int db) {
  size_t now = tables_[db].OverheadBytes();
  if (now != overhead_seen_[db]) {
    NoteUsed(int64_t(now) - int64_t(overhead_seen_[db]));
    overhead_seen_[db] = now;
  }
}

Entry** Shard::Find(int db, const KeyRef& k, int64_t now_ms) {
  Entry** link = tables_[db].FindLink(k.key, k.hash);
  SyncOverhead(db);
  if (!link) return nullptr;
  Entry* e = *link;
  // Redis: a key is expired when now > expire time (keyIsExpired in db.c).
  if (e->has_expire() && now_ms > e->expire_at()) {
    LazyFreeScope lazy(g_lazy_expire.load(std::memory_order_relaxed));
    DeleteExpired(db, link);
    return nullptr;
  }
  return link;
}

Entry** Shard::Lookup(int db, const KeyRef& k, int64_t now_ms, uint32_t lru) {
  Entry** link = Find(db, k, now_ms);
  if (link) {
    ++stats_.hits;
    (*link)->access = tier::Touch((*link)->access, lru, LfuParams());
    if (auto* p = g_access_listener.load(std::memory_order_acquire))
      p->OnHit(GhostHash(k.hash, db));
  } else {
    ++stats_.misses;
    if (auto* p = g_access_listener.load(std::memory_order_acquire))
      p->OnMiss(GhostHash(k.hash, db));
    if (ExpiredListener fn = g_miss_listener.load(std::memory_order_acquire)) fn(db, k.key);
  }
  return link;
}

std::vector<ReadyKey>& ThreadReadyKeys() {
  thread_local std::vector<ReadyKey> ready;
  return ready;
}

namespace {
std::atomic<ExpiredListener> g_new_listener{nullptr};
}  // namespace

static thread_local bool t_overwrite = false;

void SetNewKeyListener(ExpiredListener fn) { g_new_listener.store(fn, std::memory_order_release); }

void SetKeyMissListener(ExpiredListener fn) {
  g_miss_listener.store(fn, std::memory_order_release);
}

OverwriteScope::OverwriteScope(bool on) : prev_(t_overwrite) { t_overwrite = t_overwrite || on; }
OverwriteScope::~OverwriteScope() { t_overwrite = prev_; }

void Shard::Insert(int db, Entry* e, bool touch_watch) {
  if (touch_watch && !watches_.empty()) TouchWatched(db, e->key());
  if (waiters > 0) ThreadReadyKeys().push_back({db, std::string(e->key())});
  if (e->access == 0) e->access = tier::NewAccess(LruClock());
  if (e->has_expire()) ++volatile_[db];
  tables_[db].Insert(e);
  if (e->enc == Encoding::kObject) {
    if (const ObjectOps* ops = GetObjectOps(e->type); ops->inserted) ops->inserted(e, db);
  }
  AddUsed(db, int64_t(e->MemoryUsage()));
  SyncOverhead(db);
  if (ExpiredListener fn = g_new_listener.load(std::memory_order_acquire); fn && !t_overwrite)
    fn(db, e->key());
}

Entry* Shard::Take(int db, Entry** link) {
  Entry* e = tables_[db].Unlink(link);
  if (!watches_.empty()) TouchWatched(db, e->key());
  // A stream that goes away ends its XREADGROUP waiters' wait (engine/blocking.h "Streams").
  if (waiters > 0 && e->type == ValueType::kStream)
    ThreadReadyKeys().push_back({db, std::string(e->key())});
  AddUsed(db, -int64_t(e->MemoryUsage()));
  SyncOverhead(db);
  if (e->has_expire()) --volatile_[db];
  return e;
}

void Shard::Delete(int db, Entry** link) { FreeEntry(Take(db, link)); }

namespace {
std::atomic<ExpiredListener> g_expired_listener{nullptr};
}  // namespace

void SetExpiredListener(ExpiredListener fn) {
  g_expired_listener.store(fn, std::memory_order_release);
}

void Shard::DeleteExpired(int db, Entry** link) {
  ExpiredListener fn = g_expired_listener.load(std::memory_order_acquire);
  ++stats_.expired;
  if (!fn) {
    Delete(db, link);
    return;
  }
  // The key's bytes go with the entry; the event is raised after the delete, as Redis does.
  thread_local std::string key;
  key.assign((*link)->key());
  Delete(db, link);
  fn(db, key);
}

size_t Shard::used_bytes() const {
  size_t n = 0;
  for (int db = 0; db < kNumDbs; ++db) {
    n += used_[db] > 0 ? size_t(used_[db]) : 0;
    n += tables_[db].OverheadBytes();
  }
  return n;
}

size_t Shard::RecountBytes() const {
  size_t n = 0;
  for (const auto& t : tables_) {
    t.ForEach([&](Entry* e) { n += e->MemoryUsage(); });
    n += t.OverheadBytes();
  }
  return n;
}

namespace {
std::string WatchKey(int db, std::string_view key) {
  std::string k(1, char(db));
  k.append(key);
  return k;
}
}  // namespace

void Shard::Watch(int db, std::string_view key, std::shared_ptr<WatchFlag> flag) {
  auto& v = watches_[WatchKey(db, key)];
  for (const auto& f : v)
    if (f == flag) return;
  v.push_back(std::move(flag));
}

void Shard::Unwatch(int db, std::string_view key, const WatchFlag* flag) {
  auto it = watches_.find(WatchKey(db, key));
  if (it == watches_.end()) return;
  auto& v = it->second;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].get() != flag) continue;
    v[i] = std::move(v.back());
    v.pop_back();
    break;
  }
  if (v.empty()) watches_.erase(it);
}

void Shard::TouchWatched(int db, std::string_view key) {
  auto it = watches_.find(WatchKey(db, key));
  if (it == watches_.end()) return;
  for (const auto& f : it->second) f->dirty.store(true, std::memory_order_relaxed);
  watches_.erase(it);
}

// Redis 7.0 (touchAllWatchedKeysInDb): a flush or swap changes a watched key only if the key
// existed in the database emptied, or exists (unexpired) in the one that replaces it.
namespace {
void TouchDbWatchers(
    std::unordered_map<std::string, std::vector<std::shared_ptr<WatchFlag>>>& watches, int db,
    Table& emptied, Table* replaced_with) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (auto it = watches.begin(); it != watches.end();) {
    if (it->first.empty() || it->first[0] != char(db)) {
      ++it;
      continue;
    }
    std::string_view key = std::string_view(it->first).substr(1);
    uint32_t hash = static_cast<uint32_t>(HashBytes(key));
    bool changed = emptied.Find(key, hash) != nullptr;
    if (!changed && replaced_with) {
      Entry* e = replaced_with->Find(key, hash);
      changed = e && !(e->has_expire() && now_ms > e->expire_at());
    }
    if (!changed) {
      ++it;
      continue;
    }
    for (const auto& f : it->second) f->dirty.store(true, std::memory_order_relaxed);
    it = watches.erase(it);
  }
}
}  // namespace

void Shard::Flush(int db) {
  if (!watches_.empty()) TouchDbWatchers(watches_, db, tables_[db], nullptr);
  if (LazyFreeActive() && tables_[db].size() >= kLazyFreeMinEffort) {
    auto* detached = new Table();
    detached->Swap(tables_[db]);
    FreeLater([](void* t) { delete static_cast<Table*>(t); }, detached, detached->size());
  } else {
    tables_[db].Clear();
  }
  AddUsed(db, -used_[db]);
  SyncOverhead(db);
  volatile_[db] = 0;
  expire_cursor_[db] = 0;
}

void Shard::SwapDbs(int a, int b) {
  if (!watches_.empty() && a != b) {
    TouchDbWatchers(watches_, a, tables_[a], &tables_[b]);
    TouchDbWatchers(watches_, b, tables_[b], &tables_[a]);
  }
  tables_[a].Swap(tables_[b]);
  std::swap(used_[a], used_[b]);
  std::swap(volatile_[a], volatile_[b]);
  std::swap(expire_cursor_[a], expire_cursor_[b]);
  std::swap(overhead_seen_[a], overhead_seen_[b]);
}

size_t Shard::ActiveExpire(int64_t now_ms, int64_t budget_us) {
  auto start = std::chrono::steady_clock::now();
  LazyFreeScope lazy(g_lazy_expire.load(std::memory_order_relaxed));
  size_t deleted = 0;
  for (int db = 0; db < kNumDbs; ++db) {
    if (volatile_[db] == 0) continue;
    Table& t = tables_[db];
    uint64_t cursor = expire_cursor_[db];
    int steps = 0;
    do {
      cursor = t.Scan(cursor, [&](Entry** link) {
        Entry* e = *link;
        if (e->has_expire() && now_ms > e->expire_at()) {
          DeleteExpired(db, link);
          ++deleted;
        }
      });
      if (++steps % 64 == 0) {
        auto el = std::chrono::steady_clock::now() - start;
        if (std::chrono::duration_cast<std::chrono::microseconds>(el).count() >= budget_us) {
          expire_cursor_[db] = cursor;
          return deleted;
        }
      }
    } while (cursor != 0 && volatile_[db] > 0);
    expire_cursor_[db] = cursor;
  }
  return deleted;
}

void Shard::Maintain(int64_t budget_us) {
  for (int db = 0; db < kNumDbs; ++db) {
    tables_[db].RehashFor(budget_us / kNumDbs + 1);
    SyncOverhead(db);
  }
}

namespace {
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}
}  // namespace

// At most 512 pause instructions (some microseconds) before sleeping. Measured with every
// client on one sorted set (redis-benchmark zadd -P 16, 2 loop threads): 235k ZADD/s spinning,
// 195k sleeping at once (Redis 204-209k in the same runs); without contention a lock is taken
// by the first try_lock.
void LockShardMutex(std::mutex& mu) {
  for (int i = 0; i < 64; ++i) {
    if (mu.try_lock()) return;
    for (int j = 0; j < 8; ++j) CpuRelax();
  }
  mu.lock();
}

namespace {
// A small number naming the calling thread (never 0), for ShardMutex's held mark.
uint32_t ThreadToken() {
  static std::atomic<uint32_t> next{1};
  thread_local uint32_t token = next.fetch_add(1, std::memory_order_relaxed);
  return token;
}
}  // namespace

// Shards this thread holds through LockHeld. A lock of any other shard meanwhile would be taken
// out of the global order (EXEC took its set first): a command whose keys EXEC did not know.
static thread_local int t_held_shards = 0;

// Not held by EXEC (the usual case): one relaxed load, no thread-local access.
bool ShardMutex::HeldHere() const {
  uint32_t owner = owner_.load(std::memory_order_relaxed);
  return owner != 0 && owner == ThreadToken();
}

void ShardMutex::lock() {
  if (HeldHere()) return;
  DCHECK(t_held_shards == 0 && "a shard outside EXEC's set locked inside EXEC");
  LockShardMutex(mu_);
}

void ShardMutex::LockHeld() {
  LockShardMutex(mu_);
  owner_.store(ThreadToken(), std::memory_order_relaxed);
  ++t_held_shards;
}

void ShardMutex::UnlockHeld() {
  --t_held_shards;
  owner_.store(0, std::memory_order_relaxed);
  mu_.unlock();
}

// The set bits are visited with _Find_first/_Find_next (word at a time), not bit by bit: a
// transaction of a few keys would otherwise pay for 256 tests on the way in and out.
ShardLock::ShardLock(Keyspace& ks, const std::bitset<kNumShards>& set, bool held)
    : ks_(ks), set_(set), held_(held) {
  for (size_t i = set_._Find_first(); i < kNumShards; i = set_._Find_next(i)) {
    if (held_)
      ks_.shards_[i].mu.LockHeld();
    else
      ks_.shards_[i].mu.lock();
  }
}

// Unlock order does not matter for deadlock freedom (only the lock order does).
ShardLock::~ShardLock() {
  for (size_t i = set_._Find_first(); i < kNumShards; i = set_._Find_next(i)) {
    if (held_)
      ks_.shards_[i].mu.UnlockHeld();
    else
      ks_.shards_[i].mu.unlock();
  }
}

ShardLock Keyspace::HoldShards(const std::bitset<kNumShards>& set) {
  return ShardLock(*this, set, true);
}

ShardLock Keyspace::LockKeys(std::span<const KeyRef> keys) {
  std::bitset<kNumShards> set;
  for (const auto& k : keys) set.set(k.shard);
  return ShardLock(*this, set);
}

ShardLock Keyspace::LockAll() {
  std::bitset<kNumShards> set;
  set.set();
  return ShardLock(*this, set);
}

size_t Keyspace::DbSize(int db) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lk(s.mu);
    n += s.size(db);
  }
  return n;
}

size_t Keyspace::VolatileKeys(int db) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lk(s.mu);
    n += s.volatile_keys(db);
  }
  return n;
}

size_t Keyspace::UsedBytes() {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lk(s.mu);
    n += s.used_bytes();
  }
  return n;
}

ShardStats Keyspace::Stats() {
  ShardStats total;
  for (auto& s : shards_) {
    std::lock_guard lk(s.mu);
    total.hits += s.stats().hits;
    total.misses += s.stats().misses;
    total.expired += s.stats().expired;
  }
  return total;
}

}  // namespace aegisr
