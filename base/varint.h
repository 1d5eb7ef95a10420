#pragma once
// LEB128 varints: 7 bits a byte, low bits first, 0x80 = more bytes follow. Used by the list
// value's element headers (engine/types/packed_list.cc) and the disk tier's list codec
// (engine/list_family.cc). Pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace aegisr {

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

// Writes v at p (VarintSize(v) bytes); returns the bytes written.
inline size_t PutVarint(char* p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<char>(v);
  return n;
}

inline void AppendVarint(std::string* out, uint64_t v) {
  char buf[10];
  out->append(buf, PutVarint(buf, v));
}

// Reads a varint from memory known to hold a whole one (written by PutVarint); *len = its bytes.
inline uint64_t GetVarint(const char* p, uint32_t* len) {
  uint64_t v = 0;
  uint32_t n = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<uint8_t>(p[n++]);
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *len = n;
  return v;
}

// Reads a varint from untrusted bytes at s[*pos], advancing *pos; false if it runs past the end
// or past 10 bytes.
inline bool ReadVarint(std::string_view s, size_t* pos, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= s.size()) return false;
    auto b = static_cast<uint8_t>(s[(*pos)++]);
    *v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

}  // namespace aegisr
