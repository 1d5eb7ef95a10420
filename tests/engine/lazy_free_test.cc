// Unit tests of lazy freeing (engine/keyspace/lazy_free.h) through Engine::Dispatch: which
// deletions hand a large value to the background thread (UNLINK, FLUSH* ASYNC, and DEL,
// overwrites, expiry, FLUSH* as the lazyfree-lazy-* knobs say), that small values are freed at
// once, and that everything handed off is freed.

#include "engine/keyspace/lazy_free.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/keyspace/keyspace.h"
#include "net/resp_writer.h"

namespace aegisr {
namespace {

class LazyFreeTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string_view> args) {
    RespWriter w(2);
    engine_.Dispatch(client_, w, args);
    return w.buffer();
  }
  // A list of 200,000 elements: about 250 nodes, above kLazyFreeMinEffort.
  void MakeBig(std::string_view key) {
    std::vector<std::string> elems;
    for (int i = 0; i < 1000; ++i) elems.push_back("element-number-" + std::to_string(i));
    std::vector<std::string_view> cmd = {"RPUSH", key};
    for (const auto& e : elems) cmd.push_back(e);
    for (int i = 0; i < 200; ++i) Run(cmd);
  }
  // Objects the background thread freed since the last call.
  uint64_t FreedInBackground() {
    LazyFreeDrain();
    uint64_t now = LazyFreedObjects();
    uint64_t d = now - seen_;
    seen_ = now;
    return d;
  }
  void Set(std::string_view knob, std::string_view v) {
    ASSERT_EQ(Run({"CONFIG", "SET", knob, v}), "+OK\r\n");
  }

  Config config_;
  Engine engine_{&config_};
  ClientState client_;
  uint64_t seen_ = LazyFreedObjects();
};

TEST_F(LazyFreeTest, UnlinkFreesLargeValuesInTheBackgroundAndSmallOnesAtOnce) {
  MakeBig("big");
  Run({"RPUSH", "small", "a", "b"});
  EXPECT_EQ(Run({"UNLINK", "big", "small"}), ":2\r\n");
  EXPECT_EQ(FreedInBackground(), 1u);
  EXPECT_EQ(LazyFreePending(), 0u);
  MakeBig("big");
  EXPECT_EQ(Run({"DEL", "big"}), ":1\r\n");  // lazyfree-lazy-user-del is off
  EXPECT_EQ(FreedInBackground(), 0u);
}

TEST_F(LazyFreeTest, KnobsChooseForDelOverwriteExpireAndFlush) {
  Set("lazyfree-lazy-user-del", "yes");
  MakeBig("a");
  Run({"DEL", "a"});
  EXPECT_EQ(FreedInBackground(), 1u);

  MakeBig("b");
  Run({"SET", "b", "string"});  // an implicit delete: lazyfree-lazy-server-del (off)
  EXPECT_EQ(FreedInBackground(), 0u);
  Set("lazyfree-lazy-server-del", "yes");
  Run({"DEL", "b"});
  MakeBig("b");
  Run({"SET", "b", "string"});
  EXPECT_EQ(FreedInBackground(), 1u);

  Set("lazyfree-lazy-expire", "yes");
  MakeBig("c");
  Run({"PEXPIRE", "c", "1"});
  usleep(5000);
  EXPECT_EQ(Run({"EXISTS", "c"}), ":0\r\n");  // found expired on access
  EXPECT_EQ(FreedInBackground(), 1u);
  Set("lazyfree-lazy-expire", "no");

  MakeBig("d");
  Run({"FLUSHALL"});  // lazyfree-lazy-user-flush is off
  EXPECT_EQ(FreedInBackground(), 0u);
  MakeBig("d");
  MakeBig("e");
  Run({"FLUSHDB", "ASYNC"});
  EXPECT_EQ(FreedInBackground(), 2u);
  Set("lazyfree-lazy-user-flush", "yes");
  MakeBig("d");
  Run({"FLUSHALL", "SYNC"});  // SYNC wins over the knob
  EXPECT_EQ(FreedInBackground(), 0u);
  MakeBig("d");
  Run({"FLUSHALL"});
  EXPECT_EQ(FreedInBackground(), 1u);
}

// FLUSHDB/FLUSHALL ASYNC detach each shard's table whole and free it in the background, so a
// flush of many small keys costs the caller O(1) per shard; other databases keep their keys
// and every shard's memory figure stays exact.
TEST_F(LazyFreeTest, AsyncFlushHandsWholeTablesToTheBackground) {
  auto fill = [&](int n, std::string_view prefix) {
    for (int i = 0; i < n; ++i) {
      const std::string k = std::string(prefix) + std::to_string(i);
      Run({"SET", k, i % 2 ? "a-value-longer-than-an-embedded-string-of-bytes" : "1"});
    }
  };
  auto check_memory = [&] {
    Keyspace& ks = engine_.keyspace();
    for (unsigned i = 0; i < kNumShards; ++i) {
      std::lock_guard lk(ks.shard(i).mu);
      ASSERT_EQ(ks.shard(i).used_bytes(), ks.shard(i).RecountBytes()) << "shard " << i;
    }
  };
  fill(100000, "k");
  MakeBig("biglist");
  Run({"SELECT", "1"});
  fill(1000, "other");
  Run({"SELECT", "0"});
  check_memory();
  EXPECT_EQ(Run({"FLUSHDB", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":0\r\n");
  check_memory();
  // Every shard held more than kLazyFreeMinEffort keys of db 0: all went as whole tables.
  EXPECT_EQ(FreedInBackground(), 100001u);
  EXPECT_EQ(LazyFreePending(), 0u);
  Run({"SELECT", "1"});
  EXPECT_EQ(Run({"DBSIZE"}), ":1000\r\n");
  EXPECT_EQ(Run({"GET", "other7"}), "$47\r\na-value-longer-than-an-embedded-string-of-bytes\r\n");
  // The flushed database works as before.
  Run({"SELECT", "0"});
  fill(100, "again");
  EXPECT_EQ(Run({"DBSIZE"}), ":100\r\n");
  check_memory();
  // A synchronous flush frees at once.
  EXPECT_EQ(Run({"FLUSHALL", "SYNC"}), "+OK\r\n");
  EXPECT_EQ(FreedInBackground(), 0u);
  check_memory();
  fill(100000, "k");
  EXPECT_EQ(Run({"FLUSHALL", "ASYNC"}), "+OK\r\n");
  EXPECT_EQ(FreedInBackground(), 100000u);
  check_memory();
}

}  // namespace
}  // namespace aegisr
