// aegisr-cli reply rendering and argument splitting, matching redis-cli 7.0's output byte for
// byte (checked by tests/integration/test_cli.py against Debian's redis-cli). Thread-safe.

#include "cmd/cli/cli_format.h"

#include <strings.h>

#include <cctype>
#include <cstdio>

namespace aegisr::cli {

using client::Reply;
using client::ReplyType;

std::string QuoteRepr(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(c)) {
          out += static_cast<char>(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        }
    }
  }
  out += '"';
  return out;
}

std::string FormatTty(const Reply& r, const std::string& prefix) {
  switch (r.type) {
    case ReplyType::kError:
      return "(error) " + r.str + "\n";
    case ReplyType::kSimpleString:
      return r.str + "\n";
    case ReplyType::kInteger:
      return "(integer) " + std::to_string(r.integer) + "\n";
    case ReplyType::kDouble:
      return "(double) " + r.str + "\n";
    case ReplyType::kBigNumber:
      return "(big number) " + r.str + "\n";
    case ReplyType::kBulk:
      return QuoteRepr(r.str) + "\n";
    case ReplyType::kVerbatim:
      return r.str + "\n";
    case ReplyType::kNull:
      return "(nil)\n";
    case ReplyType::kBool:
      return r.integer ? "(true)\n" : "(false)\n";
    case ReplyType::kArray:
    case ReplyType::kMap:
    case ReplyType::kSet:
    case ReplyType::kPush:
    case ReplyType::kAttribute:
      break;
  }
  const bool is_map = r.type == ReplyType::kMap || r.type == ReplyType::kAttribute;
  if (r.elements.empty()) {
    switch (r.type) {
      case ReplyType::kArray:
        return "(empty array)\n";
      case ReplyType::kMap:
        return "(empty hash)\n";
      case ReplyType::kSet:
        return "(empty set)\n";
      case ReplyType::kPush:
        return "(empty push)\n";
      default:
        return "(empty aggregate type)\n";
    }
  }
  // Indexes are right-aligned to the width of the largest; nested lines indent past them.
  size_t count = is_map ? r.elements.size() / 2 : r.elements.size();
  size_t width = std::to_string(count).size();
  std::string child_prefix = prefix + std::string(width + 2, ' ');
  char sep = r.type == ReplyType::kSet ? '~' : is_map ? '#' : ')';
  std::string out;
  for (size_t i = 0; i < r.elements.size(); ++i) {
    size_t human = (is_map ? i / 2 : i) + 1;
    std::string idx = std::to_string(human);
    if (i != 0) out += prefix;
    out.append(width - idx.size(), ' ');
    out += idx;
    out += sep;
    out += ' ';
    out += FormatTty(r.elements[i], child_prefix);
    if (is_map && i + 1 < r.elements.size()) {
      ++i;
      out.pop_back();  // the key's newline
      out += " => ";
      out += FormatTty(r.elements[i], child_prefix);
    }
  }
  return out;
}

std::string FormatRaw(const Reply& r) {
  switch (r.type) {
    case ReplyType::kNull:
      return "";
    case ReplyType::kError:
      return r.str + "\n";
    case ReplyType::kSimpleString:
    case ReplyType::kBulk:
    case ReplyType::kVerbatim:
    case ReplyType::kDouble:
    case ReplyType::kBigNumber:
      return r.str;
    case ReplyType::kBool:
      return r.integer ? "(true)" : "(false)";
    case ReplyType::kInteger:
      return std::to_string(r.integer);
    case ReplyType::kArray:
    case ReplyType::kSet:
    case ReplyType::kPush: {
      std::string out;
      for (size_t i = 0; i < r.elements.size(); ++i) {
        if (i > 0) out += '\n';
        out += FormatRaw(r.elements[i]);
      }
      return out;
    }
    case ReplyType::kMap:
    case ReplyType::kAttribute: {
      std::string out;
      for (size_t i = 0; i + 1 < r.elements.size(); i += 2) {
        if (i > 0) out += '\n';
        out += FormatRaw(r.elements[i]);
        out += ' ';
        out += FormatRaw(r.elements[i + 1]);
      }
      return out;
    }
  }
  return "";
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSplitSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> args;
  size_t p = 0;
  const size_t n = line.size();
  for (;;) {
    while (p < n && IsSplitSpace(line[p])) ++p;
    if (p >= n) return args;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (p >= n) return std::nullopt;  // unterminated quotes
        char c = line[p];
        if (c == '\\' && p + 3 < n + 0 && line[p + 1] == 'x' && HexValue(line[p + 2]) >= 0 &&
            HexValue(line[p + 3]) >= 0) {
          cur += static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3]));
          p += 3;
        } else if (c == '\\' && p + 1 < n) {
          ++p;
          switch (line[p]) {
            case 'n':
              cur += '\n';
              break;
            case 'r':
              cur += '\r';
              break;
            case 't':
              cur += '\t';
              break;
            case 'b':
              cur += '\b';
              break;
            case 'a':
              cur += '\a';
              break;
            default:
              cur += line[p];
          }
        } else if (c == '"') {
          // The closing quote must end the argument.
          if (p + 1 < n && !IsSplitSpace(line[p + 1])) return std::nullopt;
          done = true;
        } else {
          cur += c;
        }
      } else if (in_sq) {
        if (p >= n) return std::nullopt;
        char c = line[p];
        if (c == '\\' && p + 1 < n && line[p + 1] == '\'') {
          ++p;
          cur += '\'';
        } else if (c == '\'') {
          if (p + 1 < n && !IsSplitSpace(line[p + 1])) return std::nullopt;
          done = true;
        } else {
          cur += c;
        }
      } else {
        if (p >= n) {
          done = true;
          break;
        }
        char c = line[p];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur += c;
        }
      }
      if (p < n) ++p;
    }
    args.push_back(std::move(cur));
  }
}

bool PrintsRawAlways(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  auto is = [&](size_t i, const char* s) {
    return i < argv.size() && strcasecmp(argv[i].c_str(), s) == 0;
  };
  const size_t argc = argv.size();
  if (is(0, "info") || is(0, "lolwut")) return true;
  if (argc >= 2 && is(0, "debug") &&
      (is(1, "htstats") || is(1, "htstats-key") || is(1, "client-eviction"))) {
    return true;
  }
  if (argc >= 2 && is(0, "memory") && (is(1, "malloc-stats") || is(1, "doctor"))) return true;
  if (argc == 2 && is(0, "cluster") && (is(1, "nodes") || is(1, "info"))) return true;
  if (argc >= 2 && is(0, "client") && (is(1, "list") || is(1, "info"))) return true;
  if (argc == 3 && is(0, "latency") && is(1, "graph")) return true;
  if (argc == 2 && is(0, "latency") && is(1, "doctor")) return true;
  if (argc >= 2 && is(0, "proxy") && is(1, "info")) return true;
  return false;
}

}  // namespace aegisr::cli
