// Unit tests of the string command family through Engine::Dispatch, replies as RESP bytes.
// Expected texts were checked against redis-server 7.0.15. Single-threaded.
#include "engine/string_family.h"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

#include "engine/client.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/keyspace/entry.h"
#include "engine/string_errors.h"
#include "net/resp_writer.h"

namespace aegisr {
namespace {

std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }
std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
const std::string kNull = "$-1\r\n";
const std::string kOk = "+OK\r\n";
const std::string kEmpty = "$0\r\n\r\n";

class StringFamilyTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string_view> args) {
    RespWriter w(protocol_);
    engine_.Dispatch(client_, w, args);
    return w.buffer();
  }
  std::string Run(std::initializer_list<std::string_view> args) {
    return Run(std::vector<std::string_view>(args));
  }

  // Inspects the entry of key under its shard lock. fn(const Entry*), nullptr if absent.
  template <typename Fn>
  void WithEntry(std::string_view key, Fn&& fn) {
    KeyRef k(key);
    Keyspace& ks = engine_.keyspace();
    auto lk = ks.Lock(k);
    Entry** link = ks.shard(k).Find(0, k, Engine::NowMs());
    fn(link ? *link : nullptr);
  }
  int64_t ExpireAt(std::string_view key) {
    int64_t at = -2;
    WithEntry(key, [&](const Entry* e) { at = e ? e->expire_at() : -2; });
    return at;
  }
  bool Exists(std::string_view key) {
    bool found = false;
    WithEntry(key, [&](const Entry* e) { found = e != nullptr; });
    return found;
  }
  // A key holding a value of another type (a list), for WRONGTYPE paths.
  void MakeList(std::string_view key) {
    KeyRef k(key);
    Keyspace& ks = engine_.keyspace();
    auto lk = ks.Lock(k);
    Entry* e = NewStringEntry(k.key, k.hash, "not-a-string");
    e->type = ValueType::kList;
    ks.shard(k).Insert(0, e);
  }

  Config config_;
  Engine engine_{&config_};
  ClientState client_;
  int protocol_ = 2;
};

const std::string kWrongTypeReply = Err(errors::kWrongType);

// ---- GET / SET basics ----

TEST_F(StringFamilyTest, GetOfMissingKeyIsNull) { EXPECT_EQ(Run({"GET", "nokey"}), kNull); }

TEST_F(StringFamilyTest, GetOfMissingKeyIsResp3NullInResp3) {
  protocol_ = 3;
  EXPECT_EQ(Run({"GET", "nokey"}), "_\r\n");
}

