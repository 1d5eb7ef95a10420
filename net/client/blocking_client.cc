// Blocking RESP client. Thread-compatible.
//
// Reading: bytes accumulate in inbuf_ and the stateless ReplyParser is retried on the whole
// buffer. To keep a huge reply arriving in many small reads from costing a re-parse per read,
// after an incomplete parse we only retry once the buffer has grown by half or the socket has
// nothing more to give right now; the total parse work stays a small multiple of the reply.

#include "net/client/blocking_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aegisr::client {

namespace {

// Waits for `events` on fd; returns 1 ready, 0 timeout, -errno on failure.
int WaitFd(int fd, short events, int timeout_ms) {
  pollfd pfd{fd, events, 0};
  for (;;) {
    int n = poll(&pfd, 1, timeout_ms);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

}  // namespace

BlockingClient::~BlockingClient() { Close(); }

void BlockingClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  inbuf_.clear();
}

void BlockingClient::SetIoTimeout(std::chrono::milliseconds timeout) {
  io_timeout_ms_ = timeout.count() <= 0 ? -1 : static_cast<int>(timeout.count());
}

Status BlockingClient::Fail(std::string msg) {
  Close();
  return Status::Error(std::move(msg));
}

Status BlockingClient::Connect(const std::string& host, uint16_t port,
                               std::chrono::milliseconds timeout) {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port_str = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::Error(rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc));
  }
  int last_err = ECONNREFUSED;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    int err = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        int w = WaitFd(fd, POLLOUT, timeout.count() <= 0 ? -1 : static_cast<int>(timeout.count()));
        if (w == 0) {
          err = ETIMEDOUT;
        } else if (w < 0) {
          err = -w;
        } else {
          socklen_t len = sizeof(err);
          if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err != 0) {
      last_err = err;
      ::close(fd);
      continue;
    }
    // Back to blocking mode; reads and writes wait with poll() for the io timeout.
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    fd_ = fd;
    break;
  }
  freeaddrinfo(res);
  if (fd_ < 0) return Status::Error(std::strerror(last_err));
  return Status::Ok();
}

std::string BlockingClient::EncodeCommand(std::span<const std::string> args) {
  std::string out;
  size_t total = 16;
  for (const auto& a : args) total += a.size() + 16;
  out.reserve(total);
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (const auto& a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

Status BlockingClient::Send(std::span<const std::string> args) {
  if (fd_ < 0) return Status::Error("Not connected");
  std::string wire = EncodeCommand(args);
  size_t off = 0;
  while (off < wire.size()) {
    if (io_timeout_ms_ >= 0) {
      int w = WaitFd(fd_, POLLOUT, io_timeout_ms_);
      if (w == 0) return Fail("Resource temporarily unavailable");
      if (w < 0) return Fail(std::strerror(-w));
    }
    ssize_t n = ::send(fd_, wire.data() + off, wire.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status BlockingClient::ReadReply(Reply* out) {
  if (fd_ < 0) return Status::Error("Not connected");
  size_t parse_at_size = 0;  // re-parse once inbuf_ reaches this size
  char chunk[64 * 1024];
  for (;;) {
    if (!inbuf_.empty() && inbuf_.size() >= parse_at_size) {
      size_t consumed = 0;
      std::string err;
      ParseStatus st = parser_.Parse(inbuf_, &consumed, out, &err);
      if (st == ParseStatus::kOk) {
        inbuf_.erase(0, consumed);
        return Status::Ok();
      }
      if (st == ParseStatus::kError) return Fail(err);
      parse_at_size = inbuf_.size() + inbuf_.size() / 2;
    }
    int w = WaitFd(fd_, POLLIN, io_timeout_ms_);
    if (w == 0) return Fail("Resource temporarily unavailable");
    if (w < 0) return Fail(std::strerror(-w));
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) return Fail("Server closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(std::strerror(errno));
    }
    inbuf_.append(chunk, static_cast<size_t>(n));
    // Nothing more is waiting: parse now rather than block on bytes that may never come.
    if (inbuf_.size() < parse_at_size && WaitFd(fd_, POLLIN, 0) == 0) parse_at_size = 0;
  }
}

Status BlockingClient::Call(std::span<const std::string> args, Reply* out,
                            std::vector<Reply>* pushes) {
  Status s = Send(args);
  if (!s.ok()) return s;
  for (;;) {
    s = ReadReply(out);
    if (!s.ok()) return s;
    if (out->type != ReplyType::kPush) return Status::Ok();
    if (pushes != nullptr) pushes->push_back(std::move(*out));
  }
}

}  // namespace aegisr::client
