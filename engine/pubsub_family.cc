// The pub/sub command family: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE
// SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP).
// Handlers run on the subscriber's loop thread; the registry (engine/pubsub.h) is thread-safe and
// the messages reach subscribers on other threads through net/'s mailboxes.
//
// Replies follow Redis 7.0: one (s|p)(un)subscribe confirmation per channel with the running
// count (channels + patterns for SUBSCRIBE and PSUBSCRIBE, shard channels alone for
// SSUBSCRIBE), as push messages in RESP3; an unsubscribe with no arguments from nothing
// answers with a null channel. A RESP2 client with any subscription is in subscriber mode
// (Engine::Dispatch refuses the other commands; PING answers ["pong", message]).

#include <string>
#include <vector>

#include "engine/client.h"
#include "engine/command.h"
#include "engine/engine.h"
#include "engine/notify.h"
#include "engine/pubsub.h"

namespace aegisr {
namespace {

enum class SubKind { kChannel, kPattern, kShard };

uint32_t RunningCount(const ClientState& c, SubKind kind) {
  if (kind == SubKind::kShard) return c.ssubs.load(std::memory_order_relaxed);
  return c.subs.load(std::memory_order_relaxed) + c.psubs.load(std::memory_order_relaxed);
}

std::atomic<uint32_t>& Counter(ClientState& c, SubKind kind) {
  switch (kind) {
    case SubKind::kChannel:
      return c.subs;
    case SubKind::kPattern:
      return c.psubs;
    case SubKind::kShard:
      break;
  }
  return c.ssubs;
}

void Confirm(CommandContext& ctx, std::string_view what, const std::string_view* channel,
             SubKind kind) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(what);
  ctx.reply.BulkOrNull(channel);
  ctx.reply.Integer(RunningCount(ctx.client, kind));
}

void Subscribe(CommandContext& ctx, ArgList args, SubKind kind, std::string_view what) {
  PubSub& ps = ctx.engine.pubsub();
  PubSub::Client who{ctx.client.id, ctx.client.thread, ctx.client.outlet};
  for (size_t i = 1; i < args.size(); ++i) {
    bool added = kind == SubKind::kChannel   ? ps.Subscribe(who, args[i])
                 : kind == SubKind::kPattern ? ps.PSubscribe(who, args[i])
                                             : ps.SSubscribe(who, args[i]);
    if (added) {
      std::atomic<uint32_t>& n = Counter(ctx.client, kind);
      n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    Confirm(ctx, what, &args[i], kind);
  }
}

bool Remove(PubSub& ps, uint64_t id, SubKind kind, std::string_view name) {
  switch (kind) {
    case SubKind::kChannel:
      return ps.Unsubscribe(id, name);
    case SubKind::kPattern:
      return ps.PUnsubscribe(id, name);
    case SubKind::kShard:
      break;
  }
  return ps.SUnsubscribe(id, name);
}

void Unsubscribe(CommandContext& ctx, ArgList args, SubKind kind, std::string_view what) {
  PubSub& ps = ctx.engine.pubsub();
  uint64_t id = ctx.client.id;
  auto one = [&](std::string_view name) {
    if (Remove(ps, id, kind, name)) {
      std::atomic<uint32_t>& n = Counter(ctx.client, kind);
      n.store(n.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      // Messages counted before the removal go out ahead of its confirmation, as in Redis (in
      // RESP2 a message after the last confirmation would be read as a command's reply).
      ps.DeliverPendingHere();
    }
    Confirm(ctx, what, &name, kind);
  };
  if (args.size() > 1) {
    for (size_t i = 1; i < args.size(); ++i) one(args[i]);
    return;
  }
  std::vector<std::string> all = kind == SubKind::kChannel   ? ps.ClientChannels(id)
                                 : kind == SubKind::kPattern ? ps.ClientPatterns(id)
                                                             : ps.ClientShardChannels(id);
  if (all.empty()) return Confirm(ctx, what, nullptr, kind);
  for (const std::string& name : all) one(name);
}

// SUBSCRIBE channel [channel ...]
void CmdSubscribe(CommandContext& ctx, ArgList args) {
  Subscribe(ctx, args, SubKind::kChannel, "subscribe");
}
// UNSUBSCRIBE [channel ...]
void CmdUnsubscribe(CommandContext& ctx, ArgList args) {
  Unsubscribe(ctx, args, SubKind::kChannel, "unsubscribe");
}
// PSUBSCRIBE pattern [pattern ...]
void CmdPSubscribe(CommandContext& ctx, ArgList args) {
  Subscribe(ctx, args, SubKind::kPattern, "psubscribe");
}
// PUNSUBSCRIBE [pattern ...]
void CmdPUnsubscribe(CommandContext& ctx, ArgList args) {
  Unsubscribe(ctx, args, SubKind::kPattern, "punsubscribe");
}
// SSUBSCRIBE shardchannel [shardchannel ...]
void CmdSSubscribe(CommandContext& ctx, ArgList args) {
  Subscribe(ctx, args, SubKind::kShard, "ssubscribe");
}
// SUNSUBSCRIBE [shardchannel ...]
void CmdSUnsubscribe(CommandContext& ctx, ArgList args) {
  Unsubscribe(ctx, args, SubKind::kShard, "sunsubscribe");
}

// PUBLISH channel message
void CmdPublish(CommandContext& ctx, ArgList args) {
  ctx.reply.Integer(int64_t(ctx.engine.pubsub().Publish(args[1], args[2])));
  NoteBusMessage(ctx.engine, args[1], args[2]);  // the event bus records chosen channels
}
// SPUBLISH shardchannel message
void CmdSPublish(CommandContext& ctx, ArgList args) {
  ctx.reply.Integer(int64_t(ctx.engine.pubsub().SPublish(args[1], args[2])));
  NoteBusMessage(ctx.engine, args[1], args[2]);
}

void SubcommandSyntaxError(CommandContext& ctx, std::string_view sub) {
  std::string msg = "ERR unknown subcommand or wrong number of arguments for '";
  msg.append(sub.substr(0, 128));
  msg += "'. Try PUBSUB HELP.";
  ctx.reply.Error(msg);
}

void ReplyNames(CommandContext& ctx, const std::vector<std::string>& names) {
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& n : names) ctx.reply.Bulk(n);
}

// PUBSUB CHANNELS [pattern]
void CmdPubsubChannels(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return SubcommandSyntaxError(ctx, args[1]);
  bool has = args.size() == 3;
  ReplyNames(ctx, ctx.engine.pubsub().Channels(has ? args[2] : std::string_view(), has));
}
// PUBSUB SHARDCHANNELS [pattern]
void CmdPubsubShardChannels(CommandContext& ctx, ArgList args) {
  if (args.size() > 3) return SubcommandSyntaxError(ctx, args[1]);
  bool has = args.size() == 3;
  ReplyNames(ctx, ctx.engine.pubsub().ShardChannels(has ? args[2] : std::string_view(), has));
}
// PUBSUB NUMSUB [channel ...]
void CmdPubsubNumSub(CommandContext& ctx, ArgList args) {
  ctx.reply.ArrayHeader((args.size() - 2) * 2);
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.reply.Bulk(args[i]);
    ctx.reply.Integer(int64_t(ctx.engine.pubsub().NumSub(args[i])));
  }
}
// PUBSUB SHARDNUMSUB [shardchannel ...]
void CmdPubsubShardNumSub(CommandContext& ctx, ArgList args) {
  ctx.reply.ArrayHeader((args.size() - 2) * 2);
  for (size_t i = 2; i < args.size(); ++i) {
    ctx.reply.Bulk(args[i]);
    ctx.reply.Integer(int64_t(ctx.engine.pubsub().ShardNumSub(args[i])));
  }
}
// PUBSUB NUMPAT
void CmdPubsubNumPat(CommandContext& ctx, ArgList) {
  ctx.reply.Integer(int64_t(ctx.engine.pubsub().NumPat()));
}
// PUBSUB HELP
void CmdPubsubHelp(CommandContext& ctx, ArgList) {
  static const char* const kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

}  // namespace

bool AllowedWhileSubscribed(std::string_view name) {
  return name == "subscribe" || name == "unsubscribe" || name == "psubscribe" ||
         name == "punsubscribe" || name == "ssubscribe" || name == "sunsubscribe" ||
         name == "ping" || name == "quit" || name == "reset";
}

void RegisterPubSubFamily(CommandRegistry& r) {
  constexpr uint32_t kSub = kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale;
  constexpr uint32_t kPub = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast;
  constexpr uint32_t kInfo = kCmdPubsub | kCmdLoading | kCmdStale;
  r.Register(CommandSpec("subscribe", -2, kSub, 0, 0, 0, CmdSubscribe));
  r.Register(CommandSpec("unsubscribe", -1, kSub, 0, 0, 0, CmdUnsubscribe));
  r.Register(CommandSpec("psubscribe", -2, kSub, 0, 0, 0, CmdPSubscribe));
  r.Register(CommandSpec("punsubscribe", -1, kSub, 0, 0, 0, CmdPUnsubscribe));
  r.Register(CommandSpec("ssubscribe", -2, kSub, 1, -1, 1, CmdSSubscribe));
  r.Register(CommandSpec("sunsubscribe", -1, kSub, 1, -1, 1, CmdSUnsubscribe));
  r.Register(CommandSpec("publish", 3, kPub, 0, 0, 0, CmdPublish));
  r.Register(CommandSpec("spublish", 3, kPub, 1, 1, 1, CmdSPublish));
  CommandSpec pubsub("pubsub", -2, 0, {});
  pubsub.subcommands.emplace_back("pubsub|channels", -2, kInfo, 0, 0, 0, CmdPubsubChannels);
  pubsub.subcommands.emplace_back("pubsub|numsub", -2, kInfo, 0, 0, 0, CmdPubsubNumSub);
  pubsub.subcommands.emplace_back("pubsub|numpat", 2, kInfo, 0, 0, 0, CmdPubsubNumPat);
  pubsub.subcommands.emplace_back("pubsub|shardchannels", -2, kInfo, 0, 0, 0,
                                  CmdPubsubShardChannels);
  pubsub.subcommands.emplace_back("pubsub|shardnumsub", -2, kInfo, 0, 0, 0, CmdPubsubShardNumSub);
  pubsub.subcommands.emplace_back("pubsub|help", 2, kCmdLoading | kCmdStale, 0, 0, 0,
                                  CmdPubsubHelp);
  r.Register(std::move(pubsub));
}

}  // namespace aegisr
