// Consumer groups of a stream: copy, memory and codec.

#include <memory>

#include "base/varint.h"
#include "engine/types/stream.h"

namespace aegisr {

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
