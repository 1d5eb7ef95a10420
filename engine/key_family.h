#pragma once
// The generic key command family (DEL, EXISTS, RENAME, COPY, MOVE, KEYS, SCAN, EXPIRE, TTL,
// OBJECT, SELECT, SWAPDB, FLUSHDB, MEMORY USAGE, ...): the parts other code and tests use.
// Pure helpers are thread-safe; the Op functions take the shard locks they need themselves.

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "engine/command.h"
#include "engine/keyspace/entry.h"
#include "engine/keyspace/keyspace.h"

namespace aegisr {

class Engine;

// SCAN cursor layout. The keyspace is 256 shards, each with its own Table whose Scan uses
// Redis's reverse-binary cursor. The SCAN cursor packs both:
//   bits 0..7   the shard being scanned (0..255)
//   bits 8..63  that shard's Table::Scan cursor for the client's database
// Cursor 0 is shard 0 at table cursor 0 (the start); when the last shard finishes the
// reply cursor is 0 (done). A table cursor never exceeds the table's bucket count, so 56 bits
// are plenty. Keys never move between shards, so the per-table guarantee (every key present
// for the whole scan is returned at least once, even across resizes) holds for the keyspace.
inline constexpr uint64_t EncodeScanCursor(unsigned shard, uint64_t table_cursor) {
  return (table_cursor << 8) | (shard & 0xff);
}
inline constexpr unsigned ScanCursorShard(uint64_t cursor) { return unsigned(cursor & 0xff); }
inline constexpr uint64_t ScanCursorTable(uint64_t cursor) { return cursor >> 8; }

// Parses a SCAN cursor as Redis's parseScanCursorOrReply (strtoul): leading '+'/'-' accepted
// ("-1" wraps), leading space, trailing garbage and out-of-range values rejected, "" is 0.
[[nodiscard]] bool ParseScanCursor(std::string_view s, uint64_t* out);

// Redis's OBJECT ENCODING name for an entry. Strings: "int", "embstr" (<= 44 bytes, not
// modified in place) or "raw". Collections ask the namer their family registered (below).
std::string_view ObjectEncodingName(const Entry& e);
// Lets a collection family name its encodings ("listpack", "hashtable", ...). Call at
// registration time (before any command runs); not thread-safe against readers.
using EncodingNamer = std::string_view (*)(const Entry& e);
void SetEncodingNamer(ValueType t, EncodingNamer fn);

// TYPE's name for a value type ("string", "list", ...).
std::string_view TypeName(ValueType t);

// MEMORY USAGE key [SAMPLES count]; exported so a MEMORY container owned elsewhere can use it.
void CmdMemoryUsage(CommandContext& ctx, ArgList args);

// Data operations (take their own locks). db is a valid database index. With `events` set they
// raise the keyspace notifications Redis raises (engine/notify.h) while holding the locks.
// Number of keys removed (DEL/UNLINK).
OpResult<int64_t> OpDel(Keyspace& ks, int db, ArgList keys, int64_t now_ms,
                        Engine* events = nullptr);
// RENAME (nx=false: true when renamed) / RENAMENX (false when the destination exists).
// kNoSuchKey when the source is missing.
OpResult<bool> OpRename(Keyspace& ks, int db, std::string_view src, std::string_view dst, bool nx,
                        int64_t now_ms, Engine* events = nullptr);
// COPY: true when copied, false when src missing or dst exists without replace.
OpResult<bool> OpCopy(Keyspace& ks, int src_db, int dst_db, std::string_view src,
                      std::string_view dst, bool replace, int64_t now_ms, Engine* events = nullptr);
// MOVE: true when moved.
OpResult<bool> OpMove(Keyspace& ks, int src_db, int dst_db, std::string_view key, int64_t now_ms,
                      Engine* events = nullptr);

}  // namespace aegisr
