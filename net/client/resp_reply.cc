// RESP2/RESP3 reply parser. Thread-compatible (no shared state).
//
// The parser is a recursive descent over one buffer: each reply starts with a type byte, then
// a CRLF-terminated header line; bulk-like types (bulk, blob error, verbatim) carry a length
// and that many bytes plus CRLF; aggregates carry an element count (maps and attributes count
// pairs). Running out of bytes anywhere yields kIncomplete without touching the caller's
// state, so a caller can simply retry on a longer buffer. Every length is checked against
// limits and against the bytes present before anything is reserved, so hostile input cannot
// make it allocate wildly or recurse past max_depth.

#include "net/client/resp_reply.h"

#include <algorithm>
#include <string>

namespace aegisr::client {

namespace {

// Finds the CRLF ending the line that starts at `pos`. npos if not (yet) present.
size_t FindCrlf(std::string_view buf, size_t pos) {
  while (pos < buf.size()) {
    size_t cr = buf.find('\r', pos);
    if (cr == std::string_view::npos || cr + 1 >= buf.size()) return std::string_view::npos;
    if (buf[cr + 1] == '\n') return cr;
    pos = cr + 1;
  }
  return std::string_view::npos;
}

// Strict signed 64-bit decimal: optional '-', at least one digit, no overflow.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  size_t i = 0;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
    if (s.size() == 1) return false;
  }
  uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

ParseStatus Fail(std::string* error, std::string msg) {
  if (error != nullptr) *error = std::move(msg);
  return ParseStatus::kError;
}

}  // namespace

std::string_view ReplyTypeName(ReplyType t) {
  switch (t) {
    case ReplyType::kSimpleString:
      return "simple string";
    case ReplyType::kError:
      return "error";
    case ReplyType::kInteger:
      return "integer";
    case ReplyType::kBulk:
      return "bulk string";
    case ReplyType::kNull:
      return "null";
    case ReplyType::kArray:
      return "array";
    case ReplyType::kMap:
      return "map";
    case ReplyType::kSet:
      return "set";
    case ReplyType::kPush:
      return "push";
    case ReplyType::kDouble:
      return "double";
    case ReplyType::kBool:
      return "bool";
    case ReplyType::kVerbatim:
      return "verbatim string";
    case ReplyType::kBigNumber:
      return "big number";
    case ReplyType::kAttribute:
      return "attribute";
  }
  return "unknown";
}

Reply Reply::Simple(std::string s) {
  Reply r;
  r.type = ReplyType::kSimpleString;
  r.str = std::move(s);
  return r;
}
Reply Reply::Error(std::string s) {
  Reply r;
  r.type = ReplyType::kError;
  r.str = std::move(s);
  return r;
}
Reply Reply::Integer(int64_t v) {
  Reply r;
  r.type = ReplyType::kInteger;
  r.integer = v;
  return r;
}
Reply Reply::Bulk(std::string s) {
  Reply r;
  r.type = ReplyType::kBulk;
  r.str = std::move(s);
  return r;
}
Reply Reply::Null() { return Reply(); }

ParseStatus ReplyParser::Parse(std::string_view buf, size_t* consumed, Reply* out,
                               std::string* error) const {
  size_t pos = 0;
  Reply r;
  ParseStatus st = ParseAt(buf, &pos, 0, &r, error);
  if (st == ParseStatus::kOk) {
    *out = std::move(r);
    *consumed = pos;
  }
  return st;
}

