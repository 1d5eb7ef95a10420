// Unit tests of the set value (engine/types/set_value.h) and the set family's bookkeeping
// through Engine::Dispatch: encodings and their conversions at the thresholds, memory accounting,
// COPY and the disk-tier codec. Reply texts are covered differentially against redis-server
// (tests/integration/test_differential_sets.py). Single-threaded.

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/keyspace/entry.h"
#include "engine/tier_store.h"
#include "engine/types/set_value.h"
#include "net/resp_writer.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

using Kind = SetValue::Kind;

// A SetValue owned by a test, with Add/Remove answering whether anything changed and -> for
// the rest (the set moves as it changes; this keeps the current pointer).
class TestSet {
 public:
  TestSet() = default;
  explicit TestSet(SetValue* s) : s_(s) {}
  TestSet(const TestSet&) = delete;
  TestSet& operator=(const TestSet&) = delete;
  ~TestSet() { SetValue::Free(s_); }
  bool Add(std::string_view m, const SetValue::Limits& lim) {
    bool added;
    s_ = SetValue::Add(s_, m, lim, &added);
    return added;
  }
  bool Remove(std::string_view m) {
    bool removed;
    s_ = SetValue::Remove(s_, m, &removed);
    return removed;
  }
  const SetValue* operator->() const { return s_; }
  const SetValue& operator*() const { return *s_; }

 private:
  SetValue* s_ = SetValue::New();
};

std::set<std::string> MembersOf(const SetValue& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace(m); });
  return out;
}

// ---- SetValue on its own

TEST(SetValueTest, IntsetWidensAndStaysSorted) {
  TestSet s;
  SetValue::Limits lim;
  EXPECT_TRUE(s.Add("5", lim));
  EXPECT_TRUE(s.Add("-3", lim));
  EXPECT_FALSE(s.Add("5", lim));
  EXPECT_EQ(s->intset_width(), 2u);
  EXPECT_TRUE(s.Add("32768", lim));  // past int16
  EXPECT_EQ(s->intset_width(), 4u);
  EXPECT_TRUE(s.Add("-2147483649", lim));  // past int32, goes in front
  EXPECT_EQ(s->intset_width(), 8u);
  EXPECT_TRUE(s.Add("9223372036854775807", lim));
  EXPECT_TRUE(s.Add("-9223372036854775808", lim));
  EXPECT_EQ(s->kind(), Kind::kIntset);
  std::vector<std::string> order;
  s->ForEach([&](std::string_view m) { order.emplace_back(m); });
  EXPECT_EQ(order, (std::vector<std::string>{"-9223372036854775808", "-2147483649", "-3", "5",
                                             "32768", "9223372036854775807"}));
  EXPECT_TRUE(s->Contains("-3"));
  EXPECT_FALSE(s->Contains("-03"));
  EXPECT_FALSE(s->Contains("9223372036854775808"));
  EXPECT_TRUE(s.Remove("-2147483649"));
  EXPECT_FALSE(s.Remove("-2147483649"));
  EXPECT_EQ(s->intset_width(), 8u);  // never narrows
  EXPECT_EQ(s->size(), 5u);
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
}

TEST(SetValueTest, NonCanonicalIntegersAreStrings) {
  TestSet s;
  SetValue::Limits lim;
  s.Add("1", lim);
  for (const char* m : {"01", "+1", " 1", "-0", "1.0", "9223372036854775808"}) {
    TestSet t;
    EXPECT_TRUE(t.Add(m, lim));
    EXPECT_EQ(t->kind(), Kind::kListpack) << m;
  }
  EXPECT_TRUE(s.Add("01", lim));
  EXPECT_EQ(s->kind(), Kind::kListpack);
  EXPECT_TRUE(s->Contains("1"));
  EXPECT_TRUE(s->Contains("01"));
}

