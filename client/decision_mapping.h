// Conversions inside the client: CorsRequest -> corsd.v1.CheckRequest /
// engine::Request, and every kind of answer -> corsd::Decision. Local answers
// go through the same FillCheckResponse the server uses, which is what makes
// them identical to remote ones.
#ifndef CORSD_CLIENT_DECISION_MAPPING_H_
#define CORSD_CLIENT_DECISION_MAPPING_H_

#include "corsd/client.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/decision.h"

namespace corsd::client_internal {

v1::CheckRequest ToCheckRequest(const CorsRequest& request);
Decision FromCheckResponse(const v1::CheckResponse& response, Decision::Source source);

// The engine decides `request` against `policy` exactly as the server would.
Decision DecideLocally(const engine::CompiledPolicy& policy, const std::string& tenant,
                       const CorsRequest& request, Decision::Source source);

// corsd could not be asked: DENY without CORS headers (a preflight is
// answered 403 now; an actual request is forwarded and the browser blocks
// it); a request without Origin is simply not CORS.
Decision FailClosed(const CorsRequest& request, const std::string& error);

}  // namespace corsd::client_internal

#endif  // CORSD_CLIENT_DECISION_MAPPING_H_
