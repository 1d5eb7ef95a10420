// Stub of PublishNotification until engine/pubsub.h is merged (see engine/notify_publish.h).
#include "engine/notify_publish.h"

namespace aegisr {

size_t PublishNotification(Engine&, std::string_view, std::string_view) { return 0; }

}  // namespace aegisr
