// The segment log (see segment_log.h and docs/tier.md). Append, batch I/O and compaction run on
// the owning writer thread; reads, Release and stats on any thread, under mu_ where they look at
// the segment table or the unwritten batches.
//
// How the pieces fit:
//   - Each segment is a file plus three numbers: `size` (bytes appended, written or not),
//     `durable` (the prefix the kernel has accepted) and `live` (record bytes not released).
//     The file is held by shared_ptr so that an unlinked segment stays readable through any
//     ReadPlan that still holds it.
//   - Appended records go into the open Batch at the back of batches_, which belongs to the
//     current segment. A batch is sealed when it reaches buffer_bytes or its segment rolls over;
//     only sealed batches are handed out, so bytes being written never move. A record never
//     spans two batches, so an unwritten record is one copy away (PlanRead serves it from RAM).
//   - Batches are written front to back, one at a time. A short write advances `done` and the
//     rest goes out with the next TakeBatch; a failed write leaves the batch as it was and makes
//     Append refuse new records until a write succeeds again (nothing queued is dropped).
//   - Disk use (`disk_bytes_`) is the sum of segment sizes. Append refuses a record that would
//     take it above max_disk_bytes. Compaction's re-appends are exempt: they are what gives
//     space back, so during a step disk use may exceed the limit by the live bytes of one victim
//     (below compact_ratio x segment_bytes) until the victim is deleted.
//   - Compaction: the victim is the fully written, non-current segment with the lowest live
//     ratio below compact_ratio. One step reads the victim in chunks with pread, re-appends
//     each record the owner still holds (is_live), tells the owner the new reference
//     (relocate), and releases whichever copy the owner does not keep. A victim with no live
//     bytes is deleted without reading it. A corrupt record ends the walk: the rest of the
//     victim cannot be parsed, so it is dropped with it (their reads then report kStaleRef).
#include "tier/segment_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/hash.h"
#include "base/logging.h"

namespace aegisr::tier {
namespace {

static_assert(std::endian::native == std::endian::little, "records are stored little-endian");

constexpr uint64_t kCompactReadChunk = 256 << 10;

template <typename T>
void Put(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

Status Err(TierCode code, std::string msg) {
  return Status::Error(std::move(msg), static_cast<int>(code));
}

std::string ErrnoText(int err) { return std::strerror(err); }

struct Header {
  uint32_t magic;
  uint64_t checksum;
  uint8_t format;
  uint8_t type;
  uint32_t key_len;
  uint32_t value_len;
  uint32_t version;
  uint64_t length() const { return RecordBytes(key_len, value_len); }
};

Header DecodeHeader(const char* p) {
  Header h;
  h.magic = Get<uint32_t>(p);
  h.checksum = Get<uint64_t>(p + kChecksumOffset);
  h.format = static_cast<uint8_t>(p[12]);
  h.type = static_cast<uint8_t>(p[13]);
  h.key_len = Get<uint32_t>(p + 16);
  h.value_len = Get<uint32_t>(p + 20);
  h.version = Get<uint32_t>(p + 24);
  return h;
}

uint64_t Checksum(std::string_view record) { return HashBytes(record.substr(kChecksummedFrom)); }

// pread until `len` bytes, end of file or an error; returns bytes read or -errno.
int64_t PreadFull(int fd, char* buf, uint64_t len, uint64_t off) {
  uint64_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, buf + got, len - got, static_cast<off_t>(off + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) break;
    got += static_cast<uint64_t>(n);
  }
  return static_cast<int64_t>(got);
}

}  // namespace

void EncodeRecord(std::string_view key, std::string_view payload, uint32_t version, uint8_t type,
                  char* out) {
  Put<uint32_t>(out, kRecordMagic);
  out[12] = static_cast<char>(kRecordFormat);
  out[13] = static_cast<char>(type);
  Put<uint16_t>(out + 14, 0);
  Put<uint32_t>(out + 16, static_cast<uint32_t>(key.size()));
  Put<uint32_t>(out + 20, static_cast<uint32_t>(payload.size()));
  Put<uint32_t>(out + 24, version);
  if (!key.empty()) std::memcpy(out + kRecordHeaderBytes, key.data(), key.size());
  if (!payload.empty()) {
    std::memcpy(out + kRecordHeaderBytes + key.size(), payload.data(), payload.size());
  }
  uint64_t len = RecordBytes(key.size(), payload.size());
  Put<uint64_t>(out + kChecksumOffset, Checksum({out, len}));
}

Status ParseRecord(std::string_view bytes, RecordView* out, uint64_t* len) {
  *len = 0;
  if (bytes.size() < kRecordHeaderBytes) {
    return Err(TierCode::kCorrupt, "torn record: header cut short");
  }
  Header h = DecodeHeader(bytes.data());
  if (h.magic != kRecordMagic || h.format != kRecordFormat) {
    return Err(TierCode::kCorrupt, "bad record magic or format");
  }
  *len = h.length();
  if (h.length() > bytes.size()) {
    return Err(TierCode::kCorrupt, "torn record: " + std::to_string(bytes.size()) + " of " +
                                       std::to_string(h.length()) + " bytes");
  }
  std::string_view rec = bytes.substr(0, h.length());
  if (Checksum(rec) != h.checksum) return Err(TierCode::kCorrupt, "record checksum mismatch");
  out->key = rec.substr(kRecordHeaderBytes, h.key_len);
  out->payload = rec.substr(kRecordHeaderBytes + h.key_len);
  out->version = h.version;
  out->type = h.type;
  return Status::Ok();
}

SegmentLog::File::~File() {
  if (fd >= 0) ::close(fd);
}

SegmentLog::SegmentLog(std::string dir, uint32_t writer_id, const SegmentLogOptions& opts)
    : dir_(std::move(dir)), writer_id_(writer_id), opts_(opts) {}

SegmentLog::~SegmentLog() {
  // The tier is a cache: its files are worth nothing to the next run (Open removes them too).
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [number, seg] : segments_) ::unlink(seg->file->path.c_str());
}