TEST_F(StringFamilyTest, SetThenGetReturnsValue) {
  EXPECT_EQ(Run({"SET", "k", "hello"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("hello"));
  EXPECT_EQ(Run({"set", "k", "world"}), kOk);
  EXPECT_EQ(Run({"get", "k"}), Bulk("world"));
}

TEST_F(StringFamilyTest, BinaryKeysAndValuesRoundTrip) {
  std::string key("b\0\r\nk", 5);
  std::string value("a\0b\r\nc\0", 7);
  EXPECT_EQ(Run({"SET", key, value}), kOk);
  EXPECT_EQ(Run({"GET", key}), Bulk(value));
  EXPECT_EQ(Run({"STRLEN", key}), Int(7));
  EXPECT_EQ(Run({"GET", std::string_view("b\0\r\n", 4)}), kNull);
}

TEST_F(StringFamilyTest, EmptyValueAndEmptyKey) {
  EXPECT_EQ(Run({"SET", "", ""}), kOk);
  EXPECT_EQ(Run({"GET", ""}), kEmpty);
  EXPECT_EQ(Run({"STRLEN", ""}), Int(0));
  EXPECT_TRUE(Exists(""));
}

TEST_F(StringFamilyTest, ValuesAroundEmbedLimitRoundTrip) {
  for (size_t n : {kEmbedMax - 1, kEmbedMax, kEmbedMax + 1, size_t(100000)}) {
    std::string v(n, 'x');
    v[n / 2] = '\0';
    EXPECT_EQ(Run({"SET", "k", v}), kOk) << n;
    EXPECT_EQ(Run({"GET", "k"}), Bulk(v)) << n;
    EXPECT_EQ(Run({"STRLEN", "k"}), Int(int64_t(n))) << n;
  }
  // Shrinking from a raw string back to an embedded one.
  EXPECT_EQ(Run({"SET", "k", "short"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("short"));
}

TEST_F(StringFamilyTest, IntegerLookingValuesKeepTheirExactText) {
  for (std::string_view v :
       {"9223372036854775807", "-9223372036854775808", "0", "-1", "9223372036854775808", "+1", " 1",
        "1 ", "01", "-0", "1.0", "00", "12345678901234567890"}) {
    EXPECT_EQ(Run({"SET", "k", v}), kOk);
    EXPECT_EQ(Run({"GET", "k"}), Bulk(v)) << v;
    EXPECT_EQ(Run({"STRLEN", "k"}), Int(int64_t(v.size()))) << v;
  }
}

TEST_F(StringFamilyTest, CanonicalIntegersAreStoredAsIntegers) {
  EXPECT_EQ(Run({"SET", "k", "-9223372036854775808"}), kOk);
  WithEntry("k", [](const Entry* e) {
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->is_int());
  });
  EXPECT_EQ(Run({"SET", "k", "01"}), kOk);
  WithEntry("k", [](const Entry* e) { EXPECT_FALSE(e->is_int()); });
}

TEST_F(StringFamilyTest, WrongTypeForReadersAndWriters) {
  MakeList("l");
  EXPECT_EQ(Run({"GET", "l"}), kWrongTypeReply);
  EXPECT_EQ(Run({"STRLEN", "l"}), kWrongTypeReply);
  EXPECT_EQ(Run({"APPEND", "l", "x"}), kWrongTypeReply);
  EXPECT_EQ(Run({"INCR", "l"}), kWrongTypeReply);
  EXPECT_EQ(Run({"DECRBY", "l", "3"}), kWrongTypeReply);
  EXPECT_EQ(Run({"INCRBYFLOAT", "l", "1"}), kWrongTypeReply);
  EXPECT_EQ(Run({"GETRANGE", "l", "0", "-1"}), kWrongTypeReply);
  EXPECT_EQ(Run({"SETRANGE", "l", "0", "x"}), kWrongTypeReply);
  EXPECT_EQ(Run({"GETSET", "l", "v"}), kWrongTypeReply);
  EXPECT_EQ(Run({"GETDEL", "l"}), kWrongTypeReply);
  EXPECT_EQ(Run({"GETEX", "l"}), kWrongTypeReply);
  EXPECT_EQ(Run({"SET", "l", "v", "GET"}), kWrongTypeReply);
  EXPECT_EQ(Run({"SET", "l", "v", "NX", "GET"}), kWrongTypeReply);
  // None of the above changed the key.
  WithEntry("l", [](const Entry* e) {
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->type, ValueType::kList);
  });
  // Argument errors come before the type check.
  EXPECT_EQ(Run({"INCRBY", "l", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SETRANGE", "l", "-1", "x"}), Err(errors::kOffsetOutOfRange));
  EXPECT_EQ(Run({"GETRANGE", "l", "x", "1"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SET", "l", "v", "EX", "0", "GET"}), Err(errors::kInvalidExpireSet));
  // SETNX sees the key as existing; SET/SETEX replace it.
  EXPECT_EQ(Run({"SETNX", "l", "v"}), Int(0));
  EXPECT_EQ(Run({"SETEX", "l", "10", "v"}), kOk);
  EXPECT_EQ(Run({"GET", "l"}), Bulk("v"));
}

TEST_F(StringFamilyTest, SetReplacesOtherTypeKeepingTtlOnlyWithKeepTtl) {
  MakeList("l");
  EXPECT_EQ(Run({"SET", "l", "v"}), kOk);
  EXPECT_EQ(Run({"GET", "l"}), Bulk("v"));
  MakeList("m");
  EXPECT_EQ(Run({"SET", "m", "v"}), kOk);  // replace the list: m is a string now
  EXPECT_EQ(Run({"SET", "m", "w", "PX", "100000"}), kOk);
  int64_t at = ExpireAt("m");
  EXPECT_GT(at, 0);
  EXPECT_EQ(Run({"SET", "m", "x", "KEEPTTL"}), kOk);
  EXPECT_EQ(ExpireAt("m"), at);
}

// ---- SET options ----

TEST_F(StringFamilyTest, SetNxAndXx) {
  EXPECT_EQ(Run({"SET", "k", "1", "XX"}), kNull);
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(Run({"SET", "k", "1", "NX"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "2", "nx"}), kNull);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("1"));
  EXPECT_EQ(Run({"SET", "k", "3", "xX"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("3"));
  EXPECT_EQ(Run({"SET", "k", "4", "NX", "NX"}), kNull);  // a repeated flag is accepted
}

TEST_F(StringFamilyTest, SetGetReturnsOldValue) {
  EXPECT_EQ(Run({"SET", "k", "v1", "GET"}), kNull);
  EXPECT_EQ(Run({"SET", "k", "v2", "GET"}), Bulk("v1"));
  EXPECT_EQ(Run({"SET", "k", "v3", "get", "GET"}), Bulk("v2"));
  EXPECT_EQ(Run({"SET", "k", "v4", "NX", "GET"}), Bulk("v3"));  // not set
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v3"));
  EXPECT_EQ(Run({"SET", "n", "v", "NX", "GET"}), kNull);  // set
  EXPECT_EQ(Run({"GET", "n"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "x", "v", "XX", "GET"}), kNull);  // not set
  EXPECT_FALSE(Exists("x"));
  EXPECT_EQ(Run({"SET", "k", "v5", "XX", "GET"}), Bulk("v3"));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("v5"));
}

TEST_F(StringFamilyTest, SetSyntaxErrors) {
  const std::string syntax = Err(errors::kSyntax);
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"SET", "k", "v", "NX", "XX"},
           {"SET", "k", "v", "XX", "NX"},
           {"SET", "k", "v", "EX", "10", "PX", "100"},
           {"SET", "k", "v", "EX", "10", "KEEPTTL"},
           {"SET", "k", "v", "KEEPTTL", "EX", "10"},
           {"SET", "k", "v", "EXAT", "10", "PXAT", "100"},
           {"SET", "k", "v", "PX", "10", "EXAT", "100"},
           {"SET", "k", "v", "EX"},
           {"SET", "k", "v", "PXAT"},
           {"SET", "k", "v", "foo"},
           {"SET", "k", "v", "PERSIST"},
           {"SET", "k", "v", "NXX"},
           {"SET", "k", "v", "N"},
           {"SET", "k", "v", ""},
           {"SET", "k", "v", "EX", "10", "EX"},
       }) {
    EXPECT_EQ(Run(args), syntax) << args.size();
  }
  EXPECT_FALSE(Exists("k"));
}

TEST_F(StringFamilyTest, SetExpireErrors) {
  const std::string invalid = Err(errors::kInvalidExpireSet);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "-1"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "0"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "-5"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}), invalid);  // + now overflows
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}), invalid);     // *1000 + now
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854776"}), invalid);     // *1000 overflows
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "9223372036854776"}), invalid);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "+1"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1.5"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775808"}), Err(errors::kNotInteger));
  // The last of repeated EX wins, so only its value is checked.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "EX", "abc"}), Err(errors::kNotInteger));
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc", "EX", "10"}), kOk);
  EXPECT_GT(ExpireAt("k"), Engine::NowMs() + 9000);
}

