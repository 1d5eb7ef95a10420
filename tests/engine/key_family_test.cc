// Tests of the generic key commands (engine/key_family.cc) through Engine::Dispatch, with the
// expected replies and errors as Debian's redis-server 7.0 gives them. Single-threaded.
#include "engine/key_family.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/key_errors.h"
#include "tier/access.h"

namespace aegisr {
namespace {

// Records replies as RESP2 text.
class KeySink final : public ReplySink {
 public:
  void SimpleString(std::string_view s) override { out += "+" + std::string(s) + "\r\n"; }
  void Error(std::string_view m) override { out += "-" + std::string(m) + "\r\n"; }
  void Integer(int64_t v) override { out += ":" + std::to_string(v) + "\r\n"; }
  void Bulk(std::string_view s) override {
    out += "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
  }
  void Null() override { out += "$-1\r\n"; }
  void NullArray() override { out += "*-1\r\n"; }
  void ArrayHeader(size_t n) override { out += "*" + std::to_string(n) + "\r\n"; }
  void MapHeader(size_t n) override { out += "*" + std::to_string(2 * n) + "\r\n"; }
  void SetHeader(size_t n) override { out += "*" + std::to_string(n) + "\r\n"; }
  void PushHeader(size_t n) override { out += "*" + std::to_string(n) + "\r\n"; }
  void Double(double d) override { Bulk(std::to_string(d)); }
  void Bool(bool b) override { Integer(b); }
  void Verbatim(std::string_view, std::string_view t) override { Bulk(t); }
  void Raw(std::string_view r) override { out += r; }
  int protocol() const override { return 2; }
  void SetProtocol(int) override {}
  std::string out;
};

std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }
std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string BulkOf(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
const std::string kOk = "+OK\r\n";
const std::string kNil = "$-1\r\n";

// Parses a RESP2 array of bulk strings (KEYS) into a set.
std::set<std::string> ParseBulkArray(const std::string& resp, size_t* pos) {
  std::set<std::string> out;
  EXPECT_EQ(resp[*pos], '*');
  size_t eol = resp.find("\r\n", *pos);
  long n = std::stol(resp.substr(*pos + 1, eol - *pos - 1));
  *pos = eol + 2;
  for (long i = 0; i < n; ++i) {
    EXPECT_EQ(resp[*pos], '$');
    eol = resp.find("\r\n", *pos);
    size_t len = std::stoul(resp.substr(*pos + 1, eol - *pos - 1));
    out.insert(resp.substr(eol + 2, len));
    *pos = eol + 2 + len + 2;
  }
  return out;
}

class KeyFamilyTest : public ::testing::Test {
 protected:
  KeyFamilyTest() : engine_(&cfg_) {}

  std::string Run(std::vector<std::string_view> args) {
    KeySink sink;
    engine_.Dispatch(client_, sink, args);
    return sink.out;
  }

  // Stores a string directly in the keyspace (the string family is tested elsewhere).
  void Put(std::string_view key, std::string_view value, int db = 0, int64_t expire_at = 0) {
    KeyRef k(key);
    Keyspace& ks = engine_.keyspace();
    auto lk = ks.Lock(k);
    Shard& s = ks.shard(k);
    if (Entry** link = s.Find(db, k, Engine::NowMs())) s.Delete(db, link);
    Entry* e = NewStringEntry(k.key, k.hash, value);
    if (expire_at) e = SetExpire(e, expire_at);
    s.Insert(db, e);
  }
  // The value of key in db, or "(nil)".
  std::string Get(std::string_view key, int db = 0) {
    KeyRef k(key);
    Keyspace& ks = engine_.keyspace();
    auto lk = ks.Lock(k);
    Entry** link = ks.shard(k).Find(db, k, Engine::NowMs());
    if (!link) return "(nil)";
    char scratch[24];
    return std::string((*link)->str(scratch));
  }
  // The raw expire time, ignoring expiry (0: none; -2: missing).
  int64_t RawExpire(std::string_view key, int db = 0) {
    KeyRef k(key);
    auto lk = engine_.keyspace().Lock(k);
    Entry* e = engine_.keyspace().shard(k).table(db).Find(k.key, k.hash);
    return e ? e->expire_at() : -2;
  }
  std::set<std::string> Keys(std::string_view pattern) {
    std::string r = Run({"KEYS", pattern});
    size_t pos = 0;
    return ParseBulkArray(r, &pos);
  }
  // One SCAN call: returns the next cursor and adds the keys to *seen.
  uint64_t ScanOnce(uint64_t cursor, std::vector<std::string_view> opts,
                    std::multiset<std::string>* seen) {
    std::string c = std::to_string(cursor);
    std::vector<std::string_view> args = {"SCAN", c};
    args.insert(args.end(), opts.begin(), opts.end());
    std::string r = Run(args);
    EXPECT_EQ(r.substr(0, 4), "*2\r\n") << r;
    size_t eol = r.find("\r\n", 4);
    size_t len = std::stoul(r.substr(5, eol - 5));
    uint64_t next = std::stoull(r.substr(eol + 2, len));
    size_t pos = eol + 2 + len + 2;
    // Array of bulks (duplicates kept for the multiset).
    EXPECT_EQ(r[pos], '*');
    eol = r.find("\r\n", pos);
    long n = std::stol(r.substr(pos + 1, eol - pos - 1));
    pos = eol + 2;
    for (long i = 0; i < n; ++i) {
      eol = r.find("\r\n", pos);
      size_t l = std::stoul(r.substr(pos + 1, eol - pos - 1));
      seen->insert(r.substr(eol + 2, l));
      pos = eol + 2 + l + 2;
    }
    EXPECT_EQ(pos, r.size());
    return next;
  }

  int64_t Now() { return Engine::NowMs(); }

  Config cfg_;
  Engine engine_;
  ClientState client_;
};

// ---- DEL / UNLINK / EXISTS / TOUCH / TYPE ----

TEST_F(KeyFamilyTest, DelCountsEachRemovedKeyOnce) {
  Put("a", "1");
  Put("b", "2");
  Put("c", "3");
  EXPECT_EQ(Run({"DEL", "a", "a", "b", "nokey"}), Int(2));
  EXPECT_EQ(Get("a"), "(nil)");
  EXPECT_EQ(Get("c"), "3");
  EXPECT_EQ(Run({"unlink", "c", "c"}), Int(1));
  EXPECT_EQ(Run({"DEL", "c"}), Int(0));
  EXPECT_EQ(Run({"DEL"}), Err("ERR wrong number of arguments for 'del' command"));
}

TEST_F(KeyFamilyTest, ExistsCountsRepeatsAndIgnoresExpiredKeys) {
  Put("a", "1");
  Put("gone", "x", 0, Now() - 10);
  EXPECT_EQ(Run({"EXISTS", "a", "a", "nokey"}), Int(2));
  EXPECT_EQ(Run({"EXISTS", "gone"}), Int(0));
  EXPECT_EQ(RawExpire("gone"), -2);  // lazily deleted by the lookup
  EXPECT_EQ(Run({"DEL", "gone"}), Int(0));
}

TEST_F(KeyFamilyTest, TouchAndTypeAndDelOfExpiredKeys) {
  Put("s", "hello");
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"TOUCH", "s", "s", "nokey", "gone"}), Int(2));
  EXPECT_EQ(Run({"TYPE", "s"}), "+string\r\n");
  EXPECT_EQ(Run({"TYPE", "nokey"}), "+none\r\n");
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"TYPE", "gone"}), "+none\r\n");
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"DEL", "gone", "s"}), Int(1));
  EXPECT_EQ(Run({"TYPE", "a", "b"}), Err("ERR wrong number of arguments for 'type' command"));
}

