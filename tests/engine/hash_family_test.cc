// Unit tests of the hash family and its value type: encodings and their conversions at the
// config thresholds, field order, memory accounting after every kind of change (field expiry
// included), the disk-tier codec, COPY. Reply texts are covered differentially against
// redis-server (tests/integration/test_differential_hashes.py). Single-threaded.

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "engine/types/hash_value.h"
#include "net/resp_writer.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

class HashFamilyTest : public EngineFixture {
 protected:
  void ExpectHashBytesExact(std::string_view key) {
    WithEntry(key, [&](const Entry* e) {
      ASSERT_NE(e, nullptr);
      const auto* h = static_cast<const HashValue*>(e->object());
      EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
    });
  }
  std::string Encoding(std::string_view key) { return Run({"OBJECT", "ENCODING", key}); }
};

constexpr std::string_view kListpack = "$8\r\nlistpack\r\n";
constexpr std::string_view kHashtable = "$9\r\nhashtable\r\n";

TEST_F(HashFamilyTest, EntriesThresholdConvertsOneWay) {
  for (int i = 0; i < 512; ++i) {
    std::string f = "f" + std::to_string(i);
    Run({"HSET", "h", f, "v"});
  }
  EXPECT_EQ(Encoding("h"), kListpack);
  EXPECT_EQ(Run({"HSET", "h", "f0", "again"}), ":0\r\n");  // an update adds no entry
  EXPECT_EQ(Encoding("h"), kListpack);
  EXPECT_EQ(Run({"HSET", "h", "f512", "v"}), ":1\r\n");
  EXPECT_EQ(Encoding("h"), kHashtable);
  ExpectHashBytesExact("h");
  for (int i = 0; i < 512; ++i) {
    std::string f = "f" + std::to_string(i);
    EXPECT_EQ(Run({"HDEL", "h", f}), ":1\r\n");
  }
  EXPECT_EQ(Run({"HLEN", "h"}), ":1\r\n");
  EXPECT_EQ(Encoding("h"), kHashtable);  // never back
  ExpectHashBytesExact("h");
  ExpectBookkeepingExact();
}

TEST_F(HashFamilyTest, ValueThresholdLooksAtFieldsAndValues) {
  std::string v64(64, 'v'), v65(65, 'v');
  Run({"HSET", "a", "f", v64});
  EXPECT_EQ(Encoding("a"), kListpack);
  Run({"HSET", "b", "f", v65});
  EXPECT_EQ(Encoding("b"), kHashtable);
  Run({"HSET", "c", v65, "x"});
  EXPECT_EQ(Encoding("c"), kHashtable);
  // HSETNX on an existing field changes nothing, however long its arguments.
  Run({"HSET", "d", "f", "x"});
  EXPECT_EQ(Run({"HSETNX", "d", "f", v65}), ":0\r\n");
  EXPECT_EQ(Encoding("d"), kListpack);
  EXPECT_EQ(Run({"HSETNX", "d", "g", v65}), ":1\r\n");
  EXPECT_EQ(Encoding("d"), kHashtable);
  // HINCRBYFLOAT's result is checked too: 1e80 prints with 81 digits.
  Run({"HSET", "e", "n", "1"});
  Run({"HINCRBYFLOAT", "e", "n", "1e80"});
  EXPECT_EQ(Encoding("e"), kHashtable);
  ExpectBookkeepingExact();
}

TEST_F(HashFamilyTest, ThresholdsAreConfigKnobs) {
  EXPECT_EQ(Run({"CONFIG", "GET", "hash-max-listpack-entries"}),
            "*2\r\n$25\r\nhash-max-listpack-entries\r\n$3\r\n512\r\n");
  EXPECT_EQ(Run({"CONFIG", "GET", "hash-max-listpack-value"}),
            "*2\r\n$23\r\nhash-max-listpack-value\r\n$2\r\n64\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-entries", "2"}), "+OK\r\n");
  Run({"HSET", "h", "a", "1", "b", "2"});
  EXPECT_EQ(Encoding("h"), kListpack);
  Run({"HSET", "h", "c", "3"});
  EXPECT_EQ(Encoding("h"), kHashtable);
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-value", "3"}), "+OK\r\n");
  Run({"HSET", "s", "abcd", "1"});
  EXPECT_EQ(Encoding("s"), kHashtable);
  EXPECT_NE(FindKnobOrAlias("hash-max-ziplist-entries"), nullptr);
  EXPECT_NE(FindKnobOrAlias("hash-max-ziplist-value"), nullptr);
}

TEST_F(HashFamilyTest, ListpackKeepsInsertionOrderThroughUpdatesAndDeletes) {
  Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  Run({"HSET", "h", "a", "longer value"});  // in place
  Run({"HDEL", "h", "b"});
  Run({"HSET", "h", "b", "4"});  // back at the end
  EXPECT_EQ(Run({"HKEYS", "h"}), "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"HGETALL", "h"}, 3),
            "%3\r\n$1\r\na\r\n$12\r\nlonger value\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n4\r\n");
}