TEST_F(StringFamilyTest, SetExpiryOptionsSetTheRightDeadline) {
  int64_t before = Engine::NowMs();
  EXPECT_EQ(Run({"SET", "a", "v", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"SET", "b", "v", "px", "100000"}), kOk);
  EXPECT_EQ(Run({"SET", "c", "v", "EXAT", "4102444800"}), kOk);
  EXPECT_EQ(Run({"SET", "d", "v", "PXAT", "4102444800123"}), kOk);
  int64_t after = Engine::NowMs();
  EXPECT_GE(ExpireAt("a"), before + 100000);
  EXPECT_LE(ExpireAt("a"), after + 100000);
  EXPECT_GE(ExpireAt("b"), before + 100000);
  EXPECT_LE(ExpireAt("b"), after + 100000);
  EXPECT_EQ(ExpireAt("c"), 4102444800000);
  EXPECT_EQ(ExpireAt("d"), 4102444800123);
  // Plain SET drops the TTL; KEEPTTL keeps it; SET EX on a key with a TTL replaces it.
  EXPECT_EQ(Run({"SET", "c", "w", "KEEPTTL"}), kOk);
  EXPECT_EQ(ExpireAt("c"), 4102444800000);
  EXPECT_EQ(Run({"SET", "c", "w", "PXAT", "4102444800999"}), kOk);
  EXPECT_EQ(ExpireAt("c"), 4102444800999);
  EXPECT_EQ(Run({"SET", "c", "w"}), kOk);
  EXPECT_EQ(ExpireAt("c"), 0);
  EXPECT_EQ(Run({"GET", "c"}), Bulk("w"));
  EXPECT_EQ(Run({"SET", "e", "v", "KEEPTTL"}), kOk);  // no TTL to keep
  EXPECT_EQ(ExpireAt("e"), 0);
}

TEST_F(StringFamilyTest, SetWithPastAbsoluteTimeLeavesNoVisibleKey) {
  EXPECT_EQ(Run({"SET", "k", "old"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "1", "GET"}), Bulk("old"));
  EXPECT_EQ(Run({"GET", "k"}), kNull);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "1"}), kOk);
  EXPECT_EQ(Run({"GET", "k"}), kNull);
}

TEST_F(StringFamilyTest, ExpiredKeysAreAbsentForEveryCommand) {
  auto expire_soon = [&](std::string_view key, std::string_view value) {
    ASSERT_EQ(Run({"SET", key, value, "PX", "1"}), kOk);
  };
  expire_soon("a", "10");
  expire_soon("b", "hello");
  expire_soon("c", "x");
  expire_soon("d", "5");
  expire_soon("e", "v");
  expire_soon("f", "1.5");
  expire_soon("g", "abc");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Run({"GET", "a"}), kNull);
  EXPECT_EQ(Run({"INCR", "a"}), Int(1));
  EXPECT_EQ(ExpireAt("a"), 0);
  EXPECT_EQ(Run({"APPEND", "b", "x"}), Int(1));
  EXPECT_EQ(Run({"SETNX", "c", "y"}), Int(1));
  EXPECT_EQ(Run({"MSETNX", "d", "1"}), Int(1));
  EXPECT_EQ(Run({"GETSET", "e", "w"}), kNull);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}), Bulk("1"));
  EXPECT_EQ(Run({"STRLEN", "g"}), Int(0));
  EXPECT_EQ(Run({"SET", "g", "v", "XX"}), kNull);
}

// ---- SETNX / SETEX / PSETEX ----

TEST_F(StringFamilyTest, SetNxRepliesOneOrZero) {
  EXPECT_EQ(Run({"SETNX", "k", "a"}), Int(1));
  EXPECT_EQ(Run({"SETNX", "k", "b"}), Int(0));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("a"));
}

TEST_F(StringFamilyTest, SetExAndPSetEx) {
  EXPECT_EQ(Run({"SETEX", "k", "100", "v"}), kOk);
  EXPECT_GT(ExpireAt("k"), Engine::NowMs() + 99000);
  EXPECT_EQ(Run({"PSETEX", "p", "100000", "v"}), kOk);
  EXPECT_GT(ExpireAt("p"), Engine::NowMs() + 99000);
  EXPECT_EQ(Run({"SETEX", "x", "0", "v"}), Err(errors::kInvalidExpireSetex));
  EXPECT_EQ(Run({"SETEX", "x", "-10", "v"}), Err(errors::kInvalidExpireSetex));
  EXPECT_EQ(Run({"SETEX", "x", "9223372036854775", "v"}), Err(errors::kInvalidExpireSetex));
  EXPECT_EQ(Run({"PSETEX", "x", "0", "v"}), Err(errors::kInvalidExpirePsetex));
  EXPECT_EQ(Run({"PSETEX", "x", "9223372036854775807", "v"}), Err(errors::kInvalidExpirePsetex));
  EXPECT_EQ(Run({"SETEX", "x", "abc", "v"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"PSETEX", "x", "", "v"}), Err(errors::kNotInteger));
  EXPECT_FALSE(Exists("x"));
  EXPECT_EQ(Run({"SETEX", "k"}), Err("ERR wrong number of arguments for 'setex' command"));
}

