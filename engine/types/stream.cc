#include "engine/types/stream.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <new>

#include "base/alloc.h"
#include "base/numbers.h"
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

// ---- storage: nodes ----------------------------------------------------------------------------
//
// The entries live in nodes, each one allocation: a header, then the node's bytes:
//   master fields: for each of the node's first entry's fields, varint length + bytes (the
//                  header keeps their count); later entries with the same field names (a flag)
//                  store only their values.
//   entries:       flags (1 byte: kDeleted, kSameFields), varint ms - master.ms, varint seq
//                  (seq - master.seq when the ms is the master's, else seq itself), then with
//                  kSameFields the values, else varint field count and the fields and values;
//                  each string as varint length + bytes.
// A deleted entry stays in place, flagged, until its node goes. A node closes (the next entry
// starts a new one) when its entries, live and deleted, reach stream-node-max-entries or when
// the bytes Redis's listpack would hold for the same entries, plus the new entry's field and
// value bytes, reach stream-node-max-bytes: the same rule as Redis's streamAppendItem, computed
// from the listpack encoding, so that approximate trimming ("~" removes whole nodes only)
// removes what Redis removes.
//
// The index is a vector of node pointers sorted by first ID: appends and head trims touch its
// ends, lookups binary-search it, and a stream of one node costs one 8-byte block (a B-tree or
// a deque costs hundreds of bytes even for one node, which small streams would feel).

namespace {

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kSameFields = 2;

int64_t g_node_max_bytes = 4096;
int64_t g_node_max_entries = 100;

// Redis's listpack element sizes (encoding, data and back-length bytes).
size_t LpBacklen(size_t l) {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}
size_t LpInt(int64_t v) {
  size_t l = (v >= 0 && v <= 127)                 ? 1
             : (v >= -4096 && v <= 4095)          ? 2
             : (v >= -32768 && v <= 32767)        ? 3
             : (v >= -8388608 && v <= 8388607)    ? 4
             : (v >= INT32_MIN && v <= INT32_MAX) ? 5
                                                  : 9;
  return l + LpBacklen(l);
}
size_t LpStr(std::string_view s) {
  int64_t v;
  if (!s.empty() && s.size() < 21 && String2ll(s, &v)) return LpInt(v);
  size_t l = s.size() < 64 ? 1 + s.size() : s.size() < 4096 ? 2 + s.size() : 5 + s.size();
  return l + LpBacklen(l);
}

// Listpack bytes of one entry (Redis's layout: flags, ms delta, seq delta, [count, fields],
// values, back count).
size_t LpEntryBytes(StreamId id, StreamId master, bool same, std::span<const std::string_view> fv) {
  size_t n = LpInt(same ? kSameFields : 0) + LpInt(int64_t(id.ms - master.ms)) +
             LpInt(int64_t(id.seq - master.seq));
  size_t numfields = fv.size() / 2;
  for (size_t i = 0; i < fv.size(); i += 2) {
    if (!same) n += LpStr(fv[i]);
    n += LpStr(fv[i + 1]);
  }
  if (!same) n += LpInt(int64_t(numfields));
  return n + LpInt(int64_t(numfields + 3 + (same ? 0 : numfields + 1)));
}

}  // namespace

struct Stream::Node {
  StreamId master;       // the first entry's ID (the index key)
  StreamId last;         // the last entry's ID, deleted or not
  uint32_t live = 0;     // entries not deleted
  uint32_t deleted = 0;  // entries flagged deleted
  uint32_t used = 0;     // bytes of data()
  uint32_t cap = 0;      // bytes data() may hold
  uint32_t nfields = 0;  // master fields
  uint32_t first = 0;    // offset of the first entry (after the master fields)
  // Redis's listpack bytes for this node, but for its count and deleted elements.
  uint64_t lp_fixed = 0;

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  size_t lp_bytes() const { return lp_fixed + LpInt(live) + LpInt(deleted); }

