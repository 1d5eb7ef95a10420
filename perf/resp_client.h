#pragma once
// resp_client.h: the one small RESP2 client of the perf/ load programs (multi_load, xgroup_load,
// pubsub_load): connect to a loopback port, append commands to a buffer, send it, and read the
// replies either whole and blocking (Conn::Read) or piece by piece as bytes arrive (the Parse*
// functions over RecvBuffer::unread(), for a reader that polls many connections).
// Header-only, libc and the STL only, so that each program still builds from its one file with
// `g++ -O2 -std=c++20 -pthread perf/x_load.cc` (the scripts compile them that way).
// Threading: nothing here is shared; a Conn or RecvBuffer is used by one thread at a time.
//
// Errors: a socket that cannot be opened, written or read ends the program (Die: exit status 2,
// errno's text on stderr), and so does a reply of another type than a parse asks for (exit 3):
// these are load generators, a broken connection is a failed run, not something to recover from.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resp {

// Prints `what` with errno's text and exits with status 2.
[[noreturn]] inline void Die(const char* what) {
  std::perror(what);
  std::exit(2);
}

// Appends one command, a RESP array of bulk strings, to *out.
inline void AppendCommand(std::string* out, const std::string_view* args, size_t n) {
  *out += '*';
  *out += std::to_string(n);
  *out += "\r\n";
  for (size_t i = 0; i < n; ++i) {
    *out += '$';
    *out += std::to_string(args[i].size());
    *out += "\r\n";
    out->append(args[i]);
    *out += "\r\n";
  }
}
inline void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendCommand(out, args.begin(), args.size());
}
inline void AppendCommand(std::string* out, const std::vector<std::string_view>& args) {
  AppendCommand(out, args.data(), args.size());
}

// A blocking TCP connection to 127.0.0.1:port with TCP_NODELAY; the caller owns the descriptor.
inline int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Die("socket");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) Die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Writes all of data to the blocking socket fd (EINTR retried, no SIGPIPE).
inline void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      Die("send");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Incremental parsing. Each Parse function reads one item of data at *pos and moves *pos past
// it, or returns false and leaves *pos where it was when data does not hold all of the item yet.
// The views they return point into data.

// A line "<type><text>\r\n".
inline bool ParseLine(std::string_view data, size_t* pos, char* type, std::string_view* text) {
  size_t end = data.find("\r\n", *pos);
  if (end == std::string_view::npos) return false;
  if (end == *pos) {
    std::fprintf(stderr, "empty reply line\n");
    std::exit(3);
  }
  *type = data[*pos];
  *text = data.substr(*pos + 1, end - *pos - 1);
  *pos = end + 2;
  return true;
}

// The integer of a line's text (0 when there is none, as strtoll gives).
inline int64_t LineInt(std::string_view text) {
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// A line "<type><integer>\r\n": an integer reply, or the head of a bulk string or an aggregate.
inline bool ParseHeader(std::string_view data, size_t* pos, char* type, int64_t* n) {
  std::string_view text;
  if (!ParseLine(data, pos, type, &text)) return false;
  *n = LineInt(text);
  return true;
}

// A line "<want><integer>\r\n"; a line of another type ends the program (exit 3).
inline bool ParseInt(std::string_view data, size_t* pos, char want, int64_t* v) {
  size_t p = *pos;
  char type;
  if (!ParseHeader(data, &p, &type, v)) return false;
  if (type != want) {
    std::fprintf(stderr, "unexpected reply byte '%c' (wanted '%c')\n", type, want);
    std::exit(3);
  }
  *pos = p;
  return true;
}

// A bulk string "$<len>\r\n<bytes>\r\n" (not the null one); another type ends the program.
inline bool ParseBulk(std::string_view data, size_t* pos, std::string_view* s) {
  size_t p = *pos;
  int64_t len;
  if (!ParseInt(data, &p, '$', &len)) return false;
  if (len < 0 || data.size() < p + static_cast<size_t>(len) + 2) return false;
  *s = data.substr(p, static_cast<size_t>(len));
  *pos = p + static_cast<size_t>(len) + 2;
  return true;
}

// Bytes received on a connection and not parsed yet. Receive appends to the buffer and first
// drops what Skip has consumed, so the buffer holds at most one partial reply plus the last
// receive; views into unread() stay valid until the next Receive.
class RecvBuffer {
 public:
  std::string_view unread() const { return std::string_view(buf_).substr(pos_); }
  // Marks the first n bytes of unread() as consumed.
  void Skip(size_t n) { pos_ += n; }

  // One recv(fd, ..., flags) appended to the buffer; returns recv's result.
  ssize_t Receive(int fd, int flags) {
    if (pos_ == buf_.size()) {
      buf_.clear();
    } else if (pos_ > 0) {
      buf_.erase(0, pos_);
    }
    pos_ = 0;
    char chunk[1 << 16];
    ssize_t n = recv(fd, chunk, sizeof(chunk), flags);
    if (n > 0) buf_.append(chunk, static_cast<size_t>(n));
    return n;
  }

 private:
  std::string buf_;
  size_t pos_ = 0;
};

// A parsed reply: the type byte, the line or bulk text, and the children of an aggregate.
// Null bulk strings and arrays ($-1, *-1) have null set.
struct Reply {
  char type = 0;
  std::string text;
  bool null = false;
  std::vector<Reply> items;
};

// One blocking connection (Connect) with its receive buffer. Movable, not copyable; closes the
// socket when destroyed.
class Conn {
 public:
  explicit Conn(int port) : fd_(Connect(port)) {}
  Conn(Conn&& other) noexcept : fd_(std::exchange(other.fd_, -1)), in_(std::move(other.in_)) {}
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  Conn& operator=(Conn&&) = delete;
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }

  int fd() const { return fd_; }
  RecvBuffer& in() { return in_; }

  void Send(std::string_view data) { SendAll(fd_, data); }

  // Blocks for one recv into in(); a closed or failed connection ends the program (Die(what)).
  void Receive(const char* what = "recv") {
    for (;;) {
      ssize_t n = in_.Receive(fd_, 0);
      if (n > 0) return;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) Die(what);
      std::fprintf(stderr, "%s: connection closed\n", what);
      std::exit(2);
    }
  }

  // The next whole reply, receiving as long as it takes.
  Reply Read() {
    Reply r;
    ReadInto(&r);
    return r;
  }

 private:
  void ReadInto(Reply* r) {
    size_t p = 0;
    std::string_view line;
    while (!ParseLine(in_.unread(), &p, &r->type, &line)) Receive();
    if (r->type != '$' && r->type != '*') {
      r->text.assign(line);
      in_.Skip(p);
      return;
    }
    int64_t n = LineInt(line);
    in_.Skip(p);
    if (n < 0) {
      r->null = true;
      return;
    }
    if (r->type == '*') {
      r->items.resize(static_cast<size_t>(n));
      for (Reply& item : r->items) ReadInto(&item);
      return;
    }
    size_t need = static_cast<size_t>(n) + 2;
    while (in_.unread().size() < need) Receive();
    r->text.assign(in_.unread().data(), static_cast<size_t>(n));
    in_.Skip(need);
  }

  int fd_;
  RecvBuffer in_;
};

// Ends the program (exit 1) unless ok, naming the command whose reply r was not as expected.
inline void Expect(bool ok, const char* what, const Reply& r) {
  if (ok) return;
  std::fprintf(stderr, "%s: unexpected reply to %s: type %c '%s'\n", program_invocation_short_name,
               what, r.type, r.text.c_str());
  std::exit(1);
}

}  // namespace resp
