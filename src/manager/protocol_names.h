// The manager is a client of the licensing protocol (src/protocol/): its code names the protocol's
// types and functions (UsageReport, Failure, SyncClient, seal_bundle, …) without qualification.
// They stay the protocol's own: this declares no second name for any of them.
#pragma once

#include "protocol/bundle.h"
#include "protocol/failure.h"
#include "protocol/offline_messages.h"
#include "protocol/sync_client.h"
#include "protocol/wire_types.h"

namespace licsat::manager {
using namespace licsat::protocol;
}  // namespace licsat::manager
