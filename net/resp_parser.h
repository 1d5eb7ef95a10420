#pragma once
// RespParser: the server-side request parser (RESP multibulk and inline commands), incremental
// and zero-copy, byte-compatible with Redis 7.0. One per connection; thread-confined to the
// connection's loop.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr {

class RespParser {
 public:
  struct Limits {
    size_t max_bulk_len = 512ull << 20;    // proto-max-bulk-len
    size_t max_query_buffer = 1ull << 30;  // client-query-buffer-limit
    size_t max_inline = 64 * 1024;         // PROTO_INLINE_MAX_SIZE (also count lines)
  };
  enum class ParseResult { kCommand, kNeedMore, kError };

  RespParser() = default;
  explicit RespParser(const Limits& limits) : limits_(limits) {}
  RespParser(const RespParser&) = delete;
  RespParser& operator=(const RespParser&) = delete;

  // Parses the next command from buf, the caller's whole unconsumed input.
  //
  // Contract:
  //  - kCommand: args() holds the command (at least one argument). *consumed is the number of
  //    bytes it used (including any empty commands skipped before it). The caller runs the
  //    command, then drops those bytes, and calls Parse again for a pipelined command.
  //  - kNeedMore: the command is incomplete. Call again with the same bytes at the front and
  //    more appended (the buffer may move: the parser keeps offsets, never pointers, and resumes
  //    where it stopped, so a 1M-argument command or a 500 MB bulk costs O(n) overall).
  //    *consumed is 0, except when everything in buf was empty commands ("\r\n", "*0\r\n"):
  //    then it is buf.size() and the parser holds no state, so the caller may drop them (or
  //    not: the parser is correct either way).
  //  - kError: error() holds the Redis error text (without '-'); the caller replies it and
  //    closes the connection. The parser stays in the error state until Reset().
  // Empty commands (*0, *-1, blank inline lines) are skipped silently, as Redis does.
  ParseResult Parse(std::string_view buf, size_t* consumed);

  // The last command's arguments. They point into the buffer passed to Parse (or, for inline
  // arguments that had quotes or escapes, into the parser) and stay valid until the caller
  // changes that buffer or calls Parse again.
  std::span<const std::string_view> args() const { return args_; }
  // The error text after kError, e.g. "ERR Protocol error: invalid bulk length".
  std::string_view error() const { return error_; }

  // After kNeedMore inside a bulk argument: how many more bytes complete that argument
  // (its data and CRLF), so the caller can reserve. 0 when unknown.
  size_t bytes_needed_hint() const { return needed_; }

  // Whether a client with `buffered` unconsumed bytes exceeds client-query-buffer-limit and
  // must be closed (Redis counts only the bytes past the last fully parsed element). Call
  // after appending a read and before Parse.
  bool OverLimit(size_t buffered) const {
    return buffered > pos_ && buffered - pos_ > limits_.max_query_buffer;
  }

  // While the client has not authenticated (requirepass set), Redis refuses multibulk counts
  // above 10 and bulk lengths above 16384.
  void set_auth_required(bool v) { auth_required_ = v; }
  void set_limits(const Limits& limits) { limits_ = limits; }
  const Limits& limits() const { return limits_; }

  // Forgets any partial command and error (the caller discarded its buffer).
  void Reset();

 private:
  enum class State : uint8_t { kIdle, kInline, kCount, kBulkLen, kBulkData, kError };
  struct ArgRef {
    size_t offset;  // into the input buffer, or into scratch_ when in_scratch
    size_t len;
    bool in_scratch;
  };

  ParseResult Fail(std::string_view msg);
  ParseResult Fail(std::string msg);
  // Finds `target` in buf at or after line_scan_, as Redis's strchr on the NUL-terminated query
  // buffer would: a NUL byte before it means it is never found. Returns npos if not found.
  size_t FindLineEnd(std::string_view buf, char target);
  ParseResult ParseInline(std::string_view buf);
  ParseResult ParseMultibulk(std::string_view buf);
  // Splits [begin, end) of buf as sdssplitargs into arg_refs_; false on unbalanced quotes.
  bool SplitInline(std::string_view buf, size_t begin, size_t end);
  ParseResult Complete(std::string_view buf, size_t* consumed);
  void ResetCommand();

  Limits limits_;
  bool auth_required_ = false;
  State state_ = State::kIdle;
  bool nul_blocked_ = false;  // a NUL precedes the current line's end: it never ends
  size_t start_ = 0;          // offset of the current command (after skipped empty ones)
  size_t pos_ = 0;            // parse position (offset into the buffer)
  size_t line_scan_ = 0;      // bytes before this offset hold no line end
  size_t remaining_ = 0;      // multibulk arguments still to read
  size_t bulk_len_ = 0;       // length of the bulk being read (kBulkData)
  size_t needed_ = 0;
  std::vector<ArgRef> arg_refs_;
  std::vector<std::string_view> args_;
  std::string scratch_;  // unescaped inline arguments
  std::string error_;
};

}  // namespace aegisr