TEST(SetValueTest, IntsetConvertsToHashtablePastItsLimit) {
  SetValue::Limits lim;  // 512
  TestSet s;
  for (int i = 0; i < 512; ++i) ASSERT_TRUE(s.Add(std::to_string(i * 3), lim));
  EXPECT_EQ(s->kind(), Kind::kIntset);
  ASSERT_TRUE(s.Add("100000", lim));
  EXPECT_EQ(s->kind(), Kind::kHashtable);
  EXPECT_EQ(s->size(), 513u);
  for (int i = 0; i < 512; ++i) EXPECT_TRUE(s->Contains(std::to_string(i * 3)));
  // One-way: shrinking keeps the hashtable.
  for (int i = 0; i < 510; ++i) ASSERT_TRUE(s.Remove(std::to_string(i * 3)));
  EXPECT_EQ(s->kind(), Kind::kHashtable);
  EXPECT_EQ(MembersOf(*s), (std::set<std::string>{"1530", "1533", "100000"}));
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
}

TEST(SetValueTest, ListpackThresholds) {
  SetValue::Limits lim;  // 128 entries, 64 bytes
  TestSet s;
  for (int i = 0; i < 128; ++i) ASSERT_TRUE(s.Add("m" + std::to_string(i), lim));
  EXPECT_EQ(s->kind(), Kind::kListpack);
  ASSERT_TRUE(s.Add("m128", lim));
  EXPECT_EQ(s->kind(), Kind::kHashtable);

  TestSet v;
  ASSERT_TRUE(v.Add(std::string(64, 'x'), lim));
  EXPECT_EQ(v->kind(), Kind::kListpack);
  ASSERT_TRUE(v.Add(std::string(65, 'y'), lim));
  EXPECT_EQ(v->kind(), Kind::kHashtable);
  EXPECT_TRUE(v->Contains(std::string(64, 'x')));

  TestSet first_long;
  ASSERT_TRUE(first_long.Add(std::string(65, 'z'), lim));
  EXPECT_EQ(first_long->kind(), Kind::kHashtable);
}

TEST(SetValueTest, IntsetTakesAStringAsListpackOnlyWithinTheLimits) {
  SetValue::Limits lim;
  TestSet small;
  for (int i = 0; i < 127; ++i) small.Add(std::to_string(i), lim);
  small.Add("a", lim);
  EXPECT_EQ(small->kind(), Kind::kListpack);
  EXPECT_EQ(small->size(), 128u);
  EXPECT_TRUE(small->Contains("126"));

  TestSet full;
  for (int i = 0; i < 128; ++i) full.Add(std::to_string(i), lim);
  full.Add("a", lim);
  EXPECT_EQ(full->kind(), Kind::kHashtable);

  // An integer longer (as text) than set-max-listpack-value rules out the listpack.
  SetValue::Limits tight = lim;
  tight.listpack_value = 10;
  TestSet wide;
  wide.Add("12345678901", tight);
  wide.Add("a", tight);
  EXPECT_EQ(wide->kind(), Kind::kHashtable);
}

// Random operations against a model, across growth and shrinking of the hashtable, for every
// encoding's path; memory is recounted after each step.
TEST(SetValueTest, RandomOperationsMatchAModel) {
  std::mt19937_64 rng(42);
  SetValue::Limits lim;
  for (int round = 0; round < 3; ++round) {
    TestSet s;
    std::set<std::string> model;
    int universe = round == 0 ? 200 : 5000;
    for (int step = 0; step < 20000; ++step) {
      int r = int(rng() % universe);
      std::string m = round == 1 ? std::to_string(r - universe / 2) : "k" + std::to_string(r);
      if (step < 8000 ? rng() % 4 != 0 : rng() % 4 == 0) {
        EXPECT_EQ(s.Add(m, lim), model.insert(m).second);
      } else {
        EXPECT_EQ(s.Remove(m), model.erase(m) == 1);
      }
      ASSERT_EQ(s->size(), model.size());
      if (step % 997 == 0) {
        ASSERT_EQ(MembersOf(*s), model);
        ASSERT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
      }
    }
    EXPECT_EQ(MembersOf(*s), model);
    EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
  }
}

