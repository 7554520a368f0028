#include "pg_db.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <utility>

namespace stepd::store::internal {
namespace {

// Type OIDs (catalog/pg_type_d.h, a server header).
constexpr Oid kInt8Oid = 20, kTextOid = 25, kByteaOid = 17, kFloat8Oid = 701, kBoolOid = 16;

std::string Cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out += part;
  return out;
}

// libpq's messages end in newlines and continue on tab-indented lines.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (!space) out += c;
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool IsPasswordKey(std::string_view key) { return key == "password" || key == "sslpassword"; }

// The [begin, end) spans of password values in `url`; false if it cannot be
// parsed.
bool PasswordSpans(std::string_view url, std::vector<std::pair<size_t, size_t>>* spans) {
  const size_t n = url.size();
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    size_t start = url.find("://") + 3;
    size_t authority_end = std::min(url.find('/', start), n);
    size_t at = url.substr(0, authority_end).rfind('@');
    size_t query_from = start;
    if (at != std::string_view::npos && at >= start) {
      size_t colon = url.find(':', start);
      if (colon < at) spans->emplace_back(colon + 1, at);
      query_from = at;
    }
    size_t query = url.find('?', query_from);
    while (query != std::string_view::npos && query < n) {
      size_t begin = query + 1;
      size_t end = std::min(url.find('&', begin), n);
      size_t eq = url.find('=', begin);
      if (eq < end && IsPasswordKey(PercentDecode(url.substr(begin, eq - begin)))) {
        spans->emplace_back(eq + 1, end);
      }
      query = end;
    }
    return true;
  }
  // key = value pairs; values unquoted (backslash escapes) or '...'. No
  // '=' at all: a database name.
  if (url.find('=') == std::string_view::npos) return true;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(url[i]))) ++i;
  };
  while (true) {
    skip_spaces();
    if (i == n) return true;
    size_t key_begin = i;
    while (i < n && url[i] != '=' && !std::isspace(static_cast<unsigned char>(url[i]))) ++i;
    std::string_view key = url.substr(key_begin, i - key_begin);
    skip_spaces();
    if (i == n || url[i] != '=') return false;
    ++i;
    skip_spaces();
    size_t value_begin = i;
    if (i < n && url[i] == '\'') {
      for (++i; i < n && url[i] != '\''; ++i) {
        if (url[i] == '\\') ++i;
      }
      if (i >= n) return false;
      ++i;
    } else {
      for (; i < n && !std::isspace(static_cast<unsigned char>(url[i])); ++i) {
        if (url[i] == '\\') ++i;
      }
      i = std::min(i, n);
    }
    if (IsPasswordKey(key)) spans->emplace_back(value_begin, i);
  }
}

std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

}  // namespace

PgSql RewriteParameters(std::string_view sql) {
  PgSql out;
  out.sql.reserve(sql.size() + 16);
  const size_t n = sql.size();
  size_t i = 0;
  auto copy_to = [&](size_t end) {
    end = std::min(end, n);
    out.sql.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < n) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // '' inside a literal reads as two literals: same result
      bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                     (i < 2 || !IsWordChar(sql[i - 2]));
      size_t j = i + 1;
      while (j < n && sql[j] != c) j += escapes && sql[j] == '\\' ? 2 : 1;
      copy_to(j + 1);
    } else if (sql.substr(i, 2) == "--") {
      copy_to(sql.find('\n', i));
    } else if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      copy_to(end == std::string_view::npos ? n : end + 2);
    } else if (c == '?') {
      size_t j = i + 1;
      int number = 0;
      while (j < n && std::isdigit(static_cast<unsigned char>(sql[j])) && number < 1000000) {
        number = number * 10 + (sql[j++] - '0');
      }
      if (j == i + 1) number = out.parameters + 1;
      out.parameters = std::max(out.parameters, number);
      if (out.used.size() <= static_cast<size_t>(number)) out.used.resize(number + 1);
      out.used[number] = true;
      out.sql += '$';
      out.sql += std::to_string(number);
      i = j;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

std::string RedactPostgresUrl(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> spans;
  if (!PasswordSpans(url, &spans)) {
    std::string lower(url);
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    return lower.find("password") == std::string::npos ? std::string(url) : "***";
  }
  std::string out(url);
  std::sort(spans.begin(), spans.end());
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    out.replace(it->first, it->second - it->first, "***");
  }
  return out;
}

