#include "engine/types/stream.h"

#include <charconv>

#include "base/varint.h"

namespace aegisr {

bool StreamId::Incr() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ++ms;
  seq = 0;
  return true;
}

bool StreamId::Decr() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) return false;
  --ms;
  seq = UINT64_MAX;
  return true;
}

void StreamId::AppendTo(std::string* out) const {
  char buf[48];
  char* p = std::to_chars(buf, buf + 20, ms).ptr;
  *p++ = '-';
  p = std::to_chars(p, buf + sizeof(buf), seq).ptr;
  out->append(buf, p - buf);
}

std::string StreamId::ToString() const {
  std::string s;
  AppendTo(&s);
  return s;
}

namespace {

// Bytes one entry costs in the simple map form: the map node and the strings' heap blocks.
size_t EntryBytes(const std::vector<std::string>& fv) {
  size_t n = 64 + fv.capacity() * sizeof(std::string);
  for (const auto& s : fv) n += s.size() > 15 ? s.capacity() + 1 : 0;
  return n;
}

}  // namespace

Stream::Stream() = default;

Stream::Stream(const Stream& other)
    : entries_(other.entries_),
      entries_bytes_(other.entries_bytes_),
      last_id_(other.last_id_),
      max_deleted_id_(other.max_deleted_id_),
      entries_added_(other.entries_added_) {
  for (const auto& [name, g] : other.groups_) groups_.emplace(name, CloneStreamGroup(*g));
}

Stream::~Stream() = default;

uint64_t Stream::length() const { return entries_.size(); }

StreamId Stream::first_id() const {
  return entries_.empty() ? StreamId{} : entries_.begin()->first;
}

void Stream::Append(StreamId id, std::span<const std::string_view> fields_values) {
  std::vector<std::string> fv(fields_values.begin(), fields_values.end());
  entries_bytes_ += EntryBytes(fv);
  entries_.emplace_hint(entries_.end(), id, std::move(fv));
  last_id_ = id;
  ++entries_added_;
}

bool Stream::Delete(StreamId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  entries_bytes_ -= EntryBytes(it->second);
  entries_.erase(it);
  if (id > max_deleted_id_) max_deleted_id_ = id;
  return true;
}

bool Stream::Get(StreamId id, std::vector<std::string_view>* fields_values) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  fields_values->assign(it->second.begin(), it->second.end());
  return true;
}

uint64_t Stream::TrimHead(const Trim& t) {
  uint64_t removed = 0;
  while (!entries_.empty()) {
    auto it = entries_.begin();
    if (t.by_minid ? !(it->first < t.minid) : entries_.size() <= t.maxlen) break;
    if (t.approx && t.limit != 0 && removed >= t.limit) break;
    if (it->first > max_deleted_id_) max_deleted_id_ = it->first;
    entries_bytes_ -= EntryBytes(it->second);
    entries_.erase(it);
    ++removed;
  }
  return removed;
}

Stream::Iterator::Iterator(const Stream& s, StreamId start, StreamId end, bool reverse)
    : s_(&s), start_(start), end_(end), reverse_(reverse) {}

bool Stream::Iterator::Next(StreamId* id, std::vector<std::string_view>* fields_values) {
  if (start_ > end_) return false;
  const auto& m = s_->entries_;
  std::map<StreamId, std::vector<std::string>>::const_iterator it;
  if (!reverse_) {
    it = started_ ? m.upper_bound(pos_) : m.lower_bound(start_);
    if (it == m.end() || it->first > end_) return false;
  } else {
    it = started_ ? m.lower_bound(pos_) : m.upper_bound(end_);
    if (it == m.begin()) return false;
    --it;
    if (it->first < start_) return false;
  }
  started_ = true;
  pos_ = it->first;
  *id = it->first;
  fields_values->assign(it->second.begin(), it->second.end());
  return true;
}

size_t Stream::memory() const {
  size_t n = entries_bytes_;
  for (const auto& [name, g] : groups_) n += 64 + name.capacity() + StreamGroupMemory(*g);
  return n;
}

// Payload: varint last_id.ms, last_id.seq, max_deleted.ms, max_deleted.seq, entries_added,
// count; per entry: varint ms, seq, number of strings, then each string as varint length +
// bytes; then the groups (EncodeStreamGroups).
void Stream::Encode(std::string* out) const {
  AppendVarint(out, last_id_.ms);
  AppendVarint(out, last_id_.seq);
  AppendVarint(out, max_deleted_id_.ms);
  AppendVarint(out, max_deleted_id_.seq);
  AppendVarint(out, entries_added_);
  AppendVarint(out, entries_.size());
  for (const auto& [id, fv] : entries_) {
    AppendVarint(out, id.ms);
    AppendVarint(out, id.seq);
    AppendVarint(out, fv.size());
    for (const auto& s : fv) {
      AppendVarint(out, s.size());
      out->append(s);
    }
  }
  EncodeStreamGroups(*this, out);
}

Stream* Stream::Decode(std::string_view payload) {
  auto s = std::make_unique<Stream>();
  size_t pos = 0;
  uint64_t count = 0;
  if (!ReadVarint(payload, &pos, &s->last_id_.ms) || !ReadVarint(payload, &pos, &s->last_id_.seq) ||
      !ReadVarint(payload, &pos, &s->max_deleted_id_.ms) ||
      !ReadVarint(payload, &pos, &s->max_deleted_id_.seq) ||
      !ReadVarint(payload, &pos, &s->entries_added_) || !ReadVarint(payload, &pos, &count)) {
    return nullptr;
  }
  StreamId prev;
  for (uint64_t i = 0; i < count; ++i) {
    StreamId id;
    uint64_t n = 0;
    if (!ReadVarint(payload, &pos, &id.ms) || !ReadVarint(payload, &pos, &id.seq) ||
        !ReadVarint(payload, &pos, &n) || n < 2 || n % 2 != 0 || n > payload.size() - pos) {
      return nullptr;
    }
    if ((i > 0 && !(prev < id)) || id > s->last_id_) return nullptr;
    std::vector<std::string> fv;
    fv.reserve(n);
    for (uint64_t j = 0; j < n; ++j) {
      uint64_t len = 0;
      if (!ReadVarint(payload, &pos, &len) || len > payload.size() - pos) return nullptr;
      fv.emplace_back(payload.substr(pos, len));
      pos += len;
    }
    s->entries_bytes_ += EntryBytes(fv);
    s->entries_.emplace_hint(s->entries_.end(), id, std::move(fv));
    prev = id;
  }
  std::string_view rest = payload.substr(pos);
  if (!DecodeStreamGroups(&rest, s.get()) || !rest.empty()) return nullptr;
  return s.release();
}

}  // namespace aegisr
