#pragma once
// Command metadata as COMMAND INFO / COMMAND DOCS report it (arity, flags, key specs, ACL
// categories, argument trees), generated from Redis 7.0 by tools/gen_command_meta.py into
// engine/command_meta_data.inc. Read-only static data: thread-safe.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/reply.h"

namespace aegisr {

// One key specification (Redis 7.0 "key specs"): where the search for keys begins, and how keys
// are found from there.
struct KeySpec {
  enum BeginType : uint8_t { kBeginIndex, kBeginKeyword, kBeginUnknown };
  enum FindType : uint8_t { kFindRange, kFindKeynum, kFindUnknown };
  BeginType begin;
  int index;                 // kBeginIndex: argument position
  std::string_view keyword;  // kBeginKeyword: the keyword, searched from startfrom
  int startfrom;             // kBeginKeyword: >0 from the start, <0 from the end
  FindType find;
  int fk0;  // kFindRange: lastkey;   kFindKeynum: keynumidx
  int fk1;  // kFindRange: keystep;   kFindKeynum: keystep
  int fk2;  // kFindRange: limit;     kFindKeynum: firstkey
  bool incomplete;
};

struct CommandMeta {
  std::string_view name;   // lower case; "client|kill" for a subcommand
  std::string_view group;  // "string", "generic", "connection", "server"
  int arity;
  uint32_t flags;  // the CommandFlag bits among Redis's flags
  int first_key, last_key, key_step;
  uint16_t key_spec_offset, key_spec_count;
  // RESP3 text of the first nine elements of the COMMAND INFO entry (name .. key specs); the
  // tenth, the subcommands, is built from what is registered.
  std::string_view info_body;
  // RESP3 text of the COMMAND DOCS map's key/value pairs, doc_fields of them; "subcommands" is
  // added from what is registered.
  int doc_fields;
  std::string_view docs_body;

  std::span<const KeySpec> key_specs() const;
};

// Metadata of a command or subcommand ("get", "CLIENT|KILL"; case-insensitive), or nullptr.
const CommandMeta* FindCommandMeta(std::string_view name);
// Every generated entry.
std::span<const CommandMeta> AllCommandMetas();

// Writes RESP3 text as replies through sink (so a RESP2 sink emits the RESP2 forms). Supports
// + - : $ * ~ % _ elements. Returns false (having written a prefix) on malformed text.
bool ReplayResp3(std::string_view resp, ReplySink& sink);

// COMMAND INFO's entry for a registered command, with its registered subcommands. Commands
// without generated metadata are described from their CommandSpec row.
void WriteCommandInfo(const CommandSpec& spec, ReplySink& sink);
// COMMAND DOCS's value (a map) for a registered command, with its registered subcommands.
void WriteCommandDocs(const CommandSpec& spec, ReplySink& sink);

// Key positions of a command line (args[0] = command name) by the command's key specs, as
// Redis's getKeysUsingKeySpecs. Specs of unknown type are skipped. Returns false if the line's
// arguments do not fit the specs (e.g. a key position past the end).
bool GetKeyPositions(const CommandMeta& meta, ArgList args, std::vector<int>* positions);
// The same from a CommandSpec's first/last/step (for commands without metadata).
bool GetKeyPositionsFromSpec(const CommandSpec& spec, ArgList args, std::vector<int>* positions);

}  // namespace aegisr