// ---- GETSET / GETDEL / GETEX ----

TEST_F(StringFamilyTest, GetSetReturnsOldValueAndDropsTtl) {
  EXPECT_EQ(Run({"GETSET", "k", "a"}), kNull);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("a"));
  EXPECT_EQ(Run({"SET", "k", "b", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"GETSET", "k", "c"}), Bulk("b"));
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("c"));
}

TEST_F(StringFamilyTest, GetDelReturnsAndDeletes) {
  EXPECT_EQ(Run({"GETDEL", "k"}), kNull);
  EXPECT_EQ(Run({"SET", "k", "12"}), kOk);
  EXPECT_EQ(Run({"GETDEL", "k"}), Bulk("12"));
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(Run({"GETDEL", "k"}), kNull);
}

TEST_F(StringFamilyTest, GetExChangesTtl) {
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  EXPECT_EQ(Run({"GETEX", "k"}), Bulk("v"));
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "100"}), Bulk("v"));
  EXPECT_GT(ExpireAt("k"), Engine::NowMs() + 99000);
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", "4102444800123"}), Bulk("v"));
  EXPECT_EQ(ExpireAt("k"), 4102444800123);
  EXPECT_EQ(Run({"GETEX", "k"}), Bulk("v"));  // no option: TTL untouched
  EXPECT_EQ(ExpireAt("k"), 4102444800123);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), Bulk("v"));
  EXPECT_EQ(ExpireAt("k"), 0);
  EXPECT_EQ(Run({"GETEX", "k", "persist", "PERSIST"}), Bulk("v"));
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "1"}), Bulk("v"));  // past: deleted after the reply
  EXPECT_FALSE(Exists("k"));
  EXPECT_EQ(Run({"GETEX", "k"}), kNull);
}

TEST_F(StringFamilyTest, GetExErrors) {
  EXPECT_EQ(Run({"SET", "k", "v"}), kOk);
  const std::string syntax = Err(errors::kSyntax);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "10"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PERSIST"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "NX"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "GET"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "KEEPTTL"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX"}), syntax);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "abc", "PX", "100"}), syntax);
  EXPECT_EQ(Run({"GETEX", "nokey", "PERSIST", "EX", "10"}), syntax);  // syntax before lookup
  EXPECT_EQ(Run({"GETEX", "k", "EX", "0"}), Err(errors::kInvalidExpireGetex));
  EXPECT_EQ(Run({"GETEX", "k", "PX", "9223372036854775807"}), Err(errors::kInvalidExpireGetex));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "abc"}), Err(errors::kNotInteger));
  EXPECT_EQ(ExpireAt("k"), 0);
  // A missing key answers null before its expire argument is looked at.
  EXPECT_EQ(Run({"GETEX", "nokey", "EX", "0"}), kNull);
  EXPECT_EQ(Run({"GETEX", "nokey", "EX", "abc"}), kNull);
  MakeList("l");
  EXPECT_EQ(Run({"GETEX", "l", "EX", "0"}), kWrongTypeReply);
}

// ---- MGET / MSET / MSETNX ----

TEST_F(StringFamilyTest, MGetMixesValuesNullsAndWrongTypes) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "two"}), kOk);
  MakeList("l");
  EXPECT_EQ(Run({"MGET", "a", "l", "nokey", "b", "a"}),
            "*5\r\n" + Bulk("1") + kNull + kNull + Bulk("two") + Bulk("1"));
}

TEST_F(StringFamilyTest, MSetAndMGetOfManyKeys) {
  std::vector<std::string> keys;
  for (int i = 0; i < 50; ++i) keys.push_back("key:" + std::to_string(i));
  std::vector<std::string_view> mset{"MSET"}, mget{"MGET"};
  for (auto& k : keys) {
    mset.push_back(k);
    mset.push_back(k);
    mget.push_back(k);
  }
  EXPECT_EQ(Run(mset), kOk);
  std::string expected = "*50\r\n";
  for (auto& k : keys) expected += Bulk(k);
  EXPECT_EQ(Run(mget), expected);
}

TEST_F(StringFamilyTest, MSetDropsTtlAndLastDuplicateWins) {
  EXPECT_EQ(Run({"SET", "a", "x", "EX", "100"}), kOk);
  EXPECT_EQ(Run({"MSET", "a", "1", "a", "2"}), kOk);
  EXPECT_EQ(Run({"GET", "a"}), Bulk("2"));
  EXPECT_EQ(ExpireAt("a"), 0);
}

