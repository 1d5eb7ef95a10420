// Unit tests for the disk tier's segment log (tier/segment_log.h). Single-threaded except where
// a test says otherwise; each test works in its own mkdtemp directory.
#include "tier/segment_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aegisr::tier {
namespace {

namespace fs = std::filesystem;

class SegmentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aegisr-segment-log-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    log_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void OpenLog(const SegmentLogOptions& opts, uint32_t writer = 7) {
    Status s = SegmentLog::Open(dir_, writer, opts, &log_);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  std::string SegPath(uint32_t number, uint32_t writer = 7) const {
    return dir_ + "/" + SegmentLog::SegmentFileName(writer, number);
  }
  DiskRef MustAppend(std::string_view key, std::string_view value, uint32_t version = 1,
                     uint8_t type = 0) {
    DiskRef ref;
    Status s = log_->Append(key, value, version, type, &ref);
    EXPECT_TRUE(s.ok()) << s.message();
    return ref;
  }
  void MustFlush() {
    Status s = log_->FlushSync();
    ASSERT_TRUE(s.ok()) << s.message();
  }
  // Reads ref for key; returns the status code and, when ok, the payload in *out.
  TierCode Read(const DiskRef& ref, std::string_view key, std::string* out = nullptr) {
    std::string payload;
    Status s = log_->ReadSync(ref, key, &payload);
    if (out != nullptr) *out = payload;
    return CodeOf(s);
  }
  static void PatchFile(const std::string& path, uint64_t offset, std::string_view bytes) {
    int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  static std::string FileByte(const std::string& path, uint64_t offset) {
    int fd = ::open(path.c_str(), O_RDONLY);
    char c = 0;
    EXPECT_EQ(::pread(fd, &c, 1, static_cast<off_t>(offset)), 1);
    ::close(fd);
    return std::string(1, c);
  }

  std::string dir_;
  std::unique_ptr<SegmentLog> log_;
};

// An owner of keys for the compaction callbacks: key -> the reference it holds.
struct FakeOwner {
  std::map<std::string, DiskRef, std::less<>> refs;
  int relocations = 0;
  bool refuse = false;

  SegmentLog::IsLiveFn IsLive() {
    return [this](std::string_view key, const DiskRef& ref) {
      auto it = refs.find(key);
      return it != refs.end() && it->second == ref;
    };
  }
  SegmentLog::RelocateFn Relocate() {
    return [this](std::string_view key, const DiskRef& old_ref, const DiskRef& new_ref) {
      auto it = refs.find(key);
      if (refuse || it == refs.end() || !(it->second == old_ref)) return false;
      it->second = new_ref;
      ++relocations;
      return true;
    };
  }
};

TEST_F(SegmentLogTest, RoundTripsEmptySmallLargeAndBinaryRecords) {
  OpenLog({});
  std::string large(5 << 20, '\0');
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>((i * 131) >> 3);
  const std::string binary_key("k\0\xff\x01z", 5);
  struct Case {
    std::string key, value;
    uint32_t version;
    uint8_t type;
  };
  std::vector<Case> cases = {{"empty", "", 1, 0},
                             {"", "value with an empty key", 2, 1},
                             {"small", "hello", 3, 2},
                             {"large", large, 4, 3},
                             {binary_key, std::string("\0\r\n\xfe", 4), 0xffffffffu, 255}};
  std::vector<DiskRef> refs;
  for (const Case& c : cases) refs.push_back(MustAppend(c.key, c.value, c.version, c.type));
  MustFlush();

  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(refs[i].version, cases[i].version);
    EXPECT_EQ(refs[i].length, RecordBytes(cases[i].key.size(), cases[i].value.size()));
    std::string payload;
    uint8_t type = 0;
    Status s = log_->ReadSync(refs[i], cases[i].key, &payload, &type);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(payload, cases[i].value);
    EXPECT_EQ(type, cases[i].type);
  }
  // Records follow each other in the first segment.
  EXPECT_EQ(refs[0].segment, 1u);
  EXPECT_EQ(refs[0].offset, 0u);
  EXPECT_EQ(refs[1].offset, refs[0].length);

