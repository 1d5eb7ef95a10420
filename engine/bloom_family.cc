// The bloom filter command family, RedisBloom 2.x semantics and replies (src/rebloom.c of its
// 2.8 branch): BF.RESERVE BF.ADD BF.MADD BF.INSERT BF.EXISTS BF.MEXISTS BF.CARD BF.INFO. A
// filter is a BloomChain (engine/types/bloom.h), value type kBloom, which TYPE names
// "MBbloom--" as RedisBloom's module type is named.
//
// These were module commands in Redis, and they keep a module's manners, which clients see:
// - the table rows have arity -1 and each handler checks its own argument count, replying
//   "ERR wrong number of arguments for '<name as sent>' command" (RedisModule_WrongArity quotes
//   argv[0] as the client wrote it; Redis's own check prints the lower-case name);
// - some errors carry no "ERR" prefix ("Bad error rate", "Nonscaling filters cannot expand",
//   "Invalid information value"), because RedisModule_ReplyWithError sends the text as given;
// - BF.RESERVE finds NONSCALING and EXPANSION anywhere on the line (RMUtil_ArgIndex searches
//   from the command name on), so a key named "expansion" takes part; BF.INSERT reads its
//   options by their first letter ("i..." starts the items, "noc..." is NOCREATE, any other
//   "n..." NONSCALING, "er..." ERROR, any other "e..." EXPANSION, "c..." CAPACITY);
// - BF.EXISTS and BF.MEXISTS answer 0 for a key of another type, as for a missing one
//   (RedisBloom's check treats every lookup failure as empty); every other command replies
//   WRONGTYPE there, and every other family replies WRONGTYPE on a bloom key.
// - EXPANSION is kept as RedisBloom's unsigned 32-bit growth, truncated as its cast truncates.
// Handlers change a chain only inside Shard::Update, dropping a clean copy on disk just before
// the first bit changes, so memory accounting and the disk tier stay right.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/family.h"
#include "engine/key_family.h"
#include "engine/keyspace/entry.h"
#include "engine/types/bloom.h"

