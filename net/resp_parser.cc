// RespParser: incremental, zero-copy parser of client requests. Thread-confined to the
// connection's loop.
//
// How it follows Redis 7.0 (src/networking.c, processInputBuffer and friends), checked against
// redis-server 7.0 byte for byte:
//  - A request starting with '*' is multibulk, anything else is inline.
//  - Line ends are found as Redis's strchr() on its NUL-terminated query buffer finds them: a
//    NUL byte before the line end hides it, so such a line never completes (until it grows
//    past the 64 KB limit and fails as "too big").
//  - Multibulk: "*<n>" up to the first '\r'; Redis only requires one more byte after the '\r'
//    and skips it without looking at it, and so do we. n must parse as string2ll and be at
//    most INT_MAX; n <= 0 is an empty command. Each argument is "$<len>" (same line rule),
//    then len bytes and two more bytes that are skipped unchecked.
//  - Inline: up to the first '\n' (a preceding '\r' is dropped), split as sdssplitargs.
//  - "too big ..." errors fire only while a line end is missing and more than 64 KB are
//    buffered from the start of that line.
//
// Resumption: all positions are offsets into the caller's buffer, whose first byte stays the
// same until a command completes. line_scan_ remembers how far the current line was searched,
// pos_ where parsing stopped, so each byte is looked at a bounded number of times.
// Arguments are recorded as (offset, length) and turned into string_views only when the
// command completes, because the buffer may move between calls.

#include "net/resp_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "base/logging.h"
#include "base/numbers.h"
#include "engine/errors.h"

namespace aegisr {

namespace {

constexpr size_t kNpos = std::string_view::npos;
using errors::kProtoUnauthBulk;
using errors::kProtoUnauthMbulk;
constexpr int64_t kUnauthMaxMultibulk = 10;
constexpr int64_t kUnauthMaxBulk = 16384;
// Vectors that grew past these for one huge command are released afterwards.
constexpr size_t kKeepArgs = 4096;
constexpr size_t kKeepScratch = 64 * 1024;

// isspace() in the C locale.
inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

inline bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

void RespParser::Reset() {
  ResetCommand();
  arg_refs_.clear();
  args_.clear();
  scratch_.clear();
  error_.clear();
}

void RespParser::ResetCommand() {
  state_ = State::kIdle;
  nul_blocked_ = false;
  start_ = pos_ = line_scan_ = 0;
  remaining_ = bulk_len_ = 0;
}

RespParser::ParseResult RespParser::Fail(std::string_view msg) { return Fail(std::string(msg)); }

RespParser::ParseResult RespParser::Fail(std::string msg) {
  error_ = std::move(msg);
  state_ = State::kError;
  needed_ = 0;
  return ParseResult::kError;
}

size_t RespParser::FindLineEnd(std::string_view buf, char target) {
  if (nul_blocked_ || line_scan_ >= buf.size()) return kNpos;
  const char* from = buf.data() + line_scan_;
  const size_t n = buf.size() - line_scan_;
  const void* hit = std::memchr(from, target, n);
  const size_t span = hit ? static_cast<size_t>(static_cast<const char*>(hit) - from) : n;
  if (span > 0 && std::memchr(from, '\0', span) != nullptr) {
    nul_blocked_ = true;
    return kNpos;
  }
  line_scan_ += span;  // on a hit it stays on the hit, so a retry finds it at once
  return hit ? line_scan_ : kNpos;
}

RespParser::ParseResult RespParser::Parse(std::string_view buf, size_t* consumed) {
  *consumed = 0;
  needed_ = 0;
  args_.clear();
  if (args_.capacity() > kKeepArgs) std::vector<std::string_view>().swap(args_);
  if (state_ == State::kError) return ParseResult::kError;
  if (buf.size() < pos_ || buf.size() < start_) {
    // The caller broke the contract (dropped bytes of a partial command). Start over.
    DCHECK(false) << "RespParser: buffer shrank under a partial command";
    ResetCommand();
  }
  for (;;) {
    if (state_ == State::kIdle) {
      if (start_ >= buf.size()) {
        // Only empty commands so far: nothing to keep.
        *consumed = start_;
        ResetCommand();
        return ParseResult::kNeedMore;
      }
      pos_ = line_scan_ = start_;
      nul_blocked_ = false;
      arg_refs_.clear();
      if (scratch_.capacity() > kKeepScratch) {
        std::string().swap(scratch_);
      } else {
        scratch_.clear();
      }
      state_ = buf[start_] == '*' ? State::kCount : State::kInline;
    }
    const ParseResult r = state_ == State::kInline ? ParseInline(buf) : ParseMultibulk(buf);
    if (r != ParseResult::kCommand) return r;
    if (!arg_refs_.empty()) return Complete(buf, consumed);
    // An empty command: skip it, as Redis does, and look at what follows.
    start_ = pos_;
    state_ = State::kIdle;
  }
}

RespParser::ParseResult RespParser::Complete(std::string_view buf, size_t* consumed) {
  args_.clear();
  args_.reserve(arg_refs_.size());
  for (const ArgRef& ref : arg_refs_) {
    const char* base = ref.in_scratch ? scratch_.data() : buf.data();
    args_.emplace_back(base + ref.offset, ref.len);
  }
  *consumed = pos_;
  if (arg_refs_.capacity() > kKeepArgs) std::vector<ArgRef>().swap(arg_refs_);
  ResetCommand();
  return ParseResult::kCommand;
}

RespParser::ParseResult RespParser::ParseInline(std::string_view buf) {
  const size_t nl = FindLineEnd(buf, '\n');
  if (nl == kNpos) {
    if (buf.size() - pos_ > limits_.max_inline) return Fail(errors::kProtoBigInline);
    return ParseResult::kNeedMore;
  }
  size_t end = nl;
  if (end > pos_ && buf[end - 1] == '\r') --end;
  if (!SplitInline(buf, pos_, end)) return Fail(errors::kProtoUnbalancedQuotes);
  pos_ = line_scan_ = nl + 1;
  return ParseResult::kCommand;
}

// sdssplitargs over [begin, end), which holds no NUL (the line search guarantees it). Plain
// tokens become slices of buf; a token with quotes is unescaped into scratch_.
bool RespParser::SplitInline(std::string_view buf, size_t begin, size_t end) {
  // Redis reads past the token as a C string: the end of the line reads as '\0'.
  auto at = [&](size_t i) -> char { return i < end ? buf[i] : '\0'; };
  size_t p = begin;
  for (;;) {
    while (p < end && IsSpace(buf[p])) ++p;
    if (p >= end) return true;

    // Fast path: a token without quotes ends at ' ', '\t', '\r', '\n' or the end of line.
    const size_t tok = p;
    while (p < end) {
      const char c = buf[p];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'') break;
      ++p;
    }
    if (p >= end || (buf[p] != '"' && buf[p] != '\'')) {
      arg_refs_.push_back({tok, p - tok, false});
      if (p < end) ++p;  // the terminator
      continue;
    }

    // Slow path: the token has a quote; unescape it into scratch_.
    const size_t out = scratch_.size();
    scratch_.append(buf.data() + tok, p - tok);
    bool inq = false, insq = false, done = false;
    while (!done) {
      const char c = at(p);
      if (inq) {
        if (c == '\\' && at(p + 1) == 'x' && IsHex(at(p + 2)) && IsHex(at(p + 3))) {
          scratch_.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          char e = at(p);
          switch (e) {
            case 'n':
              e = '\n';
              break;
            case 'r':
              e = '\r';
              break;
            case 't':
              e = '\t';
              break;
            case 'b':
              e = '\b';
              break;
            case 'a':
              e = '\a';
              break;
            default:
              break;
          }
          scratch_.push_back(e);
        } else if (c == '"') {
          // The closing quote must be followed by a space or nothing.
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          scratch_.push_back(c);
        }
      } else if (insq) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          scratch_.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          scratch_.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            inq = true;
            break;
          case '\'':
            insq = true;
            break;
          default:
            scratch_.push_back(c);
            break;
        }
      }
      if (p < end) ++p;
    }
    arg_refs_.push_back({out, scratch_.size() - out, true});
  }
}