  SegmentLogStats st = log_->GetStats();
  uint64_t total = 0;
  for (const DiskRef& r : refs) total += r.length;
  EXPECT_EQ(st.records_appended, cases.size());
  EXPECT_EQ(st.bytes_appended, total);
  EXPECT_EQ(st.live_bytes, total);
  EXPECT_EQ(st.disk_bytes, total);
  EXPECT_EQ(st.bytes_written, total);
  EXPECT_EQ(st.pending_bytes, 0u);
  EXPECT_DOUBLE_EQ(st.write_amplification, 1.0);
  EXPECT_EQ(fs::file_size(SegPath(1)), total);
  EXPECT_EQ(st.checksum_errors + st.stale_refs + st.write_errors, 0u);
}

TEST_F(SegmentLogTest, DiskRefPacksInto16Bytes) {
  DiskRef ref{3, 4096, 77, 0xdeadbeef};
  char cell[16];
  StoreDiskRef(ref, cell);
  EXPECT_EQ(LoadDiskRef(cell), ref);
  EXPECT_FALSE(DiskRef{}.valid());
  EXPECT_TRUE(ref.valid());
}

TEST_F(SegmentLogTest, UnflushedRecordIsServedFromTheWriteBuffer) {
  OpenLog({});
  DiskRef ref = MustAppend("key", "not on disk yet");
  EXPECT_EQ(fs::file_size(SegPath(1)), 0u);

  SegmentLog::ReadPlan plan;
  ASSERT_TRUE(log_->PlanRead(ref, &plan).ok());
  EXPECT_TRUE(plan.in_memory);
  std::string out;
  EXPECT_EQ(Read(ref, "key", &out), TierCode::kOk);
  EXPECT_EQ(out, "not on disk yet");
  EXPECT_EQ(Read(ref, "other"), TierCode::kStaleRef);  // checks apply to buffered bytes too

  MustFlush();
  ASSERT_TRUE(log_->PlanRead(ref, &plan).ok());
  EXPECT_FALSE(plan.in_memory);
  EXPECT_EQ(plan.offset, 0u);
  EXPECT_EQ(plan.length, ref.length);
  EXPECT_EQ(Read(ref, "key", &out), TierCode::kOk);
  EXPECT_EQ(out, "not on disk yet");
}

TEST_F(SegmentLogTest, TruncatedTailRecordReadsAsTorn) {
  OpenLog({});
  DiskRef a = MustAppend("a", std::string(100, 'a'));
  DiskRef b = MustAppend("b", std::string(100, 'b'));
  MustFlush();
  ASSERT_EQ(::truncate(SegPath(1).c_str(), b.offset + b.length / 2), 0);

  std::string out;
  EXPECT_EQ(Read(a, "a", &out), TierCode::kOk);
  EXPECT_EQ(out, std::string(100, 'a'));
  EXPECT_EQ(Read(b, "b"), TierCode::kCorrupt);
  ASSERT_EQ(::truncate(SegPath(1).c_str(), b.offset + 10), 0);  // inside the header
  EXPECT_EQ(Read(b, "b"), TierCode::kCorrupt);
  EXPECT_EQ(log_->GetStats().checksum_errors, 2u);
}

TEST_F(SegmentLogTest, FlippedByteOnDiskIsAChecksumError) {
  OpenLog({});
  DiskRef a = MustAppend("alpha", "payload-a");
  DiskRef b = MustAppend("beta", "payload-b");
  MustFlush();

  // A payload byte of a.
  uint64_t at = a.offset + a.length - 1;
  std::string old = FileByte(SegPath(1), at);
  PatchFile(SegPath(1), at, std::string(1, static_cast<char>(old[0] ^ 0x20)));
  EXPECT_EQ(Read(a, "alpha"), TierCode::kCorrupt);
  PatchFile(SegPath(1), at, old);
  EXPECT_EQ(Read(a, "alpha"), TierCode::kOk);

  // The magic of b.
  PatchFile(SegPath(1), b.offset, "XXXX");
  EXPECT_EQ(Read(b, "beta"), TierCode::kCorrupt);
  // The version field of b is covered by the checksum too.
  PatchFile(SegPath(1), b.offset, std::string("AGSR", 4));
  EXPECT_EQ(Read(b, "beta"), TierCode::kOk);
  std::string v = FileByte(SegPath(1), b.offset + 24);
  PatchFile(SegPath(1), b.offset + 24, std::string(1, static_cast<char>(v[0] + 1)));
  EXPECT_EQ(Read(b, "beta"), TierCode::kCorrupt);

  EXPECT_EQ(log_->GetStats().checksum_errors, 3u);
  EXPECT_EQ(log_->GetStats().stale_refs, 0u);
}

TEST_F(SegmentLogTest, StaleReferencesAreReportedNotTrusted) {
  OpenLog({});
  DiskRef ref = MustAppend("key", "v1", 5);
  DiskRef next = MustAppend("key2", "v2", 6);
  MustFlush();

  DiskRef other_version = ref;
  other_version.version = 4;
  EXPECT_EQ(Read(other_version, "key"), TierCode::kStaleRef);
  EXPECT_EQ(Read(ref, "kez"), TierCode::kStaleRef);  // another key, same length
  EXPECT_EQ(Read(ref, "key-longer"), TierCode::kStaleRef);
  DiskRef gone = ref;
  gone.segment = 99;
  EXPECT_EQ(Read(gone, "key"), TierCode::kStaleRef);
  DiskRef past_end = next;
  past_end.offset += 1000;
  EXPECT_EQ(Read(past_end, "key2"), TierCode::kStaleRef);
  DiskRef wrong_length = ref;
  wrong_length.length -= 1;
  EXPECT_EQ(Read(wrong_length, "key"), TierCode::kStaleRef);

  SegmentLogStats st = log_->GetStats();
  EXPECT_EQ(st.stale_refs, 6u);
  EXPECT_EQ(st.checksum_errors, 0u);
  std::string out;
  EXPECT_EQ(Read(ref, "key", &out), TierCode::kOk);
  EXPECT_EQ(out, "v1");
}

TEST_F(SegmentLogTest, ReleaseLowersLiveBytesOnly) {
  OpenLog({});
  DiskRef a = MustAppend("a", std::string(50, 'x'));
  DiskRef b = MustAppend("b", std::string(70, 'y'));
  MustFlush();
  EXPECT_EQ(log_->GetStats().live_bytes, a.length + b.length);
  log_->Release(a);
  SegmentLogStats st = log_->GetStats();
  EXPECT_EQ(st.live_bytes, b.length);
  EXPECT_EQ(st.disk_bytes, a.length + b.length);  // space returns only with compaction
  log_->Release(DiskRef{42, 0, 100, 1});          // a segment that never existed
  EXPECT_EQ(log_->GetStats().live_bytes, b.length);
  log_->Release(b);
  EXPECT_EQ(log_->GetStats().live_bytes, 0u);
}

TEST_F(SegmentLogTest, SegmentsRollOverAndBatchesSealAtTheirSizes) {
  SegmentLogOptions opts;
  opts.segment_bytes = 1000;
  opts.buffer_bytes = 500;
  OpenLog(opts);
  std::vector<DiskRef> refs;
  for (int i = 0; i < 10; ++i)
    refs.push_back(MustAppend("k" + std::to_string(i), std::string(200, 'v')));
  // 230-byte records: four fit in 1000 bytes.
  EXPECT_EQ(refs[3].segment, 1u);
  EXPECT_EQ(refs[4].segment, 2u);
  EXPECT_EQ(refs[4].offset, 0u);
  EXPECT_EQ(refs[9].segment, 3u);
  EXPECT_EQ(log_->GetStats().segments, 3u);

  // A batch seals at 500 bytes (three records) or when its segment rolls over: two full batches
  // per finished segment; segment 3's two records are still in the open batch, which only kAll
  // takes.
  SegmentLog::WriteBatch wb;
  int full = 0;
  while (log_->TakeBatch(SegmentLog::Take::kFull, &wb)) {
    ASSERT_EQ(::pwrite(wb.fd, wb.data, wb.size, static_cast<off_t>(wb.offset)),
              static_cast<ssize_t>(wb.size));
    ASSERT_TRUE(log_->CompleteBatch(static_cast<int64_t>(wb.size)).ok());
    ++full;
  }
  EXPECT_EQ(full, 4);
  EXPECT_EQ(log_->GetStats().pending_bytes, refs[8].length + refs[9].length);
  ASSERT_TRUE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));
  EXPECT_FALSE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));  // one in flight at a time
  ASSERT_TRUE(log_->CompleteBatch(::pwrite(wb.fd, wb.data, wb.size, wb.offset)).ok());
  EXPECT_EQ(fs::file_size(SegPath(1)), 4u * refs[0].length);
  EXPECT_EQ(fs::file_size(SegPath(3)), 2u * refs[0].length);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Read(refs[i], "k" + std::to_string(i)), TierCode::kOk);
}

