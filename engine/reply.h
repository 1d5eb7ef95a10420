#pragma once
// ReplySink: how a command writes its reply. The engine owns this interface; net/ implements it
// with the RESP2/RESP3 encoder (net/resp_writer.h). Thread-confined to the connection's loop.
//
// Each call appends one RESP element; aggregate headers are followed by their elements. The
// sink knows the connection's protocol version and picks the RESP2 or RESP3 form itself, so
// command code writes one reply for both.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aegisr {

class ReplySink {
 public:
  virtual ~ReplySink() = default;

  // +s\r\n. s must not contain CR or LF.
  virtual void SimpleString(std::string_view s) = 0;
  // -msg\r\n. msg is the whole error text without the leading '-', e.g. "ERR syntax error" or
  // "WRONGTYPE Operation against a key holding the wrong kind of value". See engine/errors.h.
  virtual void Error(std::string_view msg) = 0;
  // :v\r\n
  virtual void Integer(int64_t v) = 0;
  // $len\r\nbytes\r\n
  virtual void Bulk(std::string_view s) = 0;
  // Null bulk: RESP2 $-1\r\n, RESP3 _\r\n
  virtual void Null() = 0;
  // Null array: RESP2 *-1\r\n, RESP3 _\r\n
  virtual void NullArray() = 0;
  // *n\r\n (both protocols)
  virtual void ArrayHeader(size_t n) = 0;
  // RESP3 %n\r\n (n key/value pairs); RESP2 *2n\r\n
  virtual void MapHeader(size_t n) = 0;
  // RESP3 ~n\r\n; RESP2 *n\r\n
  virtual void SetHeader(size_t n) = 0;
  // RESP3 >n\r\n; RESP2 *n\r\n
  virtual void PushHeader(size_t n) = 0;
  // RESP3 ,<repr>\r\n; RESP2 a bulk string of the same text. Formatting as Redis's
  // addReplyDouble: inf, -inf, nan, else %.17g.
  virtual void Double(double d) = 0;
  // RESP3 #t/#f; RESP2 :1/:0
  virtual void Bool(bool b) = 0;
  // RESP3 =len\r\nfmt:text\r\n (fmt is 3 chars, e.g. "txt"); RESP2 a bulk string of text.
  virtual void Verbatim(std::string_view fmt, std::string_view text) = 0;
  // Bytes already encoded as RESP, appended as they are (shared static replies, e.g. "+OK\r\n").
  virtual void Raw(std::string_view resp) = 0;

  // Protocol of the connection: 2 or 3.
  virtual int protocol() const = 0;
  // Switches the encoding from the next element on (HELLO and RESET call this, and set
  // ClientState::resp, so that their own reply already uses the new protocol).
  virtual void SetProtocol(int proto) = 0;

  // Error replies written through this sink so far: Engine::Dispatch counts a command whose
  // handler wrote one as failed (INFO commandstats failed_calls). Implementations of Error()
  // increment it.
  uint64_t errors_written() const { return errors_written_; }

  // Convenience forms.
  void Ok() { Raw("+OK\r\n"); }
  void BulkOrNull(const std::string_view* s) {
    if (s)
      Bulk(*s);
    else
      Null();
  }

 protected:
  uint64_t errors_written_ = 0;
};

}  // namespace aegisr
