// Unit tests of the HyperLogLog format and estimator (engine/types/hll.h) and of the PFADD /
// PFCOUNT / PFMERGE / PFDEBUG commands through Engine::Dispatch. Byte strings and counts marked
// "from redis-server" were produced by redis-server 7.0.15, not by this code. Single-threaded.

#include "engine/types/hll.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/hll_errors.h"
#include "tests/engine/engine_fixture.h"

namespace aegisr {
namespace {

// from redis-server 7.0.15 (see the tests that use them).
struct RedisCount {
  int n;
  uint64_t count;
};
struct RedisRegister {
  std::string_view element;
  uint32_t index;
  uint8_t count;
};
const std::string kRedisAbc(
    "\x48\x59\x4c\x4c\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x60\xf3\x80\x50\xb1\x84\x4b"
    "\xfb\x80\x42\x5a",
    27);
constexpr RedisCount kRedisCounts[] = {{1, 1},           {10, 10},        {100, 100},
                                       {1000, 1008},     {3000, 2979},    {10000, 9973},
                                       {100000, 100853}, {300000, 303182}};
const RedisRegister kRedisRegisters[] = {
    {std::string_view("\x61", 1), 12711, 2},
    {std::string_view("\x68\x65\x6c\x6c\x6f", 5), 9216, 1},
    {std::string_view("", 0), 5938, 2},
    {std::string_view("\x61\x62\x63\x64\x65\x66\x67\x68", 8), 1383, 1},
    {std::string_view("\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f\x70\x71", 17),
     4271, 1},
    {std::string_view("\x00\xff", 2), 3937, 1},
    {std::string_view(
         "\x65\x6c\x65\x6d\x65\x6e\x74\x3a\x30\x30\x30\x30\x30\x30\x30\x31\x32\x33\x34\x35", 20),
     2073, 2}};

std::string Err(std::string_view e) { return "-" + std::string(e) + "\r\n"; }
std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// The header of a sparse value with a stale cache, as PFADD leaves it.
std::string SparseHeaderStale() {
  std::string h("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80", 16);
  return h;
}

// Adds "<prefix><i>" for i in [from, to).
void AddRange(hll::Buffer& b, std::string_view prefix, int from, int to, size_t max = 3000) {
  std::string e;
  for (int i = from; i < to; ++i) {
    e.assign(prefix);
    e += std::to_string(i);
    ASSERT_GE(hll::Add(b, e, max), 0);
  }
}

uint64_t CountOf(std::string_view v) {
  uint64_t n = 0;
  EXPECT_TRUE(hll::Count(v, &n));
  return n;
}

std::vector<uint8_t> Registers(std::string_view v) {
  std::vector<uint8_t> regs(hll::kRegisters, 0);
  EXPECT_TRUE(hll::MergeInto(v, regs.data()));
  return regs;
}

TEST(HllFormatTest, DenseRegistersArePackedFromEachBytesLowBitUp) {
  // Redis's layout: |11000000|22221111|33333322|... (register 0 in the low 6 bits of byte 0).
  uint8_t regs[hll::kDenseSize - hll::kHeaderSize] = {};
  hll::DenseSet(regs, 1, 63);
  EXPECT_EQ(regs[0], 0xC0);
  EXPECT_EQ(regs[1], 0x0F);
  EXPECT_EQ(regs[2], 0x00);
  hll::DenseSet(regs, 2, 0x21);  // 100001: low 4 bits at the top of byte 1, high 2 in byte 2
  EXPECT_EQ(regs[1], 0x1F);
  EXPECT_EQ(regs[2], 0x02);
  hll::DenseSet(regs, 3, 63);
  EXPECT_EQ(regs[2], 0xFE);
  // The last register sits in the top 6 bits of the last byte.
  hll::DenseSet(regs, hll::kRegisters - 1, 63);
  EXPECT_EQ(regs[sizeof(regs) - 1], 0xFC);
  EXPECT_EQ(hll::DenseGet(regs, hll::kRegisters - 1), 63);

  std::mt19937 rng(7);
  std::vector<uint8_t> want(hll::kRegisters);
  for (uint32_t i = 0; i < hll::kRegisters; ++i) {
    want[i] = uint8_t(rng() & 63);
    hll::DenseSet(regs, i, want[i]);
  }
  for (uint32_t i = 0; i < hll::kRegisters; ++i) ASSERT_EQ(hll::DenseGet(regs, i), want[i]) << i;
}

TEST(HllFormatTest, EmptyValueIsOneXzeroOpcodeAndCountsZero) {
  std::string want("HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff", 18);
  EXPECT_EQ(hll::EmptySparse(), want);
  EXPECT_TRUE(hll::LooksValid(want));
  EXPECT_EQ(hll::DecodeSparse(want), "Z:16384");
  EXPECT_EQ(CountOf(want), 0u);
}

TEST(HllFormatTest, SparseBytesMatchRedis) {
  // from redis-server: PFADD h a b c, then GET h.
  const std::string redis_abc = kRedisAbc;
  hll::StringBuffer b;
  ASSERT_EQ(hll::Add(b, "a", 3000), 1);
  ASSERT_EQ(hll::Add(b, "b", 3000), 1);
  ASSERT_EQ(hll::Add(b, "c", 3000), 1);
  ASSERT_EQ(hll::Add(b, "a", 3000), 0);  // the same element changes nothing
  EXPECT_EQ(b.view(), redis_abc);
}

TEST(HllFormatTest, EstimatesMatchRedisForTheSameElements) {
  // from redis-server: PFADD h e0 .. e<n-1> (in batches), then PFCOUNT h.
  hll::StringBuffer b;
  int added = 0;
  for (const RedisCount& c : kRedisCounts) {
    AddRange(b, "e", added, c.n);
    added = c.n;
    EXPECT_EQ(CountOf(b.view()), c.count) << c.n;
  }
}

TEST(HllFormatTest, SparseAndDenseEncodingsRoundTripAndAgree) {
  hll::StringBuffer sparse;
  AddRange(sparse, "x", 0, 300);
  ASSERT_EQ(hll::EncodingOf(sparse.view()), hll::kSparse);
  std::vector<uint8_t> before = Registers(sparse.view());
  uint64_t count = CountOf(sparse.view());

  hll::StringBuffer dense(sparse.view());
  ASSERT_TRUE(hll::ToDense(dense));
  ASSERT_EQ(dense.size(), hll::kDenseSize);
  EXPECT_EQ(hll::EncodingOf(dense.view()), hll::kDense);
  EXPECT_TRUE(hll::LooksValid(dense.view()));
  EXPECT_EQ(dense.view().substr(0, 4), "HYLL");
  EXPECT_EQ(dense.view().substr(5, 11), sparse.view().substr(5, 11));  // header kept
  EXPECT_EQ(Registers(dense.view()), before);
  EXPECT_EQ(CountOf(dense.view()), count);
  const auto* regs = reinterpret_cast<const uint8_t*>(dense.view().data()) + hll::kHeaderSize;
  for (uint32_t i = 0; i < hll::kRegisters; ++i) ASSERT_EQ(hll::DenseGet(regs, i), before[i]);
  EXPECT_TRUE(hll::ToDense(dense));  // already dense: no change
  EXPECT_EQ(dense.size(), hll::kDenseSize);

  // The same further elements keep both the same.
  AddRange(sparse, "y", 0, 200);
  AddRange(dense, "y", 0, 200);
  ASSERT_EQ(hll::EncodingOf(sparse.view()), hll::kSparse);
  EXPECT_EQ(Registers(sparse.view()), Registers(dense.view()));
  EXPECT_EQ(CountOf(sparse.view()), CountOf(dense.view()));
}

TEST(HllFormatTest, SparseTurnsDenseOnlyWhenItWouldOutgrowTheLimit) {
  for (size_t max : {size_t(0), size_t(20), size_t(100), size_t(3000)}) {
    hll::StringBuffer b;
    std::string e;
    bool promoted = false;
    for (int i = 0; i < 5000 && !promoted; ++i) {
      size_t before = b.size();
      e = "p" + std::to_string(i);
      ASSERT_GE(hll::Add(b, e, max), 0);
      if (hll::EncodingOf(b.view()) == hll::kDense) {
        promoted = true;
        EXPECT_EQ(b.size(), hll::kDenseSize);
        // A change adds at most 3 bytes: it turned dense because it would not fit.
        EXPECT_GT(before + 3, max) << "max " << max << " size " << before;
      } else {
        ASSERT_LE(b.size(), std::max<size_t>(max, 18)) << "max " << max;
      }
    }
    EXPECT_TRUE(promoted) << max;
  }
}

TEST(HllFormatTest, RegisterAbove32ForcesDense) {
  hll::StringBuffer b;
  ASSERT_EQ(hll::Set(b, 100, 32, 3000), 1);
  EXPECT_EQ(hll::EncodingOf(b.view()), hll::kSparse);
  EXPECT_EQ(hll::DecodeSparse(b.view()), "Z:100 v:32,1 Z:16283");
  ASSERT_EQ(hll::Set(b, 101, 33, 3000), 1);
  EXPECT_EQ(hll::EncodingOf(b.view()), hll::kDense);
  std::vector<uint8_t> regs = Registers(b.view());
  EXPECT_EQ(regs[100], 32);
  EXPECT_EQ(regs[101], 33);
}

TEST(HllFormatTest, AdjacentEqualValuesMergeIntoOneOpcode) {
  hll::StringBuffer b;
  ASSERT_EQ(hll::Set(b, 10, 3, 3000), 1);
  ASSERT_EQ(hll::Set(b, 12, 3, 3000), 1);
  EXPECT_EQ(hll::DecodeSparse(b.view()), "z:10 v:3,1 z:1 v:3,1 Z:16371");
  ASSERT_EQ(hll::Set(b, 11, 3, 3000), 1);
  EXPECT_EQ(hll::DecodeSparse(b.view()), "z:10 v:3,3 Z:16371");
  ASSERT_EQ(hll::Set(b, 11, 2, 3000), 0);  // lower than what is there
  ASSERT_EQ(hll::Set(b, 11, 5, 3000), 1);  // splits the run
  EXPECT_EQ(hll::DecodeSparse(b.view()), "z:10 v:3,1 v:5,1 v:3,1 Z:16371");
}

TEST(HllFormatTest, CorruptSparseBodiesAreRefusedAndLeftAlone) {
  // Opcodes covering 16383 registers, one short.
  std::string short_body = SparseHeaderStale() + std::string("\x7f\xfe", 2);
  uint64_t n;
  EXPECT_TRUE(hll::LooksValid(short_body));  // only reading the body finds the damage
  EXPECT_FALSE(hll::Count(short_body, &n));
  std::vector<uint8_t> regs(hll::kRegisters, 0);
  EXPECT_FALSE(hll::MergeInto(short_body, regs.data()));
  hll::StringBuffer b(short_body);
  EXPECT_EQ(hll::Set(b, 16383, 1, 3000), -1);
  EXPECT_EQ(b.view(), short_body);
  EXPECT_FALSE(hll::ToDense(b));
  EXPECT_EQ(b.view(), short_body);

  // One register too many; a VAL running past the end; a header without opcodes.
  std::string long_body = SparseHeaderStale() + std::string("\x7f\xff\x00", 3);
  EXPECT_FALSE(hll::Count(long_body, &n));
  std::string val_past_end = SparseHeaderStale() + std::string("\x7f\xfe\x83", 3);
  EXPECT_FALSE(hll::Count(val_past_end, &n));
  hll::StringBuffer b2(val_past_end);
  EXPECT_FALSE(hll::ToDense(b2));
  // Exactly 16384 registers, then one more VAL: 7.0 accepted it when merging or converting;
  // the reference server (with the CVE-2025-32023 fix) refuses it everywhere.
  std::string one_too_many = SparseHeaderStale() + std::string("\x7f\xff\x80", 3);
  EXPECT_FALSE(hll::Count(one_too_many, &n));
  EXPECT_FALSE(hll::MergeInto(one_too_many, regs.data()));
  hll::StringBuffer b4(one_too_many);
  EXPECT_FALSE(hll::ToDense(b4));
  hll::StringBuffer b3(SparseHeaderStale());
  EXPECT_EQ(hll::Set(b3, 0, 1, 3000), -1);

  // Not HyperLogLogs at all.
  EXPECT_FALSE(hll::LooksValid("HYLL"));
  EXPECT_FALSE(hll::LooksValid(std::string("HYLX\x01", 5) + std::string(13, '\0')));
  EXPECT_FALSE(hll::LooksValid(std::string("HYLL\x02", 5) + std::string(13, '\0')));
  std::string dense(hll::kDenseSize, '\0');
  std::memcpy(dense.data(), "HYLL", 4);
  EXPECT_TRUE(hll::LooksValid(dense));
  EXPECT_FALSE(hll::LooksValid(dense + "x"));  // a dense value has exactly 12304 bytes
}

TEST(HllFormatTest, CachedCardinalityIsLittleEndianWithAStaleBit) {
  std::string v(hll::EmptySparse());
  EXPECT_TRUE(hll::CacheValid(v));
  hll::SetCachedCount(v.data(), 0x0102030405);
  EXPECT_EQ(v.substr(8, 8), std::string("\x05\x04\x03\x02\x01\0\0\0", 8));
  EXPECT_EQ(hll::CachedCount(v), 0x0102030405u);
  hll::InvalidateCache(v.data());
  EXPECT_FALSE(hll::CacheValid(v));
  EXPECT_EQ(uint8_t(v[15]), 0x80);
}

// Ertl's estimator over 1..1M distinct elements: within 6 standard errors (1.04 / sqrt(m)) at
// every power of ten, as Redis's PFSELFTEST demands, and the sparse and dense forms agree.
TEST(HllFormatTest, EstimatorAccuracyFromOneToAMillion) {
  hll::StringBuffer sparse;
  hll::StringBuffer dense;
  ASSERT_TRUE(hll::ToDense(dense));
  const double rel_err = 1.04 / std::sqrt(double(hll::kRegisters));
  int64_t checkpoint = 1;
  double worst = 0;
  for (uint64_t j = 1; j <= 1000000; ++j) {
    uint64_t ele = j ^ 0x5bd1e995c6a4a793ULL;
    std::string_view e(reinterpret_cast<const char*>(&ele), sizeof(ele));
    ASSERT_GE(hll::Add(dense, e, 3000), 0);
    ASSERT_GE(hll::Add(sparse, e, 3000), 0);
    if (int64_t(j) != checkpoint) continue;
    uint64_t est = CountOf(dense.view());
    EXPECT_EQ(CountOf(sparse.view()), est) << j;
    double abs_err = std::fabs(double(checkpoint) - double(est));
    double max_err = std::ceil(rel_err * 6 * double(checkpoint));
    if (j == 10) max_err = 1;
    EXPECT_LE(abs_err, max_err) << "cardinality " << j << " estimate " << est;
    worst = std::max(worst, abs_err / double(checkpoint));
    checkpoint *= 10;
  }
  EXPECT_EQ(hll::EncodingOf(sparse.view()), hll::kDense);  // promoted on the way
  EXPECT_LT(worst, 0.05);
}

TEST(HllFormatTest, MurmurHashOfKnownInputs) {
  // The register and run length Redis's hash gives these elements (from redis-server:
  // PFADD then PFDEBUG GETREG shows the one nonzero register).
  for (const auto& c : kRedisRegisters) {
    uint32_t index;
    uint8_t count = hll::PatternLength(c.element, &index);
    EXPECT_EQ(index, c.index) << c.element;
    EXPECT_EQ(count, c.count) << c.element;
  }
}

class HllCommandsTest : public EngineFixture {
 protected:
  std::string Encoding(std::string_view key) { return Run({"PFDEBUG", "ENCODING", key}); }
  std::string Get(std::string_view key) { return Run({"GET", key}); }
  // PFADD key with n elements "<prefix><i>".
  std::string AddMany(std::string_view key, std::string_view prefix, int n) {
    std::vector<std::string> els;
    for (int i = 0; i < n; ++i) els.push_back(std::string(prefix) + std::to_string(i));
    std::vector<std::string_view> args = {"PFADD", key};
    for (const auto& e : els) args.push_back(e);
    return Run(args);
  }
};

TEST_F(HllCommandsTest, PfaddCreatesAndReportsChanges) {
  EXPECT_EQ(Run({"PFADD", "h"}), Int(1));  // created, even without elements
  EXPECT_EQ(Get("h"), Bulk(SparseHeaderStale() + std::string("\x7f\xff", 2)));
  EXPECT_EQ(Run({"PFADD", "h"}), Int(0));
  EXPECT_EQ(Run({"PFADD", "h", "a", "b", "c"}), Int(1));
  EXPECT_EQ(Run({"PFADD", "h", "a", "b"}), Int(0));
  EXPECT_EQ(Run({"PFCOUNT", "h"}), Int(3));
  EXPECT_EQ(Run({"TYPE", "h"}), "+string\r\n");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), Bulk("raw"));
  EXPECT_EQ(Encoding("h"), "+sparse\r\n");
  ExpectBookkeepingExact();
}

