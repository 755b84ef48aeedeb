// What a PROXY header may ask of this host, beyond being well formed: to
// make the target see a client that is this host itself, and (with
// -dynamic-destination) to be relayed to a destination of its choosing.
// Shared by the TCP and UDP workers (docs/proxy.md, "Trust boundaries").
#pragma once

#include <string>

#include "dataplane/shared/config.h"
#include "dataplane/shared/local_addresses.h"
#include "os/address.h"

namespace mmproxy::dataplane {

// Event codes of the two refusals (failures local_client and destination_not_allowed).
inline constexpr const char* kLocalClientCode = "ERR_LOCAL_CLIENT";
inline constexpr const char* kDestinationNotAllowedCode = "ERR_DESTINATION_NOT_ALLOWED";

// Whether a header naming `client` is refused: it is loopback or one of this
// host's addresses (an app trusting localhost would trust the sender), and
// --allow-local-clients is off.
bool RefusesLocalClient(const Config& config, LocalAddresses& local, const Address& client);
std::string LocalClientReason(const Address& client);

// -dynamic-destination: whether a header may send to `destination`: one of
// --dynamic-destination-allow, or with none given one of this host's own
// addresses (loopback included), so that no header turns the proxy into a
// relay with forged sources towards any host it can reach.
bool DestinationAllowed(const Config& config, LocalAddresses& local, const Address& destination);
std::string DestinationRefusedReason(const Config& config, const Address& destination);

}  // namespace mmproxy::dataplane
