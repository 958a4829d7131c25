// DecisionViewAccess fills a corsd::DecisionView from the engine: the one
// place that knows the view's storage holds an engine::Decision and a
// SnapshotPin. Used by the client's local path only.
//
//   DecisionViewAccess::Pin(view);                      // before reading snapshots
//   const engine::TenantSnapshot* t = directory.FindByName(name);
//   DecisionViewAccess::Decide(*t->policy, t->name, engine_request, nullptr, explain, source,
//                              view);
//
// Same thread-affinity as DecisionView: pin, decide and clear on one thread.
#ifndef CORSD_CLIENT_DECISION_VIEW_H_
#define CORSD_CLIENT_DECISION_VIEW_H_

#include "absl/strings/string_view.h"
#include "corsd/client.h"
#include "service/engine/compiled_policy.h"
#include "service/engine/cors_request.h"

namespace corsd::client_internal {

class DecisionViewAccess {
 public:
  // Pins every snapshot this thread reads from now until the view is cleared
  // (a no-op when the view is pinned already).
  static void Pin(DecisionView* view);
  // Decides and points the view at the result. `policy` and `tenant` must
  // belong to a snapshot read after Pin(view); `request`'s strings must
  // outlive the view. `cors` is null, or the request's
  // ScanCorsRequestHeaders when the caller needs it too.
  static void Decide(const engine::CompiledPolicy& policy, absl::string_view tenant,
                     const engine::Request& request, const engine::CorsRequestHeaders* cors,
                     bool explain, Decision::Source source, DecisionView* view);
};

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_DECISION_VIEW_H_
