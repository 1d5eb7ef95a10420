// The io_uring backend of Worker: one ring per thread (SINGLE_ISSUER | DEFER_TASKRUN where the
// kernel has them), multishot accept, multishot recv into a provided buffer ring, one send in
// flight per socket with replies gathered between sends, every SQE of an iteration submitted
// by one io_uring_enter, and IORING_OP_MSG_RING for wake-ups from other loop threads.
//
// Completion tags: user_data is either a small constant (accept, wake, timer, eventfd) or a
// Connection pointer with the operation in its low bits. A connection is freed only when no
// operation references it any more (ops_inflight == 0), so a late completion never sees freed
// memory.
#include <liburing.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/logging.h"
#include "net/recv_buffer_pool.h"
#include "net/server.h"

namespace aegisr {
namespace {

constexpr unsigned kRingEntries = 1024;
constexpr unsigned kCqEntries = 16384;
constexpr unsigned kBufCount = 256;       // provided buffers per thread (power of two)
constexpr unsigned kBufSize = 16 * 1024;  // bytes per provided buffer
constexpr unsigned kMinRecvBuffers = 16;  // offered to the kernel at least (RecvBufferPool)
constexpr unsigned kBufGroup = 0;

constexpr uint64_t kTagAccept = 1;
constexpr uint64_t kTagWake = 2;     // MSG_RING from another worker
constexpr uint64_t kTagEventFd = 3;  // eventfd read (wake from a non-loop thread)
constexpr uint64_t kTagTimer = 4;
constexpr uint64_t kTagIgnore = 5;      // completions we do not act on (cancel, msg_ring sender)
constexpr uint64_t kTagTierWrite = 6;   // a batch of the disk tier's segment log
constexpr uint64_t kTagBlockTimer = 7;  // the earliest deadline of a blocked client
constexpr uint64_t kTagMax = 15;

constexpr uint64_t kOpRecv = 0;
constexpr uint64_t kOpSend = 1;
constexpr uint64_t kOpRead = 2;  // user_data is a ColdRead (a disk tier read), not a Connection
constexpr uint64_t kOpMask = 7;

class UringWorker;
thread_local UringWorker* t_current = nullptr;

// One read of a cold value in flight. The plan keeps the segment file open.
// Concurrent reads of one record on this loop are coalesced: later askers wait on the first;
// askers on other loops wait through the server's ColdReadRegistry (HandOver).
struct alignas(8) ColdRead {
  Connection* conn;
  ColdKey key;
  tier::SegmentLog::ReadPlan plan;
  std::string buf;
  std::vector<std::pair<Connection*, ColdKey>> waiters;  // the same record, asked for since
};

// Where a record is: writer, segment, offset.
inline uint64_t RecordId(const ColdKey& k) {
  return (uint64_t(k.writer) << 57) ^ (uint64_t(k.ref.segment) << 32) ^ k.ref.offset;
}

class UringWorker final : public Worker {
 public:
  using Worker::Worker;

  ~UringWorker() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    if (bufs_) munmap(bufs_, size_t(kBufCount) * kBufSize);
    if (br_) munmap(br_, BufRingBytes());
    if (event_fd_ >= 0) ::close(event_fd_);
  }

  Status Init() override {
    io_uring_params p{};
    // TASKRUN_FLAG: the kernel raises IORING_SQ_TASKRUN in shared memory when completions are
    // waiting to be run, which is what the idle poll watches (6.1+).
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE |
              IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = kCqEntries;
    int r = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    if (r == -EINVAL) {
      p = io_uring_params{};
      p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
      p.cq_entries = kCqEntries;
      r = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    }
    if (r == -EINVAL) {  // older kernel: no DEFER_TASKRUN / SINGLE_ISSUER
      p = io_uring_params{};
      p.flags = IORING_SETUP_CQSIZE;
      p.cq_entries = kCqEntries;
      r = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    }
    if (r < 0) return Status::Error(std::string("io_uring_queue_init: ") + strerror(-r));
    ring_ready_ = true;
    can_poll_ = (p.flags & IORING_SETUP_TASKRUN_FLAG) != 0;
    // liburing 2.3 has no io_uring_setup_buf_ring: map the ring ourselves and register it.
    void* mem =
        mmap(nullptr, BufRingBytes(), PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) return Status::Error("mmap of the buffer ring failed");
    br_ = static_cast<io_uring_buf_ring*>(mem);
    mem = mmap(nullptr, size_t(kBufCount) * kBufSize, PROT_READ | PROT_WRITE,
               MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) return Status::Error("mmap of the receive buffers failed");
    bufs_ = static_cast<char*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br_);
    reg.ring_entries = kBufCount;
    reg.bgid = kBufGroup;
    r = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (r < 0) return Status::Error(std::string("io_uring_register_buf_ring: ") + strerror(-r));
    io_uring_buf_ring_init(br_);
    RefillRecvBuffers();

