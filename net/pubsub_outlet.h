#pragma once
// PubSubOutlet: a subscriber connection's socket as the other loop threads see it.
//
// A message published on one loop thread for a subscriber owned by another normally goes
// through the owner's mailbox (Worker::QueueMessage): the publisher's loop wakes the owner's
// (an io_uring MSG_RING), which writes the message out. For a subscriber that hears from a
// publisher on another thread, that wake-up is a second thread to schedule per message: on a
// busy host it is what the tail of the delivery latency is made of. Redis writes the message
// from the publisher's own thread, in one write(). The outlet lets Aegisr do the same when it
// is safe: while the owning loop has nothing of its own to send on the connection, a publisher
// appends the message here and writes it to the socket itself at the end of its loop iteration.
//
// States (changed under mu_; state_ is also read without it, as a hint):
//   kOwner    The owner writes the socket (it has replies pending, a send in flight, commands to
//             run, or has not let go yet). Publishers use its mailbox.
//   kIdle     The owner let go (Release): nothing of its own is pending or in flight, and its
//             mailbox held nothing. A publisher may take the socket.
//   kRemote   Publishers appended messages to pending_; the first of them writes them out at
//             the end of its iteration (Flush), which makes the outlet kIdle again.
//   kHandoff  A publisher could not write everything (the socket's buffer is full), or a
//             message would take pending_ past its cap (a large message, or a subscriber far
//             behind): the owner takes what is left (Reclaim) and publishers go back to the
//             mailbox, queued behind it.
//   kClosed   The connection is closing: nothing more is written through the outlet.
// The owner reclaims the socket (kOwner, pending_ moved in front of its own output) before it
// runs input or starts a send. Every switch back to kIdle happens under the owner's mailbox lock
// with the mailbox empty, and publishers choose between outlet and mailbox under that lock, so a
// message never overtakes an earlier one from the same publisher. The socket is written only
// under mu_, so the owner cannot close it while a publisher writes.
//
// Reference-counted: the connection holds one reference, and a publisher's flush list one per
// outlet it has to write. The subscription registry holds a plain pointer: the connection drops
// its subscriptions before it lets go of the outlet, and Deliver runs under the registry's lock.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/pubsub.h"

namespace aegisr {

// Appends channel and message as two RESP bulk strings (the shared tail of every frame).
void EncodeChannelMessage(std::string* out, std::string_view channel, std::string_view message);
// Appends one message frame (RESP2 array or RESP3 push): "message", "pmessage" and its
// pattern, or "smessage", then `encoded` (EncodeChannelMessage's output).
void AppendPubSubFrame(std::string* out, int protocol, PubSubKind kind, std::string_view pattern,
                       std::string_view encoded);

class PubSubOutlet {
 public:
  enum class State : uint8_t { kOwner, kIdle, kRemote, kHandoff, kClosed };

  // Publishers append at most this many bytes; a message that would pass it, and every one
  // after it, goes through the owner's mailbox.
  static constexpr size_t kMaxPending = 64 * 1024;

  PubSubOutlet(int fd, unsigned owner, uint64_t client_id)
      : fd_(fd), owner_(owner), client_id_(client_id) {}
  PubSubOutlet(const PubSubOutlet&) = delete;
  PubSubOutlet& operator=(const PubSubOutlet&) = delete;

  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  unsigned owner() const { return owner_; }
  uint64_t client_id() const { return client_id_; }
  State state() const { return state_.load(std::memory_order_acquire); }

  // ---- Publisher side (any loop thread but the owner's) ----

  // Under the owner's mailbox lock. If the outlet takes messages now, appends one frame and
  // returns true; *first is set when this call took it from kIdle (the caller must then Flush
  // it at the end of its iteration). Returns false when the message must go to the mailbox.
  bool TryAppend(PubSubKind kind, std::string_view pattern, std::string_view encoded, bool* first);
  // Writes what publishers appended (kRemote) to the socket without blocking. Returns the bytes
  // written; sets *handoff if the owner must now take the rest (post it a Worker::TakeBack).
  size_t Flush(bool* handoff);

  // ---- Owner side (the connection's loop thread) ----

  // Whether the owner holds the socket (no lock).
  bool owned() const { return state() == State::kOwner; }
  // Takes the socket back: what publishers appended goes in front of *out.
  void Reclaim(std::string* out);
  // Lets publishers write (kOwner -> kIdle), framing their messages in `protocol`. The caller
  // holds its mailbox lock, has seen the mailbox empty, and has nothing pending or in flight.
  void Release(int protocol);
  // The connection is closing: waits out a publisher's write in progress, then refuses all.
  void Close();

 private:
  std::mutex mu_;
  std::atomic<State> state_{State::kOwner};
  std::atomic<int> refs_{1};
  const int fd_;
  const unsigned owner_;
  const uint64_t client_id_;
  int protocol_ = 2;     // guarded by mu_
  std::string pending_;  // guarded by mu_: framed messages not yet written (kRemote, kHandoff)
};

}  // namespace aegisr
