#include "net/pubsub_outlet.h"

#include <sys/socket.h>

#include <cerrno>

#include "net/resp_writer.h"

namespace aegisr {

void EncodeChannelMessage(std::string* out, std::string_view channel, std::string_view message) {
  AppendRespBulk(out, channel);
  AppendRespBulk(out, message);
}

void AppendPubSubFrame(std::string* out, int protocol, PubSubKind kind, std::string_view pattern,
                       std::string_view encoded) {
  const char push = protocol == 3 ? '>' : '*';
  switch (kind) {
    case PubSubKind::kMessage:
      AppendRespHeader(out, push, 3);
      out->append("$7\r\nmessage\r\n");
      break;
    case PubSubKind::kPMessage:
      AppendRespHeader(out, push, 4);
      out->append("$8\r\npmessage\r\n");
      AppendRespBulk(out, pattern);
      break;
    case PubSubKind::kSMessage:
      AppendRespHeader(out, push, 3);
      out->append("$8\r\nsmessage\r\n");
      break;
  }
  out->append(encoded);
}

bool PubSubOutlet::TryAppend(PubSubKind kind, std::string_view pattern, std::string_view encoded,
                             bool* first) {
  State s = state();
  if (s != State::kIdle && s != State::kRemote) return false;
  std::lock_guard lk(mu_);
  s = state_.load(std::memory_order_relaxed);
  if (s != State::kIdle && s != State::kRemote) return false;
  const size_t frame = encoded.size() + pattern.size() + 48;  // + headers, generously
  if (pending_.size() + frame > kMaxPending) {
    // A large message, or a subscriber this far behind: the owner takes over, with its output
    // buffer limits. This message and the ones after it go through its mailbox, behind what
    // is pending here.
    state_.store(State::kHandoff, std::memory_order_release);
    return false;
  }
  *first = s == State::kIdle;
  if (*first) state_.store(State::kRemote, std::memory_order_release);
  AppendPubSubFrame(&pending_, protocol_, kind, pattern, encoded);
  return true;
}

size_t PubSubOutlet::Flush(bool* handoff) {
  *handoff = false;
  std::lock_guard lk(mu_);
  if (state_.load(std::memory_order_relaxed) != State::kRemote || pending_.empty()) return 0;
  ssize_t n = ::send(fd_, pending_.data(), pending_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  size_t sent = n > 0 ? size_t(n) : 0;
  if (sent == pending_.size()) {
    pending_.clear();
    if (pending_.capacity() > kMaxPending) std::string().swap(pending_);
    state_.store(State::kIdle, std::memory_order_release);
    return sent;
  }
  // Short write, a full socket buffer (EAGAIN) or an error: the owner sends the rest with its
  // own loop (or finds the connection gone).
  pending_.erase(0, sent);
  state_.store(State::kHandoff, std::memory_order_release);
  *handoff = true;
  return sent;
}

void PubSubOutlet::Reclaim(std::string* out) {
  std::lock_guard lk(mu_);
  State s = state_.load(std::memory_order_relaxed);
  if (s == State::kOwner || s == State::kClosed) return;
  if (!pending_.empty()) {
    out->insert(0, pending_);
    pending_.clear();
  }
  state_.store(State::kOwner, std::memory_order_release);
}

void PubSubOutlet::Release(int protocol) {
  std::lock_guard lk(mu_);
  if (state_.load(std::memory_order_relaxed) != State::kOwner) return;
  protocol_ = protocol;
  state_.store(State::kIdle, std::memory_order_release);
}

void PubSubOutlet::Close() {
  std::lock_guard lk(mu_);
  pending_.clear();
  state_.store(State::kClosed, std::memory_order_release);
}

}  // namespace aegisr