  // Reads the entry at off: its ID and flags, and with fv its fields and values (views).
  // Returns the offset after it. The node's bytes are trusted (validated when decoded).
  uint32_t Read(uint32_t off, StreamId* id, uint8_t* flags,
                std::vector<std::string_view>* fv) const {
    const char* p = data();
    uint32_t len;
    *flags = uint8_t(p[off++]);
    uint64_t dms = GetVarint(p + off, &len);
    off += len;
    uint64_t seq = GetVarint(p + off, &len);
    off += len;
    id->ms = master.ms + dms;
    id->seq = dms == 0 ? master.seq + seq : seq;
    auto str = [&](uint32_t* o) {
      uint64_t n = GetVarint(p + *o, &len);
      std::string_view v(p + *o + len, n);
      *o += len + uint32_t(n);
      return v;
    };
    if (fv) fv->clear();
    if (*flags & kSameFields) {
      uint32_t mo = 0;
      for (uint32_t i = 0; i < nfields; ++i) {
        std::string_view f = str(&mo), v = str(&off);
        if (fv) fv->push_back(f), fv->push_back(v);
      }
    } else {
      uint64_t n = GetVarint(p + off, &len);
      off += len;
      for (uint64_t i = 0; i < 2 * n; ++i) {
        std::string_view v = str(&off);
        if (fv) fv->push_back(v);
      }
    }
    return off;
  }
};

namespace {

using Node = Stream::Node;

size_t BlockBytes(const Node* n) { return UsableSize(n); }

Node* AllocNode(size_t data_bytes) {
  auto* n = static_cast<Node*>(AllocBytes(sizeof(Node) + data_bytes));
  new (n) Node();
  n->cap = uint32_t(UsableSize(n) - sizeof(Node));
  return n;
}

}  // namespace

void Stream::SetNodeLimits(int64_t max_bytes, int64_t max_entries) {
  g_node_max_bytes = max_bytes;
  g_node_max_entries = max_entries;
}
int64_t Stream::node_max_entries() { return g_node_max_entries; }

Stream::Stream() = default;

Stream::Stream(const Stream& other)
    : last_id_(other.last_id_),
      max_deleted_id_(other.max_deleted_id_),
      entries_added_(other.entries_added_) {
  nodes_.reserve(other.nodes_.size());
  for (const Node* o : other.nodes_) {
    Node* n = AllocNode(o->used);
    uint32_t cap = n->cap;
    std::memcpy(static_cast<void*>(n), o, sizeof(Node) + o->used);
    n->cap = cap;
    node_bytes_ += BlockBytes(n);
    nodes_.push_back(n);
  }
  length_ = other.length_;
  for (const auto& [name, g] : other.groups_) groups_.emplace(name, CloneStreamGroup(*g));
}

Stream::~Stream() {
  for (Node* n : nodes_) FreeBytes(n);
}

uint64_t Stream::length() const { return length_; }

size_t Stream::NodeFor(StreamId id) const {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), id,
                             [](StreamId v, const Node* n) { return v < n->master; });
  return it == nodes_.begin() ? nodes_.size() : size_t(it - nodes_.begin()) - 1;
}

void Stream::FreeNodeAt(size_t i) {
  node_bytes_ -= BlockBytes(nodes_[i]);
  FreeBytes(nodes_[i]);
  nodes_.erase(nodes_.begin() + ptrdiff_t(i));
}

StreamId Stream::first_id() const {
  for (const Node* n : nodes_) {
    if (n->live == 0) continue;
    StreamId id;
    uint8_t flags;
    for (uint32_t off = n->first; off < n->used;) {
      off = n->Read(off, &id, &flags, nullptr);
      if (!(flags & kDeleted)) return id;
    }
  }
  return {};
}

StreamId Stream::last_entry_id() const {
  for (size_t i = nodes_.size(); i-- > 0;) {
    const Node* n = nodes_[i];
    if (n->live == 0) continue;
    if (n->deleted == 0) return n->last;
    StreamId id, found;
    uint8_t flags;
    for (uint32_t off = n->first; off < n->used;) {
      off = n->Read(off, &id, &flags, nullptr);
      if (!(flags & kDeleted)) found = id;
    }
    return found;
  }
  return {};
}