TEST_F(StringFamilyTest, MSetOddArgumentCountIsArityError) {
  EXPECT_EQ(Run({"MSET", "a", "b", "c"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_EQ(Run({"MSETNX", "a", "b", "c"}),
            Err("ERR wrong number of arguments for 'msetnx' command"));
  EXPECT_EQ(Run({"MSET", "a"}), Err("ERR wrong number of arguments for 'mset' command"));
  EXPECT_FALSE(Exists("a"));
}

TEST_F(StringFamilyTest, MSetNxIsAllOrNothing) {
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b", "2"}), Int(1));
  EXPECT_EQ(Run({"MSETNX", "c", "3", "a", "9"}), Int(0));
  EXPECT_FALSE(Exists("c"));
  EXPECT_EQ(Run({"GET", "a"}), Bulk("1"));
  MakeList("l");
  EXPECT_EQ(Run({"MSETNX", "l", "1", "d", "2"}), Int(0));
  EXPECT_FALSE(Exists("d"));
  EXPECT_EQ(Run({"MSETNX", "z", "1", "z", "2"}), Int(1));
  EXPECT_EQ(Run({"GET", "z"}), Bulk("2"));
}

// ---- APPEND / STRLEN ----

TEST_F(StringFamilyTest, AppendBuildsStrings) {
  EXPECT_EQ(Run({"APPEND", "k", ""}), Int(0));
  EXPECT_TRUE(Exists("k"));
  EXPECT_EQ(Run({"APPEND", "k", "ab"}), Int(2));
  EXPECT_EQ(Run({"APPEND", "k", std::string_view("\0\r\n", 3)}), Int(5));
  EXPECT_EQ(Run({"GET", "k"}), Bulk(std::string_view("ab\0\r\n", 5)));
  EXPECT_EQ(Run({"SET", "n", "10"}), kOk);
  EXPECT_EQ(Run({"APPEND", "n", "5"}), Int(3));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("105"));
  EXPECT_EQ(Run({"INCR", "n"}), Int(106));  // a raw string of digits is still an integer
  std::string big(kEmbedMax, 'y');
  EXPECT_EQ(Run({"SET", "e", big}), kOk);
  EXPECT_EQ(Run({"APPEND", "e", "z"}), Int(int64_t(kEmbedMax + 1)));
  EXPECT_EQ(Run({"GET", "e"}), Bulk(big + "z"));
  EXPECT_EQ(Run({"APPEND", "e", ""}), Int(int64_t(kEmbedMax + 1)));
}

TEST_F(StringFamilyTest, EmptyAppendStillMakesTheValueRaw) {
  EXPECT_EQ(Run({"SET", "k", "10"}), kOk);
  EXPECT_EQ(Run({"APPEND", "k", ""}), Int(2));
  WithEntry("k", [](const Entry* e) { EXPECT_EQ(e->enc, Encoding::kRawStr); });
  EXPECT_EQ(Run({"GET", "k"}), Bulk("10"));
  EXPECT_EQ(Run({"INCR", "k"}), Int(11));
}

TEST_F(StringFamilyTest, AppendKeepsTtl) {
  EXPECT_EQ(Run({"SET", "k", "a", "PXAT", "4102444800123"}), kOk);
  EXPECT_EQ(Run({"APPEND", "k", "b"}), Int(2));
  EXPECT_EQ(ExpireAt("k"), 4102444800123);
}

TEST_F(StringFamilyTest, AppendRespectsProtoMaxBulkLen) {
  config_.proto_max_bulk_len.store(1 << 20);
  std::string chunk(1 << 19, 'a');
  EXPECT_EQ(Run({"APPEND", "k", chunk}), Int(1 << 19));
  EXPECT_EQ(Run({"APPEND", "k", chunk}), Int(1 << 20));
  EXPECT_EQ(Run({"APPEND", "k", "x"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(1 << 20));
}

TEST_F(StringFamilyTest, StrLenOfIntegerIsDigitCount) {
  EXPECT_EQ(Run({"STRLEN", "nokey"}), Int(0));
  EXPECT_EQ(Run({"SET", "k", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Run({"STRLEN", "k"}), Int(20));
}

// ---- INCR family ----

TEST_F(StringFamilyTest, IncrDecrBasics) {
  EXPECT_EQ(Run({"INCR", "k"}), Int(1));
  EXPECT_EQ(Run({"INCRBY", "k", "41"}), Int(42));
  EXPECT_EQ(Run({"DECR", "k"}), Int(41));
  EXPECT_EQ(Run({"DECRBY", "k", "-9"}), Int(50));
  EXPECT_EQ(Run({"GET", "k"}), Bulk("50"));
  EXPECT_EQ(Run({"DECRBY", "m", "5"}), Int(-5));
  EXPECT_EQ(Run({"INCRBY", "m", "-9223372036854775803"}), Int(INT64_MIN));
}

TEST_F(StringFamilyTest, IncrOnIntegerUpdatesInPlace) {
  EXPECT_EQ(Run({"SET", "k", "100", "PXAT", "4102444800123"}), kOk);
  const Entry* before = nullptr;
  WithEntry("k", [&](const Entry* e) { before = e; });
  EXPECT_EQ(Run({"INCR", "k"}), Int(101));
  WithEntry("k", [&](const Entry* e) {
    EXPECT_EQ(e, before);  // same cell: no reallocation
    EXPECT_TRUE(e->is_int());
    EXPECT_EQ(e->int_value(), 101);
  });
  EXPECT_EQ(ExpireAt("k"), 4102444800123);
}

TEST_F(StringFamilyTest, IncrOverflowAndBoundaries) {
  const std::string overflow = Err(errors::kOverflow);
  EXPECT_EQ(Run({"SET", "k", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"INCR", "k"}), overflow);
  EXPECT_EQ(Run({"INCRBY", "k", "1"}), overflow);
  EXPECT_EQ(Run({"GET", "k"}), Bulk("9223372036854775807"));
  EXPECT_EQ(Run({"DECR", "k"}), Int(9223372036854775806));
  EXPECT_EQ(Run({"SET", "k", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Run({"DECR", "k"}), overflow);
  EXPECT_EQ(Run({"DECRBY", "k", "1"}), overflow);
  EXPECT_EQ(Run({"INCRBY", "k", "-1"}), overflow);
  EXPECT_EQ(Run({"INCRBY", "k", "9223372036854775807"}), Int(-1));
  EXPECT_EQ(Run({"DECRBY", "k", "-9223372036854775808"}), Err(errors::kDecrementOverflow));
  EXPECT_EQ(Run({"DECRBY", "nokey", "-9223372036854775808"}), Err(errors::kDecrementOverflow));
  EXPECT_FALSE(Exists("nokey"));
  EXPECT_EQ(Run({"INCRBY", "j", "-9223372036854775808"}), Int(INT64_MIN));
}

TEST_F(StringFamilyTest, IncrRejectsNonIntegers) {
  const std::string not_int = Err(errors::kNotInteger);
  for (std::string_view v : std::initializer_list<std::string_view>{
           "+1", " 1", "1 ", "01", "-0", "1.0", "", "abc", "1e3", "0x10", "9223372036854775808",
           "-9223372036854775809", std::string_view("1\0", 2)}) {
    EXPECT_EQ(Run({"SET", "k", v}), kOk);
    EXPECT_EQ(Run({"INCR", "k"}), not_int) << v;
    EXPECT_EQ(Run({"GET", "k"}), Bulk(v)) << v;
    EXPECT_EQ(Run({"INCRBY", "n", v}), not_int) << v;
    EXPECT_EQ(Run({"DECRBY", "n", v}), not_int) << v;
  }
  EXPECT_FALSE(Exists("n"));
}

// ---- INCRBYFLOAT ----

TEST_F(StringFamilyTest, IncrByFloatFormatsAsRedis) {
  struct Case {
    const char* start;
    const char* incr;
    const char* expect;
  };
  for (const Case& c : std::vector<Case>{
           {"10.5", "0.1", "10.6"},
           {"3.0", "0", "3"},
           {"1e10", "0", "10000000000"},
           {"0x10", "1", "17"},
           {"1", "1e-20", "1"},
           {"0", "1e-400", "0"},
           {"0", "5e-324", "0"},
           {"3", "1.23456789012345678901", "4.23456789012345679"},
           {"4", "10000000000000000000000", "10000000000000000000000"},  // precision of long double
           {"5", "-5", "0"},
           {"-1", "0.5", "-0.5"},
           {"10", "5.0e3", "5010"},
           {"9223372036854775807", "1", "9223372036854775808"},
       }) {
    EXPECT_EQ(Run({"SET", "f", c.start}), kOk);
    EXPECT_EQ(Run({"INCRBYFLOAT", "f", c.incr}), Bulk(c.expect)) << c.start << " + " << c.incr;
    EXPECT_EQ(Run({"GET", "f"}), Bulk(c.expect));
  }
  EXPECT_EQ(Run({"INCRBYFLOAT", "new", "1.5e-3"}), Bulk("0.0015"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "new2", "-0"}), Bulk("0"));
}

TEST_F(StringFamilyTest, IncrByFloatIntegralResultIsStoredAsStringNotInt) {
  EXPECT_EQ(Run({"SET", "f", "3.0"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0"}), Bulk("3"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "5"}), Bulk("5"));
  for (std::string_view key : {"f", "g"}) {
    WithEntry(key, [](const Entry* e) {
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(e->enc, Encoding::kEmbStr);  // Redis: OBJECT ENCODING embstr
    });
  }
  EXPECT_EQ(Run({"GET", "f"}), Bulk("3"));
  EXPECT_EQ(Run({"STRLEN", "f"}), Int(1));
  EXPECT_EQ(Run({"APPEND", "f", "1"}), Int(2));
  EXPECT_EQ(Run({"GET", "f"}), Bulk("31"));
  EXPECT_EQ(Run({"INCR", "g"}), Int(6));
  WithEntry("g", [](const Entry* e) { EXPECT_TRUE(e->is_int()); });
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "-9223372036854775808"}), Bulk("-9223372036854775802"));
  EXPECT_EQ(Run({"GET", "g"}), Bulk("-9223372036854775802"));
}

TEST_F(StringFamilyTest, IncrByFloatHugeValuePrintsAllDigits) {
  EXPECT_EQ(Run({"SET", "f", "10.5"}), kOk);
  std::string r = Run({"INCRBYFLOAT", "f", "1e400"});
  ASSERT_EQ(r.substr(0, 6), "$401\r\n");
  EXPECT_EQ(r.substr(6, 23), "10000000000000000000281");
}

TEST_F(StringFamilyTest, IncrByFloatErrorsAndTtl) {
  const std::string not_float = Err(errors::kNotFloat);
  EXPECT_EQ(Run({"SET", "f", "1.5", "PXAT", "4102444800123"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}), Bulk("2.5"));
  EXPECT_EQ(ExpireAt("f"), 4102444800123);
  EXPECT_EQ(Run({"INCR", "f"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "abc"}), not_float);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", ""}), not_float);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", " 1"}), not_float);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "nan"}), not_float);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}), Err(errors::kNanOrInf));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-inf"}), Err(errors::kNanOrInf));
  EXPECT_EQ(Run({"GET", "f"}), Bulk("2.5"));
  for (std::string_view v : {" 1", "1 ", "abc", ""}) {
    EXPECT_EQ(Run({"SET", "g", v}), kOk);
    EXPECT_EQ(Run({"INCRBYFLOAT", "g", "1"}), not_float) << v;
  }
  EXPECT_FALSE(Exists("h"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "h", "abc"}), not_float);
  EXPECT_FALSE(Exists("h"));
}