TEST_F(SegmentLogTest, ShortWriteKeepsTheRestForRetry) {
  OpenLog({});
  DiskRef ref = MustAppend("key", std::string(1000, 'q'));
  SegmentLog::WriteBatch wb;
  ASSERT_TRUE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));
  ASSERT_EQ(::pwrite(wb.fd, wb.data, 100, static_cast<off_t>(wb.offset)), 100);
  ASSERT_TRUE(log_->CompleteBatch(100).ok());
  EXPECT_EQ(log_->GetStats().write_errors, 1u);
  EXPECT_EQ(log_->GetStats().bytes_written, 100u);
  EXPECT_EQ(Read(ref, "key"), TierCode::kOk);  // still served from memory

  ASSERT_TRUE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));
  EXPECT_EQ(wb.offset, 100u);
  EXPECT_EQ(wb.size, ref.length - 100);
  ASSERT_TRUE(log_->CompleteBatch(::pwrite(wb.fd, wb.data, wb.size, wb.offset)).ok());
  SegmentLog::ReadPlan plan;
  ASSERT_TRUE(log_->PlanRead(ref, &plan).ok());
  EXPECT_FALSE(plan.in_memory);
  std::string out;
  EXPECT_EQ(Read(ref, "key", &out), TierCode::kOk);
  EXPECT_EQ(out, std::string(1000, 'q'));
  EXPECT_EQ(log_->GetStats().bytes_written, ref.length);
}