// ---- RENAME / RENAMENX ----

TEST_F(KeyFamilyTest, RenameMovesValueAndTtlAcrossShards) {
  // Find two keys in different shards.
  std::string src = "src", dst = "dst";
  for (int i = 0; KeyRef(src).shard == KeyRef(dst).shard; ++i) dst = "dst" + std::to_string(i);
  int64_t at = Now() + 100000;
  Put(src, std::string(300, 'v'), 0, at);
  Put(dst, "old");
  EXPECT_EQ(Run({"RENAME", src, dst}), kOk);
  EXPECT_EQ(Get(src), "(nil)");
  EXPECT_EQ(Get(dst), std::string(300, 'v'));
  EXPECT_EQ(RawExpire(dst), at);
  EXPECT_EQ(Run({"DBSIZE"}), Int(1));
}

TEST_F(KeyFamilyTest, RenameInsideOneShardWithHashTags) {
  Put("{t}a", "1");
  Put("{t}b", "2");
  EXPECT_EQ(Run({"RENAME", "{t}a", "{t}b"}), kOk);
  EXPECT_EQ(Get("{t}b"), "1");
  EXPECT_EQ(Run({"RENAMENX", "{t}b", "{t}c"}), Int(1));
  EXPECT_EQ(Get("{t}c"), "1");
  EXPECT_EQ(Run({"DBSIZE"}), Int(1));
}

TEST_F(KeyFamilyTest, RenameErrorsAndSameKey) {
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), Err(errors::kNoSuchKey));
  EXPECT_EQ(Run({"RENAME", "nokey", "nokey"}), Err(errors::kNoSuchKey));
  EXPECT_EQ(Run({"RENAMENX", "nokey", "x"}), Err(errors::kNoSuchKey));
  Put("a", "1");
  EXPECT_EQ(Run({"RENAME", "a", "a"}), kOk);
  EXPECT_EQ(Run({"RENAMENX", "a", "a"}), Int(0));
  Put("b", "2");
  EXPECT_EQ(Run({"RENAMENX", "a", "b"}), Int(0));
  EXPECT_EQ(Get("b"), "2");
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"RENAME", "gone", "z"}), Err(errors::kNoSuchKey));
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"RENAMENX", "a", "gone"}), Int(1));  // an expired destination is free
  EXPECT_EQ(Get("gone"), "1");
  EXPECT_EQ(Run({"RENAME", "a"}), Err("ERR wrong number of arguments for 'rename' command"));
}

// ---- COPY ----

