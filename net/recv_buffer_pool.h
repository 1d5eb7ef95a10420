#pragma once
// RecvBufferPool: which of an io_uring worker's provided receive buffers the kernel may fill.
//
// The kernel takes provided buffers from the head of the buffer ring, in ring order. Handing it
// every buffer (256 x 16 KiB) made it cycle through all of them, so each worker kept 4 MiB
// resident as soon as a few megabytes had passed through it, however light the load. Instead
// only `target` buffers are in the kernel's hands at a time, and they are taken from a stack of
// free buffers, most recently used first: traffic that needs a few buffers per loop iteration
// keeps reusing the same warm ones.
//
// The target adapts. When the kernel runs out for two or more connections in one iteration
// (their multishot recvs end with ENOBUFS and must be re-armed, a cost per connection), it
// doubles, up to every buffer. A single connection streaming faster than the loop reads it also
// ends with ENOBUFS, but that is flow control, not a shortage: it is re-armed once per `target`
// buffers of data, and the target stays. Once a second (Tick) a pool that saw no shortage
// halves its target, down to the minimum, and hands back the pages of the free buffers beyond
// it, least recently used first; as Redis shrinks the query buffers of idle clients.
//
// Only buffers on the free stack are ever released: the kernel may still write into the ones
// it holds. Single-threaded: owned by one worker.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace aegisr {

class RecvBufferPool {
 public:
  // `count` buffers with ids 0..count-1; at least `min_target` (<= count) are offered at once.
  RecvBufferPool(unsigned count, unsigned min_target)
      : count_(count),
        min_target_(std::min(min_target, count)),
        target_(min_target_),
        written_(count, false) {
    free_.reserve(count);
    for (unsigned i = count; i > 0; --i) free_.push_back(i - 1);  // id 0 on top
  }

  // The kernel filled buffer `bid` and its bytes have been consumed: it is free again.
  void Returned(unsigned bid) {
    --given_;
    free_.push_back(bid);
  }

  // A multishot recv ended because no buffer was left.
  void NoteStarved() { ++starved_; }

  // Offers buffers to the kernel up to the target, most recently used first: give(bid) for
  // each. Call once per loop iteration, after its completions.
  template <typename Give>
  void Refill(Give&& give) {
    if (starved_ >= 2) {
      target_ = std::min(count_, target_ * 2);
      short_since_tick_ = true;
    }
    if (starved_ > 0) ++starved_iterations_;
    starved_ = 0;
    while (given_ < target_ && !free_.empty()) {
      const unsigned bid = free_.back();
      free_.pop_back();
      written_[bid] = true;  // from now on the kernel may write it
      ++given_;
      give(bid);
    }
  }

  // Once a second: without a shortage since the last tick, halves the target (not below the
  // minimum) and calls release(bid) for each free buffer beyond the target's worth of warm ones
  // that may hold pages, least recently used first. Returns how many it released.
  template <typename Release>
  unsigned Tick(Release&& release) {
    if (std::exchange(short_since_tick_, false)) return 0;
    target_ = std::max(min_target_, target_ / 2);
    const size_t warm = std::min<size_t>(free_.size(), target_);
    unsigned released = 0;
    for (size_t i = 0; i + warm < free_.size(); ++i) {
      const unsigned bid = free_[i];
      if (!written_[bid]) continue;
      written_[bid] = false;
      release(bid);
      ++released;
    }
    return released;
  }

  unsigned target() const { return target_; }
  unsigned given() const { return given_; }
  // Buffers that may hold resident pages: with the kernel, or free and not released.
  unsigned written() const {
    return static_cast<unsigned>(std::count(written_.begin(), written_.end(), true));
  }
  uint64_t starved_iterations() const { return starved_iterations_; }

 private:
  const unsigned count_;
  const unsigned min_target_;
  unsigned target_;
  unsigned given_ = 0;    // offered to the kernel and not yet returned
  unsigned starved_ = 0;  // ENOBUFS endings since the last Refill
  bool short_since_tick_ = false;
  uint64_t starved_iterations_ = 0;
  std::vector<unsigned> free_;  // top = most recently returned
  std::vector<bool> written_;   // the buffer was offered since its pages were last released
};

}  // namespace aegisr