TEST_F(HashFamilyTest, MemoryAccountingFollowsEveryChange) {
  std::vector<std::string> fields;
  for (int i = 0; i < 3000; ++i) fields.push_back("field-" + std::to_string(i));
  std::vector<std::string_view> hset = {"HSET", "big"};
  for (const auto& f : fields) {
    hset.push_back(f);
    hset.push_back(f);
  }
  EXPECT_EQ(Run(hset), ":3000\r\n");
  ExpectBookkeepingExact();
  ExpectHashBytesExact("big");
  Run({"HSET", "small", "a", "1", "b", "2"});
  for (std::string_view key : {"big", "small"}) {
    EXPECT_EQ(Run({"HINCRBY", key, "counter", "5"}), ":5\r\n");
    EXPECT_EQ(Run({"HINCRBYFLOAT", key, "counter", "0.5"}), "$3\r\n5.5\r\n");
    EXPECT_EQ(Run({"HSET", key, "a", std::string(30, 'z')}).substr(0, 1), ":");
    EXPECT_EQ(Run({"HPEXPIRE", key, "100000", "FIELDS", "1", "a"}), "*1\r\n:1\r\n");
    ExpectBookkeepingExact();
    ExpectHashBytesExact(key);
    EXPECT_EQ(Run({"HPERSIST", key, "FIELDS", "1", "a"}), "*1\r\n:1\r\n");
    EXPECT_EQ(Run({"HDEL", key, "a", "counter"}), ":2\r\n");
    ExpectBookkeepingExact();
    ExpectHashBytesExact(key);
  }
  // Field expiry: a field past its time is deleted by the next command that finds the hash.
  EXPECT_EQ(Run({"HPEXPIRE", "big", "1", "FIELDS", "2", "field-1", "field-2"}),
            "*2\r\n:1\r\n:1\r\n");
  EXPECT_EQ(Run({"HPEXPIRE", "small", "1", "FIELDS", "1", "b"}), "*1\r\n:1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Run({"HLEN", "big"}), ":2998\r\n");
  EXPECT_EQ(Run({"HGET", "big", "field-1"}), "$-1\r\n");
  ExpectBookkeepingExact();
  ExpectHashBytesExact("big");
  EXPECT_EQ(Run({"EXISTS", "small"}), ":1\r\n");  // nobody has looked at it yet
  EXPECT_EQ(Run({"HLEN", "small"}), ":0\r\n");    // its last field expired: the key goes
  EXPECT_EQ(Run({"EXISTS", "small"}), ":0\r\n");
  ExpectBookkeepingExact();
  // A time in the past deletes at once (reply 2).
  EXPECT_EQ(Run({"HEXPIREAT", "big", "1", "FIELDS", "1", "field-3"}), "*1\r\n:2\r\n");
  ExpectBookkeepingExact();
  // Down to nothing through HDEL.
  std::vector<std::string_view> hdel = {"HDEL", "big"};
  for (const auto& f : fields) hdel.push_back(f);
  EXPECT_EQ(Run(hdel), ":2997\r\n");
  EXPECT_EQ(Run({"EXISTS", "big"}), ":0\r\n");
  ExpectBookkeepingExact();
}

TEST_F(HashFamilyTest, CronDeletesExpiredFieldsAndEmptiedHashes) {
  Run({"HSET", "gone", "a", "1", "b", "2"});
  std::vector<std::string_view> hset = {"HSET", "big"};
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back("f" + std::to_string(i));
  for (const auto& f : names) {
    hset.push_back(f);
    hset.push_back(f);
  }
  Run(hset);
  EXPECT_EQ(Run({"HPEXPIRE", "gone", "1", "FIELDS", "2", "a", "b"}), "*2\r\n:1\r\n:1\r\n");
  std::vector<std::string_view> exp = {"HPEXPIRE", "big", "1", "FIELDS", "600"};
  for (int i = 0; i < 600; ++i) exp.push_back(names[i]);
  Run(exp);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  engine_.Cron(0, 1);  // no command touches either key: the cron alone deletes
  WithEntry("gone", [](const Entry* e) { EXPECT_EQ(e, nullptr); });
  WithEntry("big", [](const Entry* e) {
    ASSERT_NE(e, nullptr);
    const auto* h = static_cast<const HashValue*>(e->object());
    EXPECT_EQ(h->size(), 400u);
    EXPECT_EQ(h->ttl_fields(), 0u);
    EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
  });
  ExpectBookkeepingExact();
}

TEST_F(HashFamilyTest, CopyIsDeepAndTypeIsHash) {
  Run({"HSET", "src", "a", "1", "b", "2"});
  Run({"HPEXPIRE", "src", "100000", "FIELDS", "1", "b"});
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1\r\n");
  Run({"HDEL", "src", "a"});
  Run({"HSET", "src", "b", "changed"});
  EXPECT_EQ(Run({"HGETALL", "dst"}), "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  std::string ttl = Run({"HPTTL", "dst", "FIELDS", "1", "b"});
  EXPECT_NE(ttl, "*1\r\n:-1\r\n");  // the copy kept the field's TTL
  EXPECT_EQ(Run({"TYPE", "dst"}), "+hash\r\n");
  // A table too.
  for (int i = 0; i < 600; ++i) {
    std::string f = "f" + std::to_string(i);
    Run({"HSET", "tsrc", f, f});
  }
  EXPECT_EQ(Run({"COPY", "tsrc", "tdst"}), ":1\r\n");
  Run({"DEL", "tsrc"});
  EXPECT_EQ(Run({"HLEN", "tdst"}), ":600\r\n");
  EXPECT_EQ(Run({"HGET", "tdst", "f123"}), "$4\r\nf123\r\n");
  EXPECT_EQ(Encoding("tdst"), kHashtable);
  ExpectHashBytesExact("tdst");
  ExpectBookkeepingExact();
}

TEST_F(HashFamilyTest, TierCodecRoundTripsAndRejectsBadPayloads) {
  std::string bin("a\0b\r\n", 5);
  Run({"HSET", "lp", "", bin, bin, "", "x", std::string(40, 'y')});
  Run({"HPEXPIRE", "lp", "100000", "FIELDS", "1", "x"});
  for (int i = 0; i < 600; ++i) {
    std::string f = "f" + std::to_string(i);
    Run({"HSET", "ht", f, std::string(i % 90, 'v')});
  }
  Run({"HPEXPIRE", "ht", "100000", "FIELDS", "2", "f7", "f8"});
  for (std::string_view key : {"lp", "ht"}) {
    std::string payload;
    WithEntry(key, [&](const Entry* e) {
      ASSERT_NE(e, nullptr);
      payload = EncodeValue(*e);
    });
    ASSERT_FALSE(payload.empty());
    KeyRef k("copy");
    Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kHash), payload);
    ASSERT_NE(back, nullptr);
    EXPECT_EQ(back->type, ValueType::kHash);
    // Same fields, values, TTLs and encoding; a listpack also in the same order (a table's
    // slot order may differ, so its records are compared as a set).
    if (key == "lp") {
      EXPECT_TRUE(EncodeValue(*back) == payload);
    } else {
      auto records = [](const Entry* e) {
        std::set<std::string> out;
        static_cast<const HashValue*>(e->object())->ForEach([&](const HashValue::Field& f) {
          out.insert(std::string(f.field) + '\0' + std::string(f.value) + '\0' +
                     std::to_string(f.expire_at));
        });
        return out;
      };
      std::set<std::string> want;
      WithEntry(key, [&](const Entry* e) { want = records(e); });
      EXPECT_EQ(records(back), want);
      EXPECT_EQ(want.size(), 600u);
    }
    EXPECT_EQ(ObjectEncodingName(*back), key == "lp" ? "listpack" : "hashtable");
    const auto* h = static_cast<const HashValue*>(back->object());
    EXPECT_EQ(h->ttl_fields(), key == "lp" ? 1u : 2u);
    FreeEntry(back);
    // Truncated, with trailing bytes, a bad encoding byte, an empty hash, nothing: refused.
    std::string bad_enc = payload;
    bad_enc[0] = 7;
    for (const std::string& bad : {payload.substr(0, payload.size() - 1), payload + "x", bad_enc,
                                   std::string("\x00\x00", 2), std::string()}) {
      EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kHash), bad), nullptr)
          << key << " " << bad.size();
    }
  }
  // A field twice, and a length past the end.
  KeyRef k("x");
  std::string twice(
      "\x00\x02\x01"
      "a\x01"
      "b\x00\x01"
      "a\x01"
      "c\x00",
      12);
  EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kHash), twice), nullptr);
  std::string once = twice.substr(0, 7);
  once[1] = 1;
  Entry* ok = DecodeValue(k.key, k.hash, uint8_t(ValueType::kHash), once);
  ASSERT_NE(ok, nullptr);  // the same bytes with the count right are accepted
  FreeEntry(ok);
  std::string past(
      "\x00\x01\x09"
      "a\x01"
      "b\x00",
      7);
  EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kHash), past), nullptr);
  EXPECT_TRUE(HasEncoder(ValueType::kHash));
}

