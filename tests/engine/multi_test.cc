// Unit tests of transactions: the shards' watch registry (every change path sets the watchers'
// flag; moves to and from the disk tier do not; writes that change nothing do not, as in Redis
// 7.0), ShardMutex's held mode (EXEC's locks are
// no-ops for its own thread and real for others), and MULTI/EXEC/WATCH through Dispatch.
#include "engine/multi.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "engine/keyspace/keyspace.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

class WatchRegistryTest : public ::testing::Test {
 protected:
  void Put(int db, std::string_view key, std::string_view value, int64_t expire_at = 0) {
    KeyRef k(key);
    Entry* e = NewStringEntry(k.key, k.hash, value);
    if (expire_at) e = SetExpire(e, expire_at);
    s_.Insert(db, e);
  }
  std::shared_ptr<WatchFlag> WatchKey(int db, std::string_view key) {
    auto f = std::make_shared<WatchFlag>();
    s_.Watch(db, key, f);
    return f;
  }
  Shard s_;
};

TEST_F(WatchRegistryTest, InsertOfTheWatchedKeySetsTheFlag) {
  auto f = WatchKey(0, "a");
  Put(0, "b", "x");
  Put(1, "a", "x");  // another database
  EXPECT_FALSE(f->dirty);
  Put(0, "a", "x");
  EXPECT_TRUE(f->dirty);
  EXPECT_EQ(s_.watched_keys(), 0u);  // a touched key's watchers are forgotten
}

TEST_F(WatchRegistryTest, UpdateAndDeleteSetTheFlag) {
  Put(0, "a", "1");
  auto f = WatchKey(0, "a");
  auto g = WatchKey(0, "a");
  KeyRef k("a");
  s_.Update(0, s_.Find(0, k, kNow), [](Entry* e) { return e; });
  EXPECT_TRUE(f->dirty);
  EXPECT_TRUE(g->dirty);
  auto h = WatchKey(0, "a");
  s_.Delete(0, s_.Find(0, k, kNow));
  EXPECT_TRUE(h->dirty);
}

TEST_F(WatchRegistryTest, TierMovesDoNotSetTheFlag) {
  Put(0, "a", "1");
  auto f = WatchKey(0, "a");
  KeyRef k("a");
  s_.Update(
      0, s_.Find(0, k, kNow), [](Entry* e) { return e; }, /*touch_watch=*/false);
  EXPECT_FALSE(f->dirty);
  EXPECT_EQ(s_.watched_keys(), 1u);
}

TEST_F(WatchRegistryTest, UpdateLeftToTheCallerSetsTheFlagOnlyWhenSignalled) {
  Put(0, "a", "1");
  auto f = WatchKey(0, "a");
  KeyRef k("a");
  // A change that grows the entry, with the watchers left to the caller: memory is still
  // counted, the flag stays clear until SignalModified.
  s_.Update(
      0, s_.Find(0, k, kNow), [](Entry* e) { return SetStringValue(e, std::string(300, 'x')); },
      /*touch_watch=*/false);
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
  EXPECT_FALSE(f->dirty);
  s_.SignalModified(1, "a");  // another database
  EXPECT_FALSE(f->dirty);
  s_.SignalModified(0, "a");
  EXPECT_TRUE(f->dirty);
  EXPECT_EQ(s_.watched_keys(), 0u);
}

TEST_F(WatchRegistryTest, InsertWithoutTouchLeavesTheFlag) {
  auto f = WatchKey(0, "a");
  KeyRef k("a");
  s_.Insert(0, NewStringEntry(k.key, k.hash, "x"), /*touch_watch=*/false);
  EXPECT_FALSE(f->dirty);
  EXPECT_EQ(s_.used_bytes(), s_.RecountBytes());
}

TEST_F(WatchRegistryTest, ExpiryOnLookupSetsTheFlag) {
  Put(0, "a", "1", kNow + 10);
  auto f = WatchKey(0, "a");
  EXPECT_NE(s_.Find(0, KeyRef("a"), kNow), nullptr);
  EXPECT_FALSE(f->dirty);
  EXPECT_EQ(s_.Find(0, KeyRef("a"), kNow + 11), nullptr);
  EXPECT_TRUE(f->dirty);
}

