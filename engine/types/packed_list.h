#pragma once
// PackedList: the value of a list key. A chain of packed nodes, as Redis's quicklist of
// listpacks: each node is one allocation holding up to kNodeBytes of consecutive elements, and
// each element is [varint length][bytes][back-length], the back-length being the element's
// header-plus-data size written so that it can be read backwards from the element's end (as a
// listpack's backlen), so a node is walked from either end. A small list is one node: a few bytes
// of overhead per element, where a node-per-element list would spend 32 or more.
//
// Pushes and pops at either end touch one node, and a node keeps free room at whichever end
// takes pushes, so a push or pop copies only its element most of the time; index access
// skips whole nodes by their counts. Operations in the middle (LSET, LINSERT, LREM, LTRIM) rebuild
// the list in one pass, O(n) as their Redis counterparts are.
//
// Not thread-safe: used under the lock of the shard that holds its key.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr {

class PackedList {
 public:
  // Elements per node are bounded by bytes, as Redis's list-max-listpack-size -2 (8 KB) by
  // default; an element larger than that gets a node of its own.
  static constexpr size_t kNodeBytes = 8192;

  // list-max-listpack-size, process-wide, for nodes filled from now on: -1 .. -5 bound a node
  // to 4, 8, 16, 32 or 64 KB (below -5 as -5); a positive n to n elements (at most 32768), and
  // then, as in Redis, to 8 KB as well; 0 as 1. Thread-safe.
  static void SetFill(int64_t fill);

  PackedList() = default;
  PackedList(const PackedList& other);
  PackedList& operator=(const PackedList&) = delete;
  PackedList(PackedList&& other) noexcept;
  PackedList& operator=(PackedList&& other) noexcept;
  ~PackedList();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t node_count() const { return nodes_.size(); }

  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  // Remove and return the first / last element; the list must not be empty.
  std::string PopFront();
  std::string PopBack();

  // The element at index i (0 = first; i < size()). The view is valid until the next change.
  std::string_view At(size_t i) const;

  // Calls fn(std::string_view) for elements first..last inclusive (last < size()), in order
  // (reverse: from last down to first). Views are valid during the call only.
  template <typename Fn>
  void ForRange(size_t first, size_t last, Fn&& fn) const;
  template <typename Fn>
  void ForRangeReverse(size_t first, size_t last, Fn&& fn) const;

  // Rebuilds the list from its elements: fn(index, element, out) appends to out whatever should
  // stand in the element's place (nothing, the element, or more). O(n).
  template <typename Fn>
  void Rewrite(Fn&& fn);

  // Bytes of memory this list owns (its nodes and node table), for MEMORY USAGE and used_memory.
  // O(1): every command's memory accounting asks for it before and after the change.
  size_t MemoryBytes() const { return node_bytes_ + nodes_.capacity() * sizeof(void*); }
  // The same, counted from the nodes (tests check MemoryBytes against it).
  size_t RecountMemoryBytes() const;

 private:
  struct Node;
  // Node allocation, keeping node_bytes_ (the nodes' usable sizes) up to date.
  Node* NewNode(size_t cap);
  void FreeNode(Node* n);
  Node* Resize(Node* n, size_t cap);
  // Room for `extra` more bytes before n's first element (front) or after its last, moving
  // the elements inside the block or growing it; may move n.
  Node* MakeRoom(Node* n, size_t extra, bool front);
  std::pair<size_t, size_t> Locate(size_t i) const;  // node index and element index within it

  std::vector<Node*> nodes_;
  size_t size_ = 0;
  size_t node_bytes_ = 0;

 public:
  // Element walking inside a node (for the templates above).
  static std::string_view ElementAt(const Node* n, uint32_t offset, uint32_t* next);
  static uint32_t PrevOffset(const Node* n, uint32_t end);  // start of the element ending at end
  static uint32_t NodeCount(const Node* n);
  static uint32_t NodeUsed(const Node* n);
  const Node* node(size_t i) const { return nodes_[i]; }
};

template <typename Fn>
void PackedList::ForRange(size_t first, size_t last, Fn&& fn) const {
  if (first > last || last >= size_) return;
  auto [ni, ei] = Locate(first);
  size_t remaining = last - first + 1;
  for (; ni < nodes_.size() && remaining > 0; ++ni, ei = 0) {
    const Node* n = nodes_[ni];
    uint32_t off = 0, next = 0;
    for (size_t k = 0; k < ei; ++k) {
      ElementAt(n, off, &next);
      off = next;
    }
    for (uint32_t k = static_cast<uint32_t>(ei); k < NodeCount(n) && remaining > 0; ++k) {
      fn(ElementAt(n, off, &next));
      off = next;
      --remaining;
    }
  }
}

template <typename Fn>
void PackedList::ForRangeReverse(size_t first, size_t last, Fn&& fn) const {
  if (first > last || last >= size_) return;
  auto [ni, ei] = Locate(last);
  size_t remaining = last - first + 1;
  for (size_t node_i = ni + 1; node_i-- > 0 && remaining > 0;) {
    const Node* n = nodes_[node_i];
    uint32_t count = NodeCount(n);
    size_t start_k = node_i == ni ? ei : count - 1;
    // Walk back from the node's end to element start_k, then emit backwards.
    uint32_t end = NodeUsed(n);
    for (size_t k = count; k > start_k + 1; --k) end = PrevOffset(n, end);
    for (size_t k = start_k + 1; k-- > 0 && remaining > 0;) {
      uint32_t off = PrevOffset(n, end), next = 0;
      fn(ElementAt(n, off, &next));
      end = off;
      --remaining;
    }
  }
}

template <typename Fn>
void PackedList::Rewrite(Fn&& fn) {
  PackedList out;
  size_t index = 0;
  for (const Node* n : nodes_) {
    uint32_t off = 0, next = 0;
    for (uint32_t k = 0; k < NodeCount(n); ++k) {
      fn(index++, ElementAt(n, off, &next), out);
      off = next;
    }
  }
  *this = std::move(out);
}

}  // namespace aegisr
