// Command metadata lookup, and the COMMAND INFO / DOCS writers built on the generated RESP3
// text of engine/command_meta_data.inc. Static data only: thread-safe.
#include "engine/command_meta.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <unordered_map>

namespace aegisr {
namespace {

#include "engine/command_meta_data.inc"

// Name -> entry, built on first use (C++ guarantees thread-safe initialization).
const std::unordered_map<std::string_view, const CommandMeta*>& MetaIndex() {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, const CommandMeta*>();
    for (const CommandMeta& c : kGeneratedMetas) (*m)[c.name] = &c;
    return m;
  }();
  return *index;
}

// One RESP3 element of `in` at *pos, written to sink. Returns false on malformed text.
bool ReplayOne(std::string_view in, size_t* pos, ReplySink& sink) {
  if (*pos >= in.size()) return false;
  char type = in[*pos];
  size_t eol = in.find("\r\n", *pos + 1);
  if (eol == std::string_view::npos) return false;
  std::string_view line = in.substr(*pos + 1, eol - *pos - 1);
  *pos = eol + 2;
  int64_t n = 0;
  auto number = [&] {
    auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
    return ec == std::errc() && p == line.data() + line.size();
  };
  switch (type) {
    case '+':
      sink.SimpleString(line);
      return true;
    case '-':
      sink.Error(line);
      return true;
    case '_':
      sink.Null();
      return true;
    case ':':
      if (!number()) return false;
      sink.Integer(n);
      return true;
    case '$':
      if (!number() || n < 0 || *pos + size_t(n) + 2 > in.size()) return false;
      sink.Bulk(in.substr(*pos, size_t(n)));
      *pos += size_t(n) + 2;
      return true;
    case '*':
    case '~':
    case '%': {
      if (!number() || n < 0) return false;
      size_t elems = size_t(n);
      if (type == '*') sink.ArrayHeader(elems);
      if (type == '~') sink.SetHeader(elems);
      if (type == '%') {
        sink.MapHeader(elems);
        elems *= 2;
      }
      for (size_t i = 0; i < elems; ++i)
        if (!ReplayOne(in, pos, sink)) return false;
      return true;
    }
    default:
      return false;
  }
}

// Registered subcommands in name order (the registry keeps them in a vector already).
std::vector<const CommandSpec*> Subcommands(const CommandSpec& spec) {
  std::vector<const CommandSpec*> subs;
  for (const CommandSpec& s : spec.subcommands) subs.push_back(&s);
  return subs;
}

// Flag names of our CommandFlag bits, in Redis's COMMAND INFO order.
constexpr std::pair<uint32_t, std::string_view> kFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadonly, "readonly"},
    {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},
    {kCmdPubsub, "pubsub"},
    {kCmdNoscript, "noscript"},
    {kCmdBlocking, "blocking"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdMayReplicate, "may_replicate"},
    {kCmdNoMulti, "no_multi"},
    {kCmdAllowBusy, "allow_busy"},
    {kCmdMovableKeys, "movablekeys"},
};

}  // namespace

std::span<const KeySpec> CommandMeta::key_specs() const {
  return std::span<const KeySpec>(kGeneratedKeySpecs).subspan(key_spec_offset, key_spec_count);
}

const CommandMeta* FindCommandMeta(std::string_view name) {
  std::string lower;
  AsciiLower(name, &lower);
  const auto& index = MetaIndex();
  auto it = index.find(lower);
  return it == index.end() ? nullptr : it->second;
}

std::span<const CommandMeta> AllCommandMetas() { return kGeneratedMetas; }

bool ReplayResp3(std::string_view resp, ReplySink& sink) {
  size_t pos = 0;
  while (pos < resp.size())
    if (!ReplayOne(resp, &pos, sink)) return false;
  return true;
}

void WriteCommandInfo(const CommandSpec& spec, ReplySink& sink) {
  sink.ArrayHeader(10);
  if (const CommandMeta* meta = FindCommandMeta(spec.name)) {
    ReplayResp3(meta->info_body, sink);
  } else {
    // No generated metadata: what the row knows, with empty categories, tips and key specs.
    sink.Bulk(spec.name);
    sink.Integer(spec.arity);
    size_t nflags = 0;
    for (auto& [bit, n] : kFlagNames) nflags += (spec.flags & bit) ? 1 : 0;
    sink.SetHeader(nflags);
    for (auto& [bit, n] : kFlagNames)
      if (spec.flags & bit) sink.SimpleString(n);
    sink.Integer(spec.first_key);
    sink.Integer(spec.last_key);
    sink.Integer(spec.key_step);
    sink.SetHeader(0);
    sink.SetHeader(0);
    sink.SetHeader(0);
  }
  // As Redis 7.0: an empty set when there are none, else an array.
  auto subs = Subcommands(spec);
  if (subs.empty())
    sink.SetHeader(0);
  else
    sink.ArrayHeader(subs.size());
  for (const CommandSpec* s : subs) WriteCommandInfo(*s, sink);
}