TEST_F(WatchRegistryTest, ActiveExpirySetsTheFlag) {
  Put(0, "a", "1", kNow + 10);
  auto f = WatchKey(0, "a");
  EXPECT_EQ(s_.ActiveExpire(kNow + 11, 1000), 1u);
  EXPECT_TRUE(f->dirty);
}

TEST_F(WatchRegistryTest, UnwatchedKeyChangesNothing) {
  auto f = WatchKey(0, "a");
  s_.Unwatch(0, "a", f.get());
  EXPECT_EQ(s_.watched_keys(), 0u);
  Put(0, "a", "1");
  EXPECT_FALSE(f->dirty);
}

TEST_F(WatchRegistryTest, FlushSetsTheFlagOnlyOfKeysThatExisted) {
  Put(0, "a", "1");
  auto present = WatchKey(0, "a");
  auto missing = WatchKey(0, "nokey");
  auto other_db = WatchKey(1, "a");
  s_.Flush(0);
  EXPECT_TRUE(present->dirty);
  EXPECT_FALSE(missing->dirty);
  EXPECT_FALSE(other_db->dirty);
  EXPECT_EQ(s_.watched_keys(), 2u);
}

TEST_F(WatchRegistryTest, SwapDbsSetsTheFlagOfKeysInEitherDb) {
  Put(1, "in1", "x");
  Put(0, "in0", "x");
  Put(1, "expired", "x", 1);  // long expired: swapping it in changes nothing logically
  auto a = WatchKey(0, "in1");
  auto b = WatchKey(0, "in0");
  auto c = WatchKey(0, "nowhere");
  auto d = WatchKey(0, "expired");
  s_.SwapDbs(0, 1);
  EXPECT_TRUE(a->dirty);
  EXPECT_TRUE(b->dirty);
  EXPECT_FALSE(c->dirty);
  EXPECT_FALSE(d->dirty);
  s_.SwapDbs(2, 3);
  EXPECT_FALSE(c->dirty);
}

TEST(ShardMutexTest, HeldShardsAreNoOpsForTheHolderAndLockedForOthers) {
  auto ks = std::make_unique<Keyspace>();
  KeyRef k("somekey");
  std::bitset<kNumShards> set;
  set.set(k.shard);
  {
    ShardLock held = ks->HoldShards(set);
    {
      auto lk = ks->Lock(k);  // would self-deadlock on a plain mutex
      std::lock_guard g(ks->shard(k).mu);
      KeyRef keys[] = {k};
      ShardLock again = ks->LockKeys(keys);
      EXPECT_TRUE(ks->shard(k).mu.HeldHere());
    }
    EXPECT_TRUE(ks->shard(k).mu.HeldHere());  // the handlers' unlocks released nothing
    std::atomic<bool> other_got{true};
    std::thread t([&] {
      other_got = ks->shard(k).mu.try_lock();
      if (other_got) ks->shard(k).mu.unlock();
    });
    t.join();
    EXPECT_FALSE(other_got);
  }
  EXPECT_FALSE(ks->shard(k).mu.HeldHere());
  std::atomic<bool> other_got{false};
  std::thread t([&] {
    other_got = ks->shard(k).mu.try_lock();
    if (other_got) ks->shard(k).mu.unlock();
  });
  t.join();
  EXPECT_TRUE(other_got);
}

class MultiTest : public EngineFixture {};

