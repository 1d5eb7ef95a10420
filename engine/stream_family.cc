// The stream command family, core part, Redis 7.0 semantics (t_stream.c): XADD XRANGE XREVRANGE
// XLEN XDEL XTRIM XSETID XREAD (with BLOCK, engine/blocking.h), and the helpers the consumer
// group commands share (engine/stream_family.h). A stream value is a Stream
// (engine/types/stream.h) owned by its entry. Unlike the other collections a stream may be
// stored empty (XDEL of its last entry, XTRIM MAXLEN 0, XADD ... MAXLEN 0), as in Redis: its
// last ID and counters live on. Handlers check arguments in Redis's order and change a stream only
// inside Shard::Update after dropping any clean copy on disk (MutableStream).

#include "engine/stream_family.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/blocking.h"
#include "engine/client.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/notify.h"

namespace aegisr {

// ---- IDs ----

namespace {

// Redis's string2ull on a NUL-terminated text: a strict int64 that is not negative, else
// whatever strtoull reads in base 10 consuming all the text (leading blanks, a sign and leading
// zeros included) without ERANGE.
bool String2ull(const char* s, uint64_t* v) {
  int64_t ll;
  if (String2ll(std::string_view(s, std::strlen(s)), &ll)) {
    if (ll < 0) return false;
    *v = uint64_t(ll);
    return true;
  }
  if (*s == '\0') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long r = std::strtoull(s, &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return false;
  *v = r;
  return true;
}

}  // namespace

bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool strict,
                   bool* seq_given) {
  // Redis reads the argument as a C string of at most 127 bytes: a NUL ends it early.
  char buf[128];
  if (s.size() > sizeof(buf) - 1) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  bool special = (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0';
  if (strict && special) return false;
  if (seq_given) *seq_given = true;
  if (special) {
    *id = buf[0] == '-' ? StreamId::Min() : StreamId::Max();
    return true;
  }
  char* dash = std::strchr(buf, '-');
  if (dash) *dash = '\0';
  uint64_t ms, seq;
  if (!String2ull(buf, &ms)) return false;
  if (dash) {
    const char* tail = dash + 1;
    if (seq_given && tail[0] == '*' && tail[1] == '\0') {
      seq = 0;
      *seq_given = false;
    } else if (!String2ull(tail, &seq)) {
      return false;
    }
  } else {
    seq = missing_seq;
  }
  *id = {ms, seq};
  return true;
}

bool ParseIntervalStreamId(std::string_view s, StreamId* id, bool* exclusive,
                           uint64_t missing_seq) {
  *exclusive = s.size() > 1 && s[0] == '(';
  if (*exclusive) return ParseStreamId(s.substr(1), id, missing_seq, true);
  return ParseStreamId(s, id, missing_seq, false);
}

// ---- replies ----

void ReplyStreamId(ReplySink& reply, StreamId id) {
  std::string text;
  id.AppendTo(&text);
  reply.Bulk(text);
}

void ReplyStreamEntry(ReplySink& reply, StreamId id, std::span<const std::string_view> fv) {
  reply.ArrayHeader(2);
  ReplyStreamId(reply, id);
  reply.ArrayHeader(fv.size());
  for (std::string_view v : fv) reply.Bulk(v);
}

void CollectStreamRange(const Stream& s, StreamId start, StreamId end, size_t count, bool reverse,
                        std::vector<StreamEntryView>* out) {
  Stream::Iterator it(s, start, end, reverse);
  StreamEntryView e;
  while ((count == 0 || out->size() < count) && it.Next(&e.id, &e.fv)) out->push_back(e);
}

void ReplyStreamEntries(ReplySink& reply, std::span<const StreamEntryView> entries) {
  reply.ArrayHeader(entries.size());
  for (const StreamEntryView& e : entries) ReplyStreamEntry(reply, e.id, e.fv);
}

// ---- keys ----

const Stream& StreamOf(const Entry* e) { return ObjectOf<Stream>(e); }
Stream& MutableStream(Entry* e) { return MutableObject<Stream>(e); }

void NoteStreamReady(Shard& s, int db, std::string_view key) {
  if (s.waiters > 0) ThreadReadyKeys().push_back({db, std::string(key)});
}

Entry* NewStreamEntry(std::string_view key, uint32_t hash) {
  return NewObjectEntry(key, hash, ValueType::kStream, new Stream());
}

// ---- XADD / XTRIM options ----

namespace {

constexpr std::string_view kMaxlenAndMinid =
    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
constexpr std::string_view kMaxlenNegative = "ERR The MAXLEN argument must be >= 0.";
constexpr std::string_view kLimitNegative = "ERR The LIMIT argument must be >= 0.";
constexpr std::string_view kLimitWithoutStrategy =
    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
constexpr std::string_view kXtrimWithoutStrategy =
    "ERR syntax error, XTRIM must be called with a trimming strategy";
constexpr std::string_view kLimitWithoutApprox =
    "ERR syntax error, LIMIT cannot be used without the special ~ option";

}  // namespace

std::string_view ParseStreamAddTrimArgs(ArgList args, bool xadd, StreamAddTrimArgs* out) {
  *out = StreamAddTrimArgs{};
  bool limit_given = false;
  int64_t limit = 0;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") break;
    bool maxlen = EqualsIgnoreCase(opt, "maxlen"), minid = EqualsIgnoreCase(opt, "minid");
    if ((maxlen || minid) && more > 0) {
      if (out->has_trim) return kMaxlenAndMinid;
      out->trim.approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        out->trim.approx = true;
        ++i;
      } else if (more >= 2 && next == "=") {
        ++i;
      }
      if (maxlen) {
        int64_t n;
        if (!String2ll(args[i + 1], &n)) return errors::kNotInteger;
        if (n < 0) return kMaxlenNegative;
        out->trim.by_minid = false;
        out->trim.maxlen = uint64_t(n);
      } else {
        if (!ParseStrictStreamId(args[i + 1], &out->trim.minid)) return stream_errors::kInvalidId;
        out->trim.by_minid = true;
      }
      ++i;
      out->has_trim = true;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!String2ll(args[i + 1], &limit)) return errors::kNotInteger;
      if (limit < 0) return kLimitNegative;
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      out->no_mkstream = true;
    } else if (xadd) {
      if (!ParseStrictStreamId(opt, &out->id, &out->seq_given)) return stream_errors::kInvalidId;
      out->id_given = true;
      break;
    } else {
      return errors::kSyntax;
    }
  }
  out->id_pos = i;
  if (limit != 0 && !out->has_trim) return kLimitWithoutStrategy;
  if (!xadd && !out->has_trim) return kXtrimWithoutStrategy;
  if (limit_given) {
    if (!out->trim.approx) return kLimitWithoutApprox;
    out->trim.limit = uint64_t(limit);
  } else if (out->trim.approx) {
    // At most 100 nodes' worth of entries per trim by default, kept within [1, 1000000].
    int64_t entries = Stream::node_max_entries();
    int64_t l = entries > 10000 ? 1000001 : 100 * entries;
    if (l <= 0) l = 10000;
    if (l > 1000000) l = 1000000;
    out->trim.limit = uint64_t(l);
  }
  return {};
}

