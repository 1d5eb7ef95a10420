#pragma once
// Server: the listening sockets and the worker threads, one event loop each (io_uring, or epoll
// where io_uring is unavailable), implementing the engine's ServerControl. Start/Wait run on the
// main thread; RequestShutdown and KillClient may be called from any thread.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "engine/engine.h"
#include "net/cold_reads.h"
#include "net/connection.h"

namespace aegisr {

class Server;

// A worker's pub/sub mailbox: messages published on any thread for this worker's connections,
// in the order they were queued. Each message is stored once per worker, followed by its
// recipients there; its RESP body is encoded once, when the worker delivers it.
struct PubSubMailbox {
  struct Message {
    std::string channel, message;
    uint32_t first = 0, count = 0;  // recipients[first, first + count)
  };
  struct Recipient {
    uint64_t client_id;
    PubSubKind kind;
    uint32_t pattern;  // kPMessage: index into patterns
  };
  std::vector<Message> messages;
  std::vector<Recipient> recipients;
  std::vector<std::string> patterns;

  bool empty() const { return messages.empty(); }
  void clear() {
    messages.clear();
    recipients.clear();
    patterns.clear();
  }
};

// One loop thread. The base class holds what both backends share: the connection table,
// the cross-thread task queue and the command path; subclasses do the I/O.
class Worker {
 public:
  Worker(Server& server, unsigned index, int listen_fd);
  virtual ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Sets the loop up on the calling thread (rings must be created by their issuer).
  virtual Status Init() = 0;
  // Serves until the server stops, then flushes pending replies and closes every connection.
  virtual void Run() = 0;
  // Wakes the loop from another thread so that it drains its task queue.
  virtual void Wake() = 0;

  // Runs fn on this worker's thread. Thread-safe.
  void Post(std::function<void()> fn);
  // Closes a client's connection now, dropping pending replies (CLIENT KILL). Loop thread only.
  void KillById(uint64_t id);
  // A blocked client's wait has ended (engine/blocking.h): reply and go on. Loop thread only.
  void OnBlockedWake(uint64_t id);

  unsigned index() const { return index_; }

  // PubSubDelivery::DeliverPendingHere for this worker (its own thread, inside a command).
  void DeliverPendingNow() { DeliverMessages(false); }
  // Hands one published message to the receivers targets[idx[i]] (all on this worker). With
  // `from` (the publishing loop, on its own thread), a receiver whose outlet is free gets it
  // through the outlet (`encoded`: EncodeChannelMessage's output), written by `from` at the end
  // of its iteration; the others through the mailbox, waking this loop if it was empty.
  // Thread-safe; no I/O.
  void QueueMessage(std::string_view channel, std::string_view message,
                    const PubSubDelivery::Target* targets, const std::vector<uint32_t>& idx,
                    Worker* from, std::string_view encoded);
  // A publisher's write through c's outlet fell short: c takes the rest. Loop thread only.
  void TakeBack(uint64_t id);

 protected:
  // Stops all I/O on c and frees it once the kernel holds no reference to it.
  virtual void Close(Connection* c) = 0;
  // Hands c's pending replies to the socket (called by Flush for each marked connection).
  virtual void Send(Connection* c) = 0;

  // Marks c as having replies to send at the end of this loop iteration.
  void MarkFlush(Connection* c) {
    if (c->in_flush_list || c->closing) return;
    c->in_flush_list = true;
    flush_list_.push_back(c);
  }
  // Sends for every marked connection. Send may close (and free) the connection it is given,
  // so the list is swapped out first and each entry is touched only at its own turn. Then
  // writes what this thread published through other workers' outlets (FlushRemote).
  void Flush();
  // After a send completed with nothing left: lets publishers on other threads write c's
  // messages themselves if c can (Connection::CanReleaseOutput) and the mailbox is empty.
  void MaybeReleaseOutput(Connection* c);
  // Drops c from the flush list (before freeing it).
  void ForgetFlush(Connection* c);
  // Creates the Connection for an accepted socket, or refuses it (maxclients).
  Connection* Accept(int fd);
  // Forgets and frees a connection (the backend has already stopped all I/O on it).
  void Destroy(Connection* c);
  Connection* FindConnection(uint64_t id);
  // Runs posted tasks and delivers queued pub/sub messages. Returns true if any ran.
  bool DrainTasks();
  // Writes the mailbox's messages into their connections' output and, if enforce_limits,
  // closes subscribers over the pubsub client-output-buffer-limit. Loop thread only.
  bool DeliverMessages(bool enforce_limits = true);
  void MaybeCron();
  bool stopping() const;

  // After c ran input: a client that blocked gets its deadline watched, one that parked gets
  // its values read, and its replies go out at the end of the iteration.
  void AfterInput(Connection* c);
  // Ends the waits of blocked clients whose deadline has passed. Returns the earliest deadline
  // still pending (ms since the epoch), or 0 if none.
  int64_t ExpireBlocked();

