// HyperLogLog registers, encodings and estimator (see hll.h for the format).
//
// Why the code follows Redis so closely: a value is a plain string that clients GET and SET and
// that moves between servers, so every edit must leave the very bytes Redis would leave. A
// sparse edit finds the opcode covering the register, rewrites it as at most three opcodes
// (zeros before, the new VAL, zeros or the old VAL after; at most 3 bytes longer), then merges
// adjacent VALs of equal value over a window of five opcodes starting just before the edit,
// exactly the window Redis scans, so the opcode streams stay identical. The value turns dense
// when a register needs more than 32 or the sparse string would outgrow hll-sparse-max-bytes.
//
// The estimator is Ertl's improved raw estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", arXiv:1702.01284), as Redis 7.0 computes it: a histogram of register
// values, the tau correction for registers at the maximum, the sigma correction for registers
// at zero, alpha_inf * m^2 / z rounded to the nearest integer. The floating point operations
// run in Redis's order so that the rounded results are the same integers.
//
// Corrupt sparse bodies: a body is valid when its opcodes cover exactly 16384 registers. The
// reference server (Debian's 7.0.15, which carries the fix for CVE-2025-32023) refuses a body as
// soon as any opcode runs past register 16383, where 7.0's original code stopped at an
// overflowing VAL and accepted the body if the count so far was exact; we follow the fixed
// server. Readers bound every access by the string's end and read a missing second XZERO byte
// as 0 (Redis reads its string's terminating zero there), so that a damaged value behaves here
// as it does in Redis instead of reading past the end.
#include "engine/types/hll.h"

#include <cmath>
#include <cstring>