// ---- GETRANGE / SUBSTR / SETRANGE ----

TEST_F(StringFamilyTest, GetRangeIndexes) {
  EXPECT_EQ(Run({"SET", "s", std::string_view("abc\0\0x", 6)}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "-1"}), Bulk(std::string_view("abc\0\0x", 6)));
  EXPECT_EQ(Run({"GETRANGE", "s", "-100", "-50"}), Bulk("a"));
  EXPECT_EQ(Run({"GETRANGE", "s", "-100", "100"}), Bulk(std::string_view("abc\0\0x", 6)));
  EXPECT_EQ(Run({"GETRANGE", "s", "2", "2"}), Bulk("c"));
  EXPECT_EQ(Run({"GETRANGE", "s", "-2", "-1"}), Bulk(std::string_view("\0x", 2)));
  EXPECT_EQ(Run({"GETRANGE", "s", "-1", "-5"}), kEmpty);
  EXPECT_EQ(Run({"GETRANGE", "s", "5", "1"}), kEmpty);
  EXPECT_EQ(Run({"GETRANGE", "s", "9223372036854775807", "9223372036854775807"}), kEmpty);
  EXPECT_EQ(Run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}),
            Bulk(std::string_view("abc\0\0x", 6)));
  EXPECT_EQ(Run({"SUBSTR", "s", "1", "2"}), Bulk("bc"));
  EXPECT_EQ(Run({"GETRANGE", "nokey", "0", "-1"}), kEmpty);
  EXPECT_EQ(Run({"SET", "e", ""}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), kEmpty);
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "0"}), kEmpty);
  EXPECT_EQ(Run({"SET", "n", "-9223372036854775808"}), kOk);
  EXPECT_EQ(Run({"GETRANGE", "n", "0", "2"}), Bulk("-92"));
  EXPECT_EQ(Run({"GETRANGE", "s", "9223372036854775808", "1"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "1.0"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"GETRANGE", "s", "0"}),
            Err("ERR wrong number of arguments for 'getrange' command"));
}

