// Pipelined RESP client on io_uring (aegisr-bench's engine) and an allocation-free reply scanner.
// Thread-confined: a UringClient and its ring belong to the thread that calls Connect().
//
// How it works. Each connection keeps one recv and at most one send in flight. A connection's
// window holds up to `pipeline` requests: whenever no send is in flight and the window has room,
// Fill() asks the RequestSource for requests, appends them to the connection's out buffer (reused,
// so no allocation once warm), stamps them with one clock read, and queues one send. Each recv
// completion appends to the connection's in buffer; ScanReply() cuts complete replies off the
// front, and each is matched to the oldest pending request (replies come in order). All SQEs of an
// iteration go to the kernel in one io_uring_submit_and_wait_timeout(), which also waits for the
// next completions (100 ms at most, so that the abort flag and the idle timeout are polled).
//
// The reply scanner keeps a small fixed stack of "elements still expected" per open aggregate
// (-1 for a streamed aggregate that ends with '.'), so it needs no allocation. A RESP3 attribute
// ('|') opens a level that, when complete, does not count as an element: the value it annotates
// follows. Bulk payloads are skipped by length.

#include "net/client/uring_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace aegisr::client {
namespace {

// Parses a signed decimal integer that fills [p, end) entirely.
bool ParseInt(const char* p, const char* end, int64_t* out) {
  if (p == end) return false;
  bool neg = false;
  if (*p == '-' || *p == '+') {
    neg = *p == '-';
    ++p;
    if (p == end) return false;
  }
  int64_t v = 0;
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9') return false;
    if (v > (int64_t{1} << 52)) return false;  // far beyond any sane length
    v = v * 10 + (*p - '0');
  }
  *out = neg ? -v : v;
  return true;
}

// Finds the CRLF that ends the line starting at buf[pos]. Returns the index of '\r', or -1 when
// the line is incomplete, or -2 when a lone '\r' makes it malformed.
int64_t FindLineEnd(std::string_view buf, size_t pos) {
  const void* r = std::memchr(buf.data() + pos, '\r', buf.size() - pos);
  if (r == nullptr) return -1;
  size_t i = static_cast<const char*>(r) - buf.data();
  if (i + 1 >= buf.size()) return -1;
  if (buf[i + 1] != '\n') return -2;
  return static_cast<int64_t>(i);
}

struct Level {
  int64_t remaining;  // elements still expected; -1: streamed, ends with '.'
  bool attribute;     // completes without counting as an element of its parent
};

}  // namespace

