// Unit tests for the engine's side of the disk tier (engine/tier_store.h): offload, the cold
// keys a command needs, install after a read (fresh, stale, corrupt), releases, wait quantiles.
#include "engine/tier_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
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
    Configure(cfg_);
    engine_ = std::make_unique<Engine>(&cfg_);
    ASSERT_TRUE(engine_->tier().Start(1).ok());
    engine_->AttachThread(0);  // Offload appends to the calling loop thread's log
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  virtual void Configure(Config&) {}
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

  const uint64_t live = tier().log(0)->GetStats().live_bytes;
  ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  Entry* e = Get("a");
  ASSERT_FALSE(e->on_disk());
  char scratch[24];
  EXPECT_EQ(e->str(scratch), big);
  EXPECT_EQ(tier().counters().disk_keys.load(), 0u);
  // The record stays as the value's clean copy.
  EXPECT_TRUE(e->has_clean_copy());
  EXPECT_EQ(std::memcmp(e->clean_ref(), &cold[0].ref, 16), 0);
  EXPECT_EQ(tier().counters().clean_keys.load(), 1u);
  EXPECT_EQ(tier().log(0)->GetStats().live_bytes, live);
  EXPECT_TRUE(Cold({"GET", "a"}).empty());
}

TEST_F(TierStoreTest, AnUnchangedValueReadBackIsOffloadedAgainWithoutAWrite) {
  std::string big(1000, 'c');
  Put("a", big);
  ASSERT_TRUE(Offload("a"));
  auto cold = Cold({"GET", "a"});
  ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  const auto before = tier().log(0)->GetStats();
  tier().Unpin(0);            // (ColdKeys pinned the command's keys)
  ASSERT_TRUE(Offload("a"));  // dropping the RAM copy is free
  const auto after = tier().log(0)->GetStats();
  EXPECT_EQ(after.records_appended, before.records_appended);
  EXPECT_EQ(after.live_bytes, before.live_bytes);
  EXPECT_EQ(tier().counters().clean_offloads.load(), 1u);
  EXPECT_EQ(tier().counters().clean_keys.load(), 0u);
  EXPECT_EQ(tier().counters().disk_keys.load(), 1u);
  ASSERT_TRUE(Get("a")->on_disk());
  EXPECT_EQ(std::memcmp(Get("a")->disk_ref(), &cold[0].ref, 16), 0);
  // And it reads back byte-exact from the same record.
  auto again = Cold({"GET", "a"});
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(tier().Install(again[0], ReadRecord(again[0])).ok());
  char scratch[24];
  EXPECT_EQ(Get("a")->str(scratch), big);
}

TEST_F(TierStoreTest, ChangingAValueLetsGoOfItsCleanCopy) {
  // Each way a value can change in place or be replaced releases the record, so a later
  // offload writes the new value and never brings back the old one.
  struct Change {
    const char* name;
    std::function<Entry*(Entry*)> fn;
    std::string expect;
  };
  std::string big(600, 'o');
  std::vector<Change> changes = {
      {"set", [](Entry* e) { return SetStringValue(e, std::string(700, 'n')); },
       std::string(700, 'n')},
      {"set short", [](Entry* e) { return SetStringValue(e, "short"); }, "short"},
      {"set int", [](Entry* e) { return SetIntValue(e, 42); }, "42"},
      {"append",
       [&](Entry* e) {
         char* data;
         e = MakeRawString(e, big.size() + 3, &data);
         std::memcpy(data + big.size(), "xyz", 3);
         SetRawLength(e, big.size() + 3);
         return e;
       },
       big + "xyz"},
  };
  for (const Change& c : changes) {
    SCOPED_TRACE(c.name);
    std::string key = std::string("k-") + c.name;
    Put(key, big);
    ASSERT_TRUE(Offload(key));
    auto cold = Cold({"GET", key});
    ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
    ASSERT_TRUE(Get(key)->has_clean_copy());
    const uint64_t live = tier().log(0)->GetStats().live_bytes;
    {
      KeyRef k(key);
      Shard& s = ShardOf(key);
      std::lock_guard lk(s.mu);
      s.Update(0, s.Find(0, k, 0), c.fn);
    }
    Entry* e = Get(key);
    EXPECT_FALSE(e->has_clean_copy());
    EXPECT_EQ(tier().log(0)->GetStats().live_bytes, live - cold[0].ref.length);
    char scratch[24];
    EXPECT_EQ(e->str(scratch), c.expect);
    EXPECT_EQ(tier().counters().clean_keys.load(), 0u);
  }
  // A big changed value is written again when offloaded, and reads back as changed.
  tier().Unpin(0);
  ASSERT_TRUE(Offload("k-set"));
  auto cold = Cold({"GET", "k-set"});
  ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  char scratch[24];
  EXPECT_EQ(Get("k-set")->str(scratch), std::string(700, 'n'));
}

