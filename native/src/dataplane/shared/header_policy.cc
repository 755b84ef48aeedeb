#include "dataplane/shared/header_policy.h"

namespace mmproxy::dataplane {

bool RefusesLocalClient(const Config& config, LocalAddresses& local, const Address& client) {
  return !config.allow_local_clients && local.Contains(client);
}

std::string LocalClientReason(const Address& client) {
  return "its client " + client.ToString() +
         " is this host (loopback or one of its own addresses): the target would see a local "
         "connection, which apps often trust; refused (--allow-local-clients relays such clients)";
}

bool DestinationAllowed(const Config& config, LocalAddresses& local, const Address& destination) {
  if (config.destination_allow.empty()) return local.Contains(destination);
  for (const DestinationRule& rule : config.destination_allow) {
    if (rule.prefix.Contains(destination) && destination.port() >= rule.first_port &&
        destination.port() <= rule.last_port) {
      return true;
    }
  }
  return false;
}

std::string DestinationRefusedReason(const Config& config, const Address& destination) {
  const std::string what = "its destination " + destination.ToString();
  if (!config.destination_allow.empty()) return what + " is not in --dynamic-destination-allow";
  return what +
         " is not this host, and without --dynamic-destination-allow -dynamic-destination relays "
         "only to this host's own addresses";
}

}  // namespace mmproxy::dataplane