namespace {

constexpr std::string_view kIdNotAboveTop =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
constexpr std::string_view kIdZero = "ERR The ID specified in XADD must be greater than 0-0";
constexpr std::string_view kExhausted =
    "ERR The stream has exhausted the last possible ID, unable to add more items";
constexpr std::string_view kTooLarge = "ERR Elements are too large to be stored";
constexpr std::string_view kXsetidTooSmall =
    "ERR The ID specified in XSETID is smaller than the target stream top item";
constexpr std::string_view kXsetidBelowMaxDeleted =
    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id";
constexpr std::string_view kEntriesAddedNegative = "ERR entries_added must be positive";
constexpr std::string_view kEntriesAddedTooSmall =
    "ERR The entries_added specified in XSETID is smaller than the target stream length";
constexpr std::string_view kXreadUnbalanced =
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
constexpr std::string_view kXreadGroupOption =
    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.";
constexpr std::string_view kXreadNoackOption =
    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.";
constexpr std::string_view kXreadGreaterId =
    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
    "<consumer> option.";

// Listpack's limit on one entry's total field and value bytes (Redis's STREAM_LISTPACK_MAX_SIZE).
constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 30;

// The disk tier's codec and the rest of the keyspace's hooks for streams.
const ObjectOps kStreamOps = {
    [](void* obj) { delete static_cast<Stream*>(obj); },
    [](const void* obj) -> void* { return new Stream(*static_cast<const Stream*>(obj)); },
    [](const void* obj) { return sizeof(Stream) + static_cast<const Stream*>(obj)->memory(); },
    [](const void* obj, std::string* out) { static_cast<const Stream*>(obj)->Encode(out); },
    [](std::string_view payload) -> void* { return Stream::Decode(payload); },
    // Freeing releases the object, its index and each node.
    [](const void* obj) { return 2 + static_cast<const Stream*>(obj)->node_count(); },
};

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [...]
void CmdXAdd(CommandContext& ctx, ArgList args) {
  StreamAddTrimArgs a;
  if (auto err = ParseStreamAddTrimArgs(args, true, &a); !err.empty()) return ctx.reply.Error(err);
  size_t field_pos = a.id_pos + 1;
  if (field_pos > args.size() || args.size() - field_pos < 2 || (args.size() - field_pos) % 2)
    return ctx.reply.Error("ERR wrong number of arguments for 'xadd' command");
  if (a.id_given && a.seq_given && a.id == StreamId::Min()) return ctx.reply.Error(kIdZero);
  StreamKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link && a.no_mkstream) return ctx.reply.Null();
  StreamId last = key.link ? key.stream().last_id() : StreamId{};
  if (last == StreamId::Max()) return ctx.reply.Error(kExhausted);
  // The new ID, as Redis's streamAppendItem picks it.
  StreamId id;
  if (!a.id_given) {
    auto now = uint64_t(Engine::NowMs());
    if (now > last.ms) {
      id = {now, 0};
    } else {
      id = last;
      id.Incr();
    }
  } else if (!a.seq_given) {
    if (a.id.ms == last.ms) {
      // The sequence after the last one; at its end Redis fails with ERANGE's message.
      if (last.seq == UINT64_MAX) return ctx.reply.Error(kTooLarge);
      id = {last.ms, last.seq + 1};
    } else {
      id = a.id;
    }
  } else {
    id = a.id;
  }
  if (!(last < id)) return ctx.reply.Error(kIdNotAboveTop);
  uint64_t total = 0;
  for (size_t i = field_pos; i < args.size(); ++i) total += args[i].size();
  if (total > kMaxEntryBytes) return ctx.reply.Error(kTooLarge);
  Shard& s = key.s;
  Entry** link = key.link;
  if (!link) {
    s.Insert(key.db, NewStreamEntry(key.k.key, key.k.hash));
    link = s.Find(key.db, key.k, Engine::NowMs());
  }
  uint64_t trimmed = 0;
  s.Update(key.db, link, [&](Entry* e) {
    Stream& st = MutableStream(e);
    st.Append(id, args.subspan(field_pos));
    if (a.has_trim) trimmed = st.TrimHead(a.trim);
    return e;
  });
  Notify(ctx, kNotifyStream, "xadd", args[1]);
  if (trimmed) Notify(ctx, kNotifyStream, "xtrim", args[1]);
  ReplyStreamId(ctx.reply, id);
  NoteStreamReady(s, key.db, key.k.key);
}

