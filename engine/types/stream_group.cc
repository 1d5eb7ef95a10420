// Consumer groups of a stream: the PEL and consumer operations, Redis 7.0's read counter and
// lag rules, and the groups' copy, memory and codec.
//
// A pending entry (nack) is owned by the group's PEL (an ID-ordered map of unique_ptr); the
// owner consumer's PEL maps the same ID to the same nack, so XPENDING and XINFO read either
// view in ID order and XACK/XCLAIM move or drop a nack in O(log n) from both.
//
// entries_read and lag: a group knows how many entries it has read (entries_read) only while
// no deletion can have fallen between its position and the stream's end; otherwise the count is
// estimated from the stream's own counters (entries_added, length, first ID, max deleted ID),
// which is exact only at the first or last entry, and is -1 (null) where no estimate holds.

#include <memory>

#include "base/varint.h"
#include "engine/types/stream.h"

namespace aegisr {

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::GetOrCreateConsumer(std::string_view name, int64_t now_ms,
                                                 bool* created) {
  auto it = consumers.find(name);
  if (created) *created = it == consumers.end();
  if (it != consumers.end()) return it->second.get();
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(name);
  c->seen_time_ms = now_ms;
  StreamConsumer* raw = c.get();
  consumers.emplace(std::string(name), std::move(c));
  return raw;
}

size_t StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers.find(name);
  if (it == consumers.end()) return 0;
  size_t pending = it->second->pel.size();
  for (const auto& [id, nack] : it->second->pel) pel.erase(id);
  consumers.erase(it);
  return pending;
}

void StreamGroup::DeliverNew(StreamId id, StreamConsumer* c, int64_t now_ms) {
  auto [it, inserted] = pel.try_emplace(id);
  if (inserted) {
    it->second = std::make_unique<StreamNack>();
  } else if (it->second->consumer != c) {
    it->second->consumer->pel.erase(id);
  }
  StreamNack* nack = it->second.get();
  nack->consumer = c;
  nack->delivery_time_ms = now_ms;
  nack->delivery_count = 1;
  c->pel.insert_or_assign(id, nack);
}

bool StreamGroup::Ack(StreamId id) {
  auto it = pel.find(id);
  if (it == pel.end()) return false;
  it->second->consumer->pel.erase(id);
  pel.erase(it);
  return true;
}

StreamNack* StreamGroup::Claim(StreamId id, StreamConsumer* c, int64_t now_ms) {
  auto [it, inserted] = pel.try_emplace(id);
  if (inserted) {
    it->second = std::make_unique<StreamNack>();
    it->second->delivery_time_ms = now_ms;
    it->second->delivery_count = 1;
  } else if (it->second->consumer != c) {
    it->second->consumer->pel.erase(id);
  }
  StreamNack* nack = it->second.get();
  nack->consumer = c;
  c->pel.insert_or_assign(id, nack);
  return nack;
}

bool StreamRangeHasTombstones(const Stream& s, StreamId start, StreamId end) {
  StreamId maxdel = s.max_deleted_id();
  if (s.empty() || maxdel == StreamId{}) return false;
  if (s.first_id() > maxdel) return false;  // every deletion lies before the first entry
  return start <= maxdel && maxdel <= end;
}

int64_t StreamEstimateDistance(const Stream& s, StreamId id) {
  auto added = static_cast<int64_t>(s.entries_added());
  if (added == 0) return 0;
  if (s.empty() && id <= s.last_id()) return added;
  if (id == s.last_id()) return added;
  if (id > s.last_id()) return -1;
  StreamId maxdel = s.max_deleted_id();
  if (maxdel == StreamId{} || maxdel < s.first_id()) {
    auto len = static_cast<int64_t>(s.length());
    if (id < s.first_id()) return added - len;
    if (id == s.first_id()) return added - len + 1;
  }
  return -1;
}

void StreamGroup::AdvanceTo(const Stream& s, StreamId id) {
  if (entries_read != -1 && !StreamRangeHasTombstones(s, id, StreamId::Max())) {
    ++entries_read;
  } else if (s.entries_added() != 0) {
    entries_read = StreamEstimateDistance(s, id);
  }
  last_id = id;
}

bool StreamGroup::Lag(const Stream& s, int64_t* lag) const {
  auto added = static_cast<int64_t>(s.entries_added());
  int64_t read = 0;
  if (added == 0) {
    read = 0;
  } else if (entries_read != -1 && !StreamRangeHasTombstones(s, last_id, StreamId::Max())) {
    read = entries_read;
  } else {
    read = StreamEstimateDistance(s, last_id);
    if (read == -1) return false;
  }
  *lag = added - read;
  return true;
}

bool StreamGroup::CheckPels() const {
  size_t owned = 0;
  for (const auto& [name, c] : consumers) {
    if (c->name != name) return false;
    for (const auto& [id, nack] : c->pel) {
      auto it = pel.find(id);
      if (it == pel.end() || it->second.get() != nack || nack->consumer != c.get()) return false;
    }
    owned += c->pel.size();
  }
  for (const auto& [id, nack] : pel) {
    if (!nack->consumer || FindConsumer(nack->consumer->name) != nack->consumer) return false;
  }
  return owned == pel.size();
}