TEST_F(MultiTest, ExecRunsTheQueueAndForgetsTheWatches) {
  EXPECT_EQ(Run({"WATCH", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(Run({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"INCR", "a"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"KEYS", "*"}), "+QUEUED\r\n");  // every shard held for this one
  EXPECT_EQ(Run({"EXEC"}), "*3\r\n+OK\r\n:2\r\n*1\r\n$1\r\na\r\n");
  size_t watched = 0;
  for (unsigned i = 0; i < kNumShards; ++i) watched += engine_.keyspace().shard(i).watched_keys();
  EXPECT_EQ(watched, 0u);
  for (unsigned i = 0; i < kNumShards; ++i) EXPECT_FALSE(engine_.keyspace().shard(i).mu.HeldHere());
}

TEST_F(MultiTest, WatchedKeyChangedAbortsWithANullArray) {
  Run({"SET", "a", "1"});
  Run({"WATCH", "a"});
  Run({"SET", "a", "2"});
  Run({"MULTI"});
  Run({"SET", "a", "3"});
  EXPECT_EQ(Run({"EXEC"}, 2), "*-1\r\n");
  EXPECT_EQ(Run({"GET", "a"}), "$1\r\n2\r\n");
  Run({"WATCH", "a"});
  Run({"DEL", "a"});
  Run({"MULTI"});
  EXPECT_EQ(Run({"EXEC"}, 3), "_\r\n");
}

// Runs change after WATCH k, then MULTI PING EXEC: whether EXEC aborted.
class WatchRuleTest : public EngineFixture {
 protected:
  bool Aborts(std::vector<std::vector<std::string_view>> setup,
              std::vector<std::string_view> change) {
    Run({"FLUSHALL"});
    for (auto& c : setup) Run(c);
    Run({"WATCH", "k"});
    Run(change);
    Run({"MULTI"});
    Run({"PING"});
    std::string exec = Run({"EXEC"});
    EXPECT_TRUE(exec == "*-1\r\n" || exec == "*1\r\n+PONG\r\n") << exec;
    return exec == "*-1\r\n";
  }
};

TEST_F(WatchRuleTest, WritesThatChangeNothingKeepTheWatch) {
  EXPECT_FALSE(Aborts({{"SADD", "k", "a"}}, {"SADD", "k", "a"}));
  EXPECT_FALSE(Aborts({{"SADD", "k", "a"}}, {"SREM", "k", "b"}));
  EXPECT_FALSE(Aborts({{"SADD", "k", "a"}}, {"SMOVE", "s", "k", "a"}));
  EXPECT_FALSE(Aborts({{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "1", "a"}));
  EXPECT_FALSE(Aborts({{"ZADD", "k", "1", "a"}}, {"ZINCRBY", "k", "0", "a"}));
  EXPECT_FALSE(Aborts({{"ZADD", "k", "1", "a"}}, {"ZREM", "k", "b"}));
  EXPECT_FALSE(Aborts({{"GEOADD", "k", "1", "1", "p"}}, {"GEOADD", "k", "1", "1", "p"}));
  EXPECT_FALSE(Aborts({{"SET", "k", "a"}}, {"SETBIT", "k", "1", "1"}));
  EXPECT_FALSE(Aborts({{"SET", "k", "a"}}, {"BITFIELD", "k", "SET", "u8", "0", "97"}));
  EXPECT_FALSE(Aborts({{"SET", "k", "a"}}, {"BITFIELD", "k", "INCRBY", "u8", "0", "0"}));
  // OVERFLOW FAIL writes nothing, though the key is created (Redis signals neither).
  EXPECT_FALSE(Aborts({}, {"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5"}));
  EXPECT_EQ(Run({"EXISTS", "k"}), ":1\r\n");
  EXPECT_FALSE(Aborts({{"PFADD", "k", "a"}}, {"PFADD", "k", "a"}));
  EXPECT_FALSE(Aborts({{"PFADD", "k", "a"}, {"PFDEBUG", "TODENSE", "k"}}, {"PFADD", "k", "a"}));
  EXPECT_FALSE(Aborts({{"PFADD", "k", "a"}, {"PFCOUNT", "k"}}, {"PFCOUNT", "k"}));
  EXPECT_FALSE(Aborts({{"XADD", "k", "1-1", "f", "v"}}, {"XTRIM", "k", "MAXLEN", "5"}));
  EXPECT_FALSE(Aborts({{"XADD", "k", "1-1", "f", "v"}}, {"XSETID", "k", "5-0"}));
  EXPECT_FALSE(Aborts({{"XADD", "k", "1-1", "f", "v"}}, {"XGROUP", "CREATE", "k", "g", "0"}));
  EXPECT_FALSE(Aborts({{"XADD", "k", "1-1", "f", "v"}, {"XGROUP", "CREATE", "k", "g", "0"}},
                      {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"}));
  // Field TTLs (Redis 7.4's rule): nothing set, nothing deleted.
  EXPECT_FALSE(Aborts({{"HSET", "k", "f", "v"}}, {"HEXPIRE", "k", "100", "FIELDS", "1", "g"}));
  EXPECT_FALSE(Aborts({{"HSET", "k", "f", "v"}, {"HEXPIRE", "k", "100", "FIELDS", "1", "f"}},
                      {"HEXPIRE", "k", "200", "NX", "FIELDS", "1", "f"}));
  EXPECT_FALSE(Aborts({{"HSET", "k", "f", "v"}}, {"HPERSIST", "k", "FIELDS", "1", "f"}));
}

TEST_F(WatchRuleTest, FieldTtlChangesAbort) {
  EXPECT_TRUE(Aborts({{"HSET", "k", "f", "v"}}, {"HEXPIRE", "k", "100", "FIELDS", "1", "f"}));
  EXPECT_TRUE(Aborts({{"HSET", "k", "f", "v", "g", "w"}},
                     {"HPEXPIREAT", "k", "1", "FIELDS", "1", "f"}));  // deleted, one left
  EXPECT_TRUE(Aborts({{"HSET", "k", "f", "v"}}, {"HPEXPIREAT", "k", "1", "FIELDS", "1", "f"}));
  EXPECT_TRUE(Aborts({{"HSET", "k", "f", "v"}, {"HEXPIRE", "k", "100", "FIELDS", "1", "f"}},
                     {"HPERSIST", "k", "FIELDS", "1", "f"}));
}

TEST_F(WatchRuleTest, RealChangesAndAlwaysSignallingWritesAbort) {
  EXPECT_TRUE(Aborts({{"SADD", "k", "a"}}, {"SADD", "k", "b"}));
  EXPECT_TRUE(Aborts({{"ZADD", "k", "1", "a"}}, {"ZADD", "k", "2", "a"}));
  EXPECT_TRUE(Aborts({{"SET", "k", "a"}}, {"SETBIT", "k", "1", "0"}));
  EXPECT_TRUE(Aborts({{"SET", "k", "a"}}, {"SETBIT", "k", "100", "0"}));  // grows
  EXPECT_TRUE(Aborts({{"PFADD", "k", "a"}}, {"PFADD", "k", "b"}));
  // A dense value changes in place, outside Shard::Update.
  EXPECT_TRUE(Aborts({{"PFADD", "k", "a"}, {"PFDEBUG", "TODENSE", "k"}}, {"PFADD", "k", "b"}));
  EXPECT_TRUE(Aborts({{"PFADD", "k", "a"}}, {"PFCOUNT", "k"}));  // caches the count
  EXPECT_TRUE(Aborts({{"XADD", "k", "1-1", "f", "v"}}, {"XTRIM", "k", "MAXLEN", "0"}));
  EXPECT_TRUE(Aborts({}, {"XGROUP", "CREATE", "k", "g", "0", "MKSTREAM"}));
  // Redis signals these even when the value stays the same.
  EXPECT_TRUE(Aborts({{"SET", "k", "a"}}, {"SET", "k", "a"}));
  EXPECT_TRUE(Aborts({{"HSET", "k", "f", "v"}}, {"HSET", "k", "f", "v"}));
  EXPECT_TRUE(Aborts({{"RPUSH", "k", "a"}}, {"LSET", "k", "0", "a"}));
  EXPECT_TRUE(Aborts({{"SET", "k", "1"}}, {"INCRBY", "k", "0"}));
  EXPECT_TRUE(Aborts({{"PFADD", "k", "a"}}, {"PFMERGE", "k"}));
}

TEST_F(MultiTest, QueueTimeErrorsAbortExec) {
  Run({"MULTI"});
  EXPECT_EQ(Run({"SET", "a"}), "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+QUEUED\r\n");
  EXPECT_EQ(Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.\r\n");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI\r\n");
}

TEST_F(MultiTest, CommandStatsCountWhatExecRan) {
  const CommandSpec* incr = engine_.commands().Find("incr");
  auto calls = [&] {
    uint64_t n = 0;
    for (const auto& st : engine_.all_thread_stats()) n += st->per_command[incr->id].calls.load();
    return n;
  };
  uint64_t before = calls();
  Run({"MULTI"});
  Run({"INCR", "n"});
  Run({"INCR", "n"});
  EXPECT_EQ(calls(), before);  // queued, not run
  Run({"EXEC"});
  EXPECT_EQ(calls(), before + 2);
}

TEST_F(MultiTest, BlockingCommandsInsideExecDoNotBlock) {
  Run({"MULTI"});
  Run({"BLPOP", "nolist", "0"});
  Run({"BLMOVE", "nolist", "dst", "LEFT", "LEFT", "0"});
  EXPECT_EQ(Run({"EXEC"}), "*2\r\n*-1\r\n$-1\r\n");
  EXPECT_FALSE(client_.blocked);
}

}  // namespace
}  // namespace aegisr