namespace aegisr {
namespace {

using bloom::AddResult;
using bloom::BloomChain;

// RedisBloom's defaults (BFDefaultErrorRate, BFDefaultInitCapacity, BF_DEFAULT_EXPANSION).
constexpr double kDefaultErrorRate = 0.01;
constexpr int64_t kDefaultCapacity = 100;
constexpr int64_t kDefaultExpansion = 2;

constexpr std::string_view kNotFound = "ERR not found";
constexpr std::string_view kItemExists = "ERR item exists";
constexpr std::string_view kBadErrorRate = "ERR bad error rate";
constexpr std::string_view kErrorRateRange = "ERR (0 < error rate range < 1) ";  // sic: the space
constexpr std::string_view kBadCapacity = "ERR bad capacity";
constexpr std::string_view kCapacityRange = "ERR (capacity should be larger than 0)";
constexpr std::string_view kNoExpansion = "ERR no expansion";
constexpr std::string_view kNonScalingCannotExpand = "Nonscaling filters cannot expand";
constexpr std::string_view kBadExpansion = "ERR bad expansion";
constexpr std::string_view kExpansionRange = "ERR expansion should be greater or equal to 1";
constexpr std::string_view kCouldNotCreate = "ERR could not create filter";
constexpr std::string_view kNoMemory = "ERR Insufficient memory to create filter";
constexpr std::string_view kFull = "ERR non scaling filter is full";
constexpr std::string_view kProblemInserting = "ERR problem inserting into filter";
constexpr std::string_view kInsertBadErrorRate = "Bad error rate";
constexpr std::string_view kInsertBadExpansion = "Bad expansion";
constexpr std::string_view kInsertBadCapacity = "Bad capacity";
constexpr std::string_view kInsertUnknownArgument = "Unknown argument received";
constexpr std::string_view kInsertBadArgument = "Bad argument received";
constexpr std::string_view kInvalidInfo = "Invalid information value";

void WrongArity(CommandContext& ctx, ArgList args) {
  ctx.reply.Error("ERR wrong number of arguments for '" + std::string(args[0]) + "' command");
}

const ObjectOps kBloomOps = {
    [](void* obj) { delete static_cast<BloomChain*>(obj); },
    [](const void* obj) -> void* { return new BloomChain(*static_cast<const BloomChain*>(obj)); },
    [](const void* obj) { return static_cast<const BloomChain*>(obj)->MemoryBytes(); },
    [](const void* obj, std::string* out) { static_cast<const BloomChain*>(obj)->Encode(out); },
    [](std::string_view payload) -> void* { return BloomChain::Decode(payload).release(); },
    // One allocation per link and the chain itself, and the pages of the large bit arrays
    // (unmapping them costs by the page): a filter of 4 MB and more is freed in the background.
    [](const void* obj) {
      const auto* c = static_cast<const BloomChain*>(obj);
      return c->filter_count() + 1 + c->MemoryBytes() / 65536;
    },
};

// One bloom key of a command, found under its shard's lock (engine/family.h).
struct BloomKey : TypedKey {
  BloomKey(CommandContext& ctx, std::string_view name, bool read)
      : TypedKey(ctx, name, ValueType::kBloom, read) {}
  const BloomChain& chain() const { return ObjectOf<BloomChain>(*link); }
};

// Creates the chain for key (absent) and links it in; false after replying an error.
bool CreateChain(CommandContext& ctx, BloomKey& key, int64_t capacity, double error,
                 int64_t expansion, bool nonscaling) {
  BloomChain::CreateError err;
  std::unique_ptr<BloomChain> c = BloomChain::Create(
      uint64_t(capacity), error, uint32_t(uint64_t(expansion)), nonscaling, &err);
  if (!c) {
    ctx.reply.Error(err == BloomChain::CreateError::kNoMemory ? kNoMemory : kCouldNotCreate);
    return false;
  }
  key.s.Insert(key.db, NewObjectEntry(key.k.key, key.k.hash, ValueType::kBloom, c.release()));
  key.link = key.s.Find(key.db, key.k, Engine::NowMs());
  return true;
}

// The index of the first argument equal to word (case-insensitive), searching from the command
// name on as RMUtil_ArgIndex does; -1 if none.
int64_t ArgIndex(ArgList args, std::string_view word) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], word)) return int64_t(i);
  }
  return -1;
}

// BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]
void CmdBfReserve(CommandContext& ctx, ArgList args) {
  if (args.size() < 4 || args.size() > 7) return WrongArity(ctx, args);
  double error;
  if (!String2d(args[2], &error)) return ctx.reply.Error(kBadErrorRate);
  if (error >= 1 || error <= 0) return ctx.reply.Error(kErrorRateRange);
  int64_t capacity;
  if (!String2ll(args[3], &capacity)) return ctx.reply.Error(kBadCapacity);
  if (capacity <= 0) return ctx.reply.Error(kCapacityRange);
  bool nonscaling = ArgIndex(args, "NONSCALING") != -1;
  int64_t expansion = kDefaultExpansion;
  int64_t at = ArgIndex(args, "EXPANSION");
  if (at + 1 == int64_t(args.size())) return ctx.reply.Error(kNoExpansion);
  if (at != -1) {
    if (nonscaling) return ctx.reply.Error(kNonScalingCannotExpand);
    if (!String2ll(args[size_t(at) + 1], &expansion)) return ctx.reply.Error(kBadExpansion);
    if (expansion < 1) return ctx.reply.Error(kExpansionRange);
  }
  BloomKey key(ctx, args[1], false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (key.link) return ctx.reply.Error(kItemExists);
  if (!CreateChain(ctx, key, capacity, error, expansion, nonscaling)) return;
  ctx.reply.Ok();
}

struct InsertOptions {
  int64_t capacity = kDefaultCapacity;
  double error = kDefaultErrorRate;
  int64_t expansion = kDefaultExpansion;
  bool autocreate = true;
  bool nonscaling = false;
};

// Adds items to the chain at key (creating it if allowed) and replies: one boolean for BF.ADD,
// an array of them for BF.MADD and BF.INSERT. A full non-scaling chain ends the array with an
// error element, as RedisBloom stops there.
void InsertItems(CommandContext& ctx, std::string_view name,
                 std::span<const std::string_view> items, const InsertOptions& opt, bool multi) {
  BloomKey key(ctx, name, false);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) {
    if (!opt.autocreate) return ctx.reply.Error(kNotFound);
    if (!CreateChain(ctx, key, opt.capacity, opt.error, opt.expansion, opt.nonscaling)) return;
  }
  thread_local std::vector<AddResult> results;
  results.clear();
  key.s.Update(key.db, key.link, [&](Entry* e) {
    auto* chain = static_cast<BloomChain*>(e->object());
    bool dropped = false;
    for (std::string_view item : items) {
      bloom::Hash h = bloom::HashItem(item);
      AddResult r = AddResult::kExists;
      if (!chain->Contains(h)) {
        if (!dropped) DropCleanCopy(e), dropped = true;
        r = chain->AddNew(h);
      }
      results.push_back(r);
      if (r == AddResult::kFull) break;
    }
    return e;
  });
  if (multi) ctx.reply.ArrayHeader(results.size());
  for (AddResult r : results) {
    switch (r) {
      case AddResult::kAdded:
      case AddResult::kExists:
        ctx.reply.Bool(r == AddResult::kAdded);
        break;
      case AddResult::kFull:
        ctx.reply.Error(kFull);
        break;
      case AddResult::kNoLink:
        ctx.reply.Error(kProblemInserting);
        break;
    }
  }
}

