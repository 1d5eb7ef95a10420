// PLACEHOLDER: the key command family is being written.
#include "engine/command.h"

namespace aegisr {
void RegisterKeyFamily(CommandRegistry&) {}
}  // namespace aegisr
