// PLACEHOLDER: the string command family is being written.
#include "engine/command.h"

namespace aegisr {
void RegisterStringFamily(CommandRegistry&) {}
}  // namespace aegisr
