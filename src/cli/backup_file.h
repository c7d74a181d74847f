// The backup file of `licsat backup` / `licsat restore`: one portable file, whichever backend it
// came from. Inside, JSON lines: a header {"format":"licsat-backup","version":1,"schema":N,…},
// then for each table {"table":T,"columns":[…]} followed by one JSON array per row (integers,
// strings, null; a string that is not UTF-8 as {"b64":…}), then an end record
// {"end":true,"tables":…,"rows":…,"blake2b":H} where H is the BLAKE2b-256 of every byte before
// it. A file missing its end record is truncated; one whose hash differs was altered.
// With a passphrase the lines are sealed in a libsodium secretstream (XChaCha20-Poly1305) in
// 64 KiB chunks, keyed by argon2id from the passphrase and a random salt; the last chunk carries
// the FINAL tag, so a cut anywhere is detected too. Everything is streamed: memory is bounded by
// the largest row.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "store/snapshot.h"

namespace licsat::cli {

// Where a backup is written: FILE.tmp at mode 0600, synced and renamed to FILE by commit().
// Dropped without commit(), the temporary file is removed.
class BackupWriter : public store::SnapshotSink {
 public:
  ~BackupWriter() override;
  // `passphrase`: encrypt with a key derived from it when given.
  static Result<std::unique_ptr<BackupWriter>> create(const std::string& path,
                                                      const std::optional<std::string>& passphrase,
                                                      const std::string& source_description);
  Status begin(int64_t schema_version) override;
  Status table(const std::string& name, const std::vector<std::string>& columns) override;
  Status row(const std::vector<store::Value>& values) override;
  Status end() override;
  Status commit();

  int64_t tables() const { return tables_; }
  int64_t rows() const { return rows_; }

  class Output;  // the file, plain or sealed

 private:
  BackupWriter() = default;
  Status line(const std::string& text);

  std::unique_ptr<Output> out_;
  std::string source_;
  alignas(64) unsigned char hash_state_[512];  // crypto_generichash_state, kept opaque here
  int64_t tables_ = 0;
  int64_t rows_ = 0;
  bool ended_ = false;
};

// Reads a backup back, checking it as it goes; next() yields kEnd only after the end record's
// hash and counts matched and nothing follows it.
class BackupReader : public store::SnapshotSource {
 public:
  ~BackupReader() override;
  // Fails when the file is not a backup, is encrypted and no passphrase was given (or the other
  // way round), or the passphrase is wrong.
  static Result<std::unique_ptr<BackupReader>> open(const std::string& path,
                                                    const std::optional<std::string>& passphrase);
  Result<int64_t> schema_version() override;
  Status next(store::SnapshotItem& item) override;
  bool encrypted() const;

  class Input;  // the file, plain or sealed

 private:
  BackupReader() = default;
  Status read_header();

  std::unique_ptr<Input> in_;
  alignas(64) unsigned char hash_state_[512];
  int64_t schema_ = 0;
  int64_t tables_ = 0;
  int64_t rows_ = 0;
  int64_t line_no_ = 0;
  std::string line_;
};

}  // namespace licsat::cli
