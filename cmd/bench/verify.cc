// aegisr-bench --verify: value encoding, decoding and the GET reply check.
//
// Why the check is sound under pipelining and many connections: a SET's version is claimed
// (KeyVersions::BeginSet) before its bytes are queued, and only one SET per key is in flight, so
// the server stores a key's versions in increasing order. A version is marked acknowledged only
// after its +OK arrived, i.e. after the server applied it. A GET that reads Acked(key) = v before
// it is queued is sent after v was applied, so (without eviction or a foreign writer) it must
// read v or a later version; and it cannot read a version that was not yet claimed when its reply
// arrived, hence the upper bound Issued(key) read at reply time. Both reads are looser than the
// truth when they race with another thread (an older floor, a newer ceiling), never stricter.

#include "cmd/bench/verify.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace aegisr::bench {
namespace {

constexpr std::string_view kMagic = "AV1:";
constexpr size_t kKeyAt = 4;        // 10 digits
constexpr size_t kRunAt = 15;       // 8 hex
constexpr size_t kVersionAt = 24;   // 12 hex
constexpr size_t kChecksumAt = 37;  // 16 hex
constexpr size_t kNewlineAt = 53;   // '\n'
static_assert(kNewlineAt + 1 == kVerifyHeaderBytes);

constexpr char kHex[] = "0123456789abcdef";

void PutHex(char* p, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i, v >>= 4) p[i] = kHex[v & 15];
}

bool GetHex(const char* p, int digits, uint64_t* out) {
  uint64_t v = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = p[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

uint64_t Mix(uint64_t h, uint64_t w) {
  h ^= w * 0x9e3779b97f4a7c15ull;
  h = (h << 29 | h >> 35) * 0xbf58476d1ce4e5b9ull;
  return h;
}

// A word-at-a-time hash of `n` bytes; the tail is zero-padded and the length mixed in last.
uint64_t HashBytes(uint64_t h, const char* p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = Mix(h, w);
  }
  if (i < n) {
    uint64_t w = 0;
    std::memcpy(&w, p + i, n - i);
    h = Mix(h, w);
  }
  h = Mix(h, n);
  return h ^ (h >> 31);
}

// The checksum covers everything but the checksum digits.
uint64_t Checksum(const char* v, size_t size) {
  const uint64_t h = HashBytes(0x243f6a8885a308d3ull, v, kChecksumAt);
  return HashBytes(h, v + kNewlineAt, size - kNewlineAt);
}

std::string Describe(std::string_view bytes) {
  std::string s;
  for (char c : bytes.substr(0, 60)) {
    if (c >= 0x20 && c < 0x7f) {
      s += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", static_cast<unsigned char>(c));
      s += buf;
    }
  }
  if (bytes.size() > 60) s += "...";
  return s;
}

}  // namespace

void AppendVerifyValue(std::string& out, uint64_t key, uint32_t run, uint64_t version,
                       size_t size) {
  const size_t at = out.size();
  out.resize(at + size);
  char* v = out.data() + at;
  std::memcpy(v, kMagic.data(), kMagic.size());
  for (int i = 9; i >= 0; --i, key /= 10) v[kKeyAt + i] = static_cast<char>('0' + key % 10);
  v[kRunAt - 1] = ':';
  PutHex(v + kRunAt, run, 8);
  v[kVersionAt - 1] = ':';
  PutHex(v + kVersionAt, version, 12);
  v[kChecksumAt - 1] = ':';
  v[kNewlineAt] = '\n';
  uint64_t s = Mix(key ^ (version << 20), run);
  for (size_t i = kVerifyHeaderBytes; i < size; ++i) {
    if ((i & 7) == 0) s = Mix(s, i);
    v[i] = static_cast<char>('a' + (s >> ((i & 7) * 8)) % 26);
  }
  PutHex(v + kChecksumAt, Checksum(v, size), 16);
}