// BF.ADD key item
void CmdBfAdd(CommandContext& ctx, ArgList args) {
  if (args.size() != 3) return WrongArity(ctx, args);
  InsertItems(ctx, args[1], args.subspan(2), InsertOptions{}, false);
}

// BF.MADD key item [item ...]
void CmdBfMAdd(CommandContext& ctx, ArgList args) {
  if (args.size() < 3) return WrongArity(ctx, args);
  InsertItems(ctx, args[1], args.subspan(2), InsertOptions{}, true);
}

// The byte at i of s, lower-cased, or 0 past its end (where RedisBloom reads the terminator).
char LowerAt(std::string_view s, size_t i) {
  char c = i < s.size() ? s[i] : '\0';
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// BF.INSERT key [CAPACITY capacity] [ERROR error] [EXPANSION expansion] [NOCREATE]
//   [NONSCALING] ITEMS item [item ...]
void CmdBfInsert(CommandContext& ctx, ArgList args) {
  if (args.size() < 4) return WrongArity(ctx, args);
  InsertOptions opt;
  size_t pos = 2, items_at = 0;
  while (pos < args.size() && items_at == 0) {
    std::string_view word = args[pos];
    switch (LowerAt(word, 0)) {
      case 'i':
        items_at = ++pos;
        break;
      case 'e':
        if (++pos == args.size()) return WrongArity(ctx, args);
        if (LowerAt(word, 1) == 'r') {
          if (!String2d(args[pos++], &opt.error)) return ctx.reply.Error(kInsertBadErrorRate);
        } else if (!String2ll(args[pos++], &opt.expansion)) {
          return ctx.reply.Error(kInsertBadExpansion);
        }
        break;
      case 'c':
        if (++pos == args.size()) return WrongArity(ctx, args);
        if (!String2ll(args[pos++], &opt.capacity)) return ctx.reply.Error(kInsertBadCapacity);
        break;
      case 'n':
        if (LowerAt(word, 2) == 'c')
          opt.autocreate = false;
        else
          opt.nonscaling = true;
        ++pos;
        break;
      default:
        return ctx.reply.Error(kInsertUnknownArgument);
    }
  }
  if (items_at == 0 || items_at == args.size()) return WrongArity(ctx, args);
  // The negated comparison refuses a NaN rate as well (String2d never yields one).
  if (!(opt.error > 0) || opt.error >= 1 || opt.capacity < 1 || opt.expansion < 1)
    return ctx.reply.Error(kInsertBadArgument);
  InsertItems(ctx, args[1], args.subspan(items_at), opt, true);
}

// BF.EXISTS key item, BF.MEXISTS key item [item ...]
void Exists(CommandContext& ctx, ArgList args, bool multi) {
  BloomKey key(ctx, args[1], true);
  const BloomChain* chain = key.link ? &key.chain() : nullptr;
  if (multi) ctx.reply.ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) ctx.reply.Bool(chain && chain->Contains(args[i]));
}