  // Disk tier. ServeParked issues the reads a parked connection's command waits for; each read
  // ends in ColdReadDone, and the last one runs the command (and what followed it).
  void ServeParked(Connection* c);
  // Reads one value: here synchronously with pread (epoll backend); the io_uring backend
  // submits the read on its ring.
  virtual void StartColdRead(Connection* c, ColdKey key);
  void ColdReadDone(Connection* c, const ColdKey& key, std::string_view record, const Status& io);
  // Whether this backend writes the tier's batches itself (io_uring); else the cron does, with
  // pwrite.
  virtual bool AsyncDisk() const { return false; }

  Server& server_;
  Engine& engine_;
  unsigned index_;
  int listen_fd_;
  std::unordered_map<uint64_t, Connection*> conns_;
  std::vector<Connection*> flush_list_;  // connections with replies to send this iteration
  std::vector<Connection*> flushing_;    // the list being flushed
  int64_t next_cron_ms_ = 0;
  std::set<std::pair<int64_t, uint64_t>> block_deadlines_;  // (deadline ms, client id)

 private:
  std::mutex task_mu_;
  std::vector<std::function<void()>> tasks_;
  std::atomic<bool> has_tasks_{false};
  std::mutex mail_mu_;
  PubSubMailbox mail_;        // guarded by mail_mu_
  PubSubMailbox delivering_;  // the batch being delivered (loop thread)
  std::string encoded_;       // a message's encoded channel and payload (loop thread)
  std::atomic<bool> has_mail_{false};
  // Other workers' outlets this thread appended to since its last Flush (one reference each).
  std::vector<PubSubOutlet*> remote_;
  void AddRemote(PubSubOutlet* o);
  void FlushRemote();
};

class Server final : public ServerControl, public PubSubDelivery {
 public:
  // A published message goes to at most this many receivers on another worker through their
  // outlets (net/pubsub_outlet.h); more go through that worker's mailbox.
  static constexpr size_t kDirectDeliveryMax = 4;

  explicit Server(Engine& engine);
  ~Server() override;

  // Binds the listeners and starts the worker threads. Errors name the address and cause.
  Status Start();
  // Blocks until every worker has exited (after RequestShutdown).
  void Wait();

  // ServerControl
  void RequestShutdown() override;
  void KillClient(uint64_t client_id, unsigned thread) override;
  void WakeBlocked(uint64_t client_id, unsigned thread) override;
  unsigned thread_count() const override { return static_cast<unsigned>(workers_.size()); }
  const char* io_backend() const override { return use_uring_ ? "io_uring" : "epoll"; }
  int tcp_port() const override { return port_; }

  // PubSubDelivery: sorts one message's receivers by worker, one mailbox append per worker.
  void Deliver(const Target* targets, size_t n, std::string_view channel,
               std::string_view message) override;
  void DeliverPendingHere() override;

  Engine& engine() { return engine_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  std::atomic<int64_t>& connection_count() { return connections_; }
  Worker* worker(unsigned i) { return workers_[i].get(); }
  // The ring fd of worker i (io_uring backend), for IORING_OP_MSG_RING wake-ups; -1 otherwise.
  std::vector<std::atomic<int>>& ring_fds() { return ring_fds_; }
  // Idle-poll slots: polling only uses cores the workers leave over (online CPUs minus
  // threads, at most one per worker), so with the default one worker per CPU nobody polls.
  bool TryStartIdlePoll() {
    if (idle_pollers_.fetch_add(1, std::memory_order_relaxed) < idle_poll_slots_) return true;
    idle_pollers_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  void EndIdlePoll() { idle_pollers_.fetch_sub(1, std::memory_order_relaxed); }

  // A connection on worker `worker` waiting for a disk-tier record another worker reads.
  struct ColdWaiter {
    unsigned worker = 0;
    Connection* conn = nullptr;  // touched only on its own worker's thread
    ColdKey key;
  };
  // Disk-tier reads in flight on every worker (io_uring backend): cross-thread coalescing.
  ColdReadRegistry<ColdWaiter>& cold_reads() { return cold_reads_; }

 private:
  Status OpenListeners(unsigned n, std::vector<int>* fds);

  Engine& engine_;
  bool use_uring_ = true;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> connections_{0};
  std::atomic<unsigned> idle_pollers_{0};
  unsigned idle_poll_slots_ = 0;  // set by Start
  ColdReadRegistry<ColdWaiter> cold_reads_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<std::atomic<int>> ring_fds_;
};

// True if this kernel lets us create an io_uring with the features the loop needs.
bool ProbeIoUring(std::string* why);

std::unique_ptr<Worker> MakeUringWorker(Server& server, unsigned index, int listen_fd);
std::unique_ptr<Worker> MakeEpollWorker(Server& server, unsigned index, int listen_fd);

}  // namespace aegisr
