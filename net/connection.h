#pragma once
// Connection: one client socket's protocol state (query buffer, RESP parser, reply encoder,
// ClientState) independent of the I/O backend. Thread-confined to the owning worker's loop.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/client.h"
#include "engine/engine.h"
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

  // Pending reply bytes not yet handed to the socket.
  std::string& out() { return writer_.buffer(); }
  bool wants_close() const { return client_.close_after_reply; }

  int fd() const { return fd_; }
  uint64_t id() const { return client_.id; }
  ClientState& client() { return client_; }

  // Backend bookkeeping (see the backends for their meaning).
  std::string sending;        // bytes handed to the kernel and not yet acknowledged
  size_t sent = 0;            // bytes of `sending` already sent
  int ops_inflight = 0;       // io_uring operations still referencing this connection
  bool send_inflight = false;
  bool closing = false;
  bool in_flush_list = false;
  bool want_write = false;    // epoll: EPOLLOUT armed

 private:
  void Execute(ArgList args);

  Engine& engine_;
  int fd_;
  ClientState client_;
  RespParser parser_;
  RespWriter writer_;
  std::string in_;
};

}  // namespace aegisr
