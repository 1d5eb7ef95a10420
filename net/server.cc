// Server and the backend-independent half of Worker: listeners (one SO_REUSEPORT socket per
// worker, after a plain bind probe so that a port already in use is reported), threads,
// cross-thread tasks, connection admission (maxclients) and shutdown.
#include "net/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>

#include "base/logging.h"
#include "engine/errors.h"

namespace aegisr {

// ---- Worker ----

Worker::Worker(Server& server, unsigned index, int listen_fd)
    : server_(server), engine_(server.engine()), index_(index), listen_fd_(listen_fd) {}

Worker::~Worker() {
  for (PubSubOutlet* o : remote_) o->Unref();
  for (auto& [id, c] : conns_) {
    ::close(c->fd());
    delete c;
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void Worker::Post(std::function<void()> fn) {
  {
    std::lock_guard lk(task_mu_);
    tasks_.push_back(std::move(fn));
  }
  has_tasks_.store(true, std::memory_order_release);
  Wake();
}

void Worker::QueueMessage(std::string_view channel, std::string_view message,
                          const PubSubDelivery::Target* targets, const std::vector<uint32_t>& idx,
                          Worker* from, std::string_view encoded) {
  bool was_empty, queued = false;
  {
    std::lock_guard lk(mail_mu_);
    was_empty = mail_.empty();
    // Receivers whose outlets take it get the message from the publisher's thread directly;
    // the others go through the mailbox. Both decided under mail_mu_, which Release needs.
    uint32_t first = uint32_t(mail_.recipients.size());
    for (uint32_t i : idx) {
      const PubSubDelivery::Target& t = targets[i];
      bool flush = false;
      if (from && t.outlet &&
          t.outlet->TryAppend(t.kind, t.pattern ? std::string_view(*t.pattern) : "", encoded,
                              &flush)) {
        if (flush) from->AddRemote(t.outlet);
        continue;
      }
      uint32_t pattern = 0;
      if (t.pattern) {
        pattern = uint32_t(mail_.patterns.size());
        mail_.patterns.push_back(*t.pattern);
      }
      mail_.recipients.push_back({t.client_id, t.kind, pattern});
    }
    uint32_t count = uint32_t(mail_.recipients.size()) - first;
    if (count > 0) {
      PubSubMailbox::Message& m = mail_.messages.emplace_back();
      m.channel.assign(channel);
      m.message.assign(message);
      m.first = first;
      m.count = count;
      has_mail_.store(true, std::memory_order_release);
      queued = true;
    }
  }
  // A non-empty mailbox has a wake-up on its way already: one per batch, not per message.
  if (queued && was_empty) Wake();
}

void Worker::AddRemote(PubSubOutlet* o) {
  o->Ref();
  remote_.push_back(o);
}

void Worker::FlushRemote() {
  if (remote_.empty()) return;
  ThreadStats& st = engine_.thread_stats();
  for (PubSubOutlet* o : remote_) {
    bool handoff = false;
    size_t sent = o->Flush(&handoff);
    if (sent > 0) {
      ThreadStats::Inc(st.net_output_bytes, uint64_t(sent));
      ThreadStats::Inc(st.pubsub_direct_writes);
    }
    if (handoff) {
      Worker* w = server_.worker(o->owner());
      uint64_t id = o->client_id();
      w->Post([w, id] { w->TakeBack(id); });
    }
    o->Unref();
  }
  remote_.clear();
}

void Worker::TakeBack(uint64_t id) {
  Connection* c = FindConnection(id);
  if (!c || c->closing) return;
  c->ReclaimOutput();
  MarkFlush(c);
}

void Worker::MaybeReleaseOutput(Connection* c) {
  if (!c->CanReleaseOutput() || stopping()) return;
  std::lock_guard lk(mail_mu_);
  if (!mail_.empty()) return;  // it may hold messages for c: they go first, then a send, then here
  c->outlet().Release(c->client().resp.load(std::memory_order_relaxed));
}

bool Worker::DeliverMessages(bool enforce_limits) {
  if (!has_mail_.load(std::memory_order_acquire)) return false;
  {
    std::lock_guard lk(mail_mu_);
    std::swap(delivering_, mail_);  // mail_ gets the old batch's capacity back
    has_mail_.store(false, std::memory_order_relaxed);
  }
  Config& cfg = engine_.config();
  size_t hard = size_t(cfg.obl_pubsub_hard.load(std::memory_order_relaxed));
  size_t soft = size_t(cfg.obl_pubsub_soft.load(std::memory_order_relaxed));
  int64_t soft_ms = cfg.obl_pubsub_soft_seconds.load(std::memory_order_relaxed) * 1000;
  int64_t now = Engine::NowMs();
  for (const PubSubMailbox::Message& m : delivering_.messages) {
    // The channel and payload, encoded once for all of this worker's receivers.
    encoded_.clear();
    EncodeChannelMessage(&encoded_, m.channel, m.message);
    for (uint32_t r = m.first; r < m.first + m.count; ++r) {
      const PubSubMailbox::Recipient& to = delivering_.recipients[r];
      Connection* c = FindConnection(to.client_id);
      if (!c || c->closing || c->wants_close()) continue;
      c->PushEncoded(to.kind,
                     to.kind == PubSubKind::kPMessage
                         ? std::string_view(delivering_.patterns[to.pattern])
                         : std::string_view(),
                     encoded_);
      if (!enforce_limits) {  // inside a command: the next regular delivery checks the limits
        MarkFlush(c);
        continue;
      }
      if (c->OutputLimitReached(hard, soft, soft_ms, now)) {
        LOG(Warning) << "Client id=" << c->id() << " addr=" << c->client().addr
                     << " closed for overcoming of output buffer limits (pubsub, "
                     << c->PendingOutput() << " bytes pending).";
        // It hears nothing more from now on, and PUBLISH stops counting it at once.
        DropSubscriptions(engine_.pubsub(), c->client());
        Close(c);  // may free c; drops what it had not read; later messages for it are skipped
        continue;
      }
      MarkFlush(c);
    }
  }
  delivering_.clear();
  if (delivering_.recipients.capacity() > 65536) delivering_ = PubSubMailbox();
  return true;
}

bool Worker::DrainTasks() {
  bool delivered = DeliverMessages();
  if (!has_tasks_.load(std::memory_order_acquire)) return delivered;
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lk(task_mu_);
    tasks.swap(tasks_);
    has_tasks_.store(false, std::memory_order_relaxed);
  }
  for (auto& t : tasks) t();
  return !tasks.empty();
}

bool Worker::stopping() const { return server_.stopping(); }

Connection* Worker::Accept(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  // tcp-keepalive: probes after `interval` idle seconds, then every interval/3, 3 of them.
  int interval = static_cast<int>(engine_.config().tcp_keepalive.load(std::memory_order_relaxed));
  if (interval > 0) {
    int every = std::max(1, interval / 3), count = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &every, sizeof(every));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  }
  ThreadStats& st = engine_.thread_stats();
  int64_t maxclients = engine_.config().maxclients.load(std::memory_order_relaxed);
  if (stopping()) {  // shutting down: no new clients, no misleading error either
    ::close(fd);
    return nullptr;
  }
  if (server_.connection_count().fetch_add(1) >= maxclients) {
    server_.connection_count().fetch_sub(1);
    ThreadStats::Inc(st.rejected_connections);
    std::string msg = "-" + std::string(errors::kMaxClients) + "\r\n";
    ssize_t r = ::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)r;
    ::close(fd);
    return nullptr;
  }
  ThreadStats::Inc(st.connections);
  auto* c = new Connection(engine_, fd, index_);
  conns_[c->id()] = c;
  return c;
}

