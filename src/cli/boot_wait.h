// Starting a node whose PostgreSQL database is not reachable yet (the database host boots more
// slowly, or is being restarted): rather than exit, the node tries again with a growing pause
// and logs why at warn each time, so a service manager need not restart it in a loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/app.h"

namespace licsat::cli {

// The pause before attempt `failures` + 1: 1 s, doubled after each failure, at most 30 s.
std::chrono::seconds boot_backoff(int failures);

// build_app(), tried again while it fails because a PostgreSQL database is unavailable (cannot
// connect, lost the connection). Any other failure, and any failure on SQLite, is returned at
// once. `pause` waits between attempts (injected by tests).
Result<std::unique_ptr<api::App>> build_app_when_reachable(
    const ServerConfig& cfg, std::string* admin_password_note,
    const std::function<void(std::chrono::seconds)>& pause = {});

}  // namespace licsat::cli
