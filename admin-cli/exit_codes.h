// corsctl's exit codes, fixed by the API contract so scripts can branch on
// them.
#ifndef CORSD_ADMIN_CLI_EXIT_CODES_H_
#define CORSD_ADMIN_CLI_EXIT_CODES_H_

#include <grpcpp/support/status.h>

namespace corsd::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // invalid input, failed validation, DENY
inline constexpr int kExitUsage = 2;    // bad flags or arguments
inline constexpr int kExitNotFound = 3;
inline constexpr int kExitConflict = 4;     // stale expected revision, already exists
inline constexpr int kExitAuth = 5;         // missing/bad token, not allowed
inline constexpr int kExitUnavailable = 6;  // server unreachable or timed out

int ExitCodeFor(const grpc::Status& status);

}  // namespace corsd::cli

#endif  // CORSD_ADMIN_CLI_EXIT_CODES_H_
