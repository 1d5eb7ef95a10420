// Shared pieces of the command families (engine/family.h).

#include "engine/family.h"

#include "base/numbers.h"
#include "engine/errors.h"

namespace aegisr {

std::string_view ParseScanOptions(ArgList args, size_t first, ScanKind kind, ScanOptions* out) {
  for (size_t i = first; i < args.size();) {
    const bool has_value = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "count") && has_value) {
      if (!String2ll(args[i + 1], &out->count)) return errors::kNotInteger;
      if (out->count < 1) return errors::kSyntax;
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "match") && has_value) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
      i += 2;
    } else if (kind == ScanKind::kKeys && EqualsIgnoreCase(args[i], "type") && has_value) {
      out->type = args[i + 1];
      out->use_type = true;
      i += 2;
    } else if (kind == ScanKind::kHash && EqualsIgnoreCase(args[i], "novalues")) {
      out->no_values = true;
      i += 1;
    } else {
      return errors::kSyntax;
    }
  }
  return {};
}

}  // namespace aegisr