Status PgStatus(std::string_view code, std::string_view detail, std::string_view op) {
  std::string message = Cat({op, ": ", detail, " (postgres SQLSTATE ", code.empty() ? "none" : code, ")"});
  std::string_view cls = code.substr(0, 2);
  auto is = [&](std::initializer_list<std::string_view> codes) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  };
  if (code.empty() || cls == "08" ||
      is({"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "53300"})) {
    return UnavailableError(message);
  }
  if (code == "23505") return AlreadyExistsError(message);
  if (cls == "23") return FailedPreconditionError(message);
  if (cls == "54" || is({"53100", "53200"})) return ResourceExhaustedError(message);
  if (cls == "22") return InvalidArgumentError(message);
  if (is({"XX001", "XX002"})) return DataLossError(message);
  return InternalError(message);
}

// --- PgStatement -------------------------------------------------------------

Statement PgStatement::Use(std::string_view op) {
  op_ = op;
  params_.resize(static_cast<size_t>(sql_.parameters));
  return Statement(this);
}

void PgStatement::Release() {
  if (in_use_ == nullptr) {
    delete this;
    return;
  }
  result_.reset();
  row_ = -1;
  executed_ = false;
  bad_index_.reset();
  for (Param& param : params_) {
    param.type = 'n';
    param.value.clear();
  }
  *in_use_ = false;
}

void PgStatement::Set(int index, char type, std::string value) {
  if (index < 1 || index > sql_.parameters) {
    if (!bad_index_) bad_index_ = index;
    return;
  }
  params_[index - 1] = Param{type, std::move(value)};
}

void PgStatement::BindInt64(int index, int64_t value) { Set(index, 'i', std::to_string(value)); }
void PgStatement::BindText(int index, std::string_view text) { Set(index, 't', std::string(text)); }
void PgStatement::BindBlob(int index, std::string_view bytes) {
  Set(index, 'b', std::string(bytes));
}
void PgStatement::BindDouble(int index, double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact
  Set(index, 'd', std::string(buffer, end));
}
void PgStatement::BindNull(int index) { Set(index, 'n', {}); }

Status PgStatement::Execute() {
  if (bad_index_) {
    return InvalidArgumentError(Cat({op_, ": parameter ", std::to_string(*bad_index_),
                                     " is out of range: the statement has ",
                                     std::to_string(sql_.parameters), " (postgres)"}));
  }
  const size_t n = params_.size();
  std::vector<Oid> oids(n);
  std::vector<const char*> values(n);
  std::vector<int> lengths(n), formats(n);
  std::string types(n, 'n');
  for (size_t i = 0; i < n; ++i) {
    const Param& param = params_[i];
    types[i] = param.type;
    // A number the SQL never names (a condition left out) is typed text:
    // the server cannot infer it.
    const bool named = i + 1 < sql_.used.size() && sql_.used[i + 1];
    oids[i] = param.type == 'i'   ? kInt8Oid
              : param.type == 't' ? kTextOid
              : param.type == 'b' ? kByteaOid
              : param.type == 'd' ? kFloat8Oid
              : named             ? 0
                                  : kTextOid;
    values[i] = param.type == 'n' ? nullptr : param.value.c_str();
    lengths[i] = static_cast<int>(param.value.size());
    // Text goes in binary format (the bytes themselves) too: with a length, so
    // that a NUL is rejected by the server rather than cutting the text.
    formats[i] = param.type == 'b' || param.type == 't' ? 1 : 0;
  }
  STEPD_RETURN_IF_ERROR(connection_->Ready(op_, false));
  PGconn* conn = connection_->conn_;
  PGresult* raw;
  if (in_use_ != nullptr) {
    STEPD_ASSIGN_OR_RETURN(std::string name, connection_->Prepared(sql_.sql, types, oids, op_));
    raw = PQexecPrepared(conn, name.c_str(), static_cast<int>(n), values.data(), lengths.data(),
                         formats.data(), 0);
  } else {  // a nested use: unnamed
    raw = PQexecParams(conn, sql_.sql.c_str(), static_cast<int>(n), oids.data(), values.data(),
                       lengths.data(), formats.data(), 0);
  }
  STEPD_ASSIGN_OR_RETURN(result_, connection_->Take(raw, op_));
  return Status::OK();
}

StatusOr<bool> PgStatement::Step() {
  if (!executed_) {
    executed_ = true;
    STEPD_RETURN_IF_ERROR(Execute());
  }
  const int rows = result_ ? PQntuples(result_.get()) : 0;
  row_ = std::min(row_ + 1, rows);
  return row_ < rows;
}

bool PgStatement::At(int column) const {
  return result_ && row_ >= 0 && row_ < PQntuples(result_.get()) && column >= 0 &&
         column < PQnfields(result_.get());
}

bool PgStatement::IsNull(int column) const {
  return !At(column) || PQgetisnull(result_.get(), row_, column);
}

int64_t PgStatement::Int64(int column) const {
  if (IsNull(column)) return 0;
  const char* value = PQgetvalue(result_.get(), row_, column);
  if (PQftype(result_.get(), column) == kBoolOid) return value[0] == 't' ? 1 : 0;
  return std::strtoll(value, nullptr, 10);
}

std::string PgStatement::Text(int column) const {
  if (IsNull(column)) return {};
  return std::string(PQgetvalue(result_.get(), row_, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row_, column)));
}

