// CommandRegistry: case-insensitive lookup of command rows.
#include "engine/command.h"

#include <cctype>

#include "base/numbers.h"

namespace aegisr {

void AsciiLower(std::string_view in, std::string* out) {
  out->resize(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    (*out)[i] = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
  }
}

int64_t CommandSpec::NumKeys(std::string_view arg) {
  int64_t v;
  return String2ll(arg, &v) ? v : 0;
}

bool CommandSpec::IsStreamsKeyword(std::string_view arg) {
  return EqualsIgnoreCase(arg, "streams");
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + 32);
    if (y >= 'A' && y <= 'Z') y = char(y + 32);
    if (x != y) return false;
  }
  return true;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  for (const auto& s : subcommands) {
    std::string_view n = s.name;
    size_t bar = n.find('|');
    if (bar != std::string_view::npos) n = n.substr(bar + 1);
    if (EqualsIgnoreCase(n, sub)) return &s;
  }
  return nullptr;
}

void CommandRegistry::Register(CommandSpec spec) {
  std::string key = spec.name;
  by_name_[key] = std::make_unique<CommandSpec>(std::move(spec));
}

const CommandSpec* CommandRegistry::Find(std::string_view name) const {
  // Command names are short: lower-case into a stack buffer, look up without allocating.
  char buf[64];
  if (name.size() > sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
  }
  auto it = by_name_.find(std::string_view(buf, name.size()));
  return it == by_name_.end() ? nullptr : it->second.get();
}

}  // namespace aegisr