TEST_F(KeyFamilyTest, CopyKeepsSourceAndTtl) {
  int64_t at = Now() + 50000;
  Put("b", "2", 0, at);
  EXPECT_EQ(Run({"COPY", "b", "c"}), Int(1));
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("c"), "2");
  EXPECT_EQ(RawExpire("c"), at);
  Put("c", "3");
  EXPECT_EQ(Run({"COPY", "b", "c"}), Int(0));
  EXPECT_EQ(Get("c"), "3");
  EXPECT_EQ(Run({"COPY", "b", "c", "REPLACE"}), Int(1));
  EXPECT_EQ(Get("c"), "2");
  EXPECT_EQ(Run({"COPY", "b", "b", "db", "1"}), Int(1));
  EXPECT_EQ(Get("b", 1), "2");
  EXPECT_EQ(Run({"COPY", "b", "x", "DB", "2", "replace"}), Int(1));
  EXPECT_EQ(Get("x", 2), "2");
  EXPECT_EQ(Run({"COPY", "nokey", "x"}), Int(0));
}

TEST_F(KeyFamilyTest, CopyErrors) {
  Put("b", "2");
  EXPECT_EQ(Run({"COPY", "b", "b"}), Err(errors::kSameObject));
  EXPECT_EQ(Run({"COPY", "b", "b", "DB", "0"}), Err(errors::kSameObject));
  EXPECT_EQ(Run({"COPY", "nokey", "nokey"}), Err(errors::kSameObject));
  EXPECT_EQ(Run({"COPY", "b", "c", "DB", "16"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"COPY", "b", "c", "DB", "-1"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"COPY", "b", "c", "DB", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"COPY", "b", "c", "DB", "9223372036854775808"}), Err(errors::kNotInteger));
  // An int64 beyond int's range: Redis 7.0's own range error (checked against redis-server).
  EXPECT_EQ(Run({"COPY", "b", "c", "DB", "4294967296"}),
            Err("ERR value is out of range, value must between -2147483648 and 2147483647"));
  EXPECT_EQ(Run({"COPY", "b", "c", "FOO"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"COPY", "b", "c", "REPLACE", "DB"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"COPY", "b"}), Err("ERR wrong number of arguments for 'copy' command"));
  EXPECT_EQ(Get("c"), "(nil)");
  Put("gone", "x", 0, Now() - 1);
  EXPECT_EQ(Run({"COPY", "gone", "c"}), Int(0));
}

// ---- MOVE / SELECT / SWAPDB ----

TEST_F(KeyFamilyTest, MoveBetweenDatabases) {
  int64_t at = Now() + 10000;
  Put("k", "v", 0, at);
  EXPECT_EQ(Run({"MOVE", "k", "1"}), Int(1));
  EXPECT_EQ(Get("k"), "(nil)");
  EXPECT_EQ(Get("k", 1), "v");
  EXPECT_EQ(RawExpire("k", 1), at);
  Put("k", "w");
  EXPECT_EQ(Run({"MOVE", "k", "1"}), Int(0));  // exists in the target
  EXPECT_EQ(Get("k"), "w");
  EXPECT_EQ(Run({"MOVE", "nokey", "1"}), Int(0));
  EXPECT_EQ(Run({"MOVE", "k", "0"}), Err(errors::kSameObject));
  EXPECT_EQ(Run({"MOVE", "k", "16"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"MOVE", "k", "-1"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"MOVE", "k", "x"}), Err(errors::kNotInteger));
  Put("k", "expired", 1, Now() - 1);
  EXPECT_EQ(Run({"MOVE", "k", "1"}), Int(1));  // an expired target key does not count
  EXPECT_EQ(Get("k", 1), "w");
}