void Worker::Destroy(Connection* c) {
  conns_.erase(c->id());
  c->outlet().Close();  // no publisher writes to the socket from now on
  ::close(c->fd());
  delete c;
  server_.connection_count().fetch_sub(1);
}

void Worker::Flush() {
  flushing_.swap(flush_list_);
  for (Connection* c : flushing_) c->in_flush_list = false;
  for (Connection* c : flushing_) {
    if (c->closing) continue;
    if (c->output_limit_hit()) {
      Close(c);  // may free c
      continue;
    }
    Send(c);
  }
  flushing_.clear();
  FlushRemote();
}

void Worker::ForgetFlush(Connection* c) {
  if (!c->in_flush_list) return;
  flush_list_.erase(std::remove(flush_list_.begin(), flush_list_.end(), c), flush_list_.end());
  c->in_flush_list = false;
}

void Worker::KillById(uint64_t id) {
  Connection* c = FindConnection(id);
  if (!c) return;
  // Gone for PUBLISH at once, as in Redis, though the socket may close a little later.
  DropSubscriptions(engine_.pubsub(), c->client());
  Close(c);
}

void Worker::OnBlockedWake(uint64_t id) {
  Connection* c = FindConnection(id);
  if (c && !c->closing && c->FinishBlocked()) AfterInput(c);
}