TEST_F(SegmentLogTest, EnospcWriteKeepsDataAndRefusesAppendsUntilAWriteSucceeds) {
  OpenLog({});
  DiskRef a = MustAppend("a", "first");
  DiskRef b = MustAppend("b", "second");
  SegmentLog::WriteBatch wb;
  ASSERT_TRUE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));
  Status s = log_->CompleteBatch(-ENOSPC);
  EXPECT_EQ(CodeOf(s), TierCode::kNoSpace);

  DiskRef c;
  s = log_->Append("c", "third", 1, 0, &c);
  EXPECT_EQ(CodeOf(s), TierCode::kNoSpace);
  EXPECT_NE(s.message().find("no space"), std::string::npos) << s.message();
  SegmentLogStats st = log_->GetStats();
  EXPECT_EQ(st.write_errors, 1u);
  EXPECT_EQ(st.no_space_events, 2u);  // the write and the refused append
  EXPECT_EQ(st.records_appended, 2u);
  std::string out;
  EXPECT_EQ(Read(a, "a", &out), TierCode::kOk);
  EXPECT_EQ(out, "first");

  // An EIO is reported as an I/O error, and the data is still kept.
  ASSERT_TRUE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));
  EXPECT_EQ(CodeOf(log_->CompleteBatch(-EIO)), TierCode::kIoError);
  EXPECT_EQ(CodeOf(log_->Append("c", "third", 1, 0, &c)), TierCode::kIoError);

  // Space is back: the retry writes everything and appends work again.
  MustFlush();
  c = MustAppend("c", "third");
  MustFlush();
  EXPECT_EQ(Read(a, "a", &out), TierCode::kOk);
  EXPECT_EQ(out, "first");
  EXPECT_EQ(Read(b, "b", &out), TierCode::kOk);
  EXPECT_EQ(out, "second");
  EXPECT_EQ(Read(c, "c", &out), TierCode::kOk);
  EXPECT_EQ(out, "third");
  EXPECT_EQ(fs::file_size(SegPath(1)), a.length + b.length + c.length);
}

TEST_F(SegmentLogTest, CompleteBatchWithoutTakeBatchIsAnError) {
  OpenLog({});
  EXPECT_EQ(CodeOf(log_->CompleteBatch(10)), TierCode::kInvalid);
  SegmentLog::WriteBatch wb;
  EXPECT_FALSE(log_->TakeBatch(SegmentLog::Take::kAll, &wb));  // nothing appended
}

TEST_F(SegmentLogTest, TooManyPendingBytesMakesAppendBusy) {
  SegmentLogOptions opts;
  opts.max_pending_bytes = 1000;
  OpenLog(opts);
  MustAppend("a", std::string(600, 'a'));
  DiskRef ref;
  EXPECT_EQ(CodeOf(log_->Append("b", std::string(600, 'b'), 1, 0, &ref)), TierCode::kBusy);
  MustFlush();
  MustAppend("b", std::string(600, 'b'));
}

TEST_F(SegmentLogTest, BadOptionsAndOversizedRecordsAreRefused) {
  SegmentLogOptions opts;
  opts.segment_bytes = 10;
  EXPECT_EQ(CodeOf(SegmentLog::Open(dir_, 1, opts, &log_)), TierCode::kInvalid);
  opts = {};
  opts.compact_ratio = 1.5;
  EXPECT_EQ(CodeOf(SegmentLog::Open(dir_, 1, opts, &log_)), TierCode::kInvalid);
  EXPECT_EQ(log_, nullptr);

  opts = {};
  opts.segment_bytes = 4096;
  OpenLog(opts);
  DiskRef ref;
  EXPECT_EQ(CodeOf(log_->Append("k", std::string(4096, 'x'), 1, 0, &ref)), TierCode::kInvalid);
  EXPECT_EQ(log_->GetStats().records_appended, 0u);
  EXPECT_EQ(log_->GetStats().disk_bytes, 0u);
}