TEST_F(KeyFamilyTest, SelectChangesTheClientsDatabase) {
  Put("a", "db1", 1);
  EXPECT_EQ(Run({"SELECT", "1"}), kOk);
  EXPECT_EQ(client_.db.load(), 1);
  EXPECT_EQ(Run({"EXISTS", "a"}), Int(1));
  EXPECT_EQ(Run({"SELECT", "16"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"SELECT", "-1"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"SELECT", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SELECT", "1.5"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SELECT", "01"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SELECT", ""}), Err(errors::kNotInteger));
  EXPECT_EQ(client_.db.load(), 1);
  EXPECT_EQ(Run({"SELECT", "15"}), kOk);
  EXPECT_EQ(Run({"EXISTS", "a"}), Int(0));
}

TEST_F(KeyFamilyTest, SwapDbSwapsEveryShard) {
  for (int i = 0; i < 200; ++i) Put("k" + std::to_string(i), "zero", 0);
  Put("only1", "one", 1, Now() + 100000);
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), kOk);
  EXPECT_EQ(Run({"DBSIZE"}), Int(1));
  EXPECT_EQ(Get("only1"), "one");
  EXPECT_EQ(Get("k7", 1), "zero");
  EXPECT_EQ(engine_.keyspace().VolatileKeys(0), 1u);
  EXPECT_EQ(engine_.keyspace().VolatileKeys(1), 0u);
  EXPECT_EQ(Run({"SWAPDB", "0", "0"}), kOk);
  EXPECT_EQ(Run({"SWAPDB", "0", "16"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"SWAPDB", "-1", "0"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"SWAPDB", "a", "1"}), Err(errors::kInvalidFirstDbIndex));
  EXPECT_EQ(Run({"SWAPDB", "0", "a"}), Err(errors::kInvalidSecondDbIndex));
  EXPECT_EQ(Run({"DBSIZE"}), Int(1));
}

TEST_F(KeyFamilyTest, DatabasesKnobLimitsSelect) {
  cfg_.databases.store(4);
  EXPECT_EQ(Run({"SELECT", "3"}), kOk);
  EXPECT_EQ(Run({"SELECT", "4"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run({"MOVE", "k", "4"}), Err(errors::kDbIndexOutOfRange));
}

// ---- FLUSHDB / FLUSHALL / DBSIZE ----

TEST_F(KeyFamilyTest, FlushDbAndFlushAll) {
  for (int i = 0; i < 50; ++i) Put("k" + std::to_string(i), "v", i % 2);
  EXPECT_EQ(Run({"DBSIZE"}), Int(25));
  EXPECT_EQ(Run({"FLUSHDB", "FOO"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"FLUSHDB", "SYNC", "ASYNC"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"FLUSHALL", "now"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"DBSIZE"}), Int(25));
  EXPECT_EQ(Run({"FLUSHDB", "async"}), kOk);
  EXPECT_EQ(Run({"DBSIZE"}), Int(0));
  EXPECT_EQ(engine_.keyspace().DbSize(1), 25u);
  EXPECT_EQ(Run({"FLUSHDB"}), kOk);
  EXPECT_EQ(Run({"FLUSHALL", "SYNC"}), kOk);
  EXPECT_EQ(engine_.keyspace().DbSize(1), 0u);
  EXPECT_EQ(Run({"DBSIZE", "x"}), Err("ERR wrong number of arguments for 'dbsize' command"));
}

// ---- KEYS / SCAN / RANDOMKEY ----

TEST_F(KeyFamilyTest, KeysMatchesGlobsAndSkipsExpiredKeys) {
  for (auto k : {"hello", "hallo", "hxllo", "h*llo", "hllo", "heeeello", ""}) Put(k, "1");
  Put("hillo", "1", 0, Now() - 1);
  EXPECT_EQ(Keys("h?llo"), (std::set<std::string>{"hello", "hallo", "hxllo", "h*llo"}));
  EXPECT_EQ(Keys("h[ae]llo"), (std::set<std::string>{"hello", "hallo"}));
  EXPECT_EQ(Keys("h[^e]llo"), (std::set<std::string>{"hallo", "hxllo", "h*llo"}));
  EXPECT_EQ(Keys("h\\*llo"), (std::set<std::string>{"h*llo"}));
  EXPECT_EQ(Keys("*").size(), 7u);  // "*" also lists the empty key
  EXPECT_TRUE(Keys("*").count(""));
  EXPECT_EQ(Keys("nothing*"), std::set<std::string>{});
  EXPECT_EQ(Run({"KEYS"}), Err("ERR wrong number of arguments for 'keys' command"));
}

TEST_F(KeyFamilyTest, ScanReturnsEveryKeyAcrossShards) {
  std::set<std::string> want;
  for (int i = 0; i < 1000; ++i) {
    std::string k = "key:" + std::to_string(i);
    Put(k, "v");
    want.insert(k);
  }
  for (const char* count : {"1", "7", "10", "1000", "100000"}) {
    std::multiset<std::string> seen;
    uint64_t c = 0;
    int calls = 0;
    do {
      c = ScanOnce(c, {"COUNT", count}, &seen);
      ASSERT_LT(++calls, 100000);
    } while (c != 0);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), want) << "COUNT " << count;
    EXPECT_EQ(seen.size(), want.size()) << "no duplicates without resizes";
  }
}

TEST_F(KeyFamilyTest, ScanSeesEveryKeyWhileTablesGrow) {
  std::set<std::string> want;
  for (int i = 0; i < 300; ++i) {
    std::string k = "a" + std::to_string(i);
    Put(k, "v");
    want.insert(k);
  }
  std::multiset<std::string> seen;
  uint64_t c = 0;
  int added = 0;
  do {
    c = ScanOnce(c, {"COUNT", "3"}, &seen);
    for (int j = 0; j < 20; ++j) Put("b" + std::to_string(added++), "v");  // forces growth
  } while (c != 0);
  for (const auto& k : want) EXPECT_TRUE(seen.count(k)) << k;
}

TEST_F(KeyFamilyTest, ScanSmallDatabaseFinishesInOneCall) {
  Put("a", "1");
  Put("b", "2");
  Put("c", "3");
  std::multiset<std::string> seen;
  EXPECT_EQ(ScanOnce(0, {}, &seen), 0u);
  EXPECT_EQ(seen.size(), 3u);
}

TEST_F(KeyFamilyTest, ScanMatchTypeAndExpiredKeys) {
  for (int i = 0; i < 40; ++i) Put("m" + std::to_string(i), "v");
  Put("other", "v");
  Put("mgone", "v", 0, Now() - 1);
  std::multiset<std::string> seen;
  uint64_t c = 0;
  do c = ScanOnce(c, {"MATCH", "m*", "TYPE", "STRING", "COUNT", "5"}, &seen);
  while (c != 0);
  EXPECT_EQ(seen.size(), 40u);
  EXPECT_FALSE(seen.count("other"));
  EXPECT_FALSE(seen.count("mgone"));
  EXPECT_EQ(RawExpire("mgone"), -2);  // SCAN deleted the expired key
  seen.clear();
  c = 0;
  do c = ScanOnce(c, {"TYPE", "list", "COUNT", "1000"}, &seen);
  while (c != 0);
  EXPECT_TRUE(seen.empty());
  seen.clear();
  EXPECT_EQ(ScanOnce(0, {"TYPE", "bogus", "COUNT", "1000", "MATCH", "*"}, &seen), 0u);
  EXPECT_TRUE(seen.empty());
}

TEST_F(KeyFamilyTest, ScanArgumentErrors) {
  EXPECT_EQ(Run({"SCAN", "abc"}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", " 1"}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", "1 "}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", "1.5"}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", "18446744073709551616"}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", "abc", "COUNT", "0"}), Err(errors::kInvalidCursor));
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "0"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "-1"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SCAN", "0", "MATCH"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SCAN", "0", "TYPE"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SCAN", "0", "FOO", "1"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"SCAN"}), Err("ERR wrong number of arguments for 'scan' command"));
  // Accepted as Redis's strtoul does: "", "+5", "-1", and the largest value.
  EXPECT_EQ(Run({"SCAN", ""}), "*2\r\n$1\r\n0\r\n*0\r\n");
  EXPECT_EQ(Run({"SCAN", "+5"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Run({"SCAN", "-1"}).substr(0, 4), "*2\r\n");
  EXPECT_EQ(Run({"SCAN", "18446744073709551615", "COUNT", "9223372036854775807"}).substr(0, 4),
            "*2\r\n");
}

TEST_F(KeyFamilyTest, ScanCursorEncoding) {
  EXPECT_EQ(EncodeScanCursor(0, 0), 0u);
  EXPECT_EQ(EncodeScanCursor(255, 0), 255u);
  EXPECT_EQ(EncodeScanCursor(3, 5), (5u << 8) | 3u);
  EXPECT_EQ(ScanCursorShard(EncodeScanCursor(17, 12345)), 17u);
  EXPECT_EQ(ScanCursorTable(EncodeScanCursor(17, 12345)), 12345u);
  uint64_t c;
  EXPECT_TRUE(ParseScanCursor("-1", &c));
  EXPECT_EQ(c, UINT64_MAX);
  EXPECT_FALSE(ParseScanCursor("0x10", &c));
}

TEST_F(KeyFamilyTest, RandomKeyReturnsLiveKeysOnly) {
  EXPECT_EQ(Run({"RANDOMKEY"}), kNil);
  Put("gone1", "v", 0, Now() - 1);
  Put("gone2", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"RANDOMKEY"}), kNil);  // both expired: deleted while looking
  EXPECT_EQ(engine_.keyspace().DbSize(0), 0u);
  Put("a", "1");
  Put("b", "1");
  Put("gone3", "v", 0, Now() - 1);
  std::set<std::string> got;
  for (int i = 0; i < 200; ++i) got.insert(Run({"RANDOMKEY"}));
  EXPECT_EQ(got, (std::set<std::string>{BulkOf("a"), BulkOf("b")}));
  EXPECT_EQ(Run({"RANDOMKEY", "x"}), Err("ERR wrong number of arguments for 'randomkey' command"));
}

// ---- EXPIRE family / TTL family / PERSIST ----

TEST_F(KeyFamilyTest, ExpireOptionConflictsAndUnknownOptions) {
  Put("a", "1");
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "nx", "xx"}), Err(errors::kExpireNxAndOthers));
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "NX", "GT"}), Err(errors::kExpireNxAndOthers));
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "xx", "nx"}), Err(errors::kExpireNxAndOthers));
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "GT", "LT"}), Err(errors::kExpireGtAndLt));
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "foo"}), Err("ERR Unsupported option foo"));
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "nx", "x\r\ny"}), Err("ERR Unsupported option x  y"));
  // Options are checked before the number.
  EXPECT_EQ(Run({"EXPIRE", "a", "abc", "nx", "xx"}), Err(errors::kExpireNxAndOthers));
  EXPECT_EQ(Run({"EXPIRE", "a", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"PEXPIRE", "a", "1.5"}), Err(errors::kNotInteger));
  EXPECT_EQ(RawExpire("a"), 0);
  EXPECT_EQ(Run({"EXPIRE", "a"}), Err("ERR wrong number of arguments for 'expire' command"));
}