TEST_F(HllCommandsTest, PfcountStoresItsEstimateInTheHeader) {
  Run({"PFADD", "h", "a", "b", "c"});
  std::string stale = Get("h");
  EXPECT_EQ(Run({"PFCOUNT", "h"}), Int(3));
  std::string cached = Get("h");
  ASSERT_EQ(cached.size(), stale.size());
  // Bytes 8..15 of the value (after the "$<len>\r\n" prefix) now hold 3, the stale bit clear.
  size_t off = cached.find("HYLL");
  EXPECT_EQ(cached.substr(off + 8, 8), std::string("\x03\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(stale.substr(off + 15, 1), "\x80");
  // A cached count is returned as it is, even one that the registers would not give.
  std::string v = cached.substr(off, cached.size() - off - 2);
  v[8] = 42;
  Run({"SET", "h", v});
  EXPECT_EQ(Run({"PFCOUNT", "h"}), Int(42));
  EXPECT_EQ(Run({"PFADD", "h", "zzz-new"}), Int(1));  // a change marks the cache stale
  EXPECT_EQ(Run({"PFCOUNT", "h"}), Int(4));
  EXPECT_EQ(Run({"PFCOUNT", "missing"}), Int(0));
  ExpectBookkeepingExact();
}

TEST_F(HllCommandsTest, PromotionFollowsTheConfigKnob) {
  EXPECT_EQ(Run({"CONFIG", "GET", "hll-sparse-max-bytes"}),
            "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$4\r\n3000\r\n");
  EXPECT_EQ(AddMany("h", "a", 200), Int(1));
  EXPECT_EQ(Encoding("h"), "+sparse\r\n");
  EXPECT_EQ(Run({"CONFIG", "SET", "hll-sparse-max-bytes", "100"}), "+OK\r\n");
  EXPECT_EQ(AddMany("h", "b", 200), Int(1));
  EXPECT_EQ(Encoding("h"), "+dense\r\n");
  EXPECT_EQ(Run({"STRLEN", "h"}), Int(hll::kDenseSize));
  ExpectBookkeepingExact();
  // Dense values change in place (no Shard::Update): the length and the count stay right.
  EXPECT_EQ(AddMany("h", "c", 300), Int(1));
  EXPECT_EQ(AddMany("h", "c", 300), Int(0));
  EXPECT_EQ(Run({"STRLEN", "h"}), Int(hll::kDenseSize));
  ExpectBookkeepingExact();
  std::string count = Run({"PFCOUNT", "h"});
  ASSERT_EQ(count[0], ':');
  int64_t n = std::stoll(count.substr(1));
  EXPECT_GT(n, 630);  // 700 distinct elements
  EXPECT_LT(n, 770);
  ExpectBookkeepingExact();
}

TEST_F(HllCommandsTest, PfmergeUnionsAndGoesDenseIfAnySourceIs) {
  AddMany("a", "x", 100);
  AddMany("b", "y", 100);
  EXPECT_EQ(Run({"PFMERGE", "s", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(Encoding("s"), "+sparse\r\n");
  std::string union_count = Run({"PFCOUNT", "a", "b"});
  EXPECT_EQ(Run({"PFCOUNT", "s"}), union_count);
  EXPECT_EQ(Run({"PFCOUNT", "a", "b", "missing"}), union_count);

  AddMany("big", "z", 5000);
  EXPECT_EQ(Encoding("big"), "+dense\r\n");
  EXPECT_EQ(Run({"PFMERGE", "d", "a", "big"}), "+OK\r\n");
  EXPECT_EQ(Encoding("d"), "+dense\r\n");
  EXPECT_EQ(Run({"PFCOUNT", "d"}), Run({"PFCOUNT", "a", "big"}));
  // The destination is a source too.
  EXPECT_EQ(Run({"PFMERGE", "s", "big"}), "+OK\r\n");
  EXPECT_EQ(Run({"PFCOUNT", "s"}), Run({"PFCOUNT", "a", "b", "big"}));
  EXPECT_EQ(Run({"PFMERGE", "empty"}), "+OK\r\n");
  EXPECT_EQ(Run({"PFCOUNT", "empty"}), Int(0));
  ExpectBookkeepingExact();
}

TEST_F(HllCommandsTest, NonHllValuesGetRedisErrorsAndStayUnchanged) {
  Run({"SET", "str", "hello"});
  Run({"RPUSH", "list", "a"});
  const std::string hll_wrong = Err(errors::kHllWrongType);
  EXPECT_EQ(Run({"PFADD", "str", "a"}), hll_wrong);
  EXPECT_EQ(Run({"PFCOUNT", "str"}), hll_wrong);
  EXPECT_EQ(Run({"PFCOUNT", "missing", "str"}), hll_wrong);
  EXPECT_EQ(Run({"PFMERGE", "dst", "str"}), hll_wrong);
  EXPECT_EQ(Run({"EXISTS", "dst"}), Int(0));
  EXPECT_EQ(Run({"PFADD", "list", "a"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"PFCOUNT", "list"}), Err(errors::kWrongType));
  EXPECT_EQ(Run({"PFMERGE", "list", "missing"}), Err(errors::kWrongType));
  EXPECT_EQ(Get("str"), Bulk("hello"));

  // A dense header with a wrong length, an unknown encoding.
  std::string bad_dense = std::string("HYLL\x00\0\0\0", 8) + std::string(100, '\0');
  Run({"SET", "bd", bad_dense});
  EXPECT_EQ(Run({"PFADD", "bd", "x"}), hll_wrong);
  EXPECT_EQ(Get("bd"), Bulk(bad_dense));

  // A sparse body that is one register short.
  std::string corrupt = SparseHeaderStale() + std::string("\x7f\xfe", 2);
  Run({"SET", "c", corrupt});
  EXPECT_EQ(Run({"PFCOUNT", "c"}), Err(errors::kHllCorrupt));
  EXPECT_EQ(Run({"PFCOUNT", "c", "c"}), Err(errors::kHllCorrupt));
  EXPECT_EQ(Run({"PFMERGE", "dst", "c"}), Err(errors::kHllCorrupt));
  EXPECT_EQ(Run({"PFDEBUG", "TODENSE", "c"}), Err(errors::kHllCorrupt));
  EXPECT_EQ(Get("c"), Bulk(corrupt));
  // A header without opcodes: PFADD finds no register to change.
  Run({"SET", "c", SparseHeaderStale()});
  EXPECT_EQ(Run({"PFADD", "c", "a"}), Err(errors::kHllCorrupt));
  EXPECT_EQ(Get("c"), Bulk(SparseHeaderStale()));
  ExpectBookkeepingExact();
}

TEST_F(HllCommandsTest, PfdebugSubcommands) {
  EXPECT_EQ(Run({"PFDEBUG", "ENCODING", "nokey"}), Err(errors::kHllNoKey));
  Run({"PFADD", "h", "a"});
  std::string decoded = Run({"PFDEBUG", "DECODE", "h"});
  EXPECT_EQ(decoded[0], '$');
  EXPECT_NE(decoded.find("v:"), std::string::npos) << decoded;
  EXPECT_EQ(Run({"PFDEBUG", "nosuch", "h"}), Err("ERR Unknown PFDEBUG subcommand 'nosuch'"));
  EXPECT_EQ(Run({"PFDEBUG", "TODENSE", "h"}), Int(1));
  EXPECT_EQ(Run({"PFDEBUG", "todense", "h"}), Int(0));
  EXPECT_EQ(Run({"PFDEBUG", "DECODE", "h"}), Err(errors::kHllNotSparse));
  std::string regs = Run({"PFDEBUG", "GETREG", "h"});
  EXPECT_EQ(regs.substr(0, 8), "*16384\r\n");
  EXPECT_EQ(Run({"PFCOUNT", "h"}), Int(1));
  ExpectBookkeepingExact();
}

}  // namespace
}  // namespace aegisr
