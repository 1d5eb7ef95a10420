#pragma once
// SegmentLog: one writer thread's append-only segment files in tier-dir, holding checksummed,
// versioned records of opaque bytes. Append, batch I/O and compaction on the owning writer
// thread only; PlanRead/VerifyRead/ReadSync, Release and GetStats from any thread.
//
// Record format, file naming and the I/O contract are in docs/tier.md. In short:
//   - Append() copies a record into an in-memory write buffer and returns its DiskRef at once.
//     A buffer is sealed into a batch when it reaches buffer_bytes (or when the caller asks for
//     everything with TakeBatch(kAll)). The caller writes batches: TakeBatch() gives
//     {fd, file offset, bytes}; CompleteBatch(result) takes the write's result (bytes or -errno).
//     A short or failed write keeps the bytes for the next TakeBatch (a retry). FlushSync() does
//     this with pwrite(2).
//   - Reads: PlanRead(ref) gives {fd, offset, length}, holding the segment file open until the
//     plan is destroyed (even if compaction deletes the segment meanwhile), or the record's bytes
//     themselves when they are not on disk yet; VerifyRead() checks the bytes read against the
//     reference and the expected key and gives the payload. ReadSync() does both with pread(2).
//   - Release(ref) when a record is deleted or overwritten: the segment's live bytes drop.
//     CompactStep() rewrites live records of segments whose live ratio fell below a threshold.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "tier/disk_ref.h"

namespace aegisr::tier {

// Status::code() values of this library's errors (0 is ok).
enum class TierCode : int {
  kOk = 0,
  kIoError = 1,   // a system call failed (message carries errno text)
  kNoSpace = 2,   // tier-max-size reached, or the last write got ENOSPC
  kCorrupt = 3,   // bad magic, checksum mismatch or a torn (short) record
  kStaleRef = 4,  // the reference does not match what is stored (segment gone, other
                  // version, other key, other length)
  kBusy = 5,      // too many bytes wait to be written (max_pending_bytes); flush first
  kInvalid = 6,   // bad argument (record too large, bad options)
};
inline TierCode CodeOf(const Status& s) { return static_cast<TierCode>(s.code()); }

// On-disk record layout (little-endian), see docs/tier.md:
//   magic u32 | checksum u64 | format u8 | type u8 | reserved u16 (0) |
//   key_len u32 | value_len u32 | version u32 | key bytes | payload bytes
// The checksum is xxh3-64 of everything after it (header fields from `format` on, key, payload).
inline constexpr uint32_t kRecordMagic = 0x52534741;  // "AGSR" in file byte order
inline constexpr uint8_t kRecordFormat = 1;
inline constexpr size_t kRecordHeaderBytes = 28;
inline constexpr size_t kChecksumOffset = 4;
inline constexpr size_t kChecksummedFrom = 12;
// Offsets and lengths in a DiskRef are 32-bit: segments and records stay below 2 GiB.
inline constexpr uint64_t kMaxSegmentBytes = uint64_t{1} << 31;
inline constexpr uint64_t kMaxRecordBytes = uint64_t{1} << 31;

// A record's fields as parsed; the views point into the bytes given to the parser.
struct RecordView {
  std::string_view key;
  std::string_view payload;
  uint32_t version = 0;
  uint8_t type = 0;
};

// Bytes a record of this key and payload takes on disk.
inline uint64_t RecordBytes(size_t key_len, size_t value_len) {
  return kRecordHeaderBytes + key_len + value_len;
}
// Writes the record into out (RecordBytes(...) bytes).
void EncodeRecord(std::string_view key, std::string_view payload, uint32_t version, uint8_t type,
                  char* out);
// Parses and checks one record at the start of `bytes`: magic, format, that the declared length
// fits, and the checksum. kCorrupt on failure; *len gets the declared record length when the
// header itself was readable (0 otherwise).
Status ParseRecord(std::string_view bytes, RecordView* out, uint64_t* len);

struct SegmentLogOptions {
  uint64_t segment_bytes = uint64_t{64} << 20;      // roll over to a new segment at this size
  uint64_t buffer_bytes = uint64_t{1} << 20;        // seal a write batch at this size
  uint64_t max_disk_bytes = 0;                      // tier-max-size: 0 means no limit
  uint64_t max_pending_bytes = uint64_t{64} << 20;  // unwritten bytes before Append says kBusy
  double compact_ratio = 0.5;  // compact segments whose live/size ratio is below this
};

struct SegmentLogStats {
  uint64_t records_appended = 0;  // by Append (not compaction)
  uint64_t bytes_appended = 0;    // record bytes by Append
  uint64_t live_bytes = 0;        // record bytes not yet released
  uint64_t disk_bytes = 0;        // bytes of all segments, written or still buffered
  uint64_t pending_bytes = 0;     // bytes not yet written
  uint64_t segments = 0;
  uint64_t bytes_written = 0;      // bytes the kernel accepted (user + compaction)
  double write_amplification = 0;  // bytes_written / bytes_appended (0 before any append)
  uint64_t compactions = 0;        // segments compacted and deleted
  uint64_t bytes_compacted = 0;    // live record bytes rewritten by compaction
  uint64_t checksum_errors = 0;    // kCorrupt results (reads and compaction walks)
  uint64_t stale_refs = 0;         // kStaleRef results
  uint64_t write_errors = 0;       // failed or short writes
  uint64_t no_space_events = 0;    // appends refused for space, and ENOSPC writes
};

class SegmentLog {
 public:
  // One segment file, shared by the log and by in-flight reads: the descriptor closes when the
  // last holder lets go, so a read planned before compaction deletes the file still completes.
  struct File {
    int fd = -1;
    uint32_t number = 0;
    std::string path;
    ~File();
  };

