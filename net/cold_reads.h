#pragma once
// ColdReadRegistry: the disk-tier reads in flight on all workers (io_uring backend), so that a
// worker that needs a record another worker is already reading queues behind that read instead
// of reading it again: concurrent reads of one value are coalesced across threads. (Within one
// worker its own table does this without a lock; this registry is asked only on a local miss.)
// Thread-safe. Waiter is whatever the reader needs to hand the result back to the waiter's
// worker; the registry only stores it.

#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aegisr {

template <typename Waiter>
class ColdReadRegistry {
 public:
  // If a worker other than `worker` is reading record `id`, queues w behind it and returns
  // true. Otherwise records `worker` as the reader of `id` and returns false (w is unused).
  bool JoinOrBegin(uint64_t id, unsigned worker, Waiter&& w) {
    std::lock_guard lk(mu_);
    auto [it, fresh] = reads_.try_emplace(id);
    if (!fresh && it->second.reader != worker) {
      it->second.waiters.push_back(std::move(w));
      return true;
    }
    it->second.reader = worker;
    return false;
  }

  // The reader of `id` is done: forgets the read and returns the waiters queued behind it,
  // whom the reader must hand the result to. Only the reader calls this.
  std::vector<Waiter> Finish(uint64_t id) {
    std::lock_guard lk(mu_);
    auto it = reads_.find(id);
    if (it == reads_.end()) return {};
    std::vector<Waiter> out = std::move(it->second.waiters);
    reads_.erase(it);
    return out;
  }

  size_t in_flight() const {
    std::lock_guard lk(mu_);
    return reads_.size();
  }

 private:
  struct Read {
    unsigned reader = 0;
    std::vector<Waiter> waiters;
  };
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Read> reads_;
};

}  // namespace aegisr
