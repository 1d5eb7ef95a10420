// PLACEHOLDER: the server command family is being written.
#include "engine/command.h"

namespace aegisr {
void RegisterServerFamily(CommandRegistry&) {}
}  // namespace aegisr