void Worker::AfterInput(Connection* c) {
  if (c->closing) return;
  if (c->blocked() && !c->block_tracked) {
    c->block_tracked = true;
    if (int64_t d = c->block_deadline_ms()) block_deadlines_.emplace(d, c->id());
  }
  MarkFlush(c);
  if (c->parked()) ServeParked(c);
}

int64_t Worker::ExpireBlocked() {
  if (block_deadlines_.empty()) return 0;
  int64_t now = Engine::NowMs();
  while (!block_deadlines_.empty() && block_deadlines_.begin()->first <= now) {
    uint64_t id = block_deadlines_.begin()->second;
    block_deadlines_.erase(block_deadlines_.begin());
    // The client may have been served, or have blocked again with another deadline, since.
    Connection* c = FindConnection(id);
    if (c && !c->closing && c->ExpireBlocked(now)) AfterInput(c);
  }
  return block_deadlines_.empty() ? 0 : block_deadlines_.begin()->first;
}

Connection* Worker::FindConnection(uint64_t id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void Worker::ServeParked(Connection* c) {
  if (!c->parked() || c->cold_pending > 0 || c->closing) return;
  std::vector<ColdKey> keys = c->TakeColdKeys();
  c->cold_pending = int(keys.size());
  if (keys.empty()) {  // nothing to wait for after all
    c->Resume();
    AfterInput(c);
    return;
  }
  for (ColdKey& k : keys) StartColdRead(c, std::move(k));
}

void Worker::StartColdRead(Connection* c, ColdKey key) {
  tier::SegmentLog* log = engine_.tier().log(key.writer);
  tier::SegmentLog::ReadPlan plan;
  Status st = log ? log->PlanRead(key.ref, &plan) : Status::Error("no such tier writer");
  if (!st.ok()) return ColdReadDone(c, key, {}, st);
  if (plan.in_memory) return ColdReadDone(c, key, plan.bytes, Status::Ok());
  std::string buf(plan.length, '\0');
  ssize_t n = pread(plan.fd, buf.data(), buf.size(), off_t(plan.offset));
  if (n != ssize_t(buf.size()))
    return ColdReadDone(c, key, {},
                        Status::Error(n < 0 ? strerror(errno) : "short read from the tier"));
  ColdReadDone(c, key, buf, Status::Ok());
}

void Worker::ColdReadDone(Connection* c, const ColdKey& key, std::string_view record,
                          const Status& io) {
  Status st = io;
  if (st.ok()) {
    st = engine_.tier().Install(key, record);
  } else {
    engine_.tier().ReadFailed(key, st);
  }
  if (!st.ok())
    c->FailParked("ERR the value of this key could not be read back from the disk tier (" +
                  st.message() + "); the key was dropped");
  if (--c->cold_pending > 0 || c->closing) return;
  engine_.tier().RecordColdWait(Engine::NowUs() - c->parked_at_us());
  c->Resume();
  // Its values may have gone cold again meanwhile, or the next command's; or it blocked.
  AfterInput(c);
}

void Worker::MaybeCron() {
  int64_t now = Engine::NowMs();
  if (now < next_cron_ms_) return;
  engine_.tier().Maintain(index_, !AsyncDisk());
  int64_t hz = std::max<int64_t>(1, engine_.config().hz.load(std::memory_order_relaxed));
  next_cron_ms_ = now + 1000 / hz;
  engine_.Cron(index_, server_.thread_count());
  // timeout: close clients that sent nothing for longer than that many seconds.
  int64_t timeout_ms = engine_.config().timeout.load(std::memory_order_relaxed) * 1000;
  if (timeout_ms > 0) {
    std::vector<Connection*> idle;
    for (auto& [id, c] : conns_)
      if (!c->closing && !c->blocked() &&  // blocked clients have their own timeouts
          now - c->client().last_interaction_ms.load(std::memory_order_relaxed) > timeout_ms)
        idle.push_back(c);
    for (Connection* c : idle) Close(c);  // may free c: collected first
  }
}

// ---- Server ----

Server::Server(Engine& engine) : engine_(engine) {}

Server::~Server() {
  RequestShutdown();
  Wait();
}

namespace {
Status ResolveBind(const std::string& host, int port, sockaddr_storage* ss, socklen_t* len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string p = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), p.c_str(), &hints, &res);
  if (rc != 0 || !res)
    return Status::Error("Could not resolve bind address '" + host + "': " + gai_strerror(rc));
  std::memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return Status::Ok();
}

