// The epoll backend of Worker, for kernels or sandboxes without io_uring: the same Connection
// logic over non-blocking sockets. Reads go into one per-thread buffer; replies are written
// directly after each batch of events, with EPOLLOUT armed only while a socket is full.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/logging.h"
#include "net/server.h"

namespace aegisr {
namespace {

constexpr size_t kReadBuf = 64 * 1024;
constexpr uint64_t kTagListen = 1;
constexpr uint64_t kTagEventFd = 2;

class EpollWorker final : public Worker {
 public:
  using Worker::Worker;

  ~EpollWorker() override {
    if (ep_ >= 0) ::close(ep_);
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  Status Init() override {
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) return Status::Error(std::string("epoll_create1: ") + strerror(errno));
    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) return Status::Error(std::string("eventfd: ") + strerror(errno));
    fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL, 0) | O_NONBLOCK);
    Add(listen_fd_, EPOLLIN, kTagListen);
    Add(event_fd_, EPOLLIN, kTagEventFd);
    buf_.resize(kReadBuf);
    return Status::Ok();
  }

  void Run() override {
    epoll_event events[256];
    int64_t deadline = 0;
    while (true) {
      if (stopping()) {
        if (!draining_) {
          draining_ = true;
          deadline = Engine::NowMs() + 2000;
          epoll_ctl(ep_, EPOLL_CTL_DEL, listen_fd_, nullptr);
          // Input is no longer read: stop watching it (level-triggered EPOLLIN would spin),
          // keep EPOLLOUT where replies are still queued.
          for (auto& [id, c] : conns_) {
            epoll_event e{};
            e.events = c->want_write ? uint32_t(EPOLLOUT) : 0u;
            e.data.u64 = reinterpret_cast<uint64_t>(c);
            epoll_ctl(ep_, EPOLL_CTL_MOD, c->fd(), &e);
            c->ReclaimOutput();  // what publishers appended goes out with the rest
            if (!c->out().empty()) MarkFlush(c);
          }
        }
        Flush();
        bool pending = false;
        for (auto& [id, c] : conns_)
          if (!c->out().empty()) pending = true;
        if (!pending || Engine::NowMs() > deadline) break;
      }
      Flush();
      engine_.tier().FlushSync(index_);  // this loop's offloaded values, with pwrite
      int64_t hz = std::max<int64_t>(1, engine_.config().hz.load(std::memory_order_relaxed));
      int wait_ms = static_cast<int>(1000 / hz);
      if (int64_t next = ExpireBlocked())  // a blocked client's deadline before the tick
        wait_ms = static_cast<int>(std::clamp<int64_t>(next - Engine::NowMs(), 0, wait_ms));
      int n = epoll_wait(ep_, events, 256, wait_ms);
      for (int i = 0; i < n; ++i) {
        uint64_t tag = events[i].data.u64;
        if (tag == kTagListen) {
          AcceptAll();
        } else if (tag == kTagEventFd) {
          uint64_t v;
          ssize_t r = ::read(event_fd_, &v, sizeof(v));
          (void)r;
        } else {
          auto* c = reinterpret_cast<Connection*>(tag);
          if (events[i].events & EPOLLOUT) MarkFlush(c);
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            if (!draining_) ReadFrom(c);
          }
        }
      }
      // Connections closed during this batch are freed only now, so that an event later in
      // the same batch never points at freed memory.
      for (Connection* c : dead_) Destroy(c);
      dead_.clear();
      DrainTasks();
      MaybeCron();
    }
    Flush();
    std::vector<Connection*> all;
    for (auto& [id, c] : conns_) all.push_back(c);
    for (Connection* c : all) Destroy(c);
  }

  void Wake() override {
    uint64_t one = 1;
    ssize_t w = ::write(event_fd_, &one, sizeof(one));
    (void)w;
  }

  void Close(Connection* c) override {
    if (c->closing) return;
    c->closing = true;
    c->outlet().Close();
    epoll_ctl(ep_, EPOLL_CTL_DEL, c->fd(), nullptr);
    ForgetFlush(c);
    dead_.push_back(c);
  }

 private:
  void Add(int fd, uint32_t ev, uint64_t tag) {
    epoll_event e{};
    e.events = ev;
    e.data.u64 = tag;
    epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &e);
  }

  void AcceptAll() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
          LOG(Warning) << "accept: " << strerror(errno);
        return;
      }
      if (Connection* c = Accept(fd)) Add(fd, EPOLLIN | EPOLLRDHUP, reinterpret_cast<uint64_t>(c));
    }
  }

  void ReadFrom(Connection* c) {
    while (!c->closing) {
      ssize_t n = ::recv(c->fd(), buf_.data(), buf_.size(), 0);
      if (n > 0) {
        ThreadStats::Inc(engine_.thread_stats().net_input_bytes, uint64_t(n));
        c->ReclaimOutput();  // its commands' replies follow what publishers wrote
        c->Feed(std::string_view(buf_.data(), size_t(n)));
        if (c->parked() || c->blocked())
          AfterInput(c);  // reads the values with pread, then runs it
        if (c->wants_close()) break;
        if (size_t(n) < buf_.size()) break;
        continue;
      }
      if (n == 0 && !c->wants_close() && !c->out().empty()) {
        // EOF with replies pending (a half-closed client): send them, then close. Reading
        // stops (a level-triggered EOF would fire forever); EPOLLOUT finishes the send.
        c->client().close_after_reply = true;
        c->want_write = true;
        epoll_event e{};
        e.events = EPOLLOUT;
        e.data.u64 = reinterpret_cast<uint64_t>(c);
        epoll_ctl(ep_, EPOLL_CTL_MOD, c->fd(), &e);
        MarkFlush(c);
        return;
      }
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        Close(c);
        return;
      }
      if (errno != EINTR) break;
    }
    if (!c->out().empty() || c->wants_close()) MarkFlush(c);
  }

  void Send(Connection* c) override { WriteTo(c); }

  void WriteTo(Connection* c) {
    c->ReclaimOutput();  // messages publishers wrote through the outlet go first
    std::string& out = c->out();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::send(c->fd(), out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += size_t(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Close(c);
      return;
    }
    ThreadStats::Inc(engine_.thread_stats().net_output_bytes, off);
    out.erase(0, off);
    bool need_out = !out.empty();
    if (need_out != c->want_write) {
      c->want_write = need_out;
      epoll_event e{};
      e.events =
          (draining_ ? 0u : uint32_t(EPOLLIN | EPOLLRDHUP)) | (need_out ? uint32_t(EPOLLOUT) : 0u);
      e.data.u64 = reinterpret_cast<uint64_t>(c);
      epoll_ctl(ep_, EPOLL_CTL_MOD, c->fd(), &e);
    }
    if (!need_out && c->wants_close())
      Close(c);
    else if (!need_out)
      MaybeReleaseOutput(c);  // a subscriber: publishers on other threads may write it now
  }

  bool draining_ = false;  // shutting down: flush replies, read nothing
  int ep_ = -1;
  int event_fd_ = -1;
  std::string buf_;
  std::vector<Connection*> dead_;
};

}  // namespace

std::unique_ptr<Worker> MakeEpollWorker(Server& server, unsigned index, int listen_fd) {
  return std::make_unique<EpollWorker>(server, index, listen_fd);
}

}  // namespace aegisr
