#pragma once
// Stream: the value of a stream key (Redis 7.0's stream type): entries ordered by ID, each a list
// of field-value pairs, and the consumer groups that read them.
//
// Two parts, built by two hands (docs/architecture.md "Streams"):
//   entries  (engine/types/stream.cc): the ID-ordered log and its bookkeeping (last ID, entries
//            added, max deleted ID), appended at the tail, trimmed at the head, deleted anywhere.
//   groups   (engine/types/stream_group.cc): per group its last delivered ID, entries read, the
//            pending entries list (PEL) and the consumers, each with its own view of the PEL.
//
// Not thread-safe: used under its key's shard lock.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr {

// A stream entry ID: milliseconds and sequence, ordered as a pair.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  friend auto operator<=>(const StreamId&, const StreamId&) = default;

  static constexpr StreamId Min() { return {0, 0}; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }

  // The next ID in order; false (and unchanged) at Max().
  bool Incr();
  // The previous ID in order; false (and unchanged) at Min().
  bool Decr();
  // "ms-seq", as replies write it.
  std::string ToString() const;
  void AppendTo(std::string* out) const;
};

// --- consumer groups (engine/types/stream_group.cc) -----------------------------------------

struct StreamConsumer;

// An entry delivered to a consumer and not yet acknowledged.
struct StreamNack {
  int64_t delivery_time_ms = 0;  // last delivery, unix milliseconds
  uint64_t delivery_count = 0;
  StreamConsumer* consumer = nullptr;  // the owner (never null in a group's PEL)
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time_ms = 0;  // last interaction (XINFO CONSUMERS' idle)
  // This consumer's part of the group's PEL: the same nacks, owned by the group.
  std::map<StreamId, StreamNack*> pel;
};

class Stream;

// A consumer group. Invariant kept by the operations below (CheckPels tests it): every nack of
// the group's PEL is in its owner's PEL under the same ID, and a consumer's PEL holds nothing
// else. Commands change groups only through these operations.
struct StreamGroup {
  StreamId last_id;  // last delivered ID
  // Entries read by the group (Redis's entries_read; -1: unknown, then XINFO estimates it).
  int64_t entries_read = -1;
  std::map<StreamId, std::unique_ptr<StreamNack>> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  // The consumer called name, or nullptr.
  StreamConsumer* FindConsumer(std::string_view name) const;
  // The consumer called name, created (seen now) if missing; *created says which.
  StreamConsumer* GetOrCreateConsumer(std::string_view name, int64_t now_ms,
                                      bool* created = nullptr);
  // Deletes the consumer and its pending entries (from the group's PEL too). Returns how many
  // entries it had pending; 0 (and nothing changes) if there is no such consumer.
  size_t DeleteConsumer(std::string_view name);
  // XREADGROUP's new delivery of id to c: a nack (count 1, delivered now) owned by c; an id
  // already pending (the group's last ID was set back) moves to c with its count reset to 1.
  void DeliverNew(StreamId id, StreamConsumer* c, int64_t now_ms);
  // Removes id from the PEL and its owner's; false if it was not pending.
  bool Ack(StreamId id);
  // Gives the pending entry id to c (moving it from its owner's PEL); an id not pending is
  // added (XCLAIM's FORCE: count 1, delivered now). Returns its nack, for the caller to set the
  // delivery time and count.
  StreamNack* Claim(StreamId id, StreamConsumer* c, int64_t now_ms);
  // The group's read position after delivering id (> last_id) from s: last_id becomes id and
  // entries_read counts it where it stays known (Redis 7.0's rules).
  void AdvanceTo(const Stream& s, StreamId id);
  // The group's lag (entries added but not yet read) in *lag; false where it cannot be known.
  // It may be negative: ENTRIESREAD can set entries_read above the stream's entries added.
  bool Lag(const Stream& s, int64_t* lag) const;
  // True if the group's PEL and the consumers' PELs agree (see above).
  bool CheckPels() const;
};

// Redis's read counter of id in s: its distance from the first entry ever added, where the
// stream's bookkeeping makes it known; -1 otherwise.
int64_t StreamEstimateDistance(const Stream& s, StreamId id);
// Whether entries of s between start and end (inclusive) may have been deleted (Redis's
// streamRangeHasTombstones, from max_deleted_id alone).
bool StreamRangeHasTombstones(const Stream& s, StreamId start, StreamId end);

// --- the stream --------------------------------------------------------------------------------

class Stream {
 public:
  Stream();
  Stream(const Stream& other);  // deep: entries and groups
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  // Live entries.
  uint64_t length() const;
  bool empty() const { return length() == 0; }
  // The greatest ID ever added (or set by XSETID): a new entry's ID must be above it. 0-0 at first.
  StreamId last_id() const { return last_id_; }
  // The ID of the first live entry; 0-0 when empty.
  StreamId first_id() const;
  // The ID of the last live entry; 0-0 when empty (Redis's streamLastValidID).
  StreamId last_entry_id() const;
  // The greatest ID deleted by XDEL (as in Redis 7.0, trimming does not move it); 0-0 when none.
  StreamId max_deleted_id() const { return max_deleted_id_; }
  // How many entries were ever added (XSETID ENTRIESADDED may set it).
  uint64_t entries_added() const { return entries_added_; }