TEST(SetValueTest, HashtableShrinksWhenMostlyEmpty) {
  SetValue::Limits lim;
  TestSet s;
  for (int i = 0; i < 10000; ++i) s.Add("member-" + std::to_string(i), lim);
  size_t big = s->hashtable_slots();
  EXPECT_GE(big * 3, 10000u * 4);
  for (int i = 0; i < 9990; ++i) s.Remove("member-" + std::to_string(i));
  EXPECT_LT(s->hashtable_slots(), big / 64);
  EXPECT_EQ(s->size(), 10u);
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
}

// Every member present for a whole scan is returned, though the table grows and shrinks between
// the steps.
TEST(SetValueTest, ScanReturnsEveryMemberAcrossResizes) {
  SetValue::Limits lim;
  TestSet s;
  for (int i = 0; i < 1000; ++i) s.Add("stay-" + std::to_string(i), lim);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = s->Scan(cursor, 20, [&](std::string_view m) { seen.emplace(m); });
    ++step;
    if (step == 5) {
      for (int i = 0; i < 20000; ++i) s.Add("grow-" + std::to_string(i), lim);
    }
    if (step == 40) {
      for (int i = 0; i < 20000; ++i) s.Remove("grow-" + std::to_string(i));
    }
  } while (cursor != 0 && step < 100000);
  EXPECT_EQ(cursor, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count("stay-" + std::to_string(i))) << i;
}

// A growing table moves to its new slots a few at a time: the insert that starts the resize
// leaves most members in the old table, every operation answers from both meanwhile, and later
// changes finish the move.
TEST(SetValueTest, ResizeIsIncremental) {
  SetValue::Limits lim;
  TestSet s;
  int n = 0;
  while (!s->hashtable_resizing()) ASSERT_TRUE(s.Add("m" + std::to_string(n++), lim));
  EXPECT_GT(n, 128);  // past the listpack, the table's first doubling
  while (s->hashtable_slots() < 4096 || !s->hashtable_resizing())
    ASSERT_TRUE(s.Add("m" + std::to_string(n++), lim));
  // Just started: everything is findable, counted, scanned and drawn from both tables.
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
  for (int i = 0; i < n; ++i) ASSERT_TRUE(s->Contains("m" + std::to_string(i))) << i;
  EXPECT_FALSE(s->Contains("m" + std::to_string(n)));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = s->Scan(cursor, 7, [&](std::string_view m) { seen.emplace(m); });
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), size_t(n));
  EXPECT_EQ(MembersOf(*s).size(), size_t(n));
  char scratch[SetValue::kScratch];
  std::set<std::string> drawn;
  for (int i = 0; i < 20000; ++i)
    drawn.emplace(s->RandomMember(uint64_t(i) * 0x9e3779b97f4a7c15, scratch));
  EXPECT_GT(drawn.size(), size_t(n / 4));
  TestSet copy(SetValue::Clone(&*s));
  EXPECT_FALSE(copy->hashtable_resizing());
  EXPECT_EQ(MembersOf(*copy), MembersOf(*s));
  // Removals reach members still in the old table.
  for (int i = 0; i < n; i += 2) ASSERT_TRUE(s.Remove("m" + std::to_string(i)));
  EXPECT_EQ(s->size(), size_t(n / 2));
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
  int changes = 0;
  while (s->hashtable_resizing()) {
    ASSERT_TRUE(s.Add("more" + std::to_string(changes++), lim));
  }
  EXPECT_LT(changes, 1000);
  for (int i = 1; i < n; i += 2) ASSERT_TRUE(s->Contains("m" + std::to_string(i))) << i;
  EXPECT_EQ(s->MemoryBytes(), s->RecountMemoryBytes());
}