TEST_F(KeyFamilyTest, ExpireOverflowIsAnInvalidExpireTime) {
  Put("a", "1");
  EXPECT_EQ(Run({"EXPIRE", "a", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"expire", "a", "-9223372036854775808"}),
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"EXPIRE", "a", "9223372036854775"}),  // fits *1000, not + now
            Err("ERR invalid expire time in 'expire' command"));
  EXPECT_EQ(Run({"PEXPIRE", "a", "9223372036854775807"}),
            Err("ERR invalid expire time in 'pexpire' command"));
  EXPECT_EQ(Run({"EXPIREAT", "a", "9223372036854775807"}),
            Err("ERR invalid expire time in 'expireat' command"));
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Run({"PEXPIREAT", "a", "9223372036854775807"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}), Int(INT64_MAX));
  EXPECT_EQ(Run({"EXPIRETIME", "a"}), Int(9223372036854776));        // rounded, no overflow
  EXPECT_EQ(Run({"PEXPIRE", "a", "-9223372036854775808"}), Int(1));  // far past: deleted
  EXPECT_EQ(Get("a"), "(nil)");
}

TEST_F(KeyFamilyTest, ExpireInThePastDeletesTheKey) {
  for (auto cmd : {"EXPIRE", "PEXPIRE"}) {
    Put("a", "1");
    EXPECT_EQ(Run({cmd, "a", "0"}), Int(1)) << cmd;
    EXPECT_EQ(Get("a"), "(nil)");
    Put("a", "1");
    EXPECT_EQ(Run({cmd, "a", "-10"}), Int(1)) << cmd;
    EXPECT_EQ(Get("a"), "(nil)");
  }
  Put("a", "1");
  EXPECT_EQ(Run({"EXPIREAT", "a", "1"}), Int(1));
  EXPECT_EQ(Get("a"), "(nil)");
  Put("a", "1");
  EXPECT_EQ(Run({"PEXPIREAT", "a", "-1"}), Int(1));
  EXPECT_EQ(Get("a"), "(nil)");
  EXPECT_EQ(Run({"PEXPIREAT", "a", "-1"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "nokey", "10"}), Int(0));
  Put("gone", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"EXPIRE", "gone", "100"}), Int(0));
}