ScanResult ScanReply(std::string_view buf, ReplyInfo* info) {
  Level stack[kMaxScanDepth];
  int depth = 0;
  size_t pos = 0;
  bool is_error = false;
  const size_t n = buf.size();

  while (true) {
    if (pos >= n) return ScanResult::kIncomplete;
    const char type = buf[pos];
    const int64_t cr = FindLineEnd(buf, pos + 1);
    if (cr == -1) return ScanResult::kIncomplete;
    if (cr == -2) return ScanResult::kMalformed;
    const char* line = buf.data() + pos + 1;
    const char* line_end = buf.data() + cr;
    const size_t next = static_cast<size_t>(cr) + 2;
    bool element_done = true;  // false when an aggregate was opened

    switch (type) {
      case '-':
        if (depth == 0) is_error = true;
        pos = next;
        break;
      case '+':
      case ',':
      case '(':
        pos = next;
        break;
      case ':': {
        int64_t v;
        if (!ParseInt(line, line_end, &v)) return ScanResult::kMalformed;
        pos = next;
        break;
      }
      case '#':
        if (line_end - line != 1 || (*line != 't' && *line != 'f')) return ScanResult::kMalformed;
        pos = next;
        break;
      case '_':
        if (line != line_end) return ScanResult::kMalformed;
        pos = next;
        break;
      case '$':
      case '!':
      case '=': {
        if (type == '!' && depth == 0) is_error = true;
        if (line_end - line == 1 && *line == '?') {
          // Streamed string: ";len\r\n<len bytes>\r\n" chunks up to ";0\r\n".
          if (type != '$') return ScanResult::kMalformed;
          pos = next;
          while (true) {
            if (pos >= n) return ScanResult::kIncomplete;
            if (buf[pos] != ';') return ScanResult::kMalformed;
            const int64_t ccr = FindLineEnd(buf, pos + 1);
            if (ccr == -1) return ScanResult::kIncomplete;
            int64_t len;
            if (ccr == -2 || !ParseInt(buf.data() + pos + 1, buf.data() + ccr, &len) || len < 0) {
              return ScanResult::kMalformed;
            }
            pos = static_cast<size_t>(ccr) + 2;
            if (len == 0) break;
            if (pos + len + 2 > n) return ScanResult::kIncomplete;
            if (buf[pos + len] != '\r' || buf[pos + len + 1] != '\n') {
              return ScanResult::kMalformed;
            }
            pos += len + 2;
          }
          break;
        }
        int64_t len;
        if (!ParseInt(line, line_end, &len)) return ScanResult::kMalformed;
        if (len == -1 && type == '$') {  // RESP2 null bulk
          pos = next;
          break;
        }
        if (len < 0) return ScanResult::kMalformed;
        if (next + len + 2 > n) return ScanResult::kIncomplete;
        if (buf[next + len] != '\r' || buf[next + len + 1] != '\n') return ScanResult::kMalformed;
        pos = next + len + 2;
        break;
      }
      case '*':
      case '~':
      case '>':
      case '%':
      case '|': {
        int64_t count;
        if (line_end - line == 1 && *line == '?') {
          if (type == '|') return ScanResult::kMalformed;
          count = -1;
        } else {
          if (!ParseInt(line, line_end, &count)) return ScanResult::kMalformed;
          if (count == -1 && type == '*') {  // RESP2 null array
            pos = next;
            break;
          }
          if (count < 0) return ScanResult::kMalformed;
          if (type == '%' || type == '|') count *= 2;
        }
        pos = next;
        if (count == 0) {
          if (type == '|') element_done = false;  // empty attribute: the value follows
          break;
        }
        if (depth == kMaxScanDepth) return ScanResult::kMalformed;
        stack[depth++] = Level{count, type == '|'};
        element_done = false;
        break;
      }
      case '.': {
        if (line != line_end || depth == 0 || stack[depth - 1].remaining != -1) {
          return ScanResult::kMalformed;
        }
        --depth;  // the streamed aggregate is one complete element of its parent
        pos = next;
        break;
      }
      default:
        return ScanResult::kMalformed;
    }

    // Propagate a completed element up through the aggregates it completes.
    while (element_done) {
      if (depth == 0) {
        info->length = pos;
        info->is_error = is_error;
        return ScanResult::kComplete;
      }
      Level& top = stack[depth - 1];
      if (top.remaining == -1) break;
      if (--top.remaining > 0) break;
      const bool was_attribute = top.attribute;
      --depth;
      if (was_attribute) element_done = false;  // the annotated value is still to come
    }
  }
}

// ---- UringClient ----------------------------------------------------------------------------

namespace {

enum Op : uint64_t { kOpRecv = 1, kOpSend = 2 };
uint64_t Encode(int idx, Op op) { return (static_cast<uint64_t>(idx) << 8) | op; }

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

std::string ErrnoText(int err) { return std::string(strerror(err)); }

}  // namespace

UringClient::UringClient(UringClientOptions opts) : opts_(std::move(opts)) {
  if (opts_.pipeline < 1) opts_.pipeline = 1;
  if (opts_.recv_buffer_bytes < 4096) opts_.recv_buffer_bytes = 4096;
}