TEST(HashValueTest, TableSurvivesGrowthAndShrinkAndScanSeesEveryField) {
  HashValue* h = HashValue::New()->ConvertToTable();
  bool done;
  for (int i = 0; i < 20000; ++i) {
    std::string f = "k" + std::to_string(i);
    h = h->Set(f, f, false, &done);
    ASSERT_TRUE(done);
  }
  EXPECT_EQ(h->size(), 20000u);
  EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
  // A full scan with deletions of other fields in between (shrinking the table) returns each
  // field present throughout.
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int next_gone = 3000;
  do {
    cursor = h->ScanStep(cursor, [&](const HashValue::Field& f) { seen.emplace(f.field); });
    for (int j = 0; j < 3 && next_gone < 20000; ++j) {
      h = h->Delete("k" + std::to_string(next_gone++), &done);
      ASSERT_TRUE(done);
    }
  } while (cursor != 0);
  while (next_gone < 20000) {
    h = h->Delete("k" + std::to_string(next_gone++), &done);
    ASSERT_TRUE(done);
  }
  for (int i = 0; i < 3000; ++i) EXPECT_TRUE(seen.count("k" + std::to_string(i))) << i;
  EXPECT_EQ(h->size(), 3000u);
  for (int i = 0; i < 20000; ++i) {
    std::string f = "k" + std::to_string(i);
    HashValue::Field got;
    bool present = h->Find(f, &got);
    EXPECT_EQ(present, i < 3000) << i;
    if (present) {
      EXPECT_EQ(got.value, f);
    }
  }
  EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
  EXPECT_LE(h->table_capacity(), 8192u);  // shrunk from 32768
  HashValue::Free(h);
}