// XRANGE key start end [COUNT n], XREVRANGE key end start [COUNT n]
void RangeCommand(CommandContext& ctx, ArgList args, bool reverse) {
  std::string_view start_arg = reverse ? args[3] : args[2];
  std::string_view end_arg = reverse ? args[2] : args[3];
  StreamId start, end;
  bool start_ex, end_ex;
  if (!ParseIntervalStreamId(start_arg, &start, &start_ex, 0))
    return ctx.reply.Error(stream_errors::kInvalidId);
  if (start_ex && !start.Incr()) return ctx.reply.Error(stream_errors::kInvalidStartInterval);
  if (!ParseIntervalStreamId(end_arg, &end, &end_ex, UINT64_MAX))
    return ctx.reply.Error(stream_errors::kInvalidId);
  if (end_ex && !end.Decr()) return ctx.reply.Error(stream_errors::kInvalidEndInterval);
  int64_t count = -1;
  for (size_t j = 4; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "count") && j + 1 < args.size()) {
      if (!String2ll(args[j + 1], &count)) return ctx.reply.Error(errors::kNotInteger);
      if (count < 0) count = 0;
      ++j;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  StreamKey key(ctx, args[1], true);
  if (!key.link && !key.wrong_type) return ctx.reply.ArrayHeader(0);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (count == 0) return ctx.reply.NullArray();
  std::vector<StreamEntryView> entries;
  CollectStreamRange(key.stream(), start, end, count < 0 ? 0 : size_t(count), reverse, &entries);
  ReplyStreamEntries(ctx.reply, entries);
}