    event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd_ < 0) return Status::Error(std::string("eventfd: ") + strerror(errno));
    server_.ring_fds()[index_].store(ring_.ring_fd, std::memory_order_release);
    t_current = this;
    ArmAccept();
    ArmEventFd();
    ArmTimer();
    return Status::Ok();
  }

  void Run() override {
    t_current = this;
    while (true) {
      if (stopping()) {
        if (!draining_) BeginDrain();
        if (DrainDone()) break;
      }
      // Messages this thread published to its own connections after DrainTasks (from the cron,
      // e.g. keyspace notifications of active expiry): Wake() is a no-op on the loop's own
      // thread and no completion may follow, so deliver them before sleeping.
      DeliverMessages();
      Flush();
      SubmitTierWrite();
      IdlePoll();
      int r = io_uring_submit_and_wait(&ring_, 1);
      if (r < 0 && r != -EINTR && r != -ETIME && r != -EBUSY) {
        LOG(Error) << "io_uring_submit_and_wait: " << strerror(-r);
        break;
      }
      unsigned head, count = 0;
      io_uring_cqe* cqe;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        Handle(cqe);
        ++count;
      }
      io_uring_cq_advance(&ring_, count);
      RefillRecvBuffers();
      DrainTasks();
      MaybeCron();
      MaybeShrinkRecvBuffers();
      ArmBlockTimer(ExpireBlocked());
    }
    server_.ring_fds()[index_].store(-1, std::memory_order_release);
    // SQEs queued since the last submit may be MSG_RING wake-ups for other workers (SHUTDOWN
    // ran here): submit them, or those workers would sleep until their next timer tick.
    io_uring_submit(&ring_);
    // Exiting: the ring goes away with every request on it; then the sockets.
    io_uring_queue_exit(&ring_);
    ring_ready_ = false;
    if (tier_write_inflight_) engine_.tier().CompleteBatch(index_, -ECANCELED);
    for (ColdRead* op : cold_reads_) delete op;
    cold_reads_.clear();
    std::vector<Connection*> all;
    for (auto& [id, c] : conns_) all.push_back(c);
    for (Connection* c : all) Destroy(c);
  }

  void Wake() override {
    if (t_current == this) return;  // our own loop drains tasks every iteration
    int target = server_.ring_fds()[index_].load(std::memory_order_acquire);
    if (t_current && target >= 0) {
      // From another loop thread: a message on our ring, no syscall of our own.
      io_uring_sqe* sqe = t_current->GetSqe();
      io_uring_prep_msg_ring(sqe, target, 0, kTagWake, 0);
      io_uring_sqe_set_data64(sqe, kTagIgnore);
      return;
    }
    uint64_t one = 1;
    ssize_t w = ::write(event_fd_, &one, sizeof(one));
    (void)w;
  }

  void Close(Connection* c) override {
    if (c->closing) return;
    c->closing = true;
    c->outlet().Close();
    ::shutdown(c->fd(), SHUT_RDWR);  // ends the multishot recv and any send in flight
    if (c->ops_inflight == 0) DestroyConn(c);
  }

 private:
  static size_t BufRingBytes() {
    size_t bytes = sizeof(io_uring_buf) * kBufCount;
    size_t page = 4096;
    return (bytes + page - 1) / page * page;
  }

  // Idle polling. Sleeping in io_uring_enter when the loop runs out of work costs twice: the
  // next request's sender pays for a wake-up (on loopback the client's send() runs our socket's
  // wake-up, IPI included: 13-16% of redis-benchmark's CPU in perf), and we pay to be scheduled
  // back in. Under request/reply traffic the next request is usually microseconds away, so
  // after an iteration that moved client data we submit what we have and watch the ring's
  // shared flags for up to idle-poll-us before sleeping, calling sched_yield() in between.
  //
  // Polling only pays on a core nothing else wants, and sched_yield does not make a poller give
  // way to a neighbour that has used more CPU (EEVDF): measured on a 2-core host running
  // redis-benchmark, two polling workers lost the p99 (3 ms against 0.5 ms). So a poller needs
  // one of the server's idle-poll slots, which exist only for cores the workers leave over
  // (Server::TryStartIdlePoll): with the default one worker per CPU, nobody polls.
  void IdlePoll() {
    int64_t us = engine_.config().idle_poll_us.load(std::memory_order_relaxed);
    // Only after client traffic: an iteration woken by the timer or a wake-up alone says
    // nothing about more requests coming.
    bool had_io = std::exchange(client_io_, false);
    if (us <= 0 || !had_io || !can_poll_ || stopping() || io_uring_cq_ready(&ring_)) return;
    if (!server_.TryStartIdlePoll()) return;
    struct EndPoll {
      Server& server;
      ~EndPoll() { server.EndIdlePoll(); }
    } end{server_};
    io_uring_submit_and_get_events(&ring_);  // sends out; runs completions already queued
    if (io_uring_cq_ready(&ring_)) return;
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const int64_t deadline = now.tv_sec * 1000000000LL + now.tv_nsec + us * 1000;
    for (unsigned i = 1;; ++i) {
      if (IO_URING_READ_ONCE(*ring_.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))
        return;
      if (io_uring_cq_ready(&ring_)) return;
      sched_yield();
      if ((i & 7) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec * 1000000000LL + now.tv_nsec > deadline) return;
      }
    }
  }

  // Offers the kernel receive buffers up to the pool's target (before the next submit, which may
  // re-arm recvs that ran out).
  void RefillRecvBuffers() {
    int added = 0;
    recv_buffers_.Refill([&](unsigned bid) {
      io_uring_buf_ring_add(br_, bufs_ + size_t(bid) * kBufSize, kBufSize, bid,
                            io_uring_buf_ring_mask(kBufCount), added++);
    });
    if (added > 0) io_uring_buf_ring_advance(br_, added);
  }

  // Once a second: cold free receive buffers give their pages back (RecvBufferPool::Tick). Only
  // buffers the kernel does not hold are released, so nothing can write into them meanwhile.
  void MaybeShrinkRecvBuffers() {
    const int64_t now = Engine::NowMs();
    if (now < next_buffer_tick_ms_) return;
    next_buffer_tick_ms_ = now + 1000;
    recv_buffers_.Tick(
        [this](unsigned bid) { madvise(bufs_ + size_t(bid) * kBufSize, kBufSize, MADV_DONTNEED); });
  }

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (!sqe) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void ArmAccept() {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_multishot_accept(sqe, listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, kTagAccept);
  }

  void ArmEventFd() {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_read(sqe, event_fd_, &event_val_, sizeof(event_val_), 0);
    io_uring_sqe_set_data64(sqe, kTagEventFd);
  }

  void ArmTimer() {
    int64_t hz = std::max<int64_t>(1, engine_.config().hz.load(std::memory_order_relaxed));
    timer_ts_.tv_sec = 0;
    timer_ts_.tv_nsec = (1000000000 / hz);
    if (timer_ts_.tv_nsec >= 1000000000) {
      timer_ts_.tv_sec = 1;
      timer_ts_.tv_nsec = 0;
    }
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_timeout(sqe, &timer_ts_, 0, 0);
    io_uring_sqe_set_data64(sqe, kTagTimer);
  }

  // Blocked clients' timeouts: a one-shot timeout for the earliest deadline when it comes before
  // the one armed (the cron's tick alone would round a 0.1 s timeout up to the next tick).
  void ArmBlockTimer(int64_t deadline_ms) {
    if (deadline_ms == 0 || (block_timer_at_ != 0 && block_timer_at_ <= deadline_ms)) return;
    int64_t wait_ms = std::max<int64_t>(0, deadline_ms - Engine::NowMs());
    block_ts_.tv_sec = wait_ms / 1000;
    block_ts_.tv_nsec = (wait_ms % 1000) * 1000000;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_timeout(sqe, &block_ts_, 0, 0);
    io_uring_sqe_set_data64(sqe, kTagBlockTimer);
    block_timer_at_ = deadline_ms;
  }

  void ArmRecv(Connection* c) {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_recv_multishot(sqe, c->fd(), nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufGroup;
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(c) | kOpRecv);
    ++c->ops_inflight;
  }

  void Send(Connection* c) override { StartSend(c); }

  void StartSend(Connection* c) {
    if (c->send_inflight) return;
    c->ReclaimOutput();  // messages publishers wrote through the outlet go first
    if (c->out().empty()) {
      if (c->wants_close()) Close(c);
      return;
    }
    c->sending.swap(c->out());
    c->out().clear();
    c->sent = 0;
    SubmitSend(c);
  }

  void SubmitSend(Connection* c) {
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_send(sqe, c->fd(), c->sending.data() + c->sent, c->sending.size() - c->sent,
                       MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(c) | kOpSend);
    c->send_inflight = true;
    ++c->ops_inflight;
  }

  void DestroyConn(Connection* c) {
    ForgetFlush(c);
    Destroy(c);
  }

  void Handle(io_uring_cqe* cqe) {
    uint64_t tag = io_uring_cqe_get_data64(cqe);
    if (tag <= kTagMax) {
      HandleSpecial(tag, cqe);
      return;
    }
    if ((tag & kOpMask) == kOpRead) {
      OnColdRead(reinterpret_cast<ColdRead*>(tag & ~kOpMask), cqe->res);
      return;
    }
    auto* c = reinterpret_cast<Connection*>(tag & ~kOpMask);
    client_io_ = true;
    if ((tag & kOpMask) == kOpSend)
      OnSend(c, cqe->res);
    else
      OnRecv(c, cqe);
  }

  void HandleSpecial(uint64_t tag, io_uring_cqe* cqe) {
    switch (tag) {
      case kTagAccept: {
        if (cqe->res >= 0) {
          if (Connection* c = Accept(cqe->res)) {
            ArmRecv(c);
          }
        } else if (cqe->res != -ECANCELED && !draining_) {
          LOG(Warning) << "accept: " << strerror(-cqe->res);
        }
        if (!(cqe->flags & IORING_CQE_F_MORE) && !draining_) ArmAccept();
        break;
      }
      case kTagEventFd:
        ArmEventFd();
        break;
      case kTagTimer:
        ArmTimer();
        break;
      case kTagBlockTimer:
        block_timer_at_ = 0;  // the loop expires what is due, then arms the next one
        break;
      case kTagTierWrite:
        tier_write_inflight_ = false;
        engine_.tier().CompleteBatch(index_, cqe->res);
        break;
      default:
        break;  // kTagWake, kTagIgnore: the loop drains tasks after every batch
    }
  }

  void OnRecv(Connection* c, io_uring_cqe* cqe) {
    bool more = cqe->flags & IORING_CQE_F_MORE;
    int res = cqe->res;
    if (cqe->flags & IORING_CQE_F_BUFFER) {
      unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      if (res > 0 && !c->closing && !draining_) {
        ThreadStats::Inc(engine_.thread_stats().net_input_bytes, uint64_t(res));
        c->ReclaimOutput();  // its commands' replies follow what publishers wrote
        c->Feed(std::string_view(bufs_ + size_t(bid) * kBufSize, size_t(res)));
        if (c->parked() || c->blocked()) AfterInput(c);
      }
      recv_buffers_.Returned(bid);
    }
    if (res == -ENOBUFS) recv_buffers_.NoteStarved();
    if (!more) --c->ops_inflight;
    if (c->closing) {
      if (c->ops_inflight == 0) DestroyConn(c);
      return;
    }
    if (res == 0 && c->parked()) {  // EOF behind a command waiting for the disk tier
      c->CloseAfterInput();
      return;
    }
    if (res == 0 && !c->wants_close() && (c->send_inflight || !c->out().empty())) {
      // EOF with replies pending (a half-closed client, `... | nc -N`): the data and the EOF
      // can arrive in one batch; send what it asked for, then close, as Redis effectively does.
      c->client().close_after_reply = true;
      MarkFlush(c);
      return;
    }
    if (res == 0 || (res < 0 && res != -ENOBUFS)) {  // EOF or error: the client is gone
      Close(c);
      return;
    }
    if (!more && !draining_) ArmRecv(c);  // re-arm after ENOBUFS or end of multishot
    if (!c->out().empty() || c->wants_close()) MarkFlush(c);
  }

  void OnSend(Connection* c, int res) {
    --c->ops_inflight;
    c->send_inflight = false;
    if (c->closing) {
      if (c->ops_inflight == 0) DestroyConn(c);
      return;
    }
    if (res < 0) {
      Close(c);
      return;
    }
    ThreadStats::Inc(engine_.thread_stats().net_output_bytes, uint64_t(res));
    c->sent += size_t(res);
    if (c->sent < c->sending.size()) {  // short send: the rest goes next
      SubmitSend(c);
      return;
    }
    c->sending.clear();
    if (c->sending.capacity() > (4u << 20)) c->sending.shrink_to_fit();
    if (!c->out().empty() || c->wants_close())
      MarkFlush(c);
    else
      MaybeReleaseOutput(c);  // a subscriber: publishers on other threads may write it now
  }

  void BeginDrain() {
    draining_ = true;
    drain_deadline_ms_ = Engine::NowMs() + 2000;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_cancel64(sqe, kTagAccept, 0);
    io_uring_sqe_set_data64(sqe, kTagIgnore);
    for (auto& [id, c] : conns_) {
      c->ReclaimOutput();
      if (!c->out().empty()) MarkFlush(c);
    }
  }

  bool AsyncDisk() const override { return true; }

  void StartColdRead(Connection* c, ColdKey key) override {
    const uint64_t id = RecordId(key);
    if (auto it = reads_by_record_.find(id); it != reads_by_record_.end()) {
      ++c->ops_inflight;
      it->second->waiters.emplace_back(c, std::move(key));
      engine_.tier().CountCoalesced();
      return;
    }
    // Another worker reading the record: wait for its read (it posts the bytes back here).
    if (server_.cold_reads().JoinOrBegin(id, index_, Server::ColdWaiter{index_, c, key})) {
      ++c->ops_inflight;
      engine_.tier().CountCoalesced();
      return;
    }
    tier::SegmentLog* log = engine_.tier().log(key.writer);
    auto* op = new ColdRead{c, std::move(key), {}, {}, {}};
    Status st = log ? log->PlanRead(op->key.ref, &op->plan) : Status::Error("no such tier writer");
    if (!st.ok() || op->plan.in_memory) {  // nothing to read from the file
      ColdReadDone(c, op->key, op->plan.bytes, st);
      HandOver(id, op->plan.bytes, st);
      delete op;
      return;
    }
    op->buf.resize(op->plan.length);
    cold_reads_.insert(op);
    reads_by_record_[RecordId(op->key)] = op;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_read(sqe, op->plan.fd, op->buf.data(), op->plan.length, op->plan.offset);
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(op) | kOpRead);
    ++c->ops_inflight;
  }

  void OnColdRead(ColdRead* op, int res) {
    cold_reads_.erase(op);
    reads_by_record_.erase(RecordId(op->key));  // before any callback: they may ask again
    Status st = res == int(op->buf.size())
                    ? Status::Ok()
                    : Status::Error(res < 0 ? strerror(-res) : "short read from the disk tier");
    auto deliver = [&](Connection* c, const ColdKey& key) {
      --c->ops_inflight;
      if (c->closing) {
        if (c->ops_inflight == 0) DestroyConn(c);
        return;
      }
      ColdReadDone(c, key, st.ok() ? std::string_view(op->buf) : std::string_view(), st);
    };
    deliver(op->conn, op->key);
    for (auto& [c, key] : op->waiters) deliver(c, key);
    HandOver(RecordId(op->key), st.ok() ? std::string_view(op->buf) : std::string_view(), st);
    delete op;
  }

  // Gives the result of this worker's read of record `id` to the connections of other workers
  // that queued behind it, each on its own worker's thread (with its own copy of the bytes).
  void HandOver(uint64_t id, std::string_view record, const Status& st) {
    for (Server::ColdWaiter& w : server_.cold_reads().Finish(id)) {
      auto* to = static_cast<UringWorker*>(server_.worker(w.worker));
      to->Post([to, c = w.conn, key = std::move(w.key), bytes = std::string(record), st] {
        to->ForeignColdReadDone(c, key, bytes, st);
      });
    }
  }

  // On this worker's thread: a read another worker did for c.
  void ForeignColdReadDone(Connection* c, const ColdKey& key, const std::string& record,
                           const Status& st) {
    --c->ops_inflight;
    if (c->closing) {
      if (c->ops_inflight == 0) DestroyConn(c);
      return;
    }
    ColdReadDone(c, key, record, st);  // (replies go out at the loop's next Flush)
  }

  // The disk tier's pending batch of this thread's segment log, one write in flight.
  void SubmitTierWrite() {
    if (tier_write_inflight_) return;
    tier::SegmentLog::WriteBatch b;
    if (!engine_.tier().TakeBatch(index_, &b)) return;
    io_uring_sqe* sqe = GetSqe();
    io_uring_prep_write(sqe, b.fd, b.data, unsigned(b.size), b.offset);
    io_uring_sqe_set_data64(sqe, kTagTierWrite);
    tier_write_inflight_ = true;
  }

  bool DrainDone() {
    if (Engine::NowMs() > drain_deadline_ms_) return true;
    for (auto& [id, c] : conns_)
      if (!c->closing && (c->send_inflight || !c->out().empty())) return false;
    return true;
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  bool can_poll_ = false;   // the ring has IORING_SETUP_TASKRUN_FLAG
  bool client_io_ = false;  // this iteration completed a recv or send
  io_uring_buf_ring* br_ = nullptr;
  char* bufs_ = nullptr;
  RecvBufferPool recv_buffers_{kBufCount, kMinRecvBuffers};
  int64_t next_buffer_tick_ms_ = 0;
  int event_fd_ = -1;
  uint64_t event_val_ = 0;
  __kernel_timespec timer_ts_{};
  __kernel_timespec block_ts_{};
  int64_t block_timer_at_ = 0;  // deadline of the block timer in flight (0: none)
  bool draining_ = false;
  int64_t drain_deadline_ms_ = 0;
  bool tier_write_inflight_ = false;
  std::unordered_set<ColdRead*> cold_reads_;  // in flight (freed at exit if never completed)
  std::unordered_map<uint64_t, ColdRead*> reads_by_record_;  // RecordId -> the read in flight
};

}  // namespace

