#include "cli/backup_keys.h"

#include "store/sealed_keys.h"

namespace licsat::cli {

Status OpeningKeysSink::table(const std::string& name, const std::vector<std::string>& columns) {
  key_col_ = value_col_ = -1;
  if (name == "settings")
    for (size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == "key") key_col_ = static_cast<int>(i);
      if (columns[i] == "value") value_col_ = static_cast<int>(i);
    }
  return out_.table(name, columns);
}

Status OpeningKeysSink::row(const std::vector<store::Value>& values) {
  if (key_col_ < 0 || value_col_ < 0) return out_.row(values);
  const auto* key = std::get_if<std::string>(&values.at(key_col_));
  const auto* value = std::get_if<std::string>(&values.at(value_col_));
  if (!key || !value || (*key != store::kHashKeySetting && *key != store::kSigningKeySetting)) return out_.row(values);
  if (!kek_ && crypto::is_sealed(*value))
    return fail(Error::invalid("key file " + key_file_ + " does not exist, and the server key '" + *key +
                               "' is sealed: an encrypted backup carries the keys opened, so it needs the key file "
                               "(give --key-file, or the server's --config)"));
  if (!kek_) return out_.row(values);
  auto clear = store::open_key_setting(*kek_, *key, *value, key_file_);
  if (!clear) return fail(clear.error());
  std::vector<store::Value> opened = values;
  opened[value_col_] = std::move(*clear);
  return out_.row(opened);
}

}  // namespace licsat::cli
