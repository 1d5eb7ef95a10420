// Connection: query buffer handling and command execution. Input is parsed in place from the
// receive buffer when no partial command is pending; only an unfinished tail is copied.
#include "net/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/logging.h"
#include "engine/config.h"
#include "engine/multi.h"

namespace aegisr {
namespace {
std::string SockAddrToString(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}
}  // namespace

Connection::Connection(Engine& engine, int fd, unsigned thread) : engine_(engine), fd_(fd) {
  client_.id = engine_.clients().NextId();
  outlet_ = new PubSubOutlet(fd, thread, client_.id);
  client_.outlet = outlet_;
  client_.thread = thread;
  client_.fd = fd;
  client_.ctime_ms = Engine::NowMs();
  client_.last_interaction_ms.store(client_.ctime_ms, std::memory_order_relaxed);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    client_.addr = SockAddrToString(ss);
  len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    client_.laddr = SockAddrToString(ss);
  Config& cfg = engine_.config();
  {
    std::lock_guard lk(cfg.mu);
    client_.authenticated = cfg.requirepass.empty();
  }
  RespParser::Limits limits;
  limits.max_bulk_len = static_cast<size_t>(cfg.proto_max_bulk_len.load());
  limits.max_query_buffer = static_cast<size_t>(cfg.client_query_buffer_limit.load());
  parser_.set_limits(limits);
  parser_.set_auth_required(!client_.authenticated);
  engine_.clients().Add(&client_);
}

Connection::~Connection() {
  if (std::shared_ptr<BlockedClient> bc = client_.blocked) {
    // Gone while waiting: nobody may serve it any more. (A server that got there first has
    // popped for it: that element leaves with the client, as a reply Redis had queued would.)
    bc->Claim(BlockState::kCancelled);
    engine_.blocking().Forget(bc);
  }
  if (client_.multi) MultiReset(engine_, client_);  // its watches leave the shards
  DropSubscriptions(engine_.pubsub(), client_);
  engine_.clients().Remove(&client_);
  outlet_->Close();  // (the worker closed it before the socket; a publisher may still hold it)
  outlet_->Unref();
}

void Connection::PushMessage(PubSubKind kind, std::string_view pattern, std::string_view channel,
                             std::string_view message) {
  thread_local std::string encoded;
  encoded.clear();
  EncodeChannelMessage(&encoded, channel, message);
  PushEncoded(kind, pattern, encoded);
}

void Connection::PushEncoded(PubSubKind kind, std::string_view pattern, std::string_view encoded) {
  // The connection's protocol may have changed since the last command (HELLO): the writer
  // follows ClientState::resp after each command, so it is current here.
  AppendPubSubFrame(&writer_.buffer(), writer_.protocol(), kind, pattern, encoded);
}

int64_t Connection::block_deadline_ms() const {
  return client_.blocked ? client_.blocked->deadline_ms : 0;
}

bool Connection::ExpireBlocked(int64_t now_ms) {
  const std::shared_ptr<BlockedClient>& bc = client_.blocked;
  if (!bc || bc->deadline_ms == 0 || bc->deadline_ms > now_ms) return false;
  bc->Claim(BlockState::kTimedOut);
  return FinishBlocked();
}

bool Connection::FinishBlocked() {
  std::shared_ptr<BlockedClient> bc = client_.blocked;
  if (!bc) return false;
  BlockState st = bc->state.load(std::memory_order_acquire);
  if (st == BlockState::kWaiting) return false;
  engine_.blocking().Forget(bc);
  client_.blocked.reset();
  client_.is_blocked.store(false, std::memory_order_relaxed);
  block_tracked = false;
  switch (st) {
    case BlockState::kServed:
      if (!bc->error.empty())
        writer_.Error(bc->error);
      else
        bc->reply(*bc, writer_);
      break;
    case BlockState::kTimedOut:
      bc->timeout_reply(writer_);
      break;
    case BlockState::kUnblockedError:
      writer_.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
      break;
    case BlockState::kRetry: {  // run the command again, ahead of what followed it
      std::string cmd = "*" + std::to_string(bc->args.size()) + "\r\n";
      for (const std::string& a : bc->args)
        cmd += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
      in_.insert(0, cmd);
      break;
    }
    case BlockState::kWaiting:
    case BlockState::kCancelled:
      break;
  }
  Feed({});
  return true;
}

namespace {
thread_local Connection* t_running = nullptr;
}  // namespace

Connection* Connection::Running() { return t_running; }

bool Connection::OutputLimitReached(size_t hard, size_t soft, int64_t soft_ms, int64_t now_ms) {
  size_t pending = PendingOutput();
  if (hard > 0 && pending > hard) return true;
  if (soft == 0 || pending <= soft) {
    obuf_soft_since_ms = 0;
    return false;
  }
  if (obuf_soft_since_ms == 0) {
    obuf_soft_since_ms = now_ms;
    return false;
  }
  return now_ms - obuf_soft_since_ms > soft_ms;
}

// After each command, as Redis checks after adding a reply: a client over its class's
// client-output-buffer-limit (normal, or pubsub while it holds subscriptions; the pubsub class
// is also checked as messages are delivered, in Worker::DeliverMessages) is closed without the
// replies it has not taken, so what one client leaves unread stays bounded.
void Connection::CheckOutputLimit(size_t pending_before) {
  Config& cfg = engine_.config();
  bool pubsub = InSubscriberMode(client_);
  size_t hard =
      size_t((pubsub ? cfg.obl_pubsub_hard : cfg.obl_normal_hard).load(std::memory_order_relaxed));
  size_t soft =
      size_t((pubsub ? cfg.obl_pubsub_soft : cfg.obl_normal_soft).load(std::memory_order_relaxed));
  if (hard == 0 && soft == 0) return;
  int64_t soft_ms = (pubsub ? cfg.obl_pubsub_soft_seconds : cfg.obl_normal_soft_seconds)
                        .load(std::memory_order_relaxed) *
                    1000;
  // Redis checks as each reply grows, so a client that took its earlier replies starts the
  // soft clock again with its next command: the same here, from the bytes before it.
  if (pending_before <= soft) obuf_soft_since_ms = 0;
  if (!OutputLimitReached(hard, soft, soft_ms, Engine::NowMs())) return;
  LOG(Warning) << "Client id=" << client_.id << " addr=" << client_.addr
               << " closed for overcoming of output buffer limits ("
               << (pubsub ? "pubsub" : "normal") << ", " << PendingOutput() << " bytes pending).";
  writer_.clear();
  client_.close_after_reply = true;
  output_limit_hit_ = true;
}

void Connection::Execute(ArgList args) {
  t_running = this;
  size_t pending_before = PendingOutput();
  engine_.Dispatch(client_, writer_, args);
  t_running = nullptr;
  CheckOutputLimit(pending_before);
  int resp = client_.resp.load(std::memory_order_relaxed);
  if (resp != writer_.protocol()) writer_.SetProtocol(resp);
  parser_.set_auth_required(!client_.authenticated);
}

void Connection::Resume() {
  parked_ = false;
  Feed({});
}

void Connection::Feed(std::string_view data) {
  if (client_.close_after_reply) return;
  if (parked_ || client_.blocked) {  // the waiting command runs first: keep the bytes behind it
    in_.append(data);
    if (parser_.OverLimit(in_.size())) {
      LOG(Warning) << "Closing client that reached max query buffer length: id=" << client_.id
                   << " addr=" << client_.addr << " qbuf=" << in_.size();
      in_.clear();
      client_.close_after_reply = true;
    }
    client_.qbuf.store(in_.size(), std::memory_order_relaxed);
    return;
  }
  // Any bytes received count as interaction for `timeout` (a slow upload is not idle).
  client_.last_interaction_ms.store(Engine::NowMs(), std::memory_order_relaxed);
  bool buffered = !in_.empty();
  if (buffered) in_.append(data);
  std::string_view buf = buffered ? std::string_view(in_) : data;
  size_t off = 0;
  while (off < buf.size()) {
    size_t consumed = 0;
    auto r = parser_.Parse(buf.substr(off), &consumed);
    if (r == RespParser::ParseResult::kCommand) {
      auto args = parser_.args();
      if (!cold_error_.empty()) {  // its values could not be read back
        writer_.Error(cold_error_);
        cold_error_.clear();
        off += consumed;
        continue;
      }
      if (!args.empty()) {
        std::vector<ColdKey> cold = engine_.ColdKeys(client_, args);
        if (!cold.empty()) {  // park before it runs; off stays at its first byte
          parked_ = true;
          parked_at_us_ = Engine::NowUs();
          cold_ = std::move(cold);
          break;
        }
        Execute(args);
      }
      off += consumed;
      if (client_.close_after_reply || client_.blocked) break;
    } else if (r == RespParser::ParseResult::kNeedMore) {
      off += consumed;  // bytes of skipped empty commands, if the parser reports them
      break;
    } else {
      writer_.Error(parser_.error());
      client_.close_after_reply = true;
      break;
    }
  }
  if (eof_ && !parked_ && !client_.blocked) client_.close_after_reply = true;  // all input ran
  if (client_.close_after_reply) {
    in_.clear();
    return;
  }
  if (buffered) {
    in_.erase(0, off);
  } else if (off < buf.size()) {
    in_.assign(buf.substr(off));
  }
  if (parser_.OverLimit(in_.size())) {
    LOG(Warning) << "Closing client that reached max query buffer length: id=" << client_.id
                 << " addr=" << client_.addr << " qbuf=" << in_.size();
    in_.clear();
    client_.close_after_reply = true;
  }
  client_.qbuf.store(in_.size(), std::memory_order_relaxed);
}

}  // namespace aegisr