void Stream::Append(StreamId id, std::span<const std::string_view> fv) {
  size_t numfields = fv.size() / 2;
  size_t totelelen = 0;
  for (std::string_view v : fv) totelelen += v.size();
  Node* tail = nodes_.empty() ? nullptr : nodes_.back();
  if (tail) {
    auto max_bytes = uint64_t(g_node_max_bytes);
    if (max_bytes == 0 || max_bytes > (uint64_t(1) << 30)) max_bytes = uint64_t(1) << 30;
    bool close = tail->lp_bytes() + totelelen >= max_bytes ||
                 (g_node_max_entries > 0 &&
                  int64_t(tail->live) + int64_t(tail->deleted) >= g_node_max_entries);
    if (close) {
      // The node is complete: give back the room it kept for growth.
      if (tail->cap > tail->used) {
        Node* tight = AllocNode(tail->used);
        uint32_t cap = tight->cap;
        std::memcpy(static_cast<void*>(tight), tail, sizeof(Node) + tail->used);
        tight->cap = cap;
        node_bytes_ += BlockBytes(tight);
        node_bytes_ -= BlockBytes(tail);
        FreeBytes(tail);
        nodes_.back() = tight;
      }
      tail = nullptr;
    }
  }
  bool same = true;
  size_t need = 0;
  if (!tail) {
    for (size_t i = 0; i < fv.size(); i += 2) need += VarintSize(fv[i].size()) + fv[i].size();
  } else {
    same = numfields == tail->nfields;
    const char* p = tail->data();
    uint32_t mo = 0, len;
    for (size_t i = 0; same && i < numfields; ++i) {
      uint64_t n = GetVarint(p + mo, &len);
      same = std::string_view(p + mo + len, n) == fv[2 * i];
      mo += len + uint32_t(n);
    }
  }
  // The entry's bytes.
  StreamId master = tail ? tail->master : id;
  uint64_t dms = id.ms - master.ms;
  uint64_t seq = dms == 0 ? id.seq - master.seq : id.seq;
  size_t entry = 1 + VarintSize(dms) + VarintSize(seq);
  if (!same) entry += VarintSize(numfields);
  for (size_t i = 0; i < fv.size(); ++i) {
    if (i % 2 == 0 && same) continue;
    entry += VarintSize(fv[i].size()) + fv[i].size();
  }
  if (!tail) {
    size_t data = need + entry;
    tail = AllocNode(data < 48 ? 48 : data);
    tail->master = id;
    tail->nfields = uint32_t(numfields);
    char* p = tail->data();
    for (size_t i = 0; i < fv.size(); i += 2) {
      p += PutVarint(p, fv[i].size());
      std::memcpy(p, fv[i].data(), fv[i].size());
      p += fv[i].size();
    }
    tail->used = tail->first = uint32_t(need);
    // Header and end byte, the master's field count, fields and terminator.
    tail->lp_fixed = 7 + LpInt(int64_t(numfields)) + LpInt(0);
    for (size_t i = 0; i < fv.size(); i += 2) tail->lp_fixed += LpStr(fv[i]);
    node_bytes_ += BlockBytes(tail);
    nodes_.push_back(tail);
  } else if (tail->used + entry > tail->cap) {
    size_t want = tail->used + entry;
    want += want / 4;
    node_bytes_ -= BlockBytes(tail);
    tail = static_cast<Node*>(ReallocBytes(tail, sizeof(Node) + want));
    tail->cap = uint32_t(UsableSize(tail) - sizeof(Node));
    node_bytes_ += BlockBytes(tail);
    nodes_.back() = tail;
  }
  char* p = tail->data() + tail->used;
  *p++ = char(same ? kSameFields : 0);
  p += PutVarint(p, dms);
  p += PutVarint(p, seq);
  if (!same) p += PutVarint(p, numfields);
  for (size_t i = 0; i < fv.size(); ++i) {
    if (i % 2 == 0 && same) continue;
    p += PutVarint(p, fv[i].size());
    std::memcpy(p, fv[i].data(), fv[i].size());
    p += fv[i].size();
  }
  tail->used += uint32_t(entry);
  tail->lp_fixed += LpEntryBytes(id, master, same, fv);
  tail->last = id;
  ++tail->live;
  ++length_;
  last_id_ = id;
  ++entries_added_;
}

