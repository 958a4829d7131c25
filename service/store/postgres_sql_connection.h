// The PostgreSQL driver of SqlConnection (libpqxx). Writers are serialized
// across every replica by a transaction-scoped advisory lock, which makes
// expected-revision checks safe and keeps change-feed sequence numbers in
// commit order. Each write NOTIFYs channel corsd_changes; a second
// connection LISTENs, so HasExternalChanges() is a non-blocking check.
//
// Both connections reconnect by themselves: a lost connection fails the
// current call with UNAVAILABLE and the next call connects again (with a
// 3 s connect timeout unless the URL sets one). On a PostgreSQL-compatible
// database that rejects LISTEN as unsupported, HasExternalChanges() always
// says no and other replicas' commits arrive through the periodic resync.
#ifndef CORSD_SERVICE_STORE_POSTGRES_SQL_CONNECTION_H_
#define CORSD_SERVICE_STORE_POSTGRES_SQL_CONNECTION_H_

#include <memory>
#include <string>

#include "service/store/sql_connection.h"

namespace corsd::store {

class PostgresSqlConnection : public SqlConnection {
 public:
  // `url`: postgres://user[:password]@host[:port]/database[?params]
  static absl::StatusOr<std::unique_ptr<PostgresSqlConnection>> Open(const std::string& url);
  ~PostgresSqlConnection() override;

  absl::Status BeginWrite() override;
  absl::Status BeginRead() override;
  absl::Status Commit() override;
  void Rollback() override;
  absl::Status QueryEach(absl::string_view sql, std::initializer_list<SqlValue> params,
                         RowCallback on_row) override;
  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  std::initializer_list<SqlValue> params) override;
  absl::Status ExecuteScript(absl::string_view sql) override;
  absl::Status AnnounceChange(absl::string_view tenant, int64_t revision) override;
  absl::StatusOr<bool> HasExternalChanges() override;
  absl::Status Ping() override;
  std::string Describe() const override { return described_; }

  // "postgres://user:secret@db/corsd" -> "postgres://user@db/corsd", also
  // for passwords containing '@' and for a password=... query parameter.
  static std::string WithoutPassword(const std::string& url);

 private:
  explicit PostgresSqlConnection(std::string url);
  absl::Status EnsureConnected();
  absl::Status EnsureListening();
  // Runs `body` (which may throw libpqxx exceptions) and maps failures to a
  // status, dropping a broken connection so the next call reconnects.
  template <typename Body>
  auto Guard(Body body) -> decltype(body());

  // The libpqxx objects (kept out of this header).
  struct Pq;

  const std::string url_;
  const std::string described_;
  std::unique_ptr<Pq> pq_;
  bool notified_ = false;
  bool listen_supported_ = true;
};

}  // namespace corsd::store

#endif  // CORSD_SERVICE_STORE_POSTGRES_SQL_CONNECTION_H_