  // A planned read. When in_memory is true the record's bytes are in `bytes` (not yet written)
  // and no I/O is needed; otherwise read `length` bytes at `offset` from `fd`. `file` keeps fd
  // open as long as the plan lives.
  struct ReadPlan {
    std::shared_ptr<const File> file;
    int fd = -1;
    uint64_t offset = 0;
    uint32_t length = 0;
    bool in_memory = false;
    std::string bytes;
  };

  // A batch to write: `size` bytes at `data` to `fd` at `offset`. Valid until CompleteBatch.
  struct WriteBatch {
    int fd = -1;
    uint64_t offset = 0;
    const char* data = nullptr;
    size_t size = 0;
  };
  enum class Take : uint8_t {
    kFull,  // only sealed batches (buffers that reached buffer_bytes, or a finished segment)
    kAll,   // also the partly filled buffer (flush everything)
  };

  // The decision callbacks of a compaction step, run on the writer thread.
  // is_live: does the owner still hold `ref` for `key`?
  // relocate: the owner should now hold `new_ref` instead of `old_ref`; return false to refuse
  //   (the key changed meanwhile): the new copy is then released.
  using IsLiveFn = std::function<bool(std::string_view key, const DiskRef& ref)>;
  using RelocateFn =
      std::function<bool(std::string_view key, const DiskRef& old_ref, const DiskRef& new_ref)>;

  struct CompactResult {
    bool worked = false;        // a victim segment was found (or continued)
    uint64_t bytes_walked = 0;  // record bytes of the victim examined in this step
    uint64_t bytes_moved = 0;   // live record bytes re-appended in this step
    bool segment_deleted = false;
  };

  // Opens the log of writer `writer_id` in `dir` (created if missing, one level): removes the
  // writer's segment files left by an earlier run (the tier is a cache extension) and creates
  // its first segment. Fails with kIoError naming the directory when it cannot be written, and
  // with kInvalid for bad options.
  static Status Open(const std::string& dir, uint32_t writer_id, const SegmentLogOptions& opts,
                     std::unique_ptr<SegmentLog>* out);
  // Deletes the log's segment files. No batch may be in flight (TakeBatch without
  // CompleteBatch); ReadPlans may outlive the log (they hold their file).
  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // File name of segment `number` of writer `writer_id`: "aegisr-w<writer>-<number 8 digits>.seg".
  static std::string SegmentFileName(uint32_t writer_id, uint32_t number);

  // --- Writer thread only -------------------------------------------------------------------

  // Appends a record and sets *ref. Errors (nothing is stored then): kNoSpace when the record
  // would take disk use above max_disk_bytes, or while the last write failed with ENOSPC;
  // kIoError while the last write failed otherwise, or when a new segment file cannot be
  // created; kBusy when max_pending_bytes are waiting to be written; kInvalid when the record
  // exceeds kMaxRecordBytes or the segment size.
  Status Append(std::string_view key, std::string_view payload, uint32_t version, uint8_t type,
                DiskRef* ref);

  // The next batch to write, or false when none is ready or one is in flight (one at a time).
  bool TakeBatch(Take mode, WriteBatch* batch);
  // The result of writing the batch TakeBatch gave: bytes written or -errno. A short write
  // keeps the rest, an error keeps it all, for the next TakeBatch; both count as write errors
  // and an error is returned as a Status (ENOSPC as kNoSpace).
  Status CompleteBatch(int64_t result);
  // Writes every pending byte with pwrite(2). Stops at the first error, keeping the data.
  Status FlushSync();

