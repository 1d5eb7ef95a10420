// Blocked clients: their queues per key (under the key's shard lock), serving in arrival order,
// timeouts' parsing, CLIENT UNBLOCK. See engine/blocking.h for the threading rules.
#include "engine/blocking.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/numbers.h"
#include "engine/client.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "engine/multi.h"

namespace aegisr {
namespace {

constexpr std::string_view kTimeoutNotFloat = "ERR timeout is not a float or out of range";
constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";

// A queue's name: the database index as one byte, then the key.
std::string QueueKey(int db, std::string_view key) {
  std::string q;
  q.reserve(key.size() + 1);
  q.push_back(static_cast<char>(db));
  q.append(key);
  return q;
}

}  // namespace

std::string_view Blocking::ParseTimeout(std::string_view arg, int64_t now_ms,
                                        int64_t* deadline_ms) {
  long double seconds;
  if (!String2ld(arg, &seconds)) return kTimeoutNotFloat;
  // Milliseconds rounded up, as Redis's getTimeoutFromObjectOrReply. Redis converts to a long
  // long there; on x86 a value beyond its range (inf, 1e17 seconds) becomes LLONG_MIN, so
  // Redis 7.0 calls those negative too: we answer the same.
  long double ms = ceill(seconds * 1000.0L);
  constexpr long double kLimit = 9223372036854775808.0L;  // 2^63
  if (!(ms < kLimit) || ms < 0) return kTimeoutNegative;
  auto t = static_cast<int64_t>(ms);
  if (t == 0) {
    *deadline_ms = 0;  // no timeout ("0", and "-0.0001", which rounds up to 0)
  } else {
    *deadline_ms = t > std::numeric_limits<int64_t>::max() - now_ms
                       ? std::numeric_limits<int64_t>::max()
                       : now_ms + t;
  }
  return {};
}

void BlockClient(CommandContext& ctx, std::span<const std::string_view> args,
                 std::shared_ptr<BlockedClient> bc) {
  // Inside EXEC a blocking command does not block: it answers as if its timeout had passed,
  // except that BLMOVE and BRPOPLPUSH (the ones with a destination) give a null bulk there,
  // as Redis 7.0 does.
  if (InExec(ctx.client)) {
    if (!bc->extra_keys.empty()) return ctx.reply.Null();
    return bc->timeout_reply(ctx.reply);
  }
  bc->client_id = ctx.client.id;
  bc->thread = ctx.client.thread;
  bc->db = ctx.client.db.load(std::memory_order_relaxed);
  bc->args.assign(args.begin(), args.end());
  ctx.client.blocked = bc;
  ctx.client.is_blocked.store(true, std::memory_order_relaxed);
  ctx.engine.blocking().Block(std::move(bc));
}

void Blocking::Block(std::shared_ptr<BlockedClient> bc) {
  Keyspace& ks = engine_.keyspace();
  for (const std::string& key : bc->keys) {
    unsigned shard = KeyRef(key).shard;
    shards_[shard].queues[QueueKey(bc->db, key)].push_back(bc);
    ++ks.shard(shard).waiters;
  }
  std::lock_guard lk(mu_);
  by_id_[bc->client_id] = std::move(bc);
}

void Blocking::Forget(const std::shared_ptr<BlockedClient>& bc) {
  Keyspace& ks = engine_.keyspace();
  for (const std::string& key : bc->keys) {
    KeyRef k(key);
    auto lk = ks.Lock(k);
    auto& queues = shards_[k.shard].queues;
    auto it = queues.find(QueueKey(bc->db, key));
    if (it == queues.end()) continue;
    Queue& q = it->second;
    auto pos = std::find(q.begin(), q.end(), bc);
    if (pos == q.end()) continue;
    q.erase(pos);
    --ks.shard(k).waiters;
    if (q.empty()) queues.erase(it);
  }
  std::lock_guard lk(mu_);
  auto it = by_id_.find(bc->client_id);
  if (it != by_id_.end() && it->second == bc) by_id_.erase(it);
}

std::shared_ptr<BlockedClient> Blocking::Front(unsigned shard, const std::string& qkey,
                                               const ValueType* type) {
  auto& queues = shards_[shard].queues;
  auto it = queues.find(qkey);
  if (it == queues.end()) return nullptr;
  Queue& q = it->second;
  Shard& s = engine_.keyspace().shard(shard);
  // Clients that stopped waiting (timed out, unblocked, gone, served from another key) leave
  // their queues here or when their own thread forgets them, whichever comes first.
  while (!q.empty() && q.front()->state.load(std::memory_order_acquire) != BlockState::kWaiting) {
    q.pop_front();
    --s.waiters;
  }
  if (q.empty()) {
    queues.erase(it);
    return nullptr;
  }
  if (!type) return q.front();
  // The first waiting client that a value of this type serves: a waiter for another type
  // (XREAD on a key that is now a list) does not hold up those behind it.
  for (const auto& bc : q) {
    if (bc->type == *type && bc->state.load(std::memory_order_acquire) == BlockState::kWaiting)
      return bc;
  }
  return nullptr;
}

Blocking::Outcome Blocking::TryServe(const std::shared_ptr<BlockedClient>& bc, const KeyRef& k,
                                     int db, const std::string& qkey) {
  Shard& s = engine_.keyspace().shard(k);
  Entry** link = s.Find(db, k, Engine::NowMs());
  if (!link || (*link)->type != bc->type || (*link)->on_disk()) return Outcome::kNotReady;
  if (!bc->Claim(BlockState::kServed)) return Outcome::kSkipped;  // it stopped waiting just now
  bc->serve(engine_, *bc, k);
  // Served (or to be retried): it leaves this queue now, and its other queues when its thread
  // forgets it.
  auto& queues = shards_[k.shard].queues;
  if (auto it = queues.find(qkey); it != queues.end()) {
    Queue& q = it->second;
    if (auto pos = std::find(q.begin(), q.end(), bc); pos != q.end()) {
      q.erase(pos);
      --s.waiters;
    }
    if (q.empty()) queues.erase(it);
  }
  return Outcome::kServed;
}

void Blocking::ServeKey(int db, const std::string& key) {
  KeyRef k(key);
  Keyspace& ks = engine_.keyspace();
  const std::string qkey = QueueKey(db, key);
  bool stream = false, on_disk = false;
  {
    auto lk = ks.Lock(k);
    if (!Front(k.shard, qkey)) return;
    Entry** link = ks.shard(k).Find(db, k, Engine::NowMs());
    on_disk = link && (*link)->on_disk();
    stream = link && !on_disk && (*link)->type == ValueType::kStream;
  }
  if (!stream) ServeFirstComers(db, k, qkey);
  // Stream waiters: served from a stream, or (XREADGROUP) told that it went.
  if (!on_disk) ServeStreamKey(db, k, qkey);
}

void Blocking::ServeFirstComers(int db, const KeyRef& k, const std::string& qkey) {
  Keyspace& ks = engine_.keyspace();
  while (true) {
    std::shared_ptr<BlockedClient> bc;
    Outcome outcome = Outcome::kNotReady;
    ValueType type;
    {
      auto lk = ks.Lock(k);
      Entry** link = ks.shard(k).Find(db, k, Engine::NowMs());
      if (!link) return;
      type = (*link)->type;
      bc = Front(k.shard, qkey, &type);
      if (!bc) return;
      if (bc->extra_keys.empty()) outcome = TryServe(bc, k, db, qkey);
    }
    if (!bc->extra_keys.empty()) {
      // serve() touches other shards too: lock them all in order, then look again.
      std::vector<KeyRef> refs{k};
      for (const std::string& x : bc->extra_keys) refs.emplace_back(x);
      auto guard = ks.LockKeys(refs);
      if (Front(k.shard, qkey, &type) != bc) continue;  // the queue changed meanwhile
      outcome = TryServe(bc, k, db, qkey);
    }
    if (outcome == Outcome::kNotReady) return;
    if (outcome == Outcome::kServed) Wake(*bc);
  }
}

void Blocking::ServeStreamKey(int db, const KeyRef& k, const std::string& qkey) {
  Keyspace& ks = engine_.keyspace();
  Shard& s = ks.shard(k);
  // Who waits now. A client that blocks on this key after this point found, under the key's
  // lock and after the change that made it ready, nothing to read: it need not be offered it.
  std::vector<std::shared_ptr<BlockedClient>> waiting;
  {
    auto lk = ks.Lock(k);
    auto it = shards_[k.shard].queues.find(qkey);
    if (it == shards_[k.shard].queues.end()) return;
    for (const auto& bc : it->second) {
      if (bc->type == ValueType::kStream && bc->ready) waiting.push_back(bc);
    }
  }
  for (const std::shared_ptr<BlockedClient>& bc : waiting) {
    bool served = false;
    {
      std::vector<KeyRef> refs{k};
      for (const std::string& x : bc->extra_keys) refs.emplace_back(x);
      auto guard = ks.LockKeys(refs);
      if (bc->state.load(std::memory_order_acquire) != BlockState::kWaiting) continue;
      Entry** link = s.Find(db, k, Engine::NowMs());
      if (link && (*link)->on_disk()) return;
      if (!bc->ready(engine_, *bc, k)) continue;
      if (!bc->Claim(BlockState::kServed)) continue;  // it stopped waiting just now
      bc->serve(engine_, *bc, k);
      served = true;
      auto& queues = shards_[k.shard].queues;
      if (auto it = queues.find(qkey); it != queues.end()) {
        Queue& q = it->second;
        if (auto pos = std::find(q.begin(), q.end(), bc); pos != q.end()) {
          q.erase(pos);
          --s.waiters;
        }
        if (q.empty()) queues.erase(it);
      }
    }
    if (served) Wake(*bc);
  }
}

void Blocking::ServeReady() {
  std::vector<ReadyKey>& ready = ThreadReadyKeys();
  // Serving may make more keys ready (BLMOVE pushes to its destination): they are appended and
  // served in turn, so index, do not iterate.
  for (size_t i = 0; i < ready.size(); ++i) {
    ReadyKey r = ready[i];
    ServeKey(r.db, r.key);
  }
  ready.clear();
}

void Blocking::NoteAllReady(int db) {
  Keyspace& ks = engine_.keyspace();
  std::vector<ReadyKey>& ready = ThreadReadyKeys();
  for (unsigned i = 0; i < kNumShards; ++i) {
    std::lock_guard lk(ks.shard(i).mu);
    for (const auto& [qkey, q] : shards_[i].queues) {
      int qdb = static_cast<unsigned char>(qkey[0]);
      if (db < 0 || qdb == db) ready.push_back({qdb, qkey.substr(1)});
    }
  }
}

bool Blocking::Unblock(uint64_t id, bool with_error) {
  std::shared_ptr<BlockedClient> bc;
  {
    std::lock_guard lk(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return false;
    bc = it->second;
  }
  if (!bc->Claim(with_error ? BlockState::kUnblockedError : BlockState::kTimedOut)) return false;
  Wake(*bc);
  return true;
}

size_t Blocking::blocked_clients() const {
  std::lock_guard lk(mu_);
  return by_id_.size();
}

void Blocking::Wake(const BlockedClient& bc) {
  if (ServerControl* control = engine_.control()) control->WakeBlocked(bc.client_id, bc.thread);
}

void ReplyNullArray(ReplySink& sink) { sink.NullArray(); }

}  // namespace aegisr
