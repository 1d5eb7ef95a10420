#pragma once
// Connection: one client socket's protocol state (query buffer, RESP parser, reply encoder,
// ClientState) independent of the I/O backend. Thread-confined to the owning worker's loop.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/client.h"
#include "engine/engine.h"
#include "net/pubsub_outlet.h"
#include "net/resp_parser.h"
#include "net/resp_writer.h"

namespace aegisr {

class Connection {
 public:
  Connection(Engine& engine, int fd, unsigned thread);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Appends received bytes and runs every complete command, in order. Replies accumulate in
  // out(). After a protocol error, QUIT or an over-limit query buffer, wants_close() is true
  // and further input is ignored.
  void Feed(std::string_view data);

  // Disk tier: a command whose values are on disk parks the connection before it runs. The
  // command and everything after it stay in the query buffer; Feed only appends until Resume.
  bool parked() const { return parked_; }
  // The values the parked command waits for (moved out: the backend reads them).
  std::vector<ColdKey> TakeColdKeys() { return std::move(cold_); }
  // A value could not be read back: the parked command gets this error instead of running.
  void FailParked(std::string error) { cold_error_ = std::move(error); }
  // Runs the parked command (its values are in RAM now) and what followed it.
  void Resume();
  // The peer shut its write side while the connection was parked: after the parked command
  // and everything queued behind it have run, the connection closes (replies go out first).
  void CloseAfterInput() { eof_ = true; }
  int cold_pending = 0;  // backend: reads of the parked command still in flight
  int64_t parked_at_us() const { return parked_at_us_; }

  // Blocking commands (engine/blocking.h): while the client waits, what it sends next stays in
  // the query buffer, as while parked.
  bool blocked() const { return client_.blocked != nullptr; }
  int64_t block_deadline_ms() const;  // 0: none (or not blocked)
  // If the wait has ended (served, timed out, unblocked, to be retried), writes its reply and
  // runs what the client sent after it. Returns true if it had ended.
  bool FinishBlocked();
  // Ends the wait with the timeout reply if its deadline is at or before now_ms (unless another
  // thread served it first: then with that). Returns true if the wait ended.
  bool ExpireBlocked(int64_t now_ms);
  bool block_tracked = false;  // backend: the deadline is in the worker's timeout set

  // The connection whose command runs on this thread now (inside Feed), or nullptr.
  static Connection* Running();

  // Pub/sub: appends one message (message, pmessage or smessage; a push in RESP3).
  void PushMessage(PubSubKind kind, std::string_view pattern, std::string_view channel,
                   std::string_view message);
  // The same, with the channel and message already encoded as two bulk strings.
  void PushEncoded(PubSubKind kind, std::string_view pattern, std::string_view encoded);
  // Output bytes not yet acknowledged by the kernel: the reply buffer and what is being sent.
  size_t PendingOutput() const {
    return writer_.size() + (sending.size() > sent ? sending.size() - sent : 0);
  }
  int64_t obuf_soft_since_ms = 0;  // since when the soft output limit is exceeded (0: not)
  // client-output-buffer-limit (limits in bytes, 0: none): whether PendingOutput() is above
  // hard, or has been above soft for at least soft_ms (as seen by these checks, which keep
  // obuf_soft_since_ms: one at or below soft starts the clock again).
  bool OutputLimitReached(size_t hard, size_t soft, int64_t soft_ms, int64_t now_ms);
  // A command's replies passed the client's limit (checked after each command): the worker
  // closes it at once, dropping even a send in flight to a client that does not read.
  bool output_limit_hit() const { return output_limit_hit_; }

  // Where publishers on other loop threads write this connection's messages (see
  // net/pubsub_outlet.h). Before the owner runs input or sends, it takes the socket back:
  // ReclaimOutput puts what they appended in front of the pending replies.
  PubSubOutlet& outlet() { return *outlet_; }
  void ReclaimOutput() {
    if (!outlet_->owned()) outlet_->Reclaim(&writer_.buffer());
  }
  // Whether the owner may let publishers write the socket (after a send completed with nothing
  // left): a subscriber with no replies pending, no command waiting to run and no close ahead.
  bool CanReleaseOutput() const {
    return InSubscriberMode(client_) && writer_.empty() && sending.empty() && !send_inflight &&
           !closing && !parked_ && !client_.blocked && !wants_close() && !eof_ &&
           !output_limit_hit_;
  }

  // Pending reply bytes not yet handed to the socket.
  std::string& out() { return writer_.buffer(); }
  bool wants_close() const { return client_.close_after_reply; }

  int fd() const { return fd_; }
  uint64_t id() const { return client_.id; }
  ClientState& client() { return client_; }

  // Backend bookkeeping (see the backends for their meaning).
  std::string sending;   // bytes handed to the kernel and not yet acknowledged
  size_t sent = 0;       // bytes of `sending` already sent
  int ops_inflight = 0;  // io_uring operations still referencing this connection
  bool send_inflight = false;
  bool closing = false;
  bool in_flush_list = false;
  bool want_write = false;  // epoll: EPOLLOUT armed

 private:
  void Execute(ArgList args);
  void CheckOutputLimit(size_t pending_before);

  Engine& engine_;
  int fd_;
  ClientState client_;
  RespParser parser_;
  RespWriter writer_;
  std::string in_;
  bool parked_ = false;
  bool eof_ = false;
  bool output_limit_hit_ = false;
  int64_t parked_at_us_ = 0;
  std::vector<ColdKey> cold_;
  std::string cold_error_;
  PubSubOutlet* outlet_;  // one reference, dropped in the destructor
};

}  // namespace aegisr