TEST(SetValueTest, RandomMemberIsAMember) {
  SetValue::Limits lim;
  for (const char* prefix : {"", "s"}) {
    TestSet s;
    for (int i = 0; i < 700; ++i) s.Add(prefix + std::to_string(i), lim);
    std::mt19937_64 rng(7);
    char scratch[SetValue::kScratch];
    std::set<std::string> drawn;
    for (int i = 0; i < 5000; ++i) {
      std::string m(s->RandomMember(rng(), scratch));
      EXPECT_TRUE(s->Contains(m));
      drawn.insert(m);
    }
    EXPECT_GT(drawn.size(), 500u);  // spread over the set
  }
}

TEST(SetValueTest, CodecRoundTripsEveryEncodingAndRejectsBadPayloads) {
  SetValue::Limits lim;
  TestSet ints, strs, big;
  for (int i = -300; i < 300; i += 7) ints.Add(std::to_string(i * 1000), lim);
  strs.Add("", lim);
  strs.Add(std::string("a\0b\r\n", 5), lim);
  strs.Add("12", lim);
  for (int i = 0; i < 1000; ++i) big.Add("member:" + std::to_string(i), lim);
  ASSERT_EQ(ints->kind(), Kind::kIntset);
  ASSERT_EQ(strs->kind(), Kind::kListpack);
  ASSERT_EQ(big->kind(), Kind::kHashtable);
  for (const SetValue* s : {&*ints, &*strs, &*big}) {
    std::string payload;
    s->Encode(&payload);
    SetValue* decoded = SetValue::Decode(payload);
    ASSERT_NE(decoded, nullptr);
    TestSet back(decoded);
    EXPECT_EQ(back->kind(), s->kind());
    EXPECT_EQ(MembersOf(*back), MembersOf(*s));
    EXPECT_EQ(back->MemoryBytes(), back->RecountMemoryBytes());
    std::string again;
    back->Encode(&again);
    if (s->kind() != Kind::kHashtable) {
      EXPECT_EQ(again, payload);  // same order too
    }
    // Truncated and with trailing bytes.
    EXPECT_EQ(SetValue::Decode(payload.substr(0, payload.size() - 1)), nullptr);
    EXPECT_EQ(SetValue::Decode(payload + "x"), nullptr);
  }
  for (std::string bad : {
           std::string(),                         // nothing
           std::string("\x03\x01\x01x", 4),       // unknown encoding
           std::string("\x01\x00", 2),            // empty set
           std::string("\x01\x02\x01x\x01x", 6),  // duplicate (listpack)
           std::string("\x02\x02\x01x\x01x", 6),  // duplicate (hashtable)
           std::string("\x00\x02\x01"
                       "1\x01"
                       "1",
                       6),  // duplicate (intset)
           std::string("\x00\x01\x02"
                       "01",
                       4),                   // not a canonical integer
           std::string("\x00\x01\x01x", 4),  // not an integer
           std::string("\x01\x05\x01x", 4),  // count past the bytes
           std::string("\x01\x01\x05x", 4),  // length past the end
           std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),  // varint too long
       }) {
    EXPECT_EQ(SetValue::Decode(bad), nullptr) << bad.size();
  }
}

// ---- through the engine

class SetFamilyTest : public EngineFixture {
 protected:
  std::string Encoding(std::string_view key) { return Run({"OBJECT", "ENCODING", key}); }
  std::string SAdd(std::string_view key, const std::vector<std::string>& members) {
    std::vector<std::string_view> args = {"SADD", key};
    for (const auto& m : members) args.push_back(m);
    return Run(args);
  }
};