double PgStatement::Double(int column) const {
  if (IsNull(column)) return 0;
  return std::strtod(PQgetvalue(result_.get(), row_, column), nullptr);
}

std::string PgStatement::Blob(int column) const {
  std::string text = Text(column);
  if (!At(column) || PQftype(result_.get(), column) != kByteaOid || !text.starts_with("\\x")) {
    return text;
  }
  std::string bytes;
  bytes.reserve(text.size() / 2);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 2; i + 1 < text.size(); i += 2) {
    bytes += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
  }
  return bytes;
}

// --- PgConnection ------------------------------------------------------------

StatusOr<std::unique_ptr<PgConnection>> PgConnection::Open(const PgConfig& config) {
  constexpr std::string_view kOp = "OpenPostgresStore";
  const std::string where = "'" + RedactPostgresUrl(config.url) + "'";
  // Parsed first, to know the passwords to keep out of libpq's messages (and
  // because a parse error may quote them).
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(config.url.c_str(), &parse_error);
  if (options == nullptr) {
    PQfreemem(parse_error);
    return InvalidArgumentError(Cat({kOp, ": malformed PostgreSQL URL ", where}));
  }
  std::vector<std::string> secrets;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && IsPasswordKey(o->keyword)) secrets.emplace_back(o->val);
  }
  PQconninfoFree(options);

  const std::string timeout = std::to_string(std::max(2, (config.connect_timeout_ms + 999) / 1000));
  // Entries before dbname (the expanded URL) are defaults the URL overrides.
  // Custom plans: a generic plan made while a table was small (a fresh
  // database) keeps scanning it whole as it grows; stepd's statements are
  // cheap to plan.
  const std::string server_options = "-c lock_timeout=" +
                                     std::to_string(std::max(0, config.lock_timeout_ms)) +
                                     " -c plan_cache_mode=force_custom_plan";
  const char* keys[] = {"application_name", "client_encoding", "connect_timeout", "options",
                        "dbname", nullptr};
  const char* values[] = {"stepd", "UTF8", timeout.c_str(), server_options.c_str(),
                          config.url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return ResourceExhaustedError(Cat({kOp, ": out of memory (postgres)"}));
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string detail = Scrub(OneLine(PQerrorMessage(conn)), secrets);
    PQfinish(conn);
    return UnavailableError(Cat({kOp, ": cannot connect to PostgreSQL at ", where, ": ", detail}));
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);  // no WARNINGs on stderr
  return std::unique_ptr<PgConnection>(
      new PgConnection(conn, std::max(1, config.statement_cache_size)));
}

PgConnection::~PgConnection() {
  statements_.clear();
  PQfinish(conn_);
}

Status PgConnection::Ready(std::string_view op, bool ends) {
  if (PQstatus(conn_) != CONNECTION_OK) {  // the server ended any transaction
    transaction_lost_ |= in_transaction_;
    in_transaction_ = false;
  }
  if (ends) in_transaction_ = false;
  if (transaction_lost_) {
    if (ends) transaction_lost_ = false;
    return UnavailableError(Cat({op, ": the PostgreSQL connection was lost inside the "
                                     "transaction, which is rolled back"}));
  }
  if (PQstatus(conn_) == CONNECTION_OK) return Status::OK();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return UnavailableError(
        Cat({op, ": the PostgreSQL connection is lost: ", OneLine(PQerrorMessage(conn_))}));
  }
  prepared_.clear();  // they died with the old session
  by_key_.clear();
  return Status::OK();
}

Status PgConnection::ErrorOf(const PGresult* result, std::string_view op) const {
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string detail = OneLine(primary ? primary : PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return UnavailableError(Cat({op, ": the PostgreSQL connection is lost: ", detail}));
  }
  const char* code = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return PgStatus(code ? code : "", detail, op);
}