// Finds the live entry with this ID as Redis's iterator does for XDEL and lookups: from the
// last node whose first ID is not above it (or the first node), skipping deleted entries, until a
// live entry above it. A node's deleted entries may be above later live ones (XSETID can lower the
// top ID below a deleted entry), so only live entries end the walk.
bool Stream::Locate(StreamId id, size_t* node, uint32_t* offset) const {
  size_t i = NodeFor(id);
  if (i == nodes_.size()) i = 0;
  for (; i < nodes_.size(); ++i) {
    const Node* n = nodes_[i];
    if (n->last < id) continue;  // the last appended entry is above every live one in its node
    StreamId cur;
    uint8_t flags;
    for (uint32_t off = n->first; off < n->used;) {
      uint32_t next = n->Read(off, &cur, &flags, nullptr);
      if (!(flags & kDeleted)) {
        if (cur == id) {
          *node = i;
          *offset = off;
          return true;
        }
        if (id < cur) return false;
      }
      off = next;
    }
  }
  return false;
}

bool Stream::Delete(StreamId id) {
  size_t i;
  uint32_t off;
  if (!Locate(id, &i, &off)) return false;
  Node* n = nodes_[i];
  n->data()[off] = char(n->data()[off] | kDeleted);
  --n->live;
  ++n->deleted;
  --length_;
  if (id > max_deleted_id_) max_deleted_id_ = id;
  if (n->live == 0) FreeNodeAt(i);
  return true;
}

bool Stream::Get(StreamId id, std::vector<std::string_view>* fields_values) const {
  size_t i;
  uint32_t off;
  if (!Locate(id, &i, &off)) return false;
  StreamId cur;
  uint8_t flags;
  nodes_[i]->Read(off, &cur, &flags, fields_values);
  return true;
}

// As Redis's streamTrim: whole nodes from the head while the whole node may go (and the limit
// allows); then, unless approx, entries of the first remaining node are flagged deleted one by
// one until the threshold is met.
uint64_t Stream::TrimHead(const Trim& t) {
  uint64_t removed = 0;
  while (!nodes_.empty()) {
    if (!t.by_minid && length_ <= t.maxlen) break;
    Node* n = nodes_.front();
    uint64_t entries = n->live;
    if (t.limit != 0 && removed + entries > t.limit) break;
    bool whole = t.by_minid ? n->last < t.minid : length_ - entries >= t.maxlen;
    if (whole) {
      length_ -= entries;
      removed += entries;
      FreeNodeAt(0);
      continue;
    }
    if (t.approx) break;
    StreamId cur;
    uint8_t flags;
    for (uint32_t off = n->first; off < n->used;) {
      uint32_t next = n->Read(off, &cur, &flags, nullptr);
      if (t.by_minid ? !(cur < t.minid) : length_ <= t.maxlen) break;
      if (!(flags & kDeleted)) {
        n->data()[off] = char(flags | kDeleted);
        --n->live;
        ++n->deleted;
        --length_;
        ++removed;
      }
      off = next;
    }
    // A node whose live entries all went this way stays (its last entry was deleted before and
    // is not below minid), as in Redis, so that later node boundaries stay the same.
    break;
  }
  return removed;
}

namespace {

using RaxKey = std::array<uint8_t, 16>;

// Nodes of the compressed trie of keys[lo, hi) (sorted, distinct, 16 bytes) below depth: a
// compressed node for a shared run of bytes, a branching node where they part, and a node where
// each key ends; as Redis's rax lays them out.
size_t RaxNodes(const std::vector<RaxKey>& keys, size_t lo, size_t hi, size_t depth) {
  if (depth == 16) return 1;
  const RaxKey &a = keys[lo], &b = keys[hi - 1];
  size_t run = 0;
  while (depth + run < 16 && a[depth + run] == b[depth + run]) ++run;
  if (run > 0) return 1 + RaxNodes(keys, lo, hi, depth + run);
  size_t n = 1;
  for (size_t i = lo; i < hi;) {
    size_t j = i;
    while (j < hi && keys[j][depth] == keys[i][depth]) ++j;
    n += RaxNodes(keys, i, j, depth + 1);
    i = j;
  }
  return n;
}

}  // namespace

size_t Stream::rax_nodes() const {
  if (nodes_.empty()) return 1;  // the root alone
  std::vector<RaxKey> keys(nodes_.size());
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      keys[i][b] = uint8_t(nodes_[i]->master.ms >> (56 - 8 * b));
      keys[i][8 + b] = uint8_t(nodes_[i]->master.seq >> (56 - 8 * b));
    }
  }
  return RaxNodes(keys, 0, keys.size(), 0);
}