void CmdXRange(CommandContext& ctx, ArgList args) { RangeCommand(ctx, args, false); }
void CmdXRevRange(CommandContext& ctx, ArgList args) { RangeCommand(ctx, args, true); }

// XLEN key
void CmdXLen(CommandContext& ctx, ArgList args) {
  StreamKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  ctx.reply.Integer(int64_t(key.stream().length()));
}

// XDEL key id [id ...]: the key's type first, then every ID, then the deletions.
void CmdXDel(CommandContext& ctx, ArgList args) {
  StreamKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  std::vector<StreamId> ids(args.size() - 2);
  for (size_t j = 2; j < args.size(); ++j) {
    if (!ParseStrictStreamId(args[j], &ids[j - 2]))
      return ctx.reply.Error(stream_errors::kInvalidId);
  }
  // Nothing to delete leaves the value (and its clean copy on disk) alone.
  std::vector<std::string_view> scratch;
  bool any = false;
  for (StreamId id : ids) any = any || key.stream().Get(id, &scratch);
  if (!any) return ctx.reply.Integer(0);
  int64_t deleted = 0;
  key.s.Update(key.db, key.link, [&](Entry* e) {
    Stream& st = MutableStream(e);
    for (StreamId id : ids) deleted += st.Delete(id) ? 1 : 0;
    return e;
  });
  Notify(ctx, kNotifyStream, "xdel", args[1]);
  ctx.reply.Integer(deleted);
}

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
void CmdXTrim(CommandContext& ctx, ArgList args) {
  StreamAddTrimArgs a;
  if (auto err = ParseStreamAddTrimArgs(args, false, &a); !err.empty()) return ctx.reply.Error(err);
  StreamKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Integer(0);
  uint64_t removed = 0;
  key.s.Update(
      key.db, key.link,
      [&](Entry* e) {
        removed = MutableStream(e).TrimHead(a.trim);
        return e;
      },
      /*touch_watch=*/false);
  if (removed) key.s.SignalModified(key.db, args[1]);
  if (removed) Notify(ctx, kNotifyStream, "xtrim", args[1]);
  ctx.reply.Integer(int64_t(removed));
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void CmdXSetId(CommandContext& ctx, ArgList args) {
  StreamId id, max_deleted;
  int64_t entries_added = -1;
  if (!ParseStrictStreamId(args[2], &id)) return ctx.reply.Error(stream_errors::kInvalidId);
  for (size_t i = 3; i < args.size();) {
    size_t more = args.size() - 1 - i;
    if (EqualsIgnoreCase(args[i], "entriesadded") && more > 0) {
      if (!String2ll(args[i + 1], &entries_added)) return ctx.reply.Error(errors::kNotInteger);
      if (entries_added < 0) return ctx.reply.Error(kEntriesAddedNegative);
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "maxdeletedid") && more > 0) {
      if (!ParseStrictStreamId(args[i + 1], &max_deleted))
        return ctx.reply.Error(stream_errors::kInvalidId);
      if (id < max_deleted) return ctx.reply.Error(kXsetidBelowMaxDeleted);
      i += 2;
    } else {
      return ctx.reply.Error(errors::kSyntax);
    }
  }
  StreamKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Error(errors::kNoSuchKey);
  const Stream& cur = key.stream();
  if (cur.length() > 0) {
    if (id < cur.last_entry_id()) return ctx.reply.Error(kXsetidTooSmall);
    if (entries_added != -1 && cur.length() > uint64_t(entries_added))
      return ctx.reply.Error(kEntriesAddedTooSmall);
  }
  // Redis 7.0 tells no watcher of XSETID (it signals only XADD, XDEL, XTRIM and the stream
  // XGROUP CREATE MKSTREAM makes).
  key.s.Update(
      key.db, key.link,
      [&](Entry* e) {
        Stream& st = MutableStream(e);
        st.set_last_id(id);
        if (entries_added != -1) st.set_entries_added(uint64_t(entries_added));
        if (max_deleted != StreamId::Min()) st.set_max_deleted_id(max_deleted);
        return e;
      },
      /*touch_watch=*/false);
  Notify(ctx, kNotifyStream, "xsetid", args[1]);
  ctx.reply.Ok();
}