std::string SegmentLog::SegmentFileName(uint32_t writer_id, uint32_t number) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "aegisr-w%u-%08u.seg", writer_id, number);
  return buf;
}

Status SegmentLog::Open(const std::string& dir, uint32_t writer_id, const SegmentLogOptions& opts,
                        std::unique_ptr<SegmentLog>* out) {
  if (opts.segment_bytes <= kRecordHeaderBytes || opts.segment_bytes > kMaxSegmentBytes ||
      opts.buffer_bytes == 0 || !(opts.compact_ratio >= 0 && opts.compact_ratio <= 1)) {
    return Err(TierCode::kInvalid, "tier: bad segment log options");
  }
  if (dir.empty()) return Err(TierCode::kInvalid, "tier-dir is empty");
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return Err(TierCode::kIoError, "tier-dir " + dir + " cannot be created: " + ErrnoText(errno));
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Err(TierCode::kIoError, "tier-dir " + dir + " is not a directory");
  }

  // Leftovers of an earlier run of this writer: "aegisr-w<id>-*.seg". The dash after the id
  // keeps writer 1 from taking writer 12's files.
  std::string prefix = "aegisr-w" + std::to_string(writer_id) + "-";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return Err(TierCode::kIoError, "tier-dir " + dir + " cannot be read: " + ErrnoText(errno));
  }
  Status removed = Status::Ok();
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (!name.starts_with(prefix) || !name.ends_with(".seg")) continue;
    std::string path = dir + "/" + std::string(name);
    if (::unlink(path.c_str()) != 0 && removed.ok()) {
      removed = Err(TierCode::kIoError, "tier-dir " + dir + " is not writable: cannot remove " +
                                            path + ": " + ErrnoText(errno));
    }
  }
  ::closedir(d);
  if (!removed.ok()) return removed;

  std::unique_ptr<SegmentLog> log(new SegmentLog(dir, writer_id, opts));
  Status s = log->NewSegment();
  if (!s.ok()) return s;
  *out = std::move(log);
  return Status::Ok();
}

