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

  void HandOff(const ObjectOps& ops, void* obj) {
    {
      std::lock_guard lk(mu_);
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
      queue_.emplace_back(&ops, obj);
      pending_.fetch_add(1, std::memory_order_relaxed);
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
      auto [ops, obj] = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lk.unlock();
      ops->free(obj);
      pending_.fetch_sub(1, std::memory_order_relaxed);
      freed_.fetch_add(1, std::memory_order_relaxed);
      lk.lock();
      busy_ = false;
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::pair<const ObjectOps*, void*>> queue_;
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
    TheFreer().HandOff(ops, obj);
    return;
  }
  ops.free(obj);
}

LazyFreeScope::LazyFreeScope(bool lazy) : saved_(t_lazy) { t_lazy = lazy; }
LazyFreeScope::~LazyFreeScope() { t_lazy = saved_; }

uint64_t LazyFreePending() { return TheFreer().pending_.load(std::memory_order_relaxed); }
uint64_t LazyFreedObjects() { return TheFreer().freed_.load(std::memory_order_relaxed); }
void LazyFreeDrain() { TheFreer().Drain(); }

}  // namespace aegisr
