// licsat backup / licsat restore: the whole store (every table, the server's keys among them) to
// one portable file and back, SQLite or PostgreSQL on either side. Backup reads one consistent
// snapshot while the server runs; restore fills an empty store in one transaction.
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "api/app.h"
#include "cli/backup_file.h"
#include "cli/backup_keys.h"
#include "cli/commands.h"
#include "core/key_file.h"
#include "store/db.h"
#include "store/snapshot.h"

namespace licsat::cli {
namespace {

struct BackupFlags {
  std::string config_file;
  std::string file;             // --out or --from
  std::string passphrase_file;
  std::map<std::string, std::string> given;  // data, database
};

Result<ServerConfig> config_of(const BackupFlags& f) {
  std::optional<std::string> file;
  if (!f.config_file.empty()) file = f.config_file;
  return load_server_config(file, f.given);
}

// The passphrase: the file's first line, which must not be empty.
Result<std::optional<std::string>> passphrase_of(const BackupFlags& f) {
  if (f.passphrase_file.empty()) return std::optional<std::string>{};
  std::ifstream in(f.passphrase_file);
  if (!in) return fail(Error::invalid("cannot read --passphrase-file " + f.passphrase_file));
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return fail(Error::invalid("--passphrase-file " + f.passphrase_file + " holds no passphrase"));
  return std::optional<std::string>(std::move(line));
}

int code_of(const Error& e) { return e.code == ErrorCode::kInvalidArgument ? kUsage : kFailure; }

// The settings and passphrase a command line names; prints what is wrong with them.
struct Inputs {
  ServerConfig cfg;
  std::optional<std::string> passphrase;
};
std::optional<Inputs> inputs_of(const BackupFlags& f, const std::string& me) {
  auto cfg = config_of(f);
  if (!cfg) {
    std::cerr << me << ": " << cfg.error().message << "\n";
    return std::nullopt;
  }
  auto pass = passphrase_of(f);
  if (!pass) {
    std::cerr << me << ": " << pass.error().message << "\n";
    return std::nullopt;
  }
  return Inputs{std::move(*cfg), std::move(*pass)};
}

int backup(const BackupFlags& f) {
  const std::string me = "licsat backup";
  auto in = inputs_of(f, me);
  if (!in) return kUsage;
  const ServerConfig* cfg = &in->cfg;
  const std::optional<std::string>* pass = &in->passphrase;
  std::string url = api::database_url(*cfg);
  struct stat st {};
  if (cfg->database.empty() && ::stat(url.c_str(), &st) != 0) {
    std::cerr << me << ": no licsat database at " << url
              << " (give the server's --data directory, or its --config or --database)\n";
    return kFailure;
  }
  auto db = store::open_database(url, 1);
  if (!db) {
    std::cerr << me << ": cannot open the database: " << db.error().message << "\n";
    return kFailure;
  }
  // The server keys: opened into an encrypted backup, sealed as they are in a plain one
  // (cli/backup_keys.h).
  const std::string key_file = key_file_path(*cfg);
  std::optional<crypto::Kek> kek;
  if (pass->has_value()) {
    auto k = crypto::read_key_file(key_file);
    if (!k && k.error().code != ErrorCode::kNotFound) {
      std::cerr << me << ": " << k.error().message << "\n";
      return kFailure;
    }
    if (k) kek = std::move(*k);
  }
  auto out = BackupWriter::create(f.file, *pass, (*db)->describe());
  if (!out) {
    std::cerr << me << ": " << out.error().message << "\n";
    return code_of(out.error());
  }
  OpeningKeysSink opening(**out, std::move(kek), key_file);
  store::SnapshotSink& sink = pass->has_value() ? static_cast<store::SnapshotSink&>(opening) : **out;
  if (auto s = store::read_snapshot(**db, sink); !s) {
    std::cerr << me << ": " << s.error().message << " (no backup written)\n";
    return kFailure;
  }
  if (auto s = (*out)->commit(); !s) {
    std::cerr << me << ": " << s.error().message << "\n";
    return kFailure;
  }
  std::cout << "backed up " << (*db)->describe() << ": " << (*out)->tables() << " tables, " << (*out)->rows()
            << " rows to " << f.file << (pass->has_value() ? " (encrypted)" : "") << "\n";
  if (!pass->has_value())
    std::cout << "the server keys in it stay sealed: keep the key file " << key_file
              << " with it (a restore needs it), or back up with --passphrase-file\n";
  return kOk;
}

int restore(const BackupFlags& f) {
  const std::string me = "licsat restore";
  auto inputs = inputs_of(f, me);
  if (!inputs) return kUsage;
  const ServerConfig* cfg = &inputs->cfg;
  const std::optional<std::string>* pass = &inputs->passphrase;
  auto in = BackupReader::open(f.file, *pass);
  if (!in) {
    std::cerr << me << ": " << in.error().message << "\n";
    return code_of(in.error());
  }
  std::string url = api::database_url(*cfg);
  // A SQLite store made here is removed again if the restore fails: nothing half-made is left.
  bool made_file = false;
  if (cfg->database.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cfg->data_dir, ec);
    if (ec) {
      std::cerr << me << ": cannot create " << cfg->data_dir << ": " << ec.message() << "\n";
      return kFailure;
    }
    ::chmod(cfg->data_dir.c_str(), 0700);
    int fd = ::open(url.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      made_file = true;
      ::close(fd);
    }
  }
  Result<store::RestoreSummary> sum = fail(Error::internal("not run"));
  std::string where;
  {
    auto db = store::open_database(url, 1);
    if (!db) {
      std::cerr << me << ": cannot open the database: " << db.error().message << "\n";
      if (made_file) ::unlink(url.c_str());
      return kFailure;
    }
    where = (*db)->describe();
    sum = store::restore_snapshot(**db, **in);
  }
  if (!sum) {
    if (made_file)
      for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((url + suffix).c_str());
    std::cerr << me << ": " << sum.error().message << "\n";
    return code_of(sum.error());
  }
  std::cout << "restored " << sum->tables << " tables, " << sum->rows << " rows (schema " << sum->schema_version
            << ") into " << where << "\n";
  return kOk;
}

void add_store_flags(CLI::App* sub, const std::shared_ptr<BackupFlags>& f) {
  sub->add_option("--config", f->config_file, "The server's TOML config file (for its data and database)");
  sub->add_option_function<std::string>(
      "--data", [f](const std::string& v) { f->given["data"] = v; }, "The server's data directory (default ./data)");
  sub->add_option_function<std::string>(
      "--database", [f](const std::string& v) { f->given["database"] = v; },
      "postgresql://… (default: SQLite in DATA/licsat.db)");
  sub->add_option_function<std::string>(
      "--key-file", [f](const std::string& v) { f->given["server.key_file"] = v; },
      "The server's key file (default DATA/keys/master.key)");
  sub->add_option("--passphrase-file", f->passphrase_file,
                  "File whose first line is the passphrase the backup is encrypted with");
}

}  // namespace

void add_backup(CLI::App& app) {
  auto b = std::make_shared<BackupFlags>();
  auto* bs = app.add_subcommand("backup", "Write the whole store (tables and server keys) to one file, while the "
                                          "server runs");
  add_store_flags(bs, b);
  bs->add_option("--out", b->file, "Backup file to write (mode 0600)")->required();
  bs->callback([b] { set_exit(backup(*b)); });

  auto r = std::make_shared<BackupFlags>();
  auto* rs = app.add_subcommand("restore", "Fill an empty store from a backup file (SQLite or PostgreSQL, either "
                                           "way)");
  add_store_flags(rs, r);
  rs->add_option("--from", r->file, "Backup file to read")->required();
  rs->callback([r] { set_exit(restore(*r)); });
}

}  // namespace licsat::cli
