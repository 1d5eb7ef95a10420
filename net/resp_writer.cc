// RespWriter: RESP2/RESP3 reply encoder. Thread-confined to the connection's loop.
//
// Everything is appended to one std::string that the connection drains. Each element is at
// most three appends (header, payload, CRLF); numbers are formatted with std::to_chars into a
// stack buffer, never snprintf. Once the string has grown to the connection's usual reply
// size nothing here allocates.

#include "net/resp_writer.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "base/logging.h"
#include "base/numbers.h"

namespace aegisr {

namespace {

constexpr size_t kMaxHeader = 1 + 20 + 2;  // prefix, decimal of a 64-bit number, CRLF
constexpr std::string_view kCrlf = "\r\n";

// Writes prefix, n, CRLF into buf; returns the length.
template <typename Int>
inline size_t FormatHeader(char* buf, char prefix, Int n) {
  buf[0] = prefix;
  char* p = std::to_chars(buf + 1, buf + kMaxHeader, n).ptr;
  p[0] = '\r';
  p[1] = '\n';
  return static_cast<size_t>(p + 2 - buf);
}

}  // namespace

void AppendRespHeader(std::string* out, char prefix, size_t n) {
  char buf[kMaxHeader];
  out->append(buf, FormatHeader(buf, prefix, n));
}

void AppendRespBulk(std::string* out, std::string_view s) {
  char buf[kMaxHeader];
  const size_t h = FormatHeader(buf, '$', s.size());
  out->reserve(out->size() + h + s.size() + 2);
  out->append(buf, h);
  out->append(s);
  out->append(kCrlf);
}

void RespWriter::Header(char prefix, size_t n) { AppendRespHeader(&out_, prefix, n); }

void RespWriter::Line(char prefix, std::string_view s) {
  const size_t at = out_.size() + 1;
  out_.push_back(prefix);
  out_.append(s);
  // CR/LF would end the line early (rare: look first, fix up after).
  if (!s.empty() &&
      (std::memchr(s.data(), '\r', s.size()) || std::memchr(s.data(), '\n', s.size()))) {
    std::replace_if(
        out_.begin() + static_cast<std::ptrdiff_t>(at), out_.end(),
        [](char c) { return c == '\r' || c == '\n'; }, ' ');
  }
  out_.append(kCrlf);
}

void RespWriter::SimpleString(std::string_view s) { Line('+', s); }

void RespWriter::Error(std::string_view msg) {
  ++errors_written_;
  Line('-', msg);
}

void RespWriter::Integer(int64_t v) {
  char buf[kMaxHeader];
  out_.append(buf, FormatHeader(buf, ':', v));
}

void RespWriter::Bulk(std::string_view s) { AppendRespBulk(&out_, s); }

void RespWriter::Null() { out_.append(protocol_ == 3 ? std::string_view("_\r\n") : "$-1\r\n"); }

void RespWriter::NullArray() {
  out_.append(protocol_ == 3 ? std::string_view("_\r\n") : "*-1\r\n");
}

void RespWriter::ArrayHeader(size_t n) { Header('*', n); }

void RespWriter::MapHeader(size_t n) {
  if (protocol_ == 3) {
    Header('%', n);
  } else {
    Header('*', n * 2);
  }
}

void RespWriter::SetHeader(size_t n) { Header(protocol_ == 3 ? '~' : '*', n); }

void RespWriter::PushHeader(size_t n) { Header(protocol_ == 3 ? '>' : '*', n); }

void RespWriter::Double(double d) {
  char text[32];
  const size_t len = FormatDouble(text, d);
  if (protocol_ == 3) {
    out_.push_back(',');
    out_.append(text, len);
    out_.append(kCrlf);
  } else {
    Bulk(std::string_view(text, len));
  }
}

void RespWriter::Bool(bool b) {
  if (protocol_ == 3) {
    out_.append(b ? std::string_view("#t\r\n") : "#f\r\n");
  } else {
    out_.append(b ? std::string_view(":1\r\n") : ":0\r\n");
  }
}

void RespWriter::Verbatim(std::string_view fmt, std::string_view text) {
  if (protocol_ != 3) {
    Bulk(text);
    return;
  }
  DCHECK(fmt.size() == 3) << "verbatim format must be 3 characters: " << fmt;
  char buf[kMaxHeader];
  out_.append(buf, FormatHeader(buf, '=', fmt.size() + 1 + text.size()));
  out_.append(fmt);
  out_.push_back(':');
  out_.append(text);
  out_.append(kCrlf);
}

void RespWriter::Raw(std::string_view resp) { out_.append(resp); }

}  // namespace aegisr
