#pragma once
// DiskRef: the 16-byte packed address of one record in a writer's segment log (the kDiskRef
// payload of a keyspace value cell). A plain value type: copy it freely, across threads.
//
// A reference is relative to the SegmentLog that produced it (one log per writer thread): it
// does not name the writer. Segment numbers are never reused within a run, so a reference to a
// compacted-away segment is caught as stale, and `version` (the caller's, stored in the record
// header too) catches a reference to an older write of the same key with one compare.

#include <cstdint>
#include <cstring>

namespace aegisr::tier {

struct DiskRef {
  uint32_t segment = 0;  // segment number within the log; 0 never names a segment
  uint32_t offset = 0;   // byte offset of the record's header in the segment file
  uint32_t length = 0;   // whole record: header + key + payload
  uint32_t version = 0;  // caller-given version, equal to the one in the record header

  bool valid() const { return segment != 0; }
  friend bool operator==(const DiskRef&, const DiskRef&) = default;
};
static_assert(sizeof(DiskRef) == 16, "a disk reference must stay 16 bytes (value cell payload)");

// Packs into / unpacks from 16 bytes (host byte order), e.g. a value cell's payload.
inline void StoreDiskRef(const DiskRef& ref, char* out16) { std::memcpy(out16, &ref, 16); }
inline DiskRef LoadDiskRef(const char* in16) {
  DiskRef ref;
  std::memcpy(&ref, in16, 16);
  return ref;
}

}  // namespace aegisr::tier
