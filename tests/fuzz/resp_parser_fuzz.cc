// libFuzzer target for RespParser: feeds the input in fuzzer-chosen pieces, as a connection
// does, and checks the parser's invariants and that splitting never changes the commands.
// Single-threaded.
//
// Input layout: byte 0 picks the limits (small ones reach the "too big" paths), byte 1 seeds
// the piece sizes; the rest is the stream.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "net/resp_parser.h"

namespace {

using aegisr::RespParser;
using Cmd = std::vector<std::string>;

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

struct Run {
  std::vector<Cmd> cmds;
  bool error = false;
};

// Feeds stream in pieces whose sizes come from `seed` (0 = all at once).
Run Feed(std::string_view stream, const RespParser::Limits& limits, uint32_t seed) {
  RespParser parser(limits);
  Run run;
  std::string buf;
  size_t fed = 0;
  while (fed < stream.size()) {
    size_t n = stream.size() - fed;
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (seed >> 16) % 97);
    }
    buf.append(stream.substr(fed, n));
    fed += n;
    buf.shrink_to_fit();  // move the buffer now and then
    for (;;) {
      size_t consumed = SIZE_MAX;
      const auto r = parser.Parse(buf, &consumed);
      Require(consumed <= buf.size(), "consumed <= size");
      if (r == RespParser::ParseResult::kError) {
        Require(parser.error().rfind("ERR Protocol error: ", 0) == 0, "error text");
        run.error = true;
        return run;
      }
      if (r == RespParser::ParseResult::kNeedMore) {
        Require(consumed == 0 || consumed == buf.size(), "kNeedMore consumes all or nothing");
        buf.erase(0, consumed);
        break;
      }
      Require(consumed > 0, "a command consumes bytes");
      Require(!parser.args().empty(), "a command has arguments");
      const char* lo = buf.data();
      const char* hi = buf.data() + consumed;
      Cmd cmd;
      for (std::string_view a : parser.args()) {
        const bool inside = a.data() >= lo && a.data() + a.size() <= hi;
        const bool outside = a.data() + a.size() <= lo || a.data() >= buf.data() + buf.size();
        // Multibulk arguments are slices of the command; unescaped inline ones live in the
        // parser. Nothing straddles.
        Require(inside || outside, "argument within the consumed bytes or outside the buffer");
        cmd.emplace_back(a);
      }
      run.cmds.push_back(std::move(cmd));
      buf.erase(0, consumed);
    }
  }
  return run;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  RespParser::Limits limits;
  if (data[0] & 1) {
    limits.max_inline = 8 + (data[0] >> 1);
    limits.max_bulk_len = 64;
  }
  const uint32_t seed = data[1] | 0x100u;
  std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Run whole = Feed(stream, limits, 0);
  const Run pieces = Feed(stream, limits, seed);
  const Run bytes = Feed(stream, limits, 0x7fffffffu);  // mostly small pieces
  for (const Run* r : {&pieces, &bytes}) {
    // "too big" errors depend on how much is buffered, so the command lists may differ only
    // by one run stopping early on an error.
    const size_t common = std::min(r->cmds.size(), whole.cmds.size());
    for (size_t i = 0; i < common; ++i) Require(r->cmds[i] == whole.cmds[i], "same commands");
    if (!r->error && !whole.error) Require(r->cmds.size() == whole.cmds.size(), "same count");
    if (r->cmds.size() < whole.cmds.size()) Require(r->error, "fewer commands only after error");
    if (whole.cmds.size() < r->cmds.size()) Require(whole.error, "fewer commands only after error");
  }
  return 0;
}