TEST_F(StringFamilyTest, SetRangeWritesAndPads) {
  EXPECT_EQ(Run({"SETRANGE", "s", "0", ""}), Int(0));
  EXPECT_FALSE(Exists("s"));  // nothing written: no key created
  EXPECT_EQ(Run({"SETRANGE", "s", "536870912", ""}), Int(0));
  EXPECT_EQ(Run({"SETRANGE", "s", "3", "xy"}), Int(5));
  EXPECT_EQ(Run({"GET", "s"}), Bulk(std::string_view("\0\0\0xy", 5)));
  EXPECT_EQ(Run({"SET", "t", "abc"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "t", "536870912", ""}), Int(3));  // empty: length, no check
  EXPECT_EQ(Run({"SETRANGE", "t", "5", "x"}), Int(6));
  EXPECT_EQ(Run({"GET", "t"}), Bulk(std::string_view("abc\0\0x", 6)));
  EXPECT_EQ(Run({"SETRANGE", "t", "1", "ZZ"}), Int(6));
  EXPECT_EQ(Run({"GET", "t"}), Bulk(std::string_view("aZZ\0\0x", 6)));
  EXPECT_EQ(Run({"SET", "n", "12345"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "n", "0", "9"}), Int(5));
  EXPECT_EQ(Run({"GET", "n"}), Bulk("92345"));
  EXPECT_EQ(Run({"INCR", "n"}), Int(92346));
  std::string big(kEmbedMax - 2, 'b');
  EXPECT_EQ(Run({"SET", "b", big}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "b", std::to_string(kEmbedMax), "END"}), Int(int64_t(kEmbedMax + 3)));
  EXPECT_EQ(Run({"GET", "b"}), Bulk(big + std::string(2, '\0') + "END"));
}

TEST_F(StringFamilyTest, SetRangeKeepsTtl) {
  EXPECT_EQ(Run({"SET", "k", "abc", "PXAT", "4102444800123"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "k", "1", "X"}), Int(3));
  EXPECT_EQ(ExpireAt("k"), 4102444800123);
}