std::unique_ptr<StreamGroup> CloneStreamGroup(const StreamGroup& g) {
  auto copy = std::make_unique<StreamGroup>();
  copy->last_id = g.last_id;
  copy->entries_read = g.entries_read;
  for (const auto& [name, c] : g.consumers) {
    auto cc = std::make_unique<StreamConsumer>();
    cc->name = c->name;
    cc->seen_time_ms = c->seen_time_ms;
    copy->consumers.emplace(name, std::move(cc));
  }
  for (const auto& [id, nack] : g.pel) {
    auto n = std::make_unique<StreamNack>(*nack);
    StreamConsumer* owner = copy->consumers.find(nack->consumer->name)->second.get();
    n->consumer = owner;
    owner->pel.emplace(id, n.get());
    copy->pel.emplace(id, std::move(n));
  }
  return copy;
}

size_t StreamGroupMemory(const StreamGroup& g) {
  // Map nodes: about 48 bytes of tree links plus the key and value.
  size_t n = sizeof(StreamGroup);
  n += g.pel.size() * (48 + sizeof(StreamId) + 8 + sizeof(StreamNack));
  for (const auto& [name, c] : g.consumers) {
    n += 48 + 32 + 8 + sizeof(StreamConsumer) + (name.size() > 15 ? 2 * (name.capacity() + 1) : 0);
    n += c->pel.size() * (48 + sizeof(StreamId) + 8);
  }
  return n;
}

// Per group: name, last_id (ms, seq), entries_read + 1 (0 for unknown), consumers (name, seen
// time), then the PEL in ID order: id, delivery time, delivery count, owner's index among the
// consumers in name order.
void EncodeStreamGroups(const Stream& s, std::string* out) {
  AppendVarint(out, s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    AppendVarint(out, name.size());
    out->append(name);
    AppendVarint(out, g->last_id.ms);
    AppendVarint(out, g->last_id.seq);
    AppendVarint(out, static_cast<uint64_t>(g->entries_read + 1));
    AppendVarint(out, g->consumers.size());
    std::map<const StreamConsumer*, uint64_t> index;
    for (const auto& [cname, c] : g->consumers) {
      index.emplace(c.get(), index.size());
      AppendVarint(out, cname.size());
      out->append(cname);
      AppendVarint(out, static_cast<uint64_t>(c->seen_time_ms));
    }
    AppendVarint(out, g->pel.size());
    for (const auto& [id, nack] : g->pel) {
      AppendVarint(out, id.ms);
      AppendVarint(out, id.seq);
      AppendVarint(out, static_cast<uint64_t>(nack->delivery_time_ms));
      AppendVarint(out, nack->delivery_count);
      AppendVarint(out, index.at(nack->consumer));
    }
  }
}

namespace {

bool ReadString(std::string_view in, size_t* pos, std::string* s) {
  uint64_t len = 0;
  if (!ReadVarint(in, pos, &len) || len > in.size() - *pos) return false;
  s->assign(in.substr(*pos, len));
  *pos += len;
  return true;
}

}  // namespace

bool DecodeStreamGroups(std::string_view* in, Stream* s) {
  size_t pos = 0;
  uint64_t ngroups = 0;
  if (!ReadVarint(*in, &pos, &ngroups)) return false;
  for (uint64_t i = 0; i < ngroups; ++i) {
    std::string name;
    auto g = std::make_unique<StreamGroup>();
    uint64_t entries_read = 0, nconsumers = 0, npel = 0;
    if (!ReadString(*in, &pos, &name) || !ReadVarint(*in, &pos, &g->last_id.ms) ||
        !ReadVarint(*in, &pos, &g->last_id.seq) || !ReadVarint(*in, &pos, &entries_read) ||
        !ReadVarint(*in, &pos, &nconsumers) || nconsumers > in->size()) {
      return false;
    }
    g->entries_read = static_cast<int64_t>(entries_read) - 1;
    std::vector<StreamConsumer*> by_index;
    for (uint64_t j = 0; j < nconsumers; ++j) {
      auto c = std::make_unique<StreamConsumer>();
      uint64_t seen = 0;
      if (!ReadString(*in, &pos, &c->name) || !ReadVarint(*in, &pos, &seen)) return false;
      c->seen_time_ms = static_cast<int64_t>(seen);
      by_index.push_back(c.get());
      std::string cname = c->name;
      if (!g->consumers.emplace(std::move(cname), std::move(c)).second) return false;
    }
    if (!ReadVarint(*in, &pos, &npel) || npel > in->size()) return false;
    for (uint64_t j = 0; j < npel; ++j) {
      StreamId id;
      uint64_t time = 0, owner = 0;
      auto nack = std::make_unique<StreamNack>();
      if (!ReadVarint(*in, &pos, &id.ms) || !ReadVarint(*in, &pos, &id.seq) ||
          !ReadVarint(*in, &pos, &time) || !ReadVarint(*in, &pos, &nack->delivery_count) ||
          !ReadVarint(*in, &pos, &owner) || owner >= by_index.size()) {
        return false;
      }
      nack->delivery_time_ms = static_cast<int64_t>(time);
      nack->consumer = by_index[owner];
      if (!nack->consumer->pel.emplace(id, nack.get()).second) return false;
      if (!g->pel.emplace(id, std::move(nack)).second) return false;
    }
    if (!s->groups().emplace(std::move(name), std::move(g)).second) return false;
  }
  in->remove_prefix(pos);
  return true;
}

}  // namespace aegisr