namespace aegisr::hll {
namespace {

constexpr uint64_t kHashSeed = 0xadc83b19ULL;
constexpr double kAlphaInf = 0.721347520444481703680;  // 1 / (2 ln 2)

constexpr uint8_t kEmptySparse[] = {'H', 'Y', 'L', 'L', kSparse, 0, 0, 0,    0,
                                    0,   0,   0,   0,   0,       0, 0, 0x7f, 0xff};

// Sparse opcodes.
inline bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
inline bool IsXzero(uint8_t b) { return (b & 0xc0) == 0x40; }
inline bool IsVal(uint8_t b) { return (b & 0x80) != 0; }
inline int64_t ZeroLen(uint8_t b) { return (b & 0x3f) + 1; }
inline int64_t XzeroLen(const uint8_t* p, const uint8_t* end) {
  unsigned low = p + 1 < end ? p[1] : 0;
  return (int64_t((p[0] & 0x3f)) << 8 | low) + 1;
}
inline uint8_t ValValue(uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
inline int64_t ValLen(uint8_t b) { return (b & 0x3) + 1; }
inline uint8_t MakeVal(unsigned value, unsigned len) {
  return uint8_t(0x80 | ((value - 1) << 2) | (len - 1));
}
// Writes a run of `len` zero registers as ZERO (up to 64) or XZERO; returns the bytes written.
inline int PutZeros(uint8_t* p, int64_t len) {
  if (len > 64) {
    unsigned l = unsigned(len - 1);
    p[0] = uint8_t((l >> 8) | 0x40);
    p[1] = uint8_t(l & 0xff);
    return 2;
  }
  p[0] = uint8_t(len - 1);
  return 1;
}

// Tau and sigma of Ertl's estimator (series summed until the sum stops changing).
double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double y = 1;
  double z = x;
  double prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double y = 1.0;
  double z = 1 - x;
  double prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (prev != z);
  return z / 3;
}

// hist[v] = number of registers of value v. Registers hold at most 63, hence 64 bins.
uint64_t Estimate(const int64_t hist[64]) {
  const double m = kRegisters;
  double z = m * Tau((m - double(hist[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += double(hist[j]);
    z *= 0.5;
  }
  z += m * Sigma(double(hist[0]) / m);
  return static_cast<uint64_t>(std::llround(kAlphaInf * m * m / z));
}

// Four 6-bit registers in each 3 bytes, lowest bits first.
void DenseHistogram(const uint8_t* regs, int64_t hist[64]) {
  for (size_t j = 0; j < kRegisters * 6 / 8; j += 3) {
    uint32_t w = uint32_t(regs[j]) | uint32_t(regs[j + 1]) << 8 | uint32_t(regs[j + 2]) << 16;
    hist[w & 63]++;
    hist[(w >> 6) & 63]++;
    hist[(w >> 12) & 63]++;
    hist[(w >> 18) & 63]++;
  }
}

// False if the opcodes do not cover exactly kRegisters registers.
bool SparseHistogram(const uint8_t* p, const uint8_t* end, int64_t hist[64]) {
  int64_t idx = 0;
  while (p < end) {
    if (IsZero(*p)) {
      int64_t run = ZeroLen(*p);
      idx += run;
      hist[0] += run;
      p++;
    } else if (IsXzero(*p)) {
      int64_t run = XzeroLen(p, end);
      idx += run;
      hist[0] += run;
      p += 2;
    } else {
      int64_t run = ValLen(*p);
      idx += run;
      hist[ValValue(*p)] += run;
      p++;
    }
  }
  return idx == kRegisters;
}

const uint8_t* Bytes(std::string_view v) { return reinterpret_cast<const uint8_t*>(v.data()); }

int DenseSetIfGreater(uint8_t* regs, uint32_t index, uint8_t count) {
  if (count <= DenseGet(regs, index)) return 0;
  DenseSet(regs, index, count);
  return 1;
}

// Sparse to dense, then the register set there (Redis: the result is always a change).
int Promote(Buffer& b, uint32_t index, uint8_t count) {
  if (!ToDense(b)) return -1;
  return DenseSetIfGreater(reinterpret_cast<uint8_t*>(b.data()) + kHeaderSize, index, count);
}

int SparseSet(Buffer& b, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kSparseMaxValue) return Promote(b, index, count);
  size_t len = b.size();
  if (len < kHeaderSize) return -1;
  // Room for the longest rewrite (one opcode becomes three: up to 3 bytes more), plus 2 for a
  // damaged value whose last opcode is a truncated XZERO (the rewrite then starts 1 byte short).
  auto* base = reinterpret_cast<uint8_t*>(b.Reserve(len + 5));
  uint8_t* const sparse = base + kHeaderSize;
  uint8_t* end = base + len;

  // Step 1: the opcode covering `index`: p, the register it starts at (first), its span.
  uint8_t* p = sparse;
  uint8_t* prev = nullptr;
  int64_t first = 0, span = 0;
  while (p < end) {
    int oplen = 1;
    if (IsZero(*p)) {
      span = ZeroLen(*p);
    } else if (IsVal(*p)) {
      span = ValLen(*p);
    } else {
      span = XzeroLen(p, end);
      oplen = 2;
    }
    if (int64_t(index) <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= end) return -1;
  uint8_t* next = IsXzero(*p) ? p + 2 : p + 1;
  if (next >= end) next = nullptr;

  const bool is_zero = IsZero(*p), is_xzero = IsXzero(*p), is_val = IsVal(*p);
  const int64_t runlen = is_zero ? ZeroLen(*p) : is_xzero ? XzeroLen(p, end) : ValLen(*p);

  // Step 2: the cases that rewrite the opcode in place, then the general split.
  bool done = false;
  if (is_val) {
    if (ValValue(*p) >= count) return 0;
    if (runlen == 1) {
      *p = MakeVal(count, 1);
      done = true;
    }
  }
  if (!done && is_zero && runlen == 1) {
    *p = MakeVal(count, 1);
    done = true;
  }
  if (!done) {
    uint8_t seq[5];
    int n = 0;
    const int64_t last = first + span - 1;
    if (is_zero || is_xzero) {
      if (index != first) n += PutZeros(seq + n, index - first);
      seq[n++] = MakeVal(count, 1);
      if (index != last) n += PutZeros(seq + n, last - index);
    } else {
      const uint8_t cur = ValValue(*p);
      if (index != first) seq[n++] = MakeVal(cur, unsigned(index - first));
      seq[n++] = MakeVal(count, 1);
      if (index != last) seq[n++] = MakeVal(cur, unsigned(last - index));
    }
    // Step 3: put the new opcodes in place of the old one, moving the rest if longer.
    const int64_t delta = n - (is_xzero ? 2 : 1);
    if (delta > 0 && len + size_t(delta) > sparse_max_bytes) return Promote(b, index, count);
    if (delta != 0 && next) std::memmove(next + delta, next, size_t(end - next));
    std::memcpy(p, seq, size_t(n));
    end += delta;
  }

  // Step 4: merge adjacent VALs of equal value (run length up to 4), over at most five opcodes
  // starting at the one before the edit.
  p = prev ? prev : sparse;
  int scan = 5;
  while (p < end && scan--) {
    if (IsXzero(*p)) {
      p += 2;
      continue;
    }
    if (IsZero(*p)) {
      p++;
      continue;
    }
    if (p + 1 < end && IsVal(p[1]) && ValValue(p[0]) == ValValue(p[1])) {
      int64_t merged = ValLen(p[0]) + ValLen(p[1]);
      if (merged <= 4) {
        p[1] = MakeVal(ValValue(p[0]), unsigned(merged));
        std::memmove(p, p + 1, size_t(end - p - 1));
        end--;
        continue;  // the merged opcode may merge with the next one too
      }
    }
    p++;
  }
  b.Resize(size_t(end - base));
  InvalidateCache(reinterpret_cast<char*>(base));
  return 1;
}

}  // namespace

uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  uint64_t h = seed ^ (uint64_t(len) * m);
  const auto* data = static_cast<const uint8_t*>(key);
  const uint8_t* end = data + (len - (len & 7));
  for (; data != end; data += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = k << 8 | data[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = len & 7;
  if (tail) {
    for (size_t i = tail; i-- > 0;) h ^= uint64_t(data[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

uint8_t PatternLength(std::string_view element, uint32_t* index) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kHashSeed);
  *index = uint32_t(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t(1) << kQ;  // the run ends by bit Q at the latest: at most Q + 1
  return uint8_t(__builtin_ctzll(hash) + 1);
}

bool LooksValid(std::string_view v) {
  if (v.size() < kHeaderSize) return false;
  if (std::memcmp(v.data(), "HYLL", 4) != 0) return false;
  uint8_t enc = EncodingOf(v);
  if (enc > kSparse) return false;
  return enc != kDense || v.size() == kDenseSize;
}

bool CacheValid(std::string_view v) { return (uint8_t(v[15]) & 0x80) == 0; }

uint64_t CachedCount(std::string_view v) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | uint8_t(v[8 + i]);
  return n;
}

void SetCachedCount(char* v, uint64_t n) {
  for (int i = 0; i < 8; ++i) v[8 + i] = char((n >> (8 * i)) & 0xff);
}

void InvalidateCache(char* v) { v[15] = char(uint8_t(v[15]) | 0x80); }

std::string_view EmptySparse() {
  return {reinterpret_cast<const char*>(kEmptySparse), sizeof(kEmptySparse)};
}

uint8_t DenseGet(const uint8_t* regs, uint32_t i) {
  const size_t byte = size_t(i) * 6 / 8;
  const unsigned fb = (i * 6) & 7;
  unsigned v = regs[byte] >> fb;
  if (fb > 2) v |= unsigned(regs[byte + 1]) << (8 - fb);  // the register spans two bytes
  return uint8_t(v & 63);
}

void DenseSet(uint8_t* regs, uint32_t i, uint8_t value) {
  const size_t byte = size_t(i) * 6 / 8;
  const unsigned fb = (i * 6) & 7;
  const unsigned v = value & 63;
  regs[byte] = uint8_t((regs[byte] & ~(63u << fb)) | (v << fb));
  if (fb > 2) {
    const unsigned rs = 8 - fb;
    regs[byte + 1] = uint8_t((regs[byte + 1] & ~(63u >> rs)) | (v >> rs));
  }
}

bool Count(std::string_view v, uint64_t* out) {
  int64_t hist[64] = {};
  const uint8_t* p = Bytes(v) + kHeaderSize;
  if (EncodingOf(v) == kDense) {
    DenseHistogram(p, hist);
  } else if (!SparseHistogram(p, Bytes(v) + v.size(), hist)) {
    return false;
  }
  *out = Estimate(hist);
  return true;
}

uint64_t CountRegisters(const uint8_t regs[kRegisters]) {
  int64_t hist[64] = {};
  for (uint32_t i = 0; i < kRegisters; i += 8) {
    uint64_t word;
    std::memcpy(&word, regs + i, 8);
    if (word == 0) {
      hist[0] += 8;
      continue;
    }
    for (int j = 0; j < 8; ++j) hist[regs[i + j] & 63]++;
  }
  return Estimate(hist);
}

bool MergeInto(std::string_view v, uint8_t max[kRegisters]) {
  const uint8_t* p = Bytes(v) + kHeaderSize;
  if (EncodingOf(v) == kDense) {
    for (uint32_t i = 0; i < kRegisters; i += 4, p += 3) {
      uint32_t w = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16;
      for (int j = 0; j < 4; ++j) {
        uint8_t r = uint8_t((w >> (6 * j)) & 63);
        if (r > max[i + j]) max[i + j] = r;
      }
    }
    return true;
  }
  const uint8_t* end = Bytes(v) + v.size();
  int64_t i = 0;
  while (p < end) {
    if (IsZero(*p)) {
      i += ZeroLen(*p);
      p++;
    } else if (IsXzero(*p)) {
      i += XzeroLen(p, end);
      p += 2;
    } else {
      int64_t run = ValLen(*p);
      uint8_t value = ValValue(*p);
      if (run + i > kRegisters) return false;
      for (; run > 0; --run, ++i) {
        if (value > max[i]) max[i] = value;
      }
      p++;
    }
    if (i > kRegisters) return false;
  }
  return i == kRegisters;
}

bool ToDense(Buffer& b) {
  std::string_view v(b.data(), b.size());
  if (EncodingOf(v) == kDense) return true;
  uint8_t dense[kDenseSize] = {};
  std::memcpy(dense, v.data(), kHeaderSize);  // magic, unused bytes and cached cardinality
  dense[4] = kDense;
  uint8_t* regs = dense + kHeaderSize;
  const uint8_t* p = Bytes(v) + kHeaderSize;
  const uint8_t* end = Bytes(v) + v.size();
  int64_t idx = 0;
  while (p < end) {
    if (IsZero(*p)) {
      idx += ZeroLen(*p);
      p++;
    } else if (IsXzero(*p)) {
      idx += XzeroLen(p, end);
      p += 2;
    } else {
      int64_t run = ValLen(*p);
      uint8_t value = ValValue(*p);
      if (run + idx > kRegisters) return false;
      for (; run > 0; --run, ++idx) DenseSet(regs, uint32_t(idx), value);
      p++;
    }
    if (idx > kRegisters) return false;
  }
  if (idx != kRegisters) return false;
  char* out = b.Reserve(kDenseSize);
  std::memcpy(out, dense, kDenseSize);
  b.Resize(kDenseSize);
  return true;
}

int Set(Buffer& b, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (b.size() < kHeaderSize) return -1;
  switch (uint8_t(b.data()[4])) {
    case kDense:
      return DenseSetIfGreater(reinterpret_cast<uint8_t*>(b.data()) + kHeaderSize, index, count);
    case kSparse:
      return SparseSet(b, index, count, sparse_max_bytes);
    default:
      return -1;
  }
}

int Add(Buffer& b, std::string_view element, size_t sparse_max_bytes) {
  uint32_t index;
  uint8_t count = PatternLength(element, &index);
  return Set(b, index, count, sparse_max_bytes);
}

std::string DecodeSparse(std::string_view v) {
  std::string out;
  const uint8_t* p = Bytes(v) + kHeaderSize;
  const uint8_t* end = Bytes(v) + v.size();
  while (p < end) {
    if (IsZero(*p)) {
      out += "z:" + std::to_string(ZeroLen(*p)) + " ";
      p++;
    } else if (IsXzero(*p)) {
      out += "Z:" + std::to_string(XzeroLen(p, end)) + " ";
      p += 2;
    } else {
      out += "v:" + std::to_string(ValValue(*p)) + "," + std::to_string(ValLen(*p)) + " ";
      p++;
    }
  }
  if (!out.empty()) out.pop_back();
  return out;
}

}  // namespace aegisr::hll