Status SegmentLog::NewSegment() {
  uint32_t number = next_segment_++;
  auto file = std::make_shared<File>();
  file->number = number;
  file->path = dir_ + "/" + SegmentFileName(writer_id_, number);
  file->fd = ::open(file->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (file->fd < 0) {
    int err = errno;
    LOG(Warning) << "tier: cannot create segment " << file->path << ": " << ErrnoText(err);
    return Err(err == ENOSPC ? TierCode::kNoSpace : TierCode::kIoError,
               "tier-dir " + dir_ + " is not writable: cannot create " + file->path + ": " +
                   ErrnoText(err));
  }
  auto seg = std::make_shared<Segment>();
  seg->file = std::move(file);
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments_[number] = seg;
    // The open batch of the previous segment is complete: it may be written now.
    if (!batches_.empty()) batches_.back().sealed = true;
  }
  current_ = std::move(seg);
  return Status::Ok();
}

Status SegmentLog::Append(std::string_view key, std::string_view payload, uint32_t version,
                          uint8_t type, DiskRef* ref) {
  return AppendInternal(key, payload, version, type, /*compaction=*/false, ref);
}

Status SegmentLog::AppendInternal(std::string_view key, std::string_view payload, uint32_t version,
                                  uint8_t type, bool compaction, DiskRef* ref) {
  uint64_t rec = RecordBytes(key.size(), payload.size());
  if (rec > kMaxRecordBytes || rec > opts_.segment_bytes) {
    return Err(TierCode::kInvalid,
               "tier: record of " + std::to_string(rec) + " bytes exceeds the segment size");
  }
  if (write_errno_ != 0) {
    if (write_errno_ == ENOSPC) {
      no_space_events_.fetch_add(1, std::memory_order_relaxed);
      return Err(TierCode::kNoSpace, "tier-dir " + dir_ + ": no space left on device");
    }
    return Err(TierCode::kIoError,
               "tier-dir " + dir_ + ": the last write failed: " + ErrnoText(write_errno_));
  }
  uint64_t pending = pending_bytes_.load(std::memory_order_relaxed);
  if (pending > 0 && pending + rec > opts_.max_pending_bytes) {
    return Err(TierCode::kBusy, "tier: " + std::to_string(pending) + " bytes wait to be written");
  }
  if (!compaction && opts_.max_disk_bytes != 0 &&
      disk_bytes_.load(std::memory_order_relaxed) + rec > opts_.max_disk_bytes) {
    no_space_events_.fetch_add(1, std::memory_order_relaxed);
    return Err(TierCode::kNoSpace,
               "tier: tier-max-size (" + std::to_string(opts_.max_disk_bytes) + " bytes) reached");
  }
  if (current_->size > 0 && current_->size + rec > opts_.segment_bytes) {
    Status s = NewSegment();
    if (!s.ok()) return s;
  }

  Segment* seg = current_.get();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (batches_.empty() || batches_.back().sealed || batches_.back().seg.get() != seg) {
      Batch& b = batches_.emplace_back();
      b.seg = current_;
      b.file_offset = seg->size;
      b.data.reserve(std::max<uint64_t>(opts_.buffer_bytes, rec));
    }
    Batch& b = batches_.back();
    size_t at = b.data.size();
    b.data.resize(at + rec);
    EncodeRecord(key, payload, version, type, b.data.data() + at);
    if (b.data.size() >= opts_.buffer_bytes) b.sealed = true;
    *ref = DiskRef{seg->file->number, static_cast<uint32_t>(seg->size), static_cast<uint32_t>(rec),
                   version};
    seg->size += rec;
    seg->live.fetch_add(static_cast<int64_t>(rec), std::memory_order_relaxed);
    live_bytes_.fetch_add(static_cast<int64_t>(rec), std::memory_order_relaxed);
  }
  disk_bytes_.fetch_add(rec, std::memory_order_relaxed);
  pending_bytes_.fetch_add(rec, std::memory_order_relaxed);
  if (!compaction) {
    records_appended_.fetch_add(1, std::memory_order_relaxed);
    bytes_appended_.fetch_add(rec, std::memory_order_relaxed);
  }
  return Status::Ok();
}

bool SegmentLog::TakeBatch(Take mode, WriteBatch* batch) {
  if (in_flight_) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (batches_.empty()) return false;
  Batch& b = batches_.front();
  if (!b.sealed) {
    if (mode == Take::kFull) return false;
    b.sealed = true;
  }
  batch->fd = b.seg->file->fd;
  batch->offset = b.file_offset + b.done;
  batch->data = b.data.data() + b.done;
  batch->size = b.data.size() - b.done;
  in_flight_ = true;
  return true;
}