UringClient::~UringClient() {
  for (Conn& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

Status UringClient::Connect() {
  if (opts_.connections < 1) return Status::Error("connections must be >= 1");
  unsigned entries = 64;
  while (entries < static_cast<unsigned>(opts_.connections) * 2 && entries < 32768) entries *= 2;
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int rc = io_uring_queue_init_params(entries, &ring_, &params);
  if (rc == -EINVAL) {  // kernel older than 6.1
    params = io_uring_params{};
    rc = io_uring_queue_init_params(entries, &ring_, &params);
  }
  if (rc < 0) return Status::Error("io_uring_queue_init: " + ErrnoText(-rc));
  ring_ready_ = true;

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opts_.port);
  rc = getaddrinfo(opts_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return Status::Error("resolve " + opts_.host + ": " + gai_strerror(rc));

  conns_.resize(opts_.connections);
  Status status;
  for (int i = 0; i < opts_.connections && status.ok(); ++i) {
    Conn& c = conns_[i];
    int last_err = 0;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
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
    c.in.resize(opts_.recv_buffer_bytes);
    c.pending.resize(opts_.pipeline);
    c.out.reserve(4096);
  }
  freeaddrinfo(res);
  if (!status.ok()) {
    for (Conn& c : conns_) {
      if (c.fd >= 0) close(c.fd);
    }
    conns_.clear();
    return status;
  }
  for (int i = 0; i < opts_.connections; ++i) ArmRecv(i);
  return Status::Ok();
}

int UringClient::live_connections() const {
  int live = 0;
  for (const Conn& c : conns_) live += c.dead ? 0 : 1;
  return live;
}

io_uring_sqe* UringClient::GetSqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {  // SQ full: hand what we have to the kernel and retry
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void UringClient::ArmRecv(int idx) {
  Conn& c = conns_[idx];
  if (c.in_len == c.in.size()) c.in.resize(c.in.size() * 2);  // one reply larger than the buffer
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_recv(sqe, c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len, 0);
  io_uring_sqe_set_data64(sqe, Encode(idx, kOpRecv));
  c.recv_inflight = true;
}

void UringClient::ArmSend(int idx) {
  Conn& c = conns_[idx];
  io_uring_sqe* sqe = GetSqe();
  io_uring_prep_send(sqe, c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, Encode(idx, kOpSend));
  c.send_inflight = true;
}

void UringClient::Fill(int idx, RequestSource& source, uint64_t now_ns) {
  Conn& c = conns_[idx];
  if (c.dead || c.done_issuing || c.send_inflight) return;
  const size_t cap = c.pending.size();
  c.out.clear();
  c.out_off = 0;
  while (c.pending_count < cap) {
    const int tag = source.Next(idx, c.out);
    if (tag < 0) {
      c.done_issuing = true;
      break;
    }
    c.pending[(c.pending_head + c.pending_count) % cap] =
        Pending{static_cast<uint8_t>(tag), now_ns};
    ++c.pending_count;
  }
  if (!c.out.empty()) ArmSend(idx);
}

void UringClient::Fail(int idx, RequestSource& source, Status why) {
  Conn& c = conns_[idx];
  if (c.dead) return;
  c.dead = true;
  if (!failed_in_run_) {
    failed_in_run_ = true;
    first_error_ = why.message();
  }
  const int lost = static_cast<int>(c.pending_count);
  c.pending_count = 0;
  // Shut the socket down so that operations still in flight complete; their completions are
  // ignored because the connection is dead. The fd is closed in the destructor.
  shutdown(c.fd, SHUT_RDWR);
  source.OnConnectionError(idx, why, lost);
}

void UringClient::OnSend(int idx, int res, RequestSource& source) {
  Conn& c = conns_[idx];
  c.send_inflight = false;
  if (c.dead) return;
  if (res < 0) {
    Fail(idx, source, Status::Error("send: " + ErrnoText(-res)));
    return;
  }
  bytes_sent_ += res;
  c.out_off += res;
  if (c.out_off < c.out.size()) {
    ArmSend(idx);  // short send: push the rest
    return;
  }
  Fill(idx, source, NowNs());
}

void UringClient::OnRecv(int idx, int res, RequestSource& source, uint64_t now_ns) {
  Conn& c = conns_[idx];
  c.recv_inflight = false;
  if (c.dead) return;
  if (res == 0) {
    Fail(idx, source, Status::Error("connection closed by server"));
    return;
  }
  if (res < 0) {
    Fail(idx, source, Status::Error("recv: " + ErrnoText(-res)));
    return;
  }
  bytes_received_ += res;
  c.in_len += res;
  size_t off = 0;
  const size_t cap = c.pending.size();
  while (off < c.in_len) {
    ReplyInfo info;
    const ScanResult r = ScanReply(std::string_view(c.in.data() + off, c.in_len - off), &info);
    if (r == ScanResult::kIncomplete) break;
    if (r == ScanResult::kMalformed) {
      Fail(idx, source, Status::Error("malformed reply from server"));
      return;
    }
    if (c.pending_count == 0) {
      std::string text(c.in.data() + off, info.length < 200 ? info.length : 200);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      Fail(idx, source, Status::Error("unexpected reply from server: " + text));
      return;
    }
    const Pending p = c.pending[c.pending_head];
    c.pending_head = (c.pending_head + 1) % cap;
    --c.pending_count;
    const std::string_view reply(c.in.data() + off, info.length);
    off += info.length;
    source.OnReply(idx, p.tag, now_ns > p.sent_ns ? now_ns - p.sent_ns : 0, reply, info.is_error);
  }
  if (off > 0) {
    if (off < c.in_len) std::memmove(c.in.data(), c.in.data() + off, c.in_len - off);
    c.in_len -= off;
  }
  ArmRecv(idx);
  Fill(idx, source, now_ns);
}

bool UringClient::HasWork() const {
  for (const Conn& c : conns_) {
    if (c.dead) continue;
    if (c.pending_count > 0 || c.send_inflight || !c.done_issuing) return true;
  }
  return false;
}

Status UringClient::Run(RequestSource& source, const std::atomic<bool>* abort) {
  if (!ring_ready_) return Status::Error("Run() before a successful Connect()");
  failed_in_run_ = false;
  first_error_.clear();
  const uint64_t start = NowNs();
  for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
    conns_[i].done_issuing = false;
    Fill(i, source, start);
  }
  uint64_t last_progress = NowNs();
  const uint64_t idle_ns = static_cast<uint64_t>(opts_.idle_timeout_ms) * 1000000ull;
  while (HasWork()) {
    __kernel_timespec ts{0, 100 * 1000 * 1000};
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      const Status err = Status::Error("io_uring wait: " + ErrnoText(-rc));
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) Fail(i, source, err);
      break;
    }
    const uint64_t now = NowNs();
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const uint64_t data = io_uring_cqe_get_data64(cqe);
      const int idx = static_cast<int>(data >> 8);
      const int res = cqe->res;
      if ((data & 0xff) == kOpRecv) {
        OnRecv(idx, res, source, now);
      } else {
        OnSend(idx, res, source);
      }
    }
    io_uring_cq_advance(&ring_, seen);
    if (seen > 0) last_progress = now;
    if (abort != nullptr && abort->load(std::memory_order_relaxed)) {
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
        if (conns_[i].pending_count > 0) Fail(i, source, Status::Error("aborted"));
      }
      break;
    }
    if (idle_ns > 0 && now - last_progress > idle_ns) {
      for (int i = 0; i < static_cast<int>(conns_.size()); ++i) {
        if (conns_[i].pending_count > 0 || conns_[i].send_inflight) {
          Fail(i, source, Status::Error("timed out waiting for the server"));
        }
      }
    }
  }
  io_uring_submit(&ring_);  // recvs re-armed in the last iteration
  if (failed_in_run_) return Status::Error(first_error_);
  return Status::Ok();
}

}  // namespace aegisr::client