int BindSocket(const sockaddr_storage& ss, socklen_t len, bool reuseport, int backlog,
               std::string* err) {
  int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) < 0) {
    *err = std::string("bind: ") + strerror(errno);
    ::close(fd);
    return -1;
  }
  if (::listen(fd, backlog) < 0) {
    *err = std::string("listen: ") + strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

Status Server::OpenListeners(unsigned n, std::vector<int>* fds) {
  Config& cfg = engine_.config();
  std::string host;
  {
    std::lock_guard lk(cfg.mu);
    host = cfg.bind;
  }
  // Redis's "bind" may list several addresses; the first one is served.
  if (auto sp = host.find(' '); sp != std::string::npos) host = host.substr(0, sp);
  if (!host.empty() && host[0] == '-') host = host.substr(1);
  int port = static_cast<int>(cfg.port.load());
  int backlog = static_cast<int>(cfg.tcp_backlog.load());
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (Status s = ResolveBind(host, port, &ss, &len); !s.ok()) return s;
  std::string where = host + ":" + std::to_string(port);
  std::string err;
  // A plain bind first: SO_REUSEPORT would let us share a port that another process (even
  // another aegisr-daemon) is already serving.
  int probe = BindSocket(ss, len, false, backlog, &err);
  if (probe < 0)
    return Status::Error("Could not create server TCP listening socket " + where + ": " + err);
  // Port 0 (tests): use the port the kernel picked for all listeners.
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  getsockname(probe, reinterpret_cast<sockaddr*>(&bound), &blen);
  port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                          : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  if (ss.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(port);
  ::close(probe);
  port_ = port;
  for (unsigned i = 0; i < n; ++i) {
    int fd = BindSocket(ss, len, true, backlog, &err);
    if (fd < 0) {
      for (int f : *fds) ::close(f);
      fds->clear();
      return Status::Error("Could not create server TCP listening socket " + where + ": " + err);
    }
    fds->push_back(fd);
  }
  return Status::Ok();
}

Status Server::Start() {
  Config& cfg = engine_.config();
  unsigned n = static_cast<unsigned>(cfg.threads.load());
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  std::string backend;
  {
    std::lock_guard lk(cfg.mu);
    backend = cfg.io_backend;
  }
  std::string why;
  if (backend == "epoll") {
    use_uring_ = false;
  } else if (!ProbeIoUring(&why)) {
    if (backend == "uring") return Status::Error("io-backend uring requested but " + why);
    LOG(Warning) << "io_uring is not available (" << why << "): using the epoll backend";
    use_uring_ = false;
  }
  std::vector<int> fds;
  if (Status s = OpenListeners(n, &fds); !s.ok()) return s;
  if (Status s = engine_.tier().Start(n); !s.ok()) return s;
  ring_fds_ = std::vector<std::atomic<int>>(n);
  for (auto& r : ring_fds_) r.store(-1);
  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  idle_poll_slots_ = cpus > n ? std::min(n, cpus - n) : 0;
  for (unsigned i = 0; i < n; ++i)
    workers_.push_back(use_uring_ ? MakeUringWorker(*this, i, fds[i])
                                  : MakeEpollWorker(*this, i, fds[i]));
  engine_.set_control(this);
  engine_.pubsub().set_delivery(this);
  // Start-up handshake, shared with the threads so that it outlives this function: a worker
  // reports its Init status, then runs; Start waits for every report.
  struct Startup {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Status> init;
    unsigned reported = 0;
  };
  auto startup = std::make_shared<Startup>();
  startup->init.resize(n);
  for (unsigned i = 0; i < n; ++i) {
    threads_.emplace_back([this, i, startup] {
      engine_.AttachThread(i);
      Status st = workers_[i]->Init();
      bool ok = st.ok();
      {
        std::lock_guard lk(startup->mu);
        startup->init[i] = std::move(st);
        ++startup->reported;
      }
      startup->cv.notify_all();
      if (ok) workers_[i]->Run();
    });
  }
  std::vector<Status> init;
  {
    std::unique_lock lk(startup->mu);
    startup->cv.wait(lk, [&] { return startup->reported == n; });
    init = startup->init;
  }
  for (auto& s : init) {
    if (!s.ok()) {
      RequestShutdown();
      Wait();
      return s;
    }
  }
  LOG(Info) << "Aegisr ready to accept connections tcp on port " << port_ << " (" << n
            << " threads, " << io_backend() << ")";
  return Status::Ok();
}

void Server::Wait() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  if (!workers_.empty()) engine_.pubsub().set_delivery(nullptr);
}

void Server::RequestShutdown() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  for (auto& w : workers_) w->Wake();
}

