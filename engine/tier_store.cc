// The engine's side of the disk tier (see tier_store.h).
#include "engine/tier_store.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <string_view>

#include "base/logging.h"
#include "engine/engine.h"

namespace aegisr {
namespace {

TierStore* g_store = nullptr;  // for the entry release hook (one store per process)

void ReleaseHook(unsigned writer, const char ref16[16], bool clean_copy) {
  if (g_store) g_store->Released(writer, ref16, clean_copy);
}

// Commands whose keys are named but whose values are never read: they run with values on
// disk (keys, TTLs and access words stay in RAM).
const std::set<std::string_view>& ValueFree() {
  static const std::set<std::string_view> kSet = {
      "del",          "unlink",      "exists",          "type",           "ttl",
      "pttl",         "expire",      "pexpire",         "expireat",       "pexpireat",
      "expiretime",   "pexpiretime", "persist",         "touch",          "move",
      "setnx",        "setex",       "psetex",          "mset",           "msetnx",
      "memory|usage", "object|freq", "object|idletime", "object|refcount"};
  return kSet;
}

bool HasGetOption(ArgList args) {  // SET key value [... GET ...]
  for (size_t i = 3; i < args.size(); ++i)
    if (args[i].size() == 3 && strncasecmp(args[i].data(), "get", 3) == 0) return true;
  return false;
}

}  // namespace

std::string EncodeValue(const Entry& e) {
  if (e.type == ValueType::kString) {
    char scratch[24];
    return std::string(e.str(scratch));
  }
  std::string out;
  const ObjectOps* ops = GetObjectOps(e.type);
  if (ops && ops->encode) ops->encode(e.object(), &out);
  return out;
}

bool HasEncoder(ValueType t) {
  if (t == ValueType::kString) return true;
  const ObjectOps* ops = GetObjectOps(t);
  return ops && ops->encode && ops->decode;
}

Entry* DecodeValue(std::string_view key, uint32_t hash, uint8_t type, std::string_view payload) {
  auto t = ValueType(type);
  if (t == ValueType::kString) return NewStringEntry(key, hash, payload);
  const ObjectOps* ops = GetObjectOps(t);
  if (!ops || !ops->decode) return nullptr;
  void* obj = ops->decode(payload);
  return obj ? NewObjectEntry(key, hash, t, obj) : nullptr;
}

TierStore::TierStore(Keyspace& ks, Config& cfg) : ks_(ks), cfg_(cfg) {}

bool TierStore::accepting() const {
  return enabled() && Engine::NowMs() >= retry_at_ms_.load(std::memory_order_relaxed);
}

TierStore::~TierStore() {
  if (g_store == this) {
    SetDiskRefReleaseHook(nullptr);
    g_store = nullptr;
  }
}

Status TierStore::Start(unsigned threads) {
  std::string dir;
  {
    std::lock_guard lk(cfg_.mu);
    dir = cfg_.tier_dir;
  }
  if (dir.empty()) return Status::Ok();
  if (threads > kMaxTierWriters)
    return Status::Error("tier: at most " + std::to_string(kMaxTierWriters) + " threads");
  tier::SegmentLogOptions opts;
  int64_t max = cfg_.tier_max_size.load();
  // Each writer gets an equal share of tier-max-size.
  opts.max_disk_bytes = max > 0 ? std::max<uint64_t>(uint64_t(max) / threads, 1) : 0;
  opts.segment_bytes = uint64_t(cfg_.tier_segment_size.load());
  for (unsigned i = 0; i < threads; ++i) {
    std::unique_ptr<tier::SegmentLog> log;
    if (Status s = tier::SegmentLog::Open(dir, i, opts, &log); !s.ok()) {
      logs_.clear();
      return Status::Error("tier-dir: " + s.message());
    }
    logs_.push_back(std::move(log));
  }
  for (unsigned i = 0; i < threads; ++i) pins_.push_back(std::make_unique<PinSet>());
  g_store = this;
  SetDiskRefReleaseHook(ReleaseHook);
  LOG(Info) << "Disk tier in " << dir << " (" << threads << " segment logs"
            << (max > 0 ? ", tier-max-size " + std::to_string(max) + " bytes" : "") << ")";
  return Status::Ok();
}

void TierStore::Released(unsigned writer, const char ref16[16], bool clean_copy) {
  if (tier::SegmentLog* log = this->log(writer)) log->Release(tier::LoadDiskRef(ref16));
  (clean_copy ? counters_.clean_keys : counters_.disk_keys).fetch_sub(1, std::memory_order_relaxed);
}

void TierStore::Pin(unsigned thread, std::vector<uint64_t> hashes) {
  if (thread >= pins_.size()) return;
  std::lock_guard lk(pins_[thread]->mu);
  pins_[thread]->hashes = std::move(hashes);
}

void TierStore::Unpin(unsigned thread) {
  if (thread >= pins_.size()) return;
  std::lock_guard lk(pins_[thread]->mu);
  pins_[thread]->hashes.clear();
}

bool TierStore::IsPinned(uint64_t hash) {
  for (auto& p : pins_) {
    std::lock_guard lk(p->mu);
    if (std::find(p->hashes.begin(), p->hashes.end(), hash) != p->hashes.end()) return true;
  }
  return false;
}

bool TierStore::Offload(Shard& s, int db, Entry** link) {
  unsigned writer = Engine::CurrentThread();
  if (writer >= logs_.size()) return false;
  Entry* e = *link;
  if (e->on_disk()) return false;
  if (IsPinned(GhostHash(e->hash, db))) return false;
  // The event bus's stream stays in RAM: its appends run after commands and cannot wait for a
  // read (engine/notify.h).
  if (db == 0 && e->type == ValueType::kStream &&
      cfg_.event_bus_enabled.load(std::memory_order_relaxed) &&
      e->key() == cfg_.Read(&Config::event_bus_stream))
    return false;
  if (e->has_clean_copy()) {  // read back and unchanged: the record on disk is the value
    s.Update(
        db, link, [](Entry* x) { return OffloadToCleanCopy(x); }, /*touch_watch=*/false);
    counters_.clean_keys.fetch_sub(1, std::memory_order_relaxed);
    counters_.disk_keys.fetch_add(1, std::memory_order_relaxed);
    counters_.clean_offloads.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (!HasEncoder(e->type)) return false;
  int64_t min_size = cfg_.tier_min_value_size.load(std::memory_order_relaxed);
  if (e->type == ValueType::kString && int64_t(e->str_len()) < min_size) return false;
  std::string payload = EncodeValue(*e);
  if (e->type != ValueType::kString && int64_t(payload.size()) < min_size) return false;
  uint32_t version = version_.fetch_add(1, std::memory_order_relaxed);
  tier::DiskRef ref;
  Status st = logs_[writer]->Append(e->key(), payload, version, uint8_t(e->type), &ref);
  if (!st.ok()) {
    counters_.offload_failures.fetch_add(1, std::memory_order_relaxed);
    retry_at_ms_.store(Engine::NowMs() + 1000, std::memory_order_relaxed);
    if (!warned_full_.exchange(true))
      LOG(Warning) << "Disk tier: offloading stopped (" << st.message()
                   << "); memory is handled by maxmemory-policy until it works again";
    return false;
  }
  warned_full_.store(false, std::memory_order_relaxed);
  char ref16[16];
  tier::StoreDiskRef(ref, ref16);
  s.Update(
      db, link, [&](Entry* x) { return SetDiskRef(x, writer, ref16); }, /*touch_watch=*/false);
  counters_.offloaded_keys.fetch_add(1, std::memory_order_relaxed);
  counters_.offloaded_bytes.fetch_add(payload.size(), std::memory_order_relaxed);
  counters_.disk_keys.fetch_add(1, std::memory_order_relaxed);
  return true;
}

std::vector<ColdKey> TierStore::ColdKeys(const ClientState& client, const CommandSpec& cmd,
                                         ArgList args) {
  std::vector<ColdKey> out;
  if (logs_.empty() || counters_.disk_keys.load() == 0) return out;
  if (ValueFree().count(cmd.name) || (cmd.name == "set" && !HasGetOption(args))) return out;
  int db = client.db;
  int64_t now = Engine::NowMs();
  cmd.ForEachKey(args, [&](size_t i) {
    KeyRef k(args[i]);
    Shard& s = ks_.shard(k);
    std::lock_guard lk(s.mu);
    Entry** link = s.Find(db, k, now);
    if (!link || !(*link)->on_disk()) return;
    counters_.disk_hits.fetch_add(1, std::memory_order_relaxed);
    ColdKey c{std::string(args[i]), db, (*link)->disk_writer(),
              tier::LoadDiskRef((*link)->disk_ref())};
    bool dup = std::any_of(out.begin(), out.end(),
                           [&](const ColdKey& o) { return o.key == c.key && o.db == c.db; });
    if (!dup) out.push_back(std::move(c));
  });
  return out;
}

Status TierStore::Install(const ColdKey& c, std::string_view record_bytes) {
  tier::SegmentLog* log = this->log(c.writer);
  if (!log) return Status::Error("tier: no such writer");
  tier::RecordView rec;
  Status st = log->VerifyRead(c.ref, c.key, record_bytes, &rec);
  if (!st.ok()) {
    DropLostKey(c, st);
    return st;
  }
  KeyRef k(c.key);
  Shard& s = ks_.shard(k);
  std::lock_guard lk(s.mu);
  Entry** link = s.table(c.db).FindLink(k.key, k.hash);
  if (!link || !(*link)->on_disk() || (*link)->disk_writer() != c.writer ||
      std::memcmp((*link)->disk_ref(), &c.ref, 16) != 0)
    return Status::Ok();  // changed meanwhile: the command re-runs on what is there now
  Entry* fresh = DecodeValue(c.key, k.hash, rec.type, rec.payload);
  if (!fresh) {
    Status bad = Status::Error("tier: undecodable value");
    counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
    s.Delete(c.db, link);
    return bad;
  }
  // fresh takes old's place in the hash chain, its TTL and access word, and keeps the record as
  // its clean copy: dropping the value again under memory pressure needs no write.
  s.Update(
      c.db, link, [&](Entry* old) { return PromoteFromDisk(old, fresh); }, /*touch_watch=*/false);
  counters_.disk_keys.fetch_sub(1, std::memory_order_relaxed);
  counters_.clean_keys.fetch_add(1, std::memory_order_relaxed);
  counters_.cold_reads.fetch_add(1, std::memory_order_relaxed);
  counters_.cold_read_bytes.fetch_add(rec.payload.size(), std::memory_order_relaxed);
  return Status::Ok();
}

void TierStore::ReadFailed(const ColdKey& c, const Status& why) { DropLostKey(c, why); }

void TierStore::DropLostKey(const ColdKey& c, const Status& why) {
  counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
  LOG(Warning) << "Disk tier: the value of key '" << c.key << "' (db " << c.db
               << ") could not be read back and is lost: " << why.message();
  KeyRef k(c.key);
  Shard& s = ks_.shard(k);
  std::lock_guard lk(s.mu);
  Entry** link = s.table(c.db).FindLink(k.key, k.hash);
  if (link && (*link)->on_disk() && std::memcmp((*link)->disk_ref(), &c.ref, 16) == 0)
    s.Delete(c.db, link);
}

bool TierStore::TakeBatch(unsigned writer, tier::SegmentLog::WriteBatch* batch) {
  tier::SegmentLog* log = this->log(writer);
  return log && log->TakeBatch(tier::SegmentLog::Take::kAll, batch);
}

void TierStore::CompleteBatch(unsigned writer, int64_t result) {
  if (tier::SegmentLog* log = this->log(writer)) {
    Status st = log->CompleteBatch(result);
    if (!st.ok()) LOG(Warning) << "Disk tier: write failed: " << st.message();
  }
}

void TierStore::FlushSync(unsigned writer) {
  tier::SegmentLog* log = this->log(writer);
  if (!log) return;
  if (Status st = log->FlushSync(); !st.ok()) {
    thread_local int64_t last_warning_ms = 0;  // at most one line a second per loop
    if (Engine::NowMs() - last_warning_ms >= 1000) {
      last_warning_ms = Engine::NowMs();
      LOG(Warning) << "Disk tier: write failed: " << st.message();
    }
  }
}

void TierStore::Maintain(unsigned writer, bool sync) {
  tier::SegmentLog* log = this->log(writer);
  if (!log) return;
  if (writer == 0) {  // INFO's cold reads per second, over whole seconds
    int64_t now = Engine::NowMs();
    int64_t last = rate_sample_ms_.load(std::memory_order_relaxed);
    if (now - last >= 1000) {
      uint64_t reads = counters_.cold_reads.load(std::memory_order_relaxed);
      uint64_t before = rate_sample_reads_.exchange(reads, std::memory_order_relaxed);
      if (last != 0)
        cold_reads_per_sec_.store((reads - before) * 1000 / uint64_t(now - last),
                                  std::memory_order_relaxed);
      rate_sample_ms_.store(now, std::memory_order_relaxed);
    }
  }
  if (sync) FlushSync(writer);
  // Compaction: a bounded step per cron tick. A record is live while its key still refers to
  // it, as its value on disk or as the clean copy of its value in RAM; relocation swaps the
  // reference under the shard lock. When disk space is short (over 3/4 of this writer's share
  // of tier-max-size, or offloading refused), clean copies are let go of instead of moved:
  // their values are in RAM, and the space is worth more to values that have no other home.
  const uint64_t max_disk = log->options().max_disk_bytes;
  const bool short_of_space =
      !accepting() || (max_disk > 0 && log->GetStats().disk_bytes > max_disk / 4 * 3);
  auto find = [this, writer](std::string_view key, const tier::DiskRef& ref) -> Entry** {
    KeyRef k(key);
    Shard& s = ks_.shard(k);
    for (int db = 0; db < kNumDbs; ++db) {
      Entry** link = s.table(db).FindLink(k.key, k.hash);
      if (!link || (*link)->disk_writer() != writer) continue;
      const char* held = (*link)->any_disk_ref();
      if (held && std::memcmp(held, &ref, 16) == 0) return link;
    }
    return nullptr;
  };
  auto is_live = [&](std::string_view key, const tier::DiskRef& ref) {
    KeyRef k(key);
    std::lock_guard lk(ks_.shard(k).mu);
    Entry** link = find(key, ref);
    if (!link) return false;
    if (short_of_space && (*link)->has_clean_copy()) {
      DropCleanCopy(*link);  // releases the record (no lock of the log is held here)
      counters_.clean_drops.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  };
  auto relocate = [&](std::string_view key, const tier::DiskRef& old_ref,
                      const tier::DiskRef& new_ref) {
    KeyRef k(key);
    std::lock_guard lk(ks_.shard(k).mu);
    Entry** link = find(key, old_ref);
    if (!link) return false;
    Entry* e = *link;  // same writer, same size: in place
    std::memcpy(e->on_disk() ? e->payload() : e->clean_ref(), &new_ref, 16);
    return true;
  };
  tier::SegmentLog::CompactResult r;
  Status st = log->CompactStep(uint64_t(4) << 20, is_live, relocate, &r);
  if (!st.ok() && tier::CodeOf(st) != tier::TierCode::kBusy)
    LOG(Debug) << "Disk tier: compaction step: " << st.message();
}

namespace {
// Bucket b covers [edge(b-1), edge(b)): 4 per power of two from 1 us.
int WaitBucket(int64_t us) {
  if (us < 1) return 0;
  int log2 = 63 - __builtin_clzll(uint64_t(us));
  int sub = int((uint64_t(us) >> (log2 >= 2 ? log2 - 2 : 0)) & 3);
  if (log2 < 2) sub = int(us & 3) >> (2 - log2);
  return std::min(4 * log2 + sub + 1, 4 * 40 - 1);
}
int64_t WaitBucketEdge(int b) {  // exclusive upper edge of bucket b
  if (b == 0) return 1;
  int log2 = (b - 1) / 4, sub = (b - 1) % 4;
  return (int64_t(1) << log2) + ((int64_t(1) << log2) * (sub + 1)) / 4;
}
}  // namespace

void TierStore::RecordColdWait(int64_t us) {
  wait_hist_[WaitBucket(us)].fetch_add(1, std::memory_order_relaxed);
}

int64_t TierStore::ColdWaitQuantile(double q) const {
  uint64_t total = 0;
  for (const auto& b : wait_hist_) total += b.load(std::memory_order_relaxed);
  if (total == 0) return 0;
  uint64_t want = uint64_t(q * double(total - 1)) + 1, seen = 0;
  for (int b = 0; b < kWaitBuckets; ++b) {
    seen += wait_hist_[b].load(std::memory_order_relaxed);
    if (seen >= want) return WaitBucketEdge(b);
  }
  return WaitBucketEdge(kWaitBuckets - 1);
}

std::string TierStore::Info() {
  tier::SegmentLogStats t;
  for (auto& log : logs_) {
    tier::SegmentLogStats s = log->GetStats();
    t.records_appended += s.records_appended;
    t.bytes_appended += s.bytes_appended;
    t.live_bytes += s.live_bytes;
    t.disk_bytes += s.disk_bytes;
    t.pending_bytes += s.pending_bytes;
    t.segments += s.segments;
    t.bytes_written += s.bytes_written;
    t.compactions += s.compactions;
    t.bytes_compacted += s.bytes_compacted;
    t.checksum_errors += s.checksum_errors;
    t.stale_refs += s.stale_refs;
    t.write_errors += s.write_errors;
    t.no_space_events += s.no_space_events;
  }
  auto line = [](std::string& out, std::string_view k, uint64_t v) {
    out.append(k).append(":").append(std::to_string(v)).append("\r\n");
  };
  std::string out;
  uint64_t keys = 0;
  for (int db = 0; db < kNumDbs; ++db) keys += ks_.DbSize(db);
  const uint64_t disk_keys = counters_.disk_keys.load();
  const uint64_t hits = ks_.Stats().hits, disk_hits = counters_.disk_hits.load();
  line(out, "tier_enabled", logs_.empty() ? 0 : 1);
  line(out, "tier_ram_keys", keys > disk_keys ? keys - disk_keys : 0);  // values in RAM
  line(out, "tier_ram_bytes", uint64_t(std::max<int64_t>(0, ApproxUsedBytes())));
  line(out, "tier_disk_keys", disk_keys);
  // Hits: lookups of existing keys by commands that read values; disk hits needed a read.
  line(out, "tier_ram_hits", hits > disk_hits ? hits - disk_hits : 0);
  line(out, "tier_disk_hits", disk_hits);
  line(out, "tier_cold_reads_per_sec", cold_reads_per_sec_.load());
  line(out, "tier_clean_keys", counters_.clean_keys.load());
  line(out, "tier_clean_offloads", counters_.clean_offloads.load());
  line(out, "tier_clean_drops", counters_.clean_drops.load());
  line(out, "tier_offloaded_keys", counters_.offloaded_keys.load());
  line(out, "tier_offloaded_bytes", counters_.offloaded_bytes.load());
  line(out, "tier_cold_reads", counters_.cold_reads.load());
  line(out, "tier_cold_read_bytes", counters_.cold_read_bytes.load());
  line(out, "tier_coalesced_reads", counters_.coalesced_reads.load());
  line(out, "tier_cold_wait_p50_us", uint64_t(ColdWaitQuantile(0.50)));
  line(out, "tier_cold_wait_p99_us", uint64_t(ColdWaitQuantile(0.99)));
  line(out, "tier_cold_wait_p999_us", uint64_t(ColdWaitQuantile(0.999)));
  line(out, "tier_read_errors", counters_.read_errors.load());
  line(out, "tier_offload_failures", counters_.offload_failures.load());
  line(out, "tier_live_bytes", t.live_bytes);
  line(out, "tier_disk_bytes", t.disk_bytes);
  line(out, "tier_pending_bytes", t.pending_bytes);
  line(out, "tier_segments", t.segments);
  line(out, "tier_bytes_written", t.bytes_written);
  char wa[32];
  snprintf(wa, sizeof(wa), "%.2f",
           t.bytes_appended ? double(t.bytes_written) / double(t.bytes_appended) : 0.0);
  out.append("tier_write_amplification:").append(wa).append("\r\n");
  line(out, "tier_compactions", t.compactions);
  line(out, "tier_bytes_compacted", t.bytes_compacted);
  line(out, "tier_checksum_errors", t.checksum_errors);
  line(out, "tier_stale_refs", t.stale_refs);
  line(out, "tier_write_errors", t.write_errors);
  line(out, "tier_no_space_events", t.no_space_events);
  line(out, "tier_full", warned_full_.load() ? 1 : 0);
  return out;
}

}  // namespace aegisr
