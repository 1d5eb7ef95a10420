#pragma once
// What the stream commands share (engine/stream_family.cc: XADD XRANGE XREVRANGE XLEN XDEL
// XTRIM XSETID XREAD; engine/stream_group_family.cc: the consumer-group commands): stream IDs
// parsed in all of Redis 7.0's forms with its exact errors, entries written as replies (RESP2
// and RESP3 alike: Redis 7.0 writes an entry as [id, [field, value, ...]] in both), the typed
// key lookup, and the MAXLEN / MINID / ~ / = / LIMIT trimming options of XADD and XTRIM.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/family.h"
#include "engine/reply.h"
#include "engine/types/stream.h"

namespace aegisr {

namespace stream_errors {
inline constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr std::string_view kInvalidStartInterval = "ERR invalid start ID for the interval";
inline constexpr std::string_view kInvalidEndInterval = "ERR invalid end ID for the interval";
}  // namespace stream_errors

// ---- IDs ----

// Parses a stream ID as Redis's streamGenericParseIDOrReply: "ms-seq", or "ms" alone (seq is
// then missing_seq); "-" and "+" are the least and greatest IDs unless strict. With seq_given
// non-null, "ms-*" is accepted (XADD) and *seq_given tells whether the sequence was given.
// The numbers are read as Redis's string2ull (strtoull's leniency included: "+5", " 5", "007").
// False for anything else (reply stream_errors::kInvalidId).
bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool strict,
                   bool* seq_given = nullptr);
// Strict form (no "-" / "+"), sequence 0 when missing: XADD's and XSETID's IDs, XDEL's, MINID,
// XREAD's.
inline bool ParseStrictStreamId(std::string_view s, StreamId* id, bool* seq_given = nullptr) {
  return ParseStreamId(s, id, 0, true, seq_given);
}
// A range bound of XRANGE / XREVRANGE / XPENDING: "(" before an ID makes it exclusive
// (*exclusive set; the ID after it is strict). Only parses: the caller moves an exclusive bound
// (Incr / Decr) and replies kInvalidStartInterval / kInvalidEndInterval where it cannot.
bool ParseIntervalStreamId(std::string_view s, StreamId* id, bool* exclusive, uint64_t missing_seq);

// ---- replies ----

// The ID as a bulk string "ms-seq".
void ReplyStreamId(ReplySink& reply, StreamId id);
// One entry: [id, [field, value, ...]].
void ReplyStreamEntry(ReplySink& reply, StreamId id, std::span<const std::string_view> fv);
// One entry as collected from a Stream::Iterator (views into the stream, valid until it changes).
struct StreamEntryView {
  StreamId id;
  std::vector<std::string_view> fv;
};
// Collects entries with start <= id <= end of s, ascending (or descending), at most count
// (0: all).
void CollectStreamRange(const Stream& s, StreamId start, StreamId end, size_t count, bool reverse,
                        std::vector<StreamEntryView>* out);
// An array of entries.
void ReplyStreamEntries(ReplySink& reply, std::span<const StreamEntryView> entries);

// XREAD and XREADGROUP replies: the streams' header (RESP2 an array of n [key, entries] pairs,
// RESP3 a map of n keys), then per stream its key (opening the pair in RESP2) and its entries.
void ReplyStreamsHeader(ReplySink& reply, size_t n);
void ReplyStreamKey(ReplySink& reply, std::string_view key);
// A served blocked XREAD/XREADGROUP (engine/blocking.h) keeps its reply in bc.result: the key,
// then per entry its ID, the number of field/value strings and the strings. Append adds the
// entries; ReplyBlockedStreamRead writes the reply for one stream from it.
void AppendBlockedStreamEntries(std::span<const StreamEntryView> entries,
                                std::vector<std::string>* result);
void ReplyBlockedStreamRead(const BlockedClient& bc, ReplySink& reply);

// ---- keys ----

const Stream& StreamOf(const Entry* e);
// For a change in place: call inside Shard::Update (drops the clean copy on disk first).
Stream& MutableStream(Entry* e);

// One stream key of a command, found under its shard's lock (engine/family.h's TypedKey).
struct StreamKey : TypedKey {
  StreamKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kStream, read) {}
  const Stream& stream() const { return StreamOf(*link); }
};

// Notes key as ready for the clients blocked on it (engine/blocking.h "Streams"), as Redis's
// signalKeyAsReady: after every XADD, and after a change that may end a wait without new entries
// (XGROUP DESTROY, XGROUP SETID). Call with the key's shard lock held.
void NoteStreamReady(Shard& s, int db, std::string_view key);

// Creates an empty stream entry for a new key (a stream may be stored empty, as in Redis).
Entry* NewStreamEntry(std::string_view key, uint32_t hash);

// ---- XADD / XTRIM options ----

// The options of XADD (from args[2] to the ID) and XTRIM (all after the key), parsed as Redis's
// streamParseAddOrTrimArgsOrReply: [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]],
// then XADD's ID (*, ms-*, ms-seq).
struct StreamAddTrimArgs {
  // XADD only.
  StreamId id;
  bool id_given = false;   // not "*"
  bool seq_given = false;  // not "ms-*"
  bool no_mkstream = false;
  size_t id_pos = 0;  // index of the ID argument (fields follow it)
  // Both.
  bool has_trim = false;
  Stream::Trim trim;  // with LIMIT's default applied (100 * stream-node-max-entries for ~)
};
// Returns the error to reply, or an empty view. For XADD the ID position may be args.size() when
// there is none (the caller's arity check catches it).
std::string_view ParseStreamAddTrimArgs(ArgList args, bool xadd, StreamAddTrimArgs* out);

}  // namespace aegisr