void WriteCommandDocs(const CommandSpec& spec, ReplySink& sink) {
  const CommandMeta* meta = FindCommandMeta(spec.name);
  auto subs = Subcommands(spec);
  size_t fields = meta ? size_t(meta->doc_fields) : 0;
  sink.MapHeader(fields + (subs.empty() ? 0 : 1));
  if (meta) ReplayResp3(meta->docs_body, sink);
  if (!subs.empty()) {
    sink.Bulk("subcommands");
    sink.MapHeader(subs.size());
    for (const CommandSpec* s : subs) {
      sink.Bulk(s->name);
      WriteCommandDocs(*s, sink);
    }
  }
}

namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// SORT / SORT_RO: the key, plus the target of STORE (its key specs are of unknown type). Skips
// the arguments of LIMIT (2), GET and BY (1), as Redis's sortGetKeys does.
void SortKeyPositions(ArgList args, std::vector<int>* positions) {
  positions->push_back(1);
  int store = 0;
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "get") || EqualsIgnoreCase(args[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "store") && i + 1 < args.size()) {
      store = int(i + 1);
      i += 1;
    }
  }
  if (store) positions->push_back(store);
}

// MIGRATE: the key at 3, or with KEYS (searched from 6 on, skipping AUTH's and AUTH2's
// arguments) every argument after it, as Redis's migrateGetKeys.
void MigrateKeyPositions(ArgList args, std::vector<int>* positions) {
  for (size_t i = 6; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "auth")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "auth2")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "keys")) {
      for (size_t k = i + 1; k < args.size(); ++k) positions->push_back(int(k));
      return;
    }
  }
  positions->push_back(3);
}

}  // namespace

bool GetKeyPositions(const CommandMeta& meta, ArgList args, std::vector<int>* positions) {
  positions->clear();
  if (meta.name == "sort" || meta.name == "sort_ro") {
    SortKeyPositions(args, positions);
    return true;
  }
  if (meta.name == "migrate") {
    MigrateKeyPositions(args, positions);
    return true;
  }
  const int argc = int(args.size());
  for (const KeySpec& spec : meta.key_specs()) {
    int first = 0;
    if (spec.begin == KeySpec::kBeginIndex) {
      first = spec.index;
    } else if (spec.begin == KeySpec::kBeginKeyword) {
      int start = spec.startfrom > 0 ? spec.startfrom : argc + spec.startfrom;
      int end = spec.startfrom > 0 ? argc - 1 : 0;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsIgnoreCase(args[size_t(i)], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;  // keyword absent: this spec names no keys
    } else {
      continue;  // unknown begin: nothing to find by spec
    }
    int last = 0, step = 1;
    if (spec.find == KeySpec::kFindRange) {
      step = spec.fk1;
      if (spec.fk0 >= 0) {
        last = first + spec.fk0;
      } else if (spec.fk2 == 0) {
        last = argc + spec.fk0;
      } else {
        last = first + ((argc - first) / spec.fk2 + spec.fk0);
      }
    } else if (spec.find == KeySpec::kFindKeynum) {
      step = spec.fk1;
      int64_t numkeys = 0;
      int at = first + spec.fk0;
      if (at >= argc || !ParseInt(args[size_t(at)], &numkeys) || numkeys < 0) return false;
      first += spec.fk2;
      last = first + int(numkeys) - 1;
    } else {
      continue;
    }
    if (last >= argc || last < first || first >= argc) return false;
    for (int i = first; i <= last; i += std::max(step, 1)) positions->push_back(i);
  }
  return true;
}

bool GetKeyPositionsFromSpec(const CommandSpec& spec, ArgList args, std::vector<int>* positions) {
  positions->clear();
  if (spec.first_key <= 0) return true;
  const int argc = int(args.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  if (spec.first_key >= argc || last >= argc) return false;
  for (int i = spec.first_key; i <= last; i += std::max(spec.key_step, 1)) positions->push_back(i);
  return true;
}

}  // namespace aegisr
