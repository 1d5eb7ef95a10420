#pragma once
// Lazy freeing (Redis's lazyfree-lazy-* knobs and UNLINK): a large collection that leaves the
// keyspace is handed to one background thread to free, so that deleting a value of millions of
// elements does not stall the clients of the thread that deleted it. Whether a free may be
// lazy depends on why the value goes (UNLINK, DEL, an overwrite, expiry, eviction, FLUSHALL),
// which the code that frees it says with a LazyFreeScope on its own thread; the default is to
// free at once. Thread-safe.

#include <cstddef>
#include <cstdint>

namespace aegisr {

struct ObjectOps;

// Frees obj through ops->free: on the background thread when the calling thread is inside a
// lazy LazyFreeScope and the object is large (kLazyFreeMinEffort), else now.
void FreeObject(const ObjectOps& ops, void* obj);

// Hands obj to the background thread at once, to be freed there by free(obj); `items` is what
// INFO's lazyfree counters count it as (a detached table of n keys counts n, as in Redis).
void FreeLater(void (*free)(void*), void* obj, uint64_t items = 1);

// Whether frees on this thread are lazy now (the innermost LazyFreeScope's word).
bool LazyFreeActive();

// Objects whose freeing takes at least this many steps (ObjectOps::free_effort: allocations to
// release; without it, one per 8 KiB) go to the background thread. Below it, freeing inline
// costs no more than handing off. Redis's LAZYFREE_THRESHOLD is the same 64.
inline constexpr size_t kLazyFreeMinEffort = 64;

// While one lives, frees on this thread are lazy if `lazy` (scopes nest; the innermost wins).
class LazyFreeScope {
 public:
  explicit LazyFreeScope(bool lazy);
  ~LazyFreeScope();
  LazyFreeScope(const LazyFreeScope&) = delete;
  LazyFreeScope& operator=(const LazyFreeScope&) = delete;

 private:
  bool saved_;
};

// Objects handed to the background thread and not yet freed (INFO lazyfree_pending_objects),
// and freed there so far (INFO lazyfreed_objects).
uint64_t LazyFreePending();
uint64_t LazyFreedObjects();
// Blocks until the background thread has freed everything handed to it so far (tests).
void LazyFreeDrain();

}  // namespace aegisr
