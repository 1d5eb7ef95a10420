// ClientRegistry: a locked map of live clients.
#include "engine/client.h"

namespace aegisr {

void ClientRegistry::Add(ClientState* c) {
  std::lock_guard lk(mu_);
  clients_[c->id] = c;
}

void ClientRegistry::Remove(ClientState* c) {
  std::lock_guard lk(mu_);
  clients_.erase(c->id);
}

size_t ClientRegistry::size() const {
  std::lock_guard lk(mu_);
  return clients_.size();
}

void ClientRegistry::SetName(ClientState* c, std::string name) {
  std::lock_guard lk(mu_);
  c->name = std::move(name);
}

std::string ClientRegistry::GetName(const ClientState* c) const {
  std::lock_guard lk(mu_);
  return c->name;
}

}  // namespace aegisr
