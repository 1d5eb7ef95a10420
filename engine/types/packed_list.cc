// PackedList (see packed_list.h): nodes and the element encoding.
#include "engine/types/packed_list.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstring>
#include <utility>

#include "base/alloc.h"
#include "base/varint.h"

namespace aegisr {

// The elements lie at data()[start, start + used): a node that takes pushes at the front keeps
// room before its first element, so LPUSH writes into the gap instead of moving the node's
// bytes (Redis's listpack moves the whole listpack on every push at its head).
struct PackedList::Node {
  uint32_t used;   // bytes of elements
  uint32_t cap;    // bytes of the block after the header
  uint32_t count;  // elements
  uint32_t start;  // free bytes before the first element
  char* data() { return reinterpret_cast<char*>(this + 1); }
  char* elems() { return data() + start; }
  const char* elems() const { return reinterpret_cast<const char*>(this + 1) + start; }
  uint32_t back_room() const { return cap - start - used; }
};

namespace {

// The back-length: the same bytes in reverse order, so that reading backwards from the
// element's end meets the low bits first.
void PutBackVarint(char* p, uint64_t v, size_t n) {
  char tmp[10];
  PutVarint(tmp, v);
  for (size_t i = 0; i < n; ++i) p[i] = tmp[n - 1 - i];
}

uint64_t GetBackVarint(const char* end, uint32_t* len) {
  uint64_t v = 0;
  int shift = 0;
  uint32_t n = 0;
  for (;;) {
    auto b = static_cast<uint8_t>(*(end - 1 - n));
    ++n;
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  *len = n;
  return v;
}

// Bytes an element of value v takes: header, data, back-length.
size_t EncodedSize(std::string_view v) {
  size_t body = VarintSize(v.size()) + v.size();
  return body + VarintSize(body);
}

void Encode(char* p, std::string_view v) {
  size_t h = PutVarint(p, v.size());
  if (!v.empty()) std::memcpy(p + h, v.data(), v.size());
  size_t body = h + v.size();
  PutBackVarint(p + body, body, VarintSize(body));
}

}  // namespace

// Element bytes a full node holds: the node, header included, is exactly kNodeBytes, one of the
// allocator's size classes (8208 bytes would take a 10 KiB block).
constexpr size_t kNodeData = PackedList::kNodeBytes - 16;  // 16: sizeof(Node), asserted below

namespace {
// The node limits from list-max-listpack-size (SetFill): element bytes a node may hold, and
// elements (0: no count limit).
std::atomic<uint32_t> g_node_data{uint32_t(kNodeData)};
std::atomic<uint32_t> g_node_count{0};

size_t NodeDataLimit() { return g_node_data.load(std::memory_order_relaxed); }

// Whether a node holding `count` elements in `used` bytes has no room for `es` more bytes.
bool NodeFull(uint32_t count, uint32_t used, size_t es) {
  if (count == 0) return false;  // an element larger than the limit still gets a node
  uint32_t max_count = g_node_count.load(std::memory_order_relaxed);
  if (max_count != 0 && count >= max_count) return true;
  return used + es > NodeDataLimit();
}
}  // namespace

void PackedList::SetFill(int64_t fill) {
  if (fill < 0) {
    int64_t level = std::min<int64_t>(-fill, 5);  // -1: 4 KB .. -5: 64 KB
    g_node_data.store(uint32_t((size_t{2048} << level) - 16), std::memory_order_relaxed);
    g_node_count.store(0, std::memory_order_relaxed);
  } else {
    g_node_data.store(uint32_t(kNodeData), std::memory_order_relaxed);  // Redis's safety limit
    g_node_count.store(uint32_t(std::clamp<int64_t>(fill, 1, 32768)), std::memory_order_relaxed);
  }
}

// A node's capacity is all its block offers: the allocator rounds every request up to a size
// class, and the slack is free room for the next elements.
uint32_t CapacityOf(const void* n, size_t header) {
  return static_cast<uint32_t>(UsableSize(n) - header);
}

PackedList::Node* PackedList::NewNode(size_t cap) {
  static_assert(sizeof(Node) == PackedList::kNodeBytes - kNodeData);
  auto* n = static_cast<Node*>(AllocBytes(sizeof(Node) + cap));
  n->used = 0;
  n->cap = CapacityOf(n, sizeof(Node));
  n->count = 0;
  n->start = 0;
  node_bytes_ += UsableSize(n);
  return n;
}

void PackedList::FreeNode(Node* n) {
  node_bytes_ -= UsableSize(n);
  FreeBytes(n);
}

PackedList::Node* PackedList::Resize(Node* n, size_t cap) {
  if (n->start != 0) {  // the block is cut or copied from its beginning: elements first
    std::memmove(n->data(), n->elems(), n->used);
    n->start = 0;
  }
  node_bytes_ -= UsableSize(n);
  n = static_cast<Node*>(ReallocBytes(n, sizeof(Node) + cap));
  n->cap = CapacityOf(n, sizeof(Node));
  node_bytes_ += UsableSize(n);
  return n;
}

PackedList::Node* PackedList::MakeRoom(Node* n, size_t extra, bool front) {
  if (front ? n->start >= extra : n->back_room() >= extra) return n;
  const size_t need = size_t{n->used} + extra;
  if (need > n->cap) {
    // An eighth more than needed: the size classes are about that far apart, so a node ends at
    // most one class above its contents while a push copies the node only every few elements.
    size_t cap = need + need / 8;
    if (need <= NodeDataLimit()) cap = std::min(cap, NodeDataLimit());
    n = Resize(n, cap);
  }
  // Move the elements so that the end that needs room gets the free space: all of it when the
  // other end has none (a list pushed at one end keeps its elements against the other), three
  // quarters when both ends take pushes.
  const size_t free = n->cap - n->used;
  const size_t other = front ? n->back_room() : n->start;
  const size_t gap = other == 0 ? free : std::max(extra, free - free / 4);
  const uint32_t start = static_cast<uint32_t>(front ? gap : free - gap);
  if (start != n->start) {
    std::memmove(n->data() + start, n->elems(), n->used);
    n->start = start;
  }
  return n;
}

PackedList::PackedList(const PackedList& other) : size_(other.size_) {
  nodes_.reserve(other.nodes_.size());
  for (const Node* n : other.nodes_) {
    Node* c = NewNode(n->used);
    std::memcpy(c->data(), n->elems(), n->used);
    c->used = n->used;
    c->count = n->count;
    nodes_.push_back(c);
  }
}

PackedList::PackedList(PackedList&& other) noexcept
    : nodes_(std::move(other.nodes_)),
      size_(std::exchange(other.size_, 0)),
      node_bytes_(std::exchange(other.node_bytes_, 0)) {
  other.nodes_.clear();
}

PackedList& PackedList::operator=(PackedList&& other) noexcept {
  if (this != &other) {
    for (Node* n : nodes_) FreeNode(n);
    nodes_ = std::move(other.nodes_);
    other.nodes_.clear();
    size_ = std::exchange(other.size_, 0);
    node_bytes_ = std::exchange(other.node_bytes_, 0);
  }
  return *this;
}

PackedList::~PackedList() {
  for (Node* n : nodes_) FreeNode(n);
}

std::string_view PackedList::ElementAt(const Node* n, uint32_t offset, uint32_t* next) {
  uint32_t h;
  uint64_t len = GetVarint(n->elems() + offset, &h);
  uint64_t body = h + len;
  *next = offset + static_cast<uint32_t>(body + VarintSize(body));
  return {n->elems() + offset + h, static_cast<size_t>(len)};
}

uint32_t PackedList::PrevOffset(const Node* n, uint32_t end) {
  uint32_t bl;
  uint64_t body = GetBackVarint(n->elems() + end, &bl);
  return end - bl - static_cast<uint32_t>(body);
}

uint32_t PackedList::NodeCount(const Node* n) { return n->count; }
uint32_t PackedList::NodeUsed(const Node* n) { return n->used; }

void PackedList::PushBack(std::string_view v) {
  size_t es = EncodedSize(v);
  if (nodes_.empty() || NodeFull(nodes_.back()->count, nodes_.back()->used, es)) {
    // A fresh node starts just large enough; Reserve grows it by an eighth at a time.
    nodes_.push_back(NewNode(es));
  }
  Node* n = nodes_.back() = MakeRoom(nodes_.back(), es, /*front=*/false);
  Encode(n->elems() + n->used, v);
  n->used += static_cast<uint32_t>(es);
  ++n->count;
  ++size_;
}

void PackedList::PushFront(std::string_view v) {
  size_t es = EncodedSize(v);
  if (nodes_.empty() || NodeFull(nodes_.front()->count, nodes_.front()->used, es)) {
    Node* fresh = NewNode(es);
    nodes_.insert(nodes_.begin(), fresh);
  }
  Node* n = nodes_.front() = MakeRoom(nodes_.front(), es, /*front=*/true);
  n->start -= static_cast<uint32_t>(es);
  Encode(n->elems(), v);
  n->used += static_cast<uint32_t>(es);
  ++n->count;
  ++size_;
}

std::string PackedList::PopFront() {
  assert(size_ > 0);
  Node* n = nodes_.front();
  uint32_t next;
  std::string out(ElementAt(n, 0, &next));
  n->start += next;
  n->used -= next;
  --n->count;
  --size_;
  if (n->count == 0) {
    FreeNode(n);
    nodes_.erase(nodes_.begin());
  } else if (n->cap > 256 && n->used < n->cap / 4) {
    nodes_.front() = Resize(n, n->cap / 2);
  }
  return out;
}

std::string PackedList::PopBack() {
  assert(size_ > 0);
  Node* n = nodes_.back();
  uint32_t start = PrevOffset(n, n->used), next;
  std::string out(ElementAt(n, start, &next));
  n->used = start;
  --n->count;
  --size_;
  if (n->count == 0) {
    FreeNode(n);
    nodes_.pop_back();
  } else if (n->cap > 256 && n->used < n->cap / 4) {
    nodes_.back() = Resize(n, n->cap / 2);
  }
  return out;
}

std::pair<size_t, size_t> PackedList::Locate(size_t i) const {
  assert(i < size_);
  if (i < size_ / 2) {
    for (size_t ni = 0;; ++ni) {
      if (i < nodes_[ni]->count) return {ni, i};
      i -= nodes_[ni]->count;
    }
  }
  size_t from_end = size_ - 1 - i;  // 0 = the last element
  for (size_t ni = nodes_.size(); ni-- > 0;) {
    if (from_end < nodes_[ni]->count) return {ni, nodes_[ni]->count - 1 - from_end};
    from_end -= nodes_[ni]->count;
  }
  return {0, 0};  // unreachable for i < size_
}

size_t PackedList::RecountMemoryBytes() const {
  size_t b = nodes_.capacity() * sizeof(void*);
  for (const Node* n : nodes_) b += UsableSize(n);
  return b;
}

std::string_view PackedList::At(size_t i) const {
  auto [ni, ei] = Locate(i);
  const Node* n = nodes_[ni];
  uint32_t off = 0, next = 0;
  if (ei < n->count / 2) {
    for (size_t k = 0; k < ei; ++k) {
      ElementAt(n, off, &next);
      off = next;
    }
  } else {
    off = n->used;
    for (size_t k = n->count; k > ei; --k) off = PrevOffset(n, off);
  }
  return ElementAt(n, off, &next);
}

}  // namespace aegisr
