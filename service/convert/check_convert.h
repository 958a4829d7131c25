// Conversions between corsd.v1.CheckRequest/CheckResponse and the engine's
// Request/Decision. The server's Check handler and the client library's local
// evaluation both use them, which is what makes a local answer identical to a
// remote one for the same policy revision.
//
//   CheckRequestView views(request);           // no copies of the strings
//   engine::Decide(*policy, views.request(), options, &decision);
//   FillCheckResponse(decision, tenant_name, &response);
#ifndef CORSD_SERVICE_CONVERT_CHECK_CONVERT_H_
#define CORSD_SERVICE_CONVERT_CHECK_CONVERT_H_

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "corsd/v1/corsd.pb.h"
#include "service/engine/cors_request.h"
#include "service/engine/decision.h"

namespace corsd {

// An engine::Request viewing a CheckRequest's strings. `request` must outlive
// it. Header lists of up to 16 lines need no allocation.
class CheckRequestView {
 public:
  explicit CheckRequestView(const v1::CheckRequest& request);
  CheckRequestView(const CheckRequestView&) = delete;
  CheckRequestView& operator=(const CheckRequestView&) = delete;

  const engine::Request& request() const { return request_; }

 private:
  absl::InlinedVector<engine::HeaderView, 16> headers_;
  engine::Request request_;
};

void FillCheckResponse(const engine::Decision& decision, absl::string_view tenant,
                       v1::CheckResponse* response);

}  // namespace corsd

#endif  // CORSD_SERVICE_CONVERT_CHECK_CONVERT_H_