TEST_F(SegmentLogTest, CompactionKeepsNewestVersionsAndDropsReleasedRecords) {
  SegmentLogOptions opts;
  opts.segment_bytes = 2000;
  opts.buffer_bytes = 512;
  OpenLog(opts);
  FakeOwner owner;
  auto put = [&](const std::string& key, const std::string& value, uint32_t version) {
    auto it = owner.refs.find(key);
    if (it != owner.refs.end()) log_->Release(it->second);
    owner.refs[key] = MustAppend(key, value, version);
  };
  for (int i = 0; i < 20; ++i)
    put("key" + std::to_string(i), std::string(100, static_cast<char>('a' + i)), 1);
  // Overwrite the even keys, delete every third key.
  for (int i = 0; i < 20; i += 2) put("key" + std::to_string(i), "new" + std::to_string(i), 2);
  for (int i = 0; i < 20; i += 3) {
    std::string key = "key" + std::to_string(i);
    log_->Release(owner.refs[key]);
    owner.refs.erase(key);
  }
  MustFlush();
  SegmentLogStats before = log_->GetStats();
  ASSERT_GE(before.segments, 2u);
  uint64_t owned = 0;
  for (auto& [k, r] : owner.refs) owned += r.length;
  EXPECT_EQ(before.live_bytes, owned);

  for (int step = 0; step < 100; ++step) {
    SegmentLog::CompactResult r;
    Status s = log_->CompactStep(1 << 20, owner.IsLive(), owner.Relocate(), &r);
    ASSERT_TRUE(s.ok()) << s.message();
    if (!r.worked) break;
    EXPECT_TRUE(r.segment_deleted);  // max_bytes is larger than a segment
  }
  MustFlush();
  SegmentLogStats after = log_->GetStats();
  EXPECT_GE(after.compactions, 1u);
  EXPECT_GT(after.bytes_compacted, 0u);
  EXPECT_GT(owner.relocations, 0);
  EXPECT_LT(after.disk_bytes, before.disk_bytes);
  owned = 0;
  for (auto& [k, r] : owner.refs) owned += r.length;
  EXPECT_EQ(after.live_bytes, owned);
  EXPECT_EQ(after.bytes_written, after.bytes_appended + after.bytes_compacted);
  EXPECT_GT(after.write_amplification, 1.0);
  EXPECT_FALSE(fs::exists(SegPath(1)));  // the first segment was mostly garbage

  for (int i = 0; i < 20; ++i) {
    std::string key = "key" + std::to_string(i);
    auto it = owner.refs.find(key);
    if (i % 3 == 0) {
      EXPECT_EQ(it, owner.refs.end());
      continue;
    }
    ASSERT_NE(it, owner.refs.end());
    std::string out;
    EXPECT_EQ(Read(it->second, key, &out), TierCode::kOk) << key;
    EXPECT_EQ(
        out, i % 2 == 0 ? "new" + std::to_string(i) : std::string(100, static_cast<char>('a' + i)));
  }
  // Disk use equals the files left.
  uint64_t files = 0;
  for (auto& e : fs::directory_iterator(dir_)) files += fs::file_size(e.path());
  EXPECT_EQ(files, after.disk_bytes);
}

