#include "cli/boot_wait.h"

#include <algorithm>
#include <thread>

#include "core/log.h"
#include "store/db.h"

namespace licsat::cli {

std::chrono::seconds boot_backoff(int failures) {
  int64_t s = 1;
  for (int i = 1; i < failures && s < 30; ++i) s *= 2;
  return std::chrono::seconds(std::min<int64_t>(s, 30));
}

Result<std::unique_ptr<api::App>> build_app_when_reachable(
    const ServerConfig& cfg, std::string* admin_password_note,
    const std::function<void(std::chrono::seconds)>& pause) {
  const bool postgres = cfg.database.starts_with("postgresql://") || cfg.database.starts_with("postgres://");
  for (int failures = 1;; ++failures) {
    auto app = api::build_app(cfg, admin_password_note);
    if (app || !postgres || app.error().code != ErrorCode::kUnavailable) return app;
    const auto wait = boot_backoff(failures);
    log::warn("database unavailable at start; retrying",
              {{"database", store::redact_url(cfg.database)},
               {"error", app.error().message},
               {"attempt", std::to_string(failures)},
               {"retry_in", std::to_string(wait.count()) + "s"}});
    if (pause) pause(wait);
    else std::this_thread::sleep_for(wait);
  }
}

}  // namespace licsat::cli
