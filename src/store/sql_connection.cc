#include "sql_connection.h"

namespace stepd::store::internal {

StatusOr<Transaction> Transaction::Begin(Connection& connection, bool write,
                                         std::string_view op) {
  STEPD_RETURN_IF_ERROR(connection.Begin(write, op));
  return Transaction(&connection, op);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), op_(std::move(other.op_)) {}

Transaction::~Transaction() {
  if (connection_ != nullptr) (void)connection_->End(false, op_);
}

Status Transaction::Commit() {
  Connection* connection = std::exchange(connection_, nullptr);
  Status status = connection->End(true, op_);
  if (!status.ok()) (void)connection->End(false, op_);
  return status;
}

}  // namespace stepd::store::internal
