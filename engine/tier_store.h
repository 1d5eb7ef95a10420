#pragma once
// TierStore: the engine's side of the disk tier. Offloads cold values of the keyspace to
// per-thread segment logs (tier/segment_log.h), tells the I/O loop which values a command needs
// back (ColdKeys), and installs them once read (Install). Keys, TTLs and access words stay in
// RAM. Thread-safe: the log of writer i is appended to only on loop thread i (Offload, TakeBatch,
// CompleteBatch, Maintain); reads and releases come from any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/client.h"
#include "engine/command.h"
#include "engine/config.h"
#include "engine/keyspace/keyspace.h"
#include "tier/disk_ref.h"
#include "tier/segment_log.h"

namespace aegisr {

// A value a command needs from disk.
struct ColdKey {
  std::string key;
  int db = 0;
  unsigned writer = 0;
  tier::DiskRef ref;
};

struct TierCounters {
  std::atomic<uint64_t> offloaded_keys{0};
  std::atomic<uint64_t> offloaded_bytes{0};
  std::atomic<uint64_t> cold_reads{0};       // values read back from disk
  std::atomic<uint64_t> coalesced_reads{0};  // asks that joined a read already in flight
  std::atomic<uint64_t> cold_read_bytes{0};
  std::atomic<uint64_t> read_errors{0};       // checksum / stale / I/O failures (keys lost)
  std::atomic<uint64_t> offload_failures{0};  // appends refused (space, errors)
  std::atomic<uint64_t> disk_keys{0};         // keys whose value is on disk now
  std::atomic<uint64_t> clean_keys{0};        // values in RAM with a clean copy on disk
  std::atomic<uint64_t> clean_offloads{0};    // offloads that reused a clean copy (no write)
  std::atomic<uint64_t> clean_drops{0};       // clean copies let go of to free disk space
  std::atomic<uint64_t> disk_hits{0};         // keys a command needed whose values were on disk
};

class TierStore {
 public:
  TierStore(Keyspace& ks, Config& cfg);
  ~TierStore();

  // Opens one segment log per loop thread in tier-dir (nothing when tier-dir is empty).
  // Errors name the directory: the daemon exits with them.
  Status Start(unsigned threads);
  bool enabled() const { return !logs_.empty(); }
  // Whether offloading is worth trying: false for a second after the tier refused a value
  // (tier-max-size reached, ENOSPC, write errors), so that a full tier costs one failed
  // append per second rather than one per candidate; it retries after that.
  bool accepting() const;

  // Moves the value of the entry at link to this thread's log. False when it stays in RAM
  // (tier off, value below tier-min-value-size, already on disk, log full or failing). A value
  // with a clean copy on disk (read back and not changed since) just drops its RAM copy.
  bool Offload(Shard& s, int db, Entry** link);

  // The values a command needs from disk before it can run (empty: run it). Commands that never
  // read values (DEL, EXISTS, TTL, EXPIRE, TYPE, SCAN, plain SET ...) need none.
  std::vector<ColdKey> ColdKeys(const ClientState& client, const CommandSpec& cmd, ArgList args);

  tier::SegmentLog* log(unsigned writer) {
    return writer < logs_.size() ? logs_[writer].get() : nullptr;
  }
  // Checks bytes read for c (the record) and puts the value back in RAM if the key still refers
  // to it; the record stays as the value's clean copy until the value changes or the key goes.
  // An error means the value is lost: the key is deleted and the error counted/logged.
  Status Install(const ColdKey& c, std::string_view record_bytes);
  // The same after a failed read.
  void ReadFailed(const ColdKey& c, const Status& why);

  // Loop thread `writer`: the next batch to write and its completion.
  bool TakeBatch(unsigned writer, tier::SegmentLog::WriteBatch* batch);
  void CompleteBatch(unsigned writer, int64_t result);
  // Loop thread `writer` (epoll backend): writes its log's pending bytes with pwrite.
  void FlushSync(unsigned writer);
  // Loop thread `writer`, from its cron: a bounded compaction step; with `sync` also writes
  // pending batches with pwrite (the epoll backend).
  void Maintain(unsigned writer, bool sync);

  // Pins: the keys (GhostHash) of the command a loop thread is about to run (or is waiting to
  // run, parked) must not be offloaded by any thread meanwhile: ColdKeys found them in RAM and
  // the command will read them. Pin replaces the thread's set; Offload skips pinned keys.
  void Pin(unsigned thread, std::vector<uint64_t> hashes);
  void Unpin(unsigned thread);
  bool IsPinned(uint64_t hash);

  // An entry let go of a record (release hook): a disk-only value, or a clean copy.
  void Released(unsigned writer, const char ref16[16], bool clean_copy);

  void CountCoalesced() { counters_.coalesced_reads.fetch_add(1, std::memory_order_relaxed); }

  // How long a parked command waited for its values (park to resume), for INFO's percentiles.
  void RecordColdWait(int64_t us);
  // The q-quantile (0..1) of those waits in microseconds (upper edge of its histogram bucket:
  // 4 buckets per power of two, so within 19%); 0 before any.
  int64_t ColdWaitQuantile(double q) const;

  const TierCounters& counters() const { return counters_; }
  // INFO's "tier" section body.
  std::string Info();

 private:
  void DropLostKey(const ColdKey& c, const Status& why);

  Keyspace& ks_;
  Config& cfg_;
  std::vector<std::unique_ptr<tier::SegmentLog>> logs_;
  std::atomic<uint32_t> version_{1};
  TierCounters counters_;
  std::atomic<bool> warned_full_{false};
  std::atomic<int64_t> retry_at_ms_{0};
  struct PinSet {
    std::mutex mu;
    std::vector<uint64_t> hashes;
  };
  std::vector<std::unique_ptr<PinSet>> pins_;  // one per loop thread
  // Cold reads per second over the last whole second, sampled by writer 0's cron.
  std::atomic<int64_t> rate_sample_ms_{0};
  std::atomic<uint64_t> rate_sample_reads_{0};
  std::atomic<uint64_t> cold_reads_per_sec_{0};
  static constexpr int kWaitBuckets = 4 * 40;
  std::atomic<uint64_t> wait_hist_[kWaitBuckets] = {};
};

// The value serialization of the tier: one encoder/decoder per value type. Strings are their
// bytes; collections use the codec their family registers in ObjectOps (engine/keyspace/entry.h).
std::string EncodeValue(const Entry& e);
// Whether values of type t can be offloaded (EncodeValue has their encoder).
bool HasEncoder(ValueType t);
// A new entry for key holding the decoded value, or nullptr if payload is not valid for type.
Entry* DecodeValue(std::string_view key, uint32_t hash, uint8_t type, std::string_view payload);

}  // namespace aegisr