TEST_F(TierStoreTest, CleanCopiesSurviveTtlChangesAndGoWithTheKey) {
  std::string big(800, 't');
  for (const char* key : {"ttl", "del", "renamed", "copied"}) {
    Put(key, big);
    ASSERT_TRUE(Offload(key));
    auto cold = Cold({"GET", key});
    ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  }
  EXPECT_EQ(tier().counters().clean_keys.load(), 4u);
  auto with = [&](const char* key, auto fn) {
    KeyRef k(key);
    Shard& s = ShardOf(key);
    std::lock_guard lk(s.mu);
    return fn(s, s.Find(0, k, 0));
  };
  // Adding and removing a TTL moves the bytes after the key; the reference moves with them.
  std::string ref(Get("ttl")->clean_ref(), 16);
  with("ttl", [](Shard& s, Entry** l) {
    return s.Update(0, l, [](Entry* e) { return SetExpire(e, Engine::NowMs() + 100000); });
  });
  ASSERT_TRUE(Get("ttl")->has_clean_copy());
  EXPECT_EQ(std::string(Get("ttl")->clean_ref(), 16), ref);
  with("ttl", [](Shard& s, Entry** l) {
    return s.Update(0, l, [](Entry* e) { return SetExpire(e, 0); });
  });
  EXPECT_EQ(std::string(Get("ttl")->clean_ref(), 16), ref);
  tier().Unpin(0);
  ASSERT_TRUE(Offload("ttl"));  // still good as the value's record
  auto cold = Cold({"GET", "ttl"});
  ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
  char scratch[24];
  EXPECT_EQ(Get("ttl")->str(scratch), big);
  // Deleting the key releases its copy.
  uint64_t live = tier().log(0)->GetStats().live_bytes;
  with("del", [](Shard& s, Entry** l) {
    s.Delete(0, l);
    return nullptr;
  });
  EXPECT_LT(tier().log(0)->GetStats().live_bytes, live);
  // A renamed value's record names the old key: the copy is let go of. A copy has none.
  live = tier().log(0)->GetStats().live_bytes;
  Entry* moved = with("renamed", [](Shard& s, Entry** l) { return s.Take(0, l); });
  moved = RekeyEntry(moved, "renamed2", KeyRef("renamed2").hash);
  EXPECT_FALSE(moved->has_clean_copy());
  EXPECT_EQ(moved->str(scratch), big);
  FreeEntry(moved);
  EXPECT_LT(tier().log(0)->GetStats().live_bytes, live);
  Entry* copy = CloneEntry(Get("copied"), "copy2", KeyRef("copy2").hash);
  EXPECT_FALSE(copy->has_clean_copy());
  EXPECT_EQ(copy->str(scratch), big);
  FreeEntry(copy);
  EXPECT_TRUE(Get("copied")->has_clean_copy());
  EXPECT_EQ(tier().counters().clean_keys.load(), 2u);  // ttl and copied
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

// 64 KiB segments, so that a few hundred values fill several and compaction has work.
class TierCompactionTest : public TierStoreTest {
 protected:
  void Configure(Config& cfg) override { cfg.tier_segment_size = 64 << 10; }

  // Offloads n 1000-byte values k0..k(n-1), writes them, and reads k0..k(clean-1) back: those
  // have clean copies, all in the first segment.
  void Prepare(int n, int clean) {
    for (int i = 0; i < n; ++i) {
      Put("k" + std::to_string(i), Value(i));
      ASSERT_TRUE(Offload("k" + std::to_string(i)));
    }
    tier().FlushSync(0);
    for (int i = 0; i < clean; ++i) {
      auto cold = Cold({"GET", "k" + std::to_string(i)});
      ASSERT_EQ(cold.size(), 1u);
      ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
      ASSERT_TRUE(Get("k" + std::to_string(i))->has_clean_copy());
    }
    tier().Unpin(0);
  }
  static std::string Value(int i) { return std::string(1000, char('a' + i % 26)); }
  void Delete(const std::string& key) {
    KeyRef k(key);
    Shard& s = ShardOf(key);
    std::lock_guard lk(s.mu);
    s.Delete(0, s.Find(0, k, 0));
  }
  // Runs compaction steps until a segment was compacted away.
  void CompactOnce() {
    const uint64_t before = tier().log(0)->GetStats().compactions;
    for (int i = 0; i < 50 && tier().log(0)->GetStats().compactions == before; ++i)
      tier().Maintain(0, true);
    ASSERT_GT(tier().log(0)->GetStats().compactions, before);
  }
};

TEST_F(TierCompactionTest, CompactionMovesCleanCopiesAndTheyStillServe) {
  Prepare(200, 10);
  // Empty the first segment (about 60 records) but for the ten clean copies.
  for (int i = 10; i < 60; ++i) Delete("k" + std::to_string(i));
  std::string old_ref(Get("k0")->clean_ref(), 16);
  CompactOnce();
  EXPECT_EQ(tier().counters().clean_drops.load(), 0u);
  ASSERT_TRUE(Get("k0")->has_clean_copy());
  EXPECT_NE(std::string(Get("k0")->clean_ref(), 16), old_ref);  // moved to a new segment
  EXPECT_EQ(tier().counters().clean_keys.load(), 10u);
  // Each clean copy is the value's record: offloaded again without a write, read back exact.
  const uint64_t appended = tier().log(0)->GetStats().records_appended;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Offload("k" + std::to_string(i)));
  EXPECT_EQ(tier().log(0)->GetStats().records_appended, appended);
  tier().FlushSync(0);
  char scratch[24];
  for (int i = 0; i < 10; ++i) {
    auto cold = Cold({"GET", "k" + std::to_string(i)});
    ASSERT_EQ(cold.size(), 1u);
    ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
    EXPECT_EQ(Get("k" + std::to_string(i))->str(scratch), Value(i));
  }
  EXPECT_EQ(tier().counters().read_errors.load(), 0u);
}

