// The background freer: one thread, started at the first hand-off, with a queue under a mutex.
// At exit the queue is drained and the thread joined (a static's destructor), so that nothing
// handed off is leaked.
#include "engine/keyspace/lazy_free.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "engine/keyspace/entry.h"

namespace aegisr {
namespace {

thread_local bool t_lazy = false;

class Freer {
 public:
  ~Freer() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void HandOff(void (*free)(void*), void* obj, uint64_t items) {
    {
      std::lock_guard lk(mu_);
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
      queue_.push_back(Job{free, obj, items});
      pending_.fetch_add(items, std::memory_order_relaxed);
    }
    cv_.notify_one();
  }

  void Drain() {
    std::unique_lock lk(mu_);
    idle_cv_.wait(lk, [&] { return queue_.empty() && !busy_; });
  }

  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> freed_{0};

 private:
  void Run() {
    std::unique_lock lk(mu_);
    while (true) {
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      const Job job = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lk.unlock();
      job.free(job.obj);
      pending_.fetch_sub(job.items, std::memory_order_relaxed);
      freed_.fetch_add(job.items, std::memory_order_relaxed);
      lk.lock();
      busy_ = false;
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  struct Job {
    void (*free)(void*);
    void* obj;
    uint64_t items;
  };
  std::deque<Job> queue_;
  bool stop_ = false;
  bool busy_ = false;
  std::thread thread_;
};

Freer& TheFreer() {
  static Freer freer;
  return freer;
}

size_t Effort(const ObjectOps& ops, const void* obj) {
  return ops.free_effort ? ops.free_effort(obj) : ops.memory(obj) / 8192;
}

}  // namespace

void FreeObject(const ObjectOps& ops, void* obj) {
  if (t_lazy && Effort(ops, obj) >= kLazyFreeMinEffort) {
    TheFreer().HandOff(ops.free, obj, 1);
    return;
  }
  ops.free(obj);
}

void FreeLater(void (*free)(void*), void* obj, uint64_t items) {
  TheFreer().HandOff(free, obj, items);
}

bool LazyFreeActive() { return t_lazy; }

LazyFreeScope::LazyFreeScope(bool lazy) : saved_(t_lazy) { t_lazy = lazy; }
LazyFreeScope::~LazyFreeScope() { t_lazy = saved_; }

uint64_t LazyFreePending() { return TheFreer().pending_.load(std::memory_order_relaxed); }
uint64_t LazyFreedObjects() { return TheFreer().freed_.load(std::memory_order_relaxed); }
void LazyFreeDrain() { TheFreer().Drain(); }

}  // namespace aegisr