bool ProbeIoUring(std::string* why) {
  io_uring ring;
  io_uring_params p{};
  int r = io_uring_queue_init_params(8, &ring, &p);
  if (r < 0) {
    *why = std::string("io_uring_setup: ") + strerror(-r);
    return false;
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  bool ok = probe && io_uring_opcode_supported(probe, IORING_OP_RECV) &&
            io_uring_opcode_supported(probe, IORING_OP_SEND) &&
            io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
            io_uring_opcode_supported(probe, IORING_OP_MSG_RING) &&
            io_uring_opcode_supported(probe, IORING_OP_PROVIDE_BUFFERS);
  if (probe) io_uring_free_probe(probe);
  if (ok) {
    // Provided buffer rings (5.19+) are needed too: try registering a tiny one.
    void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(mem);
    reg.ring_entries = 1;
    reg.bgid = 0;
    if (mem == MAP_FAILED || io_uring_register_buf_ring(&ring, &reg, 0) < 0) {
      ok = false;
      *why = "provided buffer rings are not supported by this kernel";
    }
    if (mem != MAP_FAILED) munmap(mem, 4096);
  } else {
    *why = "the kernel lacks a needed io_uring opcode (multishot recv, MSG_RING)";
  }
  io_uring_queue_exit(&ring);
  return ok;
}

std::unique_ptr<Worker> MakeUringWorker(Server& server, unsigned index, int listen_fd) {
  return std::make_unique<UringWorker>(server, index, listen_fd);
}

}  // namespace aegisr
