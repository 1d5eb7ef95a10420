// Shared pieces of the command families (engine/family.h).

#include "engine/family.h"

#include "base/numbers.h"
#include "engine/errors.h"

namespace aegisr {

std::string_view ParseScanOptions(ArgList args, size_t first, bool allow_type, ScanOptions* out) {
  for (size_t i = first; i < args.size(); i += 2) {
    bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "count") && has_value) {
      if (!String2ll(args[i + 1], &out->count)) return errors::kNotInteger;
      if (out->count < 1) return errors::kSyntax;
    } else if (EqualsIgnoreCase(args[i], "match") && has_value) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsIgnoreCase(args[i], "type") && has_value) {
      out->type = args[i + 1];
      out->use_type = true;
    } else {
      return errors::kSyntax;
    }
  }
  return {};
}

}  // namespace aegisr