TEST_F(KeyFamilyTest, ExpireNxXxGtLt) {
  Put("b", "1");
  EXPECT_EQ(Run({"EXPIRE", "b", "100", "XX"}), Int(0));  // no TTL yet
  EXPECT_EQ(Run({"EXPIRE", "b", "100", "GT"}), Int(0));  // no TTL counts as infinite
  EXPECT_EQ(RawExpire("b"), 0);
  EXPECT_EQ(Run({"EXPIRE", "b", "100", "NX"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "b", "200", "NX"}), Int(0));
  EXPECT_EQ(Run({"TTL", "b"}), Int(100));
  EXPECT_EQ(Run({"EXPIRE", "b", "50", "GT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "b", "500", "gt"}), Int(1));
  EXPECT_EQ(Run({"TTL", "b"}), Int(500));
  EXPECT_EQ(Run({"EXPIRE", "b", "600", "LT"}), Int(0));
  EXPECT_EQ(Run({"EXPIRE", "b", "20", "lt"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "b", "30", "XX"}), Int(1));
  EXPECT_EQ(Run({"TTL", "b"}), Int(30));
  EXPECT_EQ(Run({"PERSIST", "b"}), Int(1));
  EXPECT_EQ(Run({"EXPIRE", "b", "-10", "LT"}), Int(1));  // LT beats no TTL: deleted
  EXPECT_EQ(Get("b"), "(nil)");
}

TEST_F(KeyFamilyTest, TtlFamilyReplies) {
  EXPECT_EQ(Run({"TTL", "nokey"}), Int(-2));
  EXPECT_EQ(Run({"PTTL", "nokey"}), Int(-2));
  EXPECT_EQ(Run({"EXPIRETIME", "nokey"}), Int(-2));
  EXPECT_EQ(Run({"PEXPIRETIME", "nokey"}), Int(-2));
  Put("p", "v");
  EXPECT_EQ(Run({"TTL", "p"}), Int(-1));
  EXPECT_EQ(Run({"PTTL", "p"}), Int(-1));
  EXPECT_EQ(Run({"EXPIRETIME", "p"}), Int(-1));
  EXPECT_EQ(Run({"PEXPIRETIME", "p"}), Int(-1));
  EXPECT_EQ(Run({"PEXPIREAT", "p", "99999999999999"}), Int(1));
  EXPECT_EQ(Run({"PEXPIRETIME", "p"}), Int(99999999999999));
  EXPECT_EQ(Run({"EXPIRETIME", "p"}), Int(100000000000));  // (ms + 500) / 1000
  EXPECT_EQ(Run({"PEXPIREAT", "p", "99999999999499"}), Int(1));
  EXPECT_EQ(Run({"EXPIRETIME", "p"}), Int(99999999999));
  EXPECT_EQ(Run({"PEXPIRE", "p", "1499"}), Int(1));
  EXPECT_EQ(Run({"TTL", "p"}), Int(1));
  std::string pttl = Run({"PTTL", "p"});
  int64_t v = std::stoll(pttl.substr(1));
  EXPECT_GT(v, 1400);
  EXPECT_LE(v, 1499);
  Put("gone", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"TTL", "gone"}), Int(-2));
  Put("gone", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"PEXPIRETIME", "gone"}), Int(-2));
  EXPECT_EQ(Run({"TTL"}), Err("ERR wrong number of arguments for 'ttl' command"));
}

