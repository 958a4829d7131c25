#include "service/convert/check_convert.h"

namespace corsd {

CheckRequestView::CheckRequestView(const v1::CheckRequest& request) {
  headers_.reserve(request.headers_size());
  for (const v1::Header& header : request.headers()) {
    headers_.push_back(engine::HeaderView{header.name(), header.value()});
  }
  request_ = engine::Request{.origin = request.origin(),
                             .method = request.method(),
                             .path = request.path(),
                             .headers = headers_};
}

void FillCheckResponse(const engine::Decision& decision, absl::string_view tenant,
                       v1::CheckResponse* response) {
  // The engine numbers its enums like corsd.v1, so these are plain casts.
  response->set_verdict(static_cast<v1::Verdict>(decision.verdict));
  response->set_kind(static_cast<v1::RequestKind>(decision.kind));
  response->set_reason(static_cast<v1::Reason>(decision.reason));
  response->set_respond_now(decision.respond_now);
  response->set_http_status(decision.http_status);
  response->set_policy_revision(decision.policy_revision);
  response->set_tenant(tenant.data(), tenant.size());
  if (!decision.explanation.empty()) response->set_explanation(decision.explanation);
  auto* headers = response->mutable_response_headers();
  headers->Reserve(static_cast<int>(decision.response_headers().size()));
  for (const engine::HeaderView& h : decision.response_headers()) {
    v1::Header* out = headers->Add();
    out->set_name(h.name.data(), h.name.size());
    out->set_value(h.value.data(), h.value.size());
  }
}

}  // namespace corsd
