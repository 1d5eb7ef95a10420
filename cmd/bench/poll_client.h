#pragma once
// A pipelined RESP client over poll(2) that hands every reply's bytes to its source, for
// aegisr-bench --verify (UringClient reports only whether a reply was an error). Same request
// and failure contract as client::UringClient. Thread-confined: one thread creates, runs and
// destroys a PollClient.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "net/client/uring_client.h"

namespace aegisr::bench {

// client::RequestSource with the reply's bytes.
class ReplyBytesSource {
 public:
  virtual ~ReplyBytesSource() = default;
  // As client::RequestSource::Next.
  virtual int NextRequest(int conn, std::string& out) = 0;
  // One reply, in request order per connection: `reply` is the complete RESP reply, valid only
  // during the call.
  virtual void OnReplyBytes(int conn, uint8_t tag, uint64_t latency_ns, std::string_view reply,
                            bool is_error) = 0;
  // As client::RequestSource::OnConnectionError.
  virtual void OnLostConnection(int conn, const Status& why, int lost) = 0;
};

class PollClient {
 public:
  explicit PollClient(client::UringClientOptions opts) : opts_(std::move(opts)) {}
  ~PollClient();
  PollClient(const PollClient&) = delete;
  PollClient& operator=(const PollClient&) = delete;

  // Opens all connections (blocking connect, TCP_NODELAY, then non-blocking). On error nothing is
  // left open.
  Status Connect();
  // As client::UringClient::Run.
  Status Run(ReplyBytesSource& source, const std::atomic<bool>* abort = nullptr);

 private:
  struct Pending {
    uint8_t tag;
    uint64_t queued_ns;
  };
  struct Conn {
    int fd = -1;
    bool dead = false;
    bool done_issuing = false;
    std::string out;
    size_t out_off = 0;
    std::vector<char> in;
    size_t in_len = 0;
    std::vector<Pending> pending;  // ring of size `pipeline`
    size_t pending_head = 0;
    size_t pending_count = 0;
    uint64_t last_progress_ns = 0;
  };

  void Fill(int idx, ReplyBytesSource& source, uint64_t now_ns);
  void Flush(int idx, ReplyBytesSource& source, uint64_t now_ns);
  void Receive(int idx, ReplyBytesSource& source, uint64_t now_ns);
  void Fail(int idx, ReplyBytesSource& source, Status why);

  client::UringClientOptions opts_;
  std::vector<Conn> conns_;
  bool failed_in_run_ = false;
  std::string first_error_;
};

}  // namespace aegisr::bench