RespParser::ParseResult RespParser::ParseMultibulk(std::string_view buf) {
  if (state_ == State::kCount) {
    const size_t cr = FindLineEnd(buf, '\r');
    if (cr == kNpos) {
      if (buf.size() - pos_ > limits_.max_inline) return Fail(errors::kProtoBigMbulk);
      return ParseResult::kNeedMore;
    }
    if (cr + 1 >= buf.size()) return ParseResult::kNeedMore;  // the byte after '\r'
    int64_t n = 0;
    if (!String2ll(buf.substr(pos_ + 1, cr - pos_ - 1), &n) || n > INT_MAX) {
      return Fail(errors::kProtoInvalidMultibulk);
    }
    if (auth_required_ && n > kUnauthMaxMultibulk) return Fail(kProtoUnauthMbulk);
    pos_ = line_scan_ = cr + 2;
    if (n <= 0) return ParseResult::kCommand;  // empty command
    remaining_ = static_cast<size_t>(n);
    arg_refs_.reserve(std::min<size_t>(remaining_, 1024));
    state_ = State::kBulkLen;
  }

  while (remaining_ > 0) {
    if (state_ == State::kBulkLen) {
      const size_t cr = FindLineEnd(buf, '\r');
      if (cr == kNpos) {
        if (buf.size() - pos_ > limits_.max_inline) return Fail(errors::kProtoBigBulk);
        return ParseResult::kNeedMore;
      }
      if (cr + 1 >= buf.size()) return ParseResult::kNeedMore;
      if (buf[pos_] != '$') {
        // Redis's addReplyErrorFormat turns CR and LF into spaces.
        char got = buf[pos_];
        if (got == '\r' || got == '\n') got = ' ';
        std::string msg = "ERR Protocol error: expected '$', got '";
        msg.push_back(got);
        msg.push_back('\'');
        return Fail(std::move(msg));
      }
      int64_t len = 0;
      if (!String2ll(buf.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
          static_cast<uint64_t>(len) > limits_.max_bulk_len) {
        return Fail(errors::kProtoInvalidBulk);
      }
      if (auth_required_ && len > kUnauthMaxBulk) return Fail(kProtoUnauthBulk);
      pos_ = line_scan_ = cr + 2;
      bulk_len_ = static_cast<size_t>(len);
      state_ = State::kBulkData;
    }
    // kBulkData: the bytes and two more (Redis skips them without checking for CRLF).
    const size_t avail = buf.size() - pos_;
    if (avail < bulk_len_ + 2) {
      needed_ = bulk_len_ + 2 - avail;
      return ParseResult::kNeedMore;
    }
    arg_refs_.push_back({pos_, bulk_len_, false});
    pos_ = line_scan_ = pos_ + bulk_len_ + 2;
    --remaining_;
    state_ = State::kBulkLen;
  }
  return ParseResult::kCommand;
}

}  // namespace aegisr