  void set_last_id(StreamId id) { last_id_ = id; }
  void set_max_deleted_id(StreamId id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }

  // Appends an entry; id > last_id(). fields_values alternates field, value (an even count >= 2).
  // Updates last_id and entries_added.
  void Append(StreamId id, std::span<const std::string_view> fields_values);
  // Deletes the entry with this ID (updating max_deleted_id); false if there is none.
  bool Delete(StreamId id);
  // The fields and values of the entry with this ID (views valid until the stream changes);
  // false if there is none.
  bool Get(StreamId id, std::vector<std::string_view>* fields_values) const;

  // Trimming at the head (XADD and XTRIM's MAXLEN / MINID). approx ("~") lets the stream keep
  // more entries where removing only whole storage nodes is cheaper, as Redis does; limit caps
  // the entries removed (0: no cap; only meaningful with approx). Returns the entries removed.
  // As in Redis 7.0, max_deleted_id does not move (only Delete moves it).
  struct Trim {
    bool by_minid = false;
    uint64_t maxlen = 0;  // keep at most this many (by_minid false)
    StreamId minid;       // drop entries below it (by_minid true)
    bool approx = false;
    uint64_t limit = 0;
  };
  uint64_t TrimHead(const Trim& t);

  // Walks entries with start <= id <= end, ascending (or descending with reverse).
  class Iterator {
   public:
    Iterator(const Stream& s, StreamId start, StreamId end, bool reverse);
    // The next entry: its ID and fields/values (views into the stream, valid until it changes).
    // False at the end.
    bool Next(StreamId* id, std::vector<std::string_view>* fields_values);

   private:
    // Storage-specific state (engine/types/stream.cc): the node being read and, forward, the
    // offset of its next entry or, in reverse, the offsets of its entries not yet read.
    const Stream* s_;
    StreamId start_, end_;
    bool reverse_;
    bool started_ = false;
    bool done_ = false;
    size_t node_ = 0;
    uint32_t off_ = 0;
    std::vector<uint32_t> offs_;
  };

  // Consumer groups by name.
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() { return groups_; }
  const std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() const {
    return groups_;
  }

  // Where a storage node closes and a new one starts (config stream-node-max-bytes and
  // stream-node-max-entries; 0: no limit, as Redis). Process-wide; nodes already closed stay.
  static void SetNodeLimits(int64_t max_bytes, int64_t max_entries);
  static int64_t node_max_entries();
  // One storage node (opaque outside engine/types/stream.cc).
  struct Node;
  // Storage nodes: the same count as Redis's listpacks for the same commands (node boundaries
  // follow Redis's rule), i.e. XINFO STREAM's radix-tree-keys.
  size_t node_count() const { return nodes_.size(); }
  // The nodes Redis's radix tree would have for these storage nodes (its keys are the nodes'
  // first IDs as 16 big-endian bytes), i.e. XINFO STREAM's radix-tree-nodes: computed as the
  // compressed trie of those keys, which is the shape Redis's rax keeps (checked against
  // redis-server 7.0 after appends, XDEL and XTRIM). O(nodes).
  size_t rax_nodes() const;

  // Bytes this stream owns beyond sizeof(Stream), entries and groups.
  size_t memory() const;

  // The disk tier's codec: Encode appends the whole stream; Decode returns nullptr for a payload
  // that does not parse exactly.
  void Encode(std::string* out) const;
  static Stream* Decode(std::string_view payload);

 private:
  friend class Iterator;

  // Storage of the entries (engine/types/stream.cc): nodes of up to stream-node-max-entries
  // entries in one byte block each, ordered by ID, indexed by a sorted vector.
  std::vector<Node*> nodes_;
  uint64_t length_ = 0;    // live entries
  size_t node_bytes_ = 0;  // the nodes' blocks, as the allocator sized them
  // The node that may hold id (the last whose first ID is <= id); nodes_.size() if none.
  size_t NodeFor(StreamId id) const;
  bool Locate(StreamId id, size_t* node, uint32_t* offset) const;
  void FreeNodeAt(size_t i);

  StreamId last_id_;
  StreamId max_deleted_id_;
  uint64_t entries_added_ = 0;
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>> groups_;
};

// Group helpers used by Stream's copy, memory and codec (engine/types/stream_group.cc).
std::unique_ptr<StreamGroup> CloneStreamGroup(const StreamGroup& g);
size_t StreamGroupMemory(const StreamGroup& g);
void EncodeStreamGroups(const Stream& s, std::string* out);
// Reads what EncodeStreamGroups wrote from the front of *in, advancing it; false if it does not
// parse.
bool DecodeStreamGroups(std::string_view* in, Stream* s);

}  // namespace aegisr
