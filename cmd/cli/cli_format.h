#pragma once
// aegisr-cli helpers: redis-cli compatible reply rendering and line splitting. Pure functions,
// thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/client/resp_reply.h"

namespace aegisr::cli {

// Human form used on a terminal: (integer) 1, "quoted", 1) nested arrays, 1# k => v...
// `prefix` is the indentation of nested lines (empty at top level). Ends with a newline.
std::string FormatTty(const client::Reply& r, const std::string& prefix = "");
// Plain form used when stdout is not a terminal (or --raw): values one per line, no quoting.
// No trailing newline (the caller adds the command delimiter).
std::string FormatRaw(const client::Reply& r);
// A byte string quoted and escaped as redis-cli shows it: "a\x01\n".
std::string QuoteRepr(std::string_view s);
// Splits a command line into arguments with redis-cli's quoting rules ("..." with \n \r \t
// \b \a \xHH escapes, '...' with \' only). nullopt on unbalanced quotes or a closing quote
// not followed by a space.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);
// True for commands whose reply redis-cli always prints raw (INFO, CLIENT LIST...).
bool PrintsRawAlways(const std::vector<std::string>& argv);

}  // namespace aegisr::cli
