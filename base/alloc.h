#pragma once
// The allocator behind keyspace entries and bucket arrays: mimalloc normally, the system
// allocator when built with AEGISR_SYSTEM_ALLOCATOR (the sanitizer build, so that ASan sees and
// checks every allocation and LeakSanitizer finds leaked entries). Thread-safe, like malloc.
//
// Each function is one inline call with no branch; what a build uses is fixed at compile time.

#include <cstddef>
#include <string_view>

#ifdef AEGISR_SYSTEM_ALLOCATOR
#include <malloc.h>

#include <cstdlib>
#else
#include <mimalloc.h>
#endif

namespace aegisr {

#ifdef AEGISR_SYSTEM_ALLOCATOR

// INFO's mem_allocator.
inline constexpr std::string_view kAllocatorName = "libc";

inline void* AllocBytes(size_t n) { return std::malloc(n); }
inline void* ZallocBytes(size_t n) { return std::calloc(1, n); }
inline void* ReallocBytes(void* p, size_t n) { return std::realloc(p, n); }
inline void FreeBytes(void* p) { std::free(p); }
// Bytes usable at p (at least what was asked for). Under ASan this is exactly the request.
inline size_t UsableSize(const void* p) { return malloc_usable_size(const_cast<void*>(p)); }

#else

inline constexpr std::string_view kAllocatorName = "mimalloc";

inline void* AllocBytes(size_t n) { return mi_malloc(n); }
inline void* ZallocBytes(size_t n) { return mi_zalloc(n); }
inline void* ReallocBytes(void* p, size_t n) { return mi_realloc(p, n); }
inline void FreeBytes(void* p) { mi_free(p); }
inline size_t UsableSize(const void* p) { return mi_usable_size(p); }

#endif

}  // namespace aegisr