// ---- iteration -------------------------------------------------------------------------------

Stream::Iterator::Iterator(const Stream& s, StreamId start, StreamId end, bool reverse)
    : s_(&s), start_(start), end_(end), reverse_(reverse) {}

bool Stream::Iterator::Next(StreamId* id, std::vector<std::string_view>* fields_values) {
  if (done_) return false;
  const auto& nodes = s_->nodes_;
  auto load = [&](size_t i) {
    offs_.clear();
    const Node* n = nodes[i];
    StreamId cur;
    uint8_t flags;
    for (uint32_t off = n->first; off < n->used;) {
      offs_.push_back(off);
      off = n->Read(off, &cur, &flags, nullptr);
    }
  };
  if (!started_) {
    started_ = true;
    if (start_ > end_ || nodes.empty()) return done_ = true, false;
    if (!reverse_) {
      size_t i = s_->NodeFor(start_);
      node_ = i == nodes.size() ? 0 : i;
      off_ = nodes[node_]->first;
    } else {
      // As Redis: the last node whose first ID is not above end, or else the last node.
      size_t i = s_->NodeFor(end_);
      node_ = i == nodes.size() ? nodes.size() - 1 : i;
      load(node_);
    }
  }
  uint8_t flags;
  if (!reverse_) {
    while (node_ < nodes.size()) {
      const Node* n = nodes[node_];
      if (off_ >= n->used) {
        if (++node_ < nodes.size()) off_ = nodes[node_]->first;
        continue;
      }
      off_ = n->Read(off_, id, &flags, fields_values);
      if (flags & kDeleted) continue;
      if (*id < start_) continue;
      if (*id > end_) break;
      return true;
    }
  } else {
    while (true) {
      if (offs_.empty()) {
        if (node_ == 0) break;
        load(--node_);
        continue;
      }
      const Node* n = nodes[node_];
      uint32_t at = offs_.back();
      offs_.pop_back();
      n->Read(at, id, &flags, nullptr);
      if (flags & kDeleted) continue;
      if (*id > end_) continue;
      if (*id < start_) break;
      n->Read(at, id, &flags, fields_values);
      return true;
    }
  }
  done_ = true;
  return false;
}

size_t Stream::memory() const {
  size_t n = node_bytes_ + nodes_.capacity() * sizeof(Node*);
  for (const auto& [name, g] : groups_) n += 64 + name.capacity() + StreamGroupMemory(*g);
  return n;
}

// ---- codec -----------------------------------------------------------------------------------
//
// Payload: varint last_id.ms, last_id.seq, max_deleted.ms, max_deleted.seq, entries_added, node
// count; per node: varint master.ms, master.seq, master field count, master fields' bytes, entry
// bytes, then those bytes as stored (so node boundaries survive the disk tier); then the groups
// (EncodeStreamGroups). Decode checks every node's bytes entry by entry.
void Stream::Encode(std::string* out) const {
  AppendVarint(out, last_id_.ms);
  AppendVarint(out, last_id_.seq);
  AppendVarint(out, max_deleted_id_.ms);
  AppendVarint(out, max_deleted_id_.seq);
  AppendVarint(out, entries_added_);
  AppendVarint(out, nodes_.size());
  for (const Node* n : nodes_) {
    AppendVarint(out, n->master.ms);
    AppendVarint(out, n->master.seq);
    AppendVarint(out, n->nfields);
    AppendVarint(out, n->first);
    AppendVarint(out, n->used - n->first);
    out->append(n->data(), n->used);
  }
  EncodeStreamGroups(*this, out);
}

namespace {

// Reads a varint length + bytes from b at *pos; false if it runs past the end.
bool ReadString(std::string_view b, size_t* pos, std::string_view* s) {
  uint64_t len;
  if (!ReadVarint(b, pos, &len) || len > b.size() - *pos) return false;
  *s = b.substr(*pos, len);
  *pos += len;
  return true;
}

}  // namespace