TEST(HashValueTest, BigTableIsShardedAndKeepsEveryGuarantee) {
  HashValue* h = HashValue::New()->ConvertToTable();
  bool done;
  const int n = 150000;  // past kMaxTableSlots * 7/8: sharded
  for (int i = 0; i < n; ++i) {
    std::string f = "k" + std::to_string(i);
    h = h->Set(f, f, false, &done);
    ASSERT_TRUE(done);
  }
  EXPECT_EQ(h->encoding(), HashValue::Enc::kSharded);
  EXPECT_EQ(h->size(), size_t(n));
  EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
  // TTLs on some fields; a deep clone keeps them.
  for (int i = 0; i < 1000; ++i) {
    h = h->SetExpire("k" + std::to_string(i), i < 500 ? 1 : INT64_MAX / 2, &done);
    ASSERT_TRUE(done);
  }
  EXPECT_EQ(h->ttl_fields(), 1000u);
  HashValue* copy = HashValue::Clone(h);
  EXPECT_EQ(copy->MemoryBytes(), copy->RecountMemoryBytes());
  EXPECT_TRUE(h->HasExpired(2));
  size_t expired;
  h = h->DeleteExpired(2, &expired);
  EXPECT_EQ(expired, 500u);
  EXPECT_EQ(h->size(), size_t(n - 500));
  EXPECT_EQ(h->ttl_fields(), 500u);
  EXPECT_FALSE(h->HasExpired(2));
  EXPECT_EQ(copy->size(), size_t(n));  // the clone is its own
  HashValue::Field f;
  ASSERT_TRUE(copy->Find("k3", &f));
  EXPECT_EQ(f.expire_at, 1);
  HashValue::Free(copy);
  // A full scan with deletions in between returns every field present throughout.
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int next_gone = 100000;
  do {
    cursor = h->ScanStep(cursor, [&](const HashValue::Field& fl) { seen.emplace(fl.field); });
    for (int j = 0; j < 20 && next_gone < n; ++j) {
      h = h->Delete("k" + std::to_string(next_gone++), &done);
      ASSERT_TRUE(done);
    }
  } while (cursor != 0);
  for (int i = 500; i < 100000; ++i) ASSERT_TRUE(seen.count("k" + std::to_string(i))) << i;
  while (next_gone < n) {
    h = h->Delete("k" + std::to_string(next_gone++), &done);
    ASSERT_TRUE(done);
  }
  EXPECT_EQ(h->size(), 99500u);
  EXPECT_EQ(h->MemoryBytes(), h->RecountMemoryBytes());
  size_t counted = 0;
  h->ForEach([&](const HashValue::Field&) { ++counted; });
  EXPECT_EQ(counted, 99500u);
  ASSERT_TRUE(h->Find("k99999", &f));
  EXPECT_EQ(f.value, "k99999");
  EXPECT_FALSE(h->Find("k100000", nullptr));
  // Random picks land on present fields, across sub-tables.
  std::set<std::string> picks;
  for (uint64_t r = 1; r < 2000; ++r) {
    HashValue::Field p = h->RandomField(r * 0x9E3779B97F4A7C15ull);
    ASSERT_TRUE(h->Contains(p.field));
    picks.emplace(p.field);
  }
  EXPECT_GT(picks.size(), 1900u);
  HashValue::Free(h);
}

}  // namespace
}  // namespace aegisr
