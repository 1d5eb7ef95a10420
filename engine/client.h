#pragma once
// ClientState: the engine's view of one client connection (selected db, protocol, name, ...).
// Owned by the connection (net/) and mutated only on the connection's own loop thread; fields
// that other threads read (CLIENT LIST, INFO) are atomics or guarded by ClientRegistry::mu_.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace aegisr {

struct CommandSpec;
struct BlockedClient;
struct MultiState;
struct WatchFlag;
class PubSubOutlet;

struct ClientState {
  uint64_t id = 0;
  unsigned thread = 0;  // index of the owning loop thread
  int fd = -1;
  std::string addr;      // "ip:port" of the peer
  std::string laddr;     // "ip:port" of our side
  int64_t ctime_ms = 0;  // connect time
  std::atomic<int> db{0};
  std::atomic<int> resp{2};
  std::atomic<int64_t> last_interaction_ms{0};
  std::atomic<const CommandSpec*> last_cmd{nullptr};
  std::atomic<bool> kill_requested{false};
  std::atomic<size_t> qbuf{0};     // bytes in the query buffer, for CLIENT LIST
  std::atomic<size_t> obuf{0};     // bytes in the output buffer, for CLIENT LIST
  bool authenticated = true;       // false while requirepass is set and AUTH is pending
  bool close_after_reply = false;  // QUIT, protocol errors, CLIENT KILL of self
  std::string name;                // CLIENT SETNAME; written under ClientRegistry::mu_
  // Set while the client waits in a blocking command (engine/blocking.h); its own thread only.
  std::shared_ptr<BlockedClient> blocked;
  std::atomic<bool> is_blocked{false};  // the same, for CLIENT LIST and INFO on other threads
  // MULTI/EXEC and WATCH state (engine/multi.h), created at the first MULTI or WATCH; its own
  // thread only. multi_queued: commands queued since MULTI, -1 outside MULTI (CLIENT LIST).
  std::shared_ptr<MultiState> multi;
  std::atomic<int> multi_queued{-1};
  // The WATCH flag of `multi` (set once with it, lives as long as the client): CLIENT LIST
  // shows `d` while it is set.
  std::atomic<const WatchFlag*> watch{nullptr};
  // Pub/sub subscriptions (engine/pubsub.h): written by the client's own thread, read by
  // CLIENT LIST. Any of them non-zero puts a RESP2 client in subscriber mode.
  std::atomic<uint32_t> subs{0}, psubs{0}, ssubs{0};
  // Where other threads may write this client's messages (net/pubsub_outlet.h; set by the
  // connection, nullptr for clients without a socket).
  PubSubOutlet* outlet = nullptr;
};

inline bool InSubscriberMode(const ClientState& c) {
  return c.subs.load(std::memory_order_relaxed) + c.psubs.load(std::memory_order_relaxed) +
             c.ssubs.load(std::memory_order_relaxed) >
         0;
}

// Which clients exist, for CLIENT LIST/KILL/INFO. Thread-safe.
class ClientRegistry {
 public:
  uint64_t NextId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  void Add(ClientState* c);
  void Remove(ClientState* c);
  size_t size() const;
  // Calls fn(ClientState&) for every client while holding the registry lock: fn must not block
  // and must not call back into the registry.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::lock_guard lk(mu_);
    for (auto& [id, c] : clients_) fn(*c);
  }
  // Sets a client's name under the lock.
  void SetName(ClientState* c, std::string name);
  std::string GetName(const ClientState* c) const;

 private:
  std::atomic<uint64_t> next_id_{1};
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, ClientState*> clients_;
};

}  // namespace aegisr
