#pragma once
// Status and OpResult<T>: error values without exceptions. Thread-compatible value types.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aegisr {

// Outcome of a data operation (OpX). Command handlers map these to wire errors in one place.
enum class OpStatus : uint8_t {
  kOk,
  kKeyNotFound,
  kWrongType,
  kNotAnInteger,
  kOutOfRange,  // integer overflow, index out of range
  kNotAFloat,
  kSyntaxError,
  kSkipped,  // NX/XX condition not met
  kInvalidExpire,
  kOutOfMemory,
  kNoSuchKey,  // RENAME and friends: "ERR no such key"
  kBusyKey,
};

// A general error carrying a message, for configuration, I/O and startup paths.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string msg, int code = 1) { return Status(std::move(msg), code); }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }
  const std::string& message() const { return msg_; }

 private:
  Status(std::string msg, int code) : code_(code), msg_(std::move(msg)) {}
  int code_ = 0;
  std::string msg_;
};

// The result of a data operation: a value or an OpStatus other than kOk.
template <typename T>
class [[nodiscard]] OpResult {
 public:
  OpResult(T v) : v_(std::move(v)) {}  // NOLINT: implicit by design
  OpResult(OpStatus s) : v_(s) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  OpStatus status() const { return ok() ? OpStatus::kOk : std::get<OpStatus>(v_); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OpStatus> v_;
};

}  // namespace aegisr