TEST_F(StringFamilyTest, SetRangeErrors) {
  const std::string too_long = Err(errors::kStringTooLong);
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", "x"}), Err(errors::kOffsetOutOfRange));
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", ""}), Err(errors::kOffsetOutOfRange));
  EXPECT_EQ(Run({"SETRANGE", "s", "abc", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SETRANGE", "s", "+1", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run({"SETRANGE", "s", "536870912", "x"}), too_long);  // default 512 MB
  EXPECT_EQ(Run({"SETRANGE", "s", "9223372036854775807", "xy"}), too_long);
  EXPECT_FALSE(Exists("s"));
  EXPECT_EQ(Run({"SET", "t", "abc"}), kOk);
  EXPECT_EQ(Run({"SETRANGE", "t", "536870912", "x"}), too_long);
  EXPECT_EQ(Run({"GET", "t"}), Bulk("abc"));
  // The limit is inclusive: a string of exactly proto-max-bulk-len bytes is allowed.
  config_.proto_max_bulk_len.store(1 << 20);
  EXPECT_EQ(Run({"SETRANGE", "u", std::to_string((1 << 20) - 1), "x"}), Int(1 << 20));
  EXPECT_EQ(Run({"SETRANGE", "u", std::to_string(1 << 20), "x"}), too_long);
}

// ---- LCS ----

TEST_F(StringFamilyTest, LcsStringLenAndIdx) {
  EXPECT_EQ(Run({"MSET", "s1", "ohmytext", "s2", "mynewtext"}), kOk);
  EXPECT_EQ(Run({"LCS", "s1", "s2"}), Bulk("mytext"));
  EXPECT_EQ(Run({"LCS", "s1", "s2", "LEN"}), Int(6));
  EXPECT_EQ(Run({"LCS", "s1", "s2", "len", "withmatchlen"}), Int(6));
  EXPECT_EQ(Run({"LCS", "s1", "s2", "WITHMATCHLEN"}), Bulk("mytext"));
  const std::string idx =
      "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:"
      "3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n";
  EXPECT_EQ(Run({"LCS", "s1", "s2", "IDX"}), idx);
  EXPECT_EQ(Run({"LCS", "s1", "s2", "MINMATCHLEN", "-5", "IDX"}), idx);
  EXPECT_EQ(Run({"LCS", "s1", "s2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}),
            "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nle"
            "n\r\n:6\r\n");
  EXPECT_EQ(Run({"LCS", "s1", "s2", "IDX", "WITHMATCHLEN"}),
            "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*"
            "2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n");
  EXPECT_EQ(Run({"LCS", "no1", "no2", "IDX"}), "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
  EXPECT_EQ(Run({"LCS", "no1", "no2"}), kEmpty);
  EXPECT_EQ(Run({"LCS", "no1", "s1", "LEN"}), Int(0));
  EXPECT_EQ(Run({"SET", "n", "12345"}), kOk);
  EXPECT_EQ(Run({"LCS", "n", "s1"}), kEmpty);
  EXPECT_EQ(Run({"LCS", "n", "n"}), Bulk("12345"));
}

TEST_F(StringFamilyTest, LcsIdxIsAMapInResp3) {
  EXPECT_EQ(Run({"MSET", "a", "abc", "b", "abc"}), kOk);
  protocol_ = 3;
  EXPECT_EQ(Run({"LCS", "a", "b", "IDX"}),
            "%2\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:2\r\n*2\r\n:0\r\n:2\r\n$3\r\nlen\r\n:"
            "3\r\n");
}

TEST_F(StringFamilyTest, LcsErrors) {
  EXPECT_EQ(Run({"SET", "a", "x"}), kOk);
  MakeList("l");
  EXPECT_EQ(Run({"LCS", "a", "l"}), Err(errors::kLcsWrongType));
  EXPECT_EQ(Run({"LCS", "l", "nokey"}), Err(errors::kLcsWrongType));
  EXPECT_EQ(Run({"LCS", "l", "a", "foo"}), Err(errors::kLcsWrongType));  // type first
  EXPECT_EQ(Run({"LCS", "a", "b", "LEN", "IDX"}), Err(errors::kLcsLenAndIdx));
  EXPECT_EQ(Run({"LCS", "a", "b", "foo"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN"}), Err(errors::kSyntax));
  EXPECT_EQ(Run({"LCS", "a", "b", "MINMATCHLEN", "x"}), Err(errors::kNotInteger));
  config_.proto_max_bulk_len.store(1 << 20);
  std::string big(1000, 'q');
  EXPECT_EQ(Run({"MSET", "b1", big, "b2", big}), kOk);
  EXPECT_EQ(Run({"LCS", "b1", "b2", "LEN"}), Err(errors::kLcsTooMuchMemory));
}

// ---- options parser ----

TEST(StringOptionsTest, ParseKeepsLastExpireArgument) {
  std::vector<std::string_view> args{"SET", "k", "v", "EX", "1", "ex", "2", "GET"};
  StringOptions opt;
  ASSERT_TRUE(ParseStringOptions(args, 3, OptionsOf::kSet, &opt));
  EXPECT_EQ(opt.flags, uint32_t(kStrEx | kStrGet));
  EXPECT_EQ(opt.expire, "2");
}

TEST(StringOptionsTest, ExpireAtMsUnitsAndOverflow) {
  EXPECT_EQ(*ExpireAtMs("5", kStrEx, 1000), 6000);
  EXPECT_EQ(*ExpireAtMs("5", kStrPx, 1000), 1005);
  EXPECT_EQ(*ExpireAtMs("5", kStrExat, 1000), 5000);
  EXPECT_EQ(*ExpireAtMs("5", kStrPxat, 1000), 5);
  EXPECT_EQ(ExpireAtMs("9223372036854775807", kStrPxat, 1000).value(), INT64_MAX);
  EXPECT_EQ(ExpireAtMs("9223372036854775807", kStrPx, 1).status(), OpStatus::kInvalidExpire);
  EXPECT_EQ(ExpireAtMs("0", kStrPxat, 1).status(), OpStatus::kInvalidExpire);
  EXPECT_EQ(ExpireAtMs("x", kStrPxat, 1).status(), OpStatus::kNotAnInteger);
}

}  // namespace
}  // namespace aegisr