class TierShortOfSpaceTest : public TierCompactionTest {
 protected:
  void Configure(Config& cfg) override {
    TierCompactionTest::Configure(cfg);
    cfg.tier_max_size = 256 << 10;  // 200 KB of records: over 3/4 of it
  }
};

TEST_F(TierShortOfSpaceTest, CompactionLetsGoOfCleanCopiesWhenDiskSpaceIsShort) {
  Prepare(200, 10);
  for (int i = 10; i < 60; ++i) Delete("k" + std::to_string(i));
  const uint64_t live = tier().log(0)->GetStats().live_bytes;
  CompactOnce();
  EXPECT_EQ(tier().counters().clean_drops.load(), 10u);
  EXPECT_EQ(tier().counters().clean_keys.load(), 0u);
  EXPECT_LT(tier().log(0)->GetStats().live_bytes, live);
  char scratch[24];
  for (int i = 0; i < 10; ++i) {  // the values themselves are in RAM, untouched
    Entry* e = Get("k" + std::to_string(i));
    ASSERT_NE(e, nullptr);
    EXPECT_FALSE(e->has_clean_copy());
    EXPECT_FALSE(e->on_disk());
    EXPECT_EQ(e->str(scratch), Value(i));
  }
  // The disk-only values of the rest of the segments are intact.
  for (int i = 60; i < 200; i += 7) {
    auto cold = Cold({"GET", "k" + std::to_string(i)});
    ASSERT_EQ(cold.size(), 1u);
    ASSERT_TRUE(tier().Install(cold[0], ReadRecord(cold[0])).ok());
    EXPECT_EQ(Get("k" + std::to_string(i))->str(scratch), Value(i));
  }
}

}  // namespace
}  // namespace aegisr