Status SegmentLog::CompleteBatch(int64_t result) {
  if (!in_flight_) return Err(TierCode::kInvalid, "tier: CompleteBatch without TakeBatch");
  in_flight_ = false;
  std::lock_guard<std::mutex> lock(mu_);
  Batch& b = batches_.front();
  uint64_t at = b.file_offset + b.done;
  if (result <= 0) {
    int err = result == 0 ? EIO : static_cast<int>(-result);
    write_errno_ = err;
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    if (err == ENOSPC) no_space_events_.fetch_add(1, std::memory_order_relaxed);
    LOG(Warning) << "tier: write to " << b.seg->file->path << " at " << at
                 << " failed: " << ErrnoText(err) << " (kept for retry)";
    return Err(err == ENOSPC ? TierCode::kNoSpace : TierCode::kIoError,
               "tier: write to " + b.seg->file->path + " failed: " + ErrnoText(err));
  }
  write_errno_ = 0;
  uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(result), b.data.size() - b.done);
  b.done += n;
  b.seg->durable.store(b.file_offset + b.done, std::memory_order_release);
  bytes_written_.fetch_add(n, std::memory_order_relaxed);
  pending_bytes_.fetch_sub(n, std::memory_order_relaxed);
  if (b.done == b.data.size()) {
    batches_.pop_front();
  } else {
    write_errors_.fetch_add(1, std::memory_order_relaxed);  // short write: the rest is retried
  }
  return Status::Ok();
}