TEST_F(SegmentLogTest, CompactStepRespectsMaxBytes) {
  SegmentLogOptions opts;
  opts.segment_bytes = 1300;
  OpenLog(opts);
  FakeOwner owner;
  std::vector<DiskRef> refs;
  for (int i = 0; i < 12; ++i) {
    std::string key = "k" + std::to_string(i % 10);  // k0..k9: 10 x 130 bytes fill segment 1
    refs.push_back(MustAppend(key, std::string(100, 'x'), i));
  }
  ASSERT_EQ(refs[9].segment, 1u);
  ASSERT_EQ(refs[10].segment, 2u);
  ASSERT_EQ(refs[0].length, 130u);
  // Keep k0, k1, k2 and k9 in segment 1 (live ratio 0.4).
  for (int i = 0; i < 10; ++i) {
    if (i < 3 || i == 9) {
      owner.refs["k" + std::to_string(i)] = refs[i];
    } else {
      log_->Release(refs[i]);
    }
  }
  MustFlush();

  SegmentLog::CompactResult r;
  ASSERT_TRUE(log_->CompactStep(260, owner.IsLive(), owner.Relocate(), &r).ok());
  EXPECT_TRUE(r.worked);
  EXPECT_EQ(r.bytes_walked, 260u);
  EXPECT_EQ(r.bytes_moved, 260u);
  EXPECT_FALSE(r.segment_deleted);
  EXPECT_TRUE(fs::exists(SegPath(1)));
  EXPECT_EQ(owner.refs["k0"].segment, 2u);
  EXPECT_EQ(owner.refs["k2"].segment, 1u);

  ASSERT_TRUE(log_->CompactStep(1, owner.IsLive(), owner.Relocate(), &r).ok());
  EXPECT_EQ(r.bytes_walked, 130u);  // at least one record per step
  EXPECT_EQ(owner.refs["k2"].segment, 2u);

  // Two 130-byte records fit in 300 bytes: k3+k4, k5+k6, k7+k8, then k9 and the end.
  std::vector<uint64_t> walked;
  while (!r.segment_deleted && walked.size() < 20) {
    ASSERT_TRUE(log_->CompactStep(300, owner.IsLive(), owner.Relocate(), &r).ok());
    walked.push_back(r.bytes_walked);
    if (!r.segment_deleted) {
      EXPECT_EQ(owner.refs["k9"].segment, 1u);
    }
  }
  EXPECT_EQ(walked, (std::vector<uint64_t>{260, 260, 260, 130}));
  EXPECT_EQ(owner.refs["k9"].segment, 2u);
  EXPECT_FALSE(fs::exists(SegPath(1)));
  EXPECT_EQ(log_->GetStats().compactions, 1u);
  EXPECT_EQ(log_->GetStats().bytes_compacted, 4u * 130u);
  for (auto& [key, ref] : owner.refs) EXPECT_EQ(Read(ref, key), TierCode::kOk) << key;
  EXPECT_EQ(owner.refs.size(), 4u);
  // Nothing else is below the ratio.
  ASSERT_TRUE(log_->CompactStep(300, owner.IsLive(), owner.Relocate(), &r).ok());
  EXPECT_FALSE(r.worked);
}

TEST_F(SegmentLogTest, RefusedRelocationReleasesTheNewCopy) {
  SegmentLogOptions opts;
  opts.segment_bytes = 400;
  OpenLog(opts);
  FakeOwner owner;
  owner.refs["a"] = MustAppend("a", std::string(100, 'a'));
  log_->Release(MustAppend("b", std::string(100, 'b')));
  log_->Release(MustAppend("c", std::string(100, 'c')));
  ASSERT_EQ(MustAppend("d", std::string(200, 'd')).segment, 2u);  // segment 1 is finished
  MustFlush();
  uint64_t live_before = log_->GetStats().live_bytes;

  owner.refuse = true;  // "the key changed meanwhile"
  SegmentLog::CompactResult r;
  ASSERT_TRUE(log_->CompactStep(1 << 20, owner.IsLive(), owner.Relocate(), &r).ok());
  EXPECT_TRUE(r.segment_deleted);
  EXPECT_EQ(owner.relocations, 0);
  // The copy in segment 2 was released; segment 1's bytes left with the segment.
  EXPECT_EQ(log_->GetStats().live_bytes, live_before - owner.refs["a"].length);
  EXPECT_EQ(Read(owner.refs["a"], "a"), TierCode::kStaleRef);  // segment 1 is gone
}

TEST_F(SegmentLogTest, CorruptRecordEndsTheCompactionWalk) {
  SegmentLogOptions opts;
  opts.segment_bytes = 500;
  OpenLog(opts);
  FakeOwner owner;
  owner.refs["a"] = MustAppend("a", std::string(100, 'a'));
  DiskRef b = MustAppend("b", std::string(100, 'b'));
  owner.refs["c"] = MustAppend("c", std::string(100, 'c'));
  log_->Release(b);
  MustAppend("d", std::string(300, 'd'));  // segment 2
  MustFlush();
  log_->Release(owner.refs["c"]);  // live ratio of segment 1: 1/3
  owner.refs.erase("c");
  PatchFile(SegPath(1), b.offset + b.length - 1, "#");

  SegmentLog::CompactResult r;
  ASSERT_TRUE(log_->CompactStep(1 << 20, owner.IsLive(), owner.Relocate(), &r).ok());
  EXPECT_TRUE(r.segment_deleted);
  EXPECT_EQ(log_->GetStats().checksum_errors, 1u);
  EXPECT_EQ(owner.refs["a"].segment, 2u);  // moved before the bad record
  EXPECT_EQ(Read(owner.refs["a"], "a"), TierCode::kOk);
}