TEST_F(KeyFamilyTest, PersistRemovesTheTtl) {
  Put("k", "v", 0, Now() + 100000);
  EXPECT_EQ(engine_.keyspace().VolatileKeys(0), 1u);
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(1));
  EXPECT_EQ(Run({"PERSIST", "k"}), Int(0));
  EXPECT_EQ(Run({"TTL", "k"}), Int(-1));
  EXPECT_EQ(engine_.keyspace().VolatileKeys(0), 0u);
  EXPECT_EQ(Get("k"), "v");
  EXPECT_EQ(Run({"PERSIST", "nokey"}), Int(0));
  Put("gone", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"PERSIST", "gone"}), Int(0));
  EXPECT_EQ(Get("gone"), "(nil)");
}

// ---- OBJECT / MEMORY USAGE ----

TEST_F(KeyFamilyTest, ObjectEncodingFollowsRedisRules) {
  Put("i", "123");
  Put("neg", "-9223372036854775808");
  Put("lead", "01");
  Put("e44", std::string(44, 'x'));
  Put("e45", std::string(45, 'x'));
  Put("big", std::string(1000, 'x'));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), BulkOf("int"));
  EXPECT_EQ(Run({"object", "encoding", "neg"}), BulkOf("int"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "lead"}), BulkOf("embstr"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "e44"}), BulkOf("embstr"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "e45"}), BulkOf("raw"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), BulkOf("raw"));
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "nokey"}), kNil);
  // A string changed in place (APPEND/SETRANGE make it kRawStr) is "raw" even when short.
  {
    KeyRef k("i");
    auto lk = engine_.keyspace().Lock(k);
    Shard& s = engine_.keyspace().shard(k);
    Entry** link = s.Find(0, k, Now());
    s.Update(0, link, [](Entry* e) {
      char* data;
      e = MakeRawString(e, 4, &data);
      SetRawLength(e, 4);
      return e;
    });
  }
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), BulkOf("raw"));
  Put("gone", "v", 0, Now() - 1);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "gone"}), kNil);
}

TEST_F(KeyFamilyTest, ObjectSubcommandErrorsAndHelp) {
  EXPECT_EQ(Run({"OBJECT", "FOO", "i"}), Err("ERR unknown subcommand 'FOO'. Try OBJECT HELP."));
  EXPECT_EQ(Run({"OBJECT", "ENCODING"}),
            Err("ERR wrong number of arguments for 'object|encoding' command"));
  EXPECT_EQ(Run({"OBJECT", "HELP", "x"}),
            Err("ERR wrong number of arguments for 'object|help' command"));
  EXPECT_EQ(Run({"OBJECT"}), Err("ERR wrong number of arguments for 'object' command"));
  std::string help = Run({"OBJECT", "help"});
  // Help text is our own wording (only the syntax lines follow Redis).
  std::string head = "*11\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n";
  EXPECT_EQ(help.substr(0, head.size()), head);
  EXPECT_NE(help.find("+    Show this help.\r\n"), std::string::npos);
}

TEST_F(KeyFamilyTest, ObjectFreqIdletimeRefcountDependOnPolicy) {
  Put("s", "hello");
  Put("n", "5");
  Put("m", "10000");
  EXPECT_EQ(Run({"OBJECT", "FREQ", "nokey"}), kNil);
  EXPECT_EQ(Run({"OBJECT", "FREQ", "s"}), Err(errors::kLfuNotSelected));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "s"}), Int(0));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "nokey"}), kNil);
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "s"}), Int(1));
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "n"}), Int(2147483647));  // a shared integer
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "m"}), Int(1));
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "nokey"}), kNil);
  cfg_.maxmemory_policy_id.store(int64_t(MaxmemoryPolicy::kAllkeysLfu));
  // The counter was kept under LRU too (tier/access.h), so it holds the initial 5 that a key
  // created under LFU has; Redis, which tracks one or the other, would answer 0 here.
  EXPECT_EQ(Run({"OBJECT", "FREQ", "s"}), Int(tier::kLfuInitValue));
  Run({"GET", "s"});  // the first increments happen with probability 1
  EXPECT_EQ(Run({"OBJECT", "FREQ", "s"}), Int(tier::kLfuInitValue + 1));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "s"}), Err(errors::kLfuSelected));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "nokey"}), kNil);
  cfg_.maxmemory.store(1 << 30);
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "n"}), Int(1));  // no shared integers under LFU
}

TEST_F(KeyFamilyTest, ObjectIdletimeGrowsWithTheLruClock) {
  Put("s", "v");
  EXPECT_EQ(Run({"TOUCH", "s"}), Int(1));
  Keyspace& ks = engine_.keyspace();
  ks.set_lru_clock(ks.lru_clock() + 42);
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "s"}), Int(42));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "s"}), Int(42));  // OBJECT does not touch
  EXPECT_EQ(Run({"TOUCH", "s"}), Int(1));
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "s"}), Int(0));
}