void Server::Deliver(const Target* t, size_t n, std::string_view channel,
                     std::string_view message) {
  // A client that publishes to itself hears the message before PUBLISH's reply, as in Redis:
  // it is written straight into its output (this thread, inside its command).
  Connection* self = Connection::Running();
  // The publishing loop thread, which may write other workers' subscribers itself
  // (net/pubsub_outlet.h); nullptr on any other thread.
  unsigned here = Engine::CurrentThread();
  Worker* from = here < workers_.size() ? workers_[here].get() : nullptr;
  // Per publishing thread: the receivers of each worker, reused from call to call.
  thread_local std::vector<std::vector<uint32_t>> by_worker;
  thread_local std::string encoded;
  if (by_worker.size() < workers_.size()) by_worker.resize(workers_.size());
  for (size_t i = 0; i < n; ++i) {
    if (self && self->id() == t[i].client_id) {
      self->PushMessage(t[i].kind, t[i].pattern ? *t[i].pattern : std::string_view(), channel,
                        message);
      continue;
    }
    if (t[i].thread < workers_.size()) by_worker[t[i].thread].push_back(uint32_t(i));
  }
  bool encode = true;
  for (size_t w = 0; w < workers_.size(); ++w) {
    if (by_worker[w].empty()) continue;
    // Direct writes save the other loop a wake-up per message. Past a few receivers on one
    // worker the wake-up is shared by all of them and their sends are better spread over
    // that worker's loop, so they go through its mailbox.
    Worker* direct =
        from && w != here && by_worker[w].size() <= kDirectDeliveryMax ? from : nullptr;
    if (direct && encode) {
      encoded.clear();
      EncodeChannelMessage(&encoded, channel, message);
      encode = false;
    }
    workers_[w]->QueueMessage(channel, message, t, by_worker[w], direct, encoded);
    by_worker[w].clear();
  }
}

void Server::DeliverPendingHere() {
  unsigned self = Engine::CurrentThread();
  if (self < workers_.size()) workers_[self]->DeliverPendingNow();
}

void Server::WakeBlocked(uint64_t client_id, unsigned thread) {
  if (thread >= workers_.size()) return;
  Worker* w = workers_[thread].get();
  w->Post([w, client_id] { w->OnBlockedWake(client_id); });
}

void Server::KillClient(uint64_t client_id, unsigned thread) {
  if (thread >= workers_.size()) return;
  Worker* w = workers_[thread].get();
  w->Post([w, client_id] { w->KillById(client_id); });
}

}  // namespace aegisr