  // One bounded step of compaction: continues the current victim or picks the segment with the
  // lowest live ratio below compact_ratio (never the segment being appended to, nor one with
  // unwritten bytes), examines records up to about max_bytes (at least one), re-appends the
  // live ones and deletes the segment when it has been walked to its end. Reads with pread(2).
  // An error from re-appending (kBusy, kNoSpace, ...) stops the step; the next step resumes at
  // the same record.
  Status CompactStep(uint64_t max_bytes, const IsLiveFn& is_live, const RelocateFn& relocate,
                     CompactResult* result);

  // --- Any thread ---------------------------------------------------------------------------

  // Plans the read of `ref`. kStaleRef if its segment no longer exists or the range is not
  // inside it.
  Status PlanRead(const DiskRef& ref, ReadPlan* plan) const;
  // Checks `bytes` (what was read for the plan) against `ref` and `key`. On success *out's views
  // point into `bytes`. kCorrupt for a torn record, bad magic or checksum; kStaleRef when the
  // record is another one (length, version or key differ).
  Status VerifyRead(const DiskRef& ref, std::string_view key, std::string_view bytes,
                    RecordView* out) const;
  // PlanRead + pread + VerifyRead; the payload is copied to *payload, the type to *type.
  Status ReadSync(const DiskRef& ref, std::string_view key, std::string* payload,
                  uint8_t* type = nullptr) const;

  // The record of `ref` is deleted or overwritten: its bytes no longer count as live. A
  // reference to a segment already gone is ignored. Release each reference once.
  void Release(const DiskRef& ref);

  SegmentLogStats GetStats() const;
  const SegmentLogOptions& options() const { return opts_; }
  uint32_t writer_id() const { return writer_id_; }
  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    std::shared_ptr<File> file;
    uint64_t size = 0;                 // bytes appended; writer thread, read under mu_
    std::atomic<uint64_t> durable{0};  // prefix written to the file
    std::atomic<int64_t> live{0};      // record bytes not released
  };
  // Bytes of one segment waiting to be written; records never span batches.
  struct Batch {
    std::shared_ptr<Segment> seg;
    uint64_t file_offset = 0;  // where data[0] goes
    std::string data;
    size_t done = 0;  // bytes already written
    bool sealed = false;
  };

  SegmentLog(std::string dir, uint32_t writer_id, const SegmentLogOptions& opts);
  Status NewSegment();  // writer thread
  Status AppendInternal(std::string_view key, std::string_view payload, uint32_t version,
                        uint8_t type, bool compaction, DiskRef* ref);
  std::shared_ptr<Segment> PickVictim();                    // takes mu_
  void DeleteSegment(const std::shared_ptr<Segment>& seg);  // takes mu_
  Status ReadVictim(uint64_t offset, uint64_t len);         // fills scratch_

  const std::string dir_;
  const uint32_t writer_id_;
  const SegmentLogOptions opts_;

  // mu_ guards segments_ and batches_ (readers copy unwritten records out of batches). The
  // writer thread changes both; other threads only look.
  mutable std::mutex mu_;
  std::map<uint32_t, std::shared_ptr<Segment>> segments_;
  std::deque<Batch> batches_;

  // Writer thread only.
  std::shared_ptr<Segment> current_;  // segment being appended to
  uint32_t next_segment_ = 1;
  bool in_flight_ = false;           // a TakeBatch awaits CompleteBatch
  int write_errno_ = 0;              // errno of the last failed write, 0 after a success
  std::shared_ptr<Segment> victim_;  // compaction in progress
  uint64_t victim_cursor_ = 0;
  std::string scratch_;  // victim bytes [scratch_off_, scratch_off_ + size)
  uint64_t scratch_off_ = 0;

  // Counters; relaxed atomics so any thread may read or bump them.
  std::atomic<uint64_t> disk_bytes_{0};
  std::atomic<uint64_t> pending_bytes_{0};
  std::atomic<int64_t> live_bytes_{0};
  std::atomic<uint64_t> records_appended_{0};
  std::atomic<uint64_t> bytes_appended_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> bytes_compacted_{0};
  mutable std::atomic<uint64_t> checksum_errors_{0};
  mutable std::atomic<uint64_t> stale_refs_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> no_space_events_{0};
};

}  // namespace aegisr::tier