Status SegmentLog::FlushSync() {
  WriteBatch wb;
  while (TakeBatch(Take::kAll, &wb)) {
    ssize_t n;
    do {
      n = ::pwrite(wb.fd, wb.data, wb.size, static_cast<off_t>(wb.offset));
    } while (n < 0 && errno == EINTR);
    Status s = CompleteBatch(n < 0 ? -errno : n);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status SegmentLog::PlanRead(const DiskRef& ref, ReadPlan* plan) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = segments_.find(ref.segment);
  uint64_t end = uint64_t{ref.offset} + ref.length;
  if (it == segments_.end() || ref.length < kRecordHeaderBytes || end > it->second->size) {
    stale_refs_.fetch_add(1, std::memory_order_relaxed);
    return Err(TierCode::kStaleRef, "tier: stale reference to segment " +
                                        std::to_string(ref.segment) + " offset " +
                                        std::to_string(ref.offset));
  }
  const Segment& seg = *it->second;
  plan->file = seg.file;
  plan->fd = seg.file->fd;
  plan->offset = ref.offset;
  plan->length = ref.length;
  plan->in_memory = false;
  plan->bytes.clear();
  if (end <= seg.durable.load(std::memory_order_acquire)) return Status::Ok();
  for (const Batch& b : batches_) {
    if (b.seg.get() != &seg) continue;
    if (ref.offset >= b.file_offset && end <= b.file_offset + b.data.size()) {
      plan->in_memory = true;
      plan->bytes.assign(b.data, ref.offset - b.file_offset, ref.length);
      return Status::Ok();
    }
  }
  stale_refs_.fetch_add(1, std::memory_order_relaxed);
  return Err(TierCode::kStaleRef, "tier: reference does not match a buffered record");
}

Status SegmentLog::VerifyRead(const DiskRef& ref, std::string_view key, std::string_view bytes,
                              RecordView* out) const {
  std::string where =
      " (segment " + std::to_string(ref.segment) + " offset " + std::to_string(ref.offset) + ")";
  auto corrupt = [&](std::string msg) {
    checksum_errors_.fetch_add(1, std::memory_order_relaxed);
    LOG(Warning) << "tier: " << msg << where;
    return Err(TierCode::kCorrupt, "tier: " + msg + where);
  };
  auto stale = [&](std::string msg) {
    stale_refs_.fetch_add(1, std::memory_order_relaxed);
    return Err(TierCode::kStaleRef, "tier: stale reference: " + msg + where);
  };
  if (ref.length < kRecordHeaderBytes) return stale("shorter than a header");
  if (bytes.size() < ref.length) {
    return corrupt("torn record: " + std::to_string(bytes.size()) + " of " +
                   std::to_string(ref.length) + " bytes");
  }
  bytes = bytes.substr(0, ref.length);
  Header h = DecodeHeader(bytes.data());
  if (h.magic != kRecordMagic || h.format != kRecordFormat) {
    return corrupt("bad record magic or format");
  }
  if (h.length() != ref.length) return stale("record length differs");
  if (Checksum(bytes) != h.checksum) return corrupt("record checksum mismatch");
  if (h.version != ref.version) return stale("version differs");
  std::string_view stored_key = bytes.substr(kRecordHeaderBytes, h.key_len);
  if (stored_key != key) return stale("key differs");
  out->key = stored_key;
  out->payload = bytes.substr(kRecordHeaderBytes + h.key_len);
  out->version = h.version;
  out->type = h.type;
  return Status::Ok();
}

Status SegmentLog::ReadSync(const DiskRef& ref, std::string_view key, std::string* payload,
                            uint8_t* type) const {
  ReadPlan plan;
  Status s = PlanRead(ref, &plan);
  if (!s.ok()) return s;
  std::string buf;
  std::string_view bytes;
  if (plan.in_memory) {
    bytes = plan.bytes;
  } else {
    buf.resize(plan.length);
    int64_t got = PreadFull(plan.fd, buf.data(), plan.length, plan.offset);
    if (got < 0) {
      return Err(TierCode::kIoError, "tier: read of " + plan.file->path +
                                         " failed: " + ErrnoText(static_cast<int>(-got)));
    }
    bytes = std::string_view(buf).substr(0, static_cast<size_t>(got));
  }
  RecordView view;
  s = VerifyRead(ref, key, bytes, &view);
  if (!s.ok()) return s;
  payload->assign(view.payload);
  if (type != nullptr) *type = view.type;
  return Status::Ok();
}

void SegmentLog::Release(const DiskRef& ref) {
  // Under mu_ so that a release cannot interleave with DeleteSegment's residual accounting.
  std::lock_guard<std::mutex> lock(mu_);
  auto it = segments_.find(ref.segment);
  if (it == segments_.end()) return;
  int64_t before = it->second->live.fetch_sub(ref.length, std::memory_order_relaxed);
  DCHECK(before >= static_cast<int64_t>(ref.length)) << "segment released twice";
  live_bytes_.fetch_sub(ref.length, std::memory_order_relaxed);
}

std::shared_ptr<SegmentLog::Segment> SegmentLog::PickVictim() {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Segment> best;
  double best_ratio = 0;
  for (auto& [number, seg] : segments_) {
    if (seg == current_ || seg->size == 0) continue;
    if (seg->durable.load(std::memory_order_acquire) != seg->size) continue;
    int64_t live = std::max<int64_t>(seg->live.load(std::memory_order_relaxed), 0);
    double ratio = static_cast<double>(live) / static_cast<double>(seg->size);
    bool eligible = live == 0 || ratio < opts_.compact_ratio;
    if (eligible && (!best || ratio < best_ratio)) {
      best = seg;
      best_ratio = ratio;
    }
  }
  return best;
}

void SegmentLog::DeleteSegment(const std::shared_ptr<Segment>& seg) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    segments_.erase(seg->file->number);
    int64_t residual = seg->live.load(std::memory_order_relaxed);
    if (residual != 0) live_bytes_.fetch_sub(residual, std::memory_order_relaxed);
  }
  disk_bytes_.fetch_sub(seg->size, std::memory_order_relaxed);
  if (::unlink(seg->file->path.c_str()) != 0) {
    LOG(Warning) << "tier: cannot remove " << seg->file->path << ": " << ErrnoText(errno);
  }
}

Status SegmentLog::ReadVictim(uint64_t offset, uint64_t len) {
  uint64_t want = std::min(std::max(len, kCompactReadChunk), victim_->size - offset);
  scratch_.resize(want);
  scratch_off_ = offset;
  int64_t got = PreadFull(victim_->file->fd, scratch_.data(), want, offset);
  if (got < 0) {
    scratch_.clear();
    return Err(TierCode::kIoError, "tier: read of " + victim_->file->path +
                                       " failed: " + ErrnoText(static_cast<int>(-got)));
  }
  scratch_.resize(static_cast<size_t>(got));
  return Status::Ok();
}