bool DecodeVerifyValue(std::string_view value, VerifyHeader* out, std::string* why) {
  const char* v = value.data();
  if (value.size() < kVerifyHeaderBytes || value.substr(0, kMagic.size()) != kMagic ||
      v[kRunAt - 1] != ':' || v[kVersionAt - 1] != ':' || v[kChecksumAt - 1] != ':' ||
      v[kNewlineAt] != '\n') {
    *why = "not an aegisr-bench verify value: \"" + Describe(value) + "\"";
    return false;
  }
  uint64_t key = 0;
  for (size_t i = kKeyAt; i < kKeyAt + 10; ++i) {
    if (v[i] < '0' || v[i] > '9') {
      *why = "bad key digits in \"" + Describe(value) + "\"";
      return false;
    }
    key = key * 10 + static_cast<uint64_t>(v[i] - '0');
  }
  uint64_t run, version, sum;
  if (!GetHex(v + kRunAt, 8, &run) || !GetHex(v + kVersionAt, 12, &version) ||
      !GetHex(v + kChecksumAt, 16, &sum)) {
    *why = "bad hex field in \"" + Describe(value) + "\"";
    return false;
  }
  if (sum != Checksum(v, value.size())) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "checksum mismatch (version %" PRIu64 ", %zu bytes)", version,
                  value.size());
    *why = buf;
    return false;
  }
  out->key = key;
  out->run = static_cast<uint32_t>(run);
  out->version = version;
  return true;
}

KeyVersions::KeyVersions(uint64_t n) : slots_(std::make_unique<Slot[]>(n)) {}

uint64_t KeyVersions::BeginSet(uint64_t key) {
  std::atomic<uint64_t>& w = slots_[key].issued;
  uint64_t cur = w.load(std::memory_order_seq_cst);
  while (true) {
    if (cur & 1) return 0;  // a SET of this key is in flight
    const uint64_t next = (cur >> 1) + 1;
    if (w.compare_exchange_weak(cur, next << 1 | 1, std::memory_order_seq_cst)) return next;
  }
}

void KeyVersions::EndSet(uint64_t key, uint64_t version, bool acked) {
  // Only the holder of the in-flight bit writes here, so plain stores keep both monotonic.
  if (acked) slots_[key].acked.store(version, std::memory_order_seq_cst);
  slots_[key].issued.store(version << 1, std::memory_order_seq_cst);
}

void VerifyCounts::Merge(const VerifyCounts& o) {
  verified += o.verified;
  wrong += o.wrong;
  missing += o.missing;
  unwritten += o.unwritten;
  set_busy += o.set_busy;
  for (const WrongValue& w : o.examples) {
    if (examples.size() >= kMaxExamples) break;
    bool seen = false;
    for (const WrongValue& e : examples) seen = seen || e.key == w.key;
    if (!seen) examples.push_back(w);
  }
}

void CheckGetReply(std::string_view reply, uint64_t key, uint32_t run, uint64_t floor,
                   uint64_t ceiling, VerifyCounts* counts) {
  if (reply == "$-1\r\n" || reply == "_\r\n") {
    if (floor == 0) {
      ++counts->unwritten;
    } else {
      ++counts->missing;
    }
    return;
  }
  auto wrong = [&](std::string got) {
    counts->AddWrong(WrongValue{key, floor, ceiling, std::move(got)});
  };
  // A bulk string: $<len>\r\n<bytes>\r\n (the scanner already checked the framing).
  const size_t eol = reply.find("\r\n");
  if (reply.empty() || reply[0] != '$' || eol == std::string_view::npos || reply.size() < eol + 4) {
    wrong("reply \"" + Describe(reply) + "\"");
    return;
  }
  const std::string_view value = reply.substr(eol + 2, reply.size() - eol - 4);
  VerifyHeader h;
  std::string why;
  if (!DecodeVerifyValue(value, &h, &why)) {
    wrong(why);
    return;
  }
  char buf[128];
  if (h.key != key) {
    std::snprintf(buf, sizeof(buf), "the value of key:%010" PRIu64 " (version %" PRIu64 ")", h.key,
                  h.version);
    wrong(buf);
    return;
  }
  if (h.run != run) {
    // A value left by an earlier run is fine only until this run has written the key.
    if (floor == 0) {
      ++counts->verified;
    } else {
      std::snprintf(buf, sizeof(buf), "version %" PRIu64 " of another run (%08" PRIx32 ")",
                    h.version, h.run);
      wrong(buf);
    }
    return;
  }
  if (h.version < floor || h.version > ceiling) {
    std::snprintf(
        buf, sizeof(buf), "version %" PRIu64 "%s", h.version,
        h.version < floor ? " (stale: a newer write was acknowledged)" : " (never issued)");
    wrong(buf);
    return;
  }
  ++counts->verified;
}

}  // namespace aegisr::bench
