// DecisionView: storage, pinning and the owning copy.
#include "client/decision_view.h"

#include <new>

#include "service/engine/decision.h"
#include "service/engine/snapshot_cell.h"

namespace corsd {
namespace {

engine::Decision* EngineDecision(unsigned char* storage) {
  return std::launder(reinterpret_cast<engine::Decision*>(storage));
}
const engine::Decision* EngineDecision(const unsigned char* storage) {
  return std::launder(reinterpret_cast<const engine::Decision*>(storage));
}

}  // namespace

DecisionView::DecisionView() {
  static_assert(sizeof(engine::Decision) <= kEngineDecisionBytes,
                "grow DecisionView::kEngineDecisionBytes");
  static_assert(alignof(engine::Decision) <= 16);
  static_assert(engine::Decision::kMaxResponseHeaders == kMaxHeaders);
  static_assert(sizeof(engine::SnapshotPin) <= sizeof(pin_));
  static_assert(alignof(engine::SnapshotPin) <= alignof(void*));
  new (engine_decision_) engine::Decision;  // default-init: no zeroing of raw storage
}

DecisionView::~DecisionView() {
  Clear();
  EngineDecision(engine_decision_)->~Decision();
}

void DecisionView::Clear() {
  header_count_ = 0;
  verdict_ = Verdict::kUnspecified;
  kind_ = RequestKind::kUnspecified;
  reason_ = Reason::kUnspecified;
  respond_now_ = false;
  http_status_ = 0;
  policy_revision_ = 0;
  tenant_ = absl::string_view();
  source_ = Decision::Source::kLocal;
  if (pinned_) {
    std::launder(reinterpret_cast<engine::SnapshotPin*>(pin_))->~SnapshotPin();
    pinned_ = false;
  }
}

absl::Span<const HeaderRef> DecisionView::response_headers() const {
  return absl::MakeConstSpan(std::launder(reinterpret_cast<const HeaderRef*>(headers_)),
                             header_count_);
}

absl::string_view DecisionView::explanation() const {
  return pinned_ ? absl::string_view(EngineDecision(engine_decision_)->explanation)
                 : absl::string_view();
}

Decision DecisionView::ToDecision() const {
  Decision out;
  out.verdict = verdict_;
  out.kind = kind_;
  out.reason = reason_;
  out.respond_now = respond_now_;
  out.http_status = http_status_;
  out.policy_revision = policy_revision_;
  out.tenant = std::string(tenant_);
  out.explanation = std::string(explanation());
  out.response_headers.reserve(header_count_);
  for (const HeaderRef& h : response_headers()) {
    out.response_headers.push_back({std::string(h.name), std::string(h.value)});
  }
  out.source = source_;
  return out;
}

namespace client_internal {

void DecisionViewAccess::Pin(DecisionView* view) {
  if (view->pinned_) return;
  new (view->pin_) engine::SnapshotPin();
  view->pinned_ = true;
}

void DecisionViewAccess::Decide(const engine::CompiledPolicy& policy, absl::string_view tenant,
                                const engine::Request& request,
                                const engine::CorsRequestHeaders* cors, bool explain,
                                Decision::Source source, DecisionView* view) {
  engine::Decision* decision = EngineDecision(view->engine_decision_);
  if (cors != nullptr) {
    engine::Decide(policy, request, *cors, {.explain = explain}, decision);
  } else {
    engine::Decide(policy, request, {.explain = explain}, decision);
  }
  // Same numbering on both sides (decision_mapping.cc asserts it).
  view->verdict_ = static_cast<Verdict>(decision->verdict);
  view->kind_ = static_cast<RequestKind>(decision->kind);
  view->reason_ = static_cast<Reason>(decision->reason);
  view->respond_now_ = decision->respond_now;
  view->http_status_ = decision->http_status;
  view->policy_revision_ = decision->policy_revision;
  view->tenant_ = tenant;
  view->source_ = source;
  const absl::Span<const engine::HeaderView> headers = decision->response_headers();
  view->header_count_ = headers.size();
  for (size_t i = 0; i < headers.size(); ++i) {
    new (view->headers_ + i * sizeof(HeaderRef)) HeaderRef{headers[i].name, headers[i].value};
  }
}

}  // namespace client_internal
}  // namespace corsd