StatusOr<PgResult> PgConnection::Take(PGresult* raw, std::string_view op) {
  PgResult result(raw, PQclear);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
    return ErrorOf(raw, op);
  }
  std::string_view tag = PQcmdStatus(raw);
  for (std::string_view verb : {"INSERT ", "UPDATE ", "DELETE ", "MERGE "}) {
    if (tag.starts_with(verb)) changes_ = std::strtoll(PQcmdTuples(raw), nullptr, 10);
  }
  return result;
}

Status PgConnection::Exec(std::string_view sql, std::string_view op) {
  const bool commit = sql == "COMMIT", rollback = sql == "ROLLBACK";
  if (rollback && (transaction_lost_ || (in_transaction_ && PQstatus(conn_) != CONNECTION_OK))) {
    transaction_lost_ = in_transaction_ = false;  // the server rolled it back
    return Status::OK();
  }
  STEPD_RETURN_IF_ERROR(Ready(op, commit || rollback));
  STEPD_ASSIGN_OR_RETURN(PgResult result, Take(PQexec(conn_, std::string(sql).c_str()), op));
  if (commit && std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") {
    return InternalError(Cat({op, ": COMMIT rolled the transaction back: a statement in it had "
                                  "failed (postgres)"}));
  }
  return Status::OK();
}

StatusOr<Statement> PgConnection::Prepare(std::string_view sql, std::string_view op) {
  auto found = by_sql_.find(sql);
  if (found != by_sql_.end()) {
    if (found->second->in_use) {  // a nested use: private
      return (new PgStatement(this, RewriteParameters(sql), nullptr))->Use(op);
    }
    statements_.splice(statements_.begin(), statements_, found->second);
    statements_.front().in_use = true;
    return statements_.front().statement->Use(op);
  }
  // Walk from the least recently used end; skip statements in use.
  for (auto it = statements_.end();
       static_cast<int>(statements_.size()) >= cache_size_ && it != statements_.begin();) {
    --it;
    if (it->in_use) continue;
    by_sql_.erase(it->sql);
    it = statements_.erase(it);
  }
  statements_.push_front(Entry{std::string(sql), nullptr, true});
  Entry& entry = statements_.front();
  entry.statement = std::make_unique<PgStatement>(this, RewriteParameters(sql), &entry.in_use);
  by_sql_.emplace(entry.sql, statements_.begin());
  return entry.statement->Use(op);
}

StatusOr<std::string> PgConnection::Prepared(const std::string& sql, const std::string& types,
                                             const std::vector<Oid>& oids, std::string_view op) {
  std::string key = types + '\0' + sql;
  auto found = by_key_.find(key);
  if (found != by_key_.end()) {
    prepared_.splice(prepared_.begin(), prepared_, found->second);
    return prepared_.front().name;
  }
  std::string name = "s" + std::to_string(next_name_++);
  STEPD_RETURN_IF_ERROR(Take(PQprepare(conn_, name.c_str(), sql.c_str(),
                                       static_cast<int>(oids.size()), oids.data()),
                             op)
                            .status());
  while (static_cast<int>(prepared_.size()) >= cache_size_) {
    // A failed DEALLOCATE (in an aborted transaction) leaves the statement on
    // the server until the session ends; names are never reused.
    PQclear(PQexec(conn_, ("DEALLOCATE " + prepared_.back().name).c_str()));
    by_key_.erase(prepared_.back().key);
    prepared_.pop_back();
  }
  prepared_.push_front(ServerStatement{std::move(key), name});
  by_key_.emplace(prepared_.front().key, prepared_.begin());
  return name;
}

StatusOr<int64_t> PgConnection::LastInsertId(std::string_view op) {
  STEPD_RETURN_IF_ERROR(Ready(op, false));
  STEPD_ASSIGN_OR_RETURN(PgResult result, Take(PQexec(conn_, "SELECT lastval()"), op));
  return std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10);
}

Status PgConnection::Begin(bool write, std::string_view op) {
  // One round trip: BEGIN and the lock together.
  static const std::string kBeginWrite =
      "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kWriteLockKey) + ")";
  Status status = Exec(write ? kBeginWrite : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", op);
  if (status.ok()) {
    in_transaction_ = true;
  } else if (PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PQclear(PQexec(conn_, "ROLLBACK"));  // BEGIN ran, the lock failed
  }
  return status;
}

}  // namespace stepd::store::internal