// ---- XREAD ----

struct XReadArgs {
  int64_t count = 0;        // 0: no limit
  int64_t deadline_ms = 0;  // with block: 0 waits forever
  bool block = false;
  size_t streams_at = 0;  // first key
  size_t nkeys = 0;
};

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]: the options as
// Redis's xreadCommand reads them. Returns the error to reply, or an empty view.
std::string_view ParseXRead(ArgList args, XReadArgs* out) {
  for (size_t i = 1; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view o = args[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      ++i;
      // Milliseconds, as Redis's getTimeoutFromObjectOrReply with UNIT_MILLISECONDS: an
      // integer (a float is not accepted), negative is an error.
      int64_t ms;
      if (!String2ll(args[i], &ms)) return "ERR timeout is not an integer or out of range";
      if (ms < 0) return errors::kTimeoutNegative;
      out->block = true;
      int64_t now = Engine::NowMs();
      out->deadline_ms = ms == 0 ? 0 : (ms > INT64_MAX - now ? INT64_MAX : now + ms);
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      ++i;
      if (!String2ll(args[i], &out->count)) return errors::kNotInteger;
      if (out->count < 0) out->count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      out->streams_at = i + 1;
      size_t n = args.size() - out->streams_at;
      if (n % 2 != 0) return kXreadUnbalanced;
      out->nkeys = n / 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      return kXreadGroupOption;
    } else if (EqualsIgnoreCase(o, "noack")) {
      return kXreadNoackOption;
    } else {
      return errors::kSyntax;
    }
  }
  if (out->streams_at == 0) return errors::kSyntax;
  return {};
}

}  // namespace

void ReplyStreamsHeader(ReplySink& reply, size_t n) {
  if (reply.protocol() >= 3) {
    reply.MapHeader(n);
  } else {
    reply.ArrayHeader(n);
  }
}

void ReplyStreamKey(ReplySink& reply, std::string_view key) {
  if (reply.protocol() < 3) reply.ArrayHeader(2);
  reply.Bulk(key);
}