Stream* Stream::Decode(std::string_view payload) {
  auto s = std::make_unique<Stream>();
  size_t pos = 0;
  uint64_t count = 0;
  if (!ReadVarint(payload, &pos, &s->last_id_.ms) || !ReadVarint(payload, &pos, &s->last_id_.seq) ||
      !ReadVarint(payload, &pos, &s->max_deleted_id_.ms) ||
      !ReadVarint(payload, &pos, &s->max_deleted_id_.seq) ||
      !ReadVarint(payload, &pos, &s->entries_added_) || !ReadVarint(payload, &pos, &count) ||
      count > payload.size()) {
    return nullptr;
  }
  bool any = false;
  StreamId prev;
  std::vector<std::string_view> master, fv;
  for (uint64_t i = 0; i < count; ++i) {
    StreamId m;
    uint64_t nfields, mbytes, ebytes;
    if (!ReadVarint(payload, &pos, &m.ms) || !ReadVarint(payload, &pos, &m.seq) ||
        !ReadVarint(payload, &pos, &nfields) || !ReadVarint(payload, &pos, &mbytes) ||
        !ReadVarint(payload, &pos, &ebytes) || mbytes > payload.size() - pos ||
        ebytes > payload.size() - pos - mbytes || ebytes == 0 || mbytes + ebytes > UINT32_MAX / 2 ||
        nfields > mbytes) {
      return nullptr;
    }
    std::string_view mb = payload.substr(pos, mbytes), eb = payload.substr(pos + mbytes, ebytes);
    pos += mbytes + ebytes;
    // The master fields.
    master.clear();
    size_t p = 0;
    for (uint64_t f = 0; f < nfields; ++f) {
      std::string_view v;
      if (!ReadString(mb, &p, &v)) return nullptr;
      master.push_back(v);
    }
    if (p != mb.size() || nfields == 0) return nullptr;
    // The entries, checked and counted; Redis's listpack bytes recomputed.
    Node n;
    n.master = m;
    n.nfields = uint32_t(nfields);
    n.first = uint32_t(mbytes);
    n.lp_fixed = 7 + LpInt(int64_t(nfields)) + LpInt(0);
    for (std::string_view f : master) n.lp_fixed += LpStr(f);
    p = 0;
    bool first_entry = true;
    while (p < eb.size()) {
      auto flags = uint8_t(eb[p++]);
      uint64_t dms, seq;
      if ((flags & ~(kDeleted | kSameFields)) != 0 || !ReadVarint(eb, &p, &dms) ||
          !ReadVarint(eb, &p, &seq)) {
        return nullptr;
      }
      StreamId id{m.ms + dms, dms == 0 ? m.seq + seq : seq};
      if (id.ms < m.ms || (dms == 0 && id.seq < m.seq)) return nullptr;  // wrapped
      if ((first_entry && id != m) || (any && !(prev < id))) return nullptr;
      fv.clear();
      if (flags & kSameFields) {
        for (uint64_t f = 0; f < nfields; ++f) {
          std::string_view v;
          if (!ReadString(eb, &p, &v)) return nullptr;
          fv.push_back(master[f]);
          fv.push_back(v);
        }
      } else {
        uint64_t pairs;
        if (!ReadVarint(eb, &p, &pairs) || pairs == 0 || pairs > eb.size()) return nullptr;
        for (uint64_t f = 0; f < 2 * pairs; ++f) {
          std::string_view v;
          if (!ReadString(eb, &p, &v)) return nullptr;
          fv.push_back(v);
        }
      }
      if (first_entry && !(flags & kSameFields)) return nullptr;
      n.lp_fixed += LpEntryBytes(id, m, flags & kSameFields, fv);
      if (flags & kDeleted)
        ++n.deleted;
      else
        ++n.live;
      n.last = prev = id;
      any = true;
      first_entry = false;
    }
    if (n.last > s->last_id_) return nullptr;
    Node* node = AllocNode(mbytes + ebytes);
    uint32_t cap = node->cap;
    *node = n;
    node->cap = cap;
    node->used = uint32_t(mbytes + ebytes);
    std::memcpy(node->data(), mb.data(), mbytes);
    std::memcpy(node->data() + mbytes, eb.data(), ebytes);
    s->node_bytes_ += BlockBytes(node);
    s->nodes_.push_back(node);
    s->length_ += n.live;
  }
  std::string_view rest = payload.substr(pos);
  if (!DecodeStreamGroups(&rest, s.get()) || !rest.empty()) return nullptr;
  return s.release();
}

}  // namespace aegisr