TEST_F(SegmentLogTest, MaxSizeRefusesAppendsUntilReleaseAndCompactionFreeSpace) {
  SegmentLogOptions opts;
  opts.segment_bytes = 1000;
  opts.max_disk_bytes = 3000;
  OpenLog(opts);
  FakeOwner owner;
  std::vector<std::string> keys;
  Status s;
  for (int i = 0; i < 100; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "k%03d", i);
    DiskRef ref;
    s = log_->Append(key, std::string(68, 'v'), 1, 0, &ref);  // 100-byte records
    if (!s.ok()) break;
    owner.refs[key] = ref;
    keys.push_back(key);
  }
  ASSERT_EQ(CodeOf(s), TierCode::kNoSpace);
  EXPECT_NE(s.message().find("tier-max-size"), std::string::npos) << s.message();
  EXPECT_EQ(keys.size(), 30u);
  MustFlush();
  EXPECT_EQ(log_->GetStats().disk_bytes, 3000u);
  EXPECT_EQ(log_->GetStats().no_space_events, 1u);
  DiskRef ref;
  EXPECT_EQ(CodeOf(log_->Append("x", "y", 1, 0, &ref)), TierCode::kNoSpace);
  // Nothing stored was harmed.
  for (const std::string& k : keys) ASSERT_EQ(Read(owner.refs[k], k), TierCode::kOk) << k;

  // Delete most keys of the first two segments, compact, and there is room again.
  for (int i = 0; i < 20; ++i) {
    if (i % 5 == 0) continue;
    log_->Release(owner.refs[keys[i]]);
    owner.refs.erase(keys[i]);
  }
  for (int step = 0; step < 10; ++step) {
    SegmentLog::CompactResult r;
    ASSERT_TRUE(log_->CompactStep(1 << 20, owner.IsLive(), owner.Relocate(), &r).ok());
    if (!r.worked) break;
  }
  MustFlush();
  EXPECT_EQ(log_->GetStats().compactions, 2u);
  EXPECT_LE(log_->GetStats().disk_bytes, 3000u - 1600u);
  DiskRef fresh = MustAppend("fresh", std::string(67, 'f'));
  MustFlush();
  EXPECT_EQ(Read(fresh, "fresh"), TierCode::kOk);
  for (auto& [k, r] : owner.refs) EXPECT_EQ(Read(r, k), TierCode::kOk) << k;
}

TEST_F(SegmentLogTest, ReadPlannedBeforeCompactionDeletesTheSegmentStillCompletes) {
  SegmentLogOptions opts;
  opts.segment_bytes = 300;
  OpenLog(opts);
  FakeOwner owner;
  DiskRef a = MustAppend("a", std::string(100, 'a'));
  MustAppend("b", std::string(200, 'b'));  // segment 2
  MustFlush();
  ASSERT_EQ(a.segment, 1u);

  SegmentLog::ReadPlan plan;
  ASSERT_TRUE(log_->PlanRead(a, &plan).ok());
  ASSERT_FALSE(plan.in_memory);
  log_->Release(a);  // the key is deleted while its read is in flight
  SegmentLog::CompactResult r;
  ASSERT_TRUE(log_->CompactStep(1 << 20, owner.IsLive(), owner.Relocate(), &r).ok());
  ASSERT_TRUE(r.segment_deleted);
  EXPECT_FALSE(fs::exists(SegPath(1)));

  std::string buf(plan.length, '\0');
  ASSERT_EQ(::pread(plan.fd, buf.data(), plan.length, static_cast<off_t>(plan.offset)),
            static_cast<ssize_t>(plan.length));
  RecordView view;
  Status s = log_->VerifyRead(a, "a", buf, &view);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(view.payload, std::string(100, 'a'));
  // A new plan for the same reference is refused.
  EXPECT_EQ(CodeOf(log_->PlanRead(a, &plan)), TierCode::kStaleRef);
}