Status SegmentLog::CompactStep(uint64_t max_bytes, const IsLiveFn& is_live,
                               const RelocateFn& relocate, CompactResult* result) {
  *result = CompactResult{};
  if (!victim_) {
    victim_ = PickVictim();
    if (!victim_) return Status::Ok();
    victim_cursor_ = 0;
    scratch_.clear();
    scratch_off_ = 0;
  }
  result->worked = true;
  const uint32_t number = victim_->file->number;

  if (victim_->live.load(std::memory_order_relaxed) <= 0) {
    victim_cursor_ = victim_->size;  // nothing the owner holds: no need to read it
  }
  while (victim_cursor_ < victim_->size) {
    auto have = [&](uint64_t len) {
      return victim_cursor_ >= scratch_off_ &&
             victim_cursor_ + len <= scratch_off_ + scratch_.size();
    };
    uint64_t left = victim_->size - victim_cursor_;
    if (!have(std::min<uint64_t>(kRecordHeaderBytes, left))) {
      Status s = ReadVictim(victim_cursor_, kRecordHeaderBytes);
      if (!s.ok()) return s;
    }
    RecordView rec;
    uint64_t len = 0;
    std::string_view bytes(scratch_);
    bytes.remove_prefix(victim_cursor_ - scratch_off_);
    Status s = ParseRecord(bytes, &rec, &len);
    if (!s.ok() && len > kRecordHeaderBytes && len <= left && !have(len)) {
      // The record continues past the chunk read so far: read all of it and parse again.
      s = ReadVictim(victim_cursor_, len);
      if (!s.ok()) return s;
      bytes = std::string_view(scratch_);
      s = ParseRecord(bytes, &rec, &len);
    }
    if (!s.ok()) {
      // The rest of the victim cannot be walked; it goes with the segment.
      checksum_errors_.fetch_add(1, std::memory_order_relaxed);
      LOG(Warning) << "tier: compaction of " << victim_->file->path << " stops at offset "
                   << victim_cursor_ << ": " << s.message();
      result->bytes_walked += left;
      victim_cursor_ = victim_->size;
      break;
    }
    if (result->bytes_walked > 0 && result->bytes_walked + len > max_bytes) break;
    DiskRef old{number, static_cast<uint32_t>(victim_cursor_), static_cast<uint32_t>(len),
                rec.version};
    if (is_live(rec.key, old)) {
      DiskRef moved;
      s = AppendInternal(rec.key, rec.payload, rec.version, rec.type, /*compaction=*/true, &moved);
      if (!s.ok()) return s;  // resume at this record next step
      if (relocate(rec.key, old, moved)) {
        Release(old);
      } else {
        Release(moved);
      }
      result->bytes_moved += len;
      bytes_compacted_.fetch_add(len, std::memory_order_relaxed);
    }
    victim_cursor_ += len;
    result->bytes_walked += len;
  }

  if (victim_cursor_ >= victim_->size) {
    DeleteSegment(victim_);
    victim_.reset();
    scratch_.clear();
    scratch_.shrink_to_fit();
    compactions_.fetch_add(1, std::memory_order_relaxed);
    result->segment_deleted = true;
  }
  return Status::Ok();
}

SegmentLogStats SegmentLog::GetStats() const {
  SegmentLogStats st;
  st.records_appended = records_appended_.load(std::memory_order_relaxed);
  st.bytes_appended = bytes_appended_.load(std::memory_order_relaxed);
  st.live_bytes =
      static_cast<uint64_t>(std::max<int64_t>(live_bytes_.load(std::memory_order_relaxed), 0));
  st.disk_bytes = disk_bytes_.load(std::memory_order_relaxed);
  st.pending_bytes = pending_bytes_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    st.segments = segments_.size();
  }
  st.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  st.write_amplification = st.bytes_appended == 0 ? 0
                                                  : static_cast<double>(st.bytes_written) /
                                                        static_cast<double>(st.bytes_appended);
  st.compactions = compactions_.load(std::memory_order_relaxed);
  st.bytes_compacted = bytes_compacted_.load(std::memory_order_relaxed);
  st.checksum_errors = checksum_errors_.load(std::memory_order_relaxed);
  st.stale_refs = stale_refs_.load(std::memory_order_relaxed);
  st.write_errors = write_errors_.load(std::memory_order_relaxed);
  st.no_space_events = no_space_events_.load(std::memory_order_relaxed);
  return st;
}

}  // namespace aegisr::tier
