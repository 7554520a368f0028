#pragma once
// MemStore: the in-memory twin of SqliteStore (as leveldb's memenv is of its
// Env), for tests of the layers above the store. It keeps the same contract,
// checked by the same test suite (tests/store/store_contract_test.cc): same
// error codes and messages, same ordering, same audit hashes. Nothing
// survives the object.
//
// Thread-safety: as Store. One shared_mutex: reads share it, writes take it
// exclusively for the duration of one call.

#include <memory>
#include <string>

#include "stepd/store/store.h"

namespace stepd::store {

// A fresh, empty store at the newest schema version this binary knows,
// chaining its audit rows under `audit_key`.
std::unique_ptr<Store> NewMemStore(std::string audit_key = "memstore-audit-key");

}  // namespace stepd::store