void CmdBfExists(CommandContext& ctx, ArgList args) {
  if (args.size() != 3) return WrongArity(ctx, args);
  Exists(ctx, args, false);
}

void CmdBfMExists(CommandContext& ctx, ArgList args) {
  if (args.size() < 3) return WrongArity(ctx, args);
  Exists(ctx, args, true);
}

// BF.CARD key
void CmdBfCard(CommandContext& ctx, ArgList args) {
  if (args.size() != 2) return WrongArity(ctx, args);
  BloomKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  ctx.reply.Integer(key.link ? int64_t(key.chain().size()) : 0);
}

// BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]
void CmdBfInfo(CommandContext& ctx, ArgList args) {
  if (args.size() != 2 && args.size() != 3) return WrongArity(ctx, args);
  BloomKey key(ctx, args[1], true);
  if (key.wrong_type) return ctx.reply.Error(errors::kWrongType);
  if (!key.link) return ctx.reply.Error(kNotFound);
  const BloomChain& c = key.chain();
  struct Field {
    std::string_view word, title;
  };
  static constexpr Field kFields[] = {{"capacity", "Capacity"},
                                      {"size", "Size"},
                                      {"filters", "Number of filters"},
                                      {"items", "Number of items inserted"},
                                      {"expansion", "Expansion rate"}};
  auto value = [&](size_t i) {
    switch (i) {
      case 0:
        return ctx.reply.Integer(int64_t(c.capacity()));
      case 1:
        return ctx.reply.Integer(int64_t(c.ReportedBytes()));
      case 2:
        return ctx.reply.Integer(int64_t(c.filter_count()));
      case 3:
        return ctx.reply.Integer(int64_t(c.size()));
      default:
        return c.nonscaling() ? ctx.reply.Null() : ctx.reply.Integer(c.expansion());
    }
  };
  if (args.size() == 3) {
    for (size_t i = 0; i < std::size(kFields); ++i) {
      if (!EqualsIgnoreCase(args[2], kFields[i].word)) continue;
      // RESP3: a map of one field; RESP2: the bare value in an array of one.
      if (ctx.reply.protocol() == 3) {
        ctx.reply.MapHeader(1);
        ctx.reply.SimpleString(kFields[i].title);
      } else {
        ctx.reply.ArrayHeader(1);
      }
      return value(i);
    }
    return ctx.reply.Error(kInvalidInfo);
  }
  ctx.reply.MapHeader(std::size(kFields));
  for (size_t i = 0; i < std::size(kFields); ++i) {
    ctx.reply.SimpleString(kFields[i].title);
    value(i);
  }
}

}  // namespace

void RegisterBloomFamily(CommandRegistry& r) {
  SetObjectOps(ValueType::kBloom, &kBloomOps);
  SetEncodingNamer(ValueType::kBloom, [](const Entry&) { return std::string_view("raw"); });
  // RedisBloom's flags: "write deny-oom" and "readonly fast"; module arity -1, key 1.
  constexpr uint32_t kWD = kCmdWrite | kCmdDenyOom, kRF = kCmdReadonly | kCmdFast;
  r.Register(CommandSpec("bf.reserve", -1, kWD, 1, 1, 1, CmdBfReserve));
  r.Register(CommandSpec("bf.add", -1, kWD, 1, 1, 1, CmdBfAdd));
  r.Register(CommandSpec("bf.madd", -1, kWD, 1, 1, 1, CmdBfMAdd));
  r.Register(CommandSpec("bf.insert", -1, kWD, 1, 1, 1, CmdBfInsert));
  r.Register(CommandSpec("bf.exists", -1, kRF, 1, 1, 1, CmdBfExists));
  r.Register(CommandSpec("bf.mexists", -1, kRF, 1, 1, 1, CmdBfMExists));
  r.Register(CommandSpec("bf.card", -1, kRF, 1, 1, 1, CmdBfCard));
  r.Register(CommandSpec("bf.info", -1, kRF, 1, 1, 1, CmdBfInfo));
}

}  // namespace aegisr
