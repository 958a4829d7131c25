#include "service/store/postgres_sql_connection.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "service/common/status_macros.h"

namespace corsd::store {
namespace {

// pg_advisory_xact_lock key shared by every corsd writer ("corsd" in ASCII).
constexpr int64_t kWriteLockKey = 0x636f727364;
constexpr char kChannel[] = "corsd_changes";
constexpr int kByteaOid = 17;
constexpr int kInt8Oid = 20;
constexpr int kInt2Oid = 21;
constexpr int kInt4Oid = 23;

std::string WithConnectTimeout(const std::string& url) {
  if (absl::StrContains(url, "connect_timeout")) return url;
  return absl::StrCat(url, absl::StrContains(url, "?") ? "&" : "?", "connect_timeout=3");
}

// corsd's SQL uses `?`; PostgreSQL wants $1, $2, ...
std::string Numbered(absl::string_view sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      absl::StrAppend(&out, "$", ++n);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Every parameter is sent as text: integers in decimal, bytes in bytea's
// hex input format.
std::vector<std::string> TextParams(std::initializer_list<SqlValue> params) {
  std::vector<std::string> out;
  out.reserve(params.size());
  for (const SqlValue& param : params) {
    if (const int64_t* i = std::get_if<int64_t>(&param)) {
      out.push_back(absl::StrCat(*i));
    } else if (const std::string* text = std::get_if<std::string>(&param)) {
      out.push_back(*text);
    } else {
      out.push_back(absl::StrCat("\\x", absl::BytesToHexString(std::get<SqlBytes>(param).bytes)));
    }
  }
  return out;
}

// Converts each row of `result` and hands it to `on_row`, stopping at the
// first error.
absl::Status EachRow(const pqxx::result& result, SqlConnection::RowCallback on_row) {
  for (const pqxx::row& row : result) {
    std::vector<SqlValue> values;
    values.reserve(row.size());
    for (const pqxx::field& field : row) {
      const int oid = static_cast<int>(field.type());
      if (field.is_null()) {
        values.emplace_back(std::string());  // reads as 0 or "", like SQLite's NULL
      } else if (oid == kByteaOid) {
        values.emplace_back(SqlBytes{pqxx::binarystring(field).str()});
      } else if (oid == kInt8Oid || oid == kInt4Oid || oid == kInt2Oid) {
        values.emplace_back(field.as<int64_t>());
      } else {
        values.emplace_back(std::string(field.c_str(), field.size()));
      }
    }
    SqlRow read(std::move(values));
    RETURN_IF_ERROR(on_row(read));
  }
  return absl::OkStatus();
}

class Listener : public pqxx::notification_receiver {
 public:
  Listener(pqxx::connection& connection, bool* notified)
      : pqxx::notification_receiver(connection, kChannel), notified_(notified) {}
  void operator()(const std::string&, int) override { *notified_ = true; }

 private:
  bool* notified_;
};

}  // namespace

struct PostgresSqlConnection::Pq {
  std::unique_ptr<pqxx::connection> connection;
  std::unique_ptr<pqxx::transaction_base> transaction;
  std::unique_ptr<pqxx::connection> listen_connection;
  std::unique_ptr<Listener> listener;
};

std::string PostgresSqlConnection::WithoutPassword(const std::string& url) {
  std::string out = url;
  // userinfo: everything before the authority's last '@' (a password may
  // itself contain '@'); the password is what follows its first ':'.
  if (size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t authority = scheme + 3;
    size_t authority_end = out.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    const size_t at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // libpq also takes the password as a query parameter: drop it.
  const size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string kept;
  for (absl::string_view param : absl::StrSplit(absl::string_view(out).substr(query + 1), '&')) {
    if (absl::StartsWithIgnoreCase(param, "password=") ||
        absl::EqualsIgnoreCase(param, "password")) {
      continue;
    }
    absl::StrAppend(&kept, kept.empty() ? "" : "&", param);
  }
  out.resize(query);
  if (!kept.empty()) absl::StrAppend(&out, "?", kept);
  return out;
}

PostgresSqlConnection::PostgresSqlConnection(std::string url)
    : url_(WithConnectTimeout(url)),
      described_(WithoutPassword(url)),
      pq_(std::make_unique<Pq>()) {}

PostgresSqlConnection::~PostgresSqlConnection() {
  pq_->transaction.reset();  // before its connection
  pq_->listener.reset();
}

absl::StatusOr<std::unique_ptr<PostgresSqlConnection>> PostgresSqlConnection::Open(
    const std::string& url) {
  std::unique_ptr<PostgresSqlConnection> connection(new PostgresSqlConnection(url));
  RETURN_IF_ERROR(connection->EnsureConnected());
  return connection;
}

template <typename Body>
auto PostgresSqlConnection::Guard(Body body) -> decltype(body()) {
  try {
    return body();
  } catch (const pqxx::broken_connection& e) {
    pq_->transaction.reset();
    pq_->connection.reset();
    // libpq reports a server that answered "no" the same way as one that
    // did not answer; only the second is worth waiting for.
    const absl::string_view why = e.what();
    if (absl::StrContains(why, "authentication failed") ||
        absl::StrContains(why, "no pg_hba.conf entry") ||
        (absl::StrContains(why, "database") && absl::StrContains(why, "does not exist")) ||
        (absl::StrContains(why, "role") && absl::StrContains(why, "does not exist"))) {
      return absl::FailedPreconditionError(
          absl::StrCat("PostgreSQL at ", described_, " refused the connection: ", why,
                       "; check the URL's user, password and database"));
    }
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL at ", described_, " is unreachable: ", why));
  } catch (const pqxx::in_doubt_error& e) {
    pq_->transaction.reset();
    pq_->connection.reset();
    return absl::UnavailableError(absl::StrCat(
        "lost the connection to PostgreSQL while committing; the write may or may not have "
        "happened: ",
        e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string state = e.sqlstate();
    // 08: connection exceptions; 57P: the server is shutting down; 40:
    // serialization failure / deadlock: all worth retrying.
    if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P") ||
        absl::StartsWith(state, "40")) {
      pq_->transaction.reset();
      if (!absl::StartsWith(state, "40")) pq_->connection.reset();
      return absl::UnavailableError(absl::StrCat("PostgreSQL: ", e.what()));
    }
    if (state == "23505")
      return absl::FailedPreconditionError(absl::StrCat("PostgreSQL: ", e.what()));
    return absl::InternalError(absl::StrCat("PostgreSQL error ", state, ": ", e.what()));
  } catch (const std::exception& e) {
    pq_->transaction.reset();
    return absl::InternalError(absl::StrCat("PostgreSQL client: ", e.what()));
  }
}

absl::Status PostgresSqlConnection::EnsureConnected() {
  if (pq_->connection != nullptr && pq_->connection->is_open()) return absl::OkStatus();
  return Guard([&]() -> absl::Status {
    pq_->connection = std::make_unique<pqxx::connection>(url_);
    return absl::OkStatus();
  });
}

absl::Status PostgresSqlConnection::BeginWrite() {
  RETURN_IF_ERROR(EnsureConnected());
  return Guard([&]() -> absl::Status {
    pq_->transaction = std::make_unique<pqxx::work>(*pq_->connection);
    pq_->transaction->exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kWriteLockKey, ")"));
    return absl::OkStatus();
  });
}

absl::Status PostgresSqlConnection::BeginRead() {
  RETURN_IF_ERROR(EnsureConnected());
  return Guard([&]() -> absl::Status {
    pq_->transaction = std::make_unique<
        pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>>(
        *pq_->connection);
    return absl::OkStatus();
  });
}

absl::Status PostgresSqlConnection::Commit() {
  if (pq_->transaction == nullptr) return absl::FailedPreconditionError("no transaction to commit");
  return Guard([&]() -> absl::Status {
    pq_->transaction->commit();
    pq_->transaction.reset();
    return absl::OkStatus();
  });
}

void PostgresSqlConnection::Rollback() {
  if (pq_->transaction == nullptr) return;
  try {
    pq_->transaction->abort();
  } catch (const std::exception&) {
    // The connection is gone: so is the transaction.
  }
  pq_->transaction.reset();
}

absl::Status PostgresSqlConnection::QueryEach(absl::string_view sql,
                                              std::initializer_list<SqlValue> params,
                                              RowCallback on_row) {
  RETURN_IF_ERROR(EnsureConnected());
  return Guard([&]() -> absl::Status {
    std::vector<std::string> values = TextParams(params);
    if (pq_->transaction != nullptr) {
      return EachRow(
          pq_->transaction->exec_params(Numbered(sql), pqxx::prepare::make_dynamic_params(values)),
          on_row);
    }
    pqxx::nontransaction autocommit(*pq_->connection);
    return EachRow(
        autocommit.exec_params(Numbered(sql), pqxx::prepare::make_dynamic_params(values)), on_row);
  });
}

absl::StatusOr<int64_t> PostgresSqlConnection::Execute(absl::string_view sql,
                                                       std::initializer_list<SqlValue> params) {
  RETURN_IF_ERROR(EnsureConnected());
  return Guard([&]() -> absl::StatusOr<int64_t> {
    std::vector<std::string> values = TextParams(params);
    pqxx::result result;
    if (pq_->transaction != nullptr) {
      result =
          pq_->transaction->exec_params(Numbered(sql), pqxx::prepare::make_dynamic_params(values));
    } else {
      pqxx::nontransaction autocommit(*pq_->connection);
      result = autocommit.exec_params(Numbered(sql), pqxx::prepare::make_dynamic_params(values));
    }
    return static_cast<int64_t>(result.affected_rows());
  });
}

absl::Status PostgresSqlConnection::ExecuteScript(absl::string_view sql) {
  RETURN_IF_ERROR(EnsureConnected());
  return Guard([&]() -> absl::Status {
    if (pq_->transaction != nullptr) {
      pq_->transaction->exec(std::string(sql));
    } else {
      pqxx::nontransaction autocommit(*pq_->connection);
      autocommit.exec(std::string(sql));
    }
    return absl::OkStatus();
  });
}

absl::Status PostgresSqlConnection::AnnounceChange(absl::string_view tenant, int64_t revision) {
  return Execute("SELECT pg_notify(?, ?)",
                 {std::string(kChannel), absl::StrCat(tenant, ":", revision)})
      .status();
}

absl::Status PostgresSqlConnection::EnsureListening() {
  if (!listen_supported_) return absl::OkStatus();
  if (pq_->listen_connection != nullptr && pq_->listen_connection->is_open())
    return absl::OkStatus();
  pq_->listener.reset();
  try {
    pq_->listen_connection = std::make_unique<pqxx::connection>(url_);
    pq_->listener = std::make_unique<Listener>(*pq_->listen_connection, &notified_);
    // Anything may have been committed while nobody listened.
    notified_ = true;
    return absl::OkStatus();
  } catch (const pqxx::sql_error& e) {
    pq_->listener.reset();
    pq_->listen_connection.reset();
    if (e.sqlstate() == "0A000") {
      // A PostgreSQL-compatible database without LISTEN: changes from
      // other replicas then arrive through the periodic resync only.
      listen_supported_ = false;
      return absl::OkStatus();
    }
    return absl::UnavailableError(absl::StrCat("PostgreSQL LISTEN failed: ", e.what()));
  } catch (const std::exception& e) {
    pq_->listener.reset();
    pq_->listen_connection.reset();
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL at ", described_, " is unreachable: ", e.what()));
  }
}

absl::StatusOr<bool> PostgresSqlConnection::HasExternalChanges() {
  RETURN_IF_ERROR(EnsureListening());
  if (!listen_supported_) return false;
  try {
    pq_->listen_connection->get_notifs();
  } catch (const std::exception& e) {
    pq_->listener.reset();
    pq_->listen_connection.reset();
    return absl::UnavailableError(absl::StrCat("PostgreSQL listener: ", e.what()));
  }
  bool changed = notified_;
  notified_ = false;
  return changed;
}

absl::Status PostgresSqlConnection::Ping() { return Query("SELECT 1", {}).status(); }

}  // namespace corsd::store