void AppendBlockedStreamEntries(std::span<const StreamEntryView> entries,
                                std::vector<std::string>* result) {
  for (const StreamEntryView& e : entries) {
    result->push_back(e.id.ToString());
    result->push_back(std::to_string(e.fv.size()));
    result->insert(result->end(), e.fv.begin(), e.fv.end());
  }
}

void ReplyBlockedStreamRead(const BlockedClient& bc, ReplySink& reply) {
  ReplyStreamsHeader(reply, 1);
  ReplyStreamKey(reply, bc.result[0]);
  size_t n = 0;
  for (size_t i = 1; i < bc.result.size(); i += 2 + std::stoull(bc.result[i + 1])) ++n;
  reply.ArrayHeader(n);
  for (size_t i = 1; i < bc.result.size();) {
    size_t nfv = std::stoull(bc.result[i + 1]);
    reply.ArrayHeader(2);
    reply.Bulk(bc.result[i]);
    reply.ArrayHeader(nfv);
    for (size_t j = 0; j < nfv; ++j) reply.Bulk(bc.result[i + 2 + j]);
    i += 2 + nfv;
  }
}

namespace {

// What one key of XREAD gives: entries after `after`.
struct XReadResult {
  std::string key;
  std::vector<StreamEntryView> entries;
};

// XREAD's reply: RESP2 [[key, entries], ...], RESP3 {key: entries, ...}.
void ReplyXRead(ReplySink& reply, std::span<const XReadResult> results) {
  ReplyStreamsHeader(reply, results.size());
  for (const XReadResult& r : results) {
    ReplyStreamKey(reply, r.key);
    ReplyStreamEntries(reply, r.entries);
  }
}

// Blocked XREAD (engine/blocking.h): bc.params holds, per key of bc.keys, the ID after which
// it reads ("$" resolved when it blocked). Like Redis, a waiter is served from a key once the
// stream's last ID passes its ID, with the entries after it (maybe none, if they are already
// gone), at most bc.count of them. bc.result: the key, then the entries' IDs and fields/values,
// each entry as [id, number of strings, strings...].
StreamId XReadAfter(const BlockedClient& bc, const KeyRef& k) {
  StreamId after;
  for (size_t i = 0; i < bc.keys.size(); ++i) {
    if (bc.keys[i] == k.key) {
      (void)ParseStrictStreamId(bc.params[i], &after);
      break;
    }
  }
  return after;
}

Entry* StreamEntryAt(Engine& engine, const BlockedClient& bc, const KeyRef& k) {
  Entry** link = engine.keyspace().shard(k).Find(bc.db, k, Engine::NowMs());
  return link ? *link : nullptr;
}

// Like Redis, a key that is gone or holds another type keeps an XREAD waiting.
bool XReadReady(Engine& engine, const BlockedClient& bc, const KeyRef& k) {
  Entry* e = StreamEntryAt(engine, bc, k);
  return e && e->type == ValueType::kStream && XReadAfter(bc, k) < StreamOf(e).last_id();
}

void ServeXRead(Engine& engine, BlockedClient& bc, const KeyRef& k) {
  const Stream& st = StreamOf(StreamEntryAt(engine, bc, k));
  StreamId start = XReadAfter(bc, k);
  start.Incr();
  std::vector<StreamEntryView> entries;
  CollectStreamRange(st, start, StreamId::Max(), size_t(bc.count), false, &entries);
  bc.result.emplace_back(k.key);
  AppendBlockedStreamEntries(entries, &bc.result);
}

void CmdXRead(CommandContext& ctx, ArgList args) {
  XReadArgs a;
  if (auto err = ParseXRead(args, &a); !err.empty()) return ctx.reply.Error(err);
  Keyspace& ks = ctx.engine.keyspace();
  int db = Db(ctx);
  std::vector<KeyRef> refs;
  for (size_t i = 0; i < a.nkeys; ++i) refs.emplace_back(args[a.streams_at + i]);
  auto guard = ks.LockKeys(refs);
  int64_t now = Engine::NowMs();
  uint32_t lru = ks.lru_clock();
  // Each key's type, then its ID ("$": the stream's last ID now), in order.
  std::vector<StreamId> after(a.nkeys);
  for (size_t i = 0; i < a.nkeys; ++i) {
    Shard& s = ks.shard(refs[i]);
    Entry** link = s.Lookup(db, refs[i], now, lru);
    if (link && (*link)->type != ValueType::kStream) return ctx.reply.Error(errors::kWrongType);
    std::string_view id_arg = args[a.streams_at + a.nkeys + i];
    if (id_arg == "$") {
      after[i] = link ? StreamOf(*link).last_id() : StreamId{};
    } else if (id_arg == ">") {
      return ctx.reply.Error(kXreadGreaterId);
    } else if (!ParseStrictStreamId(id_arg, &after[i])) {
      return ctx.reply.Error(stream_errors::kInvalidId);
    }
  }
  std::vector<XReadResult> results;
  for (size_t i = 0; i < a.nkeys; ++i) {
    Shard& s = ks.shard(refs[i]);
    Entry** link = s.Find(db, refs[i], now);
    if (!link) continue;
    const Stream& st = StreamOf(*link);
    if (st.length() == 0 || !(after[i] < st.last_entry_id())) continue;
    StreamId start = after[i];
    start.Incr();
    XReadResult r{std::string(refs[i].key), {}};
    CollectStreamRange(st, start, StreamId::Max(), size_t(a.count), false, &r.entries);
    results.push_back(std::move(r));
  }
  if (!results.empty()) return ReplyXRead(ctx.reply, results);
  if (!a.block) return ctx.reply.NullArray();
  auto bc = std::make_shared<BlockedClient>();
  bc->type = ValueType::kStream;
  for (size_t i = 0; i < a.nkeys; ++i) {
    std::string key(refs[i].key);
    // A key named twice waits once, after the first of its IDs (Redis keeps the first too).
    if (std::find(bc->keys.begin(), bc->keys.end(), key) != bc->keys.end()) continue;
    bc->keys.push_back(std::move(key));
    bc->params.push_back(after[i].ToString());
  }
  // Without COUNT a blocked XREAD is served at most 1000 entries per key (Redis's
  // XREAD_BLOCKED_DEFAULT_COUNT).
  bc->count = a.count ? a.count : 1000;
  bc->deadline_ms = a.deadline_ms;
  bc->serve = ServeXRead;
  bc->reply = ReplyBlockedStreamRead;
  bc->timeout_reply = ReplyNullArray;
  bc->ready = XReadReady;
  BlockClient(ctx, args, std::move(bc));
}

}  // namespace

void RegisterStreamFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kStream, &kStreamOps);
  constexpr uint32_t kW = kCmdWrite, kWD = kCmdWrite | kCmdDenyOom, kRO = kCmdReadonly,
                     kF = kCmdFast;
  r.Register(CommandSpec("xadd", -5, kWD | kF, 1, 1, 1, CmdXAdd));
  r.Register(CommandSpec("xrange", -4, kRO, 1, 1, 1, CmdXRange));
  r.Register(CommandSpec("xrevrange", -4, kRO, 1, 1, 1, CmdXRevRange));
  r.Register(CommandSpec("xlen", 2, kRO | kF, 1, 1, 1, CmdXLen));
  r.Register(CommandSpec("xdel", -3, kW | kF, 1, 1, 1, CmdXDel));
  r.Register(CommandSpec("xtrim", -4, kW, 1, 1, 1, CmdXTrim));
  r.Register(CommandSpec("xsetid", -3, kWD | kF, 1, 1, 1, CmdXSetId));
  CommandSpec xread("xread", -4, kRO | kCmdBlocking | kCmdMovableKeys, 0, 0, 0, CmdXRead);
  xread.streams_keys = true;
  r.Register(std::move(xread));
}

}  // namespace aegisr
