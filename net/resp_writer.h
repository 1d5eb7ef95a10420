#pragma once
// RespWriter: the RESP2/RESP3 encoder behind ReplySink, appending to an output buffer it owns.
// One per connection; thread-confined to the connection's loop.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/reply.h"

namespace aegisr {

// Appends prefix, n and CRLF (an aggregate's or a bulk string's header) to out.
void AppendRespHeader(std::string* out, char prefix, size_t n);
// Appends s as a RESP bulk string to out.
void AppendRespBulk(std::string* out, std::string_view s);

class RespWriter final : public ReplySink {
 public:
  explicit RespWriter(int protocol = 2) : protocol_(protocol) {}
  RespWriter(const RespWriter&) = delete;
  RespWriter& operator=(const RespWriter&) = delete;

  // 2 or 3 (HELLO, RESET). Affects only replies written afterwards.
  void set_protocol(int protocol) { protocol_ = protocol; }
  void SetProtocol(int protocol) override { protocol_ = protocol; }
  int protocol() const override { return protocol_; }

  // ReplySink. Encodings are those of Redis 7.0's addReply* functions. CR and LF inside a
  // simple string or an error are written as spaces so a reply can never break the framing.
  void SimpleString(std::string_view s) override;
  void Error(std::string_view msg) override;
  void Integer(int64_t v) override;
  void Bulk(std::string_view s) override;
  void Null() override;
  void NullArray() override;
  void ArrayHeader(size_t n) override;
  void MapHeader(size_t n) override;
  void SetHeader(size_t n) override;
  void PushHeader(size_t n) override;
  void Double(double d) override;
  void Bool(bool b) override;
  void Verbatim(std::string_view fmt, std::string_view text) override;
  void Raw(std::string_view resp) override;

  // The pending output. The caller may swap or move it out (e.g. into a send buffer) and
  // must leave it as a valid string; writes append to it.
  std::string& buffer() { return out_; }
  const char* data() const { return out_.data(); }
  size_t size() const { return out_.size(); }
  bool empty() const { return out_.empty(); }
  std::string_view view() const { return out_; }
  // Drops the first n pending bytes (after a partial send; O(size), prefer swapping out the
  // buffer for large replies). n <= size().
  void consume(size_t n) { out_.erase(0, n); }
  // Drops all pending output, keeping the memory.
  void clear() { out_.clear(); }
  // When nothing is pending, frees the memory if more than `keep` bytes are held (call after
  // a large reply was sent, so an idle connection does not hold it).
  void ShrinkIfIdle(size_t keep = 64 * 1024) {
    if (out_.empty() && out_.capacity() > keep) std::string().swap(out_);
  }

 private:
  void Header(char prefix, size_t n);
  void Line(char prefix, std::string_view s);  // prefix, s (CR/LF -> space), CRLF

  int protocol_;
  std::string out_;
};

}  // namespace aegisr
