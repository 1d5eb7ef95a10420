#pragma once
// A blocking RESP client over one TCP connection: connect with a timeout, send a command as a
// RESP multibulk, read one reply. Thread-compatible: one thread uses an instance at a time.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/client/resp_reply.h"

namespace aegisr::client {

class BlockingClient {
 public:
  BlockingClient() = default;
  ~BlockingClient();
  BlockingClient(const BlockingClient&) = delete;
  BlockingClient& operator=(const BlockingClient&) = delete;

  // Resolves host (name or address, IPv4 or IPv6) and connects to the first address that
  // accepts within `timeout` each. On failure the message is what redis-cli prints after
  // "host:port: ", e.g. "Connection refused" or "Name or service not known".
  Status Connect(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);
  bool connected() const { return fd_ >= 0; }
  void Close();

  // Limits each blocking read/write; zero (the default) waits forever.
  void SetIoTimeout(std::chrono::milliseconds timeout);

  // Writes the command as a RESP multibulk. Error: I/O failure (connection closed).
  Status Send(std::span<const std::string> args);
  // Reads exactly one reply (which may be a RESP3 push). Error: I/O failure, EOF
  // ("Server closed the connection"), or a protocol error; the connection is closed then.
  Status ReadReply(Reply* out);
  // Send then ReadReply, skipping push messages (they are returned in *pushes if non-null).
  Status Call(std::span<const std::string> args, Reply* out, std::vector<Reply>* pushes = nullptr);

  // RESP multibulk encoding of a command: *<n>\r\n$<len>\r\n<arg>\r\n...
  static std::string EncodeCommand(std::span<const std::string> args);

 private:
  Status Fail(std::string msg);

  int fd_ = -1;
  int io_timeout_ms_ = -1;  // poll() convention: -1 waits forever
  std::string inbuf_;       // received bytes not yet consumed by a reply
  ReplyParser parser_;
};

}  // namespace aegisr::client
