#pragma once
// RESP2/RESP3 reply parser for clients (aegisr-cli, aegisr-bench): bytes in, a reply tree out.
// Thread-compatible: a ReplyParser holds only limits; Reply is a plain value type.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aegisr::client {

enum class ReplyType : uint8_t {
  kSimpleString,  // +OK
  kError,         // -ERR ... or RESP3 blob error !<len>
  kInteger,       // :1
  kBulk,          // $<len> (a RESP2 $-1 becomes kNull)
  kNull,          // RESP3 _, RESP2 $-1 and *-1
  kArray,         // *<n>
  kMap,           // %<n>: elements hold key, value, key, value...
  kSet,           // ~<n>
  kPush,          // ><n>
  kDouble,        // ,<text>: `str` keeps the text as sent ("1.5", "inf", "nan")
  kBool,          // #t / #f: `integer` is 1 or 0
  kVerbatim,      // =<len>\r\nfmt:body: `format` is "txt"/"mkd", `str` the body
  kBigNumber,     // (<digits>: `str` keeps the digits
  kAttribute,     // |<n>: only as Reply::attribute of the reply it annotates
};

// Human name of a type ("array", "map"...), for diagnostics.
std::string_view ReplyTypeName(ReplyType t);

struct Reply {
  ReplyType type = ReplyType::kNull;
  std::string str;              // simple string, error, bulk, double, verbatim body, big number
  std::string format;           // verbatim only: the three-letter format
  int64_t integer = 0;          // integer; bool as 0/1
  std::vector<Reply> elements;  // aggregates; a map (or attribute) is flattened k, v, k, v...
  // A RESP3 attribute that preceded this reply (type kAttribute), or null.
  std::shared_ptr<Reply> attribute;

  bool IsAggregate() const {
    return type == ReplyType::kArray || type == ReplyType::kMap || type == ReplyType::kSet ||
           type == ReplyType::kPush || type == ReplyType::kAttribute;
  }
  // Convenience constructors for tests and callers.
  static Reply Simple(std::string s);
  static Reply Error(std::string s);
  static Reply Integer(int64_t v);
  static Reply Bulk(std::string s);
  static Reply Null();
};

enum class ParseStatus : uint8_t { kOk, kIncomplete, kError };

// Parses exactly one reply from the front of a buffer. Stateless between calls: on kIncomplete
// the caller appends more bytes and calls again with the whole buffer.
class ReplyParser {
 public:
  static constexpr size_t kDefaultMaxDepth = 512;
  static constexpr int64_t kDefaultMaxBulk = int64_t{1} << 32;
  static constexpr int64_t kDefaultMaxElements = int64_t{1} << 32;

  ReplyParser() = default;
  ReplyParser(size_t max_depth, int64_t max_bulk) : max_depth_(max_depth), max_bulk_(max_bulk) {}

  // kOk: *out is the reply and *consumed the bytes it took. kIncomplete: buf holds a valid
  // prefix of a reply; *out is unspecified. kError: the bytes are not RESP; *error says why
  // (e.g. `Protocol error, got "x" as reply type byte`). Never crashes on any input.
  ParseStatus Parse(std::string_view buf, size_t* consumed, Reply* out, std::string* error) const;

 private:
  ParseStatus ParseAt(std::string_view buf, size_t* pos, size_t depth, Reply* out,
                      std::string* error) const;

  size_t max_depth_ = kDefaultMaxDepth;
  int64_t max_bulk_ = kDefaultMaxBulk;
};

}  // namespace aegisr::client
