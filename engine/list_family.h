#pragma once
// The list command family (LPUSH, LPOP, LRANGE, LMOVE, ...), Redis 7.0 semantics; handlers in
// list_family.cc, registered by RegisterListFamily (engine/command.h). A list key's value is a
// PackedList (engine/types/packed_list.h).

#include <string>
#include <string_view>

#include "engine/keyspace/entry.h"

namespace aegisr {

// The disk tier's codec for lists (engine/tier_store.cc): the element count, then each element
// as its length and bytes, lengths as LEB128 varints. DecodeList returns nullptr for a payload
// that does not parse exactly (the tier counts it as a read error).
std::string EncodeList(const Entry& e);
Entry* DecodeList(std::string_view key, uint32_t hash, std::string_view payload);

}  // namespace aegisr
