#pragma once
// aegisr-bench --verify: the self-describing value format and the per-key version state that lets
// every GET reply be checked. VerifyValue functions are pure; KeyVersions is thread-safe (atomics,
// shared by all worker threads of a run); VerifyCounts is thread-compatible (one per thread,
// merged after join).
//
// Value layout (ASCII, `size` bytes in all, size >= kVerifyHeaderBytes):
//
//   AV1:<key: 10 decimal digits>:<run: 8 hex>:<version: 12 hex>:<checksum: 16 hex>\n<padding>
//
// `run` identifies the aegisr-bench process that wrote the value (random per run), `version`
// counts the SETs of that key in that run from 1, and `checksum` is a 64-bit hash of every byte of
// the value except the 16 checksum digits themselves. The padding is lowercase letters derived
// from (key, version), so two versions of a key differ all along their length.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr::bench {

inline constexpr size_t kVerifyHeaderBytes = 54;
inline constexpr uint64_t kMaxVerifyKeyspace = uint64_t{1} << 28;  // 16 bytes of state per key
inline constexpr uint64_t kMaxVerifyVersion = (uint64_t{1} << 48) - 1;

struct VerifyHeader {
  uint64_t key = 0;
  uint32_t run = 0;
  uint64_t version = 0;
};

// Appends a `size`-byte value for (key, run, version) to `out`. size >= kVerifyHeaderBytes,
// key < 10^10, version <= kMaxVerifyVersion.
void AppendVerifyValue(std::string& out, uint64_t key, uint32_t run, uint64_t version, size_t size);

// Parses and checks a value: false with `*why` set ("not an aegisr-bench verify value",
// "checksum mismatch", ...) when it is not intact. Does not judge the key or version.
bool DecodeVerifyValue(std::string_view value, VerifyHeader* out, std::string* why);

// Per-key write state for keys 0..n-1: the newest version issued and the newest acknowledged.
// At most one SET per key is in flight at a time (BeginSet refuses while one is), so the server
// applies a key's versions in increasing order and a GET sent after version v was acknowledged
// must read a version >= v. Sixteen bytes per key.
class KeyVersions {
 public:
  explicit KeyVersions(uint64_t n);
  KeyVersions(const KeyVersions&) = delete;
  KeyVersions& operator=(const KeyVersions&) = delete;

  // Claims the next version of `key` for a SET about to be sent: returns it (>= 1), or 0 when a
  // SET of the key is already in flight (the caller does something else).
  uint64_t BeginSet(uint64_t key);
  // The SET of `version` got its reply (`acked`: +OK) or was lost; frees the key for the next SET.
  void EndSet(uint64_t key, uint64_t version, bool acked);
  // The newest version acknowledged (0: none yet). Read before sending a GET.
  uint64_t Acked(uint64_t key) const { return slots_[key].acked.load(std::memory_order_seq_cst); }
  // The newest version issued (0: none yet). Read when a GET reply arrives: the upper bound.
  uint64_t Issued(uint64_t key) const {
    return slots_[key].issued.load(std::memory_order_seq_cst) >> 1;
  }

 private:
  struct Slot {
    std::atomic<uint64_t> issued{0};  // version << 1 | (a SET is in flight)
    std::atomic<uint64_t> acked{0};
  };
  std::unique_ptr<Slot[]> slots_;
};

// One GET reply that failed the check, for the report.
struct WrongValue {
  uint64_t key = 0;
  uint64_t lo = 0;  // the acceptable version range [lo, hi] when the GET was checked
  uint64_t hi = 0;
  std::string got;  // what came back, described
};

struct VerifyCounts {
  static constexpr size_t kMaxExamples = 5;
  uint64_t verified = 0;   // GET replies that passed every check
  uint64_t wrong = 0;      // wrong key, checksum, run or version, or not a value at all
  uint64_t missing = 0;    // nil although a version was acknowledged before the GET was sent
  uint64_t unwritten = 0;  // nil for a key with no acknowledged version yet (legitimate)
  uint64_t set_busy = 0;   // SETs turned into GETs because the key had a SET in flight
  std::vector<WrongValue> examples;

  void AddWrong(WrongValue w) {
    ++wrong;
    if (examples.size() >= kMaxExamples) return;
    for (const WrongValue& e : examples) {
      if (e.key == w.key) return;  // one example per key
    }
    examples.push_back(std::move(w));
  }
  void Merge(const VerifyCounts& o);
};

// Checks one GET reply (raw RESP bytes) for `key` in run `run`: `floor` is Acked(key) read before
// the GET was sent, `ceiling` Issued(key) read after its reply arrived. Counts the outcome.
void CheckGetReply(std::string_view reply, uint64_t key, uint32_t run, uint64_t floor,
                   uint64_t ceiling, VerifyCounts* counts);

}  // namespace aegisr::bench
