// What a backup does with the server's sealed keys (store/sealed_keys.h). An encrypted backup
// (--passphrase-file) carries them opened, so that it restores onto a machine without the key
// file: the restored server seals them under its own new key file at first start. A plain backup
// carries them sealed, as they are in the database: restoring it needs the key file copied too.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/key_wrap.h"
#include "store/snapshot.h"

namespace licsat::cli {

// Passes every item to `out`; in the `settings` table, the two server keys are opened with `kek`
// first (keys still in clear pass as they are). A key that does not open, or a sealed key when
// there is no key file (`kek` empty), fails the backup (nothing is written).
class OpeningKeysSink : public store::SnapshotSink {
 public:
  OpeningKeysSink(store::SnapshotSink& out, std::optional<crypto::Kek> kek, std::string key_file)
      : out_(out), kek_(std::move(kek)), key_file_(std::move(key_file)) {}
  Status begin(int64_t schema_version) override { return out_.begin(schema_version); }
  Status table(const std::string& name, const std::vector<std::string>& columns) override;
  Status row(const std::vector<store::Value>& values) override;
  Status end() override { return out_.end(); }

 private:
  store::SnapshotSink& out_;
  std::optional<crypto::Kek> kek_;
  std::string key_file_;
  int key_col_ = -1;    // in the settings table
  int value_col_ = -1;
};

}  // namespace licsat::cli