std::vector<std::string> Numbered(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST_F(SetFamilyTest, EncodingsFollowTheConfiguredThresholds) {
  EXPECT_EQ(Run({"CONFIG", "GET", "set-max-*"}),
            "*6\r\n$22\r\nset-max-intset-entries\r\n$3\r\n512\r\n"
            "$24\r\nset-max-listpack-entries\r\n$3\r\n128\r\n"
            "$22\r\nset-max-listpack-value\r\n$2\r\n64\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-intset-entries", "4"}), "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-listpack-entries", "3"}), "+OK\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-listpack-value", "5"}), "+OK\r\n");
  SAdd("i", Numbered("", 0, 4));
  EXPECT_EQ(Encoding("i"), "$6\r\nintset\r\n");
  SAdd("i", {"4"});
  EXPECT_EQ(Encoding("i"), "$9\r\nhashtable\r\n");
  SAdd("l", {"a", "b", "c"});
  EXPECT_EQ(Encoding("l"), "$8\r\nlistpack\r\n");
  SAdd("l", {"d"});
  EXPECT_EQ(Encoding("l"), "$9\r\nhashtable\r\n");
  SAdd("v", {"12345"});
  EXPECT_EQ(Encoding("v"), "$6\r\nintset\r\n");
  SAdd("v", {"abcde"});
  EXPECT_EQ(Encoding("v"), "$8\r\nlistpack\r\n");
  SAdd("v", {"abcdef"});
  EXPECT_EQ(Encoding("v"), "$9\r\nhashtable\r\n");
  // Store results start over from the smallest encoding.
  EXPECT_EQ(Run({"SINTERSTORE", "d", "i", "i"}), ":5\r\n");
  EXPECT_EQ(Encoding("d"), "$9\r\nhashtable\r\n");
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "i", "l"}), ":5\r\n");
  EXPECT_EQ(Run({"SREM", "i", "4"}), ":1\r\n");
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "i"}), ":4\r\n");
  EXPECT_EQ(Encoding("d"), "$6\r\nintset\r\n");
  EXPECT_EQ(Encoding("i"), "$9\r\nhashtable\r\n");  // never back down by removal
  EXPECT_EQ(Run({"TYPE", "d"}), "+set\r\n");
  ExpectBookkeepingExact();
}

TEST_F(SetFamilyTest, MemoryAccountingFollowsEveryChange) {
  SAdd("s", Numbered("element-", 0, 2000));
  ExpectBookkeepingExact();
  SAdd("i", Numbered("", 0, 100));
  SAdd("i", {"70000", "-5000000000"});  // widen
  ExpectBookkeepingExact();
  SAdd("i", {"x"});  // intset -> listpack
  ExpectBookkeepingExact();
  SAdd("i", Numbered("y", 0, 100));  // listpack -> hashtable
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"SREM", "s", "element-1", "element-2", "nope"}), ":2\r\n");
  EXPECT_EQ(Run({"SPOP", "s", "1500"}).substr(0, 7), "*1500\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"SPOP", "s"}).substr(0, 1), "$");
  EXPECT_EQ(Run({"SMOVE", "i", "t", "x"}), ":1\r\n");
  EXPECT_EQ(Run({"SMOVE", "i", "t", "70000"}), ":1\r\n");
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "s", "i", "t"}).substr(0, 1), ":");
  EXPECT_EQ(Run({"SINTERSTORE", "u", "s", "i"}), ":0\r\n");  // deletes u
  EXPECT_EQ(Run({"EXISTS", "u"}), ":0\r\n");
  EXPECT_EQ(Run({"SDIFFSTORE", "s", "i", "t"}).substr(0, 1), ":");  // overwrites s
  ExpectBookkeepingExact();
  EXPECT_EQ(Run({"SPOP", "t", "10"}), "*2\r\n$1\r\nx\r\n$5\r\n70000\r\n");
  EXPECT_EQ(Run({"EXISTS", "t"}), ":0\r\n");  // the last pop deleted the key
  EXPECT_EQ(Run({"DEL", "s", "i"}), ":2\r\n");
  ExpectBookkeepingExact();
  Keyspace& ks = engine_.keyspace();
  EXPECT_EQ(ks.DbSize(0), 0u);
}

