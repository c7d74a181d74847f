// licsat serve --unlock-user NAME: the break-glass way back when every admin is locked out.
// It works on the database directly (the one `licsat serve` with the same --data, --config and
// --database uses), so it needs the host and the data directory, not the network. Safe while
// the server runs: on SQLite (WAL) it is a second, brief writer; on PostgreSQL an ordinary client.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "api/app.h"
#include "cli/commands.h"
#include "domain/access.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store/store.h"

namespace licsat::cli {
namespace {

// "local:<login>" (and who ran sudo), for the Event Log's actor.
std::string local_actor() {
  std::string name;
  if (passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) name = pw->pw_name;
  else name = "uid " + std::to_string(::geteuid());
  std::string actor = "local:" + name;
  if (const char* s = std::getenv("SUDO_USER"); s && *s && name != s) actor += " (sudo by " + std::string(s) + ")";
  return actor;
}

}  // namespace

int break_glass_unlock(const ServerConfig& cfg, const std::string& name, bool password_stdin) {
  const std::string me = "licsat serve --unlock-user";
  std::string new_password;
  if (password_stdin) {
    // One line from stdin; nothing is changed unless it meets the password policy.
    if (!std::getline(std::cin, new_password) || new_password.empty()) {
      std::cerr << me << ": --password-stdin: no password on standard input\n";
      return kUsage;
    }
    if (!new_password.empty() && new_password.back() == '\r') new_password.pop_back();
  }
  std::string url = api::database_url(cfg);
  struct stat db_stat {};
  bool sqlite = cfg.database.empty();
  if (sqlite && ::stat(url.c_str(), &db_stat) != 0) {
    std::cerr << me << ": no licsat database at " << url
              << " (give the server's --data directory, or its --config or --database)\n";
    return kFailure;
  }
  bool found_user = false;
  {
    auto db = store::open_database(url, 1);
    if (!db) {
      std::cerr << me << ": cannot open the database: " << db.error().message << "\n";
      return kFailure;
    }
    std::shared_ptr<store::Database> shared = std::move(*db);
    if (auto m = store::migrate(*shared); !m) {
      std::cerr << me << ": " << m.error().message << "\n";
      return kFailure;
    }
    auto st = store::make_sql_store(shared);
    SystemClock clock;
    domain::AccessPolicy policy;
    policy.password_min_length = cfg.auth.password_min_length;
    policy.cost.ops = static_cast<uint64_t>(cfg.auth.pwhash_ops);
    policy.cost.mem = static_cast<size_t>(cfg.auth.pwhash_mem_mib) * 1024 * 1024;
    domain::AccessService access(*st, clock, policy);
    std::string actor = local_actor();
    auto s = access.break_glass_unlock(name, new_password, domain::Actor{actor, "local"});
    if (!s) {
      if (s.error().code == ErrorCode::kNotFound) {
        std::string known;
        if (auto users = st->list_users(); users)
          for (const auto& u : *users) known += (known.empty() ? "" : ", ") + u.name;
        std::cerr << me << ": there is no user '" << name << "' in " << shared->describe()
                  << (known.empty() ? std::string() : " (users: " + known + ")") << "\n";
      } else {
        std::cerr << me << ": " << s.error().message << "\n";
      }
      return s.error().code == ErrorCode::kInvalidArgument ? kUsage : kFailure;
    }
    found_user = true;
    std::cout << "unlocked user " << name << " in " << shared->describe() << " (failed logins cleared"
              << (new_password.empty() ? "" : ", new password set, the user's sessions ended")
              << "); recorded in the Event Log as user.unlock by " << actor << "\n";
  }
  // Run as root on a stopped server's SQLite database, SQLite may leave -wal/-shm files owned by
  // root that the server's own user could not open: give them the database file's owner.
  if (found_user && sqlite && ::geteuid() == 0 && db_stat.st_uid != 0) {
    for (const char* suffix : {"-wal", "-shm"}) {
      std::string p = url + suffix;
      struct stat fs {};
      if (::stat(p.c_str(), &fs) == 0 && fs.st_uid != db_stat.st_uid)
        if (::chown(p.c_str(), db_stat.st_uid, db_stat.st_gid) != 0)
          std::cerr << me << ": warning: cannot give " << p << " back to uid " << db_stat.st_uid << "\n";
    }
  }
  return kOk;
}

}  // namespace licsat::cli
