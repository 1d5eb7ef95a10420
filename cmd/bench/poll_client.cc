// PollClient: every connection is a non-blocking socket with an output buffer (requests queued,
// not yet written) and an input buffer (bytes received, not yet cut into replies). One poll()
// per loop iteration waits for readability on connections with replies due and writability on
// connections with unsent bytes; the window refills to `pipeline` after each batch of replies,
// and the new requests are written at once (poll is only needed when the socket buffer is full).

#include "cmd/bench/poll_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace aegisr::bench {
namespace {

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string ErrnoText(int err) { return std::strerror(err); }

}  // namespace

PollClient::~PollClient() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
}

Status PollClient::Connect() {
  if (opts_.connections < 1) return Status::Error("connections must be >= 1");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opts_.port);
  const int rc = getaddrinfo(opts_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return Status::Error("resolve " + opts_.host + ": " + gai_strerror(rc));
  conns_.resize(opts_.connections);
  Status status;
  for (Conn& c : conns_) {
    int last_err = 0;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        last_err = errno;
        continue;
      }
      if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        c.fd = fd;
        break;
      }
      last_err = errno;
      close(fd);
    }
    if (c.fd < 0) {
      status = Status::Error("connect " + opts_.host + ":" + port + ": " + ErrnoText(last_err));
      break;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    c.in.resize(opts_.recv_buffer_bytes);
    c.pending.resize(opts_.pipeline);
  }
  freeaddrinfo(res);
  if (!status.ok()) {
    for (Conn& c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    conns_.clear();
  }
  return status;
}

void PollClient::Fail(int idx, ReplyBytesSource& source, Status why) {
  Conn& c = conns_[idx];
  if (c.dead) return;
  c.dead = true;
  if (!failed_in_run_) first_error_ = why.message();
  failed_in_run_ = true;
  const int lost = static_cast<int>(c.pending_count);
  c.pending_count = 0;
  source.OnLostConnection(idx, why, lost);
}

void PollClient::Fill(int idx, ReplyBytesSource& source, uint64_t now_ns) {
  Conn& c = conns_[idx];
  if (c.dead) return;
  const size_t cap = c.pending.size();
  while (!c.done_issuing && c.pending_count < cap) {
    const int tag = source.NextRequest(idx, c.out);
    if (tag < 0) {
      c.done_issuing = true;
      break;
    }
    c.pending[(c.pending_head + c.pending_count) % cap] =
        Pending{static_cast<uint8_t>(tag), now_ns};
    ++c.pending_count;
  }
  Flush(idx, source, now_ns);
}

void PollClient::Flush(int idx, ReplyBytesSource& source, uint64_t now_ns) {
  Conn& c = conns_[idx];
  while (!c.dead && c.out_off < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Fail(idx, source, Status::Error("send: " + ErrnoText(errno)));
      return;
    }
    c.out_off += static_cast<size_t>(n);
    c.last_progress_ns = now_ns;
  }
  c.out.clear();
  c.out_off = 0;
}

void PollClient::Receive(int idx, ReplyBytesSource& source, uint64_t now_ns) {
  Conn& c = conns_[idx];
  if (c.in.size() - c.in_len < 4096) c.in.resize(c.in.size() * 2);
  const ssize_t n = recv(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
  if (n == 0) {
    Fail(idx, source, Status::Error("connection closed by server"));
    return;
  }
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
    Fail(idx, source, Status::Error("recv: " + ErrnoText(errno)));
    return;
  }
  c.in_len += static_cast<size_t>(n);
  c.last_progress_ns = now_ns;
  size_t off = 0;
  const size_t cap = c.pending.size();
  while (off < c.in_len) {
    client::ReplyInfo info;
    const std::string_view rest(c.in.data() + off, c.in_len - off);
    const client::ScanResult r = client::ScanReply(rest, &info);
    if (r == client::ScanResult::kIncomplete) break;
    if (r == client::ScanResult::kMalformed) {
      Fail(idx, source, Status::Error("malformed reply from server"));
      return;
    }
    if (c.pending_count == 0) {
      std::string text(rest.substr(0, info.length < 200 ? info.length : 200));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      Fail(idx, source, Status::Error("unexpected reply from server: " + text));
      return;
    }
    const Pending p = c.pending[c.pending_head];
    c.pending_head = (c.pending_head + 1) % cap;
    --c.pending_count;
    off += info.length;
    source.OnReplyBytes(idx, p.tag, now_ns > p.queued_ns ? now_ns - p.queued_ns : 0,
                        rest.substr(0, info.length), info.is_error);
  }
  if (off > 0) {
    if (off < c.in_len) std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
    c.in_len -= off;
  }
  Fill(idx, source, now_ns);
}

Status PollClient::Run(ReplyBytesSource& source, const std::atomic<bool>* abort) {
  if (conns_.empty()) return Status::Error("Run() before a successful Connect()");
  failed_in_run_ = false;
  first_error_.clear();
  const uint64_t start = NowNs();
  for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
    conns_[i].done_issuing = false;
    conns_[i].last_progress_ns = start;
    Fill(i, source, start);
  }
  const uint64_t idle_ns = static_cast<uint64_t>(opts_.idle_timeout_ms) * 1000000ull;
  std::vector<pollfd> fds;
  std::vector<int> which;
  while (true) {
    fds.clear();
    which.clear();
    for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
      const Conn& c = conns_[i];
      if (c.dead) continue;
      short events = 0;
      if (c.pending_count > 0) events |= POLLIN;
      if (c.out_off < c.out.size()) events |= POLLOUT;
      if (events == 0) continue;  // finished: nothing due, nothing to send
      fds.push_back(pollfd{c.fd, events, 0});
      which.push_back(i);
    }
    if (fds.empty()) break;
    const int rc = poll(fds.data(), fds.size(), 100);
    if (rc < 0 && errno != EINTR) {
      const Status err = Status::Error("poll: " + ErrnoText(errno));
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) Fail(i, source, err);
      break;
    }
    const uint64_t now = NowNs();
    for (size_t k = 0; rc > 0 && k < fds.size(); ++k) {
      const int idx = which[k];
      if (fds[k].revents & POLLOUT) Flush(idx, source, now);
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) Receive(idx, source, now);
    }
    if (abort != nullptr && abort->load(std::memory_order_relaxed)) {
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
        if (conns_[i].pending_count > 0) Fail(i, source, Status::Error("aborted"));
      }
      break;
    }
    for (size_t k = 0; idle_ns > 0 && k < which.size(); ++k) {
      Conn& c = conns_[which[k]];
      if (!c.dead && now - c.last_progress_ns > idle_ns) {
        Fail(which[k], source, Status::Error("timed out waiting for the server"));
      }
    }
  }
  if (failed_in_run_) return Status::Error(first_error_);
  return Status::Ok();
}

}  // namespace aegisr::bench
