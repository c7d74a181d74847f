// The Store: everything licsat persists, behind one interface per concern. SqlStore implements
// all of them once, in portable SQL over a Database (SQLite or PostgreSQL).
#pragma once

#include <memory>

#include "store/auth_store.h"
#include "store/db.h"
#include "store/license_store.h"

namespace licsat::store {

class Store : public AuthStore, public LicenseStore {
 public:
  ~Store() override = default;
  virtual Database& database() = 0;
};

// Builds the SQL store over an open, migrated database.
std::unique_ptr<Store> make_sql_store(std::shared_ptr<Database> db);

}  // namespace licsat::store