TEST_F(KeyFamilyTest, MemoryUsage) {
  Put("s", "hello");
  Put("big", std::string(5000, 'x'));
  std::string small = Run({"MEMORY", "USAGE", "s"});
  std::string large = Run({"MEMORY", "USAGE", "big"});
  ASSERT_EQ(small[0], ':');
  ASSERT_EQ(large[0], ':');
  int64_t s = std::stoll(small.substr(1)), b = std::stoll(large.substr(1));
  EXPECT_GT(s, 24);
  EXPECT_GE(b, 5000);
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES", "0"}), small);
  EXPECT_EQ(Run({"memory", "usage", "s", "samples", "5", "samples", "3"}), small);
  EXPECT_EQ(Run({"MEMORY", "USAGE", "nokey"}), kNil);
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES", "-1"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "FOO", "5"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"MEMORY", "USAGE"}),
            Err("ERR wrong number of arguments for 'memory|usage' command"));
}

TEST_F(KeyFamilyTest, RegisteredArityAndKeyPositionsMatchRedis) {
  struct Row {
    const char* name;
    int arity, first, last, step;
  };
  for (Row r :
       {Row{"del", -2, 1, -1, 1},       Row{"unlink", -2, 1, -1, 1},   Row{"exists", -2, 1, -1, 1},
        Row{"type", 2, 1, 1, 1},        Row{"rename", 3, 1, 2, 1},     Row{"renamenx", 3, 1, 2, 1},
        Row{"copy", -3, 1, 2, 1},       Row{"move", 3, 1, 1, 1},       Row{"keys", 2, 0, 0, 0},
        Row{"scan", -2, 0, 0, 0},       Row{"randomkey", 1, 0, 0, 0},  Row{"dbsize", 1, 0, 0, 0},
        Row{"expire", -3, 1, 1, 1},     Row{"pexpireat", -3, 1, 1, 1}, Row{"ttl", 2, 1, 1, 1},
        Row{"pexpiretime", 2, 1, 1, 1}, Row{"persist", 2, 1, 1, 1},    Row{"touch", -2, 1, -1, 1},
        Row{"flushdb", -1, 0, 0, 0},    Row{"flushall", -1, 0, 0, 0},  Row{"select", 2, 0, 0, 0},
        Row{"swapdb", 3, 0, 0, 0},      Row{"object", -2, 0, 0, 0}}) {
    const CommandSpec* c = engine_.commands().Find(r.name);
    ASSERT_NE(c, nullptr) << r.name;
    EXPECT_EQ(c->arity, r.arity) << r.name;
    EXPECT_EQ(c->first_key, r.first) << r.name;
    EXPECT_EQ(c->last_key, r.last) << r.name;
    EXPECT_EQ(c->key_step, r.step) << r.name;
  }
}

}  // namespace
}  // namespace aegisr

namespace aegisr {
namespace {

// Two clients renaming the same pair of keys (in different shards) in opposite directions,
// while a third copies: the shard locks must neither deadlock nor lose the value.
TEST_F(KeyFamilyTest, ConcurrentCrossShardRenamesKeepExactlyOneKey) {
  std::string a = "ping", b = "pong";
  for (int i = 0; KeyRef(a).shard == KeyRef(b).shard; ++i) b = "pong" + std::to_string(i);
  Put(a, "value");
  auto worker = [&](std::string from, std::string to) {
    ClientState client;
    for (int i = 0; i < 20000; ++i) {
      KeySink sink;
      std::vector<std::string_view> args = {"RENAME", from, to};
      engine_.Dispatch(client, sink, args);
      ASSERT_TRUE(sink.out == kOk || sink.out == Err(errors::kNoSuchKey)) << sink.out;
    }
  };
  auto copier = [&] {
    ClientState client;
    for (int i = 0; i < 20000; ++i) {
      KeySink sink;
      std::vector<std::string_view> args = {"COPY", a, "copy", "REPLACE"};
      engine_.Dispatch(client, sink, args);
    }
  };
  std::thread t1(worker, a, b), t2(worker, b, a), t3(copier);
  t1.join();
  t2.join();
  t3.join();
  EXPECT_EQ(Run({"EXISTS", a, b}), Int(1));
  std::string v = Get(a) != "(nil)" ? Get(a) : Get(b);
  EXPECT_EQ(v, "value");
}

// Redis's getIntFromObjectOrReply: an integer beyond int's range has its own error.
TEST_F(KeyFamilyTest, DbIndexBeyondIntRangeGetsRedisRangeError) {
  const std::string range =
      Err("ERR value is out of range, value must between -2147483648 and 2147483647");
  EXPECT_EQ(Run({"SELECT", "99999999999"}), range);
  EXPECT_EQ(Run({"SELECT", "abc"}), Err("ERR value is not an integer or out of range"));
  EXPECT_EQ(Run({"SELECT", "16"}), Err("ERR DB index is out of range"));
  EXPECT_EQ(Run({"MOVE", "k", "99999999999"}), range);
  EXPECT_EQ(Run({"COPY", "a", "b", "DB", "-99999999999"}), range);
  EXPECT_EQ(Run({"SWAPDB", "0", "99999999999"}), Err("ERR invalid second DB index"));
}

}  // namespace
}  // namespace aegisr
