#pragma once
// A non-blocking pipelined RESP client that drives many connections on one io_uring ring, for
// aegisr-bench. Thread-confined: create, use and destroy each UringClient on one thread.

#include <liburing.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace aegisr::client {

// ---- Reply scanner --------------------------------------------------------------------------

enum class ScanResult : uint8_t { kComplete, kIncomplete, kMalformed };

struct ReplyInfo {
  size_t length = 0;      // bytes of the complete reply (valid when kComplete)
  bool is_error = false;  // the top-level reply is '-' or '!' (an error nested inside is not)
};

// Looks at the start of `buf` for one complete RESP2/RESP3 reply (any type, aggregates nested to
// any depth up to kMaxScanDepth, RESP3 attributes and streamed strings/aggregates included).
// Never allocates and never reads past `buf`. kIncomplete means "call again with more bytes";
// the scan restarts from the beginning each time (bulk payloads are skipped by length, not read).
ScanResult ScanReply(std::string_view buf, ReplyInfo* info);
inline constexpr int kMaxScanDepth = 64;

// ---- The client -----------------------------------------------------------------------------

struct UringClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1211;
  int connections = 1;
  int pipeline = 1;                     // requests in flight per connection, >= 1
  size_t recv_buffer_bytes = 64 << 10;  // initial; grows to hold the largest single reply
  int idle_timeout_ms = 10000;          // fail connections that have requests in flight but
                                        // see no completion at all for this long
};

// What the client asks its owner. All calls happen on the client's thread, inside Run().
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // Appends exactly one complete RESP request for connection `conn` to `out` and returns its tag
  // (0..255, handed back in OnReply), or returns -1: no more requests on this connection in this
  // Run().
  virtual int Next(int conn, std::string& out) = 0;
  // One reply, in request order per connection: `reply` is the complete RESP reply (valid only
  // during the call). latency_ns runs from the submission of the send that carried the request
  // to the receive that completed the reply.
  virtual void OnReply(int conn, uint8_t tag, uint64_t latency_ns, std::string_view reply,
                       bool is_error) = 0;
  // Connection `conn` failed (closed by the server, reset, malformed or unexpected reply, idle
  // timeout); `lost` requests that were in flight on it will never get a reply. Called once per
  // connection; a failed connection is not used again.
  virtual void OnConnectionError(int conn, const Status& why, int lost) = 0;
};

class UringClient {
 public:
  explicit UringClient(UringClientOptions opts);
  ~UringClient();
  UringClient(const UringClient&) = delete;
  UringClient& operator=(const UringClient&) = delete;

  // Sets up the ring and opens all connections (blocking connect, TCP_NODELAY). On error nothing
  // is left open.
  Status Connect();

  // Issues requests from `source` on every live connection, keeping up to `pipeline` in flight on
  // each, until every connection's source said -1 and all replies are in. Returns early, dropping
  // what is in flight (reported through OnConnectionError), when `*abort` becomes true (polled at
  // least every 100 ms). Returns an error if any connection failed during this Run(); the other
  // connections keep going until they finish. May be called again on the same connections.
  Status Run(RequestSource& source, const std::atomic<bool>* abort = nullptr);

  int live_connections() const;
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }

 private:
  struct Pending {
    uint8_t tag;
    uint64_t sent_ns;
  };
  struct Conn {
    int fd = -1;
    bool dead = false;
    bool done_issuing = false;
    bool send_inflight = false;
    bool recv_inflight = false;
    std::string out;       // requests of the send in flight (or being built)
    size_t out_off = 0;    // bytes of `out` already sent
    std::vector<char> in;  // received bytes not yet consumed
    size_t in_len = 0;
    std::vector<Pending> pending;  // ring of size `pipeline`
    size_t pending_head = 0;
    size_t pending_count = 0;
  };

  void Fill(int idx, RequestSource& source, uint64_t now_ns);
  void ArmSend(int idx);
  void ArmRecv(int idx);
  void OnSend(int idx, int res, RequestSource& source);
  void OnRecv(int idx, int res, RequestSource& source, uint64_t now_ns);
  void Fail(int idx, RequestSource& source, Status why);
  io_uring_sqe* GetSqe();
  bool HasWork() const;

  UringClientOptions opts_;
  io_uring ring_{};
  bool ring_ready_ = false;
  std::vector<Conn> conns_;
  bool failed_in_run_ = false;
  std::string first_error_;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
};

}  // namespace aegisr::client