// Readers on other threads while the writer appends, flushes and compacts: every read is either
// the value of the reference it was given or a stale-reference report, never anything else.
TEST_F(SegmentLogTest, ConcurrentReadsSeeValuesOrStaleRefs) {
  SegmentLogOptions opts;
  opts.segment_bytes = 8192;
  opts.buffer_bytes = 1024;
  OpenLog(opts);
  std::mutex mu;  // guards owner
  FakeOwner owner;
  auto value_of = [](const std::string& key, uint32_t version) {
    return key + "@" + std::to_string(version) + std::string(version % 97, 'p');
  };
  std::atomic<bool> done{false};
  std::atomic<uint64_t> ok_reads{0}, bad_reads{0};
  auto reader = [&](int seed) {
    uint32_t x = static_cast<uint32_t>(seed);
    while (!done.load()) {
      x = x * 1103515245u + 12345u;
      std::string key = "key" + std::to_string((x >> 8) % 50);
      DiskRef ref;
      {
        std::lock_guard<std::mutex> lock(mu);
        auto it = owner.refs.find(key);
        if (it == owner.refs.end()) continue;
        ref = it->second;
      }
      std::string out;
      Status s = log_->ReadSync(ref, key, &out);
      if (s.ok() && out == value_of(key, ref.version)) {
        ok_reads.fetch_add(1);
      } else if (CodeOf(s) != TierCode::kStaleRef) {
        bad_reads.fetch_add(1);
      }
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  auto is_live = [&](std::string_view key, const DiskRef& ref) {
    std::lock_guard<std::mutex> lock(mu);
    return owner.IsLive()(key, ref);
  };
  auto relocate = [&](std::string_view key, const DiskRef& old_ref, const DiskRef& new_ref) {
    std::lock_guard<std::mutex> lock(mu);
    return owner.Relocate()(key, old_ref, new_ref);
  };
  // At least 3000 writes, and on until the readers have seen plenty (they may start late).
  for (uint32_t version = 1; version <= 3000 || (ok_reads.load() < 2000 && version < 2000000);
       ++version) {
    std::string key = "key" + std::to_string(version % 50);
    DiskRef ref = MustAppend(key, value_of(key, version), version);
    DiskRef old;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto [it, inserted] = owner.refs.try_emplace(key, ref);
      if (!inserted) {
        old = it->second;
        it->second = ref;
      }
    }
    if (old.valid()) log_->Release(old);
    if (version % 16 == 0) MustFlush();
    if (version % 64 == 0) {
      SegmentLog::CompactResult r;
      ASSERT_TRUE(log_->CompactStep(4096, is_live, relocate, &r).ok());
    }
  }
  done.store(true);
  r1.join();
  r2.join();
  EXPECT_EQ(bad_reads.load(), 0u);
  EXPECT_GT(ok_reads.load(), 0u);
  EXPECT_GT(log_->GetStats().compactions, 0u);
  EXPECT_EQ(log_->GetStats().checksum_errors, 0u);
}

TEST_F(SegmentLogTest, OpenRemovesLeftoversOfThisWriterOnly) {
  auto touch = [&](const std::string& name) {
    int fd = ::open((dir_ + "/" + name).c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "old", 3), 3);
    ::close(fd);
  };
  touch(SegmentLog::SegmentFileName(7, 1));
  touch(SegmentLog::SegmentFileName(7, 42));
  touch(SegmentLog::SegmentFileName(71, 1));  // another writer
  touch(SegmentLog::SegmentFileName(8, 3));
  touch("notes.txt");
  OpenLog({}, 7);
  EXPECT_FALSE(fs::exists(SegPath(42)));
  EXPECT_EQ(fs::file_size(SegPath(1)), 0u);  // the new first segment, empty
  EXPECT_TRUE(fs::exists(SegPath(1, 71)));
  EXPECT_TRUE(fs::exists(SegPath(3, 8)));
  EXPECT_TRUE(fs::exists(dir_ + "/notes.txt"));
  EXPECT_EQ(log_->GetStats().segments, 1u);
  EXPECT_EQ(log_->GetStats().disk_bytes, 0u);
}

TEST_F(SegmentLogTest, OpenCreatesAMissingDirectory) {
  std::string sub = dir_ + "/tier";
  Status s = SegmentLog::Open(sub, 0, {}, &log_);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(fs::exists(sub + "/" + SegmentLog::SegmentFileName(0, 1)));
}

TEST_F(SegmentLogTest, UnwritableDirectoryFailsAtOpenNamingIt) {
  // A directory under a regular file cannot exist, even for root.
  std::string file = dir_ + "/plain-file";
  int fd = ::creat(file.c_str(), 0644);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::string bad = file + "/tier";
  Status s = SegmentLog::Open(bad, 1, {}, &log_);
  EXPECT_EQ(CodeOf(s), TierCode::kIoError);
  EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  EXPECT_EQ(log_, nullptr);

  // A read-only directory (permissions do not stop root, so only checked otherwise).
  if (::geteuid() != 0) {
    std::string ro = dir_ + "/ro";
    ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
    s = SegmentLog::Open(ro, 1, {}, &log_);
    EXPECT_EQ(CodeOf(s), TierCode::kIoError);
    EXPECT_NE(s.message().find(ro), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("not writable"), std::string::npos) << s.message();
    ::chmod(ro.c_str(), 0755);
  }
}

TEST_F(SegmentLogTest, DestroyingTheLogRemovesItsFiles) {
  OpenLog({});
  MustAppend("k", "v");
  MustFlush();
  ASSERT_TRUE(fs::exists(SegPath(1)));
  log_.reset();
  EXPECT_FALSE(fs::exists(SegPath(1)));
}

}  // namespace
}  // namespace aegisr::tier
