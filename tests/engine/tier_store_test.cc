// Unit tests for the engine's side of the disk tier (engine/tier_store.h): offload, the cold
// keys a command needs, install after a read (fresh, stale, corrupt), releases, wait quantiles.
#include "engine/tier_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/engine.h"

namespace aegisr {
namespace {

class TierStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aegisr-tierstore-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    {
      std::lock_guard lk(cfg_.mu);
      cfg_.tier_dir = dir_;
    }
    engine_ = std::make_unique<Engine>(&cfg_);
    ASSERT_TRUE(engine_->tier().Start(1).ok());
    engine_->AttachThread(0);  // Offload appends to the calling loop thread's log
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  TierStore& tier() { return engine_->tier(); }
  Shard& ShardOf(const std::string& key) { return engine_->keyspace().shard(KeyRef(key)); }

  void Put(const std::string& key, const std::string& value) {
    KeyRef k(key);
    Shard& s = ShardOf(key);
    std::lock_guard lk(s.mu);
    s.Insert(0, NewStringEntry(key, k.hash, value));
  }
  bool Offload(const std::string& key) {
    KeyRef k(key);
    Shard& s = ShardOf(key);
    std::lock_guard lk(s.mu);
    return tier().Offload(s, 0, s.Find(0, k, 0));
  }
  Entry* Get(const std::string& key) {
    KeyRef k(key);
    Shard& s = ShardOf(key);
    std::lock_guard lk(s.mu);
    Entry** l = s.Find(0, k, 0);
    return l ? *l : nullptr;
  }
  std::vector<ColdKey> Cold(std::vector<std::string_view> args) {
    ClientState client;
    client.authenticated = true;
    return engine_->ColdKeys(client, ArgList(args.data(), args.size()));
  }
  // Plans and reads the value of c synchronously, as the epoll backend does.
  std::string ReadRecord(const ColdKey& c) {
    tier::SegmentLog::ReadPlan plan;
    EXPECT_TRUE(tier().log(c.writer)->PlanRead(c.ref, &plan).ok());
    if (plan.in_memory) return plan.bytes;
    std::string buf(plan.length, '\0');
    EXPECT_EQ(pread(plan.fd, buf.data(), buf.size(), off_t(plan.offset)), ssize_t(buf.size()));
    return buf;
  }

  std::string dir_;
  Config cfg_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(TierStoreTest, OffloadThenInstallBringsTheValueBack) {
  std::string big(1000, 'v');
  Put("a", big);
  Put("small", "x");
  ASSERT_TRUE(Offload("a"));
  EXPECT_FALSE(Offload("small"));  // below tier-min-value-size: stays (evicted instead)
  EXPECT_FALSE(Offload("a"));      // already on disk
  ASSERT_TRUE(Get("a")->on_disk());
  EXPECT_EQ(tier().counters().disk_keys.load(), 1u);

  // GET needs it; EXISTS, TTL, DEL and a plain SET do not.
  auto cold = Cold({"GET", "a"});
  ASSERT_EQ(cold.size(), 1u);
  EXPECT_EQ(cold[0].key, "a");
  EXPECT_TRUE(Cold({"EXISTS", "a"}).empty());
  EXPECT_TRUE(Cold({"TTL", "a"}).empty());
  EXPECT_TRUE(Cold({"SET", "a", "new"}).empty());
  EXPECT_EQ(Cold({"SET", "a", "new", "GET"}).size(), 1u);
  EXPECT_EQ(Cold({"MGET", "a", "small", "a"}).size(), 1u);  // once, and only the cold one
  EXPECT_TRUE(Cold({"GET"}).empty());                       // wrong arity: Dispatch replies

  ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  Entry* e = Get("a");
  ASSERT_FALSE(e->on_disk());
  char scratch[24];
  EXPECT_EQ(e->str(scratch), big);
  EXPECT_EQ(tier().counters().disk_keys.load(), 0u);
  EXPECT_EQ(tier().log(0)->GetStats().live_bytes, 0u);  // the disk copy was released
  EXPECT_TRUE(Cold({"GET", "a"}).empty());
}

TEST_F(TierStoreTest, InstallIgnoresAKeyChangedMeanwhile) {
  Put("a", std::string(500, 'a'));
  ASSERT_TRUE(Offload("a"));
  auto cold = Cold({"GET", "a"});
  ASSERT_EQ(cold.size(), 1u);
  std::string record = ReadRecord(cold[0]);
  {  // overwritten while the read was in flight: the record is released, the new value stays
    KeyRef k("a");
    Shard& s = ShardOf("a");
    std::lock_guard lk(s.mu);
    s.Delete(0, s.Find(0, k, 0));
    s.Insert(0, NewStringEntry("a", k.hash, "newer"));
  }
  EXPECT_EQ(tier().log(0)->GetStats().live_bytes, 0u);
  ASSERT_TRUE(tier().Install(cold[0], record).ok());
  char scratch[24];
  EXPECT_EQ(Get("a")->str(scratch), "newer");
}

TEST_F(TierStoreTest, CorruptRecordDropsTheKeyAndCountsTheError) {
  Put("a", std::string(500, 'a'));
  ASSERT_TRUE(Offload("a"));
  auto cold = Cold({"GET", "a"});
  std::string record = ReadRecord(cold[0]);
  record[record.size() - 3] ^= 0x5A;
  EXPECT_FALSE(tier().Install(cold[0], record).ok());
  EXPECT_EQ(Get("a"), nullptr);
  EXPECT_EQ(tier().counters().read_errors.load(), 1u);
  EXPECT_EQ(tier().counters().disk_keys.load(), 0u);
}

TEST_F(TierStoreTest, PinnedKeysAreNotOffloaded) {
  Put("a", std::string(500, 'a'));
  tier().Pin(0, {GhostHash(KeyRef("a").hash, 0)});
  EXPECT_FALSE(Offload("a"));
  tier().Unpin(0);
  EXPECT_TRUE(Offload("a"));
}

TEST_F(TierStoreTest, ColdWaitQuantilesFollowTheRecordedWaits) {
  EXPECT_EQ(tier().ColdWaitQuantile(0.99), 0);
  for (int us = 1; us <= 1000; ++us) tier().RecordColdWait(us);
  int64_t p50 = tier().ColdWaitQuantile(0.5), p99 = tier().ColdWaitQuantile(0.99);
  EXPECT_GE(p50, 500);
  EXPECT_LE(p50, 500 * 1.2);
  EXPECT_GE(p99, 990);
  EXPECT_LE(p99, 990 * 1.2);
  tier().RecordColdWait(5'000'000);
  EXPECT_GE(tier().ColdWaitQuantile(1.0), 5'000'000);
}

}  // namespace
}  // namespace aegisr