ParseStatus ReplyParser::ParseAt(std::string_view buf, size_t* pos, size_t depth, Reply* out,
                                 std::string* error) const {
  if (depth > max_depth_) return Fail(error, "Protocol error: reply nested too deeply");
  size_t p = *pos;
  if (p >= buf.size()) return ParseStatus::kIncomplete;
  const char type = buf[p];
  size_t eol = FindCrlf(buf, p + 1);
  if (eol == std::string_view::npos) {
    // A length header never needs more than 21 bytes; fail fast on garbage instead of
    // waiting forever for a CRLF that will not come.
    bool counted = type == '$' || type == '*' || type == '%' || type == '~' || type == '>' ||
                   type == '|' || type == '!' || type == '=' || type == ':' || type == '#' ||
                   type == '_';
    if (counted && buf.size() - p > 32) {
      return Fail(error, "Protocol error: length line too long");
    }
    bool known = counted || type == '+' || type == '-' || type == ',' || type == '(';
    if (!known) {
      return Fail(error, std::string("Protocol error, got \"") + type + "\" as reply type byte");
    }
    return ParseStatus::kIncomplete;
  }
  std::string_view line = buf.substr(p + 1, eol - p - 1);
  size_t next = eol + 2;

  auto parse_len = [&](int64_t* n) -> bool { return ParseInt64(line, n); };

  switch (type) {
    case '+':
    case '-':
    case ',':
    case '(': {
      out->type = type == '+'   ? ReplyType::kSimpleString
                  : type == '-' ? ReplyType::kError
                  : type == ',' ? ReplyType::kDouble
                                : ReplyType::kBigNumber;
      if ((type == ',' || type == '(') && line.empty()) {
        return Fail(error, "Protocol error: empty number");
      }
      if (type == '(') {
        std::string_view digits = line;
        if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
          return Fail(error, "Protocol error: bad big number");
        }
      }
      out->str.assign(line);
      *pos = next;
      return ParseStatus::kOk;
    }
    case ':': {
      if (!ParseInt64(line, &out->integer)) return Fail(error, "Protocol error: bad integer");
      out->type = ReplyType::kInteger;
      *pos = next;
      return ParseStatus::kOk;
    }
    case '#': {
      if (line != "t" && line != "f") return Fail(error, "Protocol error: bad bool");
      out->type = ReplyType::kBool;
      out->integer = line == "t" ? 1 : 0;
      *pos = next;
      return ParseStatus::kOk;
    }
    case '_': {
      if (!line.empty()) return Fail(error, "Protocol error: bad null");
      out->type = ReplyType::kNull;
      *pos = next;
      return ParseStatus::kOk;
    }
    case '$':
    case '!':
    case '=': {
      int64_t len;
      if (!parse_len(&len) || len < -1 || (len == -1 && type != '$')) {
        return Fail(error, "Protocol error: bad bulk length");
      }
      if (len > max_bulk_) return Fail(error, "Protocol error: bulk too large");
      if (len == -1) {
        out->type = ReplyType::kNull;
        *pos = next;
        return ParseStatus::kOk;
      }
      size_t ulen = static_cast<size_t>(len);
      if (buf.size() - next < ulen + 2) return ParseStatus::kIncomplete;
      if (buf[next + ulen] != '\r' || buf[next + ulen + 1] != '\n') {
        return Fail(error, "Protocol error: bulk not terminated by CRLF");
      }
      std::string_view body = buf.substr(next, ulen);
      if (type == '=') {
        if (body.size() < 4 || body[3] != ':') {
          return Fail(error, "Protocol error: bad verbatim string");
        }
        out->type = ReplyType::kVerbatim;
        out->format.assign(body.substr(0, 3));
        out->str.assign(body.substr(4));
      } else {
        out->type = type == '$' ? ReplyType::kBulk : ReplyType::kError;
        out->str.assign(body);
      }
      *pos = next + ulen + 2;
      return ParseStatus::kOk;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      int64_t n;
      if (!parse_len(&n) || n < -1 || (n == -1 && type != '*')) {
        return Fail(error, "Protocol error: bad aggregate length");
      }
      if (n == -1) {
        out->type = ReplyType::kNull;
        *pos = next;
        return ParseStatus::kOk;
      }
      const bool pairs = type == '%' || type == '|';
      if (n > kDefaultMaxElements) return Fail(error, "Protocol error: aggregate too large");
      size_t count = static_cast<size_t>(n) * (pairs ? 2 : 1);
      out->type = type == '*'   ? ReplyType::kArray
                  : type == '%' ? ReplyType::kMap
                  : type == '~' ? ReplyType::kSet
                  : type == '>' ? ReplyType::kPush
                                : ReplyType::kAttribute;
      out->elements.clear();
      // Each element takes at least 3 bytes ("_\r\n"): never reserve beyond what is present.
      out->elements.reserve(std::min(count, (buf.size() - next) / 3));
      size_t q = next;
      for (size_t i = 0; i < count; ++i) {
        Reply child;
        ParseStatus st = ParseAt(buf, &q, depth + 1, &child, error);
        if (st != ParseStatus::kOk) return st;
        out->elements.push_back(std::move(child));
      }
      if (type == '|') {
        // The attribute annotates the reply that follows it.
        auto attr = std::make_shared<Reply>(std::move(*out));
        Reply real;
        ParseStatus st = ParseAt(buf, &q, depth + 1, &real, error);
        if (st != ParseStatus::kOk) return st;
        *out = std::move(real);
        out->attribute = std::move(attr);
      }
      *pos = q;
      return ParseStatus::kOk;
    }
    default:
      return Fail(error, std::string("Protocol error, got \"") + type + "\" as reply type byte");
  }
}

}  // namespace aegisr::client