// A hashtable resizing across commands (the old table kept, then freed inside a later change)
// stays counted exactly.
TEST_F(SetFamilyTest, MemoryAccountingFollowsAnIncrementalResize) {
  auto resizing = [&] {
    bool r = false;
    WithEntry("s", [&](const Entry* e) {
      ASSERT_NE(e, nullptr);
      r = static_cast<const SetValue*>(e->object())->hashtable_resizing();
    });
    return r;
  };
  // 1537 members: the last one doubles the table from 2048 slots (3/4 full), leaving the move
  // under way.
  SAdd("s", Numbered("member-", 0, 1537));
  EXPECT_TRUE(resizing());
  ExpectBookkeepingExact();
  int i = 0;
  while (resizing() && i < 1000) {
    std::string m = "member-" + std::to_string(i++);
    EXPECT_EQ(Run({"SREM", "s", m}), ":1\r\n");
    ExpectBookkeepingExact();
  }
  EXPECT_FALSE(resizing());
  EXPECT_LT(i, 200);
  EXPECT_EQ(Run({"SCARD", "s"}), ":" + std::to_string(1537 - i) + "\r\n");
}

TEST_F(SetFamilyTest, MemoryUsageCountsTheMembers) {
  SAdd("small", {"a"});
  SAdd("large", Numbered("a-rather-long-member-name-", 0, 5000));
  auto usage = [&](std::string_view k) {
    std::string r = Run({"MEMORY", "USAGE", k});
    return std::stoll(r.substr(1));
  };
  EXPECT_GT(usage("large"), 5000 * (26 + 8));  // every member's bytes and its slot
  EXPECT_LT(usage("small"), 200);
}

TEST_F(SetFamilyTest, CopyIsDeep) {
  for (const char* src : {"ints", "strs", "big"}) {
    if (std::string(src) == "ints") SAdd(src, {"1", "2", "3"});
    if (std::string(src) == "strs") SAdd(src, {"a", "b", "c"});
    if (std::string(src) == "big") SAdd(src, Numbered("m", 0, 300));
    std::string dst = std::string(src) + "-copy";
    EXPECT_EQ(Run({"COPY", src, dst}), ":1\r\n");
    EXPECT_EQ(Encoding(dst), Encoding(src));
    std::string before = Run({"SCARD", src});
    EXPECT_EQ(Run({"SPOP", src, "2"}).substr(0, 3), "*2\r");
    EXPECT_EQ(Run({"SCARD", dst}), before);
    EXPECT_EQ(Run({"SINTERCARD", "2", src, dst}), Run({"SCARD", src}));
    ExpectBookkeepingExact();
  }
}

TEST_F(SetFamilyTest, TierCodecRoundTripsAndRejectsBadPayloads) {
  SAdd("s", {"", std::string("a\0b\r\n", 5), std::string(1000, 'x'), "last"});
  std::string payload;
  WithEntry("s", [&](const Entry* e) {
    ASSERT_NE(e, nullptr);
    payload = EncodeValue(*e);
  });
  ASSERT_FALSE(payload.empty());
  KeyRef k("s2");
  Entry* back = DecodeValue(k.key, k.hash, uint8_t(ValueType::kSet), payload);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->type, ValueType::kSet);
  EXPECT_EQ(EncodeValue(*back), payload);
  FreeEntry(back);
  for (std::string bad : {payload.substr(0, payload.size() - 1), payload + "x",
                          std::string("\x01\x00", 2), std::string()}) {
    EXPECT_EQ(DecodeValue(k.key, k.hash, uint8_t(ValueType::kSet), bad), nullptr) << bad.size();
  }
  EXPECT_TRUE(HasEncoder(ValueType::kSet));
}

}  // namespace
}  // namespace aegisr
